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
    CorruptIndexError,
    InvalidArgumentError,
    Results,
    __version__,
    analyze,
    check_index,
    open_index,
)
from .store.integrity import describe as describe_problems
from .analysis.normalize import one_line

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
SUBCOMMANDS = ("search", "index", "delete", "stats", "rebuild", "check", "analyze")

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
        "--field", action="append", choices=TEXT_FIELDS, help="search only this field (repeatable)"
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

    check = commands.add_parser("check", help="verify an index: what is damaged, and can rebuild recover it")
    check.add_argument("--index", help=index_help)
    check.add_argument("--json", action="store_true", help="print one JSON object")

    analyze_text = commands.add_parser("analyze", help="show the index terms of a text")
    analyze_text.add_argument("text", help="text to analyse")

    for command, run in (
        (search, _cmd_search),
        (index, _cmd_index),
        (delete, _cmd_delete),
        (stats, _cmd_stats),
        (rebuild, _cmd_rebuild),
        (check, _cmd_check),
        (analyze_text, _cmd_analyze),
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
        )
    if args.json:
        json.dump(results_to_json(results), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(format_results(results, colour) + "\n")
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
    try:
        ix = open_index(args.index, check_version=False)
    except CorruptIndexError:
        # Not even openable: say whether the stored documents could be read.
        raise CorruptIndexError(check_index(args.index).summary()) from None
    with ix:
        if ix.managed:  # the default index rebuilds itself when stale or damaged
            out.write(f"{ix.path}: up to date, {len(ix)} documents\n")
            return EXIT_OK
        report = ix.check()
        if not report.recoverable:
            raise CorruptIndexError(report.summary())
        count = ix.rebuild()
    if report.ok:
        out.write(f"{ix.path}: rebuilt, {count} documents\n")
    else:
        out.write(f"{ix.path}: was damaged ({describe_problems(report.problems)}); "
                  f"rebuilt from its {count} stored documents\n")
    return EXIT_OK


def _cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    report = check_index(args.index)
    if args.json:
        json.dump({**attrs.asdict(report), "ok": report.ok}, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(report.summary() + "\n")
    return EXIT_OK if report.ok else EXIT_ERROR


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
