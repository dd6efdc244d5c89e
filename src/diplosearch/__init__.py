"""diplosearch: full-text search for Indonesian news.

>>> import diplosearch
>>> ix = diplosearch.open_index()              # the bundled corpus, built on first use
>>> res = ix.search("peranan pelopor")
>>> res.hits[0].title, res.hits[0].snippets     # doctest: +SKIP

Where to look next:

- :func:`open_index` opens (or with ``create=True`` creates) an :class:`Index`;
  :meth:`Index.search` returns :class:`Results` of :class:`Hit`; :meth:`Index.add`,
  :meth:`Index.add_many` and :meth:`Index.add_files` write :class:`Document` objects
  and files (a :class:`WriteReport`); :func:`check_index` and :func:`rebuild_index`
  look after a damaged or outdated index.
- :class:`Ranking` (:data:`DEFAULT_RANKING`, :data:`WHOOSH_RANKING`) sets the scoring;
  :func:`analyze` and :func:`stem` show what a text is indexed as.
- Every error raised on purpose is a :class:`DiplosearchError` (see
  :mod:`diplosearch.errors`); the query syntax is in :mod:`diplosearch.query_parser`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lean_whoosh import prepare_whoosh_imports

prepare_whoosh_imports()  # before anything imports Whoosh: see lean_whoosh

from .analysis.analyzer import IndonesianAnalyzer, analyze, stem
from .documents import Document, InputProblem, Quote
from .errors import (
    CorruptIndexError,
    DiplosearchError,
    DocumentError,
    IndexClosedError,
    IndexLockedError,
    IndexNotFoundError,
    IndexVersionError,
    InputFileError,
    InvalidArgumentError,
    NotAnIndexError,
    QueryError,
    UnsafeIndexError,
)
from .schema import DEFAULT_FIELD_BOOSTS, TEXT_FIELDS
from .search import Hit, Results
from .paging import HitStream
from .index import Index, check_index, open_index, rebuild_index
from .store.home import index_home
from .store.integrity import CheckReport

if TYPE_CHECKING:
    from .ingest import parse_article, read_documents, read_jsonl_stream
    from .ranking import BM25F_RANKING, DEFAULT_RANKING, WHOOSH_RANKING, Ranking
    from .store.reports import DeleteReport, IndexStats, Progress, WriteReport

__version__ = "1.0.0"

# Names imported on first use (PEP 562): a process that only searches never loads the
# file and article parsers or the write reports, and `import diplosearch` does not
# load numpy for the ranking.
_LAZY = {
    "DeleteReport": "store.reports",
    "IndexStats": "store.reports",
    "Progress": "store.reports",
    "WriteReport": "store.reports",
    "parse_article": "ingest",
    "read_documents": "ingest",
    "read_jsonl_stream": "ingest",
    "Ranking": "ranking",
    "DEFAULT_RANKING": "ranking",
    "BM25F_RANKING": "ranking",
    "WHOOSH_RANKING": "ranking",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'diplosearch' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # once found, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "CheckReport",
    "DEFAULT_FIELD_BOOSTS",
    "CorruptIndexError",
    "DeleteReport",
    "DiplosearchError",
    "Document",
    "DocumentError",
    "Hit",
    "HitStream",
    "Index",
    "IndexClosedError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexStats",
    "IndexVersionError",
    "IndonesianAnalyzer",
    "InputFileError",
    "InvalidArgumentError",
    "InputProblem",
    "NotAnIndexError",
    "Progress",
    "QueryError",
    "UnsafeIndexError",
    "Quote",
    "Ranking",
    "DEFAULT_RANKING",
    "BM25F_RANKING",
    "WHOOSH_RANKING",
    "Results",
    "TEXT_FIELDS",
    "WriteReport",
    "analyze",
    "check_index",
    "index_home",
    "open_index",
    "parse_article",
    "read_documents",
    "read_jsonl_stream",
    "rebuild_index",
    "stem",
    "__version__",
]
