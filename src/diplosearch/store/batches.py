"""One commit's worth of a batch of documents: each checked, compared with the stored
document of its id (an unchanged one is not written again), a repeated id's earlier
record retracted, and the rest handed to the writer or its helper processes.

:meth:`~diplosearch.store.index_store.IndexStore.add_many` runs rounds of this under
the write lock until the batch is written, one commit per round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from ..documents import Document, InputProblem, shown_value, validate_document
from ..errors import DocumentError
from ..schema import MAX_INDEXED_CHARS, cap_indexed_text, document_fingerprint, stored_fields
from .integrity import reported_as_damage

if TYPE_CHECKING:
    from .reports import ReportBuilder


def write_round(index: Any, writing: Any, pending: Iterator[Document | InputProblem], report: "ReportBuilder", *,
                skip_invalid: bool, commit_every: int | None, helpers: Any, require_existing: bool) -> bool:
    """Write one commit's worth of ``pending`` to ``index`` through ``writing`` (its
    :class:`~diplosearch.store.locking.WriteSession`); True when ``pending`` is exhausted.

    A repeated id within the commit is reported, and its last record wins: the
    earlier one, already handed to the writer, is retracted from the new segment.
    """
    from .reports import WrittenDocument

    written_here: dict[str, WrittenDocument] = {}
    noted_repeats: set[str] = set()
    exhausted = True
    writing.on_abort = helpers.kill
    with writing as writer:
        # Not writer.searcher(): reading stored fields through it makes Whoosh
        # drop the writer's later deletions. Under the write lock this
        # separate searcher sees exactly the commit the writer started from.
        with reported_as_damage(index.path, "write"):
            searcher = index._whoosh.searcher()
        try:
            written = 0
            for item in pending:
                if isinstance(item, InputProblem):
                    report.problems.append(item)
                    if item.doc_id is not None and not item.skipped:
                        noted_repeats.add(item.doc_id)  # the reader said so already
                    continue
                where = getattr(item, "path", None) or str(getattr(item, "id", "?"))
                try:
                    validate_document(item)
                except DocumentError as exc:
                    if not skip_invalid:
                        raise
                    report.problems.append(InputProblem(where, None, str(exc)))
                    continue
                fingerprint = document_fingerprint(item)
                earlier = written_here.get(item.id)
                if earlier is not None:
                    if report.report_repeats and item.id not in noted_repeats:
                        report.problems.append(InputProblem(
                            where, None, f"id {shown_value(item.id)} repeated in the batch: the last record with it is kept",
                            skipped=False, doc_id=item.id,
                        ))
                    if earlier.fingerprint == fingerprint:
                        continue
                    if earlier.token is not None:
                        helpers.retract(writer, earlier.token)
                    else:  # the earlier record matched the committed document
                        writer.delete_by_term("id", item.id)
                        report.move(item.id, "unchanged", "replaced")
                    fields = _fields_to_index(item, fingerprint, where, report)
                    written_here[item.id] = WrittenDocument(fingerprint, helpers.add_document(writer, fields))
                    written += 1
                    continue
                with reported_as_damage(index.path, "write"):
                    existing = searcher.document(id=item.id)
                if existing is None and require_existing:
                    raise DocumentError(f"no document with id {shown_value(item.id)} in {index.path}")
                token = None
                if existing is not None and existing.get("fingerprint") == fingerprint:
                    outcome = "unchanged"
                else:
                    if existing is not None:
                        writer.delete_by_term("id", item.id)
                    fields = _fields_to_index(item, fingerprint, where, report)
                    token = helpers.add_document(writer, fields)
                    outcome = "replaced" if existing is not None else "added"
                    written += 1
                written_here[item.id] = WrittenDocument(fingerprint, token)
                getattr(report, outcome).append(item.id)
                report.tell_progress(outcome)
                if commit_every is not None and written >= commit_every:
                    exhausted = False
                    break
        finally:
            searcher.close()
        writing.extra_segments = helpers.finish_round()
        # Nothing new: no commit, so readers keep their searchers.
        writing.discard = written == 0 and writing.extra_segments is None
        writing.written_in_call = len(report.added) + len(report.replaced)
        writing.call_finished = exhausted
    return exhausted

def _fields_to_index(item: Document, fingerprint: str, where: str, report: "ReportBuilder") -> dict[str, object]:
    fields = stored_fields(item, fingerprint)
    for name, length in cap_indexed_text(fields):
        report.problems.append(InputProblem(
            where, None, f"{name} has {length:,} characters: only the first "
            f"{MAX_INDEXED_CHARS:,} are indexed (all are stored)", skipped=False, doc_id=item.id,
        ))
    return fields
