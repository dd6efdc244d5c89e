"""An Indonesian stemmer backed by a root lexicon.

Snowball's ``indonesian`` algorithm strips affixes by their shape alone, so it cuts
roots that merely look affixed (``pelopor`` -> ``lopor``, ``diplomasi`` -> ``plomasi``)
and undoes the meN-/peN- sound changes inconsistently (``mengembangkan`` -> ``embang``
but ``perkembangan`` -> ``kembang``). This stemmer analyses a word against a lexicon of
Indonesian roots (``data/lexicon/roots.txt``, built from Debian's hunspell-id):

1. a word that is in the lexicon is a root and is never cut (``pelopor``, ``kembali``);
2. otherwise every way of removing, from the outside in, a particle (-lah -kah -tah
   -pun), a possessive (-ku -mu -nya), a derivational suffix (-kan -an -i) and up to
   three prefixes (di- ke- se- ku- kau- meN- peN- ber- ter- per-, with the sound
   changes of meN-/peN- undone: ``menuduh`` -> tuduh, ``memasuki`` -> masuk,
   ``menyapu`` -> sapu, ``mengirim`` -> kirim) that leaves a lexicon root is an
   analysis;
3. of those analyses, the stemmer prefers one whose affixes the dictionary licenses for
   that root (its Hunspell flags: ``membeli`` is beli + meN-, not bel + meN-...-i), then
   the one removing fewer affixes, then the root the dictionary derives more words
   from, then the order of the rules; an unlicensed analysis down to a short root the
   dictionary derives nothing from, or removing only -i, is dropped (``asean`` is not
   ase + -an, ``helmi`` not helm + -i);
4. a word with no analysis is unknown (a name, a foreign word, a typo): only clitics
   are removed (``jokowinya`` -> ``jokowi``) and the rest is left alone.

Words with digits or an apostrophe, words without a vowel (acronyms such as ``dpr``)
and words shorter than four letters are left as they are.

The module holds the rules: the prefix and suffix options, :class:`AffixParser` (steps
2 and 3), the clitic fallback and :class:`IndonesianStemmer`. The affix inventory they
draw on lives in :mod:`~diplosearch.analysis.morphology`.
"""

from __future__ import annotations

import threading
from typing import Any

import Stemmer as _pystemmer

from .cache import CACHE_LIMIT, remember
from .lexicon import Lexicon, lexicon_digest, load_lexicon
from .morphology import (
    AFFIX_BIT,
    DISALLOWED_CONFIXES,
    OUTERMOST_ONLY,
    PARTICLES,
    POSSESSIVES,
    VOWELS,
)

# Bump whenever a rule changes what some word stems to; indexes record the version.
RULES_VERSION = "2"

FALLBACKS = ("clitics", "none", "snowball")

MIN_ROOT = 3  # a shorter remainder is never taken for a root (di-a, ke-na)
MAX_PREFIXES = 3  # di-per-se-..., mem-per-ke-...

# Reduplicated words whose meaning is not "many X" or "X again" but a word of its own,
# while the base is a different everyday word: these stay whole. (Reduplications whose
# halves are no words on their own, such as kupu-kupu, are recognised from the lexicon.)
LEXICALISED_REDUPLICATIONS = frozenset(
    {
        "abu-abu",  # grey (abu: ash)
        "agar-agar",  # agar jelly (agar: so that)
        "alang-alang",  # cogon grass (alang: crossbar)
        "api-api",  # mangrove; fireflies (api: fire)
        "cita-cita",  # aspiration (cita: feeling)
        "gula-gula",  # sweets (gula: sugar)
        "hati-hati",  # careful (hati: liver, heart)
        "jangan-jangan",  # perhaps, lest (jangan: do not)
        "kuda-kuda",  # stance, roof truss, easel (kuda: horse)
        "kura-kura",  # turtle
        "laba-laba",  # spider (laba: profit)
        "langit-langit",  # ceiling, palate (langit: sky)
        "layang-layang",  # kite (layang: to glide)
        "lumba-lumba",  # dolphin
        "mata-mata",  # spy (mata: eye)
        "oleh-oleh",  # souvenir (oleh: by)
        "pura-pura",  # to pretend (pura: temple)
        "rama-rama",  # moth (rama: father)
        "rata-rata",  # average (rata: flat, even)
        "tiba-tiba",  # suddenly (tiba: to arrive)
        "undang-undang",  # law (undang: to invite)
    }
)


def prefix_options(w: str) -> list[tuple[str, str]]:
    """Every way one prefix may be removed from ``w``: ``(prefix, remainder)`` pairs,
    most likely first. The remainder has the root's first sound restored."""
    out: list[tuple[str, str]] = []
    if len(w) < 5:
        return out
    c0, c1, c2 = w[0], w[1], w[2]
    if c0 == "d":
        if c1 == "i":
            out.append(("di", w[2:]))
    elif c1 == "e":
        if c0 == "k":
            out.append(("ke", w[2:]))
        elif c0 == "s":
            out.append(("se", w[2:]))
        elif c0 == "m":
            _nasal("me", w, out)
        elif c0 == "p":
            if c2 == "r":
                out.append(("per", w[3:]))  # per-besar, per-ekonomi-an
                out.append(("per", w[2:]))  # pe- before r: pe-ringan
            _nasal("pe", w, out)
            if c2 not in VOWELS and c2 not in "lmnrwy":
                out.append(("pe", w[2:]))  # pe- without a nasal: pe-tani, pe-kerja, pe-dagang
            if w.startswith("pelajar"):
                out.append(("pe", w[3:]))  # pel-ajar: the one root taking pel-
        elif c0 == "b" or c0 == "t":
            # ber-, ter-; their r drops before r (be-renang, te-rasa) and before a first
            # syllable ending in -er (be-kerja, be-ternak, te-percaya)
            name = "ber" if c0 == "b" else "ter"
            if c2 == "r":
                out.append((name, w[3:]))
                out.append((name, w[2:]))
            elif c2 not in VOWELS and w[3:5] == "er":
                out.append((name, w[2:]))
            if c0 == "b" and w.startswith("belajar"):
                out.append(("ber", w[3:]))  # bel-ajar: the one root taking bel-
    elif c0 == "k":
        if c1 == "u":
            out.append(("ku", w[2:]))  # ku-tulis (I write)
        elif c1 == "a" and c2 == "u":
            out.append(("ku", w[3:]))  # kau-tulis (you write)
    return out


def _nasal(name: str, w: str, out: list[tuple[str, str]]) -> None:
    """meN-/peN- (``name`` is me or pe): the nasal merges with the root's first sound.

    me-lihat, me-rasa, me-wakili, me-yakini; mem-baca, mem-pakai (p dropped),
    mem-proses; men-cari, men-dengar, men-tulis (t dropped); meny-sapu (s dropped);
    meng-ambil, meng-kirim (k dropped), meng-gali, meng-hadap; menge-bom (one-syllable
    roots); and the loan-word variants mem-rogram (p dropped before r), meng-kritik.
    """
    n = len(w)
    c = w[2]
    if c in "lrwy":
        out.append((name, w[2:]))
        return
    d = w[3] if n > 3 else ""
    if c == "m":
        if d in "bfv":
            out.append((name, w[3:]))
        elif d in VOWELS:
            out.append((name, w[2:]))  # me-makan, me-minta
            out.append((name, "p" + w[3:]))  # mem-pakai
        elif d == "p":
            out.append((name, w[3:]))  # mem-proses, mem-per-...
        elif d in "rl":
            out.append((name, "p" + w[3:]))  # mem-rogram (program)
    elif c == "n":
        if d == "g":
            e = w[4] if n > 4 else ""
            if e in VOWELS:
                out.append((name, w[4:]))  # meng-ambil
                out.append((name, "k" + w[4:]))  # meng-kirim
                if e == "e":
                    out.append((name, w[5:]))  # menge-bom, menge-cat
                out.append((name, w[2:]))  # me-nganga
            elif e:
                out.append((name, w[4:]))  # meng-gali, meng-hadap, meng-kritik
        elif d == "y":
            if n > 4 and w[4] in VOWELS:
                out.append((name, "s" + w[4:]))  # meny-sapu
                out.append((name, w[2:]))  # me-nyanyi
        elif d in VOWELS:
            out.append((name, w[2:]))  # me-nanti
            out.append((name, "t" + w[3:]))  # men-tulis
        elif d:
            out.append((name, w[3:]))  # men-cari, men-dengar, men-jual, men-transfer


def suffix_options(w: str) -> list[tuple[str, str]]:
    """Every way one derivational suffix may be removed: ``(suffix, remainder)``."""
    out: list[tuple[str, str]] = []
    n = len(w)
    if n > 5 and w.endswith("kan"):
        out.append(("kan", w[:-3]))
    if n > 4 and w.endswith("an"):
        out.append(("an", w[:-2]))  # also masak-an, where -kan was only a k-root + -an
    elif n > 3 and w[-1] == "i":
        out.append(("i", w[:-1]))
    return out


# (prefix, restored letter, cut): one option of prefix_options, its remainder being
# ``letter + w[cut:]``; a word's options as such depend on its first letters alone.
PrefixCut = tuple[str, str, int]
# prefix_options reads no further than this into a word...
HEAD = 5
# ...but for the two heads of pel-ajar and bel-ajar, which read seven letters.
LONG_HEADS = frozenset({"pelaj", "belaj"})
# The letters prefix_options finds a prefix after; words beginning otherwise have none.
PREFIX_INITIALS = frozenset("bdkmpst")


def prefix_cuts(w: str) -> tuple[PrefixCut, ...]:
    """:func:`prefix_options` of ``w`` as :data:`PrefixCut` triples, which hold for any
    word of the same first :data:`HEAD` letters (those of :data:`LONG_HEADS` aside)."""
    n = len(w)
    cuts = []
    for prefix, rest in prefix_options(w):
        cut = n - len(rest)
        if rest == w[cut:]:
            cuts.append((prefix, "", cut))
        else:  # a sound restored: rest[0] + w[cut + 1:]
            cuts.append((prefix, rest[0], cut + 1))
    return tuple(cuts)


# A parse as best() keeps it: root, outermost prefix ("" for none), number of
# prefixes, suffix ("" for none), number of clitics.
_Found = tuple[str, str, int, str, int]


class AffixParse:
    """One way of reading a word as root + affixes."""

    __slots__ = ("root", "prefixes", "suffix", "clitics")

    def __init__(self, root: str, prefixes: tuple[str, ...], suffix: str, clitics: tuple[str, ...]) -> None:
        self.root = root
        self.prefixes = prefixes
        self.suffix = suffix
        self.clitics = clitics

    def __repr__(self) -> str:
        return f"AffixParse({self.root!r}, {self.prefixes}, {self.suffix!r}, {self.clitics})"


#: The suffixes :func:`suffix_options` offers, by their last letter, longest first.
_SUFFIXES_ENDING_IN = {"n": ("kan", "an"), "i": ("i",)}


def prefix_may_follow(prefix: str, used: tuple[str, ...], suffix: str) -> bool:
    """Whether ``prefix`` may be taken off a word after the prefixes ``used`` (outermost
    first) when the word ends in ``suffix``: never twice, an outermost-only prefix only
    first, and never as half of a confix that does not exist (di-...-an)."""
    if prefix in used:
        return False
    if used:
        return prefix not in OUTERMOST_ONLY
    return not (suffix and (prefix, suffix) in DISALLOWED_CONFIXES)


class AffixParser:
    """Finds and ranks the ways a word parses as root + affixes against a lexicon.

    Its one state is a memo of a pure function, so one parser serves every thread.
    """

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.roots = lexicon.roots
        self.patterns = lexicon.patterns
        # head -> prefix_cuts; only memoises a pure function, so threads may share it
        self._cuts: dict[str, tuple[PrefixCut, ...]] = {}

    def licensed(self, a: AffixParse) -> bool:
        """True when the dictionary derives the word this way (bare roots always)."""
        if not a.prefixes and not a.suffix:
            return True
        return bool(self.patterns.get(a.root, 0) & AFFIX_BIT[a.prefixes[0] if a.prefixes else "", a.suffix])

    def parses(self, word: str) -> list[AffixParse]:
        """All parses reaching a lexicon root, in rule order."""
        out: list[AffixParse] = []
        forms = [(word, ())]
        w = word
        clitics: tuple[str, ...] = ()
        for group in (PARTICLES, POSSESSIVES):
            for clitic in group:
                if w.endswith(clitic) and len(w) - len(clitic) >= MIN_ROOT:
                    w = w[: -len(clitic)]
                    clitics = (clitic,) + clitics
                    forms.append((w, clitics))
                    break
        roots = self.roots
        for form, found_clitics in reversed(forms):
            if form in roots:
                out.append(AffixParse(form, (), "", found_clitics))
            for suffix, rest in suffix_options(form):
                if rest in roots:
                    out.append(AffixParse(rest, (), suffix, found_clitics))
                self._prefixes(rest, (), suffix, found_clitics, out)
            self._prefixes(form, (), "", found_clitics, out)
        return out

    def _prefixes(
        self, w: str, used: tuple[str, ...], suffix: str, clitics: tuple[str, ...], out: list[AffixParse]
    ) -> None:
        roots = self.roots
        for prefix, rest in prefix_options(w):
            if not prefix_may_follow(prefix, used, suffix) or len(rest) < MIN_ROOT:
                continue
            chain = used + (prefix,)
            if rest in roots:
                out.append(AffixParse(rest, chain, suffix, clitics))
            if len(chain) < MAX_PREFIXES:
                self._prefixes(rest, chain, suffix, clitics, out)
        if not used and suffix == "an" and w.startswith("ketidak") and len(w) > 7 + MIN_ROOT:
            # ke-tidak-X-an, the negated abstract noun: ketidakpastian -> pasti
            rest = w[7:]
            if rest in roots:
                out.append(AffixParse(rest, ("ke",), suffix, clitics))
            self._prefixes(rest, ("ke",), suffix, clitics, out)

    def best_of(self, parses: list[AffixParse]) -> str | None:
        """The root of the preferred of ``parses`` (in rule order; see the module
        docstring, step 3), or None when none is acceptable.

        The definition :meth:`best` computes without building the parses.
        """
        patterns = self.patterns
        ranked = []
        for order, a in enumerate(parses):
            mask = patterns.get(a.root, 0)
            licensed = self.licensed(a)
            if not licensed and (
                (not mask and len(a.root) <= MIN_ROOT) or (a.suffix == "i" and not a.prefixes)
            ):
                # weak evidence: a short entry the dictionary derives nothing from (asean
                # is not ase + -an, diana not di- + ana), or a bare -i, which only forms
                # imperatives (jauhi) and which names end in (hadi, helmi, fuadi)
                continue
            removed = len(a.prefixes) + (1 if a.suffix else 0) + len(a.clitics)
            ranked.append((not licensed, removed, -mask.bit_count(), order, a.root))
        return min(ranked)[4] if ranked else None

    def best(self, word: str) -> str | None:
        """The root of the preferred parse, or None when no parse reaches a root.

        The same as ``best_of(parses(word))``, at a fraction of the cost: a word seen for
        the first time is stemmed while a query or a snippet waits. A parse is kept as a
        plain tuple, the prefix options come from :meth:`prefix_cuts` and the ranking
        keeps the first parse of the least rank instead of sorting.
        """
        roots = self.roots
        found: list[_Found] = []
        # the word less its particle, then less its possessive (PARTICLES, POSSESSIVES)
        forms = [(word, 0)]
        w = word
        if w.endswith(PARTICLES) and len(w) - 3 >= MIN_ROOT:
            w = w[:-3]
            forms.append((w, 1))
        if w.endswith(POSSESSIVES):
            cut = 3 if w.endswith("nya") else 2
            if len(w) - cut >= MIN_ROOT:
                w = w[:-cut]
                forms.append((w, len(forms)))
        prefixes = self._prefix_parses
        # removing clitics and suffixes leaves the start: no form has a prefix, or all may
        may_prefix = word[0] in PREFIX_INITIALS
        for form, clitics in reversed(forms):
            if form in roots:
                found.append((form, "", 0, "", clitics))
            n = len(form)
            # suffix_options: -kan and -an end in n, -i in i; each leaves at least 3 letters
            for suffix in _SUFFIXES_ENDING_IN.get(form[-1], ()):
                if n > len(suffix) + 2 and form.endswith(suffix):
                    rest = form[: -len(suffix)]
                    if rest in roots:
                        found.append((rest, "", 0, suffix, clitics))
                    if may_prefix:
                        prefixes(rest, (), suffix, clitics, found)
            if may_prefix:
                prefixes(form, (), "", clitics, found)
        if not found:
            return None
        patterns = self.patterns
        best_rank: tuple[bool, int, int] | None = None
        best_root = None
        for root, outer, prefix_count, suffix, clitics in found:
            mask = patterns.get(root, 0)
            licensed = (not prefix_count and not suffix) or bool(mask & AFFIX_BIT[outer, suffix])
            if not licensed and ((not mask and len(root) <= MIN_ROOT) or (suffix == "i" and not prefix_count)):
                continue  # weak evidence, as in best_of
            rank = (not licensed, prefix_count + (1 if suffix else 0) + clitics, -mask.bit_count())
            if best_rank is None or rank < best_rank:  # ties: the earlier parse, as best_of's order
                best_rank, best_root = rank, root
        return best_root

    def _prefix_parses(
        self, w: str, used: tuple[str, ...], suffix: str, clitics: int, found: list[_Found]
    ) -> None:
        """:meth:`_prefixes` for :meth:`best`: parses as ``_Found`` tuples."""
        n = len(w)
        if n < 5 or w[0] not in PREFIX_INITIALS:
            return  # prefix_options offers nothing, and ketidak- is longer
        roots = self.roots
        cuts = self._cuts.get(w[:HEAD])  # prefix_cuts' memo, read here without a call
        if cuts is None:
            cuts = self.prefix_cuts(w)
        for prefix, letter, cut in cuts:
            if not prefix_may_follow(prefix, used, suffix) or n - cut + len(letter) < MIN_ROOT:
                continue
            rest = letter + w[cut:]
            chain = used + (prefix,)
            if rest in roots:
                found.append((rest, chain[0], len(chain), suffix, clitics))
            if len(chain) < MAX_PREFIXES and rest[0] in PREFIX_INITIALS:  # the call's own first test
                self._prefix_parses(rest, chain, suffix, clitics, found)
        if not used and suffix == "an" and n > 7 + MIN_ROOT and w.startswith("ketidak"):
            rest = w[7:]
            if rest in roots:
                found.append((rest, "ke", 1, suffix, clitics))
            self._prefix_parses(rest, ("ke",), suffix, clitics, found)

    def prefix_cuts(self, w: str) -> tuple[PrefixCut, ...]:
        """:func:`prefix_options` of ``w`` as :data:`PrefixCut` triples, kept per head.

        The options depend on the first :data:`HEAD` letters of a word alone (but for
        the pel-/bel- of pelajar and belajar), so words sharing a head share them.
        """
        head = w[:HEAD]
        cuts = self._cuts.get(head)
        if cuts is None:
            cuts = prefix_cuts(w)
            if head not in LONG_HEADS:
                remember(self._cuts, head, cuts, CACHE_LIMIT)
        return cuts


def strip_clitics(word: str) -> str:
    """For unknown words: remove a particle and then -nya, when enough remains.

    ``-ku``/``-mu`` are left (haiku, sudoku, emu), and so is the -lah of Arabic names
    (Abdullah, Fathullah).
    """
    # one endswith for all particles (each three letters long): most words end in none
    if word.endswith(PARTICLES) and len(word) - 3 >= 4 and not word.endswith("llah"):
        word = word[:-3]
    if word.endswith("nya") and len(word) - 3 >= MIN_ROOT:
        word = word[:-3]
    return word


class IndonesianStemmer:
    """Lexicon-backed Indonesian stemmer with a per-word cache.

    :param fallback: what to do with a word no analysis reduces to a lexicon root:
        ``"clitics"`` (default) removes only -nya and particles; ``"none"`` keeps the
        word; ``"snowball"`` hands it to Snowball's algorithm (which cuts names and
        foreign words: measured in ``benchmarks/stemming.py``).

    Pickles as its configuration only; the lexicon is loaded once per process, on first use.
    """

    name = "indonesian"

    def __init__(self, fallback: str = "clitics") -> None:
        if fallback not in FALLBACKS:
            raise ValueError(f"fallback must be one of {FALLBACKS}, not {fallback!r}")
        self.fallback = fallback
        self._init_runtime()

    def _init_runtime(self) -> None:
        self.version = f"indonesian-{RULES_VERSION}-lex{lexicon_digest()}-{self.fallback}"
        self._cache: dict[str, str] = {}
        # PyStemmer objects keep per-call state in C; one lock keeps them safe under threads.
        self._lock = threading.Lock()
        self._snowball: Any = None
        self._parser: AffixParser | None = None

    @property
    def parser(self) -> AffixParser:
        """The affix parser over the bundled lexicon (loaded on first use)."""
        parser = self._parser
        if parser is None:
            parser = self._parser = AffixParser(load_lexicon())
        return parser

    def stem(self, word: str) -> str:
        """The stem of one lower-case word (see the module docstring)."""
        cache = self._cache
        stemmed = cache.get(word)
        if stemmed is not None:
            return stemmed
        # one call fewer per new word: the rules are inlined here, not in a helper
        parser = self._parser or self.parser
        if word in parser.roots or len(word) < 4 or not word.isalpha() or VOWELS.isdisjoint(word):
            stemmed = word
        else:
            stemmed = parser.best(word)
            if stemmed is None:
                stemmed = strip_clitics(word) if self.fallback == "clitics" else self._unknown(word)
        if len(cache) < CACHE_LIMIT:  # remember(), inlined
            cache[word] = stemmed
        return stemmed

    def _unknown(self, word: str) -> str:
        """What the ``"snowball"`` and ``"none"`` fallbacks make of a word with no parse."""
        if self.fallback == "snowball":
            with self._lock:
                if self._snowball is None:
                    self._snowball = _pystemmer.Stemmer("indonesian")
                return self._snowball.stemWord(word)
        return word

    def is_root(self, word: str) -> bool:
        """True for a lexicon root; for a hyphenated word, True when it is a reduplicated
        root in its own right (``kura-kura``, ``kupu-kupu``), not a plural (``anak-anak``)."""
        roots = self.parser.roots
        if "-" not in word:
            return word in roots
        if word in LEXICALISED_REDUPLICATIONS:
            return True
        return word in roots and not any(part in roots for part in word.split("-"))

    def __getstate__(self) -> dict[str, str]:
        return {"fallback": self.fallback}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.fallback = state["fallback"]
        self._init_runtime()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.version == self.version  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.version))

    def __repr__(self) -> str:
        return f"IndonesianStemmer(fallback={self.fallback!r})"
