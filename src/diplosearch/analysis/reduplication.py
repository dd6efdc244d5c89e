"""Folding Indonesian reduplication and other hyphenated words.

Indonesian repeats words to mark plurality, variety, repetition or intensity, and
writes the repetition with a hyphen. For search, a reduplicated word means what its
base means, so it is folded to one word that the stemmer then reduces to the base:

- whole reduplication: ``negara-negara`` -> ``negara``;
- affixed reduplication, the affixes spread over both halves: ``kemerah-merahan`` ->
  ``kemerahan``, ``meniru-nirukan`` -> ``menirukan``, ``bermain-main`` -> ``bermain``,
  ``sebaik-baiknya`` -> ``sebaiknya`` (each stems to the base: merah, tiru, main, baik);
- reciprocal reduplication, the second half carrying a prefix: ``tolong-menolong``,
  ``surat-menyurat``, ``anak-beranak`` -> the first half;
- rhyming reduplication, the halves differing in one consonant or in their vowels:
  ``sayur-mayur`` -> ``sayur``, ``berselang-seling`` -> ``berselang``, ``bolak-balik`` ->
  ``balik`` (the half that is a known root wins).

A clitic after a hyphen goes with the word before it (``rahmat-Nya`` -> ``rahmat``).
A reduplicated word that is a root in its own right (``kura-kura`` turtle,
``undang-undang`` law) stays whole, also inside affixed forms (``perundang-undangan``
-> ``undang-undang``). Anything else with hyphens is a compound or a numeral and is
split into its parts: ``sosial-ekonomi`` -> ``sosial``, ``ekonomi``; ``ke-32`` ->
``ke``, ``32``.
"""

from __future__ import annotations

from typing import Callable

from .morphology import (
    CLITICS,
    REDUPLICATION_PREFIXES,
    REDUPLICATION_SUFFIXES,
    SECOND_HALF_PREFIXES,
    VOWELS,
)

MIN_BASE = 3  # shorter overlaps are coincidences (ke-32, co-op)


def _never_root(word: str) -> bool:
    return False


def fold_reduplication(token: str, is_root: Callable[[str], bool] = _never_root) -> list[str]:
    """Return the words a lower-case, possibly hyphenated token stands for.

    - a known reduplicated root stays whole: ``kura-kura`` -> ``["kura-kura"]``;
    - a reduplication folds to one word: ``negara-negara`` -> ``["negara"]``,
      ``kunjungan-kunjungan`` -> ``["kunjungan"]``, ``kemerah-merahan`` ->
      ``["kemerahan"]``, ``sayur-mayur`` -> ``["sayur"]``;
    - anything else is split into its parts: ``sosial-ekonomi`` -> ``["sosial", "ekonomi"]``.

    ``is_root`` tells whether a word (hyphenated or not) is a known root; it keeps true
    reduplicated roots whole and picks the meaningful half of a rhyming pair.
    """
    if "-" not in token:
        return [token]
    if is_root(token):
        return [token]
    parts = [part for part in token.split("-") if part]
    if len(parts) > 1 and parts[-1] in CLITICS:
        # a clitic written after a hyphen belongs to the word before it: rahmat-Nya,
        # kuasa-mu, allah-lah, malaikat-malaikat-nya
        parts.pop()
        if len(parts) > 1 and is_root("-".join(parts)):
            return ["-".join(parts)]
    if len(parts) == 1:
        return parts
    if len(parts) == 2:
        folded = _fold_pair(parts[0], parts[1], is_root)
        if folded is not None:
            return [folded]
    elif len(parts) > 2 and all(part == parts[0] for part in parts):
        return [parts[0]]
    return parts


def _fold_pair(a: str, b: str, is_root: Callable[[str], bool]) -> str | None:
    """The one word ``a-b`` stands for when it is a reduplication, else None."""
    if not (a.isalpha() and b.isalpha()):
        return None
    if a == b:
        return a
    affixed = _affixed(a, b, is_root)
    if affixed is not None:
        return affixed
    if _reciprocal(a, b):
        return a
    return _rhyming(a, b, is_root)


def _affixed(a: str, b: str, is_root: Callable[[str], bool]) -> str | None:
    """``prefix+base - base+suffix`` -> ``prefix+base+suffix`` (kemerah-merahan).

    The base is the longest end of ``a`` that begins ``b``, with a known prefix before it
    and a known suffix after it. ``meniru-nirukan`` has base ``niru`` (the nasalised form
    of tiru in both halves): the result ``menirukan`` stems to tiru.
    """
    for k in range(min(len(a), len(b)), MIN_BASE - 1, -1):
        if a[-k:] != b[:k]:
            continue
        prefix, base, suffix = a[:-k], a[-k:], b[k:]
        if prefix in REDUPLICATION_PREFIXES and suffix in REDUPLICATION_SUFFIXES:
            whole = f"{base}-{base}"
            # perundang-undangan, kehati-hatian, kura-kuranya keep the reduplicated root;
            # se-X-X(nya) says "as X as can be" of the base (semata-mata: merely)
            if not prefix.startswith("se") and is_root(whole):
                return whole
            return prefix + base + suffix
    return None


def _reciprocal(a: str, b: str) -> bool:
    """``base - prefix+base`` (anak-beranak, bahu-membahu) or, with the nasal replacing
    the first consonant, ``tolong-menolong``, ``surat-menyurat``; a suffix may follow."""
    for body in (a, a[1:] if a[0] not in VOWELS else ""):
        if len(body) < MIN_BASE:
            continue
        at = b.find(body)
        if at > 0 and b[:at] in SECOND_HALF_PREFIXES and b[at + len(body) :] in REDUPLICATION_SUFFIXES:
            if body is a or b[:at].startswith(("me", "pe")):
                return True
    return False


def _rhyming(a: str, b: str, is_root: Callable[[str], bool]) -> str | None:
    """Reduplication with a sound change: one consonant (sayur-mayur, ramah-tamah) or the
    vowels (bolak-balik, gerak-gerik, berselang-seling). The first half may carry a
    prefix. The base is the first half (sayur, gerak, selang) unless it is no known
    root, or unless it is the o-form echo of the second (bolak-balik: balik)."""
    n = len(b)
    if n < 4 or len(a) < n:
        return None
    prefix, core = a[: len(a) - n], a[len(a) - n :]
    if prefix not in REDUPLICATION_PREFIXES:
        return None
    consonant_change = core[1:] == b[1:] and core[0] not in VOWELS and b[0] not in VOWELS
    vowel_change = all(
        (x == y) if (x not in VOWELS or y not in VOWELS) else True for x, y in zip(core, b)
    ) and core[0] == b[0]
    if not (consonant_change or vowel_change):
        return None
    if vowel_change and _first_vowel(core) == "o" and _first_vowel(b) != "o" and is_root(b):
        # the o-form in front is the echo and the second half the base: bolak-balik,
        # corat-coret, pontang-panting
        return prefix + b
    if is_root(core) or not is_root(b):
        return a
    return prefix + b


def _first_vowel(word: str) -> str:
    return next((ch for ch in word if ch in VOWELS), "")
