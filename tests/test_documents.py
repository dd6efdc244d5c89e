"""Documents: dates and the model."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import attrs
import pytest

from diplosearch.documents import Document, parse_date, validate_document
from diplosearch.errors import DocumentError

# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-10-09 00:00:00", dt.datetime(2019, 10, 9)),
        ("2019-10-09T10:30:00+07:00", dt.datetime(2019, 10, 9, 10, 30)),  # zone dropped
        ("16/09/2019", dt.datetime(2019, 9, 16)),  # day first
        (" Sep 30, 2019 ", dt.datetime(2019, 9, 30)),
        (" Oct 2, 2019 ", dt.datetime(2019, 10, 2)),
        ("10-Sep-19", dt.datetime(2019, 9, 10)),
        ("29 Agustus 2019", dt.datetime(2019, 8, 29)),
        ("Oktober 19, 2019", dt.datetime(2019, 10, 19)),
        ("17 Desember 2023", dt.datetime(2023, 12, 17)),
        ("Senin, 17 Des 2023 10:30 WIB", dt.datetime(2023, 12, 17, 10, 30)),
        ("Rabu, 18/09/2019 | 14.05", dt.datetime(2019, 9, 18, 14, 5)),
    ],
)
def test_parse_date_formats_seen_in_indonesian_feeds(text: str, expected: dt.datetime):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "kemarin sore", "31 Februari 2023", "2023-13-01", "tahun 2023 " * 20])
def test_parse_date_returns_none_when_nothing_fits(text: str):
    assert parse_date(text) is None


def test_every_clickid_date_parses(shared_data: Path):
    path = shared_data / "clickid" / "clickid_raw_articles.jsonl.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        dates = {json.loads(line)["date"] for line in handle}
    unparsed = [d for d in dates if parse_date(d) is None]
    assert not unparsed
    years = {parse_date(d).year for d in dates}  # type: ignore[union-attr]
    assert years <= {2019}  # the corpus is from 2019: day/month order and two-digit years are right


# --------------------------------------------------------------------------- the model


def test_category_and_sub_category_are_optional_keyword_fields_after_path():
    doc = Document("a", "Judul", "Isi.", path="a.txt", category="News", sub_category="Regional")
    assert (doc.category, doc.sub_category) == ("News", "Regional")
    assert Document("b", "Judul").category is None and Document("b", "Judul").sub_category is None
    names = [field.name for field in attrs.fields(Document)]
    assert names[names.index("path") + 1 :] == ["category", "sub_category"]


@pytest.mark.parametrize("field", ["category", "sub_category"])
def test_a_category_must_be_text_or_none(field: str):
    validate_document(Document("a", "Judul", **{field: None}))
    with pytest.raises(DocumentError, match=field):
        validate_document(Document("a", "Judul", **{field: 5}))
