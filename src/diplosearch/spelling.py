"""Close spellings from an index's own vocabulary: fuzzy expansion (``kata~``) and
"Did you mean" suggestions.

A :class:`Neighbourhood` is a SymSpell-style deletion index of one commit's vocabulary:
every term (alphabetic, 3 characters or more) is filed under the strings its first
:data:`PREFIX_CHARS` characters become with up to two deletions (``kopl~2`` must reach
``kapal``, whose own side of the meeting takes two deletions). Two words within
``d`` edits share a string of at most ``d`` deletions each, so a lookup generates the
few dozen deletions of the word, finds the terms filed under their hashes (bucketed by
the top bits of the hashes, mixed), and checks only those with a real edit distance:
it never walks the vocabulary. The index is built once per commit, on first use, and kept in a
weak table keyed by the commit's :class:`~diplosearch.store.commit_columns.CommitColumns`.

Words are compared in their analysed form (the stems the index holds), so
``diplomasih`` meets ``diplomasi``, not an unrelated surface word.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable, Iterable

import attrs
import numpy as np

import diplosearch.query as q
from .sorted_arrays import distinct_sorted, range_indices

if TYPE_CHECKING:
    from .store.commit_columns import CommitColumns

__all__ = ["MAX_EXPANSIONS", "Neighbour", "Neighbourhood", "edit_distance", "expansions", "fuzzy_terms", "neighbourhood_of", "suggest_terms"]

#: Shorter terms are neither filed nor corrected: two letters are a different word, not a typo.
MIN_TERM_CHARS = 3
#: Only this many leading characters are filed (SymSpell's prefix trick bounds the deletions).
PREFIX_CHARS = 7
#: Terms this long or longer are filed with two deletions as well as one: every filed
#: term, since a word two edits from a short term may meet it only there (filing the
#: 3-5 letter terms so adds about 12% to the deletion index).
TWO_EDIT_TERM_CHARS = MIN_TERM_CHARS
#: At most this many close spellings stand in for one fuzzy word, most frequent first.
MAX_EXPANSIONS = q.MAX_FUZZY_EXPANSIONS


@attrs.frozen
class Neighbour:
    """A vocabulary term close to a word."""

    term: str
    distance: int
    documents: int
    """Documents holding the term (in its most frequent field; deleted ones included)."""


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance of ``a`` and ``b`` (an adjacent swap is one
    edit), or ``limit + 1`` as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if limit <= _SHORT_LIMIT:
        return _short_distance(a, b, limit)
    return _banded_distance(a, b, limit)


# Limits up to this are searched edit by edit (at most 4**limit string comparisons),
# which costs a few slices instead of a table; the fuzzy and suggestion limits are 1 and 2.
_SHORT_LIMIT = 2


def _short_distance(a: str, b: str, limit: int) -> int:
    """:func:`edit_distance` by the recurrence from the front: after the common start,
    the first difference is a substitution, a deletion, an insertion or a swap."""
    if a == b:
        return 0
    if limit <= 0 or abs(len(a) - len(b)) > limit:
        return limit + 1
    start, shorter = 0, min(len(a), len(b))
    while start < shorter and a[start] == b[start]:
        start += 1
    if start == shorter:  # one is the start of the other: the rest is inserted
        return min(abs(len(a) - len(b)), limit + 1)
    a, b = a[start:], b[start:]
    rest = limit - 1
    best = 1 + min(_short_distance(a[1:], b[1:], rest), _short_distance(a[1:], b, rest),
                   _short_distance(a, b[1:], rest))
    if len(a) > 1 and len(b) > 1 and a[0] == b[1] and a[1] == b[0]:
        best = min(best, 1 + _short_distance(a[2:], b[2:], rest))
    return min(best, limit + 1)


def _banded_distance(a: str, b: str, limit: int) -> int:
    """:func:`edit_distance` by the table, only its diagonal band (any limit)."""
    over = limit + 1
    # Only the diagonal band |i - j| <= limit can stay within the limit: cells outside
    # it count as ``over``.
    previous2: list[int] = []
    previous = [j if j <= limit else over for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        current = [over] * (len(b) + 1)
        current[0] = i if i <= limit else over
        row_best = current[0]
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value = min(value, over)
            row_best = min(row_best, value)
        if row_best > limit:
            return over
        previous2, previous = previous, current
    return min(previous[-1], over)


# Deletion keys are hashed in bulk: the prefixes as a (terms, PREFIX_CHARS) array of code
# points (zero-padded, as numpy stores fixed-width text), each deletion a shift left of
# the columns after it, each key a polynomial hash of a row (wrapping uint64 arithmetic).
_POWERS = np.array([pow(1_099_511_628_211, k, 2**64) for k in range(PREFIX_CHARS)], np.uint64)


def _code_points(words: list[str]) -> np.ndarray:
    prefixes = np.array([w[:PREFIX_CHARS] for w in words], dtype=f"<U{PREFIX_CHARS}")
    return prefixes.view(np.uint32).reshape(len(words), PREFIX_CHARS).astype(np.uint64)


def _deletion_keys(codes: np.ndarray, lengths: np.ndarray, two_edits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(key hashes, row of each) of every row with 0, 1 and (where ``two_edits``) 2
    characters of its first ``lengths`` deleted. A repeated letter gives a key twice:
    harmless, the lookup collects terms in a set."""
    width = codes.shape[1]
    rows = np.arange(len(codes))
    # cumulative[s][:, i]: the hash of the characters before i, each moved s places
    # left, so a deletion's key is three slices of them, never a new row of text.
    cumulative = []
    for shift in range(3):
        weighted = np.zeros_like(codes)
        weighted[:, shift:] = codes[:, shift:] * _POWERS[: width - shift]
        total = np.zeros((len(codes), width + 1), np.uint64)
        np.cumsum(weighted, axis=1, out=total[:, 1:])
        cumulative.append(total)
    c0, c1, c2 = cumulative
    keys, owners = [c0[:, width]], [rows]
    for a in range(width):
        valid = lengths > a
        keys.append((c0[:, a] + (c1[:, width] - c1[:, a + 1]))[valid])
        owners.append(rows[valid])
        for b in range(a + 1, width):
            valid2 = two_edits & (lengths > b)
            keys.append((c0[:, a] + (c1[:, b] - c1[:, a + 1]) + (c2[:, width] - c2[:, b + 1]))[valid2])
            owners.append(rows[valid2])
    return np.concatenate(keys), np.concatenate(owners)


_POWER_INTS = [int(power) for power in _POWERS]
_MIX = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / the golden ratio, odd
_WRAP = 2**64 - 1


def _probe_keys(prefix: str, two_edits: bool) -> list[int]:
    """The keys :func:`_deletion_keys` gives one word's ``prefix`` (at most
    :data:`PREFIX_CHARS` characters), in plain Python: for the one word of a lookup,
    a few dozen sums cost less than the array machinery made for the vocabulary."""
    codes = [ord(character) for character in prefix]

    def key(kept: list[int]) -> int:
        return sum(code * power for code, power in zip(kept, _POWER_INTS)) & _WRAP

    keys = [key(codes)]
    for a in range(len(codes)):
        keys.append(key(codes[:a] + codes[a + 1 :]))
        if two_edits:
            keys.extend(key(codes[:a] + codes[a + 1 : b] + codes[b + 1 :]) for b in range(a + 1, len(codes)))
    return keys


def _fileable(term: str) -> bool:
    return len(term) >= MIN_TERM_CHARS and term.isalpha()


class Neighbourhood:
    """The deletion index of one commit's vocabulary (see the module docstring)."""

    def __init__(self, frequencies: dict[str, int]) -> None:
        """``frequencies``: each vocabulary term and the documents holding it."""
        self.terms = sorted(frequencies)
        self.documents = np.fromiter((frequencies[t] for t in self.terms), np.int64, len(self.terms))
        self._ids = {term: i for i, term in enumerate(self.terms)}
        filed = np.array([i for i, term in enumerate(self.terms) if _fileable(term)], np.int64)
        lengths = np.fromiter((len(self.terms[i]) for i in filed), np.int64, len(filed))
        self._lengths = np.fromiter(map(len, self.terms), np.int64, len(self.terms))
        hashes, rows = _deletion_keys(
            _code_points([self.terms[i] for i in filed]), np.minimum(lengths, PREFIX_CHARS),
            lengths >= TWO_EDIT_TERM_CHARS,
        )
        # Filed by bucket, about eight entries to a bucket: a stable sort of 16-bit bucket
        # numbers is a radix sort, several times faster than sorting the hashes.
        bits = int(min(16, max(1, np.ceil(np.log2(max(len(hashes), 1) / 8)))))
        self._shift = np.uint64(64 - bits)
        buckets = self._buckets(hashes).astype(np.uint16)
        order = np.argsort(buckets, kind="stable")
        self._hashes = hashes[order]
        self._owners = filed[rows[order]].astype(np.int32)
        self._bucket_starts = np.zeros((1 << bits) + 1, np.int64)
        np.cumsum(np.bincount(buckets, minlength=1 << bits), out=self._bucket_starts[1:])

    def _buckets(self, hashes: np.ndarray) -> np.ndarray:
        # The hashes' own top bits are far from even (a short key's hash is small), so
        # they are mixed first (Fibonacci hashing: a product's top bits, wrapping).
        return (hashes * _MIX) >> self._shift

    @property
    def nbytes(self) -> int:
        """Bytes of the deletion arrays (the term list and its dict come on top)."""
        return int(self._hashes.nbytes + self._owners.nbytes + self.documents.nbytes + self._lengths.nbytes
                   + self._bucket_starts.nbytes)

    @property
    def entries(self) -> int:
        """Filed (deletion, term) pairs."""
        return len(self._hashes)

    def documents_of(self, term: str) -> int:
        """Documents holding ``term`` (0 when the vocabulary lacks it)."""
        term_id = self._ids.get(term)
        return 0 if term_id is None else int(self.documents[term_id])

    def neighbours(self, word: str, max_edits: int, limit: int | None = None) -> list[Neighbour]:
        """Vocabulary terms within ``max_edits`` (1 or 2) edits of ``word``, ``word``
        itself excluded, most documents first (then fewer edits, then alphabetical);
        with ``limit``, only the ``limit`` most frequent are checked and returned."""
        if not _fileable(word) or max_edits < 1:
            return []
        max_edits = min(max_edits, 2)
        length = min(len(word), PREFIX_CHARS)
        probes = np.array(_probe_keys(word[:length], max_edits >= 2), np.uint64)
        buckets = self._buckets(probes).astype(np.int64)
        firsts = self._bucket_starts[buckets]
        counts = self._bucket_starts[buckets + 1] - firsts
        # every entry of the probed buckets at once, each compared with its probe
        places = range_indices(firsts, counts)
        # distinct by sorting (np.unique hashes: several times slower on a few hundred)
        candidates = distinct_sorted(np.sort(self._owners[places[self._hashes[places] == np.repeat(probes, counts)]]))
        candidates = candidates[np.abs(self._lengths[candidates] - len(word)) <= max_edits]
        # Most frequent first, so a bounded expansion stops after the first ``limit`` found.
        candidates = candidates[np.lexsort((candidates, -self.documents[candidates]))]
        found = []
        for term_id in candidates.tolist():
            term = self.terms[term_id]
            if term == word:
                continue
            distance = edit_distance(word, term, max_edits)
            if distance <= max_edits:
                found.append(Neighbour(term, distance, int(self.documents[term_id])))
                if limit is not None and len(found) >= limit:
                    break
        found.sort(key=lambda n: (-n.documents, n.distance, n.term))
        return found


def _vocabulary_frequencies(commit: "CommitColumns") -> dict[str, int]:
    frequencies: dict[str, int] = {}
    for view in commit.segments:
        vocabulary = view.columns.vocabulary
        if not len(vocabulary):
            continue
        # A term's documents: its postings in the field where it has the most (a cheap
        # lower bound of the documents holding it in any field).
        per_field = [np.diff(fc.pointers) for fc in view.columns.fields.values()]
        counts = np.maximum.reduce(per_field).tolist() if per_field else [0] * len(vocabulary)
        for term, count in zip(vocabulary.terms(), counts):
            frequencies[term] = frequencies.get(term, 0) + count
    return frequencies


_build_lock = threading.Lock()


def neighbourhood_of(commit: "CommitColumns") -> Neighbourhood:
    """The deletion index of ``commit``'s vocabulary, built on first use and kept with the
    commit's columns (and taken over by a later commit with the same segments: its
    terms and their postings counts are the same)."""
    derived = commit.segment_derived
    found = derived.get("neighbourhood")
    if found is None:
        with _build_lock:
            found = derived.get("neighbourhood")
            if found is None:
                found = derived["neighbourhood"] = Neighbourhood(_vocabulary_frequencies(commit))
    return found  # type: ignore[no-any-return]


# Answers already given for a commit's segments (which never change, and query words
# recur): the expansions of each (word, edits, limit) and the correction of each (term,
# ratio, rare), each kept in ``CommitColumns.segment_derived`` as the deletion index is
# (a commit that only deleted shares them: both read the vocabulary and its postings
# counts, deleted documents included). Each dict is emptied past _MEMO_LIMIT entries.
_MEMO_LIMIT = 50_000
_UNKNOWN = object()


def _remembered(commit: "CommitColumns", memo: str, key: object, compute: Callable[[], object]) -> object:
    """``compute()``, remembered for ``commit``'s segments under ``memo`` and ``key``."""
    known = commit.segment_derived.get(memo)
    if known is None:
        known = commit.segment_derived.setdefault(memo, {})
    found = known.get(key, _UNKNOWN)
    if found is _UNKNOWN:
        found = compute()
        if len(known) >= _MEMO_LIMIT:
            known.clear()
        known[key] = found  # a race only stores the same answer twice
    return found


def expansions(commit: "CommitColumns", word: str, max_edits: int,
               limit: int = MAX_EXPANSIONS) -> tuple[Neighbour, ...]:
    """At most ``limit`` close spellings of the analysed ``word`` in the commit's
    vocabulary, most frequent first (``word`` itself not among them)."""
    if limit < 1:
        return ()
    return _remembered(commit, "expansions", (word, max_edits, limit),  # type: ignore[return-value]
                       lambda: tuple(neighbourhood_of(commit).neighbours(word, max_edits, limit=limit)))


def suggest_terms(commit: "CommitColumns", terms: Iterable[str], *, ratio: int = 10,
                  rare: int = 3) -> dict[str, str]:
    """Corrections of query terms the index barely knows: term -> a close term.

    A term is corrected when it is in no document, or in at most ``rare`` documents
    while a term one edit away (two for long words) is in ``ratio`` times as many.
    """
    corrected = {}
    for term in dict.fromkeys(terms):
        correction = _remembered(commit, "corrections", (term, ratio, rare),
                                 lambda: _correction(commit, term, ratio, rare))
        if correction is not None:
            corrected[term] = correction  # type: ignore[assignment]
    return corrected


def _correction(commit: "CommitColumns", term: str, ratio: int, rare: int) -> str | None:
    # Most query terms are well known: they are checked against the columns alone, and
    # the deletion index is built only for a query that needs it.
    if not _fileable(term):
        return None
    held = max((commit.document_frequency(field, term) for field in commit.field_names), default=0)
    if held > rare:
        return None
    edits = 2 if len(term) >= 8 else 1
    # As SymSpell: the closest spelling first, the most frequent among equals.
    best = min(expansions(commit, term, edits), key=lambda n: (n.distance, -n.documents), default=None)
    return best.term if best is not None and best.documents >= max(held * ratio, 1) else None


def fuzzy_terms(commit: "CommitColumns", root: "q.Node") -> tuple[str, ...]:
    """Every expansion of every ``Fuzzy`` in ``root`` (for highlighting)."""
    found: dict[str, None] = {}
    for leaf in q.positive_leaves(root):
        if isinstance(leaf, q.Fuzzy):
            found.update(dict.fromkeys(e.term for e in expansions(commit, leaf.word, leaf.max_edits,
                                                                  leaf.max_expansions)))
    return tuple(found)
