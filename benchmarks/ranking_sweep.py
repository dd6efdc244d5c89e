"""Rankings compared on one index: the ranking runs of ``relevance.py`` and its ``--tune`` sweep.

A ranking (``diplosearch.ranking.Ranking``: model, k1, b, field weights, coordination)
changes nothing in the index, so each task's index is built once, with the public API,
and every ranking scores the same parsed queries. Until ``Index.search`` takes a
``ranking=``, queries are scored here directly: the commit's columns
(``CommitColumns.from_searcher``), diplosearch's query parser and ``scoring.rank``,
about 2 ms a query.

Each run records every query's rank of its relevant document (as ``relevance.py``
does), so runs compare query by query with paired 95% intervals
(``metrics.paired_delta``), against diplosearch 1.0's ranking and against the peers of
an earlier ``relevance.py`` run (``--peers JSON``).
"""

from __future__ import annotations

import multiprocessing
import shutil
import time
from pathlib import Path
from typing import Callable, Sequence

import attrs

import data
import engines
import metrics

#: Only the rank within the top 10 counts for MRR@10.
RANK_DEPTH = 10


def _base():  # type: ignore[no-untyped-def]
    from diplosearch.scoring import BM25F_RANKING

    return BM25F_RANKING


def _with(ranking, **changes):  # type: ignore[no-untyped-def]
    """``ranking`` with some attributes changed; ``lead=``, ``title=`` change field weights."""
    boosts = dict(ranking.boosts)
    for field in ("title", "lead", "quotes", "captions", "body"):
        if field in changes:
            boosts[field] = changes.pop(field)
    return attrs.evolve(ranking, boosts=boosts, **changes)


def ablation_runs() -> dict[str, object]:
    """1.0's ranking with each new piece added, and the default with each piece switched off."""
    from diplosearch.scoring import WHOOSH_RANKING

    default = _base()
    return {
        "1.0 (per-field, strict, k1 1.2, no lead)": WHOOSH_RANKING,
        "1.0 + lead 2 as a summed per-field field": _with(WHOOSH_RANKING, lead=2.0),
        "1.0, coordination off": _with(WHOOSH_RANKING, coordination="off"),
        "1.0, soft coordination p 0.5": _with(WHOOSH_RANKING, coordination="soft", soft_power=0.5),
        "default (ranking.BM25F_RANKING)": default,
        "  default, no lead": _with(default, lead=0.0),
        "  default, strict coordination": _with(default, coordination="strict"),
        "  default, coordination off": _with(default, coordination="off"),
        "  default, per-field model (lead summed)": _with(default, model="per_field"),
        "  default, k1 0.9 (the issue's proposal)": _with(default, k1=0.9),
    }


def sweep_runs() -> dict[str, object]:
    """One dimension at a time around the default (k1, b, lead weight, soft power).
    Title, quote and caption weights are not swept: neither task's documents have
    titles, quotes or captions (FacQA passages and CLICK-ID bodies), so they cannot
    move these figures."""
    default = _base()
    runs: dict[str, object] = {}
    for k1 in (0.6, 0.9, 1.0, 1.5, 2.0):
        runs[f"k1 {k1}"] = _with(default, k1=k1)
    for b in (0.5, 0.9, 1.0):
        runs[f"b {b}"] = _with(default, b=b)
    for lead in (0.0, 1.0, 3.0, 4.0):
        runs[f"lead {lead}"] = _with(default, lead=lead)
    for power in (0.25, 1.0):
        runs[f"soft power {power}"] = _with(default, soft_power=power)
    return runs


def field_runs() -> dict[str, object]:
    """Title and quotation weights around the default, for an index built the way
    ``add_files`` builds one (``relevance.py --tune --ingest files``): article text
    parsed into a document, its quotations found (and left in the body), a title derived
    for display. The dev tasks' own documents have no quotes, so only this path can
    measure the quotation weight."""
    default = _base()
    runs: dict[str, object] = {}
    for quotes in (0.0, 0.5, 2.0, 3.0):
        runs[f"quotes {quotes:g}"] = _with(default, quotes=quotes)
    for title in (3.0, 5.0):
        runs[f"title {title:g}"] = _with(default, title=title)
    return runs


class DirectScorer:
    """Scores parsed queries of one open index with any ranking, without ``Index.search``."""

    def __init__(self, index) -> None:  # type: ignore[no-untyped-def]
        from diplosearch.schema import TEXT_FIELDS
        from diplosearch.store.commit_columns import CommitColumns

        self.index = index
        self.text_fields = TEXT_FIELDS
        with index.reading() as searcher:
            self.commit = CommitColumns.from_searcher(str(index.path), searcher)
            self.ids = {docnum: fields["id"] for docnum, fields in searcher.reader().iter_docs()}

    def parse(self, query: str):  # type: ignore[no-untyped-def]
        from diplosearch.query_parser import parse_query

        return parse_query(query, self.index.analyzer, text_fields=self.text_fields).root

    def ranked_ids(self, root, ranking, k: int = RANK_DEPTH) -> list[str]:  # type: ignore[no-untyped-def]
        from diplosearch.scoring import rank

        page = rank(self.commit, root, ranking=ranking, limit=k)
        return [self.ids[int(d)] for d in page.docnums]


# Set in the parent before the pool forks, so the workers share the index and the trees.
_STATE: dict[str, object] = {}


def _ranks_of(ranking) -> dict[str, int | None]:  # type: ignore[no-untyped-def]
    scorer: DirectScorer = _STATE["scorer"]  # type: ignore[assignment]
    ranks: dict[str, int | None] = {}
    for qid, root, relevant in _STATE["queries"]:  # type: ignore[attr-defined]
        ids = scorer.ranked_ids(root, ranking) if root is not None else []
        ranks[qid] = next((i for i, d in enumerate(ids, start=1) if d in relevant), None)
    return ranks


def score_runs(task, runs: dict[str, object], workdir: Path, jobs: int = 2, log: Callable[[str], None] = print,
               index_cache: Path | None = None, on_result: Callable[[str, dict], None] | None = None,
               engine_name: str = "diplosearch") -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """Build the diplosearch index of ``task`` once and score every run on it; label ->
    {mrr@10, mrr@10_ci95, rank_of_relevant, ranking}.

    ``index_cache``: a folder where the index is kept between invocations (built there
    when absent, reused when present: it depends on the documents and the code only).
    ``on_result(key, ranks)`` is called as each distinct ranking is done.
    ``engine_name``: ``"diplosearch-files"`` builds the index from documents parsed as
    ``add_files`` parses article files (quotations found), see :func:`field_runs`.
    """
    suffix = "" if engine_name == "diplosearch" else "-" + engine_name.removeprefix("diplosearch-")
    cached = index_cache / (task.name + suffix) if index_cache is not None else None
    path = cached if cached is not None else workdir / f"{task.name}{suffix}-diplosearch-sweep"
    engine = engines.make_engine(engine_name, path)
    started = time.perf_counter()
    if cached is not None and (cached / "diplosearch.json").exists():
        engine.open()
        log(f"  {task.name}: reusing the index at {cached}")
    else:
        if path.exists():
            shutil.rmtree(path)
        engine.build(task.docs)
        log(f"  {task.name}: index built in {time.perf_counter() - started:.0f} s")
    try:
        scorer = DirectScorer(engine.index)
        queries = []
        for qid, text, relevant in task.queries:
            query = data.clean_query(text, "quote")
            queries.append((qid, scorer.parse(query) if query else None, relevant))
        _STATE.update(scorer=scorer, queries=queries)
        # Equal rankings under different labels are scored once.
        distinct = {describe(ranking): ranking for ranking in runs.values()}
        started = time.perf_counter()
        ranks_by_key: dict[str, dict[str, int | None]] = {}
        pool = multiprocessing.get_context("fork").Pool(jobs) if jobs > 1 else None
        try:
            mapped = (pool.imap(_ranks_of, list(distinct.values()), chunksize=1) if pool
                      else map(_ranks_of, distinct.values()))
            for done, (key, ranks) in enumerate(zip(distinct, mapped), start=1):
                ranks_by_key[key] = ranks
                if on_result is not None:
                    on_result(key, ranks)
                log(f"    {done}/{len(distinct)} {key} ({time.perf_counter() - started:.0f} s)")
        finally:
            if pool is not None:
                pool.close()
        labels = list(runs)
        all_ranks = [ranks_by_key[describe(runs[label])] for label in labels]
        seconds = time.perf_counter() - started
    finally:
        _STATE.clear()
        engine.close()
        if cached is None:
            shutil.rmtree(path, ignore_errors=True)
    results = {}
    for label, ranks in zip(labels, all_ranks):
        mrr, half = metrics.mean_ci95([1.0 / r if r else 0.0 for r in ranks.values()])
        results[label] = {"mrr@10": mrr, "mrr@10_ci95": half, "rank_of_relevant": ranks,
                          "ranking": describe(runs[label])}
    log(f"  {task.name}: {len(labels)} rankings x {len(queries):,} queries in {seconds:.0f} s")
    return results


def describe(ranking) -> str:  # type: ignore[no-untyped-def]
    weights = " ".join(f"{f}={w:g}" for f, w in ranking.boosts.items())
    power = f" p={ranking.soft_power:g}" if ranking.coordination == "soft" else ""
    return f"{ranking.model} k1={ranking.k1:g} b={ranking.b:g} {ranking.coordination}{power} [{weights}]"


def table(per_task: dict[str, dict[str, dict]], reference: str, peers: dict[str, dict[str, dict]]) -> str:
    """Markdown: per run and task, MRR@10 and the paired difference to ``reference`` (95% CI);
    then the best peer per task and the difference to it."""
    tasks = list(per_task)
    header = ["run"]
    for name in tasks:
        header += [f"{name} MRR@10", f"Δ vs 1.0 ({name})"]
        if peers.get(name):
            header.append(f"Δ vs best peer ({name})")
    rows = []
    for label in per_task[tasks[0]]:
        row = [label]
        for name in tasks:
            run, ref = per_task[name][label], per_task[name][reference]
            mean, half = metrics.paired_delta(run, ref)
            row += [f"{run['mrr@10']:.4f}", f"{mean:+.4f} ±{half:.4f}"]
            if peers.get(name):
                best = max(peers[name].values(), key=lambda r: r["mrr@10"])
                mean, half = metrics.paired_delta(run, best)
                row.append(f"{mean:+.4f} ±{half:.4f}")
        rows.append(row)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def peer_table(per_task: dict[str, dict[str, dict]], label: str, peers: dict[str, dict[str, dict]]) -> str:
    """Markdown: run ``label`` against each peer, per task (paired 95% CI)."""
    lines = ["| peer | task | peer MRR@10 | diplosearch MRR@10 | Δ (95% CI) |", "|---|---|---:|---:|---:|"]
    for name, task_peers in peers.items():
        if name not in per_task:
            continue
        run = per_task[name][label]
        for peer, result in task_peers.items():
            mean, half = metrics.paired_delta(run, result)
            lines.append(f"| {peer} | {name} | {result['mrr@10']:.4f} | {run['mrr@10']:.4f} | {mean:+.4f} ±{half:.4f} |")
    return "\n".join(lines)


def load_peers(path: str | None, tasks: Sequence[str]) -> dict[str, dict[str, dict]]:
    """Peer results (with per-query ranks) of an earlier ``relevance.py`` run, per task."""
    if not path:
        return {}
    import json

    saved = json.loads(Path(path).read_text("utf-8"))
    return {
        name: {run: r for run, r in saved["tasks"][name]["results"].items() if not run.startswith("diplosearch")}
        for name in tasks if name in saved["tasks"]
    }
