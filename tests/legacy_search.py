"""diplosearch 1.0's Whoosh-based query path, kept as a reference for differential tests.

1.0 parsed queries with ``whoosh.qparser`` and ranked them with Whoosh's matchers
(BM25F summed per field, plus a coordination rule). The product no longer runs this
code: its own parser and the numpy scorer replaced it. Tests compare the two on plain
word queries, where both must give the same pages and scores.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from whoosh import qparser, query as wq
from whoosh.matching import NullMatcherClass, UnionMatcher, WrappingMatcher
from whoosh.searching import SearchContext

from diplosearch.analysis.normalize import clean_text
# 1.0's fields and weights (it had no lead field)
TEXT_FIELDS = ("title", "quotes", "captions", "body")
DEFAULT_FIELD_BOOSTS = {"title": 3.0, "quotes": 2.0, "captions": 1.5, "body": 1.0}

# Coordination is folded into Whoosh's single score as ``matched * SCALE + bm25f``.
_COORDINATION_SCALE = 1_000_000.0


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
    """Parse a user query into a Whoosh query, as 1.0 did."""
    fields = list(fields) if fields else list(TEXT_FIELDS)
    field_boosts = dict(DEFAULT_FIELD_BOOSTS)
    field_boosts.update(boosts or {})
    return _parser(fields, field_boosts, schema).parse(clean_text(text))


def _bm25f_and_matched(hit, coordination: bool) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """A hit's BM25F score and how many distinct query terms it matched."""
    if coordination:
        # The coordinated score is matched * _COORDINATION_SCALE + BM25F.
        matched = int(hit.score // _COORDINATION_SCALE)
        return hit.score - matched * _COORDINATION_SCALE, matched
    return hit.score, len({text for _field, text in hit.matched_terms()})


def search_1_0(searcher, text: str, limit: int = 10, *, coordination: bool = True,
               fields: Sequence[str] | None = None, boosts: Mapping[str, float] | None = None):
    """1.0's ranking of ``text`` on a Whoosh ``searcher`` (BM25F weighting): (total,
    [(stored fields, BM25F score, matched terms)] best first)."""
    parsed = parse_query(text, searcher.schema, fields, boosts)
    if parsed is wq.NullQuery or not positive_terms(parsed):
        return 0, []
    runnable = CoordinatedQuery(parsed) if coordination else parsed
    found = searcher.search(runnable, limit=limit, terms=not coordination)
    page = [(dict(hit.fields()), *_bm25f_and_matched(hit, coordination)) for hit in found[:limit]]
    return len(found), page
