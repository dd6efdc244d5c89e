"""JSON records: mapping one JSON object (a JSON Lines record) onto a Document.

:func:`document_from_record` checks the type of every field it uses and raises
:class:`~diplosearch.errors.DocumentError` for a record it cannot use;
:func:`record_item` is the form the file readers use, which gives an
:class:`~diplosearch.documents.InputProblem` instead.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import attrs

from ..analysis.normalize import clean_text
from ..documents import Document, InputProblem, Quote, cleaned_id, content_id, shown_value, to_datetime
from ..errors import DocumentError
from .article import collapse_spaces, lead_title
from .quotes import extract_quotes

__all__ = ["document_from_record", "given_id", "record_item", "type_name"]

_LEADING_JUNK_RE = re.compile(r"^[\s,.;:\-–—]+")
_WORD_CHAR_RE = re.compile(r"[^\W_]")


def _record_error(origin: str, detail: str) -> DocumentError:
    error = DocumentError(f"{origin}: {detail}")
    error.detail = detail  # type: ignore[attr-defined]  # read_documents prints it after path:line
    return error


def _text_field(record: Mapping[str, Any], key: str, origin: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _record_error(origin, f"field {key!r} must be a string, not {type_name(value)}")
    return value


def type_name(value: object) -> str:
    """The JSON name of ``value``'s type ("object", "array", "number" ...), for messages."""
    return {dict: "object", list: "array", bool: "boolean", float: "number", int: "number"}.get(
        type(value), type(value).__name__
    )


def _section(value: str | None) -> str | None:
    """A category as given, cleaned; None for a placeholder without letters or digits
    (CLICK-ID writes ``-`` for an article without a sub-category)."""
    text = collapse_spaces(clean_text(value or ""))
    return text if _WORD_CHAR_RE.search(text) else None


def _record_quotes(value: object, origin: str) -> tuple[Quote, ...]:
    if not isinstance(value, (list, tuple)):
        raise _record_error(origin, f"field 'quotes' must be an array, not {type_name(value)}")
    quotes: list[Quote] = []
    for item in value:
        if isinstance(item, Quote):
            quotes.append(item)
            continue
        if isinstance(item, str):
            text, speaker = item, None
        elif isinstance(item, Mapping) and isinstance(item.get("text"), str):
            text, speaker = item["text"], item.get("speaker")
        elif isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str):
            text, speaker = item
        else:
            raise _record_error(origin, "field 'quotes' must hold strings or {text, speaker} objects")
        if speaker is not None and not isinstance(speaker, str):
            raise _record_error(origin, f"a quote's speaker must be a string, not {type_name(speaker)}")
        text = collapse_spaces(clean_text(text))
        if text:
            speaker = collapse_spaces(clean_text(speaker)) if speaker else None
            quotes.append(Quote(text, speaker or None))
    return tuple(quotes)


def _record_captions(value: object, origin: str) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _record_error(origin, "field 'captions' must be an array of strings")
    return tuple(c for c in (collapse_spaces(clean_text(v)) for v in value) if c)


def document_from_record(record: Mapping[str, Any], *, origin: str = "<record>") -> Document:
    """Map one JSON object onto a :class:`Document`.

    Keys used: ``id`` (string or integer), ``title``, ``content`` (else ``body``),
    ``source``, ``url``, ``published`` (else ``date``), ``category`` and
    ``sub_category`` (a value without letters or digits, such as CLICK-ID's ``-``,
    means none), and optionally ``quotes`` (strings, ``{"text", "speaker"}``
    objects or ``[text, speaker]`` pairs) and ``captions`` (strings); other keys
    are ignored. All text goes through
    :func:`~diplosearch.analysis.normalize.clean_text`; the body is kept as one
    text (CLICK-ID joins its paragraphs with ``,`` and that is not undone), with
    leftover dateline punctuation at its start removed. Quotes are extracted from
    the body unless the record gives them (a ``quotes`` key that is not null). A
    missing title is derived from the lead sentence; a missing id is
    :func:`content_id`. A ``published``/``date`` that is not a parseable string
    (or a date) leaves ``published`` None.

    Raises :class:`DocumentError` (one line, starting with ``origin``) when the
    record is not an object, a field has the wrong type, or there is neither a
    title nor a body. A date that cannot be parsed does not lose the document:
    ``published`` is then None.
    """
    if not isinstance(record, Mapping):
        raise _record_error(origin, f"a record must be a JSON object, not {type_name(record)}")
    raw_id = record.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int, type(None))):
        raise _record_error(origin, f"field 'id' must be a string or an integer, not {type_name(raw_id)}")
    title = collapse_spaces(clean_text(_text_field(record, "title", origin) or ""))
    content = _text_field(record, "content", origin)
    if not (content and content.strip()):
        content = _text_field(record, "body", origin)
    body = _LEADING_JUNK_RE.sub("", clean_text(content or "")).strip()
    body = "\n".join(collapse_spaces(line) for line in body.split("\n"))
    source = collapse_spaces(clean_text(_text_field(record, "source", origin) or "")) or None
    url = collapse_spaces(clean_text(_text_field(record, "url", origin) or "")) or None
    category = _section(_text_field(record, "category", origin))
    sub_category = _section(_text_field(record, "sub_category", origin))
    if not title and not body:
        raise _record_error(origin, "record has neither a title nor a body ('content')")
    derived = not title
    if derived:
        title = lead_title(body.split("\n", 1)[0])

    published = None
    for key in ("published", "date"):
        try:
            published = to_datetime(record.get(key))
        except (TypeError, ValueError):
            published = None  # an unparseable date costs the date, never the document
        if published is not None:
            break

    if record.get("quotes") is not None:
        quotes = _record_quotes(record["quotes"], origin)
    else:
        quotes = extract_quotes([p for p in body.split("\n") if p.strip()])
    captions = _record_captions(record["captions"], origin) if record.get("captions") is not None else ()

    doc_id = cleaned_id(str(raw_id)) if raw_id is not None else ""
    return Document(
        id=doc_id or content_id(title, body),
        title=title,
        title_is_derived=derived,
        body=body,
        quotes=quotes,
        captions=captions,
        source=source,
        url=url,
        published=published,
        category=category,
        sub_category=sub_category,
    )


def _record_problem(shown: str, line: int | None, exc: DocumentError) -> InputProblem:
    return InputProblem(shown, line, f"{getattr(exc, 'detail', exc)}; record skipped")


def unread_date(record: Mapping[str, Any], doc: Document) -> str | None:
    """What to say of a record whose ``published`` (or ``date``) could not be read as
    a date, the document then indexed without one; None when there is nothing to say."""
    if doc.published is not None:
        return None
    for key in ("published", "date"):
        value = record.get(key)
        if value not in (None, ""):
            return f"{key} {shown_value(value)} is not a date; indexed without one"
    return None


def given_id(record: Mapping[str, Any], default_id: str) -> str:
    """The id a record gives, as text before cleaning; ``default_id`` when it gives none."""
    raw = record.get("id")
    return default_id if raw in (None, "") else str(raw)


def record_item(
    record: object, shown: str, line: int | None, default_id: str
) -> Document | InputProblem:
    """The document a record read from ``shown`` gives, or the problem that skips it.

    A record without an id gets ``default_id``; the document's ``path`` is ``shown``.
    """
    origin = shown if line is None else f"{shown}:{line}"
    if isinstance(record, Mapping) and record.get("id") in (None, ""):
        record = {**record, "id": default_id}
    try:
        doc = document_from_record(record, origin=origin)  # type: ignore[arg-type]
    except DocumentError as exc:
        return _record_problem(shown, line, exc)
    return attrs.evolve(doc, path=shown)

