"""What snippets cost per page: ``search(q, limit=10, snippets=2)`` against ``snippets=0``.

Opens an existing index (read only: it only searches) fresh, runs every query of a
queries file once with snippets and once without (alternating, so machine load hits
both alike), and also times ``make_snippets`` alone for each page by wrapping the
function the search module calls. Prints a table and writes JSON to benchmarks/results/.

    python benchmarks/snippet_speed.py INDEX_DIR QUERIES_JSON [--profile] [--limit N]
        [--passes N] [--warmup QUERY]

``--profile`` runs cProfile over the snippet calls only and prints the top functions.
To compare two versions of the code (snippets spread over several modules), use
``benchmarks/snippet_ab.py``, which runs two source trees on the same pages.
``--passes 2`` runs the queries again on the same open index: the first pass is what a
freshly opened index costs (no word of the stored text analysed yet), the second the
steady state of a long-lived one. The table has a row per pass. ``--warmup QUERY``
searches QUERY once (with snippets, not timed) before the first pass, so that pass
does not pay for what any first search loads.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

import common  # noqa: F401  (makes `import diplosearch` work from a checkout)

import diplosearch
import diplosearch.search as search_module


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("queries", type=Path)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--snippets", type=int, default=2)
    parser.add_argument("--passes", type=int, default=1)
    parser.add_argument("--warmup", default="", help="a query searched once, untimed, before the first pass")
    args = parser.parse_args(argv)
    queries = json.loads(args.queries.read_text("utf-8"))["queries"]

    real = search_module.make_snippets
    page_cost = [0.0]
    profiler = cProfile.Profile() if args.profile else None

    def timed(document, terms, analyzer, **k):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        try:
            return real(document, terms, analyzer, **k)
        finally:
            if profiler is not None:
                profiler.disable()
            page_cost[0] += time.perf_counter() - began

    search_module.make_snippets = timed
    index = diplosearch.open_index(args.index)
    series: dict[str, list[float]] = {}
    try:
        if args.warmup:
            index.search(args.warmup, limit=args.limit, snippets=args.snippets)
        for number in range(1, args.passes + 1):
            suffix = f" (pass {number})" if args.passes > 1 else ""
            without = series.setdefault("search snippets=0" + suffix, [])
            with_snippets = series.setdefault(f"search snippets={args.snippets}" + suffix, [])
            snippet_only = series.setdefault("make_snippets per page" + suffix, [])
            for query in queries:
                began = time.perf_counter()
                index.search(query, limit=args.limit, snippets=0)
                without.append(time.perf_counter() - began)
                page_cost[0] = 0.0
                began = time.perf_counter()
                index.search(query, limit=args.limit, snippets=args.snippets)
                with_snippets.append(time.perf_counter() - began)
                snippet_only.append(page_cost[0])
    finally:
        index.close()
        search_module.make_snippets = real

    rows = []
    summary: dict[str, dict[str, float]] = {}
    for name, values in series.items():
        ms = [v * 1000 for v in values]
        figures = {"p50": percentile(ms, 0.5), "p90": percentile(ms, 0.9), "p99": percentile(ms, 0.99),
                   "mean": statistics.fmean(ms)}
        summary[name] = figures
        rows.append([name, *(figures[k] for k in ("p50", "p90", "p99", "mean"))])
    print(common.format_table(["ms", "p50", "p90", "p99", "mean"], rows))
    path = common.write_json(
        "snippet_speed.json",
        {"index": str(args.index), "queries": len(queries), "limit": args.limit, "snippets": args.snippets,
         "passes": args.passes, "warmup": args.warmup,
         "summary": summary, "environment": common.environment()},
    )
    print(f"written {path}")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
