"""Speed, size and memory of diplosearch and its peers on CLICK-ID news articles.

For each size (default 1,000, 5,000 and all 21,965 articles; a fixed-seed order, so
each size contains the smaller ones) and each engine, one after another, every step
in a fresh Python process of its own (so peak RSS belongs to one engine and one step):

1. build: index the articles (one commit) -> docs/s, MB of text/s, index size on disk,
   peak RSS. Peers without an Indonesian analyzer are fed diplosearch's tokens with
   PyStemmer stems; that analysis is part of their indexing time (its share is shown).
2. query: open the index in a new process and run one query -> time to first query
   (process start to first result, imports included; median of 3 new processes); then
   the fixed query sets, top 10 -> latency p50/p95/p99 per mode: plain (title key words
   and FacQA questions), with 2 snippets per hit, phrases (two adjacent title words,
   quoted) where the engine has them, and, for diplosearch, BM25F alone and the filter,
   newest-first and facet options when its ``Index.search`` takes them ("n/a" if not).
3. add (largest size only): add 100 articles to the index and commit, for engines
   that can update an index in place.
4. --scale N (off by default): N copies of the largest size (ids made unique) for
   diplosearch, bm25s and tantivy: build and query, to show how each grows.

    python benchmarks/speed.py                                   # everything, about 20-30 minutes
    python benchmarks/speed.py --quick                           # 2,000 articles, 200 queries: about a minute
    python benchmarks/speed.py --scale 10                        # and 219,650 documents (adds about an hour)
    python benchmarks/speed.py --sizes 1000 --engines diplosearch,tantivy
    python benchmarks/speed.py --profile                         # cProfile of diplosearch indexing and queries

Prints tables (the figures side by side, each peer with diplosearch's ratio to it), writes
benchmarks/results/speed.json and the scale chart benchmarks/results/speed_scale.png.
"""

from __future__ import annotations

_PROCESS_START = __import__("time").time()  # before any other import: time to first query counts imports

import argparse
import gc
import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402  (first: it puts src/ and benchmarks/ on the path)
import data  # noqa: E402
import engines  # noqa: E402
import metrics  # noqa: E402
from data import BenchDoc, read_docs, write_docs  # noqa: E402
from measure import TreeMemory, cpu_seconds, memory_mb  # noqa: E402
from speed_report import FIRST_QUERY_REPEATS, INCREMENTAL_DOCS, TOP_K, chart, figures, scale_table, tables  # noqa: E402

__all__ = ["child_add", "child_build", "child_first", "child_query", "figures", "main", "read_docs", "scale_table", "tables", "write_docs"]

DEFAULT_SIZES = "1000,5000,all"
DEFAULT_ENGINES = ("diplosearch", "whoosh-stock", "bm25s", "tantivy", "sqlite-fts5", "sastrawi-bm25s")
SCALE_ENGINES = ("diplosearch", "bm25s", "tantivy")
DEFAULT_QUERIES = 500  # half title key words, half FacQA questions
DEFAULT_PHRASES = 250
QUICK = {"sizes": "2000", "queries": 200, "phrases": 100}
#: The source a filtered query keeps (CLICK-ID's second largest, 3,906 articles).
FILTER_SOURCE = "tempo.co"


# ---------------------------------------------------------------------------------------
# Query modes


@dataclass(frozen=True)
class Mode:
    """One way of querying: over the plain or the phrase query set, with search options.

    ``optional`` options belong to a later diplosearch (filters, sort, facets): the mode
    is measured only when ``Index.search`` takes them, else reported as "n/a".
    """

    name: str
    options: dict[str, object] = field(default_factory=dict)
    phrases: bool = False
    optional: bool = False


def query_modes(engine: engines.Engine, with_phrases: bool = True) -> list[Mode]:
    """The modes that apply to ``engine``, in the order they are measured."""
    diplosearch = isinstance(engine, engines.DiplosearchEngine)
    modes = [Mode("top10")]
    if engine.supports_snippets:
        modes.append(Mode("top10+snippets", {"snippets": True}))
    if diplosearch:
        modes.append(Mode("top10 bm25f", {"coordination": False}))
        # the cost of the lead field (issue 11): the same queries with it left out
        modes.append(Mode("top10 no lead", {"fields": ["title", "quotes", "captions", "body"]}, optional=True))
    if with_phrases and engine.supports_phrases:
        modes.append(Mode("phrase", phrases=True))
    if diplosearch:
        modes += [
            Mode("filtered", {"source": FILTER_SOURCE}, optional=True),
            Mode("newest first", {"sort": "newest"}, optional=True),
            Mode("two facets", {"facets": ["source", "year"]}, optional=True),
        ]
    return modes


def read_query_sets(path: Path) -> tuple[list[str], list[str]]:
    """The plain and phrase queries of a queries file (a plain list: no phrases)."""
    saved = json.loads(path.read_text("utf-8"))
    if isinstance(saved, list):
        return saved, []
    return saved["queries"], saved["phrases"]


def time_mode(engine: engines.Engine, mode: Mode, queries: Sequence[str]) -> dict[str, object]:
    """Run every query of ``queries`` once in ``mode``: latency percentiles, misses, errors."""
    latencies = []
    empty = errors = 0
    for query in queries:
        started = time.perf_counter()
        try:
            hits = engine.phrase(query, TOP_K) if mode.phrases else engine.search(query, TOP_K, **mode.options)
        except Exception:  # counted, never fatal
            errors += 1
            hits = []
        latencies.append(1000 * (time.perf_counter() - started))
        empty += not hits
    return {
        "queries": len(queries),
        **metrics.latency_summary(latencies),
        "queries_without_hits": empty,
        "errors": errors,
        # In query-set order, so latency can be split by kind of query afterwards.
        "latencies_ms": [round(x, 3) for x in latencies],
    }


# ---------------------------------------------------------------------------------------
# Measuring inside a child process


def child_build(engine_name: str, docs_file: Path, index_dir: Path, copies: int = 1) -> dict[str, object]:
    """Index the documents of ``docs_file`` (``copies`` times, ids made unique) in one commit."""
    docs = read_docs(docs_file)
    if copies > 1:
        docs = data.copies(docs, copies)
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
    """Open the index, answer the first query, then time every mode that applies."""
    queries, phrases = read_query_sets(queries_file)
    engine = engines.make_engine(engine_name, index_dir)
    engine.open()
    first = engine.search(queries[0], TOP_K)
    first_at = time.time()
    modes: dict[str, object] = {}
    unsupported: dict[str, str] = {}
    results: dict[str, object] = {
        "first_query_done_at": first_at,
        "first_query_ms_in_process": round(1000 * (first_at - _PROCESS_START), 1),
        "first_query_hits": len(first),
        "modes": modes,
        "unsupported": unsupported,
    }
    for number, mode in enumerate(query_modes(engine, with_phrases=bool(phrases))):
        if mode.optional and not engine.accepts(**mode.options):  # type: ignore[attr-defined]
            unsupported[mode.name] = f"Index.search takes no {', '.join(mode.options)} option"
            continue
        if number:
            # Modes repeat the same queries: a fresh open, so that no mode is timed on
            # what an engine remembered from the one before (parsed queries, term scores).
            engine.close()
            gc.collect()  # the closed index's reference cycles, or peak RSS adds up over the modes
            engine.open()
        modes[mode.name] = time_mode(engine, mode, phrases if mode.phrases else queries)
    engine.close()
    results.update(memory_mb())
    return results


def child_first(engine_name: str, index_dir: Path, queries_file: Path) -> dict[str, object]:
    """Only open the index and answer the first query (for the time-to-first-query repeats)."""
    query = read_query_sets(queries_file)[0][0]
    engine = engines.make_engine(engine_name, index_dir)
    engine.open()
    engine.search(query, TOP_K)
    done = time.time()
    engine.close()
    return {"first_query_done_at": done, "first_query_ms_in_process": round(1000 * (done - _PROCESS_START), 1)}


def child_add(engine_name: str, index_dir: Path, docs_file: Path) -> dict[str, object]:
    """Add the documents of ``docs_file`` to an existing index, one commit."""
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
        result = child_build(args.engine, Path(args.docs), Path(args.dir), args.copies)
    elif args.child == "query":
        result = child_query(args.engine, Path(args.dir), Path(args.queries_file))
    elif args.child == "first":
        result = child_first(args.engine, Path(args.dir), Path(args.queries_file))
    else:
        result = child_add(args.engine, Path(args.dir), Path(args.docs))
    print("RESULT " + json.dumps(result))
    return 0


# ---------------------------------------------------------------------------------------
# The parent: one child per step


def run_child(*arguments: str) -> tuple[dict[str, object], float]:
    """Run one measuring step in a new interpreter; returns its result and its start time."""
    command = [sys.executable, str(Path(__file__).resolve()), *arguments]
    # An installed package has its bytecode compiled; with PYTHONDONTWRITEBYTECODE set
    # (as on some CI machines) every child would compile every module again, and the
    # time to first query would measure the compiler.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.time()
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed:\n{proc.stderr[-3000:]}")
    line = next(l for l in reversed(proc.stdout.splitlines()) if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):]), started


def make_query_set(articles: Sequence[BenchDoc], facqa: data.FacQA, seed: int, count: int) -> list[dict[str, str]]:
    """Title key words (2, 3 or 4 words, by turns) and whole FacQA questions, half each, fixed seed."""
    queries = []
    for i, article in enumerate(data.sample(articles, count - count // 2, seed)):
        q = data.keyword_query(article.title, 2 + i % 3)
        if q:
            queries.append({"kind": "title-keywords", "source": article.id, "query": q})
    for qid, question, _pid in data.sample(facqa.queries, count // 2, seed):
        q = data.clean_query(question)
        if q:
            queries.append({"kind": "facqa-question", "source": qid, "query": q})
    return queries


def make_phrase_set(articles: Sequence[BenchDoc], seed: int, count: int) -> list[dict[str, str]]:
    """Two adjacent content words of a title, quoted, from ``count`` titles (fixed seed)."""
    rng = random.Random(seed)
    phrases = []
    for article in data.sample(articles, count, seed + 2):
        q = data.phrase_query(article.title, rng)
        if q:
            phrases.append({"kind": "title-phrase", "source": article.id, "query": q})
    return phrases


def parse_sizes(text: str, available: int) -> list[int]:
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        sizes.append(available if part in ("all", "22k") else min(available, int(part.replace("k", "000"))))
    return sorted(set(sizes))


def measure(engine: str, size: int, docs_file: Path, work: Path, queries_file: Path, copies: int = 1) -> dict[str, object]:
    """Build and query one engine at one size, each step in a new process; the run's record."""
    index_dir = work / f"{engine}-{size}"
    run: dict[str, object] = {"engine": engine, "docs": size, "index_dir": str(index_dir)}
    if copies > 1:
        run["copies"] = copies
    build_args = ["--child", "build", "--engine", engine, "--docs", str(docs_file), "--dir", str(index_dir)]
    run["build"], _ = run_child(*build_args, "--copies", str(copies))
    run["index_bytes"] = common.dir_size(index_dir)
    print(f" {run['build']['docs_per_s']:,.0f} docs/s; query", end="", flush=True)  # type: ignore[index]
    query_args = ["--engine", engine, "--dir", str(index_dir), "--queries-file", str(queries_file)]
    query, spawned = run_child("--child", "query", *query_args)
    firsts = [1000 * (query["first_query_done_at"] - spawned)]  # type: ignore[operator]
    for _ in range(FIRST_QUERY_REPEATS - 1):
        first, spawned = run_child("--child", "first", *query_args)
        firsts.append(1000 * (first["first_query_done_at"] - spawned))  # type: ignore[operator]
    query["time_to_first_query_ms"] = round(metrics.percentile(firsts, 50), 1)
    query["time_to_first_query_all_ms"] = [round(x, 1) for x in firsts]
    run["query"] = query
    print(f" p50 {query['modes']['top10']['p50_ms']:.2f} ms", end="", flush=True)  # type: ignore[index]
    return run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=None, help=f"comma-separated article counts; 'all' = 21,965 (default {DEFAULT_SIZES})")
    parser.add_argument("--engines", default=",".join(DEFAULT_ENGINES),
                        help=f"comma-separated (default: {','.join(DEFAULT_ENGINES)})")
    parser.add_argument("--queries", type=int, default=None,
                        help=f"plain queries, half title key words, half FacQA questions (default {DEFAULT_QUERIES})")
    parser.add_argument("--phrases", type=int, default=None, help=f"phrase queries (default {DEFAULT_PHRASES})")
    parser.add_argument("--quick", action="store_true",
                        help="a check that the script works: 2,000 articles, 200 queries, 100 phrases (about a minute)")
    parser.add_argument("--scale", type=int, default=0, metavar="N",
                        help=f"then N copies of the largest size for {', '.join(SCALE_ENGINES)} (e.g. 10; default off)")
    parser.add_argument("--no-add", action="store_true", help="skip the incremental-update step")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the indexes under benchmarks/work/speed-*/")
    parser.add_argument("--profile", action="store_true",
                        help="instead: cProfile diplosearch indexing (--profile-docs articles) and the query set")
    parser.add_argument("--profile-docs", type=int, default=5000)
    parser.add_argument("--output", default="speed.json", help="file name under benchmarks/results/")
    parser.add_argument("--tables", metavar="JSON", help="only print the tables of an earlier run's JSON file")
    parser.add_argument("--snapshot", action="store_true",
                        help="measure the committed code of HEAD (exported to benchmarks/work/), not the working tree")
    # Internal: one measuring step in a child process.
    parser.add_argument("--child", choices=("build", "query", "first", "add"), help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--docs", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--queries-file", help=argparse.SUPPRESS)
    parser.add_argument("--copies", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.snapshot:
        common.reexec_on_snapshot(sys.argv[1:] if argv is None else list(argv))
    if args.child:
        return child_main(args)
    if args.tables:
        print(report(json.loads(Path(args.tables).read_text("utf-8"))))
        return 0
    defaults = QUICK if args.quick else {"sizes": DEFAULT_SIZES, "queries": DEFAULT_QUERIES, "phrases": DEFAULT_PHRASES}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)

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
    sizes = parse_sizes(args.sizes, len(articles))
    # Queries come from the articles indexed at the largest size, so phrases can be found;
    # with all of CLICK-ID, in file order, so the query set is the one earlier runs used.
    indexed = articles if sizes[-1] >= len(articles) else shuffled[: sizes[-1]]
    query_set = make_query_set(indexed, data.load_facqa(root), args.seed, args.queries)
    phrase_set = make_phrase_set(indexed, args.seed, args.phrases)
    queries = [q["query"] for q in query_set]
    phrases = [q["query"] for q in phrase_set]

    if args.profile:
        profile(shuffled, queries, phrases, args.profile_docs)
        return 0

    env = common.environment()
    print(f"{env['cpu']}, {env['nproc']} cores, {env['ram_gb']} GB; diplosearch analysis {env['diplosearch_analysis_version']}")
    work = common.fresh_dir("speed")
    queries_file = work / "queries.json"
    queries_file.write_text(json.dumps({"queries": queries, "phrases": phrases}, ensure_ascii=False), "utf-8")
    extra = [replace(d, id=f"added-{d.id}") for d in data.sample(articles, INCREMENTAL_DOCS, args.seed + 1)]
    extra_file = work / "added.jsonl"
    write_docs(extra_file, extra)

    payload: dict[str, object] = {
        "environment": env,
        "sizes": sizes,
        "engines": engine_names,
        "scale": args.scale or None,
        "query_count": len(queries),
        "phrase_count": len(phrases),
        "filter_source": FILTER_SOURCE,
        "query_set": query_set,
        "phrase_set": phrase_set,
        "top_k": TOP_K,
        "runs": [],
    }
    steps = [(size, engine, 1) for size in sizes for engine in engine_names]
    if args.scale > 1:
        steps += [(sizes[-1], engine, args.scale) for engine in engine_names if engine in SCALE_ENGINES]
    try:
        started_all = time.perf_counter()
        for size, engine, copies in steps:
            docs_file = work / f"docs-{size}.jsonl"
            if not docs_file.exists():
                write_docs(docs_file, shuffled[:size])
            label = f"{size:,}" if copies == 1 else f"{copies} x {size:,}"
            print(f"[{time.perf_counter() - started_all:6.0f}s] {engine} @ {label}: build", end="", flush=True)
            try:
                run = measure(engine, size * copies, docs_file, work, queries_file, copies)
                if size == sizes[-1] and copies == 1 and not args.no_add:
                    if engines.make_engine(engine, Path(run["index_dir"])).supports_add:  # type: ignore[arg-type]
                        run["add"], _ = run_child("--child", "add", "--engine", engine, "--dir", str(run["index_dir"]),
                                                  "--docs", str(extra_file))
                        print(f"; add {INCREMENTAL_DOCS}: {run['add']['seconds']:.2f} s", end="")  # type: ignore[index]
                    else:
                        run["add_note"] = "cannot add: rebuild"
            except RuntimeError as exc:
                run = {"engine": engine, "docs": size * copies, "error": str(exc), **({"copies": copies} if copies > 1 else {})}
                print(f"\n  FAILED: {exc}")
            print()
            payload["runs"].append(run)  # type: ignore[union-attr]
            if not args.keep:
                shutil.rmtree(work / f"{engine}-{size * copies}", ignore_errors=True)
            common.write_json(args.output, payload)
        payload["seconds"] = round(time.perf_counter() - started_all, 1)
        print()
        print(report(payload))
        out = common.write_json(args.output, payload)
        # Beside the JSON and named after it, so a partial run (--output other.json) keeps
        # the main chart and an --output outside benchmarks/results/ takes its chart along.
        png = chart(payload, out.with_name(f"{out.stem}_scale.png"))
    finally:  # an interrupted or failed run leaves no copies of the corpus behind
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nwrote {out}" + (f" and {png}" if png else "") + f" ({payload['seconds']:.0f} s)")
    return 0


def report(payload: dict[str, object]) -> str:
    """Every table of a run: per-run tables, the figures side by side, the scale step."""
    return "\n\n".join(part for part in (tables(payload), figures(payload), scale_table(payload)) if part)


def profile(articles: Sequence[BenchDoc], queries: Sequence[str], phrases: Sequence[str], docs: int) -> None:
    """cProfile of diplosearch indexing ``docs`` articles and of each query mode (in this process)."""
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
    for mode in query_modes(engine):
        if mode.optional and not engine.accepts(**mode.options):
            continue
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        time_mode(engine, mode, phrases if mode.phrases else queries)
        profiler.disable()
        seconds = time.perf_counter() - started
        name = "profile-query-" + mode.name.replace(" ", "-").replace("+", "-") + ".txt"
        count = len(phrases if mode.phrases else queries)
        dump(profiler, name, f"diplosearch {mode.name}: {count} queries on {len(subset)} articles: {seconds:.1f} s under cProfile")
    engine.close()
    shutil.rmtree(path.parent, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
