"""Storage that survives a power cut, and the commit or abort of one writer.

Whoosh never calls fsync: after a power cut, a new table of contents could be in
place while the segment it lists (or the TOC itself) is still empty, and the index
would not open. :class:`IndexStorage` flushes the finished segment file and the new
TOC to disk before the TOC is renamed into place, and flushes the rename itself
(directory fsync). :func:`commit` and :func:`abort` make a write count wholly or not
at all, and :func:`remove_uncommitted_files` removes what a failed writer left.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Callable

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, clean_files

from ..errors import DiplosearchError
from .lazy_log import LOG

_log = LOG

#: The name of the Whoosh index inside every index directory (``_MAIN_<n>.toc``...).
INDEX_NAME = "MAIN"
_TOC_NAME = re.compile(rf"^_{INDEX_NAME}_([0-9]+)\.toc$")


def restrict_mode(target: int | str | os.PathLike[str]) -> None:
    """Take the group and other write bits off a file or directory diplosearch just
    created (a file descriptor or a path), whatever the umask: anyone who can write
    an index can make opening it run their code (see README's Security section)."""
    try:
        if isinstance(target, int):
            mode = os.fstat(target).st_mode
            if mode & 0o022:
                os.fchmod(target, mode & 0o7755)
        else:
            mode = os.stat(target).st_mode
            if mode & 0o022:
                os.chmod(target, mode & 0o7755)
    except OSError:
        pass  # a file system without permissions (FAT, some network mounts)


def make_directory(path: Path) -> None:
    """``mkdir -p`` whose new directories are not writable by others, whatever the umask."""
    missing = []
    for parent in [path, *path.parents]:
        if parent.exists():
            break
        missing.append(parent)
    path.mkdir(parents=True, exist_ok=True)
    for created in missing:
        restrict_mode(created)


def fsync_directory(path: Path) -> None:
    """Make renames and new files in ``path`` durable (best-effort where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_json_atomically(path: Path, data: dict[str, object], durable: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one
    (flushed to disk first with ``durable``)."""
    # Not mkstemp: its mode 0600 would hide the manifest from other users' readers.
    tmp = str(path.parent / f".{path.name}-{os.getpid()}-{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    restrict_mode(fd)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        fsync_directory(path.parent)


class IndexStorage(FileStorage):
    """An index directory whose commits survive power loss, not only a killed process.

    With ``durable``, the finished segment file and the new TOC are flushed to disk
    before the TOC is renamed into place, and the rename itself is flushed. The
    segments' parts, which Whoosh deletes once it has assembled them into the
    ``.seg`` file, are not.
    """

    def __init__(self, path: str, durable: bool = True, memory_map: bool = True, checksums=None) -> None:  # type: ignore[no-untyped-def]
        # Whoosh opens each part of a compound segment from a memory map as a BytesIO
        # *copy* of that part: fast to read through (writers and the column builder
        # walk whole posting lists), but a searcher opened that way copies most of the
        # segment (160 ms and ~80 MB at 22k articles) to read a page of stored fields.
        # Readers therefore open without it (memory_map=False): plain reads copy only
        # what is read.
        super().__init__(path, supports_mmap=memory_map)
        self.durable = durable
        #: Records each commit's checksums before its TOC is renamed into place
        #: (``record(folder, toc_temp_name, generation, segment_ids, durable)``) and
        #: removes other generations' (``prune(folder, generation)``): an
        #: :class:`~diplosearch.store.integrity.CommitChecksums`, or None for none.
        self.checksums = checksums
        #: Ids of the segments the table of contents being committed lists (set by
        #: the writer), whose checksums are recorded before it is renamed into place.
        self.committing_segments: set[str] | None = None

    def create_file(self, name, excl=False, mode="wb", **kwargs):  # type: ignore[no-untyped-def]
        handle = super().create_file(name, excl=excl, mode=mode, **kwargs)
        restrict_mode(handle.file.fileno())
        if self.durable and (name.endswith(".seg") or ".toc" in name):
            handle.onclose = _fsync_on_close(handle.onclose)
        return handle

    def temp_storage(self, name=None):  # type: ignore[no-untyped-def]
        storage = super().temp_storage(name)
        restrict_mode(storage.folder)
        return storage

    def rename_file(self, oldname, newname, safe=False):  # type: ignore[no-untyped-def]
        toc = _TOC_NAME.match(newname) if self.checksums is not None else None
        if toc:
            self.checksums.record(Path(self.folder), oldname, int(toc.group(1)), self.committing_segments, self.durable)
            self.committing_segments = None
        super().rename_file(oldname, newname, safe=safe)
        if self.durable:
            fsync_directory(Path(self.folder))
        if toc:
            self.checksums.prune(Path(self.folder), int(toc.group(1)))


def _fsync_on_close(previous):  # type: ignore[no-untyped-def]
    def flush_to_disk(structfile) -> None:  # type: ignore[no-untyped-def]
        if previous is not None:
            previous(structfile)
        structfile.file.flush()
        os.fsync(structfile.file.fileno())

    return flush_to_disk


def remove_uncommitted_files(storage: FileStorage, schema, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Delete segment and TOC files that the current commit of the index in ``storage``
    (read with ``schema``) does not use, and the writer's temporary folder (call with
    the write lock held)."""
    try:
        toc = TOC.read(storage, INDEX_NAME, schema=schema)
        clean_files(storage, INDEX_NAME, toc.generation, toc.segments)
        if getattr(storage, "checksums", None) is not None:  # a commit killed before its TOC's rename
            storage.checksums.prune(path, toc.generation)
    except Exception:  # clean-up is best-effort: leftovers are also removed by the next commit
        _log.debug("clean-up of %s failed", path, exc_info=True)
    shutil.rmtree(path / f"{INDEX_NAME}.tmp", ignore_errors=True)
    # A table of contents that failed while being written (Whoosh writes it to
    # "_MAIN_<gen>.toc.<time>" and renames it); Whoosh's clean-up misses these.
    # Likewise a checksum file a killed writer was writing (write_json_atomically's
    # temporary "._MAIN_<gen>.sums-<pid>-<random>"): only a lock holder writes them.
    partials = [*path.glob(f"_{INDEX_NAME}_*.toc.*"), *path.glob(f"._{INDEX_NAME}_*.sums-*")]
    for partial in partials:
        try:
            partial.unlink()
        except OSError:
            pass


def commit(
    whoosh_index,  # type: ignore[no-untyped-def]
    path: Path,
    writer,
    extra_segments: Callable[[], list[object]] | None = None,
    on_abort: Callable[[], None] | None = None,
) -> None:
    """Commit ``writer`` (a :class:`~diplosearch.store.parallel.JoiningWriter`) with the
    segments ``extra_segments()`` returns; on failure abort it and say nothing was committed."""
    try:
        writer.commit_joining(extra_segments)
    except BaseException as exc:
        # The commit point is the rename of the new table of contents: if it
        # happened, the commit stands and only Whoosh's clean-up failed.
        try:
            committed = whoosh_index.latest_generation() >= writer.generation
        except Exception:
            committed = False
        abort(whoosh_index, path, writer, remove_files=not committed, on_abort=on_abort)
        if committed and isinstance(exc, Exception):
            _log.warning("%s: committed, but cleaning up afterwards failed: %s", path, exc)
            return
        if isinstance(exc, OSError):
            raise DiplosearchError(
                f"{path}: commit failed, nothing was committed and the previous commit is intact ({exc})"
            ) from exc
        raise


def abort(
    whoosh_index,  # type: ignore[no-untyped-def]
    path: Path,
    writer,
    remove_files: bool = True,
    on_abort: Callable[[], None] | None = None,
) -> None:
    """Discard an uncommitted writer: close its files, delete them, keep the lock until done."""
    if getattr(writer, "is_closed", True):
        return
    steps = [on_abort] if on_abort is not None else []
    steps.append(writer.close_segment)
    if remove_files:
        steps.append(lambda: remove_uncommitted_files(whoosh_index.storage, writer.schema, path))
    steps.append(writer.destroy_temporary_files)
    for step in steps:
        try:
            step()
        except Exception:
            pass
    writer.is_closed = True


def release_quietly(writer) -> None:  # type: ignore[no-untyped-def]
    """Release the write lock a Whoosh writer holds, if it still does."""
    lock = getattr(writer, "writelock", None)
    if lock is not None:
        try:
            lock.release()
        except Exception:
            pass


def pid_alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists on this machine (leftover files and folders
    are named by the pid of the process that owns them)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
