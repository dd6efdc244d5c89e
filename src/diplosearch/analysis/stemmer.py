"""Stemmers: one swappable piece of the analyzer.

A stemmer maps one normalised, lower-case word to the term the index stores.
Any object with ``name``, ``version``, ``stem(word)`` and ``is_root(word)`` can be
given to :class:`~diplosearch.analysis.analyzer.IndonesianAnalyzer`.

Stemmers are pickled with the Whoosh schema, so they are module-level classes whose
pickled state is only their configuration: caches and lexicons are rebuilt lazily.
"""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

import Stemmer as _pystemmer

from .cache import CACHE_LIMIT, remember


@runtime_checkable
class WordStemmer(Protocol):
    """What the analyzer needs from a stemmer."""

    name: str
    version: str

    def stem(self, word: str) -> str:
        """Return the index term for one lower-case word."""

    def is_root(self, word: str) -> bool:
        """True when ``word`` is known to be a root (e.g. ``kura-kura``), so it is kept whole."""


class NoStemmer:
    """Keeps every word as it is (for evaluation: analysis without stemming)."""

    name = "none"
    version = "none-1"

    def stem(self, word: str) -> str:
        return word

    def is_root(self, word: str) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))


class SnowballStemmer:
    """PyStemmer's Snowball ``indonesian`` algorithm behind a per-word cache.

    Fast but over-strips roots (``peranan`` -> ``anan``); kept as the baseline the
    lexicon-backed stemmer is measured against.
    """

    name = "snowball"

    def __init__(self) -> None:
        self.version = f"snowball-indonesian-{_pystemmer.version()}"
        self._init_runtime()

    def _init_runtime(self) -> None:
        self._cache: dict[str, str] = {}
        # PyStemmer objects keep per-call state in C; one lock keeps them safe under threads.
        self._lock = threading.Lock()
        self._snowball = _pystemmer.Stemmer("indonesian")

    def stem(self, word: str) -> str:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        with self._lock:
            stemmed = self._snowball.stemWord(word)
        return remember(self._cache, word, stemmed, CACHE_LIMIT)

    def is_root(self, word: str) -> bool:
        return False

    def __getstate__(self) -> dict[str, str]:
        return {"version": self.version}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.version = state["version"]
        self._init_runtime()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.version == self.version

    def __hash__(self) -> int:
        return hash((type(self), self.version))


def default_stemmer() -> WordStemmer:
    """The stemmer diplosearch indexes and searches with unless told otherwise."""
    from .indonesian_stemmer import IndonesianStemmer

    return IndonesianStemmer()
