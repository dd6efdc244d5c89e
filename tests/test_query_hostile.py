"""The query language and search features used the way a demanding Lucene or
Elasticsearch user uses them: each test guards a defect found that way (or a README
promise nothing tested yet)."""

from __future__ import annotations

from pathlib import Path

import pytest

from diplosearch import Document, open_index
from diplosearch.spelling import Neighbourhood, edit_distance

from test_explore import corpus, ids

EXTRA = [
    Document(id="s1", title="Kapal tenggelam", body="Sebuah kapal nelayan tenggelam di laut. Rumah warga rusak.",
             source="Detik", published="2019-09-20"),
    Document(id="s2", title="Kabar pasar", body="Harga di pasar naik menjelang hari raya.",
             source="Detik", published="2019-09-21"),
    Document(id="p1", title="Pertemuan di Jakarta",
             body="Negara maju menolak usulan itu. Negara lain dan kota berkembang pesat. "
                  "Pertemuan negara berkembang digelar di Jakarta, negara tuan rumah.", source="Antara"),
    Document(id="p2", title="Kerja sama maritim", body="Kerja keras nelayan membuahkan hasil. Sama seperti tahun lalu.",
             source="Antara"),
]


@pytest.fixture(scope="module")
def index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("query-hostile") / "ix"
    with open_index(path, create=True) as index:
        index.add_many([*corpus(), *EXTRA])
    return path


@pytest.fixture
def ix(index_path: Path):
    with open_index(index_path) as index:
        yield index


# --------------------------------------------------- the API's filters are the syntax's


@pytest.mark.parametrize("query, options, typed", [
    ("-banjir", {"source": "detik"}, "-banjir source:detik"),
    ("NOT presiden", {"since": "2019-09", "until": "2019-09"}, "NOT presiden date:2019-09"),
    ("-(kapal OR pasar)", {"category": "news"}, "-(kapal OR pasar) category:news"),
    ("dan", {"source": "detik"}, "dan source:detik"),
])
def test_filter_arguments_find_what_the_same_filters_typed_in_the_query_find(ix, query, options, typed):
    # README: the arguments "become the same clauses source:x and date:a..b parse into".
    typed_ids = ids(ix.search(typed, limit=50, snippets=0))
    assert typed_ids  # the typed form keeps documents, so the comparison means something
    assert ids(ix.search(query, limit=50, snippets=0, **options)) == typed_ids


def test_an_exclusion_with_a_filter_argument_lists_the_filtered_documents_without_the_word(ix):
    found = ix.search("-banjir", source="detik", limit=50, snippets=0)
    assert set(ids(found)) == {"s1", "s2"}  # d1 (Detik) holds banjir
    assert found.total == 2


# ------------------------------------------------------------------ explain everything


@pytest.mark.parametrize("query, options", [
    ("presidn~", {}),
    ("presidn~ banjir", {}),
    ("presidn", {"fuzzy": True}),
    ("title:presidn~2^3", {}),
])
def test_explain_accounts_for_the_whole_score_of_a_fuzzy_query(ix, query, options):
    results = ix.search(query, limit=50, snippets=0, **options)
    assert results.total
    for hit in results.hits:
        explanation = hit.explain()
        assert hit.score > 0
        assert explanation.score == pytest.approx(hit.score, abs=1e-6), (hit.id, explanation.lines())  # scores are rounded to 6 places
    # the close spelling that matched is named, with the weight it was scored with
    texts = {term.text for term in results.hits[0].explain().terms}
    assert "presiden" in texts


# ----------------------------------------------------------------------- word~2


def test_two_edits_reach_every_term_two_edits_away_however_short():
    vocabulary = {"kapal": 5, "rumah": 4, "pasar": 2, "kota": 9, "banjir": 3}
    hood = Neighbourhood(vocabulary)
    for word in ("kopl", "rmuh", "pssr", "kpta", "bnjr", "kaal", "ruamh"):
        expected = {t for t in vocabulary if t != word and edit_distance(word, t, 2) <= 2}
        assert {n.term for n in hood.neighbours(word, 2)} == expected, word


def test_a_short_word_with_two_edits_finds_its_close_spellings_in_the_index(ix):
    assert "s1" in ids(ix.search("kopl~2", limit=50, snippets=0))  # kapal: o->a and an inserted a
    assert "s1" in ids(ix.search("rmuh~2", limit=50, snippets=0))  # rumah: a swap and an inserted a


# ------------------------------------------------------- snippets mark what matched


def test_a_phrase_is_marked_where_it_stands_not_wherever_one_of_its_words_does(ix):
    [hit] = ix.search('"negara berkembang"', snippets=3).hits
    assert hit.id == "p1"
    text = " ".join(hit.snippets)
    assert "[[negara]] [[berkembang]]" in text
    # "Negara maju", "Negara lain", "kota berkembang", "negara tuan rumah" are not the phrase
    assert "[[" not in text.replace("[[negara]] [[berkembang]]", "")


def test_a_word_typed_beside_a_phrase_is_marked_wherever_it_stands(ix):
    hit = ix.search('"negara berkembang" maju', snippets=3).hits[0]
    text = " ".join(hit.snippets)
    assert "[[maju]]" in text and "[[negara]] [[berkembang]]" in text
    assert "[[Negara]] [[maju]]" not in text  # maju is marked, the lone negara before it is not


def test_a_phrase_standing_only_in_the_title_gives_a_title_snippet(ix):
    [hit] = ix.search('"kerja sama"', snippets=2).hits
    assert hit.id == "p2"
    assert hit.snippets == ["[[Kerja]] [[sama]] maritim"]  # the body holds both words, apart


def test_a_phrase_across_a_stop_word_is_marked_as_the_index_matched_it(ix):
    # stop words leave no gap in the index, so "presiden banjir" matches "Presiden dan banjir"
    hit = {h.id: h for h in ix.search('"presiden banjir"', snippets=1, limit=50).hits}["d1"]
    assert hit.snippets[0].startswith("[[Presiden]] dan [[banjir]] lagi.")


# -------------------------------------------------------------- filters, exact values


@pytest.mark.parametrize("stored, asked", [
    ("Kompas  TV", "Kompas  TV"),        # the stored value itself, two spaces and all
    ("Kompas  TV", "kompas tv"),
    ("Luar\u00a0Negeri", "Luar\u00a0Negeri"),  # a no-break space, as copied from a web page
    ("Jawa\tTimur", "jawa timur"),
])
def test_a_value_stored_with_odd_white_space_is_found_by_its_own_text_and_its_facet_label(tmp_path, stored, asked):
    with open_index(tmp_path / "ix", create=True) as index:
        index.add(Document(id="a", title="Banjir", body="Banjir besar.", source=stored, category=stored))
        [(label, _count)] = index.search("banjir", facets=["source"]).facets["source"]
        assert index.search("banjir", source=label).total == 1
        assert index.search("banjir", source=asked).total == 1
        assert index.search("banjir", category=asked).total == 1
        assert index.search(f'banjir category:"{asked}"').total == 1


# ------------------------------------------------------- Lucene's fuzzy similarity


@pytest.mark.parametrize("typed, same_as", [
    ("presidn~0.8", "presidn~"),          # Lucene's similarity form: the edits follow the word's length
    ("presidn~.5", "presidn~"),
    ("presidn~1.5", "presidn~1"),
    ("presidn~2.0", "presidn~2"),
    ("presidn~0.0", "presidn~0"),
    ("title:presidn~0.8^2", "title:presidn~^2"),
    ('"presiden meninjau"~2.5', '"presiden meninjau"'),  # proximity is read as an exact phrase
])
def test_a_decimal_after_a_tilde_is_a_fuzzy_mark_not_a_number_searched_for(typed, same_as):
    from test_query_parser import parse

    parsed = parse(typed)
    assert parsed.root == parse(same_as).root
    assert not any(term[0].isdigit() for term in parsed.terms)


def test_values_a_filter_takes_as_one_are_one_facet_entry_counting_what_the_filter_keeps(tmp_path):
    with open_index(tmp_path / "ix", create=True) as index:
        index.add_many([Document(id=f"d{n}", title="Banjir", body="Banjir besar.", source=source)
                        for n, source in enumerate(["Kompas TV", "Kompas  TV", "kompas\u00a0tv", "Tempo"])])
        facet = index.search("banjir", facets=["source"]).facets["source"]
        assert [count for _label, count in facet] == [3, 1]
        for label, count in facet:
            assert index.search("banjir", source=label).total == count


# -------------------------------------------------- Lucene's other operator spellings


@pytest.mark.parametrize("typed, same_as", [
    ("presiden !banjir", "presiden -banjir"),            # Lucene's ! is NOT: never the word it negates
    ("presiden AND !banjir", "presiden AND NOT banjir"),
    ('!"presiden meninjau" banjir', '-"presiden meninjau" banjir'),
    ("banjir && presiden", "banjir AND presiden"),
    ("banjir || presiden && diplomasi", "banjir OR presiden AND diplomasi"),
    ("Awas! banjir", "Awas banjir"),                     # inside or after a word, ! is punctuation
    ("banjir ! presiden", "banjir presiden"),            # and so is a lone one
])
def test_lucenes_bang_and_doubled_operators_mean_what_lucene_means(typed, same_as):
    from test_query_parser import parse

    assert parse(typed).root == parse(same_as).root


def test_an_exclusion_written_with_a_bang_excludes(ix):
    assert ids(ix.search("presiden AND !banjir", limit=50, snippets=0)) == ids(
        ix.search("presiden AND NOT banjir", limit=50, snippets=0))
    assert "k1" not in ids(ix.search("presiden !banjir", limit=50, snippets=0))
