"""Checks that highlighting finds exactly what analysing every token finds, on real text.

``matching_tokens`` looks only at the places a term could stand (see highlight_matches.py);
this runs it for every term of every document of a JSON-lines file (``title`` and
``body``), with the default analyzer, with Snowball stemming, with the lexicon
stemmer's Snowball fallback and with no stemming (each lets ``_cores`` assume other
rules), and compares each answer with a full analysis. Prints a table, writes JSON, exits 1 on any difference.

    python benchmarks/highlight_check.py DOCS_JSONL [--start N] [--count N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import common  # noqa: F401  (makes `import diplosearch` work from a checkout)

from diplosearch.analysis.analyzer import IndonesianAnalyzer
from diplosearch.analysis.indonesian_stemmer import IndonesianStemmer
from diplosearch.analysis.stemmer import NoStemmer, SnowballStemmer
from diplosearch.highlight import matching_tokens


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("docs", type=Path)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args(argv)
    with args.docs.open(encoding="utf-8") as lines:
        texts = [
            f"{record.get('title') or ''}\n{record.get('body') or ''}"
            for record in map(json.loads, itertools.islice(lines, args.start, args.start + args.count))
        ]
    rows, differences = [], []
    analyzers = (
        ("default", IndonesianAnalyzer()),
        ("snowball", IndonesianAnalyzer(SnowballStemmer())),
        ("snowball fallback", IndonesianAnalyzer(IndonesianStemmer(fallback="snowball"))),
        ("none", IndonesianAnalyzer(NoStemmer())),
    )
    for name, analyzer in analyzers:
        began, checked, wrong = time.perf_counter(), 0, 0
        for text in texts:
            spans: dict[str, list[tuple[int, int]]] = {}
            for token in analyzer.tokens(text):
                spans.setdefault(token.term, []).append((token.start, token.end))
            for term, expected in spans.items():
                checked += 1
                found = [(t.start, t.end) for t in matching_tokens(text, {term}, analyzer)]
                if found != expected:
                    wrong += 1
                    if len(differences) < 20:
                        differences.append({"stemmer": name, "term": term,
                                            "expected": [text[s:e] for s, e in expected][:5],
                                            "found": [text[s:e] for s, e in found][:5]})
        rows.append([name, len(texts), checked, wrong, time.perf_counter() - began])
    print(common.format_table(["stemmer", "documents", "terms checked", "differences", "seconds"], rows))
    for difference in differences:
        print(difference)
    path = common.write_json("highlight_check.json", {
        "docs": str(args.docs), "start": args.start, "count": args.count,
        "rows": rows, "differences": differences, "environment": common.environment(),
    })
    print(f"written {path}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
