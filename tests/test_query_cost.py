"""One query cannot hold the others up, and the work of any query is bounded
(measured in posting lists read, never in seconds)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from diplosearch import Document, open_index
from diplosearch import scoring
from diplosearch.store import commit_columns

VOCABULARY = [f"kata{n}" for n in range(400)]


@pytest.fixture
def ix(tmp_path: Path):
    docs = [
        Document(id=f"d{i}", title=f"judul {VOCABULARY[i % 400]}",
                 body=" ".join(VOCABULARY[(i * 7 + k) % 400] for k in range(40)))
        for i in range(300)
    ]
    with open_index(tmp_path / "ix", create=True) as index:
        index.add_many(docs)
        yield index


def test_a_search_finishes_while_another_thread_is_inside_a_slow_query(ix, monkeypatch):
    # The slow query is held inside the scorer until the quick one has finished: if
    # readers queued behind each other (1.0 held the index's lock for the whole search),
    # the quick search could never finish and the test would fail on the timeout.
    inside, release = threading.Event(), threading.Event()
    real_rank = scoring.rank

    def rank(commit, root, **options):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "slow":
            inside.set()
            assert release.wait(60)
        return real_rank(commit, root, **options)

    monkeypatch.setattr(scoring, "rank", rank)
    slow = threading.Thread(target=lambda: ix.search(" ".join(VOCABULARY[:200])), name="slow")
    slow.start()
    try:
        assert inside.wait(60)
        quick = ix.search("kata7", snippets=1)
        assert quick.total > 0
    finally:
        release.set()
        slow.join(60)
    assert not slow.is_alive()


def test_the_longest_query_reads_a_bounded_number_of_posting_lists(ix, monkeypatch):
    reads = []
    real_postings = commit_columns._postings

    def counting(view, fields, text):  # type: ignore[no-untyped-def]
        reads.append(text)
        return real_postings(view, fields, text)

    monkeypatch.setattr(commit_columns, "_postings", counting)
    typical = ix.search("kata1 kata2 kata3", snippets=0)
    typical_reads = len(reads)
    reads.clear()
    words = " ".join(VOCABULARY)  # 400 distinct words, 3,189 characters: cut to the limit
    longest = ix.search(words[:2000], snippets=0)
    assert len(set(reads)) <= 64
    assert longest.dropped and len(longest.dropped) + 64 == len(set(words[:2000].split()))
    assert len(reads) <= 25 * typical_reads  # the bound: about 20x a typical query
    assert longest.total > typical.total


def test_snippets_of_a_huge_document_look_only_at_its_indexed_part(tmp_path, monkeypatch):
    import diplosearch.highlight as highlight
    from diplosearch.schema import MAX_INDEXED_CHARS

    scanned = []
    real = highlight._matching  # what make_snippets finds matches with

    def counting(text, spaced, terms, analyzer):  # type: ignore[no-untyped-def]
        scanned.append(len(text))
        return real(text, spaced, terms, analyzer)

    monkeypatch.setattr(highlight, "_matching", counting)
    body = "awal berita diplomasi " + "kata biasa " * (3 * MAX_INDEXED_CHARS // 11) + " banjir di akhir"
    with open_index(tmp_path / "big", create=True) as index:
        index.add(Document(id="besar", title="Dokumen besar", body=body))
        hit = index.search("diplomasi").hits[0]
        assert "[[diplomasi]]" in hit.snippets[0]
        assert index.search("banjir").total == 0  # past the indexed part: not a match
    assert scanned and max(scanned) <= MAX_INDEXED_CHARS < len(body)


def test_matched_terms_stay_counts_whatever_the_field_weights(ix):
    plain = {h.id: h.matched_terms for h in ix.search("kata1 kata2 judul", limit=50, snippets=0).hits}
    heavy = ix.search("kata1 kata2 judul", limit=50, snippets=0, boosts={"title": 1e6, "body": 0})
    assert {h.id: h.matched_terms for h in heavy.hits} == plain
    assert all(1 <= h.matched_terms <= 3 for h in heavy.hits)
