"""A page without snippets names its hits from the columns and reads each hit's
document when first asked for, from the commit that was searched."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pytest

from diplosearch import Document, Quote, open_index
from diplosearch.search import Hit


def _documents(count: int, word: str = "diplomasi") -> list[Document]:
    return [
        Document(
            id=f"doc-{number}",
            title=f"Kunjungan {word} nomor {number}" if number % 3 else f"Menteri membahas {word} ke-{number}",
            title_is_derived=not number % 3,  # made up from the text: stored, not indexed as a title
            body=f"Menteri luar negeri membahas {word} dan perdagangan, pertemuan ke-{number}. Isi lain.",
            quotes=(Quote(f"Kami mendukung {word}", "Menlu"),) if number % 2 else (),
            source="kompas.com",
        )
        for number in range(count)
    ]


@pytest.fixture
def ix(tmp_path: Path):
    with open_index(tmp_path / "ix", create=True) as index:
        index.add_many(_documents(12)[:6])
        index.add_many(_documents(12)[6:])  # two segments: hits come from both
        yield index


def test_hits_without_snippets_name_the_documents_that_hits_with_snippets_read(ix) -> None:
    bare = ix.search("diplomasi", limit=20, snippets=0)
    full = ix.search("diplomasi", limit=20, snippets=2)
    assert bare.total == full.total == 12
    assert [(h.id, h.title, h.score, h.matched_terms) for h in bare.hits] == [
        (h.id, h.title, h.score, h.matched_terms) for h in full.hits
    ]
    for lazy, eager in zip(bare.hits, full.hits):
        assert lazy.document == eager.document
        assert lazy.title == lazy.document.title  # a derived title (no headline) too
    assert any(h.title and h.document.title_is_derived for h in bare.hits)


def test_a_hits_document_is_the_one_in_the_commit_searched(ix) -> None:
    results = ix.search("diplomasi", limit=20, snippets=0)
    first = results.hits[0]
    ix.update(Document(id=first.id, title="Judul baru sama sekali", body="Isi baru tentang diplomasi."))
    ix.delete(results.hits[1].id)
    newer = ix.search("diplomasi", limit=20, snippets=0)  # swaps in the newer commit
    assert results.hits[1].id not in [h.id for h in newer.hits]
    assert first.document.title != "Judul baru sama sekali"
    assert first.document.id == first.id
    assert results.hits[1].document.id == results.hits[1].id  # deleted since, still readable here
    assert [h for h in newer.hits if h.id == first.id][0].document.title == "Judul baru sama sekali"


def test_the_commit_searched_is_closed_once_its_hits_are_dropped(ix) -> None:
    results = ix.search("diplomasi", snippets=0)
    with ix.snapshot() as snapshot:
        reader = snapshot.reader
    ix.add(Document(id="later", title="Diplomasi", body="diplomasi lagi"))
    ix.search("diplomasi", snippets=0)  # the newer commit is searched; the old one is kept
    assert not reader.is_closed
    assert results.hits[0].document.id == results.hits[0].id
    hit = results.hits[0]
    del results
    gc.collect()
    assert not reader.is_closed  # one hit is enough to keep it
    del hit
    gc.collect()
    assert reader.is_closed


def test_hits_read_after_the_index_is_closed_then_let_it_go(tmp_path: Path) -> None:
    index = open_index(tmp_path / "ix", create=True)
    index.add_many(_documents(5))
    results = index.search("diplomasi", snippets=0)
    with index.snapshot() as snapshot:
        reader = snapshot.reader
    index.close()
    assert [h.document.id for h in results.hits] == [h.id for h in results.hits]
    del results
    gc.collect()
    assert reader.is_closed


def test_threads_read_the_documents_of_one_page(ix) -> None:
    results = ix.search("diplomasi", limit=12, snippets=0)
    expected = {h.id: ix.get(h.id) for h in results.hits}
    seen: list[list[Document]] = []

    def read() -> None:
        seen.append([h.document for h in results.hits])

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 4
    for documents in seen:
        assert [d.id for d in documents] == [h.id for h in results.hits]
        assert all(d == expected[d.id] for d in documents)


def test_a_hit_made_by_hand_carries_its_document_or_says_it_has_none() -> None:
    document = Document(id="a", title="Judul", body="isi")
    assert Hit(rank=1, id="a", title="Judul", score=1.0, matched_terms=1, snippets=[], document=document).document is document
    from diplosearch.errors import DocumentError

    with pytest.raises(DocumentError):
        Hit(rank=1, id="a", title="Judul", score=1.0, matched_terms=1, snippets=[]).document  # noqa: B018


def test_a_stored_document_that_cannot_be_read_is_a_corrupt_index_error(ix, monkeypatch) -> None:
    from diplosearch import CorruptIndexError
    from diplosearch.store.snapshot import Snapshot

    results = ix.search("diplomasi", snippets=0)

    def damaged(self, docnum):  # type: ignore[no-untyped-def]
        raise ValueError("Error -3 while decompressing data: invalid stored block lengths")

    monkeypatch.setattr(Snapshot, "_stored_reader", lambda self: damaged.__get__(self))
    with pytest.raises(CorruptIndexError, match="cannot read stored documents"):
        results.hits[0].document  # noqa: B018
    with pytest.raises(CorruptIndexError, match="cannot read stored documents"):
        ix.search("diplomasi", snippets=2)


def test_results_pickle_with_what_was_read_and_say_what_needs_the_index(tmp_path: Path) -> None:
    import copy
    import pickle
    import shutil

    from diplosearch.errors import DiplosearchError, QueryError

    with open_index(tmp_path / "ix", create=True) as index:
        index.add_many(_documents(12))
        full = index.search("diplomasi", limit=5, facets=["source"])
        bare = index.search("diplomasi", limit=5, snippets=0)
        read_first = bare.hits[0].document
        misspelt = index.search("diplomazi")
        suggested = misspelt.suggestion
        unasked = index.search("diplomazi")
        by_date = index.search("diplomasi", sort="newest", snippets=0)
        pickled = [pickle.dumps(results) for results in (full, bare, misspelt, unasked, by_date)]
        assert copy.copy(unasked).suggestion == suggested and copy.copy(full.hits[0]).explain().lines()
    shutil.rmtree(tmp_path / "ix")  # nothing of the index travels
    full_copy, bare_copy, misspelt_copy, unasked_copy, by_date_copy = map(pickle.loads, pickled)
    assert full_copy == full and bare_copy == bare and full_copy.facets == full.facets == {"source": [("kompas.com", 12)]}
    assert [h.snippets for h in full_copy] == [h.snippets for h in full] and full_copy.hits[0].snippets
    assert [h.document for h in full_copy] == [h.document for h in full]
    assert bare_copy.hits[0].document == read_first
    assert suggested is not None and misspelt_copy.suggestion == suggested
    for needs_the_index in (lambda: bare_copy.hits[1].document, lambda: full_copy.hits[0].explain(),
                            lambda: unasked_copy.suggestion):
        with pytest.raises(DiplosearchError, match="pickled|unpickled") as error:
            needs_the_index()
        assert not isinstance(error.value, QueryError)
    with pytest.raises(QueryError, match="not ranked by relevance"):  # as before pickling
        by_date_copy.hits[0].explain()
