"""The on-disk index: a Whoosh index plus a small manifest that makes it diplosearch's.

Layout of an index directory::

    diplosearch.json   manifest: format, analysis version, creation time
    MAIN_WRITELOCK     Whoosh's write lock (an OS file lock, released if its owner dies)
    _MAIN_<n>.toc      Whoosh's table of contents (the commit point), *.seg segments

Writes go through one Whoosh writer per call and become visible only at commit,
when Whoosh renames a new table of contents into place: a crash or an exception
before that leaves the previous commit as it was.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import attrs
import whoosh.index
from whoosh import fields as wf, scoring
from whoosh.index import EmptyIndexError, LockError

from .analysis.analyzer import IndonesianAnalyzer
from .documents import Document, InputProblem, Quote, read_documents
from .errors import (
    CorruptIndexError,
    DiplosearchError,
    DocumentError,
    IndexLockedError,
    IndexNotFoundError,
    IndexVersionError,
    NotAnIndexError,
)

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
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


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
    }


def document_from_stored(stored: dict[str, object]) -> Document:
    """Rebuild a :class:`Document` from the fields an index stored for it."""
    quote_texts = str(stored.get("quotes") or "").split("\n") if stored.get("quotes") else []
    speakers = list(stored.get("speakers") or [])  # type: ignore[call-overload]
    speakers += [None] * (len(quote_texts) - len(speakers))
    return Document(
        id=str(stored["id"]),
        title=str(stored.get("title") or ""),
        body=str(stored.get("body") or ""),
        quotes=tuple(Quote(text, speaker) for text, speaker in zip(quote_texts, speakers)),
        captions=tuple(str(stored["captions"]).split("\n")) if stored.get("captions") else (),
        source=str(stored["source"]) if stored.get("source") else None,
        url=stored.get("url") or None,  # type: ignore[arg-type]
        published=stored.get("published") or None,
        path=stored.get("path") or None,  # type: ignore[arg-type]
    )


def _validate(doc: Document) -> None:
    if not isinstance(doc, Document):
        raise DocumentError(f"expected a diplosearch.Document, got {type(doc).__name__}")
    if not doc.id.strip():
        raise DocumentError("a document needs a non-empty id")
    if not (doc.title.strip() or doc.body.strip()):
        raise DocumentError(f"document {doc.id!r} has neither a title nor a body")


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
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptIndexError(f"{path}: unreadable {MANIFEST_NAME} ({exc})") from exc
    if not isinstance(manifest, dict) or "format" not in manifest:
        raise CorruptIndexError(f"{path}: {MANIFEST_NAME} is not a diplosearch manifest")
    if manifest["format"] != INDEX_FORMAT:
        raise IndexVersionError(
            f"{path} has index format {manifest['format']}; this diplosearch reads format {INDEX_FORMAT}"
        )
    return manifest


def _write_json_atomically(path: Path, data: dict[str, object]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    ) -> None:
        self.path = path
        self.analyzer = analyzer
        self.manifest = manifest
        self.writer_timeout = writer_timeout
        self._whoosh = whoosh_index
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._searcher = None
        self._closed = False

    # -- opening ---------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, analyzer: IndonesianAnalyzer, **options: object) -> "Index":
        """Create an empty index at ``path`` (which must not exist or be an empty directory)."""
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise NotAnIndexError(f"{path} exists and is not an empty directory; not creating an index there")
        path.mkdir(parents=True, exist_ok=True)
        manifest: dict[str, object] = {
            "format": INDEX_FORMAT,
            "analysis_version": analyzer.version,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        manifest.update({k: v for k, v in options.pop("manifest_extra", {}).items()})  # type: ignore[union-attr]
        whoosh_index = whoosh.index.create_in(str(path), build_schema(analyzer), indexname=INDEX_NAME)
        # The manifest goes last: a directory without one is never mistaken for a finished index.
        _write_json_atomically(path / MANIFEST_NAME, manifest)
        return cls(path, whoosh_index, analyzer, manifest, **options)  # type: ignore[arg-type]

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
            whoosh_index = whoosh.index.open_dir(
                str(path), indexname=INDEX_NAME, schema=build_schema(analyzer)
            )
        except EmptyIndexError as exc:
            raise CorruptIndexError(f"{path}: the index has no committed table of contents") from exc
        except Exception as exc:  # Whoosh reports damage as EOFError, struct.error, pickle errors...
            raise CorruptIndexError(f"{path}: cannot read the index ({type(exc).__name__}: {exc})") from exc
        return cls(path, whoosh_index, analyzer, manifest, **options)  # type: ignore[arg-type]

    def close(self) -> None:
        """Release the searcher's files. The index cannot be used afterwards."""
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
            if self._searcher is not None and not self._searcher.up_to_date():
                # Not Searcher.refresh(): it reuses segment readers by segment id and
                # so misses deletions committed to an existing segment since.
                self._searcher.close()
                self._searcher = None
            if self._searcher is None:
                self._searcher = self._whoosh.searcher(weighting=scoring.BM25F())
        except Exception as exc:
            raise CorruptIndexError(f"{self.path}: cannot read the index ({type(exc).__name__}: {exc})") from exc
        return self._searcher

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
        size = sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
        toc_times = [f.stat().st_mtime for f in self.path.glob("*.toc")]
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
        _validate(doc)
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
        self, docs: Iterable[Document | InputProblem], skip_invalid: bool = False
    ) -> WriteReport:
        """Add or replace many documents in one commit.

        ``docs`` may interleave :class:`InputProblem` items (as :func:`read_documents`
        yields them); they are collected into the report. An invalid document raises
        :class:`DocumentError` and nothing is committed, unless ``skip_invalid`` is
        true, in which case it is reported and the rest are written.
        """
        added: list[str] = []
        replaced: list[str] = []
        unchanged: list[str] = []
        problems: list[InputProblem] = []
        written_here: set[str] = set()
        # Whoosh cannot replace a document added earlier in the same uncommitted
        # writer, so a later duplicate of an id waits for a second commit.
        later_versions: dict[str, Document] = {}
        with self._writer() as writer:
            # Not writer.searcher(): reading stored fields through it makes Whoosh
            # drop the writer's later deletions. Under the write lock this
            # separate searcher sees exactly the commit the writer started from.
            searcher = self._whoosh.searcher()
            try:
                for item in docs:
                    if isinstance(item, InputProblem):
                        problems.append(item)
                        continue
                    try:
                        _validate(item)
                    except DocumentError as exc:
                        if not skip_invalid:
                            raise
                        problems.append(InputProblem(item.path or str(getattr(item, "id", "?")), None, str(exc)))
                        continue
                    if item.id in written_here:
                        later_versions[item.id] = item
                        continue
                    outcome = self._write_one(writer, searcher, item)
                    {"added": added, "replaced": replaced, "unchanged": unchanged}[outcome].append(item.id)
                    written_here.add(item.id)
            finally:
                searcher.close()
        if later_versions:
            with self._writer() as writer:
                for doc in later_versions.values():
                    writer.update_document(**_stored_fields(doc, document_fingerprint(doc)))
        return WriteReport(tuple(added), tuple(replaced), tuple(unchanged), tuple(problems))

    def add_files(self, paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str]) -> WriteReport:
        """Index plain-text articles, folders of them and JSON Lines files in one commit.

        Files that cannot be read or parsed are reported in ``WriteReport.problems``
        (by file and line) and skipped; the rest are indexed.
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        return self.add_many(read_documents(paths), skip_invalid=True)

    def _write_one(self, writer, searcher, doc: Document) -> str:  # type: ignore[no-untyped-def]
        fingerprint = document_fingerprint(doc)
        existing = searcher.document(id=doc.id)
        if existing is not None and existing.get("fingerprint") == fingerprint:
            return "unchanged"
        if existing is not None:
            writer.delete_by_term("id", doc.id)
        writer.add_document(**_stored_fields(doc, fingerprint))
        return "replaced" if existing is not None else "added"

    def _writer(self):  # type: ignore[no-untyped-def]
        return _Writing(self)


class _Reading:
    def __init__(self, index: Index) -> None:
        self._index = index

    def __enter__(self):  # type: ignore[no-untyped-def]
        self._index._read_lock.acquire()
        try:
            return self._index._current_searcher()
        except BaseException:
            self._index._read_lock.release()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self._index._read_lock.release()


class _Writing:
    """One Whoosh writer: commit on success, cancel on any exception."""

    def __init__(self, index: Index) -> None:
        self._index = index
        self._writer = None

    def __enter__(self):  # type: ignore[no-untyped-def]
        index = self._index
        if index._closed:
            raise DiplosearchError(f"{index.path}: the index has been closed")
        if not index._write_lock.acquire(timeout=index.writer_timeout):
            raise IndexLockedError(
                f"{index.path} is locked by another writer in this process "
                f"(waited {index.writer_timeout:g} s)"
            )
        try:
            self._writer = index._whoosh.writer(timeout=index.writer_timeout)
        except LockError as exc:
            index._write_lock.release()
            raise IndexLockedError(
                f"{index.path} is locked by another writer (waited {index.writer_timeout:g} s)"
            ) from exc
        except BaseException:
            index._write_lock.release()
            raise
        return self._writer

    def __exit__(self, exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
        try:
            if exc_type is None:
                try:
                    self._writer.commit()
                except OSError as err:
                    _cancel_quietly(self._writer)
                    raise DiplosearchError(
                        f"{self._index.path}: commit failed, the previous commit is intact ({err})"
                    ) from err
            else:
                _cancel_quietly(self._writer)
        finally:
            self._index._write_lock.release()


def _cancel_quietly(writer) -> None:  # type: ignore[no-untyped-def]
    try:
        writer.cancel()
    except Exception:
        # Cancelling only discards temporary files and releases the lock; if it
        # fails the original error is the one worth reporting.
        try:
            writer.writelock.release()
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
        docs = list(old.documents())
    finally:
        old.close()
    extra = {k: v for k, v in manifest.items() if k not in ("format", "analysis_version", "created")}
    replace_index_directory(path, analyzer, lambda index: index.add_many(docs), manifest_extra=extra)
    return len(docs)


def open_index(
    path: str | os.PathLike[str] | None = None,
    *,
    create: bool = False,
    analyzer: IndonesianAnalyzer | None = None,
    writer_timeout: float = DEFAULT_WRITER_TIMEOUT,
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
    :raises IndexNotFoundError, NotAnIndexError, CorruptIndexError, IndexVersionError:
    """
    analyzer = analyzer if analyzer is not None else IndonesianAnalyzer()
    if path is None:
        configured = os.environ.get(INDEX_ENV)
        if not configured:
            return ensure_default_index(analyzer, writer_timeout=writer_timeout)
        path = configured
    resolved = resolve_index_path(path)
    if create and (not resolved.exists() or (resolved.is_dir() and not any(resolved.iterdir()))):
        return Index.create(resolved, analyzer, writer_timeout=writer_timeout)
    if not resolved.exists():
        raise IndexNotFoundError(
            f"no index at {resolved}; create one with `diplosearch index --index {resolved} FILE...`"
        )
    return Index.open(resolved, analyzer, writer_timeout=writer_timeout)
