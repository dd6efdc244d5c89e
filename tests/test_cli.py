"""The command line, run as a user runs it: ``python -m diplosearch`` in a child process."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import subprocess_env

VOV_TITLE = "Mengembangkan Peranan Pelopor dari Instansi Diplomatik"


def run(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "diplosearch", *args],
        capture_output=True,
        text=True,
        env=subprocess_env(home),
        cwd=cwd,
        timeout=300,
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert result.returncode == code, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("diplosearch: error: "), result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_default_query_ranks_the_vov_article_first_from_any_directory(tmp_path: Path, isolated_index_home):
    result = run(isolated_index_home, "peranan pelopor", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    first_hit = result.stdout.split("\n  1. ", 1)[1].splitlines()[0]
    assert first_hit.startswith(VOV_TITLE)
    # piped output has plain markers, no colour codes
    assert "[[peranan]]" in result.stdout.lower() and "\x1b[" not in result.stdout
    assert (isolated_index_home / "default" / "diplosearch.json").is_file()


def test_json_output_has_the_documented_fields(isolated_index_home):
    result = run(isolated_index_home, "peranan pelopor", "--json", "--limit", "1")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["query"] == "peranan pelopor" and data["total"] >= 1
    (hit,) = data["hits"]
    assert set(hit) >= {"id", "title", "score", "snippets", "source", "url", "date"}
    assert hit["title"].startswith(VOV_TITLE)
    assert any("[[" in s for s in hit["snippets"])


def test_colour_is_used_when_asked(isolated_index_home):
    result = run(isolated_index_home, "pelopor", "--color", "always")
    assert "\x1b[1;33m" in result.stdout


def test_console_script_is_installed_and_behaves_the_same(isolated_index_home):
    script = Path(sys.executable).with_name("diplosearch")
    if not script.exists():
        pytest.skip("diplosearch console script not installed in this environment")
    result = subprocess.run(
        [str(script), "pelopor", "--json", "--limit", "1"],
        capture_output=True, text=True, env=subprocess_env(isolated_index_home), timeout=300,
    )
    assert result.returncode == 0 and json.loads(result.stdout)["hits"][0]["title"].startswith(VOV_TITLE)


@pytest.mark.parametrize(
    "query", ["title:(", '"unterminated', "***", pytest.param("x" * 10_000, id="10k-chars"), "-", "--"]
)
def test_malformed_queries_never_print_a_traceback(isolated_index_home, query):
    result = run(isolated_index_home, "search", "--", query)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode in (0, 2)
    if result.returncode == 2:
        assert_clean_error(result, 2)


def test_overlong_query_is_a_usage_error(isolated_index_home):
    assert_clean_error(run(isolated_index_home, "x" * 10_000), 2, "limit is 2,000")


def test_bad_option_values_are_one_line_usage_errors(isolated_index_home):
    assert_clean_error(run(isolated_index_home, "pelopor", "--limit", "lots"), 2, "lots")
    assert_clean_error(run(isolated_index_home, "pelopor", "--boost", "judul=2"), 2, "FIELD=WEIGHT")


def test_missing_and_foreign_indexes_are_one_line_errors_naming_the_path(isolated_index_home, tmp_path: Path):
    missing = tmp_path / "tidak-ada"
    assert_clean_error(run(isolated_index_home, "pelopor", "--index", str(missing)), 1, str(missing))
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "catatan.txt").write_text("bukan indeks")
    assert_clean_error(run(isolated_index_home, "pelopor", "--index", str(folder)), 1, str(folder))


def test_index_search_delete_and_stats_on_a_named_index(isolated_index_home, tmp_path: Path):
    articles = tmp_path / "artikel"
    articles.mkdir()
    (articles / "kopi.txt").write_text("Ekspor Kopi Naik\n\nEkspor kopi Indonesia naik tajam tahun ini.\n")
    (articles / "teh.txt").write_text("Harga Teh Turun\n\nHarga teh di pasar dunia turun.\n")
    feed = tmp_path / "arsip.jsonl.gz"
    with gzip.open(feed, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "j1", "title": "Kopi Gayo", "content": "Kopi Gayo mendunia."}) + "\n")
    (tmp_path / "rusak.bin").write_bytes(b"\x00\x01\x02\xff" * 100)

    indexed = run(isolated_index_home, "index", "--index", "berita", str(articles), str(feed), str(tmp_path / "rusak.bin"))
    assert indexed.returncode == 3, indexed.stderr  # finished, but one input was skipped
    assert "rusak.bin" in indexed.stderr and "Traceback" not in indexed.stderr
    assert "3 added" in indexed.stdout
    assert (isolated_index_home / "berita" / "diplosearch.json").is_file()
    # a few files get the score table a large import makes (the index's first commit here)
    first_table = sorted(path.name for path in (isolated_index_home / "berita").glob("scores_*"))
    assert len(first_table) == 1

    found = json.loads(run(isolated_index_home, "kopi", "--index", "berita", "--json").stdout)
    assert {h["id"] for h in found["hits"]} == {"kopi", "j1"}

    again = run(isolated_index_home, "index", "--index", "berita", str(articles))
    assert "0 added, 0 replaced, 2 unchanged" in again.stdout
    assert sorted(path.name for path in (isolated_index_home / "berita").glob("scores_*")) == first_table
    (tmp_path / "baru.txt").write_text("Kopi Baru\n\nKopi baru dari Toraja.\n")
    run(isolated_index_home, "index", "--index", "berita", str(tmp_path / "baru.txt"))
    second_table = sorted(path.name for path in (isolated_index_home / "berita").glob("scores_*"))
    assert len(second_table) == 1 and second_table != first_table  # the new commit's

    deleted = run(isolated_index_home, "delete", "--index", "berita", "kopi", "tidak-ada")
    assert deleted.returncode == 0 and "1 of 2" in deleted.stdout
    stats = json.loads(run(isolated_index_home, "stats", "--index", "berita", "--json").stdout)
    assert stats["documents"] == 3  # teh, j1 and baru


def test_writing_requires_naming_an_index(isolated_index_home, tmp_path: Path):
    (tmp_path / "a.txt").write_text("Judul\n\nIsi.\n")
    assert_clean_error(run(isolated_index_home, "index", str(tmp_path / "a.txt")), 2, "--index")


def test_analyze_prints_the_index_terms(isolated_index_home):
    result = run(isolated_index_home, "analyze", "Negara-negara dan PBB")
    assert result.returncode == 0
    terms = result.stdout.split()
    assert terms[-1] == "pbb" and "dan" not in terms and len(terms) == 2


def test_main_can_be_called_in_process(isolated_index_home, capsys):
    from diplosearch.cli import main

    assert main(["pelopor", "--json", "--limit", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] >= 1


def test_a_reader_that_stops_early_is_not_an_error(isolated_index_home, tmp_path: Path):
    from diplosearch import Document, open_index

    with open_index(tmp_path / "besar", create=True) as ix:
        ix.add_many(
            [Document(id=f"d{i}", title=f"Diplomasi {i}", body="diplomasi ekonomi " * 200) for i in range(300)]
        )
    child = subprocess.Popen(
        [sys.executable, "-m", "diplosearch", "diplomasi", "--index", str(tmp_path / "besar"), "--limit", "300"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=subprocess_env(isolated_index_home),
    )
    assert child.stdout is not None and child.stdout.readline()
    child.stdout.close()  # like `| head -1`
    _out, err = child.communicate(timeout=300)
    assert child.returncode == 0 and b"Traceback" not in err and b"error" not in err


def test_no_coordination_ranks_by_bm25f_alone(tmp_path: Path, isolated_index_home):
    docs = tmp_path / "docs.jsonl"
    docs.write_text(
        json.dumps({"id": "many", "title": "Kedutaan Kedutaan", "body": "kedutaan " * 30}) + "\n"
        + json.dumps({"id": "both", "title": "Catatan", "body": "Pertemuan panjang. " * 20 + "kedutaan dan ekonomi."})
        + "\n"
        # a third document, so that neither query word is in every document (idf > 0)
        + json.dumps({"id": "other", "title": "Pasar", "body": "ekonomi pasar " * 5}) + "\n",
        encoding="utf-8",
    )
    index = tmp_path / "ix"
    assert run(isolated_index_home, "index", "--index", str(index), str(docs)).returncode == 0

    def first(*options: str) -> tuple[str, int]:
        result = run(isolated_index_home, "kedutaan ekonomi", "--index", str(index), "--json", *options)
        assert result.returncode == 0, result.stderr
        hit = json.loads(result.stdout)["hits"][0]
        return hit["id"], hit["matched_terms"]

    assert first() == ("both", 2)
    assert first("--no-coordination") == ("many", 1)


def test_limit_zero_is_a_usage_error_but_offset_and_snippets_zero_are_valid(isolated_index_home):
    assert_clean_error(run(isolated_index_home, "pelopor", "--limit", "0"), 2, "0")
    valid = run(isolated_index_home, "pelopor", "--offset", "0", "--snippets", "0", "--json", "--limit", "1")
    assert valid.returncode == 0, valid.stderr
    assert json.loads(valid.stdout)["hits"][0]["snippets"] == []


def test_a_broken_pipe_on_a_given_stream_leaves_sys_stdout_alone(isolated_index_home):
    import io

    from diplosearch.cli import main

    class GoneReader(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    before = sys.stdout
    assert main(["analyze", "diplomasi"], out=GoneReader()) == 0
    assert sys.stdout is before


def test_rebuild_of_a_named_index_and_of_the_default_one(isolated_index_home, tmp_path: Path):
    (tmp_path / "a.txt").write_text("Judul\n\nIsi berita.\n")
    assert run(isolated_index_home, "index", "--index", "berita", str(tmp_path / "a.txt")).returncode == 0
    named = run(isolated_index_home, "rebuild", "--index", "berita")
    assert named.returncode == 0 and "rebuilt, 1 documents" in named.stdout
    default = run(isolated_index_home, "rebuild")
    assert default.returncode == 0 and "up to date" in default.stdout


def test_index_warns_and_succeeds_when_its_score_table_cannot_be_made(isolated_index_home, tmp_path: Path,
                                                                       monkeypatch, capsys):
    from diplosearch.cli import main
    from diplosearch.errors import IndexLockedError
    from diplosearch.index import Index

    waits = []

    def locked(self):  # type: ignore[no-untyped-def]
        waits.append(self.writer_timeout)
        raise IndexLockedError(f"{self.path} is locked by another writer")

    monkeypatch.setattr(Index, "make_score_table", locked)
    (tmp_path / "a.txt").write_text("Kopi Naik\n\nHarga kopi naik.\n")
    assert main(["index", "--index", str(tmp_path / "ix"), str(tmp_path / "a.txt")]) == 0
    captured = capsys.readouterr()
    assert "1 added" in captured.out
    assert captured.err.startswith("diplosearch: warning: no score table made") and "locked" in captured.err
    assert waits == [0]  # it does not wait for a writer that will replace this commit anyway
    assert main(["kopi", "--index", str(tmp_path / "ix"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 1
