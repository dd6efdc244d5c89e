"""The :class:`Index` class: opening and creating an index directory, reading it
(one shared, self-refreshing Whoosh searcher) and writing it (one commit per call,
under the write lock), and replacing the whole directory for a rebuild.

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

import datetime as _dt
import itertools
import logging
import os
import shutil
import stat
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import attrs
import whoosh.index
from whoosh import scoring
from whoosh.index import EmptyIndexError

from ..analysis.analyzer import IndonesianAnalyzer
from ..documents import Document, InputProblem, validate_document
from ..ingest import read_documents
from ..errors import (
    CorruptIndexError,
    DiplosearchError,
    DocumentError,
    IndexVersionError,
    InvalidArgumentError,
    NotAnIndexError,
)
from ..schema import TEXT_FIELDS, build_schema, document_fingerprint, document_from_stored, stored_fields
from .durable import INDEX_NAME, IndexStorage, fsync_directory
from .locking import WriteSession, take_write_lock
from .manifest import INDEX_FORMAT, MANIFEST_NAME, new_manifest, read_manifest, write_manifest
from .parallel import Helpers
from .swap import finish_interrupted_swap, replace_directory, sweep_dead_leftovers

_log = logging.getLogger("diplosearch")

#: How long a writer waits for another writer to finish, in seconds.
DEFAULT_WRITER_TIMEOUT = 30.0


@attrs.frozen
class WriteReport:
    """What one write did: ids added, replaced, left unchanged, and inputs skipped."""

    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    problems: tuple[InputProblem, ...] = ()

    @property
    def written(self) -> int:
        """Documents that were added or replaced."""
        return len(self.added) + len(self.replaced)


@attrs.frozen
class IndexStats:
    """A summary of an index, as ``diplosearch stats`` prints it."""

    path: str
    documents: int
    size_bytes: int
    segments: int
    analysis_version: str
    created: str | None
    last_commit: str | None
    terms_per_field: dict[str, int]


class CreatedConcurrently(NotAnIndexError):
    """Another process created the index while this one was building it."""


class Index:
    """An open diplosearch index. Create one with :func:`diplosearch.open_index`.

    Searching is thread-safe and reuses one Whoosh searcher, refreshed when another
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
    ) -> None:
        self.path = path
        self.durable = durable
        self.analyzer = analyzer
        self.manifest = manifest
        self.writer_timeout = writer_timeout
        self._whoosh = whoosh_index
        self._schema = build_schema(analyzer)
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._searcher = None
        self._searcher_dir: tuple[int, int] | None = None
        self._closed = False
        self._pid = os.getpid()
        #: True for the default index, which diplosearch builds and rebuilds itself.
        self.managed = False

    def _forget_parent_state(self) -> None:
        """In a child made by ``os.fork()`` (gunicorn, multiprocessing's default on
        Linux), drop the parent's searcher, whose open files share their read offsets
        with the parent, and its locks, which threads that do not exist in the child
        may have held at the fork. The child then opens its own searcher."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._read_lock = threading.Lock()
            self._write_lock = threading.Lock()
            self._searcher = None  # not closed: its files are the parent's too

    # -- opening ---------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, analyzer: IndonesianAnalyzer, **options: object) -> "Index":
        """Create an empty index at ``path`` (which must not exist or be an empty directory)."""
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise NotAnIndexError(f"{path} exists and is not an empty directory; not creating an index there")
        manifest = new_manifest(analyzer.version, options.pop("manifest_extra", None))  # type: ignore[arg-type]
        # Built beside its final place and renamed into it, so that a crash never
        # leaves a half-made index there, and of two processes creating the same
        # index one wins and the other finds a complete index.
        path.parent.mkdir(parents=True, exist_ok=True)
        sweep_dead_leftovers(path)
        staging = path.parent / f".{path.name}.creating-{os.getpid()}-{os.urandom(4).hex()}"
        staging.mkdir()  # not mkdtemp, whose mode 0700 would lock out other users' readers
        try:
            durable = bool(options.get("durable", True))
            IndexStorage(str(staging), durable=durable).create_index(build_schema(analyzer), indexname=INDEX_NAME)
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
    ) -> "Index":
        """Open the existing index at ``path`` (finishing a directory swap that a killed
        rebuild left half-done, see :mod:`diplosearch.store.swap`)."""
        finish_interrupted_swap(path)
        sweep_dead_leftovers(path)
        manifest = read_manifest(path)
        if check_version and manifest.get("analysis_version") != analyzer.version:
            raise IndexVersionError(
                f"{path} was built with analysis {manifest.get('analysis_version')}, but this "
                f"diplosearch analyses text as {analyzer.version}; rebuild it with "
                f"`diplosearch rebuild --index {path}`"
            )
        if check_version and manifest["format"] != INDEX_FORMAT:
            raise IndexVersionError(
                f"{path} has index format {manifest['format']}, this diplosearch writes format "
                f"{INDEX_FORMAT}; rebuild it with `diplosearch rebuild --index {path}`"
            )
        try:
            storage = IndexStorage(str(path), durable=bool(options.get("durable", True)))
            whoosh_index = storage.open_index(INDEX_NAME, schema=build_schema(analyzer))
        except EmptyIndexError as exc:
            raise CorruptIndexError(f"{path}: the index has no committed table of contents") from exc
        except Exception as exc:  # Whoosh reports damage as EOFError, struct.error, pickle errors...
            raise CorruptIndexError(f"{path}: cannot read the index ({type(exc).__name__}: {exc})") from exc
        return cls(path, whoosh_index, analyzer, manifest, **options)  # type: ignore[arg-type]

    def close(self) -> None:
        """Release the searcher's files. The index cannot be used afterwards."""
        self._forget_parent_state()
        with self._read_lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            self._closed = True

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<diplosearch.Index {str(self.path)!r}>"

    # -- reading ---------------------------------------------------------------

    def _current_searcher(self):  # type: ignore[no-untyped-def]
        """The shared searcher, refreshed if a newer commit exists. Call with _read_lock held."""
        if self._closed:
            raise DiplosearchError(f"{self.path}: the index has been closed")
        try:
            # A rebuild swaps in a whole new directory, whose generation numbers may
            # equal the old one's: compare the directory itself too.
            directory = _directory_identity(self.path)
            if self._searcher is not None and (directory != self._searcher_dir or not self._searcher.up_to_date()):
                # Not Searcher.refresh(): it reuses segment readers by segment id and
                # so misses deletions committed to an existing segment since.
                self._searcher.close()
                self._searcher = None
            if self._searcher is None:
                self._searcher = self._whoosh.searcher(weighting=scoring.BM25F())
                self._searcher_dir = directory
        except Exception as exc:
            raise CorruptIndexError(f"{self.path}: cannot read the index ({type(exc).__name__}: {exc})") from exc
        return self._searcher

    def refresh(self) -> bool:
        """Pick up the newest commit now; True if there was a newer one.

        Searches and reads do this by themselves (a cheap check of the directory),
        so calling it is never necessary; it lets a long-lived reader release the
        files of older commits early.
        """
        self._forget_parent_state()
        with self._read_lock:
            before = self._searcher.reader().generation() if self._searcher is not None else None
            after = self._current_searcher().reader().generation()
        return before is not None and before != after

    def reading(self):  # type: ignore[no-untyped-def]
        """Context manager giving the up-to-date Whoosh searcher under the read lock."""
        return _Reading(self)

    def __len__(self) -> int:
        with self.reading() as searcher:
            return searcher.doc_count()

    def __contains__(self, doc_id: object) -> bool:
        return self.get(str(doc_id)) is not None

    def get(self, doc_id: str) -> Document | None:
        """The stored document with ``doc_id``, or None."""
        with self.reading() as searcher:
            stored = searcher.document(id=str(doc_id))
        return document_from_stored(stored) if stored else None

    def documents(self) -> Iterator[Document]:
        """Every stored document, in index order (a snapshot of the current commit)."""
        with self.reading() as searcher:
            snapshot = [dict(fields) for fields in searcher.all_stored_fields()]
        for stored in snapshot:
            yield document_from_stored(stored)

    def search(self, query: str, limit: int = 10, offset: int = 0, **options: object):  # type: ignore[no-untyped-def]
        """Search the index; see :func:`diplosearch.search.search` for the options."""
        from ..search import search

        return search(self, query, limit=limit, offset=offset, **options)  # type: ignore[arg-type]

    def stats(self) -> IndexStats:
        """Counts and sizes of the current commit."""
        with self.reading() as searcher:
            reader = searcher.reader()
            terms = {name: sum(1 for _ in reader.lexicon(name)) for name in TEXT_FIELDS}
            documents = searcher.doc_count()
            segments = len(reader.leaf_readers())
        # A concurrent commit may delete files between listing and stat: skip those.
        size = sum(info.st_size for info in _stats(self.path.iterdir()) if stat.S_ISREG(info.st_mode))
        toc_times = [info.st_mtime for info in _stats(self.path.glob("*.toc"))]
        last = (
            _dt.datetime.fromtimestamp(max(toc_times), _dt.timezone.utc).isoformat(timespec="seconds")
            if toc_times
            else None
        )
        return IndexStats(
            path=str(self.path),
            documents=documents,
            size_bytes=size,
            segments=segments,
            analysis_version=str(self.manifest.get("analysis_version")),
            created=self.manifest.get("created"),  # type: ignore[arg-type]
            last_commit=last,
            terms_per_field=terms,
        )

    # -- writing ---------------------------------------------------------------

    def add(self, doc: Document) -> bool:
        """Add ``doc``, replacing any document with its id. Returns False when nothing changed."""
        return self.add_many([doc]).written == 1

    def update(self, doc: Document) -> bool:
        """Replace the document with ``doc.id``; raises :class:`DocumentError` if there is none.

        Returns False when the stored document was already identical.
        """
        validate_document(doc)
        # The existence check runs in the write itself, under the lock: checked
        # before it, a delete in between would let the update re-create the document.
        return self._write_documents([doc], require_existing=True).written == 1

    def delete(self, doc_id: str) -> bool:
        """Delete the document with ``doc_id``. Returns False when there was none."""
        return self.delete_many([doc_id]) == 1

    def delete_many(self, doc_ids: Iterable[str]) -> int:
        """Delete documents by id in one commit; returns how many existed."""
        with self._writer() as writer:
            deleted = sum(writer.delete_by_term("id", str(doc_id)) for doc_id in set(doc_ids))
        return deleted

    def add_many(
        self,
        docs: Iterable[Document | InputProblem],
        skip_invalid: bool = False,
        *,
        commit_every: int | None = None,
        workers: int | None = None,
    ) -> WriteReport:
        """Add or replace many documents, in one commit unless ``commit_every`` says otherwise.

        ``docs`` may interleave :class:`InputProblem` items (as :func:`read_documents`
        yields them); they are collected into the report. An invalid document raises
        :class:`DocumentError` and nothing (of the current commit) is committed, unless
        ``skip_invalid`` is true, in which case it is reported and the rest are written.

        :param commit_every: commit after every this many written documents, so that
            a crash in a long batch loses at most that many; running the same batch
            again then skips what was committed (unchanged documents are no-ops).
        :param workers: processes that analyse and write documents (this one
            included). The default uses a second CPU for commits of more than
            :data:`PARALLEL_MIN_DOCS` written documents when one is idle (judged by
            the load average); 1 never starts a helper; N > 1 always uses N.
            Helpers are separate Python processes that write their own segments,
            which join this call's commit; they never take the lock or commit.
        """
        return self._write_documents(docs, skip_invalid, commit_every=commit_every, workers=workers)

    def _write_documents(
        self,
        docs: Iterable[Document | InputProblem],
        skip_invalid: bool = False,
        *,
        commit_every: int | None = None,
        workers: int | None = None,
        require_existing: bool = False,
    ) -> WriteReport:
        """:meth:`add_many`; with ``require_existing``, a document whose id is not in
        the index raises :class:`DocumentError` (checked under the write lock)."""
        if commit_every is not None and (not isinstance(commit_every, int) or commit_every < 1):
            raise InvalidArgumentError(f"commit_every must be a whole number >= 1, not {commit_every!r}")
        report = _ReportBuilder()
        pending: Iterator[tuple[Document | InputProblem, bool]] = ((item, True) for item in docs)
        helpers = Helpers(self.path, self.analyzer, self.durable, workers)
        try:
            while True:
                later = self._write_round(pending, report, skip_invalid, commit_every, helpers, require_existing)
                if later is None:
                    break
                # Whoosh cannot replace a document added earlier in the same uncommitted
                # writer, so a later duplicate of an id goes into the next commit
                # (unreported: the id is already in the report).
                pending = itertools.chain(((doc, False) for doc in later.values()), pending)
        finally:
            helpers.close()
        return report.build()

    def _write_round(self, pending, report, skip_invalid, commit_every, helpers, require_existing):  # type: ignore[no-untyped-def]
        """Write one commit's worth of ``pending``; the later duplicates it put aside,
        or None when ``pending`` is exhausted and nothing was put aside."""
        written_here: set[str] = set()
        later: dict[str, Document] = {}
        exhausted = True
        writing = self._writer()
        writing.on_abort = helpers.kill
        with writing as writer:
            # Not writer.searcher(): reading stored fields through it makes Whoosh
            # drop the writer's later deletions. Under the write lock this
            # separate searcher sees exactly the commit the writer started from.
            searcher = self._whoosh.searcher()
            try:
                written = 0
                for item, reported in pending:
                    if isinstance(item, InputProblem):
                        report.problems.append(item)
                        continue
                    try:
                        validate_document(item)
                    except DocumentError as exc:
                        if not skip_invalid:
                            raise
                        where = getattr(item, "path", None) or str(getattr(item, "id", "?"))
                        report.problems.append(InputProblem(where, None, str(exc)))
                        continue
                    if item.id in written_here:
                        later[item.id] = item
                        continue
                    written_here.add(item.id)
                    fingerprint = document_fingerprint(item)
                    existing = searcher.document(id=item.id)
                    if existing is None and require_existing:
                        raise DocumentError(f"no document with id {item.id!r} in {self.path}")
                    if existing is not None and existing.get("fingerprint") == fingerprint:
                        outcome = "unchanged"
                    else:
                        if existing is not None:
                            writer.delete_by_term("id", item.id)
                        helpers.add_document(writer, stored_fields(item, fingerprint))
                        outcome = "replaced" if existing is not None else "added"
                        written += 1
                    if reported:
                        getattr(report, outcome).append(item.id)
                    if commit_every is not None and written >= commit_every:
                        exhausted = False
                        break
            finally:
                searcher.close()
            writing.extra_segments = helpers.finish_round()
            # Nothing new: no commit, so readers keep their searchers.
            writing.discard = written == 0 and writing.extra_segments is None
        if exhausted and not later:
            return None
        return later

    def add_files(
        self,
        paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
        *,
        commit_every: int | None = None,
        workers: int | None = None,
    ) -> WriteReport:
        """Index plain-text articles, folders of them and JSON Lines files in one commit.

        Files that cannot be read or parsed are reported in ``WriteReport.problems``
        (by file and line) and skipped; the rest are indexed. ``commit_every`` and
        ``workers`` are as for :meth:`add_many`.
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        return self.add_many(read_documents(paths), skip_invalid=True, commit_every=commit_every, workers=workers)

    def rebuild(self) -> int:
        """Re-analyse every stored document with this index's analyzer; returns how many.

        Used after an analysis change (open the index with ``check_version=False``).
        The documents are written into a new directory beside this one, which
        replaces it when complete: until then readers see the old index, and a
        writer that comes along waits and then writes into the new one.
        """
        manifest = read_manifest(self.path)
        # Hold the old index's write lock until the new one is in place, so that a
        # document written meanwhile is not lost with the old directory (a writer
        # waiting for the lock then writes into the new index). Only the lock: a
        # writer's clean-up would run on whatever directory is at ``path`` by then.
        lock = take_write_lock(self.path, time.monotonic() + self.writer_timeout, self.writer_timeout)
        try:
            docs = list(self.documents())
            extra = {k: v for k, v in manifest.items() if k not in ("format", "analysis_version", "created")}
            replace_index_directory(self.path, self.analyzer, lambda index: index.add_many(docs), manifest_extra=extra)
        finally:
            lock.release()
        self.manifest = read_manifest(self.path)
        return len(docs)

    def _writer(self):  # type: ignore[no-untyped-def]
        return WriteSession(self)


class _ReportBuilder:
    def __init__(self) -> None:
        self.added: list[str] = []
        self.replaced: list[str] = []
        self.unchanged: list[str] = []
        self.problems: list[InputProblem] = []

    def build(self) -> WriteReport:
        return WriteReport(tuple(self.added), tuple(self.replaced), tuple(self.unchanged), tuple(self.problems))


class _Reading:
    def __init__(self, index: Index) -> None:
        self._index = index

    def __enter__(self):  # type: ignore[no-untyped-def]
        self._index._forget_parent_state()
        self._lock = self._index._read_lock
        self._lock.acquire()
        try:
            return self._index._current_searcher()
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()


def _directory_identity(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def _stats(paths: Iterable[Path]) -> Iterator[os.stat_result]:
    for path in paths:
        try:
            yield path.stat()
        except FileNotFoundError:
            continue


def replace_index_directory(
    path: Path,
    analyzer: IndonesianAnalyzer,
    fill: Callable[[Index], object],
    manifest_extra: dict[str, object] | None = None,
) -> None:
    """Build a new index beside ``path`` with ``fill(index)``, then swap it into place
    (see :mod:`diplosearch.store.swap`)."""

    def build(staging: Path) -> None:
        new_index = Index.create(staging, analyzer, manifest_extra=manifest_extra or {})
        try:
            fill(new_index)
        finally:
            new_index.close()

    replace_directory(path, build)
