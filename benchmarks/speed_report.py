"""The tables and the chart of ``speed.py``, made from its JSON (so ``--tables`` can print
an earlier run again).

- :func:`tables`: indexing, querying by mode and incremental add, one row per engine and size;
- :func:`figures`: the figures of issue 10 and 12 side by side at the largest size, each
  peer's figure with diplosearch's ratio to it;
- :func:`scale_table`: how each engine grows from the largest size to ``--scale`` copies;
- :func:`chart`: docs/s and p50 latency against index size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping, Sequence

from common import format_table, format_value
from metrics import ratio

TOP_K = 10
INCREMENTAL_DOCS = 100
FIRST_QUERY_REPEATS = 3  # new processes per index; the median is reported

Run = Mapping[str, object]


def tables(payload: Mapping[str, object]) -> str:
    """The per-run tables: indexing, querying (every mode measured) and incremental add."""
    runs: Sequence[Run] = payload["runs"]  # type: ignore[assignment]
    build_rows, query_rows, add_rows = [], [], []
    for r in runs:
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
        format_table(
            ["engine", "docs", "wall s", "docs/s", "MB/s", "CPU s", ">1 CPU", "load", "analysis", "index MB", "peak RSS MB",
             "peak RSS+helpers MB", "RSS before MB"],
            build_rows,
        ),
        f"\nQuerying ({payload['query_count']} queries, top {TOP_K}, latency in ms; first query = new process "
        f"start to first result, median of {FIRST_QUERY_REPEATS}):\n",
        format_table(["engine", "mode", "docs", "first query ms", "p50", "p95", "p99", "mean", "peak RSS MB"], query_rows),
    ]
    if add_rows:
        parts += [
            f"\nIncremental update (add {INCREMENTAL_DOCS} articles to the largest index, one commit):\n",
            format_table(["engine", "docs in index", "added", "seconds", "found after add"], add_rows),
        ]
    return "\n".join(parts)


def _mode(name: str, key: str) -> Callable[[Run], float | str | None]:
    """A figure read from query mode ``name``: "n/a" when this diplosearch lacks the option."""

    def get(run: Run) -> float | str | None:
        query = run.get("query") or {}
        if name in query.get("unsupported", {}):  # type: ignore[union-attr]
            return "n/a"
        mode = query.get("modes", {}).get(name)  # type: ignore[union-attr]
        return mode[key] if mode else None

    return get


def _build(key: str) -> Callable[[Run], float | None]:
    return lambda run: (run.get("build") or {}).get(key)  # type: ignore[union-attr]


#: (label, how to read it from a run). Issue 10's table first, then issue 12's options.
FIGURES: tuple[tuple[str, Callable[[Run], object]], ...] = (
    ("top-10 p50 ms, no snippets", _mode("top10", "p50_ms")),
    ("top-10 p95 ms, no snippets", _mode("top10", "p95_ms")),
    ("top-10 p99 ms, no snippets", _mode("top10", "p99_ms")),
    ("top-10 + 2 snippets per hit, p50 ms", _mode("top10+snippets", "p50_ms")),
    ("top-10 + 2 snippets per hit, p99 ms", _mode("top10+snippets", "p99_ms")),
    ("phrase query p50 ms", _mode("phrase", "p50_ms")),
    ("phrase query p99 ms", _mode("phrase", "p99_ms")),
    ("new process to first result, ms", lambda run: (run.get("query") or {}).get("time_to_first_query_ms")),  # type: ignore[union-attr]
    ("indexing docs/s", _build("docs_per_s")),
    ("index MB", lambda run: round(run["index_bytes"] / 1e6, 1) if run.get("index_bytes") else None),  # type: ignore[operator]
    ("peak RSS MB, query process", lambda run: (run.get("query") or {}).get("peak_rss_mb")),  # type: ignore[union-attr]
    ("filtered query (source) p50 ms", _mode("filtered", "p50_ms")),
    ("filtered query (source) p99 ms", _mode("filtered", "p99_ms")),
    ("newest-first query p50 ms", _mode("newest first", "p50_ms")),
    ("newest-first query p99 ms", _mode("newest first", "p99_ms")),
    ("query with two facets p50 ms", _mode("two facets", "p50_ms")),
    ("query with two facets p99 ms", _mode("two facets", "p99_ms")),
)


def _cell(value: object, reference: object) -> str:
    """A peer's figure with diplosearch's figure divided by it: ``0.33 (203x)``."""
    if value is None:
        return ""
    if not isinstance(value, (int, float)):
        return str(value)
    times = ratio(reference, value) if isinstance(reference, (int, float)) else None
    return format_value(float(value)) + (f" ({times_text(times)})" if times is not None else "")


def times_text(times: float) -> str:
    """A ratio as people read it: ``0.17x``, ``2.2x``, ``50x``, ``1,203x``."""
    if times >= 100:
        return f"{times:,.0f}x"
    if times >= 10:
        return f"{times:.0f}x"
    return f"{times:.1f}x" if times >= 1 else f"{times:.2f}x"


def figures(payload: Mapping[str, object], reference: str = "diplosearch") -> str:
    """Issue 10's and 12's figures at the largest size measured (not the --scale step),
    one column per engine; in brackets, ``reference``'s figure divided by this engine's."""
    runs = [r for r in payload["runs"] if not r.get("copies") and not r.get("error")]  # type: ignore[union-attr]
    if not runs:
        return ""
    size = max(r["docs"] for r in runs)
    by_engine = {r["engine"]: r for r in runs if r["docs"] == size}
    ref = by_engine.get(reference)
    names = list(by_engine)
    rows = []
    for label, get in FIGURES:
        ref_value = get(ref) if ref else None
        row: list[object] = [label]
        for name in names:
            value = get(by_engine[name])
            row.append(format_value(value) if name == reference and value is not None else _cell(value, ref_value))
        rows.append(row)
    return (
        f"Figures at {size:,} articles (in brackets: {reference}'s figure / this engine's; "
        "n/a: this diplosearch has no such search option; blank: the engine has no such query):\n\n"
        + format_table(["figure", *names], rows)
    )


def scale_table(payload: Mapping[str, object]) -> str:
    """How each engine of the --scale step grows: its figures at the largest ordinary size
    and at the scaled size, with the growth factor."""
    scaled = [r for r in payload["runs"] if r.get("copies")]  # type: ignore[union-attr]
    if not scaled:
        return ""
    runs = [r for r in payload["runs"] if not r.get("copies")]  # type: ignore[union-attr]
    base_size = max((r["docs"] for r in runs), default=0)
    measures = (
        ("docs/s", _build("docs_per_s")),
        ("index MB", FIGURES[9][1]),
        ("p50 ms", _mode("top10", "p50_ms")),
        ("p99 ms", _mode("top10", "p99_ms")),
        ("phrase p50 ms", _mode("phrase", "p50_ms")),
        ("first result ms", FIGURES[7][1]),
        ("query RSS MB", FIGURES[10][1]),
    )
    rows = []
    for big in scaled:
        base = next((r for r in runs if r["engine"] == big["engine"] and r["docs"] == base_size), None)
        for label, get in measures:
            before = get(base) if base else None
            after = get(big)
            if before is None and after is None:  # a query the engine does not have
                continue
            growth = ratio(after, before) if isinstance(after, (int, float)) and isinstance(before, (int, float)) else None
            rows.append([big["engine"], label, "" if before is None else before, "" if after is None else after,
                         f"{growth:.2f}x" if growth is not None else ""])
    copies = scaled[0]["copies"]
    return (
        f"Scale: {copies} copies of the {base_size:,} articles ({copies * base_size:,} documents, ids made unique):\n\n"
        + format_table(["engine", "figure", f"@ {base_size:,}", f"@ {copies * base_size:,}", "growth"], rows)
    )


def chart(payload: Mapping[str, object], path: Path) -> Path | None:
    """docs/s and top-10 p50 against index size, log-log, one line per engine (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("note: matplotlib not installed, no chart (pip install -e \".[bench]\")")
        return None
    runs: Sequence[Run] = payload["runs"]  # type: ignore[assignment]
    if not any(r.get("build") for r in runs):
        return None
    engines = list(dict.fromkeys(r["engine"] for r in runs))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    for engine in engines:
        rows = [r for r in runs if r["engine"] == engine and r.get("build")]
        xs = [r["docs"] for r in rows]
        ax1.plot(xs, [r["build"]["docs_per_s"] for r in rows], marker="o", label=engine)  # type: ignore[index]
        q_rows = [r for r in rows if r.get("query")]
        ax2.plot([r["docs"] for r in q_rows], [r["query"]["modes"]["top10"]["p50_ms"] for r in q_rows],  # type: ignore[index]
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
    env = payload["environment"]
    fig.suptitle(f"CLICK-ID, {env['cpu']}, {env['nproc']} cores, {env['date'][:10]}", fontsize=9)  # type: ignore[index]
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)  # a fresh clone has no results/ yet
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
