"""Shared fixtures. Every test runs with its own index home, so no test writes to
the checkout's ``indexes/`` or to the user's cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def isolated_index_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("index-home")
    monkeypatch.setenv("DIPLOSEARCH_HOME", str(home))
    monkeypatch.delenv("DIPLOSEARCH_INDEX", raising=False)
    return home


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"evaluation data not found at {SHARED_DATA}")
    return SHARED_DATA


def subprocess_env(home: Path) -> dict[str, str]:
    """Environment for running the CLI in a child process against ``home``."""
    env = dict(os.environ)
    env["DIPLOSEARCH_HOME"] = str(home)
    env.pop("DIPLOSEARCH_INDEX", None)
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env
