"""The Indonesian root lexicon bundled with diplosearch.

``data/lexicon/roots.txt`` is built by ``scripts/build_lexicon.py`` from Debian's
``hunspell-id`` dictionary (LGPL-3; see ``data/lexicon/PROVENANCE``). Each line is a
root, optionally followed by a tab and the derivation patterns its Hunspell affix flags
license: groups of an outer-prefix letter and the suffix letters it occurs with
(``tuduh<TAB>DakoMako...``: dituduhkan, dituduh, menuduhkan, menuduh ...); the letters
and their codec live in :mod:`~diplosearch.analysis.morphology`.

The lexicon is immutable, so it is read once per process, on first use.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources

import attrs

from .morphology import decode_patterns

LEXICON_RESOURCE = "data/lexicon/roots.txt"


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
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@functools.cache
def _lexicon_text() -> str:
    return resources.files("diplosearch").joinpath(LEXICON_RESOURCE).read_text("utf-8")


@functools.cache
def lexicon_digest() -> str:
    """A short hash of the bundled lexicon file (part of the stemmer's version)."""
    return _digest(_lexicon_text())


@functools.cache
def load_lexicon() -> Lexicon:
    """The bundled lexicon, read from package data once per process."""
    return parse_lexicon(_lexicon_text())
