"""The ``diplosearch`` command's arguments: the parser, its subcommands, their options
and examples. :mod:`diplosearch.cli` runs what they ask for."""

from __future__ import annotations

import argparse
import shlex
from typing import Callable, Mapping, Sequence

from . import DEFAULT_FIELD_BOOSTS, TEXT_FIELDS, __version__
from .analysis.normalize import LONE_SURROGATE
from .cli_output import OUTPUT_FORMATS
from .schema import FACET_NAMES, FILTER_FIELDS
from .search import SORT_ORDERS

#: Commit this often while ``index`` runs, unless ``--commit-every`` says otherwise,
#: so that Ctrl-C or a crash loses at most this many documents of a long run.
DEFAULT_COMMIT_EVERY = 1000


class UsageError(Exception):
    """A command line the parser refuses (printed as one line, exit 2)."""
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


#: Arguments naming files and folders, which may hold any bytes a file name can.
_PATH_ARGUMENTS = frozenset({"index", "paths"})
#: How an error names each positional argument (options are named as typed).
_POSITIONAL_NAMES = {"query": "the query", "id": "the id", "ids": "the id", "text": "the text"}


def parse_arguments(parser: argparse.ArgumentParser, arguments: Sequence[str]) -> argparse.Namespace:
    """``arguments`` parsed, and refused with a :class:`UsageError` where the parser
    alone would let them through: words left over, an empty ``--index``, and text
    that is not UTF-8 (bytes of another encoding, which no document can match and
    which would make ``--json`` output invalid)."""
    try:
        args, extras = parser.parse_known_args(arguments)
    except UsageError as refused:
        dashed = _dashed_word(arguments)
        if dashed is None:
            raise
        message, _sep, see = str(refused).rpartition(" (see ")
        raise UsageError(f"{message}; {_dash_hint(dashed)} (see {see}") from None
    if extras:
        raise UsageError(_unrecognized(args, extras, arguments))
    if getattr(args, "index", None) == "":
        raise UsageError(f"--index is empty: give an index directory or name (see `diplosearch {args.command} --help`)")
    for name in FILTER_FIELDS:
        # an empty value would keep no document, without a word why
        if any(not value.strip() for value in getattr(args, name, None) or ()):
            option = "--" + name.replace("_", "-")
            raise UsageError(f"{option} is empty: give the value whose documents to keep")
    for name, value in vars(args).items():
        if name in _PATH_ARGUMENTS:
            continue
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and LONE_SURROGATE.search(text):
                label = _POSITIONAL_NAMES.get(name, "--" + name.replace("_", "-"))
                raise UsageError(
                    f"{label} '{_as_typed(text)}' is not UTF-8 text: is the terminal (or the script "
                    "giving it) set to another encoding?"
                )
    return args


def _unrecognized(args: argparse.Namespace, extras: list[str], arguments: Sequence[str]) -> str:
    message = f"unrecognized arguments: {' '.join(extras)}"
    dashed = _dashed_word(arguments)
    if "--" in arguments and any(extra.startswith("-") for extra in extras):
        message += "; everything after -- is the query, so options go before --"
    elif dashed is not None:
        message += f"; {_dash_hint(dashed)}"
    elif args.command in ("search", "analyze") and not any(extra.startswith("-") for extra in extras):
        typed = args.query if args.command == "search" else args.text
        message += f"; several words go in quotes: {shlex.quote(' '.join([typed, *extras]))}"
    return f"{message} (see `diplosearch {args.command} --help`)"


def _dashed_word(arguments: Sequence[str]) -> str | None:
    """The first argument before any ``--`` that looks like an option but cannot be
    one (the only short option is -h): a query or id starting with ``-``, mistyped."""
    for argument in arguments:
        if argument == "--":
            return None
        # argparse reads "-a b" (with a space) as a positional already
        if len(argument) > 1 and argument[0] == "-" and argument[1] != "-" and argument != "-h" and " " not in argument:
            try:
                float(argument)  # a negative number, the value of an option
            except ValueError:
                return argument
    return None


def _dash_hint(dashed: str) -> str:
    return f"{dashed} is no option: a query or id starting with - goes after --, the options before it"


def _as_typed(text: str) -> str:
    """``text`` with each byte that was not UTF-8 shown as ``\\xNN``."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no byte decodes to (passed in by a program)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


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


def _limit(text: str) -> int | None:
    """``--limit``: a whole number >= 1, or ``all`` (None)."""
    if text.strip().lower() == "all":
        return None
    return _positive_int(text)


def _examples(*lines: str) -> dict[str, object]:
    """The keyword arguments giving a subcommand's ``--help`` an examples epilog."""
    return {
        "epilog": "examples:\n" + "\n".join(f"  {line}" for line in lines),
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }


def build_parser(handlers: Mapping[str, Callable[..., int]]) -> argparse.ArgumentParser:
    """The argument parser; each subcommand's ``func`` default is ``handlers[name]``."""
    index_help = (
        "index directory, or a bare name for one under the index home "
        "(default: $DIPLOSEARCH_INDEX, else the bundled corpus's index)"
    )
    parser = _Parser(
        prog="diplosearch",
        description="Search Indonesian news. `diplosearch QUERY` searches; subcommands manage indexes.",
        epilog="Without a subcommand, the arguments are those of `diplosearch search`. "
        "Each subcommand's --help has examples. Exit codes: 0 done (also when nothing "
        "matches), 1 an error (missing, corrupt or locked index; unknown id), 2 a usage or "
        "query error, 3 `index` skipped some inputs, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"diplosearch {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    search = commands.add_parser(
        "search",
        help="search an index (the default command)",
        **_examples(
            'diplosearch "peranan pelopor" --limit 5',
            "diplosearch banjir --index berita --limit all --format csv > banjir.csv",
            'diplosearch search --json --html -- "-ekonomi diplomasi"',
        ),
    )
    search.add_argument("query", help='the query: words, "a phrase", title:word, -excluded')
    search.add_argument(
        "--limit", type=_limit, default=10, metavar="N|all", help="hits to show (default 10); all, or any N above 1000, lists every hit, "
        "page by page (at most 10,000)"
    )
    search.add_argument("--offset", type=_non_negative_int, default=0, help="hits to skip (default 0)")
    search.add_argument(
        "--format", choices=OUTPUT_FORMATS, help="output: text (default), json, jsonl, csv or tsv"
    )
    search.add_argument("--json", action="store_true", help="print one JSON object (= --format json)")
    search.add_argument(
        "--html", action="store_true", help="snippets as HTML: text escaped, matches in <mark>…</mark>"
    )
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
    search.add_argument("--snippets", type=_non_negative_int, default=2, metavar="N",
                        help="snippets per hit (default 2; 0 for none)")
    search.add_argument(
        "--no-coordination",
        dest="coordination",
        action="store_false",
        help="rank by BM25F alone, without the bonus for documents matching more of the query's words",
    )
    search.add_argument(
        "--explain", action="store_true",
        help="show how each hit's score came about (per term and field; not with a date --sort or csv/tsv)"
    )
    search.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto",
        help="highlight with colour (default auto: on a terminal, unless NO_COLOR is non-empty)",
    )

    _add_explore_options(search)
    similar = commands.add_parser(
        "similar",
        help="find articles like the one with this id",
        **_examples("diplosearch similar vovworld-peranan-pelopor-diplomatik", "diplosearch similar A12 --index berita --json"),
    )
    similar.add_argument("id", help="a document id (see the `id` of a search hit)")
    similar.add_argument("--limit", type=_positive_int, default=10, metavar="N",
                         help="hits to show (default 10, at most 1000)")
    similar.add_argument("--json", action="store_true", help="print one JSON object")
    similar.add_argument("--index", help=index_help)
    similar.add_argument("--snippets", type=_non_negative_int, default=2, metavar="N",
                         help="snippets per hit (default 2; 0 for none)")
    similar.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto",
        help="highlight with colour (default auto: on a terminal, unless NO_COLOR is non-empty)",
    )


    get = commands.add_parser(
        "get",
        help="print a stored document",
        **_examples(
            "diplosearch get vovworld-peranan-pelopor-diplomatik",
            "diplosearch get 2019/09/banjir-jakarta --index berita --json",
        ),
    )
    get.add_argument("id", help="the document id (as search results show it)")
    get.add_argument("--index", help=index_help)
    get.add_argument("--json", action="store_true", help="print one JSON object with every field")

    index = commands.add_parser(
        "index",
        help="add text files, folders and JSON Lines to an index",
        **_examples(
            "diplosearch index --index berita artikel/ arsip.jsonl.gz",
            "zcat feed.jsonl.gz | diplosearch index --index berita -",
            "diplosearch index --index berita --commit-every 5000 --quiet data/",
        ),
    )
    index.add_argument(
        "paths",
        nargs="+",
        help="articles (.txt, .md), JSON Lines (.jsonl, .ndjson) or JSON (.json), each optionally .gz; folders; or - for JSON Lines on standard input",
    )
    index.add_argument("--index", help="the index to write, a directory or a bare name under the index home "
                       "(created if missing, which is said); required unless $DIPLOSEARCH_INDEX is set")
    index.add_argument(
        "--commit-every",
        type=_positive_int,
        default=DEFAULT_COMMIT_EVERY,
        metavar="N",
        help=f"commit after every N written documents (default {DEFAULT_COMMIT_EVERY}), "
        "so that Ctrl-C keeps what was committed",
    )
    index.add_argument("--quiet", action="store_true", help="no progress line on a terminal")
    index.add_argument("--json", action="store_true", help="print a JSON report")

    delete = commands.add_parser(
        "delete",
        help="delete documents by id",
        **_examples("diplosearch delete --index berita kopi teh", "diplosearch delete --index berita 2019/09/banjir-jakarta"),
    )
    delete.add_argument("ids", nargs="+", help="document ids")
    delete.add_argument("--index", help="the index to delete from, a directory or a bare name under the index "
                        "home; required unless $DIPLOSEARCH_INDEX is set")

    stats = commands.add_parser(
        "stats",
        help="show index statistics",
        **_examples("diplosearch stats", "diplosearch stats --index berita --json"),
    )
    stats.add_argument("--index", help=index_help)
    stats.add_argument("--json", action="store_true", help="print one JSON object")

    rebuild = commands.add_parser(
        "rebuild",
        help="re-analyse an index after an analysis change, or recover a damaged one",
        **_examples("diplosearch rebuild --index berita", "diplosearch rebuild --index berita --quiet"),
    )
    rebuild.add_argument("--index", help=index_help)
    rebuild.add_argument("--quiet", action="store_true", help="no progress line on a terminal")

    check = commands.add_parser(
        "check",
        help="verify an index: what is damaged, and can rebuild recover it",
        **_examples("diplosearch check --index berita", "diplosearch check --index ./arsip --json"),
    )
    check.add_argument("--index", help=index_help)
    check.add_argument("--json", action="store_true", help="print one JSON object")

    analyze_text = commands.add_parser(
        "analyze",
        help="show the index terms of a text",
        **_examples('diplosearch analyze "Negara-negara mengembangkan peranan"', "diplosearch analyze yang"),
    )
    analyze_text.add_argument("text", help="text to analyse")

    subcommands = {
        "search": search, "get": get, "similar": similar, "index": index, "delete": delete,
        "stats": stats, "rebuild": rebuild, "check": check, "analyze": analyze_text,
    }
    for name, command in subcommands.items():
        command.set_defaults(func=handlers[name])
    return parser


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
