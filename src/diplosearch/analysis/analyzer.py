"""The Indonesian analyzer: one pipeline for indexing, querying and highlighting.

text -> tokens (words, numbers, acronyms; offsets into the original text)
     -> normalised (NFKC, case-folded) -> reduplication folded -> stop words dropped
     -> stemmed.

It is a Whoosh analyzer, so Whoosh pickles it into the index schema: the class
lives at a stable import path and pickles only its configuration.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Iterator, NamedTuple

from whoosh.analysis import Analyzer, Token

from .cache import CACHE_LIMIT
from .marks import mark_ranges
from .normalize import LONE_SURROGATE, normalize_token
from .reduplication import fold_reduplication
from .stemmer import WordStemmer, default_stemmer
from .stopwords import default_stopwords

# Bump when tokenisation, normalisation or stop-word handling changes meaning;
# the stemmer contributes its own version.
# 2: combining marks stay inside their word ("Cafe\u0301" is one token, as "Café").
PIPELINE_VERSION = "2"


def _character_class(ranges: list[tuple[int, int]]) -> str:
    """A regex character class body matching the code points of ``ranges``."""
    return "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges)


# Combining marks (see marks.py: listed per Unicode version, scanning for them costs a
# process tens of ms). re matches a class of BMP characters with a bitmap but checks a
# class reaching beyond the BMP range by range, so the two halves are kept apart.
_MARK_RANGES = mark_ranges()
_BMP_MARKS = _character_class([r for r in _MARK_RANGES if r[1] < 0x10000])
_ASTRAL_MARKS = _character_class([r for r in _MARK_RANGES if r[0] >= 0x10000])
_MARKS = _BMP_MARKS + _ASTRAL_MARKS
# A word: letters and digits, with combining marks inside it (decomposed accents
# as macOS writes them, Devanagari vowel signs), which \w does not match.
_WORD = rf"[^\W_]+(?:[{_MARKS}]+[^\W_]*)*"
# Words joined by hyphens or apostrophes stay one token (negara-negara, Jum'at);
# numbers keep their separators (1.000, 2,5). TOKEN_PATTERN (read as a module
# attribute, see __getattr__) is compiled on first use: its mark classes take a new
# process ~4 ms to compile, and text without marks (nearly all) never needs them.
_TOKEN_REGEX = rf"\d+(?:[.,]\d+)+|{_WORD}(?:[-'\u2019]{_WORD})*"
# The same tokens for text without combining marks (nearly all text), at about
# twice the speed: the mark-aware alternatives cost a failed attempt at every word end.
_UNMARKED_TOKEN_PATTERN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:[-'\u2019][^\W_]+)*")
_HAS_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _free_of_marks(blocks: list[tuple[int, int]], marks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``blocks`` holding no code point of ``marks`` (both sorted, inclusive)."""
    free = []
    for first, last in blocks:
        start = first
        for a, b in marks:
            if b >= start and a <= last:
                if a > start:
                    free.append((start, a - 1))
                start = b + 1
        if start <= last:
            free.append((start, last))
    return free


# The classes of the exact test for a mark take a new process ~2 ms to compile, and
# nearly every news article holds some non-ASCII character (curly quotes, dashes). So a
# cheap class looks first for a character outside the blocks such text draws on (Latin
# up to U+02FF, general punctuation U+2000-U+206F; less any mark Unicode puts there).
_MARKLESS_BLOCKS = _free_of_marks([(0, 0x2FF), (0x2000, 0x206F)], _MARK_RANGES)


@functools.cache
def _maybe_mark() -> re.Pattern[str]:
    """Finds a character outside :data:`_MARKLESS_BLOCKS` (compiled on first use, ~0.2 ms)."""
    return re.compile(f"[^{_character_class(_MARKLESS_BLOCKS)}]")


@functools.cache
def _mark_aware_patterns() -> re.Pattern[str]:
    """TOKEN_PATTERN, compiled on first use."""
    return re.compile(_TOKEN_REGEX)


@functools.cache
def _mark_tests() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The tests for a BMP and an astral combining mark, compiled on first use."""
    return re.compile(f"[{_BMP_MARKS}]"), re.compile(f"[{_ASTRAL_MARKS}]")


def __getattr__(name: str) -> object:
    if name == "TOKEN_PATTERN":
        return _mark_aware_patterns()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def token_pattern_for(text: str) -> re.Pattern[str]:
    """The fastest pattern that splits ``text`` exactly as :data:`TOKEN_PATTERN` does."""
    if text.isascii() or not _maybe_mark().search(text):
        return _UNMARKED_TOKEN_PATTERN
    has_bmp_mark, has_astral_mark = _mark_tests()
    if has_bmp_mark.search(text) or (_HAS_ASTRAL.search(text) and has_astral_mark.search(text)):
        return _mark_aware_patterns()
    return _UNMARKED_TOKEN_PATTERN


# Longer "words" are URLs, base64 or garbage; Lucene's StandardTokenizer drops them too.
MAX_TOKEN_CHARS = 100


class AnalyzedToken(NamedTuple):
    """One index term with the span of original text it came from."""

    term: str
    position: int
    start: int
    end: int


# NamedTuple's own constructor is Python code; this builds the same object in C.
_make_analyzed_token = functools.partial(tuple.__new__, AnalyzedToken)


class IndonesianAnalyzer(Analyzer):
    """Tokenise, normalise, fold reduplication, drop stop words and stem Indonesian text.

    :param stemmer: any :class:`~diplosearch.analysis.stemmer.WordStemmer`; default
        :func:`~diplosearch.analysis.stemmer.default_stemmer`.
    :param stopwords: words to drop (compared after normalisation, before stemming);
        default the bundled list; an empty set keeps every word.
    :param fold_reduplication: fold ``negara-negara`` to ``negara``; when off,
        hyphenated words are only split into their parts.
    """

    def __init__(
        self,
        stemmer: WordStemmer | None = None,
        stopwords: frozenset[str] | None = None,
        fold_reduplication: bool = True,
    ) -> None:
        self.stemmer = stemmer if stemmer is not None else default_stemmer()
        self.stopwords = default_stopwords() if stopwords is None else frozenset(stopwords)
        self.fold_reduplication = fold_reduplication
        self._terms_cache: dict[str, tuple[str, ...]] = {}

    @property
    def version(self) -> str:
        """Identifies what this analyzer produces; indexes record it and refuse a mismatch."""
        stops = hashlib.sha1("\n".join(sorted(self.stopwords)).encode()).hexdigest()[:8]
        redup = "redup" if self.fold_reduplication else "split"
        return f"p{PIPELINE_VERSION}/{self.stemmer.version}/stop-{stops}/{redup}"

    def __getstate__(self) -> dict[str, object]:
        return {
            "stemmer": self.stemmer,
            "stopwords": sorted(self.stopwords),
            "fold_reduplication": self.fold_reduplication,
        }

    def __setstate__(self, state: dict[str, object]) -> None:
        self.stemmer = state["stemmer"]  # type: ignore[assignment]
        self.stopwords = frozenset(state["stopwords"])  # type: ignore[arg-type]
        self.fold_reduplication = bool(state["fold_reduplication"])
        self._terms_cache = {}

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and other.stemmer == self.stemmer  # type: ignore[attr-defined]
            and other.stopwords == self.stopwords  # type: ignore[attr-defined]
            and other.fold_reduplication == self.fold_reduplication  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return hash((type(self), self.version))

    def words(self, token: str) -> list[str]:
        """The normalised words one raw token stands for, before stop words and stemming."""
        return self._hyphenated_words(normalize_token(token))

    def _hyphenated_words(self, word: str) -> list[str]:
        """The words of one normalised token."""
        if "-" not in word:
            return [word]
        if self.fold_reduplication:
            return fold_reduplication(word, self.stemmer.is_root)
        return [part for part in word.split("-") if part]

    def _compute_terms(self, raw: str, removestops: bool) -> tuple[str, ...]:
        if len(raw) > MAX_TOKEN_CHARS:
            return ()
        # normalize_token, without a call for the ASCII tokens of nearly all text
        word = raw.lower() if raw.isascii() else normalize_token(raw)
        stopwords = self.stopwords if removestops else ()
        if "-" not in word:  # one word: no list, no generator (a new word waits on this)
            return () if word in stopwords else (self.stemmer.stem(word),)
        stem = self.stemmer.stem
        return tuple(stem(part) for part in self._hyphenated_words(word) if part not in stopwords)

    def terms_of(self, raw: str) -> tuple[str, ...]:
        """The index terms one raw token yields, stop words dropped (memoised per token).

        Normalising, folding and stemming depend on the token alone, so each distinct
        token of an archive is analysed once; after that a token costs one lookup.
        """
        cache = self._terms_cache
        terms = cache.get(raw)
        if terms is None:
            terms = self._compute_terms(raw, True)
            if len(cache) < CACHE_LIMIT:  # remember(), inlined
                cache[raw] = terms
        return terms

    def _terms_function(self, removestops: bool):  # type: ignore[no-untyped-def]
        if removestops:
            return self.terms_of
        return functools.partial(self._compute_terms, removestops=False)

    def tokens(self, text: str, removestops: bool = True) -> Iterator[AnalyzedToken]:
        """Analyse ``text`` into terms with positions and character spans."""
        terms_of = self._terms_function(removestops)
        make = _make_analyzed_token
        position = 0
        for match in token_pattern_for(text).finditer(text):
            terms = terms_of(match.group())
            if terms:
                start, end = match.span()
                for term in terms:
                    yield make((term, position, start, end))
                    position += 1

    def terms(self, text: str) -> list[str]:
        """Only the index terms of ``text``, in order (the fastest path)."""
        cached = self._terms_cache.get
        terms: list[str] = []
        extend = terms.extend
        for raw in token_pattern_for(text).findall(text):
            found = cached(raw)
            extend(self.terms_of(raw) if found is None else found)
        return terms

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        """Whoosh's analyzer protocol: yields (reused) ``Token`` objects."""
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.stopped = False
        token.boost = 1.0
        if not tokenize:
            # The query parser hands over one already-split word.
            for i, word in enumerate(self.words(value)):
                if (removestops and word in self.stopwords) or LONE_SURROGATE.search(word):
                    # A lone surrogate cannot be stored as a term (UTF-8); tokenising drops them too.
                    continue
                token.text = self.stemmer.stem(word)
                if keeporiginal:
                    token.original = value
                if positions:
                    token.pos = start_pos + i
                if chars:
                    token.startchar, token.endchar = start_char, start_char + len(value)
                yield token
            return
        if chars or keeporiginal:
            # Offsets are for highlighting-style callers; indexing never asks for them.
            for item in self.tokens(value, removestops=removestops):
                token.text = item.term
                if keeporiginal:
                    token.original = value[item.start : item.end]
                token.pos = start_pos + item.position
                token.startchar = start_char + item.start
                token.endchar = start_char + item.end
                yield token
            return
        # The indexing hot path: terms and positions only, so no match objects and no
        # per-token objects beyond Whoosh's reused Token.
        terms_of = self._terms_function(removestops)
        position = start_pos
        for raw in token_pattern_for(value).findall(value):
            for term in terms_of(raw):
                token.text = term
                token.pos = position
                position += 1
                yield token


def analyze(text: str, analyzer: IndonesianAnalyzer | None = None) -> list[str]:
    """The index terms of ``text``, in order, as the default analyzer produces them.

    >>> analyze("Negara-negara ASEAN")  # doctest: +SKIP
    ['negara', 'asean']
    """
    analyzer = analyzer if analyzer is not None else _default_analyzer()
    return analyzer.terms(text)


def stem(word: str) -> str:
    """The stem of one word, as the index stores it (stop words are stemmed too)."""
    analyzer = _default_analyzer()
    terms = [analyzer.stemmer.stem(w) for w in analyzer.words(word.strip())]
    return " ".join(terms)


@functools.cache
def _default_analyzer() -> IndonesianAnalyzer:
    # Built on first use rather than at import: loading the lexicon costs time, and
    # importing diplosearch should not. The analyzer is immutable apart from its
    # stemmer's word cache, which only memoises a pure function.
    return IndonesianAnalyzer()
