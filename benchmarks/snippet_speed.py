"""What snippets cost per page: ``search(q, limit=10, snippets=2)`` against ``snippets=0``.

Opens an existing index (read only: it only searches) fresh, runs every query of a
queries file once with snippets and once without (alternating, so machine load hits
both alike), and also times ``make_snippets`` alone for each page by wrapping the
function the search module calls. Prints a table and writes JSON to benchmarks/results/.

    python benchmarks/snippet_speed.py INDEX_DIR QUERIES_JSON [--profile] [--limit N]

``--profile`` runs cProfile over the snippet calls only and prints the top functions.
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
    args = parser.parse_args(argv)
    queries = json.loads(args.queries.read_text("utf-8"))["queries"]

    real = search_module.make_snippets
    page_cost = [0.0]
    profiler = cProfile.Profile() if args.profile else None

    def timed(*a, **k):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        try:
            return real(*a, **k)
        finally:
            if profiler is not None:
                profiler.disable()
            page_cost[0] += time.perf_counter() - began

    search_module.make_snippets = timed
    index = diplosearch.open_index(args.index)
    with_snippets, without, snippet_only = [], [], []
    try:
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
    for name, values in (("search snippets=0", without), (f"search snippets={args.snippets}", with_snippets),
                         ("make_snippets per page", snippet_only)):
        ms = [v * 1000 for v in values]
        figures = {"p50": percentile(ms, 0.5), "p90": percentile(ms, 0.9), "p99": percentile(ms, 0.99),
                   "mean": statistics.fmean(ms)}
        summary[name] = figures
        rows.append([name, *(figures[k] for k in ("p50", "p90", "p99", "mean"))])
    print(common.format_table(["ms", "p50", "p90", "p99", "mean"], rows))
    path = common.write_json(
        "snippet_speed.json",
        {"index": str(args.index), "queries": len(queries), "limit": args.limit, "snippets": args.snippets,
         "summary": summary, "environment": common.environment()},
    )
    print(f"written {path}")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
