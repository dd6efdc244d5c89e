"""Where the terms of a query stand in a stored text: the matches snippets mark.

The stored text is re-analysed with the index's analyzer, but not as a whole: the
places a query term could stand are found with ``str.find`` (see ``_places``), only
the runs between blanks holding one are looked at, and what a run analyses to is kept
per analyzer (it depends on the run and the analyzer alone), so a run seen in an
earlier hit costs one dict lookup. A token never holds white space, so tokenising a
run alone finds exactly the tokens a scan of the whole text finds there.
"""

from __future__ import annotations

import functools
import re
import weakref
from typing import TYPE_CHECKING, Iterable

from .analysis.analyzer import AnalyzedToken, token_pattern_for
from .analysis.morphology import DERIVATIONAL_SUFFIXES, PARTICLES, POSSESSIVES
from .analysis.stemmer import NoStemmer, SnowballStemmer

if TYPE_CHECKING:
    from .analysis.analyzer import IndonesianAnalyzer

# NamedTuple's own constructor is Python code; this builds the same object in C.
_make_token = functools.partial(tuple.__new__, AnalyzedToken)


# Places a query term could stand: where the term occurs or, the term less its first
# letter (its core), after the last letter of a nasal (m, n, ng, ny). Affixes wrap a
# root and the nasal of meN-/peN- replaces only a root's first letter (``menuduh`` ->
# tuduh, ``memukul`` -> pukul, ``menyapu`` -> sapu, ``mengirim`` -> kirim), so a token
# yielding a term holds its core so preceded in its lower-cased form. Every non-ASCII character
# that can be part of a token is a place too (such a token is folded by NFKC first,
# which lower() does not follow, so it is always analysed). Finding more places than
# needed only costs time: the token at each place is analysed before it counts.
# Curly quotes, dashes, no-break spaces and the like are most of the non-ASCII
# characters of news text and never stand in a token, so they are no places
# (tests/test_highlight.py checks every character of NON_TOKEN_CHARACTERS).
NON_TOKEN_CHARACTERS = (
    "\u00a0-\u00a9\u00ab-\u00b1\u00b4\u00b6-\u00b8\u00bb\u00bf\u00d7\u00f7"
    "\u2000-\u2018\u201a-\u206f\u2190-\u23ff\u2500-\u25ff\u3000-\u3003"
)
_NON_ASCII = re.compile(f"[^\\x00-\\x7f{NON_TOKEN_CHARACTERS}]")
_NASAL_ENDS = "mngy"


# What may follow a core, for the stemmers whose affixes are known (a place that
# fails is in a word that cannot yield the term, so its run is neither looked up nor,
# the first time, stemmed). They remove after a root only a derivational suffix, then
# a possessive, then a particle, each optional (morphology.py): a word yields a term
# of letters only where the term's core is followed by such an ending and the word's
# end (``program`` yields no ``pro``, ``motor`` no ``go``). The lexicon stemmer and
# NoStemmer also keep a word with a digit whole (``rp14``, ``2005``) and stem no word
# to one letter, so such a term is a whole word (see ``_joins`` for what may stand
# before it). A word's end is any character that is no letter or digit; a non-ASCII
# letter or digit there makes a place of its own.
_ANY_FOLLOWER, _AN_ENDING, _WORD_END, _WHOLE_WORD = 0, 1, 2, 3  # stricter as they grow
_ENDING_THEN_WORD_END = re.compile(
    "(?:" + "|".join(DERIVATIONAL_SUFFIXES) + ")?(?:" + "|".join(POSSESSIVES) + ")?(?:"
    + "|".join(PARTICLES) + ")?(?![^\\W_])"
).match
_ENDING_INITIALS = frozenset(affix[0] for affix in DERIVATIONAL_SUFFIXES + POSSESSIVES + PARTICLES)
# what an analyzer's stemmer lets ``_cores`` assume
_UNKNOWN_STEMMER, _ENDINGS_ONLY, _ENDINGS_AND_WHOLE_WORDS = 0, 1, 2


def _stemmer_kind(analyzer: "IndonesianAnalyzer") -> int:
    """Which of the rules above hold for ``analyzer`` (none for a stemmer not known here)."""
    stemmer = getattr(analyzer, "stemmer", None)
    if type(stemmer) is NoStemmer:
        return _ENDINGS_AND_WHOLE_WORDS
    if type(stemmer) is SnowballStemmer:
        return _ENDINGS_ONLY
    from .analysis.indonesian_stemmer import IndonesianStemmer  # imported already by whoever made it

    if type(stemmer) is IndonesianStemmer:
        # its Snowball fallback may cut a word with a digit
        return _ENDINGS_ONLY if stemmer.fallback == "snowball" else _ENDINGS_AND_WHOLE_WORDS
    return _UNKNOWN_STEMMER


@functools.lru_cache(maxsize=1024)
def _cores(terms: frozenset[str], stemmer_kind: int = _UNKNOWN_STEMMER) -> tuple[tuple[str, str, int], ...]:
    """(core, letters that may stand before it, what may follow it) for ``terms``: a
    term less its first letter may follow that letter or a nasal's last one; a
    one-letter term is its own core and may follow anything (marked by no letters),
    and so may a hyphen. What may follow is one of the rules above, as far as
    ``stemmer_kind`` allows (the loosest one of the terms sharing a core)."""
    before: dict[str, str] = {}
    follower: dict[str, int] = {}
    for term in terms:
        if len(term) > 1:
            core = term[1:]
            if before.get(core) != "":
                before[core] = before.get(core, _NASAL_ENDS) + term[0]
        else:
            core = term
            before[term] = ""
        rule = _ANY_FOLLOWER
        if stemmer_kind and term.isascii() and term.isalnum():
            whole = stemmer_kind == _ENDINGS_AND_WHOLE_WORDS
            if whole and len(term) == 1:
                rule = _WHOLE_WORD
            elif term.isalpha():
                rule = _AN_ENDING
            elif whole:
                rule = _WORD_END
        follower[core] = min(follower.get(core, rule), rule)
    # Folding a reduplication can build a word the token does not hold (disia-siakan ->
    # disiakan, which the stemmer leaves whole), so a hyphen is a place too.
    before["-"] = ""
    follower["-"] = _ANY_FOLLOWER
    return tuple((core, letters, follower[core]) for core, letters in before.items())


@functools.lru_cache(maxsize=256)
def _cores_pattern(cores: tuple[tuple[str, str, int], ...]) -> "re.Pattern[str]":
    # every start, overlapping ones too (a lookahead consumes nothing); what stands
    # before and after a core is not checked here (this is the path for rare text only)
    return re.compile("(?=(?i:" + "|".join(re.escape(core) for core, _before, _rule in sorted(cores)) + "))")


# Text with a non-ASCII character is lower-cased as bytes, one a character (any
# non-ASCII one as "?"): str.lower() of such text costs a few times more, and the
# offsets stay the text's. A non-ASCII character is a place of its own or never in a
# token, so its "?" loses nothing. Cores that are not ASCII (a stemmer not known here
# may make them) are looked for with str.lower().
_BYTE_ENDING_INITIALS = frozenset(initial.encode() for initial in _ENDING_INITIALS)
_BYTE_ENDING_THEN_WORD_END = re.compile(_ENDING_THEN_WORD_END.__self__.pattern.encode()).match  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=1024)
def _byte_cores(terms: frozenset[str], stemmer_kind: int) -> "tuple[tuple[bytes, bytes, int], ...] | None":
    """``_cores(terms, stemmer_kind)`` as bytes, or None when one is not ASCII."""
    cores = _cores(terms, stemmer_kind)
    if not all(core.isascii() and before.isascii() for core, before, _rule in cores):
        return None
    return tuple((core.encode(), before.encode(), rule) for core, before, rule in cores)


def _places(text: str, terms: frozenset[str], stemmer_kind: int = _UNKNOWN_STEMMER) -> list[int]:
    """Where in ``text`` a token yielding one of ``terms`` could stand (see ``_cores``), ascending."""
    if text.isascii():
        places = _scan(text.lower(), _cores(terms, stemmer_kind), _ENDING_INITIALS, _ENDING_THEN_WORD_END)
    elif (byte_cores := _byte_cores(terms, stemmer_kind)) is not None:
        folded = text.encode("ascii", "replace").lower()
        places = _scan(folded, byte_cores, _BYTE_ENDING_INITIALS, _BYTE_ENDING_THEN_WORD_END)
        # "?" stands in ``folded`` for every non-ASCII character (and for itself): finding
        # it is several times faster than scanning the text for a character class
        find, non_ascii, append = folded.find, _NON_ASCII.match, places.append
        at = find(b"?")
        while at != -1:
            if non_ascii(text, at):
                append(at)
            at = find(b"?", at + 1)
    else:
        cores = _cores(terms, stemmer_kind)
        folded_text = text.lower()
        if len(folded_text) == len(text):
            # str.find is far faster than a case-insensitive pattern, and lower() keeps the
            # offsets unless a character's lower case is longer (U+0130 only)
            places = _scan(folded_text, cores, _ENDING_INITIALS, _ENDING_THEN_WORD_END)
        else:
            places = [m.start() for m in _cores_pattern(cores).finditer(text)]
        places.extend(m.start() for m in _NON_ASCII.finditer(text))
    places.sort()
    return places


def _joins(before, term) -> bool:  # type: ignore[no-untyped-def]
    """Whether a token holding one-character ``term`` would hold the character
    ``before`` it too: a letter always; a digit only before a digit (a number such
    as ``12.5`` ends a token and a word may start right after it: ``12.5kg``)."""
    return before.isalpha() or (before.isdigit() and term.isdigit())


def _scan(folded, cores, ending_initials, ending_then_word_end) -> list[int]:  # type: ignore[no-untyped-def]
    """The places of ``cores`` in ``folded``, a lower-cased copy of a text (str, or
    bytes as the cores, initials and pattern then are): one find a core."""
    places: list[int] = []
    find = folded.find
    append = places.append
    for core, before, rule in cores:
        at = find(core)
        if not rule:
            if not before:
                while at != -1:
                    append(at)
                    at = find(core, at + 1)
                continue
            while at != -1:
                if at and folded[at - 1] in before:
                    append(at)
                at = find(core, at + 1)
            continue
        size = len(core)
        while at != -1:
            if not before or (at and folded[at - 1] in before):
                follows = folded[at + size : at + size + 1]
                if (not follows.isalnum() or (
                    rule == _AN_ENDING and follows in ending_initials and ending_then_word_end(folded, at + size)
                )) and (rule != _WHOLE_WORD or not _joins(folded[at - 1 : at], core)):
                    append(at)
            at = find(core, at + 1)
    return places


# What the runs of text between blanks analyse to, per analyzer (a run's tokens and
# their terms depend on the run and the analyzer alone): a run seen before costs one
# lookup, not a tokenising and a term lookup per token. Keyed by the analyzer's
# identity, not equality, so that no analyzer ever sees another one's results.
# A run's entry: (term, start, end) of each term its tokens yield, in text order.
_RunTokens = tuple[tuple[str, int, int], ...]
# A few hundred bytes an entry: the cap keeps a long-lived index's cache to tens of MB.
_RUN_CACHE_LIMIT = 100_000
_LONGEST_CACHED_RUN = 200  # longer runs are URLs or garbage, rarely seen twice
_run_caches: dict[int, tuple["weakref.ref[IndonesianAnalyzer]", dict[str, _RunTokens], int]] = {}


def _runs_of(analyzer: "IndonesianAnalyzer") -> tuple[dict[str, _RunTokens], int]:
    """The run cache of ``analyzer`` (made on first use, dropped when it is) and the
    ``_stemmer_kind`` of its stemmer."""
    key = id(analyzer)
    entry = _run_caches.get(key)
    if entry is not None and entry[0]() is analyzer:
        return entry[1], entry[2]

    def forget(dead: "weakref.ref[IndonesianAnalyzer]") -> None:
        current = _run_caches.get(key)
        if current is not None and current[0] is dead:
            del _run_caches[key]

    cache: dict[str, _RunTokens] = {}
    kind = _stemmer_kind(analyzer)
    try:
        _run_caches[key] = (weakref.ref(analyzer, forget), cache, kind)
    except TypeError:
        pass  # an analyzer no weak reference can point to gets no cache kept for it
    return cache, kind


def _analyse_run(run: str, analyzer: "IndonesianAnalyzer", cache: dict[str, _RunTokens]) -> _RunTokens:
    terms_of = analyzer.terms_of
    tokens = []
    # the run's own pattern: both split text without combining marks alike
    for token in token_pattern_for(run).finditer(run):
        start, end = token.span()
        tokens += [(term, start, end) for term in terms_of(token.group())]
    analysed = tuple(tokens)
    if len(run) <= _LONGEST_CACHED_RUN and len(cache) < _RUN_CACHE_LIMIT:
        cache[run] = analysed
    return analysed


def matching_tokens(text: str, terms: Iterable[str], analyzer: "IndonesianAnalyzer") -> list[AnalyzedToken]:
    """The tokens of ``text`` that yield one of ``terms``, one entry per such term, in
    text order, as :meth:`IndonesianAnalyzer.tokens` gives them (position -1).

    Only the runs of text between blanks that hold a place where a term could stand
    (see ``_places``) are looked at, each through the analyzer's run cache. A token
    never holds white space, so tokenising such a run alone finds exactly the tokens a
    scan of the whole text finds there.
    """
    wanted = frozenset(terms)
    if not wanted:
        return []
    found_terms, starts, ends = _matching(text, _spaced(text), wanted, analyzer)
    return [_make_token((term, -1, start, end)) for term, start, end in zip(found_terms, starts, ends)]


def _spaced(text: str) -> str:
    # Runs end at blanks (space, line break); in this copy, with line breaks as spaces
    # and every offset kept, one search each way finds a run's ends.
    return text.replace("\n", " ") if "\n" in text else text


def _matching(
    text: str, spaced: str, wanted: frozenset[str], analyzer: "IndonesianAnalyzer"
) -> tuple[list[str], list[int], list[int]]:
    """``matching_tokens`` as three columns: the terms, their tokens' starts and ends
    (in text order, the ends too: a token yielding several terms is several matches)."""
    found_terms: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    runs, stemmer_kind = _runs_of(analyzer)
    places = _places(text, wanted, stemmer_kind)
    if not places:
        return found_terms, starts, ends
    find, rfind, end_of_text = spaced.find, spaced.rfind, len(text)
    known = runs.get
    floor = 0  # where the run after the last one looked at starts at the earliest
    for place in places:
        if place < floor:
            continue
        first = rfind(" ", floor, place) + 1 or floor  # no blank: the run starts at floor
        last = find(" ", place)
        if last == -1:
            last = end_of_text
        run = text[first:last]
        tokens = known(run)
        if tokens is None:
            tokens = _analyse_run(run, analyzer, runs)
        floor = last
        for term, start, end in tokens:
            if term in wanted:
                found_terms.append(term)
                starts.append(first + start)
                ends.append(first + end)
    return found_terms, starts, ends
