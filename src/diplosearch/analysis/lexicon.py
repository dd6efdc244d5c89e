"""The Indonesian root lexicon bundled with diplosearch.

``data/lexicon/roots.txt`` is built by ``scripts/build_lexicon.py`` from Debian's
``hunspell-id`` dictionary (LGPL-3; see ``data/lexicon/PROVENANCE``). Each line is a
root, optionally followed by a tab and the derivation patterns its Hunspell affix flags
license: groups of an outer-prefix letter and the suffix letters it occurs with
(``tuduh<TAB>DakoMako...``: dituduhkan, dituduh, menuduhkan, menuduh ...); the letters
and their codec live in :mod:`~diplosearch.analysis.morphology`.

``data/lexicon/roots.json`` holds the same lexicon in a form about five times faster to
load (a new process's first search waits for it): the roots as one string, the
patterns already decoded, and the sha256 of the ``roots.txt`` it was made from. The
build script writes both; :func:`load_lexicon` uses the JSON only while that hash
matches the ``roots.txt`` beside it, and parses the text otherwise, so the two can
never disagree in effect.

The lexicon is immutable, so it is read once per process, on first use.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources
from typing import Any

import attrs

from .morphology import decode_patterns

LEXICON_RESOURCE = "data/lexicon/roots.txt"
COMPACT_RESOURCE = "data/lexicon/roots.json"
#: Bump when the layout of roots.json changes; a file of another format is not used.
COMPACT_FORMAT = 1


@attrs.frozen
class Lexicon:
    """Roots (including hyphenated ones such as ``kura-kura``) and the derivation
    patterns the dictionary licenses for each (a bit mask, see
    :func:`~diplosearch.analysis.morphology.pattern_bit`)."""

    roots: frozenset[str]
    patterns: dict[str, int] = attrs.field(eq=False, repr=False)
    digest: str

    def __contains__(self, word: object) -> bool:
        return word in self.roots

    def __len__(self) -> int:
        return len(self.roots)


def parse_lexicon(text: str) -> Lexicon:
    """A lexicon from the text of a ``roots.txt`` (``#`` lines and blank lines skipped)."""
    roots: set[str] = set()
    patterns: dict[str, int] = {}
    for line in text.splitlines():
        word, _, encoded = line.strip().partition("\t")
        if not word or word.startswith("#"):
            continue
        roots.add(word)
        if encoded:
            patterns[word] = decode_patterns(encoded)
    return Lexicon(frozenset(roots), patterns, _digest(text))


def _digest(text: str) -> str:
    return _sha256(text)[:12]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compact_form(text: str) -> dict[str, Any]:
    """The ``roots.json`` content for the ``roots.txt`` ``text`` (what the build script writes)."""
    lexicon = parse_lexicon(text)
    return {
        "format": COMPACT_FORMAT,
        "source_sha256": _sha256(text),
        "roots": "\n".join(sorted(lexicon.roots)),
        "patterns": {word: lexicon.patterns[word] for word in sorted(lexicon.patterns)},
    }


def lexicon_from_compact(data: Any, text: str) -> Lexicon | None:
    """The lexicon ``data`` (a parsed ``roots.json``) holds, if it was made from the
    ``roots.txt`` ``text`` in this format; else None (the text is to be parsed)."""
    if not isinstance(data, dict) or data.get("format") != COMPACT_FORMAT or data.get("source_sha256") != _sha256(text):
        return None
    roots, patterns = data.get("roots"), data.get("patterns")
    if not isinstance(roots, str) or not isinstance(patterns, dict):
        return None
    return Lexicon(frozenset(roots.split("\n")) if roots else frozenset(), patterns, _digest(text))


@functools.cache
def _lexicon_text() -> str:
    return resources.files("diplosearch").joinpath(LEXICON_RESOURCE).read_text("utf-8")


@functools.cache
def lexicon_digest() -> str:
    """A short hash of the bundled lexicon file (part of the stemmer's version)."""
    return _digest(_lexicon_text())


@functools.cache
def load_lexicon() -> Lexicon:
    """The bundled lexicon, read from package data once per process (from ``roots.json``
    when it matches ``roots.txt``)."""
    text = _lexicon_text()
    try:
        compact = json.loads(resources.files("diplosearch").joinpath(COMPACT_RESOURCE).read_text("utf-8"))
    except (OSError, ValueError):
        compact = None
    lexicon = lexicon_from_compact(compact, text)
    return lexicon if lexicon is not None else parse_lexicon(text)
