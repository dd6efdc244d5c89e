"""What a term scores in each segment of one commit.

:class:`Ranking` holds the knobs of the formula; :class:`CommitColumns` gathers the
:class:`~diplosearch.store.columns.SegmentColumns` of every segment of one Whoosh commit,
with each segment's doc-number offset and deletions (from the table of contents) and the
commit's global statistics, and computes (then remembers) each term's score in every
document holding it (:meth:`CommitColumns.term_scores`). :mod:`diplosearch.scoring`
combines those scores over a query tree.

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

Arrays are only read once made, so threads may score in parallel over one
:class:`CommitColumns` (a race on a cache only computes the same value twice).
"""

from __future__ import annotations

import bisect
import itertools
import math
import threading
from operator import itemgetter
from typing import Any, Literal, Mapping, Sequence

import attrs
import numpy as np
from whoosh.util.numeric import byte_to_length

from .schema import DEFAULT_FIELD_BOOSTS, FIELD_BOOSTS_1_0
from .store.columns import SegmentColumns
from .store.columns_upgrade import columns_for

_LENGTHS = np.array([byte_to_length(code) for code in range(256)], dtype=np.float64)
_IDF_CACHE_LIMIT = 200_000
# Term scores a commit remembers (a doc number and a score each, 12-16 bytes): at least
# 1M (12-16 MB), and in a large index as many as 20 documents each: the common words
# of a query stream hold postings in proportion to the index, and with a fixed bound a
# 220k-document index rescored them all the time (20 per document: 17% fewer terms
# scored over the 300 benchmark queries at 219,650 documents, for 41 MB).
_TERM_CACHE_POSTINGS = 1_000_000
_TERM_CACHE_POSTINGS_PER_DOCUMENT = 20


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
        #: Each segment's first doc number.
        self.offsets: tuple[int, ...] = tuple(v.offset for v in views)
        self.doc_count_all = sum(v.columns.doc_count for v in views)
        #: bool [doc_count_all]: False for deleted documents (None when none is).
        self.live: np.ndarray | None = (np.concatenate([v.live for v in views])
                                        if any(v.has_deletions for v in views) else None)
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
        # cache is emptied when it grows past _IDF_CACHE_LIMIT (one entry per term asked);
        # term scores keep the most recently used up to _TERM_CACHE_POSTINGS documents.
        self._idf: dict[tuple[Any, ...], float] = {}
        self._norms: dict[tuple[int, str, float, float, str], np.ndarray] = {}
        self._commit_norms: dict[tuple[Any, ...], np.ndarray] = {}
        self._term_scores: dict[tuple[Any, ...], TermScores] = {}
        self._cached_postings = 0
        self._term_lock = threading.Lock()

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

    def id_and_title(self, docnum: int) -> tuple[str, str]:
        """The stored ``id`` and title of the document at commit-wide ``docnum``."""
        view = self.segments[bisect.bisect_right(self.offsets, docnum) - 1]
        local = docnum - view.offset
        return view.columns.doc_ids[local], view.columns.titles[local]

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

    def commit_norm(self, field: str, ranking: Ranking) -> np.ndarray:
        """:meth:`length_norm` of every segment in turn: one value per commit-wide doc number."""
        key = (field, ranking.k1, ranking.b, ranking.model)
        norm = self._commit_norms.get(key)
        if norm is None:
            norm = np.concatenate([self.length_norm(view, field, ranking) if field in view.lengths
                                   else np.ones(view.columns.doc_count) for view in self.segments]
                                  or [np.zeros(0)])
            norm.flags.writeable = False
            self._commit_norms[key] = norm
        return norm

    def field_norms(self, fields: tuple[str, ...], ranking: Ranking) -> np.ndarray:
        """float64 [fields, documents]: :meth:`commit_norm` of each of ``fields``, one row
        each (flattened, the norm of ``fields[i]`` for doc ``d`` is at ``i * doc_count_all + d``)."""
        key = ("fields", fields, ranking.k1, ranking.b, ranking.model)
        norms = self._commit_norms.get(key)
        if norms is None:
            norms = np.stack([self.commit_norm(field, ranking) for field in fields]).reshape(len(fields), -1)
            norms.flags.writeable = False
            self._commit_norms[key] = norms
        return norms

    def term_scores(self, text: str, fields: tuple[str, ...], ranking: Ranking) -> TermScores:
        """The documents holding ``text`` in any of ``fields`` and the term's score in
        each. Remembered per commit and ranking: terms recur across queries."""
        weights = tuple(ranking.weight(field) for field in fields)
        key = (text, fields, weights, ranking.k1, ranking.b, ranking.model)
        remembered = self._term_scores
        with self._term_lock:
            found = remembered.pop(key, None)
            if found is not None:
                remembered[key] = found  # the most recently used last
                return found
        found = _score_term(self, text, fields, ranking)
        with self._term_lock:
            if key not in remembered:
                remembered[key] = found
                self._cached_postings += len(found.docs)
                bound = max(_TERM_CACHE_POSTINGS, _TERM_CACHE_POSTINGS_PER_DOCUMENT * self.doc_count_all)
                if self._cached_postings > bound:
                    # The least recently used go, down to three quarters of the bound.
                    for old_key in list(remembered):
                        if self._cached_postings <= bound * 3 // 4 or old_key == key:
                            break
                        self._cached_postings -= len(remembered.pop(old_key).docs)
        return found


def sum_per_document(docs: np.ndarray, values: np.ndarray, size: int,
                     counted: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The distinct ``docs`` (ascending, each below ``size``), the sum of each one's
    ``values`` added in their order from 0 (``np.bincount``), and how many entries each
    had (None unless ``counted``): over every document number when the entries are
    many, by sorting them when they are few (the same sums either way; measured faster
    than inserting the few into the many)."""
    if len(docs) * 16 >= size:
        summed = np.bincount(docs, weights=values, minlength=size)
        if counted:
            counts = np.bincount(docs, minlength=size)
            distinct = np.flatnonzero(counts > 0)  # over a bool array: 6x faster than over ints
            return distinct, summed[distinct], counts[distinct]
        present = np.zeros(size, bool)
        present[docs] = True
        distinct = np.flatnonzero(present)
        return distinct, summed[distinct], None
    order = np.argsort(docs, kind="stable")  # stable: a document's values keep their order
    ordered = docs[order]
    starts = np.empty(len(docs), bool)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    slot = np.empty(len(docs), np.intp)
    slot[order] = np.cumsum(starts) - 1
    return ordered[starts], np.bincount(slot, weights=values), np.bincount(slot) if counted else None


@attrs.frozen(eq=False)
class TermScores:
    """One term over one commit: the documents holding it in any of the term's fields
    (deleted ones too) and its score in each."""

    docs: np.ndarray
    """int32 (int64 past 2**31 documents): commit-wide doc numbers, ascending."""
    scores: np.ndarray
    """float64: the saturated BM25F score, or the sum of the per-field scores."""
    bounds: tuple[int, ...]
    """``docs[bounds[i]:bounds[i + 1]]`` lie in segment ``i``."""
    offsets: tuple[int, ...]
    """Each segment's first doc number."""

    def segment(self, position: int) -> tuple[np.ndarray, np.ndarray]:
        """(segment-local doc numbers, scores) of the documents in segment ``position``."""
        low, high = self.bounds[position], self.bounds[position + 1]
        return self.docs[low:high] - self.offsets[position], self.scores[low:high]


def _score_term(commit: CommitColumns, text: str, fields: tuple[str, ...], ranking: Ranking) -> TermScores:
    """:meth:`CommitColumns.term_scores`, computed over all segments at once: from the
    union postings for a word searched in every field that holds postings, else from
    each (field, segment) run of postings. Either way a document's field parts are added
    in field order from 0 and then saturated, so the scores are the same to the last bit
    as scoring one field and one segment at a time."""
    ids = [(view, view.columns.vocabulary.id_of(text)) for view in commit.segments]
    ids = [(view, term_id) for view, term_id in ids if term_id is not None]
    if ranking.model != "per_field":
        summed = _summed_over_union(commit, ids, fields, ranking)
        docs, sums = summed if summed is not None else _summed_field_parts(commit, ids, fields, ranking)
    else:
        docs, sums = _summed_per_field(commit, text, ids, fields, ranking)
    return _saturated(commit, text, fields, ranking, docs, sums)


#: One term's postings in one field of one segment: (the field's position in the query's
#: fields, the field, the segment's first doc number, segment-local docs, weights).
_Run = tuple[int, str, int, np.ndarray, np.ndarray]


def _field_runs(ids: list[tuple[SegmentView, int]], fields: tuple[str, ...]) -> list[_Run]:
    """The term's postings per field of ``fields`` and segment, field by field and each
    field's segments in order (the order the field parts are added in)."""
    runs = []
    for position, field in enumerate(fields):
        for view, term_id in ids:
            fc = view.columns.fields.get(field)
            if fc is None:
                continue
            start, end = fc.row(term_id)
            if start < end:
                runs.append((position, field, view.offset, fc.docs[start:end], fc.weights[start:end]))
    return runs


def _summed_per_field(commit: CommitColumns, text: str, ids: list[tuple[SegmentView, int]],
                      fields: tuple[str, ...], ranking: Ranking) -> tuple[np.ndarray, np.ndarray]:
    """1.0's model (``whoosh.scoring.bm25`` per field, then the field's weight): per
    document holding the term, the sum of its fields' scores, added in field order from 0."""
    field_docs, field_parts = [], []
    wide = np.int64 if commit.doc_count_all >= 2**31 else None
    for _position, group in itertools.groupby(_field_runs(ids, fields), key=itemgetter(0)):
        runs = list(group)
        field = runs[0][1]
        # int32 holds every doc number of a commit under 2**31 documents
        doc_runs = [docs if not offset else docs + offset if wide is None else np.add(docs, offset, dtype=np.int64)
                    for _p, _f, offset, docs, _w in runs]
        docs = doc_runs[0] if len(doc_runs) == 1 else np.concatenate(doc_runs)
        tf = (runs[0][4] if len(runs) == 1 else np.concatenate([run[4] for run in runs])).astype(np.float64)
        norm = commit.commit_norm(field, ranking).take(docs)
        # whoosh.scoring.bm25, the same operations in the same order, then the weight
        part = (tf * (ranking.k1 + 1)) / (tf + norm)
        np.multiply(commit.field_idf(field, text), part, out=part)
        np.multiply(part, ranking.weight(field), out=part)
        field_docs.append(docs)
        field_parts.append(part)
    if not field_docs:
        return _NO_DOCS, np.zeros(0)
    if len(field_docs) == 1:  # one field: already one ascending entry per document
        return field_docs[0], field_parts[0] + 0.0  # 0 + part, as the sum from 0 would be
    docs, sums, _counts = sum_per_document(np.concatenate(field_docs), np.concatenate(field_parts),
                                           commit.doc_count_all, counted=False)
    return docs, sums


def _summed_over_union(commit: CommitColumns, ids: list[tuple[SegmentView, int]], fields: tuple[str, ...],
                       ranking: Ranking) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`_summed_field_parts` from each segment's union postings, when ``fields``
    include every text field that holds postings in the segment (a word searched
    everywhere: most words); None otherwise.

    Each field's weights of the term are multiplied by the field's weight and divided by
    the documents' norms of that field, and the fields are added in turn: the same
    operations, in the same field order, as one field at a time. A field without
    postings in a segment has no row there (it would only add 0), so the sums are the
    same to the last bit, from a third of the numpy calls and, where quotes and
    captions are empty, three fifths of the work."""
    groups: list[tuple[tuple[tuple[str, ...], list[int]], list[np.ndarray], list[np.ndarray]]] = []
    wide = commit.doc_count_all >= 2**31  # past int32's doc numbers
    for view, term_id in ids:
        union = view.columns.union_postings()
        chosen = union.columns_within(fields)
        if chosen is None:
            return None
        start, end = union.row(term_id)
        if start < end:
            docs = union.docs[start:end]
            if not groups or groups[-1][0] != chosen:
                groups.append((chosen, [], []))
            if view.offset:
                docs = np.add(docs, view.offset, dtype=np.int64) if wide else docs + view.offset
            groups[-1][1].append(docs)
            groups[-1][2].append(union.weights[:, start:end])
    if not groups:
        return _NO_DOCS, np.zeros(0)
    summed = [_summed_rows(commit, *group, ranking) for group in groups]
    if len(summed) == 1:
        return summed[0]
    return np.concatenate([docs for docs, _sums in summed]), np.concatenate([sums for _docs, sums in summed])


def _summed_rows(commit: CommitColumns, chosen: tuple[tuple[str, ...], list[int]], doc_runs: list[np.ndarray],
                 weight_runs: list[np.ndarray], ranking: Ranking) -> tuple[np.ndarray, np.ndarray]:
    """Per document of consecutive segments whose union postings have the same columns
    for the query's fields: the sum over them of ``weight * tf / norm``."""
    fields, rows = chosen
    docs = doc_runs[0] if len(doc_runs) == 1 else np.concatenate(doc_runs)
    table = weight_runs[0] if len(weight_runs) == 1 else np.concatenate(weight_runs, axis=1)
    if rows != list(range(len(table))):
        table = table[rows]
    table = table.astype(np.float64)
    np.multiply(table, [[ranking.weight(field)] for field in fields], out=table)
    # Only where the field holds the term, as field by field: elsewhere it stays 0,
    # whatever the norm (0 for an empty field when b = 1).
    np.divide(table, commit.field_norms(fields, ranking).take(docs, axis=1), out=table, where=table != 0)
    # the fields in turn, as field by field adds them (a new array: a view of the table
    # would keep all of it alive in the term cache)
    sums = table[0] + (table[1] if len(table) > 1 else 0.0)
    for row in table[2:]:
        np.add(sums, row, out=sums)
    return docs, sums


def _summed_field_parts(commit: CommitColumns, ids: list[tuple[SegmentView, int]], fields: tuple[str, ...],
                        ranking: Ranking) -> tuple[np.ndarray, np.ndarray]:
    """BM25F's pseudo term frequency of one term: per document holding it, the sum over
    ``fields`` of ``weight * tf / norm``, added in field order from 0.

    Every (field, segment) run of postings goes into one set of arrays at once, the
    length norms read from all fields' norms side by side: a dozen numpy calls a term
    whatever the number of fields and segments (one field at a time took five times
    as many, which is most of the cost of a rare term). The operations per posting are
    the ones made one field at a time, in the same order, so the sums are the same to
    the last bit."""
    size = commit.doc_count_all
    runs = _field_runs(ids, fields)
    doc_runs = [docs for _p, _f, _o, docs, _w in runs]
    tf_runs = [weights for _p, _f, _o, _d, weights in runs]
    run_weights = [ranking.weight(field) for _p, field, _o, _d, _w in runs]
    run_offsets = [offset for _p, _f, offset, _d, _w in runs]
    run_bases = [position * size for position, _f, _o, _d, _w in runs]
    if not doc_runs:
        return _NO_DOCS, np.zeros(0)
    # int32 holds every doc number of a commit under 2**31 documents, and every place in
    # the norms side by side under 2**31 places
    index_type = np.int64 if len(fields) * size >= 2**31 else np.int32
    if len(doc_runs) == 1:
        docs = doc_runs[0].astype(index_type, copy=False)
        docs = docs + run_offsets[0] if run_offsets[0] else docs
        part = tf_runs[0].astype(np.float64)
        places = docs + run_bases[0] if run_bases[0] else docs
        np.multiply(part, run_weights[0], out=part)
    else:
        lengths = [len(run) for run in doc_runs]
        docs = np.concatenate(doc_runs).astype(index_type, copy=False)
        if any(run_offsets):
            docs += np.repeat(np.array(run_offsets, index_type), lengths)
        places = docs + np.repeat(np.array(run_bases, index_type), lengths) if any(run_bases) else docs
        part = np.concatenate(tf_runs).astype(np.float64)
        np.multiply(part, np.repeat(run_weights, lengths), out=part)
    np.divide(part, commit.field_norms(fields, ranking).reshape(-1).take(places), out=part)
    if all(base == run_bases[0] for base in run_bases):  # one field: one ascending entry per document
        return docs, part + 0.0  # 0 + part, as the sum from 0 would be
    docs, sums, _counts = sum_per_document(docs, part, size, counted=False)
    return docs, sums


def _saturated(commit: CommitColumns, text: str, fields: tuple[str, ...], ranking: Ranking,
               docs: np.ndarray, sums: np.ndarray) -> TermScores:
    """The term's :class:`TermScores` from each document's summed field parts: BM25F's
    saturation ``idf * t / (t + k1)`` (1.0's per-field model is saturated per field already)."""
    if docs.dtype != np.int32 and commit.doc_count_all < 2**31:
        docs = docs.astype(np.int32)  # as TermScores promises (a dense sum gives int64)
    if ranking.model != "per_field":
        df = len(docs)
        n = commit.doc_count_all
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        commit._remember_idf(("term", fields, text), idf)
        if ranking.k1 > 0:
            denominator = sums + ranking.k1
            np.multiply(sums, idf, out=sums)
            np.divide(sums, denominator, out=sums)
        else:
            sums[:] = idf * sums / (sums + ranking.k1)
    docs.flags.writeable = sums.flags.writeable = False
    bounds = tuple(np.searchsorted(docs, [*commit.offsets, commit.doc_count_all]).tolist())
    return TermScores(docs, sums, bounds, commit.offsets)


_NO_DOCS = np.zeros(0, np.int32)
_NO_DOCS.flags.writeable = False


def _postings(view: SegmentView, fields: Sequence[str], text: str) -> list[tuple[str, Any, int, int]]:
    """(field, its columns, start, end) for each of ``fields`` where ``text`` has
    postings in ``view``."""
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
