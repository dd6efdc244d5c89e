"""The README's install and test commands are exactly what CI runs."""

from __future__ import annotations

import re

from conftest import REPO


def readme_commands(section: str) -> list[str]:
    text = (REPO / "README.md").read_text("utf-8")
    match = re.search(rf"^## {section}\b.*?```(?:sh|bash)\n(.*?)```", text, re.S | re.M)
    assert match, f"README has no ```sh block under '## {section}'"
    return [line.strip() for line in match.group(1).splitlines() if line.strip() and not line.startswith("#")]


def ci_commands() -> list[str]:
    lines = (REPO / ".ci" / "run").read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith(("#", "set ", "cd "))]


def test_ci_runs_the_readme_install_then_test_commands_and_nothing_else():
    install = readme_commands("Install")
    tests = readme_commands("Run the tests")
    assert install and tests
    assert ci_commands() == install + tests


def test_readme_quick_start_uses_the_documented_query():
    assert 'python -m diplosearch "peranan pelopor"' in (REPO / "README.md").read_text("utf-8")


def readme_section(section: str) -> str:
    text = (REPO / "README.md").read_text("utf-8")
    match = re.search(rf"^## {section}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"README has no section '## {section}'"
    return match.group(1)


def test_readme_quick_start_output_is_what_the_command_prints():
    import io

    from diplosearch.cli import main

    shown = re.search(r"```text\n(.*?)```", readme_section("Quick start"), re.S)
    assert shown, "the Quick start section shows no output"
    out, err = io.StringIO(), io.StringIO()
    assert main(["peranan pelopor"], out, err) == 0, err.getvalue()
    assert out.getvalue() == shown.group(1)


def test_readme_project_layout_names_every_module_and_only_modules_that_exist():
    block = re.search(r"```text\n(.*?)```", readme_section("Project layout"), re.S)
    assert block, "the Project layout section has no listing"
    package = REPO / "src" / "diplosearch"
    named: set[str] = set()
    folder = ""
    for line in block.group(1).splitlines():
        entry = re.match(r"^( +)((?:[\w.]+\.py|\w+/)(?:, [\w.]+\.py)*)", line)
        if not entry:
            continue
        indent, names = len(entry.group(1)), entry.group(2).split(", ")
        if indent == 2:
            folder = names[0] if names[0].endswith("/") else ""
            prefix = ""
        else:
            prefix = folder
        for name in names:
            path = prefix + name
            assert (package / path).exists(), f"README's layout names {path}, which is not in src/diplosearch"
            named.add(path.rstrip("/"))
    modules = {
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "__init__.py"
    }
    assert sorted(modules - named) == [], "modules missing from README's Project layout"


def test_readme_errors_table_lists_every_exception_class():
    import inspect

    from diplosearch import errors

    table = set(re.findall(r"^\| `(\w+)`", readme_section("Errors"), re.M))
    classes = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, Exception) and value.__module__ == errors.__name__
    }
    assert sorted(classes - {"DiplosearchError"} - table) == []
    assert sorted(table - classes) == []
