"""The index: creating, opening, writing, versions, the default index, where indexes live."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import diplosearch
from diplosearch import Document, open_index
from diplosearch.analysis.analyzer import IndonesianAnalyzer
from diplosearch.analysis.stemmer import NoStemmer
from diplosearch.errors import (
    CorruptIndexError,
    DocumentError,
    IndexNotFoundError,
    IndexVersionError,
    NotAnIndexError,
)
from diplosearch.store import home


def doc(doc_id: str, title: str = "Judul", body: str = "isi berita tentang diplomasi", **extra) -> Document:
    return Document(id=doc_id, title=title, body=body, **extra)


@pytest.fixture
def ix(tmp_path: Path):
    with open_index(tmp_path / "berita", create=True) as index:
        yield index


def test_create_then_reopen_keeps_documents_and_all_fields(tmp_path: Path):
    original = Document(
        id="a1",
        title="Kunjungan Menlu",
        body="Menlu tiba di Hanoi.",
        quotes=[diplosearch.Quote("Kerja sama kita makin erat", "Bui Thanh Son")],
        captions=("Menlu di bandara (Foto: Kemenlu)",),
        source="VOVWORLD",
        url="https://example.org/a1",
        published="2023-12-19",
        path="a1.txt",
    )
    with open_index(tmp_path / "ix", create=True) as ix:
        assert ix.add(original) is True
    with open_index(tmp_path / "ix") as reopened:
        assert len(reopened) == 1
        assert reopened.get("a1") == original


def test_readding_an_unchanged_document_is_a_no_op(ix):
    assert ix.add(doc("a1")) is True
    assert ix.add(doc("a1")) is False
    report = ix.add_many([doc("a1"), doc("a2")])
    assert report.unchanged == ("a1",) and report.added == ("a2",)
    assert len(ix) == 2


def test_adding_a_changed_document_replaces_it(ix):
    ix.add(doc("a1", body="versi pertama"))
    report = ix.add_many([doc("a1", body="versi kedua")])
    assert report.replaced == ("a1",)
    assert len(ix) == 1 and ix.get("a1").body == "versi kedua"


def test_a_later_duplicate_id_in_one_batch_wins(ix):
    ix.add_many([doc("a1", body="lama"), doc("a2"), doc("a1", body="baru")])
    assert len(ix) == 2
    assert ix.get("a1").body == "baru"


def test_update_replaces_and_refuses_unknown_ids(ix):
    ix.add(doc("a1", body="lama"))
    assert ix.update(doc("a1", body="baru")) is True
    assert ix.get("a1").body == "baru"
    with pytest.raises(DocumentError, match="zz"):
        ix.update(doc("zz"))


def test_delete_by_id(ix):
    ix.add_many([doc("a1"), doc("a2")])
    assert ix.delete("a1") is True
    assert ix.delete("a1") is False
    assert "a1" not in ix and "a2" in ix


def test_invalid_documents_are_refused_and_nothing_of_the_batch_is_committed(ix):
    ix.add(doc("a0"))
    with pytest.raises(DocumentError):
        ix.add_many([doc("a1"), Document(id="kosong", title=" ", body="")])
    assert sorted(d.id for d in ix.documents()) == ["a0"]


def test_an_exception_mid_batch_leaves_the_last_commit_intact(ix):
    ix.add(doc("a0"))

    def batch():
        yield doc("a1")
        yield doc("a2")
        raise RuntimeError("scraper died")

    with pytest.raises(RuntimeError):
        ix.add_many(batch())
    assert [d.id for d in ix.documents()] == ["a0"]
    assert ix.add(doc("a1")) is True  # the lock was released


def test_missing_index_names_the_path(tmp_path: Path):
    with pytest.raises(IndexNotFoundError, match=str(tmp_path / "nope")):
        open_index(tmp_path / "nope")


def test_a_directory_that_is_not_an_index_is_refused(tmp_path: Path):
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("bukan indeks")
    with pytest.raises(NotAnIndexError, match="not a diplosearch index"):
        open_index(folder)
    with pytest.raises(NotAnIndexError):
        open_index(folder, create=True)


def test_a_plain_whoosh_index_is_refused(tmp_path: Path):
    from whoosh import fields, index as whoosh_index

    whoosh_index.create_in(str(tmp_path), fields.Schema(x=fields.TEXT))
    with pytest.raises(NotAnIndexError, match="Whoosh index that diplosearch did not create"):
        open_index(tmp_path)


def test_a_damaged_manifest_is_reported_as_corrupt(tmp_path: Path):
    open_index(tmp_path / "ix", create=True).close()
    (tmp_path / "ix" / "diplosearch.json").write_text("{not json")
    with pytest.raises(CorruptIndexError, match=str(tmp_path / "ix")):
        open_index(tmp_path / "ix")


def test_missing_table_of_contents_is_reported_as_corrupt(tmp_path: Path):
    open_index(tmp_path / "ix", create=True).close()
    for toc in (tmp_path / "ix").glob("*.toc"):
        toc.unlink()
    with pytest.raises(CorruptIndexError):
        open_index(tmp_path / "ix")


def test_an_index_built_with_another_analysis_says_how_to_rebuild(tmp_path: Path):
    path = tmp_path / "ix"
    with open_index(path, create=True, analyzer=IndonesianAnalyzer(stemmer=NoStemmer())) as old:
        old.add(doc("a1", body="perkembangan diplomasi"))
    with pytest.raises(IndexVersionError, match="diplosearch rebuild --index"):
        open_index(path)
    assert diplosearch.rebuild_index(path, IndonesianAnalyzer()) == 1
    with open_index(path) as rebuilt:
        assert rebuilt.get("a1").body == "perkembangan diplomasi"
        assert rebuilt.search("perkembangan").total == 1
    assert json.loads((path / "diplosearch.json").read_text())["analysis_version"] == IndonesianAnalyzer().version


def test_default_index_is_built_from_the_bundled_corpus_on_first_use(isolated_index_home: Path):
    with open_index() as ix:
        assert len(ix) == len(home.bundled_corpus_files()) >= 2
        assert ix.path == isolated_index_home / "default"


def test_default_index_is_rebuilt_when_the_corpus_changes(isolated_index_home: Path, tmp_path: Path, monkeypatch):
    open_index().close()
    extra = tmp_path / "tambahan.txt"
    extra.write_text("Artikel Tambahan tentang Kopi\n\nKopi Indonesia diekspor ke banyak negara.\n")
    bundled = home.bundled_corpus_files()
    monkeypatch.setattr(home, "bundled_corpus_files", lambda: [*bundled, extra])
    with open_index() as ix:
        assert len(ix) == len(bundled) + 1
        assert ix.search("kopi").total == 1


def test_default_index_is_rebuilt_when_damaged(isolated_index_home: Path):
    open_index().close()
    (isolated_index_home / "default" / "diplosearch.json").write_text("rusak")
    with open_index() as ix:
        assert len(ix) >= 2


def test_environment_variable_selects_the_index(tmp_path: Path, monkeypatch):
    with open_index(tmp_path / "mine", create=True) as ix:
        ix.add(doc("satu"))
    monkeypatch.setenv("DIPLOSEARCH_INDEX", str(tmp_path / "mine"))
    with open_index() as ix:
        assert [d.id for d in ix.documents()] == ["satu"]


def test_bare_names_live_in_the_index_home(isolated_index_home: Path):
    with open_index("berita", create=True) as ix:
        assert ix.path == isolated_index_home / "berita"


def test_index_home_defaults_to_the_user_cache_outside_a_checkout(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("DIPLOSEARCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    home_dir = home.index_home()
    source_checkout = Path(home.__file__).resolve().parents[3]
    if (source_checkout / "indexes").is_dir() and (source_checkout / "pyproject.toml").is_file():
        assert home_dir == source_checkout / "indexes"
    else:
        assert home_dir == tmp_path / "cache" / "diplosearch"
    assert "site-packages" not in str(home_dir)


def test_stats_count_documents_and_terms(ix):
    ix.add_many([doc("a1", body="diplomasi ekonomi"), doc("a2", body="diplomasi budaya")])
    stats = ix.stats()
    assert stats.documents == 2
    assert stats.terms_per_field["body"] >= 3
    assert stats.size_bytes > 0 and stats.analysis_version == IndonesianAnalyzer().version


def test_a_closed_index_refuses_work_with_its_own_error(tmp_path: Path):
    ix = open_index(tmp_path / "ix", create=True)
    ix.add(Document(id="a", title="Diplomasi", body="Diplomasi bambu."))
    ix.close()
    calls = {
        "search": lambda: ix.search("diplomasi"),
        "similar": lambda: ix.similar("a"),
        "get": lambda: ix.get("a"),
        "len": lambda: len(ix),
        "documents": lambda: list(ix.documents()),
        "add": lambda: ix.add(Document(id="b", title="Baru", body="Isi baru.")),
        "delete": lambda: ix.delete("a"),
    }
    for name, call in calls.items():
        with pytest.raises(diplosearch.IndexClosedError, match="closed"):
            call()
    assert issubclass(diplosearch.IndexClosedError, diplosearch.DiplosearchError)
    with open_index(tmp_path / "ix") as again:  # closing one handle leaves the index whole
        assert again.get("a") is not None and again.get("b") is None


def test_update_does_not_recreate_a_document_deleted_before_it_takes_the_lock(ix, monkeypatch):
    from diplosearch.store import parallel

    ix.add(doc("a1", body="versi pertama"))
    other = open_index(ix.path)
    real_helpers = parallel.Helpers

    def deleting_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        other.delete("a1")  # another writer deletes the document just before update writes
        return real_helpers(*args, **kwargs)

    monkeypatch.setattr(parallel, "Helpers", deleting_first)
    with pytest.raises(diplosearch.DocumentError, match="a1"):
        ix.update(doc("a1", body="versi kedua"))
    other.close()
    assert "a1" not in ix and len(ix) == 0


def test_every_bad_argument_value_is_an_invalid_argument_error(ix):
    assert issubclass(diplosearch.InvalidArgumentError, (diplosearch.DiplosearchError, ValueError))
    assert issubclass(diplosearch.QueryError, diplosearch.InvalidArgumentError)
    for bad in ({"commit_every": 0}, {"workers": 0}, {"commit_every": "5"}):
        with pytest.raises(diplosearch.InvalidArgumentError):
            ix.add_many([doc("a1")], **bad)
    for bad in ({"limit": 0}, {"offset": -1}, {"boosts": {"title": -1}}):
        with pytest.raises(diplosearch.InvalidArgumentError):
            ix.search("diplomasi", **bad)
    assert len(ix) == 0


def test_writing_to_the_default_index_is_refused_with_a_clear_error():
    with pytest.raises(diplosearch.InvalidArgumentError, match="--index"):
        open_index(for_writing=True)


def test_delete_ids_names_the_ids_that_were_not_there(ix):
    ix.add_many([doc("a"), doc("b")])
    report = ix.delete_ids(["b", "nope", "a", "b", "juga-tidak"])
    assert report == diplosearch.DeleteReport(deleted=("b", "a"), missing=("nope", "juga-tidak"))
    assert len(ix) == 0


def test_an_id_is_looked_up_as_a_records_id_is_cleaned_when_none_has_it_as_given(ix, tmp_path: Path):
    from diplosearch.documents import cleaned_id
    from diplosearch.ingest.records import document_from_record

    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": " sp ", "title": "Banjir", "body": "Banjir melanda kota."}) + "\n"
                    + json.dumps({"id": "b\u0000  2", "title": "Banjir lagi", "body": "Banjir melanda desa."}) + "\n")
    ix.add_files([feed])
    assert sorted(d.id for d in ix.documents()) == ["b 2", "sp"]
    assert ix.get(" sp ").id == "sp" and " sp " in ix and ix.get(" b\u0000 2").id == "b 2"
    assert ix.similar(" sp ").query == ""  # found (an unknown id raises)
    # an id stored as given (through the API) is found as given first
    ix.add(Document(id=" b 2 ", title="Spasi", body="Isi."))
    assert ix.get(" b 2 ").title == "Spasi" and ix.get("b 2").title == "Banjir lagi"
    assert ix.delete_ids([" sp ", " b 2 ", "  nope "]) == diplosearch.DeleteReport(
        deleted=("sp", " b 2 "), missing=("  nope ",))
    assert ix.delete(" b 2 ") and len(ix) == 0
    # the lookup cleans as indexing a record does
    for raw in (" sp ", "a\u0000\t b", "caf\u0065\u0301 "):
        assert cleaned_id(raw) == document_from_record({"id": raw, "title": "T"}).id


def test_progress_callback_sees_every_document_and_the_total_when_known(ix):
    seen: list[diplosearch.Progress] = []
    docs = [doc(f"d{i}") for i in range(5)]
    ix.add_many(docs[:2])
    ix.add_many(docs, progress=seen.append, commit_every=2)
    assert [(p.done, p.written, p.total) for p in seen] == [(i, max(0, i - 2), 5) for i in range(1, 6)]
    assert all(p.elapsed >= 0 for p in seen)
    seen.clear()
    ix.add_many(iter([doc("d9")]), progress=seen.append)
    assert [(p.done, p.written, p.total) for p in seen] == [(1, 1, None)]
    with pytest.raises(diplosearch.InvalidArgumentError, match="progress"):
        ix.add_many([doc("x")], progress="yes")  # type: ignore[arg-type]


def test_a_progress_callback_that_raises_keeps_the_commits_before_it(ix):
    def stop_at_the_fifth(progress: diplosearch.Progress) -> None:
        if progress.done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ix.add_many([doc(f"d{i}") for i in range(10)], commit_every=2, progress=stop_at_the_fifth)
    assert len(ix) == 4


def test_stats_count_documents_per_source_and_the_date_range(ix):
    ix.add_many(
        [
            doc("a", source="Tempo.co", published="2019-09-16"),
            doc("b", source="Tempo.co", published="2019-01-02T08:00:00"),
            doc("c", source="Antara", published="2020-03-04"),
            doc("d"),
        ]
    )
    stats = ix.stats()
    assert stats.sources == {"Tempo.co": 2, "Antara": 1}
    assert (stats.earliest, stats.latest, stats.undated) == ("2019-01-02", "2020-03-04", 1)
    assert stats.size_mb == stats.size_bytes / 1_000_000


def test_a_format_written_as_text_is_shown_as_text_not_as_the_format_it_looks_like(tmp_path: Path):
    path = tmp_path / "ix"
    open_index(path, create=True).close()
    manifest = json.loads((path / "diplosearch.json").read_text())
    (path / "diplosearch.json").write_text(json.dumps({**manifest, "format": "2"}))
    with pytest.raises(IndexVersionError, match="format '2'; this diplosearch reads formats 1, 2"):
        open_index(path)  # was "has index format 2; this diplosearch reads format 2"
