"""Trust: opening a Whoosh index unpickles data from it, which can run code.

diplosearch refuses anything that is not a diplosearch index before Whoosh reads
a byte of it, and never opens an index from a path that a document, a file or a
query names. The "canary" below is a Whoosh index whose table of contents runs
code when unpickled: it creates a marker file, so a test can see whether
anything unpickled it.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from pathlib import Path

import pytest
import whoosh.index
from whoosh import fields as wf
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from conftest import subprocess_env
from diplosearch import Document, open_index
from diplosearch.errors import CorruptIndexError, IndexVersionError, NotAnIndexError


class _Canary:
    """Unpickling this creates ``marker``: proof that someone unpickled it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (pathlib.Path.touch, (pathlib.Path(str(self.marker)),))


def make_canary_index(path: Path, marker: Path) -> Path:
    """A Whoosh index at ``path`` whose TOC runs code (touches ``marker``) when read."""
    path.mkdir(parents=True)
    storage = FileStorage(str(path))
    whoosh.index.create_in(str(path), wf.Schema(body=wf.TEXT(stored=True)), indexname="MAIN")
    TOC(wf.Schema(body=wf.TEXT(stored=True)), [_Canary(marker)], 2).write(storage, "MAIN")
    return path


@pytest.fixture
def canary(tmp_path):
    marker = tmp_path / "CODE-RAN"
    index = make_canary_index(tmp_path / "evil-index", marker)
    # Sanity check of the test itself: Whoosh really runs it (in a throwaway process).
    subprocess.run([sys.executable, "-c", "import sys, whoosh.index; whoosh.index.open_dir(sys.argv[1], indexname='MAIN')",
                    str(index)], capture_output=True, timeout=120)
    assert marker.exists(), "the canary did not fire when opened directly"
    marker.unlink()
    return index, marker


def test_a_whoosh_index_without_a_manifest_is_refused_unread(canary):
    index, marker = canary
    with pytest.raises(NotAnIndexError, match="did not create"):
        open_index(index)
    with pytest.raises(NotAnIndexError):
        open_index(index, create=True)  # not an empty directory: not overwritten either
    assert not marker.exists()


def test_the_command_line_refuses_it_too(canary, isolated_index_home):
    index, marker = canary
    done = subprocess.run(
        [sys.executable, "-m", "diplosearch", "--index", str(index), "diplomasi"],
        capture_output=True, text=True, env=subprocess_env(isolated_index_home), timeout=120,
    )
    assert done.returncode != 0
    assert str(index) in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not marker.exists()


@pytest.mark.parametrize(
    "setup, error",
    [
        (lambda p: (p / "notes.txt").write_text("catatan"), NotAnIndexError),
        (lambda p: (p / "diplosearch.json").write_text("{not json"), CorruptIndexError),
        (lambda p: (p / "diplosearch.json").write_text("[1, 2]"), CorruptIndexError),
        (lambda p: (p / "diplosearch.json").write_text(json.dumps({"format": 1})), CorruptIndexError),  # no TOC
        (lambda p: (p / "diplosearch.json").write_bytes(b"\xff\xfe\x00garbage"), CorruptIndexError),
        (lambda p: (p / "diplosearch.json").write_text(" " * 200_000 + "{}"), NotAnIndexError),  # not small
        (lambda p: (p / "diplosearch.json").mkdir(), NotAnIndexError),
        (lambda p: (p / "diplosearch.json").symlink_to("/dev/zero"), NotAnIndexError),
        (lambda p: os.mkfifo(p / "diplosearch.json"), NotAnIndexError),  # reading it would hang
    ],
    ids=["plain-folder", "bad-json", "not-an-object", "no-toc", "binary", "huge", "dir", "device", "fifo"],
)
def test_directories_that_are_not_diplosearch_indexes_are_refused_with_a_clear_error(tmp_path, setup, error):
    path = tmp_path / "not-an-index"
    path.mkdir()
    setup(path)
    with pytest.raises(error) as caught:
        open_index(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_newer_index_format_is_refused(tmp_path):
    path = tmp_path / "ix"
    open_index(path, create=True).close()
    manifest = json.loads((path / "diplosearch.json").read_text())
    manifest["format"] = 99
    (path / "diplosearch.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexVersionError, match="format 99"):
        open_index(path)


def test_a_file_is_not_an_index(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotAnIndexError, match="is a file"):
        open_index(tmp_path / "file")


def test_paths_inside_documents_and_queries_are_never_opened(canary, tmp_path):
    index, marker = canary
    evil = str(index)
    inputs = tmp_path / "input"
    inputs.mkdir()
    records = [
        {"id": "r1", "title": "Indeks", "content": f"lihat {evil}", "path": evil, "url": evil, "index": evil},
        {"id": evil, "title": evil, "content": "diplomasi", "source": evil},
    ]
    (inputs / "records.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    (inputs / "article.txt").write_text(f"{evil}\n\nSumber: {evil}\n")
    with open_index(tmp_path / "ix", create=True) as ix:
        # The canary index itself inside a folder being indexed: its files are
        # read as (binary) text files and reported, never opened as an index.
        ix.add_files([inputs, index])
        ix.add(Document(id="d1", title="Judul", body="isi", path=evil, url=evil, source=evil))
        for query in (evil, f'"{evil}"', f"title:{evil}", f"index:{evil}", f"path:{evil}", "diplomasi"):
            try:
                for hit in ix.search(query).hits:
                    hit.document  # noqa: B018 - fetching stored fields must not open anything
            except Exception as exc:  # only the library's own errors are allowed
                assert type(exc).__module__.startswith("diplosearch"), exc
        ix.update(Document(id="d1", title="Judul baru", body="isi", path=evil))
        ix.delete("d1")
        list(ix.documents())
        ix.stats()
    assert not marker.exists()


def test_a_planted_manifest_is_not_a_security_boundary(canary):
    """Documents the limit the README's Security section states: a directory that
    someone else could write to can be made to look like a diplosearch index, and
    opening it then runs their code. Only open indexes you (or someone you trust)
    built, in directories no one else can write to."""
    index, marker = canary
    (index / "diplosearch.json").write_text(json.dumps({"format": 1, "analysis_version": "any"}))
    subprocess.run(
        [sys.executable, "-c", "import sys, diplosearch; diplosearch.open_index(sys.argv[1])", str(index)],
        capture_output=True, timeout=120,
    )
    # The manifest is checked first: with a foreign analysis version the index is
    # refused before Whoosh reads anything ...
    assert not marker.exists()
    # ... but with a manifest that matches, Whoosh unpickles the TOC and the code runs.
    from diplosearch.analysis.analyzer import IndonesianAnalyzer

    from diplosearch.store.manifest import INDEX_FORMAT

    (index / "diplosearch.json").write_text(
        json.dumps({"format": INDEX_FORMAT, "analysis_version": IndonesianAnalyzer().version})
    )
    subprocess.run(
        [sys.executable, "-c", "import sys, diplosearch; diplosearch.open_index(sys.argv[1])", str(index)],
        capture_output=True, timeout=120,
    )
    assert marker.exists()


def test_new_indexes_are_not_writable_by_others(tmp_path, isolated_index_home):
    """Anyone who can write to an index can make it run code; with the usual umask
    nothing diplosearch creates is group- or world-writable (no mkstemp 0600 either,
    so other users can still read it)."""
    path = tmp_path / "ix"
    code = (
        "import os, sys, diplosearch; os.umask(0o022); "
        "ix = diplosearch.open_index(sys.argv[1], create=True); "
        "ix.add(diplosearch.Document(id='a', title='t', body='isi'))"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=120,
                   env=subprocess_env(isolated_index_home))
    for item in [path, *path.iterdir()]:
        mode = item.stat().st_mode
        assert not mode & 0o022, f"{item.name} is writable by others: {oct(mode)}"
        assert mode & 0o004, f"{item.name} is not readable by others: {oct(mode)}"
