"""The query syntax's lexemes: words with their field prefix, boost and fuzzy
suffixes, phrases, parentheses and operators; and the values of ``date:`` filters.

:mod:`diplosearch.query_parser` documents the syntax and builds the query tree from
these tokens; this module only reads characters.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Iterator, Sequence

from .errors import QueryError

#: The largest boost ``^`` accepts.
MAX_BOOST = 1_000_000.0
#: ``kata~N`` is capped at this many edits.
MAX_FUZZY_EDITS = 2
#: Characters that open or close a phrase.
QUOTES = '"\u201c\u201d\u201e'
_LEXEME = re.compile(rf'(?P<space>\s+)|(?P<open>\()|(?P<close>\))|(?P<quote>[{QUOTES}])|(?P<word>[^\s(){QUOTES}]+)')
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|(?i:[+-]?(?:inf(?:inity)?|nan))"
# Edits after ``~``: a whole number, or Lucene's similarity (``~0.8``) or a decimal.
_EDITS = r"(?:\d+(?:\.\d*)?|\.\d+)?"
_WORD_SUFFIX = re.compile(rf"(?:\^(?P<boost>{_NUMBER})?|~(?P<edits>{_EDITS}))$")
_SUFFIX_AT = re.compile(rf"(?:\^(?P<boost>{_NUMBER})?|~(?P<edits>{_EDITS}))")
_FIELD_PREFIX = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):")
_LOWER_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_BOUNDARY = frozenset(f"(){QUOTES}")
# Operator words and their token kinds; && and || are Lucene's spellings of AND and OR.
_KEYWORDS = {"AND": "and", "OR": "or", "NOT": "not", "&&": "and", "||": "or"}
# Signs that are operators at the start of a word: required, excluded, and Lucene's ! (NOT).
_SIGNS = {"+": "plus", "-": "minus", "!": "not"}
# Characters that make a query more than words (with a leading sign, and keywords).
_SYNTAX_CHARACTER = re.compile(rf"[(){QUOTES}^~:]")
#: A bare ``~``: -1 stands for "edits chosen from the word's length".
AUTO_EDITS = -1


def is_plain(text: str) -> bool:
    """Whether ``text`` is only words (no operator, quote, group, field, boost or fuzzy
    mark), which the parser reads without the lexer: most queries are."""
    if _SYNTAX_CHARACTER.search(text) is not None:
        return False
    return not any(chunk in _KEYWORDS or chunk[0] in _SIGNS for chunk in text.split())


class Token:
    """One lexeme: ``kind`` is open, close, and, or, not, minus, plus, word, phrase,
    field (a ``name:`` before a group or a phrase) or suffix (``^``/``~`` after one)."""

    __slots__ = ("kind", "text", "field", "boost", "edits", "raw")

    def __init__(
        self,
        kind: str,
        text: str = "",
        field: str | None = None,
        boost: float | None = None,
        edits: int | None = None,
        raw: str = "",
    ) -> None:
        self.kind = kind
        self.text = text
        self.field = field
        self.boost = boost
        self.edits = edits
        self.raw = raw


def _boost_value(text: str, context: str) -> float:
    value = float(text)
    if not math.isfinite(value) or not 0.0 <= value <= MAX_BOOST:
        raise QueryError(f"the boost in {context!r} must be a number from 0 to {MAX_BOOST:,.0f}")
    return value


def _edits_value(text: str) -> int:
    if text == "":
        return AUTO_EDITS
    if "." not in text:
        return min(int(text[:3]), MAX_FUZZY_EDITS)
    # Lucene's ~0.8 is a similarity, whose edits depend on the word's length, as a bare
    # ~ does; ~1.5 is 1 edit (as Lucene reads it).
    value = float(text)
    if value == 0:
        return 0
    return AUTO_EDITS if value < 1 else min(int(min(value, 1000)), MAX_FUZZY_EDITS)


def _combine_suffix(
    boost: float | None, edits: int | None, match: re.Match[str], context: str
) -> tuple[float | None, int | None]:
    if match.group("boost") is not None:
        value = _boost_value(match.group("boost"), context)
        boost = value if boost is None else _boost_value(repr(boost * value), context)
    elif match.group(0).startswith("~"):
        edits = _edits_value(match.group("edits"))
    return boost, edits


class Lexer:
    """Splits cleaned query text into :class:`Token` objects (``tokens()``)."""

    def __init__(self, text: str, known_fields: Sequence[str], value_fields: Sequence[str] = ()) -> None:
        """``value_fields`` are the known fields whose ``name:`` takes an exact value
        (filters, dates), which no other prefix may follow."""
        self.text = text
        self.known_fields = {name.lower(): name for name in known_fields}
        self.value_fields = frozenset(value_fields)
        self.field_list = ", ".join(known_fields)

    def field_name(self, name: str, raw: str) -> str | None:
        """The field ``name:`` names, None when the colon is text; raises for unknown names."""
        known = self.known_fields.get(name.lower())
        if known is not None:
            return known
        if _LOWER_NAME.fullmatch(name):
            raise QueryError(
                f"unknown field {name!r} in {raw!r}; fields are {self.field_list}"
                " (put text in quotes to search it as written)"
            )
        return None

    def _check_prefix(self, outer: str | None, name: str, raw: str) -> None:
        """Refuse a prefix after a filter's (``source:title:banjir``), a filter's after
        a text field's (``title:source:x``) and another text field's after a text
        field's (``title:body:x``): one of the two would be lost."""
        if outer in self.value_fields:
            raise QueryError(
                f"{raw!r}: {outer}: takes a value, not another field; write {outer}:VALUE {name}:WORD,"
                f" or {outer}:\"...\" for a value holding a colon"
            )
        if outer is not None and name in self.value_fields:
            raise QueryError(
                f"{raw!r}: {outer}: cannot restrict the filter {name}:; write {name}:VALUE {outer}:WORD,"
                f" or {outer}:\"...\" to search text holding a colon"
            )
        if outer is not None and outer != name:
            raise QueryError(
                f"{raw!r}: two field prefixes in a row, of which only one would apply; write"
                f" ({outer}:WORD OR {name}:WORD) for either field, or {outer}:\"...\" for text holding a colon"
            )

    def tokens(self) -> Iterator[Token]:
        text = self.text
        position = 0
        length = len(text)
        while position < length:
            match = _LEXEME.match(text, position)
            assert match is not None  # the alternatives cover every character
            kind = match.lastgroup
            if kind == "space":
                position = match.end()
            elif kind == "open":
                position = match.end()
                yield Token("open")
            elif kind == "close":
                position = match.end()
                yield Token("close")
                position = yield from self.group_suffix(position)
            elif kind == "quote":
                end = min((i for i in (text.find(q, position + 1) for q in QUOTES) if i >= 0), default=length)
                yield Token("phrase", text=text[position + 1 : end])
                position = yield from self.group_suffix(min(end + 1, length))
            else:
                position = yield from self.word(match.group(), position)

    def group_suffix(self, position: int) -> Iterator[Token]:
        """A ``^boost`` / ``~N`` right after a phrase or a group; returns where lexing resumes."""
        boost = edits = None
        end = position
        while (match := _SUFFIX_AT.match(self.text, end)) and match.end() > end:
            boost, edits = _combine_suffix(boost, edits, match, self.text[position : match.end()])
            end = match.end()
        if end > position and (end == len(self.text) or self.text[end].isspace() or self.text[end] in _BOUNDARY):
            yield Token("suffix", boost=boost, edits=edits)
            return end
        return position

    def word(self, raw: str, position: int) -> Iterator[Token]:
        text = self.text
        at_word_start = position == 0 or text[position - 1].isspace() or text[position - 1] == "("
        end = position + len(raw)
        if at_word_start and raw[0] in _SIGNS:
            if len(raw) > 1 or (end < len(text) and text[end] in _BOUNDARY):
                yield Token(_SIGNS[raw[0]])
                return position + 1
            return end  # a lone sign: punctuation
        if at_word_start and raw in _KEYWORDS:
            yield Token(_KEYWORDS[raw])
            return end
        body = raw
        field = None
        before_group = end < len(text) and text[end] in f"({QUOTES}"
        while match := _FIELD_PREFIX.match(body):
            rest = body[match.end() :]
            if rest == "":
                if before_group:
                    name = self.field_name(match.group(1), raw)
                    if name is not None:
                        self._check_prefix(field, name, raw)
                        yield Token("field", field=name, raw=raw)
                        return end
                break
            if rest[0] in "/:":
                break
            name = self.field_name(match.group(1), raw)
            if name is None:
                break
            self._check_prefix(field, name, raw)
            field, body = name, rest
        if field is not None and body[0] in _SIGNS and (len(body) > 1 or before_group):
            # title:-banjir is -title:banjir (a sign after a prefix would be dropped as punctuation)
            yield Token(_SIGNS[body[0]])
            body = body[1:]
            if not body:
                yield Token("field", field=field, raw=raw)
                return end
        boost = edits = None
        for _ in range(4):
            match = _WORD_SUFFIX.search(body)
            if match is None or not match.group(0):
                break
            boost, edits = _combine_suffix(boost, edits, match, raw)
            body = body[: match.start()]
        yield Token("word", text=body, field=field, boost=boost, edits=edits, raw=raw)
        return end


DATE_FORMS = (
    "date:YYYY, date:YYYY-MM, date:YYYY-MM-DD, date:FROM..TO (either side may be empty), "
    "or date:>=, date:>, date:<=, date:< followed by one of the first three"
)
_DATE_PART = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def date_span(text: str, clause: str) -> tuple[dt.date, dt.date]:
    """The first and last day ``text`` (YYYY, YYYY-MM or YYYY-MM-DD) covers."""
    match = _DATE_PART.fullmatch(text)
    if match is None:
        raise QueryError(f"cannot read the date in {clause!r}; use {DATE_FORMS}")
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        if month is None:
            return dt.date(year, 1, 1), dt.date(year, 12, 31)  # type: ignore[arg-type]
        if day is None:
            first = dt.date(year, month, 1)  # type: ignore[arg-type]
            following = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)  # type: ignore[operator]
            return first, following - dt.timedelta(days=1)
        day_date = dt.date(year, month, day)  # type: ignore[arg-type]
        return day_date, day_date
    except (ValueError, OverflowError) as exc:
        raise QueryError(f"{clause!r} is not a calendar date ({exc}); use {DATE_FORMS}") from None


def _shift(day: dt.date, days: int, clause: str) -> dt.date:
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        raise QueryError(f"{clause!r} lies outside the calendar") from None


def parse_date_value(value: str, clause: str) -> tuple[dt.date | None, dt.date | None]:
    """The inclusive (start, end) of one ``date:`` value; raises :class:`QueryError`."""
    value = value.strip()
    for operator in (">=", "<=", ">", "<"):
        if value.startswith(operator):
            first, last = date_span(value[len(operator) :], clause)
            if operator == ">=":
                return first, None
            if operator == ">":
                return _shift(last, 1, clause), None
            if operator == "<=":
                return None, last
            return None, _shift(first, -1, clause)
    if ".." in value:
        left, _, right = value.partition("..")
        if not left and not right:
            raise QueryError(f"cannot read the date in {clause!r}; use {DATE_FORMS}")
        start = date_span(left, clause)[0] if left else None
        end = date_span(right, clause)[1] if right else None
        return start, end
    return date_span(value, clause)
