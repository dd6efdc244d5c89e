"""Where a query's time goes, step by step, in one process.

Opens an existing index, answers one search (as ``speed.py`` does before timing), then
runs a query set ``--passes`` times, top 10 (two snippets per hit with ``--snippets``).
The first pass is what ``speed.py`` times (every word met for the first time since the
index was opened); later ones show a long-running process, whose words are remembered.
Each step is timed around diplosearch's own functions (wall clock, so run it on an idle
machine):

- ``parse``: the query text into a query tree (analysing words not seen before);
- ``snapshot``: taking the current snapshot (the check for a newer commit included);
- ``new terms``: scoring the terms no earlier query asked for (``_score_terms``);
- ``sum``: adding a query's terms up per document (``sum_per_document``, or
  ``best_sums_per_document`` for a query of words, which also keeps only the documents
  that can reach the page);
- ``top``: picking the best of the candidates (``_best``);
- ``rest of ranking``: the rest of ``scoring.rank`` (remembered terms, coordination, order);
- ``hits``: naming the page's hits (with ``--snippets``: reading documents, snippets);
- ``rest``: everything else in ``Index.search`` (argument checks, results).

    python benchmarks/query_split.py                         # the newest kept 22k index and its queries
    python benchmarks/query_split.py --index DIR --queries benchmarks/work/speed-*/queries.json --passes 3

The queries file is ``speed.py``'s (``{"queries": [...]}``) or a JSON list of strings;
by default the ``queries.json`` beside the index. Writes
benchmarks/results/query_split.json (``--output``): per pass, the mean milliseconds of
each step per query and the total's p50 and p99.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import common  # noqa: E402  (first: it puts src/ and benchmarks/ on the path)
import first_query
import metrics

STEPS = ("parse", "snapshot", "new terms", "sum", "top", "rest of ranking", "hits", "rest")
# (module, attribute, step): the functions timed. Each must exist: a rename in the
# package fails the script rather than leaving a step silently at 0.
TIMED = (
    ("diplosearch.search", "_recent_queries.parse", "parse"),
    ("diplosearch.store.snapshot", "SnapshotHolder.acquire", "snapshot"),
    ("diplosearch.scoring_terms", "_score_terms", "new terms"),
    ("diplosearch.scoring_words", "sum_per_document", "sum"),
    ("diplosearch.scoring_words", "best_sums_per_document", "sum"),
    ("diplosearch.scoring", "_best", "top"),
    ("diplosearch.scoring", "rank", "rank"),
    ("diplosearch.search", "_hits", "hits"),
)


class StepClock:
    """Seconds spent in each timed function during the current query."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def wrap(self, function: Callable[..., Any], step: str) -> Callable[..., Any]:
        spent = self.spent

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[step] = spent.get(step, 0.0) + time.perf_counter() - started

        return timed

    def install(self) -> Callable[[], None]:
        """Time the functions of :data:`TIMED`; returns what puts them back."""
        import importlib

        originals = []
        for module_name, attribute, step in TIMED:
            owner: Any = importlib.import_module(module_name)
            *path, name = attribute.split(".")
            for part in path:
                owner = getattr(owner, part)
            original = getattr(owner, name)
            originals.append((owner, name, original))
            setattr(owner, name, self.wrap(original, step))

        def uninstall() -> None:
            for owner, name, original in reversed(originals):
                setattr(owner, name, original)

        return uninstall


def split_of(spent: dict[str, float], total: float) -> dict[str, float]:
    """The steps of one query from the timed functions' seconds (nested ones taken out
    of the step around them)."""
    rank = spent.get("rank", 0.0)
    steps = {name: spent.get(name, 0.0) for name in ("parse", "snapshot", "new terms", "sum", "top", "hits")}
    steps["rest of ranking"] = max(rank - steps["new terms"] - steps["sum"] - steps["top"], 0.0)
    steps["rest"] = max(total - rank - steps["parse"] - steps["snapshot"] - steps["hits"], 0.0)
    return steps


def run_pass(index: Any, queries: Sequence[str], clock: StepClock, snippets: int) -> dict[str, object]:
    """Every query once: each step's mean ms per query, and the total's percentiles."""
    totals, steps = [], {name: 0.0 for name in STEPS}
    for query in queries:
        clock.spent.clear()
        started = time.perf_counter()
        results = index.search(query, limit=10, snippets=snippets)
        for hit in results.hits:
            hit.id
        total = time.perf_counter() - started
        totals.append(1000 * total)
        for name, seconds in split_of(clock.spent, total).items():
            steps[name] += 1000 * seconds
    return {
        "queries": len(queries),
        "mean_ms": {name: round(value / len(queries), 4) for name, value in steps.items()},
        "total": metrics.latency_summary(totals),
    }


def read_queries(path: Path) -> list[str]:
    saved = json.loads(path.read_text("utf-8"))
    return list(saved if isinstance(saved, list) else saved["queries"])


def add_index_arguments(parser: argparse.ArgumentParser, queries_help: str = "the query set") -> None:
    """``--index`` and ``--queries``, as :func:`index_and_queries` reads them."""
    parser.add_argument("--index", type=Path, help="an existing diplosearch index (default: the newest kept 22k one)")
    parser.add_argument("--queries", type=Path, help=f"{queries_help} (default: queries.json beside the index)")


def index_and_queries(index: Path | None, queries: Path | None) -> tuple[Path, Path, list[str]] | None:
    """The index to measure (``index``, else the newest one ``speed.py --keep`` left),
    its query set's path (``queries``, else the ``queries.json`` beside it) and the
    queries; None (after saying so) when there is no index; exits when there is no set."""
    index_path = index or first_query.find_index()
    if index_path is None:
        print("SKIPPED: no index (give --index, or keep one with `speed.py --keep`)")
        return None
    queries_path = queries or index_path.parent / "queries.json"
    if not queries_path.exists():
        sys.exit(f"no query set at {queries_path}: give --queries")
    return index_path, queries_path, read_queries(queries_path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_index_arguments(parser)
    parser.add_argument("--passes", type=int, default=2, help="times through the query set (default 2)")
    parser.add_argument("--snippets", action="store_true", help="two snippets per hit")
    parser.add_argument("--output", default="query_split.json", help="file name under benchmarks/results/")
    args = parser.parse_args(argv)
    found = index_and_queries(args.index, args.queries)
    if found is None:
        return 0
    index_path, queries_path, queries = found
    import diplosearch

    clock = StepClock()
    uninstall = clock.install()
    try:
        with diplosearch.open_index(index_path) as index:
            index.search(queries[0], limit=10, snippets=0)  # as speed.py: the first search is timed apart
            passes = [run_pass(index, queries, clock, 2 if args.snippets else 0) for _ in range(max(args.passes, 1))]
    finally:
        uninstall()
    rows = [[name, *(p["mean_ms"][name] for p in passes)] for name in STEPS]  # type: ignore[index]
    rows.append(["total (mean)", *(p["total"]["mean_ms"] for p in passes)])  # type: ignore[index]
    rows.append(["total p50", *(p["total"]["p50_ms"] for p in passes)])  # type: ignore[index]
    rows.append(["total p99", *(p["total"]["p99_ms"] for p in passes)])  # type: ignore[index]
    table = common.has_score_table(index_path)
    print(f"{len(queries)} queries on {index_path} ({'with' if table else 'without'} its score table), "
          f"ms per query{' (2 snippets per hit)' if args.snippets else ''}")
    print(common.format_table(["step", *(f"pass {n + 1}" for n in range(len(passes)))], rows))
    payload = {"index": str(index_path), "score_table": table, "queries_file": str(queries_path), "snippets": args.snippets,
               "passes": passes, "environment": common.environment()}
    print(f"wrote {common.write_json(args.output, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
