"""Query latency of several engines measured side by side, in one process.

``speed.py`` times each engine in a process of its own, one after another: on a shared
machine whose speed drifts by a factor of two within minutes, the ratio of two engines'
p50s then says as much about when each ran as about the engines. Here every query of
the set is answered by each engine in turn (the engine going first rotates from query
to query), so a slow stretch slows all of them alike, and the ratios hold. Each round
opens every engine afresh and answers one query untimed, as ``speed.py`` does, so the
timed pass is a fresh process's first pass over the set.

It uses the indexes a ``speed.py --keep`` run left under
``benchmarks/work/speed-*/<engine>-<docs>`` and that run's ``queries.json``:

    python benchmarks/paired_latency.py                                   # the newest kept 22k indexes
    python benchmarks/paired_latency.py --work benchmarks/work/speed-XXXX --rounds 5
    python benchmarks/paired_latency.py --engines diplosearch,tantivy --phrases

Prints, per round and pooled over the rounds, each engine's p50/p95/p99/mean and each
peer's ratio (diplosearch's figure divided by the peer's), and the median of the
per-query ratios with its 95% interval (bootstrap over queries); writes
benchmarks/results/paired_latency.json (``--output``).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Sequence

import common  # noqa: E402  (first: it puts src/ and benchmarks/ on the path)
import engines
import metrics

TOP_K = 10
_BOOTSTRAP_SAMPLES = 2000


def find_work(docs: int) -> Path | None:
    """The newest ``speed-*`` folder under benchmarks/work holding a kept diplosearch
    index of ``docs`` documents and its query set."""
    found = [p.parent for p in common.WORK_DIR.glob(f"speed-*/diplosearch-{docs}")
             if (p / "diplosearch.json").exists() and (p.parent / "queries.json").exists()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def timed_round(opened: dict[str, engines.Engine], queries: Sequence[str], phrases: bool,
                first_query: str) -> dict[str, list[float]]:
    """One pass over ``queries`` with every engine of ``opened`` (opened afresh by the
    caller): ms per query and engine, the engine going first rotating per query."""
    names = list(opened)
    for engine in opened.values():  # untimed, as speed.py answers its first query apart
        engine.search(first_query, TOP_K)
    latencies: dict[str, list[float]] = {name: [] for name in names}
    clock = time.perf_counter
    for number, query in enumerate(queries):
        for turn in range(len(names)):
            name = names[(number + turn) % len(names)]
            engine = opened[name]
            started = clock()
            engine.phrase(query, TOP_K) if phrases else engine.search(query, TOP_K)
            latencies[name].append(1000 * (clock() - started))
    return latencies


def median_ratio_interval(ours: Sequence[float], theirs: Sequence[float], seed: int = 7) -> tuple[float, float, float]:
    """The median of the per-query ratios ``ours[i] / theirs[i]`` and its 95% bootstrap
    interval (queries resampled with replacement)."""
    ratios = [a / b for a, b in zip(ours, theirs) if b > 0]
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(_BOOTSTRAP_SAMPLES))
    return (statistics.median(ratios), medians[int(0.025 * _BOOTSTRAP_SAMPLES)],
            medians[int(0.975 * _BOOTSTRAP_SAMPLES) - 1])


def summary_rows(latencies: dict[str, list[float]], label: str) -> list[list[object]]:
    """Table rows: each engine's percentiles, and each peer's ratios against diplosearch."""
    ours = latencies.get("diplosearch")
    ours_p50 = metrics.latency_summary(ours)["p50_ms"] if ours else None
    rows = []
    for name, values in latencies.items():
        figures = metrics.latency_summary(values)
        p50_ratio = median = interval = ""
        if ours is not None and name != "diplosearch":
            p50_ratio = f"{ours_p50 / figures['p50_ms']:.2f}x" if figures["p50_ms"] else ""
            middle, low, high = median_ratio_interval(ours, values)
            median, interval = f"{middle:.2f}x", f"{low:.2f}-{high:.2f}"
        rows.append([label, name, figures["p50_ms"], figures["p95_ms"], figures["p99_ms"], figures["mean_ms"],
                     p50_ratio, median, interval])
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, help="a speed.py --keep folder (default: the newest with --docs)")
    parser.add_argument("--docs", type=int, default=21965, help="index size to use (default 21965)")
    parser.add_argument("--engines", default="diplosearch,tantivy,bm25s", help="comma-separated engines")
    parser.add_argument("--rounds", type=int, default=3, help="passes, each after opening every engine afresh")
    parser.add_argument("--phrases", action="store_true", help="the phrase queries (engines that have phrases)")
    parser.add_argument("--output", default="paired_latency.json", help="file name under benchmarks/results/")
    args = parser.parse_args(argv)
    work = args.work or find_work(args.docs)
    if work is None:
        print(f"SKIPPED: no kept speed.py run with a {args.docs:,}-document index "
              "(run `python benchmarks/speed.py --keep`, or give --work)")
        return 0
    saved = json.loads((work / "queries.json").read_text("utf-8"))
    queries = saved.get("phrases" if args.phrases else "queries") or []
    if not queries:
        sys.exit(f"{work / 'queries.json'} holds no {'phrase ' if args.phrases else ''}queries")
    names = [name.strip() for name in args.engines.split(",") if name.strip()]
    missing = [name for name in names if not (work / f"{name}-{args.docs}").exists()]
    if missing:
        sys.exit(f"{work}: no kept index for {', '.join(missing)} at {args.docs:,} documents")
    if "diplosearch" not in names:
        sys.exit("--engines must include diplosearch (the ratios are against it)")

    rounds: list[dict[str, list[float]]] = []
    rows: list[list[object]] = []
    for number in range(1, max(args.rounds, 1) + 1):
        opened = {}
        for name in names:
            engine = engines.make_engine(name, work / f"{name}-{args.docs}")
            if args.phrases and not engine.supports_phrases:
                continue
            engine.open()
            opened[name] = engine
        latencies = timed_round(opened, queries, args.phrases, queries[0])
        for engine in opened.values():
            engine.close()
        del opened
        gc.collect()
        rounds.append(latencies)
        rows += summary_rows(latencies, f"round {number}")
        print(f"[round {number}] " + ", ".join(f"{n} p50 {metrics.latency_summary(v)['p50_ms']:.3f} ms"
                                              for n, v in latencies.items()), flush=True)
    pooled = {name: [ms for latencies in rounds for ms in latencies[name]] for name in rounds[0]}
    rows += summary_rows(pooled, "all rounds")
    headers = ["pass", "engine", "p50 ms", "p95 ms", "p99 ms", "mean ms", "p50 ratio", "median per-query ratio",
               "95% interval"]
    kind = "phrase" if args.phrases else "top-10"
    table = common.has_score_table(work / f"diplosearch-{args.docs}")
    print(f"\n{kind} queries, {len(queries)} per round, {args.docs:,} documents, engines interleaved per query "
          f"(ratios: diplosearch / the peer); diplosearch's index {'has' if table else 'has no'} score table")
    print(common.format_table(headers, rows))
    payload = {
        "work": str(work), "docs": args.docs, "score_table": table, "mode": kind, "queries": len(queries), "rounds": rounds,
        "table": [dict(zip(headers, row)) for row in rows], "environment": common.environment(),
    }
    print(f"wrote {common.write_json(args.output, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
