"""Scoring a query tree (:mod:`diplosearch.query`) over one commit's column files with numpy.

:func:`rank` evaluates a tree over a :class:`~diplosearch.store.commit_columns.CommitColumns`
and returns one page; :func:`match_masks`, :func:`by_date` and :mod:`diplosearch.facets`
serve filters, the date sort and facets; :func:`diplosearch.scoring_explain.explain`
says how one document's score came about. The ranking models and each term's scores
are in :mod:`diplosearch.ranking` and :mod:`diplosearch.store.commit_columns`.

A query of words alone (the most common kind) is summed straight from its terms'
remembered sparse scores (:mod:`diplosearch.scoring_words`). Any other tree is evaluated
per segment into dense arrays over the segment's documents
(:mod:`diplosearch.scoring_tree`). Both give the same pages to the last bit.

Coordination: ``"strict"`` ranks documents matching more distinct positive terms
first, then by score (1.0's rule); ``"off"`` by score alone; ``"soft"`` (the default)
by ``score * (matched / query terms) ** soft_power``. Ties go to the lower doc number.

Identical children of one ``AnyOf``/``AllOf`` count once, as in 1.0 (Whoosh's
normalisation drops them): ``kota kota`` scores as ``kota``.
"""

from __future__ import annotations

import functools

import attrs
import numpy as np

import diplosearch.query as q
from .store.columns import MISSING_SECOND
from .scoring_tree import FUZZY_BOOST, _segment_matches, _tree_matches
from .scoring_words import _best_word_matches, _plain_query, _word_matches
from .ranking import BM25F_RANKING, DEFAULT_RANKING, WHOOSH_RANKING, Ranking
from .store.commit_columns import CommitColumns

__all__ = [
    "BM25F_RANKING", "DEFAULT_RANKING", "FUZZY_BOOST", "WHOOSH_RANKING", "CommitColumns", "Ranking",
    "ScoredPage", "by_date", "match_masks", "matched_counts", "positive_terms", "rank",
]


@attrs.frozen(eq=False)
class ScoredPage:
    """One page of ranked documents."""

    total: int
    """Live documents matching the query in all, not only on this page."""
    docnums: np.ndarray
    """int64: commit-wide doc numbers (Whoosh's), best first."""
    scores: np.ndarray
    """float64: each document's score (the BM25F sum; for ``"soft"``, after the factor)."""
    matched_terms: np.ndarray
    """int64: distinct positive query terms each document matched."""


def positive_terms(node: q.Node) -> tuple[str, ...]:
    """The distinct terms a document can match to satisfy ``node`` (excluded, filter and
    date values left out), in first-seen order."""
    return tuple(dict.fromkeys(term for leaf in q.positive_leaves(node) for term in q.leaf_terms(leaf)))


def match_masks(commit: CommitColumns, root: q.Node) -> list[np.ndarray]:
    """Per segment of ``commit``, the live documents ``root`` matches (bool arrays)."""
    plain = _plain_query(root, phrases=DEFAULT_RANKING.model != "per_field")
    if plain is None:
        return [match.mask for _view, match in _segment_matches(commit, root, WHOOSH_RANKING)]
    # Which documents match does not depend on the ranking; the default's term scores
    # are the ones a search has most likely remembered already.
    found = [candidates for _first, candidates, _scores, _matched in _word_matches(commit, plain, DEFAULT_RANKING)]
    candidates = found[0] if found else np.zeros(0, np.int64)
    bounds = np.searchsorted(candidates, [*commit.offsets, commit.doc_count_all]).tolist()
    masks = []
    for position, view in enumerate(commit.segments):
        mask = np.zeros(view.columns.doc_count, bool)
        mask[candidates[bounds[position] : bounds[position + 1]] - view.offset] = True
        masks.append(mask)
    return masks


def rank(commit: CommitColumns, root: q.Node, *, ranking: Ranking = DEFAULT_RANKING, limit: int = 10,
         offset: int = 0) -> ScoredPage:
    """The page ``[offset, offset + limit)`` of the live documents matching ``root``, best first.

    :raises QueryError: the tree holds a node that cannot be scored yet (``Fuzzy``).
    """
    depth = offset + limit
    plain = _plain_query(root, phrases=ranking.model != "per_field")
    # a plain query's leaves hold each of its positive terms once (see _plain_words)
    query_terms = max(plain.term_count if plain else len(positive_terms(root)), 1)
    # (matched / query terms) ** power for each possible count: a gather instead of a
    # power per candidate (the same values: the same operation on the same numbers)
    soft_factors = _soft_factors(query_terms, ranking.soft_power) if ranking.coordination == "soft" else None
    known_total: int | None = None
    if plain is not None:
        known_total, matches = _best_word_matches(commit, plain, ranking, depth, soft_factors)
    else:
        matches = _tree_matches(commit, root, ranking)
    strict = ranking.coordination == "strict"
    parts, total = [], 0
    for first_doc, candidates, scores, matched in matches:
        total += len(candidates)
        if not len(candidates) or depth <= 0:
            continue
        if soft_factors is not None:
            if plain is None:  # a plain query's counts never pass its terms
                most = int(matched.max())
                if most >= len(soft_factors):  # a count past the query's terms (not expected)
                    soft_factors = (np.arange(most + 1) / query_terms) ** ranking.soft_power
            scores = scores * soft_factors.take(matched)
        if len(candidates) > max(depth, _SORTED_WHOLE):
            keep = _best(matched if strict else None, scores, depth)
            candidates, scores, matched = candidates[keep], scores[keep], matched[keep]
        parts.append((candidates + first_doc if first_doc else candidates, scores, matched))
    if known_total is not None:
        total = known_total  # the candidates may be fewer than the matches
    if not parts:
        return ScoredPage(total, np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
    if len(parts) == 1:  # a query of words: one part for the whole commit
        docnums, scores, matched = parts[0]
    else:
        docnums, scores, matched = (np.concatenate(arrays) for arrays in zip(*parts))
    keys = (docnums, -scores, -matched) if strict else (docnums, -scores)
    order = np.lexsort(keys)[offset:depth]
    return ScoredPage(total, docnums[order], scores[order], matched[order])


# Up to this many candidates are sorted whole: picking the best first (_best) and
# gathering them cost more (113 candidates, a query of words' median: 5.8 us against
# 2.7; even near 800).
_SORTED_WHOLE = 512


@functools.lru_cache(maxsize=256)
def _soft_factors(query_terms: int, power: float) -> np.ndarray:
    """``(matched / query_terms) ** power`` for every count from 0 to ``query_terms``."""
    factors = (np.arange(query_terms + 1) / query_terms) ** power
    factors.flags.writeable = False  # shared by every query of this many terms
    return factors


def _best(primary: np.ndarray | None, scores: np.ndarray, depth: int) -> np.ndarray:
    """Indices of a superset of the ``depth`` best by (primary, score), ties included
    (by score alone when ``primary`` is None)."""
    if len(scores) <= depth:
        return np.arange(len(scores))
    if primary is None:
        combined = scores
    else:
        # primary * scale + score is non-decreasing in the (primary, score) order, so the
        # entries at least as large as the depth-th largest hold the true top ``depth``.
        scale = 2.0 * (float(np.abs(scores).max()) + 1.0)
        combined = primary * scale + scores
    pool: np.ndarray | None = None
    blocks = max(_BOUND_BLOCKS, depth)
    if len(combined) >= _BOUND_BLOCKS_SPAN * blocks:
        # The depth-th largest of the maxima of disjoint blocks is a lower bound of the
        # depth-th largest of all (those maxima are depth entries at least that large).
        # Few entries reach it, so the exact threshold is then found among few: a
        # partition of every candidate was a tenth of a typical query.
        maxima = combined[: len(combined) - len(combined) % blocks].reshape(blocks, -1).max(axis=1)
        pool = np.flatnonzero(combined >= np.partition(maxima, blocks - depth)[blocks - depth])
        combined = combined[pool]
    threshold = np.partition(combined, len(combined) - depth)[len(combined) - depth]
    kept = np.flatnonzero(combined >= threshold)
    return kept if pool is None else pool[kept]


# ``_best`` bounds the threshold from this many block maxima (or ``depth``, if more)
# when there are at least _BOUND_BLOCKS_SPAN entries a block.
_BOUND_BLOCKS, _BOUND_BLOCKS_SPAN = 64, 8


# The date sort's key of a document without a date: after every real time (seconds of
# real dates are within 2**40 of 1970), so undated documents come last either way.
_UNDATED_KEY = np.iinfo(np.int64).max


def by_date(commit: CommitColumns, root: q.Node, *, newest_first: bool = True, limit: int = 10,
            offset: int = 0) -> tuple[int, np.ndarray]:
    """(total, doc numbers) of the matching live documents ordered by the date and time
    ``published`` holds (newest or oldest first), documents without a date last, equal
    times in doc number order (the order they were indexed in)."""
    total, docs, seconds = 0, [], []
    for view, mask in zip(commit.segments, match_masks(commit, root)):
        candidates = np.flatnonzero(mask)
        total += len(candidates)
        docs.append(candidates + view.offset)
        seconds.append(view.columns.published_seconds[candidates])
    if not total:
        return 0, np.zeros(0, np.int64)
    all_docs, all_seconds = np.concatenate(docs), np.concatenate(seconds)
    undated = all_seconds == MISSING_SECOND
    key = np.where(undated, _UNDATED_KEY, -all_seconds if newest_first else all_seconds)
    depth = offset + limit
    # ``all_docs`` ascends (segments in order, each one's candidates ascending), so
    # positions in it are in doc number order: the first ``depth`` by (key, position)
    # are found in linear time, and only they are sorted.
    picked = np.arange(len(key))
    if len(key) > depth:
        threshold = key[np.argpartition(key, depth - 1)[depth - 1]]
        better = np.flatnonzero(key < threshold)
        picked = np.concatenate([better, np.flatnonzero(key == threshold)[: depth - len(better)]])
    order = picked[np.argsort(key[picked], kind="stable")]  # stable: equal keys keep doc order
    return total, all_docs[order[offset:depth]]


def matched_counts(commit: CommitColumns, root: q.Node, docnums: np.ndarray) -> np.ndarray:
    """How many distinct positive query terms each of ``docnums`` (matching documents) holds."""
    counts = np.zeros(len(docnums), np.int64)
    if not len(docnums):
        return counts
    plain = _plain_query(root, phrases=DEFAULT_RANKING.model != "per_field")
    if plain is not None:
        for _first, candidates, _scores, matched in _word_matches(commit, plain, DEFAULT_RANKING):
            place = np.minimum(np.searchsorted(candidates, docnums), len(candidates) - 1)
            counts[:] = np.where(candidates[place] == docnums, matched[place], 0)
        return counts
    for view, match in _segment_matches(commit, root, WHOOSH_RANKING):
        inside = (docnums >= view.offset) & (docnums < view.offset + view.columns.doc_count)
        local = docnums[inside] - view.offset
        for where in match.terms.values():
            counts[inside] += where[local]
    return counts
