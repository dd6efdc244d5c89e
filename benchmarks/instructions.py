"""Instructions per query, counted by valgrind: a measure of the CPU work of a search
that the machine's load does not move.

Wall-clock figures on a shared 2-core machine move by a quarter between two runs of the
same code, so a change worth 5-10% cannot be told from noise by timing it. Valgrind's
callgrind counts the instructions a process executes instead, the same to within a
percent or two from run to run. Instructions are not time (a cache miss costs more
than an add), so this tells whether a change does less work; ``speed.py`` says what
that is worth in milliseconds.

For each ``--src LABEL=DIR`` (default: this checkout's ``src/``; ``DIR`` may be
``git:REV``) it runs new processes under ``valgrind --tool=callgrind``. Each opens the
index, answers one search, waits until the commit's score table is checked (as a
long-running process has it), then goes through the query set once (every query met
for the first time, as ``speed.py`` times them) doing one of:

- ``setup``: nothing more (what the others are measured against);
- ``parse``: parsing each query (``search._parse_now``: analysing its words, the tree);
- ``rank``: parsing and ranking (``scoring.rank``, top 10);
- ``search``: ``Index.search`` (top 10, no snippets) and reading each hit's id.

The table gives thousands of instructions per query: ``parse``, ``ranking`` (rank less
parse), ``rest`` (search less rank: the snapshot, hits, results, argument checks) and
``total``, and each source's total against the first's. OpenBLAS threads are held to
one and hash randomisation is off, so the counts repeat. Without valgrind it says
SKIPPED and exits 0.

    python benchmarks/instructions.py --src before=git:main~2 --src after=src
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import common  # noqa: E402  (first: it puts src/ and benchmarks/ on the path)
import first_query
import query_split

MODES = ("setup", "parse", "rank", "search")

CHILD = r"""
import json, sys, threading, time
from pathlib import Path
import diplosearch
import diplosearch.scoring as scoring
from diplosearch.ranking import DEFAULT_RANKING
from diplosearch.schema import TEXT_FIELDS
from diplosearch.search import _parse_now
from diplosearch.store.commit_columns import score_settings
from diplosearch.store.score_table import ready_table

index_path, queries_path, mode, wait = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
queries = json.loads(Path(queries_path).read_text("utf-8"))
ix = diplosearch.open_index(index_path)
ix.search(queries[0], limit=10, snippets=0)
# The same work before the measured step in every process, however long it takes under
# valgrind: every background check of the column files and the table finished, the
# table in use (a step that polled with searches would count a varying number of them).
settings = score_settings(tuple(TEXT_FIELDS), DEFAULT_RANKING)
deadline = time.monotonic() + 600
while time.monotonic() < deadline:
    for thread in threading.enumerate():
        if thread.name == "diplosearch-column-check":
            thread.join()
    with ix.snapshot() as snapshot:
        if not wait or ready_table(snapshot.columns, settings) is not None:
            break
    time.sleep(0.05)
analyzer = ix.analyzer
if mode == "parse":
    for query in queries:
        _parse_now(query, analyzer, None, ())
elif mode == "rank":
    with ix.snapshot() as snapshot:
        commit = snapshot.columns
        for query in queries:
            scoring.rank(commit, _parse_now(query, analyzer, None, ()).root, limit=10)
elif mode == "search":
    for query in queries:
        [hit.id for hit in ix.search(query, limit=10, snippets=0).hits]
ix.close()
"""

_COLLECTED = re.compile(r"Collected : (\d+)")


def collected(stderr: str) -> int:
    """The instruction count callgrind reports at a process's end."""
    found = _COLLECTED.findall(stderr)
    if not found:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{stderr[-2000:]}")
    return int(found[-1])


def count(valgrind: str, src: Path, index: Path, queries_file: Path, mode: str, wait: bool) -> int:
    """Instructions of one child process running ``mode`` with diplosearch from ``src``."""
    env = first_query.child_env(src)
    env.update(OPENBLAS_NUM_THREADS="1", PYTHONHASHSEED="0")
    proc = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", CHILD,
         str(index), str(queries_file), mode, "1" if wait else "0"],
        capture_output=True, text=True, env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the {mode} child failed:\n{proc.stderr[-3000:]}")
    return collected(proc.stderr)


def per_query(counts: dict[str, int], queries: int) -> dict[str, float]:
    """Thousands of instructions per query of each step, from each mode's process count."""
    base = counts["setup"]

    def of(mode: str) -> float:
        return (counts[mode] - base) / queries / 1000

    return {"parse": of("parse"), "ranking": of("rank") - of("parse"), "rest": of("search") - of("rank"),
            "total": of("search")}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    query_split.add_index_arguments(parser)
    parser.add_argument("--src", action="append", metavar="LABEL=DIR",
                        help="a diplosearch src/ to measure (repeatable; DIR may be git:REV)")
    parser.add_argument("--limit", type=int, default=300, help="queries from the set (default 300)")
    parser.add_argument("--output", default="instructions.json", help="file name under benchmarks/results/")
    args = parser.parse_args(argv)
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("SKIPPED: valgrind is not installed (apt install valgrind)")
        return 0
    found = query_split.index_and_queries(args.index, args.queries)
    if found is None:
        return 0
    index_path, queries_path, queries = found
    queries = queries[: args.limit]
    wait = common.has_score_table(index_path)
    work = common.fresh_dir("instructions")
    queries_file = work / "queries.json"
    queries_file.write_text(json.dumps(queries, ensure_ascii=False), "utf-8")
    sources = first_query.parse_sources(args.src or [])
    results: dict[str, dict[str, object]] = {}
    for label, src in sources.items():
        # Bytecode first: the first process to import a fresh export would count the
        # compiler (hundreds of millions of instructions) in its step alone.
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], env=first_query.child_env(src),
                       capture_output=True)
        counts = {}
        for mode in MODES:
            print(f"{label}: {mode} ...", flush=True)
            counts[mode] = count(valgrind, src, index_path, queries_file, mode, wait)
        results[label] = {"src": str(src), "counts": counts, "k_per_query": per_query(counts, len(queries))}
    shutil.rmtree(work, ignore_errors=True)
    first = next(iter(results.values()))["k_per_query"]["total"]  # type: ignore[index]
    rows = []
    for label, result in results.items():
        steps: dict[str, float] = result["k_per_query"]  # type: ignore[assignment]
        rows.append([label, *(round(steps[name]) for name in ("parse", "ranking", "rest", "total")),
                     f"{steps['total'] / first:.3f}" if first else "n/a"])
    print(f"{len(queries)} queries on {index_path} ({'with' if wait else 'without'} its score table), "
          "thousands of instructions per query (callgrind)")
    print(common.format_table(["source", "parse", "ranking", "rest", "total", "x first"], rows))
    payload = {"index": str(index_path), "queries_file": str(queries_path), "queries": len(queries),
               "score_table": wait, "sources": results, "environment": common.environment()}
    print(f"wrote {common.write_json(args.output, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
