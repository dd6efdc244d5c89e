"""What an index holds for a document: field names, default boosts, the Whoosh schema,
the mapping between a :class:`Document` and its stored fields, and fingerprints.

Two indexed texts differ from what is stored: ``lead`` (the first two sentences of
the body, :func:`lead_text`) is indexed but not stored, being derived from the body;
a title made up from the text (``Document.title_is_derived``) is stored for display
but indexed as an empty title.

Both the store (which writes documents) and search (which reads hits back) use this
room; it knows nothing about directories, locks or queries.
"""

from __future__ import annotations

import hashlib
import json

from whoosh import fields as wf

from .analysis.analyzer import IndonesianAnalyzer
from .documents import Document, Quote

#: Fields searched when a query names none, and how much a match in each counts in the
#: default ranking (``ranking.DEFAULT_RANKING``). The lead and quotations are also in the
#: body, so a word there counts lead + body or quotes + body; the title weighs more than
#: a lead word (2 + 1), so a title match outranks the same match anywhere in the body.
#: Why these values: README "Ranking" and benchmarks/README.md.
DEFAULT_FIELD_BOOSTS: dict[str, float] = {"title": 4.0, "lead": 2.0, "quotes": 1.0, "captions": 1.5, "body": 1.0}
#: diplosearch 1.0's weights (it had no ``lead`` field: weight 0 keeps its scores).
FIELD_BOOSTS_1_0: dict[str, float] = {"title": 3.0, "lead": 0.0, "quotes": 2.0, "captions": 1.5, "body": 1.0}
TEXT_FIELDS: tuple[str, ...] = tuple(DEFAULT_FIELD_BOOSTS)
#: Sentences of the body that make up the ``lead`` field.
LEAD_SENTENCES = 2
#: Stored fields a search can filter and facet on (exact values, compared case-folded).
FILTER_FIELDS: tuple[str, ...] = ("source", "category", "sub_category")
#: The field name of the publication date in queries (``date:2019-09``).
DATE_FIELD = "date"
#: Characters of one text field that are indexed (searchable); the rest is stored
#: but not indexed, so that one huge record cannot take the memory and time of a
#: whole collection (a 49 MB record took 1.8 GB to index).
MAX_INDEXED_CHARS = 1 << 20  # 1,048,576
#: Facets counted from ``published``: calendar years (``2019``) and months (``2019-09``).
DATE_FACETS: tuple[str, ...] = ("year", "month")
#: Every facet a search can count (``facets=``, ``--facet``).
FACET_NAMES: tuple[str, ...] = (*FILTER_FIELDS, *DATE_FACETS)


def build_schema(analyzer: IndonesianAnalyzer) -> wf.Schema:
    """The Whoosh schema of a diplosearch index using ``analyzer`` for every text field."""
    return wf.Schema(
        id=wf.ID(stored=True, unique=True),
        title=wf.TEXT(analyzer=analyzer, stored=True),
        lead=wf.TEXT(analyzer=analyzer, stored=False),
        quotes=wf.TEXT(analyzer=analyzer, stored=True),
        captions=wf.TEXT(analyzer=analyzer, stored=True),
        body=wf.TEXT(analyzer=analyzer, stored=True),
        source=wf.ID(stored=True),
        speakers=wf.STORED(),
        url=wf.STORED(),
        published=wf.STORED(),
        path=wf.STORED(),
        category=wf.STORED(),
        sub_category=wf.STORED(),
        title_is_derived=wf.STORED(),
        fingerprint=wf.STORED(),
    )


def lead_text(body: str) -> str:
    """What the ``lead`` field indexes: the first :data:`LEAD_SENTENCES` sentences of ``body``
    (news puts the gist there, so words in it count more than the rest of the body)."""
    from .ingest.article import first_sentences  # only writers need the article parser

    return first_sentences(body, LEAD_SENTENCES)


def document_fingerprint(doc: Document) -> str:
    """A hash of everything stored about ``doc``: equal hashes mean re-adding changes nothing."""
    fields = _fields_but_lead(doc, fingerprint="")  # the lead is not stored: it follows from the body
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    # surrogatepass: a lone surrogate (from JSON such as "\ud800") is stored as it is.
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def stored_fields(doc: Document, fingerprint: str) -> dict[str, object]:
    """The fields an index stores (and indexes) for ``doc``, ``fingerprint`` included."""
    fields = _fields_but_lead(doc, fingerprint)
    fields["lead"] = lead_text(doc.body)
    return fields


def _fields_but_lead(doc: Document, fingerprint: str) -> dict[str, object]:
    # The lead costs a sentence split of the body: a fingerprint, taken of every
    # document added, unchanged ones included, does without it.
    fields: dict[str, object] = {
        "id": doc.id,
        "title": "" if doc.title_is_derived else doc.title,
        "quotes": "\n".join(q.text for q in doc.quotes),
        "captions": "\n".join(doc.captions),
        "body": doc.body,
        "source": doc.source or "",
        "speakers": [q.speaker for q in doc.quotes],
        "url": doc.url,
        "published": doc.published.isoformat() if doc.published else None,
        "path": doc.path,
        "fingerprint": fingerprint,
        # Indexed as one text each, but stored as lists, so that a quote or caption
        # holding a line break comes back as it went in.
        "_stored_quotes": [q.text for q in doc.quotes],
        "_stored_captions": list(doc.captions),
    }
    # Only when set, so that documents without them keep the fingerprints that
    # indexes written before these fields existed recorded (re-adding stays a no-op).
    for name in ("category", "sub_category"):
        value = getattr(doc, name)
        if value is not None:
            fields[name] = value
    if doc.title_is_derived:
        fields["_stored_title"] = doc.title
        fields["title_is_derived"] = True
    return fields


def cap_indexed_text(fields: dict[str, object]) -> list[tuple[str, int]]:
    """Cut each text field of ``fields`` (as :func:`stored_fields` made them) to
    :data:`MAX_INDEXED_CHARS` for indexing, at a word boundary, keeping the whole
    text stored. Returns the fields cut and their full lengths."""
    cut = []
    for name in TEXT_FIELDS:
        text = fields[name]
        if not isinstance(text, str) or len(text) <= MAX_INDEXED_CHARS:
            continue
        end = text.rfind(" ", MAX_INDEXED_CHARS - 1000, MAX_INDEXED_CHARS + 1)
        fields[name] = text[: end if end > 0 else MAX_INDEXED_CHARS]
        if name == "lead":  # derived from the body (whose cut is reported) and not stored
            continue
        fields.setdefault(f"_stored_{name}", text)  # quotes and captions already store lists
        cut.append((name, len(text)))
    return cut


def document_from_stored(stored: dict[str, object]) -> Document:
    """Rebuild a :class:`Document` from the fields an index stored for it."""
    raw_quotes, raw_captions = stored.get("quotes"), stored.get("captions")
    # Lists since quotes and captions may hold line breaks; older indexes stored joined text.
    if isinstance(raw_quotes, list):
        quote_texts = [str(text) for text in raw_quotes]
    else:
        quote_texts = str(raw_quotes).split("\n") if raw_quotes else []
    if isinstance(raw_captions, list):
        captions = tuple(str(text) for text in raw_captions)
    else:
        captions = tuple(str(raw_captions).split("\n")) if raw_captions else ()
    speakers = list(stored.get("speakers") or [])  # type: ignore[call-overload]
    speakers += [None] * (len(quote_texts) - len(speakers))
    return Document(
        id=str(stored["id"]),
        title=str(stored.get("title") or ""),
        title_is_derived=bool(stored.get("title_is_derived")),
        body=str(stored.get("body") or ""),
        quotes=tuple(Quote(text, speaker) for text, speaker in zip(quote_texts, speakers)),
        captions=captions,
        source=str(stored["source"]) if stored.get("source") else None,
        url=stored.get("url") or None,  # type: ignore[arg-type]
        published=stored.get("published") or None,
        path=stored.get("path") or None,  # type: ignore[arg-type]
        category=stored.get("category") or None,  # type: ignore[arg-type]
        sub_category=stored.get("sub_category") or None,  # type: ignore[arg-type]
    )
