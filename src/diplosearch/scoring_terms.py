"""A term's scores over one commit, computed from its postings and remembered by the
commit (:func:`term_scores_in`, :func:`terms_scores_in`).

A word searched in every field (most words) is scored from each segment's union
postings (:mod:`diplosearch.store.union_postings`), the words of one query together;
other field sets are scored from each (field, segment) run of postings, and 1.0's
per-field model field by field. Each way makes the same operations on the same numbers
per posting, so the scores are the same to the last bit (``tests/test_scoring.py``
writes them out per posting).
"""

from __future__ import annotations

import itertools
import os
import threading
from operator import itemgetter
from typing import Any, Callable, ContextManager, Sequence

import numpy as np

from .ranking import DEFAULT_RANKING, Ranking
from .schema import TEXT_FIELDS
from .store import score_table
from .store.commit_columns import CommitColumns, SegmentView, TermScores, bm25_idf, score_settings


def sum_per_document(docs: np.ndarray, values: np.ndarray, size: int, counted: bool = True,
                     lists: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The distinct ``docs`` (ascending, each below ``size``), the sum of each one's
    ``values`` added in their order from 0 (as ``np.bincount`` adds), and how many entries each
    had (int64; None unless ``counted``): over every document number when the entries are
    many, by sorting them when they are few (the same sums either way; measured faster
    than inserting the few into the many). ``lists``: how many lists of distinct
    documents the entries were joined from, when known (no document has more entries).
    """
    if len(docs) * 16 >= size:
        # Into this thread's zeroed scratch arrays, zeroed again where written: fresh
        # arrays over every document (bincount's) were allocated and freed by each query,
        # and glibc then faulted their pages in anew each time (about 40 a query at 22k).
        summed, counts = _scratch(size, _count_type(lists))
        # Doc numbers are int32; each add.at would cast them to intp on its own.
        docs = docs.astype(np.intp, copy=False)
        try:
            np.add.at(summed, docs, values)  # in entry order from 0, as bincount adds
            np.add.at(counts, docs, _ones(len(docs), counts.dtype))
            distinct = np.flatnonzero(counts > 0)  # over a bool array: 6x faster than over ints
            # take: faster than [ ]
            found = summed.take(distinct), counts.take(distinct).astype(np.int64) if counted else None
            _zero_again(summed, counts, distinct)
        except BaseException:
            _scratch_arrays.__dict__.clear()  # written who knows where: never used again
            raise
        return distinct, *found
    order = np.argsort(docs, kind="stable")  # stable: a document's values keep their order
    ordered = docs[order]
    starts = np.empty(len(docs), bool)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    slot = np.empty(len(docs), np.intp)
    slot[order] = np.cumsum(starts) - 1
    return ordered[starts], np.bincount(slot, weights=values), np.bincount(slot) if counted else None


def best_sums_per_document(docs: np.ndarray, values: np.ndarray, size: int, keep: np.ndarray | None,
                           probe: np.ndarray, depth: int, factors: np.ndarray | None,
                           lists: int | None = None) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """For the entries of a query of words (``docs``, ``values``: each word's documents
    distinct, many entries): (distinct documents ``keep`` keeps, then of those the
    candidates, ascending, their sums and their counts, as :func:`sum_per_document`
    gives them).

    Candidates are every kept document that can be among the ``depth`` best by
    ``sum * factors[count]`` (by sum when ``factors`` is None): the ``depth``-th best
    final score among ``probe``'s kept documents (one word's documents; those of the
    rarest word that has ``depth`` are few and score high) is one the page's last must
    reach, and with ``values`` at least 0 and ``factors`` at most 1 no document whose
    sum is below it can. When ``probe`` keeps fewer than ``depth``, every kept document
    is a candidate. Ranking only those skipped most of a query's gathers and its top
    pick (rank p50 135 -> 120 us at 22k). ``lists``: as for :func:`sum_per_document`.
    """
    summed, counts = _scratch(size, _count_type(lists))
    docs = docs.astype(np.intp, copy=False)
    try:
        np.add.at(summed, docs, values)  # in entry order from 0, as sum_per_document adds
        np.add.at(counts, docs, _ones(len(docs), counts.dtype))
        matching = None  # only asked for when some documents are kept out, or no bar is set
        if keep is not None:
            matching = counts > 0
            matching &= keep
            total = int(np.count_nonzero(matching))
        else:
            total = int(np.count_nonzero(counts))  # the bytes themselves: no mask made
        kept_probe = probe if keep is None else probe[keep[probe]]
        bar = 0.0
        if 1 <= depth <= len(kept_probe):
            finals = summed.take(kept_probe)
            if factors is not None:
                finals = finals * factors.take(counts.take(kept_probe))
            bar = float(np.partition(finals, len(finals) - depth)[len(finals) - depth])
        if bar > 0.0:
            reaching = summed >= bar  # a sum above 0 has entries: only ``keep`` can leave it out
            if keep is not None:
                reaching &= keep
            candidates = np.flatnonzero(reaching)
        else:
            candidates = np.flatnonzero(matching if matching is not None else counts > 0)
        found = summed.take(candidates), counts.take(candidates).astype(np.int64)
        _zero_again(summed, counts, docs)
    except BaseException:
        _scratch_arrays.__dict__.clear()  # as in sum_per_document
        raise
    return total, candidates, *found


def _zero_again(summed: np.ndarray, counts: np.ndarray, written: np.ndarray) -> None:
    """Zero the scratch arrays again where a sum wrote (``written``: doc numbers, repeats
    allowed): all of both when that is a seventh of them or more, which costs about as
    much as zeroing 3,000 entries one by one (measured at 22k documents) whatever
    their number."""
    if len(written) * 7 >= len(summed):
        summed.fill(0.0)
        counts.fill(0)
    else:
        summed[written] = 0.0
        counts[written] = 0


_scratch_arrays = threading.local()


def _count_type(lists: int | None) -> type[np.integer[Any]]:
    """The narrowest type that counts up to ``lists`` entries a document (any number
    when None). A byte a document where it does: the scratch counts then take an eighth
    of the cache, and comparing them to 0 a third of the time."""
    if lists is not None and lists <= np.iinfo(np.uint8).max:
        return np.uint8
    return np.int64


def _scratch(size: int, count_type: type[np.integer[Any]] = np.int64) -> tuple[np.ndarray, np.ndarray]:
    """This thread's (sums, counts of ``count_type``) over ``size`` documents, all zero
    (callers zero again what they write)."""
    sums = getattr(_scratch_arrays, "sums", None)
    if sums is None or len(sums) < size:
        _scratch_arrays.sums = sums = np.zeros(size)
        _scratch_arrays.counts = {}
    counts = _scratch_arrays.counts.get(count_type)
    if counts is None or len(counts) < len(sums):
        _scratch_arrays.counts[count_type] = counts = np.zeros(len(sums), count_type)
    return sums[:size], counts[:size]


# Per count type, ones to add: np.add.at broadcasts a scalar 1 with no fast loop for
# narrow types (40 times slower for uint8), and an array of the counts' own type has one.
_ones_of: dict[Any, np.ndarray] = {}


def _ones(size: int, count_type: Any) -> np.ndarray:
    """``size`` ones of ``count_type``, read-only (shared by threads)."""
    ones = _ones_of.get(count_type)
    if ones is None or len(ones) < size:
        ones = np.ones(max(size, 2 * len(ones) if ones is not None else 0), count_type)
        ones.flags.writeable = False
        _ones_of[count_type] = ones  # a race only makes two equal arrays
    return ones[:size]


def term_scores_in(commit: CommitColumns, text: str, fields: tuple[str, ...], ranking: Ranking) -> TermScores:
    """The documents of ``commit`` holding ``text`` in any of ``fields`` and the term's
    score in each. Remembered per commit and ranking: terms recur across queries."""
    return terms_scores_in(commit, (text,), fields, ranking)[0]


def terms_scores_in(commit: CommitColumns, texts: Sequence[str], fields: tuple[str, ...],
                    ranking: Ranking) -> list[TermScores]:
    """:func:`term_scores_in` of each of ``texts`` (distinct) over the same ``fields``:
    sliced from the commit's score table when it has one for these settings
    (:mod:`diplosearch.store.score_table`); otherwise those not remembered are scored
    together, which shares most of the numpy calls a term costs (the terms of one
    query are mostly new together)."""
    table = score_table.ready_table(commit, score_settings(fields, ranking))
    if table is not None:
        return [table.term_scores(text) for text in texts]
    found = commit.remembered_scores(texts, fields, ranking)
    missing = [text for text in texts if text not in found]
    if missing:
        scored = dict(zip(missing, _score_terms(commit, missing, fields, ranking)))
        commit.remember_scores(scored, fields, ranking)
        found.update(scored)
    return [found[text] for text in texts]


def _union_serves_whole(commit: CommitColumns, fields: tuple[str, ...]) -> bool:
    """Whether every segment's union postings hold only fields among ``fields``."""
    for view in commit.segments:
        read = view.columns.union_postings().rows_for(fields)
        if read is None or read[1]:
            return False
    return True


def build_score_table(commit: CommitColumns, fields: tuple[str, ...],
                      ranking: Ranking) -> score_table.ScoreTable | None:
    """Every term's scores over ``fields`` with ``ranking`` in one table (None when the
    commit is too large for one, or ``fields`` are not served whole by the union
    postings): per posting the operations :func:`_summed_rows` and :func:`_saturate`
    make for one term, on the same numbers, so the scores are the same to the last bit."""
    if ranking.model == "per_field" or commit.doc_count_all >= 2**31 or not _union_serves_whole(commit, fields):
        return None
    layout = score_table.table_layout(commit)
    if layout is None:
        return None
    global_ids, starts, segment_starts, places = layout
    size = int(starts[-1])
    docs = np.empty(size, np.int32)
    sums = np.empty(size, np.float64)
    for view, where in zip(commit.segments, places):
        union = view.columns.union_postings()
        chosen, _partial = union.rows_for(fields)  # type: ignore[misc]
        for first in range(0, len(union.docs), _TABLE_CHUNK):
            last = min(first + _TABLE_CHUNK, len(union.docs))
            chunk_docs = union.docs[first:last] + np.int32(view.offset)
            _docs, chunk_sums = _summed_rows(commit, chosen, chunk_docs, union.weights[:, first:last], ranking)
            docs[where[first:last]] = chunk_docs
            sums[where[first:last]] = chunk_sums
    # one idf per term, as _bm25f_idf computes it: per distinct document frequency
    frequencies = np.diff(starts)
    distinct, inverse = np.unique(frequencies, return_inverse=True)
    idf_of = np.array([bm25_idf(commit.doc_count_all, int(df)) for df in distinct.tolist()], np.float64)
    _saturate(sums, np.repeat(idf_of[inverse.reshape(-1)], frequencies), ranking.k1)
    return score_table.ScoreTable(commit, score_settings(fields, ranking), global_ids, starts, segment_starts,
                                  docs, sums)


def write_score_table(folder: str | os.PathLike[str], segments: score_table.Segments,
                      snapshot: Callable[[], ContextManager[Any]], *, make: bool, durable: bool = True) -> str | None:
    """After a commit of ``segments`` (:data:`~diplosearch.store.score_table.Segments`):
    keep its score table for the default search (every text field,
    :data:`~diplosearch.ranking.DEFAULT_RANKING`) if it has one, make it when ``make``
    (from the columns of ``snapshot()``, opened only then), and remove the tables of
    other commits; returns the table's path (None when the commit has none).

    A table costs a pass over every posting (~0.2 s at 22,000 articles), so the writer
    makes one only at the end of a call that wrote at least
    :data:`~diplosearch.store.score_table.TABLE_MIN_DOCUMENTS` documents (an import, a
    rebuild): a commit of a few documents would pay more for the table than for itself,
    and the commits inside an import are followed by its last one. A commit that only
    deletes keeps its segments, and so its table."""
    path = score_table.table_path(folder, segments)
    # a table kept from the commit before (a delete) is checked first: a damaged one
    # would otherwise outlive every commit that only deletes
    made = score_table.sound_table_at(path)
    try:
        if not made and make and segments:
            with snapshot() as current:
                commit = current.columns
                table = build_score_table(commit, TEXT_FIELDS, DEFAULT_RANKING)
                if table is not None:
                    made = score_table.write_table(folder, commit, table, durable=durable) == path
    finally:
        # even when this commit's table failed (a full disk): older ones serve no commit now
        score_table.remove_other_tables(folder, path)
    return path if made else None


# postings a step of a table's build works on (bounds its temporary arrays to a few MB)
_TABLE_CHUNK = 1 << 18


def _score_terms(commit: CommitColumns, texts: Sequence[str], fields: tuple[str, ...],
                 ranking: Ranking) -> list[TermScores]:
    """:func:`_score_term` of each of ``texts``: together when they are several, scored
    with BM25F and every segment's union postings serve ``fields``."""
    if len(texts) > 1 and ranking.model != "per_field":
        together = _scored_over_union_together(commit, texts, fields, ranking)
        if together is not None:
            return together
    return [_score_term(commit, text, fields, ranking) for text in texts]


def _scored_over_union_together(commit: CommitColumns, texts: Sequence[str], fields: tuple[str, ...],
                                ranking: Ranking) -> list[TermScores] | None:
    """Several terms' :class:`TermScores` from one pass over their union postings (the
    terms side by side, each over the segments in turn), when every segment's union
    postings have the same columns for ``fields``; None otherwise. Every posting goes
    through the operations :func:`_summed_over_union` and :func:`_saturated` make for
    one term, with the same numbers, so the scores are the same to the last bit. Left-out
    fields (:meth:`~diplosearch.store.union_postings.UnionPostings.columns_among`) drop
    the documents holding a term only there, as for one term."""
    read = None
    unions = []
    for view in commit.segments:
        union = view.columns.union_postings()
        rows = union.rows_for(fields)
        if rows is None or (read is not None and rows != read):
            return None
        read = rows
        unions.append(union)
    if read is None or commit.doc_count_all >= 2**31:
        return None
    chosen, partial = read
    doc_runs, weight_runs, run_offsets, run_lengths, run_places = [], [], [], [], []
    for number, text in enumerate(texts):
        for place, (view, union) in enumerate(zip(commit.segments, unions)):
            term_id = view.columns.vocabulary.id_of(text)
            start, end = union.row(term_id) if term_id is not None else (0, 0)
            if start < end:
                doc_runs.append(union.docs[start:end])
                weight_runs.append(union.weights[:, start:end])
                run_offsets.append(view.offset)
                run_lengths.append(end - start)
                run_places.append((number, place))
    if not doc_runs:
        return [_saturated(commit, text, fields, ranking, _NO_DOCS, np.zeros(0)) for text in texts]
    docs = np.concatenate(doc_runs)
    if any(run_offsets):
        docs += np.repeat(np.array(run_offsets, docs.dtype), run_lengths)
    table = np.concatenate(weight_runs, axis=1)
    held = None
    if partial:
        held = _held(table, chosen)
        run_starts = np.cumsum([0, *run_lengths[:-1]])
        run_lengths = np.add.reduceat(held, run_starts).tolist()  # what each run keeps
    counts = [[0] * len(commit.segments) for _text in texts]
    for (number, place), length in zip(run_places, run_lengths):
        counts[number][place] = length
    term_bounds = [tuple(itertools.accumulate(term_counts, initial=0)) for term_counts in counts]
    docs, sums = _summed_rows(commit, chosen, docs, table, ranking, held)
    if docs.dtype != np.int32:
        docs = docs.astype(np.int32)
    idfs = [_bm25f_idf(commit, fields, text, bounds[-1]) for text, bounds in zip(texts, term_bounds)]
    _saturate(sums, np.repeat(idfs, [bounds[-1] for bounds in term_bounds]), ranking.k1)
    found = []
    start = 0
    for bounds in term_bounds:
        end = start + bounds[-1]
        # copies: a term then holds only its own memory in the cache
        term_docs, term_scores = docs[start:end].copy(), sums[start:end].copy()
        term_docs.flags.writeable = term_scores.flags.writeable = False
        found.append(TermScores(term_docs, term_scores, bounds, commit.offsets))
        start = end
    return found


def _score_term(commit: CommitColumns, text: str, fields: tuple[str, ...], ranking: Ranking) -> TermScores:
    """:func:`term_scores_in`, computed over all segments at once: from the
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
                                           commit.doc_count_all, counted=False, lists=len(field_docs))
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
    groups: list[tuple[tuple[tuple[tuple[str, ...], list[int]], bool], list[np.ndarray], list[np.ndarray]]] = []
    wide = commit.doc_count_all >= 2**31  # past int32's doc numbers
    for view, term_id in ids:
        union = view.columns.union_postings()
        read = union.rows_for(fields)
        if read is None:
            return None
        start, end = union.row(term_id)
        if start < end:
            docs = union.docs[start:end]
            if not groups or groups[-1][0] != read:
                groups.append((read, [], []))
            if view.offset:
                docs = np.add(docs, view.offset, dtype=np.int64) if wide else docs + view.offset
            groups[-1][1].append(docs)
            groups[-1][2].append(union.weights[:, start:end])
    if not groups:
        return _NO_DOCS, np.zeros(0)
    summed = []
    for (chosen, partial), doc_runs, weight_runs in groups:
        table = weight_runs[0] if len(weight_runs) == 1 else np.concatenate(weight_runs, axis=1)
        docs = doc_runs[0] if len(doc_runs) == 1 else np.concatenate(doc_runs)
        summed.append(_summed_rows(commit, chosen, docs, table, ranking, _held(table, chosen) if partial else None))
    if len(summed) == 1:
        return summed[0]
    return np.concatenate([docs for docs, _sums in summed]), np.concatenate([sums for _docs, sums in summed])


def _summed_rows(commit: CommitColumns, chosen: tuple[tuple[str, ...], list[int]], docs: np.ndarray,
                 table: np.ndarray, ranking: Ranking, held: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per document (``docs``, with their union weights ``table``, from segments whose
    union postings have the same columns for the query's fields): the sum over the
    fields of ``weight * tf / norm``. ``held`` (rows of other fields left out,
    :func:`_held`): only the documents where a kept field holds the term."""
    fields, rows = chosen
    if rows != list(range(len(table))):
        table = table[rows]
    weights, norms, every_norm_positive = commit.union_factors(fields, ranking)
    table = np.multiply(table, weights)  # float64: each stored weight converted exactly, then multiplied
    if every_norm_positive:
        # 0 / norm is 0 wherever the field lacks the term, as the masked division leaves it
        np.divide(table, norms.take(docs, axis=1), out=table)
    else:
        # Only where the field holds the term, as field by field: elsewhere it stays 0,
        # whatever the norm (0 for an empty field when b = 1).
        np.divide(table, norms.take(docs, axis=1), out=table, where=table != 0)
    # the fields in turn, as field by field adds them (a new array: a view of the table
    # would keep all of it alive in the term cache)
    sums = table[0] + (table[1] if len(table) > 1 else 0.0)
    for row in table[2:]:
        np.add(sums, row, out=sums)
    if held is not None and not held.all():
        docs, sums = docs[held], sums[held]
    return docs, sums


def _held(table: np.ndarray, chosen: tuple[tuple[str, ...], list[int]]) -> np.ndarray:
    """Where one of the kept rows' fields holds the term: by the stored weights (a field
    weighted 0 still holds it)."""
    return np.any(table[chosen[1]] != 0, axis=0)


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
    docs, sums, _counts = sum_per_document(docs, part, size, counted=False, lists=len(doc_runs))
    return docs, sums


def _saturated(commit: CommitColumns, text: str, fields: tuple[str, ...], ranking: Ranking,
               docs: np.ndarray, sums: np.ndarray) -> TermScores:
    """The term's :class:`TermScores` from each document's summed field parts: BM25F's
    saturation ``idf * t / (t + k1)`` (1.0's per-field model is saturated per field already)."""
    if docs.dtype != np.int32 and commit.doc_count_all < 2**31:
        docs = docs.astype(np.int32)  # as TermScores promises (a dense sum gives int64)
    if ranking.model != "per_field":
        _saturate(sums, _bm25f_idf(commit, fields, text, len(docs)), ranking.k1)
    docs.flags.writeable = sums.flags.writeable = False
    bounds = tuple(docs.searchsorted(commit._segment_edges).tolist())
    return TermScores(docs, sums, bounds, commit.offsets)


def _bm25f_idf(commit: CommitColumns, fields: tuple[str, ...], text: str, df: int) -> float:
    """BM25F's idf of a term held by ``df`` documents (remembered for explanations)."""
    idf = bm25_idf(commit.doc_count_all, df)
    commit._remember_idf(("term", fields, text), idf)
    return idf


# A change to the arithmetic of a term's score (here, _summed_rows, bm25_idf, the norms)
# must bump score_table's _TABLE_FORMAT: tables written before hold the old scores.
def _saturate(sums: np.ndarray, idf: Any, k1: float) -> None:
    """``sums`` (each document's ``t``) becomes ``idf * t / (t + k1)`` in place; ``idf``
    is one number, or one per entry."""
    if k1 > 0:
        denominator = sums + k1
        np.multiply(sums, idf, out=sums)
        np.divide(sums, denominator, out=sums)
    else:
        sums[:] = idf * sums / (sums + k1)


_NO_DOCS = np.zeros(0, np.int32)
_NO_DOCS.flags.writeable = False
