"""Helper processes that analyse documents and write segments for one commit, and
the Whoosh writer that lets their segments join the parent's commit.

Every call into Whoosh's private writer API (``_finalize_segment``, ``_close_segment``,
``_tempstorage``, ``_merge_segments``, ``_commit_toc``, ``_finish``) is in
:class:`JoiningWriter`, the way Whoosh's own ``whoosh/multiproc.py`` keeps them in
its ``SubWriterTask`` and ``MpWriter``. A helper is given the index's path, analyzer
and durability, never an :class:`~diplosearch.index.Index`.

Whoosh's own MpWriter is not used: its helpers share one temporary directory
(the first to finish deletes the others' files), drop results that take longer
than a second, are forked while the parent holds the write lock (so a helper
outliving a killed parent keeps the index locked), and with procs > 1 it ignores
unique fields, so updates leave duplicates. Here the parent does every lookup,
deletion and the commit under its lock; helpers only turn documents into a
finished segment of their own, in a private temporary directory, and are fresh
interpreters (not forks) that hold no lock and exit when their input closes.
"""

from __future__ import annotations

import os
import pickle
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from whoosh.filedb.filestore import FileStorage

from ..analysis.analyzer import IndonesianAnalyzer
from ..errors import DiplosearchError, InvalidArgumentError
from ..schema import build_schema
from .columns import column_file_name, write_columns
from .columns_upgrade import build_columns
from .durable import INDEX_NAME, IndexStorage, pid_alive, restrict_mode
from . import lean_writer
from .lean_writer import LeanSegmentWriter, delete_written


class JoiningWriter(LeanSegmentWriter):
    """A Whoosh segment writer whose commit can take in segments written elsewhere
    (by helper processes), and which a helper can finish without committing.

    It is a :class:`~diplosearch.store.lean_writer.LeanSegmentWriter`: each segment it
    writes gets its column file from the writer's own postings when it is finished, and
    past its memory bound it writes several segments, all joining the same commit.
    """

    def _commit_toc(self, segments):  # type: ignore[no-untyped-def]
        # The storage records the checksums of these segments with the new TOC.
        self.storage.committing_segments = {segment.segment_id() for segment in segments}
        super()._commit_toc(segments)

    #: Running numbers (``written_count()`` when added) of this writer's documents
    #: superseded later in the same commit (a repeated id): Whoosh cannot delete them
    #: before their segment is finished.
    retracted: set[int]

    def commit_joining(self, extra_segments: Callable[[], list[object]] | None = None) -> None:
        """Commit, with the segments ``extra_segments()`` returns joining the new table
        of contents (called after this writer has flushed its own segment).

        Every segment of the new commit has its column file before the table of
        contents that lists it is renamed into place, so a reader never finds a
        committed segment without one (except in an index an older version wrote).
        """
        # SegmentWriter.commit(), with retractions, the helpers' segments and the
        # column files added before the TOC.
        self._check_state()
        final = self._merge_segments(None, False, True)
        own = list(self.finished_segments)
        if self._added:
            own.append(self._finalize_segment())  # merged documents join it, columns included
        else:
            self._close_segment()
        delete_written(own, getattr(self, "retracted", ()))
        final.extend(own)
        if extra_segments is not None:
            final.extend(extra_segments())
        # Only segments of an index written before column files existed lack one here.
        write_missing_columns(self.storage, self.schema, final)
        self._commit_toc(final)
        # Whoosh's _finish releases the write lock; the session releases it instead,
        # after what follows the commit (its score table), which another writer's
        # commit must not interleave with.
        lock, self.writelock = self.writelock, None
        try:
            self._finish()
        finally:
            self.writelock = lock

    def finish_segments(self) -> list[object]:
        """Finish this writer's segments (with their column files) without committing
        them; in write order, none when nothing was added. The writer is closed afterwards."""
        segments = list(self.finished_segments)
        if self._added:
            segments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._tempstorage.destroy()
        self.is_closed = True
        return segments

    def close_segment(self) -> None:
        """Close the files of the segment being written (it is then abandoned)."""
        self._close_segment()

    def destroy_temporary_files(self) -> None:
        """Delete this writer's temporary folder."""
        self._tempstorage.destroy()


def write_missing_columns(storage, schema, segments) -> None:  # type: ignore[no-untyped-def]
    """Write the column file of each of ``segments`` that has none yet, read back from
    the segment, fsync'ed unless the storage is not durable.

    New segments (merged documents included: Whoosh merges them into the writer's new
    segment) already have theirs from the writer's postings; what is left are segments
    of an index an older version wrote."""
    from whoosh.reading import SegmentReader

    for segment in segments:
        if os.path.exists(os.path.join(storage.folder, column_file_name(segment.segment_id()))):
            continue
        reader = SegmentReader(storage, schema, segment)
        try:
            columns = build_columns(reader, segment)
            write_columns(storage.folder, segment.segment_id(), columns, durable=getattr(storage, "durable", True))
        finally:
            reader.close()


#: Written documents in one commit before helper processes are started.
PARALLEL_MIN_DOCS = 1000
#: Documents sent to a helper at a time, and how many such chunks may wait for it.
_HELPER_CHUNK = 50
_HELPER_BACKLOG = 2
_HELPER_CODE = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from diplosearch.store.parallel import helper_main; helper_main()"
)


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _default_workers() -> int:
    return max(1, min(_usable_cpus(), 2))


def _can_start_helpers() -> bool:
    """Whether ``sys.executable`` is a Python that can run a helper: not in a frozen
    app, nor under an embedding server (uWSGI sets it to its own binary)."""
    name = Path(sys.executable or "").name.lower()
    return not getattr(sys, "frozen", False) and name.startswith(("python", "pypy"))


def _spare_cpu() -> bool:
    """Whether a CPU is idle besides the one this (indexing) process keeps busy.

    On a machine busy with other work a helper only competes with this process
    (measured: 0.83x at a load average of 3.5 on 2 CPUs), so the default then
    stays serial. Where Linux tells (``/proc/stat``), the CPUs idle over the next
    tenth of a second decide, this process sleeping meanwhile (so its own CPU counts
    as idle): at least 1.75 of them, one for this process and most of another. The
    1-minute load average, used elsewhere, lags: right after this process's own
    earlier work it reads busy on an idle machine (a 22k-article import then ran
    serial at 627 docs/s, where a helper doubles the rate). A tenth of a second that
    reads busy is watched again, up to :data:`_IDLE_SAMPLES` times: a CPU taken by other
    work reads busy every time, while the kernel's own bursts (writeback, a file
    system's journal) can take a few ticks of one: on an idle machine, one of five
    22k-article imports in a row read 1.6 idle CPUs and ran serial, half as fast.
    """
    for _ in range(_IDLE_SAMPLES):
        idle = _idle_cpus(_IDLE_SAMPLE_SECONDS)
        if idle is None:
            return _spare_cpu_by_load_average()
        if idle >= 1.75:
            return True
    return False


def _spare_cpu_by_load_average() -> bool:
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return True
    return _usable_cpus() - load >= 0.75


#: How long each look of :func:`_spare_cpu` at the CPUs lasts (it looks in a call to
#: ``add_many`` that reaches PARALLEL_MIN_DOCS documents, which take a second or more
#: to write).
_IDLE_SAMPLE_SECONDS = 0.1
#: How many looks :func:`_spare_cpu` takes at most before it judges the machine busy
#: (so a busy machine costs that call 0.3 s, against the seconds that writing
#: PARALLEL_MIN_DOCS documents serially takes).
_IDLE_SAMPLES = 3


def _cpu_times() -> dict[int, tuple[int, int]]:
    """Per CPU this process may run on, (all, idle) clock ticks since boot, from
    ``/proc/stat`` (idle counts I/O wait too).

    :raises OSError, ValueError, IndexError: no such file, or not in Linux's format."""
    try:
        allowed: set[int] | None = os.sched_getaffinity(0)
    except (AttributeError, OSError):
        allowed = None
    times = {}
    with open("/proc/stat", "rb") as stat:
        for line in stat:
            if not line.startswith(b"cpu"):
                break
            name, *values = line.split()
            if name == b"cpu":
                continue  # all CPUs together
            cpu = int(name[3:])
            if allowed is None or cpu in allowed:
                # user nice system idle iowait irq softirq steal (guest time is in user)
                ticks = [int(value) for value in values[:8]]
                times[cpu] = (sum(ticks), ticks[3] + ticks[4])
    return times


def _idle_cpus(seconds: float) -> float | None:
    """How many of this process's CPUs were idle over the next ``seconds``, or None
    where the system does not tell."""
    try:
        before = _cpu_times()
        time.sleep(seconds)
        after = _cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    seen = [cpu for cpu in before if cpu in after]  # a CPU may go offline meanwhile
    spent = sum(after[cpu][0] - before[cpu][0] for cpu in seen)
    idle = sum(after[cpu][1] - before[cpu][1] for cpu in seen)
    if spent <= 0:
        return None
    return len(seen) * idle / spent


def _send_frame(stream, message: object) -> None:  # type: ignore[no-untyped-def]
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(8, "little") + data)
    stream.flush()


def _recv_frame(stream):  # type: ignore[no-untyped-def]
    header = stream.read(8)
    if len(header) < 8:
        return None
    size = int.from_bytes(header, "little")
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


class _Helper:
    """One helper process, fed through a sender thread so the parent never blocks."""

    def __init__(self, path: Path, analyzer: IndonesianAnalyzer, durable: bool) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        self.process = subprocess.Popen(
            [sys.executable, "-c", _HELPER_CODE, package_root, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        self._outbox: queue.Queue = queue.Queue()
        self._results: queue.Queue = queue.Queue()
        self._outstanding = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._send_loop, daemon=True).start()
        threading.Thread(target=self._receive_loop, daemon=True).start()
        # The helper's writer holds as much in memory as this process's may.
        self._outbox.put(("open", str(path), analyzer, durable, lean_writer.DEFAULT_LIMIT_MB))

    def _send_loop(self) -> None:
        try:
            while True:
                message = self._outbox.get()
                if message is None:
                    break
                _send_frame(self.process.stdin, message)
        except (OSError, ValueError):
            pass  # the helper is gone; the receiver reports it
        finally:
            try:
                self.process.stdin.close()  # type: ignore[union-attr]
            except OSError:
                pass

    def _receive_loop(self) -> None:
        try:
            while True:
                message = _recv_frame(self.process.stdout)
                if message is None:
                    break
                if message[0] == "ack":
                    with self._lock:
                        self._outstanding -= 1
                else:
                    self._results.put(message)
        except Exception as exc:
            self._results.put(("error", f"{type(exc).__name__}: {exc}"))
        self._results.put(("error", "the helper process ended unexpectedly"))

    @property
    def ready(self) -> bool:
        with self._lock:
            return self._outstanding < _HELPER_BACKLOG

    def send_documents(self, chunk: list[dict[str, object]]) -> None:
        with self._lock:
            self._outstanding += 1
        self._outbox.put(("docs", chunk))

    def request_segment(self) -> None:
        self._outbox.put(("finish",))

    def segments(self) -> list[object]:
        """The segments the helper wrote in this round, in write order."""
        kind, value = self._results.get()
        if kind == "error":
            raise DiplosearchError(f"parallel indexing failed in a helper process: {value}")
        return value

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self._outbox.put(None)

    def close(self) -> None:
        self._outbox.put(None)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdout,):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass


class Helpers:
    """Hands written documents to helper processes when that pays, else to the writer.

    :param path, analyzer, durable: the index the helpers write segments for.
    :param workers: processes writing, this one included (see ``Index.add_many``).
    :raises InvalidArgumentError: ``workers`` is not a whole number >= 1.
    """

    def __init__(self, path: Path, analyzer: IndonesianAnalyzer, durable: bool, workers: int | None) -> None:
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise InvalidArgumentError(f"workers must be a whole number >= 1, not {workers!r}")
        self._index_spec = (path, analyzer, durable)
        self._auto = workers is None
        self._wanted = (_default_workers() if workers is None else workers) - 1
        self._helpers: list[_Helper] = []
        self._chunk: list[tuple[int, dict[str, object]]] = []
        self._in_round = 0
        # Counted over the whole call, not per commit, so that a long batch written
        # in many small commits (commit_every) still gets its helpers.
        self._in_call = 0
        self._used: list[_Helper] = []
        # Where each document of this round went (None: this process's writer) and
        # its number in that segment, so that a later record with its id can retract it.
        self._placed: dict[int, tuple[_Helper | None, int]] = {}
        self._sent: dict[_Helper, int] = {}
        self._retracted: dict[_Helper, set[int]] = {}

    def add_document(self, writer, fields: dict[str, object]) -> int:  # type: ignore[no-untyped-def]
        """Have ``fields`` written in this round; returns a token for :meth:`retract`."""
        self._in_round += 1
        self._in_call += 1
        token = self._in_round
        if self._wanted <= 0 or self._in_call <= PARALLEL_MIN_DOCS:
            self._write_here(writer, token, fields)
            return token
        if not self._helpers:
            if self._auto and not (_can_start_helpers() and _spare_cpu()):
                self._wanted = 0  # for the rest of this call
                self._write_here(writer, token, fields)
                return token
            self._helpers = [_Helper(*self._index_spec) for _ in range(self._wanted)]
        self._chunk.append((token, fields))
        if len(self._chunk) >= _HELPER_CHUNK:
            self._dispatch(writer)
        return token

    def retract(self, writer, token: int) -> None:  # type: ignore[no-untyped-def]
        """Leave the document added with ``token`` out of this round's commit (a later
        record with its id replaces it): deleted from its new segment at commit."""
        for position, (waiting, _fields) in enumerate(self._chunk):
            if waiting == token:
                del self._chunk[position]
                return
        where, number = self._placed.pop(token)
        if where is None:
            writer.retracted = getattr(writer, "retracted", set()) | {number}
        else:
            self._retracted.setdefault(where, set()).add(number)

    def _write_here(self, writer, token: int, fields: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
        self._placed[token] = (None, writer.written_count())  # the number the writer gives it
        writer.add_document(**fields)

    def _send(self, helper: _Helper, chunk: list[tuple[int, dict[str, object]]]) -> None:
        first = self._sent.get(helper, 0)
        for offset, (token, _fields) in enumerate(chunk):
            self._placed[token] = (helper, first + offset)
        self._sent[helper] = first + len(chunk)
        helper.send_documents([fields for _token, fields in chunk])

    def _dispatch(self, writer) -> None:  # type: ignore[no-untyped-def]
        chunk, self._chunk = self._chunk, []
        for helper in self._helpers:
            if helper.ready:
                self._send(helper, chunk)
                if helper not in self._used:
                    self._used.append(helper)
                return
        for token, fields in chunk:  # every helper is busy: this process takes the chunk
            self._write_here(writer, token, fields)

    def finish_round(self):  # type: ignore[no-untyped-def]
        """Ask the helpers used in this round for their segments (before the parent
        flushes its own, so that both happen at once); returns the collector."""
        if self._chunk:
            chunk, self._chunk = self._chunk, []
            self._used or self._used.append(self._helpers[0])
            self._send(self._used[0], chunk)
        used, self._used, self._in_round = self._used, [], 0
        retracted, self._retracted, self._placed, self._sent = self._retracted, {}, {}, {}
        if not used:
            return None
        for helper in used:
            helper.request_segment()

        def collect() -> list[object]:
            segments = []
            for helper in used:
                written = helper.segments()
                delete_written(written, retracted.get(helper, ()))
                segments.extend(written)
            return segments

        return collect

    def close(self) -> None:
        for helper in self._helpers:
            helper.close()
        self._helpers = []

    def kill(self) -> None:
        """Stop every helper at once (a failed commit), so none writes after the clean-up."""
        for helper in self._helpers:
            helper.kill()
        if self._helpers:  # a killed helper cannot remove its temporary folder itself
            remove_dead_helper_folders(self._index_spec[0])
        self._helpers = []
        self._chunk, self._used, self._in_round = [], [], 0
        self._placed, self._sent, self._retracted = {}, {}, {}


def remove_dead_helper_folders(path: Path) -> None:
    """Remove the temporary folders of helpers that died (killed with their parent)."""
    for leftover in path.glob(f".{INDEX_NAME}.worker-*.tmp"):
        pid = leftover.name.split("-")[1].split(".")[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


class _HelperStorage(IndexStorage):
    """The index's directory, with temporary files in a private, pid-named folder."""

    def temp_storage(self, name=None):  # type: ignore[no-untyped-def]
        storage = FileStorage.temp_storage(self, f".{INDEX_NAME}.worker-{os.getpid()}.tmp")
        restrict_mode(storage.folder)
        return storage


def helper_main() -> None:
    """A helper process: read documents from stdin, write one segment per round,
    report it on stdout. It never takes the lock or writes a table of contents."""
    inbox = sys.stdin.buffer
    outbox = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print must not corrupt the replies
    whoosh_index = None
    writer = None
    try:
        while True:
            message = _recv_frame(inbox)
            if message is None:
                break  # the parent finished or died
            if message[0] == "open":
                _kind, path, analyzer, durable, limit_mb = message
                lean_writer.DEFAULT_LIMIT_MB = limit_mb
                storage = _HelperStorage(path, durable=durable)
                whoosh_index = storage.open_index(INDEX_NAME, schema=build_schema(analyzer))
            elif message[0] == "docs":
                if writer is None:
                    writer = JoiningWriter(whoosh_index, _lk=False)
                for fields in message[1]:
                    writer.add_document(**fields)
                _send_frame(outbox, ("ack",))
            elif message[0] == "finish":
                segments = []
                if writer is not None:
                    segments = writer.finish_segments()
                    writer = None
                _send_frame(outbox, ("segments", segments))
    except BaseException as exc:  # reported to the parent, which aborts its commit
        try:
            _send_frame(outbox, ("error", f"{type(exc).__name__}: {exc}"))
        except Exception:
            pass
    finally:
        if writer is not None and not writer.is_closed:
            for step in (writer.close_segment, writer.destroy_temporary_files):
                try:
                    step()
                except Exception:
                    pass
