"""What readers share: one commit's Whoosh reader and columns, swapped when stale.

A :class:`Snapshot` is one commit as readers see it: Whoosh's reader (stored
fields, the table of contents' deletions) and the commit's column files, which the
numpy scorer reads. A Whoosh searcher over the reader (lookups by id) is made only
when something asks for one: importing ``whoosh.searching`` loads Whoosh's query,
highlighting and English morphology modules, which a search does not use.

Scoring touches only the memory-mapped, read-only columns, so any number of threads
score at once without a lock. Stored fields are read with positional reads
(:mod:`.stored_reads`), so threads read them at once too; where that path does not
apply, Whoosh's readers seek and read one shared file object, and reading takes the
snapshot's own short lock (a page of hits, never a whole query's work). A snapshot keeps the
documents it decoded most recently (:data:`DOCUMENT_CACHE_SIZE`): a commit never
changes them, and a page read again (a repeated query, a popular article) then skips
Whoosh's decompression and unpickling.

:class:`SnapshotHolder` hands out the current snapshot. Only checking for a newer
commit and swapping in its snapshot take the holder's lock; a replaced snapshot is
closed when the last reader using it lets go, so a swap never pulls files from under
a running search.
"""

from __future__ import annotations

import bisect
import os
import threading
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Sequence, TypeVar

from ..errors import ColumnsError, CorruptIndexError, DiplosearchError, IndexClosedError, IndexNotFoundError
from ..schema import document_from_stored
from .column_files import check_in_background, forget_opened
from .lazy_log import LOG
from .manifest import has_manifest
from .stored_reads import positional_reader
from .swap import finish_interrupted_swap

if TYPE_CHECKING:
    from ..documents import Document

_log = LOG

T = TypeVar("T")

#: Decoded documents one snapshot keeps, the most recently read.
DOCUMENT_CACHE_SIZE = 1024


def missing_or_corrupt(path: Path, exc: BaseException) -> DiplosearchError:
    """The error for an index that could not be read: :class:`IndexNotFoundError` when
    its directory (or manifest) has gone since it was opened, else :class:`CorruptIndexError`."""
    if not has_manifest(path):
        return IndexNotFoundError(f"{path}: the index is gone (its directory was removed or emptied while open)")
    return CorruptIndexError(f"{path}: cannot read the index ({type(exc).__name__}: {exc})")


def directory_identity(path: "Path | str") -> tuple[int, int] | None:
    """(device, inode) of ``path``: a rebuild swaps in a new directory whose commit
    generations may equal the old one's, so staleness checks compare this too."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


class Snapshot:
    """One commit of an index as readers see it."""

    def __init__(self, path: Path, opened: "OpenedCommit", directory: tuple[int, int] | None,
                 columns_cache: dict[str, Any], holder: "SnapshotHolder | None" = None,
                 previous_columns: Any = None) -> None:
        """``previous_columns``: the loaded columns of the snapshot this one replaces;
        what they derived from their segments is taken over if this commit has the
        same segments (see ``_take_over``)."""
        self.path = path
        self._previous_columns = previous_columns
        self._holder = holder
        self.reader = opened.reader
        self._whoosh_index = opened.whoosh_index
        self._searcher: Any = None
        self._searcher_lock = threading.Lock()
        self.directory = directory
        self.stored_lock = threading.Lock()
        self._columns = None
        self._columns_lock = threading.Lock()
        # Column files are mapped with each text field's array verified on its first
        # read; after one was found damaged, the columns reloaded verify all at once
        # (so the damaged file is found and rebuilt: see forget_damaged_columns).
        self._verify_columns_now = False
        self._columns_cache = columns_cache
        self._users = 0
        self._retired = False
        self._documents: OrderedDict[int, Document] = OrderedDict()
        self._read_stored: Callable[[int], dict[str, object]] | None = None
        #: Whether ``_read_stored`` reads with positional reads (no lock needed).
        self._reads_positional = False
        self._table_of_contents = _TableOfContents.of(path, opened.whoosh_index, self.reader.generation())

    @property
    def searcher(self) -> Any:
        """A Whoosh searcher over this commit's reader, made on first use (closing the
        snapshot closes it)."""
        if self._searcher is None:
            with self._searcher_lock:
                if self._searcher is None:
                    from whoosh.scoring import BM25F
                    from whoosh.searching import Searcher

                    self._searcher = Searcher(self.reader, fromindex=self._whoosh_index, weighting=BM25F())
        return self._searcher

    @property
    def columns(self):  # type: ignore[no-untyped-def]
        """The commit's :class:`~diplosearch.store.commit_columns.CommitColumns`, loaded on first use
        (column files missing or damaged, as in an index 1.0 wrote, are rebuilt then)."""
        if self._columns is None:
            with self._columns_lock:
                if self._columns is None:
                    self._columns = self._load_columns()
        return self._columns

    def _load_columns(self):  # type: ignore[no-untyped-def]
        from .commit_columns import CommitColumns

        def report(problem: Exception, write_error: OSError | None) -> None:
            _log.warning("%s: building the search columns (%s)%s; this happens once", self.path, problem,
                         f", but they cannot be saved ({write_error})" if write_error is not None else "")

        try:
            with self.stored_lock:  # building columns reads the segment through Whoosh
                columns = CommitColumns.from_searcher(
                    str(self.path), _ReaderOnly(self.reader), cache=self._columns_cache,
                    verify=self._verify_columns_now, on_rebuild=report,
                )
        except DiplosearchError:
            raise
        except Exception as exc:
            raise CorruptIndexError(
                f"{self.path}: cannot read the index's columns ({type(exc).__name__}: {exc})"
            ) from exc
        previous, self._previous_columns = self._previous_columns, None
        if previous is not None:
            _take_over(columns, previous)
        # Column files opened ahead but not taken (a dead segment's, not yet cleaned up)
        # would otherwise stay mapped for as long as the process lives.
        forget_opened(self.path)
        live = {view.columns.segment_id for view in columns.segments}
        for segment_id in list(self._columns_cache):
            if segment_id not in live:
                self._columns_cache.pop(segment_id, None)
        return columns

    def forget_damaged_columns(self) -> bool:
        """Drop loaded columns in which reading an array found damage, so that the next
        use of :attr:`columns` verifies their files whole and rebuilds them; True if
        there were any."""
        with self._columns_lock:
            columns = self._columns
            damaged = {view.columns.segment_id for view in columns.segments if view.columns.damaged} if columns else set()
            if not damaged:
                return False
            for segment_id in damaged:
                self._columns_cache.pop(segment_id, None)
            self._verify_columns_now = True
            self._columns = None
            return True

    def documents(self, docnums: Sequence[int]) -> list["Document"]:
        """The documents at commit-wide ``docnums``, in that order (decoded once while
        among the :data:`DOCUMENT_CACHE_SIZE` read most recently).

        :raises CorruptIndexError: a document's stored fields cannot be read.
        """
        try:
            return self._documents_read(docnums)
        except DiplosearchError:
            raise
        except Exception as exc:  # Whoosh reports a damaged stored-fields file in many ways
            raise CorruptIndexError(
                f"{self.path}: cannot read stored documents ({type(exc).__name__}: {exc})"
            ) from exc

    def _documents_read(self, docnums: Sequence[int]) -> list["Document"]:
        found: dict[int, Document] = {}
        with self.stored_lock:
            for docnum in docnums:
                document = self._documents.get(docnum)
                if document is not None:
                    self._documents.move_to_end(docnum)
                    found[docnum] = document
            read = self._stored_reader()
            wanted = [docnum for docnum in dict.fromkeys(docnums) if docnum not in found]
            stored = [] if self._reads_positional else [(docnum, read(docnum)) for docnum in wanted]
        if self._reads_positional:  # no shared file offset: threads read at once
            stored = [(docnum, read(docnum)) for docnum in wanted]
        decoded = {docnum: document_from_stored(fields) for docnum, fields in stored}
        if decoded:
            with self.stored_lock:
                self._documents.update(decoded)
                while len(self._documents) > DOCUMENT_CACHE_SIZE:
                    self._documents.popitem(last=False)
            found.update(decoded)
        return [found[docnum] for docnum in docnums]

    def deferred_documents(self) -> "DeferredDocuments":
        """A reader of this snapshot's documents for after the block that holds it
        (hits whose documents are read when first asked for)."""
        if self._holder is None:
            raise DiplosearchError(f"{self.path}: this snapshot cannot be held past its block")
        return DeferredDocuments(self._holder, self)

    def _stored_reader(self) -> Callable[[int], dict[str, object]]:
        """A function reading the stored fields of a commit-wide doc number straight from
        its segment's stored-fields column (make it holding :attr:`stored_lock`, and
        call it holding the lock too unless :attr:`_reads_positional`).

        Whoosh's ``SegmentReader.stored_fields`` copies the same dict keeping only the
        fields its schema names (about a third of a read's time); the decoder reads the
        fields it knows by name, so that copy is skipped. Each document is read with
        one positional read where Whoosh's column has its usual shape
        (:mod:`.stored_reads`), else through the column's reader; a reader of another
        shape (none of diplosearch's) is read through Whoosh's public method."""
        if self._read_stored is None:
            positional = positional_reader(list(self.reader.leaf_readers()))
            if positional is not None:
                self._reads_positional = True
                self._read_stored = positional
                return positional
            leaves = [(offset, getattr(leaf, "_perdoc", None)) for leaf, offset in self.reader.leaf_readers()]
            if not leaves or any(perdoc is None or not hasattr(perdoc, "stored_fields") for _o, perdoc in leaves):
                reader = self.reader
                self._read_stored = lambda docnum: dict(reader.stored_fields(docnum))
            else:
                offsets = [offset for offset, _perdoc in leaves]
                readers = [perdoc.stored_fields for _offset, perdoc in leaves]

                def read(docnum: int) -> dict[str, object]:
                    segment = bisect.bisect_right(offsets, docnum) - 1
                    fields = readers[segment](docnum - offsets[segment])
                    return dict(fields) if fields else {}

                self._read_stored = read
        return self._read_stored

    def up_to_date(self, directory: tuple[int, int] | None) -> bool:
        """Whether this is still the index's newest commit: two system calls (see
        :class:`_TableOfContents`), or the folder listing when those cannot tell."""
        if directory != self.directory:
            return False
        if self._table_of_contents is not None:
            return self._table_of_contents.still_newest()
        return self._whoosh_index.latest_generation() == self.reader.generation()

    def _close(self) -> None:
        try:
            # A searcher closes its reader.
            (self._searcher if self._searcher is not None else self.reader).close()
        except Exception:
            _log.debug("closing a reader of %s failed", self.path, exc_info=True)


def _take_over(columns: Any, previous: Any) -> None:
    """What a commit with the same segments as the one this process read before (a
    commit that only deleted) takes over from it: what was derived from the segments
    alone (deletions change none of it) and the score table already checked."""
    if columns.folder != previous.folder or columns.segment_signature() != previous.segment_signature():
        return
    from .score_table import adopt_table, table_in_use

    columns.segment_derived = previous.segment_derived
    in_use = table_in_use(previous)
    if in_use is not None:
        adopt_table(columns, in_use)


class _TableOfContents:
    """A commit's table of contents (``_MAIN_<generation>.toc``), to tell cheaply
    whether a newer commit exists.

    Whoosh writes commit ``g + 1`` after ``g`` (a writer's generation is the newest
    one plus 1) and then deletes every other generation's table of contents; one is
    never rewritten in place. So commit ``g`` is still the newest while its file is the
    same one (inode, size, modification time) and ``g + 1``'s does not exist: two
    system calls, where listing the folder cost a few percent of a query. An index
    recreated in place that reaches the same generation has a new file (the folder
    listing missed that); a rebuild swaps the folder, which :func:`directory_identity`
    catches.
    """

    def __init__(self, path: str, identity: tuple[int, int, int], next_path: str) -> None:
        self.path, self.identity, self.next_path = path, identity, next_path

    @classmethod
    def of(cls, folder: Path, whoosh_index: Any, generation: int) -> "_TableOfContents | None":
        """The table of contents of commit ``generation``; None when it cannot be
        found (already replaced by a newer commit, or not a Whoosh file index)."""
        name = getattr(whoosh_index, "indexname", None)
        if not isinstance(name, str) or not isinstance(generation, int):
            return None
        path = os.path.join(folder, f"_{name}_{generation}.toc")
        try:
            info = os.stat(path)
        except OSError:
            return None
        return cls(path, _file_identity(info), os.path.join(folder, f"_{name}_{generation + 1}.toc"))

    def still_newest(self) -> bool:
        try:
            if _file_identity(os.stat(self.path)) != self.identity:
                return False
        except OSError:
            return False
        # access() answers without raising: an absent file's FileNotFoundError cost
        # more than the system call
        return not os.access(self.next_path, os.F_OK)


def _file_identity(info: os.stat_result) -> tuple[int, int, int]:
    return (info.st_ino, info.st_size, info.st_mtime_ns)


class DeferredDocuments:
    """Reads documents from one snapshot after the search that found them has ended.

    While it exists, the snapshot stays open (as a running search keeps it): a newer
    commit, or closing the index, closes the snapshot only once every
    ``DeferredDocuments`` made from it has been dropped. So a hit's document is always
    the one in the commit searched, however long the caller keeps the hit.
    """

    def __init__(self, holder: "SnapshotHolder", snapshot: Snapshot) -> None:
        holder.hold(snapshot)
        self._holder = holder
        self._snapshot = snapshot
        self._pid = os.getpid()
        self._released = weakref.finalize(self, holder.release, snapshot)

    def document(self, docnum: int) -> "Document":
        """The document at commit-wide ``docnum`` of the snapshot held.

        In a process forked after the search, the snapshot's open files are the
        parent's too (reading through them would move the parent's file offsets): the
        document is read from this process's own snapshot of the same commit.

        :raises CorruptIndexError: its stored fields cannot be read.
        :raises DiplosearchError: forked after the search, and the commit searched is
            no longer the newest.
        """
        if os.getpid() == self._pid:
            return self._snapshot.documents([docnum])[0]
        return self._holder.documents_of(self._snapshot, [docnum])[0]


class OpenedCommit(NamedTuple):
    """What :class:`SnapshotHolder`'s ``open_commit`` returns: the newest commit's
    Whoosh reader and the Whoosh index it came from (for the newest generation)."""

    whoosh_index: Any
    reader: Any


class _ReaderOnly:
    """What ``CommitColumns.from_searcher`` reads of a searcher (its reader), without
    making one."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader

    def reader(self) -> Any:
        return self._reader


class SnapshotHolder:
    """Hands out the newest committed snapshot of one index."""

    def __init__(self, path: Path, open_commit: Callable[[], OpenedCommit]) -> None:
        self._path = path
        self._path_text = os.fspath(path)  # os.stat of a str skips pathlib's conversions
        self._open_commit = open_commit
        # Reentrant: a DeferredDocuments collected by the cycle collector releases its
        # snapshot from whatever this thread was doing, possibly inside this lock.
        self._lock = threading.RLock()
        self._current: Snapshot | None = None
        self._columns_cache: dict[str, Any] = {}
        self._closed = False
        self._checked_ahead = False
        self._pid = os.getpid()

    def _forget_parent_state(self) -> None:
        """In a child made by ``os.fork()``, drop the parent's snapshot (its open files
        share their read offsets with the parent) and lock (a parent thread may have
        held it at the fork)."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._lock = threading.RLock()
            self._current = None  # not closed: its files are the parent's too
            self._columns_cache = {}

    def acquire(self) -> Snapshot:
        """The up-to-date snapshot, marked as in use until :meth:`release`."""
        self._forget_parent_state()
        with self._lock:
            if self._closed:
                raise IndexClosedError(f"{self._path}: the index has been closed")
            try:
                current = self._newest()
            except DiplosearchError:
                raise
            except Exception as exc:
                # Between the two renames of a rebuild's swap the index is missing for a
                # moment: finish the swap (any process may) and read the new index.
                if not finish_interrupted_swap(self._path):
                    raise missing_or_corrupt(self._path, exc) from exc
                try:
                    current = self._newest()
                except DiplosearchError:
                    raise
                except Exception as again:
                    raise missing_or_corrupt(self._path, again) from again
            current._users += 1
            return current

    def _newest(self) -> Snapshot:
        """The snapshot of the newest commit, opened if the one held is stale (call
        holding the lock)."""
        current = self._current
        directory = directory_identity(self._path_text)
        previous_columns = None
        if current is not None and not current.up_to_date(directory):
            # Not Searcher.refresh(): it reuses segment readers by segment id
            # and so misses deletions committed to an existing segment since.
            previous_columns = current._columns
            self._retire(current)
            current = self._current = None
        if current is None:
            current = self._current = Snapshot(
                self._path, self._open_commit(), directory, self._columns_cache, self, previous_columns
            )
        return current

    def documents_of(self, searched: Snapshot, docnums: Sequence[int]) -> list["Document"]:
        """The documents at ``docnums`` of the commit ``searched`` saw, read through this
        process's current snapshot (for hits carried across ``os.fork()``).

        :raises DiplosearchError: that commit is no longer the newest.
        """
        own = self.acquire()
        try:
            if (own.reader.generation(), own.directory) != (searched.reader.generation(), searched.directory):
                raise DiplosearchError(
                    f"{self._path}: these hits were found before os.fork() in a commit that is no longer "
                    "the newest; search again to read their documents"
                )
            return own.documents(docnums)
        finally:
            self.release(own)

    def reading_columns(self, run: Callable[[], T]) -> T:
        """``run()``, a search that reads the current snapshot's columns.

        The first starts checking the column files' checksums in the background (see
        :mod:`~diplosearch.store.column_files`): meanwhile it imports numpy and parses.
        If ``run`` reads a damaged column array (each is verified on its first read),
        the damaged columns are dropped and ``run`` runs once more, which rebuilds them
        first (or, when another thread already did, uses the rebuilt ones).
        """
        if not self._checked_ahead:
            self._checked_ahead = True
            check_in_background(self._path)
        try:
            return run()
        except ColumnsError:
            with self._lock:
                current = self._current
            if current is not None:
                current.forget_damaged_columns()
            return run()

    def hold(self, snapshot: Snapshot) -> None:
        """Mark ``snapshot`` (handed out by :meth:`acquire` and still held) as in use
        once more, until a matching :meth:`release`."""
        with self._lock:
            snapshot._users += 1

    def release(self, snapshot: Snapshot) -> None:
        with self._lock:
            snapshot._users -= 1
            if snapshot._retired and snapshot._users == 0:
                snapshot._close()

    def _retire(self, snapshot: Snapshot) -> None:
        snapshot._retired = True
        if snapshot._users == 0:
            snapshot._close()

    def generation(self) -> int | None:
        """The commit generation of the snapshot readers hold now, if any."""
        with self._lock:
            return None if self._current is None else self._current.reader.generation()

    def close(self) -> None:
        self._forget_parent_state()
        with self._lock:
            if self._current is not None:
                self._retire(self._current)
                self._current = None
            self._closed = True
            # The holder and its Index refer to each other (open_commit is the Index's
            # method): dropping the columns here frees them at close, not whenever the
            # cyclic garbage collector next runs (about 65 MB at 22k articles).
            self._columns_cache = {}
        forget_opened(self._path)


class Using:
    """``with Using(holder) as snapshot:`` holds the current snapshot for a block."""

    def __init__(self, holder: SnapshotHolder) -> None:
        self._holder = holder
        self._snapshot: Snapshot | None = None

    def __enter__(self) -> Snapshot:
        self._snapshot = self._holder.acquire()
        return self._snapshot

    def __exit__(self, *exc_info: object) -> None:
        assert self._snapshot is not None
        self._holder.release(self._snapshot)

