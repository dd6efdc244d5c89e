"""The benchmarks' arithmetic: ranking metrics, confidence intervals, percentiles.

Pure functions over lists of ids and numbers; no diplosearch, no data files, so the
tests can check each one by hand.
"""

from __future__ import annotations

from typing import Mapping, Sequence


def reciprocal_rank(ranking: Sequence[str], relevant: set[str] | frozenset[str], k: int = 10) -> float:
    """1/rank of the first relevant id within the top ``k``, else 0."""
    for rank, doc_id in enumerate(ranking[:k], start=1):
        if doc_id in relevant:
            return 1.0 / rank
    return 0.0


def recall_at(ranking: Sequence[str], relevant: set[str] | frozenset[str], k: int) -> float:
    """Share of the relevant ids found in the top ``k``."""
    if not relevant:
        return 0.0
    return len(set(ranking[:k]) & set(relevant)) / len(relevant)


def evaluate(rankings: Sequence[Sequence[str]], relevants: Sequence[set[str]]) -> dict[str, float]:
    """Mean MRR@10, Recall@10 and Recall@100 over queries (a query with no ranking scores 0)."""
    if len(rankings) != len(relevants):
        raise ValueError("one ranking per query is needed")
    n = len(rankings)
    if n == 0:
        return {"queries": 0, "mrr@10": 0.0, "mrr@10_ci95": 0.0, "recall@10": 0.0, "recall@100": 0.0}
    mrr, half_width = mean_ci95([reciprocal_rank(r, rel, 10) for r, rel in zip(rankings, relevants)])
    return {
        "queries": n,
        "mrr@10": mrr,
        "mrr@10_ci95": half_width,
        "recall@10": sum(recall_at(r, rel, 10) for r, rel in zip(rankings, relevants)) / n,
        "recall@100": sum(recall_at(r, rel, 100) for r, rel in zip(rankings, relevants)) / n,
    }


def mean_ci95(values: Sequence[float]) -> tuple[float, float]:
    """The mean of ``values`` and the half-width of its normal 95% confidence interval
    (sampling error only; 0 with fewer than two values)."""
    n = len(values)
    if n == 0:
        return 0.0, 0.0
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    variance = sum((x - mean) ** 2 for x in values) / (n - 1)
    return mean, 1.96 * (variance / n) ** 0.5


def paired_delta(run: Mapping[str, object], ref: Mapping[str, object]) -> tuple[float, float]:
    """MRR@10 difference of ``run`` to ``ref`` over the same queries, with the half-width
    of its 95% confidence interval (paired: per-query differences).

    Both hold ``rank_of_relevant``: query id -> rank of its relevant document (None
    when not found), as ``relevance.py`` records it.
    """
    run_ranks: Mapping[str, int | None] = run["rank_of_relevant"]  # type: ignore[assignment]
    ref_ranks: Mapping[str, int | None] = ref["rank_of_relevant"]  # type: ignore[assignment]

    def rr(rank: int | None) -> float:
        return 1.0 / rank if rank is not None and rank <= 10 else 0.0

    return mean_ci95([rr(run_ranks[q]) - rr(ref_ranks[q]) for q in ref_ranks])


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation, like numpy's default."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and mean of a list of latencies in ms, rounded to microseconds."""
    if not latencies_ms:
        nan = float("nan")
        return {"p50_ms": nan, "p95_ms": nan, "p99_ms": nan, "mean_ms": nan}
    return {
        "p50_ms": round(percentile(latencies_ms, 50), 3),
        "p95_ms": round(percentile(latencies_ms, 95), 3),
        "p99_ms": round(percentile(latencies_ms, 99), 3),
        "mean_ms": round(sum(latencies_ms) / len(latencies_ms), 3),
    }


def ratio(value: float | None, reference: float | None) -> float | None:
    """``value / reference``, or None when either is missing, not a number or the reference is 0."""
    if value is None or reference is None or value != value or reference != reference or reference == 0:
        return None
    return value / reference
