"""What the store's calls report back: :class:`WriteReport`, :class:`DeleteReport`,
:class:`Progress` (handed to a write's ``progress`` callback) and :class:`IndexStats`.
"""

from __future__ import annotations

import time
from typing import Callable

import attrs

from ..documents import InputProblem


@attrs.frozen
class WriteReport:
    """What one write did (:meth:`Index.add_many`, :meth:`Index.add_files`).

    ``added``, ``replaced`` and ``unchanged`` (already stored identically, so not
    written) are document ids in the order written. ``problems`` are
    :class:`InputProblem` items: inputs skipped (``skipped``) and notes on inputs
    indexed all the same (``notes``: a repeated id, a text indexed only in part, a
    date that could not be read).
    """

    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    problems: tuple[InputProblem, ...] = ()

    @property
    def written(self) -> int:
        """Documents that were added or replaced."""
        return len(self.added) + len(self.replaced)

    @property
    def skipped(self) -> tuple[InputProblem, ...]:
        """The problems whose input was not indexed (or only partly: a cut-off file)."""
        return tuple(problem for problem in self.problems if problem.skipped)

    @property
    def notes(self) -> tuple[InputProblem, ...]:
        """The problems whose input was indexed all the same (a repeated id, a long text)."""
        return tuple(problem for problem in self.problems if not problem.skipped)


@attrs.frozen
class DeleteReport:
    """What :meth:`Index.delete_ids` did: the ids deleted and those not in the index,
    each in the order given (a repeated id counted once)."""

    deleted: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


@attrs.frozen
class Progress:
    """How far a write has got, as handed to a ``progress`` callback: ``done``
    documents handled, ``written`` of them added or replaced, ``total`` when known
    (else None), ``elapsed`` seconds."""

    done: int
    """Documents read and handled so far (added, replaced or unchanged)."""
    written: int
    """Of those, documents added or replaced (committed or about to be)."""
    total: int | None
    """How many documents the write has in all, when known (a list, a rebuild); else None."""
    elapsed: float
    """Seconds since the write started."""


#: A callable given a :class:`Progress` after each document a write handles.
ProgressCallback = Callable[[Progress], object]


@attrs.frozen
class IndexStats:
    """A summary of an index (:meth:`Index.stats`), as ``diplosearch stats`` prints it.

    ``path`` of the index, ``documents``, ``size_bytes`` of its files (``size_mb``),
    ``segments``, the ``analysis_version`` it was built with, ``created`` and
    ``last_commit`` (ISO times, None when not recorded), ``terms_per_field`` (distinct
    terms per text field), ``sources`` (documents per source, most first),
    ``earliest`` and ``latest`` ``published`` dates (``YYYY-MM-DD``, None when no
    document has one) and ``undated`` documents.
    """

    path: str
    documents: int
    size_bytes: int
    segments: int
    analysis_version: str
    created: str | None
    last_commit: str | None
    terms_per_field: dict[str, int]
    sources: dict[str, int] = attrs.field(factory=dict)
    """Documents per source, most first (ties by name); documents without one are left out."""
    earliest: str | None = None
    """The earliest ``published`` date (ISO, ``YYYY-MM-DD``) of a document; None if none has one."""
    latest: str | None = None
    """The latest ``published`` date, as ``earliest``."""
    undated: int = 0
    """Documents without a ``published`` date."""

    @property
    def size_mb(self) -> float:
        """``size_bytes`` in megabytes (10^6 bytes)."""
        return self.size_bytes / 1_000_000


@attrs.frozen
class WrittenDocument:
    """A document written in the current commit: its fingerprint, and the token to
    retract it with (None when the committed document was already identical)."""

    fingerprint: str
    token: int | None


class ReportBuilder:
    """Collects a write's outcomes for its :class:`WriteReport` and tells ``progress``."""

    def __init__(
        self, progress: ProgressCallback | None = None, total: int | None = None, report_repeats: bool = True
    ) -> None:
        #: Whether a repeated id is reported here (False when the reader of the input reports it).
        self.report_repeats = report_repeats
        self.added: list[str] = []
        self.replaced: list[str] = []
        self.unchanged: list[str] = []
        self.problems: list[InputProblem] = []
        self._progress = progress
        self._total = total
        self._started = time.monotonic()

    def move(self, doc_id: str, from_outcome: str, to_outcome: str) -> None:
        """Report ``doc_id`` under ``to_outcome`` instead ("unchanged" -> "replaced")."""
        getattr(self, from_outcome).remove(doc_id)
        getattr(self, to_outcome).append(doc_id)

    def tell_progress(self, outcome: str) -> None:
        if self._progress is not None:
            written = len(self.added) + len(self.replaced)
            done = written + len(self.unchanged)
            self._progress(Progress(done, written, self._total, time.monotonic() - self._started))

    def build(self) -> WriteReport:
        return WriteReport(tuple(self.added), tuple(self.replaced), tuple(self.unchanged), tuple(self.problems))
