"""Close spellings from an index's own vocabulary: fuzzy expansion (``kata~``) and
"Did you mean" suggestions.

A :class:`Neighbourhood` is a SymSpell-style deletion index of one commit's vocabulary:
every term (alphabetic, 3 characters or more) is filed under the strings its first
:data:`PREFIX_CHARS` characters become with up to one deletion (two for terms of 6
characters or more, which a long word two edits away can reach). Two words within
``d`` edits share a string of at most ``d`` deletions each, so a lookup generates the
few dozen deletions of the word, finds the terms filed under them by binary search
over sorted hashes, and checks only those with a real edit distance: it never walks
the vocabulary. The index is built once per commit, on first use, and kept in a
weak table keyed by the commit's :class:`~diplosearch.scoring.CommitColumns`.

Words are compared in their analysed form (the stems the index holds), so
``diplomasih`` meets ``diplomasi``, not an unrelated surface word.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Iterable

import attrs
import numpy as np

from . import query as q

if TYPE_CHECKING:
    from .scoring import CommitColumns

__all__ = ["MAX_EXPANSIONS", "Neighbour", "Neighbourhood", "edit_distance", "expansions", "fuzzy_terms", "neighbourhood_of", "suggest_terms"]

#: Only this many leading characters are filed (SymSpell's prefix trick bounds the deletions).
PREFIX_CHARS = 7
#: Terms this long or longer are filed with two deletions as well as one.
TWO_EDIT_TERM_CHARS = 6
#: At most this many close spellings stand in for one fuzzy word, most frequent first.
MAX_EXPANSIONS = 10
#: Shorter terms are neither filed nor corrected: two letters are a different word, not a typo.
MIN_TERM_CHARS = 3


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
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        row_best = i
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            row_best = min(row_best, value)
        if row_best > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1] if previous[-1] <= limit else limit + 1


def _deletions(word: str, edits: int) -> set[str]:
    """``word`` and every string it becomes with 1..``edits`` deleted characters."""
    found = {word}
    frontier = {word}
    for _ in range(edits):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))} - found
        found |= frontier
    return found


def _fileable(term: str) -> bool:
    return len(term) >= MIN_TERM_CHARS and term.isalpha()


class Neighbourhood:
    """The deletion index of one commit's vocabulary (see the module docstring)."""

    def __init__(self, frequencies: dict[str, int]) -> None:
        """``frequencies``: each vocabulary term and the documents holding it."""
        self.terms = sorted(frequencies)
        self.documents = np.fromiter((frequencies[t] for t in self.terms), np.int64, len(self.terms))
        self._ids = {term: i for i, term in enumerate(self.terms)}
        keys: list[int] = []
        owners: list[int] = []
        for term_id, term in enumerate(self.terms):
            if not _fileable(term):
                continue
            edits = 2 if len(term) >= TWO_EDIT_TERM_CHARS else 1
            for deleted in _deletions(term[:PREFIX_CHARS], edits):
                keys.append(hash(deleted))
                owners.append(term_id)
        hashes = np.fromiter(keys, np.int64, len(keys))
        order = np.argsort(hashes, kind="stable")
        self._hashes = hashes[order]
        self._owners = np.fromiter(owners, np.int32, len(owners))[order]

    @property
    def nbytes(self) -> int:
        """Bytes of the deletion arrays (the term list and its dict come on top)."""
        return int(self._hashes.nbytes + self._owners.nbytes + self.documents.nbytes)

    @property
    def entries(self) -> int:
        """Filed (deletion, term) pairs."""
        return len(self._hashes)

    def documents_of(self, term: str) -> int:
        """Documents holding ``term`` (0 when the vocabulary lacks it)."""
        term_id = self._ids.get(term)
        return 0 if term_id is None else int(self.documents[term_id])

    def neighbours(self, word: str, max_edits: int) -> list[Neighbour]:
        """Vocabulary terms within ``max_edits`` (1 or 2) edits of ``word``, ``word``
        itself excluded, most documents first (then fewer edits, then alphabetical)."""
        if not _fileable(word) or max_edits < 1:
            return []
        max_edits = min(max_edits, 2)
        probes = np.fromiter((hash(d) for d in _deletions(word[:PREFIX_CHARS], max_edits)), np.int64)
        starts = np.searchsorted(self._hashes, probes, side="left")
        ends = np.searchsorted(self._hashes, probes, side="right")
        candidates: set[int] = set()
        for start, end in zip(starts.tolist(), ends.tolist()):
            candidates.update(self._owners[start:end].tolist())
        found = []
        for term_id in candidates:
            term = self.terms[term_id]
            if term == word:
                continue
            distance = edit_distance(word, term, max_edits)
            if distance <= max_edits:
                found.append(Neighbour(term, distance, int(self.documents[term_id])))
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


_built: "weakref.WeakKeyDictionary[CommitColumns, Neighbourhood]" = weakref.WeakKeyDictionary()
_build_lock = threading.Lock()


def neighbourhood_of(commit: "CommitColumns") -> Neighbourhood:
    """The deletion index of ``commit``'s vocabulary, built on first use and kept as long
    as the commit's columns are."""
    found = _built.get(commit)
    if found is None:
        with _build_lock:
            found = _built.get(commit)
            if found is None:
                found = _built[commit] = Neighbourhood(_vocabulary_frequencies(commit))
    return found


def expansions(commit: "CommitColumns", word: str, max_edits: int) -> list[Neighbour]:
    """At most :data:`MAX_EXPANSIONS` close spellings of the analysed ``word`` in the
    commit's vocabulary, most frequent first (``word`` itself not among them)."""
    return neighbourhood_of(commit).neighbours(word, max_edits)[:MAX_EXPANSIONS]


def suggest_terms(commit: "CommitColumns", terms: Iterable[str], *, ratio: int = 10,
                  rare: int = 3) -> dict[str, str]:
    """Corrections of query terms the index barely knows: term -> a close term.

    A term is corrected when it is in no document, or in at most ``rare`` documents
    while a term one edit away (two for long words) is in ``ratio`` times as many.
    """
    # Most queries hold only well-known terms: they are checked against the columns
    # alone, and the deletion index is built only for a query that needs it.
    fields = {field for view in commit.segments for field in view.columns.fields}
    rare_terms = {}
    for term in dict.fromkeys(terms):
        held = max((commit.document_frequency(field, term) for field in fields), default=0)
        if held <= rare and _fileable(term):
            rare_terms[term] = held
    if not rare_terms:
        return {}
    neighbourhood = neighbourhood_of(commit)
    corrected = {}
    for term, held in rare_terms.items():
        edits = 2 if len(term) >= 8 else 1
        # As SymSpell: the closest spelling first, the most frequent among equals.
        best = min(neighbourhood.neighbours(term, edits), key=lambda n: (n.distance, -n.documents), default=None)
        if best is not None and best.documents >= max(held * ratio, 1):
            corrected[term] = best.term
    return corrected


def fuzzy_terms(commit: "CommitColumns", root: "q.Node") -> tuple[str, ...]:
    """Every expansion of every ``Fuzzy`` in ``root`` (for highlighting)."""
    found: dict[str, None] = {}

    def walk(n: q.Node) -> None:
        if isinstance(n, q.Fuzzy):
            found.update(dict.fromkeys(e.term for e in expansions(commit, n.word, n.max_edits)))
        elif isinstance(n, (q.AnyOf, q.AllOf)):
            for child in n.children:
                walk(child)
        elif isinstance(n, q.Exclude):
            walk(n.positive)
        elif isinstance(n, q.AndMaybe):
            walk(n.required)
            walk(n.optional)

    walk(root)
    return tuple(found)
