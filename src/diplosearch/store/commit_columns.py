"""One commit's columns and statistics, and the term scores it remembers.

:class:`CommitColumns` gathers the :class:`~diplosearch.store.columns.SegmentColumns` of
every segment of one Whoosh commit, with each segment's doc-number offset and deletions
(from the table of contents), the commit's global statistics (document count, average
field lengths, document frequencies and idf), the length norms a
:class:`~diplosearch.ranking.Ranking` asks for, and each term's scores
(:class:`TermScores`, computed by :mod:`diplosearch.scoring_terms`) once computed.
:mod:`diplosearch.scoring` combines those scores over a query tree.

It lives in the store because a snapshot owns one per commit; it knows the formula's
parameters (:mod:`diplosearch.ranking`) but not how a query is scored.

Arrays are only read once made, so threads may score in parallel over one
:class:`CommitColumns` (a race on a cache only computes the same value twice).
"""

from __future__ import annotations

import bisect
import math
import threading
from typing import Any, Callable, Mapping, Sequence

import attrs
import numpy as np
from whoosh.util.numeric import byte_to_length

from ..ranking import Ranking
from .columns import SegmentColumns
from .columns_upgrade import columns_for

_LENGTHS = np.array([byte_to_length(code) for code in range(256)], dtype=np.float64)
_IDF_CACHE_LIMIT = 200_000
# Term scores a commit remembers (a doc number and a score each, 12-16 bytes): at least
# 1M (12-16 MB), and in a large index as many as 20 documents each: the common words
# of a query stream hold postings in proportion to the index, and with a fixed bound a
# 220k-document index rescored them all the time (20 per document: 17% fewer terms
# scored over the 300 benchmark queries at 219,650 documents, for 41 MB).
_TERM_CACHE_POSTINGS = 1_000_000
_TERM_CACHE_POSTINGS_PER_DOCUMENT = 20
# Filter masks a commit remembers (one byte per document each: 14 MB at 220,000 documents).
_MASK_CACHE_SIZE = 64


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


@attrs.frozen(eq=False)
class TermScores:
    """One term over one commit: the documents holding it in any of the term's fields
    (deleted ones too) and its score in each."""

    docs: np.ndarray
    """int32 (int64 past 2**31 documents): commit-wide doc numbers, ascending."""
    scores: np.ndarray
    """float64: the saturated BM25F score, or the sum of the per-field scores."""
    bounds: tuple[int, ...] | None
    """``docs[bounds[i]:bounds[i + 1]]`` lie in segment ``i``; None until :meth:`segment`
    first works them out (a score table's lookups: a query of words never asks)."""
    offsets: tuple[int, ...]
    """Each segment's first doc number."""

    def segment(self, position: int) -> tuple[np.ndarray, np.ndarray]:
        """(segment-local doc numbers, scores) of the documents in segment ``position``."""
        bounds = self.bounds
        if bounds is None:
            bounds = (*np.searchsorted(self.docs, self.offsets).tolist(), len(self.docs))
            object.__setattr__(self, "bounds", bounds)  # worked out once (a race stores equal bounds)
        low, high = bounds[position], bounds[position + 1]
        return self.docs[low:high] - self.offsets[position], self.scores[low:high]


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
        # where each segment's doc numbers start, and where the last one ends
        self._segment_edges = np.array([*self.offsets, self.doc_count_all], dtype=np.int64)
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
        self._union_factors: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray, bool]] = {}
        self._term_scores: dict[tuple[Any, ...], TermScores] = {}
        self._masks: dict[tuple[Any, ...], np.ndarray] = {}
        self._cached_postings = 0
        self._term_lock = threading.Lock()
        #: The index folder the segments were read from (None for columns made in memory).
        self.folder: str | None = None
        #: What :mod:`~diplosearch.store.score_table` knows of this commit's score table
        #: (set once, under :attr:`table_state_lock`).
        self.score_table_state: Any = None
        self.table_state_lock = threading.Lock()
        #: What searches derived from the segments alone (their vocabularies and postings,
        #: which deletions leave as they are), by name; the next commit a process reads
        #: shares it when it has the same segments (a commit that only deleted).
        self.segment_derived: dict[str, Any] = {}

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
        commit = cls(segments)
        commit.folder = folder
        return commit

    def segment_signature(self) -> tuple[tuple[str, int], ...]:
        """(segment id, documents) of each segment, in order: what fixes everything but
        the deletions."""
        return tuple((view.columns.segment_id, view.columns.doc_count) for view in self.segments)

    @property
    def live_count(self) -> int:
        return sum(int(v.live.sum()) for v in self.segments)

    def ids_and_titles(self, docnums: Sequence[int]) -> list[tuple[str, str]]:
        """The stored ``id`` and title of the document at each of the commit-wide
        ``docnums`` (a page's hits, in one call)."""
        named = []
        offsets, segments = self.offsets, self.segments
        for docnum in docnums:
            view = segments[bisect.bisect_right(offsets, docnum) - 1]
            local = docnum - view.offset
            named.append((view.columns.doc_ids[local], view.columns.titles[local]))
        return named

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
            value = bm25_idf(self.doc_count_all, df)
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

    def union_factors(self, fields: tuple[str, ...], ranking: Ranking) -> tuple[np.ndarray, np.ndarray, bool]:
        """What :func:`_summed_rows` needs of ``fields`` besides a term's postings:
        float64 [fields, 1] of their weights, :meth:`field_norms`, and whether every one
        of those norms is above 0 (always when ``b < 1``)."""
        weights = tuple(ranking.weight(field) for field in fields)
        key = (fields, weights, ranking.k1, ranking.b, ranking.model)
        factors = self._union_factors.get(key)
        if factors is None:
            norms = self.field_norms(fields, ranking)
            column = np.array(weights, dtype=np.float64).reshape(-1, 1)
            column.flags.writeable = False
            factors = self._union_factors[key] = (column, norms, bool((norms > 0).all()))
        return factors

    def remembered_mask(self, key: tuple[Any, ...], compute: Callable[[], np.ndarray]) -> np.ndarray:
        """``compute()`` (a bool array that depends on this commit and ``key`` alone:
        which documents a filter keeps), remembered for the :data:`_MASK_CACHE_SIZE`
        keys used most recently, read-only. Filters recur across searches (a news
        site's source and date filters), and each costs a pass over every document."""
        with self._term_lock:
            mask = self._masks.pop(key, None)
            if mask is not None:
                self._masks[key] = mask  # the most recently used last
                return mask
        mask = compute()
        mask.flags.writeable = False
        with self._term_lock:
            self._masks[key] = mask
            while len(self._masks) > _MASK_CACHE_SIZE:
                self._masks.pop(next(iter(self._masks)))
        return mask

    def remembered_scores(self, texts: Sequence[str], fields: tuple[str, ...],
                          ranking: Ranking) -> dict[str, TermScores]:
        """The remembered :class:`TermScores` of those of ``texts`` scored before over
        ``fields`` with ``ranking`` (each now the most recently used);
        :func:`~diplosearch.scoring_terms.terms_scores_in` scores the others."""
        settings = score_settings(fields, ranking)
        remembered = self._term_scores
        found: dict[str, TermScores] = {}
        with self._term_lock:
            for text in texts:
                known = remembered.pop((text, *settings), None)
                if known is not None:
                    remembered[(text, *settings)] = known  # the most recently used last
                    found[text] = known
        return found

    def remember_scores(self, scored: Mapping[str, TermScores], fields: tuple[str, ...], ranking: Ranking) -> None:
        """Keep ``scored`` (text -> its scores over ``fields`` with ``ranking``), the least
        recently used making room beyond the bound."""
        settings = score_settings(fields, ranking)
        with self._term_lock:
            for text, found in scored.items():
                self._remember_scores((text, *settings), found)

    def _remember_scores(self, key: tuple[Any, ...], found: TermScores) -> None:
        """Keep ``found`` under ``key`` (call holding the term lock)."""
        remembered = self._term_scores
        if key in remembered:
            return
        remembered[key] = found
        self._cached_postings += len(found.docs)
        bound = max(_TERM_CACHE_POSTINGS, _TERM_CACHE_POSTINGS_PER_DOCUMENT * self.doc_count_all)
        if self._cached_postings > bound:
            # The least recently used go, down to three quarters of the bound.
            for old_key in list(remembered):
                if self._cached_postings <= bound * 3 // 4 or old_key == key:
                    break
                self._cached_postings -= len(remembered.pop(old_key).docs)


def bm25_idf(document_count: int, df: int) -> float:
    """BM25's idf of a term held by ``df`` of ``document_count`` documents:
    ``ln(1 + (N - df + 0.5) / (df + 0.5))``."""
    return math.log(1 + (document_count - df + 0.5) / (df + 0.5))


def score_settings(fields: tuple[str, ...], ranking: Ranking) -> tuple[Any, ...]:
    """What, besides the text, a term's scores depend on (the key of remembered scores
    and of a score table)."""
    return (fields, tuple(ranking.weight(field) for field in fields), ranking.k1, ranking.b, ranking.model)


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
