"""Soak test: searching processes and one indexing process on one index, for minutes.

    python benchmarks/soak.py --minutes 10 --searchers 4
    python benchmarks/soak.py --minutes 1 --searchers 2 --batch 20       # a quick look
    python benchmarks/soak.py --parallel-benchmark 5000 --repeats 3       # workers=1 vs 2

The indexer adds CLICK-ID articles (``../shared/data``, or ``$DIPLOSEARCH_BENCH_DATA``;
synthetic Indonesian-like text when the data is absent) in batches of ``--batch``,
one commit each, and once through the corpus goes round again with every article
changed (replacements) and a few deleted. Each searcher opens the index once and
searches in a loop (one to three words of a random title, sometimes a phrase or a
``title:`` query), checking every page: no duplicate ids, a total at least the page
size, snippets that are substrings of the stored text. Nothing reopens the index:
readers pick up commits by themselves.

Printed and written to ``benchmarks/results/soak.json`` (``--out``): queries served,
query latency percentiles (p50/p95/p99/max), documents indexed, commits, commit
latency, errors of every kind (with the first few messages), open file descriptors
of the searchers at the start and the end (a leak shows as growth), and a final
consistency check of the index (one copy of every id).

``--parallel-benchmark N`` instead times ``add_many`` of N articles into a fresh index
with ``workers=1`` and ``workers=2``, alternating, ``--repeats`` times each, and writes
``benchmarks/results/parallel_indexing.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (also makes `import diplosearch` work from a plain checkout)
import data  # noqa: E402
import metrics  # noqa: E402

MARKERS = ("\u2983", "\u2984")


# -- data ------------------------------------------------------------------------------


def load_articles(limit: int | None) -> tuple[list[dict[str, str]], str]:
    """Articles as plain dicts (cheap to send to processes) and where they came from."""
    root = data.data_dir()
    if (root / data.CLICKID_FILE).exists():
        docs = data.load_clickid(root)[:limit] if limit else data.load_clickid(root)
        return [{"id": d.id, "title": d.title, "body": d.body, "source": d.source or ""} for d in docs], "CLICK-ID"
    return synthetic_articles(limit or 5000), "synthetic"


def synthetic_articles(n: int) -> list[dict[str, str]]:
    rng = random.Random(1)
    vocabulary = (
        "pemerintah menteri presiden kunjungan kerja sama ekonomi perdagangan investasi diplomasi "
        "kawasan asean pertemuan bilateral delegasi perjanjian kemitraan strategis pembangunan "
        "masyarakat daerah provinsi kabupaten polisi banjir kebakaran hutan pendidikan kesehatan "
        "rumah sakit sekolah mahasiswa pemilu partai politik anggaran infrastruktur jalan tol"
    ).split()
    return [
        {
            "id": f"syn-{i:06d}",
            "title": " ".join(rng.choice(vocabulary) for _ in range(rng.randint(4, 9))).capitalize(),
            "body": ". ".join(
                " ".join(rng.choice(vocabulary) for _ in range(rng.randint(8, 20))).capitalize()
                for _ in range(rng.randint(5, 25))
            ),
            "source": "sintetis",
        }
        for i in range(n)
    ]


def to_document(article: dict[str, str], round_: int):  # type: ignore[no-untyped-def]
    from diplosearch import Document

    body = article["body"] if round_ == 0 else f"{article['body']}\nRevisi ke-{round_}."
    return Document(id=article["id"], title=article["title"], body=body, source=article["source"] or None)


# -- the processes -------------------------------------------------------------------------


def open_fds() -> int | None:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def indexer(path: str, articles: list[dict[str, str]], batch: int, workers: int, stop, results) -> None:  # type: ignore[no-untyped-def]
    import diplosearch

    report = {"role": "indexer", "written": 0, "unchanged": 0, "deleted": 0, "commits": 0,
              "commit_seconds": [], "errors": {}, "error_samples": [], "rounds": 0}
    rng = random.Random(2)
    try:
        ix = diplosearch.open_index(path)
        round_, position = 0, 0
        while not stop.is_set():
            chunk = articles[position : position + batch]
            started = time.perf_counter()
            try:
                written = ix.add_many([to_document(a, round_) for a in chunk], workers=workers)
                report["written"] += written.written
                report["unchanged"] += len(written.unchanged)
                if round_ and rng.random() < 0.2:  # now and then, delete a few
                    report["deleted"] += ix.delete_many(a["id"] for a in rng.sample(chunk, min(3, len(chunk))))
                report["commits"] += 1
                report["commit_seconds"].append(time.perf_counter() - started)
            except Exception as exc:  # counted, never fatal: the soak goes on
                record_error(report, exc)
            position += batch
            if position >= len(articles):
                position, round_ = 0, round_ + 1
                report["rounds"] = round_
        ix.close()
    except Exception as exc:
        record_error(report, exc)
    results.put(report)


QUERY_SHAPES = ("words", "words", "words", "phrase", "title")


def searcher(path: str, titles: list[str], seed: int, stop, results) -> None:  # type: ignore[no-untyped-def]
    import diplosearch
    from diplosearch.analysis.analyzer import TOKEN_PATTERN

    rng = random.Random(seed)
    words_of = [[w for w in TOKEN_PATTERN.findall(t) if len(w) > 3] for t in titles]
    words_of = [w for w in words_of if w]
    report = {"role": "searcher", "queries": 0, "hits": 0, "latencies": [], "errors": {}, "error_samples": [],
              "fds_start": None, "fds_end": None, "documents_seen_min": None, "documents_seen_max": None}
    marked = re.compile(re.escape(MARKERS[0]) + "(.*?)" + re.escape(MARKERS[1]), re.S)
    try:
        ix = diplosearch.open_index(path)
        ix.search("diplomasi")
        report["fds_start"] = open_fds()
        while not stop.is_set():
            words = rng.choice(words_of)
            picked = rng.sample(words, min(len(words), rng.randint(1, 3)))
            shape = rng.choice(QUERY_SHAPES)
            query = {"words": " ".join(picked), "phrase": '"' + " ".join(picked) + '"',
                     "title": "title:" + picked[0]}[shape]
            started = time.perf_counter()
            try:
                results_page = ix.search(query, limit=10, markers=MARKERS)
                elapsed = time.perf_counter() - started
                ids = [h.id for h in results_page.hits]
                if len(ids) != len(set(ids)):
                    raise AssertionError(f"duplicate hits for {query!r}: {ids}")
                if results_page.total < len(ids):
                    raise AssertionError(f"total {results_page.total} < {len(ids)} hits")
                for hit in results_page.hits:
                    texts = [hit.document.body, hit.document.title, "\n".join(q.text for q in hit.document.quotes),
                             "\n".join(hit.document.captions)]
                    for snippet in hit.snippets:
                        plain = marked.sub(lambda m: m.group(1), snippet)
                        if not any(plain in text for text in texts):
                            raise AssertionError(f"snippet not in the stored text: {snippet[:80]!r}")
                report["queries"] += 1
                report["hits"] += len(ids)
                report["latencies"].append(elapsed)
            except Exception as exc:
                record_error(report, exc)
            if report["queries"] % 200 == 0:
                count = len(ix)
                low, high = report["documents_seen_min"], report["documents_seen_max"]
                report["documents_seen_min"] = count if low is None else min(low, count)
                report["documents_seen_max"] = count if high is None else max(high, count)
        report["fds_end"] = open_fds()
        ix.close()
    except Exception as exc:
        record_error(report, exc)
    results.put(report)


def record_error(report: dict, exc: BaseException) -> None:
    name = type(exc).__name__
    report["errors"][name] = report["errors"].get(name, 0) + 1
    if len(report["error_samples"]) < 5:
        report["error_samples"].append("".join(traceback.format_exception_only(type(exc), exc)).strip()[:500])


# -- the run -----------------------------------------------------------------------------


def milliseconds(values: list[float], p: float, digits: int) -> float | None:
    """The p-th percentile of ``values`` (seconds) in ms; None when there are none."""
    return round(1000 * metrics.percentile(values, p), digits) if values else None


def soak(args: argparse.Namespace) -> dict:
    import diplosearch

    articles, origin = load_articles(args.articles)
    seed_count = min(args.seed_docs, len(articles) // 2)
    workdir = Path(args.index) if args.index else Path(tempfile.mkdtemp(prefix="diplosearch-soak-"))
    path = workdir / "index"
    if path.exists():
        shutil.rmtree(path)
    print(f"soak: {args.minutes:g} min, {args.searchers} searchers, 1 indexer (batches of {args.batch}, "
          f"workers={args.workers}), {len(articles):,} {origin} articles, index at {path}", flush=True)
    with diplosearch.open_index(path, create=True) as ix:
        ix.add_many(to_document(a, 0) for a in articles[:seed_count])
    context = mp.get_context("spawn")
    stop = context.Event()
    results = context.Queue()
    titles = [a["title"] for a in articles]
    processes = [context.Process(target=indexer, args=(str(path), articles[seed_count:] + articles[:seed_count],
                                                       args.batch, args.workers, stop, results))]
    processes += [context.Process(target=searcher, args=(str(path), titles, 100 + n, stop, results))
                  for n in range(args.searchers)]
    started = time.monotonic()
    for process in processes:
        process.start()
    deadline = started + args.minutes * 60
    loads = []
    while time.monotonic() < deadline:
        time.sleep(min(30.0, max(0.0, deadline - time.monotonic())))
        elapsed = time.monotonic() - started
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        loads.append(load)
        print(f"  {elapsed / 60:5.1f} min: {len(os.listdir(path))} files in the index, load average {load}", flush=True)
    stop.set()
    reports = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    duration = time.monotonic() - started

    with diplosearch.open_index(path) as ix:
        ids = [d.id for d in ix.documents()]
        final = {"documents": len(ids), "unique_ids": len(set(ids)), "segments": ix.stats().segments,
                 "size_bytes": ix.stats().size_bytes}
    searchers = [r for r in reports if r["role"] == "searcher"]
    indexers = [r for r in reports if r["role"] == "indexer"]
    latencies = [x for r in searchers for x in r["latencies"]]
    commits = [x for r in indexers for x in r["commit_seconds"]]
    errors: dict[str, int] = {}
    for r in reports:
        for name, count in r["errors"].items():
            errors[name] = errors.get(name, 0) + count
    summary = {
        "minutes": round(duration / 60, 2),
        "searchers": args.searchers,
        "corpus": origin,
        "queries_served": sum(r["queries"] for r in searchers),
        "queries_per_second": round(sum(r["queries"] for r in searchers) / duration, 1),
        "latency_ms": {"p50": milliseconds(latencies, 50, 2), "p95": milliseconds(latencies, 95, 2),
                       "p99": milliseconds(latencies, 99, 2), "max": milliseconds(latencies, 100, 2)},
        "documents_indexed": sum(r["written"] for r in indexers),
        "documents_deleted": sum(r["deleted"] for r in indexers),
        "commits": sum(r["commits"] for r in indexers),
        "corpus_rounds": max((r["rounds"] for r in indexers), default=0),
        "commit_ms": {"p50": milliseconds(commits, 50, 1), "p99": milliseconds(commits, 99, 1)},
        "errors": errors,
        "error_samples": [s for r in reports for s in r["error_samples"]][:10],
        "searcher_open_fds": [(r["fds_start"], r["fds_end"]) for r in searchers],
        "documents_seen_by_searchers": [(r["documents_seen_min"], r["documents_seen_max"]) for r in searchers],
        "load_average_samples": loads,
        "final_index": final,
        "consistent": final["documents"] == final["unique_ids"],
        "environment": common.environment(),
    }
    if not args.index:
        shutil.rmtree(workdir, ignore_errors=True)
    return summary


def print_summary(summary: dict) -> None:
    lat = summary["latency_ms"]
    print(f"\nsoak finished after {summary['minutes']} min ({summary['corpus']} articles)")
    print(f"  queries served     {summary['queries_served']:,} ({summary['queries_per_second']}/s over "
          f"{summary['searchers']} searchers)")
    print(f"  query latency      p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms, max {lat['max']} ms")
    print(f"  documents indexed  {summary['documents_indexed']:,} in {summary['commits']:,} commits "
          f"(commit p50 {summary['commit_ms']['p50']} ms, p99 {summary['commit_ms']['p99']} ms), "
          f"{summary['documents_deleted']:,} deleted, {summary['corpus_rounds']} full rounds")
    print(f"  errors             {sum(summary['errors'].values())} {summary['errors'] or ''}")
    for sample in summary["error_samples"]:
        print(f"    {sample}")
    print(f"  searcher fds       {summary['searcher_open_fds']} (start, end)")
    final = summary["final_index"]
    print(f"  final index        {final['documents']:,} documents, {final['unique_ids']:,} unique ids, "
          f"{final['segments']} segments, {final['size_bytes'] / 1e6:.1f} MB")


def parallel_benchmark(args: argparse.Namespace) -> dict:
    import diplosearch

    articles, origin = load_articles(args.parallel_benchmark)
    docs = [to_document(a, 0) for a in articles]
    timings: dict[str, list[float]] = {"1": [], "2": []}
    print(f"add_many of {len(docs):,} {origin} articles into a fresh index, workers=1 vs workers=2, "
          f"{args.repeats} times each", flush=True)
    for repeat in range(args.repeats):
        for workers in ((1, 2) if repeat % 2 == 0 else (2, 1)):
            with tempfile.TemporaryDirectory() as tmp:
                with diplosearch.open_index(Path(tmp) / "ix", create=True) as ix:
                    cpu_before = os.times()
                    started = time.perf_counter()
                    ix.add_many(docs, workers=workers)
                    elapsed = time.perf_counter() - started
                    cpu = os.times()
                    assert len(ix) == len({d.id for d in docs})
            timings[str(workers)].append(elapsed)
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
            print(f"  workers={workers}: {elapsed:6.2f} s  (this process {cpu.user - cpu_before.user:5.2f} s CPU, "
                  f"helpers {cpu.children_user - cpu_before.children_user:5.2f} s; load average {load})", flush=True)
    medians = {k: statistics.median(v) for k, v in timings.items()}
    summary = {
        "documents": len(docs),
        "corpus": origin,
        "seconds": timings,
        "median_seconds": medians,
        "speedup": round(medians["1"] / medians["2"], 2),
        "environment": common.environment(),
    }
    print(f"median: workers=1 {medians['1']:.2f} s, workers=2 {medians['2']:.2f} s, speed-up {summary['speedup']}x")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--searchers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=50, help="articles per commit (default 50)")
    parser.add_argument("--workers", type=int, default=1, help="workers= of the indexer's add_many (default 1)")
    parser.add_argument("--articles", type=int, default=None, help="use only the first N articles")
    parser.add_argument("--seed-docs", type=int, default=1000, help="articles indexed before the soak starts")
    parser.add_argument("--index", help="keep the index in this folder (default: a temporary one)")
    parser.add_argument("--out", type=Path, help="JSON results (default benchmarks/results/soak.json)")
    parser.add_argument("--parallel-benchmark", type=int, metavar="N",
                        help="instead of soaking, time add_many of N articles with workers=1 and 2")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.parallel_benchmark:
        summary = parallel_benchmark(args)
        out = args.out or common.RESULTS_DIR / "parallel_indexing.json"
    else:
        summary = soak(args)
        print_summary(summary)
        out = args.out or common.RESULTS_DIR / "soak.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(f"results written to {out}")
    return 0 if not summary.get("errors") and summary.get("consistent", True) else 1


if __name__ == "__main__":
    raise SystemExit(main())
