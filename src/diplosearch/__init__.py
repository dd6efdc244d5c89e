"""diplosearch: full-text search for Indonesian news.

>>> import diplosearch
>>> ix = diplosearch.open_index()              # the bundled corpus, built on first use
>>> res = ix.search("peranan pelopor")
>>> res.hits[0].title, res.hits[0].snippets     # doctest: +SKIP
"""

from __future__ import annotations

from .analysis.analyzer import IndonesianAnalyzer, analyze, stem
from .documents import Document, InputProblem, Quote
from .ingest import parse_article, read_documents
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
from .store.home import check_index, index_home, open_index, rebuild_index
from .store.integrity import CheckReport
from .store.index import Index, IndexStats, WriteReport

__version__ = "1.0.0"

__all__ = [
    "CheckReport",
    "DEFAULT_FIELD_BOOSTS",
    "CorruptIndexError",
    "DiplosearchError",
    "Document",
    "DocumentError",
    "Hit",
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
    "QueryError",
    "UnsafeIndexError",
    "Quote",
    "Results",
    "TEXT_FIELDS",
    "WriteReport",
    "analyze",
    "check_index",
    "index_home",
    "open_index",
    "parse_article",
    "read_documents",
    "rebuild_index",
    "stem",
    "__version__",
]
