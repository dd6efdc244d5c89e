"""The numpy scorer against the plain-Python reference (every node type, hundreds of
random trees) and, for plain words, against diplosearch 1.0's Whoosh search."""

from __future__ import annotations

import datetime as dt
import math
import random
import threading

import attrs
import numpy as np
import pytest
from reference_scorer import ReferenceIndex
from scoring_corpus import DELETED, WORDS, build_fixture_index

from diplosearch import query as q
from diplosearch.errors import QueryError
from diplosearch.facets import count_facets
from diplosearch.scoring import (
    WHOOSH_RANKING,
    CommitColumns,
    Ranking,
    by_date,
    match_masks,
    _best,
    positive_terms,
    rank,
)
from diplosearch.schema import TEXT_FIELDS
from diplosearch.scoring_terms import best_sums_per_document, sum_per_document, term_scores_in, terms_scores_in
from diplosearch.scoring_tree import _tree_matches
from diplosearch.sorted_arrays import common_values
from diplosearch.scoring_words import _plain_query, _word_matches
from diplosearch.spelling import expansions
from diplosearch.ranking import DEFAULT_RANKING
from diplosearch.search import search
from legacy_search import CoordinatedQuery, _bm25f_and_matched, parse_query

FIELDS = ("title", "quotes", "captions", "body")
ABSENT = ("zzzabsent", "qqqnothing")
PAGE = 12


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    index = build_fixture_index(tmp_path_factory.mktemp("scoring") / "index")
    with index.reading() as searcher:
        commit = CommitColumns.from_searcher(str(index.path), searcher)
    yield index, commit, ReferenceIndex(index)
    index.close()


# ----------------------------------------------------------------------------- random trees


class TreeMaker:
    def __init__(self, seed: int, reference: ReferenceIndex) -> None:
        self.rng = random.Random(seed)
        # phrases taken from the documents, so that many of them match somewhere
        self.bigrams = []
        for doc in reference.docs:
            for field in ("body", "title"):
                by_position = {p: t for t, ps in doc.positions[field].items() for p in ps}
                self.bigrams += [(by_position[p], by_position[p + 1]) for p in by_position if p + 1 in by_position]
        self.bigrams = sorted(set(self.bigrams))

    def fields(self) -> tuple[str, ...]:
        rng = self.rng
        return FIELDS if rng.random() < 0.6 else tuple(rng.sample(FIELDS, rng.randint(1, 3)))

    def boost(self) -> float:
        return 1.0 if self.rng.random() < 0.8 else self.rng.choice((0.5, 2.0, 3.5))

    def word(self) -> str:
        return self.rng.choice(ABSENT) if self.rng.random() < 0.05 else self.rng.choice(WORDS)

    def leaf(self) -> q.Node:
        rng = self.rng
        roll = rng.random()
        if roll < 0.55:
            return q.Term(self.word(), self.fields(), self.boost())
        if roll < 0.75:
            texts = rng.choice(self.bigrams) if rng.random() < 0.7 else (self.word(), self.word())
            if rng.random() < 0.3 and len(self.bigrams) > 1:
                texts = texts + (self.word(),)
            return q.Phrase(tuple(texts), self.fields(), self.boost())
        if roll < 0.85:
            return q.Filter("source", tuple(rng.sample(["kompas.com", "DETIK", "Tempo", "nowhere"], rng.randint(1, 2))))
        if roll < 0.95:
            start = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 600))
            end = start + dt.timedelta(days=rng.randint(0, 400))
            return q.DateRange(start if rng.random() < 0.8 else None, end if rng.random() < 0.8 else None)
        return rng.choice((q.MatchAll(), q.MatchNothing()))

    def tree(self, depth: int = 3) -> q.Node:
        rng = self.rng
        if depth == 0 or rng.random() < 0.3:
            return self.leaf()
        kind = rng.choice(("any", "any", "all", "exclude", "maybe"))
        if kind == "any":
            return q.AnyOf(tuple(self.tree(depth - 1) for _ in range(rng.randint(1, 4))), self.boost())
        if kind == "all":
            return q.AllOf(tuple(self.tree(depth - 1) for _ in range(rng.randint(1, 3))), self.boost())
        if kind == "exclude":
            return q.Exclude(self.tree(depth - 1), self.tree(depth - 1), self.boost())
        return q.AndMaybe(self.tree(depth - 1), self.tree(depth - 1), self.boost())

    def plain_words(self) -> list[str]:
        words = list(dict.fromkeys(self.rng.choice(WORDS) for _ in range(self.rng.randint(1, 6))))
        if self.rng.random() < 0.1:
            words.append(self.rng.choice(ABSENT))
        return words


def plain_tree(words: list[str]) -> q.Node:
    return q.AnyOf(tuple(q.Term(word, FIELDS) for word in words))


# ----------------------------------------------------------------------------- comparisons


def assert_same_page(got, expected_total: int, expected: list[tuple[int, float, int]]) -> None:  # type: ignore[no-untyped-def]
    assert got.total == expected_total
    rows = list(zip(got.docnums.tolist(), got.scores.tolist(), got.matched_terms.tolist()))
    assert len(rows) == len(expected)
    for (doc, score, matched), (want_doc, want_score, want_matched) in zip(rows, expected):
        assert matched == want_matched
        assert score == pytest.approx(want_score, abs=1e-9, rel=1e-12)
        if doc != want_doc:
            # only documents whose scores are equal to rounding may trade places
            other = dict((d, s) for d, s, _m in expected)
            assert doc in other and other[doc] == pytest.approx(score, abs=1e-9), (doc, want_doc)


@pytest.mark.parametrize("seed", range(5))
def test_random_trees_equal_the_reference(corpus, seed: int, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import diplosearch.scoring as scoring

    if seed % 2:  # the page's best picked first (_best), however few the candidates
        monkeypatch.setattr(scoring, "_SORTED_WHOLE", 0)
    _index, commit, reference = corpus
    maker = TreeMaker(seed, reference)
    matched_somewhere = 0
    for _ in range(50):
        root = maker.tree()
        offset = maker.rng.choice((0, 0, 0, 5))
        expected_total, expected = reference.rank(root, WHOOSH_RANKING, PAGE, offset)
        assert_same_page(rank(commit, root, ranking=WHOOSH_RANKING, limit=PAGE, offset=offset), expected_total, expected)
        matched_somewhere += expected_total > 0
    assert matched_somewhere > 15  # the trees are not vacuous


@pytest.mark.parametrize(
    "ranking",
    [
        attrs.evolve(WHOOSH_RANKING, coordination="off"),
        attrs.evolve(WHOOSH_RANKING, coordination="soft", soft_power=0.5),
        Ranking(model="bm25f", k1=0.9, coordination="off"),
        Ranking(model="bm25f", k1=0.9, b=0.5, coordination="soft",
                boosts={"title": 3.0, "quotes": 2.0, "captions": 1.5, "body": 1.0}),
        Ranking(k1=2.0, b=0.3, boosts={"title": 1.0, "body": 2.5}, model="per_field", coordination="strict"),
    ],
    ids=["off", "soft", "bm25f", "bm25f-soft", "per-field-tuned"],
)
@pytest.mark.parametrize("sorted_whole", [True, False], ids=["sorted", "best-first"])
def test_other_rankings_equal_the_reference(corpus, ranking: Ranking, sorted_whole: bool, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import diplosearch.scoring as scoring

    if not sorted_whole:  # the page's best picked first (_best), however few the candidates
        monkeypatch.setattr(scoring, "_SORTED_WHOLE", 0)
    _index, commit, reference = corpus
    maker = TreeMaker(100, reference)
    for _ in range(50):
        root = maker.tree() if maker.rng.random() < 0.6 else plain_tree(maker.plain_words())
        expected_total, expected = reference.rank(root, ranking, PAGE)
        assert_same_page(rank(commit, root, ranking=ranking, limit=PAGE), expected_total, expected)


def test_plain_words_equal_whoosh_1_0(corpus) -> None:  # type: ignore[no-untyped-def]
    index, commit, reference = corpus
    maker = TreeMaker(200, reference)
    for _ in range(80):
        words = maker.plain_words()
        coordination = maker.rng.random() < 0.75
        with index.reading() as searcher:
            parsed = parse_query(" ".join(words), searcher.schema, FIELDS)  # 1.0's fields: no lead
            runnable = CoordinatedQuery(parsed) if coordination else parsed
            found = searcher.search(runnable, limit=PAGE, terms=not coordination)
            expected = [(hit.docnum, *_bm25f_and_matched(hit, coordination)) for hit in found]
            expected_total = len(found)
        ranking = WHOOSH_RANKING if coordination else attrs.evolve(WHOOSH_RANKING, coordination="off")
        assert_same_page(rank(commit, plain_tree(words), ranking=ranking, limit=PAGE), expected_total, expected)
        # and through 1.0's public search(): same ids in the same order, same total
        results = search(index, " ".join(words), limit=PAGE, snippets=0, coordination=coordination, fields=FIELDS,
                         ranking=WHOOSH_RANKING)
        page = rank(commit, plain_tree(words), ranking=ranking, limit=PAGE)
        with index.reading() as searcher:
            ids = [searcher.stored_fields(int(d))["id"] for d in page.docnums]
        assert results.total == page.total
        assert [hit.id for hit in results.hits] == ids


def test_phrases_and_conjunctions_equal_whoosh_1_0(corpus) -> None:  # type: ignore[no-untyped-def]
    index, commit, reference = corpus
    maker = TreeMaker(250, reference)
    cases = []
    # words a query keeps as they are (the index holds some that a query analyses away)
    bigrams = [b for b in maker.bigrams if all(index.analyzer.terms(w) == [w] for w in b)]
    for first, second in bigrams[::9][:15]:
        cases.append((f'"{first} {second}"', q.Phrase((first, second), FIELDS)))
        cases.append((f"{first} AND {second}", q.AllOf((q.Term(first, FIELDS), q.Term(second, FIELDS)))))
    for text, root in cases:
        with index.reading() as searcher:
            found = searcher.search(CoordinatedQuery(parse_query(text, searcher.schema, FIELDS)), limit=PAGE)
            expected = [(hit.docnum, *_bm25f_and_matched(hit, True)) for hit in found]
            expected_total = len(found)
        assert_same_page(rank(commit, root, ranking=WHOOSH_RANKING, limit=PAGE), expected_total, expected)


def test_an_excluded_word_never_lets_a_document_through(corpus) -> None:  # type: ignore[no-untyped-def]
    index, commit, reference = corpus
    maker = TreeMaker(300, reference)
    for texts in maker.bigrams[::7]:
        excluded = maker.rng.choice(WORDS)
        root = q.Exclude(q.Phrase(texts, FIELDS), q.Term(excluded, FIELDS))
        page = rank(commit, root, limit=1000)
        with index.reading():
            for docnum in page.docnums.tolist():
                doc = next(d for d in reference.docs if d.docnum == docnum)
                assert not any(excluded in doc.positions[f] for f in FIELDS)


def test_deleted_documents_never_match(corpus) -> None:  # type: ignore[no-untyped-def]
    index, commit, _reference = corpus
    page = rank(commit, q.MatchAll(), limit=1000)
    with index.reading() as searcher:
        ids = {searcher.stored_fields(int(d))["id"] for d in page.docnums}
        assert page.total == searcher.doc_count() == commit.live_count
    assert ids.isdisjoint(DELETED)
    assert commit.doc_count_all == commit.live_count + len(DELETED)


def test_match_nothing_and_fuzzy(corpus) -> None:  # type: ignore[no-untyped-def]
    _index, commit, _reference = corpus
    assert rank(commit, q.MatchNothing(), limit=5).total == 0
    # Fuzzy (issue 12) now scores: the exact word at full weight, close spellings below it
    exact = rank(commit, q.Term("kota", FIELDS), limit=1000)
    fuzzy = rank(commit, q.Fuzzy("kota", FIELDS), limit=1000)
    assert fuzzy.total >= exact.total
    fuzzy_scores = dict(zip(fuzzy.docnums.tolist(), fuzzy.scores.tolist()))
    assert all(fuzzy_scores[d] >= s for d, s in zip(exact.docnums.tolist(), exact.scores.tolist()))
    assert rank(commit, q.AnyOf(()), limit=5).total == 0


@pytest.mark.parametrize("ranking", [DEFAULT_RANKING, WHOOSH_RANKING], ids=["bm25f", "1.0"])
def test_fuzzy_words_score_alike_summed_sparsely_and_as_a_tree(corpus, ranking: Ranking) -> None:  # type: ignore[no-untyped-def]
    # A query of words, fuzzy ones among them, is summed from sparse term scores
    # (scoring_words); the tree evaluator's dense arrays must give the same candidates,
    # scores (to the last bit) and matched counts.
    _index, commit, _reference = corpus
    rng = random.Random(7)
    words = list(WORDS)

    def typo(word: str) -> str:
        at = rng.randrange(len(word))
        return rng.choice([word[:at] + word[at + 1:], word[:at] + "x" + word[at + 1:], word + "a", word])

    expanded = 0
    for _ in range(60):
        leaves: list[q.Node] = []
        for word in dict.fromkeys(typo(rng.choice(words)) for _ in range(rng.randint(1, 5))):
            boost = rng.choice([1.0, 1.0, 2.0, 0.5])
            if rng.random() < 0.7:
                leaves.append(q.Fuzzy(word, FIELDS, max_edits=rng.choice([1, 2]), boost=boost,
                                      max_expansions=rng.choice([1, 3, 10])))
            else:
                leaves.append(q.Term(word, FIELDS, boost))
        root = leaves[0] if len(leaves) == 1 else q.AnyOf(tuple(leaves), rng.choice([1.0, 1.5]))
        plain = _plain_query(root, phrases=True)
        assert plain is not None
        sparse = list(_word_matches(commit, plain, ranking))
        dense = list(_tree_matches(commit, root, ranking))
        dense_docs = np.concatenate([first + candidates for first, candidates, _s, _m in dense])
        if not sparse:
            assert not len(dense_docs)
            continue
        _first, docs, scores, matched = sparse[0]
        assert docs.tolist() == dense_docs.tolist()
        assert scores.tolist() == np.concatenate([s for _f, _c, s, _m in dense]).tolist()
        assert matched.tolist() == np.concatenate([m for _f, _c, _s, m in dense]).tolist()
        expanded += any(isinstance(leaf, q.Fuzzy) and expansions(commit, leaf.word, leaf.max_edits) for leaf in leaves)
    assert expanded > 20  # the typos do have close spellings in the corpus


def test_common_values_of_two_ascending_arrays_by_search_or_by_merge() -> None:
    rng = np.random.default_rng(3)
    for _ in range(400):
        sizes = rng.integers(0, 3000, 2) // rng.choice([1, 1, 50], 2)  # alike, or one far smaller
        dtype = rng.choice([np.int32, np.int64])
        left, right = (np.unique(rng.integers(-5, 4000, size)).astype(dtype) for size in sizes)
        got = common_values(left, right)
        assert got.dtype == dtype and got.tolist() == np.intersect1d(left, right).tolist()


def _bincount_sums(docs: np.ndarray, values: np.ndarray) -> tuple[list[int], list[float], list[int]]:
    summed, counts = np.bincount(docs, weights=values), np.bincount(docs)
    distinct = np.flatnonzero(counts)
    return distinct.tolist(), summed[distinct].tolist(), counts[distinct].tolist()


def test_summing_per_document_adds_as_bincount_and_leaves_its_scratch_clean() -> None:
    # Dense (entries at least a sixteenth of the documents, into reused scratch arrays)
    # and sparse alike: the same documents, sums to the last bit, counts; sizes that
    # shrink and grow between calls; a failed call leaves nothing behind.
    rng = np.random.default_rng(11)
    for _ in range(200):
        size = int(rng.choice([50, 1000, 30_000]))
        docs = rng.integers(0, size, int(rng.integers(1, 3 * size // 2))).astype(rng.choice([np.int32, np.int64]))
        values = rng.random(len(docs)) * 7
        got = sum_per_document(docs, values, size)
        assert (got[0].tolist(), got[1].tolist(), got[2].tolist()) == _bincount_sums(docs, values)
        uncounted = sum_per_document(docs, values, size, counted=False)
        assert uncounted[0].tolist() == got[0].tolist() and uncounted[2] is None
    with pytest.raises(IndexError):
        # dense (101 entries for 1,000 documents), the last entry past the size
        sum_per_document(np.append(np.arange(0, 1000, 10), 10**6), np.ones(101), 1000)
    docs, values = np.arange(0, 1000, 3), np.full(334, 0.5)
    got = sum_per_document(docs, values, 1000)
    assert (got[0].tolist(), got[1].tolist(), got[2].tolist()) == _bincount_sums(docs, values)


def test_best_sums_keep_every_document_that_can_reach_the_page() -> None:
    # Against sum_per_document: the same total, sums and counts; candidates among the kept
    # matching documents, holding the true top by sum * factor; scratch left clean.
    rng = np.random.default_rng(13)
    pruned = 0
    for _ in range(300):
        size = int(rng.choice([200, 3000]))
        words = [np.unique(rng.integers(0, size, int(rng.integers(1, size // 3)))) for _ in range(int(rng.integers(2, 6)))]
        docs = np.concatenate(words).astype(rng.choice([np.int32, np.int64]))
        values = rng.random(len(docs)) * 5 * (rng.random(len(docs)) < 0.95)  # some zero scores
        keep = rng.random(size) < 0.8 if rng.random() < 0.5 else None
        factors = (np.arange(len(words) + 1) / len(words)) ** 0.5 if rng.random() < 0.7 else None
        depth = int(rng.choice([1, 5, 12, 60]))
        probe = min(words, key=len)
        lists = len(words) if rng.random() < 0.5 else None  # counted in bytes when told how many lists
        total, candidates, sums, counts = best_sums_per_document(docs, values, size, keep, probe, depth, factors,
                                                                 lists=lists)
        distinct, all_sums, all_counts = sum_per_document(docs, values, size)
        assert all_counts is not None
        kept = np.ones(len(distinct), bool) if keep is None else keep[distinct]
        assert total == int(kept.sum())
        where = np.searchsorted(distinct, candidates)
        assert np.array_equal(distinct[where], candidates) and kept[where].all()
        assert sums.tobytes() == all_sums[where].tobytes() and counts.tolist() == all_counts[where].tolist()
        finals = all_sums * (factors[all_counts] if factors is not None else 1.0)
        order = np.lexsort((distinct[kept], -finals[kept]))[:depth]
        assert set(distinct[kept][order].tolist()) <= set(candidates.tolist())
        pruned += len(candidates) < total
    assert pruned > 50  # the bound left documents out, often
    got = sum_per_document(np.arange(0, 1000, 3), np.full(334, 0.5), 1000)  # the scratch came back clean
    assert got[1].tolist() == [0.5] * 334


@pytest.mark.parametrize("lists", [2, 255, 256, 300])
def test_counts_of_entries_from_many_lists_are_exact(lists: int) -> None:
    # Told how many lists of distinct documents the entries were joined from, the sums
    # count in the narrowest type that holds that many (a byte up to 255): a document in
    # every list counts them all, in either width, and each width's scratch stays clean.
    rng = np.random.default_rng(lists)
    size = 2000
    joined = [np.unique(np.append(rng.integers(0, size, 300), 7)) for _ in range(lists)]  # 7 in every list
    docs = np.concatenate(joined).astype(np.int32)
    values = rng.random(len(docs))
    expected = _bincount_sums(docs, values)
    for _ in range(2):  # twice: the second round reads the scratch the first left behind
        for told in (lists, None):
            got = sum_per_document(docs, values, size, lists=told)
            assert (got[0].tolist(), got[1].tolist(), got[2].tolist()) == expected
            assert got[2].dtype == np.int64 and int(got[2][got[0] == 7][0]) == lists
            total, candidates, sums, counts = best_sums_per_document(docs, values, size, None, joined[0], 10, None,
                                                                     lists=told)
            where = np.searchsorted(expected[0], candidates)
            assert total == len(expected[0]) and counts.dtype == np.int64
            assert counts.tolist() == np.array(expected[2])[where].tolist()


@pytest.mark.parametrize("best", [False, True], ids=["sum", "best sums"])
def test_a_sum_interrupted_after_writing_its_scratch_leaves_the_next_one_right(monkeypatch, best: bool) -> None:  # type: ignore[no-untyped-def]
    import diplosearch.scoring_terms as scoring_terms

    class Interrupting:  # numpy, but Ctrl-C arrives once the scratch arrays are written
        def __getattr__(self, name: str) -> object:
            if name in ("flatnonzero", "count_nonzero"):
                raise KeyboardInterrupt
            return getattr(np, name)

    docs, values = np.arange(0, 1000, 2), np.full(500, 0.25)
    monkeypatch.setattr(scoring_terms, "np", Interrupting())
    with pytest.raises(KeyboardInterrupt):
        if best:
            best_sums_per_document(docs, values, 1000, None, docs[:50], 10, None)
        else:
            sum_per_document(docs, values, 1000)
    monkeypatch.undo()
    got = sum_per_document(docs, values, 1000)
    assert (got[0].tolist(), got[1].tolist(), got[2].tolist()) == _bincount_sums(docs, values)


def test_threads_sum_per_document_each_in_their_own_scratch() -> None:
    rng = np.random.default_rng(12)
    cases = [(rng.integers(0, 5000, 3000), rng.random(3000)) for _ in range(16)]
    expected = [_bincount_sums(docs, values) for docs, values in cases]
    failures: list[int] = []

    def run(offset: int) -> None:
        for round_ in range(30):
            index = (offset + round_) % len(cases)
            got = sum_per_document(*cases[index], 5000)
            if (got[0].tolist(), got[1].tolist(), got[2].tolist()) != expected[index]:
                failures.append(index)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


def test_positive_terms_leave_out_exclusions_and_filters() -> None:
    root = q.AndMaybe(
        q.Exclude(q.AnyOf((q.Term("a", FIELDS), q.Phrase(("b", "c"), FIELDS))), q.Term("d", FIELDS)),
        q.AllOf((q.Term("e", FIELDS), q.Filter("source", ("x",)), q.DateRange(None, None))),
    )
    assert positive_terms(root) == ("a", "b", "c", "e")


def test_newest_and_facets_follow_the_match_mask(corpus) -> None:  # type: ignore[no-untyped-def]
    _index, commit, reference = corpus
    root = q.Term("kota", FIELDS)
    matching = [d for d in reference.docs if d.live and reference.evaluate(root, d, WHOOSH_RANKING)[0]]
    masks = match_masks(commit, root)
    assert sum(int(m.sum()) for m in masks) == len(matching)

    def moment(doc) -> tuple[bool, dt.datetime]:  # type: ignore[no-untyped-def]
        published = doc.stored.get("published")
        return (published is None, dt.datetime.fromisoformat(published) if published else dt.datetime.min)

    for newest_first in (True, False):
        for limit in (15, len(matching) + 3):  # a page, and every match (the undated ones last)
            total, docnums = by_date(commit, root, newest_first=newest_first, limit=limit)
            assert total == len(matching)
            keyed = sorted(matching, key=lambda d: d.docnum)
            keyed.sort(key=lambda d: moment(d)[1], reverse=newest_first)  # stable: ties keep doc order
            keyed.sort(key=lambda d: moment(d)[0])
            assert docnums.tolist() == [d.docnum for d in keyed[:limit]]
    times = {moment(d)[1] for d in matching if not moment(d)[0]}
    assert len({t.date() for t in times}) < len(times)  # some matches share a day, not a time

    counts: dict[str, int] = {}
    for doc in matching:
        source = doc.stored.get("source")
        if source:
            counts[source.casefold()] = counts.get(source.casefold(), 0) + 1
    facets = count_facets(commit, root, ["source"])["source"]
    assert {label.casefold(): n for label, n in facets} == counts
    assert [n for _label, n in facets] == sorted(counts.values(), reverse=True)
    with pytest.raises(QueryError):
        count_facets(commit, root, ["body"])


def test_more_matched_words_rank_first_when_strict(corpus) -> None:  # type: ignore[no-untyped-def]
    _index, commit, _reference = corpus
    page = rank(commit, q.AnyOf(tuple(q.Term(w, FIELDS) for w in WORDS[:8])), ranking=WHOOSH_RANKING, limit=200)
    matched = page.matched_terms.tolist()
    assert matched == sorted(matched, reverse=True)
    assert len(set(matched)) > 1


@pytest.mark.parametrize("seed", range(4))
def test_best_keeps_exactly_the_entries_reaching_the_depth_th_largest(seed: int) -> None:
    # Sizes on both sides of the block bound (512 entries for depth 10), ties, sorted and
    # reversed runs (a block holding all the best entries), a coordination primary.
    rng = np.random.default_rng(seed)
    for _ in range(300):
        size = int(rng.choice([5, 300, 511, 512, 3000, 20_000]))
        depth = int(rng.choice([1, 10, 63, 64, 65, 200]))
        scores = np.round(rng.random(size) * rng.integers(1, 40), int(rng.integers(0, 3)))
        layout = rng.integers(3)
        if layout == 1:
            scores = np.sort(scores)
        elif layout == 2:
            scores = np.sort(scores)[::-1].copy()
        primary = rng.integers(1, 4, size) if rng.random() < 0.3 else None
        keys = [(primary[i] if primary is not None else 0, scores[i]) for i in range(size)]
        # every entry whose (primary, score) reaches the depth-th best one's
        cut = sorted(keys)[size - depth] if size > depth else min(keys)
        expected = {i for i in range(size) if keys[i] >= cut}
        kept = _best(primary, scores, depth)
        assert list(kept) == sorted(kept) and set(kept.tolist()) == expected


def test_threads_score_in_parallel_with_the_same_results(corpus) -> None:  # type: ignore[no-untyped-def]
    _index, commit, reference = corpus
    maker = TreeMaker(400, reference)
    trees = [maker.tree() for _ in range(40)]
    expected = [rank(commit, t, limit=PAGE) for t in trees]
    failures: list[str] = []

    def work() -> None:
        for tree, want in zip(trees, expected):
            got = rank(commit, tree, limit=PAGE)
            if not (np.array_equal(got.docnums, want.docnums) and np.array_equal(got.scores, want.scores)):
                failures.append(repr(tree))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


def test_an_empty_index_scores_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import diplosearch

    index = diplosearch.open_index(tmp_path / "empty", create=True)
    with index.reading() as searcher:
        commit = CommitColumns.from_searcher(str(index.path), searcher)
    assert commit.doc_count_all == 0
    page = rank(commit, q.AnyOf((q.Term("kota", FIELDS), q.Phrase(("kota", "laut"), FIELDS))), limit=10)
    assert page.total == 0 and len(page.docnums) == 0
    assert count_facets(commit, q.MatchAll(), ["source"]) == {"source": []}
    index.close()


@pytest.mark.parametrize(
    "ranking",
    [Ranking(), WHOOSH_RANKING, Ranking(k1=0.0, coordination="off"),
     Ranking(coordination="strict", boosts={"title": 0.0, "body": 3.0})],
    ids=["default", "whoosh", "k1-zero", "strict-zero-title"],
)
def test_plain_words_score_the_same_bits_as_the_tree_evaluator(corpus, monkeypatch, ranking: Ranking) -> None:  # type: ignore[no-untyped-def]
    # Queries of words alone skip the dense per-node arrays; the page (deleted
    # documents left out, boosts, coordination) must be what the tree evaluator gives.
    import diplosearch.scoring_words as scoring_words

    _index, commit, reference = corpus
    maker = TreeMaker(300, reference)
    roots: list[q.Node] = [q.Term("kota", FIELDS), q.Term("laut", ("title",), boost=2.0)]
    for _ in range(60):
        terms = tuple(q.Term(word, maker.fields(), maker.boost()) for word in maker.plain_words())
        roots.append(q.AnyOf(terms, boost=maker.rng.choice((1.0, 1.0, 0.5))))
    assert all(scoring_words._plain_words(root) for root in roots)
    fast = [rank(commit, root, ranking=ranking, limit=PAGE, offset=3) for root in roots]
    monkeypatch.setattr(scoring_words, "_plain_words", lambda root, phrases=False: None)
    for root, got in zip(roots, fast):
        tree = rank(commit, root, ranking=ranking, limit=PAGE, offset=3)
        assert got.total == tree.total
        assert got.docnums.tolist() == tree.docnums.tolist()
        assert got.scores.tolist() == tree.scores.tolist()
        assert got.matched_terms.tolist() == tree.matched_terms.tolist()
    assert sum(page.total > 0 for page in fast) > 40


@pytest.mark.parametrize("ranking", [Ranking(), Ranking(k1=0.0, coordination="off"),
                                     Ranking(coordination="strict", boosts={"title": 0.0, "body": 3.0})],
                         ids=["default", "k1-zero", "strict-zero-title"])
def test_words_and_phrases_score_the_same_bits_as_the_tree_evaluator(corpus, monkeypatch, ranking: Ranking) -> None:  # type: ignore[no-untyped-def]
    # Phrases among the words (BM25F) are scored commit-wide too: a phrase counts each of
    # its words as matched where it stands, and adds its words' scores there.
    import diplosearch.scoring as scoring
    import diplosearch.scoring_words as scoring_words

    _index, commit, reference = corpus
    maker = TreeMaker(500, reference)
    roots: list[q.Node] = [q.Phrase(maker.rng.choice(maker.bigrams), FIELDS),
                           q.Phrase(("kota",), FIELDS, boost=2.0)]  # a phrase of one word is that word
    for _ in range(60):
        leaves: list[q.Node] = []
        for word in maker.plain_words():
            if maker.rng.random() < 0.4:
                texts = maker.rng.choice(maker.bigrams)
                leaves.append(q.Phrase(texts if maker.rng.random() < 0.8 else (*texts, word), maker.fields(), maker.boost()))
            else:
                leaves.append(q.Term(word, maker.fields(), maker.boost()))
        roots.append(q.AnyOf(tuple(leaves), boost=maker.rng.choice((1.0, 1.0, 0.5))))
    plain = [root for root in roots if scoring_words._plain_query(root, phrases=True) is not None]
    assert len(plain) > 30 and sum(any(isinstance(c, q.Phrase) for c in getattr(r, "children", (r,))) for r in plain) > 20
    fast = [(rank(commit, root, ranking=ranking, limit=PAGE, offset=1), match_masks(commit, root),
             by_date(commit, root, limit=PAGE)) for root in plain]
    fast_counts = [scoring.matched_counts(commit, root, dated[1]).tolist() for root, (_p, _m, dated) in zip(plain, fast)]
    monkeypatch.setattr(scoring, "_plain_query", lambda root, phrases=False: None)
    for root, (page, masks, dated), counts in zip(plain, fast, fast_counts):
        tree = rank(commit, root, ranking=ranking, limit=PAGE, offset=1)
        assert (page.total, page.docnums.tolist()) == (tree.total, tree.docnums.tolist()), root
        assert page.scores.tolist() == tree.scores.tolist(), root
        assert page.matched_terms.tolist() == tree.matched_terms.tolist(), root
        assert [m.tolist() for m in masks] == [m.tolist() for m in match_masks(commit, root)]
        want_total, want_docs = by_date(commit, root, limit=PAGE)
        assert dated[0] == want_total and dated[1].tolist() == want_docs.tolist()
        assert counts == scoring.matched_counts(commit, root, dated[1]).tolist()
    assert sum(page.total > 0 for page, _m, _d in fast) > 30
    assert any(max(page.matched_terms.tolist(), default=0) > 1 for page, _m, _d in fast)


@pytest.mark.parametrize("ranking", [Ranking(), Ranking(coordination="strict"), WHOOSH_RANKING,
                                     Ranking(k1=0.5, coordination="off", boosts={"title": 0.0})],
                         ids=["default", "strict", "per-field", "off-zero-title"])
def test_words_less_other_words_score_the_same_bits_as_the_tree_evaluator(corpus, monkeypatch, ranking: Ranking) -> None:  # type: ignore[no-untyped-def]
    # (a AND NOT b) groups among words, and words less words over the whole query, are
    # scored commit-wide: a group's word's documents less the excluded words', its score
    # times its own boost and the group's; a whole-query exclusion masks the matches.
    import diplosearch.scoring as scoring
    import diplosearch.scoring_words as scoring_words

    _index, commit, reference = corpus
    maker = TreeMaker(900, reference)
    roots: list[q.Node] = []
    for _ in range(70):
        leaves: list[q.Node] = []
        words = maker.plain_words()
        for word in words:
            if maker.rng.random() < 0.5:
                others = [maker.rng.choice(WORDS) for _ in range(maker.rng.choice((1, 1, 2, 3)))]
                others = [other for other in dict.fromkeys(others) if other != word] or ["notaword"]
                negative: q.Node = (q.Term(others[0], maker.fields()) if len(others) == 1
                                    else q.AnyOf(tuple(q.Term(other, maker.fields()) for other in others)))
                leaves.append(q.Exclude(q.Term(word, maker.fields(), maker.boost()), negative, maker.boost()))
            else:
                leaves.append(q.Term(word, maker.fields(), maker.boost()))
        root: q.Node = leaves[0] if len(leaves) == 1 else q.AnyOf(tuple(leaves), boost=maker.rng.choice((1.0, 0.5)))
        roll = maker.rng.random()
        if roll < 0.4:  # the whole query less some words (kota laut -banjir), maybe filtered
            others = list(dict.fromkeys(maker.rng.choice(WORDS) for _ in range(maker.rng.choice((1, 2)))))
            negative = q.Term(others[0], maker.fields()) if len(others) == 1 else q.AnyOf(
                tuple(q.Term(other, maker.fields()) for other in others))
            root = q.Exclude(root, negative, maker.boost())
            if roll < 0.15:
                root = q.AllOf((root, q.Filter("source", ("kompas.com", "tempo"))), maker.boost())
        roots.append(root)
    plain = [root for root in roots if scoring_words._plain_query(root, phrases=True) is not None]
    assert len(plain) > 60
    assert sum(bool(scoring_words._plain_query(root, phrases=True).excluded) for root in plain) > 20
    assert sum(any(isinstance(leaf, q.Exclude) for leaf in scoring_words._plain_query(root, phrases=True).terms)
               for root in plain) > 30
    pages = ((PAGE, 0), (3, 4), (40, 0))
    fast = [([rank(commit, root, ranking=ranking, limit=limit, offset=offset) for limit, offset in pages],
             match_masks(commit, root), by_date(commit, root, limit=PAGE)) for root in plain]
    fast_counts = [scoring.matched_counts(commit, root, dated[1]).tolist() for root, (_p, _m, dated) in zip(plain, fast)]
    monkeypatch.setattr(scoring, "_plain_query", lambda root, phrases=False: None)
    for root, (got, masks, dated), counts in zip(plain, fast, fast_counts):
        for (limit, offset), page in zip(pages, got):
            tree = rank(commit, root, ranking=ranking, limit=limit, offset=offset)
            assert (page.total, page.docnums.tolist()) == (tree.total, tree.docnums.tolist()), root
            assert page.scores.tolist() == tree.scores.tolist(), root
            assert page.matched_terms.tolist() == tree.matched_terms.tolist(), root
        assert [m.tolist() for m in masks] == [m.tolist() for m in match_masks(commit, root)]
        assert dated[1].tolist() == by_date(commit, root, limit=PAGE)[1].tolist()
        assert counts == scoring.matched_counts(commit, root, dated[1]).tolist()
    assert sum(got[0].total > 0 for got, _m, _d in fast) > 40


@pytest.mark.parametrize("ranking", [Ranking(), Ranking(coordination="off"), Ranking(soft_power=2.0, k1=0.5)],
                         ids=["default", "off", "steep"])
def test_words_ranked_from_the_documents_that_can_reach_the_page_give_the_tree_evaluators_page(
        corpus, monkeypatch, ranking: Ranking) -> None:  # type: ignore[no-untyped-def]
    # A query of words is ranked from the documents whose sum reaches the page's bar
    # (best_sums_per_document); pages of any depth must be the tree evaluator's.
    import diplosearch.scoring as scoring
    import diplosearch.scoring_words as scoring_words

    _index, commit, reference = corpus
    maker = TreeMaker(700, reference)
    roots: list[q.Node] = []
    for _ in range(60):
        words = maker.plain_words()
        if len(words) > 1:
            roots.append(q.AnyOf(tuple(q.Term(word, FIELDS, maker.rng.choice((1.0, 1.0, 2.5))) for word in words)))
    calls: list[tuple[int, int]] = []
    bounded = scoring_words.best_sums_per_document

    def recorded(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = bounded(*args, **kwargs)
        calls.append((found[0], len(found[1])))
        return found

    monkeypatch.setattr(scoring_words, "best_sums_per_document", recorded)
    pages = [(limit, offset) for limit, offset in ((PAGE, 0), (1, 0), (5, 7), (40, 0))]
    fast = [[rank(commit, root, ranking=ranking, limit=limit, offset=offset) for limit, offset in pages] for root in roots]
    assert sum(candidates < total for total, candidates in calls) > 20
    monkeypatch.setattr(scoring, "_plain_query", lambda root, phrases=False: None)
    for root, got in zip(roots, fast):
        for (limit, offset), page in zip(pages, got):
            tree = rank(commit, root, ranking=ranking, limit=limit, offset=offset)
            assert (page.total, page.docnums.tolist()) == (tree.total, tree.docnums.tolist()), root
            assert page.scores.tolist() == tree.scores.tolist()
            assert page.matched_terms.tolist() == tree.matched_terms.tolist()


def test_only_words_of_distinct_texts_take_the_plain_words_path() -> None:
    import diplosearch.scoring_words as scoring_words

    kota, laut = q.Term("kota", FIELDS), q.Term("laut", FIELDS)
    assert scoring_words._plain_words(q.AnyOf((kota, laut, kota))) == [kota, laut]  # a repeat counts once
    # the same text in other fields counts as one matched term: left to the tree evaluator
    assert scoring_words._plain_words(q.AnyOf((kota, q.Term("kota", ("title",))))) is None
    assert scoring_words._plain_words(q.AnyOf((kota, q.Phrase(("kota", "laut"), FIELDS)))) is None
    # phrases only when asked (BM25F), and then no text twice either
    phrase = q.Phrase(("laut", "biru"), FIELDS)
    assert scoring_words._plain_words(q.AnyOf((kota, phrase))) is None
    assert scoring_words._plain_words(q.AnyOf((kota, phrase)), phrases=True) == [kota, phrase]
    assert scoring_words._plain_words(q.AnyOf((laut, phrase)), phrases=True) is None
    assert scoring_words._plain_words(q.Phrase(("kota", "ke", "kota"), FIELDS), phrases=True) is None
    assert scoring_words._plain_words(q.Phrase(("kota",), FIELDS, 2.0), phrases=True) == [q.Term("kota", FIELDS, 2.0)]
    assert scoring_words._plain_words(q.AllOf((kota, laut))) is None
    assert scoring_words._plain_words(q.AnyOf(())) is None


def test_words_with_filters_take_the_plain_path_with_the_tree_evaluators_results(corpus, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Words AND-ed with filters (what search(source=..., since=...) builds) are scored
    # from the terms' remembered scores and the filters' masks; pages, the masks the
    # date sort and facets use, and the date order must be the tree evaluator's.
    import diplosearch.scoring as scoring
    import diplosearch.scoring_words as scoring_words

    _index, commit, reference = corpus
    maker = TreeMaker(400, reference)
    filters = [q.Filter("source", ("kompas.com",)), q.Filter("source", ("Tempo", "detik")),
               q.DateRange(dt.date(2019, 6, 1), None), q.DateRange(None, dt.date(2020, 3, 31))]
    roots: list[q.Node] = []
    for _ in range(40):
        words = plain_tree(maker.plain_words())
        chosen = tuple(maker.rng.sample(filters, maker.rng.randint(1, 2)))
        roots.append(q.AllOf((words, *chosen) if maker.rng.random() < 0.5 else (*chosen, words),
                             boost=maker.rng.choice((1.0, 2.0))))
    assert all(scoring_words._plain_query(root) is not None for root in roots)
    rankings = (Ranking(), WHOOSH_RANKING)
    fast = [(rank(commit, root, ranking=ranking, limit=PAGE, offset=2), match_masks(commit, root),
             by_date(commit, root, limit=PAGE)) for root in roots for ranking in rankings]
    each_root = [root for root in roots for _ranking in rankings]
    fast_counts = [scoring.matched_counts(commit, root, dated[1]).tolist() for root, (_p, _m, dated) in zip(each_root, fast)]
    monkeypatch.setattr(scoring, "_plain_query", lambda root, phrases=False: None)
    tree = [(rank(commit, root, ranking=ranking, limit=PAGE, offset=2), match_masks(commit, root),
             by_date(commit, root, limit=PAGE)) for root in roots for ranking in rankings]
    assert [scoring.matched_counts(commit, root, dated[1]).tolist()
            for root, (_p, _m, dated) in zip(each_root, tree)] == fast_counts
    assert any(max(counts, default=0) > 1 for counts in fast_counts)
    for (page, masks, dated), (want_page, want_masks, want_dated) in zip(fast, tree):
        assert page.total == want_page.total
        assert page.docnums.tolist() == want_page.docnums.tolist()
        assert page.scores.tolist() == want_page.scores.tolist()
        assert page.matched_terms.tolist() == want_page.matched_terms.tolist()
        assert [m.tolist() for m in masks] == [m.tolist() for m in want_masks]
        assert dated[0] == want_dated[0] and dated[1].tolist() == want_dated[1].tolist()
    assert sum(page.total > 0 for page, _m, _d in fast) > 30
    # a filter with no other words, or two groups of words, stays with the tree evaluator
    assert scoring_words._plain_query(q.AllOf((q.MatchAll(), filters[0]))) is None
    assert scoring_words._plain_query(q.AllOf((plain_tree(["kota"]), plain_tree(["laut"])))) is None


def test_remembered_term_scores_stay_bounded_and_keep_the_recently_used(corpus, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import diplosearch.scoring_terms as scoring_terms
    import diplosearch.store.commit_columns as commit_columns

    index, _commit, _reference = corpus
    with index.reading() as searcher:
        commit = CommitColumns.from_searcher(str(index.path), searcher)
    sizes = {word: len(term_scores_in(commit, word, FIELDS, Ranking()).docs) for word in WORDS}
    bound = 3 * max(sizes.values())
    monkeypatch.setattr(commit_columns, "_TERM_CACHE_POSTINGS", bound)
    monkeypatch.setattr(commit_columns, "_TERM_CACHE_POSTINGS_PER_DOCUMENT", 0)
    computed = []
    real = scoring_terms._score_terms
    monkeypatch.setattr(scoring_terms, "_score_terms", lambda c, texts, *rest: computed.extend(texts) or real(c, texts, *rest))
    fresh = Ranking(k1=1.1)  # nothing remembered under it yet
    for word in WORDS:
        term_scores_in(commit, "kota", FIELDS, fresh)  # used before every other word
        term_scores_in(commit, word, FIELDS, fresh)
        assert commit._cached_postings <= bound
        assert commit._cached_postings == sum(len(found.docs) for found in commit._term_scores.values())
    assert computed.count("kota") == 1  # never the least recently used, so never dropped
    assert len(computed) == len(WORDS)
    dropped = [word for word in WORDS if word != "kota" and not any(key[0] == word for key in commit._term_scores)]
    assert dropped  # the bound did make room
    # in a larger index the bound grows with it: then every word's scores stay
    with index.reading() as searcher:
        commit = CommitColumns.from_searcher(str(index.path), searcher)
    monkeypatch.setattr(commit_columns, "_TERM_CACHE_POSTINGS_PER_DOCUMENT", sum(sizes.values()) // commit.doc_count_all + 1)
    computed.clear()
    for word in WORDS + WORDS:
        term_scores_in(commit, word, FIELDS, fresh)
    assert sorted(computed) == sorted(WORDS)  # each scored once


def _term_scores_one_field_and_segment_at_a_time(commit, text: str, fields: tuple[str, ...], ranking: Ranking):  # type: ignore[no-untyped-def]
    """BM25F's term score written out per posting in plain Python floats: each field's
    ``weight * tf / norm`` added from 0 in field order, then ``idf * t / (t + k1)``."""
    parts: dict[int, list[float]] = {}
    for field in fields:
        norm = commit.commit_norm(field, ranking)
        for view in commit.segments:
            term_id, fc = view.columns.vocabulary.id_of(text), view.columns.fields.get(field)
            if term_id is None or fc is None:
                continue
            start, end = fc.row(term_id)
            for docnum, tf in zip(fc.docs[start:end].tolist(), fc.weights[start:end].tolist()):
                doc = docnum + view.offset
                parts.setdefault(doc, []).append(float(tf) * ranking.weight(field) / float(norm[doc]))
    docs = sorted(parts)
    df, n = len(docs), commit.doc_count_all
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    scores = []
    for doc in docs:
        pseudo = 0.0
        for part in parts[doc]:
            pseudo += part
        scores.append(pseudo * idf / (pseudo + ranking.k1))
    return docs, scores


ALL_FIELDS = tuple(TEXT_FIELDS)


@pytest.mark.parametrize("ranking", [
    Ranking(),
    Ranking(k1=0.9, b=0.3, boosts={"title": 3.5, "body": 1.0}),
    Ranking(b=1.0),  # an empty field's norm is 0: a field without the term must still add 0
])
def test_term_scores_over_all_fields_at_once_equal_one_field_and_segment_at_a_time(corpus, ranking: Ranking) -> None:  # type: ignore[no-untyped-def]
    from diplosearch.scoring_terms import _score_term

    _index, commit, _reference = corpus
    assert len(commit.segments) > 1  # runs from several segments are put together
    for fields in (ALL_FIELDS, ALL_FIELDS[::-1], FIELDS, ("body",), ("title", "body"), ("captions", "quotes"),
                   ("body", "title", "captions")):
        for word in (*WORDS, *ABSENT):
            found = _score_term(commit, word, fields, ranking)
            docs, scores = _term_scores_one_field_and_segment_at_a_time(commit, word, fields, ranking)
            assert found.docs.tolist() == docs, (word, fields)
            assert found.scores.tolist() == scores, (word, fields)  # the same bits, not merely close
            assert found.docs.dtype == np.int32
            for position in range(len(commit.segments)):
                local, _scores = found.segment(position)
                assert ((local >= 0) & (local < commit.segments[position].columns.doc_count)).all()


@pytest.mark.parametrize("ranking", [
    Ranking(),
    Ranking(k1=0.9, b=0.3, boosts={"title": 3.5, "body": 1.0}),
    Ranking(b=1.0),
])
def test_terms_scored_together_equal_one_field_and_segment_at_a_time(corpus, monkeypatch, ranking: Ranking) -> None:  # type: ignore[no-untyped-def]
    import diplosearch.scoring_terms as scoring_terms

    _index, commit, _reference = corpus
    monkeypatch.setattr(scoring_terms, "_score_term", lambda *args: pytest.fail("scored one at a time"))
    for words in ([*WORDS, *ABSENT], [ABSENT[0], WORDS[0]], WORDS[::-1][:3], list(ABSENT)):
        found = scoring_terms._score_terms(commit, words, ALL_FIELDS, ranking)
        assert len(found) == len(words)
        for word, scores in zip(words, found):
            expected_docs, expected_scores = _term_scores_one_field_and_segment_at_a_time(commit, word, ALL_FIELDS, ranking)
            assert (scores.docs.tolist(), scores.scores.tolist()) == (expected_docs, expected_scores), word
            assert scores.docs.dtype == np.int32
            assert scores.bounds == tuple(np.searchsorted(scores.docs, [*commit.offsets, commit.doc_count_all]).tolist())
            # each term keeps only its own arrays alive in the cache, not the whole batch's
            assert scores.docs.base is None and scores.scores.base is None


def test_terms_asked_together_mix_remembered_and_new_ones_in_the_order_asked(corpus, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import diplosearch.scoring_terms as scoring_terms

    _index, commit, _reference = corpus
    fresh = Ranking(k1=1.1)  # nothing remembered for it yet
    first = term_scores_in(commit, WORDS[1], ALL_FIELDS, fresh)
    batches = []
    real = scoring_terms._score_terms
    monkeypatch.setattr(scoring_terms, "_score_terms", lambda c, texts, *rest: batches.append(list(texts)) or real(c, texts, *rest))
    words = [WORDS[0], WORDS[1], ABSENT[0], WORDS[2]]
    found = terms_scores_in(commit, words, ALL_FIELDS, fresh)
    assert batches == [[WORDS[0], ABSENT[0], WORDS[2]]]  # the remembered one is not scored again
    assert found[1] is first
    for word, scores in zip(words, found):
        assert scores is term_scores_in(commit, word, ALL_FIELDS, fresh)  # remembered now, one object each
    assert batches == [[WORDS[0], ABSENT[0], WORDS[2]]]


def test_a_word_in_every_field_is_scored_from_the_union_postings(corpus, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import diplosearch.scoring_terms as scoring_terms

    _index, commit, _reference = corpus
    real = scoring_terms._summed_field_parts

    def field_by_field(commit, ids, fields, ranking):  # type: ignore[no-untyped-def]
        assert set(fields) != set(ALL_FIELDS), "every field: the union postings should have served"
        return real(commit, ids, fields, ranking)

    monkeypatch.setattr(scoring_terms, "_summed_field_parts", field_by_field)
    for word in WORDS:
        scoring_terms._score_term(commit, word, ALL_FIELDS[::-1], Ranking())
        scoring_terms._score_term(commit, word, ("title", "body"), Ranking())


@pytest.mark.parametrize("ranking", [Ranking(), Ranking(b=1.0, boosts={"body": 0.0}), Ranking(b=0.0)])
def test_leaving_out_a_small_field_still_scores_from_the_union_postings(corpus, monkeypatch, ranking: Ranking) -> None:  # type: ignore[no-untyped-def]
    # A search of every field but lead (or quotes) reads the union's other rows and
    # drops the documents that hold the word only in the left-out field; a title-only
    # search reads less field by field.
    import diplosearch.scoring_terms as scoring_terms

    _index, commit, _reference = corpus
    unions = [view.columns.union_postings() for view in commit.segments]
    without_lead = tuple(field for field in ALL_FIELDS if field != "lead")
    assert all(union.columns_within(without_lead) is None for union in unions if "lead" in union.fields)
    assert all(union.columns_among(without_lead) is not None for union in unions)
    assert any(union.columns_among(("title",)) is None for union in unions)
    monkeypatch.setattr(scoring_terms, "_summed_field_parts", lambda *args: pytest.fail("the union should serve"))
    for fields in (without_lead, tuple(field for field in ALL_FIELDS if field != "quotes")):
        expected = {word: _term_scores_one_field_and_segment_at_a_time(commit, word, fields, ranking)
                    for word in (*WORDS, *ABSENT)}
        for word, (docs, scores) in expected.items():
            found = scoring_terms._score_term(commit, word, fields, ranking)
            assert (found.docs.tolist(), found.scores.tolist()) == (docs, scores), (word, fields)
        # and several words scored together, each keeping its own documents per segment
        together = scoring_terms._scored_over_union_together(commit, list(expected), fields, ranking)
        assert together is not None
        for (word, (docs, scores)), found in zip(expected.items(), together):
            assert (found.docs.tolist(), found.scores.tolist()) == (docs, scores), (word, fields)
            assert found.bounds == tuple(np.searchsorted(found.docs, [*commit.offsets, commit.doc_count_all]).tolist())


def test_segments_whose_union_postings_have_other_columns_are_summed_each_with_its_own(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import diplosearch
    import diplosearch.scoring_terms as scoring_terms

    with diplosearch.open_index(tmp_path / "ix", create=True) as index:
        index.add_many([diplosearch.Document(id=f"q{n}", title=f"Kota pelabuhan {n}", body="Warga kota membahas laut.",
                                             quotes=(diplosearch.Quote("Laut kita luas", "Menteri"),),
                                             captions=("Foto kota",)) for n in range(4)])
        index.add_many([diplosearch.Document(id=f"p{n}", title="Laut biru", body=f"Kota dan laut ke-{n}.")
                        for n in range(5)])
        with index.reading() as searcher:
            commit = CommitColumns.from_searcher(str(index.path), searcher)
    held = [view.columns.union_postings().fields for view in commit.segments]
    assert len(set(held)) > 1  # quotes and captions hold postings in one segment only
    monkeypatch.setattr(scoring_terms, "_summed_field_parts", lambda *args: pytest.fail("the union should serve"))
    words = ("kota", "laut", "luas", "foto", "biru", "pelabuhan")
    for ranking in (Ranking(), Ranking(b=1.0, boosts={"quotes": 2.5})):
        # asked together, they are scored one at a time: one pass needs the same columns everywhere
        together = scoring_terms._score_terms(commit, words, ALL_FIELDS, ranking)
        for word, found in zip(words, together):
            docs, scores = _term_scores_one_field_and_segment_at_a_time(commit, word, ALL_FIELDS, ranking)
            assert (found.docs.tolist(), found.scores.tolist()) == (docs, scores), word


def test_union_postings_hold_each_terms_weight_in_every_field(corpus) -> None:  # type: ignore[no-untyped-def]
    from diplosearch.store.union_postings import UnionPostings, compact_weights

    _index, commit, _reference = corpus
    for view in commit.segments:
        columns = view.columns
        union = columns.union_postings()  # as read from the column file
        derived = UnionPostings.of_fields(len(columns.vocabulary), columns.doc_count, columns.fields)
        holding = tuple(field for field, fc in columns.fields.items() if len(fc.docs))
        assert union.fields == derived.fields == holding  # a field without postings has no column
        for name in ("pointers", "docs", "weights"):
            assert np.array_equal(getattr(union, name), getattr(derived, name)), name
        for term_id in range(len(columns.vocabulary)):
            expected: dict[int, list[float]] = {}
            for column, field in enumerate(holding):
                fc = columns.fields[field]
                start, end = fc.row(term_id)
                for doc, weight in zip(fc.docs[start:end].tolist(), fc.weights[start:end].tolist()):
                    expected.setdefault(doc, [0.0] * len(holding))[column] = weight
            start, end = union.row(term_id)
            assert union.docs[start:end].tolist() == sorted(expected)
            assert union.weights[:, start:end].T.astype(float).tolist() == [expected[d] for d in sorted(expected)]
    assert union.weights.flags.c_contiguous and union.weights.shape == (len(holding), len(union.docs))
    assert compact_weights(np.array([[0, 3], [255, 1]], np.float32)).dtype == np.uint8
    assert compact_weights(np.array([[0, 256]], np.float32)).dtype == np.uint16
    assert compact_weights(np.array([[0.5, 1]], np.float32)).dtype == np.float32  # not a frequency: kept exact
    assert compact_weights(np.array([[70000.0]], np.float32)).dtype == np.float32


@pytest.mark.parametrize("unit", ["year", "month"])
def test_date_facets_count_as_a_sort_of_the_periods_would(unit: str) -> None:
    # Periods are counted with one bincount over their span; odd dates (year 1, 9999,
    # before 1970) must come out as sorting and counting them does.
    from diplosearch.facets import _date_facet

    rng = np.random.default_rng(5)
    days = np.concatenate([rng.integers(17000, 18500, 300), [-719162, -800, -1, 0, 2932896]]).astype(np.int32)
    periods = (np.datetime64("1970-01-01", "D") + days.astype("timedelta64[D]")).astype(
        "datetime64[Y]" if unit == "year" else "datetime64[M]")
    labels = sorted({str(p) for p in periods})
    expected = [(label, sum(str(p) == label for p in periods)) for label in labels]

    class View:
        class columns:  # noqa: N801  (shaped as a SegmentView's columns)
            published_days = days

    class Commit:
        segments = [View()]

    assert _date_facet(Commit(), [np.ones(len(days), bool)], unit) == expected  # type: ignore[arg-type]
