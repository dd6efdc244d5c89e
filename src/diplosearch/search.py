"""Searching: query syntax, BM25F ranking with a coordination rule, Hit and Results.

Query syntax (a small, forgiving subset of Whoosh's):

- words are OR-ed; a document matching more of the query's words ranks above one
  matching fewer, and BM25F orders documents that match as many;
- ``"peranan pelopor"`` is a phrase; ``title:pelopor`` / ``quotes:(kerja sama)``
  restrict to a field; ``-kata`` or ``NOT kata`` excludes; ``AND``/``OR`` and
  parentheses group; ``kata^2`` boosts a word.

Wildcards, ranges and fuzzy terms are not query syntax (``*`` is just punctuation),
so no query can expand into a scan of the whole vocabulary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

import attrs
from whoosh import qparser, query as wq
from whoosh.matching import NullMatcherClass, UnionMatcher, WrappingMatcher
from whoosh.searching import SearchContext

from .analysis.normalize import clean_text
from .documents import Document
from .errors import CorruptIndexError, QueryError
from .highlight import DEFAULT_MARKERS, SNIPPET_FORMATS, SnippetFormat, make_snippets
from .schema import DEFAULT_FIELD_BOOSTS, TEXT_FIELDS, document_from_stored

if TYPE_CHECKING:
    from .store.index import Index

#: Queries longer than this are refused rather than silently cut.
MAX_QUERY_CHARS = 2_000
#: At most this many hits are collected for one page (``offset + limit``).
MAX_DEPTH = 10_000

# Coordination is folded into Whoosh's single score as ``matched * SCALE + bm25f``;
# BM25F sums stay far below this (idf < 20, boosts <= ~10, a few dozen terms).
_COORDINATION_SCALE = 1_000_000.0


@attrs.frozen
class Hit:
    """One ranked result."""

    rank: int
    """1 for the best hit (counting from the first result, not from ``offset``)."""
    id: str
    title: str
    score: float
    """The BM25F score (field-boosted); higher is better."""
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

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.hits)


def _term_leaves(matcher) -> list[tuple[bytes, object, float]] | None:  # type: ignore[no-untyped-def]
    """The term matchers of a tree made only of unions and boosts, each with the product
    of the boosts above it; None for any other tree (phrases, AND, NOT...)."""
    leaves: list[tuple[bytes, object, float]] = []
    pending = [(matcher, 1.0)]
    while pending:
        node, node_boost = pending.pop()
        kind = type(node)
        if kind is UnionMatcher:
            pending.append((node.a, node_boost))
            pending.append((node.b, node_boost))
        elif kind is WrappingMatcher:
            pending.append((node.child, node_boost * node.boost))
        elif kind is NullMatcherClass:
            continue
        else:
            term = node.term()
            if term is None or node.children():
                return None
            leaves.append((term[1], node, node_boost))
    return leaves


class _CoordinationMatcher(WrappingMatcher):
    """Scores a document by how many distinct query terms it contains, then by BM25F."""

    def __init__(self, child, boost: float = 1.0):  # type: ignore[no-untyped-def]
        super().__init__(child, boost)
        # Most queries are an OR of words over the fields: for those, one pass over the
        # term matchers gives both the matched terms and the BM25F sum, instead of two
        # recursive walks of the union tree per document.
        self._leaves = _term_leaves(child)

    def _replacement(self, newchild):  # type: ignore[no-untyped-def]
        return self.__class__(newchild)

    def supports_block_quality(self) -> bool:
        # Block-max skipping assumes the child's score bound; ours adds to it.
        return False

    def replace(self, minquality=0):  # type: ignore[no-untyped-def]
        # Whoosh's top-N collector calls replace(minscore) to drop sub-matchers that
        # cannot beat the N-th best score. Our scores carry the coordination bonus,
        # which the child's quality bounds do not, so passing minscore on would drop
        # everything after the first N matches (wrong top hits, wrong total).
        return super().replace(0)

    def score(self) -> float:
        leaves = self._leaves
        if leaves is None:
            matched = len({text for _field, text in self.child.matching_terms()})
            return matched * _COORDINATION_SCALE + self.child.score()
        current = self.child.id()
        texts = set()
        bm25f = 0.0
        for text, leaf, boost in leaves:
            if leaf.is_active() and leaf.id() == current:
                texts.add(text)
                bm25f += leaf.score() * boost
        return len(texts) * _COORDINATION_SCALE + bm25f


class CoordinatedQuery(wq.WrappingQuery):
    """Wraps a query so that documents matching more of its distinct terms rank first."""

    def matcher(self, searcher, context=None):  # type: ignore[no-untyped-def]
        # Without needs_current, Whoosh may merge postings into array matchers that
        # cannot say which terms match the current document.
        context = context.set(needs_current=True) if context is not None else SearchContext(needs_current=True)
        child = self.child.matcher(searcher, context)
        if child.is_active():
            return _CoordinationMatcher(child)
        return child


def _parser(fields: Sequence[str], boosts: Mapping[str, float], schema) -> qparser.QueryParser:  # type: ignore[no-untyped-def]
    parser = qparser.MultifieldParser(list(fields), schema, fieldboosts=dict(boosts), group=qparser.OrGroup)
    for plugin_class in (
        qparser.WildcardPlugin,
        qparser.RangePlugin,
        qparser.EveryPlugin,
        qparser.SingleQuotePlugin,
    ):
        parser.remove_plugin_class(plugin_class)
    # `-` excludes only at the start of a word: inside one it is Indonesian
    # reduplication or a compound (negara-negara, sosial-ekonomi, Covid-19), which
    # Whoosh's default reading turns into "negara NOT negara".
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+(?=\S)", minusexpr=r"(?<![^\s(])-(?=\S)"))
    return parser


def positive_terms(q: wq.Query) -> set[str]:
    """The term texts a document may match to satisfy ``q`` (excluded terms left out)."""
    if isinstance(q, wq.AndNot):
        return positive_terms(q.a)
    if isinstance(q, wq.Not):
        return set()
    if isinstance(q, wq.Term):
        return {q.text}
    if isinstance(q, wq.Phrase):
        return set(q.words)
    terms: set[str] = set()
    for child in q.children():
        terms |= positive_terms(child)
    return terms


def parse_query(
    text: str,
    schema,  # type: ignore[no-untyped-def]
    fields: Sequence[str] | None = None,
    boosts: Mapping[str, float] | None = None,
) -> wq.Query:
    """Parse a user query into a Whoosh query; raises :class:`QueryError` when it cannot."""
    if not isinstance(text, str):
        raise QueryError(f"a query must be a string, not {type(text).__name__}")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}")
    fields = list(fields) if fields else list(TEXT_FIELDS)
    unknown = [f for f in fields if f not in TEXT_FIELDS]
    if unknown:
        raise QueryError(f"unknown field {unknown[0]!r}; searchable fields are {', '.join(TEXT_FIELDS)}")
    field_boosts = dict(DEFAULT_FIELD_BOOSTS)
    if boosts:
        for name, value in boosts.items():
            if name not in TEXT_FIELDS:
                raise QueryError(f"unknown field {name!r} in boosts; fields are {', '.join(TEXT_FIELDS)}")
            if not isinstance(value, (int, float)) or value < 0:
                raise QueryError(f"the boost of {name!r} must be a number >= 0, not {value!r}")
            field_boosts[name] = float(value)
    try:
        parsed = _parser(fields, field_boosts, schema).parse(clean_text(text))
    except Exception as exc:  # Whoosh's parser raises assorted errors on odd input
        raise QueryError(
            f"cannot parse the query ({type(exc).__name__}: {exc}); check its parentheses, "
            "quotes and operators"
        ) from exc
    return parsed


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
    coordination: bool = True,
    snippet_format: SnippetFormat = "text",
) -> Results:
    """Search ``index`` for ``query``.

    :param limit: hits on this page (1..1000); ``offset``: hits to skip.
    :param fields: fields searched by words with no ``field:`` prefix (default all:
        title, quotes, captions, body).
    :param boosts: per-field weights overriding :data:`DEFAULT_FIELD_BOOSTS`.
    :param snippets: passages per hit (0 for none); ``snippet_chars`` their length.
    :param markers: what goes before and after each highlighted word (not escaped:
        for a web page use ``snippet_format="html"``).
    :param snippet_format: ``"text"`` (default) marks matches with ``markers`` in the
        text as stored; ``"html"`` escapes the text and marks matches with
        ``<mark>``...``</mark>``, ignoring ``markers``.
    :param coordination: rank by the number of matched query terms first (default);
        False ranks by BM25F alone.
    :raises QueryError: the query is malformed, too long, or names an unknown field.
    """
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise QueryError(f"limit must be a whole number from 1 to 1000, not {limit!r}")
    if not isinstance(offset, int) or offset < 0:
        raise QueryError(f"offset must be a whole number >= 0, not {offset!r}")
    if offset + limit > MAX_DEPTH:
        raise QueryError(f"offset + limit may be at most {MAX_DEPTH:,}")
    if snippet_format not in SNIPPET_FORMATS:
        raise QueryError(f"snippet_format must be one of {', '.join(SNIPPET_FORMATS)}, not {snippet_format!r}")
    with index.reading() as searcher:
        parsed = parse_query(query, searcher.schema, fields, boosts)
        terms = positive_terms(parsed)
        if parsed is wq.NullQuery or not terms:
            return Results(query=query, total=0, offset=offset, limit=limit, hits=[])
        runnable = CoordinatedQuery(parsed) if coordination else parsed
        try:
            # Without the coordination score, Whoosh records which terms each hit matched.
            found = searcher.search(runnable, limit=offset + limit, terms=not coordination)
            total = len(found)
            page = [
                (*_bm25f_and_matched(hit, coordination), dict(hit.fields()))
                for hit in found[offset : offset + limit]
            ]
        except Exception as exc:
            raise CorruptIndexError(
                f"{index.path}: search failed while reading the index ({type(exc).__name__}: {exc})"
            ) from exc
    hits = []
    for position, (score, matched, stored) in enumerate(page, start=offset + 1):
        document = document_from_stored(stored)
        hits.append(
            Hit(
                rank=position,
                id=document.id,
                title=document.title,
                score=round(score, 6),
                matched_terms=matched,
                snippets=make_snippets(
                    document,
                    terms,
                    index.analyzer,
                    count=snippets,
                    max_chars=snippet_chars,
                    markers=markers,
                    snippet_format=snippet_format,
                )
                if snippets > 0
                else [],
                document=document,
            )
        )
    return Results(query=query, total=total, offset=offset, limit=limit, hits=hits)


def _bm25f_and_matched(hit, coordination: bool) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """A hit's BM25F score and how many distinct query terms it matched."""
    if coordination:
        # The coordinated score is matched * _COORDINATION_SCALE + BM25F.
        matched = int(hit.score // _COORDINATION_SCALE)
        return hit.score - matched * _COORDINATION_SCALE, matched
    return hit.score, len({text for _field, text in hit.matched_terms()})
