"""Scoring a query tree (:mod:`diplosearch.query`) over one commit's column files with numpy.

:class:`CommitColumns` gathers the :class:`~diplosearch.store.columns.SegmentColumns` of
every segment of one Whoosh commit, with each segment's doc-number offset and deletions
(from the table of contents) and the commit's global statistics. :func:`rank` evaluates
a tree over it and returns one page; :func:`match_masks`, :func:`newest` and
:mod:`diplosearch.facets` serve filters, the date sort and facets;
:func:`diplosearch.scoring_explain.explain` says how one document's score came about.

Every node is evaluated per segment into dense arrays over the segment's documents
(a match mask, a score, and per positive term the documents where it counts as
matched), so the work is a few numpy operations per (term, field) posting slice and
never a Python step per candidate document. Arrays are only read, so threads may
score in parallel over one :class:`CommitColumns`.

Two ranking models (:class:`Ranking`):

- ``"per_field"`` (diplosearch 1.0, Whoosh's ``BM25F``): each (field, term) leaf scores
  ``idf_f * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avglen_f))`` with Whoosh's
  ``idf_f = ln(N / (df_f + 1)) + 1``, times the field's weight; the leaves are summed.
  ``N``, ``df`` and the average length count deleted documents, lengths are decoded from
  Whoosh's one-byte codes, as Whoosh does, so scores equal 1.0's.
- ``"bm25f"`` (Robertson and Zaragoza): per term, the field frequencies are combined
  before saturation, ``t = sum_f w_f * tf_f / (1 - b + b * len_f / avglen_f)``, scored
  ``idf * t / (t + k1)`` with one ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))`` per term,
  ``df`` counting documents holding the term in any of the term's fields.

Coordination: ``"strict"`` ranks documents matching more distinct positive terms
first, then by score (1.0's rule); ``"off"`` by score alone; ``"soft"`` (the default)
by ``score * (matched / query terms) ** soft_power``. Ties go to the lower doc number.

:data:`DEFAULT_RANKING` is the BM25F model with soft coordination; :data:`WHOOSH_RANKING`
gives diplosearch 1.0's scores.

Identical children of one ``AnyOf``/``AllOf`` count once, as in 1.0 (Whoosh's
normalisation drops them): ``kota kota`` scores as ``kota``.
"""

from __future__ import annotations

import math
from typing import Any, Iterator, Literal, Mapping, Sequence

import attrs
import numpy as np
from whoosh.util.numeric import byte_to_length

import diplosearch.query as q
from .errors import QueryError
from .schema import DEFAULT_FIELD_BOOSTS, FIELD_BOOSTS_1_0
from .store.columns import MISSING_DAY, VALUE_FIELDS, SegmentColumns
from .store.columns_upgrade import columns_for
from .spelling import expansions


_LENGTHS = np.array([byte_to_length(code) for code in range(256)], dtype=np.float64)
_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()
_IDF_CACHE_LIMIT = 200_000
# Postings whose score parts a commit remembers (12 bytes each): about 12 MB.
_TERM_CACHE_POSTINGS = 1_000_000
#: Score factor of a fuzzy expansion per edit away from the typed word (exact matches rank first).
FUZZY_BOOST = 0.5


@attrs.frozen
class Ranking:
    """How documents are scored and ordered (see the module docstring).

    ``Ranking()`` is diplosearch's default (:data:`DEFAULT_RANKING`); change one piece
    with ``attrs.evolve(DEFAULT_RANKING, k1=1.2)`` or ``Ranking(k1=1.2)``.
    """

    k1: float = 1.2
    b: float = 0.75
    boosts: Mapping[str, float] = attrs.field(factory=lambda: dict(DEFAULT_FIELD_BOOSTS))
    """Weight of each field (default :data:`~diplosearch.schema.DEFAULT_FIELD_BOOSTS`);
    a field not named weighs 1."""
    coordination: Literal["strict", "off", "soft"] = attrs.field(
        default="soft", validator=attrs.validators.in_(("strict", "off", "soft")))
    soft_power: float = 0.5
    model: Literal["per_field", "bm25f"] = attrs.field(
        default="bm25f", validator=attrs.validators.in_(("per_field", "bm25f")))

    def weight(self, field: str) -> float:
        return float(self.boosts.get(field, 1.0))


#: diplosearch 1.0's ranking: Whoosh's BM25F (k1 1.2, b 0.75) with 1.0's field weights
#: (1.0 had no ``lead`` field: weight 0 keeps its scores) and strict coordination.
WHOOSH_RANKING = Ranking(
    k1=1.2, b=0.75, boosts=dict(FIELD_BOOSTS_1_0), coordination="strict", model="per_field",
)
#: One BM25F (k1 1.2, b 0.75) over :data:`~diplosearch.schema.DEFAULT_FIELD_BOOSTS`
#: (lead 2), soft coordination with power 0.5 (``Ranking()``). Chosen on FacQA and all
#: CLICK-ID titles (``benchmarks/relevance.py --tune``, benchmarks/README.md): +0.026
#: MRR@10 on CLICK-ID over 1.0, +0.003 on FacQA.
BM25F_RANKING = Ranking()
#: The ranking a search uses unless told otherwise.
DEFAULT_RANKING = BM25F_RANKING


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


@attrs.frozen(eq=False)
class SegmentView:
    """One segment of a commit: its columns, first doc number and live documents."""

    columns: SegmentColumns
    offset: int
    live: np.ndarray
    """bool [documents]: False for documents deleted in this commit."""
    lengths: Mapping[str, np.ndarray]
    """float64 [documents] per field: decoded field lengths."""
    has_deletions: bool = False


class CommitColumns:
    """The columns of every segment of one commit, and the commit's global statistics."""

    def __init__(self, segments: Sequence[tuple[SegmentColumns, int, Any]]) -> None:
        """``segments``: (columns, first doc number, deleted doc numbers or None) each."""
        views = []
        for columns, offset, deleted in segments:
            live = np.ones(columns.doc_count, dtype=bool)
            dead = np.fromiter(deleted or (), dtype=np.int64)
            live[dead[dead < columns.doc_count]] = False
            lengths = {f: _LENGTHS[fc.length_codes] for f, fc in columns.fields.items()}
            views.append(SegmentView(columns, offset, live, lengths, has_deletions=not live.all()))
        self.segments: tuple[SegmentView, ...] = tuple(views)
        self.doc_count_all = sum(v.columns.doc_count for v in views)
        fields = {f for v in views for f in v.columns.fields}
        #: Every text field some segment holds, sorted.
        self.field_names: tuple[str, ...] = tuple(sorted(fields))
        # Whoosh: avg_field_length = total / doc_count_all, and 1 when that is 0
        self.average_lengths = {
            f: (sum(v.columns.fields[f].total_length for v in views if f in v.columns.fields)
                / (self.doc_count_all or 1)) or 1
            for f in fields
        }
        # Caches filled on demand; a race only computes the same value twice. The idf
        # cache is emptied when it grows past _IDF_CACHE_LIMIT (one entry per term asked).
        self._idf: dict[tuple[Any, ...], float] = {}
        self._norms: dict[tuple[int, str, float, float, str], np.ndarray] = {}
        self._term_scores: dict[tuple[Any, ...], tuple[TermScores, ...]] = {}
        self._cached_postings = 0

    @classmethod
    def from_searcher(cls, folder: str, searcher: Any, *, cache: dict[str, SegmentColumns] | None = None,
                      verify: bool = True, on_rebuild: Any = None) -> "CommitColumns":
        """The columns of the commit ``searcher`` reads (loading, or building missing or
        damaged column files: see ``columns_for`` for ``verify`` and ``on_rebuild``).
        ``cache`` (segment id -> columns) reuses the columns of segments an earlier
        commit already loaded."""
        segments = []
        for leaf, offset in searcher.reader().leaf_readers():
            segment = getattr(leaf, "_segment", None)
            if segment is None:  # Whoosh's EmptyReader of an index without segments
                continue
            columns = cache.get(segment.segment_id()) if cache is not None else None
            if columns is None:
                columns = columns_for(folder, leaf, segment, verify=verify, on_rebuild=on_rebuild)
                if cache is not None:
                    cache[segment.segment_id()] = columns
            segments.append((columns, offset, segment.deleted_docs() if segment.has_deletions() else None))
        return cls(segments)

    @property
    def live_count(self) -> int:
        return sum(int(v.live.sum()) for v in self.segments)

    def document_frequency(self, field: str, text: str) -> int:
        """Postings of ``text`` in ``field`` over the commit, deleted documents included."""
        return sum(v.columns.document_frequency(field, text) for v in self.segments)

    def field_idf(self, field: str, text: str) -> float:
        """Whoosh's idf of one (field, term): ``ln(N / (df + 1)) + 1``."""
        key = ("field", field, text)
        value = self._idf.get(key)
        if value is None:
            value = math.log(self.doc_count_all / (self.document_frequency(field, text) + 1)) + 1
            self._remember_idf(key, value)
        return value

    def _remember_idf(self, key: tuple[Any, ...], value: float) -> None:
        if len(self._idf) >= _IDF_CACHE_LIMIT:
            self._idf.clear()
        self._idf[key] = value

    def term_idf(self, fields: tuple[str, ...], text: str) -> float:
        """One idf per term over documents holding it in any of ``fields`` (BM25F model)."""
        key = ("term", fields, text)
        value = self._idf.get(key)
        if value is None:
            df = 0
            for view in self.segments:
                holding = np.zeros(view.columns.doc_count, dtype=bool)
                for _field, fc, start, end in _postings(view, fields, text):
                    holding[fc.docs[start:end]] = True
                df += int(holding.sum())
            n = self.doc_count_all
            value = math.log(1 + (n - df + 0.5) / (df + 0.5))
            self._remember_idf(key, value)
        return value

    def length_norm(self, view: SegmentView, field: str, ranking: Ranking) -> np.ndarray:
        """Per document of ``view``: ``1 - b + b * len / avglen`` (BM25F model) or
        ``k1 * (1 - b + b * len / avglen)`` (per-field model, Whoosh's operation order)."""
        key = (id(view), field, ranking.k1, ranking.b, ranking.model)
        norm = self._norms.get(key)
        if norm is None:
            k1, b = ranking.k1, ranking.b
            relative = view.lengths[field] / self.average_lengths[field]
            norm = k1 * ((1 - b) + b * relative) if ranking.model == "per_field" else (1 - b) + b * relative
            norm.flags.writeable = False
            self._norms[key] = norm
        return norm

    def term_scores(self, text: str, fields: tuple[str, ...], ranking: Ranking) -> tuple[TermScores, ...]:
        """Per segment (in :attr:`segments` order), the documents holding ``text`` in any
        of ``fields`` (deleted ones too, ascending) and the term's score in each: the
        saturated BM25F score, or the sum of the per-field scores (per-field model).
        Remembered per commit and ranking: terms recur across queries."""
        weights = tuple(ranking.weight(field) for field in fields)
        key = (text, fields, weights, ranking.k1, ranking.b, ranking.model)
        found = self._term_scores.get(key)
        if found is None:
            found = _score_term(self, text, fields, ranking)
            size = sum(len(docs) for docs, _scores in found)
            if self._cached_postings + size > _TERM_CACHE_POSTINGS:
                self._term_scores.clear()
                self._cached_postings = 0
            self._term_scores[key] = found
            self._cached_postings += size
        return found


def _sum_per_document(docs: np.ndarray, parts: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``docs`` (ascending) and the sum of each one's ``parts``, added in
    their order from 0 (``np.bincount``): over the segment's documents when the
    postings are many, by sorting them when they are few (the same sums either way)."""
    if len(docs) * 16 >= size:
        summed = np.bincount(docs, weights=parts, minlength=size)
        present = np.zeros(size, bool)
        present[docs] = True
        distinct = np.flatnonzero(present)
        return distinct, summed[distinct]
    order = np.argsort(docs, kind="stable")  # stable: a document's parts keep their order
    ordered = docs[order]
    starts = np.empty(len(docs), bool)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    slot = np.empty(len(docs), np.intp)
    slot[order] = np.cumsum(starts) - 1
    return ordered[starts], np.bincount(slot, weights=parts)


#: One term in one segment: (doc numbers, ascending; the term's score in each).
TermScores = tuple[np.ndarray, np.ndarray]


def _score_term(commit: CommitColumns, text: str, fields: tuple[str, ...],
                ranking: Ranking) -> tuple[TermScores, ...]:
    """:meth:`CommitColumns.term_scores`, computed. A document's field parts are added in
    field order from 0 (``np.bincount``), and the saturation is ``idf * t / (t + k1)`` in
    the same operations as before, so the scores are the same to the last bit."""
    holding: list[TermScores] = []
    for view in commit.segments:
        docs, parts = _term_parts(commit, view, text, fields, ranking)
        if len(docs) > 1 and not bool((docs[1:] > docs[:-1]).all()):  # several fields' postings
            docs, parts = _sum_per_document(docs, parts, view.columns.doc_count)
        else:  # already one ascending entry per document
            parts = parts + 0.0  # 0 + part, as the sum from 0 would be
        holding.append((docs, parts))
    if ranking.model != "per_field":
        df = sum(len(docs) for docs, _parts in holding)
        n = commit.doc_count_all
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        commit._remember_idf(("term", fields, text), idf)
        for _docs, parts in holding:
            if ranking.k1 > 0:
                denominator = parts + ranking.k1
                np.multiply(parts, idf, out=parts)
                np.divide(parts, denominator, out=parts)
            else:
                parts[:] = idf * parts / (parts + ranking.k1)
    for docs, parts in holding:
        docs.flags.writeable = parts.flags.writeable = False
    return tuple(holding)


def _postings(view: SegmentView, fields: Sequence[str], text: str) -> list[tuple[str, Any, int, int]]:
    """(field, its columns, start, end) for each of ``fields`` where ``text`` has
    postings in ``view``: the posting rows a term costs the scorer."""
    term_id = view.columns.vocabulary.id_of(text)
    if term_id is None:
        return []
    rows = []
    for field in fields:
        fc = view.columns.fields.get(field)
        if fc is None:
            continue
        start, end = fc.row(term_id)
        if start < end:
            rows.append((field, fc, start, end))
    return rows


def _term_parts(commit: CommitColumns, view: SegmentView, text: str, fields: tuple[str, ...],
                ranking: Ranking) -> tuple[np.ndarray, np.ndarray]:
    """(docs, parts) of ``text``'s postings in each of ``fields`` in turn: each one's
    weighted part of the score (per-field model: the field's BM25 score; BM25F: the
    weighted, normalised frequency)."""
    rows = _postings(view, fields, text)
    if not rows:
        return _NO_DOCS, _NO_PARTS
    k1, per_field = ranking.k1, ranking.model == "per_field"
    docs_runs, part_runs = [], []
    for field, fc, start, end in rows:
        docs = fc.docs[start:end]
        tf = fc.weights[start:end].astype(np.float64)
        norm = commit.length_norm(view, field, ranking).take(docs)
        if per_field:
            # whoosh.scoring.bm25, the same operations in the same order, then the weight
            part = (tf * (k1 + 1)) / (tf + norm)
            np.multiply(commit.field_idf(field, text), part, out=part)
            np.multiply(part, ranking.weight(field), out=part)
        else:
            part = tf
            np.multiply(ranking.weight(field), part, out=part)
            np.divide(part, norm, out=part)
        docs_runs.append(docs)
        part_runs.append(part)
    if len(rows) == 1:
        docs, parts = docs_runs[0], part_runs[0]
    else:
        docs, parts = np.concatenate(docs_runs), np.concatenate(part_runs)
    docs.flags.writeable = parts.flags.writeable = False
    return docs, parts


_NO_DOCS = np.zeros(0, np.int32)
_NO_PARTS = np.zeros(0)
_NO_DOCS.flags.writeable = _NO_PARTS.flags.writeable = False


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
        docs, values = self.commit.term_scores(text, tuple(fields), self.ranking)[self.position]
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
            holding, values = self.commit.term_scores(text, fields, self.ranking)[self.position]
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
    return [match.mask for _view, match in _segment_matches(commit, root, WHOOSH_RANKING)]


def rank(commit: CommitColumns, root: q.Node, *, ranking: Ranking = DEFAULT_RANKING, limit: int = 10,
         offset: int = 0) -> ScoredPage:
    """The page ``[offset, offset + limit)`` of the live documents matching ``root``, best first.

    :raises QueryError: the tree holds a node that cannot be scored yet (``Fuzzy``).
    """
    depth = offset + limit
    query_terms = max(len(positive_terms(root)), 1)
    words = _plain_words(root)
    matches = _word_matches(commit, root, words, ranking) if words else _tree_matches(commit, root, ranking)
    # (matched / query terms) ** power for each possible count: a gather instead of a
    # power per candidate (the same values: the same operation on the same numbers)
    soft_factors = (np.arange(query_terms + 1) / query_terms) ** ranking.soft_power
    parts, total = [], 0
    for view, candidates, scores, matched in matches:
        total += len(candidates)
        if not len(candidates) or depth <= 0:
            continue
        if ranking.coordination == "soft":
            most = int(matched.max())
            if most >= len(soft_factors):  # a count past the query's terms (not expected)
                soft_factors = (np.arange(most + 1) / query_terms) ** ranking.soft_power
            scores = scores * soft_factors[matched]
        primary = matched if ranking.coordination == "strict" else None
        keep = _best(primary, scores, depth)
        if primary is None:
            primary = np.zeros(len(candidates), np.int64)
        parts.append((candidates[keep] + view.offset, primary[keep], scores[keep], matched[keep]))
    if not parts:
        return ScoredPage(total, np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
    docnums, primary, scores, matched = (np.concatenate(arrays) for arrays in zip(*parts))
    order = np.lexsort((docnums, -scores, -primary))[offset:depth]
    return ScoredPage(total, docnums[order], scores[order], matched[order])


_Candidates = tuple[SegmentView, np.ndarray, np.ndarray, np.ndarray]


def _tree_matches(commit: CommitColumns, root: q.Node, ranking: Ranking) -> Iterator[_Candidates]:
    """Per segment: the live documents ``root`` matches, their scores and matched-term counts."""
    for view, match in _segment_matches(commit, root, ranking):
        candidates = np.flatnonzero(match.mask)
        matched = np.zeros(len(candidates), np.int64)
        for where in match.terms.values():
            matched += where[candidates]
        yield view, candidates, match.scores[candidates], matched


def _plain_words(root: q.Node) -> list[q.Term] | None:
    """The terms of a query of words alone (a ``Term``, or an ``AnyOf`` of ``Term``\\ s of
    distinct texts): what most queries are, scored without dense per-node arrays."""
    if isinstance(root, q.Term):
        return [root]
    if not isinstance(root, q.AnyOf) or not root.children:
        return None
    children = _distinct(root.children)
    if not all(isinstance(child, q.Term) for child in children):
        return None
    terms: list[q.Term] = children  # type: ignore[assignment]
    return terms if len({term.text for term in terms}) == len(terms) else None


def _word_matches(commit: CommitColumns, root: q.Node, words: list[q.Term],
                  ranking: Ranking) -> Iterator[_Candidates]:
    """:func:`_tree_matches` of a query of plain words, from each term's remembered
    scores: the same candidates and the same scores to the last bit (a document's
    terms are added in query order from 0, then the boosts, as the tree evaluator does)."""
    scored = [(commit.term_scores(term.text, term.fields, ranking), term.boost) for term in words]
    outer = root.boost if isinstance(root, q.AnyOf) else 1.0
    for position, view in enumerate(commit.segments):
        docs, values = [], []
        for per_segment, boost in scored:
            term_docs, term_scores = per_segment[position]
            if len(term_docs):
                docs.append(term_docs)
                values.append(term_scores * boost if boost != 1.0 else term_scores)
        if not docs:
            yield view, _NO_CANDIDATES, _NO_PARTS, _NO_CANDIDATES
            continue
        if len(docs) == 1:
            candidates, scores = docs[0], values[0] + 0.0
            matched = np.ones(len(candidates), np.int64)
        else:
            size = view.columns.doc_count
            every_doc = np.concatenate(docs)
            counts = np.bincount(every_doc, minlength=size)
            summed = np.bincount(every_doc, weights=np.concatenate(values), minlength=size)
            candidates = np.flatnonzero(counts > 0)  # over a bool array: 6x faster than over ints
            scores, matched = summed[candidates], counts[candidates]
        if outer != 1.0:
            scores = scores * outer
        if view.has_deletions:
            keep = view.live[candidates]
            candidates, scores, matched = candidates[keep], scores[keep], matched[keep]
        yield view, candidates.astype(np.int64, copy=False), scores, matched.astype(np.int64, copy=False)


_NO_CANDIDATES = np.zeros(0, np.int64)


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
    order = np.lexsort((all_docs, key, undated))[offset : offset + limit]
    return total, all_docs[order]


def matched_counts(commit: CommitColumns, root: q.Node, docnums: np.ndarray) -> np.ndarray:
    """How many distinct positive query terms each of ``docnums`` (matching documents) holds."""
    counts = np.zeros(len(docnums), np.int64)
    if not len(docnums):
        return counts
    for view, match in _segment_matches(commit, root, WHOOSH_RANKING):
        inside = (docnums >= view.offset) & (docnums < view.offset + view.columns.doc_count)
        local = docnums[inside] - view.offset
        for where in match.terms.values():
            counts[inside] += where[local]
    return counts
