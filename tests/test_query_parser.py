"""The query parser: each syntax form's tree, filters and dates, limits, leniency, an
oracle against 1.0's Whoosh parser, and property tests on arbitrary text."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplosearch.analysis.analyzer import IndonesianAnalyzer
from diplosearch.errors import QueryError
from diplosearch.schema import TEXT_FIELDS, build_schema
from diplosearch.store.home import bundled_corpus_files
from diplosearch.query import (
    AllOf,
    AndMaybe,
    AnyOf,
    DateRange,
    Exclude,
    Filter,
    Fuzzy,
    MatchAll,
    MatchNothing,
    Phrase,
    Term,
)
from diplosearch.query_parser import MAX_GROUP_DEPTH, MAX_QUERY_CHARS, ParsedQuery, parse_query
from legacy_search import parse_query as parse_query_1_0
from legacy_search import TEXT_FIELDS as LEGACY_FIELDS
from legacy_search import positive_terms

from query_oracle import QueryGenerator, canon_terms, corpus_words, tree_canon, whoosh_canon

ANALYZER = IndonesianAnalyzer()
ALL = TEXT_FIELDS
FILTER_FIELDS = ("source", "category", "sub_category")


def parse(text: str, **options: object) -> ParsedQuery:
    return parse_query(text, ANALYZER, text_fields=TEXT_FIELDS, **options)  # type: ignore[arg-type]


def root(text: str, **options: object):  # type: ignore[no-untyped-def]
    return parse(text, **options).root


def t(text: str, fields: tuple[str, ...] = ALL, boost: float = 1.0) -> Term:
    return Term(text, fields, boost)


# ---------------------------------------------------------------------------------
# Each form's tree


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("peranan", t("peran")),
        ("peranan pelopor", AnyOf((t("peran"), t("pelopor")))),
        ("peranan OR pelopor", AnyOf((t("peran"), t("pelopor")))),
        ("candy candy", t("candy")),
        ("a (a b)", AnyOf((t("a"), t("b")))),
        ("negara-negara", t("negara")),
        ("sosial-ekonomi", AnyOf((t("sosial"), t("ekonomi")))),
        ("Covid-19", AnyOf((t("covid"), t("19")))),
        ("Jum'at", t("jum'at")),
        ('"peranan pelopor"', Phrase(("peran", "pelopor"), ALL)),
        ('"yang peranan dan pelopor"', Phrase(("peran", "pelopor"), ALL)),
        ('"sosial-ekonomi Indonesia"', Phrase(("sosial", "ekonomi", "indonesia"), ALL)),
        ('"peranan"', t("peran")),
        ("\u201cperanan pelopor\u201d", Phrase(("peran", "pelopor"), ALL)),
        ("title:pelopor", t("pelopor", ("title",))),
        ("Title:pelopor", t("pelopor", ("title",))),
        ('title:"peranan pelopor"', Phrase(("peran", "pelopor"), ("title",))),
        ("quotes:(kerja sama)", AnyOf((t("kerja", ("quotes",)), t("sama", ("quotes",))))),
        ("title:(body:a b)", AnyOf((t("a", ("body",)), t("b", ("title",))))),
        ("diplomasi -ekonomi", Exclude(t("diplomasi"), t("ekonomi"))),
        ("diplomasi NOT ekonomi", Exclude(t("diplomasi"), t("ekonomi"))),
        ("a NOT b c", Exclude(AnyOf((t("a"), t("c"))), t("b"))),
        ("a -b -c", Exclude(t("a"), AnyOf((t("b"), t("c"))))),
        ("a -(b c)", Exclude(t("a"), AnyOf((t("b"), t("c"))))),
        ('a -"b c"', Exclude(t("a"), Phrase(("b", "c"), ALL))),
        ("a -title:b", Exclude(t("a"), t("b", ("title",)))),
        ("a AND NOT b", Exclude(t("a"), t("b"))),
        ("a AND -b OR c", AnyOf((Exclude(t("a"), t("b")), t("c")))),
        ("NOT a AND NOT b c", Exclude(t("c"), AnyOf((t("a"), t("b"))))),
        ("diplomasi AND ekonomi", AllOf((t("diplomasi"), t("ekonomi")))),
        ("a OR b AND c", AnyOf((t("a"), AllOf((t("b"), t("c")))))),
        ("a b AND c", AnyOf((t("a"), AllOf((t("b"), t("c")))))),
        ("(a OR b) c", AnyOf((t("a"), t("b"), t("c")))),
        ("(a OR b) AND c", AllOf((AnyOf((t("a"), t("b"))), t("c")))),
        ("NOT a OR b", Exclude(t("b"), t("a"))),
        ("+a b", AndMaybe(t("a"), t("b"))),
        ("+a +b c -d", Exclude(AndMaybe(AllOf((t("a"), t("b"))), t("c")), t("d"))),
        ("+a AND b", AllOf((t("a"), t("b")))),
        ("pelopor^3", t("pelopor", boost=3.0)),
        ("pelopor^0.5", t("pelopor", boost=0.5)),
        ("pelopor^0", t("pelopor", boost=0.0)),
        ("pelopor^1e6", t("pelopor", boost=1e6)),
        ("title:pelopor^2", t("pelopor", ("title",), 2.0)),
        ('"peranan pelopor"^2', Phrase(("peran", "pelopor"), ALL, 2.0)),
        ("(a b)^2", AnyOf((t("a"), t("b")), 2.0)),
        ("(a)^2", t("a", boost=2.0)),
        ("a^3 OR b", AnyOf((t("a", boost=3.0), t("b")))),
        ("sosial-ekonomi^2", AnyOf((t("sosial"), t("ekonomi")), 2.0)),
        ("a^b", AnyOf((t("a"), t("b")))),
        ("kata~", Fuzzy("kata", ALL, 1)),
        ("diplomasih~", Fuzzy("diplomasih", ALL, 2)),
        ("kata~2", Fuzzy("kata", ALL, 2)),
        ("kata~7", Fuzzy("kata", ALL, 2)),
        ("kata~0", t("kata")),
        ("title:kata~^2", Fuzzy("kata", ("title",), 1, 2.0)),
        ("sosial-ekonomi~", AnyOf((Fuzzy("sosial", ALL, 1), Fuzzy("ekonomi", ALL, 1)))),
        ("pemerintahan~", Fuzzy("perintah", ALL, 2)),
        ("http://x.com", AnyOf((t("http"), t("x"), t("com")))),
        ("10:30", AnyOf((t("10"), t("30")))),
        ("Wiranto:Provokasi", AnyOf((t("wiranto"), t("provokasi")))),
        ("Jakarta: banjir", AnyOf((t("jakarta"), t("banjir")))),
        ("x*", t("x")),
    ],
)
def test_each_form_gives_its_tree(text: str, expected: object) -> None:
    assert root(text) == expected


def test_default_fields_are_used_for_words_without_a_prefix() -> None:
    assert root("a title:b", default_fields=["body"]) == AnyOf((t("a", ("body",)), t("b", ("title",))))
    with pytest.raises(QueryError, match="unknown field 'source'"):
        parse("a", default_fields=["source"])


# ---------------------------------------------------------------------------------
# Filters and dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("source:tempo.co banjir", AllOf((t("banjir"), Filter("source", ("tempo.co",))))),
        ("banjir source:Tempo.co", AllOf((t("banjir"), Filter("source", ("tempo.co",))))),
        ("banjir OR source:tempo.co", AllOf((t("banjir"), Filter("source", ("tempo.co",))))),
        ('category:"Ekonomi Bisnis"', AllOf((MatchAll(), Filter("category", ("ekonomi bisnis",))))),
        (
            "source:(kompas.com tempo.co) source:detik.com",
            AllOf((MatchAll(), Filter("source", ("kompas.com", "tempo.co", "detik.com")))),
        ),
        (
            "source:x category:y sub_category:z a",
            AllOf((t("a"), Filter("source", ("x",)), Filter("category", ("y",)), Filter("sub_category", ("z",)))),
        ),
        ("banjir -source:x", Exclude(t("banjir"), Filter("source", ("x",)))),
        ("source:x -banjir", Exclude(AllOf((MatchAll(), Filter("source", ("x",)))), t("banjir"))),
        (
            "(source:x a) OR (source:y b)",
            AnyOf((AllOf((t("a"), Filter("source", ("x",)))), AllOf((t("b"), Filter("source", ("y",)))))),
        ),
        ("source:x yang", AllOf((MatchAll(), Filter("source", ("x",))))),
        ("Source:x^2", AllOf((MatchAll(), Filter("source", ("x",))))),
        ("source:(a OR b a)", AllOf((MatchAll(), Filter("source", ("a", "b"))))),
        ("date:2019", AllOf((MatchAll(), DateRange(dt.date(2019, 1, 1), dt.date(2019, 12, 31))))),
        ("date:2019-09", AllOf((MatchAll(), DateRange(dt.date(2019, 9, 1), dt.date(2019, 9, 30))))),
        ("date:2020-02", AllOf((MatchAll(), DateRange(dt.date(2020, 2, 1), dt.date(2020, 2, 29))))),
        ("date:2019-12", AllOf((MatchAll(), DateRange(dt.date(2019, 12, 1), dt.date(2019, 12, 31))))),
        ("date:2019-09-16", AllOf((MatchAll(), DateRange(dt.date(2019, 9, 16), dt.date(2019, 9, 16))))),
        (
            "date:2019-09-01..2019-09-30",
            AllOf((MatchAll(), DateRange(dt.date(2019, 9, 1), dt.date(2019, 9, 30)))),
        ),
        ("date:2019-09..", AllOf((MatchAll(), DateRange(dt.date(2019, 9, 1), None)))),
        ("date:..2019", AllOf((MatchAll(), DateRange(None, dt.date(2019, 12, 31))))),
        ("date:>=2019-09-15", AllOf((MatchAll(), DateRange(dt.date(2019, 9, 15), None)))),
        ("date:>2019-09", AllOf((MatchAll(), DateRange(dt.date(2019, 10, 1), None)))),
        ("date:<2019-10-01", AllOf((MatchAll(), DateRange(None, dt.date(2019, 9, 30))))),
        ("date:<=2019-09", AllOf((MatchAll(), DateRange(None, dt.date(2019, 9, 30))))),
        (
            "date:>=2019-09-15 date:<2019-10-01 banjir",
            AllOf((t("banjir"), DateRange(dt.date(2019, 9, 15), dt.date(2019, 9, 30)))),
        ),
        (
            "date:(2019 2021)",
            AllOf(
                (
                    MatchAll(),
                    AnyOf(
                        (
                            DateRange(dt.date(2019, 1, 1), dt.date(2019, 12, 31)),
                            DateRange(dt.date(2021, 1, 1), dt.date(2021, 12, 31)),
                        )
                    ),
                )
            ),
        ),
        ("date:>=2020 date:<2019", MatchNothing()),
    ],
)
def test_filters_restrict_their_group(text: str, expected: object) -> None:
    parsed = parse(text)
    assert parsed.root == expected
    assert parsed.has_filters is not isinstance(expected, MatchNothing)


def test_filter_values_are_never_terms() -> None:
    parsed = parse("source:banjir category:(longsor) gempa")
    assert parsed.terms == {"gempa"}
    assert [word for word, _terms in parsed.words] == ["gempa"]


@pytest.mark.parametrize(
    "text",
    ["date:2019-13", "date:2019-02-30", "date:19", "date:kemarin", "date:..", "date:>=", "date:>9999-12-31"],
)
def test_a_bad_date_says_the_accepted_forms(text: str) -> None:
    with pytest.raises(QueryError) as error:
        parse(text)
    assert "\n" not in str(error.value)
    if text != "date:>9999-12-31":
        assert "date:YYYY-MM-DD" in str(error.value)


def test_field_names_come_from_the_arguments() -> None:
    parsed = parse_query(
        "judul:a penerbit:x tanggal:2019", ANALYZER, text_fields=["judul"], filter_fields=["penerbit"],
        date_field="tanggal",
    )
    assert parsed.root == AllOf(
        (t("a", ("judul",)), Filter("penerbit", ("x",)), DateRange(dt.date(2019, 1, 1), dt.date(2019, 12, 31)))
    )
    with pytest.raises(QueryError, match="unknown field 'title'"):
        parse_query("title:a", ANALYZER, text_fields=["judul"])


@pytest.mark.parametrize("text", ["foo:bar", "published:2019-09-16 banjir", "a (x_1:y)", "-foo:bar"])
def test_an_unknown_field_names_the_fields(text: str) -> None:
    with pytest.raises(QueryError) as error:
        parse(text)
    message = str(error.value)
    for name in (*TEXT_FIELDS, *FILTER_FIELDS, "date"):
        assert name in message


@pytest.mark.parametrize("text, same_as", [
    ("title:-banjir hujan", "-title:banjir hujan"),
    ("title:!banjir hujan", "-title:banjir hujan"),
    ("title:+banjir hujan", "+title:banjir hujan"),
    ('title:-"banjir besar" hujan', '-title:"banjir besar" hujan'),
    ("title:-(banjir besar) hujan", "-title:(banjir besar) hujan"),
    ("source:-tempo.co hujan", "-source:tempo.co hujan"),
])
def test_a_sign_after_a_field_prefix_applies_to_the_restricted_word(text: str, same_as: str) -> None:
    assert root(text) == root(same_as)


@pytest.mark.parametrize(
    "text", ["source:title:banjir", "category:body:(a b)", "date:title:2019", "x sub_category:lead:y"])
def test_a_field_prefix_after_a_filter_is_refused_not_dropped(text: str) -> None:
    with pytest.raises(QueryError, match=r"takes a value, not another field"):
        parse(text)
    # a value holding a colon is still a value, in quotes or in a filter's parentheses
    assert root('source:"title:banjir"') == root("source:(title:banjir)") == AllOf(
        (MatchAll(), Filter("source", ("title:banjir",))))


@pytest.mark.parametrize("text", [
    "title:source:kompas.com", "title:date:2019", "body:category:x", "lead:sub_category:y",
    "banjir -quotes:source:x", "title:source:(a b)", 'captions:date:"2019"', "TITLE:Source:x"])
def test_a_filter_prefix_after_a_field_prefix_is_refused_not_dropped(text: str) -> None:
    with pytest.raises(QueryError, match=r"cannot restrict the filter .*; write \w+:VALUE \w+:WORD") as refused:
        parse(text)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("text", [
    "title:body:banjir", 'lead:quotes:"kota laut"', "Title:BODY:banjir", "captions:title:(kota laut)",
    "-title:body:banjir", "kota quotes:lead:laut",
])
def test_a_field_prefix_after_another_is_refused_not_dropped(text: str) -> None:
    with pytest.raises(QueryError, match=r"two field prefixes in a row.*\(\w+:WORD OR \w+:WORD\)") as refused:
        parse(text)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(("text", "same_as"), [
    # a filter inside a field's parentheses restricts that group, the field its words
    ("title:(source:kompas.com banjir)", "source:kompas.com title:banjir"),
    # so does a field prefix inside them; the same prefix twice loses nothing
    ("title:(body:banjir hujan)", "body:banjir title:hujan"),
    ("title:title:banjir", "title:banjir"),
    # a colon that names no filter, or starts no value, stays text in the field
    ("title:source: banjir", "title:source banjir"),
    ("title:source://x", "title:(source x)"),
    ("title:http://x", "title:(http x)"),
    ("title:10:30", "title:(10 30)"),
    ("title:Wiranto:Saya", "title:wiranto"),
    ('title:"source:kompas.com"', 'title:"source kompas.com"'),
    ("jam 10:30", "jam 10 30"),
])
def test_colons_that_drop_no_prefix_keep_their_meaning(text: str, same_as: str) -> None:
    assert root(text) == root(same_as)


# ---------------------------------------------------------------------------------
# What the parser reports


def test_terms_are_the_positive_index_terms_only() -> None:
    parsed = parse('"peranan pelopor" -ekonomi NOT (b c) +diplomasi source:kompas.com kata~')
    assert parsed.terms == {"peran", "pelopor", "diplomasi", "kata"}


def test_words_ignored_and_empty_queries() -> None:
    parsed = parse('yang peranan "dan pelopor" -di')
    assert parsed.words == (
        ("yang", ()),
        ("peranan", ("peran",)),
        ("dan", ()),
        ("pelopor", ("pelopor",)),
        ("di", ()),
    )
    assert parsed.ignored == ("yang", "dan", "di")
    for text in ("", "   ", "yang dan di", "()", "-", "title:(", '""', "AND OR NOT", "-banjir", "NOT banjir"):
        parsed = parse(text)
        assert parsed.root == MatchNothing(), text
        assert not parsed.terms and not parsed.has_filters
    assert parse("yang dan di").ignored == ("yang", "dan", "di")


def test_the_text_is_cleaned_first() -> None:
    # A no-break space seen as mojibake, and a control character inside a word.
    assert root("peranan\u00c2\u00a0pelopor") == root("peranan pelopor")
    assert root("pel\x00opor") == t("pelopor")


# ---------------------------------------------------------------------------------
# Leniency


@pytest.mark.parametrize(
    ("text", "same_as"),
    [
        ("NOT NOT peranan", "peranan"),
        ("NOT NOT NOT a b", "-a b"),
        ("- -a b", "-a b"),
        ("a AND", "a"),
        ("AND a", "a"),
        ("a OR", "a"),
        ("a AND OR b", "a b"),
        ("a NOT", "a"),
        ("a () b", "a b"),
        ("a - b", "a b"),
        ("a + b", "a b"),
        ("a^ b", "a b"),
        ('"peranan pelopor', '"peranan pelopor"'),
        ("(a b", "(a b)"),
        ("a b)", "a b"),
        (")a(", "a"),
        ("title:(a b", "title:(a b)"),
        ("a (-b)", "a -b"),
        ("a -(-b)", "a b"),
        ("a (yang)", "a"),
        ("a AND yang", "a"),
        ("(a)^", "a"),
        ('"a b"~3', '"a b"'),
        ("a ^2", "a"),
    ],
)
def test_malformed_syntax_is_read_leniently(text: str, same_as: str) -> None:
    assert root(text) == root(same_as)


def test_deep_parentheses_are_bounded() -> None:
    deep = "(" * 900 + "peranan" + ")" * 900 + " pelopor"
    assert root(deep) == AnyOf((t("peran"), t("pelopor")))
    inside = "(" * (MAX_GROUP_DEPTH + 5) + "a" + ")" * (MAX_GROUP_DEPTH + 5)
    assert root(inside) in (t("a"), MatchNothing())
    assert root("NOT " * 400 + "a") == t("a")


@pytest.mark.parametrize("boost", ["inf", "nan", "1e308", "1e320", "-1", "1000001", "Infinity"])
def test_a_boost_out_of_range_is_a_query_error(boost: str) -> None:
    for text in (f"word^{boost}", f'"a b"^{boost}', f"(a b)^{boost}"):
        with pytest.raises(QueryError, match="boost"):
            parse(text)


# ---------------------------------------------------------------------------------
# Limits


def test_a_query_over_the_length_limit_is_refused() -> None:
    parse("a" * MAX_QUERY_CHARS)
    with pytest.raises(QueryError, match="2,000"):
        parse("a" * (MAX_QUERY_CHARS + 1))
    with pytest.raises(QueryError):
        parse(None)  # type: ignore[arg-type]


def test_terms_beyond_the_budget_are_dropped_first_typed_kept() -> None:
    words = [f"kata{i}" for i in range(10)]
    parsed = parse(" ".join(words), max_terms=4)
    assert parsed.terms == {"kata0", "kata1", "kata2", "kata3"}
    assert parsed.dropped == tuple(words[4:])
    assert parsed.root == AnyOf(tuple(t(w) for w in words[:4]))
    # A repeated term costs nothing new; a phrase that does not fit goes whole, and
    # once the budget is full no later leaf brings a new term, even a small one.
    parsed = parse('a b a "c d e" f', max_terms=3)
    assert parsed.root == AnyOf((t("a"), t("b")))
    assert parsed.dropped == ("c", "d", "e", "f")
    # Excluded terms cost a posting list too.
    parsed = parse("a -b c", max_terms=2)
    assert parsed.root == Exclude(t("a"), t("b")) and parsed.dropped == ("c",)


def test_the_budget_bounds_the_longest_query() -> None:
    text = " ".join(f"w{i}" for i in range(700))[:MAX_QUERY_CHARS]
    parsed = parse(text)
    assert len(parsed.terms) == 64
    assert len(parsed.dropped) == len(text.split()) - 64


# ---------------------------------------------------------------------------------
# Oracle: 1.0's Whoosh parser, where it read the syntax as README says


@pytest.fixture(scope="module")
def generator_words() -> tuple[list[str], list[str]]:
    words = corpus_words(bundled_corpus_files())
    return words, [word for word in words if ANALYZER.terms(word)]


@pytest.mark.parametrize("seed", range(3))
def test_same_meaning_as_1_0_on_generated_queries(seed: int, generator_words, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import diplosearch.query_parser as query_parser

    # 1.0 had no limit on a query's phrases (a documented difference): not compared here
    monkeypatch.setattr(query_parser, "MAX_QUERY_PHRASES", 64)
    words, content_words = generator_words
    schema = build_schema(ANALYZER)
    # Field weights 1 make 1.0's Whoosh boosts the query's own boosts (field weights
    # are not in the new tree: they belong to the search call).
    unit_weights = {field: 1.0 for field in LEGACY_FIELDS}
    generator = QueryGenerator(words, content_words, seed)
    for _ in range(150):
        text = generator.query()
        old = parse_query_1_0(text, schema, boosts=unit_weights)
        new = parse(text, default_fields=LEGACY_FIELDS)  # 1.0 had no lead field
        assert tree_canon(new.root) == whoosh_canon(old), text
        assert new.terms == positive_terms(old), text
        assert canon_terms(tree_canon(new.root)) == canon_terms(whoosh_canon(old)), text


def test_the_canonical_form_tells_meanings_apart() -> None:
    # Guards the oracle: equal canonical forms must mean equal queries.
    a, b, c = t("a"), t("b"), t("c")
    assert tree_canon(Exclude(AnyOf((a, c)), b)) != tree_canon(AnyOf((a, Exclude(c, b))))
    assert tree_canon(AndMaybe(a, Exclude(b, c))) != tree_canon(Exclude(AndMaybe(a, b), c))
    assert tree_canon(AnyOf((a, b), 2.0)) == tree_canon(AnyOf((t("a", boost=2.0), t("b", boost=2.0))))
    assert tree_canon(AnyOf((a, b))) != tree_canon(AllOf((a, b)))
    assert tree_canon(t("a", ("title",))) != tree_canon(a)


def test_terms_match_1_0_on_plain_word_queries(generator_words) -> None:  # type: ignore[no-untyped-def]
    words, _content = generator_words
    schema = build_schema(ANALYZER)
    for start in range(0, len(words), 7):
        text = " ".join(words[start : start + 7])
        assert parse(text).terms == positive_terms(parse_query_1_0(text, schema)), text


# ---------------------------------------------------------------------------------
# Properties on arbitrary text


# Words as typed: corpus words, stop words, hyphenated words (one or two terms or
# none), a word twice, punctuation that yields no term, and a fields word.
_PLAIN_WORDS = st.sampled_from(corpus_words(bundled_corpus_files())) | st.sampled_from(
    ["yang", "dan", "negara-negara", "sosial-ekonomi", "Covid-19", "yang-yang", "...", "—", "2019", "kota", "KOTA",
     "menteri-menteri", "a.s.", "title"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PLAIN_WORDS, max_size=30).map(" ".join), st.sampled_from([64, 1, 2, 5]),
       st.sampled_from([None, ("title",), ("body", "title")]))
def test_plain_words_read_as_the_full_grammar_reads_them(text: str, max_terms: int, fields) -> None:  # type: ignore[no-untyped-def]
    # Word-only queries skip the lexer and the grammar; parentheses send the same words
    # through both, the term budget and the default fields included.
    fast = parse(text, max_terms=max_terms, default_fields=fields)
    full = parse(f"({text})", max_terms=max_terms, default_fields=fields)
    assert (fast.root, fast.terms, fast.words, fast.ignored, fast.dropped, fast.has_filters) == (
        full.root, full.terms, full.words, full.ignored, full.dropped, full.has_filters,
    )

_SYNTAX = st.sampled_from(
    ['"', "(", ")", "-", "+", "^", "~", ":", " ", "AND ", "OR ", "NOT ", "title:", "source:", "date:",
     "date:>=", "..", "2019", "-09", "^2", "^1e999", "~2", "\u201c", "\\", "*", "yang ", "kata", "x"]
)


def _check_tree(node, depth: int = 0) -> None:  # type: ignore[no-untyped-def]
    assert depth < 4 * MAX_GROUP_DEPTH + 10
    assert math.isfinite(node.boost) and node.boost >= 0
    if isinstance(node, (Term, Phrase, Fuzzy)):
        assert node.fields and set(node.fields) <= set(TEXT_FIELDS)
    if isinstance(node, Phrase):
        assert len(node.texts) >= 2
    if isinstance(node, Fuzzy):
        assert 1 <= node.max_edits <= 2
    if isinstance(node, Filter):
        assert node.field in FILTER_FIELDS and node.values
    for child in getattr(node, "children", ()):
        _check_tree(child, depth + 1)
    for name in ("positive", "negative", "required", "optional"):
        if hasattr(node, name):
            _check_tree(getattr(node, name), depth + 1)


def _parse_or_query_error(text: str) -> None:
    try:
        parsed = parse(text)
    except QueryError as error:
        assert "\n" not in str(error)
        return
    _check_tree(parsed.root)
    assert len(parsed.terms) <= 64
    assert not parsed.terms & set(parsed.dropped)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=MAX_QUERY_CHARS))
def test_any_text_parses_or_raises_query_error(text: str) -> None:
    _parse_or_query_error(text)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_SYNTAX, max_size=120).map("".join))
def test_any_mix_of_syntax_parses_or_raises_query_error(text: str) -> None:
    _parse_or_query_error(text)
