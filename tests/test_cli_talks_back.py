"""The command line of issue 12 (items 6-10), run as a user runs it, in a child process:
get, safe HTML, honest messages, exports, progress, Ctrl-C, standard input, stats, help."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import subprocess_env
from diplosearch import Document, Quote, open_index
from test_cli import assert_clean_error, run

BANJIR_HITS = 351


def record(i: int, **extra: object) -> dict[str, object]:
    return {"id": f"d{i:03}", "title": f"Berita {i}", "body": f"Banjir melanda kota nomor {i}.", **extra}


@pytest.fixture
def banjir(tmp_path: Path) -> Path:
    """An index of 351 articles that all match ``banjir``, and 9 that do not."""
    path = tmp_path / "banjir"
    with open_index(path, create=True) as ix:
        ix.add_many([Document(**record(i)) for i in range(BANJIR_HITS)])  # type: ignore[arg-type]
        ix.add_many([Document(id=f"x{i}", title="Lain", body="Harga kopi naik.") for i in range(9)])
    return path


def child(home: Path, *args: str, **options: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "diplosearch", *args], env=subprocess_env(home), **options  # type: ignore[arg-type]
    )


# -- 6. get ------------------------------------------------------------------------


def test_get_prints_every_stored_field_and_refuses_an_unknown_id(isolated_index_home, tmp_path: Path):
    stored = Document(
        id="a1", title="Kunjungan Menlu", body="Menlu tiba di Hanoi.\nLalu bertemu.", quotes=[Quote("Erat", "Son")],
        captions=("Foto bandara",), source="Kemlu", url="https://kemlu.go.id/a1", published="2019-09-16",
        path="a1.txt", category="News", sub_category="Luar Negeri",
    )
    with open_index(tmp_path / "ix", create=True) as ix:
        ix.add(stored)
    shown = run(isolated_index_home, "get", "a1", "--index", str(tmp_path / "ix"))
    assert shown.returncode == 0, shown.stderr
    for value in ("Kunjungan Menlu", "Kemlu", "https://kemlu.go.id/a1", "2019-09-16", "News", "Luar Negeri",
                  "“Erat” (Son)", "Foto bandara", "Menlu tiba di Hanoi.\nLalu bertemu."):
        assert value in shown.stdout
    data = json.loads(run(isolated_index_home, "get", "a1", "--index", str(tmp_path / "ix"), "--json").stdout)
    assert data["quotes"] == [{"text": "Erat", "speaker": "Son"}] and data["captions"] == ["Foto bandara"]
    assert (data["sub_category"], data["published"][:10], data["body"]) == ("Luar Negeri", "2019-09-16", stored.body)
    missing = run(isolated_index_home, "get", "tidak-ada", "--index", str(tmp_path / "ix"))
    assert_clean_error(missing, 1, "'tidak-ada'", str(tmp_path / "ix"))
    assert missing.stdout == ""


def test_get_and_delete_find_a_record_id_as_indexing_cleaned_it(isolated_index_home, tmp_path: Path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": " sp ", "title": "Kunjungan", "body": "Menlu tiba."}) + "\n")
    assert run(isolated_index_home, "index", "--index", str(tmp_path / "ix"), str(feed)).returncode == 0
    shown = run(isolated_index_home, "get", " sp ", "--index", str(tmp_path / "ix"), "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["id"] == "sp"
    deleted = run(isolated_index_home, "delete", "--index", str(tmp_path / "ix"), " sp ")
    assert deleted.stdout.strip().endswith("1 of 1 documents deleted"), deleted.stdout


# -- 7. safe HTML --------------------------------------------------------------------


def test_a_field_prefix_next_to_a_filter_is_a_one_line_error(isolated_index_home, banjir: Path):
    refused = run(isolated_index_home, "source:title:banjir", "--index", str(banjir))
    assert_clean_error(refused, 2, "source:title:banjir", "takes a value")
    refused = run(isolated_index_home, "title:source:kompas.com", "--index", str(banjir))
    assert_clean_error(refused, 2, "title:source:kompas.com", "cannot restrict the filter source:")


def test_html_snippets_escape_a_script_in_the_body(isolated_index_home, tmp_path: Path):
    with open_index(tmp_path / "ix", create=True) as ix:
        ix.add(Document(id="x", title="Judul", body="Banjir <script>alert(1)</script> di kota."))
    result = run(isolated_index_home, "banjir", "--index", str(tmp_path / "ix"), "--json", "--html")
    (snippet,) = json.loads(result.stdout)["hits"][0]["snippets"]
    assert snippet == "<mark>Banjir</mark> &lt;script&gt;alert(1)&lt;/script&gt; di kota."


# -- 8. honest messages and exports ---------------------------------------------------------


def test_an_offset_past_the_end_says_how_many_match(isolated_index_home, banjir: Path):
    result = run(isolated_index_home, "banjir", "--index", str(banjir), "--offset", "400")
    assert result.returncode == 0
    assert "351 documents match 'banjir'" in result.stdout and "--offset 400 is past" in result.stdout
    assert "No documents match" not in result.stdout


def test_empty_and_stop_word_queries_say_which_words_were_ignored(isolated_index_home, banjir: Path):
    stop_words = run(isolated_index_home, "yang dan di", "--index", str(banjir))
    assert stop_words.returncode == 0
    assert "every word of 'yang dan di' was ignored (yang, dan, di)" in stop_words.stdout
    assert "stop words" in stop_words.stdout
    empty = run(isolated_index_home, "search", "", "--index", str(banjir))
    assert "The query is empty" in empty.stdout
    partly = run(isolated_index_home, "yang presidn", "--index", str(banjir))
    assert "No documents match 'yang presidn' (ignored: yang;" in partly.stdout
    data = json.loads(run(isolated_index_home, "yang banjir", "--index", str(banjir), "--json").stdout)
    assert data["ignored"] == ["yang"] and data["total"] == BANJIR_HITS


def test_limit_all_streams_every_hit_in_every_export_format(isolated_index_home, banjir: Path):
    ranked = json.loads(run(isolated_index_home, "banjir", "--index", str(banjir), "--json", "--limit", "300").stdout)
    assert ranked["total"] == BANJIR_HITS and len(ranked["hits"]) == 300

    whole = run(isolated_index_home, "banjir", "--index", str(banjir), "--limit", "all", "--json", "--snippets", "0")
    data = json.loads(whole.stdout)
    assert data["total"] == BANJIR_HITS and data["limit"] is None
    ids = [hit["id"] for hit in data["hits"]]
    assert len(set(ids)) == BANJIR_HITS and ids[:300] == [hit["id"] for hit in ranked["hits"]]

    lines = run(isolated_index_home, "banjir", "--index", str(banjir), "--limit", "all", "--format", "jsonl").stdout
    assert [json.loads(line)["id"] for line in lines.splitlines()] == ids

    table = run(isolated_index_home, "banjir", "--index", str(banjir), "--limit", "all", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [row["id"] for row in rows] == ids and "[[Banjir]]" in rows[0]["snippets"]

    tsv = run(isolated_index_home, "banjir", "--index", str(banjir), "--limit", "all", "--format", "tsv").stdout
    header, *body = tsv.splitlines()
    assert header.split("\t")[:3] == ["rank", "id", "title"] and len(body) == BANJIR_HITS
    assert all(len(line.split("\t")) == len(header.split("\t")) for line in body)

    # A --limit above one page (which used to be refused) streams too.
    big = run(isolated_index_home, "banjir", "--index", str(banjir), "--limit", "5000", "--format", "jsonl")
    assert big.returncode == 0 and [json.loads(line)["id"] for line in big.stdout.splitlines()] == ids

    text = run(isolated_index_home, "banjir", "--index", str(banjir), "--limit", "all", "--offset", "350")
    assert "351 documents match 'banjir'; showing 351-351" in text.stdout and text.stdout.count("score ") == 1


def test_limit_zero_and_contradicting_formats_are_usage_errors(isolated_index_home, banjir: Path):
    assert_clean_error(run(isolated_index_home, "banjir", "--index", str(banjir), "--limit", "0"), 2, "0")
    assert_clean_error(run(isolated_index_home, "banjir", "--index", str(banjir), "--json", "--format", "csv"), 2, "--json")


# -- 9. long indexing -------------------------------------------------------------------------


def read_all(fd: int) -> str:
    data = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other end closed (Linux reports EIO)
            break
        if not chunk:
            break
        data += chunk
    return data.decode()


def test_index_shows_progress_on_a_terminal_only(isolated_index_home, tmp_path: Path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(record(i)) + "\n" for i in range(50)), encoding="utf-8")
    master, slave = pty.openpty()
    process = child(isolated_index_home, "index", "--index", "p", str(feed), stdout=subprocess.PIPE, stderr=slave)
    out, _ = process.communicate(timeout=300)
    os.close(slave)
    on_terminal = read_all(master)
    os.close(master)
    assert process.returncode == 0
    # The first document is always drawn; later ones at most a few times a second.
    assert on_terminal.startswith("\r1 documents (1 written)") and on_terminal.endswith("\r")
    assert b"created index" in out and b"50 added" in out

    master, slave = pty.openpty()
    process = child(isolated_index_home, "index", "--index", "p", "--quiet", str(feed), stderr=slave, stdout=subprocess.PIPE)
    process.communicate(timeout=300)
    os.close(slave)
    assert "documents (" not in read_all(master)
    os.close(master)

    piped = run(isolated_index_home, "index", "--index", "q", str(feed))
    assert piped.stderr == "" and piped.returncode == 0


def test_rebuild_progress_knows_the_total(isolated_index_home, tmp_path: Path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(record(i)) + "\n" for i in range(20)), encoding="utf-8")
    assert run(isolated_index_home, "index", "--index", "r", str(feed)).returncode == 0
    master, slave = pty.openpty()
    process = child(isolated_index_home, "rebuild", "--index", "r", stdout=subprocess.PIPE, stderr=slave)
    out, _ = process.communicate(timeout=300)
    os.close(slave)
    assert "1 of 20, ETA " in read_all(master) and b"rebuilt, 20 documents" in out
    os.close(master)


def test_the_progress_line_gives_rate_and_eta_when_the_total_is_known():
    from diplosearch import Progress
    from diplosearch.cli_output import describe_progress

    assert describe_progress(Progress(done=1000, written=900, total=4000, elapsed=2.0)) == (
        "1,000 documents (900 written), 500/s, 1,000 of 4,000, ETA 0:06"
    )
    assert describe_progress(Progress(done=10, written=10, total=None, elapsed=0.0)) == "10 documents (10 written)"


def test_index_reads_json_lines_from_standard_input(isolated_index_home):
    feed = "".join(json.dumps(record(i)) + "\n" for i in range(3)) + "not json\n"
    result = subprocess.run(
        [sys.executable, "-m", "diplosearch", "index", "--index", "stdin-ix", "-"],
        input=feed, capture_output=True, text=True, env=subprocess_env(isolated_index_home), timeout=300,
    )
    assert result.returncode == 3  # one line skipped
    assert "created index" in result.stdout and "3 added" in result.stdout
    assert "stdin:4: not valid JSON" in result.stderr and "no such file" not in result.stderr


def test_standard_input_with_nothing_valid_creates_no_index(isolated_index_home):
    for feed in ("", "not json\n"):
        result = subprocess.run(
            [sys.executable, "-m", "diplosearch", "index", "--index", "kosong", "-"],
            input=feed, capture_output=True, text=True, env=subprocess_env(isolated_index_home), timeout=300,
        )
        assert result.returncode == 3 and "no index was created" in result.stderr
        assert not (isolated_index_home / "kosong").exists()


def test_a_new_or_misspelt_index_name_is_created_and_said(isolated_index_home, tmp_path: Path):
    (tmp_path / "a.txt").write_text("Judul\n\nIsi berita.\n")
    first = run(isolated_index_home, "index", "--index", "berita", str(tmp_path / "a.txt"))
    assert first.stdout.startswith(f"created index {isolated_index_home / 'berita'}\n")
    again = run(isolated_index_home, "index", "--index", "berita", str(tmp_path / "a.txt"))
    assert "created" not in again.stdout
    typo = run(isolated_index_home, "index", "--index", "beritaa", str(tmp_path / "a.txt"), "--json")
    assert json.loads(typo.stdout)["created"] is True


def test_ctrl_c_stops_after_the_last_commit_and_says_how_many_are_in(isolated_index_home, tmp_path: Path):
    process = child(
        isolated_index_home, "index", "--index", "ctrl-c", "--commit-every", "10", "-",
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdin is not None
    process.stdin.write("".join(json.dumps(record(i)) + "\n" for i in range(25)).encode())
    process.stdin.flush()  # and kept open: the command waits for more
    index = isolated_index_home / "ctrl-c"
    for _attempt in range(600):  # wait for the second commit (20 documents), polling
        if (index / "diplosearch.json").exists():
            with open_index(index) as ix:
                if len(ix) == 20:
                    break
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 130, err
    assert b"holds 20 documents" in err and b"Traceback" not in err
    with open_index(index) as ix:
        assert len(ix) == 20


def test_ctrl_c_after_the_commit_landed_says_it_was_committed(isolated_index_home, tmp_path: Path, monkeypatch, capsys):
    import diplosearch
    from diplosearch.cli import main

    (tmp_path / "a.txt").write_text("Judul\n\nIsi berita.\n")

    def interrupted_count(self):  # the commit is in when the count is asked for
        raise KeyboardInterrupt

    monkeypatch.setattr(diplosearch.Index, "__len__", interrupted_count)
    assert main(["index", "--index", str(tmp_path / "ix"), str(tmp_path / "a.txt")]) == 0
    assert "interrupted after the commit" in capsys.readouterr().err
    monkeypatch.undo()
    with open_index(tmp_path / "ix") as ix:
        assert "a" in ix


def test_commit_every_must_be_a_positive_number(isolated_index_home, tmp_path: Path):
    (tmp_path / "a.txt").write_text("Judul\n\nIsi.\n")
    assert_clean_error(run(isolated_index_home, "index", "--index", "c", "--commit-every", "0", str(tmp_path / "a.txt")), 2, "0")


def test_delete_names_the_ids_it_did_not_find(isolated_index_home, banjir: Path):
    result = run(isolated_index_home, "delete", "--index", str(banjir), "d001", "tidak-ada", "juga-tidak")
    assert result.returncode == 0
    assert result.stdout.strip().endswith("1 of 3 documents deleted; not found: tidak-ada, juga-tidak")


def test_stats_show_sources_dates_and_size(isolated_index_home, tmp_path: Path):
    feed = tmp_path / "feed.jsonl"
    records = [record(i, source=f"sumber{i % 12}.id", date=f"2019-09-{i % 28 + 1:02}") for i in range(36)]
    records.append(record(99))
    feed.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert run(isolated_index_home, "index", "--index", "s", str(feed)).returncode == 0
    text = run(isolated_index_home, "stats", "--index", "s").stdout
    assert "dates:            2019-09-01 to 2019-09-28 (1 undated)" in text
    assert "sources (top 10 of 12):" in text and " MB in " in text
    assert text.count("sumber") == 10
    data = json.loads(run(isolated_index_home, "stats", "--index", "s", "--json").stdout)
    assert data["sources"]["sumber0.id"] == 3 and len(data["sources"]) == 12
    assert (data["earliest"], data["latest"], data["undated"]) == ("2019-09-01", "2019-09-28", 1)
    assert data["size_mb"] > 0


# -- 10. help ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["search", "get", "index", "delete", "stats", "rebuild", "analyze"])
def test_every_subcommand_help_ends_with_examples(isolated_index_home, command):
    result = run(isolated_index_home, command, "--help")
    assert result.returncode == 0
    examples = result.stdout.rstrip().split("examples:\n", 1)[1].splitlines()
    assert 2 <= len(examples) <= 3 and all("diplosearch " in line and line.startswith("  ") for line in examples)
