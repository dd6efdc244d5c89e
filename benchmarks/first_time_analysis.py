#!/usr/bin/env python3
"""First-time analysis speed: what a word the analyzer has not seen before costs.

The analyzer and its stemmer remember every word they analyse, so a warm process
pays for a word once. A freshly opened index pays for each new word of a query, and
snippets pay for the new words near a possible match. This measures that first time,
with fresh analyzer and stemmer objects each round (the lexicon itself is loaded before
the clock starts: it is read once per process and measured by ``stemming.py``):

- ``token``: ``IndonesianAnalyzer.terms_of`` on every distinct raw token of the first
  ``--articles`` CLICK-ID articles (titles and bodies as stored), in the order they
  first occur: normalising, folding, stop words and stemming;
- ``stem``: ``IndonesianStemmer.stem`` on every distinct normalised word of those tokens;
- ``query``: ``IndonesianAnalyzer.terms`` on each query (default: the titles of the
  next articles; ``--queries FILE`` takes a JSON file's ``"queries"`` list), the
  analyzer fresh each round, so a query's words are new unless an earlier query had them.

Per item: the best round's throughput (a loop without per-item clocks), and the mean,
p50, p90 and p99 of per-item times pooled over the rounds (each item timed alone with
``perf_counter_ns``, which adds about 0.1 us). The code measured is whichever
``diplosearch`` is imported (``PYTHONPATH`` decides; its path is recorded), so two
checkouts can be compared by running this alternately with each.

Prints a table and writes JSON (default ``benchmarks/results/first_time_analysis.json``).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402  (first: it puts src/ and benchmarks/ on the path)
import data  # noqa: E402
import metrics  # noqa: E402

import diplosearch  # noqa: E402
from diplosearch.analysis.analyzer import MAX_TOKEN_CHARS, TOKEN_PATTERN, IndonesianAnalyzer  # noqa: E402
from diplosearch.analysis.indonesian_stemmer import IndonesianStemmer  # noqa: E402
from diplosearch.analysis.lexicon import load_lexicon  # noqa: E402

QUERY_COUNT = 300


def distinct_tokens(texts: Sequence[str]) -> list[str]:
    """Every distinct raw token of ``texts``, in the order it first occurs."""
    seen: dict[str, None] = {}
    for text in texts:
        for token in TOKEN_PATTERN.findall(text):
            seen.setdefault(token)
    return list(seen)


def distinct_words(tokens: Sequence[str]) -> list[str]:
    """Every distinct normalised word of ``tokens`` (what the stemmer is given)."""
    analyzer = IndonesianAnalyzer()
    seen: dict[str, None] = {}
    for token in tokens:
        if len(token) <= MAX_TOKEN_CHARS:
            for word in analyzer.words(token):
                seen.setdefault(word)
    return list(seen)


def fresh_analyzer() -> IndonesianAnalyzer:
    analyzer = IndonesianAnalyzer(stemmer=IndonesianStemmer())
    analyzer.stemmer.parser  # the lexicon is loaded outside the clock
    return analyzer


def measure(
    items: Sequence[str], make: Callable[[], Callable[[str], object]], rounds: int
) -> dict[str, float]:
    """Throughput (best round) and per-item time percentiles (pooled) of ``make()``'s
    function called once on each of ``items``, a fresh function each round."""
    best_seconds = float("inf")
    times: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        # throughput: one loop, no per-item clock
        run = make()
        gc.collect()
        started = time.perf_counter()
        for item in items:
            run(item)
        best_seconds = min(best_seconds, time.perf_counter() - started)
        # latency: each item timed alone
        run = make()
        gc.collect()
        for item in items:
            started_ns = clock()
            run(item)
            times.append(clock() - started_ns)
    micros = [t / 1000 for t in times]
    return {
        "items": len(items),
        "per_s": len(items) / best_seconds,
        "mean_us": statistics.fmean(micros),
        "p50_us": metrics.percentile(micros, 50),
        "p90_us": metrics.percentile(micros, 90),
        "p99_us": metrics.percentile(micros, 99),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3000, help="CLICK-ID articles whose tokens are analysed")
    parser.add_argument("--queries", type=Path, default=None, help='JSON file with a "queries" list')
    parser.add_argument("--rounds", type=int, default=5, help="fresh-object rounds per measure")
    parser.add_argument("--out", type=Path, default=common.RESULTS_DIR / "first_time_analysis.json")
    args = parser.parse_args(argv)

    root = data.require_data(data.CLICKID_FILE)
    rows = list(data.clickid_rows(root, args.articles + QUERY_COUNT))
    texts = [row.get(field) or "" for row in rows[: args.articles] for field in ("title", "content")]
    if args.queries is not None:
        queries = [str(q) for q in json.loads(args.queries.read_text("utf-8"))["queries"]]
    else:
        queries = [row.get("title") or "" for row in rows[args.articles :]]
    tokens = distinct_tokens(texts)
    words = distinct_words(tokens)
    load_lexicon()

    results = {
        "token": measure(tokens, lambda: fresh_analyzer().terms_of, args.rounds),
        "stem": measure(words, lambda: fresh_analyzer().stemmer.stem, args.rounds),
        "query": measure(queries, lambda: fresh_analyzer().terms, args.rounds),
    }
    payload = {
        "environment": {**common.environment(), "diplosearch_path": str(Path(diplosearch.__file__).parent)},
        "articles": len(rows[: args.articles]),
        "queries_from": str(args.queries) if args.queries else f"titles of articles {args.articles}+",
        "rounds": args.rounds,
        "results": results,
    }
    print(f"First-time analysis, {len(tokens):,} distinct tokens of {args.articles} CLICK-ID articles, "
          f"{len(words):,} distinct words, {len(queries)} queries; {args.rounds} fresh rounds "
          f"(diplosearch from {payload['environment']['diplosearch_path']})")
    print(common.format_table(
        ["measure", "items", "items/s", "mean us", "p50 us", "p90 us", "p99 us"],
        [[name, r["items"], r["per_s"], r["mean_us"], r["p50_us"], r["p90_us"], r["p99_us"]]
         for name, r in results.items()],
    ))
    print(f"\nwrote {common.write_json(args.out, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
