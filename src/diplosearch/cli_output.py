"""How the ``diplosearch`` command shows things beyond a page of results: hits as
JSON objects and export rows (JSON, JSON Lines, CSV, TSV), why a search found
nothing, the lines after the hits (words left out, "Did you mean", facet counts),
a stored document (``get``), index statistics, the progress line of a long
``index`` or ``rebuild``, and the library's warnings.

Only :mod:`diplosearch.cli` uses this room; the library itself never prints.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import time
from typing import Any, Iterable, Iterator, Sequence, TextIO

from . import Document, Hit, IndexStats, Progress, Results
from .analysis.normalize import one_line
from .store.lazy_log import LOG

#: The values of ``--format``.
OUTPUT_FORMATS = ("text", "json", "jsonl", "csv", "tsv")
#: The columns of a CSV or TSV export, in order.
EXPORT_COLUMNS = ("rank", "id", "title", "score", "matched_terms", "source", "date", "url", "path", "snippets")
#: Snippets of one hit share one CSV/TSV cell, joined by this.
SNIPPET_JOINER = " … "
#: The export columns holding a document's own text; the others (rank, score,
#: matched_terms, date) are written by the command and must stay numbers and dates.
DOCUMENT_TEXT_COLUMNS = frozenset({"id", "title", "source", "url", "path", "snippets"})
# What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """``value`` with a ``'`` in front when it starts as a formula does (``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return), so that a spreadsheet opening an export
    shows a document's text rather than running it."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def hit_to_json(hit: Hit) -> dict[str, object]:
    """One hit as the ``--json`` and ``--format jsonl`` outputs show it."""
    doc = hit.document
    return {
        "rank": hit.rank,
        "id": hit.id,
        "title": hit.title,
        "score": hit.score,
        "matched_terms": hit.matched_terms,
        "snippets": hit.snippets,
        "source": doc.source,
        "url": doc.url,
        "date": doc.published.isoformat() if doc.published else None,
        "path": doc.path,
    }


def write_json_stream(header: dict[str, object], hits: Iterable[Hit], out: TextIO, explain: bool = False) -> None:
    """``header`` with a ``hits`` list, written hit by hit, so that an export of
    thousands of hits never sits in memory as one string; ``explain`` gives each hit
    an ``explain`` list of lines, as ``--explain`` asks."""
    out.write(json.dumps(header, ensure_ascii=False, indent=2)[:-2] + ',\n  "hits": [')
    for number, hit in enumerate(hits):
        shown = hit_to_json(hit)
        if explain:
            shown["explain"] = hit.explain().lines()
        text = json.dumps(shown, ensure_ascii=False, indent=2).replace("\n", "\n    ")
        out.write(("," if number else "") + "\n    " + text)
    out.write("\n  ]\n}\n")


def write_json_lines(hits: Iterable[Hit], out: TextIO, explain: bool = False) -> None:
    """One JSON object per hit and line (``explain``: with how its score came about)."""
    for hit in hits:
        shown = hit_to_json(hit)
        if explain:
            shown["explain"] = hit.explain().lines()
        out.write(json.dumps(shown, ensure_ascii=False) + "\n")


def write_table(hits: Iterable[Hit], out: TextIO, separator: str) -> None:
    """CSV (``separator=","``, RFC 4180 quoting) or TSV (``"\\t"``: tabs and line
    breaks inside a value become spaces, since TSV has no quoting). A cell of
    :data:`DOCUMENT_TEXT_COLUMNS` that a spreadsheet would read as a formula gets a
    ``'`` in front (:func:`spreadsheet_safe`)."""
    tsv = separator == "\t"
    # csv.writer quotes a cell holding a character of its line terminator: "\r\n" has a
    # cell holding a bare carriage return quoted too (with "\n" it was left bare, and a
    # spreadsheet reading it as a line break started a new row mid-cell); each row
    # still ends with "\n".
    row_text = io.StringIO()
    writer = csv.writer(row_text, lineterminator="\r\n")

    def write_csv_row(values: Sequence[str]) -> None:
        writer.writerow(values)
        out.write(row_text.getvalue()[:-2] + "\n")
        row_text.seek(0)
        row_text.truncate()

    if tsv:
        out.write("\t".join(EXPORT_COLUMNS) + "\n")
    else:
        write_csv_row(EXPORT_COLUMNS)
    for hit in hits:
        row = hit_to_json(hit)
        row["snippets"] = SNIPPET_JOINER.join(hit.snippets)
        values = []
        for name in EXPORT_COLUMNS:
            value = "" if row[name] is None else str(row[name])
            if tsv:
                value = one_line(value).replace("\t", " ")
            values.append(spreadsheet_safe(value) if name in DOCUMENT_TEXT_COLUMNS else value)
        if tsv:
            out.write("\t".join(values) + "\n")
        else:
            write_csv_row(values)


def document_to_json(doc: Document) -> dict[str, object]:
    """Every stored field of ``doc``, as ``get --json`` prints it."""
    return {
        "id": doc.id,
        "title": doc.title,
        "source": doc.source,
        "published": doc.published.isoformat() if doc.published else None,
        "url": doc.url,
        "path": doc.path,
        "category": doc.category,
        "sub_category": doc.sub_category,
        "quotes": [{"text": quote.text, "speaker": quote.speaker} for quote in doc.quotes],
        "captions": list(doc.captions),
        "body": doc.body,
    }


def format_document(doc: Document) -> str:
    """A stored document for reading: labelled fields, then the body as stored."""
    lines = []
    for name, value in document_to_json(doc).items():
        if name in ("quotes", "captions", "body") or value is None:
            continue
        lines.append(f"{name + ':':<14}{one_line(str(value))}")
    if doc.quotes:
        lines.append("quotes:")
        for quote in doc.quotes:
            said = f" ({quote.speaker})" if quote.speaker else ""
            lines.append(f"  - “{one_line(quote.text)}”{said}")
    if doc.captions:
        lines.append("captions:")
        lines.extend(f"  - {one_line(caption)}" for caption in doc.captions)
    lines.append("")
    lines.append(doc.body)
    return "\n".join(lines).rstrip("\n")


class ProgressLine:
    """Rewrites one line of a terminal with how far a write has got:
    ``12,345 documents (11,000 written), 850/s, 10,000 of 22,000, ETA 0:14``.

    At most a few updates a second, so that drawing costs nothing next to indexing.
    """

    def __init__(self, stream: TextIO, every: float = 0.2) -> None:
        self._stream = stream
        self._every = every
        self._last_drawn = float("-inf")
        self._width = 0

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if now - self._last_drawn < self._every and progress.done != progress.total:
            return
        self._last_drawn = now
        self._draw(describe_progress(progress))

    def _draw(self, text: str) -> None:
        padding = " " * max(0, self._width - len(text))
        self._stream.write("\r" + text + padding)
        self._stream.flush()
        self._width = len(text)

    def finish(self) -> None:
        """Clear the line, so that what is printed next starts on a clean one."""
        if self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0


def describe_progress(progress: Progress) -> str:
    """The text of a progress line (rate and ETA once there is something to go on)."""
    parts = [f"{progress.done:,} documents ({progress.written:,} written)"]
    rate = progress.done / progress.elapsed if progress.elapsed > 0 else 0.0
    if rate > 0:
        parts.append(f"{rate:,.0f}/s")
    if progress.total is not None:
        parts.append(f"{progress.done:,} of {progress.total:,}")
        if rate > 0:
            seconds = int(max(0, progress.total - progress.done) / rate)
            parts.append(f"ETA {seconds // 60}:{seconds % 60:02}")
    return ", ".join(parts)


_QUERY_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_OPERATORS = frozenset({"AND", "OR", "NOT"})


def _query_words(query: str) -> list[str]:
    without_fields = re.sub(r"\b\w+:", " ", query)
    return [word for word in _QUERY_WORD.findall(without_fields) if word not in _OPERATORS]


def explain_no_hits(query: str, total: int, offset: int, filtered: bool = False, ignored: Sequence[str] = ()) -> str:
    """Why a page has no hits: past the end, an empty or stop-words-only query
    (``ignored``: its stop words, as the search reports them), no match, or
    (``filtered``: filters were given) no document passing the filters."""
    if total > 0:
        return (
            f"{total:,} document{'s' if total != 1 else ''} match {query!r}, but --offset {offset:,} "
            f"is past the last of them (use an offset below {total:,})."
        )
    if not query.strip():
        # Filters alone list every document they keep: here they kept none.
        return "No documents pass the filters given." if filtered else "The query is empty: give words to search for."
    if ignored and len(ignored) == len(set(_query_words(query))):
        return (
            f"Nothing to search for: every word of {query!r} was ignored ({', '.join(ignored)}): "
            "stop words are too common to be indexed."
        )
    if ignored:
        return (
            f"No documents match {query!r} (ignored: {', '.join(ignored)}; "
            "stop words are too common to be indexed)."
        )
    return f"No documents match {query!r}" + (" within the filters given." if filtered else ".")


def explore_to_json(results: Results) -> dict[str, object]:
    """What ``--json`` shows of a search besides its hits: facets, suggestion, words left out."""
    return {
        "facets": {name: [{"value": label, "count": count} for label, count in counts]
                   for name, counts in results.facets.items()},
        "suggestion": results.suggestion,
        "dropped": list(results.dropped),
    }


def left_out(results: Results) -> str:
    """The words and phrases of a query too long to look up whole, which were left out of it."""
    return "Left out (past the terms and phrases one query looks up): " + ", ".join(results.dropped)


def format_explore(results: Results) -> str:
    """The lines after the hits: the words left out, "Did you mean" and the facet counts."""
    lines = [left_out(results)] if results.dropped else []
    if results.suggestion:
        lines.append(f"Did you mean: {results.suggestion}?")
    for name, counts in results.facets.items():
        lines.append("")
        lines.append(f"{name}:")
        if not counts:
            lines.append("  (none)")
        width = max((len(f"{count:,}") for _label, count in counts), default=0)
        for label, count in counts:
            lines.append(f"  {count:>{width},}  {one_line(label)}")
    return "".join(line + "\n" for line in lines)


def format_stats(stats: IndexStats) -> str:
    """``diplosearch stats`` as text: counts, dates, size, and the ten largest sources."""
    if stats.earliest:
        dates = f"{stats.earliest} to {stats.latest}" + (f" ({stats.undated:,} undated)" if stats.undated else "")
    else:
        dates = f"none ({stats.undated:,} undated)"
    lines = [
        f"index:            {stats.path}",
        f"documents:        {stats.documents:,}",
        f"dates:            {dates}",
        f"size:             {stats.size_mb:.2f} MB in {stats.segments} segment(s)",
        f"analysis version: {stats.analysis_version}",
        f"created:          {stats.created}",
        f"last commit:      {stats.last_commit}",
        "distinct terms:   " + ", ".join(f"{k} {v}" for k, v in stats.terms_per_field.items()),
    ]
    top = list(stats.sources.items())[:10]
    shown = f"top 10 of {len(stats.sources)}" if len(stats.sources) > 10 else str(len(stats.sources))
    lines.append(f"sources ({shown}):" if top else "sources:          none")
    width = max((len(name) for name, _count in top), default=0)
    lines.extend(f"  {one_line(name):<{width}}  {count:>7,}" for name, count in top)
    return "\n".join(lines)


@contextlib.contextmanager
def library_messages_to(err: TextIO) -> Iterator[None]:
    """The library's warnings (a column file rebuilt, a crashed writer's lock taken
    over) as lines of ``err`` in the command line's own form, ``diplosearch: warning:
    ...``, for the block; :mod:`logging` is imported only if one is logged."""
    installed: list[tuple[Any, Any]] = []

    def install(logger: Any) -> None:
        import logging

        class OneLine(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                err.write(f"diplosearch: {record.levelname.lower()}: {record.getMessage()}\n")

        handler = OneLine(logging.WARNING)
        logger.addHandler(handler)
        installed.append((logger, handler))

    withdraw = LOG.when_used(install)
    try:
        yield
    finally:
        withdraw()
        for logger, handler in installed:
            logger.removeHandler(handler)
