"""Narrow, sort and explore (issue 12, items 1-5): filters, sort, facets, typo help and
similar articles, through the API and the command line alike."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from diplosearch import Document, open_index
from diplosearch.errors import DocumentError, QueryError
from diplosearch.spelling import Neighbourhood, edit_distance

from test_cli import assert_clean_error, run

FILLER = "Pertemuan itu membahas perdagangan, pendidikan dan pariwisata antara kedua pihak."


def corpus() -> list[Document]:
    docs = [
        Document(id="k1", title="Banjir melanda Jakarta", body=f"Presiden meninjau banjir. {FILLER}",
                 source="Kompas.com", category="News", sub_category="Nasional", published="2019-09-16"),
        Document(id="k2", title="Presiden bertemu gubernur", body=f"Presiden membahas diplomasi. {FILLER}",
                 source="Kompas.com", category="Regional", sub_category="Jawa", published="2019-09-01"),
        Document(id="t1", title="Banjir di Bandung", body=f"Warga mengungsi karena banjir. {FILLER}",
                 source="Tempo.co", category="News", published="2019-10-02"),
        Document(id="t2", title="Diplomasi ekonomi presiden", body=f"Diplomasi dan presiden. {FILLER}",
                 source="tempo.co", category="News", published="2018-12-31"),
        Document(id="d1", title="Kabar tanpa tanggal", body=f"Presiden dan banjir lagi. {FILLER}",
                 source="Detik", category="News"),
    ]
    # Enough articles holding "presiden" and "diplomasi" for a typo's neighbour to be frequent.
    for number in range(12):
        docs.append(Document(id=f"x{number}", title=f"Presiden berpidato {number}",
                             body=f"Diplomasi presiden ke{number}. {FILLER}", source="Antara",
                             category="Regional", published=f"2019-08-{number + 1:02d}"))
    return docs


@pytest.fixture(scope="module")
def index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("explore") / "ix"
    with open_index(path, create=True) as index:
        index.add_many(corpus())
    return path


@pytest.fixture
def ix(index_path: Path):
    with open_index(index_path) as index:
        yield index


def ids(results) -> list[str]:
    return [hit.id for hit in results.hits]


# ----------------------------------------------------------------------------- filters


def test_a_source_filter_is_case_insensitive_and_never_changes_scores(ix):
    plain = {hit.id: hit.score for hit in ix.search("banjir", limit=50)}
    kept = ix.search("banjir", source="kompas.com", limit=50)
    assert ids(kept) == ["k1"]
    assert kept.hits[0].score == plain["k1"]
    assert {h.id: h.score for h in ix.search("source:KOMPAS.COM banjir", limit=50)} == {"k1": plain["k1"]}


def test_several_values_are_ored_and_filters_of_different_fields_anded(ix):
    both = ix.search("banjir", source=["Kompas.com", "tempo.co"], limit=50)
    assert set(ids(both)) == {"k1", "t1"}
    assert ids(ix.search("banjir", source=["Kompas.com", "tempo.co"], category="Regional")) == []
    assert ids(ix.search("presiden", sub_category="jawa")) == ["k2"]


def test_the_api_filters_and_the_query_syntax_give_the_same_documents(ix):
    api = ix.search("presiden", category="news", since="2019-09-01", until="2019-09-30", limit=50)
    syntax = ix.search("presiden category:News date:2019-09-01..2019-09-30", limit=50)
    assert ids(api) == ids(syntax) == ["k1"]


def test_a_date_filter_is_inclusive_and_leaves_out_documents_without_a_date(ix):
    assert set(ids(ix.search("banjir", since="2019-09-16", limit=50))) == {"k1", "t1"}
    assert set(ids(ix.search("banjir", until=dt.date(2019, 9, 16), limit=50))) == {"k1"}
    assert set(ids(ix.search("banjir", since=dt.datetime(2019, 10, 2, 23, 0), limit=50))) == {"t1"}
    assert set(ids(ix.search("presiden", until="2018", limit=50))) == {"t2"}  # a year's last day
    assert "d1" not in ids(ix.search("presiden", since="1900", limit=50))
    assert ix.search("banjir", since="2020", until="2019").total == 0


def test_filters_alone_list_the_documents_newest_first(ix):
    listed = ix.search("", source="Kompas.com")
    assert ids(listed) == ["k2", "k1"][::-1] and listed.total == 2
    assert [h.score for h in listed] == [0.0, 0.0]
    assert ids(ix.search("", category="News", limit=50)) == ["t1", "k1", "t2", "d1"]


@pytest.mark.parametrize(
    "options",
    [{"source": 3}, {"category": [None]}, {"since": "kemarin"}, {"until": 20190916}, {"since": "2019-02-30"}],
)
def test_bad_filter_arguments_raise_query_error(ix, options):
    with pytest.raises(QueryError):
        ix.search("banjir", **options)


def test_a_filter_field_in_fields_is_refused_with_a_hint(ix):
    with pytest.raises(QueryError, match="source is a filter"):
        ix.search("banjir", fields=["source"])


# ----------------------------------------------------------------------------- sort


def test_sort_orders_by_date_with_undated_documents_last(ix):
    newest = ix.search("banjir", sort="newest", limit=50)
    oldest = ix.search("banjir", sort="oldest", limit=50)
    assert ids(newest) == ["t1", "k1", "d1"]
    assert ids(oldest) == ["k1", "t1", "d1"]


def test_sort_orders_by_the_time_of_day_too(tmp_path: Path):
    # added in an order that is neither time order nor its reverse
    published = {"pagi": "2019-09-16T08:00:00", "malam": "2019-09-16T21:30:00", "tanggal": "2019-09-16",
                 "kemarin": "2019-09-15T23:59:00", "tanpa": None, "siang": "16 September 2019 pukul 12.15"}
    with open_index(tmp_path / "ix", create=True) as index:
        index.add_many([Document(id=name, title=f"Banjir {name}", body="Banjir melanda kota.", published=when)
                        for name, when in published.items()])
        newest = ["malam", "siang", "pagi", "tanggal", "kemarin", "tanpa"]  # a date alone counts as midnight
        oldest = ["kemarin", "tanggal", "pagi", "siang", "malam", "tanpa"]
        for limit in (2, 4, 10):  # a page shorter than the matches is picked apart from the sort
            assert ids(index.search("banjir", sort="newest", limit=limit)) == newest[:limit]
            assert ids(index.search("banjir", sort="oldest", limit=limit)) == oldest[:limit]
        assert ids(index.search("banjir", sort="newest", limit=2, offset=3)) == newest[3:5]


# ----------------------------------------------------------------------------- facets


def test_facets_count_every_matching_document_not_only_the_page(ix):
    results = ix.search("presiden", limit=1, facets=["source", "category", "year", "month"])
    assert len(results.hits) == 1 and results.total == 16
    assert results.facets["source"] == [("Antara", 12), ("Kompas.com", 2), ("Detik", 1), ("Tempo.co", 1)]
    assert results.facets["category"] == [("Regional", 13), ("News", 3)]
    assert results.facets["year"] == [("2018", 1), ("2019", 14)]  # the undated one is not counted
    assert results.facets["month"] == [("2018-12", 1), ("2019-08", 12), ("2019-09", 2)]


def test_facets_follow_the_filters(ix):
    results = ix.search("", source="tempo.co", facets=["month"])
    assert results.facets == {"month": [("2018-12", 1), ("2019-10", 1)]}
    assert ix.search("tidakadakatasemacamini", facets=["source"]).facets == {"source": []}


def test_an_unknown_facet_is_refused(ix):
    with pytest.raises(QueryError, match="facets"):
        ix.search("banjir", facets=["title"])
    with pytest.raises(QueryError, match="facets"):
        ix.search("banjir", facets="source")  # a name, not a list of names
    with pytest.raises(QueryError, match="fuzzy"):
        ix.search("banjir", fuzzy="yes")


# ----------------------------------------------------------------------------- typo help


def test_a_word_missing_from_the_vocabulary_gets_a_suggestion(ix):
    results = ix.search("presidn")
    assert results.total == 0 and results.suggestion == "presiden"
    assert ix.search("banjir presidn").suggestion == "banjir presiden"
    assert ix.search("diplomasih").suggestion == "diplomasi"  # compared in analysed form
    assert ix.search("presiden").suggestion is None


def test_fuzzy_words_match_close_spellings_below_exact_matches(ix):
    assert ix.search("presidn").total == 0
    fuzzy = ix.search("presidn~", limit=50)
    assert fuzzy.total == 16 and fuzzy.hits[0].matched_terms == 1
    assert ix.search("presidn", fuzzy=True, limit=50).total == 16
    # an exact match outranks the same document found through a close spelling
    exact = ix.search("presiden", limit=50)
    assert {h.id: h.score for h in ix.search("presiden~", limit=50)} == {h.id: h.score for h in exact}
    by_typo = {h.id: h.score for h in fuzzy}
    assert all(by_typo[h.id] < h.score for h in exact)
    assert any("[[" in s or "<b>" in s.lower() or "presiden" in s.lower() for s in fuzzy.hits[0].snippets)


def test_phrases_stay_exact_under_fuzzy(ix):
    assert ix.search('"presidn berpidato"', fuzzy=True).total == 0


def test_the_deletion_index_finds_terms_within_the_edit_distance():
    hood = Neighbourhood({"presiden": 50, "preside": 2, "president": 3, "residen": 4, "banjir": 9, "ab": 5})
    assert [n.term for n in hood.neighbours("presidn", 1)] == ["presiden", "preside"]
    assert {n.term for n in hood.neighbours("presidenn", 2)} == {"presiden", "president", "preside", "residen"}
    assert hood.neighbours("ac", 1) == []  # two letters are another word, not a typo
    assert edit_distance("banjir", "bnajir", 1) == 1  # a swap is one edit
    assert edit_distance("banjir", "bantuan", 2) == 3


def test_a_lookup_probes_with_the_keys_the_vocabulary_was_filed_under():
    import numpy as np

    from diplosearch.spelling import PREFIX_CHARS, _code_points, _deletion_keys, _probe_keys

    words = ["ab", "abc", "presiden", "kebakaran", "aa", "aaaaaaaaa", "café", "ｐｒｅｓｉｄｅｎ", "\U0001d4d0bcd", "z" * 7]
    for word in words:
        for two_edits in (False, True):
            length = min(len(word), PREFIX_CHARS)
            filed, _rows = _deletion_keys(_code_points([word]), np.array([length]), np.array([two_edits]))
            assert sorted(_probe_keys(word[:length], two_edits)) == sorted(filed.tolist()), (word, two_edits)


def _full_table_distance(a: str, b: str) -> int:
    """Optimal string alignment distance by the whole textbook table (slow, plain)."""
    table = [[i + j if i == 0 or j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
    return table[-1][-1]


@pytest.mark.parametrize("alphabet, longest", [("ab", 6), ("abc", 4)])
def test_edit_distance_equals_the_full_table_for_every_short_word_pair(alphabet, longest):
    import itertools

    words = ["".join(letters) for size in range(longest + 1) for letters in itertools.product(alphabet, repeat=size)]
    for a in words:
        for b in words:
            exact = _full_table_distance(a, b)
            for limit in (0, 1, 2, 3):
                assert edit_distance(a, b, limit) == min(exact, limit + 1), (a, b, limit)


# ----------------------------------------------------------------------------- similar


def test_similar_finds_articles_sharing_distinctive_terms_without_itself(ix):
    results = ix.similar("t1", limit=3)
    assert "t1" not in ids(results)
    assert ids(results)[0] in {"k1", "d1"}  # the other flood articles
    assert "banjir" in results.query.split()
    assert results.total >= len(results.hits)


def test_similar_pages_close_up_around_the_article(ix):
    whole = ids(ix.similar("x3", limit=20))
    assert "x3" not in whole
    assert ids(ix.similar("x3", limit=3, offset=2)) == whole[2:5]


def test_similar_of_an_unknown_id_raises_document_error(ix):
    with pytest.raises(DocumentError, match="no document"):
        ix.similar("nope")


# ----------------------------------------------------------------------------- command line


def test_cli_filters_sort_and_facets(index_path: Path, isolated_index_home):
    result = run(isolated_index_home, "search", "banjir", "--index", str(index_path), "--source", "kompas.com",
                 "--source", "Tempo.co", "--since", "2019-09", "--sort", "oldest", "--facet", "source",
                 "--facet", "month")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("id k1") < out.index("id t1") and "id d1" not in out
    assert "source:\n  1  Kompas.com\n  1  Tempo.co\n" in out
    assert "month:\n  1  2019-09\n  1  2019-10\n" in out


def test_cli_json_includes_facets_and_suggestion(index_path: Path, isolated_index_home):
    result = run(isolated_index_home, "presidn", "--index", str(index_path), "--json", "--facet", "category")
    data = json.loads(result.stdout)
    assert data["suggestion"] == "presiden" and data["facets"] == {"category": []}
    result = run(isolated_index_home, "", "--index", str(index_path), "--json", "--category", "news",
                 "--facet", "category")
    data = json.loads(result.stdout)
    assert data["total"] == 4 and data["facets"] == {"category": [{"value": "News", "count": 4}]}


def test_cli_says_did_you_mean_and_searches_fuzzy(index_path: Path, isolated_index_home):
    result = run(isolated_index_home, "presidn", "--index", str(index_path))
    assert "Did you mean: presiden?" in result.stdout
    result = run(isolated_index_home, "presidn", "--fuzzy", "--index", str(index_path))
    assert result.returncode == 0 and "16 documents match" in result.stdout


def test_cli_query_syntax_filters_from_the_issue(index_path: Path, isolated_index_home):
    def hits(*args: str) -> set[str]:
        result = run(isolated_index_home, *args, "--index", str(index_path), "--json", "--limit", "50")
        assert result.returncode == 0, result.stderr
        return {hit["id"] for hit in json.loads(result.stdout)["hits"]}

    assert hits("date:2019-09-16") == {"k1"}
    assert hits("category:News") == {"k1", "t1", "t2", "d1"}
    assert hits("source:tempo.co banjir") == {"t1"}
    assert hits("source:kompas.com") == {"k1", "k2"}


@pytest.mark.parametrize("query", ["published:2019-09-16 banjir", "foo:bar"])
def test_cli_unknown_field_prefixes_exit_2_naming_the_fields(index_path: Path, isolated_index_home, query):
    result = run(isolated_index_home, query, "--index", str(index_path))
    assert_clean_error(result, 2, "unknown field", "source", "date")
    assert "STORED" not in result.stderr


def test_cli_refuses_a_filter_as_field_with_a_clear_message(index_path: Path, isolated_index_home):
    result = run(isolated_index_home, "banjir", "--field", "source", "--index", str(index_path))
    assert_clean_error(result, 2, "source is a filter", "--source")


def test_cli_bad_dates_and_sorts_exit_2(index_path: Path, isolated_index_home):
    assert_clean_error(run(isolated_index_home, "banjir", "--since", "kemarin", "--index", str(index_path)), 2,
                       "since must be a date", "kemarin")
    assert run(isolated_index_home, "banjir", "--sort", "random", "--index", str(index_path)).returncode == 2


def test_cli_similar(index_path: Path, isolated_index_home):
    result = run(isolated_index_home, "similar", "t1", "--index", str(index_path), "--limit", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Articles like t1 (searched: ") and "id t1\n" not in result.stdout
    data = json.loads(run(isolated_index_home, "similar", "t1", "--json", "--index", str(index_path)).stdout)
    assert data["like"] == "t1" and "t1" not in [hit["id"] for hit in data["hits"]]
    assert_clean_error(run(isolated_index_home, "similar", "nope", "--index", str(index_path)), 1, "nope")


def test_queries_of_known_words_never_build_the_deletion_index(tmp_path: Path):
    with open_index(tmp_path / "fresh", create=True) as index:
        index.add_many(corpus())
        index.search("presiden diplomasi", source="tempo.co", facets=["year"])
        with index.snapshot() as snapshot:
            assert "neighbourhood" not in snapshot.columns.segment_derived
        results = index.search("presidn")
        with index.snapshot() as snapshot:
            assert "neighbourhood" not in snapshot.columns.segment_derived  # worked out when asked for
            assert results.suggestion == "presiden"
            assert "neighbourhood" in snapshot.columns.segment_derived


def test_a_commit_that_only_deletes_keeps_the_deletion_index_and_one_that_adds_builds_its_own(tmp_path: Path):
    with open_index(tmp_path / "fresh", create=True) as writer, open_index(tmp_path / "fresh") as reader:
        writer.add_many(corpus())
        assert reader.search("presidn").suggestion == "presiden"
        with reader.snapshot() as snapshot:
            built = snapshot.columns.segment_derived["neighbourhood"]
            corrections = snapshot.columns.segment_derived["corrections"]
        writer.delete("k1")
        results = reader.search("banjr", fuzzy=True)
        assert "k1" not in {hit.id for hit in results.hits} and results.hits  # this commit's deletions
        with reader.snapshot() as snapshot:
            assert snapshot.columns.segment_derived["neighbourhood"] is built  # taken over, not built again
            # the answers given so far too: they read the segments alone
            assert snapshot.columns.segment_derived["corrections"] is corrections
            assert any(key[0] == "banjr" for key in snapshot.columns.segment_derived["expansions"])
        writer.add(Document(id="n1", title="Presiden baru", body=f"Banjir lagi. {FILLER}"))
        assert reader.search("presidn").suggestion == "presiden"
        with reader.snapshot() as snapshot:
            assert snapshot.columns.segment_derived["neighbourhood"] is not built  # new segments, new terms
            assert snapshot.columns.segment_derived["corrections"] is not corrections


def test_the_deletion_index_agrees_with_a_scan_of_the_vocabulary():
    import random

    rng = random.Random(7)
    vocabulary = {"".join(rng.choice("aknrt") for _ in range(rng.randint(3, 7))): rng.randint(1, 50)
                  for _ in range(400)}
    hood = Neighbourhood(vocabulary)
    for _ in range(200):
        word = "".join(rng.choice("aknrt") for _ in range(rng.randint(3, 7)))
        for edits in (1, 2):
            expected = {t for t in vocabulary if t != word and edit_distance(word, t, edits) <= edits}
            found = {n.term for n in hood.neighbours(word, edits)}
            # every term is filed with two deletions, so two edits reach short terms too
            assert expected <= found <= expected | {word}


def test_remembered_filters_follow_the_commits(tmp_path: Path) -> None:
    # A commit remembers which documents a filter keeps: the next commit must not see
    # the last one's answer, and evaluating a filter alone (whose mask is then narrowed
    # to the live documents in place) must not change what is remembered.
    index = open_index(tmp_path / "index", create=True)
    index.add_many(corpus(), workers=1)
    tempo = {"t1", "t2"}
    for _ in range(2):
        assert {h.id for h in index.search("presiden OR banjir", source="tempo.co", limit=50).hits} == tempo
        assert {h.id for h in index.search("source:tempo.co", limit=50).hits} == tempo
        assert {h.id for h in index.search("", since="2019-09-02", limit=50).hits} == {"k1", "t1"}
    index.add(Document(id="t3", title="Banjir lagi", body="Presiden dan banjir.", source="Tempo.co",
                       published="2019-09-20"))
    assert {h.id for h in index.search("presiden OR banjir", source="tempo.co", limit=50).hits} == tempo | {"t3"}
    assert {h.id for h in index.search("", since="2019-09-02", limit=50).hits} == {"k1", "t1", "t3"}
    index.delete("t1")
    for _ in range(2):
        assert {h.id for h in index.search("source:tempo.co", limit=50).hits} == {"t2", "t3"}
        assert {h.id for h in index.search("presiden OR banjir", source="tempo.co", limit=50).hits} == {"t2", "t3"}
    index.close()
