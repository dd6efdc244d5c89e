"""The on-disk index: a Whoosh index plus a small manifest that makes it diplosearch's.

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
import hashlib
import itertools
import json
import logging
import os
import pickle
import queue
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from glob import escape as glob_escape
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import attrs
import whoosh.index
from whoosh import fields as wf, scoring
from whoosh.filedb.filestore import FileStorage
from whoosh.index import EmptyIndexError, clean_files
from whoosh.util.filelock import FileLock
from whoosh.writing import SegmentWriter

from .analysis.analyzer import IndonesianAnalyzer
from .documents import Document, InputProblem, Quote, validate_document
from .ingest import read_documents
from .errors import (
    CorruptIndexError,
    DiplosearchError,
    DocumentError,
    IndexLockedError,
    IndexNotFoundError,
    IndexVersionError,
    NotAnIndexError,
)

_log = logging.getLogger("diplosearch")

MANIFEST_NAME = "diplosearch.json"
INDEX_FORMAT = 1
INDEX_NAME = "MAIN"

#: How long a writer waits for another writer to finish, in seconds.
DEFAULT_WRITER_TIMEOUT = 30.0

#: Fields searched when a query names none, and how much a match in each counts.
DEFAULT_FIELD_BOOSTS: dict[str, float] = {"title": 3.0, "quotes": 2.0, "captions": 1.5, "body": 1.0}
TEXT_FIELDS: tuple[str, ...] = tuple(DEFAULT_FIELD_BOOSTS)


def build_schema(analyzer: IndonesianAnalyzer) -> wf.Schema:
    """The Whoosh schema of a diplosearch index using ``analyzer`` for every text field."""
    return wf.Schema(
        id=wf.ID(stored=True, unique=True),
        title=wf.TEXT(analyzer=analyzer, stored=True),
        quotes=wf.TEXT(analyzer=analyzer, stored=True),
        captions=wf.TEXT(analyzer=analyzer, stored=True),
        body=wf.TEXT(analyzer=analyzer, stored=True),
        source=wf.ID(stored=True),
        speakers=wf.STORED(),
        url=wf.STORED(),
        published=wf.STORED(),
        path=wf.STORED(),
        fingerprint=wf.STORED(),
    )


def document_fingerprint(doc: Document) -> str:
    """A hash of everything stored about ``doc``: equal hashes mean re-adding changes nothing."""
    payload = json.dumps(_stored_fields(doc, fingerprint=""), sort_keys=True, ensure_ascii=False)
    # surrogatepass: a lone surrogate (from JSON such as "\ud800") is stored as it is.
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _stored_fields(doc: Document, fingerprint: str) -> dict[str, object]:
    return {
        "id": doc.id,
        "title": doc.title,
        "quotes": "\n".join(q.text for q in doc.quotes),
        "captions": "\n".join(doc.captions),
        "body": doc.body,
        "source": doc.source or "",
        "speakers": [q.speaker for q in doc.quotes],
        "url": doc.url,
        "published": doc.published.isoformat() if doc.published else None,
        "path": doc.path,
        "fingerprint": fingerprint,
        # Indexed as one text each, but stored as lists, so that a quote or caption
        # holding a line break comes back as it went in.
        "_stored_quotes": [q.text for q in doc.quotes],
        "_stored_captions": list(doc.captions),
    }


def document_from_stored(stored: dict[str, object]) -> Document:
    """Rebuild a :class:`Document` from the fields an index stored for it."""
    raw_quotes, raw_captions = stored.get("quotes"), stored.get("captions")
    # Lists since quotes and captions may hold line breaks; older indexes stored joined text.
    if isinstance(raw_quotes, list):
        quote_texts = [str(text) for text in raw_quotes]
    else:
        quote_texts = str(raw_quotes).split("\n") if raw_quotes else []
    if isinstance(raw_captions, list):
        captions = tuple(str(text) for text in raw_captions)
    else:
        captions = tuple(str(raw_captions).split("\n")) if raw_captions else ()
    speakers = list(stored.get("speakers") or [])  # type: ignore[call-overload]
    speakers += [None] * (len(quote_texts) - len(speakers))
    return Document(
        id=str(stored["id"]),
        title=str(stored.get("title") or ""),
        body=str(stored.get("body") or ""),
        quotes=tuple(Quote(text, speaker) for text, speaker in zip(quote_texts, speakers)),
        captions=captions,
        source=str(stored["source"]) if stored.get("source") else None,
        url=stored.get("url") or None,  # type: ignore[arg-type]
        published=stored.get("published") or None,
        path=stored.get("path") or None,  # type: ignore[arg-type]
    )


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


_MAX_MANIFEST_BYTES = 64 * 1024


def read_manifest(path: Path) -> dict[str, object]:
    """The manifest of the index at ``path``; raises if ``path`` is not a diplosearch index."""
    manifest_path = path / MANIFEST_NAME
    if not path.exists():
        raise IndexNotFoundError(f"no index at {path}")
    if not path.is_dir():
        raise NotAnIndexError(f"{path} is a file, not a diplosearch index directory")
    if not manifest_path.exists():
        if any(path.glob("*.toc")):
            raise NotAnIndexError(
                f"{path} holds a Whoosh index that diplosearch did not create; refusing to open it"
            )
        raise NotAnIndexError(f"{path} is not a diplosearch index (no {MANIFEST_NAME})")
    try:
        # Only a small regular file: a FIFO or device named like the manifest would
        # hang or flood the read.
        info = manifest_path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_MANIFEST_BYTES:
            raise NotAnIndexError(f"{path} is not a diplosearch index ({MANIFEST_NAME} is not a small regular file)")
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CorruptIndexError(f"{path}: unreadable {MANIFEST_NAME} ({exc})") from exc
    if not isinstance(manifest, dict) or "format" not in manifest:
        raise CorruptIndexError(f"{path}: {MANIFEST_NAME} is not a diplosearch manifest")
    if not any(path.glob(f"_{INDEX_NAME}_*.toc")):
        raise CorruptIndexError(f"{path}: the index has no committed table of contents")
    if manifest["format"] != INDEX_FORMAT:
        raise IndexVersionError(
            f"{path} has index format {manifest['format']}; this diplosearch reads format {INDEX_FORMAT}"
        )
    return manifest


class _CreatedConcurrently(NotAnIndexError):
    """Another process created the index while this one was building it."""


def _fsync_directory(path: Path) -> None:
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


def _remove_dead_staging(path: Path) -> None:
    """Remove what a killed :meth:`Index.create` left beside ``path`` (its process is gone)."""
    for leftover in path.parent.glob(f".{glob_escape(path.name)}.creating-*"):
        pid = leftover.name.rsplit(".creating-", 1)[1].split("-", 1)[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


def _write_json_atomically(path: Path, data: dict[str, object]) -> None:
    # Not mkstemp: its mode 0600 would hide the manifest from other users' readers.
    tmp = str(path.parent / f".manifest-{os.getpid()}-{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


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
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._searcher = None
        self._searcher_dir: tuple[int, int] | None = None
        self._closed = False
        self._pid = os.getpid()

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
        manifest: dict[str, object] = {
            "format": INDEX_FORMAT,
            "analysis_version": analyzer.version,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        manifest.update({k: v for k, v in options.pop("manifest_extra", {}).items()})  # type: ignore[union-attr]
        # Built beside its final place and renamed into it, so that a crash never
        # leaves a half-made index there, and of two processes creating the same
        # index one wins and the other finds a complete index.
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_dead_staging(path)
        staging = path.parent / f".{path.name}.creating-{os.getpid()}-{os.urandom(4).hex()}"
        staging.mkdir()  # not mkdtemp, whose mode 0700 would lock out other users' readers
        try:
            durable = bool(options.get("durable", True))
            _IndexStorage(str(staging), durable=durable).create_index(build_schema(analyzer), indexname=INDEX_NAME)
            # The manifest goes last: a directory without one is never mistaken for a finished index.
            _write_json_atomically(staging / MANIFEST_NAME, manifest)
            _fsync_directory(staging)
            try:
                os.rename(staging, path)  # replaces a missing or empty directory, atomically
            except OSError as exc:
                if path.is_dir() and (path / MANIFEST_NAME).exists():
                    raise _CreatedConcurrently(str(path)) from exc
                raise NotAnIndexError(f"{path}: cannot create an index there ({exc})") from exc
            _fsync_directory(path.parent)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return cls.open(path, analyzer, **options)  # type: ignore[arg-type]

    @classmethod
    def open(
        cls, path: Path, analyzer: IndonesianAnalyzer, check_version: bool = True, **options: object
    ) -> "Index":
        """Open the existing index at ``path``."""
        manifest = read_manifest(path)
        if check_version and manifest.get("analysis_version") != analyzer.version:
            raise IndexVersionError(
                f"{path} was built with analysis {manifest.get('analysis_version')}, but this "
                f"diplosearch analyses text as {analyzer.version}; rebuild it with "
                f"`diplosearch rebuild --index {path}`"
            )
        try:
            storage = _IndexStorage(str(path), durable=bool(options.get("durable", True)))
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
        from .search import search

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
        if self.get(doc.id) is None:
            raise DocumentError(f"no document with id {doc.id!r} in {self.path}")
        return self.add(doc)

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
        if commit_every is not None and (not isinstance(commit_every, int) or commit_every < 1):
            raise ValueError(f"commit_every must be a whole number >= 1, not {commit_every!r}")
        report = _ReportBuilder()
        pending: Iterator[tuple[Document | InputProblem, bool]] = ((item, True) for item in docs)
        helpers = _Helpers(self, workers)
        try:
            while True:
                later = self._write_round(pending, report, skip_invalid, commit_every, helpers)
                if later is None:
                    break
                # Whoosh cannot replace a document added earlier in the same uncommitted
                # writer, so a later duplicate of an id goes into the next commit
                # (unreported: the id is already in the report).
                pending = itertools.chain(((doc, False) for doc in later.values()), pending)
        finally:
            helpers.close()
        return report.build()

    def _write_round(self, pending, report, skip_invalid, commit_every, helpers):  # type: ignore[no-untyped-def]
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
                    if existing is not None and existing.get("fingerprint") == fingerprint:
                        outcome = "unchanged"
                    else:
                        if existing is not None:
                            writer.delete_by_term("id", item.id)
                        helpers.add_document(writer, _stored_fields(item, fingerprint))
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

    def _writer(self):  # type: ignore[no-untyped-def]
        return _Writing(self)


class _ReportBuilder:
    def __init__(self) -> None:
        self.added: list[str] = []
        self.replaced: list[str] = []
        self.unchanged: list[str] = []
        self.problems: list[InputProblem] = []

    def build(self) -> WriteReport:
        return WriteReport(tuple(self.added), tuple(self.replaced), tuple(self.unchanged), tuple(self.problems))


# -- parallel indexing ------------------------------------------------------------
#
# Whoosh's own MpWriter is not used: its helpers share one temporary directory
# (the first to finish deletes the others' files), drop results that take longer
# than a second, are forked while the parent holds the write lock (so a helper
# outliving a killed parent keeps the index locked), and with procs > 1 it ignores
# unique fields, so updates leave duplicates. Here the parent does every lookup,
# deletion and the commit under its lock; helpers only turn documents into a
# finished segment of their own, in a private temporary directory, and are fresh
# interpreters (not forks) that hold no lock and exit when their input closes.

#: Written documents in one commit before helper processes are started.
PARALLEL_MIN_DOCS = 1000
#: Documents sent to a helper at a time, and how many such chunks may wait for it.
_HELPER_CHUNK = 50
_HELPER_BACKLOG = 2
_HELPER_CODE = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from diplosearch.index import _helper_main; _helper_main()"
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
    stays serial. The 1-minute load average lags, which is good enough here.
    """
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return True
    return _usable_cpus() - load >= 0.75


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

    def __init__(self, index: Index) -> None:
        package_root = str(Path(__file__).resolve().parent.parent)
        self.process = subprocess.Popen(
            [sys.executable, "-c", _HELPER_CODE, package_root, str(index.path)],
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
        self._outbox.put(("open", str(index.path), index.analyzer, index.durable))

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

    def segment(self):  # type: ignore[no-untyped-def]
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


class _Helpers:
    """Hands written documents to helper processes when that pays, else to the writer."""

    def __init__(self, index: Index, workers: int | None) -> None:
        if workers is not None and (not isinstance(workers, int) or workers < 1):
            raise ValueError(f"workers must be a whole number >= 1, not {workers!r}")
        self._index = index
        self._auto = workers is None
        self._wanted = (_default_workers() if workers is None else workers) - 1
        self._helpers: list[_Helper] = []
        self._chunk: list[dict[str, object]] = []
        self._in_round = 0
        self._used: list[_Helper] = []

    def add_document(self, writer, fields: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
        self._in_round += 1
        if self._wanted <= 0 or self._in_round <= PARALLEL_MIN_DOCS:
            writer.add_document(**fields)
            return
        if not self._helpers:
            if self._auto and not (_can_start_helpers() and _spare_cpu()):
                self._wanted = 0  # for the rest of this call
                writer.add_document(**fields)
                return
            self._helpers = [_Helper(self._index) for _ in range(self._wanted)]
        self._chunk.append(fields)
        if len(self._chunk) >= _HELPER_CHUNK:
            self._dispatch(writer)

    def _dispatch(self, writer) -> None:  # type: ignore[no-untyped-def]
        chunk, self._chunk = self._chunk, []
        for helper in self._helpers:
            if helper.ready:
                helper.send_documents(chunk)
                if helper not in self._used:
                    self._used.append(helper)
                return
        for fields in chunk:  # every helper is busy: this process takes the chunk
            writer.add_document(**fields)

    def finish_round(self):  # type: ignore[no-untyped-def]
        """Ask the helpers used in this round for their segments (before the parent
        flushes its own, so that both happen at once); returns the collector."""
        if self._chunk:
            chunk, self._chunk = self._chunk, []
            self._used or self._used.append(self._helpers[0])
            self._used[0].send_documents(chunk)
        used, self._used, self._in_round = self._used, [], 0
        if not used:
            return None
        for helper in used:
            helper.request_segment()

        def collect() -> list[object]:
            segments = [helper.segment() for helper in used]
            return [segment for segment in segments if segment is not None]

        return collect

    def close(self) -> None:
        for helper in self._helpers:
            helper.close()
        self._helpers = []

    def kill(self) -> None:
        """Stop every helper at once (a failed commit), so none writes after the clean-up."""
        for helper in self._helpers:
            helper.kill()
        self._helpers = []
        self._chunk, self._used, self._in_round = [], [], 0


class _IndexStorage(FileStorage):
    """An index directory whose commits survive power loss, not only a killed process.

    Whoosh never calls fsync: after a power cut, a new table of contents could be
    in place while the segment it lists (or the TOC itself) is still empty, and the
    index would not open. With ``durable``, the finished segment file and the new
    TOC are flushed to disk before the TOC is renamed into place, and the rename
    itself is flushed (directory fsync). The segments' parts, which Whoosh deletes
    once it has assembled them into the ``.seg`` file, are not.
    """

    def __init__(self, path: str, durable: bool = True) -> None:
        super().__init__(path)
        self.durable = durable

    def create_file(self, name, excl=False, mode="wb", **kwargs):  # type: ignore[no-untyped-def]
        handle = super().create_file(name, excl=excl, mode=mode, **kwargs)
        if self.durable and (name.endswith(".seg") or ".toc" in name):
            handle.onclose = _fsync_on_close(handle.onclose)
        return handle

    def rename_file(self, oldname, newname, safe=False):  # type: ignore[no-untyped-def]
        super().rename_file(oldname, newname, safe=safe)
        if self.durable:
            _fsync_directory(Path(self.folder))


def _fsync_on_close(previous):  # type: ignore[no-untyped-def]
    def flush_to_disk(structfile) -> None:  # type: ignore[no-untyped-def]
        if previous is not None:
            previous(structfile)
        structfile.file.flush()
        os.fsync(structfile.file.fileno())

    return flush_to_disk


class _HelperStorage(_IndexStorage):
    """The index's directory, with temporary files in a private, pid-named folder."""

    def temp_storage(self, name=None):  # type: ignore[no-untyped-def]
        return FileStorage.temp_storage(self, f".{INDEX_NAME}.worker-{os.getpid()}.tmp")


def _helper_main() -> None:
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
                _kind, path, analyzer, durable = message
                storage = _HelperStorage(path, durable=durable)
                whoosh_index = storage.open_index(INDEX_NAME, schema=build_schema(analyzer))
            elif message[0] == "docs":
                if writer is None:
                    writer = SegmentWriter(whoosh_index, _lk=False)
                for fields in message[1]:
                    writer.add_document(**fields)
                _send_frame(outbox, ("ack",))
            elif message[0] == "finish":
                segment = None
                if writer is not None:
                    segment = writer._finalize_segment() if writer._added else None
                    if segment is None:
                        writer._close_segment()
                    writer._tempstorage.destroy()
                    writer.is_closed = True
                    writer = None
                _send_frame(outbox, ("segment", segment))
    except BaseException as exc:  # reported to the parent, which aborts its commit
        try:
            _send_frame(outbox, ("error", f"{type(exc).__name__}: {exc}"))
        except Exception:
            pass
    finally:
        if writer is not None and not writer.is_closed:
            for step in (writer._close_segment, writer._tempstorage.destroy):
                try:
                    step()
                except Exception:
                    pass


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


class _WriteLock(FileLock):
    """Whoosh's write lock (the same ``MAIN_WRITELOCK`` file and OS lock), plus a note
    in the file naming its holder.

    The OS releases the lock when its holder dies, so a lock is never "stale" in the
    sense of blocking anyone, and diplosearch never deletes the lock file. The note is
    only information: it lets a waiting writer say who holds the lock, and lets the
    next writer notice that the previous one died mid-write (the note is still there)
    and clean up after it.
    """

    previous_holder: str | None = None

    def acquire(self, blocking: bool = False) -> bool:
        if not super().acquire(blocking):
            return False
        try:
            self.previous_holder = _read_lock_note(self.filename)
            note = f"{os.getpid()} {socket.gethostname()} {_dt.datetime.now(_dt.timezone.utc).isoformat(timespec='seconds')}\n"
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


def _read_lock_note(lock_path: str) -> str | None:
    """The holder note in a lock file ("pid host time"), or None if there is none."""
    try:
        with open(lock_path, "rb") as handle:
            text = handle.read(200).decode("utf-8", "replace").strip()
    except OSError:
        return None
    return text or None


def _describe_holder(note: str | None) -> str:
    if not note:
        return ""
    pid, _, rest = note.partition(" ")
    host, _, since = rest.partition(" ")
    return f" (process {pid} on {host}, since {since})" if since else f" ({note})"


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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Writing:
    """One Whoosh writer under the index's write lock: commit on success, abort on error.

    Whatever happens (an exception while writing, a failing commit, a full disk, a
    KeyboardInterrupt), the write lock is released on the way out and a commit is
    either wholly in place or not at all. ``extra_segments`` (set by parallel
    indexing) is called after this writer has flushed its own segment and returns
    finished segments written by helper processes, which join the same commit.
    """

    def __init__(self, index: Index) -> None:
        self._index = index
        self._writer = None
        self.extra_segments = None
        self.discard = False
        self.on_abort = None  # stops helper processes before their files are removed

    def __enter__(self):  # type: ignore[no-untyped-def]
        index = self._index
        if index._closed:
            raise DiplosearchError(f"{index.path}: the index has been closed")
        index._forget_parent_state()
        deadline = time.monotonic() + index.writer_timeout
        self._thread_lock = index._write_lock
        if not self._thread_lock.acquire(timeout=max(index.writer_timeout, 0)):
            raise IndexLockedError(
                f"{index.path} is locked by another writer in this process "
                f"(waited {index.writer_timeout:g} s)"
            )
        try:
            self._writer = _open_writer(index, deadline)
        except BaseException:
            self._thread_lock.release()
            raise
        return self._writer

    def __exit__(self, exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
        index, writer = self._index, self._writer
        try:
            if exc_type is None and not self.discard:
                _commit(index, writer, self.extra_segments, self.on_abort)
            elif exc_type is None:
                _abort(index, writer, on_abort=self.on_abort)  # also removes its empty segment files
            else:
                _abort(index, writer, on_abort=self.on_abort)
                if isinstance(exc, OSError):
                    raise DiplosearchError(
                        f"{index.path}: writing failed, nothing was committed and the previous "
                        f"commit is intact ({exc})"
                    ) from exc
        finally:
            _release_quietly(writer)
            self._thread_lock.release()


def _take_write_lock(path: Path, deadline: float, timeout: float) -> _WriteLock:
    """The write lock of the index at ``path``, waiting for it until ``deadline``."""
    lock = _WriteLock(str(path / f"{INDEX_NAME}_WRITELOCK"))
    note = None
    while True:
        try:
            if lock.acquire():
                return lock
        except OSError as exc:
            raise DiplosearchError(
                f"{path}: cannot take the write lock ({exc}); is the index on a file "
                f"system without file locking?"
            ) from exc
        note = _read_lock_note(lock.filename) or note
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise IndexLockedError(
                f"{path} is locked by another writer{_describe_holder(note)}; waited {timeout:g} s"
            )
        time.sleep(min(0.05, remaining))


def _open_writer(index: Index, deadline: float):  # type: ignore[no-untyped-def]
    """Take the index's write lock (waiting until ``deadline``) and start a Whoosh writer."""
    lock = _take_write_lock(index.path, deadline, index.writer_timeout)
    try:
        if lock.previous_holder:
            _recover_after_dead_writer(index, lock.previous_holder)
        writer = SegmentWriter(index._whoosh, _lk=False)
    except BaseException as exc:
        _remove_uncommitted_files(index)  # what the failed writer had created (lock held)
        lock.release()
        if isinstance(exc, OSError):
            raise DiplosearchError(
                f"{index.path}: cannot start writing, nothing was committed and the previous "
                f"commit is intact ({exc})"
            ) from exc
        raise
    writer.writelock = lock  # Whoosh releases it when the writer finishes
    return writer


def _recover_after_dead_writer(index: Index, note: str) -> None:
    """Clean up after a writer that died holding the lock (we hold it now).

    Its uncommitted segment files are not in any table of contents; they are
    removed with Whoosh's own clean-up, as a commit would. Nothing committed is
    touched, and the lock file itself is never deleted.
    """
    _log.warning("%s: the previous writer%s ended without releasing the write lock; "
                 "removing its uncommitted files", index.path, _describe_holder(note))
    _remove_uncommitted_files(index)
    for leftover in index.path.glob(f".{INDEX_NAME}.worker-*.tmp"):
        pid = leftover.name.split("-")[1].split(".")[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


def _remove_uncommitted_files(index: Index) -> None:
    """Delete segment and TOC files that the current commit does not use, and the
    writer's temporary folder (call with the lock held)."""
    try:
        toc = index._whoosh._read_toc()
        clean_files(index._whoosh.storage, INDEX_NAME, toc.generation, toc.segments)
    except Exception:  # clean-up is best-effort: leftovers are also removed by the next commit
        _log.debug("clean-up of %s failed", index.path, exc_info=True)
    shutil.rmtree(index.path / f"{INDEX_NAME}.tmp", ignore_errors=True)
    # A table of contents that failed while being written (Whoosh writes it to
    # "_MAIN_<gen>.toc.<time>" and renames it); Whoosh's clean-up misses these.
    for partial in index.path.glob(f"_{INDEX_NAME}_*.toc.*"):
        try:
            partial.unlink()
        except OSError:
            pass


def _commit(index: Index, writer, extra_segments=None, on_abort=None) -> None:  # type: ignore[no-untyped-def]
    try:
        if extra_segments is None:
            writer.commit()
        else:
            # SegmentWriter.commit(), with segments written by helper processes
            # joining the new table of contents.
            final = writer._merge_segments(None, False, True)
            if writer._added:
                final.append(writer._finalize_segment())
            else:
                writer._close_segment()
            final.extend(extra_segments())
            writer._commit_toc(final)
            writer._finish()
    except BaseException as exc:
        # The commit point is the rename of the new table of contents: if it
        # happened, the commit stands and only Whoosh's clean-up failed.
        try:
            committed = index._whoosh.latest_generation() >= writer.generation
        except Exception:
            committed = False
        _abort(index, writer, remove_files=not committed, on_abort=on_abort)
        if committed and isinstance(exc, Exception):
            _log.warning("%s: committed, but cleaning up afterwards failed: %s", index.path, exc)
            return
        if isinstance(exc, OSError):
            raise DiplosearchError(
                f"{index.path}: commit failed, nothing was committed and the previous commit "
                f"is intact ({exc})"
            ) from exc
        raise


def _abort(index: Index, writer, remove_files: bool = True, on_abort=None) -> None:  # type: ignore[no-untyped-def]
    """Discard an uncommitted writer: close its files, delete them, keep the lock until done."""
    if getattr(writer, "is_closed", True):
        return
    steps = [on_abort] if on_abort is not None else []
    steps.append(writer._close_segment)
    if remove_files:
        steps.append(lambda: _remove_uncommitted_files(index))
    steps.append(writer._tempstorage.destroy)
    for step in steps:
        try:
            step()
        except Exception:
            pass
    writer.is_closed = True


def _release_quietly(writer) -> None:  # type: ignore[no-untyped-def]
    lock = getattr(writer, "writelock", None)
    if lock is not None:
        try:
            lock.release()
        except Exception:
            pass


# -- where indexes live ---------------------------------------------------------

HOME_ENV = "DIPLOSEARCH_HOME"
INDEX_ENV = "DIPLOSEARCH_INDEX"
DEFAULT_INDEX_NAME = "default"


def index_home() -> Path:
    """Where named indexes (and the default one) live.

    ``$DIPLOSEARCH_HOME`` if set; else the ``indexes/`` folder of the source checkout
    diplosearch runs from (an editable install); else ``$XDG_CACHE_HOME/diplosearch``
    (``~/.cache/diplosearch``). Never inside site-packages.
    """
    configured = os.environ.get(HOME_ENV)
    if configured:
        return Path(configured).expanduser()
    package_dir = Path(__file__).resolve().parent
    checkout = package_dir.parent.parent
    if (
        package_dir.parent.name == "src"
        and (checkout / "pyproject.toml").is_file()
        and (checkout / "indexes").is_dir()
    ):
        return checkout / "indexes"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "diplosearch"


def resolve_index_path(name_or_path: str | os.PathLike[str]) -> Path:
    """A bare name (``berita``) means ``index_home()/berita``; anything else is a path."""
    text = os.fspath(name_or_path)
    if text and os.sep not in text and "/" not in text and text not in (".", "..") and not Path(text).exists():
        return index_home() / text
    return Path(text).expanduser()


def bundled_corpus_files() -> list[Path]:
    """The articles shipped with diplosearch, which the default index is built from."""
    corpus = Path(__file__).resolve().parent / "data" / "corpus"
    return sorted(p for p in corpus.iterdir() if p.suffix == ".txt")


def _corpus_fingerprint(files: Sequence[Path], analyzer: IndonesianAnalyzer) -> str:
    digest = hashlib.sha256(analyzer.version.encode())
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def ensure_default_index(analyzer: IndonesianAnalyzer, **options: object) -> Index:
    """Open the index of the bundled corpus, building or rebuilding it when it is stale."""
    path = index_home() / DEFAULT_INDEX_NAME
    files = bundled_corpus_files()
    wanted = _corpus_fingerprint(files, analyzer)
    try:
        manifest = read_manifest(path)
        if manifest.get("corpus_fingerprint") == wanted:
            return Index.open(path, analyzer, **options)
    except IndexNotFoundError:
        pass
    except DiplosearchError:
        # The default index is ours to manage: a damaged or outdated one is rebuilt.
        pass

    def fill(index: Index) -> None:
        report = index.add_files(files)
        if report.problems:
            raise DiplosearchError(f"bundled corpus unreadable: {report.problems[0]}")

    replace_index_directory(path, analyzer, fill, manifest_extra={"corpus_fingerprint": wanted})
    return Index.open(path, analyzer, **options)


def replace_index_directory(
    path: Path, analyzer: IndonesianAnalyzer, fill, manifest_extra: dict[str, object] | None = None
) -> None:  # type: ignore[no-untyped-def]
    """Build a new index beside ``path`` with ``fill(index)``, then swap it into place.

    Readers of the old directory keep their open files; a crash before the swap
    leaves the old index untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.building-", dir=path.parent))
    try:
        staging.rmdir()
        new_index = Index.create(staging, analyzer, manifest_extra=manifest_extra or {})
        try:
            fill(new_index)
        finally:
            new_index.close()
        retired = None
        if path.exists():
            retired = path.parent / f".{path.name}.retired-{os.getpid()}-{threading.get_ident()}"
            os.replace(path, retired)
        try:
            os.replace(staging, path)
        except OSError:
            if retired is not None and not path.exists():
                os.replace(retired, path)
            raise
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def rebuild_index(path: Path, analyzer: IndonesianAnalyzer) -> int:
    """Re-analyse every stored document of the index at ``path`` with ``analyzer``.

    Used after an analysis change; returns the number of documents. The old index
    stays in place until the new one is complete.
    """
    manifest = read_manifest(path)
    old = Index.open(path, analyzer, check_version=False)
    try:
        # Hold the old index's write lock until the new one is in place, so that a
        # document written meanwhile is not lost with the old directory (a writer
        # waiting for the lock then writes into the new index). Only the lock: a
        # writer's clean-up would run on whatever directory is at ``path`` by then.
        lock = _take_write_lock(path, time.monotonic() + old.writer_timeout, old.writer_timeout)
        try:
            docs = list(old.documents())
            extra = {k: v for k, v in manifest.items() if k not in ("format", "analysis_version", "created")}
            replace_index_directory(path, analyzer, lambda index: index.add_many(docs), manifest_extra=extra)
        finally:
            lock.release()
    finally:
        old.close()
    return len(docs)


def open_index(
    path: str | os.PathLike[str] | None = None,
    *,
    create: bool = False,
    analyzer: IndonesianAnalyzer | None = None,
    writer_timeout: float = DEFAULT_WRITER_TIMEOUT,
    durable: bool = True,
) -> Index:
    """Open (or with ``create=True`` create) an index.

    :param path: a directory, or a bare name looked up in :func:`index_home`. Without
        one: ``$DIPLOSEARCH_INDEX`` if set, else the default index of the bundled
        corpus, which is built on first use and rebuilt when the corpus or the
        analysis changes.
    :param create: create the index if it does not exist yet.
    :param analyzer: the analyzer; default :class:`IndonesianAnalyzer()`. An existing
        index must have been built with an analyzer of the same version.
    :param writer_timeout: seconds a write waits for another writer before raising
        :class:`IndexLockedError`.
    :param durable: flush each commit to disk (fsync) before it counts, so that it
        survives a power cut or an OS crash, not only a killed process. False saves
        a few milliseconds per commit where the index can be rebuilt anyway.
    :raises IndexNotFoundError, NotAnIndexError, CorruptIndexError, IndexVersionError:
    """
    analyzer = analyzer if analyzer is not None else IndonesianAnalyzer()
    if path is None:
        configured = os.environ.get(INDEX_ENV)
        if not configured:
            return ensure_default_index(analyzer, writer_timeout=writer_timeout, durable=durable)
        path = configured
    resolved = resolve_index_path(path)
    if create and (not resolved.exists() or (resolved.is_dir() and not any(resolved.iterdir()))):
        try:
            return Index.create(resolved, analyzer, writer_timeout=writer_timeout, durable=durable)
        except _CreatedConcurrently:
            pass  # another process created it first: open theirs
    if not resolved.exists():
        raise IndexNotFoundError(
            f"no index at {resolved}; create one with `diplosearch index --index {resolved} FILE...`"
        )
    return Index.open(resolved, analyzer, writer_timeout=writer_timeout, durable=durable)
