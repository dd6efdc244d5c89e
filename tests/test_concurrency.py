"""Concurrency: many readers while one writer writes; writers queue for the lock; a
dead writer's lock is recovered without ever taking a live writer's; parallel
batch indexing gives the same index as serial indexing.

Child processes are plain ``python -c`` scripts run against the checkout's
``src/``; they print a line when they reach a state the test waits for. Timeouts
on them are hang guards only, never assertions about speed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import subprocess_env
from diplosearch import Document, open_index
import diplosearch
from diplosearch.store import index_store as store_index, parallel
from diplosearch.errors import DiplosearchError, IndexLockedError

HANG_GUARD = 120  # seconds; only to fail instead of hanging forever


def doc(doc_id: str, body: str = "isi berita diplomasi", title: str = "Judul") -> Document:
    return Document(id=doc_id, title=title, body=body)


def spawn(code: str, *args: str, home: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(home),
    )


def wait_for_line(proc: subprocess.Popen, expected: str) -> None:
    """Read the child's stdout until ``expected`` (hang-guarded by a timer)."""
    timer = threading.Timer(HANG_GUARD, proc.kill)
    timer.start()
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.strip() == expected:
                return
        raise AssertionError(f"child ended before {expected!r}: {proc.stderr.read()}")  # type: ignore[union-attr]
    finally:
        timer.cancel()


def finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=HANG_GUARD)
    assert proc.returncode == 0, err
    return out


# A writer that takes the lock and holds it, mid-batch, until its stdin says "go"
# (or until it is killed): add_many consumes a generator that blocks.
HOLDING_WRITER = r"""
import sys
import diplosearch
from diplosearch import Document

ix = diplosearch.open_index(sys.argv[1])

def batch():
    yield Document(id="held-1", title="Dokumen tertahan", body="isi yang belum di-commit")
    print("holding", flush=True)
    sys.stdin.readline()
    yield Document(id="held-2", title="Dokumen kedua", body="isi kedua")

report = ix.add_many(batch())
print("committed", len(report.added), flush=True)
"""


def assert_only_committed_files(path: Path) -> None:
    """The directory holds the manifest, the lock, the current TOC, its checksums and its segments only."""
    import whoosh.index

    toc = whoosh.index.open_dir(str(path), indexname="MAIN")._read_toc()
    wanted = {"diplosearch.json", "MAIN_WRITELOCK", f"_MAIN_{toc.generation}.toc", f"_MAIN_{toc.generation}.sums"}
    wanted |= {f"{segment.segment_id()}.seg" for segment in toc.segments}
    wanted |= {f"{segment.segment_id()}.dcol" for segment in toc.segments}  # the search columns
    assert sorted(p.name for p in path.iterdir()) == sorted(wanted)


@pytest.fixture
def ix_path(tmp_path: Path) -> Path:
    path = tmp_path / "berita"
    with open_index(path, create=True) as ix:
        ix.add_many([doc("a1", "pertama"), doc("a2", "kedua")])
    return path


def test_a_second_writer_waits_then_fails_with_an_error_naming_index_and_holder(ix_path, isolated_index_home):
    holder = spawn(HOLDING_WRITER, str(ix_path), home=isolated_index_home)
    try:
        wait_for_line(holder, "holding")
        with open_index(ix_path, writer_timeout=0.3) as ix:
            with pytest.raises(IndexLockedError) as caught:
                ix.add(doc("b1"))
            message = str(caught.value)
            assert str(ix_path) in message and f"process {holder.pid}" in message
            # Nothing of the failed write, nor of the holder's uncommitted one, is visible.
            assert sorted(d.id for d in ix.documents()) == ["a1", "a2"]
            holder.stdin.write("go\n")  # type: ignore[union-attr]
            holder.stdin.flush()  # type: ignore[union-attr]
            assert "committed 2" in finish(holder)
            # The lock is free again, and the reader sees the new commit without reopening.
            assert ix.add(doc("b1")) is True
            assert sorted(d.id for d in ix.documents()) == ["a1", "a2", "b1", "held-1", "held-2"]
    finally:
        holder.kill()
        holder.wait()


def test_a_waiting_writer_gets_the_lock_when_the_holder_finishes(ix_path, isolated_index_home):
    holder = spawn(HOLDING_WRITER, str(ix_path), home=isolated_index_home)
    try:
        wait_for_line(holder, "holding")
        release = threading.Timer(0.5, lambda: (holder.stdin.write("go\n"), holder.stdin.flush()))  # type: ignore[union-attr]
        release.start()
        with open_index(ix_path, writer_timeout=HANG_GUARD) as ix:
            assert ix.add(doc("b1")) is True  # waited for the holder instead of failing
            assert len(ix) == 5
        finish(holder)
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_of_a_killed_writer_is_recovered_and_its_leftovers_removed(ix_path, isolated_index_home):
    holder = spawn(HOLDING_WRITER, str(ix_path), home=isolated_index_home)
    wait_for_line(holder, "holding")
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    # The dead writer left its holder note and uncommitted files behind ...
    assert (ix_path / "MAIN_WRITELOCK").read_text().startswith(str(holder.pid))
    with open_index(ix_path, writer_timeout=0) as ix:
        # ... yet the lock is free at once (the OS released it), and the next writer
        # cleans up after the dead one.
        assert ix.add(doc("b1")) is True
        assert sorted(d.id for d in ix.documents()) == ["a1", "a2", "b1"]
    assert_only_committed_files(ix_path)
    assert (ix_path / "MAIN_WRITELOCK").read_text() == ""


def test_a_live_writers_lock_is_never_taken_even_if_its_note_looks_stale(ix_path, isolated_index_home):
    holder = spawn(HOLDING_WRITER, str(ix_path), home=isolated_index_home)
    try:
        wait_for_line(holder, "holding")
        # Someone (or a bug) makes the note claim the holder is a long-dead process.
        (ix_path / "MAIN_WRITELOCK").write_text("999999999 elsewhere 2001-01-01T00:00:00+00:00\n")
        with open_index(ix_path, writer_timeout=0.3) as ix:
            with pytest.raises(IndexLockedError):
                ix.add(doc("b1"))
        holder.stdin.write("go\n")  # type: ignore[union-attr]
        holder.stdin.flush()  # type: ignore[union-attr]
        assert "committed 2" in finish(holder)
    finally:
        holder.kill()
        holder.wait()
    with open_index(ix_path) as ix:
        assert sorted(d.id for d in ix.documents()) == ["a1", "a2", "held-1", "held-2"]


def test_two_index_objects_in_one_process_exclude_each_other(ix_path):
    first = open_index(ix_path)
    second = open_index(ix_path, writer_timeout=0.2)
    entered = threading.Event()
    release = threading.Event()

    def slow_batch():
        yield doc("t1")
        entered.set()
        release.wait(HANG_GUARD)
        yield doc("t2")

    worker = threading.Thread(target=first.add_many, args=(slow_batch(),))
    worker.start()
    try:
        assert entered.wait(HANG_GUARD)
        with pytest.raises(IndexLockedError, match="locked by another writer"):
            second.add(doc("u1"))
        # The uncommitted half-batch is invisible to readers of either object.
        assert "t1" not in second and "t1" not in first
    finally:
        release.set()
        worker.join(HANG_GUARD)
    assert {"t1", "t2"} <= {d.id for d in second.documents()}
    first.close()
    second.close()


def test_threads_writing_through_one_index_are_serialised(ix_path):
    with open_index(ix_path) as ix:
        errors: list[BaseException] = []

        def write(n: int) -> None:
            try:
                for i in range(5):
                    ix.add(doc(f"t{n}-{i}", f"utas {n} nomor {i}"))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(HANG_GUARD)
        assert not errors
        ids = [d.id for d in ix.documents()]
        assert len(ids) == len(set(ids)) == 2 + 20


# A writer process that commits batches while readers search. Batch k adds
# BATCH documents containing the word "gelombang{k}"; every third batch also
# rewrites all documents of batch 0 to carry "ubah{k}" (replacements must never
# show both versions); commits merge segments as Whoosh sees fit.
BATCH = 12
BATCHES = 15
BATCH_WRITER = r"""
import sys
import diplosearch
from diplosearch import Document

ix = diplosearch.open_index(sys.argv[1])
batch, batches = int(sys.argv[2]), int(sys.argv[3])
words = "diplomasi ekonomi kerja sama kunjungan menteri luar negeri".split()
for k in range(1, batches + 1):
    docs = [Document(id=f"d{k}-{i}", title=f"Berita {k} {i}",
                     body=f"gelombang{k} " + " ".join(words[(i + j) % len(words)] for j in range(30)))
            for i in range(batch)]
    if k % 3 == 0:
        docs += [Document(id=f"d0-{i}", title=f"Berita 0 {i}", body=f"ubah{k} asal diplomasi")
                 for i in range(batch)]
    ix.add_many(docs)
    print("committed", k, flush=True)
"""

# A reader process: one Index object for its whole life; checks on every search
# that it sees whole commits only, and exits once it has seen the last one.
READER = r"""
import sys, time
import diplosearch

ix = diplosearch.open_index(sys.argv[1])
batch, batches = int(sys.argv[2]), int(sys.argv[3])
last_count, searches = 0, 0
deadline = time.monotonic() + float(sys.argv[4])
while time.monotonic() < deadline:
    docs = list(ix.documents())  # one commit's snapshot
    count = len(docs)
    assert count % batch == 0, f"partial commit visible: {count} documents"
    assert count >= last_count, f"went back in time: {count} < {last_count}"
    assert len({d.id for d in docs}) == count, "duplicate documents visible"
    versions = {d.body.split()[0] for d in docs if d.id.startswith("d0-")}
    assert len(versions) == 1, f"batch 0 half replaced: {versions}"
    last_count = count
    seen = count // batch - 1
    # Each search runs on one commit (possibly newer than the snapshot).
    for k in range(1, batches + 1):
        total = ix.search(f"gelombang{k}", limit=3).total
        assert total in (0, batch), f"batch {k}: {total} of {batch} documents visible"
        if k % 3 == 0:
            total = ix.search(f"ubah{k}", limit=1).total
            assert total in (0, batch), f"version {k} of batch 0: {total} of {batch} documents"
    searches += 1
    if seen == batches:
        print("saw everything", searches, flush=True)
        break
else:
    raise SystemExit(f"never saw the last commit (saw {last_count} documents)")
"""


def test_reader_processes_see_only_whole_commits_and_pick_up_new_ones(tmp_path, isolated_index_home):
    path = tmp_path / "ix"
    with open_index(path, create=True) as ix:
        ix.add_many([Document(id=f"d0-{i}", title=f"Berita 0 {i}", body="asal diplomasi") for i in range(BATCH)])
    args = (str(path), str(BATCH), str(BATCHES))
    readers = [spawn(READER, *args, str(HANG_GUARD), home=isolated_index_home) for _ in range(3)]
    writer = spawn(BATCH_WRITER, *args, home=isolated_index_home)
    try:
        finish(writer)
        for reader in readers:
            assert "saw everything" in finish(reader)
    finally:
        for proc in (writer, *readers):
            proc.kill()
            proc.wait()


def test_reader_threads_share_one_index_while_it_is_written(tmp_path, isolated_index_home):
    path = tmp_path / "ix"
    with open_index(path, create=True) as ix:
        ix.add_many([Document(id=f"d0-{i}", title=f"Berita 0 {i}", body="asal diplomasi") for i in range(BATCH)])
        writer = spawn(BATCH_WRITER, str(path), str(BATCH), str(BATCHES), home=isolated_index_home)
        failures: list[str] = []
        done = threading.Event()

        def read() -> None:
            last = 0
            while not done.is_set() or last < BATCH * (BATCHES + 1):
                try:
                    count = len(ix)
                    hits = ix.search("diplomasi", limit=5)
                    if count % BATCH or count < last or hits.total % BATCH:
                        failures.append(f"{count} documents, {hits.total} hits after {last}")
                        return
                    last = count
                except DiplosearchError as exc:  # pragma: no cover - reported below
                    failures.append(repr(exc))
                    return

        threads = [threading.Thread(target=read) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            finish(writer)
        finally:
            done.set()
            for thread in threads:
                thread.join(HANG_GUARD)
            writer.kill()
            writer.wait()
        assert not failures
        assert len(ix) == BATCH * (BATCHES + 1)


def test_refresh_reports_a_newer_commit(ix_path):
    with open_index(ix_path) as reader, open_index(ix_path) as writer:
        assert len(reader) == 2
        assert reader.refresh() is False
        writer.add(doc("n1"))
        assert reader.refresh() is True
        assert len(reader) == 3


def test_a_search_notices_a_newer_commit_from_another_handle_every_time(ix_path):
    with open_index(ix_path) as reader, open_index(ix_path) as writer:
        for number in range(3):
            assert reader.search(f"nomorbaru{number}").total == 0
            writer.add(doc(f"n{number}", body=f"nomorbaru{number} isi"))
            assert reader.search(f"nomorbaru{number}").total == 1


def test_a_table_of_contents_replaced_at_the_same_generation_counts_as_a_newer_commit(ix_path):
    # An index recreated in place that reaches the generation a reader holds has new
    # table-of-contents files: the reader must not go on with its old snapshot.
    with open_index(ix_path) as reader:
        before = reader.search("diplomasi")
        holder = reader._snapshots
        generation = holder.generation()
        toc = Path(ix_path) / f"_MAIN_{generation}.toc"
        assert toc.exists()
        replacement = toc.with_name(toc.name + ".new")
        replacement.write_bytes(toc.read_bytes())
        opened = []
        real_open = holder._open_commit
        holder._open_commit = lambda: opened.append(1) or real_open()
        assert reader.search("diplomasi").total == before.total
        assert not opened  # nothing changed: the same snapshot
        os.replace(replacement, toc)  # the same bytes, another file
        assert reader.search("diplomasi").total == before.total
        assert len(opened) == 1  # reopened once, then up to date again
        reader.search("diplomasi")
        assert len(opened) == 1


# -- parallel batch indexing ----------------------------------------------------------


def corpus(n: int, version: str = "v1") -> list[Document]:
    words = "diplomasi ekonomi kerja sama kunjungan menteri luar negeri perdagangan investasi".split()
    return [
        Document(
            id=f"p{i}",
            title=f"Berita {i} {words[i % len(words)]}",
            body=f"{version} nomor{i} " + " ".join(words[(i * 7 + j) % len(words)] for j in range(40 + i % 17)),
        )
        for i in range(n)
    ]


def snapshot(ix) -> tuple[dict[str, Document], dict[str, list[tuple[str, float]]]]:
    docs = {d.id: d for d in ix.documents()}
    queries = ["diplomasi", "kerja sama", "menteri luar negeri", "nomor7", '"luar negeri"', "v2 investasi"]
    ranked = {q: [(h.id, round(h.score, 4)) for h in ix.search(q, limit=20)] for q in queries}
    return docs, ranked


@pytest.fixture
def parallel_from_the_start(monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_MIN_DOCS", 10)
    monkeypatch.setattr(parallel, "_HELPER_CHUNK", 7)


def test_parallel_indexing_gives_the_same_index_as_serial(tmp_path, parallel_from_the_start):
    first, second = corpus(300), [*corpus(150, "v2"), *corpus(10, "v3")[5:]]
    results = []
    for workers in (1, 2, 3):
        with open_index(tmp_path / f"w{workers}", create=True) as ix:
            report = ix.add_many(first, workers=workers)
            assert len(report.added) == 300
            # Replacements (and a duplicate id within the batch: the later wins) in parallel too.
            report = ix.add_many(second, workers=workers)
            assert len(report.replaced) == 150 and ix.get("p7").body.startswith("v3")
            ids = [d.id for d in ix.documents()]
            assert len(ids) == len(set(ids)) == 300
            results.append(snapshot(ix))
            if workers > 1:
                assert ix.stats().segments > 1  # the helpers' segments joined the commit
    docs, ranked = results[0]
    for other_docs, other_ranked in results[1:]:
        assert other_docs == docs
        # Scores depend on segment layout only through float rounding.
        for query, hits in ranked.items():
            # Documents tied at the last score of a full page may swap in and out of it
            # (ties go by doc number, which depends on the segment layout).
            last = hits[-1][1] if len(hits) == 20 else float("-inf")
            assert {i for i, s in other_ranked[query] if s > last * (1 + 1e-3)} == {
                i for i, s in hits if s > last * (1 + 1e-3)
            }, query
            assert [s for _, s in other_ranked[query]] == pytest.approx([s for _, s in hits], rel=1e-3)


def test_parallel_indexing_with_periodic_commits(tmp_path, parallel_from_the_start):
    with open_index(tmp_path / "ix", create=True) as ix:
        report = ix.add_many(corpus(200), workers=2, commit_every=60)
        assert len(report.added) == 200 and len(ix) == 200
        again = ix.add_many(corpus(200), workers=2, commit_every=60)
        assert len(again.unchanged) == 200 and not again.written


def test_small_commits_of_a_long_batch_still_get_helpers(tmp_path, monkeypatch):
    # The threshold counts the whole call, so commits smaller than it (as the CLI's
    # --commit-every makes) are written in parallel once the call has passed it.
    monkeypatch.setattr(parallel, "PARALLEL_MIN_DOCS", 30)
    monkeypatch.setattr(parallel, "_HELPER_CHUNK", 5)
    sent: list[int] = []
    send_documents = parallel._Helper.send_documents

    def counting(self, chunk):  # type: ignore[no-untyped-def]
        sent.append(len(chunk))
        return send_documents(self, chunk)

    monkeypatch.setattr(parallel._Helper, "send_documents", counting)
    with open_index(tmp_path / "ix", create=True) as ix:
        report = ix.add_many(corpus(120), workers=2, commit_every=20)
        assert len(report.added) == 120 and len(ix) == 120
    assert sent and sum(sent) <= 90  # only documents after the first 30 of the call


def test_a_helper_that_dies_fails_the_batch_cleanly(tmp_path, parallel_from_the_start, monkeypatch):
    with open_index(tmp_path / "ix", create=True) as ix:
        ix.add_many(corpus(20))
        before = sorted(p.name for p in ix.path.iterdir())
        monkeypatch.setattr(parallel, "_HELPER_CODE", "import sys; sys.exit(3)")
        with pytest.raises(DiplosearchError, match="helper"):
            ix.add_many(corpus(100, "v2"), workers=2)
        # Nothing of the failed batch is visible or left behind, and the lock is free.
        assert sorted(p.name for p in ix.path.iterdir()) == before
        assert {d.body.split()[0] for d in ix.documents()} == {"v1"}
        ix.writer_timeout = 0
        assert ix.add(corpus(1, "v4")[0]) is True


def test_helpers_do_not_outlive_the_batch(tmp_path, parallel_from_the_start):
    started: list[subprocess.Popen] = []
    original = parallel._Helper.__init__

    def recording_init(self, *spec):  # type: ignore[no-untyped-def]
        original(self, *spec)
        started.append(self.process)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel._Helper, "__init__", recording_init)
        with open_index(tmp_path / "ix", create=True) as ix:
            ix.add_many(corpus(100), workers=2)
    assert started and all(proc.poll() is not None for proc in started)


def _helpers_started(monkeypatch) -> list[object]:  # type: ignore[no-untyped-def]
    """The helpers started from now on (the list fills as they start)."""
    started: list[object] = []
    original = parallel._Helper.__init__

    def recording_init(self, *spec):  # type: ignore[no-untyped-def]
        original(self, *spec)
        started.append(self)

    monkeypatch.setattr(parallel._Helper, "__init__", recording_init)
    return started


@pytest.mark.parametrize("load, expect_helpers", [(0.2, True), (50.0, False)])
def test_by_default_helpers_start_only_when_a_cpu_is_idle(tmp_path, parallel_from_the_start, monkeypatch, load, expect_helpers):
    started = _helpers_started(monkeypatch)
    monkeypatch.setattr(parallel, "_usable_cpus", lambda: 2)
    monkeypatch.setattr(parallel, "_idle_cpus", lambda seconds: None)  # a system without /proc/stat
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    with open_index(tmp_path / "ix", create=True) as ix:
        assert len(ix.add_many(corpus(60)).added) == 60  # workers=None: automatic
    assert bool(started) is expect_helpers


@pytest.mark.parametrize("idle, expect_helpers", [(2.0, True), (1.8, True), (1.6, False), (0.0, False)])
def test_where_linux_tells_the_idle_cpus_of_the_moment_decide_not_the_load_average(
        tmp_path, parallel_from_the_start, monkeypatch, idle, expect_helpers):  # type: ignore[no-untyped-def]
    started = _helpers_started(monkeypatch)
    monkeypatch.setattr(parallel, "_idle_cpus", lambda seconds: idle)
    monkeypatch.setattr(os, "getloadavg", lambda: (50.0, 50.0, 50.0))  # lagging: not asked
    with open_index(tmp_path / "ix", create=True) as ix:
        assert len(ix.add_many(corpus(60)).added) == 60
    assert bool(started) is expect_helpers


@pytest.mark.parametrize("readings, expect_helpers, watched", [
    ([1.6, 1.3, 1.9, 2.0], True, 3),  # a burst of the kernel's over two tenths
    ([1.6, 1.6, 1.6, 2.0], False, 3),  # busy every time: judged busy, the fourth not asked
    ([2.0, 1.0, 1.0, 1.0], True, 1),
])
def test_a_busy_reading_is_watched_again_before_the_import_stays_serial(
        tmp_path, parallel_from_the_start, monkeypatch, readings, expect_helpers, watched):  # type: ignore[no-untyped-def]
    started = _helpers_started(monkeypatch)
    asked = []

    def reading(seconds: float) -> float:
        asked.append(seconds)
        return readings[len(asked) - 1]

    monkeypatch.setattr(parallel, "_idle_cpus", reading)
    with open_index(tmp_path / "ix", create=True) as ix:
        assert len(ix.add_many(corpus(60)).added) == 60
    assert bool(started) is expect_helpers
    assert len(asked) == watched


def test_idle_cpus_are_the_idle_share_of_the_ticks_spent_meanwhile(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    samples = iter([{0: (1000, 500), 1: (1000, 800), 2: (7, 7)}, {0: (1100, 590), 1: (1100, 900)}])
    monkeypatch.setattr(parallel, "_cpu_times", lambda: next(samples))
    monkeypatch.setattr(parallel.time, "sleep", lambda seconds: None)
    # 200 ticks spent on the two CPUs seen both times, 190 of them idle (the third went
    # offline meanwhile): 1.9 CPUs idle
    assert parallel._idle_cpus(0.1) == pytest.approx(1.9)
    monkeypatch.setattr(parallel, "_cpu_times", lambda: {0: (5, 5)})  # no tick passed
    assert parallel._idle_cpus(0.1) is None

    def unreadable() -> dict[int, tuple[int, int]]:
        raise FileNotFoundError("/proc/stat")

    monkeypatch.setattr(parallel, "_cpu_times", unreadable)
    assert parallel._idle_cpus(0.1) is None


def test_cpu_times_are_read_per_cpu_this_process_may_use(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import io

    stat = (b"cpu  60 1 20 300 10 2 3 4 5 6\n"
            b"cpu0 10 0 5 100 4 1 1 2 3 3\n"
            b"cpu1 20 1 5 100 3 0 1 1 1 2\n"
            b"cpu3 30 0 10 100 3 1 1 1 1 1\n"
            b"intr 12 0 0\n")
    monkeypatch.setattr(parallel, "open", lambda path, mode: io.BytesIO(stat), raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    # all = user+nice+system+idle+iowait+irq+softirq+steal (guest is in user), idle = idle+iowait
    assert parallel._cpu_times() == {0: (123, 104), 1: (131, 103)}


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="Linux's /proc/stat")
def test_cpu_times_read_this_processs_cpus_from_proc_stat() -> None:
    times = parallel._cpu_times()
    assert times and set(times) <= set(os.sched_getaffinity(0))
    assert all(0 <= idle <= spent for spent, idle in times.values())


def test_no_automatic_helpers_where_sys_executable_is_not_python(tmp_path, parallel_from_the_start, monkeypatch):
    """Under uWSGI sys.executable is the server's binary; a frozen app's is the app."""
    monkeypatch.setattr(parallel, "_spare_cpu", lambda: True)
    monkeypatch.setattr(parallel._Helper, "__init__", lambda self, *spec: pytest.fail("helper started"))
    monkeypatch.setattr(sys, "executable", "/usr/bin/uwsgi")
    with open_index(tmp_path / "ix", create=True) as ix:
        assert len(ix.add_many(corpus(60)).added) == 60


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_children_can_keep_using_the_parents_index(ix_path):
    """gunicorn and multiprocessing (fork) hand an Index opened before the fork to
    children: each must search correctly alongside the parent, even if another
    thread of the parent was inside a search (holding its lock) at the fork."""
    with open_index(ix_path) as ix:
        ix.add_many([doc(f"f{i}", f"berita garpu nomor{i} diplomasi") for i in range(30)])
        assert ix.search("garpu").total == 30  # the parent's searcher is open
        inside, leave = threading.Event(), threading.Event()

        def hold_the_read_lock() -> None:
            with ix.reading():
                inside.set()
                leave.wait(HANG_GUARD)

        holder = threading.Thread(target=hold_the_read_lock)
        holder.start()
        assert inside.wait(HANG_GUARD)
        children = []
        for n in range(3):
            pid = os.fork()
            if pid == 0:  # the child: exit status says whether it worked
                status = 1
                try:
                    signal.alarm(60)  # a deadlock would otherwise hang the test run
                    for _ in range(20):
                        if ix.search("garpu", limit=50).total != 30 or ix.get(f"f{n}") is None:
                            break
                        if [h.id for h in ix.search(f"nomor{n}").hits] != [f"f{n}"]:
                            break
                    else:
                        status = 0
                finally:
                    os._exit(status)
            children.append(pid)
        leave.set()
        holder.join(HANG_GUARD)
        for _ in range(20):  # the parent searches meanwhile, through the same files
            assert ix.search("garpu", limit=50).total == 30
        statuses = [os.waitpid(pid, 0)[1] for pid in children]
        assert statuses == [0, 0, 0]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_hits_carried_across_a_fork_read_their_documents_through_the_childs_own_files(ix_path):
    with open_index(ix_path) as ix:
        ix.add_many([doc(f"k{i}", f"berita sendok nomor{i} diplomasi", title=f"Judul {i}") for i in range(5)])
        found = ix.search("sendok", snippets=0)  # documents read when first asked for
        untouched = ix.search("nomor3", snippets=0)
        assert found.total == 5 and untouched.total == 1
        expected = {hit.id: ix.get(hit.id).body for hit in found.hits}
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                signal.alarm(60)
                same = all(hit.document.body == expected[hit.id] for hit in found.hits)
                with open_index(ix_path) as writer:  # a newer commit: the hits' one is gone
                    writer.add(doc("k-baru", "berita sendok baru"))
                try:
                    untouched.hits[0].document
                    stale_refused = False
                except diplosearch.DiplosearchError as exc:
                    stale_refused = "search again" in str(exc)
                newer = {hit.document.id for hit in ix.search("sendok", snippets=0).hits}
                status = 0 if same and stale_refused and "k-baru" in newer else 2
            finally:
                os._exit(status)
        # the parent reads through its own files meanwhile
        assert all(hit.document.body == expected[hit.id] for hit in ix.search("sendok", snippets=0).hits)
        assert os.waitpid(pid, 0)[1] == 0


# -- whole-directory swaps (rebuild, the default index) -----------------------------------------


def test_readers_follow_a_swapped_in_directory_even_at_the_same_generation(tmp_path):
    path = tmp_path / "ix"
    with open_index(path, create=True) as ix:
        ix.add_many([doc("lama-1"), doc("lama-2")])  # generation 1
    with open_index(path) as reader:
        assert {d.id for d in reader.documents()} == {"lama-1", "lama-2"}
        store_index.replace_index_directory(
            path, reader.analyzer, lambda new: new.add_many([doc("baru-1")])  # generation 1 too
        )
        assert {d.id for d in reader.documents()} == {"baru-1"}
        assert [h.id for h in reader.search("diplomasi").hits] == ["baru-1"]


def test_a_write_during_a_rebuild_waits_and_lands_in_the_new_index(tmp_path, monkeypatch):
    path = tmp_path / "ix"
    with open_index(path, create=True) as ix:
        ix.add_many(corpus(100))
    reading_done = threading.Event()
    real_replace = store_index.replace_index_directory

    def slow_replace(*args, **kwargs):  # type: ignore[no-untyped-def]
        reading_done.set()  # the rebuild has read the old documents ...
        time.sleep(0.5)  # ... and a writer comes along before the swap
        return real_replace(*args, **kwargs)

    monkeypatch.setattr(store_index, "replace_index_directory", slow_replace)
    rebuilt: list[int] = []
    rebuild = threading.Thread(target=lambda: rebuilt.append(diplosearch.rebuild_index(path, ix.analyzer)))
    rebuild.start()
    assert reading_done.wait(HANG_GUARD)
    with open_index(path, writer_timeout=HANG_GUARD) as writer:
        assert writer.add(doc("selama-rebuild", "ditulis selama rebuild")) is True
    rebuild.join(HANG_GUARD)
    assert rebuilt == [100]
    with open_index(path) as ix:
        ids = {d.id for d in ix.documents()}
        assert "selama-rebuild" in ids and len(ids) == 101  # not lost with the old directory


def test_closing_an_index_frees_its_column_files_without_the_garbage_collector(tmp_path):
    import gc
    import weakref

    from diplosearch.store.columns import SegmentColumns

    with open_index(tmp_path / "ix", create=True) as index:
        index.add_many([Document(id=f"d{n}", title="Banjir", body=f"Banjir melanda desa {n}.") for n in range(5)])
        assert index.search("banjir").total == 5
    gc.collect()
    gc.disable()  # an embedding app cannot count on a collection soon after close
    try:
        index = open_index(tmp_path / "ix")
        assert index.search("banjir").total == 5
        columns = [weakref.ref(o) for o in gc.get_objects() if isinstance(o, SegmentColumns)]
        assert columns
        index.close()
        del index
        assert all(ref() is None for ref in columns)
    finally:
        gc.enable()
