"""Quotations and their speakers: :func:`extract_quotes`.

Decisions worth knowing (each is tested in ``tests/test_ingest_quotes.py``):

* A quotation is text inside “…”, "…", ‘…’ or «…» with at least four words;
  shorter quoted phrases are terms or scare quotes, not speech.
* **Speakers** are the capitalised name phrase next to a speech verb (``kata X``,
  ``ujar X``, ``X menegaskan:`` ...). Leading titles and ranks from a fixed list
  (``Menlu``, ``Presiden``, ``Menteri Luar Negeri``, ``Kapolri``, ``Dr.`` ...) and
  organisation acronyms right after such a title (``Ketua KPK``) are stripped,
  so "Menlu Bui Thanh Son" and "Bui Thanh Son" are the same speaker; a phrase
  that is only a title (``Presiden``) is kept as it is. Pronouns (``katanya``,
  ``kata dia``) give no speaker.
"""

from __future__ import annotations

import re
from typing import Iterable, NamedTuple

from ..documents import Quote

__all__ = ["extract_quotes"]

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

