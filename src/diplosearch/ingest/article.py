"""Plain-text articles: title, body without boilerplate, photo captions, datelines.

:func:`parse_article` turns one plain-text (or light Markdown) news article into a
:class:`~diplosearch.documents.Document`; quotations come from
:mod:`diplosearch.ingest.quotes`. The sentence and title helpers here
(:func:`collapse_spaces`, :func:`lead_title`, :func:`path_stem`) serve the JSON
records reader too, and :func:`first_sentences` the index's ``lead`` field.

Decisions worth knowing (each is tested in ``tests/test_ingest_article.py``):

* **Title.** The first paragraph is the title when it is a Markdown heading, or
  when it looks like a headline: at most 150 characters and 25 words, starting
  with a capital or digit, not ending in ``.``, ``,``, ``;`` or ``:``, not two
  sentences, and not a dateline (``JAKARTA, KOMPAS.com - ...``). Otherwise the
  title is the lead sentence, cut at a word boundary to about 100 characters
  with ``…``; the lead sentence then stays in the body. Such a title is marked
  ``title_is_derived``: it is shown, not indexed as a title.
* **Captions** (lines with ``(Foto: ...)``, ``(Foto/...)``, ``(ANTARA FOTO/...)``,
  ``Foto: ...``) are moved out of the body into ``captions``, without the photo
  credit: they describe a picture, not the story, and are indexed in their own
  field.
* **Line ends** ``\n``, ``\r\n`` and a lone ``\r`` (old Mac files) all end a line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from ..analysis.normalize import clean_text, collapse_spaces
from ..documents import Document, content_id
from ..errors import DocumentError
from .quotes import extract_quotes

__all__ = ["collapse_spaces", "first_sentences", "lead_title", "parse_article", "path_stem"]

_SENTENCE_END_RE = re.compile(r"[.!?…]+[\"”’)\]]*(?=\s+[\"“‘(\[]?[^\W_])")
# Words ending in "." that do not end a sentence ("Dr. Zulmi", "Jl. Sudirman", "M. Hendra").
_ABBREVIATIONS = frozenset(
    "dr prof ir h hj drs dra st jl jln no nomor tel telp hlm kab kec kel prov dkk dll dsb dst tbk "
    "sdr ny tn bpk a.n u.p s.h m.si m.h m.m s.e s.pd s.sos ph.d mr mrs ms vs".split()
)


def _sentence_end(text: str, marks: str = ".!?…") -> int | None:
    """Index just past the first sentence of ``text``, or None when it is one sentence.

    Only sentences ended by one of ``marks`` count.
    """
    for match in _SENTENCE_END_RE.finditer(text):
        if not any(mark in match.group() for mark in marks):
            continue
        before = text[: match.start()].rsplit(None, 1)
        word = before[-1].lower() if before else ""
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        return match.end()
    return None


def first_sentences(text: str, count: int) -> str:
    """The first ``count`` sentences of ``text`` (a paragraph break also ends one),
    as they stand in ``text`` apart from the spaces between them."""
    sentences: list[str] = []
    for paragraph in text.split("\n"):
        rest = paragraph.strip()
        while rest and len(sentences) < count:
            end = _sentence_end(rest)
            sentence, rest = (rest, "") if end is None else (rest[:end], rest[end:].lstrip())
            sentences.append(sentence.strip())
        if len(sentences) >= count:
            break
    return " ".join(sentences)


def _shorten(text: str, limit: int = 100) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    text = collapse_spaces(text)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if not text[limit].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + "…"


# --------------------------------------------------------------------------- datelines

_DASH = r"\s*[-–—]+\s+"
_DOMAIN = r"[\w-]+(?:\.[\w-]+)*\.(?i:com|co\.id|id|net|org|tv|news|vn)\b"
_PLACE = r"[A-Z][\w'.]*(?:\s+[A-Z][\w'.]*){0,3}"
# Ordered: a tag in parentheses or a news site's domain names the publisher; a
# bare place ("JAKARTA -") marks a dateline but names no one.
_DATELINES = [
    re.compile(rf"^\((?P<tag>[^\W\d_][\w .&/-]{{1,30}})\){_DASH}"),
    re.compile(rf"^{_PLACE}\s*\((?P<tag>[^\W\d_][\w .&/-]{{1,30}})\){_DASH}"),
    re.compile(rf"^{_PLACE},\s*(?P<tag>{_DOMAIN}){_DASH}"),
    re.compile(rf"^(?P<tag>{_DOMAIN}),\s*{_PLACE}{_DASH}"),
    re.compile(rf"^[A-Z][A-Z'.]+(?:\s+[A-Z][A-Z'.]+){{0,3}}(?:,\s*\d{{1,2}}\s+\w+(?:\s+\d{{4}})?)?{_DASH}"),
]


def _dateline(paragraph: str) -> tuple[str, str | None] | None:
    """(dateline text, publisher tag or None) when ``paragraph`` opens with a dateline."""
    for pattern in _DATELINES:
        match = pattern.match(paragraph)
        if match:
            tag = match.groupdict().get("tag")
            return match.group(), (tag.strip() if tag else None)
    return None


# --------------------------------------------------------------------------- boilerplate

_BOILERPLATE_RE = re.compile(
    r"""^(?:
        komentar(?:\s*\(\s*\d+\s*\))?
      | \d+\s+komentar
      | (?:tulis|kirim|lihat|tampilkan|beri)\s+komentar\b.{0,30}
      | yang\s+lain(?:nya)?
      | (?:berita|artikel|topik|video)\s+(?:terkait|lainnya|terpopuler|pilihan)\b.{0,30}
      | (?:baca|simak|lihat|tonton)\s+(?:juga|pula)\b.*
      | (?:baca\s+)?selengkapnya\b.{0,40}
      | (?:bagikan|share)(?:\s+(?:artikel|berita|ini|this|on|ke)\b.{0,60}|\s*:.{0,80})?
      | (?:(?:facebook|twitter|whatsapp|telegram|line|linkedin|pinterest|e-?mail|x|copy\s+link
            |salin\s+(?:tautan|link)|tweet)(?:\s*[|,/·•]\s*|\s+|(?=[.:]?$))){1,12}
      | advertisement | iklan
      | (?:scroll|gulir)\s+(?:to\s+(?:continue|resume)|untuk\s+melanjutkan)\b.{0,40}
      | [-*_=~·•]{3,}
    )[.:]?$""",
    re.IGNORECASE | re.VERBOSE,
)
# "<image alt text> - ảnh 1<caption>": VOV prints the article title as the alt text.
_IMAGE_MARKER_RE = re.compile(r"^.{0,300}?\s[-–]\s*(?:ảnh|image|photo|gambar)\s*\d+(?!\d)\s*", re.IGNORECASE)
_SUMBER_RE = re.compile(r"^(?:sumber|source)\s*:\s*(?P<url>(?:https?://|www\.)\S+)\s*$", re.IGNORECASE)
_MD_IMAGE_RE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK_RE = re.compile(r"\[([^\]]+)\]\((?:https?://|/|www\.)[^)\s]*\)")
_MD_HEADING_RE = re.compile(r"^#{1,6}\s+(.*?)\s*#*$")

# --------------------------------------------------------------------------- captions

_CREDIT_PAREN_RE = re.compile(
    r"\s*\((?:\s*[A-Z]+)?\s*(?:(?:foto|photo|gambar|ilustrasi)\s*[:/]|dok(?:umentasi)?\s*[.:/])[^()]*\)\s*",
    re.IGNORECASE,
)
# Without parentheses only a capitalised "Foto:" counts: prose says "foto".
_CREDIT_TAIL_RE = re.compile(r"(?:^|(?<=[.!?])|\s[-–|]?)\s*(?:Foto|FOTO|Photo)\s*:\s*[^.:]{1,80}\.?\s*$")
_CREDIT_HEAD_RE = re.compile(r"^(?:Foto|FOTO|Photo)\s*:\s*")


def _caption(line: str) -> str | None:
    """The caption text when ``line`` is a photo caption, else None."""
    if _CREDIT_PAREN_RE.search(line):
        text = _CREDIT_PAREN_RE.sub(" ", line)
    elif _CREDIT_HEAD_RE.match(line):
        text = _CREDIT_HEAD_RE.sub("", line)
    elif _CREDIT_TAIL_RE.search(line):
        text = _CREDIT_TAIL_RE.sub("", line)
    else:
        return None
    text = collapse_spaces(text)
    # "(Foto: X)." leaves " ." behind.
    return re.sub(r"\s+([.,;:!?])", r"\1", text).strip(" -–|")


# --------------------------------------------------------------------------- articles


def _looks_like_title(paragraph: str) -> bool:
    if len(paragraph) > 150 or len(paragraph.split()) > 25:
        return False
    first = next((c for c in paragraph if c.isalnum()), "")
    if not (first.isupper() or first.isdigit()):
        return False
    if paragraph[-1] in ".,;:" and not paragraph.endswith("..."):
        return False
    # Headlines may have "!" or "?" mid-way ("Siap! Tapi ..."); a full stop followed by
    # another sentence means a lead paragraph.
    if _dateline(paragraph) is not None or _sentence_end(paragraph, ".") is not None:
        return False
    return True


def lead_title(paragraph: str) -> str:
    """A title made from the lead sentence of ``paragraph``, its dateline left out."""
    dateline = _dateline(paragraph)
    if dateline is not None:
        paragraph = paragraph[len(dateline[0]) :]
    end = _sentence_end(paragraph)
    sentence = paragraph[:end] if end is not None else paragraph
    sentence = sentence.strip()
    if len(sentence) <= 100:
        return sentence.rstrip(".").rstrip()
    return _shorten(sentence, 100)


def _paragraphs(lines: list[str]) -> list[str]:
    """Join lines into paragraphs: a blank line ends one; so does every line break
    except a hard wrap (a line without final punctuation followed by a lowercase word)."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if current and line and current[-1][-1] not in ".!?:;\"”’)…" and line[0].islower():
            current.append(line)
            continue
        if current:
            paragraphs.append(" ".join(current))
        current = [line] if line else []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def parse_article(
    text: str, *, id: str | None = None, path: str | None = None, source: str | None = None
) -> Document:
    """Parse one plain-text news article into a :class:`Document`.

    The text may be plain or light Markdown (``#`` headings, links). Boilerplate
    lines (``Komentar (0)``, ``Yang lain``, ``Baca juga: ...``, share prompts,
    image markers such as VOV's ``<title> - ảnh 1``) are dropped; a ``Sumber: URL``
    line becomes ``url``; photo captions go to ``captions``; quotations (also left
    in the body) go to ``quotes``. See the module docstring for the title rule.

    ``source`` defaults to the host of the ``Sumber:`` URL (without ``www.``), else
    to a dateline tag such as ``(VOVWORLD) -`` or ``Jakarta (ANTARA) -``. ``id``
    defaults to the stem of ``path``, else to :func:`content_id`.

    Raises :class:`DocumentError` when nothing but boilerplate is left.
    """
    url: str | None = None
    captions: list[str] = []
    lines: list[str] = []
    markdown_title: str | None = None
    for raw in clean_text(text).split("\n"):
        line = collapse_spaces(raw)
        if not line:
            lines.append("")
            continue
        heading = _MD_HEADING_RE.match(line)
        if heading:
            line = heading.group(1)
        line = _MD_LINK_RE.sub(r"\1", _MD_IMAGE_RE.sub("", line)).lstrip("> ").strip()
        marker = _IMAGE_MARKER_RE.match(line)
        if marker:
            line = line[marker.end() :].strip()
        if not line or _BOILERPLATE_RE.match(line):
            lines.append("")
            continue
        sumber = _SUMBER_RE.match(line)
        if sumber:
            url = url or sumber.group("url")
            lines.append("")
            continue
        caption = _caption(line)
        if caption is not None:
            if caption:
                captions.append(caption)
            lines.append("")
            continue
        if heading and markdown_title is None and not any(lines):
            markdown_title = line
        lines.append(line)
    paragraphs = _paragraphs(lines)
    if not paragraphs and not captions:
        raise DocumentError(f"{path or id or 'article'}: no article text (empty or only boilerplate)")

    title, derived = "", True
    if paragraphs and (paragraphs[0] == markdown_title or _looks_like_title(paragraphs[0])):
        title, derived = paragraphs.pop(0), False
        # Some scrapes repeat the headline as the first line of the story.
        while paragraphs and paragraphs[0].casefold() == title.casefold():
            paragraphs.pop(0)
    elif paragraphs:
        title = lead_title(paragraphs[0])
    else:
        title = _shorten(captions[0])

    if source is None:
        if url:
            host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
            source = host.removeprefix("www.") or None
        elif paragraphs:
            dateline = _dateline(paragraphs[0])
            source = dateline[1] if dateline else None

    body = "\n\n".join(paragraphs)
    if id is None:
        id = path_stem(path) if path else content_id(title, body)
    return Document(
        id=id,
        title=title,
        title_is_derived=derived,
        body=body,
        quotes=extract_quotes(paragraphs),
        captions=tuple(captions),
        source=source,
        url=url,
        path=path,
    )


def path_stem(path: str | os.PathLike[str]) -> str:
    """A file's name without its format suffix ("arsip.jsonl.gz" -> "arsip")."""
    name = Path(path).name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    stem = Path(name).stem
    return stem or name

