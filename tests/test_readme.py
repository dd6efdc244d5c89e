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
