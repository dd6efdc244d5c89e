"""Relevance of diplosearch, its ablations and its peers on real Indonesian text.

Two tasks (data: <repo>/../shared/data, see benchmarks/README.md):

- ``facqa``: every IndoNLU FacQA question (all three CSV splits) is a query; its own
  news passage is the one relevant document among the distinct passages.
- ``clickid``: known item. Every CLICK-ID article is indexed with its title removed;
  each title is a query whose relevant document is its own article (and the few
  articles with an identical body).

For each engine the queries are cleaned the same way (diplosearch's tokenizer, words
joined by spaces) and the top 100 ids are scored: MRR@10, Recall@10, Recall@100.

    python benchmarks/relevance.py --jobs 2           # everything (about 3.5 hours on 2 cores)
    python benchmarks/relevance.py --sample 5000 --jobs 2   # 5,000 known-item queries, fixed seed (about 1 hour)
    python benchmarks/relevance.py --tasks facqa --runs diplosearch,bm25s
    python benchmarks/relevance.py --tune --peers benchmarks/results/relevance-peers.json
        # every ranking run and the sweep (ranking_sweep.py) on one index per task (about 25 min)

Prints one table per task and writes benchmarks/results/relevance.json (or tune.json).
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402  (first: it puts src/ and benchmarks/ on the path)
import data  # noqa: E402
import engines  # noqa: E402
import metrics  # noqa: E402
import ranking_sweep  # noqa: E402
from data import BenchDoc  # noqa: E402

DEPTH = 100

ABLATIONS = ("nostem", "pystemmer", "nostop", "noredup")
PEER_RUNS = ("whoosh-stock", "bm25s", "tantivy", "sqlite-fts5", "sastrawi-bm25s")
#: Rankings on diplosearch's own index (each piece of the default switched off in turn).
RANKING_RUNS = {
    "diplosearch-1.0-ranking": "1.0 (per-field, strict, k1 1.2, no lead)",
    "diplosearch-lead-summed": "1.0 + lead 2 as a summed per-field field",
    "diplosearch-nolead": "  default, no lead",
    "diplosearch-strict": "  default, strict coordination",
    "diplosearch-coord-off": "  default, coordination off",
    "diplosearch-per-field": "  default, per-field model (lead summed)",
}
ALL_RUNS = (
    "diplosearch", "diplosearch-bm25f", "diplosearch-hyphens", *RANKING_RUNS,
    *(f"diplosearch-{a}" for a in ABLATIONS), *PEER_RUNS,
)

# diplosearch-hyphens checks hyphen handling in queries (a bug until 2e3c9d0); on request only.
DEFAULT_RUNS = tuple(r for r in ALL_RUNS if r != "diplosearch-hyphens")

RUN_NOTES = {
    "diplosearch": "as shipped: coordination ranking, default stemmer, stop words, reduplication",
    "diplosearch-bm25f": "as shipped but coordination=False (pure BM25F)",
    "diplosearch-hyphens": "hyphenated query words (undang-undang) as typed, not quoted; else as diplosearch",
    "diplosearch-nostem": "NoStemmer()",
    "diplosearch-pystemmer": "SnowballStemmer() (PyStemmer indonesian alone)",
    "diplosearch-nostop": "stopwords=frozenset()",
    "diplosearch-noredup": "fold_reduplication=False",
    "whoosh-stock": "Whoosh StemmingAnalyzer (English), BM25F, words OR-ed",
    "bm25s": "bm25s, diplosearch tokens + PyStemmer stems",
    "tantivy": "tantivy, diplosearch tokens + PyStemmer stems",
    "sqlite-fts5": "FTS5 bm25(), diplosearch tokens + PyStemmer stems",
    "sastrawi-bm25s": "bm25s, diplosearch tokens + Sastrawi stems",
    **{name: f"ranking: {label.strip()}" for name, label in RANKING_RUNS.items()},
}


def build_runs(names: Sequence[str]) -> dict[str, tuple[str, dict[str, object]]]:
    """What is measured: run label -> (engine whose index it queries, search options).

    Runs sharing an engine share one index.
    """
    runs: dict[str, tuple[str, dict[str, object]]] = {}
    for name in names:
        if name == "diplosearch":
            runs[name] = ("diplosearch", {})
        elif name == "diplosearch-bm25f":
            runs[name] = ("diplosearch", {"coordination": False})
        elif name == "diplosearch-hyphens":
            runs[name] = ("diplosearch", {"hyphens": "keep"})
        elif name in RANKING_RUNS:
            runs[name] = ("diplosearch", {"ranking": ranking_sweep.ablation_runs()[RANKING_RUNS[name]]})
        else:  # the ablations and the peers: an index of their own
            runs[name] = (name, {})
    return runs


@dataclass
class Task:
    name: str
    docs: list[BenchDoc]
    queries: list[tuple[str, str, frozenset[str]]]  # (query id, raw query text, relevant ids)
    info: dict[str, object]


def clickid_task(articles: Sequence[BenchDoc], sample: int | None, seed: int) -> Task:
    """Known item: articles indexed without titles, titles as queries."""
    by_body: dict[str, list[str]] = defaultdict(list)
    for a in articles:
        by_body[a.body].append(a.id)
    docs = [BenchDoc(id=a.id, title="", body=a.body, source=a.source, url=a.url) for a in articles if a.body.strip()]
    queried = data.sample([a for a in articles if a.body.strip() and a.title.strip()], sample, seed)
    queries = [(a.id, a.title, frozenset(by_body[a.body])) for a in queried]
    info = {
        "documents": len(docs),
        "queries_with_hyphenated_words": sum(1 for q in queries if data.has_hyphenated_word(q[1])),
        "queries": len(queries),
        "sampled": sample is not None and sample < len(articles),
        "seed": seed,
        "queries_with_duplicate_body": sum(1 for q in queries if len(q[2]) > 1),
        "articles_without_body": len(articles) - len(docs),
    }
    return Task("clickid", docs, queries, info)


def facqa_task(facqa: data.FacQA) -> Task:
    queries = [(qid, question, frozenset([pid])) for qid, question, pid in facqa.queries]
    info = dict(facqa.stats)
    info["queries_with_hyphenated_words"] = sum(1 for q in queries if data.has_hyphenated_word(q[1]))
    info.update({"documents": len(facqa.passages), "splits": list(data.FACQA_SPLITS)})
    return Task("facqa", list(facqa.passages), queries, info)


def run_engine(
    task: Task, engine_name: str, runs: dict[str, dict[str, object]], workdir: Path, keep: bool = False
) -> dict[str, dict]:
    """Build ``engine_name``'s index of ``task.docs`` and score every run (label -> search options) on it."""
    path = workdir / f"{task.name}-{engine_name}"
    if path.exists():
        shutil.rmtree(path)
    engine = engines.make_engine(engine_name, path)
    started = time.perf_counter()
    engine.build(task.docs)
    build_seconds = time.perf_counter() - started
    results: dict[str, dict] = {}
    try:
        for run, run_options in runs.items():
            options = {k: v for k, v in run_options.items() if k != "hyphens"}
            hyphens = str(run_options.get("hyphens", "quote"))
            rankings: list[list[str]] = []
            errors: list[str] = []
            empty = 0
            started = time.perf_counter()
            for qid, text, _relevant in task.queries:
                query = data.clean_query(text, hyphens)
                if not query:
                    empty += 1
                    rankings.append([])
                    continue
                try:
                    rankings.append(engine.search(query, DEPTH, **options))
                except Exception as exc:  # counted and reported, never fatal
                    errors.append(f"{qid}: {type(exc).__name__}: {exc}")
                    rankings.append([])
            query_seconds = time.perf_counter() - started
            relevants = [q[2] for q in task.queries]
            scores = metrics.evaluate(rankings, relevants)
            ranks = {}
            for (qid, _t, rel), ranking in zip(task.queries, rankings):
                ranks[qid] = next((i for i, d in enumerate(ranking, start=1) if d in rel), None)
            results[run] = {
                "run": run,
                "engine": engine_name,
                "setup": engine.describe(),
                "note": RUN_NOTES.get(run, ""),
                "search_options": run_options,
                **scores,
                "query_errors": len(errors),
                "error_examples": errors[:5],
                "empty_queries": empty,
                "build_seconds": round(build_seconds, 2),
                "query_seconds": round(query_seconds, 2),
                "ms_per_query": round(1000 * query_seconds / max(1, len(task.queries)), 2),
                "rank_of_relevant": ranks,
            }
    finally:
        engine.close()
        if not keep:
            shutil.rmtree(path, ignore_errors=True)
    return results


def run_task(
    task: Task, runs: dict[str, tuple[str, dict[str, object]]], workdir: Path, jobs: int = 1, keep: bool = False,
    log=print,
) -> dict[str, dict]:
    """Every run on one task; engines one after another (or ``jobs`` processes at a time)."""
    by_engine: dict[str, dict[str, dict[str, object]]] = defaultdict(dict)
    for run, (engine_name, options) in runs.items():
        by_engine[engine_name][run] = options
    results: dict[str, dict] = {}
    if jobs <= 1:
        for engine_name, engine_runs in by_engine.items():
            log(f"  {task.name}: {engine_name} ({len(task.docs):,} docs, {len(task.queries):,} queries) ...")
            results.update(run_engine(task, engine_name, engine_runs, workdir, keep))
            _log_done(log, task, engine_runs, results)
    else:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {
                pool.submit(run_engine, task, engine_name, engine_runs, workdir, keep): engine_runs
                for engine_name, engine_runs in by_engine.items()
            }
            for future, engine_runs in futures.items():
                results.update(future.result())
                _log_done(log, task, engine_runs, results)
    return {run: results[run] for run in runs}


def _log_done(log, task: Task, engine_runs: Sequence[str], results: dict[str, dict]) -> None:
    for run in engine_runs:
        r = results[run]
        log(
            f"    {run}: MRR@10 {r['mrr@10']:.3f}  R@10 {r['recall@10']:.3f}  R@100 {r['recall@100']:.3f}"
            f"  (index {r['build_seconds']:.0f}s, {r['ms_per_query']:.1f} ms/query, errors {r['query_errors']})"
        )


def table(results: dict[str, dict]) -> str:
    """One row per run. Δ is the paired MRR@10 difference to diplosearch as shipped."""
    ref_name = "diplosearch"
    base = results.get(ref_name)
    rows = []
    for run, r in results.items():
        delta = ""
        if base and run != ref_name:
            mean, half = metrics.paired_delta(r, base)
            delta = f"{mean:+.3f} ±{half:.3f}"
        rows.append(
            [run, r["mrr@10"], f"±{r['mrr@10_ci95']:.3f}", delta, r["recall@10"], r["recall@100"], r["query_errors"],
             r["empty_queries"], round(r["build_seconds"]), r["ms_per_query"]]
        )
    return common.format_table(
        ["run", "MRR@10", "95% CI", f"Δ MRR@10 vs {ref_name} (95% CI)", "R@10", "R@100", "errors", "empty q",
         "index s", "ms/query"],
        rows,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default="facqa,clickid", help="comma-separated: facqa, clickid")
    parser.add_argument("--runs", "--engines", dest="runs", default=",".join(DEFAULT_RUNS),
                        help=f"comma-separated runs from: {', '.join(ALL_RUNS)} (default: all but diplosearch-hyphens)")
    parser.add_argument("--sample", type=int, default=None, help="known-item queries to sample (default: all titles)")
    parser.add_argument("--max-docs", type=int, default=None,
                        help="index only this many CLICK-ID articles (a fixed-seed sample; for smoke tests)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--jobs", type=int, default=1, help="engines run in parallel processes (the machine has 2 cores)")
    parser.add_argument("--keep", action="store_true", help="keep the indexes under benchmarks/work/")
    parser.add_argument("--output", default="relevance.json", help="file name under benchmarks/results/")
    parser.add_argument("--snapshot", action="store_true",
                        help="measure the committed code of HEAD (exported to benchmarks/work/), not the working tree")
    parser.add_argument("--tables", metavar="JSON", help="only print the tables of an earlier run's JSON file")
    parser.add_argument("--tune", action="store_true",
                        help="score every ranking run and the sweep of ranking_sweep.py on diplosearch's index")
    parser.add_argument("--peers", metavar="JSON", help="with --tune: an earlier run's JSON whose peers to compare with")
    parser.add_argument("--index-cache", metavar="DIR",
                        help="with --tune: keep each task's index in DIR/<task> and reuse it when there")
    parser.add_argument("--ingest", choices=("documents", "files"), default="documents",
                        help="with --tune: build diplosearch's index from Document(title=, body=) as given "
                             "(default), or parse each body as add_files parses an article file "
                             "(quotations found) and add the title and quotation weight runs")
    parser.add_argument("--only", metavar="LABELS", help="with --tune: only these run labels, separated by | (as printed)")
    args = parser.parse_args(argv)
    if args.tables:
        import json

        saved = json.loads(Path(args.tables).read_text("utf-8"))
        for name, task in saved["tasks"].items():
            print(f"\n### {name} ({task['info']['queries']:,} queries, {task['info']['documents']:,} documents)\n")
            print(table(task["results"]))
        return 0
    if args.snapshot:
        common.reexec_on_snapshot(sys.argv[1:] if argv is None else list(argv))

    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    unknown = [t for t in tasks if t not in ("facqa", "clickid")] + [r for r in runs if r not in ALL_RUNS]
    if unknown:
        parser.error(f"unknown task or run: {', '.join(unknown)}")
    needed = ["facqa/test_preprocess.csv"] if "facqa" in tasks else []
    if "clickid" in tasks:
        needed.append(data.CLICKID_FILE)
    root = data.require_data(*needed)
    skipped = [r for r in runs if not engines.engine_available(r)]
    if skipped:
        print(f"note: not installed, skipping {', '.join(skipped)} (pip install -e \".[bench]\")")
        runs = [r for r in runs if r not in skipped]

    env = common.environment()
    print(f"diplosearch analysis {env['diplosearch_analysis_version']}; {env['cpu']}, {env['nproc']} cores")
    if args.tune:
        return tune(args, tasks, root, env)
    run_specs = build_runs(runs)
    workdir = common.fresh_dir("relevance")
    payload: dict[str, object] = {
        "environment": env, "depth": DEPTH, "args": vars(args), "tasks": {},
    }
    started = time.perf_counter()
    for name in tasks:
        task = load_task(name, root, args)
        print(f"\n{name}: {task.info}")
        results = run_task(task, run_specs, workdir, jobs=args.jobs, keep=args.keep)
        payload["tasks"][name] = {"info": task.info, "results": results}  # type: ignore[index]
        print(f"\n### {name} ({len(task.queries):,} queries, {len(task.docs):,} documents)\n")
        print(table(results))
        out = common.write_json(args.output, payload)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    payload["seconds"] = round(time.perf_counter() - started, 1)
    out = common.write_json(args.output, payload)
    print(f"\nwrote {out} ({payload['seconds']} s)")
    return 0


def load_task(name: str, root: Path, args: argparse.Namespace) -> Task:
    if name == "facqa":
        return facqa_task(data.load_facqa(root))
    articles = data.load_clickid(root)
    if args.max_docs:
        articles = data.sample(articles, args.max_docs, args.seed)
    return clickid_task(articles, args.sample, args.seed)


def tune(args: argparse.Namespace, tasks: Sequence[str], root: Path, env: dict[str, object]) -> int:
    """The ranking runs and the sweep, every one on the same index per task (see ranking_sweep)."""
    runs = {**ranking_sweep.ablation_runs(), **ranking_sweep.sweep_runs()}
    engine_name = "diplosearch"
    if args.ingest == "files":
        engine_name = "diplosearch-files"
        runs.update(ranking_sweep.field_runs())
    if args.only:
        wanted = [label.strip() for label in args.only.split("|")]
        by_label = {label.strip(): ranking for label, ranking in runs.items()}
        reference = next(iter(ranking_sweep.ablation_runs()))  # the tables compare with it
        runs = {label: by_label[label] for label in [reference, *wanted] if label in by_label}
    peers = ranking_sweep.load_peers(args.peers, tasks)
    workdir = common.fresh_dir("tune")
    payload: dict[str, object] = {"environment": env, "args": vars(args), "tasks": {}}
    per_task = {}
    for name in tasks:
        task = load_task(name, root, args)
        print(f"\n{name}: {len(task.queries):,} queries, {len(task.docs):,} documents")
        partial: dict[str, dict] = {}

        def keep_partial(key: str, ranks: dict, name: str = name) -> None:
            # written as each ranking is done, so a long run that is stopped keeps what it measured
            partial[key] = {"rank_of_relevant": ranks}
            common.write_json(f"tune-partial-{name}.json", partial)

        cache = Path(args.index_cache) if args.index_cache else None
        per_task[name] = ranking_sweep.score_runs(task, runs, workdir, jobs=args.jobs, index_cache=cache,
                                                  on_result=keep_partial, engine_name=engine_name)
        payload["tasks"][name] = {"info": task.info, "results": per_task[name]}  # type: ignore[index]
        common.write_json(args.output if args.output != "relevance.json" else "tune.json", payload)
    reference = next(iter(ranking_sweep.ablation_runs()))
    print("\n" + ranking_sweep.table(per_task, reference, peers))
    if peers:
        print("\n" + ranking_sweep.peer_table(per_task, "default (ranking.BM25F_RANKING)", peers))
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
