"""A commit's score table: every term's scores for the default search, laid out term by
term over the whole commit and written beside the commit, so that a word a process meets
for the first time costs a lookup instead of a scoring.

Scoring a word the first time was about 40% of a fresh process's query (the id lookups
in each segment, the gathers of the length norms, the sums over the fields, the
saturation, the copies into the term cache). The scores of a term depend on the
commit's global statistics (document count, average field lengths, document
frequencies), so they cannot live in a segment's column file: after each commit the
writer computes every term's scores for the default settings at once
(:func:`diplosearch.scoring_terms.build_score_table`, bm25s's precomputed scores applied
per commit) and writes them to ``scores_<key>.dscores``, ``<key>`` naming the commit's
segments. A commit that only deletes keeps its segments and statistics, so its table
stays valid. Searches with other settings score term by term as before.

The file is an accelerator, never trusted blindly and never needed: it has the column
files' layout, its arrays are checked against their CRC-32s in a background thread
before a search uses them, and a table that is missing, damaged, or made for other
segments is simply not used (the search scores term by term, with the same result to
the last bit). The writer removes the tables of older commits after each commit. A
commit whose union postings pass :data:`SCORE_TABLE_POSTINGS` gets no table, nor does
a commit of a call that wrote few documents (:data:`TABLE_MIN_DOCUMENTS`).

This module is the table's data and file, not its arithmetic (the scorer above the
store makes the scores).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..errors import ColumnsError
from .column_files import MappedColumnFile, start_checking, write_array_file
from .commit_columns import TermScores

if TYPE_CHECKING:
    from .column_texts import Vocabulary
    from .commit_columns import CommitColumns

#: Union postings (all segments) above which a commit gets no score table: 8M postings
#: are ~100 MB of table (a doc number and a score each), about 70,000 news articles.
SCORE_TABLE_POSTINGS = 8_000_000
#: Documents a write call (``add_many``, ``add_files``, ``rebuild``) must write for its
#: last commit to get a table (:func:`diplosearch.scoring_terms.write_score_table`).
TABLE_MIN_DOCUMENTS = 1_000
#: File name extension of a score table (``scores_<key>.dscores``).
SCORE_TABLE_EXTENSION = ".dscores"
_TABLE_PREFIX = "scores_"
# Bumped when the table's arrays or their meaning change, and whenever the arithmetic of a
# term's score changes (scoring_terms' _summed_rows and _saturate, commit_columns'
# bm25_idf and norms): a table written before would no longer equal term-by-term scores.
_TABLE_FORMAT = 1
# A search of a commit whose table is not there yet looks again after this many seconds
# (the writer writes it just after the commit).
_LOOK_AGAIN_SECONDS = 1.0
# Terms whose TermScores a table keeps before it starts afresh.
_LOOKED_UP_LIMIT = 100_000
# Terms are matched across segments by their first bytes in one numpy pass; the few
# longer terms by their whole bytes, in Python.
_HEAD_BYTES = 24


class ScoreTable:
    """Every term's :class:`~diplosearch.store.commit_columns.TermScores` in one commit,
    for the search settings it was made for (read-only arrays: threads share it)."""

    def __init__(self, commit: "CommitColumns", settings: tuple[Any, ...], global_ids: Sequence[np.ndarray],
                 starts: np.ndarray, segment_starts: np.ndarray, docs: np.ndarray, scores: np.ndarray) -> None:
        """``global_ids[s]``: the commit-wide id of each vocabulary id of segment ``s``;
        ``starts``: where each commit-wide term's entries begin in ``docs`` and
        ``scores`` (and where the last ends); ``segment_starts[s, g]``: how many of term
        ``g``'s entries lie in the segments before ``s`` (a row per segment and one more)."""
        #: (fields, their weights, k1, b, model): what the scores were computed for.
        self.settings = settings
        self.global_ids = list(global_ids)
        self.starts = starts
        self.segment_starts = segment_starts
        self.docs = docs
        self.scores = scores
        for array in (starts, segment_starts, docs, scores, *self.global_ids):
            if array.flags.writeable:
                array.flags.writeable = False
        self._commit_offsets = commit.offsets
        self._vocabularies = [view.columns.vocabulary for view in commit.segments]
        # Indexing a memoryview gives a Python int far faster than a numpy scalar.
        self._global_views = [memoryview(np.ascontiguousarray(ids, np.int64)) for ids in self.global_ids]
        self._start_view = memoryview(np.ascontiguousarray(starts, np.int64))
        # Each term's TermScores once looked up (views into the table: about 200 bytes
        # each); a term met again costs a dict lookup instead of about 2.5 us.
        self._looked_up: dict[str, TermScores] = {}

    @property
    def postings(self) -> int:
        """Entries in the table: one per (term, document holding it in any field)."""
        return len(self.docs)

    def term_scores(self, text: str) -> TermScores:
        """The scores of ``text`` (no documents when no segment holds it)."""
        found = self._looked_up.get(text)
        if found is None:
            found = self._look_up(text)
            if len(self._looked_up) >= _LOOKED_UP_LIMIT:
                self._looked_up.clear()
            self._looked_up[text] = found  # a race only stores an equal answer twice
        return found

    def _look_up(self, text: str) -> TermScores:
        for vocabulary, global_ids in zip(self._vocabularies, self._global_views):
            local = vocabulary.id_of(text)
            if local is not None:
                term = global_ids[local]
                start, end = self._start_view[term], self._start_view[term + 1]
                # the bounds per segment are worked out if asked for (a query of words never does)
                return TermScores(self.docs[start:end], self.scores[start:end], None, self._commit_offsets)
        return TermScores(self.docs[:0], self.scores[:0], (0,) * (len(self._vocabularies) + 1),
                          self._commit_offsets)


#: A commit's segments as its table is named by (``CommitColumns.segment_signature``):
#: (segment id, documents) each, in order.
Segments = Sequence[tuple[str, int]]


def table_key(segments: Segments) -> str:
    """What names a commit's table: its segments (ids and documents, in order), which fix
    every statistic a term's score depends on (deletions change none of them)."""
    named = ",".join(f"{segment_id}:{documents}" for segment_id, documents in segments)
    return hashlib.sha256(f"{_TABLE_FORMAT};{named}".encode()).hexdigest()[:24]


def table_path(folder: str | os.PathLike[str], segments: Segments) -> str:
    """``<folder>/scores_<key>.dscores``."""
    return os.path.join(os.fspath(folder), f"{_TABLE_PREFIX}{table_key(segments)}{SCORE_TABLE_EXTENSION}")


def sound_table_at(path: str) -> bool:
    """Whether ``path`` holds a score table whose arrays all pass their CRC-32 check
    (what a writer keeps across a commit that only deletes); a damaged one is removed."""
    if not os.path.isfile(path):
        return False
    try:
        opened = MappedColumnFile(path)
        if all(opened.verified(name) for name in opened.arrays):
            return True
    except ColumnsError:
        pass
    try:
        os.unlink(path)
    except OSError:
        pass
    return False


def remove_other_tables(folder: str | os.PathLike[str], keep: str) -> None:
    """Delete every score table in ``folder`` but ``keep`` (older commits' tables and
    what a writer killed while writing one left), best effort: a reader that mapped an
    older table keeps it until it lets go (POSIX), and what cannot be removed now is
    removed after a later commit."""
    try:
        entries = [entry for entry in os.scandir(folder)
                   if entry.name.startswith(_TABLE_PREFIX) and SCORE_TABLE_EXTENSION in entry.name]
    except OSError:
        return
    for entry in entries:
        if entry.path != keep:
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def write_table(folder: str | os.PathLike[str], commit: "CommitColumns", table: ScoreTable, *,
                durable: bool = True) -> str:
    """Write ``table`` (made for ``commit``) beside the commit's segments; returns its path."""
    arrays = {"starts": table.starts, "segment_starts": table.segment_starts, "docs": table.docs,
              "scores": table.scores}
    for position, ids in enumerate(table.global_ids):
        arrays[f"global_ids.{position}"] = ids
    segments = commit.segment_signature()
    header = {
        "kind": "score_table",
        "table_format": _TABLE_FORMAT,
        "key": table_key(segments),
        "segments": [list(segment) for segment in segments],
        "settings": list(table.settings),
    }
    path = table_path(folder, segments)
    write_array_file(path, header, arrays, durable=durable)
    return path


def ready_table(commit: "CommitColumns", settings: tuple[Any, ...]) -> ScoreTable | None:
    """The commit's score table if it is on disk, checked, and made for ``settings``;
    else None (a search then scores term by term). Never waits: the second call opens
    the file and checks it in the background."""
    state = commit.score_table_state
    if state is None:
        if commit.folder is None or not commit.segments:
            return None
        with commit.table_state_lock:
            if commit.score_table_state is None:
                commit.score_table_state = _TableFile(table_path(commit.folder, commit.segment_signature()))
        state = commit.score_table_state
    table = state.table if state.table is not None else state.advance(commit)
    return table if table is not None and table.settings == settings else None


def table_in_use(commit: "CommitColumns") -> Any:
    """What :func:`adopt_table` needs of ``commit``'s table: its state once its file is
    checked and in use, else None."""
    state = commit.score_table_state
    return state if state is not None and state.table is not None else None


def adopt_table(commit: "CommitColumns", in_use: Any) -> bool:
    """Give ``commit`` the table ``in_use`` (:func:`table_in_use` of the commit this
    process read before) when both commits have the same segments (the later one only
    deleted) and the file at the table's path is still the one mapped; returns whether
    it did. Deletions change no score (see the module), so the table still holds; and a
    commit that only deletes would otherwise look for, map and check the same file again,
    its searches scoring term by term until then."""
    opened = in_use._opened
    if commit.folder is None or not commit.segments or opened is None:
        return False
    # removed (a writer found it damaged), replaced or rewritten: looked for and checked anew
    if table_path(commit.folder, commit.segment_signature()) != in_use.path or not opened.still_there():
        return False
    with commit.table_state_lock:
        if commit.score_table_state is None:
            commit.score_table_state = in_use
    return commit.score_table_state is in_use


class _TableFile:
    """A commit's table file as searches find it: looked for (again, now and then, until
    the writer has written it), opened, checked in the background, then read."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.table: ScoreTable | None = None
        self._opened: MappedColumnFile | None = None
        self._unusable = False
        self._next_look = 0.0
        self._searches = 0
        self._lock = threading.Lock()

    def advance(self, commit: "CommitColumns") -> ScoreTable | None:
        """One step towards the table, without waiting (None until it is ready)."""
        if self._unusable or not self._lock.acquire(blocking=False):
            return None
        try:
            if self._opened is None:
                # Not in the commit's first search: a process that searches once (the
                # command line) would check a file of tens of MB it never reads.
                self._searches += 1
                if self._searches < 2:
                    return None
                now = time.monotonic()
                if now < self._next_look:
                    return None
                self._next_look = now + _LOOK_AGAIN_SECONDS
                if not os.path.exists(self.path):
                    return None
                opened = MappedColumnFile(self.path)
                if not _made_for(opened.header, commit):
                    self._unusable = True
                    return None
                self._opened = opened
                start_checking(opened)
            checked = [self._opened.checked(name) for name in self._opened.arrays]
            if any(result is False for result in checked):
                self._unusable = True  # damaged: never used (the next commit writes a new one)
                return None
            if any(result is None for result in checked):
                start_checking(self._opened)  # again if its check stopped (a fork's child has no thread)
                return None
            self.table = _table_from_file(commit, self._opened)
            return self.table
        except (ColumnsError, OSError, KeyError, TypeError, ValueError):
            self._unusable = True
            return None
        finally:
            self._lock.release()


def _made_for(header: dict[str, Any], commit: "CommitColumns") -> bool:
    """Whether a table file's header says it was made for ``commit``'s segments (what
    its name says too: a file renamed or copied in is caught here)."""
    return (header.get("kind") == "score_table" and header.get("table_format") == _TABLE_FORMAT
            and header.get("segments") == [list(segment) for segment in commit.segment_signature()])


def _table_from_file(commit: "CommitColumns", opened: MappedColumnFile) -> ScoreTable:
    """The table in ``opened`` (every array already checked), its arrays mapped, not copied."""
    arrays = opened.numpy_arrays()
    fields, weights, k1, b, model = opened.header["settings"]
    settings = (tuple(fields), tuple(weights), k1, b, model)
    global_ids = [arrays[f"global_ids.{position}"] for position in range(len(commit.segments))]
    starts, segment_starts = arrays["starts"], arrays["segment_starts"]
    term_count = len(starts) - 1
    # the shapes the lookups rely on (a checksum proves no damage, not that the writer was sound)
    if (any(len(ids) != len(view.columns.vocabulary) for ids, view in zip(global_ids, commit.segments))
            or segment_starts.shape != (len(commit.segments) + 1, term_count)
            or int(starts[-1]) != len(arrays["docs"]) or len(arrays["docs"]) != len(arrays["scores"])
            or any(len(ids) and (int(ids.min()) < 0 or int(ids.max()) >= term_count) for ids in global_ids)):
        raise ColumnsError(f"{opened.path}: a score table whose arrays do not fit together")
    return ScoreTable(commit, settings, global_ids, arrays["starts"], arrays["segment_starts"], arrays["docs"],
                      arrays["scores"])


def table_layout(commit: "CommitColumns") -> tuple[list[np.ndarray], np.ndarray, np.ndarray, list[np.ndarray]] | None:
    """Where the union postings of every segment of ``commit`` go in a commit-wide,
    term-by-term layout: (commit-wide term id of each segment's vocabulary ids,
    each commit-wide term's first entry and the end, each term's entries in earlier
    segments per segment, each segment's postings' places in the layout). None when the
    commit has no postings or more than :data:`SCORE_TABLE_POSTINGS`.

    Within a term, segments come in order and a segment's documents ascending (as in
    its union postings), so a term's commit-wide doc numbers ascend."""
    unions = [view.columns.union_postings() for view in commit.segments]
    total = sum(len(union.docs) for union in unions)
    if not total or total > SCORE_TABLE_POSTINGS:
        return None
    global_ids, term_count = _global_term_ids([view.columns.vocabulary for view in commit.segments])
    per_segment = np.zeros((len(unions) + 1, term_count), np.int64)
    for position, (union, ids) in enumerate(zip(unions, global_ids)):
        per_segment[position + 1, ids] = np.diff(np.asarray(union.pointers, np.int64))
    document_frequency = per_segment.sum(axis=0)
    segment_starts = np.cumsum(per_segment, axis=0)  # row s: a term's entries before segment s
    starts = np.zeros(term_count + 1, np.int64)
    np.cumsum(document_frequency, out=starts[1:])
    places = []
    for position, (union, ids) in enumerate(zip(unions, global_ids)):
        pointers = np.asarray(union.pointers, np.int64)
        # a posting's place: its term's first place for this segment, plus how far into
        # the term's row it is (its index less the row's first index)
        shift = starts[ids] + segment_starts[position, ids] - pointers[:-1]
        where = np.repeat(shift, np.diff(pointers))
        where += np.arange(len(where), dtype=np.int64)
        places.append(where)
    return global_ids, starts, segment_starts, places


def _global_term_ids(vocabularies: Sequence["Vocabulary"]) -> tuple[list[np.ndarray], int]:
    """A commit-wide id for every term of ``vocabularies`` (one per segment): equal
    terms get one id. Returns each vocabulary's ids (int64, by its own term ids) and
    the number of distinct terms.

    A vocabulary is sorted, so its terms' first bytes (zero-padded: UTF-8 holds no zero
    byte) are too: each later vocabulary's terms are looked up in the ones met before
    by binary search over those heads. Terms longer than the heads share a head with
    the terms that start as they do, so they are matched by their whole bytes."""
    first = vocabularies[0]
    ids = [np.arange(len(first), dtype=np.int64)]
    if len(vocabularies) == 1:
        return ids, len(first)
    term_count = len(first)
    heads, short = _heads(first)
    # the short terms met so far, by head (sorted) and commit-wide id
    known_heads, known_ids = heads[short], ids[0][short]
    whole = dict(_long_terms(first, short, ids[0]))
    for vocabulary in vocabularies[1:]:
        heads, short = _heads(vocabulary)
        own = np.empty(len(heads), np.int64)
        found = np.zeros(len(heads), bool)
        if len(known_heads):
            at = np.minimum(np.searchsorted(known_heads, heads), len(known_heads) - 1)
            found = short & (known_heads[at] == heads)
            own[found] = known_ids[at[found]]
        new = np.flatnonzero(~found & short)
        own[new] = np.arange(term_count, term_count + len(new))
        term_count += len(new)
        for text, local in _long_terms(vocabulary, short, np.arange(len(heads))):
            if text not in whole:
                whole[text] = term_count
                term_count += 1
            own[local] = whole[text]
        ids.append(own)
        if len(new):
            merged = np.concatenate([known_heads, heads[new]])
            order = np.argsort(merged, kind="stable")
            known_heads, known_ids = merged[order], np.concatenate([known_ids, own[new]])[order]
    return ids, term_count


def _heads(vocabulary: "Vocabulary") -> tuple[np.ndarray, np.ndarray]:
    """Each term's first :data:`_HEAD_BYTES` bytes, zero-padded (``S`` array, sorted as the
    terms are), and whether the term is no longer than that."""
    offsets = np.asarray(vocabulary.offsets, np.int64)
    starts, lengths = offsets[:-1], np.diff(offsets)
    data = np.frombuffer(bytes(vocabulary.blob) + bytes(_HEAD_BYTES), np.uint8)
    window = np.lib.stride_tricks.sliding_window_view(data, _HEAD_BYTES)[starts]
    head = np.where(np.arange(_HEAD_BYTES) < lengths[:, None], window, 0).astype(np.uint8)
    return np.ascontiguousarray(head).view(f"S{_HEAD_BYTES}").reshape(-1), lengths <= _HEAD_BYTES


def _long_terms(vocabulary: "Vocabulary", short: np.ndarray, ids: np.ndarray) -> list[tuple[bytes, int]]:
    """(whole bytes, id from ``ids``) of each term longer than the heads."""
    bounds = np.asarray(vocabulary.offsets, np.int64)
    blob = vocabulary.blob
    return [(bytes(blob[bounds[local] : bounds[local + 1]]), int(ids[local]))
            for local in np.flatnonzero(~short).tolist()]
