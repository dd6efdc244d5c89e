"""Indonesian word knowledge: the sounds, affixes and clitics the analysis relies on.

One home for what the stemmer (``indonesian_stemmer.py``), the reduplication folder
(``reduplication.py``), the lexicon reader (``lexicon.py``) and the lexicon builder
(``scripts/build_lexicon.py``) must agree on:

- letters: the vowels;
- clitics: the particles (-lah -kah -tah -pun) and possessives (-nya -ku -mu);
- suffixes: the derivational ones (-kan -an -i) and the endings they form with clitics;
- prefixes: their names as the stemmer removes them, the combinations Indonesian
  forbids, and the spellings (allomorphs, stacks) that stand before a reduplication;
- the lexicon's derivation patterns: the letter of each prefix and suffix class, and
  how a root's patterns are written (``DakoMako``) and read (a bit mask).

Only data and the pattern codec live here; the rules that use them stay with their users.
"""

from __future__ import annotations

from collections.abc import Iterable

VOWELS = frozenset("aeiou")

# --- clitics ---------------------------------------------------------------------------
PARTICLES = ("lah", "kah", "tah", "pun")
POSSESSIVES = ("nya", "ku", "mu")
# The possessive pronouns and the particles (-Nya is the one referring to God).
CLITICS = frozenset(PARTICLES + POSSESSIVES)

# --- suffixes ---------------------------------------------------------------------------
DERIVATIONAL_SUFFIXES = ("kan", "an", "i")

# --- prefixes, as the stemmer names them ----------------------------------------------
# Prefix/suffix pairs that do not combine in Indonesian (Nazief & Adriani 1996): an
# analysis that would need one of them is not considered.
DISALLOWED_CONFIXES = frozenset(
    {("ber", "i"), ("di", "an"), ("ke", "i"), ("ke", "kan"), ("me", "an"), ("se", "i"),
     ("se", "kan"), ("ter", "an")}
)
# Prefixes that only stand outermost: no prefix comes before di-, meN-, ku-, kau-.
OUTERMOST_ONLY = frozenset({"di", "me", "ku"})

# --- affixes around a reduplication, as they are spelt ---------------------------------
# Prefixes (alone or stacked) that may stand before the first half of an affixed
# reduplication (ber-lari-lari, ke-merah-merah-an, mem-per-..., se-baik-baik-nya).
_SINGLE_PREFIX_SPELLINGS = (
    "", "ber", "be", "ter", "te", "per", "pe", "me", "mem", "men", "meng", "meny", "menge",
    "pem", "pen", "peng", "peny", "penge", "memper", "member", "pember", "diper", "keber",
    "keter", "berke", "berpe",
)
REDUPLICATION_PREFIXES = frozenset(
    outer + inner for outer in ("", "di", "ke", "se", "ku", "kau") for inner in _SINGLE_PREFIX_SPELLINGS
)
# Suffix, then possessive, then particle, in that order (-kan, -an, -i; -nya...; -lah...).
# The archaic -tah (apatah) is not looked for after a reduplication.
REDUPLICATION_SUFFIXES = frozenset(
    derivational + possessive + particle
    for derivational in ("", *DERIVATIONAL_SUFFIXES)
    for possessive in ("", *POSSESSIVES)
    for particle in ("", *(p for p in PARTICLES if p != "tah"))
)
# Prefixes of the second half of a reciprocal or affixed-second reduplication; a nasal
# replaces the base's first consonant (tolong-menolong, pukul-memukul, surat-menyurat).
SECOND_HALF_PREFIXES = frozenset(
    {"me", "mem", "men", "meng", "meny", "menge", "ber", "be", "ter", "te", "di", "pe", "pem", "pen",
     "peng", "peny", "ke", "se", "per"}
)

# --- the lexicon's derivation patterns ----------------------------------------------
# Each root line of ``data/lexicon/roots.txt`` may carry, after a tab, the (outer prefix,
# suffix) pairs its Hunspell flags license, written as groups: a prefix letter, then the
# suffix letters it occurs with (``tuduh<TAB>DakoMakoPaoTao_a``).
#   outer prefix   B ber-/be-   D di-   K ke-   M meN-   P peN-/pe-   R per-   S se-
#                  T ter-/te-   O ku-/kau- (the pronoun proclitics)   _ none
#   suffix         a -an   i -i   k -kan   o none
PREFIX_LETTERS = "BDKMOPRST_"
SUFFIX_LETTERS = "oaik"
NO_PREFIX_LETTER = "_"
NO_SUFFIX_LETTER = "o"
# The letter of each prefix and suffix as the stemmer names them ("" for none).
PREFIX_LETTER = {
    "ber": "B", "di": "D", "ke": "K", "me": "M", "ku": "O", "pe": "P", "per": "R", "se": "S", "ter": "T",
}
SUFFIX_LETTER = {"": NO_SUFFIX_LETTER, "an": "a", "i": "i", "kan": "k"}
# The letter of an affix as a dictionary spells it, by how it begins (first match wins:
# per- before pe-).
PREFIX_LETTER_BY_START = (("per", "R"), ("be", "B"), ("di", "D"), ("ke", "K"), ("me", "M"),
                          ("pe", "P"), ("se", "S"), ("te", "T"), ("kau", "O"), ("ku", "O"))
SUFFIX_LETTER_BY_START = (("kan", "k"), ("an", "a"), ("i", "i"))


def pattern_bit(prefix: str, suffix: str) -> int:
    """The bit of one (outer prefix letter, suffix letter) pair in a root's pattern mask."""
    return 1 << (PREFIX_LETTERS.index(prefix) * 4 + SUFFIX_LETTERS.index(suffix))


def encode_patterns(patterns: Iterable[str]) -> str:
    """{"Bo", "Ba", "Mk", "_a"} -> "BaoMk_a": each prefix letter, then its suffix letters."""
    groups: dict[str, str] = {}
    for pattern in sorted(patterns):
        groups[pattern[0]] = groups.get(pattern[0], "") + pattern[1]
    return "".join(p + "".join(sorted(groups[p])) for p in PREFIX_LETTERS if p in groups)


def decode_patterns(encoded: str) -> int:
    """``"BaoMk_a"`` -> bit mask of {Ba, Bo, Mk, _a}."""
    mask = 0
    prefix = NO_PREFIX_LETTER
    for ch in encoded:
        if ch in PREFIX_LETTERS:
            prefix = ch
        else:
            mask |= pattern_bit(prefix, ch)
    return mask


# (outer prefix, suffix) as the stemmer names them -> its bit in a root's pattern mask
AFFIX_BIT = {
    (prefix, suffix): pattern_bit(PREFIX_LETTER.get(prefix, NO_PREFIX_LETTER), letter)
    for prefix in ("", *PREFIX_LETTER)
    for suffix, letter in SUFFIX_LETTER.items()
}
