"""What a write reports: :class:`WriteReport` (ids added, replaced, unchanged, and
the problems met), and the builders :class:`~diplosearch.store.index.Index` fills
while it writes one batch."""

from __future__ import annotations

import attrs

from ..documents import InputProblem


@attrs.frozen
class WriteReport:
    """What one write did: ids added, replaced, left unchanged, and inputs skipped."""

    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    problems: tuple[InputProblem, ...] = ()

    @property
    def written(self) -> int:
        """Documents that were added or replaced."""
        return len(self.added) + len(self.replaced)


@attrs.frozen
class WrittenDocument:
    """A document written in the current commit: its fingerprint, and the token to
    retract it with (None when the committed document was already identical)."""

    fingerprint: str
    token: int | None


class ReportBuilder:
    """The :class:`WriteReport` of a batch being written, filled as it goes."""

    def __init__(self, report_repeats: bool = True) -> None:
        #: Whether a repeated id is reported here (False when the reader reports it).
        self.report_repeats = report_repeats
        self.added: list[str] = []
        self.replaced: list[str] = []
        self.unchanged: list[str] = []
        self.problems: list[InputProblem] = []

    def move(self, doc_id: str, from_outcome: str, to_outcome: str) -> None:
        """Report ``doc_id`` under ``to_outcome`` instead ("unchanged" -> "replaced")."""
        getattr(self, from_outcome).remove(doc_id)
        getattr(self, to_outcome).append(doc_id)

    def build(self) -> WriteReport:
        """The finished report."""
        return WriteReport(tuple(self.added), tuple(self.replaced), tuple(self.unchanged), tuple(self.problems))
