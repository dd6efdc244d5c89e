"""Snippets: the passages of a stored document that best show why it matched.

The stored text is re-analysed with the index's analyzer, so every surface form
whose stem matched is highlighted (a search for ``berkembang`` marks
``perkembangan``). A snippet is always a substring of one stored field with only
the markers added, and it starts and ends on word boundaries.

Two formats: ``"text"`` puts the caller's markers around matches and leaves the
text as stored (markers are not escaped: do not put such snippets into HTML);
``"html"`` escapes the text (``<``, ``>``, ``&``, quotes) and wraps matches in
``<mark>``...``</mark>``, so a snippet can go into a web page as it is.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Callable, Iterable, Literal, Sequence

from .analysis.analyzer import AnalyzedToken, token_pattern_for
from .errors import InvalidArgumentError
from .schema import MAX_INDEXED_CHARS

if TYPE_CHECKING:
    from .analysis.analyzer import IndonesianAnalyzer
    from .documents import Document

DEFAULT_MARKERS = ("[[", "]]")
HTML_MARKERS = ("<mark>", "</mark>")
#: The values of ``snippet_format``.
SNIPPET_FORMATS: tuple[str, ...] = ("text", "html")
SnippetFormat = Literal["text", "html"]

# Fields a snippet may come from, best first: body prose reads best, the title
# is already shown next to every hit.
_SNIPPET_SOURCES = ("body", "quotes", "captions", "title")


def _field_texts(document: "Document") -> dict[str, str]:
    # Only the indexed part of a field can hold a match, so only it is looked at: a
    # snippet then costs at most MAX_INDEXED_CHARS of scanning, however long the
    # stored text (a 49 MB record made every query that hit it take 40 s).
    texts = {
        "body": document.body,
        "quotes": "\n".join(q.text for q in document.quotes),
        "captions": "\n".join(document.captions),
        "title": document.title,
    }
    return {name: text[:MAX_INDEXED_CHARS] for name, text in texts.items()}


def _best_windows(
    matches: Sequence[AnalyzedToken], max_chars: int, count: int
) -> list[tuple[int, int]]:
    """Greedy choice of up to ``count`` non-overlapping match windows, most distinct terms first."""
    candidates = []
    for first in range(len(matches)):
        end = first
        while end + 1 < len(matches) and matches[end + 1].end - matches[first].start <= max_chars:
            end += 1
        window = matches[first : end + 1]
        distinct = len({t.term for t in window})
        candidates.append((distinct, len(window), -matches[first].start, first, end))
    candidates.sort(reverse=True)
    chosen: list[tuple[int, int]] = []
    for *_ignored, first, end in candidates:
        start_char, end_char = matches[first].start, matches[end].end
        if all(end_char <= s or start_char >= e for s, e in chosen):
            chosen.append((start_char, end_char))
        if len(chosen) == count:
            break
    return sorted(chosen)


def _word_spans(text: str) -> list[tuple[int, int]]:
    """Where each word of ``text`` starts and ends (stop words included)."""
    return [m.span() for m in token_pattern_for(text).finditer(text)]


def _expand(text: str, words: Sequence[tuple[int, int]], start: int, end: int, max_chars: int) -> tuple[int, int]:
    """Widen [start, end) with context to about ``max_chars``, cutting only between ``words``."""
    room = max(0, max_chars - (end - start))
    before, after = room // 3, room - room // 3
    new_start = start
    for w_start, _w_end in words:
        if w_start >= start - before:
            new_start = min(w_start, start)
            break
    if start - before <= 0:
        new_start = 0
    new_end = end
    for _w_start, w_end in reversed(words):
        if w_end <= end + after:
            new_end = max(w_end, end)
            break
    if end + after >= len(text):
        new_end = len(text)
    # A snippet that would begin mid-sentence after a line break starts on the new line.
    line_start = text.rfind("\n", new_start, start)
    if line_start != -1:
        new_start = line_start + 1
    line_end = text.find("\n", end, new_end)
    if line_end != -1:
        new_end = line_end
    return new_start, new_end


def _unchanged(text: str) -> str:
    return text


def _escape_html(text: str) -> str:
    return html.escape(text, quote=True)


def _mark(
    text: str,
    start: int,
    end: int,
    spans: Iterable[tuple[int, int]],
    markers: tuple[str, str],
    escape: Callable[[str], str] = _unchanged,
) -> str:
    opening, closing = markers
    # Stripped before escaping, so that the escaped form keeps the same ends.
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    pieces = []
    cursor = start
    for s, e in spans:
        if s < cursor or e > end:
            continue
        pieces.append(escape(text[cursor:s]))
        pieces.append(opening + escape(text[s:e]) + closing)
        cursor = e
    pieces.append(escape(text[cursor:end]))
    return "".join(pieces)


def make_snippets(
    document: "Document",
    terms: set[str],
    analyzer: "IndonesianAnalyzer",
    count: int = 2,
    max_chars: int = 200,
    markers: tuple[str, str] = DEFAULT_MARKERS,
    snippet_format: SnippetFormat = "text",
) -> list[str]:
    """Up to ``count`` highlighted passages of ``document`` for the query ``terms``.

    Passages come from the first field (body, quotes, captions, title) that contains
    a match; a document with no match in any of them gets its lead as one passage.
    ``snippet_format="html"`` escapes the passages and marks matches with
    ``<mark>`` (``markers`` is then not used); see the module docstring.
    """
    if snippet_format not in SNIPPET_FORMATS:
        raise InvalidArgumentError(
            f"snippet_format must be one of {', '.join(SNIPPET_FORMATS)}, not {snippet_format!r}"
        )
    escape = _escape_html if snippet_format == "html" else _unchanged
    if snippet_format == "html":
        markers = HTML_MARKERS
    texts = _field_texts(document)
    for name in _SNIPPET_SOURCES:
        text = texts[name]
        if not text:
            continue
        matches = analyzer.matching_tokens(text, terms)
        if not matches:
            continue
        snippets = []
        words = _word_spans(text)  # once per field, shared by its snippets
        for start, end in _best_windows(matches, max_chars, count):
            lo, hi = _expand(text, words, start, end, max_chars)
            spans = [(t.start, t.end) for t in matches if lo <= t.start and t.end <= hi]
            snippets.append(_mark(text, lo, hi, _dedupe(spans), markers, escape))
        return [s for s in snippets if s]
    lead = texts["body"] or texts["title"]
    if not lead:
        return []
    _lo, hi = _expand(lead, _word_spans(lead), 0, 0, max_chars)
    passage = _mark(lead, 0, hi, [], markers, escape)
    return [passage] if passage else []


def _dedupe(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    # One raw token can yield several terms (sosial-ekonomi); mark its span once.
    seen: list[tuple[int, int]] = []
    for span in spans:
        if not seen or span[0] >= seen[-1][1]:
            seen.append(span)
    return seen
