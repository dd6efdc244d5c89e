"""Stored fields read with positional reads (store/stored_reads.py): the same documents
Whoosh's own column readers decode, threads at once, and Whoosh's path where it must."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from scoring_corpus import build_fixture_index
from whoosh.codec.whoosh3 import STORED_COLUMN

import diplosearch
from diplosearch.errors import CorruptIndexError
from diplosearch.store import stored_reads
from diplosearch.store.stored_reads import positional_reader


@pytest.fixture(scope="module")
def fixture_index(tmp_path_factory):  # type: ignore[no-untyped-def]
    index = build_fixture_index(tmp_path_factory.mktemp("stored") / "ix")
    yield index
    index.close()


def _whoosh_documents(reader) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """Every document's stored fields as each segment's Whoosh column reader decodes them."""
    documents = []
    for leaf, _offset in reader.leaf_readers():
        for local in range(leaf.doc_count_all()):
            documents.append(dict(leaf._perdoc.stored_fields(local) or {}))
    return documents


def test_every_document_reads_as_whoosh_decodes_it(fixture_index) -> None:  # type: ignore[no-untyped-def]
    with fixture_index.snapshot() as snapshot:
        leaves = list(snapshot.reader.leaf_readers())
        assert len(leaves) > 2  # several segments, so the doc number offsets count
        expected = _whoosh_documents(snapshot.reader)
        read = positional_reader(leaves)
        assert read is not None
        assert [read(docnum) for docnum in range(len(expected))] == expected
        # the snapshot reads this way, deleted documents' numbers aside
        documents = snapshot.documents(range(len(expected)))
        assert snapshot._reads_positional
        assert [document.id for document in documents] == [stored["id"] for stored in expected]


def test_threads_read_at_once_and_each_gets_its_documents(fixture_index) -> None:  # type: ignore[no-untyped-def]
    with fixture_index.snapshot() as snapshot:
        expected = _whoosh_documents(snapshot.reader)
    read = None
    failures: list[str] = []
    start = threading.Barrier(8)

    def reader_thread(step: int) -> None:
        start.wait()
        for docnum in list(range(len(expected)))[step % 3 :: 1 + step % 4]:
            if read(docnum) != expected[docnum]:  # type: ignore[misc]
                failures.append(f"{step}: {docnum}")

    with fixture_index.snapshot() as snapshot:
        read = positional_reader(list(snapshot.reader.leaf_readers()))
        threads = [threading.Thread(target=reader_thread, args=(step,)) for step in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not failures


def test_without_pread_documents_are_read_through_whoosh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = build_fixture_index(tmp_path / "ix")
    monkeypatch.delattr(os, "pread")
    try:
        with index.snapshot() as snapshot:
            assert positional_reader(list(snapshot.reader.leaf_readers())) is None
            expected = _whoosh_documents(snapshot.reader)
            documents = snapshot.documents(range(len(expected)))
            assert not snapshot._reads_positional
            assert [document.id for document in documents] == [stored["id"] for stored in expected]
    finally:
        index.close()


def test_a_short_read_or_a_closed_file_is_an_error_never_other_bytes(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    index = build_fixture_index(tmp_path / "ix")
    real_pread = os.pread
    monkeypatch.setattr(stored_reads.os, "pread", lambda fd, length, at: real_pread(fd, length, at)[:-1])
    with index.snapshot() as snapshot:
        read = positional_reader(list(snapshot.reader.leaf_readers()))
        assert read is not None
        with pytest.raises(ValueError, match="bytes"):
            read(0)
    monkeypatch.undo()

    with index.snapshot() as snapshot:
        read = positional_reader(list(snapshot.reader.leaf_readers()))
        assert read is not None
        handles = [leaf._perdoc._cached_reader("_stored", STORED_COLUMN)._child._dbfile.file._file
                   for leaf, _offset in snapshot.reader.leaf_readers()]
    # a reader whose segment files were closed (its snapshot gone) must not read by
    # descriptor number, which the process may have given to another file since
    for handle in handles:
        handle.close()
    try:
        with pytest.raises(ValueError, match="closed"):
            read(0)
    finally:
        index.close()


def test_a_damaged_stored_record_is_reported_as_a_corrupt_index(tmp_path: Path) -> None:
    index = build_fixture_index(tmp_path / "ix")
    try:
        with index.snapshot() as snapshot:
            leaf, _offset = next(iter(snapshot.reader.leaf_readers()))
            column = leaf._perdoc._cached_reader("_stored", STORED_COLUMN)._child
            where = column._dbfile.file._offset + column._basepos + column._offsets[0]
            segment_file = column._dbfile.file._file.name
        with open(segment_file, "r+b") as handle:  # the first document's compressed bytes
            handle.seek(where + 2)
            handle.write(b"\xff\xff\xff\xff")
        index.close()
        index = diplosearch.open_index(tmp_path / "ix")
        with index.snapshot() as snapshot:
            with pytest.raises(CorruptIndexError):
                snapshot.documents([0])
            assert snapshot._reads_positional
    finally:
        index.close()
