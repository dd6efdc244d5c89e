"""The public :class:`Index` and the doors to one: :func:`open_index` (which opens, creates,
or builds the default index of the bundled corpus), :func:`rebuild_index` and
:func:`check_index`.

:class:`Index` is the store's :class:`~diplosearch.store.index_store.IndexStore` (opening,
snapshots, writes, rebuild) with searching added: this module sits above both the
store and :mod:`diplosearch.search`, so that neither calls up into the other.
"""

from __future__ import annotations

import os
from typing import Unpack

from .analysis.analyzer import IndonesianAnalyzer
from .errors import DiplosearchError, IndexNotFoundError, InvalidArgumentError, NotAnIndexError, UnsafeIndexError
from .highlight import SnippetFormat
from .paging import DEFAULT_PAGE_SIZE, HitStream, search_iter
from .schema import build_schema
from .search import DEFAULT_MARKERS, Results, search, similar
from .search_options import SearchOptions
from .store import home
from .store.index_store import DEFAULT_WRITER_TIMEOUT, CreatedConcurrently, IndexStore, replace_index_directory
from .store.integrity import CheckReport, noting_outdated, reported_as_damage, verify_index
from .store.lazy_log import LOG
from .store.manifest import read_manifest
from .store.ownership import refuse_unsafe
from .store.swap import finish_interrupted_swap


class Index(IndexStore):
    """An open diplosearch index. Create one with :func:`diplosearch.open_index`.

    Searching is thread-safe: each search holds the newest commit's snapshot, swapped
    for a newer one when a writer (thread or process) has committed. Writing takes the
    index's write lock for the duration of one call; a call commits once (or every
    ``commit_every`` documents when asked), or not at all. ``len(ix)`` counts the
    documents, ``id in ix`` looks one up, and ``with`` closes the index at the end of
    the block. Every method raises :class:`IndexClosedError` after :meth:`close`, and
    :class:`CorruptIndexError` when the files it reads are damaged.
    """

    def _after_commit(self, written_in_call: int, call_finished: bool) -> None:
        """Keep the new commit's score table (:func:`diplosearch.scoring_terms.write_score_table`),
        making one at the end of a call that wrote many documents: an accelerator, so a
        failure is logged, never raised (the commit stands)."""
        try:
            from .store.score_table import TABLE_MIN_DOCUMENTS

            self._keep_score_table(make=call_finished and written_in_call >= TABLE_MIN_DOCUMENTS)
        except Exception:
            LOG.debug("no score table written for the new commit of %s", self.path, exc_info=True)

    def make_score_table(self) -> bool:
        """Make the newest commit's score table now, if it has none; returns whether it
        has one afterwards (never past the table's bound of 8 million postings, about
        70,000 articles, nor for an empty index).

        A write of fewer than 1,000 documents leaves its commit without a table (it
        would cost a small commit several times the commit itself), so an index that
        takes a few articles at a time searches as without one: each word is scored the
        first time a search meets it after a commit. Call this after such writes when
        searches matter more than the second it takes (about 0.5 s at 22,000 articles,
        under the write lock). The scores, and so every page, are the same either way.

        :raises DiplosearchError: the table cannot be written (a full disk); nothing changed.
        :raises IndexLockedError, CorruptIndexError: as for :meth:`add`.
        """
        session = self._writer()  # the write lock: no commit, and no other table, in between
        with session, reported_as_damage(self.path, "make a score table"):
            session.discard = True  # nothing is written but the table
            try:
                made = self._keep_score_table(make=True)
            except OSError as exc:  # a full disk, a read-only folder: no damage to report
                raise DiplosearchError(f"{self.path}: cannot write the score table ({exc}); "
                                       "the index is as it was") from exc
        return made is not None

    def _keep_score_table(self, make: bool) -> str | None:
        """Keep the newest commit's score table, making it when ``make``
        (:func:`diplosearch.scoring_terms.write_score_table`; call it holding the write
        lock); returns its path, None when the commit has none."""
        from .scoring_terms import write_score_table  # numpy: not imported before a write or search needs it

        # the commit's segments from its table of contents: a commit that makes no
        # table opens no reader and loads no columns here
        segments = [(segment.segment_id(), segment.doc_count_all()) for segment in self._whoosh._segments()]
        return write_score_table(self.path, segments, self.snapshot, durable=self.durable, make=make)

    def search(self, query: str, limit: int = 10, offset: int = 0, **options: Unpack[SearchOptions]) -> Results:
        """The page of hits for ``query``: ``limit`` hits (1 to 1,000) after skipping
        ``offset`` (``offset + limit`` at most 10,000), as :class:`Results`.

        ``options`` (keyword only) are ``fields``, ``boosts``, ``snippets``,
        ``snippet_chars``, ``markers``, ``snippet_format``, ``coordination``, ``sort``,
        ``ranking``, ``source``, ``category``, ``sub_category``, ``since``, ``until``,
        ``facets`` and ``fuzzy``; :func:`diplosearch.search.search` documents each, and
        :mod:`diplosearch.query_parser` the query syntax.

        :raises QueryError: the query is too long or names an unknown field, or an
            option has a value out of range (an :class:`InvalidArgumentError`).
        :raises TypeError: an option that does not exist.
        :raises CorruptIndexError: the index cannot be read.
        """
        _refuse_unknown_options("search", options)
        return self._reading_columns(lambda: search(self, query, limit=limit, offset=offset, **options))

    def search_iter(self, query: str, *, page_size: int = DEFAULT_PAGE_SIZE,
                    **options: Unpack[SearchOptions]) -> HitStream:
        """Every hit of ``query``, in rank order, as a :class:`HitStream` (an iterator of
        :class:`Hit` with a ``total``), read ``page_size`` hits (1 to 1,000) at a time;
        see :func:`diplosearch.paging.search_iter`. ``options`` are those of
        :meth:`search` except ``limit`` and ``offset``.

        :raises QueryError: a bad query or option (raised here, not at the first
            ``next()``), or more than 10,000 matching documents.
        :raises TypeError: an option that does not exist.
        """
        _refuse_unknown_options("search_iter", options)
        return search_iter(self, query, page_size=page_size, **options)

    def similar(self, doc_id: str, limit: int = 10, offset: int = 0, *, snippets: int = 2,
                snippet_chars: int = 200, markers: tuple[str, str] = DEFAULT_MARKERS,
                snippet_format: SnippetFormat = "text") -> Results:
        """Documents like the one with ``doc_id``, best first, itself left out, as
        :class:`Results` whose ``query`` lists the terms searched (its most distinctive
        ones; see :func:`diplosearch.search.similar`). ``limit``, ``offset`` and the
        snippet options are those of :meth:`search`.

        :raises DocumentError: no document has ``doc_id``.
        :raises InvalidArgumentError: ``doc_id`` is neither text nor an integer;
            :class:`QueryError` for an option out of range.
        """
        return self._reading_columns(lambda: similar(self, doc_id, limit=limit, offset=offset, snippets=snippets,
                                                    snippet_chars=snippet_chars, markers=markers,
                                                    snippet_format=snippet_format), "similar")


def _refuse_unknown_options(method: str, options: dict[str, object]) -> None:
    """Python's TypeError for a misspelt option, raised before the index is read: from
    inside the read it would be reported as damage."""
    for name in options:
        if name not in SearchOptions.__annotations__ and name not in ("limit", "offset"):
            raise TypeError(f"Index.{method}() got an unexpected keyword argument {name!r}")


def ensure_default_index(analyzer: IndonesianAnalyzer, *, writer_timeout: float = DEFAULT_WRITER_TIMEOUT,
                         durable: bool = True) -> Index:
    """Open the index of the bundled corpus, building or rebuilding it when it is stale.

    :raises DiplosearchError: the index home cannot hold it (a file, a read-only place).
    """
    try:
        return _default_index(analyzer, writer_timeout, durable)
    except OSError as exc:
        where = home.index_home()
        raise DiplosearchError(
            f"cannot keep the default index in the index home {where} ({exc.strerror or exc}: "
            f"{exc.filename or where}); set ${home.HOME_ENV} to a folder diplosearch may write"
        ) from exc


def _default_index(analyzer: IndonesianAnalyzer, writer_timeout: float, durable: bool) -> Index:
    path = home.index_home() / home.DEFAULT_INDEX_NAME
    refuse_unsafe(home.index_home(), "index home")
    refuse_unsafe(path, "index directory", with_files=True)
    files = home.bundled_corpus_files()
    wanted = home.corpus_fingerprint(files, analyzer)
    finish_interrupted_swap(path)
    try:
        manifest = read_manifest(path)
        if manifest.get("corpus_fingerprint") == wanted:
            index = Index.open(path, analyzer, writer_timeout=writer_timeout, durable=durable)
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

    def fill(index: IndexStore) -> None:
        report = index.add_files(files)
        if report.problems:
            raise DiplosearchError(f"bundled corpus unreadable: {report.problems[0]}")

    replace_index_directory(path, analyzer, fill, manifest_extra={"corpus_fingerprint": wanted}, store_class=Index)
    return _managed(Index.open(path, analyzer, writer_timeout=writer_timeout, durable=durable))


def _managed(index: Index) -> Index:
    index.managed = True
    return index


def rebuild_index(path: str | os.PathLike[str], analyzer: IndonesianAnalyzer | None = None) -> int:
    """Re-analyse every stored document of the index at ``path`` (a directory or a bare
    name); returns the number of documents. Shorthand for opening it with
    ``check_version=False`` and calling :meth:`Index.rebuild`.

    :raises CorruptIndexError: a stored document cannot be read (the sources must be
        indexed again); the index is left as it was.
    :raises IndexNotFoundError, NotAnIndexError, UnsafeIndexError, IndexLockedError:
        as for :func:`open_index` and any write.
    """
    with open_index(path, analyzer=analyzer, check_version=False) as index:
        return index.rebuild()


def check_index(
    path: str | os.PathLike[str] | None = None, *, analyzer: IndonesianAnalyzer | None = None
) -> CheckReport:
    """Verify the index at ``path`` (a directory or a bare name; default as for
    :func:`open_index`) without opening it for use, so that an index whose table of
    contents is damaged can be checked too; returns a :class:`CheckReport` (see
    :meth:`Index.check`). Damage is reported, not raised.

    :raises IndexNotFoundError, NotAnIndexError, UnsafeIndexError: nothing to check
        (no index at ``path``, not a diplosearch index, writable by other users).
    :raises InvalidArgumentError: ``path`` or ``analyzer`` is of the wrong kind.
    """
    _check_path(path)
    analyzer = _chosen_analyzer(analyzer)
    if path is None and not os.environ.get(home.INDEX_ENV):
        with ensure_default_index(analyzer) as index:  # repairs a damaged default index first
            return index.check()
    path = path if path is not None else os.environ[home.INDEX_ENV]
    if home.is_bare_name(path):
        refuse_unsafe(home.index_home(), "index home")
    resolved = home.resolve_index_path(path)
    refuse_unsafe(resolved, "index directory", with_files=True)
    if not resolved.exists():
        raise IndexNotFoundError(f"no index at {resolved}")
    return noting_outdated(verify_index(resolved, build_schema(analyzer)), resolved, analyzer.version)


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

    :param path: a directory, or a bare name looked up in :func:`~diplosearch.index_home`. Without
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
        :class:`IndexLockedError` (``math.inf``: as long as it takes).
    :param durable: flush each commit to disk (fsync) before it counts, so that it
        survives a power cut or an OS crash, not only a killed process. False saves
        a few milliseconds per commit where the index can be rebuilt anyway.
    :returns: the open :class:`Index`; close it (or use ``with``) when done.
    :raises InvalidArgumentError: ``for_writing`` without a named index, a negative or
        non-numeric ``writer_timeout``, a flag that is not True or False, a ``path`` or
        ``analyzer`` of the wrong kind.
    :raises IndexNotFoundError: no index at ``path`` and ``create`` not given.
    :raises NotAnIndexError: ``path`` is a file, or a directory that is not a
        diplosearch index (refused before any of it is read).
    :raises UnsafeIndexError: the index or the index home can be written by, or
        belongs to, another user.
    :raises CorruptIndexError: the index is damaged.
    :raises IndexVersionError: the index was built with another analysis or index
        format (and ``check_version`` is true): rebuild it.
    """
    if isinstance(writer_timeout, bool) or not isinstance(writer_timeout, (int, float)) or not writer_timeout >= 0:
        raise InvalidArgumentError(f"writer_timeout must be a number of seconds >= 0, not {writer_timeout!r}")
    _check_flags(create=create, for_writing=for_writing, check_version=check_version, durable=durable)
    _check_path(path)
    analyzer = _chosen_analyzer(analyzer)
    if path is None:
        configured = os.environ.get(home.INDEX_ENV)
        if not configured:
            if for_writing:
                raise InvalidArgumentError(
                    "name the index to write with --index PATH (the default index holds the bundled "
                    "corpus and is managed by diplosearch)"
                )
            return ensure_default_index(analyzer, writer_timeout=writer_timeout, durable=durable)
        path = configured
    if home.is_bare_name(path):
        refuse_unsafe(home.index_home(), "index home")
    resolved = home.resolve_index_path(path)
    if resolved.exists() and not resolved.is_dir():  # before its permissions are judged as a folder's
        kind = "a file" if resolved.is_file() else "not a directory"
        raise NotAnIndexError(f"{resolved} is {kind}, not an index directory")
    finish_interrupted_swap(resolved)  # before ``create`` could start an empty index there
    if create and (not resolved.exists() or (resolved.is_dir() and not any(resolved.iterdir()))):
        try:
            return Index.create(resolved, analyzer, writer_timeout=writer_timeout, durable=durable)
        except CreatedConcurrently:
            pass  # another process created it first: open theirs
    if not resolved.exists():
        raise IndexNotFoundError(
            f"no index at {resolved}; create one with open_index(..., create=True) or "
            f"`diplosearch index --index {resolved} FILE...`"
        )
    return Index.open(resolved, analyzer, check_version=check_version, writer_timeout=writer_timeout, durable=durable)


def _check_path(path: object) -> None:
    """An index is named by a path or a bare name, never by an empty one (which would
    mean the current directory) or by bytes, a number or a list."""
    if path is not None and (not isinstance(path, (str, os.PathLike)) or not os.fspath(path)):
        raise InvalidArgumentError(f"an index is named by a directory path or a bare name, not {path!r}")


def _chosen_analyzer(analyzer: object) -> IndonesianAnalyzer:
    if analyzer is None:
        return IndonesianAnalyzer()
    if not isinstance(analyzer, IndonesianAnalyzer):
        raise InvalidArgumentError(f"analyzer must be a diplosearch.IndonesianAnalyzer, not {type(analyzer).__name__}")
    return analyzer


def _check_flags(**flags: object) -> None:
    # "no" or 0 read as a flag would silently mean True or False
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise InvalidArgumentError(f"{name} must be True or False, not {value!r}")
