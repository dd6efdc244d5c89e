"""The Python API used the way a demanding embedding application uses it: wrong types,
odd values and ids. Each test guards a defect found by doing so: a bad argument must be
a specific error naming it (never "the index is damaged"), and no value may be quietly
turned into another (``None`` into the id ``"None"``, a string into its characters)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

import diplosearch
from diplosearch import Document, Quote, open_index
from diplosearch.errors import CorruptIndexError, DocumentError, InvalidArgumentError, QueryError

WORDS = "ekonomi budaya politik hukum olahraga banjir gempa pemilu presiden menteri".split()


@pytest.fixture
def ix(tmp_path: Path):
    with open_index(tmp_path / "berita", create=True) as index:
        index.add_many([
            Document(id=f"d{i}", title=f"Berita {WORDS[i % 10]} {WORDS[(i + 1) % 10]}",
                     body=f"isi berita {WORDS[i % 10]} {WORDS[(i * 3) % 10]} diplomasi",
                     source="kompas" if i % 2 else "detik", published=dt.datetime(2019, 1, 1 + i))
            for i in range(20)
        ])
        yield index


# -- search arguments ------------------------------------------------------------------

@pytest.mark.parametrize(("option", "value"), [
    ("fields", 5),
    ("fields", "title"),  # was read as the fields 't', 'i', ...
    ("facets", 5),
    ("snippet_chars", None),
    ("snippet_chars", "x"),
    ("snippet_chars", -5),
    ("snippet_chars", 0),
    ("snippet_chars", 1.5),
    ("snippet_chars", True),
    ("markers", None),
    ("markers", ("[",)),
    ("markers", ("[", "]", "!")),
    ("markers", (1, 2)),
    ("markers", "**"),  # was unpacked into "*" and "*"
])
def test_a_bad_search_option_is_a_query_error_naming_it(ix, option, value):
    with pytest.raises(QueryError, match=f"{option} must") as raised:
        ix.search("diplomasi", **{option: value})
    assert not isinstance(raised.value, CorruptIndexError)


@pytest.mark.parametrize(("option", "value"), [
    ("snippets", "x"), ("snippets", -1), ("snippets", True),
    ("snippet_chars", None), ("snippet_chars", -1), ("markers", None), ("markers", "**"),
])
def test_a_bad_similar_option_is_a_query_error_naming_it(ix, option, value):
    with pytest.raises(QueryError, match=f"{option} must"):
        ix.similar("d1", **{option: value})


def test_an_unknown_search_keyword_is_a_type_error_not_a_damaged_index(ix):
    with pytest.raises(TypeError, match="snipets"):
        ix.search("diplomasi", snipets=0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="snipets"):
        ix.search_iter("diplomasi", snipets=0)  # type: ignore[call-arg]


def test_facets_given_as_a_generator_are_counted(ix):
    wanted = ix.search("diplomasi", facets=["source"]).facets
    assert wanted["source"]  # the fixture has two sources
    assert ix.search("diplomasi", facets=(name for name in ["source"])).facets == wanted
    assert ix.search("diplomasi", facets=None).facets == {}


# -- ids -------------------------------------------------------------------------------

def test_a_document_id_of_none_is_refused_not_stored_as_the_text_none(ix):
    with pytest.raises(DocumentError, match="id"):
        ix.add(Document(id=None, title="tanpa id", body="isi"))  # type: ignore[arg-type]
    assert ix.get("None") is None
    without_id = Document(id=None, title="a", body="b")  # type: ignore[arg-type]
    report = ix.add_many([without_id, Document(id="ok", title="a", body="b")], skip_invalid=True)
    assert report.added == ("ok",) and len(report.problems) == 1


def test_reading_or_deleting_the_id_none_is_an_invalid_argument(ix):
    ix.add(Document(id="None", title="judul", body="dokumen yang id-nya kata None"))
    for call in (lambda: ix.delete(None), lambda: ix.delete_ids([None]), lambda: ix.get(None),
                 lambda: ix.similar(None)):
        with pytest.raises(InvalidArgumentError, match="id"):
            call()  # type: ignore[no-untyped-call]
    assert None not in ix and ["None"] not in ix  # membership of a non-id is False, as for a dict
    assert ix.get("None") is not None


def test_an_id_with_a_lone_surrogate_is_an_invalid_argument_not_a_damaged_index(ix):
    # no document can be stored under such an id; looking one up was "the index is damaged"
    for call in (lambda: ix.get("d1\udcff"), lambda: ix.similar("\udcff"), lambda: ix.delete("\udcff"),
                 lambda: ix.delete_ids(["d1", "\udcff"])):
        with pytest.raises(InvalidArgumentError, match="lone surrogate"):
            call()  # type: ignore[no-untyped-call]
    assert len(ix) == 20


def test_delete_ids_given_one_string_deletes_nothing_instead_of_its_characters(ix):
    ix.add_many([Document(id=c, title="huruf", body=f"huruf {c}") for c in "abc"])
    with pytest.raises(InvalidArgumentError, match="delete"):
        ix.delete_ids("abc")
    with pytest.raises(InvalidArgumentError, match="delete"):
        ix.delete_many("abc")
    assert all(c in ix for c in "abc")


# -- documents -------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    Document(id="t", title=None, body="isi"),  # type: ignore[arg-type]
    Document(id="b", title="judul", body=None),  # type: ignore[arg-type]
    Document(id="q", title="judul", body="isi", quotes=[Quote(None)]),  # type: ignore[arg-type]
    Document(id="c", title="judul", body="isi", captions=[None]),  # type: ignore[list-item]
])
def test_a_missing_text_is_a_document_error_and_skip_invalid_skips_it(ix, bad):
    with pytest.raises(DocumentError, match=f"document '{bad.id}'"):
        ix.add(bad)
    report = ix.add_many([bad, Document(id="baik", title="judul", body="isi")], skip_invalid=True)
    assert report.added == ("baik",) and bad.id in str(report.problems[0])


def test_one_string_given_as_quotes_or_captions_is_one_quote_or_caption_not_its_characters():
    doc = Document(id="a", title="t", quotes="kerja sama", captions="foto presiden")  # type: ignore[arg-type]
    assert doc.quotes == (Quote("kerja sama"),)
    assert doc.captions == ("foto presiden",)
    assert Document(id="a", title="t", captions=None).captions == ()  # type: ignore[arg-type]


def test_a_zoned_published_date_keeps_its_wall_clock_time_and_drops_the_zone(ix):
    wib = dt.timezone(dt.timedelta(hours=7))
    doc = Document(id="z", title="zona", body="isi", published=dt.datetime(2020, 1, 1, 23, 30, tzinfo=wib))
    assert doc.published == dt.datetime(2020, 1, 1, 23, 30)
    assert doc == Document(id="z", title="zona", body="isi", published="2020-01-01T23:30:00+07:00")
    ix.add(doc)
    assert ix.get("z") == doc
    assert ix.add(ix.get("z")) is False  # what was read back is unchanged, not a new version


# -- ranking ---------------------------------------------------------------------------

def test_a_rankings_weights_cannot_be_changed_behind_its_validation(ix):
    from diplosearch.ranking import DEFAULT_RANKING, Ranking

    before = [(hit.id, hit.score) for hit in ix.search("ekonomi").hits]
    with pytest.raises(TypeError):
        DEFAULT_RANKING.boosts["title"] = -5.0  # type: ignore[index]  # would change every search in the process
    given = {"title": 3.0}
    ranking = Ranking(boosts=given)
    given["title"] = -5.0  # the caller's dict is the caller's: the ranking keeps what was validated
    assert ranking.boosts == {"title": 3.0} and ranking.weight("title") == 3.0
    assert [(hit.id, hit.score) for hit in ix.search("ekonomi").hits] == before


def test_a_ranking_is_hashable_and_survives_pickling():
    import json
    import pickle

    import attrs

    from diplosearch.ranking import BM25F_RANKING, Ranking

    custom = Ranking(k1=0.9, boosts={"title": 4.0, "body": 1.0})
    assert pickle.loads(pickle.dumps(custom)) == custom
    assert json.loads(json.dumps(attrs.asdict(custom)))["boosts"] == {"title": 4.0, "body": 1.0}
    assert len({custom, Ranking(k1=0.9, boosts={"body": 1.0, "title": 4.0}), BM25F_RANKING, Ranking()}) == 2


# -- opening and writing options -------------------------------------------------------

@pytest.mark.parametrize("timeout", ["30", None, -1, float("nan"), True])
def test_a_bad_writer_timeout_is_refused_when_the_index_is_opened(tmp_path, timeout):
    open_index(tmp_path / "ix", create=True).close()
    with pytest.raises(InvalidArgumentError, match="writer_timeout"):
        open_index(tmp_path / "ix", writer_timeout=timeout)


def test_an_infinite_writer_timeout_waits_as_long_as_it_takes(tmp_path):
    with open_index(tmp_path / "ix", create=True, writer_timeout=float("inf")) as index:
        assert index.add(Document(id="a", title="judul", body="isi"))  # was OverflowError
        assert index.rebuild() == 1


@pytest.mark.parametrize(("options", "named"), [
    ({"durable": "no"}, "durable"),  # a non-empty string would have meant True
    ({"create": 1}, "create"),
    ({"check_version": None}, "check_version"),
    ({"analyzer": 5}, "analyzer"),  # was an AttributeError deep inside
])
def test_open_index_options_of_the_wrong_kind_are_refused_by_name(tmp_path, options, named):
    with pytest.raises(InvalidArgumentError, match=named):
        open_index(tmp_path / "ix", **options)
    assert not (tmp_path / "ix").exists()


@pytest.mark.parametrize("path", ["", b"/tmp/ix", 5, ["ix"]])
def test_an_index_named_by_nothing_or_by_bytes_is_refused(path, isolated_index_home):
    # "" would have opened (or with create=True made) an index in the current directory
    with pytest.raises(InvalidArgumentError, match="directory path or a bare name"):
        open_index(path, create=True)
    with pytest.raises(InvalidArgumentError, match="directory path or a bare name"):
        diplosearch.check_index(path)


@pytest.mark.parametrize("paths", [None, b"/tmp/artikel.txt", 5, [None], ["artikel.txt", b"x"], [""]])
def test_add_files_given_something_other_than_paths_is_refused_and_writes_nothing(ix, paths):
    before = len(ix)
    with pytest.raises(InvalidArgumentError, match="add_files"):
        ix.add_files(paths)
    assert len(ix) == before


def test_title_is_derived_takes_a_flag_not_any_truthy_text():
    with pytest.raises(DocumentError, match="title_is_derived"):
        Document(id="a", title="judul", body="isi", title_is_derived="false")
    assert Document(id="a", title="judul", body="isi", title_is_derived=0).title_is_derived is False


@pytest.mark.parametrize("option", ["commit_every", "workers"])
def test_true_is_not_a_count_of_documents_or_workers(ix, option):
    with pytest.raises(InvalidArgumentError, match=option):
        ix.add_many([Document(id="baru", title="judul", body="isi")], **{option: True})
    assert "baru" not in ix


def test_a_bad_page_size_names_page_size(ix):
    for bad in (0, 1001, 1.5, True):
        with pytest.raises(QueryError, match="page_size"):
            ix.search_iter("diplomasi", page_size=bad)


# -- an index replaced or removed while open -------------------------------------------

def _in_the_swap_window(monkeypatch, path: Path, action):  # type: ignore[no-untyped-def]
    """Run ``action()`` once, between the two renames of a rebuild's directory swap
    (the old index moved aside, the new one not yet in place); returns what it gave."""
    import os

    real_replace = os.replace
    outcome: list[object] = []

    def replace_then_act(src, dst):  # type: ignore[no-untyped-def]
        real_replace(src, dst)
        if Path(dst).name.startswith(f".{path.name}.retired-") and not outcome:
            try:
                outcome.append(action())
            except Exception as exc:  # reported below, after the rebuild finished
                outcome.append(exc)

    monkeypatch.setattr(os, "replace", replace_then_act)
    assert diplosearch.rebuild_index(path) == 20
    monkeypatch.undo()
    return outcome[0]


def test_a_search_between_the_renames_of_a_rebuild_finds_the_index(ix, monkeypatch):
    with open_index(ix.path) as reader:
        reader.search("diplomasi")  # holds the old commit's snapshot
        found = _in_the_swap_window(monkeypatch, ix.path, lambda: reader.search("diplomasi").total)
        assert found == 20  # was CorruptIndexError: "cannot read the index"


def test_a_write_between_the_renames_of_a_rebuild_lands_in_the_new_index(ix, monkeypatch):
    with open_index(ix.path) as writer:
        written = _in_the_swap_window(
            monkeypatch, ix.path, lambda: writer.add(Document(id="baru", title="judul", body="isi baru")))
        assert written is True  # was DiplosearchError: "cannot take the write lock"
    assert "baru" in ix and len(ix) == 21


def test_an_index_removed_while_open_is_not_found_rather_than_damaged(ix):
    import shutil

    shutil.rmtree(ix.path)
    for call in (lambda: ix.search("diplomasi"), lambda: ix.get("d1"),
                 lambda: ix.add(Document(id="baru", title="judul", body="isi"))):
        with pytest.raises(diplosearch.IndexNotFoundError, match=str(ix.path)):
            call()  # type: ignore[no-untyped-call]
    ix.path.mkdir()  # an empty directory in its place is not written into either
    with pytest.raises(diplosearch.IndexNotFoundError):
        ix.add(Document(id="baru", title="judul", body="isi"))
    assert list(ix.path.iterdir()) == []


# -- an aborted parallel batch ---------------------------------------------------------

def test_a_batch_that_fails_with_helpers_leaves_no_helper_folders(tmp_path, monkeypatch):
    from diplosearch.store import parallel

    monkeypatch.setattr(parallel, "PARALLEL_MIN_DOCS", 10)
    monkeypatch.setattr(parallel, "_HELPER_CHUNK", 7)

    path = tmp_path / "ix"
    folders_at_failure: list[str] = []

    def failing_feed():  # type: ignore[no-untyped-def]
        for i in range(100):
            if i == 90:
                # fail once the helper has started this round's segment (its folder is made then)
                for _ in range(3000):
                    folders_at_failure[:] = [p.name for p in path.glob(".MAIN.worker-*")]
                    if folders_at_failure:
                        break
                    time.sleep(0.01)
                raise RuntimeError("the feed broke")
            yield Document(id=f"f{i}", title="judul", body=f"isi berita nomor {i}")

    with open_index(path, create=True) as index:
        with pytest.raises(RuntimeError, match="feed broke"):
            index.add_many(failing_feed(), workers=2, commit_every=40)
        assert folders_at_failure  # a helper was writing when the batch failed
        assert len(index) == 80  # the two commits before the failure
        assert sorted(p.name for p in path.glob(".MAIN.worker-*")) == []
        assert index.check().ok


def test_a_write_from_inside_a_write_on_the_same_thread_fails_at_once_saying_so(tmp_path):
    with open_index(tmp_path / "ix", create=True, writer_timeout=1) as index:
        def write_again(progress):  # type: ignore[no-untyped-def]
            index.add(Document(id="di-dalam", title="judul", body="isi"))

        # was: a wait for the whole writer_timeout (30 s by default) for a lock this very
        # thread holds, then "locked by another writer in this process"
        with pytest.raises(diplosearch.IndexLockedError, match="this thread is already writing"):
            index.add_many([Document(id="luar", title="judul", body="isi")], progress=write_again)
        assert len(index) == 0
        assert index.add(Document(id="luar", title="judul", body="isi"))  # the lock was released


def test_similar_articles_can_have_html_safe_snippets(ix):
    ix.add_many([
        Document(id="x1", title="Banjir <b>besar</b>", body="banjir <script>alert(1)</script> melanda kota"),
        Document(id="x2", title="Banjir lagi", body="banjir <script>alert(2)</script> melanda desa"),
    ])
    (hit,) = [h for h in ix.similar("x1", snippet_format="html").hits if h.id == "x2"]
    assert "<script>" not in " ".join(hit.snippets) and "<mark>" in " ".join(hit.snippets)
    with pytest.raises(QueryError, match="snippet_format"):
        ix.similar("x1", snippet_format="markdown")  # type: ignore[arg-type]


def test_since_and_until_take_a_datetimes_iso_text_as_they_take_the_datetime(ix):
    moment = dt.datetime(2019, 1, 5, 10, 30)
    as_object = ix.search("diplomasi", since=moment, until=moment + dt.timedelta(days=3), snippets=0)
    as_text = ix.search("diplomasi", since=moment.isoformat(), until=(moment + dt.timedelta(days=3)).isoformat(),
                        snippets=0)
    assert as_text.total == as_object.total == 4  # 5 to 8 January, a day counting whole
    assert [hit.id for hit in as_text.hits] == [hit.id for hit in as_object.hits]
    with pytest.raises(QueryError, match="since"):
        ix.search("diplomasi", since="2019-01-05T25:00")


def test_a_handle_whose_index_was_rebuilt_with_another_analysis_stops_instead_of_mixing_analyses(ix):
    from diplosearch.analysis.analyzer import IndonesianAnalyzer
    from diplosearch.analysis.stemmer import NoStemmer
    from diplosearch.store.index_store import replace_index_directory

    other = IndonesianAnalyzer(stemmer=NoStemmer())
    assert other.version != ix.analyzer.version
    ix.search("diplomasi")  # holds a snapshot of the index as opened
    # as a newer diplosearch's rebuild would: the directory swapped for one of another analysis
    replace_index_directory(ix.path, other, lambda new: new.add(Document(id="lain", title="judul", body="isi")))
    with pytest.raises(diplosearch.IndexVersionError, match="rebuilt while open"):
        ix.search("diplomasi")
    with pytest.raises(diplosearch.IndexVersionError, match="rebuilt while open"):
        ix.add(Document(id="baru", title="judul", body="isi"))  # would index it with the wrong analysis
    with open_index(ix.path, analyzer=other) as rebuilt:
        assert [doc.id for doc in rebuilt.documents()] == ["lain"]


def test_a_file_named_as_the_index_is_not_an_index_rather_than_unsafe(tmp_path):
    # a world-writable file (/dev/null) was told to be chmod-ed like an index folder
    for path in (tmp_path / "artikel.txt", Path("/dev/null")):
        if not path.exists():
            path.write_text("bukan indeks")
        for create in (False, True):
            with pytest.raises(diplosearch.NotAnIndexError, match="(a file|not a directory), not an index directory"):
                open_index(path, create=create)
    assert (tmp_path / "artikel.txt").read_text() == "bukan indeks"


def test_an_index_that_cannot_be_made_there_is_one_clear_error_not_an_os_error(tmp_path):
    blocker = tmp_path / "berkas"
    blocker.write_text("x")
    with pytest.raises(diplosearch.DiplosearchError, match=f"cannot create an index at {blocker / 'ix'}") as refused:
        open_index(blocker / "ix", create=True)  # was FileExistsError: [Errno 17]
    assert not isinstance(refused.value, OSError) and "\n" not in str(refused.value)
    assert [p.name for p in tmp_path.iterdir()] == ["berkas"]


def test_check_says_an_intact_index_of_another_analysis_is_outdated_not_ok(tmp_path):
    from diplosearch.analysis.analyzer import IndonesianAnalyzer
    from diplosearch.analysis.stemmer import NoStemmer
    from diplosearch.cli import main

    path = tmp_path / "lama"
    with open_index(path, create=True, analyzer=IndonesianAnalyzer(stemmer=NoStemmer())) as old:
        old.add(Document(id="a", title="judul", body="perkembangan diplomasi"))
    report = diplosearch.check_index(path)  # every command but check refused it, while check said "ok"
    assert report.ok and not report.usable
    assert "analysis" in (report.outdated or "") and "outdated" in report.summary()
    assert main(["check", "--index", str(path)]) == 1
    assert diplosearch.rebuild_index(path) == 1
    rebuilt = diplosearch.check_index(path)
    assert rebuilt.usable and rebuilt.outdated is None and "ok" in rebuilt.summary()


def test_a_repeated_id_read_from_files_is_one_note_not_two_and_not_a_skip(tmp_path, ix):
    import json

    from diplosearch import read_documents
    from diplosearch.cli import main

    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps({"id": f"r{i}", "title": "judul", "body": f"isi {i}"}) + "\n"
                            for i in range(3)))
    for report in (ix.add_many(read_documents([feed, feed]), skip_invalid=True),  # the reader notices first
                   ix.add_files([feed, feed])):
        assert sorted(problem.doc_id for problem in report.problems) == ["r0", "r1", "r2"]  # once each
        assert report.notes == report.problems and report.skipped == ()
    outcome = ix.add_many([Document(id="panjang2", title="judul", body="kata " * 300_000)])
    assert outcome.written == 1 and outcome.skipped == () and len(outcome.notes) == 1
    # the command counts notes apart from skipped inputs, and they do not make it exit 3
    assert main(["index", "--index", str(tmp_path / "cli"), str(feed), str(feed)]) == 0


def test_an_index_home_that_is_a_file_is_one_clear_error_naming_the_setting(tmp_path, monkeypatch):
    blocker = tmp_path / "berkas"
    blocker.write_text("x")
    for where in (blocker, blocker / "sub"):
        monkeypatch.setenv("DIPLOSEARCH_HOME", str(where))
        with pytest.raises(diplosearch.DiplosearchError, match=r"index home .*DIPLOSEARCH_HOME") as refused:
            open_index()  # was FileExistsError / NotADirectoryError: [Errno ...]
        assert not isinstance(refused.value, OSError)
    assert blocker.read_text() == "x"


def test_a_huge_id_is_cut_short_in_messages_not_copied_whole(ix):
    huge = "x" * 1_000_000
    with pytest.raises(DocumentError) as refused:
        ix.add(Document(id=huge, title="", body=""))
    assert len(str(refused.value)) < 300 and "1,000,000 characters" in str(refused.value)
    with pytest.raises(DocumentError) as unknown:
        ix.similar(huge)
    assert len(str(unknown.value)) < 300 + len(str(ix.path))


@pytest.mark.parametrize("published", ["garbage", 3.5, ["2019-01-01"]])
def test_a_bad_published_value_is_a_document_error_like_every_other_bad_field(published):
    with pytest.raises(DocumentError, match="published must be a date") as refused:
        Document(id="a", title="judul", body="isi", published=published)  # was a bare ValueError or TypeError
    assert isinstance(refused.value, diplosearch.DiplosearchError)


def test_check_on_a_closed_index_is_refused_like_every_other_call(tmp_path):
    index = open_index(tmp_path / "ix", create=True)
    index.close()
    with pytest.raises(diplosearch.IndexClosedError):
        index.check()  # returned a report from the closed handle
    assert diplosearch.check_index(tmp_path / "ix").ok  # checking without opening still works


def test_one_document_given_to_add_many_is_refused_with_a_pointer_to_add(ix):
    with pytest.raises(InvalidArgumentError, match=r"add\(\) takes one"):
        ix.add_many(Document(id="baru", title="judul", body="isi"))  # was TypeError: not iterable
    with pytest.raises(InvalidArgumentError, match="add_many"):
        ix.add_many(5)
    assert "baru" not in ix
