"""The costliest queries that fit diplosearch's limits, against a typical one.

A query may be 2,000 characters and look up 64 distinct terms; its fuzzy words share
64 close spellings (past the 16th, words are matched exactly) and it holds at most 6
phrases. Within those limits, how much can one query cost? This script builds the
heaviest queries it can from the index's own most common terms (every one in
thousands of documents) and times each against the p50 of a typical query set, in
one process:

- typical: ``speed.py``'s query set, top 10, first pass (every word new), as ``speed.py``
  times it; then with two snippets per hit (second pass);
- the cases: the 64 commonest terms OR-ed, AND-ed, as ``word~``, with ``fuzzy=True``,
  as 32 two-word phrases (4 kept), as one 64-word phrase, as 32 ``(a AND NOT b)``
  groups, sorted newest first, with every facet, and with two snippets per hit.

Each case is timed the first time it is asked (nothing remembered) and as the median
of five repeats; the ratio is the first time over the typical p50 of the same kind
(with snippets against the typical with snippets). The deletion index behind ``~`` is
built once per commit, by the first fuzzy search: it is timed apart, first.

    python benchmarks/worst_case.py                       # the newest kept 22k index (speed.py --keep)
    python benchmarks/worst_case.py --index DIR --queries benchmarks/work/speed-*/queries.json

Prints a table and writes benchmarks/results/worst_case.json (``--output``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any, Callable, Sequence

import common  # noqa: E402  (first: it puts src/ and benchmarks/ on the path)
import metrics
from query_split import add_index_arguments, index_and_queries

REPEATS = 5
TERMS = 64


def commonest_terms(index: Any, count: int) -> list[str]:
    """The ``count`` terms (letters only) in the most documents' bodies."""
    documents: dict[str, int] = {}
    with index.snapshot() as snapshot:
        for view in snapshot.columns.segments:
            body = view.columns.fields.get("body")
            if body is None:
                continue
            per_term = (body.pointers[1:] - body.pointers[:-1]).tolist()
            for term, held in zip(view.columns.vocabulary.terms(), per_term):
                documents[term] = documents.get(term, 0) + held
    ranked = sorted((term for term in documents if term.isalpha() and len(term) > 2), key=lambda t: -documents[t])
    return ranked[:count]


def cases(terms: Sequence[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, query, search options) of each heavy query built from ``terms``."""
    words = " ".join(terms)
    pairs = list(zip(terms[0::2], terms[1::2]))
    return [
        (f"{len(terms)} commonest terms", words, {}),
        (f"{len(terms)} commonest, AND", " AND ".join(terms), {}),
        (f"{len(terms)} commonest as word~", " ".join(f"{term}~" for term in terms), {}),
        (f"{len(terms)} commonest, fuzzy=True", words, {"fuzzy": True}),
        (f"{len(pairs)} two-word phrases", " ".join(f'"{a} {b}"' for a, b in pairs), {}),
        (f"one {len(terms)}-word phrase", f'"{words}"', {}),
        (f"{len(pairs)} (a AND NOT b) groups", " OR ".join(f"({a} AND NOT {b})" for a, b in pairs), {}),
        (f"{len(terms)} commonest, newest first", words, {"sort": "newest"}),
        (f"{len(terms)} commonest, 5 facets", words,
         {"facets": ["source", "category", "sub_category", "year", "month"]}),
        (f"{len(terms)} commonest, 2 snippets", words, {"snippets": 2}),
    ]


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    return 1000 * (time.perf_counter() - started), result


def typical_p50(index: Any, queries: Sequence[str], snippets: int) -> dict[str, float]:
    times = []
    for query in queries:
        spent, _results = timed(lambda: index.search(query, limit=10, snippets=snippets))
        times.append(spent)
    return metrics.latency_summary(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_index_arguments(parser, "the typical query set")
    parser.add_argument("--output", default="worst_case.json", help="file name under benchmarks/results/")
    args = parser.parse_args(argv)
    found = index_and_queries(args.index, args.queries)
    if found is None:
        return 0
    index_path, queries_path, queries = found
    import diplosearch

    rows, measured = [], []
    with diplosearch.open_index(index_path) as index:
        index.search(queries[0], limit=10, snippets=0)  # as speed.py: the first search is timed apart
        plain = typical_p50(index, queries, 0)
        with_snippets = typical_p50(index, queries, 2)
        terms = commonest_terms(index, TERMS)
        deletion_index_ms, _found = timed(lambda: index.search("qzxw~", snippets=0))
        for name, query, options in cases(terms):
            options = {"snippets": 0, **options}
            typical = with_snippets if options["snippets"] else plain
            first, results = timed(lambda: index.search(query, limit=10, **options))
            again = statistics.median(timed(lambda: index.search(query, limit=10, **options))[0]
                                      for _ in range(REPEATS))
            ratio = first / typical["p50_ms"]
            rows.append([name, round(first, 2), round(again, 2), f"{ratio:.1f}x", results.total,
                         len(results.dropped)])
            measured.append({"case": name, "query_chars": len(query), "options": options, "first_ms": first,
                             "median_ms": again, "typical_p50_ms": typical["p50_ms"], "ratio": ratio,
                             "total": results.total, "dropped": list(results.dropped)})
    table = common.has_score_table(index_path)
    print(f"{index_path} ({'with' if table else 'without'} its score table): typical top-10 p50 "
          f"{plain['p50_ms']:.3f} ms, with 2 snippets {with_snippets['p50_ms']:.3f} ms ({len(queries)} queries); "
          f"the first fuzzy search built the deletion index in {deletion_index_ms:.0f} ms")
    print(common.format_table(["case", "first ms", f"median of {REPEATS} ms", "first / typical p50", "total",
                               "dropped"], rows))
    worst = max(measured, key=lambda case: case["ratio"])
    print(f"costliest: {worst['case']}, {worst['ratio']:.1f}x a typical query")
    payload = {"index": str(index_path), "score_table": table, "queries_file": str(queries_path),
               "typical": {"top10": plain, "top10_snippets": with_snippets}, "terms": terms,
               "deletion_index_ms": deletion_index_ms, "cases": measured, "environment": common.environment()}
    print(f"wrote {common.write_json(args.output, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
