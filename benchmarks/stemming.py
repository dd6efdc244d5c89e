#!/usr/bin/env python3
"""Stemming benchmark: accuracy, same-root grouping, throughput, roots kept.

For each gold set in ``../shared/data/stemming/gold/`` (word -> gold root):

- accuracy on the *affixed* words (word != gold root), per distinct word, of PyStemmer's
  Snowball ``indonesian`` alone, of PySastrawi (if installed; the ``bench`` extra) and of
  diplosearch's stemmer (its default and its other fallbacks for unknown words);
- same-root grouping over all the set's distinct words: recall = share of the word
  pairs with the same gold root that get the same stem; precision = share of the word
  pairs with the same stem that have the same gold root.

Then: how many lexicon roots each stemmer changes (diplosearch's target: 0); cold
throughput in distinct words/s (a fresh stemmer, no cache, over the UniMorph + UD
vocabulary); how many name-like words (always capitalised in the CLICK-ID articles and
unknown to the lexicon; the gold sets hold no proper nouns) each stemmer changes; and
the whole analyzer's throughput with a warm cache over the CLICK-ID articles' text.

Hyphenated gold words: diplosearch and PyStemmer get the analyzer's reduplication
folding (diplosearch with its lexicon's ``is_root``; PyStemmer without, as the analyzer
used it before), the stems of several parts joined by a space; Sastrawi folds
reduplication itself.

Prints a table and writes JSON (default ``benchmarks/results/stemming.json``).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402  (first: it puts src/ and benchmarks/ on the path)
import data  # noqa: E402

import Stemmer as pystemmer  # noqa: E402

from diplosearch.analysis.indonesian_stemmer import IndonesianStemmer  # noqa: E402
from diplosearch.analysis.lexicon import load_lexicon  # noqa: E402
from diplosearch.analysis.reduplication import fold_reduplication  # noqa: E402

GOLD_FILES = {
    "ud-csui": "ud-csui.tsv",
    "ud-gsd": "ud-gsd-devtest.tsv",
    "unimorph": "unimorph-ind.tsv",
    "sastrawi-functional": "sastrawi-functional-test.tsv",
    "sastrawi-integration": "sastrawi-integration-test.tsv",
    "aksara-informal": "aksara-informal.tsv",
    "mpstemmer-nonstandard": "mpstemmer-nonstandard60.tsv",
}
THROUGHPUT_SETS = ("ud-csui", "ud-gsd", "unimorph")
WORD = re.compile(r"[A-Za-z]+")

StemFn = Callable[[str], str]


def load_gold(path: Path) -> dict[str, set[str]]:
    gold: dict[str, set[str]] = defaultdict(set)
    for line in path.read_text("utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and fields[0]:
            gold[fields[0]].add(fields[1])
    return dict(gold)


# --- the stemmers ----------------------------------------------------------------------


def diplosearch_word(stemmer: IndonesianStemmer) -> StemFn:
    def stem(word: str) -> str:
        return " ".join(stemmer.stem(w) for w in fold_reduplication(word, stemmer.is_root))

    return stem


def pystemmer_word(snowball: object) -> StemFn:
    stem_word = snowball.stemWord  # type: ignore[attr-defined]

    def stem(word: str) -> str:
        return " ".join(stem_word(w) for w in fold_reduplication(word))

    return stem


class Contender:
    """A stemmer under test: ``plain()`` makes a fresh one-word stem function (for
    throughput and the lexicon roots), ``words()`` one that also takes hyphenated gold
    words (for accuracy and grouping)."""

    def __init__(self, plain: Callable[[], StemFn], words: Callable[[], StemFn]) -> None:
        self.plain = plain
        self.words = words


def contenders() -> dict[str, Contender]:
    found = {
        "pystemmer": Contender(
            lambda: pystemmer.Stemmer("indonesian").stemWord,
            lambda: pystemmer_word(pystemmer.Stemmer("indonesian")),
        )
    }
    try:
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory  # type: ignore[import-not-found]
    except ImportError:
        print("PySastrawi is not installed (pip install PySastrawi, or the 'bench' extra): its column is skipped\n")
    else:
        # Sastrawi folds reduplication itself
        found["sastrawi"] = Contender(
            lambda: StemmerFactory().create_stemmer().stem, lambda: StemmerFactory().create_stemmer().stem
        )
    for fallback in ("clitics", "none", "snowball"):
        name = "diplosearch" if fallback == "clitics" else f"diplosearch[{fallback}]"
        found[name] = Contender(
            lambda fb=fallback: IndonesianStemmer(fallback=fb).stem,
            lambda fb=fallback: diplosearch_word(IndonesianStemmer(fallback=fb)),
        )
    return found


# --- measures --------------------------------------------------------------------------


def accuracy(stem: StemFn, affixed: dict[str, set[str]]) -> float:
    return 100.0 * sum(stem(word) in roots for word, roots in affixed.items()) / len(affixed)


def grouping(stems: dict[str, str], gold: dict[str, set[str]]) -> tuple[float, float]:
    """Pairwise same-root recall and precision over the set's distinct words."""

    def pairs(counts: Counter[object]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    gold_root = {word: min(roots) for word, roots in gold.items()}  # 0.3% of words have 2
    by_gold = Counter(gold_root.values())
    by_stem = Counter(stems.values())
    by_both = Counter((gold_root[w], stems[w]) for w in gold)
    both = pairs(by_both)
    gold_pairs, stem_pairs = pairs(by_gold), pairs(by_stem)
    recall = 100.0 * both / gold_pairs if gold_pairs else 100.0
    precision = 100.0 * both / stem_pairs if stem_pairs else 100.0
    return recall, precision


def cold_throughput(make: Callable[[], StemFn], vocabulary: list[str], repeats: int) -> float:
    """Distinct words per second with a fresh stemmer each run (best run)."""
    best = 0.0
    for _ in range(repeats):
        stem = make()
        started = time.perf_counter()
        for word in vocabulary:
            stem(word)
        best = max(best, len(vocabulary) / (time.perf_counter() - started))
    return best


def load_articles(root: Path, max_articles: int | None) -> list[str]:
    """The CLICK-ID articles' bodies as stored (not cleaned: the analyzer gets raw text)."""
    return [row.get("content") or "" for row in data.clickid_rows(root, max_articles)]


def name_like_words(texts: list[str], known: frozenset[str]) -> list[str]:
    """Words the articles only ever write capitalised (names, mostly), absent from the
    lexicon: what a stemmer should leave alone. Seen capitalised at least twice."""
    capitalised: Counter[str] = Counter()
    lower: set[str] = set()
    for text in texts:
        for word in WORD.findall(text):
            if word[0].isupper() and not word.isupper():
                capitalised[word.lower()] += 1
            elif word.islower():
                lower.add(word)
    return sorted(w for w, n in capitalised.items() if n >= 2 and w not in lower and w not in known and len(w) > 3)


def analyzer_throughput(texts: list[str], passes: int) -> dict[str, object]:
    try:
        from diplosearch.analysis.analyzer import TOKEN_PATTERN, IndonesianAnalyzer
    except ImportError as exc:  # the analyzer is another module's work
        return {"skipped": f"analyzer not importable: {exc}"}
    raw_tokens = sum(len(TOKEN_PATTERN.findall(text)) for text in texts)
    analyzer = IndonesianAnalyzer()

    def run_tokens() -> int:
        return sum(1 for text in texts for _ in analyzer.tokens(text))

    def run_whoosh() -> int:  # Whoosh's protocol with offsets (Whoosh's own highlighter would ask this)
        return sum(1 for text in texts for _ in analyzer(text, positions=True, chars=True))

    def run_indexing() -> int:  # what a TEXT field with positions asks for when indexing
        return sum(1 for text in texts for _ in analyzer(text, positions=True))

    def run_terms() -> int:  # diplosearch.analyze(): the terms alone
        return sum(len(analyzer.terms(text)) for text in texts)

    started = time.perf_counter()
    terms = run_tokens()  # warms the stemmer's cache
    cold_seconds = time.perf_counter() - started
    result: dict[str, object] = {
        "articles": len(texts),
        "characters": sum(map(len, texts)),
        "raw_tokens": raw_tokens,
        "terms": terms,
        "stemmer_cache_words": len(getattr(analyzer.stemmer, "_cache", ())),
        "first_pass_tokens_per_s": raw_tokens / cold_seconds,
    }
    for name, run in (
        ("terms", run_terms),
        ("indexing_call", run_indexing),
        ("tokens", run_tokens),
        ("whoosh_call", run_whoosh),
    ):
        best = min(_timed(run) for _ in range(passes))
        result[f"warm_{name}_tokens_per_s"] = raw_tokens / best
        result[f"warm_{name}_terms_per_s"] = terms / best
    return result


def _timed(run: Callable[[], int]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


# --- main -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sets", default=",".join(GOLD_FILES), help=f"comma-separated gold sets (default all: {', '.join(GOLD_FILES)})"
    )
    parser.add_argument("--out", type=Path, default=common.RESULTS_DIR / "stemming.json")
    parser.add_argument("--articles", type=int, default=None, help="CLICK-ID articles for the analyzer (default all)")
    parser.add_argument("--passes", type=int, default=2, help="timed warm passes over the articles (best counts)")
    parser.add_argument("--repeats", type=int, default=3, help="cold-throughput runs per fast stemmer (best counts)")
    parser.add_argument("--no-analyzer", action="store_true", help="skip the CLICK-ID analyzer measurement")
    args = parser.parse_args(argv)

    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [s for s in sets if s not in GOLD_FILES]
    if unknown:
        parser.error(f"unknown sets {unknown}; known: {', '.join(GOLD_FILES)}")
    root = data.data_dir()
    gold_dir = root / "stemming" / "gold"
    if not gold_dir.is_dir():
        print(f"stemming gold data not found at {gold_dir}; set DIPLOSEARCH_BENCH_DATA or add ../shared/data")
        return 0

    started_lexicon = time.perf_counter()
    lexicon = load_lexicon()
    lexicon_seconds = time.perf_counter() - started_lexicon

    make = contenders()
    names = list(make)
    shared = {name: make[name].words() for name in names}  # one instance per stemmer for accuracy

    results: dict[str, object] = {
        "environment": {
            **common.environment(),
            "diplosearch_stemmer": IndonesianStemmer().version,
            "lexicon_entries": len(lexicon),
            "lexicon_load_seconds": lexicon_seconds,
        },
        "sets": {},
    }
    header = f"{'set':22s} {'affixed':>7s}  " + "  ".join(f"{n:>21s}" for n in names)
    print("Accuracy on affixed words, % of distinct words (grouping recall/precision, % of word pairs)")
    print(header)
    for name in sets:
        path = gold_dir / GOLD_FILES[name]
        if not path.is_file():
            print(f"{name:22s} missing: {path}")
            continue
        gold = load_gold(path)
        affixed = {word: roots for word, roots in gold.items() if word not in roots}
        row: dict[str, dict[str, float]] = {}
        for stemmer in names:
            stem = shared[stemmer]
            stems = {word: stem(word) for word in gold}
            recall, precision = grouping(stems, gold)
            row[stemmer] = {
                "accuracy": accuracy(lambda w: stems[w], affixed),
                "grouping_recall": recall,
                "grouping_precision": precision,
            }
        results["sets"][name] = {"words": len(gold), "affixed": len(affixed), "stemmers": row}  # type: ignore[index]
        cells = "  ".join(
            f"{row[n]['accuracy']:6.1f} ({row[n]['grouping_recall']:5.1f}/{row[n]['grouping_precision']:5.1f})"
            for n in names
        )
        print(f"{name:22s} {len(affixed):7d}  {cells}")

    # roots of the lexicon each stemmer changes
    plain_roots = sorted(r for r in lexicon.roots if "-" not in r)
    changed = {}
    for stemmer in names:
        stem = make[stemmer].plain()
        changed[stemmer] = sum(stem(r) != r for r in plain_roots)
    results["lexicon_roots_changed"] = {"roots": len(plain_roots), **changed}
    print(f"\nLexicon roots changed (of {len(plain_roots)}): " + ", ".join(f"{n} {c}" for n, c in changed.items()))

    # cold throughput over the UniMorph + UD vocabulary
    vocabulary: set[str] = set()
    for name in THROUGHPUT_SETS:
        path = gold_dir / GOLD_FILES[name]
        if path.is_file():
            vocabulary.update(w for w in load_gold(path) if "-" not in w)
    words = sorted(vocabulary)
    speed = {
        stemmer: cold_throughput(make[stemmer].plain, words, 1 if stemmer == "sastrawi" else args.repeats)
        for stemmer in names
    }
    results["cold_throughput_words_per_s"] = {"vocabulary": len(words), **speed}
    print(f"Cold throughput, distinct words/s over {len(words)} UniMorph+UD words: "
          + ", ".join(f"{n} {v:,.0f}" for n, v in speed.items()))
    print(f"Lexicon: {len(lexicon)} entries, loaded in {lexicon_seconds * 1000:.0f} ms")

    clickid = root / data.CLICKID_FILE
    if not clickid.is_file():
        results["names"] = results["analyzer"] = {"skipped": f"{clickid} not found"}
        print(f"CLICK-ID articles not found at {clickid}: names and analyzer throughput skipped")
    else:
        texts = load_articles(root, args.articles)
        names_seen = name_like_words(texts, lexicon.roots)
        kept = {stemmer: sum(make[stemmer].plain()(w) == w for w in names_seen) for stemmer in names}
        results["names"] = {
            "articles": len(texts),
            "name_like_words": len(names_seen),
            "changed": {stemmer: len(names_seen) - k for stemmer, k in kept.items()},
        }
        print(
            f"Name-like words (always capitalised in {len(texts)} CLICK-ID articles, not in the lexicon: "
            f"{len(names_seen)}) changed: "
            + ", ".join(f"{n} {len(names_seen) - k} ({100 * (len(names_seen) - k) / len(names_seen):.1f}%)"
                        for n, k in kept.items())
        )
        if args.no_analyzer:
            results["analyzer"] = {"skipped": "--no-analyzer"}
        else:
            analyzer = analyzer_throughput(texts, args.passes)
            results["analyzer"] = analyzer
            if "skipped" in analyzer:
                print(f"Analyzer throughput skipped: {analyzer['skipped']}")
            else:
                print(
                    f"Analyzer, warm cache, {len(texts)} CLICK-ID articles ({analyzer['raw_tokens']:,} tokens): "
                    f"terms() {analyzer['warm_terms_tokens_per_s']:,.0f} tokens/s, "
                    f"indexing (positions) {analyzer['warm_indexing_call_tokens_per_s']:,.0f} tokens/s, "
                    f"tokens() with offsets {analyzer['warm_tokens_tokens_per_s']:,.0f} tokens/s, "
                    f"Whoosh __call__ with offsets {analyzer['warm_whoosh_call_tokens_per_s']:,.0f} tokens/s "
                    f"(first, cold pass {analyzer['first_pass_tokens_per_s']:,.0f})"
                )

    print(f"\nwrote {common.write_json(args.out, results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
