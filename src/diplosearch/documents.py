"""Documents: what is indexed, and how raw news text becomes one.

Three entry points turn input into :class:`Document` objects:

* :func:`parse_article` parses one plain-text (or light Markdown) news article:
  title, body without boilerplate, quotations with speakers, photo captions,
  source URL and publisher.
* :func:`document_from_record` maps one JSON object (a JSON Lines record) onto
  a document, checking the type of every field it uses.
* :func:`read_documents` walks files and folders and yields documents, or an
  :class:`InputProblem` for every input it has to skip; it never raises for a
  bad file, so one broken file cannot stop a batch.

Decisions worth knowing (each is tested in ``tests/test_documents.py``):

* **Title.** The first paragraph is the title when it is a Markdown heading, or
  when it looks like a headline: at most 150 characters and 25 words, starting
  with a capital or digit, not ending in ``.``, ``,``, ``;`` or ``:``, not two
  sentences, and not a dateline (``JAKARTA, KOMPAS.com - ...``). Otherwise the
  title is the lead sentence, cut at a word boundary to about 100 characters
  with ``…``; the lead sentence then stays in the body.
* **Captions** (lines with ``(Foto: ...)``, ``(Foto/...)``, ``(ANTARA FOTO/...)``,
  ``Foto: ...``) are moved out of the body into ``captions``, without the photo
  credit: they describe a picture, not the story, and are indexed in their own
  field.
* **Speakers** are the capitalised name phrase next to a speech verb (``kata X``,
  ``ujar X``, ``X menegaskan:`` ...). Leading titles and ranks from a fixed list
  (``Menlu``, ``Presiden``, ``Menteri Luar Negeri``, ``Kapolri``, ``Dr.`` ...) and
  organisation acronyms right after such a title (``Ketua KPK``) are stripped,
  so "Menlu Bui Thanh Son" and "Bui Thanh Son" are the same speaker; a phrase
  that is only a title (``Presiden``) is kept as it is. Pronouns (``katanya``,
  ``kata dia``) give no speaker.
* **Dates** keep the wall-clock time as written and drop any time zone: feeds mix
  zoned and zone-less dates, and converting only some of them would misorder
  them worse than converting none.
* **Decoding** tries UTF-8 (BOM stripped), UTF-16/32 when a BOM says so, then
  CP1252 and finally Latin-1, so legacy Windows text is decoded rather than lost.
  A UTF-8 file whose only fault is a multi-byte character cut off at the very end
  is decoded with a single U+FFFD in place of the broken tail and *not* reported:
  everything the file held is indexed, and a report would read as "skipped".
"""

from __future__ import annotations

import codecs
import datetime as _dt
import hashlib
import json
import os
import re
import stat
import zlib
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal, Mapping, NamedTuple
from urllib.parse import urlsplit

import attrs

from .analysis.normalize import LONE_SURROGATE, clean_text, one_line
from .errors import DocumentError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LINE_BYTES",
    "Document",
    "InputProblem",
    "Quote",
    "content_id",
    "document_from_record",
    "extract_quotes",
    "parse_article",
    "parse_date",
    "read_documents",
]

#: Largest plain-text or JSON file (after decompression) read as one document.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Largest single line of a JSON Lines file.
MAX_LINE_BYTES = 50 * 1024 * 1024

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
_DATE_PATTERNS = [
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _TIME_RE, re.IGNORECASE),
    re.compile(r"\b(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})\b" + _TIME_RE, re.IGNORECASE),
    re.compile(
        rf"\b(?P<d>\d{{1,2}})[\s/.-]*(?P<mon>{_MONTH_RE})\.?[\s/.,-]*(?P<y>\d{{4}}|\d{{2}})\b" + _TIME_RE,
        re.IGNORECASE,
    ),
    re.compile(rf"\b(?P<mon>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}})\b" + _TIME_RE, re.IGNORECASE),
]
# Dates are searched for, not matched whole ("Senin, 17 Desember 2023 | 10:30 WIB"),
# so a long string is an article rather than a date and is not searched.
_MAX_DATE_TEXT = 80


def _to_datetime(value: object) -> _dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value
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
    for pattern in _DATE_PATTERNS:
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
    """A quotation in a document, with its speaker when the text names one."""

    text: str
    speaker: str | None = None


def _to_quotes(values: object) -> tuple[Quote, ...]:
    return tuple(v if isinstance(v, Quote) else Quote(str(v)) for v in (values or ()))  # type: ignore[union-attr]


@attrs.frozen
class Document:
    """One news article.

    ``id`` identifies the document in its index: adding a document with an id that is
    already there replaces it. ``body`` is the article text; ``quotes`` and ``captions``
    are passages of it that are also indexed in their own, more heavily weighted fields.
    """

    id: str = attrs.field(converter=str)
    title: str = ""
    body: str = ""
    quotes: tuple[Quote, ...] = attrs.field(default=(), converter=_to_quotes)
    captions: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    source: str | None = None
    url: str | None = None
    published: _dt.datetime | None = attrs.field(default=None, converter=_to_datetime)
    path: str | None = None


@attrs.frozen
class InputProblem:
    """An input that was skipped (or partly skipped) by :func:`read_documents`.

    ``line`` is the 1-based line of a JSON Lines file the problem is at, or None
    when it concerns the whole file. ``str()`` gives ``path:line: message`` (or
    ``path: message``) on one line, ready to print.
    """

    path: str = attrs.field(converter=str)
    line: int | None
    message: str = attrs.field(converter=one_line)

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
        raise DocumentError(f"document id {doc.id!r} contains a lone surrogate, which no index term can hold")
    texts = {"title": doc.title, "body": doc.body, "source": doc.source, "url": doc.url, "path": doc.path}
    for name, value in texts.items():
        if value is not None and not isinstance(value, str):
            raise DocumentError(f"document {doc.id!r}: {name} must be text, not {type(value).__name__}")
    for item in (*(q.text for q in doc.quotes), *(q.speaker for q in doc.quotes), *doc.captions):
        if item is not None and not isinstance(item, str):
            raise DocumentError(f"document {doc.id!r}: quotes and captions must be text, not {type(item).__name__}")
    if not (doc.title.strip() or doc.body.strip()):
        raise DocumentError(f"document {doc.id!r} has neither a title nor a body")


def content_id(title: str, body: str) -> str:
    """A stable id for a document that has none: the first 16 hex digits of sha1(title, body)."""
    return hashlib.sha1(f"{title}\n{body}".encode("utf-8", "surrogatepass")).hexdigest()[:16]


# --------------------------------------------------------------------------- text helpers

_SPACES_RE = re.compile(r"[ \t\f\v]+")
_SENTENCE_END_RE = re.compile(r"[.!?…]+[\"”’)\]]*(?=\s+[\"“‘(\[]?[^\W_])")
# Words ending in "." that do not end a sentence ("Dr. Zulmi", "Jl. Sudirman", "M. Hendra").
_ABBREVIATIONS = frozenset(
    "dr prof ir h hj drs dra st jl jln no nomor tel telp hlm kab kec kel prov dkk dll dsb dst tbk "
    "sdr ny tn bpk a.n u.p s.h m.si m.h m.m s.e s.pd s.sos ph.d mr mrs ms vs".split()
)


def _collapse_spaces(text: str) -> str:
    return _SPACES_RE.sub(" ", text).strip()


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


def _shorten(text: str, limit: int = 100) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    text = _collapse_spaces(text)
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
    text = _collapse_spaces(text)
    # "(Foto: X)." leaves " ." behind.
    return re.sub(r"\s+([.,;:!?])", r"\1", text).strip(" -–|")


# --------------------------------------------------------------------------- speakers

_AFTER_VERBS = (
    "kata|ujar|ucap|tutur|jelas|tegas|ungkap|imbuh|tambah|terang|papar|sebut|lanjut|tandas|pungkas|seru|timpal"
)
_AFTER_RE = re.compile(rf"^\s*[,.]?\s*(?:{_AFTER_VERBS})(?P<nya>nya)?(?=\s|$|[,.])", re.IGNORECASE)
_SPEECH_VERBS = frozenset(
    "menegaskan mengatakan menyatakan mengungkapkan menjelaskan menambahkan menekankan berkata menuturkan "
    "menyampaikan berujar bertanya menanyakan memaparkan mengingatkan berpesan mengimbau bilang "
    "menyebutkan menandaskan".split()
)
_BEFORE_RE = re.compile(
    rf"\b(?P<verb>{'|'.join(sorted(_SPEECH_VERBS))})(?:\s+bahwa)?\s*(?P<punct>[:,])?\s*$", re.IGNORECASE
)
# How much text around a quote is searched for its speaker. Bounded windows keep
# a paragraph with thousands of quote marks linear rather than quadratic.
_BEFORE_WINDOW = 300
_AFTER_WINDOW = 200
_MENURUT_RE = re.compile(r"(?:^|\s)(?:[Mm]enurut|kata-kata|ucapan|pesan)\s+(?P<name>[^,]{2,80}?)\s*,?\s*$")
_ADVERBS = frozenset("juga pun lalu kemudian pula kembali sempat telah sudah pernah lantas pun secara tegas".split())
_PARTICLES = frozenset("bin binti van der den de da al el von di la le".split()) - {"di"}
_PRONOUNS = frozenset("ia dia beliau mereka kami kita saya aku anda engkau kamu nya".split())
# Capitalised words that start sentences rather than names.
_NOT_NAMES = frozenset(
    """namun tetapi tapi sementara selain kemudian lalu menurut dalam di pada saat ketika sedangkan bahkan
    adapun dan atau sebelumnya selanjutnya kini hal itu ini sebab karena meski meskipun walau walaupun
    sehingga maka oleh untuk dengan dari ke juga pun ya tidak bukan sudah akan sejak setelah usai jika
    kalau apabila bila agar supaya mengingat melalui berdasarkan terkait soal tentang seperti""".split()
)
_TITLES_TEXT = """
presiden | wakil presiden | wapres | perdana menteri | wakil perdana menteri | pm | menteri | wakil menteri |
wamen | menlu | menhan | mendagri | menkeu | menko | menkes | mendag | menag | mensos | sekjen |
sekretaris jenderal | sekretaris | gubernur | wakil gubernur | wagub | bupati | wakil bupati | wali kota |
walikota | wakil wali kota | ketua | wakil ketua | ketua umum | ketum | kepala | direktur | direktur utama |
dirut | kapolri | wakapolri | kapolda | kapolres | kapolsek | kasubag | kabag | kabid | kasat | kadis |
jubir | juru bicara | duta besar | dubes | raja | ratu | pangeran | senator | anggota | panglima | jenderal |
letjen | mayjen | brigjen | irjen | kombes | akbp | akp | ipda | iptu | aiptu | bripka | kapten | kolonel |
mayor | letkol | laksamana | marsekal | prof | prof. | dr | dr. | drs | drs. | ir | ir. | h | h. | hj | hj. |
kh | pak | bu | ibu | bapak | bang | mbak | mas | tuan | nyonya | sdr | sdr. | saudara | pdt | ustaz | ustadz |
habib | kiai | romo | paus | sultan | plt | plh | mr | mr. | mrs | mrs. | ms | ms. |
menteri luar negeri | menteri dalam negeri | menteri pertahanan | menteri keuangan | menteri perdagangan |
menteri kesehatan | menteri agama | menteri sosial | menteri pertanian | menteri perhubungan |
wakil menteri luar negeri | kementerian luar negeri
"""
_TITLES = frozenset(t.strip() for t in _TITLES_TEXT.split("|") if t.strip())
_MAX_TITLE_WORDS = max(len(t.split()) for t in _TITLES)


# Scrapes drop the space after punctuation ("kata Widyaka.,Widyaka mengatakan").
_GLUED_PUNCT_RE = re.compile(r"([,;:!?]|\.(?=[,;:]))(?=[^\s,;:!?.])")


def _tokens(text: str) -> list[str]:
    return _GLUED_PUNCT_RE.sub(r"\1 ", text).split()


def _is_name_word(word: str) -> bool:
    return bool(word) and word[0].isupper() and all(c.isalpha() or c in "'’-." for c in word)


def _clean_speaker(words: list[str]) -> str | None:
    """The name phrase without leading titles, or None when it is not a name."""
    if not words or words[0].lower() in _PRONOUNS or words[0].lower() in _NOT_NAMES:
        return None
    rest = list(words)
    stripped_title = False
    while len(rest) > 1:
        for size in range(min(_MAX_TITLE_WORDS, len(rest) - 1), 0, -1):
            if " ".join(rest[:size]).lower() in _TITLES:
                rest = rest[size:]
                stripped_title = True
                break
        else:
            # An organisation acronym after a title ("Ketua KPK Agus Rahardjo").
            if stripped_title and len(rest) > 1 and rest[0].isupper() and len(rest[0]) > 1:
                rest = rest[1:]
                continue
            break
    return " ".join(rest).rstrip(".") or None


def _name_after(text: str) -> str | None:
    """The capitalised name phrase that opens ``text`` ("Zulmi" in " Zulmi melalui telepon")."""
    words: list[str] = []
    tokens = _tokens(text)
    for i, token in enumerate(tokens):
        if token[0] in "([\"“'‘":
            break
        core = token.rstrip(",.;:!?)]\"”’")
        tail = token[len(core) :]
        if _is_name_word(core):
            words.append(core)
            abbreviation = len(core.rstrip(".")) <= 3 or core.lower().rstrip(".") in _TITLES
            if tail and not (tail == "." and abbreviation):
                break
            continue
        if (
            core.lower() in _PARTICLES
            and not tail
            and words
            and i + 1 < len(tokens)
            and _is_name_word(tokens[i + 1].rstrip(",.;:!?"))
        ):
            words.append(core)
            continue
        break
    return _clean_speaker(words)


def _name_before(text: str) -> str | None:
    """The capitalised name phrase that ends ``text`` ("Bui Thanh Son" in "Vietnam, Bui Thanh Son")."""
    tokens = _tokens(text)
    while tokens and tokens[-1].lower() in _ADVERBS:
        tokens.pop()
    words: list[str] = []
    while tokens:
        token = tokens.pop()
        if token[-1] in ",;:!?)]\"”’" or token[0] in "([":
            break
        # "Vietnam." ends the sentence before the name; "Dr." or "M." belongs to it.
        if token[-1] == "." and len(token) > 4 and token.lower() not in _TITLES:
            break
        if _is_name_word(token) and token.lower() not in _NOT_NAMES:
            words.append(token)
            continue
        if token.lower() in _PARTICLES and words and tokens and _is_name_word(tokens[-1]):
            words.append(token)
            continue
        break
    words.reverse()
    return _clean_speaker(words)


def _speaker_after(text: str) -> str | None:
    """The speaker named right after a closing quote: ``, kata X`` or ``X menegaskan``."""
    match = _AFTER_RE.match(text)
    if match:
        return None if match.group("nya") else _name_after(text[match.end() :])
    rest = text.lstrip(" ,.")
    name = _name_after(rest)
    if name is None:
        return None
    # "X menegaskan" only counts when the verb directly follows the name phrase.
    tokens = _tokens(rest)
    for i, token in enumerate(tokens):
        if token.rstrip(",.;:").lower() in _SPEECH_VERBS:
            phrase = " ".join(tokens[:i])
            if phrase.rstrip(",") and all(_is_name_word(t) or t.lower() in _PARTICLES | _ADVERBS for t in tokens[:i]):
                return _name_before(phrase)
            return None
        if not (_is_name_word(token) or token.lower() in _PARTICLES | _ADVERBS):
            return None
    return None


def _speaker_before(text: str, *, need_colon: bool) -> str | None:
    """The speaker named right before an opening quote: ``X menegaskan:`` or ``Menurut X,``."""
    tail = text[-_BEFORE_WINDOW:]
    # The verb ends the text, so only its last few dozen characters need searching.
    match = _BEFORE_RE.search(tail, max(0, len(tail) - 40))
    if match and (match.group("punct") == ":" or not need_colon):
        return _name_before(tail[: match.start()])
    if not need_colon:
        menurut = _MENURUT_RE.search(tail, max(0, len(tail) - 120))
        if menurut:
            return _name_after(menurut.group("name"))
    return None


# --------------------------------------------------------------------------- quotes

_QUOTE_PAIRS = {"“": "”", '"': '"', "‘": "’", "«": "»", "„": "“”", "”": "”"}
# Openers that are also closers (or apostrophes) open only after a space or a
# punctuation mark, never inside a word.
_AMBIGUOUS_OPENERS = frozenset('"‘”')
_OPEN_AFTER = set(" \t\n([{—–-:;,/.")
_MIN_QUOTE_WORDS = 4
_WORD_RE = re.compile(r"[^\W_]+")


class _Span(NamedTuple):
    start: int  # index of the opening mark
    end: int  # index just past the closing mark (or the paragraph's end)
    text: str
    closed: bool


_QUOTE_MARK_RE = re.compile("[" + re.escape("".join(_QUOTE_PAIRS)) + "]")
_CLOSER_RES = {
    # An apostrophe inside a word ("Jum’at") does not close a ‘...’ quote.
    mark: re.compile("[" + re.escape(closers) + "]" + (r"(?![^\W\d_])" if mark == "‘" else ""))
    for mark, closers in _QUOTE_PAIRS.items()
}


def _quote_spans(paragraph: str) -> list[_Span]:
    spans: list[_Span] = []
    n = len(paragraph)
    # A mark with no closer after it has none after any later position either:
    # remembering that keeps a paragraph full of stray marks linear.
    unclosed: set[str] = set()
    i = 0
    while (found := _QUOTE_MARK_RE.search(paragraph, i)) is not None:
        i = found.start()
        mark = found.group()
        if (
            i + 1 >= n
            or paragraph[i + 1].isspace()
            or mark in unclosed
            or (mark in _AMBIGUOUS_OPENERS and i > 0 and paragraph[i - 1] not in _OPEN_AFTER)
        ):
            i += 1
            continue
        close = _CLOSER_RES[mark].search(paragraph, i + 1)
        if close is not None:
            spans.append(_Span(i, close.end(), paragraph[i + 1 : close.start()], True))
            i = close.end()
            continue
        if not paragraph[:i].strip():
            # An opening mark with no close at the start of a paragraph is one
            # paragraph of a quotation that continues in the next.
            spans.append(_Span(i, n, paragraph[i + 1 :], False))
            break
        unclosed.add(mark)
        i += 1
    return spans


def _quote_text(raw: str) -> str | None:
    text = raw.strip().rstrip(",;").rstrip()
    return text if len(_WORD_RE.findall(text)) >= _MIN_QUOTE_WORDS else None


def extract_quotes(paragraphs: Iterable[str] | str) -> tuple[Quote, ...]:
    """Quotations in ``paragraphs`` with their speakers, in order of appearance.

    A quotation is text inside “…”, "…", ‘…’ or «…» with at least four words
    (shorter quoted phrases are terms or scare quotes, not speech). Each quote's
    text is a substring of its paragraph (surrounding spaces and a trailing comma
    dropped). A quotation that runs over several paragraphs (each opening with a
    quote mark, only the last one closed) gives one quote per paragraph, all with
    the speaker named before the first or after the last.
    """
    if isinstance(paragraphs, str):
        paragraphs = [paragraphs]
    quotes: list[Quote] = []
    open_group: list[int] = []  # indexes into quotes of an unfinished multi-paragraph quote
    group_speaker: str | None = None
    previous = ""
    for paragraph in paragraphs:
        spans = _quote_spans(paragraph)
        starts_with_quote = bool(spans) and not paragraph[: spans[0].start].strip()
        if not starts_with_quote and open_group:
            open_group, group_speaker = [], None
        for index, span in enumerate(spans):
            text = _quote_text(span.text)
            continues_group = index == 0 and starts_with_quote and bool(open_group)
            if text is None:
                if continues_group and span.closed:
                    open_group, group_speaker = [], None
                continue
            before = paragraph[max(0, span.start - _BEFORE_WINDOW) : span.start]
            speaker: str | None = None
            if continues_group:
                speaker = group_speaker
            elif index == 0 and starts_with_quote:
                speaker = _speaker_before(previous, need_colon=True)
            else:
                speaker = _speaker_before(before, need_colon=False)
            if span.closed and speaker is None:
                speaker = _speaker_after(paragraph[span.end : span.end + _AFTER_WINDOW])
            quotes.append(Quote(text, speaker))
            if not span.closed:
                if not open_group:
                    group_speaker = speaker
                open_group.append(len(quotes) - 1)
            elif continues_group:
                for k in open_group:
                    if quotes[k].speaker is None and speaker is not None:
                        quotes[k] = Quote(quotes[k].text, speaker)
                open_group, group_speaker = [], None
        previous = paragraph
    return tuple(quotes)


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


def _lead_title(paragraph: str) -> str:
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
        line = _collapse_spaces(raw)
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

    title = ""
    if paragraphs and (paragraphs[0] == markdown_title or _looks_like_title(paragraphs[0])):
        title = paragraphs.pop(0)
        # Some scrapes repeat the headline as the first line of the story.
        while paragraphs and paragraphs[0].casefold() == title.casefold():
            paragraphs.pop(0)
    elif paragraphs:
        title = _lead_title(paragraphs[0])
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
        id = _path_stem(path) if path else content_id(title, body)
    return Document(
        id=id,
        title=title,
        body=body,
        quotes=extract_quotes(paragraphs),
        captions=tuple(captions),
        source=source,
        url=url,
        path=path,
    )


def _readable(name: str) -> str:
    """A file-system string as valid text: bytes that were not UTF-8 become ``\\xNN``.

    Python hands such names over with lone surrogates, which can be neither indexed
    nor printed; the escaped form is stable, so the same file keeps the same id.
    """
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _path_stem(path: str | os.PathLike[str]) -> str:
    """A file's name without its format suffix ("arsip.jsonl.gz" -> "arsip")."""
    name = Path(path).name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    stem = Path(name).stem
    return stem or name


# --------------------------------------------------------------------------- records

_LEADING_JUNK_RE = re.compile(r"^[\s,.;:\-–—]+")


def _record_error(origin: str, detail: str) -> DocumentError:
    error = DocumentError(f"{origin}: {detail}")
    error.detail = detail  # type: ignore[attr-defined]  # read_documents prints it after path:line
    return error


def _text_field(record: Mapping[str, Any], key: str, origin: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _record_error(origin, f"field {key!r} must be a string, not {_type_name(value)}")
    return value


def _type_name(value: object) -> str:
    return {dict: "object", list: "array", bool: "boolean", float: "number", int: "number"}.get(
        type(value), type(value).__name__
    )


def _record_quotes(value: object, origin: str) -> tuple[Quote, ...]:
    if not isinstance(value, (list, tuple)):
        raise _record_error(origin, f"field 'quotes' must be an array, not {_type_name(value)}")
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
            raise _record_error(origin, f"a quote's speaker must be a string, not {_type_name(speaker)}")
        text = _collapse_spaces(clean_text(text))
        if text:
            speaker = _collapse_spaces(clean_text(speaker)) if speaker else None
            quotes.append(Quote(text, speaker or None))
    return tuple(quotes)


def _record_captions(value: object, origin: str) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _record_error(origin, "field 'captions' must be an array of strings")
    return tuple(c for c in (_collapse_spaces(clean_text(v)) for v in value) if c)


def document_from_record(record: Mapping[str, Any], *, origin: str = "<record>") -> Document:
    """Map one JSON object onto a :class:`Document`.

    Keys used: ``id`` (string or integer), ``title``, ``content`` (else ``body``),
    ``source``, ``url``, ``published`` (else ``date``), and optionally ``quotes``
    (strings, ``{"text", "speaker"}`` objects or ``[text, speaker]`` pairs) and
    ``captions`` (strings); other keys are ignored. All text goes through
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
        raise _record_error(origin, f"a record must be a JSON object, not {_type_name(record)}")
    raw_id = record.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int, type(None))):
        raise _record_error(origin, f"field 'id' must be a string or an integer, not {_type_name(raw_id)}")
    title = _collapse_spaces(clean_text(_text_field(record, "title", origin) or ""))
    content = _text_field(record, "content", origin)
    if not (content and content.strip()):
        content = _text_field(record, "body", origin)
    body = _LEADING_JUNK_RE.sub("", clean_text(content or "")).strip()
    body = "\n".join(_collapse_spaces(line) for line in body.split("\n"))
    source = _collapse_spaces(clean_text(_text_field(record, "source", origin) or "")) or None
    url = _collapse_spaces(clean_text(_text_field(record, "url", origin) or "")) or None
    if not title and not body:
        raise _record_error(origin, "record has neither a title nor a body ('content')")
    if not title:
        title = _lead_title(body.split("\n", 1)[0])

    published = None
    for key in ("published", "date"):
        value = record.get(key)
        if isinstance(value, _dt.datetime):
            published = value
        elif isinstance(value, _dt.date):
            published = _dt.datetime(value.year, value.month, value.day)
        elif isinstance(value, str):
            # An unparseable date costs the date, never the document.
            published = parse_date(value)
        if published is not None:
            break

    if record.get("quotes") is not None:
        quotes = _record_quotes(record["quotes"], origin)
    else:
        quotes = extract_quotes([p for p in body.split("\n") if p.strip()])
    captions = _record_captions(record["captions"], origin) if record.get("captions") is not None else ()

    doc_id = _collapse_spaces(clean_text(str(raw_id))) if raw_id is not None else ""
    return Document(
        id=doc_id or content_id(title, body),
        title=title,
        body=body,
        quotes=quotes,
        captions=captions,
        source=source,
        url=url,
        published=published,
    )


# --------------------------------------------------------------------------- files

_TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
# Formats that would decode as "text" but are not articles, or cannot be text.
_UNSUPPORTED_SUFFIXES = frozenset(
    """.pdf .doc .docx .odt .rtf .xls .xlsx .ods .ppt .pptx .zip .tar .tgz .bz2 .xz .7z .rar .png .jpg
    .jpeg .gif .webp .bmp .tif .tiff .svg .ico .mp3 .mp4 .wav .ogg .avi .mov .mkv .exe .dll .so .dylib
    .pyc .class .jar .html .htm .xhtml .xml .epub .sqlite .db""".split()
)
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_CONTROL_BYTES = bytes(set(range(32)) - {9, 10, 12, 13} | {127})


class _StreamError(Exception):
    """A compressed stream ended early or is corrupt."""


class _TooLarge(Exception):
    pass


_Kind = Literal["text", "jsonl", "json", "unsupported"]


def _kind(path: Path) -> _Kind:
    """The format a file's name announces (gzip itself is recognised by content)."""
    name = path.name.lower()
    gz = name.endswith(".gz")
    suffix = Path(name[:-3] if gz else name).suffix
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix == ".json":
        return "json"
    if suffix in _TEXT_SUFFIXES or (gz and not suffix):
        return "text"
    if gz or suffix in _UNSUPPORTED_SUFFIXES:
        return "unsupported"
    return "text"


def _raw_chunks(handle: Any, first: bytes) -> Iterator[bytes]:
    if first:
        yield first
    while chunk := handle.read(_CHUNK):
        yield chunk


def _gunzip(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Decompress gzip data chunk by chunk, keeping everything before a break.

    ``gzip.GzipFile`` would drop the data decoded in the same read as a truncation
    and cannot tell how far it got; here every decompressed byte is handed on
    before :class:`_StreamError` reports the break. Output per step is bounded,
    so a small "zip bomb" cannot exhaust memory before the size caps apply.
    """
    decompressor = zlib.decompressobj(wbits=31)
    for raw in chunks:
        while raw:
            try:
                out = decompressor.decompress(raw, _CHUNK)
            except zlib.error as exc:
                raise _StreamError(f"corrupt gzip data ({exc})") from None
            if out:
                yield out
            raw = decompressor.unconsumed_tail
            if decompressor.eof:
                raw = decompressor.unused_data
                if raw.startswith(_GZIP_MAGIC):  # concatenated members, as `cat a.gz b.gz` makes
                    decompressor = zlib.decompressobj(wbits=31)
                else:
                    raw = b""  # trailing padding, which gzip(1) ignores too
                    break
            elif not decompressor.unconsumed_tail:
                break
    while not decompressor.eof:
        try:
            out = decompressor.decompress(b"", _CHUNK)
        except zlib.error as exc:  # pragma: no cover - zlib reports corruption while fed
            raise _StreamError(f"corrupt gzip data ({exc})") from None
        if out:
            yield out
            continue
        raise _StreamError("gzip stream is truncated (the file ends before the compressed data does)")


def _open_chunks(path: Path) -> tuple[Any, Iterator[bytes]]:
    """An open handle on ``path`` and its content as chunks, gunzipped when the first
    bytes say gzip, whatever the name says (a ".gz" that is plain text is read as such)."""
    handle = open(path, "rb")  # noqa: SIM115 - closed by the caller
    first = handle.read(_CHUNK)
    chunks = _raw_chunks(handle, first)
    if first.startswith(_GZIP_MAGIC):
        chunks = _gunzip(chunks)
    return handle, chunks


def _decode(data: bytes) -> str:
    """Decode file bytes: BOM, else UTF-8, else CP1252, else Latin-1 (see the module docstring)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.end == len(data):
            return data[: exc.start].decode("utf-8") + "\ufffd"
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _binary_reason(data: bytes) -> str | None:
    if any(data.startswith(bom) for bom, codec in _BOMS if codec != "utf-8"):
        return None  # UTF-16/32 text is full of NUL bytes
    if b"\x00" in data:
        return "binary file (contains NUL bytes)"
    sample = data[:65536]
    controls = sum(sample.count(b) for b in _CONTROL_BYTES)
    if controls > len(sample) * 0.02:
        return "binary file (mostly non-text bytes)"
    return None


def _read_capped(chunks: Iterator[bytes]) -> bytes:
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise _TooLarge
        parts.append(chunk)
    return b"".join(parts)


def _too_large_message() -> str:
    return f"file is larger than the {MAX_FILE_BYTES // (1024 * 1024)} MB limit for one document; skipped"


def _read_whole_file(path: Path, shown: str) -> bytes | InputProblem:
    """A file's bytes (decompressed if gzip), or the problem that stopped the read."""
    handle, chunks = _open_chunks(path)
    with handle:
        try:
            return _read_capped(chunks)
        except _TooLarge:
            return InputProblem(shown, None, _too_large_message())
        except _StreamError as exc:
            return InputProblem(shown, None, f"{exc}; skipped")


def _read_text_file(path: Path, shown: str, doc_id: str) -> Iterator[Document | InputProblem]:
    data = _read_whole_file(path, shown)
    if isinstance(data, InputProblem):
        yield data
        return
    if not data.strip():
        yield InputProblem(shown, None, "empty file")
        return
    reason = _binary_reason(data)
    if reason:
        yield InputProblem(shown, None, f"{reason}; skipped")
        return
    try:
        yield parse_article(_decode(data), id=doc_id, path=shown)
    except DocumentError:
        yield InputProblem(shown, None, "no article text (only boilerplate); skipped")


class _Line(NamedTuple):
    number: int
    data: bytes | None  # None: the line was over the size cap and was not kept
    size: int
    complete: bool  # False: the stream broke inside this line


def _lines(chunks: Iterator[bytes], broken: list[str]) -> Iterator[_Line]:
    """Split a byte stream into lines of at most MAX_LINE_BYTES; a stream error
    ends the lines and is put into ``broken``."""
    buffer = bytearray()
    overflow = 0  # bytes of an over-long line seen so far, not kept
    number = 0
    try:
        for chunk in chunks:
            start = 0
            while True:
                newline = chunk.find(b"\n", start)
                piece = chunk[start:] if newline < 0 else chunk[start:newline]
                if overflow or len(buffer) + len(piece) > MAX_LINE_BYTES:
                    overflow += len(buffer) + len(piece)
                    buffer.clear()
                else:
                    buffer += piece
                if newline < 0:
                    break
                number += 1
                yield _Line(number, None if overflow else bytes(buffer), overflow or len(buffer), True)
                buffer.clear()
                overflow = 0
                start = newline + 1
    except _StreamError as exc:
        broken.append(str(exc))
    if buffer or overflow or broken:
        number += 1
        yield _Line(number, None if overflow else bytes(buffer), overflow or len(buffer), not broken)


def _decode_line(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _record_problem(shown: str, line: int | None, exc: DocumentError) -> InputProblem:
    return InputProblem(shown, line, f"{getattr(exc, 'detail', exc)}; record skipped")


def _from_record(
    record: object, shown: str, line: int | None, default_id: str
) -> Document | InputProblem:
    origin = shown if line is None else f"{shown}:{line}"
    if isinstance(record, Mapping) and (record.get("id") is None or record.get("id") == ""):
        record = {**record, "id": default_id}
    try:
        doc = document_from_record(record, origin=origin)  # type: ignore[arg-type]
    except DocumentError as exc:
        return _record_problem(shown, line, exc)
    return attrs.evolve(doc, path=shown)


def _read_jsonl(path: Path, shown: str, stem: str) -> Iterator[Document | InputProblem]:
    handle, chunks = _open_chunks(path)
    with handle:
        broken: list[str] = []
        nonblank = 0
        last = 0
        for line in _lines(_utf8_chunks(chunks), broken):
            last = line.number
            if line.data is None:
                yield InputProblem(
                    shown, line.number, f"line is {line.size} bytes, over the {MAX_LINE_BYTES} byte limit; skipped"
                )
                continue
            text = _decode_line(line.data).lstrip("\ufeff").strip()
            if not text:
                continue
            nonblank += 1
            try:
                record = json.loads(text)
            except (ValueError, RecursionError) as exc:
                if not line.complete:
                    yield InputProblem(shown, line.number, f"{broken[0]}; this last, cut-off record is lost")
                    broken.clear()
                else:
                    yield InputProblem(shown, line.number, f"not valid JSON ({_json_error(exc)}); skipped")
                continue
            if not isinstance(record, dict):
                message = f"a record must be a JSON object, not {_type_name(record)}; skipped"
                yield InputProblem(shown, line.number, message)
                continue
            yield _from_record(record, shown, line.number, f"{stem}:{line.number}")
        if broken:
            yield InputProblem(shown, last or None, f"{broken[0]}; the records before this line were read")
        elif nonblank == 0:
            yield InputProblem(shown, None, "empty file (no JSON records)")


def _json_error(exc: Exception) -> str:
    return exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__


def _utf8_chunks(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks`` re-encoded to UTF-8 when a UTF-16/32 BOM opens them, so that lines
    can be split on b"\\n"; other data passes through untouched."""
    first = next(chunks, b"")
    codec = next((c for bom, c in _BOMS if first.startswith(bom) and c != "utf-8"), None)
    if codec is None:
        yield first
        yield from chunks
        return
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    yield decoder.decode(first).lstrip("\ufeff").encode("utf-8")
    for chunk in chunks:
        yield decoder.decode(chunk).encode("utf-8")
    yield decoder.decode(b"", final=True).encode("utf-8")


def _read_json(path: Path, shown: str, stem: str) -> Iterator[Document | InputProblem]:
    data = _read_whole_file(path, shown)
    if isinstance(data, InputProblem):
        yield data
        return
    text = _decode(data).lstrip("\ufeff")
    if not text.strip():
        yield InputProblem(shown, None, "empty file")
        return
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # JSON Lines under a .json name
            yield from _read_jsonl(path, shown, stem)
        else:
            yield InputProblem(shown, exc.lineno, f"not valid JSON ({exc.msg}); skipped")
        return
    except RecursionError:
        yield InputProblem(shown, None, "JSON nested too deeply; skipped")
        return
    if isinstance(value, dict):
        yield _from_record(value, shown, None, stem)
    elif isinstance(value, list):
        for number, item in enumerate(value, 1):
            if isinstance(item, dict):
                doc = _from_record(item, shown, None, f"{stem}:{number}")
                if isinstance(doc, InputProblem):
                    doc = attrs.evolve(doc, message=f"item {number}: {doc.message}")
                yield doc
            else:
                message = f"item {number}: a record must be a JSON object, not {_type_name(item)}"
                yield InputProblem(shown, None, message)
    else:
        yield InputProblem(shown, None, f"expected a JSON object or an array of objects, not {_type_name(value)}")


def _read_file(path: Path, shown: str, doc_id: str) -> Iterator[Document | InputProblem]:
    kind = _kind(path)
    try:
        if kind == "unsupported":
            yield InputProblem(shown, None, f"unsupported file type {path.suffix!r}; convert it to text first")
        elif kind == "jsonl":
            yield from _read_jsonl(path, shown, doc_id)
        elif kind == "json":
            yield from _read_json(path, shown, doc_id)
        else:
            yield from _read_text_file(path, shown, doc_id)
    except PermissionError:
        yield InputProblem(shown, None, "permission denied")
    except OSError as exc:
        yield InputProblem(shown, None, f"cannot read: {exc.strerror or exc}")


def _walk(folder: Path) -> Iterator[Path | tuple[Path, str]]:
    """Files under ``folder`` in sorted order, skipping hidden names and symlinked
    folders (which could loop); an unreadable folder yields (folder, reason)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield folder, f"cannot list folder: {exc.strerror or exc}"
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(Path(entry.path))
            elif entry.is_symlink() and entry.is_dir():
                yield Path(entry.path), "link to a folder, not followed (it could loop)"
            else:
                yield Path(entry.path)
        except OSError as exc:
            yield Path(entry.path), f"cannot read: {exc.strerror or exc}"


def read_documents(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Document | InputProblem]:
    """Read articles from files and folders; yield a Document or an InputProblem for each.

    A path may be a plain-text article (``.txt``, ``.md``, or any file with no
    known binary or markup suffix that turns out to be text), a JSON Lines file
    (``.jsonl``, ``.ndjson``, optionally ``.gz``), a ``.json`` file (an object or
    an array of objects), or a folder, read recursively in sorted order with
    hidden files and folders skipped.

    Ids: a file given directly gets its stem (``artikel.txt`` -> ``artikel``); a
    file found in a folder gets its path relative to that folder, without suffix
    and with ``/`` separators (``2023/des/artikel``), so ids do not depend on
    where the folder is. A JSON record without an id gets ``<that id>:<line>``.

    Never raises for bad input: a missing path, an unreadable, binary, empty,
    oversized (:data:`MAX_FILE_BYTES`, :data:`MAX_LINE_BYTES`) or undecodable
    file, a JSON line that is not an object, a record with wrongly typed fields,
    a truncated or corrupt gzip stream (the records before the break are kept)
    each become an :class:`InputProblem` and reading goes on.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for given in paths:
        path = Path(given)
        shown = os.fspath(given)
        try:
            info = path.stat()
        except FileNotFoundError:
            yield InputProblem(shown, None, "no such file or folder")
            continue
        except OSError as exc:
            yield InputProblem(shown, None, f"cannot read: {exc.strerror or exc}")
            continue
        if stat.S_ISDIR(info.st_mode):
            for found in _walk(path):
                if isinstance(found, tuple):
                    yield InputProblem(str(found[0]), None, found[1])
                    continue
                relative = found.relative_to(path)
                doc_id = "/".join([*relative.parent.parts, _path_stem(relative)])
                yield from _read_one(found, _readable(str(found)), _readable(doc_id))
        else:
            yield from _read_one(path, _readable(shown), _readable(_path_stem(path)))


def _read_one(path: Path, shown: str, doc_id: str) -> Iterator[Document | InputProblem]:
    try:
        info = path.stat()
    except OSError as exc:
        yield InputProblem(shown, None, f"cannot read: {exc.strerror or exc}")
        return
    if not stat.S_ISREG(info.st_mode):
        # Reading a FIFO or a device could block forever or never end.
        yield InputProblem(shown, None, "not a regular file; skipped")
        return
    if info.st_size == 0:
        yield InputProblem(shown, None, "empty file")
        return
    if info.st_size > MAX_FILE_BYTES and _kind(path) != "jsonl":
        yield InputProblem(shown, None, _too_large_message())
        return
    yield from _read_file(path, shown, doc_id)
