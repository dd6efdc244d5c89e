#!/usr/bin/env python3
"""Build diplosearch's Indonesian root lexicon from Debian's ``hunspell-id`` files.

Usage::

    apt-get download hunspell-id && dpkg -x hunspell-id_*.deb /tmp/hunspell-id
    python scripts/build_lexicon.py /tmp/hunspell-id/usr/share/hunspell

It reads ``id_ID.dic`` (roots with affix flags) and ``id_ID.aff`` (the affix rules)
and writes, under ``src/diplosearch/data/lexicon/``:

``roots.txt``
    One entry per line, sorted: ``word``, then a tab and the derivation patterns the
    Hunspell flags license for it (see :func:`derivation_patterns`), e.g.
    ``tuduh<TAB>DakoMakoPaoTao_a``: a prefix letter then the suffixes it occurs with.
    Entries are the .dic words lower-cased; entries that are not plain lower-case
    Latin words (optionally hyphenated, as in ``kura-kura``) are dropped.
``roots.json``
    The same lexicon in a form about five times faster to load (the roots as one
    string, the patterns decoded, the sha256 of ``roots.txt``): see
    ``diplosearch.analysis.lexicon``. ``--compact-only`` rewrites just this file from
    the ``roots.txt`` already there.
``PROVENANCE``
    Source package, authors, licence, the transformation and the sha256 of the inputs.

Nothing else is used: no other dictionary, and no evaluation data. The output is
deterministic for given inputs.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "diplosearch" / "data" / "lexicon"
if importlib.util.find_spec("diplosearch") is None:
    sys.path.insert(0, str(REPO / "src"))

# The pattern letters and their text form are the format the stemmer reads: one definition.
from diplosearch.analysis.lexicon import compact_form  # noqa: E402
from diplosearch.analysis.morphology import (  # noqa: E402
    NO_PREFIX_LETTER,
    NO_SUFFIX_LETTER,
    PREFIX_LETTER_BY_START,
    SUFFIX_LETTER_BY_START,
    encode_patterns,
)

ENTRY = re.compile(r"^[a-z]+(?:-[a-z]+)*$")
MISSING_SLASH = re.compile(r"^([a-z]+(?:-[a-z]+)*)([A-Z][0-9a-z])$")

# Derivation patterns. Each Hunspell affix flag of id_ID.aff adds a prefix, a suffix or
# both (a confix such as ber-an). Expanding a root's flags gives the derived forms the
# dictionary accepts; the lexicon keeps, per root, which (outer prefix, suffix) pairs
# occur among them. The stemmer uses these only to choose between analyses that both
# reach a root (membeli: beli "meN-" rather than bel "meN-...-i"). The letters of the
# prefix and suffix classes are listed in diplosearch.analysis.morphology.
CIRCUMFIX = "A1"  # the .aff declares "CIRCUMFIX A1": such affixes only occur together


class Rule:
    __slots__ = ("strip", "add", "cont", "cond")

    def __init__(self, kind: str, strip: str, add: str, cont: str, cond: str) -> None:
        self.strip = strip
        self.add = add
        self.cont = {cont[i : i + 2] for i in range(0, len(cont), 2)}
        # Hunspell writes negated classes as [^k^m^p]; Python wants [^kmp]
        cond = re.sub(r"\[\^([^\]]*)\]", lambda m: "[^" + m.group(1).replace("^", "") + "]", cond)
        self.cond = re.compile("^" + cond if kind == "PFX" else cond + "$")


class Affix:
    __slots__ = ("kind", "cross", "rules", "cls")

    def __init__(self, kind: str, cross: bool) -> None:
        self.kind = kind
        self.cross = cross
        self.rules: list[Rule] = []
        self.cls = ""


def parse_aff(path: Path) -> dict[str, Affix]:
    """flag -> Affix, with each flag's class (prefix letter, or suffix letter)."""
    affixes: dict[str, Affix] = {}
    for raw in path.read_text("latin-1").splitlines():
        fields = raw.partition("#")[0].split()
        if len(fields) < 4 or fields[0] not in ("PFX", "SFX"):
            continue
        kind, flag = fields[0], fields[1]
        if flag not in affixes and len(fields) == 4 and fields[2] in "YN" and fields[3].isdigit():
            affixes[flag] = Affix(kind, fields[2] == "Y")
            continue
        strip = "" if fields[2] == "0" else fields[2]
        add, _, cont = fields[3].partition("/")
        cond = fields[4] if len(fields) > 4 else "."
        affixes[flag].rules.append(Rule(kind, strip, "" if add == "0" else add.lower(), cont, cond))
    for affix in affixes.values():
        if not affix.rules:
            continue
        first = affix.rules[0].add
        table = PREFIX_LETTER_BY_START if affix.kind == "PFX" else SUFFIX_LETTER_BY_START
        for start, letter in table:
            if first.startswith(start):
                affix.cls = letter
                break
    return affixes


def expand(word: str, flags: set[str], affixes: dict[str, Affix]) -> Iterator[tuple[str, str, str]]:
    """The forms Hunspell derives from ``word``: ``(form, prefix class, suffix class)``.

    A simplified Hunspell expansion: one suffix (its own continuation may add a prefix,
    as confixes do), optionally combined with one of the root's prefixes when both allow
    cross products; circumfix halves only occur together. The prefix class is "_" for
    none; the suffix class is "o" for none or for a clitic (-nya, -lah...). Prefix flags
    outside the classes (re-, we-, si-) give the class "".
    """
    prefix_flags = [f for f in sorted(flags) if f in affixes and affixes[f].kind == "PFX"]

    def prefixed(base: str, flag: str, circumfix: bool) -> Iterator[str]:
        for rule in affixes[flag].rules:
            if (CIRCUMFIX in rule.cont) == circumfix and rule.cond.search(word) and base.startswith(rule.strip):
                yield rule.add + base[len(rule.strip) :]

    for flag in prefix_flags:
        for form in prefixed(word, flag, False):
            yield form, affixes[flag].cls, NO_SUFFIX_LETTER
    for flag in sorted(flags):
        affix = affixes.get(flag)
        if affix is None or affix.kind != "SFX":
            continue
        suffix_class = affix.cls or NO_SUFFIX_LETTER
        for rule in affix.rules:
            if not word.endswith(rule.strip) or not rule.cond.search(word) or "-" in rule.add:
                continue
            form = word[: len(word) - len(rule.strip)] + rule.add
            circumfix = CIRCUMFIX in rule.cont
            if not circumfix:
                yield form, NO_PREFIX_LETTER, suffix_class
            for cont in sorted(rule.cont):
                other = affixes.get(cont)
                if other is not None and other.kind == "PFX":
                    for prefixed_form in prefixed(form, cont, circumfix):
                        yield prefixed_form, other.cls, suffix_class
            if affix.cross and not circumfix:
                for pflag in prefix_flags:
                    if affixes[pflag].cross:
                        for prefixed_form in prefixed(form, pflag, False):
                            yield prefixed_form, affixes[pflag].cls, suffix_class


def derivation_patterns(word: str, flags: set[str], affixes: dict[str, Affix]) -> set[str]:
    """The (outer prefix, suffix) pairs of the derived forms of ``word`` ("Mk", "_a")."""
    return {
        prefix + suffix
        for _form, prefix, suffix in expand(word, flags, affixes)
        if prefix and (prefix, suffix) != (NO_PREFIX_LETTER, NO_SUFFIX_LETTER)
    }


# Entries of id_ID.dic that are not roots but regular derived forms of another entry.
# Hunspell lists some derived words as entries of their own, to hang further affixes on
# them (berlaku/Dk for diberlakukan) or for no visible reason (bahuku = bahu + -ku). The
# build finds every entry that Hunspell's own affix rules derive from another entry
# (about 230); each was reviewed by hand, and the ones below are regular derivations
# whose meaning is the base's (for search, the same word). The others stay roots because
# their meaning drifted (mereka "they" is not me- + reka "devise"; sekitar, peluang,
# pergi, beruang "bear"), or they are names, loans or rare words. The build checks that
# every entry here is indeed derived from another entry by the .aff rules.
DERIVED_ENTRIES = frozenset(
    """
    akalnya apakah bahuku baringan belajar bentangkan berlaku biarkan bicarakan bordiran
    kepulauan kesandung lempari mendera mengerti meragi merata merosot pelajar pelari
    pelekat pemuda pengawinan perhati perindu periang perompak pertanda pesinden rasai
    tabuhan terentang tuanku
    """.split()
)


def parse_dic(path: Path) -> list[tuple[str, str]]:
    lines = path.read_text("latin-1").splitlines()
    entries = []
    for line in lines[1:]:  # the first line is the entry count
        word, _, flags = line.strip().partition("/")
        word = word.strip()
        broken = MISSING_SLASH.match(word)
        if broken and not flags:  # e.g. "bersutM0": the "/" before the flag is missing
            word, flags = broken.group(1), broken.group(2)
        if word:
            entries.append((word, flags))
    return entries


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(hunspell_dir: Path, out_dir: Path, package_version: str, deb: Path | None = None) -> dict[str, int]:
    dic_path, aff_path = hunspell_dir / "id_ID.dic", hunspell_dir / "id_ID.aff"
    affixes = parse_aff(aff_path)
    entries: dict[str, set[str]] = {}
    dropped = 0
    for word, flags in parse_dic(dic_path):
        lower = word.lower()
        if not ENTRY.match(lower):
            dropped += 1
            continue
        entries.setdefault(lower, set()).update(flags[i : i + 2] for i in range(0, len(flags), 2))

    derived_from: dict[str, set[str]] = {}
    for word, flags in entries.items():
        for form, _prefix, _suffix in expand(word, flags, affixes):
            if form != word and form in entries:
                derived_from.setdefault(form, set()).add(word)
    unexplained = sorted(DERIVED_ENTRIES - derived_from.keys())
    if unexplained:
        raise SystemExit(f"DERIVED_ENTRIES not derived from another entry by the .aff rules: {unexplained}")

    out_dir.mkdir(parents=True, exist_ok=True)
    kept = 0
    with open(out_dir / "roots.txt", "w", encoding="utf-8", newline="\n") as out:
        for word in sorted(entries):
            if word in DERIVED_ENTRIES:
                continue
            kept += 1
            patterns = encode_patterns(derivation_patterns(word, entries[word], affixes))
            out.write(f"{word}\t{patterns}\n" if patterns else f"{word}\n")
    write_compact(out_dir)
    (out_dir / "PROVENANCE").write_text(
        PROVENANCE.format(
            version=package_version,
            dic_sha=sha256(dic_path),
            aff_sha=sha256(aff_path),
            entries=kept,
            dropped=dropped,
            derivable=len(derived_from),
            derived=len(DERIVED_ENTRIES),
            derived_list=textwrap.fill(
                ", ".join(f"{w} ({'/'.join(sorted(derived_from[w]))})" for w in sorted(DERIVED_ENTRIES)),
                width=80,
                initial_indent="      ",
                subsequent_indent="      ",
            ),
            deb=f"\n    {deb.name}  sha256 {sha256(deb)}" if deb else "",
        ),
        encoding="utf-8",
    )
    return {"entries": kept, "dropped": dropped, "derivable": len(derived_from)}


PROVENANCE = """\
diplosearch Indonesian root lexicon (roots.txt)
================================================

Source
  Debian package hunspell-id, version {version} (built from the LibreOffice
  dictionaries, dictionaries/id/), files usr/share/hunspell/id_ID.dic and id_ID.aff.{deb}
    id_ID.dic  sha256 {dic_sha}
    id_ID.aff  sha256 {aff_sha}
  Upstream authors: Ali Ahmadi <idnux09@gmail.com> (Indonesian dictionary, 2017);
  affix rules (id_ID.aff) by Benitius Brevoort.
  Licence: LGPL-3 (Debian's copyright file for dictionaries/id/id_ID.*:
  "Copyright (C) 2017 Ali Ahmadi", License: LGPL-3; the header of id_ID.aff says its
  earlier versions were released under the GPL in 2004 and 2014). roots.txt is a
  modified version of id_ID.dic (and summarises id_ID.aff) and is distributed under
  the same licence, LGPL-3: see LICENSE (the LGPL-3 text) and GPL-3 beside this file.
  The rest of diplosearch is MIT-licensed; it reads roots.txt as data at run time.

Transformation (scripts/build_lexicon.py, deterministic)
  - every id_ID.dic entry is lower-cased; entries that are not plain Latin letters,
    optionally joined by hyphens (kura-kura), are dropped ({dropped} dropped: bound
    affixes listed as entries, such as "anti-" or "-isme"); surrounding blanks are
    trimmed, and an entry whose flag lacks its "/" ("bersutM0") is read as word/flag;
  - each entry's Hunspell affix flags are expanded with the id_ID.aff rules (a
    simplified Hunspell expansion: suffix, confix, prefix, cross products) and the
    derived forms are summarised as (outer prefix, suffix) pairs, written after a tab
    as groups: a prefix letter followed by the suffix letters it occurs with.
      prefix  B ber-/be-  D di-  K ke-  M meN-  P peN-/pe-  R per-  S se-  T ter-/te-
              O ku-/kau-  _ none
      suffix  a -an  i -i  k -kan  o none
    e.g. "tuduh<TAB>DakoMakoPaoTao_a": di- with -kan or alone (dituduhkan, dituduh),
    meN- likewise (menuduhkan, menuduh), peN-(-an) (penuduh, penuduhan), ter-
    (tertuduh), -an (tuduhan). Hunspell's cross products also accept a few forms
    nobody writes (dituduhan: the "a" after D), so the patterns over-accept a little.
    An entry without a tab has no derivational affix flags.
  - {derivable} entries are forms that the .aff rules derive from another entry; they
    were reviewed by hand, and the {derived} that are regular derivations with the
    meaning of their base are left out (they are not roots; the stemmer reduces them
    to the base). The others (mereka, sekitar, peluang, pergi...) stay roots. Left out,
    with the entry the .aff rules derive them from (belajar and pelajar are in fact
    bel-/pel- + ajar, the one root taking that allomorph):
{derived_list}
  - duplicates (entries differing only in case) are merged; the result is sorted.
  {entries} entries. No other source was used.
  roots.json is the same lexicon in a form faster to load (made from roots.txt by
  the same script, under the same licence; used only while the sha256 of roots.txt
  it records matches).

To rebuild
  apt-get download hunspell-id && dpkg -x hunspell-id_*.deb /tmp/hunspell-id
  python scripts/build_lexicon.py /tmp/hunspell-id/usr/share/hunspell \\
      --package-version {version} --deb hunspell-id_*.deb
  The licence texts (LICENSE: LGPL-3, GPL-3: the GPL it supplements) are static files.
"""


def write_compact(out_dir: Path) -> Path:
    """Write ``roots.json`` (the fast-loading form) from the ``roots.txt`` in ``out_dir``."""
    text = (out_dir / "roots.txt").read_text("utf-8")
    path = out_dir / "roots.json"
    path.write_text(json.dumps(compact_form(text), ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("hunspell_dir", type=Path, nargs="?", help="directory holding id_ID.dic and id_ID.aff")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--package-version", default="1:7.5.0-1", help="the hunspell-id package version, for PROVENANCE"
    )
    parser.add_argument("--deb", type=Path, help="the downloaded .deb, to record its sha256 in PROVENANCE")
    parser.add_argument("--compact-only", action="store_true",
                        help="only rewrite roots.json from the roots.txt in --out (no Hunspell files needed)")
    args = parser.parse_args(argv)
    if args.compact_only:
        print(f"wrote {write_compact(args.out)}")
        return 0
    if args.hunspell_dir is None:
        parser.error("the Hunspell directory is required (or --compact-only)")
    for name in ("id_ID.dic", "id_ID.aff"):
        if not (args.hunspell_dir / name).is_file():
            parser.error(f"{args.hunspell_dir / name} not found")
    stats = build(args.hunspell_dir, args.out, args.package_version, args.deb)
    print(
        f"wrote {args.out / 'roots.txt'}: {stats['entries']} entries "
        f"({stats['dropped']} dropped, {len(DERIVED_ENTRIES)} of {stats['derivable']} derivable left out)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
