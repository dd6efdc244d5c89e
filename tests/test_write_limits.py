"""What one write may do: a batch is one commit even when it repeats an id (the last
record wins and the report says so), and a huge field is indexed only up to a cap,
reported, and stored whole."""

from __future__ import annotations

import pytest

from diplosearch import Document, open_index
from diplosearch.schema import MAX_INDEXED_CHARS
from diplosearch.store.integrity import latest_generation


@pytest.fixture
def ix(tmp_path):
    with open_index(tmp_path / "ix", create=True) as index:
        index.add(Document(id="a", title="Judul lama", body="isi lama"))
        yield index


@pytest.mark.parametrize("workers", [1, 2])
def test_a_batch_repeating_ids_is_one_commit_and_the_last_record_wins(ix, workers):
    before = latest_generation(ix.path)
    filler = [Document(id=f"f{i}", title=f"Isian {i}", body=f"isi nomor {i}") for i in range(1200)]
    batch = [
        Document(id="a", title="Judul lama", body="isi lama"),  # unchanged, then replaced below
        Document(id="f5", title="Versi satu", body="pertama"),
        *filler,  # past the point where helper processes take documents
        Document(id="a", title="Judul baru", body="isi baru"),
        Document(id="f5", title="Versi dua", body="kedua"),
        Document(id="f1100", title="Versi akhir", body="terakhir"),
    ]
    report = ix.add_many(batch, workers=workers)
    assert latest_generation(ix.path) == before + 1, "the batch was committed more than once"
    assert len(ix) == 1201
    assert ix.get("a").title == "Judul baru"
    assert ix.get("f5").title == "Versi dua"
    assert ix.get("f1100").title == "Versi akhir"
    assert ix.search("pertama").total == 0 and ix.search("kedua").total == 1
    assert ix.search("nomor").total == 1198  # f5 and f1100 were replaced by their last records
    assert "a" in report.replaced and "a" not in report.unchanged
    repeated = [str(p) for p in report.problems]
    assert len(repeated) == 4 and all("repeated" in p and "last record" in p for p in repeated)


def test_repeating_an_identical_record_changes_nothing_but_is_reported(ix):
    report = ix.add_many([Document(id="b", title="t", body="isi")] * 2)
    assert report.added == ("b",) and len(report.problems) == 1
    assert len(ix) == 2


def test_a_huge_field_is_indexed_up_to_the_cap_reported_and_stored_whole(ix):
    early, late = "awalnya", "akhirnya"
    body = f"{early} " + "kata " * (MAX_INDEXED_CHARS // 5) + f"{late} penutup"
    assert ix.add(Document(id="besar", title="Dokumen besar", body=body))
    report = ix.add_many([Document(id="besar2", title="Dokumen besar", body=body)])
    assert report.added == ("besar2",)
    assert [p.message for p in report.problems] == [
        f"body has {len(body):,} characters: only the first {MAX_INDEXED_CHARS:,} are indexed (all are stored)"
    ]
    assert ix.get("besar2").body == body
    assert {h.id for h in ix.search(early).hits} == {"besar", "besar2"}
    assert ix.search(late).total == 0
