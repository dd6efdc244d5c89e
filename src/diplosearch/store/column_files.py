"""Opening a column file and checking its arrays, with the standard library only.

The layout is described in :mod:`diplosearch.store.columns`, which turns a
:class:`MappedColumnFile` into numpy arrays. This part needs no numpy, so a search can
start checking the arrays' CRC-32s (:func:`check_in_background`) before it has
imported numpy: ``zlib.crc32`` lets go of the GIL, so on a machine with a free core the
check of a 22k-article index (about 65 MB, 35-45 ms) overlaps the ~100 ms numpy import
instead of following it. Whatever the background has not checked yet when an array is
first read is checked then (:meth:`MappedColumnFile.verified`); an array is never used
before its check.
"""

from __future__ import annotations

import json
import mmap
import os
import stat
import struct
import threading
import uuid
import weakref
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ..errors import ColumnsError

if TYPE_CHECKING:
    import numpy as np

#: File name extension of a column file (``MAIN_<segid>.dcol``).
COLUMNS_EXTENSION = ".dcol"
#: Bumped whenever the layout or the meaning of an array changes.
COLUMNS_FORMAT = 2

MAGIC = b"DSCOLS\r\n"  # the \r\n catches a file mangled by newline translation
PREAMBLE = struct.Struct("<8sIII")  # magic, format, header length, header crc32
ALIGN = 64
#: dtype -> item size in bytes.
ALLOWED_DTYPES = {"|u1": 1, "<i4": 4, "<i8": 8, "<f4": 4, "<f8": 8, "<u2": 2, "<u4": 4}


def aligned(size: int) -> int:
    return (size + ALIGN - 1) // ALIGN * ALIGN


def write_array_file(path: str, header: dict[str, Any], arrays: Mapping[str, "np.ndarray"], *,
                     durable: bool = True) -> None:
    """Write ``arrays`` with ``header`` (plus the table of arrays and the total size) as
    one file of this layout at ``path``: a temporary name, fsync'ed, then renamed, so a
    reader sees the whole file or none. ``durable=False`` skips the fsyncs."""
    import numpy as np  # not at import: this module starts checking files before numpy is loaded

    from .durable import fsync_directory

    arrays = {name: np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"), copy=False) for name, a in arrays.items()}
    # a flat view's bytes: a memoryview of an empty array of two dimensions (no terms,
    # a row per field) cannot be cast to bytes
    data = {name: memoryview(array.reshape(-1)).cast("B") for name, array in arrays.items()}
    table, offset = {}, 0
    for name, array in arrays.items():
        table[name] = {
            "dtype": array.dtype.str,
            "shape": list(array.shape),
            "offset": offset,
            "crc32": zlib.crc32(data[name]),
        }
        offset += aligned(array.nbytes)
    header = {**header, "arrays": table}
    header_bytes = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    data_start = aligned(PREAMBLE.size + len(header_bytes))
    header["total_size"] = data_start + offset
    # total_size is part of the checksummed header, so it is fixed before the checksum;
    # its own digits can move data_start, so settle both.
    while True:
        header_bytes = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        data_start = aligned(PREAMBLE.size + len(header_bytes))
        if header["total_size"] == data_start + offset:
            break
        header["total_size"] = data_start + offset
    temporary = f"{path}.tmp{uuid.uuid4().hex[:12]}"
    try:
        # 0644 whatever the umask: an index refuses files that others can write.
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), "wb") as handle:
            handle.write(PREAMBLE.pack(MAGIC, COLUMNS_FORMAT, len(header_bytes), zlib.crc32(header_bytes)))
            handle.write(header_bytes)
            handle.write(b"\0" * (data_start - PREAMBLE.size - len(header_bytes)))
            for name, array in arrays.items():
                handle.write(data[name])
                handle.write(b"\0" * (aligned(array.nbytes) - array.nbytes))
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    if durable:
        fsync_directory(Path(os.path.dirname(path) or "."))  # the rename is durable once the folder's entry is on disk


def column_file_name(segment_id: str) -> str:
    """The column file of a segment: its id plus :data:`COLUMNS_EXTENSION`."""
    return f"{segment_id}{COLUMNS_EXTENSION}"


class MappedColumnFile:
    """A column file mapped read-only, its preamble, header checksum, size and array
    bounds checked; each array's CRC-32 is checked by :meth:`verified`."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            # Non-blocking: opening a FIFO under this name would wait for a writer that
            # never comes (a search hung for good); only a regular file is mapped.
            with open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode):
                    raise ColumnsError(f"{path}: not a regular file")
                if info.st_size < PREAMBLE.size:
                    raise ColumnsError(f"{path}: truncated column file ({info.st_size} bytes)")
                self.mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except FileNotFoundError as exc:
            raise ColumnsError(f"{path}: no column file") from exc
        except (OSError, ValueError) as exc:
            raise ColumnsError(f"{path}: cannot map the column file ({exc})") from exc
        #: Which file this is (a column file is never changed in place, only replaced).
        self.identity = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        size = info.st_size
        magic, version, header_length, header_crc = PREAMBLE.unpack_from(self.mapped, 0)
        if magic != MAGIC:
            raise ColumnsError(f"{path}: not a diplosearch column file")
        if version != COLUMNS_FORMAT:
            raise ColumnsError(f"{path}: column format {version}, this version reads {COLUMNS_FORMAT}")
        header_bytes = self.mapped[PREAMBLE.size : PREAMBLE.size + header_length]
        if len(header_bytes) != header_length or zlib.crc32(header_bytes) != header_crc:
            raise ColumnsError(f"{path}: damaged header (checksum mismatch)")
        try:
            self.header: dict[str, Any] = json.loads(header_bytes)
            self.arrays = self._array_table(header_length, size)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ColumnsError(f"{path}: inconsistent header ({type(exc).__name__}: {exc})") from exc
        self._results: dict[str, bool] = {}
        self._changed = threading.Condition()
        self._checking: str | None = None  # the array the background thread is on
        self._checker: threading.Thread | None = None
        _mapped_files.add(self)

    def still_there(self) -> bool:
        """Whether the file at :attr:`path` is still the one mapped (not removed,
        replaced or rewritten since)."""
        try:
            info = os.stat(self.path)
        except OSError:
            return False
        return self.identity == (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)

    def _start_afresh(self) -> None:
        """In a forked child: no thread checks this file any more, and a lock the parent's
        checker held at the fork would never be let go; what was checked stays known."""
        self._changed = threading.Condition()
        self._checking = None
        self._checker = None

    def _array_table(self, header_length: int, size: int) -> dict[str, tuple[str, list[int], int, int, int]]:
        """name -> (dtype, shape, element count, start offset in the file, bytes)."""
        path = self.path
        if self.header["total_size"] != size:
            raise ColumnsError(f"{path}: {size} bytes, the header says {self.header['total_size']}")
        data_start = aligned(PREAMBLE.size + header_length)
        arrays = {}
        for name, entry in self.header["arrays"].items():
            itemsize = ALLOWED_DTYPES.get(entry["dtype"])
            if itemsize is None:
                raise ColumnsError(f"{path}: array {name} has an unexpected type {entry['dtype']}")
            count = 1
            for extent in entry["shape"]:
                count *= int(extent)
            start = data_start + entry["offset"]
            if count < 0 or start + count * itemsize > size:
                raise ColumnsError(f"{path}: array {name} runs past the end of the file")
            arrays[name] = (entry["dtype"], entry["shape"], count, start, count * itemsize)
        return arrays

    def _compute(self, name: str) -> bool:
        _dtype, _shape, _count, start, nbytes = self.arrays[name]
        with memoryview(self.mapped) as view:
            return zlib.crc32(view[start : start + nbytes]) == self.header["arrays"][name]["crc32"]

    def verified(self, name: str) -> bool:
        """Whether array ``name`` matches its CRC-32 (computed once; if the background
        check is on it right now, its answer is awaited rather than computed twice)."""
        with self._changed:
            while (self._checking == name and self._checker is not None and self._checker.is_alive()):
                self._changed.wait(0.05)
            known = self._results.get(name)
        if known is not None:
            return known
        result = self._compute(name)
        with self._changed:
            self._results[name] = result
        return result

    def numpy_arrays(self) -> dict[str, "np.ndarray"]:
        """Every array of the file as a numpy view of the map (nothing copied, nothing
        checked: see :meth:`verified`)."""
        import numpy as np  # not at import: this module starts checking files before numpy is loaded

        return {
            name: np.frombuffer(self.mapped, dtype=np.dtype(dtype), count=count, offset=start).reshape(shape)
            for name, (dtype, shape, count, start, _nbytes) in self.arrays.items()
        }

    def checked(self, name: str) -> bool | None:
        """Whether array ``name`` matched its CRC-32, or None when not checked yet (never waits)."""
        with self._changed:
            return self._results.get(name)

    def _check_all_in_background(self) -> None:
        for name in sorted(self.arrays, key=_check_order):
            with self._changed:
                if name in self._results:
                    continue
                self._checking = name
            try:
                result = self._compute(name)
            except (ValueError, BufferError):  # the map was closed under us: stop quietly
                result = None
            with self._changed:
                self._checking = None
                if result is not None:
                    self._results[name] = result
                self._changed.notify_all()
            if result is None:
                return


def _check_order(name: str) -> int:
    """Arrays in the order a first search reads them, so the background check is
    ahead of it: the vocabulary, the union postings (words), ids and titles, document
    values, then the per-field postings (phrases, one-field words) and, last, positions."""
    if name.startswith("vocabulary"):
        return 0
    if name.startswith("union."):
        return 1
    if name.startswith("text."):
        return 2
    if not name.startswith("field."):
        return 3
    return 5 if ".position" in name else 4


_checker_lock = threading.Lock()
#: Column files opened ahead by :func:`check_in_background`, by path, until
#: :func:`take_opened` hands them out.
_opened_ahead: dict[str, MappedColumnFile] = {}


# Every mapped file alive, for a forked child to reset (see _start_afresh_after_fork).
_mapped_files: "weakref.WeakSet[MappedColumnFile]" = weakref.WeakSet()


def _start_afresh_after_fork() -> None:
    # A child of os.fork() (a pre-forking server) has none of the parent's threads: a
    # lock one of them held at the fork would stay held forever, and a file opened
    # ahead would wait on a check that no thread runs. The child opens its own, and
    # the files it inherited (through the parent's snapshots) are checked afresh.
    global _checker_lock
    _checker_lock = threading.Lock()
    _opened_ahead.clear()
    for opened in list(_mapped_files):
        opened._start_afresh()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_start_afresh_after_fork)


def check_in_background(folder: str | os.PathLike[str]) -> None:
    """Open the column files in ``folder`` and check their arrays' CRC-32s in one daemon
    thread, for :func:`take_opened` to hand out (files that cannot be opened are left
    for the loader to report)."""
    folder = os.fspath(folder)
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(COLUMNS_EXTENSION))
    except OSError:
        return
    files = []
    with _checker_lock:
        for name in names:
            path = os.path.join(folder, name)
            if path in _opened_ahead:
                continue
            try:
                opened = MappedColumnFile(path)
            except (ColumnsError, KeyError, TypeError, ValueError):
                continue
            _opened_ahead[path] = opened
            files.append(opened)
    if files:
        _start_checker(files)


def start_checking(opened: MappedColumnFile) -> None:
    """Check every array of ``opened`` in a daemon thread, unless one already is."""
    with _checker_lock:
        if opened._checker is not None and opened._checker.is_alive():
            return
        _start_checker([opened])


def _start_checker(files: Iterable[MappedColumnFile]) -> None:
    files = list(files)

    def check_all() -> None:
        for opened in files:
            opened._check_all_in_background()

    thread = threading.Thread(target=check_all, name="diplosearch-column-check", daemon=True)
    for opened in files:
        opened._checker = thread
    thread.start()


def take_opened(path: str) -> MappedColumnFile | None:
    """The file at ``path`` if :func:`check_in_background` opened it and it is still
    the file there now (else None: open it afresh)."""
    with _checker_lock:
        opened = _opened_ahead.pop(path, None)
    return opened if opened is not None and opened.still_there() else None


def forget_opened(folder: str | os.PathLike[str]) -> None:
    """Drop the files opened ahead in ``folder`` that nothing took (an index closed
    before searching)."""
    prefix = os.path.join(os.fspath(folder), "")
    with _checker_lock:
        for path in [p for p in _opened_ahead if p.startswith(prefix)]:
            del _opened_ahead[path]
