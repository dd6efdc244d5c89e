"""The search columns as part of the store: written with every commit (before its table
of contents), rebuilt when missing or damaged, and never in the way of stock Whoosh."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import whoosh.index
from whoosh.qparser import QueryParser

from conftest import subprocess_env
from diplosearch import Document, open_index
from diplosearch.store import parallel

WORDS = "diplomasi ekonomi perdagangan kawasan presiden delegasi kemitraan investasi".split()


def docs(start: int, count: int) -> list[Document]:
    return [
        Document(id=f"d{i}", title=f"Berita {i} {WORDS[i % len(WORDS)]}",
                 body=" ".join(WORDS[(i + k) % len(WORDS)] for k in range(5 + i % 7)), source=f"s{i % 3}")
        for i in range(start, start + count)
    ]


def segments(path: Path) -> list[str]:
    toc = whoosh.index.open_dir(str(path), indexname="MAIN")._read_toc()
    return [segment.segment_id() for segment in toc.segments]


def page(ix, query: str) -> list[tuple[str, float, int]]:  # type: ignore[no-untyped-def]
    return [(h.id, h.score, h.matched_terms) for h in ix.search(query, limit=50, snippets=0).hits]


@pytest.mark.parametrize("workers", [1, 2])
def test_every_committed_segment_has_its_column_file(tmp_path, monkeypatch, workers):
    monkeypatch.setattr(parallel, "PARALLEL_MIN_DOCS", 10)
    with open_index(tmp_path / "ix", create=True) as ix:
        ix.add_many(docs(0, 40), workers=workers)  # with 2 workers a helper writes a segment too
        ix.add_many(docs(40, 5))
        ix.delete("d3")
        ids = segments(ix.path)
        assert len(ids) >= 2
        for segment_id in ids:
            assert (ix.path / f"{segment_id}.dcol").is_file()
        assert ix.search("diplomasi").total == sum(1 for d in docs(0, 45) if "diplomasi" in
                                                   (d.title + " " + d.body) and d.id != "d3")


def test_stock_whoosh_opens_and_searches_an_index_diplosearch_wrote(tmp_path):
    with open_index(tmp_path / "ix", create=True) as ix:
        ix.add_many(docs(0, 30))
        expected = ix.search("body:kemitraan", limit=100, snippets=0, coordination=False).total
    stock = whoosh.index.open_dir(str(tmp_path / "ix"), indexname="MAIN")
    with stock.searcher() as searcher:
        found = searcher.search(QueryParser("body", stock.schema).parse("kemitraan"), limit=None)
        assert len(found) == expected > 0


def _thirty_documents(tmp_path: Path, query: str) -> tuple[Path, Path, bytes, object]:
    """An index of 30 documents in one segment: (its path, the segment's column file,
    that file's bytes, the page ``query`` gives)."""
    path = tmp_path / "ix"
    with open_index(path, create=True) as ix:
        ix.add_many(docs(0, 30))
        before = page(ix, query)
    column_file = path / f"{segments(path)[0]}.dcol"
    return path, column_file, column_file.read_bytes(), before


@pytest.mark.parametrize("damage", ["missing", "truncated", "flipped"])
def test_a_missing_or_damaged_column_file_is_rebuilt_with_the_same_results(tmp_path, damage, caplog):
    path, column_file, good, before = _thirty_documents(tmp_path, "diplomasi presiden")
    if damage == "missing":
        column_file.unlink()
    elif damage == "truncated":
        column_file.write_bytes(good[: len(good) // 2])
    else:
        flipped = bytearray(good)
        flipped[-100] ^= 0x10  # inside the last array's data
        column_file.write_bytes(bytes(flipped))
    with caplog.at_level("WARNING", logger="diplosearch"), open_index(path) as ix:
        assert page(ix, "diplomasi presiden") == before
    assert any("building the search columns" in record.getMessage() for record in caplog.records)
    assert column_file.read_bytes() == good  # rebuilt from the segment, identical


def _flip_inside_array(column_file: Path, array: str) -> None:
    """Flip one bit in the middle of ``array``'s data in a column file."""
    data = bytearray(column_file.read_bytes())
    header_length = struct.unpack_from("<I", data, 12)[0]
    header = json.loads(bytes(data[20 : 20 + header_length]))
    entry = header["arrays"][array]
    size = np.dtype(entry["dtype"]).itemsize * int(np.prod(entry["shape"]))
    assert size > 0, array
    data_start = (20 + header_length + 63) // 64 * 64
    data[data_start + entry["offset"] + size // 2] ^= 0x08
    column_file.write_bytes(bytes(data))


@pytest.mark.parametrize("array", ["field.body.docs", "field.body.positions", "field.title.pointers",
                                   "union.docs", "union.weights", "union.pointers"])
def test_an_array_damaged_where_only_a_search_reads_it_is_found_then_rebuilt(tmp_path, array, caplog):
    # Text fields' arrays are verified on their first read, not at open: the search
    # that first reads the damaged one must neither use it nor fail.
    path, column_file, good, before = _thirty_documents(tmp_path, 'diplomasi "presiden delegasi"')
    _flip_inside_array(column_file, array)
    with caplog.at_level("WARNING", logger="diplosearch"), open_index(path) as ix:
        assert page(ix, 'diplomasi "presiden delegasi"') == before
        assert page(ix, 'diplomasi "presiden delegasi"') == before
    assert any("building the search columns" in record.getMessage() and array in record.getMessage()
               for record in caplog.records)
    assert column_file.read_bytes() == good  # rebuilt from the segment, identical


# Dies (SIGKILL) while the column file of its new segment is half written.
KILLED_WHILE_WRITING_COLUMNS = r"""
import os, signal, sys
sys.path.insert(0, sys.argv[2])
import diplosearch
from diplosearch.store import columns
from test_column_files import docs

real_write = columns.write_columns

def dying_write(folder, segment_id, cols, **options):
    path = real_write(folder, segment_id, cols, **options)
    data = open(path, "rb").read()
    os.unlink(path)
    with open(path + ".tmpkilled", "wb") as handle:  # as a kill mid-write leaves it
        handle.write(data[: len(data) // 3])
    os.kill(os.getpid(), signal.SIGKILL)

from diplosearch.store import lean_writer
lean_writer.write_columns = dying_write  # where a new segment's columns are written
ix = diplosearch.open_index(sys.argv[1])
ix.add_many(docs(100, 20))
"""


def test_a_writer_killed_while_writing_columns_leaves_the_last_commit(tmp_path, isolated_index_home):
    path = tmp_path / "ix"
    with open_index(path, create=True) as ix:
        ix.add_many(docs(0, 20))
        before = page(ix, "diplomasi kawasan")
    result = subprocess.run(
        [sys.executable, "-c", KILLED_WHILE_WRITING_COLUMNS, str(path), str(Path(__file__).parent)],
        env=subprocess_env(isolated_index_home), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == -9, result.stderr
    with open_index(path) as ix:
        assert len(ix) == 20
        assert page(ix, "diplomasi kawasan") == before
        ix.add_many(docs(200, 3))  # the next writer removes what the killed one left
        assert len(ix) == 23
    committed = set(segments(path))
    leftovers = [p.name for p in path.iterdir()
                 if p.name.startswith("MAIN_") and p.name != "MAIN_WRITELOCK" and p.name.split(".")[0] not in committed]
    assert not leftovers


def test_files_checked_in_the_background_are_handed_out_only_while_unchanged(tmp_path):
    from diplosearch.store import column_files

    path = tmp_path / "ix"
    with open_index(path, create=True) as ix:
        ix.add_many(docs(0, 30))
    column_file = path / f"{segments(path)[0]}.dcol"
    column_files.check_in_background(path)
    opened = column_files.take_opened(str(column_file))
    assert opened is not None and all(opened.verified(name) for name in opened.arrays)
    assert column_files.take_opened(str(column_file)) is None  # handed out once

    column_files.check_in_background(path)
    replacement = tmp_path / "replacement.dcol"
    replacement.write_bytes(column_file.read_bytes())
    later = column_file.stat().st_mtime_ns + 2_000_000_000
    os.utime(replacement, ns=(later, later))
    os.replace(replacement, column_file)  # same bytes, but replaced since: opened afresh
    assert column_files.take_opened(str(column_file)) is None

    column_files.check_in_background(path)
    column_files.forget_opened(path)  # as Index.close does
    assert column_files.take_opened(str(column_file)) is None


def test_the_background_check_takes_the_arrays_a_word_search_reads_first(tmp_path, monkeypatch):
    from diplosearch.store import column_files

    path = tmp_path / "ix"
    with open_index(path, create=True) as ix:
        ix.add_many(docs(0, 30))
    checked: list[str] = []
    real = column_files.MappedColumnFile._compute
    monkeypatch.setattr(column_files.MappedColumnFile, "_compute",
                        lambda self, name: checked.append(name) or real(self, name))
    opened = column_files.MappedColumnFile(str(path / f"{segments(path)[0]}.dcol"))
    opened._check_all_in_background()
    assert sorted(checked) == sorted(opened.arrays)
    first_field = min(i for i, name in enumerate(checked) if name.startswith("field."))
    assert checked[0].startswith("vocabulary")
    assert {name for name in checked[:first_field]} >= {"union.pointers", "union.docs", "union.weights",
                                                        "text.doc_ids", "text.titles"}
    assert all(".position" in name for name in checked[-4:])  # positions (phrases) last


def test_a_damaged_array_found_by_the_background_check_is_never_used(tmp_path):
    from diplosearch.store import column_files

    path = tmp_path / "ix"
    with open_index(path, create=True) as ix:
        ix.add_many(docs(0, 30))
    column_file = path / f"{segments(path)[0]}.dcol"
    _flip_inside_array(column_file, "field.body.weights")
    column_files.check_in_background(path)
    opened = column_files.take_opened(str(column_file))
    assert opened is not None
    assert not opened.verified("field.body.weights")
    assert opened.verified("field.body.docs")


def test_column_files_opened_ahead_are_let_go_once_the_columns_are_loaded(tmp_path):
    from diplosearch.store import column_files

    path = tmp_path / "ix"
    with open_index(path, create=True) as ix:
        ix.add_many(docs(0, 30))
    stray = path / "MAIN_deadsegment0000.dcol"  # a dead segment's file not yet cleaned up
    stray.write_bytes((path / f"{segments(path)[0]}.dcol").read_bytes())
    with open_index(path) as ix:
        assert page(ix, "diplomasi")
        assert not [p for p in column_files._opened_ahead if p.startswith(str(path))]


def test_a_segment_whose_documents_hold_only_stop_words_is_written(tmp_path):
    # its postings arrays are empty two-dimensional ones (no terms, a row per field)
    with open_index(tmp_path / "ix", create=True) as ix:
        ix.add_many(docs(0, 5))
        ix.add(Document(id="stop", title="", body="yang dan di"))
        assert len(ix) == 6 and "stop" in ix
        assert page(ix, "diplomasi") == page(ix, "diplomasi yang")
    with open_index(tmp_path / "ix") as ix:
        assert ix.get("stop").body == "yang dan di"
        assert ix.search("diplomasi", snippets=0).total > 0


def in_a_forked_child(check: Callable[[], bool]) -> bool:
    """``check()`` run in a child of ``os.fork()`` (which leaves at once, without the
    parent's clean-up): what it answered."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, b"1" if check() else b"0")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.close(read)
    os.waitpid(pid, 0)
    return answer == b"1"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_does_not_inherit_a_held_checker_lock(tmp_path: Path) -> None:
    # a fork that lands while the background check holds its lock (or has files opened
    # ahead) must leave the child free to open and check files of its own
    from diplosearch.store import column_files

    column_files._opened_ahead[str(tmp_path / "x.dcol")] = object()  # type: ignore[assignment]
    try:
        with column_files._checker_lock:
            free = in_a_forked_child(lambda: column_files._checker_lock.acquire(blocking=False)
                                     and not column_files._opened_ahead)
    finally:
        column_files._opened_ahead.pop(str(tmp_path / "x.dcol"), None)
    assert free


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_checks_an_inherited_file_afresh(tmp_path: Path) -> None:
    # the parent's background check of one file may hold that file's lock at the fork:
    # the child must still be able to check the file it inherited
    import threading

    from diplosearch.store.column_files import MappedColumnFile

    with open_index(tmp_path / "ix", create=True) as ix:
        ix.add_many(docs(0, 10), workers=1)
    (column_file,) = (tmp_path / "ix").glob("*.dcol")
    opened = MappedColumnFile(str(column_file))
    first_array = next(iter(opened.arrays))
    holding, done = threading.Event(), threading.Event()

    def checker() -> None:  # stands for the background check, mid-way
        with opened._changed:
            holding.set()
            done.wait()

    def child_checks() -> bool:
        if not opened._changed.acquire(blocking=False):
            return False
        opened._changed.release()
        return opened.verified(first_array)

    thread = threading.Thread(target=checker)
    thread.start()
    holding.wait()
    try:
        checked = in_a_forked_child(child_checks)
    finally:
        done.set()
        thread.join()
    assert checked
