"""diplosearch's own query tree: what a parsed query means, independent of Whoosh.

The parser turns the text a user typed into a tree of the nodes below; the scorer
evaluates the tree over the index's columns. Words are already *analysed* here
(``Term.text`` is an index term, e.g. ``peran`` for ``peranan``), so the scorer never
runs the analyzer. Field weights are not in the tree: they belong to the search call
(``boosts=``), so one parsed tree can be scored with any weights.

Scoring semantics every evaluator follows (1.0's, which Whoosh's matchers defined):

- ``Term``: the BM25F contribution of ``text`` in each of ``fields`` (times the
  field's weight), times ``boost``; it matches a document holding the term in any of
  those fields.
- ``Phrase``: matches where ``texts`` stand at consecutive positions within one of
  ``fields``; it scores, over each field where the phrase stands, the sum of its
  terms' scores in that field (a field where the words occur apart adds nothing).
- ``AnyOf`` (OR): matches where any child matches; score = sum of matching children.
- ``AllOf`` (AND): matches where every child matches; score = sum of children.
- ``Exclude``: matches ``positive`` where ``negative`` does not; score = positive's.
  Terms under ``negative`` never count as matched terms.
- ``AndMaybe``: matches where ``required`` matches; adds ``optional``'s score (and its
  matched terms) where it matches too (``+must maybe``).
- ``Filter`` / ``DateRange``: restrict without scoring (score contribution 0, and
  their values never count as matched terms).
- ``Fuzzy``: the close spellings of ``word`` (edit distance <= ``max_edits``, the
  ``max_expansions`` most frequent), each scored as a ``Term`` and ranked below an
  exact match.
- ``MatchNothing``: no document (an empty or stop-words-only query).
- ``MatchAll``: every document, score 0 (a filter-only query).

Every node carries ``boost`` (a multiplier on its score, default 1).
"""

from __future__ import annotations

import datetime as _dt
from typing import Iterator, Sequence, Union

import attrs


@attrs.frozen
class Term:
    """One analysed index term, matched in any of ``fields``."""

    text: str
    fields: tuple[str, ...]
    boost: float = 1.0


@attrs.frozen
class Phrase:
    """Analysed terms that must stand at consecutive positions in one field."""

    texts: tuple[str, ...]
    fields: tuple[str, ...]
    boost: float = 1.0


#: At most this many close spellings stand in for one fuzzy word, most frequent first.
MAX_FUZZY_EXPANSIONS = 10
#: At most this many close spellings stand in for all the fuzzy words of one query
#: together (see :func:`with_expansion_budget`).
MAX_QUERY_EXPANSIONS = 64
#: Fuzzy words of one query past this many are matched exactly (finding a word's close
#: spellings is the costliest part of a fuzzy query asked for the first time).
MAX_FUZZY_WORDS = 16


@attrs.frozen
class Fuzzy:
    """Index terms within ``max_edits`` edits of the analysed ``word`` (``kata~``): at
    most ``max_expansions`` of them, the most frequent."""

    word: str
    fields: tuple[str, ...]
    max_edits: int = 1
    boost: float = 1.0
    max_expansions: int = MAX_FUZZY_EXPANSIONS


@attrs.frozen
class AnyOf:
    """OR: documents matching any child, scored by the sum of the matching children."""

    children: tuple["Node", ...]
    boost: float = 1.0


@attrs.frozen
class AllOf:
    """AND: documents matching every child, scored by the sum of the children."""

    children: tuple["Node", ...]
    boost: float = 1.0


@attrs.frozen
class Exclude:
    """``positive`` AND NOT ``negative``: scored as ``positive``."""

    positive: "Node"
    negative: "Node"
    boost: float = 1.0


@attrs.frozen
class AndMaybe:
    """``required``, plus ``optional``'s score where it matches as well."""

    required: "Node"
    optional: "Node"
    boost: float = 1.0


@attrs.frozen
class Filter:
    """Documents whose ``field`` (``source``, ``category``, ``sub_category``) equals one of
    ``values`` (compared case-folded); never changes a score."""

    field: str
    values: tuple[str, ...]
    boost: float = 1.0


@attrs.frozen
class DateRange:
    """Documents published from ``start`` to ``end`` (both inclusive, either open);
    documents without a date never match. Never changes a score."""

    start: _dt.date | None
    end: _dt.date | None
    boost: float = 1.0


@attrs.frozen
class MatchNothing:
    """No document at all."""

    boost: float = 1.0


@attrs.frozen
class MatchAll:
    """Every (live) document, with score 0."""

    boost: float = 1.0


Node = Union[Term, Phrase, Fuzzy, AnyOf, AllOf, Exclude, AndMaybe, Filter, DateRange, MatchNothing, MatchAll]


def positive_leaves(node: Node, excluded: bool = False) -> Iterator[Union[Term, Phrase, Fuzzy]]:
    """The Term, Phrase and Fuzzy leaves a document can match to satisfy ``node``, in
    tree order: an ``Exclude``'s negative side is skipped (walked too with
    ``excluded``), and filters are not leaves."""
    if isinstance(node, (Term, Phrase, Fuzzy)):
        yield node
    elif isinstance(node, (AnyOf, AllOf)):
        for child in node.children:
            yield from positive_leaves(child, excluded)
    elif isinstance(node, Exclude):
        yield from positive_leaves(node.positive, excluded)
        if excluded:
            yield from positive_leaves(node.negative, excluded)
    elif isinstance(node, AndMaybe):
        yield from positive_leaves(node.required, excluded)
        yield from positive_leaves(node.optional, excluded)


def leaf_terms(leaf: Union[Term, Phrase, Fuzzy]) -> tuple[str, ...]:
    """The terms one positive leaf stands for (a Fuzzy: its analysed word)."""
    if isinstance(leaf, Term):
        return (leaf.text,)
    if isinstance(leaf, Phrase):
        return leaf.texts
    return (leaf.word,)


# -- building trees (the parser's and the rewrites' helpers)


def with_boost(node: Node, boost: float | None) -> Node:
    """``node`` with its boost multiplied by ``boost`` (itself for None or 1)."""
    if boost is None or boost == 1.0:
        return node
    return attrs.evolve(node, boost=node.boost * boost)


def distinct_nodes(nodes: Sequence[Node]) -> list[Node]:
    """``nodes`` with each one kept once, first occurrence first."""
    return list(dict.fromkeys(nodes))  # one hash per node (a set tested then added took two)


def any_of(children: Sequence[Node], boost: float = 1.0) -> Node:
    """OR of ``children``: nested unboosted ORs flattened, identical children kept once."""
    flat: list[Node] = []
    for child in children:
        if isinstance(child, AnyOf) and child.boost == 1.0:
            flat.extend(child.children)
        elif not isinstance(child, MatchNothing):
            flat.append(child)
    flat = distinct_nodes(flat)
    if not flat:
        return MatchNothing()
    if len(flat) == 1:
        return with_boost(flat[0], boost)
    return AnyOf(tuple(flat), boost)


def all_of(children: Sequence[Node], boost: float = 1.0) -> Node:
    """AND of ``children``: nested unboosted ANDs flattened, identical children kept once."""
    flat: list[Node] = []
    for child in children:
        if isinstance(child, AllOf) and child.boost == 1.0:
            flat.extend(child.children)
        else:
            flat.append(child)
    if any(isinstance(child, MatchNothing) for child in flat):
        return MatchNothing()
    flat = distinct_nodes(flat)
    if len(flat) == 1:
        return with_boost(flat[0], boost)
    return AllOf(tuple(flat), boost)


def excluding(positive: Node, negatives: Sequence[Node]) -> Node:
    """``positive`` AND NOT any of ``negatives`` (``positive`` itself when nothing is excluded)."""
    negative = any_of(negatives)
    if isinstance(positive, MatchNothing) or isinstance(negative, MatchNothing):
        return positive
    return Exclude(positive, negative)


def with_expansion_budget(root: Node, budget: int = MAX_QUERY_EXPANSIONS, words: int = MAX_FUZZY_WORDS) -> Node:
    """``root`` with its ``Fuzzy`` leaves (excluded ones too) sharing ``budget`` close
    spellings: ``budget // their number`` each, at least 1, at most
    :data:`MAX_FUZZY_EXPANSIONS`; past the first ``words`` of them (in tree order), none
    (``max_expansions=0``: the word alone). Each spelling costs the scorer a posting
    list, as a term does, so a query of many fuzzy words costs about what one of twice
    as many words does."""
    count = sum(isinstance(leaf, Fuzzy) for leaf in positive_leaves(root, excluded=True))
    if not count:
        return root
    each = max(1, min(MAX_FUZZY_EXPANSIONS, budget // count))
    return _budgeted(root, [each] * min(count, words) + [0] * max(count - words, 0))


def _budgeted(node: Node, shares: list[int]) -> Node:
    """``node`` with its ``Fuzzy`` leaves given ``shares`` in tree order (consumed)."""
    if isinstance(node, Fuzzy):
        share = shares.pop(0)
        return node if node.max_expansions == share else attrs.evolve(node, max_expansions=share)
    if isinstance(node, (AnyOf, AllOf)):
        return attrs.evolve(node, children=tuple(_budgeted(child, shares) for child in node.children))
    if isinstance(node, Exclude):
        return attrs.evolve(node, positive=_budgeted(node.positive, shares), negative=_budgeted(node.negative, shares))
    if isinstance(node, AndMaybe):
        return attrs.evolve(node, required=_budgeted(node.required, shares),
                            optional=_budgeted(node.optional, shares))
    return node
