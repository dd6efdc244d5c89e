"""Texts a column file keeps as one UTF-8 blob with start offsets: a segment's sorted
vocabulary (looked up by binary search) and per-document strings (``id``, ``title``).
Opening them costs no Python object per term or document."""

from __future__ import annotations

from typing import Sequence

import numpy as np

_PREFIXES = 1 << 16


def _joined_utf8(texts: Sequence[str], errors: str) -> tuple[bytes, np.ndarray]:
    """``texts`` encoded and joined, with the start offset of each (and the end)."""
    encoded = [text.encode("utf-8", errors) for text in texts]
    offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return b"".join(encoded), offsets


class Vocabulary:
    """The sorted terms of a segment, looked up without decoding them all.

    Terms stay in one UTF-8 blob with start offsets (UTF-8 byte order is code point
    order, so the blob is sorted as the terms are); a lookup is a binary search, and
    the ids of terms already asked for are remembered. Opening a segment thus costs
    no Python object per term.
    """

    _CACHE_LIMIT = 100_000

    def __init__(self, blob: bytes, offsets: np.ndarray) -> None:
        self.blob = blob
        self.offsets = offsets
        # Indexing a memoryview gives a Python int about 20x faster than a numpy scalar.
        self._bounds = memoryview(np.ascontiguousarray(offsets, dtype=np.int64))
        self._ids: dict[str, int | None] = {}

    @classmethod
    def of(cls, sorted_terms: list[str]) -> "Vocabulary":
        return cls(*_joined_utf8(sorted_terms, "strict"))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def term(self, term_id: int) -> str:
        return self.blob[self._bounds[term_id] : self._bounds[term_id + 1]].decode("utf-8")

    def terms(self) -> list[str]:
        """Every term, in id order (decodes them all: for tests and tools)."""
        return [self.term(i) for i in range(len(self))]

    def _prefix_ranges(self) -> memoryview:
        """Per two-byte prefix ``p`` (a term's first two bytes, the second 0 for a term of
        one), the ids ``[ranges[p], ranges[p + 1])`` of the terms that start with it
        (UTF-8 text holds no zero byte, so these keys follow the terms' order)."""
        ranges = self.__dict__.get("_ranges")
        if ranges is None:
            data = np.frombuffer(self.blob, np.uint8)
            starts, lengths = np.asarray(self.offsets[:-1]), np.diff(self.offsets)
            keys = np.zeros(len(starts), np.int64)
            if len(data):
                last = len(data) - 1
                keys += np.where(lengths >= 1, data[np.minimum(starts, last)], 0).astype(np.int64) << 8
                keys += np.where(lengths >= 2, data[np.minimum(starts + 1, last)], 0)
            ranges = memoryview(np.searchsorted(keys, np.arange(_PREFIXES + 1)).astype(np.int64))
            self.__dict__["_ranges"] = ranges  # a race only builds the same ranges twice
        return ranges

    def id_of(self, text: str) -> int | None:
        """The id of ``text``, or None when the segment does not hold it."""
        try:
            return self._ids[text]
        except KeyError:
            pass
        key, blob, offsets = text.encode("utf-8"), self.blob, self._bounds
        # The binary search starts within the terms sharing the first two bytes: about
        # half its steps, each a slice and a comparison in Python.
        prefix = (key[0] << 8 | (key[1] if len(key) > 1 else 0)) if key else 0
        ranges = self._prefix_ranges()
        low, high = ranges[prefix], ranges[prefix + 1]
        while low < high:
            middle = (low + high) // 2
            if blob[offsets[middle] : offsets[middle + 1]] < key:
                low = middle + 1
            else:
                high = middle
        found = low if low < len(self) and blob[offsets[low] : offsets[low + 1]] == key else None
        if len(self._ids) >= self._CACHE_LIMIT:
            self._ids.clear()
        self._ids[text] = found  # a race only stores the same answer twice
        return found


class TextColumn:
    """One string per document (``id``, ``title``), kept as one UTF-8 blob with start
    offsets and decoded one at a time, when asked for."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self.blob = blob
        self.offsets = offsets
        # A memoryview's items are Python ints (fast to slice with) and its slices bytes-like.
        self._bytes = memoryview(blob)
        self._bounds = memoryview(np.ascontiguousarray(offsets, dtype=np.int64))

    @classmethod
    def of(cls, texts: Sequence[str]) -> "TextColumn":
        blob, offsets = _joined_utf8(texts, "surrogatepass")
        return cls(np.frombuffer(blob, dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, docnum: int) -> str:
        bounds = self._bounds
        return str(self._bytes[bounds[docnum] : bounds[docnum + 1]], "utf-8", "surrogatepass")
