"""The ``diplosearch`` command: parses arguments, calls the library, formats output.

Exit codes: 0 success; 1 an error (nothing was done, e.g. a missing or locked
index, an unknown id for ``get``); 2 a usage or query error; 3 indexing finished
but some inputs were skipped; 130 interrupted (Ctrl-C) before the work was committed.
"""

from __future__ import annotations

import argparse
import contextlib
import codecs
import io
import itertools
import json
import os
import sys
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Sequence, TextIO

import attrs

from . import (
    DiplosearchError,
    CorruptIndexError,
    Document,
    Hit,
    Index,
    IndexNotFoundError,
    InputProblem,
    InvalidArgumentError,
    NotAnIndexError,
    Results,
    WriteReport,
    analyze,
    check_index,
    open_index,
    read_documents,
    read_jsonl_stream,
)
from .search import MAX_DEPTH
from .store.home import INDEX_ENV, resolve_index_path
from .store.integrity import describe as describe_problems
from .analysis.normalize import one_line
from .cli_output import (
    explore_to_json,
    format_explore,
    left_out,
    ProgressLine,
    document_to_json,
    explain_no_hits,
    library_messages_to,
    format_document,
    format_stats,
    hit_to_json,
    write_json_lines,
    write_json_stream,
    write_table,
)

from .cli_arguments import UsageError, build_parser as _build_parser, parse_arguments

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
SUBCOMMANDS = ("search", "get", "similar", "index", "delete", "stats", "rebuild", "check", "analyze")
#: The largest page ``search`` fetches at once; a larger ``--limit`` streams.
_PAGE_LIMIT = 1000

_ANSI_MATCH = ("\x1b[1;33m", "\x1b[0m")
_ANSI_TITLE = ("\x1b[1m", "\x1b[0m")
_PLAIN_MATCH = ("[[", "]]")


def _use_colour(choice: str, stream: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    # no-color.org: a NO_COLOR set to an empty string does not count
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def _format_hit(hit: Hit, colour: bool, explain: bool = False) -> list[str]:
    bold, reset = _ANSI_TITLE if colour else ("", "")
    doc = hit.document
    lines = ["", f"{hit.rank:>3}. {bold}{one_line(hit.title) or '(untitled)'}{reset}"]
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
    if explain:
        lines.extend(f"     {line}" for line in hit.explain().lines())
    return lines


def format_results(results: Results, colour: bool, explain: bool = False, filtered: bool = False) -> str:
    """Human-readable results: rank, score, title, source/date, snippets (``filtered``:
    filters were given, which an empty page's message then names)."""
    if not results.hits:
        return explain_no_hits(results.query, results.total, results.offset, filtered, results.ignored)
    lines = [
        f"{results.total} document{'s' if results.total != 1 else ''} match {results.query!r}; "
        f"showing {results.offset + 1}-{results.offset + len(results.hits)}"
    ]
    for hit in results.hits:
        lines.extend(_format_hit(hit, colour, explain))
    return "\n".join(lines)


def results_to_json(results: Results) -> dict[str, object]:
    """The ``--json`` form of a page of results."""
    return {
        "query": results.query,
        "total": results.total,
        "offset": results.offset,
        "limit": results.limit,
        "ignored": list(results.ignored),
        "hits": [hit_to_json(hit) for hit in results.hits],
    }


def _output_format(args: argparse.Namespace) -> str:
    if args.json and args.format not in (None, "json"):
        raise UsageError(f"--json and --format {args.format} disagree; give one of them")
    return "json" if args.json else args.format or "text"


def _cmd_search(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    output = _output_format(args)
    if args.explain and args.sort != "relevance":
        raise UsageError(f"--explain shows how relevance scores came about; with --sort {args.sort} there are none")
    if args.explain and output in ("csv", "tsv"):
        raise UsageError(f"--explain has no column in --format {output}: use --format json or jsonl")
    if args.facet and output in ("csv", "tsv", "jsonl"):
        raise UsageError(f"--facet counts have no place in --format {output}, which lists hits: use --format json")
    colour = output == "text" and not args.html and _use_colour(args.color, out)
    options = {
        "fields": args.field,
        "boosts": dict(args.boost) if args.boost else None,
        "snippets": args.snippets,
        "markers": _ANSI_MATCH if colour else _PLAIN_MATCH,
        "coordination": args.coordination,
        "snippet_format": "html" if args.html else "text",
        **_explore_arguments(args),
    }
    with open_index(args.index) as ix:
        if args.limit is not None and args.limit <= _PAGE_LIMIT:
            results = ix.search(args.query, limit=args.limit, offset=args.offset, **options)
            _write_page(results, output, colour, out, err, explain=args.explain, filtered=_filtered(args))
            return EXIT_OK
        # Every hit (or more than one page holds): streamed, so that the first
        # rows go out at once and an export never sits in memory whole.
        # What a page shows besides its hits (facet counts over every match, "Did you
        # mean", the words left out), from one small search, so that the stream's
        # pages need not count facets again each.
        explore = ix.search(args.query, limit=1, **{**options, "snippets": 0})
        stream = ix.search_iter(args.query, page_size=_PAGE_LIMIT, **{**options, "facets": []})
        # The stream ends after MAX_DEPTH hits, so larger bounds mean the same, and
        # islice cannot take a number past sys.maxsize at all.
        start = min(args.offset, MAX_DEPTH)
        stop = None if args.limit is None else min(args.offset + args.limit, MAX_DEPTH)
        hits = itertools.islice(stream, start, stop)
        _write_stream(args.query, stream.total, args, hits, output, colour, out, err, explore, args.explain)
    return EXIT_OK


def _filtered(args: argparse.Namespace) -> bool:
    return any((args.source, args.category, args.sub_category, args.since, args.until))


def _write_page(
    results: Results, output: str, colour: bool, out: TextIO, err: TextIO, explain: bool = False,
    filtered: bool = False,
) -> None:
    if output == "text":
        out.write(format_results(results, colour, explain, filtered) + "\n" + format_explore(results))
    elif output == "json":
        page = {**results_to_json(results), **explore_to_json(results)}
        if explain:
            for hit, shown in zip(results.hits, page["hits"]):  # type: ignore[call-overload]
                shown["explain"] = hit.explain().lines()
        json.dump(page, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        _write_export(results.hits, output, out, explain)
        if results.dropped:
            err.write(f"diplosearch: {left_out(results)}\n")
        if not results.hits:
            message = explain_no_hits(results.query, results.total, results.offset, filtered, results.ignored)
            err.write(f"diplosearch: {message}\n")


def _write_stream(
    query: str,
    total: int,
    args: argparse.Namespace,
    hits: Iterator[Hit],
    output: str,
    colour: bool,
    out: TextIO,
    err: TextIO,
    explore: Results,
    explain: bool = False,
) -> None:
    """Streamed hits as ``_write_page`` shows a page; ``explore`` holds the facet
    counts, suggestion and words left out, ``explain`` adds how each score came about."""
    first = next(hits, None)
    if first is not None:
        if explain:
            first.explain()  # hits not ranked by relevance (filters alone) refuse before any output
        hits = itertools.chain([first], hits)
    if output == "json":
        header = {"query": query, "total": total, "offset": args.offset, "limit": args.limit}
        write_json_stream({**header, "ignored": list(explore.ignored), **explore_to_json(explore)}, hits, out,
                          explain=explain)
        return
    after = format_explore(explore)
    if output != "text" and explore.dropped:
        err.write(f"diplosearch: {left_out(explore)}\n")
    if first is None:
        message = explain_no_hits(query, total, args.offset, _filtered(args), explore.ignored)
        if output == "text":
            out.write(message + "\n" + after)
        else:
            _write_export([], output, out)
            err.write(f"diplosearch: {message}\n")
        return
    if output != "text":
        _write_export(hits, output, out, explain)
        return
    last = total if args.limit is None else min(total, args.offset + args.limit)
    out.write(
        f"{total} document{'s' if total != 1 else ''} match {query!r}; showing {args.offset + 1}-{last}\n"
    )
    for hit in hits:
        out.write("\n".join(_format_hit(hit, colour, explain)) + "\n")
    out.write(after)


def _write_export(hits: Iterable[Hit], output: str, out: TextIO, explain: bool = False) -> None:
    if output == "jsonl":
        write_json_lines(hits, out, explain)
    else:
        write_table(hits, out, "," if output == "csv" else "\t")


def _cmd_get(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_index(args.index) as ix:
        document = ix.get(args.id)
        path = ix.path
    if document is None:
        err.write(f"diplosearch: error: no document with id {args.id!r} in {path}\n")
        return EXIT_ERROR
    if args.json:
        json.dump(document_to_json(document), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(format_document(document) + "\n")
    return EXIT_OK


def _read_inputs(paths: Sequence[str], stdin: BinaryIO | None) -> Iterator[Document | InputProblem]:
    """The documents of ``paths`` in order, ``-`` being JSON Lines on standard input."""
    if paths.count("-") > 1:
        raise UsageError("give - (standard input) at most once")
    for is_stdin, group in itertools.groupby(paths, key=lambda path: path == "-"):
        if is_stdin:
            assert stdin is not None  # given whenever a path is -
            yield from read_jsonl_stream(stdin, name="stdin")
        else:
            yield from read_documents(list(group))


def _standard_input() -> BinaryIO:
    if sys.stdin is None:  # closed (`<&-`): Python has no stream there at all
        raise UsageError("- reads JSON Lines from standard input, but standard input is closed")
    return sys.stdin.buffer


def _until_first_document(
    items: Iterator[Document | InputProblem],
) -> tuple[list[InputProblem], Iterator[Document | InputProblem] | None]:
    """The problems before the first document, and all items from that document on
    (None when no document came at all)."""
    problems: list[InputProblem] = []
    for item in items:
        if isinstance(item, InputProblem):
            problems.append(item)
        else:
            return problems, itertools.chain([item], items)
    return problems, None


def _progress_line(args: argparse.Namespace, err: TextIO) -> ProgressLine | None:
    return None if args.quiet or not err.isatty() else ProgressLine(err)


def _cmd_index(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        ix = open_index(args.index, for_writing=True)
    except IndexNotFoundError:
        ix = None  # created below, once a valid document has come
    except NotAnIndexError:
        # An empty directory made for the index is filled, as open_index(create=True) does.
        target = _index_target(args)
        if not target.is_dir() or any(target.iterdir()):
            raise
        ix = None
    try:
        _refuse_reading_the_index(_index_target(args), args.paths)
        items = _read_inputs(args.paths, _standard_input() if "-" in args.paths else None)
        problems, documents = _until_first_document(items)
        created = False
        if ix is None:
            if documents is None:
                if args.json:  # the report a script reads, though there is no index
                    _report_indexing(_index_target(args), False, WriteReport(problems=tuple(problems)), 0,
                                     args, out, err)
                else:
                    for problem in problems:
                        err.write(_problem_line(problem))
                err.write("diplosearch: no valid documents came, so no index was created\n")
                return EXIT_PARTIAL
            ix = open_index(args.index, create=True, for_writing=True)
            created = True
        return _index_into(ix, created, problems, documents, args, out, err)
    finally:
        if ix is not None:
            ix.close()


def _index_target(args: argparse.Namespace) -> Path:
    """The directory ``index`` writes: ``--index``, else ``$DIPLOSEARCH_INDEX`` (one of
    them is set, or ``open_index(for_writing=True)`` has refused already)."""
    return resolve_index_path(args.index or os.environ[INDEX_ENV])


def _refuse_reading_the_index(target: Path, paths: Sequence[str]) -> None:
    """Refuse inputs that hold the index (or lie in it): its own files, some being
    written as the folder is read, would be indexed as articles."""
    index = Path(os.path.realpath(target))
    for path in paths:
        if path == "-":
            continue
        given = Path(os.path.realpath(path))
        if index.is_relative_to(given):
            raise UsageError(
                f"the index {target} is inside {path}, which is to be read: its own files would be indexed "
                "as articles; keep the index outside the folders given"
            )
        if given.is_relative_to(index):
            raise UsageError(f"{path} is inside the index {target}: give the files of your articles")


def _index_into(
    ix: Index,
    created: bool,
    problems: list[InputProblem],
    documents: Iterator[Document | InputProblem] | None,
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
) -> int:
    if created and not args.json:
        out.write(f"created index {ix.path}\n")
    progress = _progress_line(args, err)
    committed = False
    try:
        report = ix.add_many(
            itertools.chain(problems, documents or ()),
            skip_invalid=True,
            commit_every=args.commit_every,
            progress=progress,
        )
        committed = True
        if progress is not None:
            progress.finish()
        try:  # an import of a few files gets the score table a large one would make
            if report.written:
                ix.writer_timeout = 0  # a writer holding the lock now will replace this commit
                ix.make_score_table()
        except DiplosearchError as exc:  # an accelerator: the documents are committed
            err.write(f"diplosearch: warning: no score table made for the new commit ({exc})\n")
        _report_indexing(ix.path, created, report, len(ix), args, out, err)
    except KeyboardInterrupt:
        if progress is not None:
            progress.finish()
        if committed:
            err.write(f"diplosearch: interrupted after the commit: every document of this run is in {ix.path}\n")
            return EXIT_OK
        err.write(
            f"diplosearch: interrupted: {ix.path} holds {len(ix):,} documents (those committed before "
            "Ctrl-C); run the same command again to add the rest\n"
        )
        return EXIT_INTERRUPTED
    return EXIT_PARTIAL if report.skipped else EXIT_OK


def _problem_line(problem: InputProblem) -> str:
    """``problem`` as a line of standard error: ``skipped ...`` or ``note: ...``."""
    if not problem.skipped:
        return f"diplosearch: note: {problem}\n"
    return f"diplosearch: skipped {str(problem).removesuffix('; skipped')}\n"  # not "skipped ...; skipped"


def _report_indexing(
    path: Path, created: bool, report: WriteReport, total: int, args: argparse.Namespace, out: TextIO, err: TextIO
) -> None:
    for problem in report.problems:
        err.write(_problem_line(problem))
    if args.json:
        json.dump(
            {
                "index": str(path),
                "created": created,
                "added": list(report.added),
                "replaced": list(report.replaced),
                "unchanged": list(report.unchanged),
                "skipped": [str(p) for p in report.skipped],
                "notes": [str(p) for p in report.notes],
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
            f"{len(report.unchanged)} unchanged, {len(report.skipped)} skipped"
            + (f" ({len(report.notes)} note{'s' if len(report.notes) != 1 else ''})" if report.notes else "") + "; "
            f"{total} documents in the index\n"
        )


def _cmd_delete(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_index(args.index, for_writing=True) as ix:
        report = ix.delete_ids(args.ids)
        path = ix.path
    asked = len(report.deleted) + len(report.missing)
    line = f"{path}: {len(report.deleted)} of {asked} documents deleted"
    if report.missing:
        line += "; not found: " + ", ".join(report.missing)
    out.write(line + "\n")
    return EXIT_OK


def _cmd_stats(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_index(args.index) as ix:
        stats = ix.stats()
    if args.json:
        json.dump({**attrs.asdict(stats), "size_mb": round(stats.size_mb, 3)}, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return EXIT_OK
    out.write(format_stats(stats) + "\n")
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
        progress = _progress_line(args, err)
        try:
            count = ix.rebuild(progress=progress)
        except KeyboardInterrupt:
            if progress is not None:
                progress.finish()
            err.write(f"diplosearch: interrupted: the rebuild was abandoned; {ix.path} is as it was\n")
            return EXIT_INTERRUPTED
        if progress is not None:
            progress.finish()
    if report.ok:
        out.write(f"{ix.path}: rebuilt, {count} documents\n")
    else:
        out.write(f"{ix.path}: was damaged ({describe_problems(report.problems)}); "
                  f"rebuilt from its {count} stored documents\n")
    return EXIT_OK


def _cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    report = check_index(args.index)
    if args.json:
        json.dump({**attrs.asdict(report), "ok": report.ok, "usable": report.usable}, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(report.summary() + "\n")
    return EXIT_OK if report.usable else EXIT_ERROR


def _cmd_analyze(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    terms = analyze(args.text)
    out.write(" ".join(terms) + "\n")
    if not terms and args.text.strip():
        err.write("diplosearch: no index terms: the text holds only stop words and punctuation\n")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, each subcommand bound to its handler (exposed for
    documentation and tests)."""
    return _build_parser({
        "search": _cmd_search, "get": _cmd_get, "similar": _cmd_similar, "index": _cmd_index,
        "delete": _cmd_delete, "stats": _cmd_stats, "rebuild": _cmd_rebuild, "check": _cmd_check,
        "analyze": _cmd_analyze,
    })


def _replace_what_cannot_be_shown(out: TextIO) -> None:
    """On standard output in an encoding other than UTF-8 (a legacy locale, a Windows
    pipe, PYTHONIOENCODING), characters it cannot hold become ``?`` rather than end
    the command with a UnicodeEncodeError; the output stays valid text and JSON."""
    if out is sys.stdout and isinstance(out, io.TextIOWrapper) and codecs.lookup(out.encoding).name != "utf-8":
        out.reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit code (never raises for bad input)."""
    # With standard output or error closed (`>&-`), Python has None there: what would
    # go to it is dropped, as on /dev/null.
    out = out if out is not None else sys.stdout or open(os.devnull, "w")  # noqa: SIM115
    err = err if err is not None else sys.stderr or open(os.devnull, "w")  # noqa: SIM115
    _replace_what_cannot_be_shown(out)
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] not in SUBCOMMANDS and arguments[0] not in ("-h", "--help", "--version"):
        arguments.insert(0, "search")
    try:
        try:
            with contextlib.redirect_stdout(out):  # --help and --version print to sys.stdout
                args = parse_arguments(build_parser(), arguments)
        except SystemExit as done:  # what argparse does after --help and --version
            return done.code if isinstance(done.code, int) else EXIT_OK
        if args.command is None:
            raise UsageError("give a query, e.g. `diplosearch \"peranan pelopor\"` (see --help)")
        with library_messages_to(err):
            return args.func(args, out, err)
    except BrokenPipeError:
        # The reader (e.g. `head`) went away; that is not an error of ours.
        if out is sys.stdout:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stops Python's flush-at-exit error
        return EXIT_OK
    except (UsageError, InvalidArgumentError) as exc:
        err.write(f"diplosearch: error: {exc}\n")
        return EXIT_USAGE
    except (DiplosearchError, OSError) as exc:
        err.write(f"diplosearch: error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.write("diplosearch: interrupted\n")
        return EXIT_INTERRUPTED


# ----------------------------------------------------------------------------- narrow, sort, explore
# Filters, sort, facets, spelling help and similar articles (issue 12, items 1-5).


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
        if results.query:
            out.write(format_results(results, colour) + "\n")
        else:  # no query was typed, so "the query is empty" would not help
            out.write(f"No articles like {args.id}: it shares no distinctive word with another article.\n")
    return EXIT_OK
