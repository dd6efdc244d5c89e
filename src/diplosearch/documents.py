"""Documents: what is indexed (:class:`Document`, :class:`Quote`), what a reader
reports instead (:class:`InputProblem`), and the rules every document obeys:
dates (:func:`parse_date`, :func:`to_datetime`), content ids and validation.

Turning raw input (articles, JSON records, files) into documents is the job of
:mod:`diplosearch.ingest`, which builds on this module; this module imports
nothing from it.

* **Dates** keep the wall-clock time as written and drop any time zone: feeds mix
  zoned and zone-less dates, and converting only some of them would misorder
  them worse than converting none.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import re
from typing import Iterable

import attrs

from .analysis.normalize import LONE_SURROGATE, clean_text, collapse_spaces, one_line
from .errors import DocumentError, InvalidArgumentError

__all__ = [
    "Document",
    "InputProblem",
    "Quote",
    "cleaned_id",
    "content_id",
    "id_argument",
    "parse_date",
    "to_datetime",
    "validate_document",
]

# --------------------------------------------------------------------------- dates

_MONTHS = {
    # Indonesian and English names and the abbreviations news sites print.
    "januari": 1, "january": 1, "jan": 1,
    "februari": 2, "pebruari": 2, "february": 2, "feb": 2, "peb": 2,
    "maret": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "agustus": 8, "august": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "december": 12, "des": 12, "dec": 12,
}  # fmt: skip
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_TIME_RE = r"(?:[T\s,|]+(?:pukul\s+)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?)?"


@functools.cache
def _date_patterns() -> tuple[re.Pattern[str], ...]:
    # Compiled on first use: a process that only searches never parses a date this way.
    return tuple(re.compile(pattern, re.IGNORECASE) for pattern in _DATE_PATTERN_TEXTS)


_DATE_PATTERN_TEXTS = (
    r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _TIME_RE,
    r"\b(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})\b" + _TIME_RE,
    rf"\b(?P<d>\d{{1,2}})[\s/.-]*(?P<mon>{_MONTH_RE})\.?[\s/.,-]*(?P<y>\d{{4}}|\d{{2}})\b" + _TIME_RE,
    rf"\b(?P<mon>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}})\b" + _TIME_RE,
)
# Dates are searched for, not matched whole ("Senin, 17 Desember 2023 | 10:30 WIB"),
# so a long string is an article rather than a date and is not searched.
_MAX_DATE_TEXT = 80


def to_datetime(value: object) -> _dt.datetime | None:
    """``value`` as a datetime: the one coercion of dates for documents and records.

    None and ``""`` give None; a date becomes midnight of that day; a datetime loses
    its time zone, keeping its wall-clock time; a string is read by
    :func:`parse_date`. Raises ValueError for a string no format fits and TypeError
    for any other type.
    """
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return _naive(value)  # as a zoned string is: see the module docstring
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        parsed = parse_date(value)
        if parsed is None:
            raise ValueError(f"unrecognised date {value!r}")
        return parsed
    raise TypeError(f"published must be a date, a datetime or a string, not {type(value).__name__}")


def parse_date(text: str) -> _dt.datetime | None:
    """Parse the date formats seen in Indonesian news feeds; None when none fits.

    Understands ISO 8601 (``2019-10-09 00:00:00``, ``2019-10-09T10:30:00+07:00``),
    day-first numeric dates (``16/09/2019``, ``16-09-2019``), and dates with an
    Indonesian or English month name or abbreviation (``17 Desember 2023``,
    ``10-Sep-19``, ``Sep 30, 2019``, ``Oktober 19, 2019``), each optionally with a
    weekday and a time (``Senin, 17/12/2023 10:30 WIB``). Time zones are dropped:
    the result is the naive wall-clock time as written.
    """
    text = text.strip()
    if not text or len(text) > _MAX_DATE_TEXT:
        return None
    try:
        return _naive(_dt.datetime.fromisoformat(text))
    except ValueError:
        pass
    for pattern in _date_patterns():
        match = pattern.search(text)
        if match is None:
            continue
        parts = match.groupdict()
        month = _MONTHS[parts["mon"].lower()] if parts.get("mon") else int(parts["m"])
        year = int(parts["y"])
        if year < 100:  # "10-Sep-19"
            year += 2000 if year < 70 else 1900
        try:
            return _dt.datetime(
                year, month, int(parts["d"]), int(parts["H"] or 0), int(parts["M"] or 0), int(parts["S"] or 0)
            )
        except ValueError:  # 31 Februari, 25:00 ...
            return None
    return None


def _naive(value: _dt.datetime) -> _dt.datetime:
    return value.replace(tzinfo=None)


# --------------------------------------------------------------------------- classes


@attrs.frozen
class Quote:
    """A quotation in a document (``text``), with its ``speaker`` when the text names
    one (else None)."""

    text: str
    speaker: str | None = None


# Converters are Python functions, not the builtins str/bool/tuple: attrs reads each
# converter's signature, and for a builtin inspect parses its text form with tokenize,
# whose first use compiles a large regex (about 10 ms of every process's import).
def _as_str(value: object) -> str:
    return str(value)


def _as_id(value: object) -> str:
    # None is no id (validation refuses it), not the id "None"
    return "" if value is None else str(value)


def _as_published(value: object) -> _dt.datetime | None:
    # to_datetime's ValueError and TypeError, as every error diplosearch means to raise
    try:
        return to_datetime(value)
    except (TypeError, ValueError) as exc:
        raise DocumentError(f"published must be a date, a datetime or a date as text (2024-08-29), "
                            f"not {shown_value(value)}") from exc


def _as_bool(value: object) -> bool:
    # bool("false") is True: only a real flag (or 0 and 1) is taken
    if isinstance(value, bool) or value in (0, 1):
        return bool(value)
    raise DocumentError(f"title_is_derived must be True or False, not {value!r}")


# One string is one caption or quote, not a tuple of its characters; None is none.
def _as_tuple(values: Iterable[str] | str | None) -> tuple[str, ...]:
    return (values,) if isinstance(values, str) else tuple(values or ())


def _to_quotes(values: object) -> tuple[Quote, ...]:
    listed = (values,) if isinstance(values, (str, Quote)) else (values or ())
    return tuple(v if isinstance(v, Quote) else Quote(str(v)) for v in listed)  # type: ignore[union-attr]


@attrs.frozen
class Document:
    """One news article.

    ``id`` identifies the document in its index: adding a document with an id that is
    already there replaces it. ``body`` is the article text; ``quotes`` and ``captions``
    are passages of it that are also indexed in their own, more heavily weighted fields.
    ``category`` and ``sub_category`` are the publisher's sections, as a feed names
    them (CLICK-ID: ``News`` / ``Regional``), or None. ``title_is_derived`` marks a
    title made up from the text (the lead sentence) for a document that had none: it
    is shown but not indexed as a title, since it is not the headline (keyword only).

    Arguments are converted: ``id`` to text (an integer too; None to ``""``, which
    :meth:`Index.add` refuses); one string given as ``quotes`` or ``captions`` is one
    quote or caption, and a quote given as text has no speaker; ``published`` may be a
    ``datetime``, a ``date`` (midnight) or ISO-like text (``"2024-08-29"``,
    ``"2024-08-29T10:00+07:00"``), and becomes a naive ``datetime`` keeping the
    wall-clock time. ``source``, ``url`` and ``path`` (the file it was read from) are
    shown, not searched; ``source`` and the categories can be filtered on. A document
    needs an id and a title or body to be added (:class:`DocumentError` from
    :meth:`Index.add` otherwise).

    :raises DocumentError: ``published`` is text no date format fits, or of another
        type; ``title_is_derived`` is not True or False.
    """

    id: str = attrs.field(converter=_as_id)
    title: str = ""
    title_is_derived: bool = attrs.field(default=False, converter=_as_bool, kw_only=True)
    body: str = ""
    quotes: tuple[Quote, ...] = attrs.field(default=(), converter=_to_quotes)
    captions: tuple[str, ...] = attrs.field(default=(), converter=_as_tuple)
    source: str | None = None
    url: str | None = None
    published: _dt.datetime | None = attrs.field(default=None, converter=_as_published)
    path: str | None = None
    category: str | None = None
    sub_category: str | None = None


@attrs.frozen
class InputProblem:
    """An input that was skipped (or partly skipped) by :func:`read_documents` or a
    write, or a note about one that was indexed all the same (``skipped`` False).

    ``line`` is the 1-based line of a JSON Lines file the problem is at, or None
    when it concerns the whole file. ``str()`` gives ``path:line: message`` (or
    ``path: message``) on one line, ready to print.
    """

    path: str = attrs.field(converter=_as_str)
    line: int | None
    message: str = attrs.field(converter=one_line)
    skipped: bool = attrs.field(default=True, kw_only=True)
    """False for a note: the input was indexed all the same (its id repeats an earlier
    one, which it replaces; a text over the indexing limit is indexed in part)."""
    doc_id: str | None = attrs.field(default=None, kw_only=True)
    """The id of the document the problem is about, when it is known."""

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


def validate_document(doc: Document) -> None:
    """Raise :class:`DocumentError` unless ``doc`` can be indexed as it is."""
    if not isinstance(doc, Document):
        raise DocumentError(f"expected a diplosearch.Document, got {type(doc).__name__}")
    if not doc.id.strip():
        raise DocumentError("a document needs a non-empty id")
    if LONE_SURROGATE.search(doc.id):
        raise DocumentError(f"document id {shown_value(doc.id)} contains a lone surrogate, which no index term can hold")
    texts = {
        "title": doc.title,
        "body": doc.body,
        "source": doc.source,
        "url": doc.url,
        "path": doc.path,
        "category": doc.category,
        "sub_category": doc.sub_category,
    }
    for name, value in texts.items():
        if (value is not None or name in ("title", "body")) and not isinstance(value, str):
            raise DocumentError(f"document {shown_value(doc.id)}: {name} must be text, not {type(value).__name__}")
    speakers = (q.speaker for q in doc.quotes if q.speaker is not None)  # the one text that may be None
    for item in (*(q.text for q in doc.quotes), *speakers, *doc.captions):
        if not isinstance(item, str):
            raise DocumentError(f"document {shown_value(doc.id)}: quotes and captions must be text, not {type(item).__name__}")
    if not (doc.title.strip() or doc.body.strip()):
        raise DocumentError(f"document {shown_value(doc.id)} has neither a title nor a body")


def id_argument(doc_id: object) -> str:
    """``doc_id`` as given to ``get``, ``delete`` or ``similar``: text, or an integer
    (as :class:`Document` takes one); anything else is an :class:`InvalidArgumentError`,
    so that None never finds (or deletes) the document with id ``"None"``."""
    if isinstance(doc_id, str):
        if LONE_SURROGATE.search(doc_id):  # no stored id holds one, and Whoosh cannot encode it
            raise InvalidArgumentError(f"document id {shown_value(doc_id)} contains a lone surrogate, which no stored id can")
        return doc_id
    if isinstance(doc_id, int) and not isinstance(doc_id, bool):
        return str(doc_id)
    raise InvalidArgumentError(f"a document id must be text, not {type(doc_id).__name__} ({shown_value(doc_id)})")


def cleaned_id(doc_id: str) -> str:
    """``doc_id`` as a record's id is indexed (JSON, JSON Lines): its text cleaned as
    all record text is, runs of blanks made one space and its ends trimmed, so that
    ``" sp "`` is ``"sp"``. ``get``, ``delete`` and ``similar`` try it when no
    document has the id as given."""
    return collapse_spaces(clean_text(doc_id))


def shown_value(value: object) -> str:
    """``value`` (an id, a date as given) as a message shows it: quoted, and cut to its
    first 60 characters (a megabyte-long id would otherwise fill the message)."""
    text = repr(value)
    return text if len(text) <= 64 else f"{text[:60]}...{text[0]} ({len(str(value)):,} characters)"


def content_id(title: str, body: str) -> str:
    """A stable id for a document that has none: the first 16 hex digits of sha1(title, body)."""
    return hashlib.sha1(f"{title}\n{body}".encode("utf-8", "surrogatepass")).hexdigest()[:16]
