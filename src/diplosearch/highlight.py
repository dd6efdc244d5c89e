"""Snippets: the passages of a stored document that best show why it matched.

The stored text is re-analysed with the index's analyzer, so every surface form
whose stem matched is highlighted (a search for ``berkembang`` marks
``perkembangan``). A snippet is always a substring of one stored field with only
the markers added, and it starts and ends on word boundaries.

Two formats: ``"text"`` puts the caller's markers around matches and leaves the
text as stored (markers are not escaped: do not put such snippets into HTML);
``"html"`` escapes the text (``<``, ``>``, ``&``, quotes) and wraps matches in
``<mark>``...``</mark>``, so a snippet can go into a web page as it is.

The matches are found by highlight_matches.py (``matching_tokens``) without
tokenising the whole text; word boundaries for a passage's edges are found by
tokenising only near them. The tokenizer can restart at any place that is not inside
a token (after white space, at a token's start or end) and finds there exactly the
tokens a scan of the whole text finds.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING, Callable, Collection, Iterable, Iterator, Literal, Mapping, Sequence

from .analysis import analyzer as _analyzer
from .analysis.analyzer import token_pattern_for
from .errors import InvalidArgumentError, QueryError
from .highlight_matches import NON_TOKEN_CHARACTERS, _matching, _spaced, matching_tokens
from .schema import MAX_INDEXED_CHARS, lead_text

if TYPE_CHECKING:
    from .analysis.analyzer import IndonesianAnalyzer
    from .documents import Document

__all__ = ["DEFAULT_MARKERS", "HTML_MARKERS", "NON_TOKEN_CHARACTERS", "SNIPPET_FIELDS", "SNIPPET_FORMATS",
           "FieldMarks", "SnippetFormat", "check_snippet_options", "make_snippets", "matching_tokens"]

DEFAULT_MARKERS = ("[[", "]]")
HTML_MARKERS = ("<mark>", "</mark>")
#: The values of ``snippet_format``.
SNIPPET_FORMATS: tuple[str, ...] = ("text", "html")
SnippetFormat = Literal["text", "html"]
#: The fields a snippet may come from, best first (the ``lead`` is the body's start).
SNIPPET_FIELDS: tuple[str, ...] = ("body", "quotes", "captions", "title")
#: Per field, the terms and phrases marked there alone (``make_snippets(only_in=)``).
FieldMarks = Mapping[str, "tuple[Collection[str], Collection[tuple[str, ...]]]"]

def _field_texts(document: "Document") -> Iterator[tuple[str, str]]:
    """(name, text) of each field a snippet may come from, best first, made only when
    reached (most snippets come from the body)."""
    # Only the indexed part of a field can hold a match, so only it is looked at: a
    # snippet then costs at most MAX_INDEXED_CHARS of scanning, however long the
    # stored text (a 49 MB record made every query that hit it take 40 s).
    yield "body", document.body[:MAX_INDEXED_CHARS]
    yield "quotes", "\n".join(q.text for q in document.quotes)[:MAX_INDEXED_CHARS]
    yield "captions", "\n".join(document.captions)[:MAX_INDEXED_CHARS]
    yield "title", document.title[:MAX_INDEXED_CHARS]


def _best_windows(
    terms: Sequence[str], starts: Sequence[int], ends: Sequence[int], max_chars: int, count: int
) -> list[tuple[int, int]]:
    """Greedy choice of up to ``count`` non-overlapping match windows, most distinct terms first.

    The matches are given as columns (their terms, starts and ends), in text order.
    The window from each match reaches the last match ending within ``max_chars`` of its
    start; matches are in text order, so that last match only moves forward, and the
    window's terms are counted as it slides."""
    if count and ends[-1] - starts[0] <= max_chars:
        # One window holds every match: it wins, and every other window overlaps it.
        return [(starts[0], ends[-1])]
    candidates = []
    held: dict[str, int] = {}  # term -> its matches in the window matches[first : end + 1]
    last = len(terms) - 1
    end = -1
    for first in range(len(terms)):
        if first:
            left = terms[first - 1]
            if held[left] == 1:
                del held[left]
            else:
                held[left] -= 1
        if end < first:
            end = first
            held[terms[first]] = held.get(terms[first], 0) + 1
        start = starts[first]
        reach = start + max_chars
        while end < last and ends[end + 1] <= reach:
            end += 1
            held[terms[end]] = held.get(terms[end], 0) + 1
        candidates.append((len(held), end - first + 1, -start, first, end))
    candidates.sort(reverse=True)
    chosen: list[tuple[int, int]] = []
    for *_ignored, first, end in candidates:
        start_char, end_char = starts[first], ends[end]
        for s, e in chosen:
            if end_char > s and start_char < e:
                break
        else:
            chosen.append((start_char, end_char))
            if len(chosen) == count:
                break
    return sorted(chosen)


def _expand(
    text: str, start: int, end: int, max_chars: int, spaced: str | None = None,
    words: "re.Pattern[str] | None" = None,
) -> tuple[int, int]:
    """Widen [start, end) with context to about ``max_chars``, cutting only between
    words. ``start`` and ``end`` are a token's start and a token's end (or both 0);
    ``spaced`` is ``text`` with line breaks as spaces and ``words`` is
    ``token_pattern_for(text)`` (each made when not given).

    Words are found near the edges only, from just after a blank (the tokenizer finds
    there exactly the tokens a scan of the whole text finds: a token never holds white
    space), with ``_word_pattern``: TOKEN_PATTERN is compiled only for text that is not
    ASCII.
    """
    if spaced is None:
        spaced = _spaced(text)
    search = (words or _word_pattern(text)).search
    room = max(0, max_chars - (end - start))
    before, after = room // 3, room - room // 3
    edge = start - before
    if edge <= 0:
        new_start = 0
    else:
        # the first word starting at or after the edge (``start`` itself at the latest)
        word = search(text, spaced.rfind(" ", 0, edge) + 1)
        while word is not None and word.start() < edge:
            word = search(text, word.end())
        new_start = start if word is None else min(word.start(), start)
    edge = end + after
    if edge >= len(text):
        new_end = len(text)
    else:
        # the last word ending at or before the edge; those before ``end`` end by it.
        # Looked for from the run before the last blank before the edge (its words end
        # before the edge), then, when that run holds none, from ``end``.
        new_end = end
        restart = spaced.rfind(" ", end, edge) + 1 or end
        if restart > end:
            restart = spaced.rfind(" ", end, restart - 1) + 1 or end
        for restart in (restart, end) if restart != end else (end,):
            word = search(text, restart)
            while word is not None and word.end() <= edge:
                new_end = word.end()
                word = search(text, new_end)
            if new_end > end:
                break
    # A snippet that would begin mid-sentence after a line break starts on the new line.
    line_start = text.rfind("\n", new_start, start)
    if line_start != -1:
        new_start = line_start + 1
    line_end = text.find("\n", end, new_end)
    if line_end != -1:
        new_end = line_end
    return new_start, new_end


def _word_pattern(text: str) -> "re.Pattern[str]":
    """A pattern that splits ``text`` into words as :data:`TOKEN_PATTERN` does, found
    without a scan of the text: the faster one for ASCII text, else TOKEN_PATTERN itself
    (``token_pattern_for`` would look through the whole text for combining marks,
    which costs more than the few words a passage's edges need)."""
    return token_pattern_for(text) if text.isascii() else _analyzer.TOKEN_PATTERN


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
    if escape is _unchanged:
        for s, e in spans:
            if s < cursor or e > end:
                continue
            pieces += (text[cursor:s], opening, text[s:e], closing)
            cursor = e
        pieces.append(text[cursor:end])
        return "".join(pieces)
    for s, e in spans:
        if s < cursor or e > end:
            continue
        pieces.append(escape(text[cursor:s]))
        pieces.append(opening + escape(text[s:e]) + closing)
        cursor = e
    pieces.append(escape(text[cursor:end]))
    return "".join(pieces)


def check_snippet_options(snippets: object, snippet_chars: object, markers: object,
                          snippet_format: object = "text") -> tuple[str, str]:
    """Refuse snippet options of the wrong type or range with a :class:`QueryError`
    (checked before the index is read, where a TypeError would be reported as
    damage); returns ``markers`` as a tuple."""
    for name, value, least in (("snippets", snippets, 0), ("snippet_chars", snippet_chars, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise QueryError(f"{name} must be a whole number >= {least}, not {value!r}")
    if type(markers) is tuple and len(markers) == 2 and type(markers[0]) is str and type(markers[1]) is str:
        pass  # the usual case, without the ABC check below
    elif isinstance(markers, str) or not isinstance(markers, Sequence) or len(markers) != 2 or not all(
        isinstance(marker, str) for marker in markers
    ):
        raise QueryError(f"markers must be two strings (before and after a match), not {markers!r}")
    if snippet_format not in SNIPPET_FORMATS:
        raise QueryError(f"snippet_format must be one of {', '.join(SNIPPET_FORMATS)}, not {snippet_format!r}")
    return (markers[0], markers[1])


def make_snippets(
    document: "Document",
    terms: Collection[str],
    analyzer: "IndonesianAnalyzer",
    count: int = 2,
    max_chars: int = 200,
    markers: tuple[str, str] = DEFAULT_MARKERS,
    snippet_format: SnippetFormat = "text",
    phrases: Collection[tuple[str, ...]] = (),
    only_in: FieldMarks | None = None,
) -> list[str]:
    """Up to ``count`` highlighted passages of ``document`` for the query ``terms``.

    ``terms`` are marked wherever they stand; each of ``phrases`` (the terms of a
    phrase of the query) only where its terms stand together, as the index matched it.
    ``only_in`` maps a field to the terms and phrases marked in that field alone (the
    words a query searched there only); those under ``"lead"`` are marked only in the
    body's lead (its first sentences, which the ``lead`` field indexes).
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
    lead = ""
    free = frozenset(terms)
    only_in = only_in or {}
    in_lead = only_in.get("lead")
    for name, text in _field_texts(document):
        if name == "body" or (name == "title" and not lead):
            lead = text
        field_terms, field_phrases = free, phrases
        if name in only_in:
            field_terms = free.union(only_in[name][0])
            field_phrases = {*phrases, *only_in[name][1]}
        if not text or not (field_terms or field_phrases or (name == "body" and in_lead)):
            continue
        spaced = _spaced(text)
        terms_found, starts, ends = _matches(text, spaced, field_terms, field_phrases, analyzer)
        if name == "body" and in_lead:
            # The lead is a prefix of the body (its sentences, spaces apart): its own
            # words are looked for there, and merged in text order.
            end_of_lead = _end_of_lead(text)
            found = _matches(text[:end_of_lead], spaced[:end_of_lead], frozenset(in_lead[0]), in_lead[1], analyzer)
            terms_found, starts, ends = _merged((terms_found, starts, ends), found)
        if not terms_found:
            continue
        words = _word_pattern(text)
        snippets = []
        for start, end in _best_windows(terms_found, starts, ends, max_chars, count):
            lo, hi = _expand(text, start, end, max_chars, spaced, words)
            # matches are in text order, their ends too (a token yielding several terms
            # is several matches with one span): those within the passage are a slice
            first, last = bisect_left(starts, lo), bisect_right(ends, hi)
            spans = _dedupe(list(zip(starts[first:last], ends[first:last])))
            snippets.append(_mark(text, lo, hi, spans, markers, escape))
        return [s for s in snippets if s]
    if not lead:
        return []
    _lo, hi = _expand(lead, 0, 0, max_chars)
    passage = _mark(lead, 0, hi, [], markers, escape)
    return [passage] if passage else []


def _matches(
    text: str, spaced: str, terms: frozenset[str], phrases: Collection[tuple[str, ...]],
    analyzer: "IndonesianAnalyzer",
) -> tuple[list[str], list[int], list[int]]:
    """The matches (columns in text order) of ``terms`` anywhere and ``phrases`` where
    their terms stand together."""
    found, starts, ends = _matching(text, spaced, terms.union(*phrases), analyzer)
    if phrases and found:
        return _in_phrases(text, found, starts, ends, terms, phrases, analyzer)
    return found, starts, ends


def _merged(*matches: tuple[list[str], list[int], list[int]]) -> tuple[list[str], list[int], list[int]]:
    """Several fields' worth of match columns as one, in text order, each match once."""
    ordered = sorted({(start, end, term) for found in matches for term, start, end in zip(*found)})
    return [term for *_span, term in ordered], [start for start, *_rest in ordered], [e for _s, e, _t in ordered]


def _end_of_lead(body: str) -> int:
    """Where the ``lead`` field's text ends in ``body``: the lead is the body's first
    sentences with only the blanks between them changed, so it ends after as many
    characters that are not blanks as it holds."""
    left = sum(not character.isspace() for character in lead_text(body))
    for position, character in enumerate(body):
        if left == 0:
            return position
        if not character.isspace():
            left -= 1
    return len(body)


def _dedupe(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    # One raw token can yield several terms (sosial-ekonomi); mark its span once.
    seen: list[tuple[int, int]] = []
    for span in spans:
        if not seen or span[0] >= seen[-1][1]:
            seen.append(span)
    return seen


def _in_phrases(
    text: str, found: list[str], starts: list[int], ends: list[int], free: frozenset[str],
    phrases: Collection[tuple[str, ...]], analyzer: "IndonesianAnalyzer",
) -> tuple[list[str], list[int], list[int]]:
    """The matches (columns in text order) that are a free term or part of a place
    where a whole phrase stands. Matches stand at consecutive positions when they come
    from one token (``sosial-ekonomi``) or when the text between them holds no index
    term (punctuation, stop words: the index leaves no gap for them either)."""
    starting: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        starting.setdefault(phrase[0], []).append(phrase)
    keep = [term in free for term in found]
    search = _word_pattern(text).search
    indexed: dict[str, bool] = {}  # word -> whether it yields an index term

    def follows(before: int) -> bool:
        after = before + 1
        if starts[after] == starts[before]:
            return True
        # The words between two tokens, up to the first that is indexed (most gaps
        # hold none or start with one: a gap may be the whole text, never read whole).
        position, end = ends[before], starts[after]
        while (word := search(text, position, end)) is not None:
            token = word.group()
            if token not in indexed:
                indexed[token] = bool(analyzer.terms(token))
            if indexed[token]:
                return False
            position = word.end()
        return True

    last = len(found) - 1
    for first, term in enumerate(found):
        for phrase in starting.get(term, ()):
            at = first
            for wanted in phrase[1:]:
                if at == last or found[at + 1] != wanted or not follows(at):
                    break
                at += 1
            else:
                keep[first : at + 1] = [True] * (at + 1 - first)
    if all(keep):
        return found, starts, ends
    chosen = [i for i, kept in enumerate(keep) if kept]
    return [found[i] for i in chosen], [starts[i] for i in chosen], [ends[i] for i in chosen]
