"""Hit.explain() and `diplosearch search --explain`: the explanation of each hit's score."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import subprocess_env
from diplosearch import DEFAULT_FIELD_BOOSTS, QueryError, open_index


def test_each_hit_explains_its_own_score():
    ix = open_index()
    results = ix.search("peranan pelopor diplomasi", limit=5)
    assert results.hits
    for hit in results.hits:
        explanation = hit.explain()
        assert explanation.score == pytest.approx(hit.score, abs=1e-6)
        assert explanation.matched_terms == hit.matched_terms
        assert explanation.lines()[0].startswith("score ")
    with pytest.raises(QueryError, match="not ranked by relevance"):
        ix.search("peranan", sort="newest").hits[0].explain()


def test_the_cli_prints_the_explanation_in_text_and_json(isolated_index_home):
    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "diplosearch", *args], capture_output=True, text=True,
                              env=subprocess_env(isolated_index_home), timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    text = run("peranan pelopor", "--explain", "--limit", "1")
    assert "query terms matched" in text and f"weight {DEFAULT_FIELD_BOOSTS['title']:g}" in text
    page = json.loads(run("peranan pelopor", "--explain", "--json", "--limit", "2"))
    assert all(hit["explain"][0].startswith("score ") for hit in page["hits"])
    assert "explain" not in json.loads(run("peranan pelopor", "--json", "--limit", "1"))["hits"][0]
