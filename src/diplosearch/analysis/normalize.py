"""Unicode clean-up shared by documents, queries and the analyzer.

Scraped Indonesian news carries curly quotes, no-break spaces, control characters
and "mojibake" (UTF-8 bytes decoded as CP1252 or Mac Roman, e.g. ``¬†`` for a
no-break space). ``clean_text`` repairs text before it is stored; ``normalize_token``
folds one token to the form the analyzer compares.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that commonly reach news scrapes as mojibake. Their broken spellings
# are derived, not typed in, so the table stays correct for both wrong decodings.
_MOJIBAKE_SOURCES = "\u00a0\u201c\u201d\u2018\u2019\u2013\u2014\u2026\u2022\u00e9\u00e8\u00e0\u00f6\u00fc\u00b0"


def _mojibake_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for char in _MOJIBAKE_SOURCES:
        encoded = char.encode("utf-8")
        for wrong_codec in ("cp1252", "mac_roman"):
            try:
                broken = encoded.decode(wrong_codec)
            except UnicodeDecodeError:
                continue
            if broken != char:
                table[broken] = char
    # U+201D's last UTF-8 byte (0x9D) has no CP1252 character, so scrapes show
    # it with a stray C1 control or with nothing at all.
    table["\u00e2\u20ac\x9d"] = "\u201d"
    table["\u00e2\u20ac"] = "\u201d"
    return table


_MOJIBAKE = _mojibake_table()
_MOJIBAKE_RE = re.compile("|".join(sorted(map(re.escape, _MOJIBAKE), key=len, reverse=True)))
#: A lone UTF-16 surrogate (from JSON such as "\\ud800"): no index term or UTF-8 file can hold one.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# C0/C1 controls except tab and newline, lone surrogates, and the BOM: never meaningful in news text.
_JUNK_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\ud800-\udfff]")
_SPACE_RE = re.compile("[\u00a0\u2000-\u200b\u202f\u205f\u3000]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def clean_text(text: str) -> str:
    """Repair mojibake, drop control characters, unify spaces and line ends, compose (NFC)."""
    if text.isascii() and text.isprintable():
        # nothing to do (a typed query, most often): mojibake and the odd spaces are not
        # ASCII, control characters and line ends not printable, and ASCII is NFC
        return text
    if _MOJIBAKE_RE.search(text):
        text = _MOJIBAKE_RE.sub(lambda m: _MOJIBAKE[m.group()], text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _JUNK_RE.sub("", text)
    text = _SPACE_RE.sub(" ", text)
    return unicodedata.normalize("NFC", text)


def normalize_token(token: str) -> str:
    """Fold one token for comparison: compatibility forms (NFKC), case, apostrophe variants."""
    if not token.isascii():
        token = unicodedata.normalize("NFKC", token).translate(_APOSTROPHES)
    return token.lower()


_SPACES = re.compile(r"[ \t\f\v]+")


def collapse_spaces(text: str) -> str:
    """``text`` with each run of spaces and tabs made one space (line breaks kept), trimmed."""
    return _SPACES.sub(" ", text).strip()


def one_line(text: str) -> str:
    """``text`` with every run of white space (line breaks included) as one space, trimmed."""
    return " ".join(str(text).split())
