"""Searching: parse the query into diplosearch's own tree, score it with numpy over the
commit's column files, and turn the best documents into :class:`Hit` and :class:`Results`.

The query syntax is :mod:`diplosearch.query_parser`'s; the ranking is
:mod:`diplosearch.scoring`'s. Nothing on this path runs Whoosh's query parser or
matchers: Whoosh is the index on disk and the place stored fields are read from.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Iterator, Literal, Mapping, Sequence

import attrs

from .documents import Document
from .errors import CorruptIndexError, DiplosearchError, QueryError
from .highlight import DEFAULT_MARKERS, SNIPPET_FORMATS, SnippetFormat, make_snippets
from .query import MatchNothing
from .query_parser import MAX_BOOST, MAX_QUERY_CHARS, parse_query
from .schema import DATE_FIELD, DEFAULT_FIELD_BOOSTS, FILTER_FIELDS, TEXT_FIELDS, document_from_stored

if TYPE_CHECKING:
    from .scoring import Ranking
    from .store.index import Index

__all__ = ["MAX_DEPTH", "MAX_QUERY_CHARS", "Hit", "Results", "search"]

#: At most this many hits are collected for one page (``offset + limit``).
MAX_DEPTH = 10_000
#: Orders a search can return its hits in.
SORT_ORDERS = ("relevance", "newest", "oldest")


@attrs.frozen
class Hit:
    """One ranked result."""

    rank: int
    """1 for the best hit (counting from the first result, not from ``offset``)."""
    id: str
    title: str
    score: float
    """The BM25F score (field-boosted); higher is better. 0 when sorted by date alone."""
    matched_terms: int
    """How many of the query's distinct terms the document contains."""
    snippets: list[str]
    """Passages of the stored text around the best matches, matches wrapped in markers."""
    document: Document


@attrs.frozen
class Results:
    """A page of hits for one query."""

    query: str
    total: int
    """How many documents match in all (not only on this page)."""
    offset: int
    limit: int
    hits: list[Hit]
    ignored: tuple[str, ...] = ()
    """Words of the query that were ignored because they are stop words."""
    dropped: tuple[str, ...] = ()
    """Terms left out because the query had more distinct terms than a query may look up."""

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)


def _check_page(limit: object, offset: object) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise QueryError(f"limit must be a whole number from 1 to 1000, not {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise QueryError(f"offset must be a whole number >= 0, not {offset!r}")
    if offset + limit > MAX_DEPTH:
        raise QueryError(f"offset + limit may be at most {MAX_DEPTH:,}")


def _field_weights(boosts: Mapping[str, float] | None) -> dict[str, float]:
    weights = dict(DEFAULT_FIELD_BOOSTS)
    if boosts is None:
        return weights
    if not isinstance(boosts, Mapping):
        raise QueryError(f"boosts must map field names to weights, not {type(boosts).__name__}")
    for name, value in boosts.items():
        if name not in TEXT_FIELDS:
            raise QueryError(f"unknown field {name!r} in boosts; fields are {', '.join(TEXT_FIELDS)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and 0 <= value <= MAX_BOOST
        ):
            raise QueryError(f"the boost of {name!r} must be a number >= 0 (at most {MAX_BOOST:g}), not {value!r}")
        weights[name] = float(value)
    return weights


def _ranking(
    ranking: "Ranking | None", boosts: Mapping[str, float] | None, coordination: bool | str | None
) -> "Ranking":
    from .scoring import DEFAULT_RANKING, Ranking

    chosen = DEFAULT_RANKING if ranking is None else ranking
    if not isinstance(chosen, Ranking):
        raise QueryError(f"ranking must be a diplosearch.Ranking, not {type(chosen).__name__}")
    if boosts is not None:
        chosen = attrs.evolve(chosen, boosts={**chosen.boosts, **_field_weights(boosts)})
    if coordination is None:
        return chosen
    if coordination is True:
        # "on" keeps the ranking's own rule, or 1.0's strict one if that is "off"
        return chosen if chosen.coordination != "off" else attrs.evolve(chosen, coordination="strict")
    if coordination is False:
        return attrs.evolve(chosen, coordination="off")
    if coordination in ("strict", "soft", "off"):
        return attrs.evolve(chosen, coordination=coordination)
    raise QueryError(f"coordination must be True, False, 'strict', 'soft' or 'off', not {coordination!r}")


def search(
    index: "Index",
    query: str,
    limit: int = 10,
    offset: int = 0,
    *,
    fields: Sequence[str] | None = None,
    boosts: Mapping[str, float] | None = None,
    snippets: int = 2,
    snippet_chars: int = 200,
    markers: tuple[str, str] = DEFAULT_MARKERS,
    coordination: bool | Literal["strict", "soft", "off"] | None = None,
    sort: Literal["relevance", "newest", "oldest"] = "relevance",
    ranking: "Ranking | None" = None,
    snippet_format: SnippetFormat = "text",
) -> Results:
    """Search ``index`` for ``query``.

    :param limit: hits on this page (1..1000); ``offset``: hits to skip.
    :param fields: fields searched by words with no ``field:`` prefix (default all:
        title, quotes, captions, body).
    :param boosts: per-field weights overriding the ranking's (default
        :data:`~diplosearch.schema.DEFAULT_FIELD_BOOSTS`).
    :param snippets: passages per hit (0 for none); ``snippet_chars`` their length.
    :param markers: what goes before and after each highlighted word (not escaped:
        for a web page use ``snippet_format="html"``).
    :param snippet_format: ``"text"`` (default) marks matches with ``markers`` in the
        text as stored; ``"html"`` escapes the text and marks matches with
        ``<mark>``...``</mark>``, ignoring ``markers``.
    :param coordination: how "more of the query's words first" applies: True (the
        ranking's rule), False (BM25F alone), or ``"strict"``, ``"soft"``, ``"off"``.
    :param sort: ``"relevance"`` (default), ``"newest"`` or ``"oldest"`` (by
        ``published``; documents without a date come last). A query of filters
        alone is listed newest first.
    :param ranking: a :class:`~diplosearch.scoring.Ranking` (k1, b, weights, rules);
        default :data:`~diplosearch.scoring.DEFAULT_RANKING`.
    :raises QueryError: the query is malformed, too long, names an unknown field, or
        an argument is out of range.
    """
    _check_page(limit, offset)
    if isinstance(snippets, bool) or not isinstance(snippets, int) or snippets < 0:
        raise QueryError(f"snippets must be a whole number >= 0, not {snippets!r}")
    if snippet_format not in SNIPPET_FORMATS:
        raise QueryError(f"snippet_format must be one of {', '.join(SNIPPET_FORMATS)}, not {snippet_format!r}")
    if sort not in SORT_ORDERS:
        raise QueryError(f"sort must be one of {', '.join(SORT_ORDERS)}, not {sort!r}")
    if fields is not None:
        fields = list(fields)
        unknown = [name for name in fields if name not in TEXT_FIELDS]
        if unknown:
            raise QueryError(f"unknown field {unknown[0]!r}; searchable fields are {', '.join(TEXT_FIELDS)}")
        if not fields:
            raise QueryError(f"fields must name at least one of {', '.join(TEXT_FIELDS)}")
    chosen = _ranking(ranking, boosts, coordination)
    parsed = parse_query(
        query,
        index.analyzer,
        text_fields=TEXT_FIELDS,
        default_fields=fields,
        filter_fields=FILTER_FIELDS,
        date_field=DATE_FIELD,
    )
    empty = Results(query=query, total=0, offset=offset, limit=limit, hits=[],
                    ignored=parsed.ignored, dropped=parsed.dropped)
    if isinstance(parsed.root, MatchNothing):
        return empty
    if not parsed.terms and sort == "relevance":
        sort = "newest"  # nothing to rank by: list what the filters keep, newest first
    from . import scoring

    with index.snapshot() as snapshot:
        commit = snapshot.columns
        if sort == "relevance":
            page = scoring.rank(commit, parsed.root, ranking=chosen, limit=limit, offset=offset)
            total, docnums = page.total, page.docnums.tolist()
            scores, matched = page.scores.tolist(), page.matched_terms.tolist()
        else:
            total, found = scoring.by_date(
                commit, parsed.root, newest_first=sort == "newest", limit=limit, offset=offset
            )
            docnums = found.tolist()
            scores, matched = [0.0] * len(docnums), scoring.matched_counts(commit, parsed.root, found).tolist()
        try:
            stored = [snapshot.stored_fields(docnum) for docnum in docnums]
        except DiplosearchError:
            raise
        except Exception as exc:  # Whoosh reports a damaged stored-fields file in many ways
            raise CorruptIndexError(
                f"{index.path}: cannot read stored documents ({type(exc).__name__}: {exc})"
            ) from exc
    hits = []
    for position, (score, count, fields_stored) in enumerate(zip(scores, matched, stored), start=offset + 1):
        document = document_from_stored(fields_stored)
        hits.append(
            Hit(
                rank=position,
                id=document.id,
                title=document.title,
                score=round(score, 6),
                matched_terms=int(count),
                snippets=make_snippets(
                    document,
                    parsed.terms,
                    index.analyzer,
                    count=snippets,
                    max_chars=snippet_chars,
                    markers=markers,
                    snippet_format=snippet_format,
                )
                if snippets > 0 and parsed.terms
                else [],
                document=document,
            )
        )
    return attrs.evolve(empty, total=total, hits=hits)
