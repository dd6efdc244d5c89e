"""The write lock of an index: taking it, waiting for it, the note naming its holder,
and :class:`WriteSession`, one Whoosh writer under the lock that commits or aborts.

The lock is Whoosh's own (the ``MAIN_WRITELOCK`` file and an OS file lock), so the
OS releases it when its holder dies: a lock is never "stale" in the sense of
blocking anyone, and diplosearch never deletes the lock file. While held, the file
names its holder ("pid host time"); that note lets a waiting writer say who holds
the lock, and lets the next writer notice that the previous one died mid-write.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from whoosh.util.filelock import FileLock

from ..errors import CorruptIndexError, DiplosearchError, IndexClosedError, IndexLockedError, IndexNotFoundError
from .durable import INDEX_NAME, abort, commit, release_quietly, remove_uncommitted_files, restrict_mode
from .integrity import corrupt_error, damaged_files, describe
from .manifest import has_manifest
from .parallel import JoiningWriter, remove_dead_helper_folders
from .swap import finish_interrupted_swap



class LockableIndex(Protocol):
    """The state of an index that its writes use (:class:`~diplosearch.index.Index`
    is the one): named here, so this module, which ``Index`` calls, imports nothing of it."""

    path: Path
    writer_timeout: float
    _whoosh: Any
    """The Whoosh ``FileIndex`` writes go through."""
    _schema: Any
    _closed: bool
    _write_lock: threading.Lock
    """Held by the one writing thread of this process."""
    _writing_thread: int | None
    """The ident of the thread holding ``_write_lock``, while one does."""
    _verified_files: Any

    def _after_commit(self, written_in_call: int, call_finished: bool) -> None:
        """Called after each commit, the write lock still held; must not raise."""

    def _refuse_other_analysis(self) -> None:
        """Raise if the directory now holds an index of another analysis."""

    def _forget_parent_state(self) -> None:
        """Drop locks and handles inherited from a parent process (after a fork)."""

_log = logging.getLogger("diplosearch")


class WriteLock(FileLock):
    """Whoosh's write lock plus a note in the file naming its holder.

    ``previous_holder`` is the note found on acquiring: a note left behind means the
    previous holder died without releasing the lock (a clean release erases it).
    """

    previous_holder: str | None = None

    def acquire(self, blocking: bool = False) -> bool:
        # Created here, not by Whoosh, whose os.open gives mode 0777 minus the umask.
        os.close(os.open(self.filename, os.O_WRONLY | os.O_CREAT, 0o644))
        if not super().acquire(blocking):
            return False
        restrict_mode(self.fd)
        try:
            self.previous_holder = read_lock_note(self.filename)
            now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
            note = f"{os.getpid()} {socket.gethostname()} {now}\n"
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, note.encode("utf-8", "replace"), 0)
        except (OSError, AttributeError):  # the note is best-effort (a full disk, say)
            pass
        return True

    def release(self) -> None:
        if self.fd is None:
            return  # released already (a failed commit releases it on its way out)
        try:
            os.ftruncate(self.fd, 0)
        except OSError:
            pass
        super().release()


def read_lock_note(lock_path: str) -> str | None:
    """The holder note in a lock file ("pid host time"), or None if there is none."""
    try:
        with open(lock_path, "rb") as handle:
            text = handle.read(200).decode("utf-8", "replace").strip()
    except OSError:
        return None
    return text or None


def describe_holder(note: str | None) -> str:
    """`` (process PID on HOST, since TIME)`` for a holder note, to append to a message."""
    if not note:
        return ""
    pid, _, rest = note.partition(" ")
    host, _, since = rest.partition(" ")
    return f" (process {pid} on {host}, since {since})" if since else f" ({note})"


def take_write_lock(path: Path, deadline: float, timeout: float) -> WriteLock:
    """The write lock of the index at ``path``, waiting for it until ``deadline``
    (a ``time.monotonic()`` value); ``timeout`` is only for the message."""
    lock = WriteLock(str(path / f"{INDEX_NAME}_WRITELOCK"))
    note = None
    while True:
        # Between the two renames of a rebuild's swap the index is missing for a
        # moment: finish the swap (any process may) and write into the new index. An
        # index removed for good is refused, not given a lock file in its place.
        if not has_manifest(path) and not finish_interrupted_swap(path):
            raise IndexNotFoundError(f"{path}: the index is gone (its directory was removed or emptied while open)")
        try:
            if lock.acquire():
                return lock
        except PermissionError as exc:
            raise DiplosearchError(
                f"{path}: permission denied for the write lock {lock.filename}: this user may "
                f"not write to the index ({exc.strerror})"
            ) from exc
        except OSError as exc:
            if isinstance(exc, FileNotFoundError) and not has_manifest(path):
                continue  # removed since the check above, which tells which way
            raise DiplosearchError(
                f"{path}: cannot take the write lock ({exc}); is the index on a file "
                f"system without file locking?"
            ) from exc
        note = read_lock_note(lock.filename) or note
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise IndexLockedError(
                f"{path} is locked by another writer{describe_holder(note)}; waited {timeout:g} s"
            )
        time.sleep(min(0.05, remaining))


class WriteSession:
    """One Whoosh writer under the index's write lock: commit on success, abort on error.

    Whatever happens (an exception while writing, a failing commit, a full disk, a
    KeyboardInterrupt), the write lock is released on the way out and a commit is
    either wholly in place or not at all. ``extra_segments`` (set by parallel
    indexing) is called after this writer has flushed its own segment and returns
    finished segments written by helper processes, which join the same commit.
    """

    def __init__(self, index: LockableIndex) -> None:
        self._index = index
        self._writer = None
        self.extra_segments = None
        self.discard = False
        self.on_abort = None  # stops helper processes before their files are removed
        #: Documents the write call has written so far, this commit's included, and
        #: whether this is the call's last commit (set by a batch's rounds).
        self.written_in_call = 0
        self.call_finished = True

    def __enter__(self):  # type: ignore[no-untyped-def]
        index = self._index
        if index._closed:
            raise IndexClosedError(f"{index.path}: the index has been closed")
        index._forget_parent_state()
        if index._writing_thread == threading.get_ident():
            # The lock is not reentrant: waiting for it here would wait for ourselves.
            raise IndexLockedError(
                f"{index.path}: this thread is already writing to the index (a write started "
                f"from a progress callback?); write after that write returns"
            )
        deadline = time.monotonic() + index.writer_timeout
        self._thread_lock = index._write_lock
        # Lock.acquire takes -1, not infinity, for "wait as long as it takes"
        wait = -1 if index.writer_timeout == math.inf else max(index.writer_timeout, 0)
        if not self._thread_lock.acquire(timeout=wait):
            raise IndexLockedError(
                f"{index.path} is locked by another writer in this process "
                f"(waited {index.writer_timeout:g} s)"
            )
        try:
            self._writer = open_writer(index, deadline)
        except BaseException:
            self._thread_lock.release()
            raise
        index._writing_thread = threading.get_ident()
        return self._writer

    def __exit__(self, exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
        index, writer = self._index, self._writer
        try:
            if exc_type is None and not self.discard:
                commit(index._whoosh, index.path, writer, self.extra_segments, self.on_abort)
                index._after_commit(self.written_in_call, self.call_finished)
            elif exc_type is None:
                abort(index._whoosh, index.path, writer, on_abort=self.on_abort)  # also removes its empty segment files
                if self.written_in_call:  # a call's last round found nothing left: its commits are done now
                    index._after_commit(self.written_in_call, self.call_finished)
            else:
                abort(index._whoosh, index.path, writer, on_abort=self.on_abort)
                if isinstance(exc, OSError):
                    raise DiplosearchError(
                        f"{index.path}: writing failed, nothing was committed and the previous "
                        f"commit is intact ({exc})"
                    ) from exc
        finally:
            release_quietly(writer)
            index._writing_thread = None
            self._thread_lock.release()


def open_writer(index: LockableIndex, deadline: float):  # type: ignore[no-untyped-def]
    """Take the index's write lock (waiting until ``deadline``) and start a Whoosh writer."""
    lock = take_write_lock(index.path, deadline, index.writer_timeout)
    try:
        if lock.previous_holder:
            _recover_after_dead_writer(index, lock.previous_holder)
        index._refuse_other_analysis()
        _refuse_damaged(index)
        try:
            writer = JoiningWriter(index._whoosh, _lk=False)
        except (OSError, DiplosearchError):
            raise
        except Exception as exc:  # a table of contents Whoosh cannot read
            raise corrupt_error(index.path, "start writing", exc) from exc
    except BaseException as exc:
        remove_uncommitted_files(index._whoosh.storage, index._schema, index.path)  # what the failed writer had created (lock held)
        lock.release()
        if isinstance(exc, OSError):
            raise DiplosearchError(
                f"{index.path}: cannot start writing, nothing was committed and the previous "
                f"commit is intact ({exc})"
            ) from exc
        raise
    writer.writelock = lock  # Whoosh releases it when the writer finishes
    return writer


def _refuse_damaged(index: LockableIndex) -> None:
    """Raise :class:`CorruptIndexError` if a file of the commit this writer starts from
    differs from its checksum: a commit on top would merge the damage into new
    segments and record it as good."""
    problems = damaged_files(index.path, verified=index._verified_files)
    if problems:
        raise CorruptIndexError(
            f"{index.path}: refusing to write to a damaged index: {describe(problems)}; "
            f"`diplosearch check --index {index.path}` tells whether `rebuild` can recover it"
        )


def _recover_after_dead_writer(index: LockableIndex, note: str) -> None:
    """Clean up after a writer that died holding the lock (we hold it now).

    Its uncommitted segment files are not in any table of contents; they are
    removed with Whoosh's own clean-up, as a commit would. Nothing committed is
    touched, and the lock file itself is never deleted.
    """
    _log.warning("%s: the previous writer%s ended without releasing the write lock; "
                 "removing its uncommitted files", index.path, describe_holder(note))
    remove_uncommitted_files(index._whoosh.storage, index._schema, index.path)
    remove_dead_helper_folders(index.path)
