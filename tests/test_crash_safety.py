"""Crash safety: SIGKILL at random moments of a batch, failing commits, full disks.

After every crash the index must open, hold exactly the documents of its last
commit (each one searchable, none twice), give the write lock to the next writer
at once, and running the same batch again must finish the job.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import whoosh.filedb.filestore
import whoosh.index
from whoosh.writing import SegmentWriter

from conftest import subprocess_env
from diplosearch import Document, open_index
from diplosearch.store import parallel
from diplosearch.errors import DiplosearchError

HANG_GUARD = 120  # seconds; only so that a hang fails instead of blocking CI
KILLS = int(os.environ.get("DIPLOSEARCH_TEST_KILLS", "20"))
N_DOCS, CHUNK = 160, 32  # five commits per run

FILLER = (
    "menteri luar negeri kunjungan kerja sama ekonomi perdagangan investasi diplomasi "
    "kawasan asean pertemuan bilateral presiden delegasi perjanjian kemitraan strategis"
).split()


def article(i: int, version: int) -> Document:
    rng = random.Random(i * 1000 + version)
    words = [rng.choice(FILLER) for _ in range(60 + i % 40)]
    return Document(
        id=f"k{i}",
        title=f"Kabar {i} {words[0]}",
        body=f"versi{version} {700000 + i} " + " ".join(words),
        source="uji",
    )


def batch(version: int) -> list[Document]:
    return [article(i, version) for i in range(N_DOCS)]


def assert_only_committed_files(path: Path) -> None:
    """The directory holds the manifest, the lock, the current TOC, its checksums and its segments only."""
    toc = whoosh.index.open_dir(str(path), indexname="MAIN")._read_toc()
    wanted = {"diplosearch.json", "MAIN_WRITELOCK", f"_MAIN_{toc.generation}.toc", f"_MAIN_{toc.generation}.sums"}
    wanted |= {f"{segment.segment_id()}.seg" for segment in toc.segments}
    wanted |= {f"{segment.segment_id()}.dcol" for segment in toc.segments}  # the search columns
    assert sorted(p.name for p in path.iterdir()) == sorted(wanted)


def version_of(doc: Document) -> int:
    return int(doc.body.split()[0].removeprefix("versi"))


# The indexing process that gets killed: commits the batch chunk by chunk and
# says so after each commit returns.
KILLED_WRITER = r"""
import sys
import diplosearch
from diplosearch.store import parallel
sys.path.insert(0, sys.argv[5])
from test_crash_safety import batch

path, version, chunk, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
parallel.PARALLEL_MIN_DOCS = 4
parallel._HELPER_CHUNK = 4
docs = batch(version)
ix = diplosearch.open_index(path)
print("ready", flush=True)
for n, start in enumerate(range(0, len(docs), chunk)):
    ix.add_many(docs[start:start + chunk], workers=workers)
    print("committed", n, flush=True)
print("done", flush=True)
"""


def run_killed_writer(path: Path, version: int, workers: int, delay: float | None, home: Path) -> tuple[int, float]:
    """Run the writer; SIGKILL it ``delay`` s after it is ready (None: let it finish).

    Returns the last chunk it reported committed (-1 for none) and how long it ran.
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(path), str(version), str(CHUNK), str(workers),
         str(Path(__file__).parent)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(home),
    )
    guard = threading.Timer(HANG_GUARD, proc.kill)
    guard.start()
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()  # type: ignore[union-attr]
        started = time.monotonic()
        if delay is not None:
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
        elapsed = time.monotonic() - started
    finally:
        guard.cancel()
    if delay is None:
        assert proc.returncode == 0, err
    committed = [int(line.split()[1]) for line in out.splitlines() if line.startswith("committed")]
    return (max(committed) if committed else -1), elapsed


def helpers_of(path: Path) -> list[int]:
    """Pids of helper processes still working on ``path`` (Linux only)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"_helper_main" in cmdline and str(path).encode() in cmdline:
            found.append(int(entry.name))
    return found


def check_after_crash(path: Path, version: int, last_committed: int) -> None:
    """The index holds whole commits: chunks up to ``last_committed`` at ``version``,
    the next one at either version, the rest at ``version - 1``; all searchable."""
    with open_index(path) as ix:
        docs = list(ix.documents())
        ids = [d.id for d in docs]
        assert len(ids) == len(set(ids)) == N_DOCS, "documents lost or duplicated"
        versions = {d.id: version_of(d) for d in docs}
        for n in range(N_DOCS // CHUNK):
            chunk_versions = {versions[f"k{i}"] for i in range(n * CHUNK, (n + 1) * CHUNK)}
            if n <= last_committed:
                assert chunk_versions == {version}, f"chunk {n} lost its commit"
            elif n == last_committed + 1:
                assert chunk_versions in ({version}, {version - 1}), f"chunk {n} half committed"
            else:
                assert chunk_versions == {version - 1}, f"chunk {n} written without a commit"
        for i in range(N_DOCS):
            assert [h.id for h in ix.search(str(700000 + i), snippets=0).hits] == [f"k{i}"]
        at_version = sum(1 for v in versions.values() if v == version)
        assert ix.search(f"versi{version}", limit=1).total == at_version


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_sigkill_at_random_moments_never_loses_a_commit(tmp_path, isolated_index_home):
    path = tmp_path / "ix"
    with open_index(path, create=True) as ix:
        ix.add_many(batch(0))
    rng = random.Random(int(os.environ.get("DIPLOSEARCH_TEST_SEED", "5")))
    # Undisturbed runs (versions 1 and 2) tell how long a run takes, without and
    # with helper processes (which take a while to start).
    duration = {}
    for version, workers in ((1, 1), (2, 2)):
        _last, duration[workers] = run_killed_writer(path, version, workers, None, isolated_index_home)
        check_after_crash(path, version, N_DOCS // CHUNK - 1)
    outcomes = []
    for kill in range(KILLS):
        version = kill + 3
        workers = 2 if kill % 3 == 2 else 1
        delay = rng.uniform(0, duration[workers] * 1.1)
        last, _elapsed = run_killed_writer(path, version, workers, delay, isolated_index_home)
        outcomes.append(last)
        check_after_crash(path, version, last)
        # Helpers of a killed writer notice their closed input and exit.
        deadline = time.monotonic() + 30
        while helpers_of(path) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not helpers_of(path)
        # The lock is free at once, and running the batch again finishes the job.
        with open_index(path, writer_timeout=0) as ix:
            report = ix.add_many(batch(version), commit_every=CHUNK)
            assert len(report.unchanged) == CHUNK * (last + 1) or len(report.unchanged) == CHUNK * (last + 2)
            assert len(report.unchanged) + len(report.replaced) == N_DOCS and not report.added
        check_after_crash(path, version, N_DOCS // CHUNK - 1)
        assert_only_committed_files(path)
    # The kills landed at different points of the batch, not all before or after it.
    assert len(set(outcomes)) >= 3, outcomes


CREATING_WRITER = r"""
import sys
import diplosearch
print("ready", flush=True)
ix = diplosearch.open_index(sys.argv[1], create=True)
ix.add(diplosearch.Document(id="a", title="Satu", body="isi"))
print("done", flush=True)
"""


def test_sigkill_while_creating_leaves_nothing_or_a_whole_index(tmp_path, isolated_index_home):
    rng = random.Random(7)
    for attempt in range(6):
        path = tmp_path / f"ix{attempt}"
        proc = subprocess.Popen(
            [sys.executable, "-c", CREATING_WRITER, str(path)],
            stdout=subprocess.PIPE, text=True, env=subprocess_env(isolated_index_home),
        )
        assert proc.stdout.readline().strip() == "ready"  # type: ignore[union-attr]
        time.sleep(rng.uniform(0, 0.4))
        proc.kill()
        proc.communicate(timeout=HANG_GUARD)
        if path.exists():  # the rename happened: a complete index
            with open_index(path) as ix:
                assert len(ix) in (0, 1)
        with open_index(path, create=True) as ix:  # creating again just works
            ix.add(Document(id="b", title="Dua", body="isi"))
        assert not list(tmp_path.glob(f".{path.name}.creating-*"))


# -- failing commits ---------------------------------------------------------------------


@pytest.fixture
def ix(tmp_path):
    with open_index(tmp_path / "ix", create=True) as index:
        index.add_many(batch(0)[:40])
        yield index


def assert_intact(ix, expected_ids: set[str]) -> None:
    assert {d.id for d in ix.documents()} == expected_ids
    assert ix.search(str(700003)).hits[0].id == "k3"
    assert_only_committed_files(ix.path)
    # The lock is free: another writer, even with no patience, gets it.
    with open_index(ix.path, writer_timeout=0) as other:
        with other._writer():
            pass


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt(), MemoryError()])
def test_an_exception_inside_commit_leaves_no_lock_and_no_files(ix, monkeypatch, error):
    before = {d.id for d in ix.documents()}

    def failing_toc(self, segments):  # type: ignore[no-untyped-def]
        raise error

    monkeypatch.setattr(SegmentWriter, "_commit_toc", failing_toc)
    with pytest.raises(type(error)):
        ix.add_many(batch(1))
    monkeypatch.undo()
    assert_intact(ix, before)


def test_an_exception_from_the_documents_commits_nothing(ix):
    before = {d.id for d in ix.documents()}

    def broken():
        yield from batch(1)[:30]
        raise ValueError("the scraper broke")

    with pytest.raises(ValueError):
        ix.add_many(broken())
    assert_intact(ix, before)
    assert {version_of(d) for d in ix.documents()} == {0}


class _Disk:
    """Wraps the files Whoosh creates; writes fail with ENOSPC once ``budget`` bytes are used."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.used = 0

    def open(self, path, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        handle = open(path, mode, *args, **kwargs)
        return _FullDiskFile(handle, self) if "w" in mode or "a" in mode or "+" in mode else handle


class _FullDiskFile:
    def __init__(self, handle, disk: _Disk) -> None:  # type: ignore[no-untyped-def]
        self._handle = handle
        self._disk = disk

    def write(self, data):  # type: ignore[no-untyped-def]
        if self._disk.used + len(data) > self._disk.budget:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._disk.used += len(data)
        return self._handle.write(data)

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        return getattr(self._handle, name)

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self

    def __exit__(self, *exc):  # type: ignore[no-untyped-def]
        self._handle.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_full_disk_at_any_point_of_a_commit_gives_a_clear_error(ix, monkeypatch, workers):
    before = {d.id for d in ix.documents()}
    # With helpers: the first 10 documents stay here, every later chunk goes to a
    # helper (whose writes this patch cannot fail), the same way on every run.
    monkeypatch.setattr(parallel, "PARALLEL_MIN_DOCS", 10)
    monkeypatch.setattr(parallel, "_HELPER_BACKLOG", 10**6)
    # How many bytes this process writes for a successful batch, measured on a copy.
    copy = ix.path.parent / "copy"
    shutil.copytree(ix.path, copy)
    meter = _Disk(float("inf"))
    with monkeypatch.context() as patch:
        patch.setattr(whoosh.filedb.filestore, "open", meter.open, raising=False)
        with open_index(copy) as other:
            other.add_many(batch(1), workers=workers)
    assert meter.used > 0
    budgets = [int(meter.used * fraction) for fraction in (0, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9)]
    # In the table of contents (its size varies by a few bytes: random segment names compress differently).
    budgets += [meter.used - 5000, meter.used - 500, meter.used - 100]
    for budget in budgets:
        disk = _Disk(budget)
        with monkeypatch.context() as patch:
            patch.setattr(whoosh.filedb.filestore, "open", disk.open, raising=False)
            with pytest.raises(DiplosearchError, match="No space left on device") as caught:
                ix.add_many(batch(1), workers=workers)
        assert "previous commit is intact" in str(caught.value)
        assert_intact(ix, before)
    assert ix.add_many(batch(1)).written == N_DOCS


FILE_SIZE_LIMITED_WRITER = r"""
import resource, signal, sys
import diplosearch
from diplosearch import Document
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failing write() instead of a signal
ix = diplosearch.open_index(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), resource.RLIM_INFINITY))
words = "kunjungan menteri luar negeri diplomasi ekonomi perdagangan".split()
try:
    ix.add_many(Document(id=f"big{i}", title=f"Besar {i}", body=" ".join(f"{w}{i}x{j}" for j in range(300) for w in words))
                for i in range(200))
except diplosearch.DiplosearchError as exc:
    print("error", exc)
else:
    print("no error")
"""


def test_a_real_write_failure_from_the_os_leaves_the_previous_commit(ix, isolated_index_home):
    """RLIMIT_FSIZE makes the kernel fail writes past a size (EFBIG), like a full disk."""
    pytest.importorskip("resource")
    before = {d.id for d in ix.documents()}
    proc = subprocess.run(
        [sys.executable, "-c", FILE_SIZE_LIMITED_WRITER, str(ix.path), str(256 * 1024)],
        capture_output=True, text=True, env=subprocess_env(isolated_index_home), timeout=HANG_GUARD,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("error") and "previous commit is intact" in proc.stdout, proc.stdout
    assert "File too large" in proc.stdout
    assert_intact(ix, before)


@pytest.fixture
def small_tmpfs(tmp_path):
    """A real 2 MB file system, where this machine lets us mount one (root, not a jail)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mountpoint)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True)


def test_a_really_full_disk_gives_a_clear_error_and_keeps_the_last_commit(small_tmpfs):
    with open_index(small_tmpfs / "ix", create=True) as ix:
        committed: set[str] = set()
        words = "kunjungan menteri luar negeri diplomasi ekonomi perdagangan".split()
        with pytest.raises(DiplosearchError, match="No space left on device"):
            for round_ in range(200):
                docs = [
                    Document(id=f"r{round_}-{i}", title=f"Berita {round_} {i}",
                             body=" ".join(f"{w}{round_}q{i}q{j}" for j in range(20) for w in words))
                    for i in range(5)
                ]
                ix.add_many(docs)
                committed |= {d.id for d in docs}
        assert committed, "the disk filled before the first commit"
        assert {d.id for d in ix.documents()} == committed
        assert ix.search("kunjungan0q0q0").hits[0].id == "r0-0"
        assert_only_committed_files(ix.path)
        # Deleting documents needs no more room than a table of contents; after it the
        # index is still consistent.
        ix.writer_timeout = 0
        first = sorted(committed)[:5]
        try:
            ix.delete_many(first)
            committed -= set(first)
        except DiplosearchError:
            pass
        assert {d.id for d in ix.documents()} == committed


# -- durability ----------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("workers", [1, 2])
def test_a_commit_is_on_disk_before_its_table_of_contents_is_renamed_into_place(tmp_path, monkeypatch, workers):
    """What survives a power cut: the new segment and the new TOC are fsync'ed before
    the TOC's rename, and the rename is fsync'ed (the directory) after it."""
    events: list[tuple[str, str]] = []
    real_fsync, real_rename = os.fsync, os.rename

    def fsync(fd):  # type: ignore[no-untyped-def]
        events.append(("fsync", os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))))
        return real_fsync(fd)

    def rename(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        events.append(("rename", os.path.basename(dst)))
        return real_rename(src, dst, *args, **kwargs)

    with open_index(tmp_path / "ix", create=True) as ix:
        monkeypatch.setattr(parallel, "PARALLEL_MIN_DOCS", 10)
        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "rename", rename)
        ix.add_many(batch(0)[:60], workers=workers)  # helpers' segments: fsync'ed in the helper
        monkeypatch.undo()
        toc = next(i for i, (kind, name) in enumerate(events) if kind == "rename" and name.endswith(".toc"))
        before, after = events[:toc], events[toc + 1 :]
        assert any(kind == "fsync" and name.endswith(".seg") for kind, name in before), events
        assert any(kind == "fsync" and ".toc." in name for kind, name in before), events
        assert any(kind == "fsync" and ".dcol" in name for kind, name in before), events  # search columns
        assert ("fsync", "ix") in after, events

        events.clear()
        with open_index(ix.path, durable=False) as fast:
            monkeypatch.setattr(os, "fsync", fsync)
            fast.add_many(batch(1)[:10])
            monkeypatch.undo()
        assert not [e for e in events if e[0] == "fsync"], events


# -- whole-directory swaps killed half-way (rebuild, the default index) ----------------------------

# Rebuilds the index at argv[1] and dies the moment its old directory has been moved
# away, before the new one is in its place: the worst moment of a two-rename swap.
KILLED_BETWEEN_RENAMES = r"""
import os, sys
from pathlib import Path
import diplosearch

path = Path(sys.argv[1])
real_replace, real_rename = os.replace, os.rename

def moving(real):
    def move(src, dst, *args, **kwargs):
        real(src, dst, *args, **kwargs)
        if Path(src) == path:
            os._exit(9)
    return move

os.replace, os.rename = moving(real_replace), moving(real_rename)
diplosearch.rebuild_index(path)
"""

# Rebuilds the index at argv[1] and dies while filling the new directory.
KILLED_WHILE_BUILDING = r"""
import os
import sys
import diplosearch
from diplosearch.store.index_store import IndexStore

IndexStore.add_many = lambda self, *args, **kwargs: os._exit(9)
diplosearch.rebuild_index(sys.argv[1])
"""


def _run_and_get_killed(code: str, path: Path, home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        env=subprocess_env(home), capture_output=True, text=True, timeout=HANG_GUARD,
    )
    assert result.returncode == 9, result.stderr


def test_a_rebuild_killed_between_the_renames_of_its_swap_loses_no_document(tmp_path, isolated_index_home):
    path = tmp_path / "ix"
    with open_index(path, create=True) as ix:
        ix.add_many(batch(0)[:20])
    _run_and_get_killed(KILLED_BETWEEN_RENAMES, path, isolated_index_home)
    with open_index(path) as ix:  # opening finishes the interrupted swap
        assert sorted(d.id for d in ix.documents()) == sorted(d.id for d in batch(0)[:20])
        assert ix.search("k7").total >= 0 and ix.add(article(99, 1)) is True
    assert [p.name for p in tmp_path.iterdir()] == ["ix"]  # nothing of the swap is left


def test_open_index_with_create_finishes_an_interrupted_swap_instead_of_starting_empty(tmp_path, isolated_index_home):
    path = tmp_path / "ix"
    with open_index(path, create=True) as ix:
        ix.add_many(batch(0)[:5])
    _run_and_get_killed(KILLED_BETWEEN_RENAMES, path, isolated_index_home)
    with open_index(path, create=True) as ix:
        assert len(ix) == 5


def test_a_killed_build_leaves_nothing_behind_once_the_next_one_runs(tmp_path, isolated_index_home):
    path = tmp_path / "ix"
    with open_index(path, create=True) as ix:
        ix.add_many(batch(0)[:5])
    _run_and_get_killed(KILLED_WHILE_BUILDING, path, isolated_index_home)
    assert len(list(tmp_path.iterdir())) > 1  # the killed build's copy
    with open_index(path) as ix:
        assert len(ix) == 5
        assert ix.rebuild() == 5
    assert [p.name for p in tmp_path.iterdir()] == ["ix"]
