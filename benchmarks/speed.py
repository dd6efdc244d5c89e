"""Speed, size and memory of diplosearch and its peers on CLICK-ID news articles.

For each size (default 1,000, 5,000 and all 21,965 articles; a fixed-seed order, so
each size contains the smaller ones) and each engine, one after another, every step
in a fresh Python process of its own (so peak RSS belongs to one engine and one step):

1. build: index the articles (one commit) -> docs/s, MB of text/s, index size on disk,
   peak RSS. Peers without an Indonesian analyzer are fed diplosearch's tokens with
   PyStemmer stems; that analysis is part of their indexing time (its share is shown).
2. query: open the index in a new process and run one query -> time to first query
   (process start to first result, imports included; median of 3 new processes); then the fixed query set
   (title key words and FacQA questions, top 10) -> latency p50/p95/p99, with and
   without snippets where the engine makes them.
3. add (largest size only): add 100 articles to the index and commit, for engines
   that can update an index in place.

    python benchmarks/speed.py                                   # everything, about 20-30 minutes
    python benchmarks/speed.py --sizes 1000 --engines diplosearch,tantivy
    python benchmarks/speed.py --profile                         # cProfile of diplosearch indexing and queries

Prints tables, writes benchmarks/results/speed.json and the scale chart
benchmarks/results/speed_scale.png (matplotlib).
"""

from __future__ import annotations

_PROCESS_START = __import__("time").time()  # before any other import: time to first query counts imports

import argparse
import gc
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402  (first: it puts src/ and benchmarks/ on the path)
import data  # noqa: E402
import engines  # noqa: E402
import metrics  # noqa: E402
from data import BenchDoc  # noqa: E402

DEFAULT_SIZES = "1000,5000,all"
DEFAULT_ENGINES = ("diplosearch", "whoosh-stock", "bm25s", "tantivy", "sqlite-fts5", "sastrawi-bm25s")
TITLE_QUERIES = 250
FACQA_QUERIES = 250
INCREMENTAL_DOCS = 100
FIRST_QUERY_REPEATS = 3  # new processes per index; the median is reported
TOP_K = 10


# ---------------------------------------------------------------------------------------
# Measuring inside a child process


def memory_mb() -> dict[str, float]:
    """Current and peak resident set size of this process, in MB."""
    values: dict[str, float] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, amount = line.split(":", 1)
                values[key] = int(amount.split()[0]) / 1024
    except OSError:
        pass
    peak = values.get("VmHWM", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return {"rss_mb": round(values.get("VmRSS", float("nan")), 1), "peak_rss_mb": round(peak, 1)}


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class TreeMemory:
    """Samples the RSS of this process plus all its descendants (diplosearch indexes with
    helper processes) every 20 ms; ``peak_mb`` is the largest sum seen. Needs psutil."""

    def __init__(self) -> None:
        import threading

        self.peak_mb: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            import psutil
        except ImportError:
            return
        me = psutil.Process()
        peak = 0
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            peak = max(peak, total)
            self._stop.wait(0.02)
        self.peak_mb = round(peak / 2**20, 1)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


def read_docs(path: Path) -> list[BenchDoc]:
    with open(path, encoding="utf-8") as handle:
        return [BenchDoc(**json.loads(line)) for line in handle]


def write_docs(path: Path, docs: Sequence[BenchDoc]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for d in docs:
            handle.write(json.dumps(d.__dict__, ensure_ascii=False) + "\n")


def query_modes(engine: engines.Engine) -> list[tuple[str, dict[str, object]]]:
    modes: list[tuple[str, dict[str, object]]] = [("top10", {})]
    if engine.supports_snippets:
        modes.append(("top10+snippets", {"snippets": True}))
    if isinstance(engine, engines.DiplosearchEngine):
        modes.append(("top10 bm25f", {"coordination": False}))
    return modes


def child_build(engine_name: str, docs_file: Path, index_dir: Path) -> dict[str, object]:
    docs = read_docs(docs_file)
    gc.collect()
    before = memory_mb()
    # diplosearch starts its indexing helper only when the 1-minute load average leaves a CPU spare.
    load_before = os.getloadavg()[0]
    engine = engines.make_engine(engine_name, index_dir)
    cpu_before = cpu_seconds()
    with TreeMemory() as tree:
        started = time.perf_counter()
        engine.build(docs)
        engine.close()
        seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_before
    after = memory_mb()
    text_bytes = sum(d.text_bytes for d in docs)
    return {
        "docs": len(docs),
        "text_mb": round(text_bytes / 1e6, 2),
        "seconds": round(seconds, 3),
        "docs_per_s": round(len(docs) / seconds, 1),
        "mb_per_s": round(text_bytes / 1e6 / seconds, 3),
        "analysis_seconds": round(engine.analysis_seconds, 3),
        "cpu_seconds": round(cpu, 2),
        "load_average_before": round(load_before, 2),
        # More than one CPU busy on average: helper processes or threads did part of the work.
        "parallel": cpu > 1.15 * seconds,
        "rss_before_mb": before["rss_mb"],
        "peak_rss_mb": after["peak_rss_mb"],
        # With helper processes (diplosearch >= 1,000 docs) the tree's peak is the one that counts.
        "peak_tree_rss_mb": tree.peak_mb,
        "setup": engine.describe(),
    }


def child_query(engine_name: str, index_dir: Path, queries_file: Path) -> dict[str, object]:
    queries = json.loads(queries_file.read_text("utf-8"))
    engine = engines.make_engine(engine_name, index_dir)
    engine.open()
    first = engine.search(queries[0], TOP_K)
    first_at = time.time()
    results: dict[str, object] = {
        "first_query_done_at": first_at,
        "first_query_ms_in_process": round(1000 * (first_at - _PROCESS_START), 1),
        "first_query_hits": len(first),
        "modes": {},
    }
    for mode, options in query_modes(engine):
        latencies = []
        empty = errors = 0
        for query in queries:
            started = time.perf_counter()
            try:
                hits = engine.search(query, TOP_K, **options)
            except Exception:  # counted, never fatal
                errors += 1
                hits = []
            latencies.append(1000 * (time.perf_counter() - started))
            empty += not hits
        results["modes"][mode] = {  # type: ignore[index]
            "queries": len(queries),
            "p50_ms": round(metrics.percentile(latencies, 50), 3),
            "p95_ms": round(metrics.percentile(latencies, 95), 3),
            "p99_ms": round(metrics.percentile(latencies, 99), 3),
            "mean_ms": round(sum(latencies) / len(latencies), 3),
            "queries_without_hits": empty,
            "errors": errors,
            # In query-set order, so latency can be split by kind of query afterwards.
            "latencies_ms": [round(x, 3) for x in latencies],
        }
    engine.close()
    results.update(memory_mb())
    return results


def child_first(engine_name: str, index_dir: Path, queries_file: Path) -> dict[str, object]:
    """Only open the index and answer the first query (for the time-to-first-query repeats)."""
    query = json.loads(queries_file.read_text("utf-8"))[0]
    engine = engines.make_engine(engine_name, index_dir)
    engine.open()
    engine.search(query, TOP_K)
    done = time.time()
    engine.close()
    return {"first_query_done_at": done, "first_query_ms_in_process": round(1000 * (done - _PROCESS_START), 1)}


def child_add(engine_name: str, index_dir: Path, docs_file: Path) -> dict[str, object]:
    docs = read_docs(docs_file)
    engine = engines.make_engine(engine_name, index_dir)
    engine.open()
    started = time.perf_counter()
    engine.add(docs)
    seconds = time.perf_counter() - started
    check = engine.search(data.clean_query(docs[0].title), TOP_K)
    engine.close()
    return {"docs": len(docs), "seconds": round(seconds, 3), "found_first_added": docs[0].id in check, **memory_mb()}


def child_main(args: argparse.Namespace) -> int:
    if args.child == "build":
        result = child_build(args.engine, Path(args.docs), Path(args.dir))
    elif args.child == "query":
        result = child_query(args.engine, Path(args.dir), Path(args.queries))
    elif args.child == "first":
        result = child_first(args.engine, Path(args.dir), Path(args.queries))
    else:
        result = child_add(args.engine, Path(args.dir), Path(args.docs))
    print("RESULT " + json.dumps(result))
    return 0


# ---------------------------------------------------------------------------------------
# The parent: one child per step


def run_child(*arguments: str) -> tuple[dict[str, object], float]:
    """Run one measuring step in a new interpreter; returns its result and its start time."""
    command = [sys.executable, str(Path(__file__).resolve()), *arguments]
    started = time.time()
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed:\n{proc.stderr[-3000:]}")
    line = next(l for l in reversed(proc.stdout.splitlines()) if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):]), started


def make_query_set(articles: Sequence[BenchDoc], facqa: data.FacQA, seed: int) -> list[dict[str, str]]:
    """Title key words (2, 3 or 4 words, by turns) and whole FacQA questions, fixed seed."""
    queries = []
    for i, article in enumerate(data.sample(articles, TITLE_QUERIES, seed)):
        q = data.keyword_query(article.title, 2 + i % 3)
        if q:
            queries.append({"kind": "title-keywords", "source": article.id, "query": q})
    for qid, question, _pid in data.sample(facqa.queries, FACQA_QUERIES, seed):
        q = data.clean_query(question)
        if q:
            queries.append({"kind": "facqa-question", "source": qid, "query": q})
    return queries


def parse_sizes(text: str, available: int) -> list[int]:
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        sizes.append(available if part in ("all", "22k") else min(available, int(part.replace("k", "000"))))
    return sorted(set(sizes))


def tables(payload: dict[str, object]) -> str:
    runs = payload["runs"]  # type: ignore[index]
    build_rows, query_rows, add_rows = [], [], []
    for r in runs:  # type: ignore[union-attr]
        b = r.get("build")
        if b:
            share = b["analysis_seconds"] / b["seconds"] if b["analysis_seconds"] else None
            build_rows.append([
                r["engine"], b["docs"], b["seconds"], b["docs_per_s"], b["mb_per_s"], b.get("cpu_seconds"),
                ("yes" if b["parallel"] else "no") if "parallel" in b else "?", b.get("load_average_before"),
                f"{100 * share:.0f}%" if share is not None else "-",
                round(r["index_bytes"] / 1e6, 1), b["peak_rss_mb"], b.get("peak_tree_rss_mb"), b["rss_before_mb"],
            ])
        q = r.get("query")
        if q:
            for mode, m in q["modes"].items():
                query_rows.append([
                    r["engine"], mode, r["docs"],
                    round(q["time_to_first_query_ms"]) if mode == "top10" else "",
                    m["p50_ms"], m["p95_ms"], m["p99_ms"], m["mean_ms"],
                    q["peak_rss_mb"] if mode == "top10" else "",
                ])
        a = r.get("add")
        if a:
            add_rows.append([r["engine"], r["docs"], a["docs"], a["seconds"], a["found_first_added"]])
        elif r.get("add_note"):
            add_rows.append([r["engine"], r["docs"], INCREMENTAL_DOCS, None, r["add_note"]])
    parts = [
        "Indexing (one commit; peers' time includes diplosearch-tokens + stemming in Python):\n",
        common.format_table(
            ["engine", "docs", "wall s", "docs/s", "MB/s", "CPU s", ">1 CPU", "load", "analysis", "index MB", "peak RSS MB",
             "peak RSS+helpers MB", "RSS before MB"],
            build_rows,
        ),
        f"\nQuerying ({payload['query_count']} queries, top {TOP_K}, latency in ms; first query = new process "
        f"start to first result, median of {FIRST_QUERY_REPEATS}):\n",
        common.format_table(
            ["engine", "mode", "docs", "first query ms", "p50", "p95", "p99", "mean", "peak RSS MB"], query_rows
        ),
    ]
    if add_rows:
        parts += [
            f"\nIncremental update (add {INCREMENTAL_DOCS} articles to the largest index, one commit):\n",
            common.format_table(["engine", "docs in index", "added", "seconds", "found after add"], add_rows),
        ]
    return "\n".join(parts)


def chart(payload: dict[str, object], path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("note: matplotlib not installed, no chart (pip install -e \".[bench]\")")
        return None
    runs = payload["runs"]  # type: ignore[index]
    engines = list(dict.fromkeys(r["engine"] for r in runs))  # type: ignore[union-attr]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    for engine in engines:
        rows = [r for r in runs if r["engine"] == engine and r.get("build")]  # type: ignore[union-attr]
        xs = [r["docs"] for r in rows]
        ax1.plot(xs, [r["build"]["docs_per_s"] for r in rows], marker="o", label=engine)
        q_rows = [r for r in rows if r.get("query")]
        ax2.plot([r["docs"] for r in q_rows], [r["query"]["modes"]["top10"]["p50_ms"] for r in q_rows],
                 marker="o", label=engine)
    for ax, title, ylabel in (
        (ax1, "Indexing throughput", "documents / second (log)"),
        (ax2, f"Query latency, median of {payload['query_count']} queries (top {TOP_K})", "ms (log)"),
    ):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("articles in the index (log)")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    ax2.legend(fontsize=8)
    env = payload["environment"]  # type: ignore[index]
    fig.suptitle(f"CLICK-ID, {env['cpu']}, {env['nproc']} cores, {env['date'][:10]}", fontsize=9)  # type: ignore[index]
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def profile(articles: Sequence[BenchDoc], queries: Sequence[str], docs: int) -> None:
    """cProfile of diplosearch indexing ``docs`` articles and of the query set (in this process)."""
    import cProfile
    import io
    import pstats

    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)

    def dump(profiler: cProfile.Profile, name: str, label: str) -> None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        out.write(f"# {label}\n\n## by cumulative time\n")
        stats.sort_stats("cumulative").print_stats(45)
        out.write("\n## by own time\n")
        stats.sort_stats("tottime").print_stats(30)
        (common.RESULTS_DIR / name).write_text(out.getvalue(), "utf-8")
        print(f"wrote {common.RESULTS_DIR / name}")

    path = common.fresh_dir("profile") / "diplosearch"
    # One process: helper processes would hide their work from the profiler; each helper
    # does exactly this per document.
    engine = engines.DiplosearchEngine(path, workers=1)
    profiler = cProfile.Profile()
    subset = list(articles[:docs])
    started = time.perf_counter()
    profiler.enable()
    engine.build(subset)
    profiler.disable()
    seconds = time.perf_counter() - started
    dump(profiler, "profile-index.txt", f"diplosearch indexing {len(subset)} CLICK-ID articles: {seconds:.1f} s under cProfile")
    engine.close()
    engine.open()
    for mode, options in query_modes(engine):
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for q in queries:
            engine.search(q, TOP_K, **options)
        profiler.disable()
        seconds = time.perf_counter() - started
        name = "profile-query-" + mode.replace(" ", "-").replace("+", "-") + ".txt"
        dump(profiler, name, f"diplosearch {mode}: {len(queries)} queries on {len(subset)} articles: {seconds:.1f} s under cProfile")
    engine.close()
    shutil.rmtree(path.parent, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated article counts; 'all' = 21,965")
    parser.add_argument("--engines", default=",".join(DEFAULT_ENGINES),
                        help=f"comma-separated (default: {','.join(DEFAULT_ENGINES)})")
    parser.add_argument("--no-add", action="store_true", help="skip the incremental-update step")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the indexes under benchmarks/work/speed/")
    parser.add_argument("--profile", action="store_true",
                        help="instead: cProfile diplosearch indexing (--profile-docs articles) and the query set")
    parser.add_argument("--profile-docs", type=int, default=5000)
    parser.add_argument("--output", default="speed.json", help="file name under benchmarks/results/")
    parser.add_argument("--tables", metavar="JSON", help="only print the tables of an earlier run's JSON file")
    # Internal: one measuring step in a child process.
    parser.add_argument("--child", choices=("build", "query", "first", "add"), help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--docs", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--queries", help=argparse.SUPPRESS)
    parser.add_argument("--snapshot", action="store_true",
                        help="measure the committed code of HEAD (exported to benchmarks/work/), not the working tree")
    args = parser.parse_args(argv)
    if args.snapshot:
        common.reexec_on_snapshot(sys.argv[1:] if argv is None else list(argv))
    if args.child:
        return child_main(args)
    if args.tables:
        print(tables(json.loads(Path(args.tables).read_text("utf-8"))))
        return 0

    engine_names = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in engine_names if e not in engines.ENGINES]
    if unknown:
        parser.error(f"unknown engine: {', '.join(unknown)}; known: {', '.join(engines.ENGINES)}")
    root = data.require_data(data.CLICKID_FILE, "facqa/test_preprocess.csv")
    missing = [e for e in engine_names if not engines.engine_available(e)]
    if missing:
        print(f"note: not installed, skipping {', '.join(missing)} (pip install -e \".[bench]\")")
        engine_names = [e for e in engine_names if e not in missing]

    print("loading CLICK-ID and FacQA ...")
    articles = data.load_clickid(root)
    # One fixed-seed order: every size is a prefix of it, so 1k is inside 5k is inside 22k.
    order = list(range(len(articles)))
    random.Random(args.seed).shuffle(order)
    shuffled = [articles[i] for i in order]
    query_set = make_query_set(articles, data.load_facqa(root), args.seed)
    queries = [q["query"] for q in query_set]

    if args.profile:
        profile(shuffled, queries, args.profile_docs)
        return 0

    sizes = parse_sizes(args.sizes, len(articles))
    env = common.environment()
    print(f"{env['cpu']}, {env['nproc']} cores, {env['ram_gb']} GB; diplosearch analysis {env['diplosearch_analysis_version']}")
    work = common.fresh_dir("speed")
    queries_file = work / "queries.json"
    queries_file.write_text(json.dumps(queries, ensure_ascii=False), "utf-8")
    extra = [
        BenchDoc(id=f"added-{d.id}", title=d.title, body=d.body, source=d.source, url=d.url)
        for d in data.sample(articles, INCREMENTAL_DOCS, args.seed + 1)
    ]
    extra_file = work / "added.jsonl"
    write_docs(extra_file, extra)

    payload: dict[str, object] = {
        "environment": env,
        "sizes": sizes,
        "engines": engine_names,
        "query_count": len(queries),
        "query_set": query_set,
        "top_k": TOP_K,
        "runs": [],
    }
    started_all = time.perf_counter()
    for size in sizes:
        docs_file = work / f"docs-{size}.jsonl"
        write_docs(docs_file, shuffled[:size])
        for engine in engine_names:
            index_dir = work / f"{engine}-{size}"
            run: dict[str, object] = {"engine": engine, "docs": size}
            payload["runs"].append(run)  # type: ignore[union-attr]
            print(f"[{time.perf_counter() - started_all:6.0f}s] {engine} @ {size:,}: build", end="", flush=True)
            try:
                run["build"], _ = run_child("--child", "build", "--engine", engine, "--docs", str(docs_file), "--dir", str(index_dir))
                run["index_bytes"] = common.dir_size(index_dir)
                print(f" {run['build']['docs_per_s']:,.0f} docs/s; query", end="", flush=True)  # type: ignore[index]
                query, spawned = run_child("--child", "query", "--engine", engine, "--dir", str(index_dir), "--queries", str(queries_file))
                firsts = [1000 * (query["first_query_done_at"] - spawned)]  # type: ignore[operator]
                for _ in range(FIRST_QUERY_REPEATS - 1):
                    first, spawned = run_child("--child", "first", "--engine", engine, "--dir", str(index_dir), "--queries", str(queries_file))
                    firsts.append(1000 * (first["first_query_done_at"] - spawned))  # type: ignore[operator]
                query["time_to_first_query_ms"] = round(metrics.percentile(firsts, 50), 1)
                query["time_to_first_query_all_ms"] = [round(x, 1) for x in firsts]
                run["query"] = query
                print(f" p50 {query['modes']['top10']['p50_ms']:.2f} ms", end="", flush=True)  # type: ignore[index]
                if size == sizes[-1] and not args.no_add:
                    if engines.make_engine(engine, index_dir).supports_add:
                        run["add"], _ = run_child("--child", "add", "--engine", engine, "--dir", str(index_dir), "--docs", str(extra_file))
                        print(f"; add {INCREMENTAL_DOCS}: {run['add']['seconds']:.2f} s", end="")  # type: ignore[index]
                    else:
                        run["add_note"] = "cannot add: rebuild"
            except RuntimeError as exc:
                run["error"] = str(exc)
                print(f"\n  FAILED: {exc}")
            print()
            if not args.keep:
                shutil.rmtree(index_dir, ignore_errors=True)
        docs_file.unlink()
        common.write_json(args.output, payload)
    payload["seconds"] = round(time.perf_counter() - started_all, 1)
    print()
    print(tables(payload))
    out = common.write_json(args.output, payload)
    # Named after the JSON so a partial run (--output other.json) keeps the main chart.
    png = chart(payload, common.RESULTS_DIR / f"{Path(args.output).stem}_scale.png")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nwrote {out}" + (f" and {png}" if png else "") + f" ({payload['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
