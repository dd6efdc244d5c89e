"""The house's floors: data flows one way, from the text and the index on disk up to
searching, the public Index and the command line. A module never imports one on a
floor above its own, not even inside a function (a deferred import is still a
dependency)."""

from __future__ import annotations

import ast
from pathlib import Path

import diplosearch

PACKAGE = Path(diplosearch.__file__).resolve().parent

# Lowest first. A module's floor is the first whose prefixes match its dotted name.
FLOORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("text and documents", ("errors", "documents", "schema", "ranking", "lean_whoosh", "analysis", "ingest")),
    ("store", ("store",)),
    ("searching", ("query", "query_syntax", "query_parser", "scoring", "scoring_terms", "scoring_words", "search_options",
                   "scoring_tree", "scoring_explain", "sorted_arrays", "spelling", "facets", "search", "highlight",
                   "highlight_matches", "paging")),
    ("the public index", ("index", "__init__")),
    ("the command line", ("cli", "cli_arguments", "cli_output", "__main__")),
)


def floor_of(module: str) -> int:
    """The floor of ``module`` (dotted, without the ``diplosearch.`` prefix)."""
    head = module.split(".")[0]
    for level, (_name, heads) in enumerate(FLOORS):
        if head in heads:
            return level
    raise AssertionError(f"module {module!r} is on no floor: add it to FLOORS")


def imports_of(path: Path) -> set[str]:
    """The diplosearch modules ``path`` imports anywhere in its body (dotted, without
    the ``diplosearch.`` prefix)."""
    relative = path.relative_to(PACKAGE).with_suffix("")
    parts = list(relative.parts)
    package = parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            if node.module:
                found.add(".".join([*base, node.module]))
            else:  # ``from . import x``: a module, or a name of the package's __init__
                found.update(_module_or_package(base, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("diplosearch."):
            found.add(node.module.removeprefix("diplosearch."))  # type: ignore[union-attr]
        elif isinstance(node, ast.Import):
            found.update(alias.name.removeprefix("diplosearch.") for alias in node.names
                         if alias.name.startswith("diplosearch."))
    return {name for name in found if name}


def _module_or_package(package: list[str], name: str) -> str:
    candidate = PACKAGE.joinpath(*package, name)
    if candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file():
        return ".".join([*package, name])
    return ".".join([*package, "__init__"]) if package else "__init__"


def library_modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py")
                  if path.name != "__init__.py" or path.parent != PACKAGE)


def test_every_module_is_on_a_floor() -> None:
    for path in library_modules():
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        floor_of(module)


def test_no_module_imports_one_on_a_floor_above_its_own() -> None:
    upward = []
    for path in library_modules():
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for imported in imports_of(path):
            if floor_of(imported) > floor_of(module):
                upward.append(f"{module} ({FLOORS[floor_of(module)][0]}) imports {imported} "
                              f"({FLOORS[floor_of(imported)][0]})")
    assert upward == []


def test_the_check_sees_imports_deferred_into_functions() -> None:
    # The rule would be empty if function-level imports went unseen: the store used
    # to reach the search modules that way.
    module = PACKAGE / "store" / "snapshot.py"
    assert "store.commit_columns" in imports_of(module)
    assert floor_of("store.commit_columns") == floor_of("store.snapshot")
    assert floor_of("search") > floor_of("store.index_store")
