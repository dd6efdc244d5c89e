"""The :class:`IndexStore` class, the store's side of an index: opening and creating
an index directory, reading it (one shared, self-refreshing Whoosh reader) and writing
it (one commit per call, under the write lock), and replacing the whole directory for
a rebuild.

Layout of an index directory::

    diplosearch.json   manifest: format, analysis version, creation time
    MAIN_WRITELOCK     Whoosh's write lock (an OS file lock, released if its owner dies);
                       while held it names its holder ("pid host time")
    _MAIN_<n>.toc      Whoosh's table of contents (the commit point), *.seg segments
    MAIN.tmp/, .MAIN.worker-<pid>.tmp/   a writer's and its helpers' temporary files

Writes go through one Whoosh writer per call and become visible only at commit,
when the new table of contents is renamed into place (after the segment and the
TOC are fsync'ed): a crash or an exception before that leaves the previous commit
as it was, and the next writer removes what the failed one left.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Self, Sequence, TypeVar

import whoosh.index
from whoosh.index import EmptyIndexError

from ..analysis.analyzer import IndonesianAnalyzer
from ..documents import Document, InputProblem, cleaned_id, id_argument, validate_document
from ..errors import (
    CorruptIndexError,
    DiplosearchError,
    IndexClosedError,
    IndexVersionError,
    InvalidArgumentError,
    NotAnIndexError,
)
from ..schema import build_schema, document_from_stored
from .batches import write_round
from .durable import INDEX_NAME, IndexStorage, fsync_directory, make_directory, restrict_mode
from .integrity import CheckReport, CommitChecksums, corrupt_error, noting_outdated, reported_as_damage, verify_index
from .manifest import MANIFEST_NAME, new_manifest, read_manifest, version_problem, write_manifest
from .ownership import refuse_unsafe
from .snapshot import OpenedCommit, SnapshotHolder, Using
from .swap import finish_interrupted_swap, replace_directory, sweep_dead_leftovers

if TYPE_CHECKING:  # imported by the writes and stats() that make reports: a search never loads them
    from .reports import DeleteReport, IndexStats, ProgressCallback, WriteReport

#: How long a writer waits for another writer to finish, in seconds.
DEFAULT_WRITER_TIMEOUT = 30.0
T = TypeVar("T")


class CreatedConcurrently(NotAnIndexError):
    """Another process created the index while this one was building it."""


class IndexStore:
    """An open index directory: its snapshots, writes and rebuild. The public
    :class:`diplosearch.Index` adds searching (above the store, which never calls up
    into the search modules). Create one with :func:`diplosearch.open_index`.

    Searching is thread-safe and reuses one Whoosh reader, refreshed when another
    writer (thread or process) has committed. Writing takes the index's write lock
    for the duration of one call; every call commits once, or not at all.
    """

    def __init__(
        self,
        path: Path,
        whoosh_index: whoosh.index.Index,
        analyzer: IndonesianAnalyzer,
        manifest: dict[str, object],
        writer_timeout: float = DEFAULT_WRITER_TIMEOUT,
        durable: bool = True,
        check_version: bool = True,
    ) -> None:
        self.path = path
        self.durable = durable
        self._check_version = check_version
        self.analyzer = analyzer
        self.manifest = manifest
        self.writer_timeout = writer_timeout
        self._whoosh = whoosh_index
        self._schema = build_schema(analyzer)
        self._write_lock = threading.Lock()
        self._writing_thread: int | None = None
        self._snapshots = SnapshotHolder(path, self._open_commit)
        self._closed = False
        self._pid = os.getpid()
        #: Files a writer found equal to their checksums (see ``integrity.damaged_files``).
        self._verified_files: set[tuple[str, int, int, int]] = set()
        #: True for the default index, which diplosearch builds and rebuilds itself.
        self.managed = False

    def _open_commit(self) -> OpenedCommit:
        """A Whoosh reader of the newest commit, reading files without memory maps."""
        self._refuse_other_analysis()
        storage = IndexStorage(str(self.path), durable=self.durable, memory_map=False)
        whoosh_index = storage.open_index(INDEX_NAME, schema=self._schema)
        return OpenedCommit(whoosh_index, whoosh_index.reader())

    def _forget_parent_state(self) -> None:
        """In a child made by ``os.fork()`` (gunicorn, multiprocessing's default on
        Linux), drop the parent's write lock, which a thread that does not exist in
        the child may have held at the fork (the snapshot holder forgets the parent's
        searcher by itself). The child then opens its own searcher."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._write_lock = threading.Lock()
            self._writing_thread = None

    def _after_commit(self, written_in_call: int, call_finished: bool) -> None:
        """What follows each commit of this object's writes, the write lock still held
        (the public :class:`~diplosearch.Index` writes the commit's score table):
        ``written_in_call`` documents written by the call so far, and whether this was
        its last commit. It must not raise: the commit already stands."""

    # -- opening ---------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, analyzer: IndonesianAnalyzer, **options: object) -> Self:
        """Create an empty index at ``path`` (which must not exist or be an empty directory)."""
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise NotAnIndexError(f"{path} exists and is not an empty directory; not creating an index there")
        manifest = new_manifest(analyzer.version, options.pop("manifest_extra", None))  # type: ignore[arg-type]
        # Built beside its final place and renamed into it, so that a crash never
        # leaves a half-made index there, and of two processes creating the same
        # index one wins and the other finds a complete index.
        staging = path.parent / f".{path.name}.creating-{os.getpid()}-{os.urandom(4).hex()}"
        try:
            make_directory(path.parent)
            sweep_dead_leftovers(path)
            staging.mkdir()  # not mkdtemp, whose mode 0700 would lock out other users' readers
        except OSError as exc:  # a file where a folder should be, a read-only or virtual file system
            raise DiplosearchError(f"cannot create an index at {path}: {exc.strerror or exc} "
                                   f"({exc.filename if exc.filename != str(staging) else path.parent})") from exc
        restrict_mode(staging)
        try:
            durable = bool(options.get("durable", True))
            storage = IndexStorage(str(staging), durable=durable, checksums=CommitChecksums())
            storage.create_index(build_schema(analyzer), indexname=INDEX_NAME)
            # The manifest goes last: a directory without one is never mistaken for a finished index.
            write_manifest(staging, manifest)
            fsync_directory(staging)
            try:
                os.rename(staging, path)  # replaces a missing or empty directory, atomically
            except OSError as exc:
                if path.is_dir() and (path / MANIFEST_NAME).exists():
                    raise CreatedConcurrently(str(path)) from exc
                raise NotAnIndexError(f"{path}: cannot create an index there ({exc})") from exc
            fsync_directory(path.parent)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return cls.open(path, analyzer, **options)  # type: ignore[arg-type]

    @classmethod
    def open(
        cls, path: Path, analyzer: IndonesianAnalyzer, check_version: bool = True, **options: object
    ) -> Self:
        """Open the existing index at ``path`` (finishing a directory swap that a killed
        rebuild left half-done, see :mod:`diplosearch.store.swap`)."""
        finish_interrupted_swap(path)
        refuse_unsafe(path, "index directory", with_files=True)
        sweep_dead_leftovers(path)
        manifest = read_manifest(path)
        problem = version_problem(path, manifest, analyzer.version) if check_version else None
        if problem is not None:
            raise problem
        try:
            storage = IndexStorage(str(path), durable=bool(options.get("durable", True)), checksums=CommitChecksums())
            whoosh_index = storage.open_index(INDEX_NAME, schema=build_schema(analyzer))
        except EmptyIndexError as exc:
            raise CorruptIndexError(f"{path}: the index has no committed table of contents") from exc
        except Exception as exc:  # Whoosh reports damage as EOFError, struct.error, pickle errors...
            raise corrupt_error(path, "open the index", exc) from exc
        return cls(path, whoosh_index, analyzer, manifest, check_version=check_version,
                   **options)  # type: ignore[arg-type]

    def _refuse_other_analysis(self) -> None:
        """Raise :class:`IndexVersionError` if the directory now holds an index of another
        analysis or format than this handle opened (a newer diplosearch rebuilt it in
        place): its queries would be analysed, and its writes indexed, the wrong way."""
        if not self._check_version:
            return
        try:
            manifest = read_manifest(self.path)
        except DiplosearchError:
            return  # a missing or damaged index is reported by whatever reads it next
        if version_problem(self.path, manifest, self.analyzer.version) is not None:
            raise IndexVersionError(
                f"{self.path} was rebuilt while open, with analysis {manifest.get('analysis_version')} "
                f"(index format {manifest.get('format')}), but this handle analyses text as "
                f"{self.analyzer.version}: open it with the diplosearch that rebuilt it"
            )

    def close(self) -> None:
        """Release the searcher's files. Any later call raises :class:`IndexClosedError`;
        :class:`Results` already returned keep their commit's files until dropped.
        Closing twice is harmless."""
        self._forget_parent_state()
        self._snapshots.close()
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<diplosearch.Index {str(self.path)!r}>"

    # -- reading ---------------------------------------------------------------

    def refresh(self) -> bool:
        """Pick up the newest commit now; True if there was a newer one.

        Searches and reads do this by themselves (a cheap check of the directory),
        so calling it is never necessary; it lets a long-lived reader release the
        files of older commits early.
        """
        before = self._snapshots.generation()
        with self.snapshot():
            pass
        after = self._snapshots.generation()
        return before is not None and before != after

    def snapshot(self) -> Using:
        """Context manager holding the newest commit's :class:`Snapshot` for a block.

        Scoring over ``snapshot.columns`` needs no lock, so threads sharing one
        ``Index`` search in parallel; ``snapshot.documents(docnums)`` reads hits.
        """
        self._forget_parent_state()
        return Using(self._snapshots)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Any]:
        """Context manager giving the newest commit's Whoosh searcher, for reads that go
        through Whoosh (stored fields, lookups by id); they are serialised per commit."""
        with self.snapshot() as snapshot, snapshot.stored_lock:
            yield snapshot.searcher

    def __len__(self) -> int:
        with reported_as_damage(self.path), self.reading() as searcher:
            return searcher.doc_count()

    def __contains__(self, doc_id: object) -> bool:
        try:
            wanted = id_argument(doc_id)
        except InvalidArgumentError:
            return False  # as ``None in {}`` is: no document has such an id
        return self.get(wanted) is not None

    def get(self, doc_id: str) -> Document | None:
        """The stored document with ``doc_id`` (``id in index`` only asks whether there is
        one), or None. When no document has the id as given, the id as a record's is
        indexed (:func:`~diplosearch.documents.cleaned_id`: ``" sp "`` finds ``sp``).

        :raises InvalidArgumentError: ``doc_id`` is not text (or an integer).
        """
        wanted = id_argument(doc_id)
        with reported_as_damage(self.path), self.reading() as searcher:
            stored = searcher.document(id=wanted)
            if not stored and (cleaned := cleaned_id(wanted)) not in ("", wanted):
                stored = searcher.document(id=cleaned)
            return document_from_stored(stored) if stored else None

    def documents(self) -> Iterator[Document]:
        """Every stored document, in index order, from the current commit (read whole
        into memory before the first is yielded, so later commits do not change it)."""
        with reported_as_damage(self.path), self.reading() as searcher:
            snapshot = [dict(fields) for fields in searcher.all_stored_fields()]
            documents = [document_from_stored(stored) for stored in snapshot]
        yield from documents

    def _reading_columns(self, run: Callable[[], T], action: str = "search") -> T:
        """``run()``, a read of the current snapshot's columns (a search): column files
        found damaged are rebuilt and ``run`` runs once more; other damage is reported
        as :class:`~diplosearch.CorruptIndexError` naming ``action``."""

        def reported() -> T:
            with reported_as_damage(self.path, action):
                return run()

        return self._snapshots.reading_columns(reported)

    def stats(self) -> IndexStats:
        """:class:`IndexStats` of the current commit: documents, size, segments, documents
        per source, the date range, distinct terms per field, versions and times.

        Reads every document's stored fields once (a few seconds at 22,000 articles).
        """
        from .index_stats import index_stats

        return index_stats(self.path, self.manifest, self.reading)

    def check(self) -> CheckReport:
        """Verify every file of the current commit against the checksums recorded at
        commit and read every segment: what is damaged, and whether :meth:`rebuild`
        can recover it (see :mod:`diplosearch.store.integrity`), and whether it was built
        with another analysis or format (``outdated``). Reads the whole index.
        Returns a :class:`CheckReport`: damage is reported in it, not raised.

        :raises IndexClosedError: the index was closed (:func:`diplosearch.check_index`
            checks an index without opening it)."""
        if self._closed:
            raise IndexClosedError(f"{self.path}: the index has been closed")
        return noting_outdated(verify_index(self.path, self._schema), self.path, self.analyzer.version)

    # -- writing ---------------------------------------------------------------

    def add(self, doc: Document) -> bool:
        """Add ``doc`` in one commit, replacing any document with its id. Returns False
        when the stored document was already identical (nothing is written).

        :raises DocumentError: ``doc`` is not a :class:`Document`, or has no id, no
            text, or a field of the wrong type; nothing is written.
        :raises IndexLockedError: another writer held the lock past ``writer_timeout``.
        :raises CorruptIndexError: the index is damaged; nothing is written.
        """
        return self.add_many([doc]).written == 1

    def update(self, doc: Document) -> bool:
        """Replace the document with ``doc.id``, in one commit. Returns False when the
        stored document was already identical.

        :raises DocumentError: no document has ``doc.id`` (nothing is written), or
            ``doc`` is invalid as for :meth:`add`.
        :raises IndexLockedError, CorruptIndexError: as for :meth:`add`.
        """
        validate_document(doc)
        # The existence check runs in the write itself, under the lock: checked
        # before it, a delete in between would let the update re-create the document.
        return self._write_documents([doc], require_existing=True).written == 1

    def delete(self, doc_id: str) -> bool:
        """Delete the document with ``doc_id``, in one commit. Returns False when there
        was none.

        :raises InvalidArgumentError: ``doc_id`` is neither text nor an integer.
        :raises IndexLockedError, CorruptIndexError: as for :meth:`add`.
        """
        return self.delete_many([doc_id]) == 1

    def delete_many(self, doc_ids: Iterable[str]) -> int:
        """Delete documents by id in one commit; returns how many existed. As
        :meth:`delete_ids`, which also says which ids were not found."""
        return len(self.delete_ids(doc_ids).deleted)

    def delete_ids(self, doc_ids: Iterable[str]) -> DeleteReport:
        """Delete documents by id in one commit; says which ids were deleted and
        which were not in the index. An id no document has as given is tried as a
        record's id is indexed (``" sp "`` deletes ``sp``, listed as deleted so).

        :raises InvalidArgumentError: ``doc_ids`` is one string (not a list of ids), or
            holds an id that is neither text nor an integer; nothing is deleted.
        :raises IndexLockedError, CorruptIndexError: as for :meth:`add`.
        """
        from .reports import DeleteReport

        if isinstance(doc_ids, (str, bytes)):
            raise InvalidArgumentError(f"delete_ids takes a list of ids, not one string ({doc_ids!r}): "
                                       "use delete(id) for one")
        wanted = list(dict.fromkeys(id_argument(doc_id) for doc_id in doc_ids))
        deleted: list[str] = []
        missing: list[str] = []
        with self._writer() as writer, reported_as_damage(self.path, "delete"):
            for doc_id in wanted:
                if writer.delete_by_term("id", doc_id):
                    deleted.append(doc_id)
                elif (cleaned := cleaned_id(doc_id)) not in ("", doc_id) and writer.delete_by_term("id", cleaned):
                    deleted.append(cleaned)  # the id as a record's is indexed: " sp " is sp
                else:
                    missing.append(doc_id)
        return DeleteReport(tuple(deleted), tuple(missing))

    def add_many(
        self,
        docs: Iterable[Document | InputProblem],
        skip_invalid: bool = False,
        *,
        commit_every: int | None = None,
        workers: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> WriteReport:
        """Add or replace many documents, in one commit unless ``commit_every`` says
        otherwise; returns a :class:`WriteReport` (added, replaced, unchanged, problems).

        ``docs`` may interleave :class:`InputProblem` items (as :func:`read_documents`
        yields them); they are collected into the report. An invalid document raises
        :class:`DocumentError` and nothing (of the current commit) is committed, unless
        ``skip_invalid`` is true, in which case it is reported and the rest are written.
        An id repeated within one commit is reported, and its last document wins.
        A text field longer than :data:`~diplosearch.schema.MAX_INDEXED_CHARS` is
        indexed up to that length (reported) and stored whole.

        :param commit_every: commit after every this many written documents, so that
            a crash in a long batch loses at most that many; running the same batch
            again then skips what was committed (unchanged documents are no-ops).
        :param workers: processes that analyse and write documents (this one
            included). The default uses a second CPU for calls that write more than
            :data:`PARALLEL_MIN_DOCS` documents (in one commit or several) when one is idle (on
            Linux, watched for a tenth of a second then, up to three times while it
            reads busy; elsewhere judged by the load average); 1 never starts a
            helper; N > 1 always uses N.
            Helpers are separate Python processes that write their own segments,
            which join this call's commit; they never take the lock or commit.
        :param progress: called with a :class:`Progress` after each document handled
            (in this thread, under the write lock: keep it quick). ``total`` is
            ``len(docs)`` when ``docs`` has a length, else None. An exception it
            raises (``KeyboardInterrupt`` included) abandons the uncommitted part
            of the batch, as any other exception does.
        :raises DocumentError: an invalid document, without ``skip_invalid``.
        :raises InvalidArgumentError: ``commit_every`` or ``workers`` below 1, a
            ``progress`` that cannot be called, one document instead of several.
        :raises IndexLockedError, CorruptIndexError: as for :meth:`add`.
        """
        if isinstance(docs, (Document, InputProblem)) or not isinstance(docs, Iterable):
            raise InvalidArgumentError(f"add_many takes an iterable of documents (add() takes one), "
                                       f"not {type(docs).__name__}")
        return self._write_documents(
            docs, skip_invalid, commit_every=commit_every, workers=workers, progress=progress
        )

    def _write_documents(
        self,
        docs: Iterable[Document | InputProblem],
        skip_invalid: bool = False,
        *,
        commit_every: int | None = None,
        workers: int | None = None,
        require_existing: bool = False,
        progress: ProgressCallback | None = None,
        report_repeats: bool = True,
    ) -> WriteReport:
        """:meth:`add_many`; with ``require_existing``, a document whose id is not in
        the index raises :class:`DocumentError` (checked under the write lock); without
        ``report_repeats``, a repeated id is left to the reader of ``docs`` to report."""
        if commit_every is not None and (isinstance(commit_every, bool) or not isinstance(commit_every, int)
                                         or commit_every < 1):
            raise InvalidArgumentError(f"commit_every must be a whole number >= 1, not {commit_every!r}")
        if progress is not None and not callable(progress):
            raise InvalidArgumentError(f"progress must be a callable, not {type(progress).__name__}")
        from .reports import ReportBuilder

        total = len(docs) if hasattr(docs, "__len__") else None  # type: ignore[arg-type]
        report = ReportBuilder(progress, total, report_repeats)
        pending = iter(docs)
        # Writing machinery (helper processes, the write lock, file readers) is imported
        # by the first write: a process that only searches never loads it.
        from .parallel import Helpers

        helpers = Helpers(self.path, self.analyzer, self.durable, workers)
        try:
            while not write_round(self, self._writer(), pending, report, skip_invalid=skip_invalid,
                                  commit_every=commit_every, helpers=helpers, require_existing=require_existing):
                pass
        finally:
            helpers.close()
        return report.build()

    def add_files(
        self,
        paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
        *,
        commit_every: int | None = None,
        workers: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> WriteReport:
        """Index plain-text articles, folders of them (recursively) and JSON Lines files
        (``.jsonl``, ``.ndjson``, optionally ``.gz``), in one commit unless
        ``commit_every`` says otherwise; returns a :class:`WriteReport`.

        ``paths`` is one path or a list of them (text or :class:`pathlib.Path`).
        Inputs that cannot be read or parsed (a missing file included) are reported in
        ``WriteReport.problems`` (by file and line) and skipped; the rest are indexed.
        ``commit_every``, ``workers`` and ``progress`` (whose ``total`` is None here)
        are as for :meth:`add_many`.

        :raises InvalidArgumentError: ``paths`` is not a path or a list of paths.
        :raises IndexLockedError, CorruptIndexError: as for :meth:`add`.
        """
        from ..ingest.files import checked_paths, read_documents

        listed = checked_paths(paths, "add_files")  # before the write lock is taken
        # read_documents reports each repeated id itself, naming both inputs.
        return self._write_documents(
            read_documents(listed), skip_invalid=True, commit_every=commit_every, workers=workers,
            report_repeats=False, progress=progress,
        )

    def rebuild(self, progress: ProgressCallback | None = None) -> int:
        """Re-analyse every stored document with this index's analyzer; returns how many.

        Used after an analysis change (open the index with ``check_version=False``).
        The documents are written into a new directory beside this one, which
        replaces it when complete: until then readers see the old index, and a
        writer that comes along waits and then writes into the new one.
        ``progress`` is as for :meth:`add_many`, with ``total`` known.

        :raises CorruptIndexError: a stored document cannot be read, so the sources
            must be indexed again; the index is left as it was.
        :raises IndexLockedError: as for :meth:`add`.
        """
        manifest = read_manifest(self.path)
        report = self.check()
        if not report.recoverable:
            raise CorruptIndexError(report.summary())
        # Hold the old index's write lock until the new one is in place, so that a
        # document written meanwhile is not lost with the old directory (a writer
        # waiting for the lock then writes into the new index). Only the lock: a
        # writer's clean-up would run on whatever directory is at ``path`` by then.
        from .locking import take_write_lock

        lock = take_write_lock(self.path, time.monotonic() + self.writer_timeout, self.writer_timeout)
        try:
            docs = list(self.documents())
            extra = {k: v for k, v in manifest.items() if k not in ("format", "analysis_version", "created")}
            # built by this object's class, so that what follows its commits (a score table) follows there too
            replace_index_directory(self.path, self.analyzer, lambda index: index.add_many(docs, progress=progress),
                                    manifest_extra=extra, store_class=type(self))
        finally:
            lock.release()
        self.manifest = read_manifest(self.path)
        return len(docs)

    def _writer(self):  # type: ignore[no-untyped-def]
        from .locking import WriteSession

        return WriteSession(self)




def replace_index_directory(
    path: Path,
    analyzer: IndonesianAnalyzer,
    fill: Callable[[IndexStore], object],
    manifest_extra: dict[str, object] | None = None,
    store_class: type[IndexStore] | None = None,
) -> None:
    """Build a new index beside ``path`` with ``fill(index)`` (``index`` a ``store_class``,
    :class:`IndexStore` by default), then swap it into place (see :mod:`diplosearch.store.swap`)."""

    def build(staging: Path) -> None:
        new_index = (store_class or IndexStore).create(staging, analyzer, manifest_extra=manifest_extra or {})
        try:
            fill(new_index)
        finally:
            new_index.close()

    replace_directory(path, build)
