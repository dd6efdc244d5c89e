"""Snippet pages of two source trees, A/B: same snippets, and how long a page takes.

Runs every query of a queries file as ``search(q, limit=10, snippets=2)`` (then once
more with ``snippets=0``) on a freshly opened index, in a new process for each source
tree (``--base``, e.g. a checkout of main, and this checkout), alternating the two for
``--rounds`` rounds so that machine load hits both alike. Checks that both give the
same hits and snippets, prints per-round p50s (wall clock, the thread's CPU time, the
page without snippets, ``make_snippets`` per hit) and writes JSON. Exits 1 on any
difference. ``snippet_speed.py --against`` swaps highlight.py alone; this swaps the
whole package, highlight_matches.py and the analyzer included.

    python benchmarks/snippet_ab.py INDEX_DIR QUERIES_JSON --base OTHER/src [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def worker(source: Path, index_dir: Path, queries_file: Path, out: Path) -> None:
    """One process's pass over the queries with the package from ``source``."""
    sys.path.insert(0, str(source))
    import diplosearch
    import diplosearch.search as search_module

    if not Path(diplosearch.__file__).resolve().is_relative_to(source.resolve()):
        raise SystemExit(f"imported {diplosearch.__file__}, not from {source}")
    queries = json.loads(queries_file.read_text("utf-8"))["queries"]
    real = search_module.make_snippets
    spent = [0.0]
    calls = [0]

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - began
            calls[0] += 1

    search_module.make_snippets = timed
    index = diplosearch.open_index(index_dir)
    wall, cpu, without, pages = [], [], [], []
    try:
        for query in queries:
            began, began_cpu = time.perf_counter(), time.thread_time()
            hits = index.search(query, limit=10, snippets=2).hits
            pages.append([[hit.id, hit.snippets] for hit in hits])
            cpu.append(time.thread_time() - began_cpu)
            wall.append(time.perf_counter() - began)
        for query in queries:
            began = time.perf_counter()
            index.search(query, limit=10, snippets=0)
            without.append(time.perf_counter() - began)
    finally:
        index.close()
    out.write_text(json.dumps({"wall": wall, "cpu": cpu, "without": without, "pages": pages,
                               "snippet_seconds": spent[0], "snippet_calls": calls[0]}), "utf-8")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        worker(*map(Path, argv[1:5]))
        return 0
    import common

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("queries", type=Path)
    parser.add_argument("--base", type=Path, required=True, help="the src folder of the other source tree")
    parser.add_argument("--ours", type=Path, default=common.REPO / "src")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    trees = {"base": args.base, "ours": args.ours}
    rows, runs, first_pages = [], [], {}
    with tempfile.TemporaryDirectory() as scratch:
        for number in range(1, args.rounds + 1):
            for name, source in trees.items():
                out = Path(scratch) / f"{name}-{number}.json"
                subprocess.run([sys.executable, __file__, "--worker", str(source), str(args.index),
                                str(args.queries), str(out)], check=True)
                run = json.loads(out.read_text("utf-8"))
                first_pages.setdefault(name, run["pages"])
                figures = {
                    "tree": name, "round": number,
                    "page p50 ms": statistics.median(run["wall"]) * 1000,
                    "page CPU p50 ms": statistics.median(run["cpu"]) * 1000,
                    "no snippets p50 ms": statistics.median(run["without"]) * 1000,
                    "make_snippets µs a hit": run["snippet_seconds"] / max(1, run["snippet_calls"]) * 1e6,
                }
                runs.append(figures)
                rows.append(list(figures.values()))
    base_pages, our_pages = first_pages["base"], first_pages["ours"]
    hits = sum(len(page) for page in base_pages)
    different = sum(1 for theirs, ours in zip(base_pages, our_pages) for a, b in zip(theirs, ours) if a != b)
    different += sum(abs(len(theirs) - len(ours)) for theirs, ours in zip(base_pages, our_pages))
    print(common.format_table(list(runs[0]), rows))
    print(f"hits compared: {hits}, different (id or snippets): {different}")
    path = common.write_json("snippet_ab.json", {
        "index": str(args.index), "queries": str(args.queries), "base": str(args.base), "ours": str(args.ours),
        "runs": runs, "hits": hits, "different": different, "environment": common.environment(),
    })
    print(f"written {path}")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
