"""Scoring a query tree (:mod:`diplosearch.query`) over one commit's column files with numpy.

:func:`rank` evaluates a tree over a :class:`~diplosearch.term_scores.CommitColumns`
and returns one page; :func:`match_masks`, :func:`by_date` and :mod:`diplosearch.facets`
serve filters, the date sort and facets; :func:`diplosearch.scoring_explain.explain`
says how one document's score came about. The ranking models and each term's scores
are in :mod:`diplosearch.term_scores`.

A query of words alone (the most common kind) is summed straight from its terms'
remembered sparse scores. Any other tree is evaluated per segment into dense arrays over
the segment's documents (a match mask, a score, and per positive term the documents
where it counts as matched), so the work is a few numpy operations per node and never
a Python step per candidate document. Both give the same pages to the last bit.

Coordination: ``"strict"`` ranks documents matching more distinct positive terms
first, then by score (1.0's rule); ``"off"`` by score alone; ``"soft"`` (the default)
by ``score * (matched / query terms) ** soft_power``. Ties go to the lower doc number.

Identical children of one ``AnyOf``/``AllOf`` count once, as in 1.0 (Whoosh's
normalisation drops them): ``kota kota`` scores as ``kota``.
"""

from __future__ import annotations

import functools
from typing import Any, Iterator, Sequence

import attrs
import numpy as np

import diplosearch.query as q
from .errors import QueryError
from .store.columns import MISSING_DAY, VALUE_FIELDS
from .spelling import expansions
from .scoring_terms import sum_per_document
from .term_scores import BM25F_RANKING, DEFAULT_RANKING, WHOOSH_RANKING, CommitColumns, Ranking

__all__ = [
    "BM25F_RANKING", "DEFAULT_RANKING", "FUZZY_BOOST", "WHOOSH_RANKING", "CommitColumns", "Ranking",
    "ScoredPage", "by_date", "match_masks", "matched_counts", "positive_terms", "rank",
]

_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()
#: Score factor of a fuzzy expansion per edit away from the typed word (exact matches rank first).
FUZZY_BOOST = 0.5


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


@attrs.define
class _Match:
    """A node's result in one segment (dense over the segment's documents)."""

    mask: np.ndarray
    scores: np.ndarray
    """0 wherever ``mask`` is False."""
    terms: dict[str, np.ndarray]
    """Positive term -> where it counts as matched (always within ``mask``)."""


class _SegmentEvaluation:
    def __init__(self, commit: CommitColumns, position: int, ranking: Ranking) -> None:
        self.commit, self.ranking, self.position = commit, ranking, position
        self.view = commit.segments[position]
        self.size = self.view.columns.doc_count

    def nothing(self) -> _Match:
        return _Match(np.zeros(self.size, bool), np.zeros(self.size), {})

    def evaluate(self, node: q.Node) -> _Match:
        handler = getattr(self, "_" + type(node).__name__, None)
        if handler is None:
            raise QueryError(f"cannot score a {type(node).__name__} node")
        match = handler(node)
        if node.boost != 1.0:
            match.scores = match.scores * node.boost
        return match

    # -- leaves -------------------------------------------------------------------

    def _term_scores(self, text: str, fields: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(mask, scores) of one term over ``fields`` in this segment, dense."""
        docs, values = self.commit.term_scores(text, tuple(fields), self.ranking).segment(self.position)
        mask, scores = np.zeros(self.size, bool), np.zeros(self.size)
        mask[docs] = True
        scores[docs] = values
        return mask, scores

    def _Term(self, node: q.Term) -> _Match:
        mask, scores = self._term_scores(node.text, node.fields)
        return _Match(mask, scores, {node.text: mask} if mask.any() else {})

    def _Phrase(self, node: q.Phrase) -> _Match:
        if len(node.texts) == 1:
            return self._Term(q.Term(node.texts[0], node.fields))
        mask, scores = np.zeros(self.size, bool), np.zeros(self.size)
        where = {field: self._phrase_docs(field, node.texts) for field in node.fields}
        if self.ranking.model == "per_field":
            # 1.0: a Phrase per field (boosted by the field's weight) scores the sum of
            # its words' scores in that field, where the phrase stands.
            for field, docs in where.items():
                if len(docs):
                    scores[docs] += self._summed_scores(node.texts, (field,), docs)
                    mask[docs] = True
        else:
            found = [docs for docs in where.values() if len(docs)]
            docs = found[0] if len(found) == 1 else _distinct_sorted(np.sort(np.concatenate(found))) if found else None
            if docs is not None:
                mask[docs] = True
                scores[docs] = self._summed_scores(node.texts, node.fields, docs)
        return _Match(mask, scores, {text: mask for text in node.texts} if mask.any() else {})

    def _summed_scores(self, texts: Sequence[str], fields: tuple[str, ...], docs: np.ndarray) -> Any:
        """The sum of each of ``texts``' scores over ``fields`` at ``docs`` (ascending
        documents holding every one of them), added in text order from 0."""
        total: Any = 0
        for text in texts:
            holding, values = self.commit.term_scores(text, fields, self.ranking).segment(self.position)
            total = total + values[np.searchsorted(holding, docs)]
        return total

    def _phrase_docs(self, field: str, texts: Sequence[str]) -> np.ndarray:
        """Doc numbers (ascending) where ``texts`` stand at consecutive positions of ``field``."""
        fc = self.view.columns.fields.get(field)
        term_ids = [self.view.columns.vocabulary.id_of(t) for t in texts]
        empty = np.zeros(0, np.int64)
        if fc is None or any(t is None for t in term_ids):
            return empty
        rows = [fc.row(t) for t in term_ids]  # type: ignore[arg-type]
        if any(start == end for start, end in rows):
            return empty
        candidates = fc.docs[rows[0][0] : rows[0][1]]
        for start, end in rows[1:]:
            candidates = candidates[_members(candidates, fc.docs[start:end])]
            if not len(candidates):
                return empty
        # Key each position as (candidate index, position - word index): the phrase
        # stands where a key is present for every word. Keys come out ascending
        # (candidates ascending, positions ascending in each posting).
        stride = np.int64(1) << 33
        starts = None
        for index, (start, end) in enumerate(rows):
            postings = start + np.searchsorted(fc.docs[start:end], candidates)
            flat, owner = _expand_ranges(fc.position_pointers[postings], fc.position_pointers[postings + 1])
            keys = owner * stride + (fc.positions[flat].astype(np.int64) - index)
            starts = keys if starts is None else starts[_members(starts, keys)]
            if not len(starts):
                return empty
        return candidates[_distinct_sorted(starts // stride)].astype(np.int64)

    def _Fuzzy(self, node: q.Fuzzy) -> _Match:
        # The word itself at full weight, each close spelling below it: an expansion
        # scores as a Term boosted by FUZZY_BOOST per edit. The word counts as one
        # matched term wherever any spelling of it matches.
        mask, scores = self._term_scores(node.word, node.fields)
        for neighbour in expansions(self.commit, node.word, node.max_edits):
            found, found_scores = self._term_scores(neighbour.term, node.fields)
            mask |= found
            scores += found_scores * FUZZY_BOOST**neighbour.distance
        return _Match(mask, scores, {node.word: mask} if mask.any() else {})

    def _MatchNothing(self, node: q.MatchNothing) -> _Match:
        return self.nothing()

    def _MatchAll(self, node: q.MatchAll) -> _Match:
        return _Match(np.ones(self.size, bool), np.zeros(self.size), {})

    def _Filter(self, node: q.Filter) -> _Match:
        if node.field not in VALUE_FIELDS:
            raise QueryError(f"cannot filter on {node.field!r}; filter fields are {', '.join(VALUE_FIELDS)}")
        column = self.view.columns.values[node.field]
        wanted = {value.strip().casefold() for value in node.values}
        ids = [i for i, key in enumerate(column.keys) if key in wanted]
        return _Match(np.isin(column.ids, ids), np.zeros(self.size), {})

    def _DateRange(self, node: q.DateRange) -> _Match:
        days = self.view.columns.published_days
        mask = days != MISSING_DAY
        if node.start is not None:
            mask &= days >= node.start.toordinal() - _EPOCH_ORDINAL
        if node.end is not None:
            mask &= days <= node.end.toordinal() - _EPOCH_ORDINAL
        return _Match(mask, np.zeros(self.size), {})

    # -- combinations -------------------------------------------------------------

    def _AnyOf(self, node: q.AnyOf) -> _Match:
        result = self.nothing()
        for child in _distinct(node.children):
            match = self.evaluate(child)
            result.mask |= match.mask
            result.scores += match.scores
            _merge_terms(result.terms, match.terms)
        return result

    def _AllOf(self, node: q.AllOf) -> _Match:
        if not node.children:
            return self.nothing()
        matches = [self.evaluate(child) for child in _distinct(node.children)]
        mask = np.logical_and.reduce([m.mask for m in matches])
        scores = np.where(mask, sum(m.scores for m in matches), 0.0)
        terms: dict[str, np.ndarray] = {}
        for m in matches:
            _merge_terms(terms, m.terms)
        return _Match(mask, scores, _restrict(terms, mask))

    def _Exclude(self, node: q.Exclude) -> _Match:
        positive = self.evaluate(node.positive)
        mask = positive.mask & ~self.evaluate(node.negative).mask
        return _Match(mask, np.where(mask, positive.scores, 0.0), _restrict(positive.terms, mask))

    def _AndMaybe(self, node: q.AndMaybe) -> _Match:
        required, optional = self.evaluate(node.required), self.evaluate(node.optional)
        mask = required.mask
        terms = dict(required.terms)
        _merge_terms(terms, _restrict(optional.terms, mask))
        return _Match(mask, required.scores + np.where(mask, optional.scores, 0.0), terms)


def _distinct(children: tuple[q.Node, ...]) -> list[q.Node]:
    # As Whoosh's And/Or.normalize(): a child repeated word for word counts once
    # ("kota kota" scores as "kota").
    return list(dict.fromkeys(children))


def _merge_terms(into: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> None:
    for text, where in other.items():
        into[text] = into[text] | where if text in into else where


def _restrict(terms: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    restricted = {text: where & mask for text, where in terms.items()}
    return {text: where for text, where in restricted.items() if where.any()}


def _members(values: np.ndarray, ascending: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in the ascending array ``ascending`` (``np.isin``
    by binary search, without the import of ``numpy.ma`` that ``np.isin``'s kin make)."""
    if not len(ascending):
        return np.zeros(len(values), bool)
    places = np.minimum(np.searchsorted(ascending, values), len(ascending) - 1)
    return ascending[places] == values


def _distinct_sorted(ascending: np.ndarray) -> np.ndarray:
    """The distinct values of an ascending array (``np.unique`` of sorted input)."""
    if len(ascending) < 2:
        return ascending
    keep = np.empty(len(ascending), bool)
    keep[0] = True
    np.not_equal(ascending[1:], ascending[:-1], out=keep[1:])
    return ascending[keep]


def _expand_ranges(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All indices of the ranges ``[starts[i], ends[i])`` and, for each, its ``i``."""
    counts = (ends - starts).astype(np.int64)
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    first = np.zeros(len(counts), np.int64)
    np.cumsum(counts[:-1], out=first[1:])
    flat = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(first - starts.astype(np.int64), counts)
    return flat, owner


def positive_terms(node: q.Node) -> tuple[str, ...]:
    """The distinct terms a document can match to satisfy ``node`` (excluded, filter and
    date values left out), in first-seen order."""
    return tuple(dict.fromkeys(term for leaf in q.positive_leaves(node) for term in q.leaf_terms(leaf)))


def _segment_matches(commit: CommitColumns, root: q.Node, ranking: Ranking):  # type: ignore[no-untyped-def]
    for position, view in enumerate(commit.segments):
        match = _SegmentEvaluation(commit, position, ranking).evaluate(root)
        match.mask &= view.live
        yield view, match


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
    query_terms = max(len(positive_terms(root)), 1)
    plain = _plain_query(root, phrases=ranking.model != "per_field")
    matches = _word_matches(commit, plain, ranking) if plain else _tree_matches(commit, root, ranking)
    # (matched / query terms) ** power for each possible count: a gather instead of a
    # power per candidate (the same values: the same operation on the same numbers)
    soft_factors = _soft_factors(query_terms, ranking.soft_power) if ranking.coordination == "soft" else None
    parts, total = [], 0
    for first_doc, candidates, scores, matched in matches:
        total += len(candidates)
        if not len(candidates) or depth <= 0:
            continue
        if soft_factors is not None:
            most = int(matched.max())
            if most >= len(soft_factors):  # a count past the query's terms (not expected)
                soft_factors = (np.arange(most + 1) / query_terms) ** ranking.soft_power
            scores = scores * soft_factors[matched]
        primary = matched if ranking.coordination == "strict" else None
        keep = _best(primary, scores, depth)
        kept_primary = primary[keep] if primary is not None else np.zeros(len(keep), np.int64)
        parts.append((candidates[keep] + first_doc, kept_primary, scores[keep], matched[keep]))
    if not parts:
        return ScoredPage(total, np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
    if len(parts) == 1:  # a query of words: one part for the whole commit
        docnums, primary, scores, matched = parts[0]
    else:
        docnums, primary, scores, matched = (np.concatenate(arrays) for arrays in zip(*parts))
    order = np.lexsort((docnums, -scores, -primary))[offset:depth]
    return ScoredPage(total, docnums[order], scores[order], matched[order])


@functools.lru_cache(maxsize=256)
def _soft_factors(query_terms: int, power: float) -> np.ndarray:
    """``(matched / query_terms) ** power`` for every count from 0 to ``query_terms``."""
    factors = (np.arange(query_terms + 1) / query_terms) ** power
    factors.flags.writeable = False  # shared by every query of this many terms
    return factors


#: (the first doc number of the documents' range, candidates relative to it, their
#: scores, their matched-term counts)
_Candidates = tuple[int, np.ndarray, np.ndarray, np.ndarray]


def _tree_matches(commit: CommitColumns, root: q.Node, ranking: Ranking) -> Iterator[_Candidates]:
    """Per segment: the live documents ``root`` matches, their scores and matched-term counts."""
    for view, match in _segment_matches(commit, root, ranking):
        candidates = np.flatnonzero(match.mask)
        matched = np.zeros(len(candidates), np.int64)
        for where in match.terms.values():
            matched += where[candidates]
        yield view.offset, candidates, match.scores[candidates], matched


def _plain_words(root: q.Node, phrases: bool = False) -> list[q.Term | q.Phrase] | None:
    """The leaves of a query of words alone (a ``Term``, or an ``AnyOf`` of ``Term``\\ s,
    and of ``Phrase``\\ s when ``phrases``, with no text twice): what most queries are,
    scored without dense per-node arrays. A phrase of one word is that word's ``Term``.

    ``phrases`` only for BM25F: 1.0's per-field model scores a phrase field by field."""
    children = _distinct(root.children) if isinstance(root, q.AnyOf) else [root]
    if not children:
        return None
    leaves: list[q.Term | q.Phrase] = []
    for child in children:
        if isinstance(child, q.Phrase) and phrases:
            leaves.append(q.Term(child.texts[0], child.fields, child.boost) if len(child.texts) == 1 else child)
        elif isinstance(child, q.Term):
            leaves.append(child)
        else:
            return None
    # each text matched through one leaf: a document's matched terms are its leaves' texts
    texts = [text for leaf in leaves for text in q.leaf_terms(leaf)]
    return leaves if len(set(texts)) == len(texts) else None


@attrs.frozen
class _PlainQuery:
    """A query of words alone, maybe AND-ed with filters: ``kota laut``, ``kota
    source:kompas.com date:2019``, what most queries are."""

    terms: list[q.Term | q.Phrase]
    boosts: tuple[float, ...]
    """Multiplied into the terms' summed scores in turn (the tree's own order)."""
    filters: tuple[q.Node, ...] = ()
    """``Filter`` and ``DateRange`` nodes every match must pass."""


_FILTER_NODES = (q.Filter, q.DateRange)


def _plain_query(root: q.Node, phrases: bool = False) -> _PlainQuery | None:
    """``root`` as a :class:`_PlainQuery` (phrases among its words only when
    ``phrases``: see :func:`_plain_words`), or None when it is another shape."""
    words = _plain_words(root, phrases)
    if words is not None:
        return _PlainQuery(words, (root.boost,) if isinstance(root, q.AnyOf) else ())
    if not isinstance(root, q.AllOf):
        return None
    children = _distinct(root.children)
    filters = tuple(child for child in children if isinstance(child, _FILTER_NODES))
    others = [child for child in children if not isinstance(child, _FILTER_NODES)]
    if len(others) != 1 or not filters:
        return None
    words = _plain_words(others[0], phrases)
    if words is None:
        return None
    inner = (others[0].boost,) if isinstance(others[0], q.AnyOf) else ()
    return _PlainQuery(words, (*inner, root.boost), filters)


def _word_matches(commit: CommitColumns, plain: _PlainQuery, ranking: Ranking) -> Iterator[_Candidates]:
    """:func:`_tree_matches` of a :class:`_PlainQuery`, over the whole commit at once from
    each term's remembered scores: the same candidates and the same scores to the last
    bit (a document's terms are added in query order from 0, then the boosts, as the
    tree evaluator does; a filter adds 0)."""
    texts_by_fields: dict[tuple[str, ...], list[str]] = {}
    for leaf in plain.terms:
        if isinstance(leaf, q.Term):
            texts_by_fields.setdefault(leaf.fields, []).append(leaf.text)
    scored = {}
    for fields, texts in texts_by_fields.items():
        scored.update(((text, fields), found) for text, found in zip(texts, commit.terms_scores(texts, fields, ranking)))
    docs, values, texts_each = [], [], []
    for leaf in plain.terms:
        if isinstance(leaf, q.Term):
            found = scored[leaf.text, leaf.fields]
            leaf_docs, leaf_values = found.docs, found.scores
        else:
            leaf_docs, leaf_values = _phrase_matches(commit, leaf, ranking)
        if len(leaf_docs):
            docs.append(leaf_docs)
            values.append(leaf_values * leaf.boost if leaf.boost != 1.0 else leaf_values)
            texts_each.append(len(q.leaf_terms(leaf)))
    if not docs:
        return
    if len(docs) == 1:
        candidates, scores = docs[0], values[0] + 0.0
        matched = np.full(len(candidates), texts_each[0], np.int64)
    else:
        all_docs = np.concatenate(docs)
        candidates, scores, counts = sum_per_document(all_docs, np.concatenate(values), commit.doc_count_all)
        assert counts is not None  # asked for (counted=True)
        matched = counts
        if any(count > 1 for count in texts_each):  # a phrase matches each of its words
            each = np.repeat(np.array(texts_each, np.float64), [len(found) for found in docs])
            matched = sum_per_document(all_docs, each, commit.doc_count_all, counted=False)[1].astype(np.int64)
    for boost in plain.boosts:
        if boost != 1.0:
            scores = scores * boost
    keep = commit.live[candidates] if commit.live is not None else None
    if plain.filters:
        passing = _filter_mask(commit, plain.filters)[candidates]
        keep = passing if keep is None else keep & passing
    if keep is not None:
        candidates, scores, matched = candidates[keep], scores[keep], matched[keep]
    yield 0, candidates.astype(np.int64, copy=False), scores, matched.astype(np.int64, copy=False)


def _phrase_matches(commit: CommitColumns, phrase: q.Phrase, ranking: Ranking) -> tuple[np.ndarray, np.ndarray]:
    """(commit-wide doc numbers, scores) where ``phrase`` stands in any of its fields:
    what the tree evaluator's ``Phrase`` node gives there (BM25F), segment by segment."""
    docs, values = [], []
    for position, view in enumerate(commit.segments):
        evaluation = _SegmentEvaluation(commit, position, ranking)
        found = [where for where in (evaluation._phrase_docs(field, phrase.texts) for field in phrase.fields)
                 if len(where)]
        if found:
            local = found[0] if len(found) == 1 else _distinct_sorted(np.sort(np.concatenate(found)))
            values.append(evaluation._summed_scores(phrase.texts, phrase.fields, local))
            docs.append(local + view.offset)
    if not docs:
        return np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(docs), np.concatenate(values)


def _filter_mask(commit: CommitColumns, filters: tuple[q.Node, ...]) -> np.ndarray:
    """bool [commit-wide doc numbers]: the documents every one of ``filters`` keeps."""
    masks = []
    for position in range(len(commit.segments)):
        evaluation = _SegmentEvaluation(commit, position, WHOOSH_RANKING)
        masks.append(np.logical_and.reduce([evaluation.evaluate(node).mask for node in filters]))
    return np.concatenate(masks) if masks else np.zeros(0, bool)


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
    threshold = np.partition(combined, len(combined) - depth)[len(combined) - depth]
    return np.flatnonzero(combined >= threshold)


# by_date packs (undated, day, doc) into one int64: doc numbers below 2**31, days within
# 2**26 of 1970 (about 180,000 years; real dates are far inside).
_DOC_LIMIT = 1 << 31
_DAY_LIMIT = 1 << 26


def by_date(commit: CommitColumns, root: q.Node, *, newest_first: bool = True, limit: int = 10,
            offset: int = 0) -> tuple[int, np.ndarray]:
    """(total, doc numbers) of the matching live documents ordered by ``published``
    (newest or oldest first), documents without a date last, ties by doc number."""
    total, docs, days = 0, [], []
    for view, mask in zip(commit.segments, match_masks(commit, root)):
        candidates = np.flatnonzero(mask)
        total += len(candidates)
        docs.append(candidates + view.offset)
        days.append(view.columns.published_days[candidates].astype(np.int64))
    if not total:
        return 0, np.zeros(0, np.int64)
    all_docs, all_days = np.concatenate(docs), np.concatenate(days)
    undated = all_days == MISSING_DAY
    key = -all_days if newest_first else all_days
    depth = offset + limit
    if len(all_docs) <= depth or all_docs[-1] >= _DOC_LIMIT or np.abs(key[~undated]).max(initial=0) >= _DAY_LIMIT:
        order = np.lexsort((all_docs, key, undated))[offset:depth]
        return total, all_docs[order]
    # One int64 per document ordering as (undated, key, doc) does: the first ``depth``
    # are found in linear time, and only they are sorted.
    combined = (undated.astype(np.int64) << 58) | (np.where(undated, 0, key + _DAY_LIMIT) << 31) | all_docs
    first = np.argpartition(combined, depth - 1)[:depth]
    return total, all_docs[first[np.argsort(combined[first])]][offset:]


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
