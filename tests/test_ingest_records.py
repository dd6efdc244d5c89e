"""JSON records mapped onto documents."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from diplosearch.documents import Quote, content_id
from diplosearch.errors import DocumentError
from diplosearch.ingest import document_from_record

# --------------------------------------------------------------------------- records


def test_a_record_maps_its_keys_onto_the_document():
    doc = document_from_record(
        {
            "id": "clickid-1",
            "source": "Kompas.com",
            "date": " Sep 30, 2019 ",
            "category": "News",
            "title": "Diduga Pasok Sabu",
            "content": ' - Polisi menangkap dua orang.,"Keduanya diduga sebagai pemasok sabu," kata Zulmi.',
            "url": "https://kompas.com/x",
        }
    )
    assert (doc.id, doc.title) == ("clickid-1", "Diduga Pasok Sabu")
    assert (doc.source, doc.url) == ("Kompas.com", "https://kompas.com/x")
    assert doc.published == dt.datetime(2019, 9, 30)
    # The dateline's leftover dash goes; CLICK-ID's ",”-joined paragraphs stay as they are.
    assert doc.body.startswith("Polisi menangkap dua orang.,")
    assert doc.quotes == (Quote("Keduanya diduga sebagai pemasok sabu", "Zulmi"),)


def test_a_record_body_is_cleaned_of_mojibake():
    doc = document_from_record({"title": "T", "content": "‚Äì¬†Lebih dari satu dasawarsa¬†ini."})
    assert doc.body == "Lebih dari satu dasawarsa ini."


def test_body_is_used_when_content_is_missing_and_published_when_date_is():
    doc = document_from_record({"title": "T", "body": "Isi.", "published": "2023-12-17"})
    assert doc.body == "Isi." and doc.published == dt.datetime(2023, 12, 17)


def test_record_quotes_and_captions_are_taken_as_given():
    doc = document_from_record(
        {
            "title": "T",
            "content": '"Kalimat panjang yang tidak boleh diambil," kata Budi.',
            "quotes": ["Kutipan dari rekaman", {"text": "Kutipan kedua", "speaker": "Siti"}, ["Ketiga", None]],
            "captions": ["Presiden di Istana"],
        }
    )
    assert doc.quotes == (Quote("Kutipan dari rekaman"), Quote("Kutipan kedua", "Siti"), Quote("Ketiga"))
    assert doc.captions == ("Presiden di Istana",)


def test_a_record_without_id_gets_a_content_hash_and_an_integer_id_is_kept_as_text():
    assert document_from_record({"title": "T", "content": "Isi."}).id == content_id("T", "Isi.")
    assert document_from_record({"id": 42, "title": "T"}).id == "42"


def test_a_record_without_title_gets_its_lead_sentence():
    doc = document_from_record({"content": "Harga beras turun di pasar. Pedagang senang."})
    assert doc.title == "Harga beras turun di pasar"


def test_an_unparseable_or_odd_date_keeps_the_document():
    for date in ("kemarin", "31/02/2019", 1568600000, ["2019"], None):
        doc = document_from_record({"id": "a", "title": "T", "content": "Isi.", "date": date})
        assert doc.id == "a" and doc.published is None


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"title": 5, "content": "Isi."}, "title"),
        ({"title": "T", "content": ["Isi."]}, "content"),
        ({"title": "T", "body": {"p": 1}}, "body"),
        ({"title": "T", "source": 3}, "source"),
        ({"title": "T", "url": ["https://x"]}, "url"),
        ({"id": 1.5, "title": "T"}, "id"),
        ({"id": True, "title": "T"}, "id"),
        ({"title": "T", "quotes": "satu"}, "quotes"),
        ({"title": "T", "quotes": [5]}, "quotes"),
        ({"title": "T", "captions": [1]}, "captions"),
    ],
)
def test_wrongly_typed_fields_are_a_one_line_error_naming_the_field(record: dict, field: str):
    with pytest.raises(DocumentError) as excinfo:
        document_from_record(record, origin="feed.jsonl:7")
    message = str(excinfo.value)
    assert message.startswith("feed.jsonl:7: ")
    assert f"'{field}'" in message
    assert "\n" not in message


@pytest.mark.parametrize("record", [{}, {"id": "a"}, {"title": "  ", "content": ""}, {"url": "https://x"}])
def test_a_record_without_title_and_body_is_an_error(record: dict):
    with pytest.raises(DocumentError):
        document_from_record(record)


@pytest.mark.parametrize("record", [[1, 2], "teks", 5, None])
def test_a_record_that_is_not_an_object_is_an_error(record: object):
    with pytest.raises(DocumentError, match="object"):
        document_from_record(record)  # type: ignore[arg-type]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["id", "title", "content", "body", "source", "url", "date", "published", "quotes", "captions"]),
        json_values,
    )
)
def test_any_json_record_is_a_document_or_a_document_error(record: dict):
    try:
        doc = document_from_record(record)
    except DocumentError as exc:
        assert "\n" not in str(exc)
        return
    assert doc.id and (doc.title or doc.body)


def test_category_and_sub_category_are_mapped_and_a_bare_dash_means_none():
    doc = document_from_record(
        {"id": "c1", "title": "T", "content": "Isi.", "category": " News ", "sub_category": "Regional"}
    )
    assert (doc.category, doc.sub_category) == ("News", "Regional")
    # CLICK-ID writes "-" where an article has no sub-category.
    doc = document_from_record({"id": "c2", "title": "T", "category": "Selebriti", "sub_category": "-"})
    assert (doc.category, doc.sub_category) == ("Selebriti", None)
    assert document_from_record({"id": "c3", "title": "T"}).category is None


@pytest.mark.parametrize("field", ["category", "sub_category"])
def test_a_category_that_is_not_text_is_a_one_line_error_naming_the_field(field: str):
    with pytest.raises(DocumentError, match=f"'{field}'"):
        document_from_record({"id": "c", "title": "T", field: ["a", "b"]})


def test_a_date_that_cannot_be_read_is_a_note_on_the_record_not_lost_silently(tmp_path):
    import json

    from diplosearch import InputProblem, read_documents

    feed = tmp_path / "feed.jsonl"
    records = [{"id": "x", "title": "a", "body": "b", "published": "2019-13-45"},
               {"id": "y", "title": "a", "body": "b", "date": "kemarin"},
               {"id": "z", "title": "a", "body": "b", "published": "2019-09-01"},
               {"id": "w", "title": "a", "body": "b"}]
    feed.write_text("".join(json.dumps(record) + "\n" for record in records))
    array = tmp_path / "feed.json"
    array.write_text(json.dumps(records))
    for path, where in ((feed, ["feed.jsonl:1", "feed.jsonl:2"]), (array, ["item 1", "item 2"])):
        items = list(read_documents([path]))
        documents = [item for item in items if not isinstance(item, InputProblem)]
        notes = [item for item in items if isinstance(item, InputProblem)]
        assert [doc.id for doc in documents] == ["x", "y", "z", "w"]  # none lost
        assert [note.doc_id for note in notes] == ["x", "y"] and not any(note.skipped for note in notes)
        assert "'2019-13-45' is not a date" in str(notes[0]) and "'kemarin'" in str(notes[1])
        assert all(place in str(note) for place, note in zip(where, notes))
