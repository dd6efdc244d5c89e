"""The default ranking (one BM25F with a lead field, soft coordination) against the
plain-Python reference, ``explain``, the lead field and derived titles."""

from __future__ import annotations

import attrs
import pytest
from reference_scorer import ReferenceIndex
from scoring_corpus import WORDS, build_fixture_index
from test_scoring import PAGE, TreeMaker, assert_same_page

import diplosearch
from diplosearch import query as q
from diplosearch.documents import Document
from diplosearch.errors import InvalidArgumentError
from diplosearch.ingest import document_from_record, parse_article
from diplosearch.schema import TEXT_FIELDS, document_fingerprint, lead_text, stored_fields
from diplosearch.ranking import BM25F_RANKING, DEFAULT_RANKING, WHOOSH_RANKING, Ranking
from diplosearch.scoring import rank
from diplosearch.scoring_explain import explain
from diplosearch.store.commit_columns import CommitColumns


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    index = build_fixture_index(tmp_path_factory.mktemp("ranking") / "index")
    with index.reading() as searcher:
        commit = CommitColumns.from_searcher(str(index.path), searcher)
    yield index, commit, ReferenceIndex(index)
    index.close()


class AllFieldsTreeMaker(TreeMaker):
    """Random trees whose words search every text field, the lead included."""

    def fields(self) -> tuple[str, ...]:
        rng = self.rng
        return TEXT_FIELDS if rng.random() < 0.6 else tuple(rng.sample(TEXT_FIELDS, rng.randint(1, 3)))


def plain_tree(words: list[str]) -> q.Node:
    return q.AnyOf(tuple(q.Term(word, TEXT_FIELDS) for word in words))


RANKINGS = [
    BM25F_RANKING,
    attrs.evolve(BM25F_RANKING, coordination="strict"),
    attrs.evolve(BM25F_RANKING, boosts={**BM25F_RANKING.boosts, "lead": 4.0}, b=0.5),
    attrs.evolve(WHOOSH_RANKING, boosts={**WHOOSH_RANKING.boosts, "lead": 2.0}),
]


@pytest.mark.parametrize("ranking", RANKINGS, ids=["default", "default-strict", "lead-4", "per-field-lead"])
def test_rankings_with_the_lead_equal_the_reference(corpus, ranking: Ranking) -> None:  # type: ignore[no-untyped-def]
    _index, commit, reference = corpus
    maker = AllFieldsTreeMaker(31, reference)
    for _ in range(60):
        root = maker.tree() if maker.rng.random() < 0.5 else plain_tree(maker.plain_words())
        expected_total, expected = reference.rank(root, ranking, PAGE)
        assert_same_page(rank(commit, root, ranking=ranking, limit=PAGE), expected_total, expected)


@pytest.mark.parametrize("ranking", [BM25F_RANKING, WHOOSH_RANKING, RANKINGS[1]], ids=["default", "1.0", "strict"])
def test_explain_adds_up_to_the_hit_score(corpus, ranking: Ranking) -> None:  # type: ignore[no-untyped-def]
    _index, commit, reference = corpus
    maker = AllFieldsTreeMaker(57, reference)
    explained = 0
    for _ in range(40):
        root = maker.tree() if maker.rng.random() < 0.5 else plain_tree(maker.plain_words())
        page = rank(commit, root, ranking=ranking, limit=5)
        for docnum, score, matched in zip(page.docnums.tolist(), page.scores.tolist(), page.matched_terms.tolist()):
            explanation = explain(commit, root, docnum, ranking)
            assert explanation.score == pytest.approx(score, abs=1e-9, rel=1e-12)
            assert explanation.matched_terms == matched
            assert sum(t.contribution for t in explanation.terms) == pytest.approx(explanation.raw_score, abs=1e-12)
            explained += 1
    assert explained > 50


def test_explain_shows_each_field_of_a_term(corpus) -> None:  # type: ignore[no-untyped-def]
    _index, commit, reference = corpus
    doc = next(d for d in reference.docs if d.live and d.positions["lead"] and d.positions["title"])
    word = next(iter(doc.positions["lead"]))
    explanation = explain(commit, plain_tree([word]), doc.docnum, BM25F_RANKING)
    (term,) = explanation.terms
    shown = {part.field: part for part in term.fields}
    assert {"lead", "body"} <= set(shown)
    assert shown["lead"].tf == len(doc.positions["lead"][word])
    assert shown["lead"].weight == BM25F_RANKING.weight("lead")
    assert term.idf is not None and term.contribution > 0
    assert any(word in line for line in explanation.lines())
    with pytest.raises(InvalidArgumentError):
        explain(commit, q.Term("zzzabsent", TEXT_FIELDS), doc.docnum, BM25F_RANKING)


def test_soft_coordination_puts_more_matched_words_first_when_weights_are_near(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # "one" holds the rare word, "two" two common ones: close raw scores (BM25F alone
    # puts "one" first); the soft factor (matched / 3) ** 0.5 puts "two" first.
    docs = [
        Document(id="two", body="laut hutan sungai gunung"),
        Document(id="one", body="kota sungai gunung pasar"),
        *(Document(id=f"common-{i}", body="laut hutan sekolah jalan") for i in range(3)),
        *(Document(id=f"filler-{i}", body="desa pantai sekolah jalan") for i in range(5)),
    ]
    bm25f = Ranking(model="bm25f", k1=0.9, coordination="off")
    with diplosearch.open_index(tmp_path / "ix", create=True) as index:
        index.add_many(docs, workers=1)
        with index.reading() as searcher:
            commit = CommitColumns.from_searcher(str(index.path), searcher)
            root = plain_tree(["kota", "laut", "hutan"])

            def order(ranking: Ranking) -> list[str]:
                page = rank(commit, root, ranking=ranking, limit=10)
                return [searcher.stored_fields(int(d))["id"] for d in page.docnums]

            off = order(bm25f)
            soft = order(attrs.evolve(bm25f, coordination="soft", soft_power=0.5))
    assert off.index("one") < off.index("two")
    assert soft.index("two") < soft.index("one")
    # a word much stronger than the others still wins: soft is not strict
    assert order_is_soft_not_strict(tmp_path)


def order_is_soft_not_strict(tmp_path) -> bool:  # type: ignore[no-untyped-def]
    docs = [
        Document(id="two", body="laut hutan sungai gunung"),
        Document(id="one", body="kota kota sungai gunung"),
        *(Document(id=f"common-{i}", body="laut hutan sekolah jalan") for i in range(8)),
        *(Document(id=f"filler-{i}", body="desa pantai sekolah jalan") for i in range(20)),
    ]
    soft = Ranking(model="bm25f", k1=0.9, coordination="soft", soft_power=0.5)
    with diplosearch.open_index(tmp_path / "ix2", create=True) as index:
        index.add_many(docs, workers=1)
        with index.reading() as searcher:
            commit = CommitColumns.from_searcher(str(index.path), searcher)
            page = rank(commit, plain_tree(["kota", "laut", "hutan"]), ranking=soft, limit=1)
            strict = rank(commit, plain_tree(["kota", "laut", "hutan"]), ranking=attrs.evolve(soft, coordination="strict"), limit=1)
            return (searcher.stored_fields(int(page.docnums[0]))["id"] == "one"
                    and searcher.stored_fields(int(strict.docnums[0]))["id"] != "one")


def test_lead_is_the_first_two_sentences() -> None:
    body = "JAKARTA - Presiden tiba di Bali. Dr. Ani menyambut di Jl. Sudirman. Kalimat ketiga.\n\nParagraf dua."
    assert lead_text(body) == "JAKARTA - Presiden tiba di Bali. Dr. Ani menyambut di Jl. Sudirman."
    assert lead_text("Satu paragraf tanpa titik\nBaris kedua. Baris ketiga.") == "Satu paragraf tanpa titik Baris kedua."
    assert lead_text("") == ""


def test_the_lead_is_indexed_not_stored(tmp_path) -> None:  # type: ignore[no-untyped-def]
    body = "Gunung meletus pagi ini. Warga mengungsi. Sungai meluap sore harinya."
    with diplosearch.open_index(tmp_path / "ix", create=True) as index:
        index.add(Document(id="a", title="Berita", body=body))
        with index.reading() as searcher:
            assert "lead" not in searcher.stored_fields(0)
            assert set(searcher.reader().field_terms("lead")) >= {"gunung", "warga"}
            assert "sungai" not in set(searcher.reader().field_terms("lead"))
        assert index.get("a").body == body


def test_a_derived_title_is_shown_but_not_indexed_as_a_title(tmp_path) -> None:  # type: ignore[no-untyped-def]
    article = parse_article("JAKARTA, KOMPAS.com - Gubernur meresmikan pasar baru di Meruya. Pedagang senang.")
    record = document_from_record({"id": "r1", "content": "Banjir melanda desa pesisir. Warga mengungsi."})
    titled = document_from_record({"id": "r2", "title": "Pasar Meruya dibuka", "content": "Isi berita."})
    assert article.title_is_derived and record.title_is_derived and not titled.title_is_derived
    assert stored_fields(record, "")["title"] == ""
    assert stored_fields(record, "")["_stored_title"] == record.title
    assert document_fingerprint(record) != document_fingerprint(attrs.evolve(record, title_is_derived=False))
    with diplosearch.open_index(tmp_path / "ix", create=True) as index:
        index.add_many([article, record, titled], workers=1)
        with index.reading() as searcher:
            title_terms = set(searcher.reader().field_terms("title"))
        assert "banjir" not in title_terms and "gubernur" not in title_terms
        assert {"pasar", "meruya"} <= title_terms
        # shown as it was made, and kept as derived through a rebuild
        assert index.get("r1").title == record.title and index.get("r1").title_is_derived
        assert index.rebuild() == 3
        assert index.get("r1").title_is_derived and not index.get("r2").title_is_derived
        with index.reading() as searcher:
            assert "banjir" not in set(searcher.reader().field_terms("title"))


def test_a_match_in_the_lead_outranks_the_same_match_later_in_the_body(tmp_path) -> None:  # type: ignore[no-untyped-def]
    filler = "Pertemuan itu membahas perdagangan dan pariwisata."
    with diplosearch.open_index(tmp_path / "ix", create=True) as index:
        index.add_many([
            Document(id="late", title="Satu", body=f"{filler} {filler} Gempa mengguncang kota itu."),
            Document(id="lead", title="Dua", body=f"Gempa mengguncang kota itu. {filler} {filler}"),
        ])
        assert [h.id for h in index.search("gempa").hits] == ["lead", "late"]
        # 1.0's ranking had no lead: the two documents score alike, the first added first
        assert [h.id for h in index.search("gempa", ranking=WHOOSH_RANKING).hits] == ["late", "lead"]


def test_default_ranking_names_every_text_field() -> None:
    assert set(BM25F_RANKING.boosts) == set(TEXT_FIELDS)
    assert WHOOSH_RANKING.weight("lead") == 0.0
    assert all(w in WORDS for w in ("kota", "laut"))


def test_an_index_of_format_1_is_told_to_rebuild_and_can_be(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from diplosearch.errors import IndexVersionError

    path = tmp_path / "ix"
    with diplosearch.open_index(path, create=True) as index:
        index.add(Document(id="a", body="Gunung meletus pagi ini. Warga mengungsi."))
    manifest = json.loads((path / "diplosearch.json").read_text())
    (path / "diplosearch.json").write_text(json.dumps({**manifest, "format": 1}))
    with pytest.raises(IndexVersionError, match="diplosearch rebuild --index"):
        diplosearch.open_index(path)
    assert diplosearch.rebuild_index(path) == 1
    with diplosearch.open_index(path) as rebuilt:
        assert rebuilt.get("a").body.startswith("Gunung")
    assert json.loads((path / "diplosearch.json").read_text())["format"] == 2


@pytest.mark.parametrize("settings, named", [
    ({"k1": -0.1}, "k1"),
    ({"k1": float("inf")}, "k1"),
    ({"k1": "1.2"}, "k1"),
    ({"b": 1.3}, "b"),  # a short field's norm would go below 0 and its match lower the score
    ({"b": -0.5}, "b"),
    ({"b": float("nan")}, "b"),
    ({"b": True}, "b"),
    ({"soft_power": -1}, "soft_power"),
    ({"boosts": {"title": -1.0}}, "'title'"),
    ({"boosts": {"body": float("nan")}}, "'body'"),
    ({"boosts": {"titel": 2.0}}, "'titel'"),  # a typo would otherwise weigh nothing, silently
    ({"boosts": ["title"]}, "boosts"),
    ({"coordination": "loose"}, "coordination"),
    ({"model": "bm25"}, "model"),
])
def test_a_ranking_out_of_range_is_refused_with_the_setting_named(settings: dict, named: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidArgumentError, match=named) as refused:
        Ranking(**settings)
    assert "\n" not in str(refused.value)
    with pytest.raises(InvalidArgumentError, match=named):
        attrs.evolve(BM25F_RANKING, **settings)  # changing one piece checks it too


def test_rankings_at_the_edges_of_their_ranges_are_accepted_and_score(corpus) -> None:  # type: ignore[no-untyped-def]
    index, _commit, _reference = corpus
    for ranking in (Ranking(k1=0, b=0), Ranking(b=1, soft_power=0), Ranking(boosts={"title": 0.0, "body": 2})):
        found = index.search("kota", ranking=ranking, snippets=0)
        assert found.total > 0 and found.hits[0].score > 0
        assert all(hit.score >= 0 for hit in found.hits)


@pytest.mark.parametrize("ranking", [None, WHOOSH_RANKING, Ranking(k1=0.9, coordination="off")])
@pytest.mark.parametrize("boosts", [None, {"title": 2.0}])
def test_the_coordination_option_sets_the_rule_of_the_ranking_searched_with(ranking, boosts) -> None:  # type: ignore[no-untyped-def]
    from diplosearch.search_options import chosen_ranking

    base = DEFAULT_RANKING if ranking is None else ranking
    if boosts is not None:
        base = attrs.evolve(base, boosts={**base.boosts, **boosts})
    on = base if base.coordination != "off" else attrs.evolve(base, coordination="strict")
    for option, expected in ((None, base), (True, on), (False, attrs.evolve(base, coordination="off")),
                             *((rule, attrs.evolve(base, coordination=rule)) for rule in ("strict", "soft", "off"))):
        for _twice in range(2):  # the default's variants are made once and handed out again
            assert chosen_ranking(ranking, boosts, option) == expected, option
    with pytest.raises(diplosearch.QueryError, match="coordination must be"):
        chosen_ranking(ranking, boosts, "loose")
