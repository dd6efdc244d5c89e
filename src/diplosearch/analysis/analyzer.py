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
import unicodedata
from typing import Iterator

import attrs
from whoosh.analysis import Analyzer, Token

from .normalize import normalize_token
from .reduplication import fold_reduplication
from .stemmer import WordStemmer, default_stemmer
from .stopwords import default_stopwords

# Bump when tokenisation, normalisation or stop-word handling changes meaning;
# the stemmer contributes its own version.
# 2: combining marks stay inside their word ("Cafe\u0301" is one token, as "Café").
PIPELINE_VERSION = "2"


def _combining_marks() -> str:
    """A regex character class body matching every combining mark (Mn, Mc, Me)."""
    ranges: list[list[int]] = []
    for code in (*range(0x30000), *range(0xE0100, 0xE01F0)):  # no marks elsewhere
        if unicodedata.category(chr(code))[0] == "M":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges)


# A word: letters and digits, with combining marks inside it (decomposed accents
# as macOS writes them, Devanagari vowel signs), which \w does not match.
_WORD = rf"[^\W_]+(?:[{_combining_marks()}]+[^\W_]*)*"
# Words joined by hyphens or apostrophes stay one token (negara-negara, Jum'at);
# numbers keep their separators (1.000, 2,5).
TOKEN_PATTERN = re.compile(rf"\d+(?:[.,]\d+)+|{_WORD}(?:[-'\u2019]{_WORD})*")

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

# Longer "words" are URLs, base64 or garbage; Lucene's StandardTokenizer drops them too.
MAX_TOKEN_CHARS = 100


@attrs.frozen
class AnalyzedToken:
    """One index term with the span of original text it came from."""

    term: str
    position: int
    start: int
    end: int


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
        word = normalize_token(token)
        if "-" not in word:
            return [word]
        if self.fold_reduplication:
            return fold_reduplication(word, self.stemmer.is_root)
        return [part for part in word.split("-") if part]

    def tokens(self, text: str, removestops: bool = True) -> Iterator[AnalyzedToken]:
        """Analyse ``text`` into terms with positions and character spans."""
        stem = self.stemmer.stem
        stopwords = self.stopwords if removestops else frozenset()
        position = 0
        for match in TOKEN_PATTERN.finditer(text):
            raw = match.group()
            if len(raw) > MAX_TOKEN_CHARS:
                continue
            for word in self.words(raw):
                if word in stopwords:
                    continue
                yield AnalyzedToken(stem(word), position, match.start(), match.end())
                position += 1

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
        if not tokenize:
            # The query parser hands over one already-split word.
            analyzed: Iterator[AnalyzedToken] = (
                AnalyzedToken(self.stemmer.stem(word), i, 0, len(value))
                for i, word in enumerate(self.words(value))
                if not (removestops and word in self.stopwords)
                # A lone surrogate cannot be stored as a term (UTF-8); tokenising drops them too.
                and not _LONE_SURROGATE.search(word)
            )
        else:
            analyzed = self.tokens(value, removestops=removestops)
        for item in analyzed:
            token.text = item.term
            token.stopped = False
            token.boost = 1.0
            if keeporiginal:
                token.original = value[item.start : item.end]
            if positions:
                token.pos = start_pos + item.position
            if chars:
                token.startchar = start_char + item.start
                token.endchar = start_char + item.end
            yield token


def analyze(text: str, analyzer: IndonesianAnalyzer | None = None) -> list[str]:
    """The index terms of ``text``, in order, as the default analyzer produces them.

    >>> analyze("Negara-negara ASEAN")  # doctest: +SKIP
    ['negara', 'asean']
    """
    analyzer = analyzer if analyzer is not None else _default_analyzer()
    return [token.term for token in analyzer.tokens(text)]


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
