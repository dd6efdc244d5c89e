"""Small numpy steps over ascending arrays, shared by the scorer and the spelling index:
the distinct values of one, the values two share, and the indices of many ranges."""

from __future__ import annotations

import numpy as np

__all__ = ["common_values", "distinct_sorted", "range_indices"]


def distinct_sorted(ascending: np.ndarray) -> np.ndarray:
    """The distinct values of an ascending array (``np.unique`` of sorted input)."""
    if len(ascending) < 2:
        return ascending
    keep = np.empty(len(ascending), bool)
    keep[0] = True
    np.not_equal(ascending[1:], ascending[:-1], out=keep[1:])
    return ascending[keep]


def common_values(few: np.ndarray, many: np.ndarray) -> np.ndarray:
    """The values two ascending arrays of distinct values share, ascending."""
    if not len(few) or not len(many):
        return few[:0]
    if len(few) > len(many):
        few, many = many, few
    if 8 * len(few) < len(many):
        # few against many: a binary search each
        places = np.minimum(np.searchsorted(many, few), len(many) - 1)
        return few[many[places] == few]
    # Alike in size: one merge. A stable sort of two ascending runs is a single merge
    # (timsort finds the runs), about five times faster than a binary search each.
    both = np.concatenate((few, many))
    both.sort(kind="stable")
    return both[:-1][both[1:] == both[:-1]]


def range_indices(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """All indices of the ranges ``[starts[i], starts[i] + counts[i])``, in order."""
    offsets = np.zeros(len(counts), np.int64)
    np.cumsum(counts[:-1], out=offsets[1:])
    return np.arange(int(offsets[-1] + counts[-1]) if len(counts) else 0, dtype=np.int64) - np.repeat(
        offsets - starts, counts)
