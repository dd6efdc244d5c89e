"""The command line under a demanding user: extreme numbers, text that is not text,
options that must not be dropped silently, JSON that must stay JSON. Each test
guards a defect found by trying to break ``diplosearch``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import subprocess_env
from diplosearch import Document, open_index
from diplosearch.cli import main
from test_cli import assert_clean_error

#: Larger than any C ssize_t: what a user gets by holding a key down.
HUGE = "9" * 30


@pytest.fixture
def floods(tmp_path: Path) -> Path:
    """12 dated articles about a flood, half from each of two sources, and 3 undated about coffee."""
    path = tmp_path / "floods"
    with open_index(path, create=True) as ix:
        ix.add_many([
            Document(id=f"b{i:02}", title=f"Banjir {i}", body=f"Banjir melanda kota nomor {i}.",
                     source="tempo.co" if i % 2 else "Kompas.com", published=f"2019-09-{i + 1:02}")
            for i in range(12)
        ])
        ix.add_many([Document(id=f"k{i}", title="Kopi", body="Harga kopi naik lagi.", source="tempo.co")
                     for i in range(3)])
    return path


def cli(*args: str) -> tuple[int, str, str]:
    """Run the command in this process: exit code, standard output, standard error."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(code: int, err: str, expected_code: int, *needles: str) -> None:
    assert code == expected_code, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("diplosearch: error: "), err
    for needle in needles:
        assert needle in lines[0], lines[0]


# -- numbers past what a machine word holds --------------------------------------------


@pytest.mark.parametrize("options", [
    ("--limit", HUGE),
    ("--limit", "all", "--offset", HUGE),
    ("--limit", "5000", "--offset", HUGE),
])
def test_a_huge_limit_or_offset_never_ends_in_a_traceback(floods: Path, options: tuple[str, ...]):
    code, out, err = cli("banjir", "--index", str(floods), *options)
    assert "Traceback" not in err
    if "--offset" in options:
        # every hit is skipped: the command says the offset is past the last hit
        assert code == 0 and "past the last" in out, (out, err)
    else:
        assert code == 0 and out.startswith("12 documents match 'banjir'; showing 1-12"), (out, err)


# -- search output: what was asked for or left out is shown, never dropped silently ---


def test_limit_all_still_counts_the_facets_asked_for(floods: Path):
    code, out, err = cli("banjir", "--index", str(floods), "--limit", "all", "--facet", "source")
    assert code == 0, err
    assert out.rstrip().endswith("source:\n  6  Kompas.com\n  6  tempo.co"), out
    code, out, err = cli("banjir", "--index", str(floods), "--limit", "all", "--facet", "source", "--json")
    page = json.loads(out)
    assert page["facets"] == {"source": [{"value": "Kompas.com", "count": 6}, {"value": "tempo.co", "count": 6}]}
    assert "suggestion" in page and len(page["hits"]) == 12


def test_limit_all_still_says_did_you_mean(floods: Path):
    code, out, err = cli("banjjir", "--index", str(floods), "--limit", "all")
    assert code == 0, err
    assert "Did you mean: banjir?" in out
    code, out, err = cli("banjjir", "--index", str(floods), "--limit", "all", "--json")
    assert json.loads(out)["suggestion"] == "banjir"


def test_limit_all_still_explains_each_score(floods: Path):
    code, out, err = cli("banjir", "--index", str(floods), "--limit", "all", "--explain", "--json")
    hits = json.loads(out)["hits"]
    assert len(hits) == 12 and all(hit["explain"] for hit in hits)
    code, out, err = cli("banjir", "--index", str(floods), "--limit", "all", "--explain")
    _code, paged, _err = cli("banjir", "--index", str(floods), "--limit", "12", "--explain")
    assert out == paged


@pytest.mark.parametrize("options, needle", [
    (("--sort", "newest"), "--sort newest"), (("--format", "csv"), "--format csv"), (("--format", "tsv"), "--format tsv"),
])
def test_explain_where_it_cannot_be_shown_is_refused_not_dropped(floods: Path, options, needle):
    code, out, err = cli("banjir", "--index", str(floods), "--explain", *options)
    assert_one_line_error(code, err, 2, "--explain", needle)
    assert out == ""


@pytest.mark.parametrize("output", ["csv", "tsv", "jsonl"])
def test_facets_asked_of_an_export_are_refused_not_dropped(floods: Path, output: str):
    code, out, err = cli("banjir", "--index", str(floods), "--facet", "source", "--format", output)
    assert_one_line_error(code, err, 2, "--facet", f"--format {output}")
    assert out == ""


@pytest.mark.parametrize("limit", ["3", "all"])
def test_explain_in_json_lines_goes_with_each_hit(floods: Path, limit: str):
    code, out, err = cli("banjir", "--index", str(floods), "--explain", "--format", "jsonl", "--limit", limit)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == (3 if limit == "3" else 12)
    assert all(row["explain"] and "banjir" in " ".join(row["explain"]) for row in rows)


@pytest.mark.parametrize("output", ["text", "json", "jsonl"])
def test_explain_of_hits_filters_alone_listed_is_refused_before_any_output(floods: Path, output: str):
    code, out, err = cli("", "--index", str(floods), "--source", "tempo.co", "--explain", "--limit", "all",
                         "--format", output)
    assert_one_line_error(code, err, 2, "not ranked by relevance")
    assert out == ""


#: 70 words no document holds, then one every flood article holds: past the 64 terms a query looks up.
LONG_QUERY = " ".join(f"kata{i}" for i in range(70)) + " banjir"


@pytest.mark.parametrize("limit", ["5", "all"])
def test_words_left_out_of_a_long_query_are_named_not_silently_dropped(floods: Path, limit: str):
    code, out, err = cli(LONG_QUERY, "--index", str(floods), "--limit", limit)
    assert code == 0, err
    note = [line for line in out.splitlines() if line.startswith("Left out")]
    assert len(note) == 1 and note[0].endswith("kata69, banjir"), out
    code, out, err = cli(LONG_QUERY, "--index", str(floods), "--limit", limit, "--json")
    assert json.loads(out)["dropped"] == [f"kata{i}" for i in range(64, 70)] + ["banjir"]
    code, out, err = cli(LONG_QUERY, "--index", str(floods), "--limit", limit, "--format", "csv")
    assert code == 0 and "Left out" in err and "banjir" in err and out.startswith("rank,id")


@pytest.mark.parametrize("limit", ["5", "all"])
def test_a_filter_value_that_is_a_stop_word_is_not_called_ignored(floods: Path, limit: str):
    code, out, err = cli("source:yang", "--index", str(floods), "--limit", limit)
    assert out == "No documents match 'source:yang'.\n"
    for query, ignored in (("source:dan banjir", []), ("http://yang.com", []), ("yang banjir", ["yang"])):
        code, out, err = cli(query, "--index", str(floods), "--limit", limit, "--json")
        assert json.loads(out)["ignored"] == ignored, query


# -- arguments that are not text (bytes from a non-UTF-8 terminal or a wrong encoding) ---


@pytest.mark.parametrize("command", [
    ("get", "\udcff"), ("similar", "\udcff"), ("delete", "\udcff"), ("search", "banjir\udce9"),
    ("search", "banjir", "--source", "tempo\udce9"),
])
def test_an_argument_that_is_not_utf8_is_refused_without_blaming_the_index(floods: Path, command: tuple[str, ...]):
    code, out, err = cli(*command, "--index", str(floods))
    assert_one_line_error(code, err, 2, "UTF-8")
    assert "damaged" not in err and out == ""
    with open_index(floods) as ix:
        assert len(ix) == 15


def test_json_output_of_a_query_typed_in_latin1_stays_utf8(isolated_index_home: Path, floods: Path):
    result = subprocess.run(
        [sys.executable, "-m", "diplosearch", b"caf\xe9 banjir", "--index", str(floods), "--json"],
        capture_output=True, env=subprocess_env(isolated_index_home), timeout=300,
    )
    result.stdout.decode("utf-8")  # never raw invalid bytes in JSON
    assert result.returncode == 2 and b"UTF-8" in result.stderr and b"Traceback" not in result.stderr


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_output_to_a_stream_not_in_utf8_is_no_traceback(isolated_index_home: Path, floods: Path, encoding: str):
    env = {**subprocess_env(isolated_index_home), "PYTHONIOENCODING": encoding}
    for extra in ([], ["--json"]):
        result = subprocess.run(
            [sys.executable, "-m", "diplosearch", "banjir", "--index", str(floods), "--limit", "2", *extra],
            capture_output=True, env=env, timeout=300,
        )
        assert result.returncode == 0 and result.stderr == b"", result.stderr
        shown = result.stdout.decode(encoding)
        if extra:
            assert [hit["id"] for hit in json.loads(shown)["hits"]] == ["b00", "b01"]
        else:
            assert "? [[Banjir]] melanda kota nomor 1. ?" in shown


# -- the index report of `index --json` ------------------------------------------------


def test_index_json_reports_even_when_nothing_valid_came(tmp_path: Path):
    (tmp_path / "empty.txt").write_text("")
    code, out, err = cli("index", "--index", str(tmp_path / "new"), str(tmp_path / "empty.txt"), "--json")
    assert code == 3
    report = json.loads(out)
    assert report["created"] is False and report["documents"] == 0 and report["added"] == []
    assert len(report["skipped"]) == 1 and "empty.txt" in report["skipped"][0]
    assert not (tmp_path / "new").exists()


def test_index_fills_an_empty_directory_made_for_it(tmp_path: Path):
    (tmp_path / "berita").mkdir()
    (tmp_path / "empty.txt").write_text("")
    code, out, err = cli("index", "--index", str(tmp_path / "berita"), str(tmp_path / "empty.txt"))
    assert code == 3 and not any((tmp_path / "berita").iterdir())
    (tmp_path / "a.txt").write_text("Judul\n\nBanjir di kota.\n")
    code, out, err = cli("index", "--index", str(tmp_path / "berita"), str(tmp_path / "a.txt"))
    assert code == 0, err
    assert out.startswith(f"created index {tmp_path / 'berita'}\n")
    with open_index(tmp_path / "berita") as ix:
        assert ix.search("banjir").total == 1


@pytest.mark.parametrize("inside", [True, False])
def test_index_refuses_to_read_its_own_files_as_articles(tmp_path: Path, inside: bool):
    folder = tmp_path / "artikel"
    folder.mkdir()
    (folder / "a.txt").write_text("Judul\n\nBanjir di kota.\n")
    target = folder / "ix"
    with open_index(target, create=True) as ix:
        ix.add(Document(id="a", title="Judul", body="Banjir di kota."))
    given = folder if inside else target / "diplosearch.json"
    code, out, err = cli("index", "--index", str(target), str(given))
    assert_one_line_error(code, err, 2, str(target), "inside")
    with open_index(target) as ix:
        assert len(ix) == 1
    # not even on the first run, when the index is made while the folder is read
    code, out, err = cli("index", "--index", str(folder / "new"), str(folder))
    assert_one_line_error(code, err, 2, "inside")
    assert not (folder / "new").exists()


# -- the command line itself --------------------------------------------------------------


def test_words_after_an_unquoted_query_say_to_quote_it(floods: Path):
    code, out, err = cli("peranan", "pelopor", "--index", str(floods))
    assert_one_line_error(code, err, 2, "pelopor", "'peranan pelopor'", "diplosearch search --help")
    assert "diplosearch diplosearch" not in err


@pytest.mark.parametrize("command, dashed", [
    (("-ekonomi",), "-ekonomi"), (("-ekonomi", "diplomasi"), "-ekonomi"), (("get", "-x"), "-x"), (("delete", "-x"), "-x"),
])
def test_a_query_or_id_starting_with_a_dash_is_told_to_go_after_double_dash(floods: Path, command, dashed):
    code, out, err = cli(*command, "--index", str(floods))
    assert_one_line_error(code, err, 2, f"{dashed} is no option", "goes after --")


def test_a_quoted_query_starting_with_a_dash_is_not_blamed_for_another_error(floods: Path):
    code, out, err = cli("-ekonomi banjir", "--limit", "0", "--index", str(floods))
    assert_one_line_error(code, err, 2, "--limit")
    assert "no option" not in err


@pytest.mark.parametrize("option", ["--source", "--category", "--sub-category"])
def test_an_empty_filter_value_is_refused_not_a_silent_empty_page(floods: Path, option: str):
    code, out, err = cli("banjir", option, " ", "--index", str(floods))
    assert_one_line_error(code, err, 2, f"{option} is empty")
    assert out == ""


def test_an_unknown_option_points_to_the_help_of_its_subcommand(floods: Path):
    code, out, err = cli("stats", "--index", str(floods), "--bogus")
    assert_one_line_error(code, err, 2, "--bogus", "`diplosearch stats --help`")


@pytest.mark.parametrize("command", [("search", "banjir"), ("stats",), ("index", "x.txt"), ("delete", "a")])
def test_an_empty_index_path_is_a_usage_error_not_the_current_directory(tmp_path: Path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.txt").write_text("Judul\n\nBanjir di kota.\n")
    code, out, err = cli(*command, "--index", "")
    assert_one_line_error(code, err, 2, "--index")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.txt"]


def test_a_closed_standard_output_is_no_traceback(isolated_index_home: Path, floods: Path):
    result = subprocess.run(
        [sys.executable, "-m", "diplosearch", "banjir", "--index", str(floods)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=subprocess_env(isolated_index_home),
        timeout=300, preexec_fn=lambda: os.close(1),
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_index_from_a_closed_standard_input_is_a_usage_error(isolated_index_home: Path, tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "diplosearch", "index", "--index", str(tmp_path / "ix"), "-"],
        capture_output=True, text=True, env=subprocess_env(isolated_index_home), timeout=300,
        preexec_fn=lambda: os.close(0),
    )
    assert_clean_error(result, 2, "standard input")
    assert not (tmp_path / "ix").exists()


# -- why nothing was shown ------------------------------------------------------------------


def test_filters_alone_that_keep_nothing_do_not_claim_the_query_is_empty(floods: Path):
    code, out, err = cli("", "--index", str(floods), "--source", "antara")
    assert code == 0, err
    assert out == "No documents pass the filters given.\n"
    code, out, err = cli("", "--index", str(floods), "--since", "2030", "--limit", "all", "--format", "csv")
    assert code == 0 and err == "diplosearch: No documents pass the filters given.\n"
    _code, kept, _err = cli("", "--index", str(floods), "--source", "tempo.co", "--limit", "1")
    assert kept.startswith("9 documents")
    code, out, err = cli("kopi", "--index", str(floods), "--since", "2019-09")
    assert out == "No documents match 'kopi' within the filters given.\n"


def test_similar_with_nothing_to_compare_does_not_ask_for_words(tmp_path: Path):
    with open_index(tmp_path / "ix", create=True) as ix:
        ix.add_many([Document(id="a", title="Kopi", body="Harga kopi naik."),
                     Document(id="b", title="Gempa", body="Gempa mengguncang pulau.")])
    code, out, err = cli("similar", "a", "--index", str(tmp_path / "ix"))
    assert code == 0, err
    assert "give words" not in out and "query" not in out, out
    assert out.splitlines()[1] == "No articles like a: it shares no distinctive word with another article."



def test_index_says_note_for_a_repeat_and_skipped_once_for_a_broken_record(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "a", "title": "Banjir", "body": "Banjir melanda."}\nbukan json\n')
    code, out, err = cli("index", "--index", str(tmp_path / "ix"), str(feed), str(feed))
    assert code == 3  # the broken record was skipped; the repeat is only a note
    lines = err.strip().splitlines()
    assert sum(line.startswith("diplosearch: note: ") and "'a'" in line for line in lines) == 1
    broken = [line for line in lines if line.startswith("diplosearch: skipped ")]
    assert len(broken) == 2 and all(line.count("skipped") == 1 for line in broken)  # was "skipped ...; skipped"
    assert "2 skipped (1 note);" in out
    code, out, err = cli("index", "--json", "--index", str(tmp_path / "ix2"), str(feed), str(feed))
    report = json.loads(out)
    assert len(report["notes"]) == 1 and len(report["skipped"]) == 2 and code == 3


@pytest.mark.parametrize(("no_color", "coloured"), [(None, True), ("", True), ("1", False), ("0", False)])
def test_colour_follows_no_color_only_when_it_is_set_to_something(monkeypatch, no_color, coloured) -> None:
    from diplosearch.cli import _use_colour

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TERM", "xterm")
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    assert _use_colour("auto", Terminal()) is coloured
    assert _use_colour("always", Terminal()) is True and _use_colour("never", Terminal()) is False


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["search", "--help"], ["index", "-h"]])
def test_help_and_version_go_to_the_stream_given_and_return_0_in_process(argv, capsys) -> None:
    code, out, err = cli(*argv)  # main() raised SystemExit and printed to sys.stdout
    assert code == 0 and out.startswith(("usage: diplosearch", "diplosearch ")) and err == ""
    assert capsys.readouterr().out == ""


def test_analyze_of_stop_words_only_says_why_nothing_came_out() -> None:
    code, out, err = cli("analyze", "yang dan")
    assert code == 0 and out == "\n" and "stop words" in err  # was an empty line, unexplained
    code, out, err = cli("analyze", "yang perkembangan")
    assert out == "kembang\n" and err == ""


def test_library_warnings_are_lines_in_the_commands_own_form(tmp_path: Path):
    # A column file gone: the search rebuilds it and the library warns; on the command
    # line that reads as one of its own lines, not a bare message from logging.
    path = tmp_path / "index"
    with open_index(path, create=True) as ix:
        ix.add_many([Document(id=f"d{i}", title="Banjir di kota", body="Warga kota mengungsi karena banjir.")
                     for i in range(3)], workers=1)
    for column_file in path.glob("*.dcol"):
        column_file.unlink()
    out, err = io.StringIO(), io.StringIO()
    assert main(["search", "banjir", "--index", str(path)], out=out, err=err) == 0
    warnings = [line for line in err.getvalue().splitlines() if "building the search columns" in line]
    assert warnings and all(line.startswith("diplosearch: warning: ") for line in warnings)
    # the handler goes with the command: a later run does not write to this one's stream
    for column_file in path.glob("*.dcol"):
        column_file.unlink()
    assert main(["search", "banjir", "--index", str(path)], out=io.StringIO(), err=io.StringIO()) == 0
    assert err.getvalue().count("building the search columns") == len(warnings)
    # and in a process of its own, where logging is loaded only by the warning
    for column_file in path.glob("*.dcol"):
        column_file.unlink()
    result = subprocess.run([sys.executable, "-m", "diplosearch", "search", "banjir", "--index", str(path)],
                            capture_output=True, text=True, env=subprocess_env(tmp_path / "home"), timeout=300)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("diplosearch: warning: ") for line in lines), result.stderr
