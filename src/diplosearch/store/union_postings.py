"""Each term's postings over all text fields at once, for scoring a term in one pass.

A column file keeps each text field's postings apart (:class:`~.columns.FieldColumns`:
phrases read positions per field, and a query may name one field). Scoring a word
over every field with BM25F then takes a few numpy calls per field and segment, plus
adding each document's field parts together: most of the cost of a word seen for the
first time, whatever its number of postings.

:class:`UnionPostings` holds, per term, the documents holding it in any text field
(ascending) and, for each field, the term's weight in each of those documents (0
where the field does not hold it). A term is then scored with one slice per segment and a
handful of array operations. They are derived from the per-field arrays (and
written beside them in the column file), so the two never disagree.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

#: The arrays of the union postings in a column file (``union.<name>``).
UNION_ARRAYS = ("pointers", "docs", "weights")


class UnionPostings:
    """Per vocabulary id ``t``, the entries ``[pointers[t], pointers[t + 1])`` of ``docs``
    (segment-local doc numbers, ascending) and of each row of ``weights`` (one row per
    text field that holds postings in the segment, in the column file's field order:
    Whoosh's posting weight there, 0 where none). A row per field, not a column, so
    that each field's weights of a term lie side by side: the arithmetic then runs
    over contiguous memory (1.5-4x faster than over rows of a few fields each)."""

    def __init__(self, fields: Sequence[str], pointers: np.ndarray, docs: np.ndarray, weights: np.ndarray) -> None:
        #: The text fields of the columns of ``weights``, in order.
        self.fields = tuple(fields)
        self._column_of = {field: column for column, field in enumerate(self.fields)}
        self._chosen: dict[tuple[str, ...], tuple[tuple[str, ...], list[int]] | None] = {}
        self._among: dict[tuple[str, ...], tuple[tuple[str, ...], list[int]] | None] = {}
        self._row_postings: list[int] | None = None
        self.pointers = pointers
        self.docs = docs
        self.weights = weights
        # Indexing a memoryview gives a Python int far faster than a numpy scalar.
        self._bounds = memoryview(np.ascontiguousarray(pointers, dtype=np.int64))

    def row(self, term_id: int) -> tuple[int, int]:
        """The ``[start, end)`` range of a vocabulary id in ``docs`` and ``weights``."""
        return self._bounds[term_id], self._bounds[term_id + 1]

    def columns_within(self, fields: tuple[str, ...]) -> tuple[tuple[str, ...], list[int]] | None:
        """The fields of ``fields`` that have a row of ``weights`` here and their rows, in
        the order of ``fields``; None unless every row's field is among ``fields`` (a
        search of fewer fields than hold postings here is scored field by field)."""
        chosen = self._chosen.get(fields)
        if chosen is None and fields not in self._chosen:
            if set(self.fields) <= set(fields):
                kept = tuple(field for field in fields if field in self._column_of)
                chosen = (kept, [self._column_of[field] for field in kept])
            self._chosen[fields] = chosen  # a race only stores the same answer twice
        return chosen

    def columns_among(self, fields: tuple[str, ...]) -> tuple[tuple[str, ...], list[int]] | None:
        """:meth:`columns_within`'s answer when some rows' fields are not among
        ``fields`` too, as long as those rows hold fewer postings than the rows kept (a
        search leaving out a small field, such as ``lead``): scoring the union then
        drops the documents that hold the term only outside ``fields``. None when the
        rows left out hold more (a title-only search: field by field reads less) or no
        row is kept."""
        if fields in self._among:
            return self._among[fields]
        chosen = None
        kept = tuple(field for field in fields if field in self._column_of)
        if kept:
            if self._row_postings is None:
                self._row_postings = np.count_nonzero(self.weights, axis=1).tolist()
            rows = [self._column_of[field] for field in kept]
            left_out = sum(count for row, count in enumerate(self._row_postings) if row not in rows)
            if left_out <= sum(self._row_postings[row] for row in rows):
                chosen = (kept, rows)
        self._among[fields] = chosen  # a race only stores the same answer twice
        return chosen

    def rows_for(self, fields: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], list[int]], bool] | None:
        """What a search of ``fields`` reads here: :meth:`columns_within`'s fields and
        rows, else :meth:`columns_among`'s, and whether rows of other fields are left out
        (their documents then dropped); None when field by field reads less."""
        chosen = self.columns_within(fields)
        if chosen is not None:
            return chosen, False
        chosen = self.columns_among(fields)
        return (chosen, True) if chosen is not None else None

    @classmethod
    def of_fields(cls, term_count: int, doc_count: int, fields: Mapping[str, Any]) -> "UnionPostings":
        """The union of ``fields``' postings (each field's columns with ``pointers``,
        ``docs`` and ``weights`` over the same vocabulary of ``term_count`` terms); a
        field without postings gets no row."""
        fields = {name: field for name, field in fields.items() if len(field.docs)}
        keys, weights = [], []
        term_ids = np.arange(term_count, dtype=np.int64)
        for field in fields.values():
            pointers = np.asarray(field.pointers, dtype=np.int64)
            # (term, doc) as one sortable number: term-major, as the rows are laid out
            keys.append(np.repeat(term_ids, np.diff(pointers)) * max(doc_count, 1) + field.docs)
            weights.append(np.asarray(field.weights))
        joined = np.concatenate(keys) if keys else np.zeros(0, np.int64)
        order = np.argsort(joined, kind="stable")
        ordered = joined[order]
        starts = np.ones(len(ordered), bool)
        np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
        row_of = np.empty(len(joined), np.int64)
        row_of[order] = np.cumsum(starts) - 1
        union_keys = ordered[starts]
        table = np.zeros((len(fields), len(union_keys)), np.float32)
        first = 0
        for row, field_weights in enumerate(weights):
            table[row, row_of[first : first + len(field_weights)]] = field_weights
            first += len(field_weights)
        pointers = np.searchsorted(union_keys // max(doc_count, 1), np.arange(term_count + 1)).astype(np.int64)
        docs = (union_keys % max(doc_count, 1)).astype(np.int32)
        return cls(tuple(fields), pointers, docs, compact_weights(table))


def compact_weights(table: np.ndarray) -> np.ndarray:
    """``table`` as uint8 or uint16 when every weight is a whole number that fits (term
    frequencies: the usual case, a fifth or half of the bytes), else float32."""
    if not table.size:
        return table.astype(np.uint8)
    if np.array_equal(table, np.floor(table)) and table.min() >= 0:
        largest = table.max()
        for dtype in (np.uint8, np.uint16):
            if largest <= np.iinfo(dtype).max:
                return table.astype(dtype)
    return table
