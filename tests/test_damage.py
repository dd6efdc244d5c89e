"""A damaged index gives CorruptIndexError (or another DiplosearchError naming the
index), never a foreign exception or a traceback, on every API call and command;
a write to a damaged index refuses instead of committing on top of it; ``check``
says what is damaged and whether ``rebuild`` can recover it."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from diplosearch import CorruptIndexError, DiplosearchError, Document, check_index, open_index
from diplosearch.cli import main

TOPICS = ["ekonomi", "diplomasi", "pertanian", "pendidikan", "kesehatan"]


def doc(i: int) -> Document:
    topic = TOPICS[i % len(TOPICS)]
    return Document(id=f"d{i}", title=f"Berita {topic} {i}", body=f"Isi berita tentang {topic} nomor {i}. " * 20)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pristine") / "ix"
    with open_index(path, create=True) as ix:
        ix.add_many([doc(i) for i in range(40)])
        ix.add_many([doc(i) for i in range(40, 45)])  # a second segment
    return path


def _file_of_kind(path: Path, kind: str) -> Path:
    if kind == "segment":
        return max(path.glob("*.seg"), key=lambda p: p.stat().st_size)
    if kind == "toc":
        return next(path.glob("_MAIN_*.toc"))
    if kind == "manifest":
        return path / "diplosearch.json"
    lock = path / "MAIN_WRITELOCK"
    if not lock.exists() or lock.stat().st_size == 0:
        lock.write_text("4242 elsewhere 2026-01-01T00:00:00+00:00\n")
    return lock


def _damage(target: Path, how: str) -> None:
    data = bytearray(target.read_bytes())
    if how == "truncate":
        target.write_bytes(bytes(data[: len(data) // 2]))
    elif how == "zero":
        start = len(data) // 3
        data[start : start + 64] = bytes(len(data[start : start + 64]))
        target.write_bytes(bytes(data))
    elif how == "bitflip":
        data[len(data) // 2] ^= 0x04
        target.write_bytes(bytes(data))
    else:
        target.unlink()


def _snapshot(path: Path) -> dict[str, bytes]:
    # The lock file's holder note changes with every attempt to write: not data.
    return {p.name: p.read_bytes() for p in path.iterdir() if p.is_file() and p.name != "MAIN_WRITELOCK"}


def _api_calls(path: Path, source: Path):  # type: ignore[no-untyped-def]
    def with_index(action):  # type: ignore[no-untyped-def]
        def run():  # type: ignore[no-untyped-def]
            with open_index(path) as ix:
                return action(ix)
        return run

    reads = {
        "open": with_index(lambda ix: None),
        "len": with_index(len),
        "in": with_index(lambda ix: "d3" in ix),
        "get": with_index(lambda ix: ix.get("d3")),
        "documents": with_index(lambda ix: list(ix.documents())),
        "stats": with_index(lambda ix: ix.stats()),
        "search": with_index(lambda ix: ix.search("ekonomi diplomasi")),
        "check": with_index(lambda ix: ix.check()),
    }
    writes = {
        "add": with_index(lambda ix: ix.add(doc(99))),
        "add_many": with_index(lambda ix: ix.add_many([doc(3), doc(100)])),
        "add_files": with_index(lambda ix: ix.add_files([source])),
        "update": with_index(lambda ix: ix.update(Document(id="d4", title="Judul baru", body="isi baru"))),
        "delete": with_index(lambda ix: ix.delete("d5")),
    }
    return reads, writes


def _cli_calls(path: Path, source: Path) -> dict[str, list[str]]:
    where = ["--index", str(path)]
    return {
        "cli search": ["search", "ekonomi", *where],
        "cli stats": ["stats", *where],
        "cli check": ["check", *where],
        "cli index": ["index", str(source), *where],
        "cli delete": ["delete", "d6", *where],
        "cli rebuild": ["rebuild", *where],
    }


@pytest.mark.parametrize("how", ["truncate", "zero", "bitflip", "delete"])
@pytest.mark.parametrize("kind", ["segment", "toc", "manifest", "lock"])
def test_a_damaged_index_gives_diplosearch_errors_only_and_is_never_written_over(tmp_path, pristine, kind, how):
    path = tmp_path / "ix"
    shutil.copytree(pristine, path)
    source = tmp_path / "baru.txt"
    source.write_text("Artikel Baru tentang Ekonomi\n\nIsi artikel baru tentang ekonomi.\n")
    _damage(_file_of_kind(path, kind), how)
    reads, writes = _api_calls(path, source)
    data_damaged = kind in ("segment", "toc")

    for name, call in {**reads, **writes}.items():
        before = _snapshot(path)
        try:
            call()
        except DiplosearchError as exc:
            assert str(path) in str(exc), (name, exc)
            assert "\n" not in str(exc), (name, exc)
            assert _snapshot(path) == before, f"{name} failed but changed the index"
        else:
            assert not (data_damaged and name in writes), f"{name} wrote to an index with a damaged {kind}"
        # Anything else (EOFError, struct.error, zlib.error...) fails the test by itself.

    for name, argv in _cli_calls(path, source).items():
        before = _snapshot(path)
        out, err = io.StringIO(), io.StringIO()
        code = main(argv, out, err)
        assert code in (0, 1, 3), (name, code, err.getvalue())
        if code == 1:
            message = err.getvalue() or out.getvalue()  # check reports damage on stdout
            assert message.count("\n") == 1 and str(path) in message, (name, message)
            assert "Traceback" not in message
            if name != "cli check":
                assert _snapshot(path) == before, f"{name} failed but changed the index"
        elif data_damaged and name in ("cli index", "cli delete"):
            pytest.fail(f"{name} wrote to an index with a damaged {kind}")


@pytest.mark.parametrize("how", ["truncate", "zero", "bitflip", "delete"])
def test_check_names_the_damaged_segment(tmp_path, pristine, how):
    path = tmp_path / "ix"
    shutil.copytree(pristine, path)
    segment = _file_of_kind(path, "segment")
    _damage(segment, how)
    report = check_index(path)
    assert not report.ok and segment.name in report.problems
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--index", str(path), "--json"], out, err) == 1
    printed = json.loads(out.getvalue())
    assert printed["ok"] is False and segment.name in printed["problems"]


def test_check_of_an_intact_index_is_ok(pristine):
    report = check_index(pristine)
    assert report.ok and report.verified and report.recoverable and report.documents == 45
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--index", str(pristine)], out, err) == 0
    assert "ok, 45 documents" in out.getvalue()


def test_rebuild_says_it_recovered_an_index_whose_stored_documents_are_readable(tmp_path, pristine):
    path = tmp_path / "ix"
    shutil.copytree(pristine, path)
    sums = next(path.glob("_MAIN_*.sums"))
    recorded = json.loads(sums.read_text())
    segment = _file_of_kind(path, "segment").name
    recorded["files"][segment]["crc32"] ^= 1  # the file no longer matches what the commit recorded
    sums.write_text(json.dumps(recorded))
    report = check_index(path)
    assert not report.ok and report.recoverable
    with open_index(path) as ix, pytest.raises(CorruptIndexError, match="refusing to write"):
        ix.add(doc(200))
    out, err = io.StringIO(), io.StringIO()
    assert main(["rebuild", "--index", str(path)], out, err) == 0, err.getvalue()
    assert "was damaged" in out.getvalue() and "rebuilt from its 45 stored documents" in out.getvalue()
    assert check_index(path).ok


def test_rebuild_says_when_it_cannot_recover(tmp_path, pristine):
    path = tmp_path / "ix"
    shutil.copytree(pristine, path)
    _damage(_file_of_kind(path, "segment"), "truncate")
    out, err = io.StringIO(), io.StringIO()
    assert main(["rebuild", "--index", str(path)], out, err) == 1
    assert "rebuild cannot recover it" in err.getvalue()


@pytest.mark.parametrize("how", ["truncate", "bitflip", "delete"])
def test_a_damaged_default_index_is_rebuilt_from_the_bundled_corpus(isolated_index_home, how):
    with open_index() as ix:
        expected = len(ix)
    _damage(_file_of_kind(isolated_index_home / "default", "segment"), how)
    with open_index() as ix:
        assert len(ix) == expected
        assert ix.search("peranan").total >= 1
    assert check_index().ok


def test_foreign_errors_inside_a_read_are_reported_as_damage_and_others_pass(tmp_path: Path) -> None:
    import struct

    from diplosearch.errors import QueryError
    from diplosearch.store.integrity import reported_as_damage

    with pytest.raises(CorruptIndexError, match="cannot search, the index is damaged") as raised:
        with reported_as_damage(tmp_path, "search"):
            raise struct.error("unpack requires a buffer of 4 bytes")
    assert isinstance(raised.value.__cause__, struct.error)
    for passing in (QueryError("ours, as it is"), KeyboardInterrupt()):
        with pytest.raises(type(passing)):
            with reported_as_damage(tmp_path, "search"):
                raise passing
    with reported_as_damage(tmp_path, "search"):
        pass  # nothing raised: nothing reported
