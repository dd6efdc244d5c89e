"""The ``diplosearch`` command: parses arguments, calls the library, formats output.

Exit codes: 0 success; 1 an error (nothing was done, e.g. a missing or locked
index); 2 a usage or query error; 3 indexing finished but some inputs were skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence, TextIO

import attrs

from . import (
    DEFAULT_FIELD_BOOSTS,
    TEXT_FIELDS,
    DiplosearchError,
    InvalidArgumentError,
    Results,
    __version__,
    analyze,
    open_index,
)
from .analysis.normalize import one_line
from .schema import FACET_NAMES, FILTER_FIELDS
from .search import SORT_ORDERS

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
SUBCOMMANDS = ("search", "index", "delete", "stats", "rebuild", "analyze", "similar")

_ANSI_MATCH = ("\x1b[1;33m", "\x1b[0m")
_ANSI_TITLE = ("\x1b[1m", "\x1b[0m")
_PLAIN_MATCH = ("[[", "]]")


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{message} (see `diplosearch {self.prog.split()[-1]} --help`)")


def _boost(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or name not in TEXT_FIELDS:
        raise argparse.ArgumentTypeError(f"expected FIELD=WEIGHT with FIELD one of {', '.join(TEXT_FIELDS)}")
    try:
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"weight {value!r} is not a number") from None


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    index_help = (
        "index directory, or a bare name for one under the index home "
        "(default: $DIPLOSEARCH_INDEX, else the bundled corpus's index)"
    )
    parser = _Parser(
        prog="diplosearch",
        description="Search Indonesian news. `diplosearch QUERY` searches; subcommands manage indexes.",
        epilog="Without a subcommand, the arguments are those of `diplosearch search`.",
    )
    parser.add_argument("--version", action="version", version=f"diplosearch {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    search = commands.add_parser("search", help="search an index (the default command)")
    search.add_argument("query", help='the query: words, "a phrase", title:word, -excluded')
    search.add_argument("--limit", type=_positive_int, default=10, help="hits to show (default 10)")
    search.add_argument("--offset", type=_non_negative_int, default=0, help="hits to skip (default 0)")
    search.add_argument("--json", action="store_true", help="print one JSON object")
    search.add_argument("--index", help=index_help)
    search.add_argument(
        "--field", action="append", type=_text_field, metavar="{" + ",".join(TEXT_FIELDS) + "}",
        help="search only this field (repeatable)",
    )
    search.add_argument(
        "--boost",
        action="append",
        type=_boost,
        metavar="FIELD=WEIGHT",
        help="override a field weight (defaults: "
        + ", ".join(f"{k}={v:g}" for k, v in DEFAULT_FIELD_BOOSTS.items())
        + ")",
    )
    search.add_argument("--snippets", type=_non_negative_int, default=2, help="snippets per hit (default 2)")
    search.add_argument(
        "--no-coordination",
        dest="coordination",
        action="store_false",
        help="rank by BM25F alone, not first by how many query words a document has",
    )
    search.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="highlight with colour"
    )

    _add_explore_options(search)
    similar = commands.add_parser("similar", help="find articles like the one with this id")
    similar.add_argument("id", help="a document id (see the `id` of a search hit)")
    similar.add_argument("--limit", type=_positive_int, default=10, help="hits to show (default 10)")
    similar.add_argument("--json", action="store_true", help="print one JSON object")
    similar.add_argument("--index", help=index_help)
    similar.add_argument("--snippets", type=_non_negative_int, default=2, help="snippets per hit (default 2)")
    similar.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="highlight with colour"
    )

    index = commands.add_parser("index", help="add text files, folders and JSON Lines to an index")
    index.add_argument("paths", nargs="+", help="files (.txt, .md, .jsonl, .jsonl.gz) or folders")
    index.add_argument("--index", help="the index to write (created if missing)")
    index.add_argument("--json", action="store_true", help="print a JSON report")

    delete = commands.add_parser("delete", help="delete documents by id")
    delete.add_argument("ids", nargs="+", help="document ids")
    delete.add_argument("--index", help="the index to write")

    stats = commands.add_parser("stats", help="show index statistics")
    stats.add_argument("--index", help=index_help)
    stats.add_argument("--json", action="store_true", help="print one JSON object")

    rebuild = commands.add_parser("rebuild", help="re-analyse an index after an analysis change")
    rebuild.add_argument("--index", help=index_help)

    analyze_text = commands.add_parser("analyze", help="show the index terms of a text")
    analyze_text.add_argument("text", help="text to analyse")

    for command, run in (
        (search, _cmd_search),
        (index, _cmd_index),
        (delete, _cmd_delete),
        (stats, _cmd_stats),
        (rebuild, _cmd_rebuild),
        (analyze_text, _cmd_analyze),
        (similar, _cmd_similar),
    ):
        command.set_defaults(func=run)
    return parser


def _use_colour(choice: str, stream: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def format_results(results: Results, colour: bool) -> str:
    """Human-readable results: rank, score, title, source/date, snippets."""
    if not results.hits:
        return f"No documents match {results.query!r}."
    bold, reset = _ANSI_TITLE if colour else ("", "")
    lines = [
        f"{results.total} document{'s' if results.total != 1 else ''} match {results.query!r}; "
        f"showing {results.offset + 1}-{results.offset + len(results.hits)}"
    ]
    for hit in results.hits:
        doc = hit.document
        lines.append("")
        lines.append(f"{hit.rank:>3}. {bold}{one_line(hit.title) or '(untitled)'}{reset}")
        details = [f"score {hit.score:.2f}"]
        if doc.source:
            details.append(doc.source)
        if doc.published:
            details.append(doc.published.date().isoformat())
        details.append(f"id {hit.id}")
        lines.append("     " + " | ".join(details))
        if doc.url:
            lines.append(f"     {doc.url}")
        for snippet in hit.snippets:
            lines.append(f"     … {one_line(snippet)} …")
    return "\n".join(lines)


def results_to_json(results: Results) -> dict[str, object]:
    """The ``--json`` form of a page of results."""
    return {
        "query": results.query,
        "total": results.total,
        "offset": results.offset,
        "limit": results.limit,
        "hits": [
            {
                "rank": hit.rank,
                "id": hit.id,
                "title": hit.title,
                "score": hit.score,
                "matched_terms": hit.matched_terms,
                "snippets": hit.snippets,
                "source": hit.document.source,
                "url": hit.document.url,
                "date": hit.document.published.isoformat() if hit.document.published else None,
                "path": hit.document.path,
            }
            for hit in results.hits
        ],
    }


def _cmd_search(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    colour = not args.json and _use_colour(args.color, out)
    with open_index(args.index) as ix:
        results = ix.search(
            args.query,
            limit=args.limit,
            offset=args.offset,
            fields=args.field,
            boosts=dict(args.boost) if args.boost else None,
            snippets=args.snippets,
            markers=_ANSI_MATCH if colour else _PLAIN_MATCH,
            coordination=args.coordination,
            **_explore_arguments(args),
        )
    if args.json:
        json.dump({**results_to_json(results), **_explore_json(results)}, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(format_results(results, colour) + "\n" + format_explore(results))
    return EXIT_OK


def _cmd_index(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_index(args.index, create=True, for_writing=True) as ix:
        report = ix.add_files(args.paths)
        total = len(ix)
        path = ix.path
    for problem in report.problems:
        err.write(f"diplosearch: skipped {problem}\n")
    if args.json:
        json.dump(
            {
                "index": str(path),
                "added": list(report.added),
                "replaced": list(report.replaced),
                "unchanged": list(report.unchanged),
                "skipped": [str(p) for p in report.problems],
                "documents": total,
            },
            out,
            ensure_ascii=False,
            indent=2,
        )
        out.write("\n")
    else:
        out.write(
            f"{path}: {len(report.added)} added, {len(report.replaced)} replaced, "
            f"{len(report.unchanged)} unchanged, {len(report.problems)} skipped; "
            f"{total} documents in the index\n"
        )
    return EXIT_PARTIAL if report.problems else EXIT_OK


def _cmd_delete(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_index(args.index, for_writing=True) as ix:
        deleted = ix.delete_many(args.ids)
        path = ix.path
    out.write(f"{path}: {deleted} of {len(set(args.ids))} documents deleted\n")
    return EXIT_OK


def _cmd_stats(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_index(args.index) as ix:
        stats = ix.stats()
    if args.json:
        json.dump(attrs.asdict(stats), out, indent=2)
        out.write("\n")
        return EXIT_OK
    out.write(
        f"index:            {stats.path}\n"
        f"documents:        {stats.documents}\n"
        f"size:             {stats.size_bytes / 1024:.1f} KiB in {stats.segments} segment(s)\n"
        f"analysis version: {stats.analysis_version}\n"
        f"created:          {stats.created}\n"
        f"last commit:      {stats.last_commit}\n"
        "distinct terms:   " + ", ".join(f"{k} {v}" for k, v in stats.terms_per_field.items()) + "\n"
    )
    return EXIT_OK


def _cmd_rebuild(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_index(args.index, check_version=False) as ix:
        if ix.managed:  # the default index rebuilds itself when stale
            out.write(f"{ix.path}: up to date, {len(ix)} documents\n")
            return EXIT_OK
        count = ix.rebuild()
    out.write(f"{ix.path}: rebuilt, {count} documents\n")
    return EXIT_OK


def _cmd_analyze(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    out.write(" ".join(analyze(args.text)) + "\n")
    return EXIT_OK


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit code (never raises for bad input)."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] not in SUBCOMMANDS and arguments[0] not in ("-h", "--help", "--version"):
        arguments.insert(0, "search")
    try:
        args = build_parser().parse_args(arguments)
        if args.command is None:
            raise _UsageError("give a query, e.g. `diplosearch \"peranan pelopor\"` (see --help)")
        return args.func(args, out, err)
    except BrokenPipeError:
        # The reader (e.g. `head`) went away; that is not an error of ours.
        if out is sys.stdout:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stops Python's flush-at-exit error
        return EXIT_OK
    except (_UsageError, InvalidArgumentError) as exc:
        err.write(f"diplosearch: error: {exc}\n")
        return EXIT_USAGE
    except (DiplosearchError, OSError) as exc:
        err.write(f"diplosearch: error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.write("diplosearch: interrupted\n")
        return 130


# ----------------------------------------------------------------------------- narrow, sort, explore
# Filters, sort, facets, spelling help and similar articles (issue 12, items 1-5).


def _text_field(text: str) -> str:
    if text in TEXT_FIELDS:
        return text
    if text in FILTER_FIELDS:
        option = "--" + text.replace("_", "-")
        raise argparse.ArgumentTypeError(f"{text} is a filter, not a text field: use {option} VALUE")
    raise argparse.ArgumentTypeError(f"unknown field {text!r}; text fields are {', '.join(TEXT_FIELDS)}")


def _add_explore_options(search: argparse.ArgumentParser) -> None:
    narrow = search.add_argument_group("narrow and sort (filters never change scores)")
    for name in FILTER_FIELDS:
        option = name.replace("_", "-")
        narrow.add_argument(
            f"--{option}", action="append", metavar="VALUE", dest=name,
            help=f"keep documents whose {name} is VALUE (case-insensitive; repeat for any of several)",
        )
    narrow.add_argument("--since", metavar="DATE", help="keep documents published on or after DATE (2019-09-16, 2019-09, 2019)")
    narrow.add_argument("--until", metavar="DATE", help="keep documents published on or before DATE")
    narrow.add_argument(
        "--sort", choices=SORT_ORDERS, default="relevance", help="order of the hits (default relevance)"
    )
    narrow.add_argument(
        "--facet", action="append", choices=FACET_NAMES, default=[],
        help="count the matching documents per value (repeatable)",
    )
    narrow.add_argument("--fuzzy", action="store_true", help="match close spellings of every word too")


def _explore_arguments(args: argparse.Namespace) -> dict[str, object]:
    return {
        "source": args.source,
        "category": args.category,
        "sub_category": args.sub_category,
        "since": args.since,
        "until": args.until,
        "sort": args.sort,
        "facets": args.facet,
        "fuzzy": args.fuzzy,
    }


def _explore_json(results: Results) -> dict[str, object]:
    return {
        "facets": {name: [{"value": label, "count": count} for label, count in counts]
                   for name, counts in results.facets.items()},
        "suggestion": results.suggestion,
    }


def format_explore(results: Results) -> str:
    """The lines after the hits: "Did you mean" and the facet counts."""
    lines = []
    if results.suggestion:
        lines.append(f"Did you mean: {results.suggestion}?")
    for name, counts in results.facets.items():
        lines.append("")
        lines.append(f"{name}:")
        if not counts:
            lines.append("  (none)")
        width = max((len(f"{count:,}") for _label, count in counts), default=0)
        for label, count in counts:
            lines.append(f"  {count:>{width},}  {one_line(label)}")
    return "".join(line + "\n" for line in lines)


def _cmd_similar(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    colour = not args.json and _use_colour(args.color, out)
    with open_index(args.index) as ix:
        results = ix.similar(
            args.id, limit=args.limit, snippets=args.snippets, markers=_ANSI_MATCH if colour else _PLAIN_MATCH
        )
    if args.json:
        json.dump({"like": args.id, **results_to_json(results)}, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(f"Articles like {args.id} (searched: {results.query or 'nothing distinctive'})\n")
        out.write(format_results(results, colour) + "\n")
    return EXIT_OK
