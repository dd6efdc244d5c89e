"""The lean segment writer: segments byte-identical to stock Whoosh 2.7's, column files
from its own postings equal to the ones read back from the finished segment, and a
bounded pool that spreads one commit over several segments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import whoosh.index
from whoosh.filedb.filestore import FileStorage
from whoosh.qparser import QueryParser
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from diplosearch import Document, open_index
from diplosearch.analysis.analyzer import IndonesianAnalyzer
from diplosearch.documents import Quote
from diplosearch.schema import build_schema, stored_fields
from diplosearch.store import lean_writer, parallel
from diplosearch.store.columns import column_file_name, load_columns, write_columns
from diplosearch.store.columns_upgrade import build_columns
from diplosearch.store.lean_writer import LeanSegmentWriter, delete_written

WORDS = ("presiden menteri diplomasi ekonomi perdagangan kawasan delegasi kemitraan investasi "
         "negara-negara berkunjung mengatakan pembangunan jalan café naïve 北京 ulang-alik").split()


def article(i: int, *, repeat: int = 0) -> Document:
    """A varied article: every document shares 'berita' (several posting blocks),
    repeated words, reduplication, non-ASCII, optional fields left out."""
    body = " ".join(WORDS[(i * 7 + k * k) % len(WORDS)] for k in range(3 + i % 40)) + " berita" * (1 + i % 3)
    return Document(
        id=f"a{i}",
        title=f"Berita {i} {WORDS[i % len(WORDS)]}" if i % 5 else "",
        title_is_derived=i % 5 == 0,
        body=body + ("" if not repeat else f" koreksi {repeat}"),
        quotes=(Quote(f"kami {WORDS[i % 11]} kami", "Juru Bicara"),) if i % 3 == 0 else (),
        captions=(f"Foto {WORDS[i % 13]}",) if i % 4 == 0 else (),
        source=("kompas", "Detik", "kompas", "detik", None)[i % 5],  # one value in over 128 documents
        published=dt.datetime(2019, 1 + i % 12, 1 + i % 28, i % 24, 7 * i % 60) if i % 6 else None,
        category=("Politik", "ekonomi", None)[i % 3],
        sub_category="Nasional" if i % 2 else None,
    )


def whoosh_fields(i: int) -> dict[str, object]:
    fields = stored_fields(article(i), fingerprint=f"f{i}")
    if i % 17 == 0:  # boosts give weights that are not whole numbers
        fields["_boost"] = 1.5
        fields["_title_boost"] = 2.25
    if i % 19 == 0:  # a text field given as a list of words takes Whoosh's generic path
        fields["captions"] = ["daftar", "kata", "daftar"]
    return fields


def write_segment(folder: Path, writer_class, count: int, **options) -> tuple[str, FileStorage]:  # type: ignore[no-untyped-def]
    folder.mkdir()
    storage = FileStorage(str(folder))
    ix = storage.create_index(build_schema(IndonesianAnalyzer()), indexname="MAIN")
    writer = writer_class(ix, **options)
    for i in range(count):
        writer.add_document(**whoosh_fields(i))
    writer.commit(merge=False)
    (segment,) = ix._read_toc().segments
    return segment.segment_id(), storage


def segment_files(folder: Path, segment_id: str) -> dict[str, bytes]:
    return {p.name[len(segment_id):]: p.read_bytes() for p in folder.iterdir()
            if p.name.startswith(segment_id) and not p.name.endswith(".dcol")}


def test_segment_files_are_byte_identical_to_stock_whoosh(tmp_path):
    stock_id, _ = write_segment(tmp_path / "stock", SegmentWriter, 400, compound=False)
    lean_id, _ = write_segment(tmp_path / "lean", LeanSegmentWriter, 400, compound=False)
    stock, lean = segment_files(tmp_path / "stock", stock_id), segment_files(tmp_path / "lean", lean_id)
    assert {".trm", ".pst", "._stored.col", "._body_len.col"} <= set(stock)  # terms, postings, stored fields, lengths
    assert sorted(lean) == sorted(stock)
    for suffix in stock:
        assert lean[suffix] == stock[suffix], suffix


def term_infos(searcher, field: str) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    return [(text, info.weight(), info.doc_frequency(), info.min_length(), info.max_length(), info.max_weight(),
             info.min_id(), info.max_id()) for text, info in searcher.reader().iter_field(field)]


def test_stock_whoosh_reads_and_searches_a_lean_segment_as_its_own(tmp_path):
    _, stock_storage = write_segment(tmp_path / "stock", SegmentWriter, 300)
    _, lean_storage = write_segment(tmp_path / "lean", LeanSegmentWriter, 300)
    stock_ix = whoosh.index.open_dir(stock_storage.folder, indexname="MAIN")
    lean_ix = whoosh.index.open_dir(lean_storage.folder, indexname="MAIN")
    with stock_ix.searcher() as stock, lean_ix.searcher() as lean:
        for field in ("body", "title", "quotes", "captions", "lead", "id", "source"):
            assert term_infos(lean, field) == term_infos(stock, field)
            assert lean.reader().field_length(field) == stock.reader().field_length(field)
        for docnum in range(300):
            assert lean.stored_fields(docnum) == stock.stored_fields(docnum)
            assert lean.reader().doc_field_length(docnum, "body") == stock.reader().doc_field_length(docnum, "body")
        postings = list(lean.reader().iter_postings())
        assert postings == list(stock.reader().iter_postings())
        assert len(postings) > 1000
        parser = QueryParser("body", lean_ix.schema)
        for text in ("berita", "presiden OR ekonomi", '"berita berita"', "title:berita -body:jalan", "negara"):
            query = parser.parse(text)
            found = [(hit.docnum, hit.score) for hit in lean.search(query, limit=None)]
            assert found == [(hit.docnum, hit.score) for hit in stock.search(query, limit=None)]
            assert found, text


def test_a_failing_document_leaves_nothing_behind(tmp_path):
    storage = FileStorage(str(tmp_path))
    ix = storage.create_index(build_schema(IndonesianAnalyzer()), indexname="MAIN")
    writer = LeanSegmentWriter(ix)
    writer.add_document(**whoosh_fields(1))
    with pytest.raises(ValueError):
        writer.add_document(**{**whoosh_fields(2), "body": 42})  # not text: the field cannot be analysed
    writer.add_document(**whoosh_fields(3))
    writer.commit(merge=False)
    with ix.searcher() as searcher:
        assert searcher.doc_count() == 2
        assert [searcher.stored_fields(n)["id"] for n in range(2)] == ["a1", "a3"]
        assert {docnum for _f, _t, docnum, _w, _v in searcher.reader().iter_postings()} == {0, 1}


def assert_same_columns(written, rebuilt) -> None:  # type: ignore[no-untyped-def]
    assert written.doc_count == rebuilt.doc_count
    assert written.vocabulary.blob == rebuilt.vocabulary.blob
    assert np.array_equal(written.vocabulary.offsets, rebuilt.vocabulary.offsets)
    assert sorted(written.fields) == sorted(rebuilt.fields)
    for field, ours in written.fields.items():
        theirs = rebuilt.fields[field]
        assert ours.total_length == theirs.total_length, field
        for name in ("pointers", "docs", "weights", "position_pointers", "positions", "length_codes"):
            a, b = getattr(ours, name), getattr(theirs, name)
            assert a.dtype == b.dtype and np.array_equal(a, b), (field, name)
    assert np.array_equal(written.published_days, rebuilt.published_days)
    assert np.array_equal(written.published_seconds, rebuilt.published_seconds)
    for name, column in written.values.items():
        other = rebuilt.values[name]
        assert (column.keys, column.labels) == (other.keys, other.labels), name
        assert np.array_equal(column.ids, other.ids), name


def assert_column_files_match_segments(path: Path, rebuilt_folder: Path) -> list[object]:
    """Each committed segment's column file equals, array by array and byte for byte,
    the one read back from the finished segment."""
    ix = whoosh.index.open_dir(str(path), indexname="MAIN")
    toc = ix._read_toc()
    rebuilt_folder.mkdir()
    for segment in toc.segments:
        reader = SegmentReader(ix.storage, toc.schema, segment)
        try:
            rebuilt = build_columns(reader, segment)
        finally:
            reader.close()
        assert_same_columns(load_columns(path, segment), rebuilt)
        name = column_file_name(segment.segment_id())
        write_columns(rebuilt_folder, segment.segment_id(), rebuilt, durable=False)
        assert (path / name).read_bytes() == (rebuilt_folder / name).read_bytes()
    return toc.segments


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("limit_mb", [None, 0.02])
def test_column_files_from_the_pool_equal_columns_read_from_the_segment(tmp_path, monkeypatch, workers, limit_mb):
    monkeypatch.setattr(parallel, "PARALLEL_MIN_DOCS", 20)
    if limit_mb is not None:  # a tiny bound: every commit spreads over several segments
        monkeypatch.setattr(lean_writer, "DEFAULT_LIMIT_MB", limit_mb)
    path = tmp_path / "ix"
    with open_index(path, create=True) as ix:
        # A repeated id with new content in one commit: the first is retracted.
        first = [article(i) for i in range(120)] + [article(7, repeat=1), article(60, repeat=2)]
        ix.add_many(first, workers=workers)
        for start in range(120, 220, 10):  # small commits, which Whoosh merges at later commits
            ix.add_many([article(i) for i in range(start, start + 10)] + [article(start + 3, repeat=3)],
                        workers=workers, commit_every=6)
        ix.delete("a5")
        ix.add_many([article(i, repeat=4) for i in range(10, 40)], workers=workers)  # replacements
        segments = assert_column_files_match_segments(path, tmp_path / "rebuilt")
        assert sum(s.doc_count_all() for s in segments) > sum(s.doc_count() for s in segments)  # deletions
        assert ix.search("koreksi", limit=500, snippets=0).total == 30 + 2 + 10
        assert ix.search("berita", limit=500, snippets=0).total == 219
        if limit_mb is None:
            assert len(segments) < 10  # 23 commits: Whoosh merged small segments at commit
        else:
            assert len(segments) > 12  # one commit's documents were written in several segments


def test_helpers_and_rolled_segments_leave_each_retracted_document_deleted(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_MIN_DOCS", 10)
    monkeypatch.setattr(lean_writer, "DEFAULT_LIMIT_MB", 0.01)
    with open_index(tmp_path / "ix", create=True) as ix:
        batch = [article(i) for i in range(200)] + [article(i, repeat=5) for i in range(0, 200, 7)]
        ix.add_many(batch, workers=2)
        assert ix.search("koreksi", limit=500, snippets=0).total == len(range(0, 200, 7))
        assert ix.stats().documents == 200
        assert len(assert_column_files_match_segments(ix.path, tmp_path / "rebuilt")) > 3


def test_delete_written_maps_running_numbers_onto_segments():
    class Segment:
        def __init__(self, count: int) -> None:
            self.count, self.deleted = count, set()

        def doc_count_all(self) -> int:
            return self.count

        def delete_document(self, docnum: int) -> None:
            self.deleted.add(docnum)

    segments = [Segment(3), Segment(0), Segment(4)]
    delete_written(segments, [0, 2, 3, 6])
    assert [s.deleted for s in segments] == [{0, 2}, set(), {0, 3}]
    with pytest.raises(IndexError):
        delete_written(segments, [7])


def test_positions_decoded_in_chunks_equal_positions_decoded_at_once(monkeypatch):
    from whoosh.formats import Positions

    from diplosearch.store import columns_upgrade

    rng = np.random.default_rng(5)
    lists = [sorted(set(rng.integers(0, 400, rng.integers(1, 6)).tolist())) for _ in range(250)]
    fmt = Positions()
    for wide_at in (None, 7, 240):  # no, an early, a late position past 65,535 (uint32)
        if wide_at is not None:
            lists[wide_at] = [3, 70_000]
        encoded = [fmt.encode(p) for p in lists]
        whole = columns_upgrade._decode_positions(encoded)
        monkeypatch.setattr(columns_upgrade, "_DECODE_CHUNK", 32)
        chunked = columns_upgrade._decode_positions_in_chunks(encoded)
        monkeypatch.undo()
        for a, b in zip(chunked, whole):
            assert a.dtype == b.dtype and np.array_equal(a, b)
