"""Facets: how the documents a query matches spread over sources, categories, years
and months, counted with numpy over the commit's columns (every match, not a page)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

import diplosearch.query as q
from .errors import QueryError
from .scoring import match_masks
from .store.commit_columns import CommitColumns
from .schema import DATE_FACETS, FACET_NAMES
from .store.columns import MISSING_DAY

__all__ = ["DATE_FACETS", "FACET_NAMES", "count_facets"]


def count_facets(commit: CommitColumns, root: q.Node, names: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    """For each of ``names`` (a value field, ``"year"`` or ``"month"``), the labels and
    counts of the live documents ``root`` matches; the query is evaluated once.

    Value fields are listed most frequent first (ties by label), years (``2019``) and
    months (``2019-09``) in calendar order. Documents without the value are not counted.
    """
    unknown = [name for name in names if name not in FACET_NAMES]
    if unknown:
        raise QueryError(f"no facet {unknown[0]!r}; facets are {', '.join(FACET_NAMES)}")
    masks = match_masks(commit, root)
    table: dict[str, list[tuple[str, int]]] = {}
    for name in dict.fromkeys(names):
        if name in DATE_FACETS:
            table[name] = _date_facet(commit, masks, name)
            continue
        counts: dict[str, int] = {}
        labels: dict[str, str] = {}
        for view, mask in zip(commit.segments, masks):
            column = view.columns.values[name]
            ids = column.ids[mask]
            per_key = np.bincount(ids[ids >= 0], minlength=len(column.keys))
            for key, label, count in zip(column.keys, column.labels, per_key.tolist()):
                if count:
                    # keys differing only in white space are one value to a filter: one entry
                    key = " ".join(key.split())
                    counts[key] = counts.get(key, 0) + count
                    labels.setdefault(key, label)
        table[name] = sorted(((labels[k], c) for k, c in counts.items()), key=lambda item: (-item[1], item[0]))
    return table


def _date_facet(commit: CommitColumns, masks: list[np.ndarray], unit: str) -> list[tuple[str, int]]:
    days = np.concatenate([view.columns.published_days[mask] for view, mask in zip(commit.segments, masks)]
                          or [np.zeros(0, np.int32)])
    days = days[days != MISSING_DAY]
    if not len(days):
        return []
    periods = (np.datetime64("1970-01-01", "D") + days.astype("timedelta64[D]")).astype(
        "datetime64[Y]" if unit == "year" else "datetime64[M]")
    codes = periods.astype(np.int64)  # years or months since 1970
    low = int(codes.min())
    if int(codes.max()) - low < _COUNTED_PERIODS:
        # counted in one pass over the periods (np.unique would sort them, and import numpy.ma)
        per_period = np.bincount(codes - low)
        present = np.flatnonzero(per_period)
        values = (present + low).astype(periods.dtype)
        return [(str(value), int(count)) for value, count in zip(values, per_period[present].tolist())]
    periods = np.sort(periods)
    first = np.empty(len(periods), bool)
    first[0] = True
    np.not_equal(periods[1:], periods[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, len(periods)))
    return [(str(value), int(count)) for value, count in zip(periods[starts], counts.tolist())]


# Years or months a date facet counts in one array (wider spans, from odd dates, are sorted).
_COUNTED_PERIODS = 1 << 20
