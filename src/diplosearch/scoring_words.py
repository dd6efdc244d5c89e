"""Queries of words alone (and phrases among them), scored over the whole commit at once.

Most queries are a few words, maybe AND-ed with filters (``kota laut``, ``kota
source:kompas.com``): :func:`_plain_query` recognises them, and :func:`_word_matches`
sums each word's remembered sparse scores (:func:`~diplosearch.scoring_terms.terms_scores_in`)
per document, without the dense per-node arrays of :mod:`diplosearch.scoring_tree`.
Both give the same candidates and the same scores to the last bit.
"""

from __future__ import annotations

from typing import Iterator, Union

import attrs
import numpy as np

import diplosearch.query as q
from .scoring_terms import best_sums_per_document, sum_per_document, term_scores_in, terms_scores_in
from .scoring_tree import FUZZY_BOOST, _Candidates, _distinct, _SegmentEvaluation
from .ranking import WHOOSH_RANKING, Ranking
from .sorted_arrays import distinct_sorted
from .spelling import expansions
from .store.commit_columns import CommitColumns


def _plain_words(root: q.Node, phrases: bool = False) -> list[_Leaf] | None:
    """The leaves of a query of words alone (a ``Term`` or ``Fuzzy``, or an ``AnyOf`` of
    them, and of ``Phrase``\\ s when ``phrases``, and of words less other words, ``(a
    AND NOT b)``, with no text twice): what most queries are, scored without dense
    per-node arrays. A phrase of one word is that word's ``Term``.

    ``phrases`` only for BM25F: 1.0's per-field model scores a phrase field by field."""
    if type(root) is q.AnyOf:
        children = list(root.children)
        # what the parser makes of words alone: Terms of distinct texts, which are
        # distinct (hashing each Term to find repeats cost more than this test)
        if children and len({child.text for child in children if type(child) is q.Term}) == len(children):
            return children
        children = _distinct(root.children)
    else:
        children = [root]
    if not children:
        return None
    leaves: list[_Leaf] = []
    for child in children:
        if isinstance(child, q.Phrase) and phrases:
            leaves.append(q.Term(child.texts[0], child.fields, child.boost) if len(child.texts) == 1 else child)
        elif isinstance(child, (q.Term, q.Fuzzy)) or _is_word_less_words(child):
            leaves.append(child)  # type: ignore[arg-type]
        else:
            return None
    # each text matched through one leaf: a document's matched terms are its leaves' texts
    texts = [text for leaf in leaves for text in _leaf_texts(leaf)]
    return leaves if len(set(texts)) == len(texts) else None


#: A leaf of a query of words: a word, a fuzzy word, a phrase, or a word less other
#: words (``Exclude(Term, Term or AnyOf of Terms)``, scored as its word where it stands).
_Leaf = Union[q.Term, q.Phrase, q.Fuzzy, q.Exclude]


def _is_word_less_words(node: q.Node) -> bool:
    """``Exclude(Term, words)``: a word's documents less those of a word or several."""
    return type(node) is q.Exclude and type(node.positive) is q.Term and _words_only(node.negative)


def _words_of(node: q.Node) -> tuple[q.Term, ...]:
    """The Terms of a :func:`_words_only` node."""
    return node.children if type(node) is q.AnyOf else (node,)  # type: ignore[return-value]


def _words_only(node: q.Node) -> bool:
    """A Term, or an AnyOf of Terms."""
    if type(node) is q.AnyOf:
        return bool(node.children) and all(type(child) is q.Term for child in node.children)
    return type(node) is q.Term


def _leaf_texts(leaf: _Leaf) -> tuple[str, ...]:
    """The query terms a leaf stands for (a word less others: its word)."""
    return (leaf.positive.text,) if type(leaf) is q.Exclude else q.leaf_terms(leaf)  # type: ignore[union-attr]


@attrs.frozen
class _PlainQuery:
    """A query of words alone, maybe AND-ed with filters: ``kota laut``, ``kota
    source:kompas.com date:2019``, what most queries are."""

    terms: list[_Leaf]
    boosts: tuple[float, ...]
    """Multiplied into the terms' summed scores in turn (the tree's own order)."""
    filters: tuple[q.Node, ...] = ()
    """``Filter`` and ``DateRange`` nodes every match must pass."""
    excluded: tuple[q.Term, ...] = ()
    """Words no match may hold (the query is ``Exclude(words, these)``)."""

    @property
    def term_count(self) -> int:
        """The query's distinct positive terms: its leaves' texts, none of them twice."""
        return sum(len(_leaf_texts(leaf)) for leaf in self.terms)


_FILTER_NODES = (q.Filter, q.DateRange)


def _plain_query(root: q.Node, phrases: bool = False) -> _PlainQuery | None:
    """``root`` as a :class:`_PlainQuery` (phrases among its words only when
    ``phrases``: see :func:`_plain_words`), or None when it is another shape: words,
    maybe less other words (``kota -banjir``), maybe AND-ed with filters."""
    found = _words_and_exclusion(root, phrases)
    if found is not None:
        words, boosts, excluded = found
        return _PlainQuery(words, boosts, excluded=excluded)
    if not isinstance(root, q.AllOf):
        return None
    children = _distinct(root.children)
    filters = tuple(child for child in children if isinstance(child, _FILTER_NODES))
    others = [child for child in children if not isinstance(child, _FILTER_NODES)]
    if len(others) != 1 or not filters:
        return None
    found = _words_and_exclusion(others[0], phrases)
    if found is None:
        return None
    words, boosts, excluded = found
    return _PlainQuery(words, (*boosts, root.boost), filters, excluded)


def _words_and_exclusion(node: q.Node, phrases: bool) -> tuple[list[_Leaf], tuple[float, ...], tuple[q.Term, ...]] | None:
    """(leaves, boosts in the tree's order, excluded words) of words alone or of
    ``Exclude(words, word or words)``, else None. An exclusion over the whole query
    is a mask of its matches, as a filter is (32 ``(a AND NOT b)`` groups with two
    stop words among them are one such, and cost 30 typical queries as a tree)."""
    excluded: tuple[q.Term, ...] = ()
    boosts: tuple[float, ...] = ()
    if type(node) is q.Exclude and _words_only(node.negative):
        excluded = _words_of(node.negative)
        boosts = (node.boost,)
        node = node.positive
    words = _plain_words(node, phrases)
    if words is None:
        return None
    return words, ((node.boost,) if isinstance(node, q.AnyOf) else ()) + boosts, excluded


def _leaf_entries(commit: CommitColumns, plain: _PlainQuery,
                  ranking: Ranking) -> tuple[list[np.ndarray], list[np.ndarray], list[int]]:
    """Per leaf of ``plain`` matching any document, in query order: its documents
    (commit-wide, ascending), its scores in them (times its boost) and how many query
    terms it stands for."""
    leaves = plain.terms
    fields = leaves[0].fields if type(leaves[0]) is q.Term else None
    if fields is not None and not [leaf for leaf in leaves if type(leaf) is not q.Term or leaf.fields != fields or leaf.boost != 1.0]:
        # words alone, as typed (most queries): each one term over the same fields
        docs, values = [], []
        for found in terms_scores_in(commit, [leaf.text for leaf in leaves], fields, ranking):
            if len(found.docs):
                docs.append(found.docs)
                values.append(found.scores)
        return docs, values, [1] * len(docs)
    texts_by_fields: dict[tuple[str, ...], list[str]] = {}
    for leaf in plain.terms:
        if isinstance(leaf, q.Term):
            texts_by_fields.setdefault(leaf.fields, []).append(leaf.text)
    scored = {}
    for fields, texts in texts_by_fields.items():
        scored.update(((text, fields), found) for text, found in zip(texts, terms_scores_in(commit, texts, fields, ranking)))
    docs, values, texts_each = [], [], []
    for leaf in plain.terms:
        if isinstance(leaf, q.Term):
            found = scored[leaf.text, leaf.fields]
            leaf_docs, leaf_values = found.docs, found.scores
        elif isinstance(leaf, q.Fuzzy):
            leaf_docs, leaf_values = _fuzzy_matches(commit, leaf, ranking)
        elif isinstance(leaf, q.Exclude):
            leaf_docs, leaf_values = _word_less_words_matches(commit, leaf, ranking)
        else:
            leaf_docs, leaf_values = _phrase_matches(commit, leaf, ranking)
        if len(leaf_docs):
            docs.append(leaf_docs)
            values.append(leaf_values * leaf.boost if leaf.boost != 1.0 else leaf_values)
            texts_each.append(len(_leaf_texts(leaf)))
    return docs, values, texts_each


def _word_matches(commit: CommitColumns, plain: _PlainQuery, ranking: Ranking) -> Iterator[_Candidates]:
    """:func:`_tree_matches` of a :class:`_PlainQuery`, over the whole commit at once from
    each term's remembered scores: the same candidates and the same scores to the last
    bit (a document's terms are added in query order from 0, then the boosts, as the
    tree evaluator does; a filter adds 0)."""
    found = _summed(commit, plain, ranking, *_leaf_entries(commit, plain, ranking))
    if found is not None:
        yield found


def _summed(commit: CommitColumns, plain: _PlainQuery, ranking: Ranking, docs: list[np.ndarray], values: list[np.ndarray],
            texts_each: list[int]) -> _Candidates | None:
    """:func:`_word_matches`' candidates from :func:`_leaf_entries` (None for none)."""
    if not docs:
        return None
    if len(docs) == 1:
        candidates, scores = docs[0], values[0] + 0.0
        matched = np.full(len(candidates), texts_each[0], np.int64)
    else:
        all_docs = np.concatenate(docs)
        candidates, scores, counts = sum_per_document(all_docs, np.concatenate(values), commit.doc_count_all,
                                                      lists=len(docs))
        assert counts is not None  # asked for (counted=True)
        matched = counts
        if any(count > 1 for count in texts_each):  # a phrase matches each of its words
            each = np.repeat(np.array(texts_each, np.float64), [len(found) for found in docs])
            matched = sum_per_document(all_docs, each, commit.doc_count_all, counted=False,
                                       lists=len(docs))[1].astype(np.int64)
    for boost in plain.boosts:
        if boost != 1.0:
            scores = scores * boost
    kept = _kept(commit, plain, ranking)
    if kept is not None:
        keep = kept[candidates]
        candidates, scores, matched = candidates[keep], scores[keep], matched[keep]
    return 0, candidates.astype(np.int64, copy=False), scores, matched.astype(np.int64, copy=False)


def _best_word_matches(commit: CommitColumns, plain: _PlainQuery, ranking: Ranking, depth: int,
                       factors: np.ndarray | None) -> tuple[int, list[_Candidates]]:
    """(live matching documents, candidates) of a query of words for a page ``depth``
    deep: :func:`_word_matches`' candidates, less those that cannot be among the
    ``depth`` best by ``score * factors[matched]`` (see
    :func:`~diplosearch.scoring_terms.best_sums_per_document`) when the query has many
    entries, two words or more and no phrase, no boost on the whole query and no strict
    coordination (whose order is not by that product)."""
    docs, values, texts_each = _leaf_entries(commit, plain, ranking)
    size = commit.doc_count_all
    sizes = [len(found) for found in docs]
    if (ranking.coordination == "strict" or plain.boosts.count(1.0) != len(plain.boosts) or len(docs) < 2
            or texts_each.count(1) != len(texts_each) or sum(sizes) * 16 < size):
        found = _summed(commit, plain, ranking, docs, values, texts_each)
        return (len(found[1]), [found]) if found is not None else (0, [])
    keep = _kept(commit, plain, ranking)
    # the rarest word that can fill the page: its best documents set the bar high
    filling = [position for position, count in enumerate(sizes) if count >= depth]
    probe = docs[min(filling, key=sizes.__getitem__)] if filling else docs[0]
    total, candidates, scores, matched = best_sums_per_document(
        np.concatenate(docs), np.concatenate(values), size, keep, probe, depth, factors, lists=len(docs))
    return total, [(0, candidates.astype(np.int64, copy=False), scores, matched)]


def _word_less_words_matches(commit: CommitColumns, leaf: q.Exclude,
                             ranking: Ranking) -> tuple[np.ndarray, np.ndarray]:
    """(commit-wide doc numbers, scores) of ``Exclude(word, words)``: the word's
    documents holding none of the words, scored as the tree evaluator scores the
    exclusion there (the word's score times its boost). Dense arrays per node made 32
    ``(a AND NOT b)`` groups cost 30 typical queries."""
    word = leaf.positive
    found = term_scores_in(commit, word.text, word.fields, ranking)
    docs, values = found.docs, found.scores
    if len(docs):
        kept = ~_holding_any(commit, _words_of(leaf.negative), ranking).take(docs)
        docs, values = docs[kept], values[kept]
    return docs, values * word.boost if word.boost != 1.0 else values


def _phrase_matches(commit: CommitColumns, phrase: q.Phrase, ranking: Ranking) -> tuple[np.ndarray, np.ndarray]:
    """(commit-wide doc numbers, scores) where ``phrase`` stands in any of its fields:
    what the tree evaluator's ``Phrase`` node gives there (BM25F), segment by segment."""
    docs, values = [], []
    for position, view in enumerate(commit.segments):
        evaluation = _SegmentEvaluation(commit, position, ranking)
        found = [where for where in (evaluation._phrase_docs(field, phrase.texts) for field in phrase.fields)
                 if len(where)]
        if found:
            local = found[0] if len(found) == 1 else distinct_sorted(np.sort(np.concatenate(found)))
            values.append(evaluation._summed_scores(phrase.texts, phrase.fields, local))
            docs.append(local + view.offset)
    if not docs:
        return np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(docs), np.concatenate(values)


def _fuzzy_matches(commit: CommitColumns, fuzzy: q.Fuzzy, ranking: Ranking) -> tuple[np.ndarray, np.ndarray]:
    """(commit-wide doc numbers, scores) where ``fuzzy``'s word or a close spelling of it
    stands: what the tree evaluator's ``Fuzzy`` node gives there, the word's score then
    each spelling's times ``FUZZY_BOOST`` per edit, added in that order from 0."""
    spellings = expansions(commit, fuzzy.word, fuzzy.max_edits, fuzzy.max_expansions)
    found = terms_scores_in(commit, [fuzzy.word, *(spelling.term for spelling in spellings)], fuzzy.fields,
                            ranking)
    docs, values = [found[0].docs], [found[0].scores]
    for spelling, scores in zip(spellings, found[1:]):
        docs.append(scores.docs)
        values.append(scores.scores * FUZZY_BOOST**spelling.distance)
    if len(docs) == 1:
        return docs[0], values[0]
    candidates, summed, _counts = sum_per_document(np.concatenate(docs), np.concatenate(values),
                                                   commit.doc_count_all, counted=False, lists=len(docs))
    return candidates, summed


def _kept(commit: CommitColumns, plain: _PlainQuery, ranking: Ranking) -> np.ndarray | None:
    """bool [commit-wide doc numbers]: the documents a match of ``plain`` may be (live,
    passing its filters, holding none of its excluded words); None when all may."""
    keep = commit.live
    if plain.filters:
        passing = _filter_mask(commit, plain.filters)
        keep = passing if keep is None else keep & passing
    if plain.excluded:
        free = ~_holding_any(commit, plain.excluded, ranking)
        keep = free if keep is None else keep & free
    return keep


def _holding_any(commit: CommitColumns, words: tuple[q.Term, ...], ranking: Ranking) -> np.ndarray:
    """bool [commit-wide doc numbers]: the documents holding any of ``words`` (in its
    fields; deleted ones too). (A word's documents do not depend on ``ranking``: it
    only picks the scores remembered already.)"""
    holding = np.zeros(commit.doc_count_all, bool)
    for word in words:
        holding[term_scores_in(commit, word.text, word.fields, ranking).docs] = True
    return holding


def _filter_mask(commit: CommitColumns, filters: tuple[q.Node, ...]) -> np.ndarray:
    """bool [commit-wide doc numbers]: the documents every one of ``filters`` keeps
    (remembered by the commit; read-only). Each filter's own mask per segment is
    remembered too (``scoring_tree``'s ``_Filter``); remembering their combination as
    well spares a plain query the per-segment evaluations, copies and concatenation
    (filtered p50 0.9-1.2 against 1.2-1.6 ms at 22k with the per-filter masks alone)."""

    def compute() -> np.ndarray:
        masks = []
        for position in range(len(commit.segments)):
            evaluation = _SegmentEvaluation(commit, position, WHOOSH_RANKING)
            masks.append(np.logical_and.reduce([evaluation.evaluate(node).mask for node in filters]))
        return np.concatenate(masks) if masks else np.zeros(0, bool)

    return commit.remembered_mask(("filters", filters), compute)
