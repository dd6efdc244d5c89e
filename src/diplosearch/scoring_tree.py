"""The dense evaluator of a query tree: each node over one segment's documents.

:class:`_SegmentEvaluation` turns any tree (:mod:`diplosearch.query`) into, per
segment, a match mask, a score and, per positive term, where it counts as matched:
a few numpy operations per node over arrays the size of the segment, never a Python
step per document. :mod:`diplosearch.scoring` uses it for every shape of query that
:mod:`diplosearch.scoring_words` does not score commit-wide (exclusions, conjunctions,
fuzzy words, 1.0's per-field phrases), and for filters' masks.
"""

from __future__ import annotations

from typing import Iterator, Sequence, Any

import attrs
import numpy as np

import diplosearch.query as q
from .errors import QueryError
from .spelling import expansions
from .store.columns import MISSING_DAY, VALUE_FIELDS
from .scoring_terms import term_scores_in
from .sorted_arrays import common_values, distinct_sorted, range_indices
from .ranking import Ranking
from .store.commit_columns import CommitColumns

_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()
#: Score factor of a fuzzy expansion per edit away from the typed word (exact matches rank first).
FUZZY_BOOST = 0.5


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
        docs, values = term_scores_in(self.commit, text, tuple(fields), self.ranking).segment(self.position)
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
            docs = found[0] if len(found) == 1 else distinct_sorted(np.sort(np.concatenate(found))) if found else None
            if docs is not None:
                mask[docs] = True
                scores[docs] = self._summed_scores(node.texts, node.fields, docs)
        return _Match(mask, scores, {text: mask for text in node.texts} if mask.any() else {})

    def _summed_scores(self, texts: Sequence[str], fields: tuple[str, ...], docs: np.ndarray) -> Any:
        """The sum of each of ``texts``' scores over ``fields`` at ``docs`` (ascending
        documents holding every one of them), added in text order from 0."""
        total: Any = 0
        for text in texts:
            holding, values = term_scores_in(self.commit, text, fields, self.ranking).segment(self.position)
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
        # The documents holding every word, from the rarest on (the set only shrinks).
        by_documents = sorted(range(len(rows)), key=lambda index: rows[index][1] - rows[index][0])
        first_start, first_end = rows[by_documents[0]]
        candidates = fc.docs[first_start:first_end]
        for index in by_documents[1:]:
            start, end = rows[index]
            candidates = common_values(candidates, fc.docs[start:end])
            if not len(candidates):
                return empty
        # Key each position of word ``index`` as (document, position - index): the phrase
        # stands where a key is present for every word. The words with the fewest
        # positions go first, so the keys kept so far are the fewest.
        pointers = fc.position_pointers
        by_positions = sorted(range(len(rows)), key=lambda index: pointers[rows[index][1]] - pointers[rows[index][0]])
        starts = None
        for index in by_positions:
            keys = _position_keys(fc, rows[index], candidates, index)
            starts = keys if starts is None else common_values(starts, keys)
            if not len(starts):
                return empty
        return distinct_sorted(starts >> _DOC_SHIFT)

    def _Fuzzy(self, node: q.Fuzzy) -> _Match:
        # The word itself at full weight, each close spelling below it: an expansion
        # scores as a Term boosted by FUZZY_BOOST per edit. The word counts as one
        # matched term wherever any spelling of it matches.
        mask, scores = self._term_scores(node.word, node.fields)
        for neighbour in expansions(self.commit, node.word, node.max_edits, node.max_expansions):
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

        def compute() -> np.ndarray:
            # Compared with white space runs as one space on both sides: a stored key keeps
            # the value's inner spacing ("kompas  tv", a no-break space), which the query
            # side has already folded, so that value could never be asked for.
            wanted = {" ".join(value.casefold().split()) for value in node.values}
            ids = [i for i, key in enumerate(column.keys) if " ".join(key.split()) in wanted]
            return np.isin(column.ids, ids)

        # a copy: evaluations combine masks in place
        return _Match(self.commit.remembered_mask(("filter", self.position, node), compute).copy(),
                      np.zeros(self.size), {})

    def _DateRange(self, node: q.DateRange) -> _Match:
        days = self.view.columns.published_days

        def compute() -> np.ndarray:
            mask = days != MISSING_DAY
            if node.start is not None:
                mask &= days >= node.start.toordinal() - _EPOCH_ORDINAL
            if node.end is not None:
                mask &= days <= node.end.toordinal() - _EPOCH_ORDINAL
            return mask

        return _Match(self.commit.remembered_mask(("dates", self.position, node), compute).copy(),
                      np.zeros(self.size), {})

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
        matches = []
        mask = None
        for child in _distinct(node.children):
            matches.append(self.evaluate(child))
            mask = matches[-1].mask.copy() if mask is None else mask & matches[-1].mask
            if not mask.any():
                # no document left: the children after it cannot change that (an AND of
                # the 64 commonest words empties after a few and cost 16x a typical query)
                return self.nothing()
        scores = np.where(mask, sum(m.scores for m in matches), 0.0)
        terms: dict[str, np.ndarray] = {}
        for m in matches:
            _merge_terms(terms, m.terms)
        return _Match(mask, scores, _restrict(terms, mask))

    def _Exclude(self, node: q.Exclude) -> _Match:
        positive = self.evaluate(node.positive)
        if not positive.mask.any():
            return self.nothing()  # nothing to take the negative side's documents from
        mask = positive.mask & ~self._mask_of(node.negative)
        return _Match(mask, np.where(mask, positive.scores, 0.0), _restrict(positive.terms, mask))

    def _mask_of(self, node: q.Node) -> np.ndarray:
        """Where ``node`` matches, without its scores (all an exclusion needs): a word's
        documents, or those of any of several, are marked straight from its postings."""
        if isinstance(node, q.Term):
            mask = np.zeros(self.size, bool)
            mask[term_scores_in(self.commit, node.text, tuple(node.fields), self.ranking).segment(self.position)[0]] = True
            return mask
        if isinstance(node, q.AnyOf):
            mask = np.zeros(self.size, bool)
            for child in _distinct(node.children):
                mask |= self._mask_of(child)
            return mask
        return self.evaluate(node).mask

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


# A position key holds its document above this many bits and its position (less the
# word's index in the phrase) below; a position is below 2**31, so a key never reaches
# another document's, even at -index.
_DOC_SHIFT = 33


def _position_keys(fc: Any, row: tuple[int, int], candidates: np.ndarray, index: int) -> np.ndarray:
    """Ascending keys (document << _DOC_SHIFT) + position - ``index`` of one word's
    positions in ``candidates`` (ascending documents holding it) at least. A word most of
    whose documents are candidates is keyed whole: its positions are one slice of the
    column, so the slice saves finding each candidate's posting and gathering its
    positions (the extra documents find no match in the other words' keys)."""
    start, end = row
    pointers = fc.position_pointers
    if 2 * len(candidates) >= end - start:
        documents = fc.docs[start:end].astype(np.int64)
        counts = np.diff(pointers[start : end + 1])
        positions = fc.positions[pointers[start] : pointers[end]]
    else:
        postings = start + np.searchsorted(fc.docs[start:end], candidates)
        firsts = pointers[postings]
        counts = pointers[postings + 1] - firsts
        documents = candidates.astype(np.int64)
        positions = fc.positions[range_indices(firsts, counts)]
    keys = np.repeat(documents << _DOC_SHIFT, counts)
    keys += positions
    if index:
        keys -= index
    return keys


def _restrict(terms: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    restricted = {text: where & mask for text, where in terms.items()}
    return {text: where for text, where in restricted.items() if where.any()}


def _segment_matches(commit: CommitColumns, root: q.Node, ranking: Ranking):  # type: ignore[no-untyped-def]
    for position, view in enumerate(commit.segments):
        match = _SegmentEvaluation(commit, position, ranking).evaluate(root)
        match.mask &= view.live
        yield view, match


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
