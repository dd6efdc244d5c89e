"""Where indexes live: the index home, the environment variables, bare index names,
the bundled corpus and the default index built from it, and :func:`open_index`, the
one door to an index.

``$DIPLOSEARCH_HOME`` moves the index home; ``$DIPLOSEARCH_INDEX`` names the index
used when none is given. The default index belongs to diplosearch: it is built on
first use and rebuilt when the corpus or the analysis changes, so nothing may write
to it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Sequence

from ..analysis.analyzer import IndonesianAnalyzer
from ..errors import DiplosearchError, IndexNotFoundError, InvalidArgumentError, UnsafeIndexError
from ..schema import build_schema
from .index import DEFAULT_WRITER_TIMEOUT, Index, CreatedConcurrently, replace_index_directory
from .integrity import CheckReport, verify_index
from .manifest import read_manifest
from .ownership import refuse_unsafe
from .swap import finish_interrupted_swap

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
    package_dir = Path(__file__).resolve().parent.parent
    checkout = package_dir.parent.parent
    if (
        package_dir.parent.name == "src"
        and (checkout / "pyproject.toml").is_file()
        and (checkout / "indexes").is_dir()
    ):
        return checkout / "indexes"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "diplosearch"


def is_bare_name(name_or_path: str | os.PathLike[str]) -> bool:
    """Whether ``name_or_path`` is a bare index name (no ``/``, not ``.`` or ``..``)."""
    text = os.fspath(name_or_path)
    return bool(text) and os.sep not in text and "/" not in text and text not in (".", "..") and not text.startswith("~")


def resolve_index_path(name_or_path: str | os.PathLike[str]) -> Path:
    """A bare name (``berita``) means ``index_home()/berita``, always, even when the
    current directory holds a ``berita``; anything else (``./berita``) is a path."""
    if is_bare_name(name_or_path):
        return index_home() / os.fspath(name_or_path)
    return Path(os.fspath(name_or_path)).expanduser()


def bundled_corpus_files() -> list[Path]:
    """The articles shipped with diplosearch, which the default index is built from."""
    corpus = Path(__file__).resolve().parent.parent / "data" / "corpus"
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
    refuse_unsafe(index_home(), "index home")
    refuse_unsafe(path, "index directory", with_files=True)
    files = bundled_corpus_files()
    wanted = _corpus_fingerprint(files, analyzer)
    finish_interrupted_swap(path)
    try:
        manifest = read_manifest(path)
        if manifest.get("corpus_fingerprint") == wanted:
            index = Index.open(path, analyzer, **options)
            # A few kilobytes: verified on every open, so that damage is repaired
            # here rather than reported by every search.
            report = index.check()
            if report.ok and report.verified:
                return _managed(index)
            index.close()
    except IndexNotFoundError:
        pass
    except UnsafeIndexError:
        raise
    except DiplosearchError:
        # The default index is ours to manage: a damaged or outdated one is rebuilt.
        pass

    def fill(index: Index) -> None:
        report = index.add_files(files)
        if report.problems:
            raise DiplosearchError(f"bundled corpus unreadable: {report.problems[0]}")

    replace_index_directory(path, analyzer, fill, manifest_extra={"corpus_fingerprint": wanted})
    return _managed(Index.open(path, analyzer, **options))


def _managed(index: Index) -> Index:
    index.managed = True
    return index


def rebuild_index(path: str | os.PathLike[str], analyzer: IndonesianAnalyzer | None = None) -> int:
    """Re-analyse every stored document of the index at ``path`` (a directory or a bare
    name); returns the number of documents. Shorthand for opening it with
    ``check_version=False`` and calling :meth:`Index.rebuild`.
    """
    with open_index(path, analyzer=analyzer, check_version=False) as index:
        return index.rebuild()


def check_index(
    path: str | os.PathLike[str] | None = None, *, analyzer: IndonesianAnalyzer | None = None
) -> CheckReport:
    """Verify the index at ``path`` (a directory or a bare name; default as for
    :func:`open_index`) without opening it for use, so that an index whose table of
    contents is damaged can be checked too; see :meth:`Index.check`.

    :raises IndexNotFoundError, NotAnIndexError, UnsafeIndexError: nothing to check.
    """
    analyzer = analyzer if analyzer is not None else IndonesianAnalyzer()
    if path is None and not os.environ.get(INDEX_ENV):
        with ensure_default_index(analyzer) as index:  # repairs a damaged default index first
            return index.check()
    path = path if path is not None else os.environ[INDEX_ENV]
    if is_bare_name(path):
        refuse_unsafe(index_home(), "index home")
    resolved = resolve_index_path(path)
    refuse_unsafe(resolved, "index directory", with_files=True)
    if not resolved.exists():
        raise IndexNotFoundError(f"no index at {resolved}")
    return verify_index(resolved, build_schema(analyzer))


def open_index(
    path: str | os.PathLike[str] | None = None,
    *,
    create: bool = False,
    for_writing: bool = False,
    check_version: bool = True,
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
    :param for_writing: the caller means to write (as ``diplosearch index`` and
        ``delete`` do), so the index must be named, by ``path`` or
        ``$DIPLOSEARCH_INDEX``: the default index is refused, since diplosearch
        rebuilds it from the bundled corpus and would drop what was written.
    :param check_version: refuse an index built with another analysis version
        (default). False opens it anyway, to call :meth:`Index.rebuild` on it; the
        default index ignores this, as it rebuilds itself.
    :param analyzer: the analyzer; default :class:`IndonesianAnalyzer()`. An existing
        index must have been built with an analyzer of the same version.
    :param writer_timeout: seconds a write waits for another writer before raising
        :class:`IndexLockedError`.
    :param durable: flush each commit to disk (fsync) before it counts, so that it
        survives a power cut or an OS crash, not only a killed process. False saves
        a few milliseconds per commit where the index can be rebuilt anyway.
    :raises InvalidArgumentError: ``for_writing`` without a named index.
    :raises IndexNotFoundError, NotAnIndexError, CorruptIndexError, IndexVersionError:
    """
    analyzer = analyzer if analyzer is not None else IndonesianAnalyzer()
    options = {"writer_timeout": writer_timeout, "durable": durable}
    if path is None:
        configured = os.environ.get(INDEX_ENV)
        if not configured:
            if for_writing:
                raise InvalidArgumentError(
                    "name the index to write with --index PATH (the default index holds the bundled "
                    "corpus and is managed by diplosearch)"
                )
            return ensure_default_index(analyzer, **options)
        path = configured
    if is_bare_name(path):
        refuse_unsafe(index_home(), "index home")
    resolved = resolve_index_path(path)
    finish_interrupted_swap(resolved)  # before ``create`` could start an empty index there
    if create and (not resolved.exists() or (resolved.is_dir() and not any(resolved.iterdir()))):
        try:
            return Index.create(resolved, analyzer, **options)
        except CreatedConcurrently:
            pass  # another process created it first: open theirs
    if not resolved.exists():
        raise IndexNotFoundError(
            f"no index at {resolved}; create one with `diplosearch index --index {resolved} FILE...`"
        )
    return Index.open(resolved, analyzer, check_version=check_version, **options)  # type: ignore[arg-type]
