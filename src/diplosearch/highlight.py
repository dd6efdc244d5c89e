"""Snippets: the passages of a stored document that best show why it matched.

The stored text is re-analysed with the index's analyzer, so every surface form
whose stem matched is highlighted (a search for ``berkembang`` marks
``perkembangan``). A snippet is always a substring of one stored field with only
the markers added, and it starts and ends on word boundaries.

Two formats: ``"text"`` puts the caller's markers around matches and leaves the
text as stored (markers are not escaped: do not put such snippets into HTML);
``"html"`` escapes the text (``<``, ``>``, ``&``, quotes) and wraps matches in
``<mark>``...``</mark>``, so a snippet can go into a web page as it is.

The text is not tokenised as a whole: the places a query term could stand are
found with ``str.find`` (see ``_places``), only the runs between blanks holding one
are looked at, and word boundaries are found by tokenising only near a passage's
edges. The tokenizer can restart at any place that is not inside a token (after white
space, at a token's start or end) and finds there exactly the tokens a scan of the
whole text finds. What a run analyses to depends on the run and the analyzer alone,
so it is kept per analyzer: a run seen in an earlier hit costs one dict lookup.
"""

from __future__ import annotations

import functools
import html
import re
import weakref
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Literal, Sequence

from .analysis import analyzer as _analyzer
from .analysis.analyzer import AnalyzedToken, token_pattern_for
from .analysis.morphology import DERIVATIONAL_SUFFIXES, PARTICLES, POSSESSIVES
from .analysis.stemmer import NoStemmer, SnowballStemmer
from .errors import InvalidArgumentError
from .schema import MAX_INDEXED_CHARS

if TYPE_CHECKING:
    from .analysis.analyzer import IndonesianAnalyzer
    from .documents import Document

DEFAULT_MARKERS = ("[[", "]]")
HTML_MARKERS = ("<mark>", "</mark>")
#: The values of ``snippet_format``.
SNIPPET_FORMATS: tuple[str, ...] = ("text", "html")
SnippetFormat = Literal["text", "html"]

# NamedTuple's own constructor is Python code; this builds the same object in C.
_make_token = functools.partial(tuple.__new__, AnalyzedToken)

def _field_texts(document: "Document") -> Iterator[tuple[str, str]]:
    """(name, text) of each field a snippet may come from, best first, made only when
    reached (most snippets come from the body)."""
    # Only the indexed part of a field can hold a match, so only it is looked at: a
    # snippet then costs at most MAX_INDEXED_CHARS of scanning, however long the
    # stored text (a 49 MB record made every query that hit it take 40 s).
    yield "body", document.body[:MAX_INDEXED_CHARS]
    yield "quotes", "\n".join(q.text for q in document.quotes)[:MAX_INDEXED_CHARS]
    yield "captions", "\n".join(document.captions)[:MAX_INDEXED_CHARS]
    yield "title", document.title[:MAX_INDEXED_CHARS]


def _best_windows(
    matches: Sequence[AnalyzedToken], max_chars: int, count: int
) -> list[tuple[int, int]]:
    """Greedy choice of up to ``count`` non-overlapping match windows, most distinct terms first.

    The window from each match reaches the last match ending within ``max_chars`` of its
    start; matches are in text order, so that last match only moves forward, and the
    window's terms are counted as it slides."""
    terms, _positions, starts, ends = zip(*matches)
    if count and ends[-1] - starts[0] <= max_chars:
        # One window holds every match: it wins, and every other window overlaps it.
        return [(starts[0], ends[-1])]
    candidates = []
    held: dict[str, int] = {}  # term -> its matches in the window matches[first : end + 1]
    last = len(matches) - 1
    end = -1
    for first in range(len(matches)):
        if first:
            left = terms[first - 1]
            if held[left] == 1:
                del held[left]
            else:
                held[left] -= 1
        if end < first:
            end = first
            held[terms[first]] = held.get(terms[first], 0) + 1
        start = starts[first]
        reach = start + max_chars
        while end < last and ends[end + 1] <= reach:
            end += 1
            held[terms[end]] = held.get(terms[end], 0) + 1
        candidates.append((len(held), end - first + 1, -start, first, end))
    candidates.sort(reverse=True)
    chosen: list[tuple[int, int]] = []
    for *_ignored, first, end in candidates:
        start_char, end_char = starts[first], ends[end]
        for s, e in chosen:
            if end_char > s and start_char < e:
                break
        else:
            chosen.append((start_char, end_char))
            if len(chosen) == count:
                break
    return sorted(chosen)


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
# to one letter, so such a term is a whole word. A word's end is any character that
# is no letter or digit; a non-ASCII letter or digit there makes a place of its own.
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


def _places(text: str, cores: tuple[tuple[str, str, int], ...]) -> list[int]:
    """Where in ``text`` a token yielding a term with one of ``cores`` could stand, ascending."""
    folded = text.lower()
    places: list[int] = []
    if len(folded) == len(text):
        # str.find is far faster than a case-insensitive pattern, and lower() keeps the
        # offsets unless a character's lower case is longer (U+0130 only)
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
                        rule == _AN_ENDING and follows in _ENDING_INITIALS
                        and _ENDING_THEN_WORD_END(folded, at + size)
                    )) and (rule != _WHOLE_WORD or not (at and folded[at - 1].isalnum())):
                        append(at)
                at = find(core, at + 1)
    else:
        places = [m.start() for m in _cores_pattern(cores).finditer(text)]
    if not text.isascii():
        places.extend(m.start() for m in _NON_ASCII.finditer(text))
    places.sort()
    return places


# What the runs of text between blanks analyse to, per analyzer (a run's tokens and
# their terms depend on the run and the analyzer alone): a run seen before costs one
# lookup, not a tokenising and a term lookup per token. Keyed by the analyzer's
# identity, not equality, so that no analyzer ever sees another one's results.
_RunTokens = tuple[tuple[int, int, tuple[str, ...]], ...]
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
        terms = terms_of(token.group())
        if terms:
            tokens.append((*token.span(), terms))
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
    return _matching(text, _spaced(text), wanted, analyzer)


def _spaced(text: str) -> str:
    # Runs end at blanks (space, line break); in this copy, with line breaks as spaces
    # and every offset kept, one search each way finds a run's ends.
    return text.replace("\n", " ") if "\n" in text else text


def _matching(
    text: str, spaced: str, wanted: frozenset[str], analyzer: "IndonesianAnalyzer"
) -> list[AnalyzedToken]:
    runs, stemmer_kind = _runs_of(analyzer)
    places = _places(text, _cores(wanted, stemmer_kind))
    if not places:
        return []
    find, rfind, end_of_text = spaced.find, spaced.rfind, len(text)
    known = runs.get
    found: list[AnalyzedToken] = []
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
        for start, end, run_terms in tokens:
            if not wanted.isdisjoint(run_terms):
                for term in run_terms:
                    if term in wanted:
                        found.append(_make_token((term, -1, first + start, first + end)))
    return found


def _expand(
    text: str, start: int, end: int, max_chars: int, spaced: str | None = None,
    words: "re.Pattern[str] | None" = None,
) -> tuple[int, int]:
    """Widen [start, end) with context to about ``max_chars``, cutting only between
    words. ``start`` and ``end`` are a token's start and a token's end (or both 0);
    ``spaced`` is ``text`` with line breaks as spaces and ``words`` is
    ``token_pattern_for(text)`` (each made when not given).

    Words are found near the edges only, from just after a blank (the tokenizer finds
    there exactly the tokens a scan of the whole text finds: a token never holds white
    space), with ``_word_pattern``: TOKEN_PATTERN is compiled only for text that is not
    ASCII.
    """
    if spaced is None:
        spaced = _spaced(text)
    search = (words or _word_pattern(text)).search
    room = max(0, max_chars - (end - start))
    before, after = room // 3, room - room // 3
    edge = start - before
    if edge <= 0:
        new_start = 0
    else:
        # the first word starting at or after the edge (``start`` itself at the latest)
        word = search(text, spaced.rfind(" ", 0, edge) + 1)
        while word is not None and word.start() < edge:
            word = search(text, word.end())
        new_start = start if word is None else min(word.start(), start)
    edge = end + after
    if edge >= len(text):
        new_end = len(text)
    else:
        # the last word ending at or before the edge; those before ``end`` end by it.
        # Looked for from the run before the last blank before the edge (its words end
        # before the edge), then, when that run holds none, from ``end``.
        new_end = end
        restart = spaced.rfind(" ", end, edge) + 1 or end
        if restart > end:
            restart = spaced.rfind(" ", end, restart - 1) + 1 or end
        for restart in (restart, end) if restart != end else (end,):
            word = search(text, restart)
            while word is not None and word.end() <= edge:
                new_end = word.end()
                word = search(text, new_end)
            if new_end > end:
                break
    # A snippet that would begin mid-sentence after a line break starts on the new line.
    line_start = text.rfind("\n", new_start, start)
    if line_start != -1:
        new_start = line_start + 1
    line_end = text.find("\n", end, new_end)
    if line_end != -1:
        new_end = line_end
    return new_start, new_end


def _word_pattern(text: str) -> "re.Pattern[str]":
    """A pattern that splits ``text`` into words as :data:`TOKEN_PATTERN` does, found
    without a scan of the text: the faster one for ASCII text, else TOKEN_PATTERN itself
    (``token_pattern_for`` would look through the whole text for combining marks,
    which costs more than the few words a passage's edges need)."""
    return token_pattern_for(text) if text.isascii() else _analyzer.TOKEN_PATTERN


def _unchanged(text: str) -> str:
    return text


def _escape_html(text: str) -> str:
    return html.escape(text, quote=True)


def _mark(
    text: str,
    start: int,
    end: int,
    spans: Iterable[tuple[int, int]],
    markers: tuple[str, str],
    escape: Callable[[str], str] = _unchanged,
) -> str:
    opening, closing = markers
    # Stripped before escaping, so that the escaped form keeps the same ends.
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    pieces = []
    cursor = start
    for s, e in spans:
        if s < cursor or e > end:
            continue
        pieces.append(escape(text[cursor:s]))
        pieces.append(opening + escape(text[s:e]) + closing)
        cursor = e
    pieces.append(escape(text[cursor:end]))
    return "".join(pieces)


def make_snippets(
    document: "Document",
    terms: set[str],
    analyzer: "IndonesianAnalyzer",
    count: int = 2,
    max_chars: int = 200,
    markers: tuple[str, str] = DEFAULT_MARKERS,
    snippet_format: SnippetFormat = "text",
) -> list[str]:
    """Up to ``count`` highlighted passages of ``document`` for the query ``terms``.

    Passages come from the first field (body, quotes, captions, title) that contains
    a match; a document with no match in any of them gets its lead as one passage.
    ``snippet_format="html"`` escapes the passages and marks matches with
    ``<mark>`` (``markers`` is then not used); see the module docstring.
    """
    if snippet_format not in SNIPPET_FORMATS:
        raise InvalidArgumentError(
            f"snippet_format must be one of {', '.join(SNIPPET_FORMATS)}, not {snippet_format!r}"
        )
    escape = _escape_html if snippet_format == "html" else _unchanged
    if snippet_format == "html":
        markers = HTML_MARKERS
    lead = ""
    wanted = frozenset(terms)
    for name, text in _field_texts(document):
        if name == "body" or (name == "title" and not lead):
            lead = text
        if not text:
            continue
        matches = matching_tokens(text, wanted, analyzer)
        if not matches:
            continue
        spaced = _spaced(text)
        words = _word_pattern(text)
        snippets = []
        for start, end in _best_windows(matches, max_chars, count):
            lo, hi = _expand(text, start, end, max_chars, spaced, words)
            spans = [(t[2], t[3]) for t in matches if lo <= t[2] and t[3] <= hi]
            snippets.append(_mark(text, lo, hi, _dedupe(spans), markers, escape))
        return [s for s in snippets if s]
    if not lead:
        return []
    _lo, hi = _expand(lead, 0, 0, max_chars)
    passage = _mark(lead, 0, hi, [], markers, escape)
    return [passage] if passage else []


def _dedupe(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    # One raw token can yield several terms (sosial-ekonomi); mark its span once.
    seen: list[tuple[int, int]] = []
    for span in spans:
        if not seen or span[0] >= seen[-1][1]:
            seen.append(span)
    return seen
