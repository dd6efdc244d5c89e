"""Searching: ranking rules, query syntax, paging, errors, concurrent readers."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

import diplosearch

from diplosearch import Document, Quote, open_index
from diplosearch.errors import QueryError
from diplosearch.store.home import bundled_corpus_files


@pytest.fixture
def ix(tmp_path: Path):
    with open_index(tmp_path / "ix", create=True) as index:
        yield index


def ids(results) -> list[str]:
    return [hit.id for hit in results.hits]


FILLER = "Pertemuan itu membahas perdagangan, pendidikan dan pariwisata antara kedua pihak."


def test_a_title_match_outranks_the_same_match_in_the_body(ix):
    ix.add_many(
        [
            Document(id="body", title="Berita Ekonomi", body=f"{FILLER} Soal perbatasan dibahas."),
            Document(id="title", title="Soal Perbatasan", body=f"{FILLER} Hal lain dibahas."),
        ]
    )
    assert ids(ix.search("perbatasan")) == ["title", "body"]


def test_a_quote_match_outranks_the_same_match_in_the_body(ix):
    # As parse_article leaves them, the quotation is in the body too.
    ix.add_many(
        [
            Document(id="body", title="Satu", body=f"{FILLER} Perdamaian adalah tujuan yang dibahas."),
            Document(
                id="quote",
                title="Dua",
                body=f"{FILLER} “Perdamaian adalah tujuan kita,” kata Menteri.",
                quotes=[Quote("Perdamaian adalah tujuan kita,", "Menteri")],
            ),
        ]
    )
    assert ids(ix.search("perdamaian")) == ["quote", "body"]
    assert ids(ix.search("perdamaian", boosts={"quotes": 0})) == ["body", "quote"]


def test_per_search_boosts_override_the_defaults(ix):
    ix.add_many(
        [
            Document(id="body", title="Berita Ekonomi", body=f"{FILLER} {FILLER} Soal perbatasan dibahas."),
            Document(id="title", title="Soal Perbatasan", body=f"{FILLER} {FILLER}"),
        ]
    )
    assert ids(ix.search("perbatasan")) == ["title", "body"]
    assert ids(ix.search("perbatasan", boosts={"title": 0.01})) == ["body", "title"]
    assert ids(ix.search("perbatasan", boosts={"body": 10})) == ["body", "title"]


def test_documents_matching_more_query_words_rank_first(ix):
    ix.add_many(
        [
            Document(id="one-word-many-times", title="Diplomasi", body="diplomasi " * 30 + FILLER),
            Document(id="both-words", title="Catatan", body=f"{FILLER} Diplomasi dan ekonomi saling terkait."),
            Document(id="none", title="Olahraga", body=FILLER),
        ]
    )
    results = ix.search("diplomasi ekonomi")
    assert ids(results) == ["both-words", "one-word-many-times"]
    assert [h.matched_terms for h in results.hits] == [2, 1]
    assert results.total == 2


def test_coordination_can_be_switched_off(ix):
    # "ekonomi" is in most documents (a weak word), "diplomasi" in two: by score alone
    # the document full of the strong word leads; "more words first" puts the other first.
    ix.add_many(
        [
            Document(id="one-word-many-times", title="Diplomasi Diplomasi", body="diplomasi " * 30),
            Document(id="both-words", title="Catatan", body=f"{FILLER} {FILLER} diplomasi dan ekonomi."),
            *(Document(id=f"economy-{n}", title="Ekonomi", body=f"Ekonomi tumbuh. {FILLER}") for n in range(4)),
        ]
    )
    assert ids(ix.search("diplomasi ekonomi", coordination=False))[0] == "one-word-many-times"
    assert ids(ix.search("diplomasi ekonomi", coordination="strict"))[0] == "both-words"


def test_a_phrase_in_double_quotes_must_appear_in_order(ix):
    ix.add_many(
        [
            Document(id="phrase", title="A", body="Vietnam menegaskan peranan pelopor diplomasi."),
            Document(id="scattered", title="B", body="Pelopor industri itu punya peranan besar."),
        ]
    )
    assert ids(ix.search('"peranan pelopor"')) == ["phrase"]
    assert set(ids(ix.search("peranan pelopor"))) == {"phrase", "scattered"}


def test_field_prefix_and_field_option_restrict_the_search(ix):
    ix.add_many(
        [
            Document(id="in-title", title="Diplomasi Bambu", body=FILLER),
            Document(id="in-body", title="Catatan", body=f"{FILLER} Diplomasi bambu dikenal."),
        ]
    )
    assert ids(ix.search("title:bambu")) == ["in-title"]
    assert ids(ix.search("bambu", fields=["body"])) == ["in-body"]


def test_snippets_mark_a_word_only_in_the_fields_it_was_searched_in(ix):
    ix.add(Document(id="a", title="Banjir di Jakarta", body="Hujan deras turun. Kemudian banjir merendam rumah."))
    for results in (ix.search("title:banjir"), ix.search("banjir", fields=["title"]),
                    ix.search("title:banjar~")):
        assert results.hits[0].snippets == ["[[Banjir]] di Jakarta"]
    (hit,) = ix.search("title:banjir hujan").hits
    assert hit.snippets == ["[[Hujan]] deras turun. Kemudian banjir merendam rumah."]
    # searched everywhere: marked in the body, as before
    assert ix.search("banjir").hits[0].snippets == ["Hujan deras turun. Kemudian [[banjir]] merendam rumah."]
    assert ix.search("body:banjir").hits[0].snippets == ix.search("banjir").hits[0].snippets


def test_minus_excludes_a_word(ix):
    ix.add_many(
        [
            Document(id="keep", title="A", body="diplomasi budaya"),
            Document(id="drop", title="B", body="diplomasi ekonomi"),
        ]
    )
    assert ids(ix.search("diplomasi -ekonomi")) == ["keep"]


def test_inflected_forms_find_each_other(ix):
    ix.add(Document(id="a", title="Laporan", body="Kunjungan-kunjungan itu mendorong perkembangan negara-negara."))
    for query in ("kunjungan", "negara", "perkembangan"):
        assert ids(ix.search(query)) == ["a"], query


def test_paging_with_offset_and_limit(ix):
    ix.add_many([Document(id=f"d{i}", title=f"Berita {i}", body="diplomasi " * (i + 1)) for i in range(7)])
    everything = ids(ix.search("diplomasi", limit=7))
    page = ix.search("diplomasi", limit=3, offset=3)
    assert page.total == 7
    assert ids(page) == everything[3:6]
    assert [h.rank for h in page.hits] == [4, 5, 6]
    assert ids(ix.search("diplomasi", limit=3, offset=6)) == everything[6:]


def test_a_query_of_only_stop_words_matches_nothing(ix):
    ix.add(Document(id="a", title="A", body="yang dan di ke dari"))
    assert ix.search("yang dan").total == 0


@pytest.mark.parametrize("query", ['title:(', '"unterminated', "***", "((", "AND OR NOT", ":", "title:", "^2", "\x00"])
def test_broken_query_syntax_still_returns_results_or_a_query_error(ix, query):
    ix.add(Document(id="a", title="A", body="unterminated diplomasi"))
    try:
        results = ix.search(query)
    except QueryError as exc:
        assert "\n" not in str(exc)
    else:
        assert results.total == len(results.hits) <= 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"query": "x" * 10_000}, "limit is 2,000"),
        ({"query": "a", "fields": ["judul"]}, "unknown field"),
        ({"query": "a", "boosts": {"title": -1}}, ">= 0"),
        ({"query": "a", "limit": 0}, "limit"),
        ({"query": "a", "offset": -1}, "offset"),
    ],
)
def test_bad_search_arguments_raise_query_error(ix, kwargs, message):
    with pytest.raises(QueryError, match=message):
        ix.search(**kwargs)


def test_readers_see_new_commits_without_reopening(ix, tmp_path: Path):
    ix.add(Document(id="a", title="A", body="diplomasi"))
    assert ix.search("diplomasi").total == 1
    with open_index(tmp_path / "ix") as writer_handle:
        writer_handle.add(Document(id="b", title="B", body="diplomasi"))
    assert ix.search("diplomasi").total == 2


def test_concurrent_searches_from_threads_agree(ix):
    ix.add_many([Document(id=f"d{i}", title=f"Judul {i}", body=f"diplomasi ekonomi {i} " * (i % 5 + 1)) for i in range(40)])
    expected = ids(ix.search("diplomasi ekonomi", limit=20))
    failures: list[object] = []

    def worker():
        try:
            for _ in range(20):
                if ids(ix.search("diplomasi ekonomi", limit=20)) != expected:
                    failures.append("different results")
        except Exception as exc:  # collected, asserted below
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_matched_terms_are_reported_with_and_without_coordination(ix):
    ix.add_many(
        [
            Document(id="both", title="Diplomasi", body="diplomasi dan ekonomi"),
            Document(id="one", title="Catatan", body="ekonomi saja"),
        ]
    )
    for coordination in (True, False):
        hits = {h.id: h.matched_terms for h in ix.search("diplomasi ekonomi -olahraga", coordination=coordination).hits}
        assert hits == {"both": 2, "one": 1}, coordination


def test_a_hyphen_inside_a_query_word_is_part_of_the_word_not_an_exclusion(ix):
    ix.add_many(
        [
            Document(id="plural", title="A", body="Negara-negara ASEAN bertemu."),
            Document(id="compound", title="B", body="Dampak sosial-ekonomi pandemi Covid-19."),
        ]
    )
    assert ids(ix.search("negara-negara")) == ["plural"]
    assert ids(ix.search("sosial-ekonomi")) == ["compound"]
    assert ids(ix.search("Covid-19")) == ["compound"]
    assert ids(ix.search("pandemi -sosial")) == []
    assert ids(ix.search("ASEAN -pandemi")) == ["plural"]


@pytest.fixture
def paragraph_index(tmp_path: Path):
    """Every sentence of the bundled articles as a document: many overlapping words."""
    paragraphs = [
        sentence.strip()
        for path in bundled_corpus_files()
        for sentence in re.split(r"(?<=[.!?])\s+", path.read_text("utf-8"))
        if len(sentence.split()) > 5
    ]
    assert len(paragraphs) > 30
    with open_index(tmp_path / "paragraphs", create=True) as index:
        index.add_many(
            Document(id=f"p{n}", title=" ".join(p.split()[:6]), body=p) for n, p in enumerate(paragraphs)
        )
        yield index


COORDINATION_QUERIES = [
    "diplomasi",
    "peranan pelopor diplomasi",
    "kerja sama ekonomi Vietnam Indonesia perdagangan",
    "diplomasi^3 ekonomi",
    "title:diplomasi body:kerja",
    "diplomasi ekonomi -perdagangan",
    '"kerja sama" ekonomi',
    "(diplomasi OR ekonomi) AND Vietnam",
]


@pytest.mark.parametrize("query", [q for q in COORDINATION_QUERIES if ":" not in q])
def test_coordinated_scores_equal_1_0s_whoosh_ranking(paragraph_index, query):
    # 1.0 ranked with Whoosh's matchers; the numpy scorer must give the same page.
    # (A field prefix is left out: 1.0 weighed `title:x` as 1, the scorer as the title.)
    from legacy_search import search_1_0

    for coordination in (True, False):
        new = paragraph_index.search(
            query, limit=50, snippets=0, coordination=coordination, ranking=diplosearch.WHOOSH_RANKING
        )
        with paragraph_index.reading() as searcher:
            total, page = search_1_0(searcher, query, limit=50, coordination=coordination)
        assert new.total == total > 0
        assert [(h.id, h.matched_terms) for h in new.hits] == [(stored["id"], m) for stored, _s, m in page]
        assert [h.score for h in new.hits] == pytest.approx([round(s, 6) for _d, s, _m in page], abs=1e-6)


@pytest.mark.parametrize("query", COORDINATION_QUERIES)
def test_matched_terms_without_coordination_agree_with_the_coordinated_count(paragraph_index, query):
    coordinated = {h.id: h.matched_terms for h in paragraph_index.search(query, limit=100, snippets=0).hits}
    plain = paragraph_index.search(query, limit=100, snippets=0, coordination=False)
    assert plain.total == len(coordinated) > 0
    assert {h.id: h.matched_terms for h in plain.hits} == coordinated


def test_search_iter_yields_every_hit_in_rank_order_across_pages(tmp_path):
    with diplosearch.open_index(tmp_path / "ix", create=True) as ix:
        ix.add_many(
            [diplosearch.Document(id=f"d{i:02}", title="Berita", body="banjir " * (i + 1)) for i in range(25)]
        )
        stream = ix.search_iter("banjir", page_size=4, snippets=0)
        assert stream.total == 25
        streamed = [hit.id for hit in stream]
        paged = [hit.id for hit in ix.search("banjir", limit=25).hits]
        assert streamed == paged and len(set(streamed)) == 25
        assert [hit.id for hit in ix.search_iter("tidakada")] == []
        with pytest.raises(diplosearch.QueryError):
            ix.search_iter("x" * 3000)
        with pytest.raises(diplosearch.QueryError, match="limit"):
            ix.search_iter("banjir", limit=5)


# ----------------------------------------------------------------------------- what a search remembers


def test_a_query_typed_again_is_analysed_by_each_index_own_analyzer(tmp_path):
    from diplosearch.analysis.analyzer import IndonesianAnalyzer

    doc = Document(id="a", title="Banjir besar", body=f"Banjir melanda kota. {FILLER}")
    plain = open_index(tmp_path / "plain", create=True)
    banjir_stopped = IndonesianAnalyzer(stopwords=IndonesianAnalyzer().stopwords | {"banjir"})
    stopping = open_index(tmp_path / "stopping", create=True, analyzer=banjir_stopped)
    try:
        plain.add(doc)
        stopping.add(doc)
        for _ in range(2):  # the second round finds both trees remembered
            assert ids(plain.search("banjir")) == ["a"] and plain.search("banjir").ignored == ()
            assert stopping.search("banjir").total == 0 and stopping.search("banjir").ignored == ("banjir",)
            assert plain.search("banjir", fields=["quotes"]).total == 0
            assert ids(plain.search("banjir", fields=["title"])) == ["a"]
    finally:
        plain.close()
        stopping.close()


def test_documents_come_from_the_commit_searched_and_stay_in_page_order(ix, monkeypatch):
    import diplosearch.store.snapshot as snapshot_module

    monkeypatch.setattr(snapshot_module, "DOCUMENT_CACHE_SIZE", 2)  # evictions on every page
    ix.add_many([Document(id=f"d{n}", title=f"Kabar banjir {n}", body=f"Banjir ke-{n}. {FILLER}") for n in range(5)])
    with ix.snapshot() as snapshot:
        first = snapshot.documents([3, 1, 3, 0])
        again = snapshot.documents([0, 4, 3])
        assert len(snapshot._documents) <= 2
    assert [d.id for d in first] == ["d3", "d1", "d3", "d0"] and [d.id for d in again] == ["d0", "d4", "d3"]
    assert {d.id: d.title for d in first + again} == {f"d{n}": f"Kabar banjir {n}" for n in (0, 1, 3, 4)}
    before = {hit.id: hit.title for hit in ix.search("banjir", limit=5).hits}
    ix.add(Document(id="d2", title="Kabar banjir diganti", body=f"Banjir lagi. {FILLER}"))
    after = {hit.id: hit.title for hit in ix.search("banjir", limit=5).hits}
    assert before["d2"] == "Kabar banjir 2" and after["d2"] == "Kabar banjir diganti"


def test_the_typed_options_of_index_search_are_exactly_those_search_takes() -> None:
    import inspect

    from diplosearch.search import SearchOptions, search

    keyword_only = {name for name, parameter in inspect.signature(search).parameters.items()
                    if parameter.kind is inspect.Parameter.KEYWORD_ONLY}
    assert set(SearchOptions.__annotations__) == keyword_only
    annotations = {name: parameter.annotation for name, parameter in inspect.signature(search).parameters.items()}
    for name, annotation in SearchOptions.__annotations__.items():
        written = getattr(annotation, "__forward_arg__", annotation)  # a TypedDict keeps ForwardRefs
        assert written.strip("'\"") == annotations[name].strip("'\""), name  # the same type, written the same way


def test_index_similar_takes_what_search_similar_takes() -> None:
    import inspect

    from diplosearch import Index
    from diplosearch.search import similar

    method = inspect.signature(Index.similar).parameters
    function = inspect.signature(similar).parameters
    assert list(method)[1:] == list(function)[1:]
    assert all(method[name].default == function[name].default for name in list(function)[1:])
