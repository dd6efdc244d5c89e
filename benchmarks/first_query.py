"""Time from a new Python process to its first search result, broken down.

Each run starts a new interpreter that imports diplosearch, opens an existing index and
answers one query (top 10, no snippets, as ``speed.py``'s time-to-first-query step; add
``--snippets`` for two per hit). The table shows the median of ``--runs`` new processes
for each step, as wall time from the parent's spawn and as the child's CPU time (which
other work on this 2-core machine moves far less than wall time):

- ``interpreter``: from the spawn to the child's first line (Python's own start,
  ``site`` and whatever the environment's ``.pth`` files import; not diplosearch's doing);
- ``import``: ``import diplosearch``;
- ``open``: ``diplosearch.open_index(path)``;
- ``search``: the first ``Index.search`` (which loads what searching needs);
- ``total``: spawn to first result, the figure of issue 10 (1.0: 529 ms; target 250 ms).

Beside them, in the same interleaved runs: bare ``python -c pass`` and the *floor*,
``python -c "import numpy, whoosh.index, attrs"``: the interpreter plus the libraries
diplosearch cannot search without, which no change to diplosearch can go below.

Children run with bytecode caching on, as an installed package has its ``.pyc`` files
(``PYTHONDONTWRITEBYTECODE``, set on some machines, would make every process compile
diplosearch's sources: hundreds of ms that no user pays); one uncounted run per source
writes them. ``--src LABEL=DIR`` (repeatable, ``DIR`` may be ``git:REV``) times other
sources in the same run, interleaved, so a before/after comparison shares the load.

    python benchmarks/first_query.py                  # the newest kept 22k index
    python benchmarks/first_query.py --build 22k      # build one under benchmarks/work first
    python benchmarks/first_query.py --src before=git:main~3 --src after=src --importtime

``--importtime`` also lists the slowest imports of one run and the imports that
``open_index`` and the first search make (what is left of the search step is its own
work: reading the index, parsing, scoring).

Without ``--index`` or ``--build``, the newest ``benchmarks/work/*/diplosearch-21965``
(``speed.py --keep``) or ``first-query-*`` index is used. The JSON
(benchmarks/results/first_query.json by default) holds every run and the load average.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

import common  # noqa: E402  (first: it puts src/ and benchmarks/ on the path)
import data
import metrics

# speed.py's first query at 21,965 articles (its query set is fixed by seed 42).
DEFAULT_QUERY = 'pengemudi "go-food"'
STEPS = ("interpreter", "import", "open", "search", "total")

# The child: nothing but the clock before `import diplosearch`, so the import is measured
# as a user's program would pay it. argv: index path, query, snippets per hit.
CHILD = """\
import time
started, started_cpu = time.time(), time.process_time()
import sys
import diplosearch
imported, imported_cpu = time.time(), time.process_time()
ix = diplosearch.open_index(sys.argv[1])
opened, opened_cpu = time.time(), time.process_time()
res = ix.search(sys.argv[2], limit=10, snippets=int(sys.argv[3]))
done, done_cpu = time.time(), time.process_time()
hits = len(res.hits)
ix.close()
print("RESULT", started, imported, opened, done, started_cpu, imported_cpu, opened_cpu, done_cpu, hits, len(sys.modules))
"""

def child_env(src: Path = common.REPO / "src") -> dict[str, str]:
    """The environment for a child: diplosearch from ``src``, with bytecode
    caching on (an installed package has its ``.pyc`` files; compiling the sources in
    every process, as ``PYTHONDONTWRITEBYTECODE`` makes Python do, costs hundreds of ms)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(src) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def one_run(index: Path, query: str, snippets: int, src: Path) -> dict[str, float | int]:
    """One new process running diplosearch from ``src``: spawn, import, open, search;
    milliseconds per step."""
    spawned = time.time()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(index), query, str(snippets)],
        capture_output=True, text=True, env=child_env(src),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"first-query child failed:\n{proc.stderr[-3000:]}")
    line = next(l for l in reversed(proc.stdout.splitlines()) if l.startswith("RESULT "))
    fields = line.split()[1:]
    started, imported, opened, done, started_cpu, imported_cpu, opened_cpu, done_cpu = (float(x) for x in fields[:8])
    hits, modules = (int(x) for x in fields[8:10])
    return {
        "interpreter": 1000 * (started - spawned),
        "import": 1000 * (imported - started),
        "open": 1000 * (opened - imported),
        "search": 1000 * (done - opened),
        "total": 1000 * (done - spawned),
        # CPU seconds of the child: far less moved by other work on the machine than wall time.
        "interpreter_cpu": 1000 * started_cpu,
        "import_cpu": 1000 * (imported_cpu - started_cpu),
        "open_cpu": 1000 * (opened_cpu - imported_cpu),
        "search_cpu": 1000 * (done_cpu - opened_cpu),
        "total_cpu": 1000 * done_cpu,
        "hits": hits,
        "modules": modules,
    }


def bare_interpreter(code: str = "pass") -> float:
    """Milliseconds for ``python -c CODE`` from spawn to exit."""
    spawned = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=child_env())
    return 1000 * (time.perf_counter() - spawned)


#: What a first result cannot be faster than: the interpreter, then importing the
#: libraries diplosearch is built on (numpy scores; Whoosh reads the index; attrs
#: makes the API's classes), from spawn to exit.
FLOOR_CODE = "import numpy, whoosh.index, attrs"


def import_times(index: Path, query: str, snippets: int, src: Path) -> list[tuple[str, int, float, float]]:
    """``-X importtime`` of one run, in import order: (name, nesting depth, own ms,
    cumulative ms) of every module imported after the interpreter's start."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", CHILD, str(index), query, str(snippets)],
        capture_output=True, text=True, env=child_env(src), check=True,
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = (part for part in line[len("import time:"):].split("|"))
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        rows.append((name.strip(), depth, int(own) / 1000, int(cumulative) / 1000))
    started = max((i + 1 for i, row in enumerate(rows) if row[:2] == ("site", 0)), default=0)
    return rows[started:]


def slowest_imports(rows: Sequence[tuple[str, int, float, float]], count: int = 25) -> list[tuple[str, float, float]]:
    """The ``count`` modules with the largest own import time (name, own ms, cumulative ms)."""
    return [(name, own, cumulative) for name, _depth, own, cumulative in sorted(rows, key=lambda row: -row[2])[:count]]


def imports_after_import(rows: Sequence[tuple[str, int, float, float]]) -> list[tuple[str, float]]:
    """The top-level imports that open_index and the first search make (after
    ``import diplosearch``): name, cumulative ms. What is left of the search step is
    its own work (reading the index, parsing, scoring)."""
    after = next((i + 1 for i, row in enumerate(rows) if row[:2] == ("diplosearch", 0)), len(rows))
    return [(name, cumulative) for name, depth, _own, cumulative in rows[after:] if depth == 0]


def find_index() -> Path | None:
    """The newest kept 22k index under benchmarks/work/, if any."""
    candidates = [p for pattern in ("*/diplosearch-21965", "first-query-*/index") for p in common.WORK_DIR.glob(pattern)]
    candidates = [p for p in candidates if (p / "diplosearch.json").exists() and not (p / "MAIN.tmp").exists()]
    return max(candidates, key=lambda p: p.stat().st_mtime) if candidates else None


def build_index(size_text: str, seed: int) -> Path:
    """Build a CLICK-ID index of ``size_text`` articles (``22k``/``all`` or a number) under
    benchmarks/work/first-query-*/index, the same article order as ``speed.py``."""
    import random

    import diplosearch

    root = data.require_data(data.CLICKID_FILE)
    articles = data.load_clickid(root)
    size = len(articles) if size_text.lower() in ("all", "22k") else min(len(articles), int(size_text.replace("k", "000")))
    order = list(range(len(articles)))
    random.Random(seed).shuffle(order)
    chosen = [articles[i] for i in order[:size]]
    path = common.fresh_dir("first-query") / "index"
    print(f"building {size:,} articles into {path} ...", flush=True)
    started = time.perf_counter()
    ix = diplosearch.open_index(path, create=True)
    ix.add_many(
        diplosearch.Document(id=d.id, title=d.title, body=d.body, source=d.source, url=d.url, published=d.published)
        for d in chosen
    )
    ix.close()
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def parse_sources(values: Sequence[str]) -> dict[str, Path]:
    """``--src LABEL=DIR`` options (or a commit: ``LABEL=git:REV``, exported under
    benchmarks/work/) -> label -> src directory; default: this checkout's src/."""
    sources: dict[str, Path] = {}
    for value in values or ["working tree=" + str(common.REPO / "src")]:
        label, _, where = value.partition("=")
        if not where:
            label, where = value, value
        if where.startswith("git:"):
            rev = subprocess.run(["git", "-C", str(common.REPO), "rev-parse", where[4:]],
                                 capture_output=True, text=True, check=True).stdout.strip()
            dest = common.WORK_DIR / f"first-query-src-{rev[:12]}"
            if not (dest / "src" / "diplosearch" / "__init__.py").exists():
                dest.mkdir(parents=True, exist_ok=True)
                archive = subprocess.run(["git", "-C", str(common.REPO), "archive", rev, "src"], capture_output=True, check=True)
                subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
            where = str(dest / "src")
        sources[label] = Path(where)
    return sources


def summary(runs: Sequence[dict[str, float | int]]) -> dict[str, dict[str, float]]:
    """Median, min and max wall time and median CPU time of each step."""
    return {
        step: {
            "median": round(metrics.percentile([r[step] for r in runs], 50), 1),
            "min": round(min(r[step] for r in runs), 1),
            "max": round(max(r[step] for r in runs), 1),
            "median_cpu": round(metrics.percentile([r[f"{step}_cpu"] for r in runs], 50), 1),
        }
        for step in STEPS
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, help="an existing diplosearch index (default: the newest kept 22k one)")
    parser.add_argument("--build", metavar="SIZE", help="first build a CLICK-ID index of SIZE articles (e.g. 22k, 5000)")
    parser.add_argument("--runs", type=int, default=11, help="new processes to time per source (default 11)")
    parser.add_argument("--src", action="append", metavar="LABEL=DIR",
                        help="diplosearch sources to time (repeatable; DIR may be git:REV); runs of "
                             "several sources are interleaved, so they share the machine's load")
    parser.add_argument("--query", default=DEFAULT_QUERY, help=f"default {DEFAULT_QUERY!r}")
    parser.add_argument("--snippets", action="store_true", help="two snippets per hit (default none, as speed.py)")
    parser.add_argument("--importtime", action="store_true", help="also list the slowest imports of one run")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", default="first_query.json", help="file name under benchmarks/results/")
    args = parser.parse_args(argv)

    sources = parse_sources(args.src)
    index = build_index(args.build, args.seed) if args.build else (args.index or find_index())
    if index is None or not Path(index).exists():
        parser.error("no index: give --index DIR or --build 22k")
    index = Path(index)
    snippets = 2 if args.snippets else 0
    load_before = os.getloadavg()
    for src in sources.values():
        one_run(index, args.query, snippets, src)  # not counted: writes the .pyc files, warms the page cache
    bare: list[float] = []
    floor: list[float] = []
    runs: dict[str, list[dict[str, float | int]]] = {label: [] for label in sources}
    for _ in range(args.runs):
        # interleaved with the runs, so the floor shares their load
        bare.append(bare_interpreter())
        floor.append(bare_interpreter(FLOOR_CODE))
        for label, src in sources.items():
            runs[label].append(one_run(index, args.query, snippets, src))
    load_after = os.getloadavg()

    print(f"\nindex {index}; query {args.query!r}, snippets {snippets}; {args.runs} new processes per source; "
          f"load average {load_before[0]:.2f} -> {load_after[0]:.2f}; bare `python -c pass` "
          f"{metrics.percentile(bare, 50):.1f} ms, floor `python -c '{FLOOR_CODE}'` "
          f"{metrics.percentile(floor, 50):.1f} ms (medians)")
    summaries = {label: summary(label_runs) for label, label_runs in runs.items()}
    headers = ["step (ms)"] + [f"{label} {what}" for label in sources for what in ("wall", "CPU")]
    rows = [[step] + [summaries[label][step][key] for label in sources for key in ("median", "median_cpu")]
            for step in STEPS]
    rows.append(["hits / modules loaded"] + [f"{runs[label][0]['hits']} / {runs[label][0]['modules']}"
                                            for label in sources for _ in (0, 1)])
    print(common.format_table(headers, rows))
    print("(medians; wall from spawn, CPU of the child process; min/max in the JSON)")

    payload: dict[str, object] = {
        "environment": common.environment(),
        "index": str(index),
        "query": args.query,
        "snippets": snippets,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "bare_interpreter_ms": [round(x, 1) for x in bare],
        "floor_code": FLOOR_CODE,
        "floor_ms": [round(x, 1) for x in floor],
        "sources": {
            label: {
                "src": str(src),
                "summary": summaries[label],
                "runs": [{k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()} for r in runs[label]],
            }
            for label, src in sources.items()
        },
    }
    if args.importtime:
        label, src = next(reversed(sources.items()))
        rows = import_times(index, args.query, snippets, src)
        slow = slowest_imports(rows)
        print(f"\nslowest imports of one run of {label} (own time):")
        print(common.format_table(["module", "own ms", "cumulative ms"], [[n, round(o, 1), round(c, 1)] for n, o, c in slow]))
        late = imports_after_import(rows)
        print(f"\nimports made by open_index and the first search of that run ({sum(c for _n, c in late):.1f} ms):")
        print(common.format_table(["module", "cumulative ms"], [[n, round(c, 1)] for n, c in late if c >= 0.5]))
        payload["slowest_imports"] = [{"module": n, "own_ms": round(o, 2), "cumulative_ms": round(c, 2)} for n, o, c in slow]
        payload["imports_after_import"] = [{"module": n, "cumulative_ms": round(c, 2)} for n, c in late]
    print(f"\nwritten: {common.write_json(args.output, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
