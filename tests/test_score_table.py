"""The score table (store/score_table.py): every term's scores written beside a commit.

It is an accelerator: a search that uses it must give what scoring term by term gives,
to the last bit, and a table that is missing, damaged or made for other segments must
never be used."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import subprocess_env
from scoring_corpus import WORDS, build_fixture_index, generated_documents

import diplosearch
from diplosearch import scoring_terms
from diplosearch.documents import Document
from diplosearch.ranking import BM25F_RANKING, DEFAULT_RANKING, WHOOSH_RANKING, Ranking
from diplosearch.schema import TEXT_FIELDS
from diplosearch.store import score_table
from diplosearch.store.commit_columns import score_settings

QUERIES = [
    "kota", "kota laut", "rumah hutan sungai", "pasar -kopi", '"kota laut" hujan', "title:kota body:laut",
    "kopi OR teh", "(gunung AND pulau) OR emas", "peranan pelopor", "diplomasi indonesia", "kota^3 laut",
    "tidakada", "kota source:kompas.com", "emas pulau", "bulan bintang langit",
]


def _tables(folder: Path) -> list[str]:
    return sorted(os.path.basename(p) for p in glob.glob(str(folder / "scores_*")))


def _commit_of(index: diplosearch.Index):  # type: ignore[no-untyped-def]
    with index.snapshot() as snapshot:
        return snapshot.columns


def _wait_for_table(index: diplosearch.Index) -> score_table.ScoreTable | None:
    """Search until the table is checked and in use (its check runs in the background)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        index.search("kota", snippets=0)
        state = _commit_of(index).score_table_state
        if state is not None and state.table is not None:
            return state.table  # type: ignore[no-any-return]
        time.sleep(0.02)
    return None


def _pages(index: diplosearch.Index, ranking: Ranking = DEFAULT_RANKING) -> list[list[tuple[str, float, int]]]:
    return [[(h.id, h.score, h.matched_terms) for h in index.search(q, limit=20, snippets=0, ranking=ranking).hits]
            for q in QUERIES]


@pytest.fixture
def small_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables for the fixture's small commits too."""
    monkeypatch.setattr(score_table, "TABLE_MIN_DOCUMENTS", 1)


@pytest.fixture
def fixture_index(tmp_path: Path, small_tables: None) -> diplosearch.Index:
    index = build_fixture_index(tmp_path / "index")
    yield index
    index.close()


def test_every_term_scores_as_scored_term_by_term(fixture_index: diplosearch.Index) -> None:
    commit = _commit_of(fixture_index)
    assert len(commit.segments) > 2 and commit.live is not None  # several segments, deletions
    terms = sorted({term for view in commit.segments for term in view.columns.vocabulary.terms()})
    for ranking in (DEFAULT_RANKING, BM25F_RANKING, Ranking(k1=0.9, b=1.0, boosts={"title": 0.0})):
        table = scoring_terms.build_score_table(commit, TEXT_FIELDS, ranking)
        assert table is not None and table.postings > 0
        expected = scoring_terms._score_terms(commit, [*terms, "notaterm"], TEXT_FIELDS, ranking)
        for text, want in zip([*terms, "notaterm"], expected):
            got = table.term_scores(text)
            assert got.docs.dtype == want.docs.dtype, text
            assert np.array_equal(got.docs, want.docs), text
            assert np.array_equal(got.scores, want.scores), text  # bit for bit, not approximately
            for position in range(len(commit.segments)):  # a table works its bounds out when asked
                (got_docs, got_scores), (want_docs, want_scores) = got.segment(position), want.segment(position)
                assert np.array_equal(got_docs, want_docs) and np.array_equal(got_scores, want_scores), text


def test_a_table_remembers_the_terms_it_looked_up(fixture_index: diplosearch.Index,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(score_table, "_LOOKED_UP_LIMIT", 5)  # so that it starts afresh here
    commit = _commit_of(fixture_index)
    table = scoring_terms.build_score_table(commit, TEXT_FIELDS, DEFAULT_RANKING)
    assert table is not None
    terms = [*sorted({term for view in commit.segments for term in view.columns.vocabulary.terms()})[:40], "notaterm"]
    first = [table.term_scores(text) for text in terms]
    assert table.term_scores(terms[-1]) is first[-1]  # remembered (the limit emptied the rest)
    assert len(table._looked_up) <= 5
    for text, earlier in zip(terms, first):  # most looked up afresh: the same answers
        now = table.term_scores(text)
        assert np.array_equal(now.docs, earlier.docs) and np.array_equal(now.scores, earlier.scores), text
        assert [now.segment(i)[0].tolist() for i in range(len(commit.segments))] == [
            earlier.segment(i)[0].tolist() for i in range(len(commit.segments))]
    assert sum(len(found.docs) > 0 for found in first) == len(terms) - 1


def test_per_field_model_and_partial_fields_get_no_table(fixture_index: diplosearch.Index) -> None:
    commit = _commit_of(fixture_index)
    assert scoring_terms.build_score_table(commit, TEXT_FIELDS, WHOOSH_RANKING) is None
    assert scoring_terms.build_score_table(commit, ("title",), DEFAULT_RANKING) is None


def test_a_commit_writes_its_table_and_searches_use_it(fixture_index: diplosearch.Index, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    assert len(_tables(folder)) == 1  # the last commit's only: older ones were removed
    with_table = diplosearch.open_index(folder)
    table = _wait_for_table(with_table)
    assert table is not None
    assert table.settings == score_settings(TEXT_FIELDS, DEFAULT_RANKING)
    pages = {ranking: _pages(with_table, ranking) for ranking in (DEFAULT_RANKING, BM25F_RANKING)}
    with_table.close()
    for name in _tables(folder):
        os.rename(folder / name, folder / f"aside-{name}")
    without = diplosearch.open_index(folder)
    assert all(_pages(without, ranking) == page for ranking, page in pages.items())
    assert _commit_of(without).score_table_state.table is None
    without.close()


def test_terms_longer_than_the_matched_heads_are_one_term_across_segments(tmp_path: Path, small_tables: None) -> None:
    # 24 bytes, and longer words starting with those 24 bytes, each in other segments:
    # a term's documents in every segment must count towards one document frequency
    stem = "a" * 24
    words = [stem, stem + "b", stem + "bc", "kota"]
    index = diplosearch.open_index(tmp_path / "index", create=True)
    for batch in range(3):
        docs = [Document(id=f"d{batch}-{i}", title="", body=f"{words[(i + batch) % 4]} {words[(i * 3 + batch) % 4]} laut")
                for i in range(8)]
        index.add_many(docs, workers=1)
    commit = _commit_of(index)
    assert len(commit.segments) == 3
    table = scoring_terms.build_score_table(commit, TEXT_FIELDS, DEFAULT_RANKING)
    assert table is not None
    for text in (*words, "laut"):
        want = scoring_terms._score_terms(commit, [text], TEXT_FIELDS, DEFAULT_RANKING)[0]
        got = table.term_scores(text)
        assert len(got.docs) > 0 and np.array_equal(got.docs, want.docs) and np.array_equal(got.scores, want.scores)
    index.close()


def _hundred_documents_tables_from_fifty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> tuple[diplosearch.Index, Path, list[Document]]:
    """An index of 100 generated documents whose writes of 50 or more make a table."""
    monkeypatch.setattr(score_table, "TABLE_MIN_DOCUMENTS", 50)
    folder = tmp_path / "index"
    index = diplosearch.open_index(folder, create=True)
    docs = generated_documents()
    index.add_many(docs[:100], workers=1)
    return index, folder, docs


def test_a_delete_keeps_the_table_and_a_small_write_drops_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index, folder, docs = _hundred_documents_tables_from_fifty(tmp_path, monkeypatch)
    first = _tables(folder)
    assert len(first) == 1
    index.delete("gen-003")  # same segments, same statistics: the same table
    assert _tables(folder) == first
    index.add_many(docs[100:110], workers=1)  # too few documents to be worth a table
    assert _tables(folder) == []
    index.add_many(docs[110:200], workers=1)
    second = _tables(folder)
    assert len(second) == 1 and second != first
    # an import in several commits gets its table at its last commit only
    index.add_many(docs[200:320], workers=1, commit_every=40)
    third = _tables(folder)
    assert len(third) == 1 and third != second
    with index.snapshot() as snapshot:
        assert third == [os.path.basename(score_table.table_path(folder, snapshot.columns.segment_signature()))]
    index.close()


def test_leftovers_of_a_killed_table_write_go_at_the_next_commit(fixture_index: diplosearch.Index,
                                                                 tmp_path: Path) -> None:
    folder = tmp_path / "index"
    (folder / "scores_0123456789abcdef01234567.dscores.tmp1a2b3c4d5e6f").write_bytes(b"half a table")
    fixture_index.add(Document(id="one-more", title="kota", body="laut"))
    assert all(not name.endswith(".tmp1a2b3c4d5e6f") for name in os.listdir(folder))


@pytest.mark.parametrize("damage", ["flip", "truncate", "other segments", "arrays that do not fit"])
def test_a_damaged_or_foreign_table_is_never_used(fixture_index: diplosearch.Index, tmp_path: Path,
                                                  damage: str) -> None:
    folder = tmp_path / "index"
    (name,) = _tables(folder)
    path = folder / name
    expected = _pages(fixture_index)
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[-100] ^= 0xFF  # inside the last array
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "arrays that do not fit":
        # sound checksums, unsound content: a term id past the table's terms
        commit = _commit_of(fixture_index)
        table = scoring_terms.build_score_table(commit, TEXT_FIELDS, DEFAULT_RANKING)
        assert table is not None
        ids = table.global_ids[0].copy()
        ids[0] = len(table.starts) + 5
        broken = score_table.ScoreTable(commit, table.settings, [ids, *table.global_ids[1:]], table.starts,
                                        table.segment_starts, table.docs, table.scores)
        assert score_table.write_table(folder, commit, broken) == str(path)
    else:
        # a table of another commit under this commit's name
        other = diplosearch.open_index(tmp_path / "other", create=True)
        other.add_many(generated_documents(seed=3)[:60], workers=1)
        (other_table,) = _tables(tmp_path / "other")
        other.close()
        path.write_bytes((tmp_path / "other" / other_table).read_bytes())
    reader = diplosearch.open_index(folder)
    for _ in range(20):
        assert _pages(reader) == expected
        time.sleep(0.01)
    state = _commit_of(reader).score_table_state
    assert state is not None and state.table is None
    reader.close()


def test_a_table_that_cannot_be_written_does_not_fail_the_write(tmp_path: Path, small_tables: None,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(score_table, "write_table", full_disk)
    index = diplosearch.open_index(tmp_path / "index", create=True)
    report = index.add_many(generated_documents()[:30], workers=1)
    assert len(report.added) == 30 and len(index) == 30
    assert _tables(tmp_path / "index") == []
    assert index.search("kota").total > 0
    index.close()


def test_a_commit_past_the_bound_gets_no_table(tmp_path: Path, small_tables: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(score_table, "SCORE_TABLE_POSTINGS", 10)
    index = diplosearch.open_index(tmp_path / "index", create=True)
    index.add_many(generated_documents()[:30], workers=1)
    assert _tables(tmp_path / "index") == []
    index.close()


def test_words_of_the_fixture_vocabulary_are_in_the_table(fixture_index: diplosearch.Index) -> None:
    table = _wait_for_table(fixture_index)
    assert table is not None
    assert all(len(table.term_scores(word).docs) > 0 for word in WORDS[:10])
    assert len(table.term_scores("tidakadadisini").docs) == 0


def test_a_rebuilt_index_has_its_table(fixture_index: diplosearch.Index, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    fixture_index.rebuild()  # into a new directory, swapped in: the table comes along
    assert len(_tables(folder)) == 1
    reader = diplosearch.open_index(folder)
    table = _wait_for_table(reader)
    assert table is not None and table.postings > 0
    reader.close()


def test_a_single_search_leaves_the_table_alone(fixture_index: diplosearch.Index, tmp_path: Path) -> None:
    # a process that searches once (the command line) must not read and check the
    # table: only a second search of the commit opens it
    reader = diplosearch.open_index(tmp_path / "index")
    reader.search("kota laut", snippets=0)
    state = _commit_of(reader).score_table_state
    assert state is not None and state._opened is None
    assert _wait_for_table(reader) is not None
    reader.close()


def test_the_table_is_written_under_the_write_lock(tmp_path: Path, small_tables: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Another writer committing while this one writes its table would have its own
    # commit's table removed by this writer's clean-up (or its half-written file).
    folder = tmp_path / "index"
    index = diplosearch.open_index(folder, create=True)
    other = diplosearch.open_index(folder, writer_timeout=0)
    other_writes: list[str] = []
    write = scoring_terms.write_score_table

    def write_while_another_tries(*args: object, **kwargs: object) -> str | None:
        if not other_writes:  # once: the other writer's own commit comes back here
            try:
                other.add(Document(id="other", title="kota", body="laut"))
                other_writes.append("committed")
            except diplosearch.IndexLockedError:
                other_writes.append("locked out")
        return write(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scoring_terms, "write_score_table", write_while_another_tries)
    index.add_many(generated_documents()[:30], workers=1)
    assert other_writes == ["locked out"]
    monkeypatch.setattr(scoring_terms, "write_score_table", write)
    other.add(Document(id="after", title="kota", body="laut"))  # the lock is free once the write returns
    assert len(index) == 31
    other.close()
    index.close()


# Searches an index whose score table is a FIFO (a commit's second search opens its table).
SEARCH_BESIDE_A_FIFO = r"""
import sys
import diplosearch
with diplosearch.open_index(sys.argv[1]) as index:
    index.search("kota", snippets=0)
    print(index.search("kota", snippets=0).total)
"""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_in_place_of_the_table_does_not_hang_a_search(fixture_index: diplosearch.Index, tmp_path: Path,
                                                             isolated_index_home: Path) -> None:
    # Opening a FIFO for reading waits for a writer that never comes; the search must
    # treat it as no table (the timeout below only ends a hung run).
    folder = tmp_path / "index"
    (name,) = _tables(folder)
    expected = fixture_index.search("kota", snippets=0).total
    os.unlink(folder / name)
    os.mkfifo(folder / name)
    result = subprocess.run([sys.executable, "-c", SEARCH_BESIDE_A_FIFO, str(folder)], capture_output=True,
                            text=True, env=subprocess_env(isolated_index_home), timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == expected


def test_a_table_that_cannot_be_written_still_drops_the_last_commits(tmp_path: Path, small_tables: None,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # the old commit's table is no use to the new commit: left behind, it would outlive
    # the next commit too (a full disk gets no space back)
    folder = tmp_path / "index"
    index = diplosearch.open_index(folder, create=True)
    index.add_many(generated_documents()[:30], workers=1)
    assert len(_tables(folder)) == 1

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(score_table, "write_table", full_disk)
    index.add_many(generated_documents()[30:60], workers=1)
    assert len(index) == 60
    assert _tables(folder) == []
    index.close()


def test_a_commit_whose_clean_up_fails_still_lets_go_of_the_write_lock(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from diplosearch.store import parallel

    folder = tmp_path / "index"
    index = diplosearch.open_index(folder, create=True)
    finish = parallel.JoiningWriter._finish

    def finish_then_fail(writer: object) -> None:
        finish(writer)
        raise OSError(5, "Input/output error")  # after the commit: it stands, with a warning

    monkeypatch.setattr(parallel.JoiningWriter, "_finish", finish_then_fail)
    index.add(Document(id="one", title="kota", body="laut"))
    monkeypatch.setattr(parallel.JoiningWriter, "_finish", finish)
    other = diplosearch.open_index(folder, writer_timeout=0)
    other.add(Document(id="two", title="kota", body="laut"))  # IndexLockedError if the lock was kept
    assert len(other) == 2
    other.close()
    index.close()


def test_a_delete_does_not_keep_a_damaged_table(fixture_index: diplosearch.Index, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    (name,) = _tables(folder)
    data = bytearray((folder / name).read_bytes())
    data[-100] ^= 0xFF
    (folder / name).write_bytes(bytes(data))
    fixture_index.delete("gen-001")  # the same segments: the table would be kept as it is
    assert _tables(folder) == []


@pytest.mark.parametrize("before_the_delete", ["nothing", "damage", "touch"])
def test_a_reader_keeps_the_checked_table_across_a_commit_that_only_deletes(
        fixture_index: diplosearch.Index, tmp_path: Path, before_the_delete: str) -> None:
    folder = tmp_path / "index"
    reader = diplosearch.open_index(folder)
    in_use = _wait_for_table(reader)
    assert in_use is not None
    victim = reader.search("kota", limit=1, snippets=0).hits[0].id
    (name,) = _tables(folder)
    if before_the_delete == "damage":  # the writer finds it damaged at its next commit and removes it
        data = bytearray((folder / name).read_bytes())
        data[-100] ^= 0xFF
        (folder / name).write_bytes(bytes(data))
    elif before_the_delete == "touch":  # sound, but no longer provably the file that was checked
        os.utime(folder / name, ns=(time.time_ns(), time.time_ns() + 10**9))
    fixture_index.delete(victim)
    hits = reader.search("kota", limit=100, snippets=0).hits
    assert victim not in {hit.id for hit in hits}  # the new commit's deletions, whatever the table
    state = _commit_of(reader).score_table_state
    if before_the_delete == "nothing":
        assert state.table is in_use  # adopted: not looked for, mapped and checked again
    else:
        assert state is None or state.table is not in_use
    assert _pages(reader) == _pages(fixture_index)
    if before_the_delete == "nothing":
        fixture_index.add(Document(id="new-doc", title="kota baru", body="kota laut"))  # new segments: a new table
        reader.search("kota", snippets=0)
        assert _commit_of(reader).score_table_state is not state
    reader.close()


def test_a_directory_named_as_the_table_is_no_table(fixture_index: diplosearch.Index, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    (name,) = _tables(folder)
    (folder / name).unlink()
    (folder / name).mkdir()
    fixture_index.delete("gen-001")
    assert score_table.sound_table_at(str(folder / name)) is False
    reader = diplosearch.open_index(folder)
    for _ in range(3):
        assert reader.search("kota laut").total > 0
    assert _commit_of(reader).score_table_state.table is None
    reader.close()


def test_make_score_table_gives_a_small_writes_commit_its_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index, folder, docs = _hundred_documents_tables_from_fifty(tmp_path, monkeypatch)
    index.add_many(docs[100:110], workers=1)  # a small write: no table
    assert _tables(folder) == []
    without = _pages(index)
    assert index.make_score_table() is True
    tables = _tables(folder)
    with index.snapshot() as snapshot:  # made for the newest commit
        assert tables == [os.path.basename(score_table.table_path(folder, snapshot.columns.segment_signature()))]
    assert _wait_for_table(index) is not None
    assert _pages(index) == without  # the same pages to the last bit
    assert index.make_score_table() is True and _tables(folder) == tables  # kept, not made again
    # nothing was committed: the next small write drops the table as before
    index.add_many(docs[110:115], workers=1)
    assert _tables(folder) == []
    index.close()


def test_make_score_table_says_when_the_commit_gets_none(tmp_path: Path, small_tables: None,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    empty = diplosearch.open_index(tmp_path / "empty", create=True)
    assert empty.make_score_table() is False
    empty.close()
    monkeypatch.setattr(score_table, "SCORE_TABLE_POSTINGS", 10)
    index = diplosearch.open_index(tmp_path / "index", create=True)
    index.add_many(generated_documents()[:30], workers=1)
    assert index.make_score_table() is False and _tables(tmp_path / "index") == []
    index.close()
    with pytest.raises(diplosearch.errors.IndexClosedError):
        index.make_score_table()


def test_make_score_table_on_a_full_disk_says_so_and_changes_nothing(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    index, folder, docs = _hundred_documents_tables_from_fifty(tmp_path, monkeypatch)
    index.add_many(docs[100:110], workers=1)
    before = _pages(index)

    def full_disk(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(score_table, "write_table", full_disk)
    with pytest.raises(diplosearch.errors.DiplosearchError, match="cannot write the score table") as raised:
        index.make_score_table()
    assert not isinstance(raised.value, diplosearch.errors.CorruptIndexError)  # no damage to report
    assert _tables(folder) == [] and _pages(index) == before
    monkeypatch.undo()
    index.add_many(docs[110:112], workers=1)  # the write lock was let go
    assert index.make_score_table() is True
    index.close()
