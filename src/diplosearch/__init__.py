"""diplosearch: full-text search for Indonesian news.

>>> import diplosearch
>>> ix = diplosearch.open_index()              # the bundled corpus, built on first use
>>> res = ix.search("peranan pelopor")
>>> res.hits[0].title, res.hits[0].snippets     # doctest: +SKIP
"""

from __future__ import annotations

from .analysis.analyzer import IndonesianAnalyzer, analyze, stem
from .documents import Document, InputProblem, Quote
from .ingest import parse_article, read_documents, read_jsonl_stream
from .errors import (
    CorruptIndexError,
    DiplosearchError,
    DocumentError,
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
from .store.home import check_index, index_home, open_index, rebuild_index
from .store.index import Index
from .store.integrity import CheckReport
from .store.reports import DeleteReport, IndexStats, Progress, WriteReport

__version__ = "1.0.0"


def __getattr__(name: str) -> object:
    # The ranking needs numpy; importing it only when asked keeps `import diplosearch` light.
    if name in ("Ranking", "DEFAULT_RANKING", "BM25F_RANKING", "WHOOSH_RANKING"):
        from . import scoring

        return getattr(scoring, name)
    raise AttributeError(f"module 'diplosearch' has no attribute {name!r}")


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
