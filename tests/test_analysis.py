"""The analyzer: tokens, normalisation, reduplication, stop words, stemming hook."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diplosearch import analyze, stem
from diplosearch.analysis.analyzer import MAX_TOKEN_CHARS, IndonesianAnalyzer, token_pattern_for
from diplosearch.analysis.normalize import clean_text, normalize_token
from diplosearch.analysis.stemmer import NoStemmer, SnowballStemmer


def plain() -> IndonesianAnalyzer:
    """An analyzer that does not stem, so tests see tokenisation and folding alone."""
    return IndonesianAnalyzer(stemmer=NoStemmer())


def test_acronyms_roman_numerals_and_numbers_are_kept_as_tokens():
    terms = analyze("Resolusi XIII PBB dan ASEAN pada 2023, 1.000 orang", plain())
    assert terms == ["resolusi", "xiii", "pbb", "asean", "2023", "1.000", "orang"]


def test_stop_words_are_dropped_but_content_words_stay():
    terms = analyze("negara yang kuat dan damai di dunia", plain())
    assert terms == ["negara", "kuat", "damai", "dunia"]


def test_whole_reduplication_folds_to_one_word():
    assert analyze("negara-negara", plain()) == ["negara"]
    assert analyze("kunjungan-kunjungan", plain()) == ["kunjungan"]


def test_hyphenated_compounds_and_numbers_split_into_parts():
    assert analyze("sosial-ekonomi ekspor-impor", plain()) == ["sosial", "ekonomi", "ekspor", "impor"]
    assert analyze("konferensi ke-32, masa bakti 2023-2025", plain()) == [
        "konferensi",
        "32",
        "masa",
        "bakti",
        "2023",
        "2025",
    ]


def test_reduplication_folding_can_be_switched_off():
    no_fold = IndonesianAnalyzer(stemmer=NoStemmer(), fold_reduplication=False)
    assert analyze("negara-negara", no_fold) == ["negara", "negara"]


def test_case_curly_quotes_and_compatibility_forms_are_folded():
    assert analyze("“DIPLOMASI” Ｖｉｅｔｎａｍ Jum’at", plain()) == ["diplomasi", "vietnam", "jum'at"]
    assert normalize_token("Ｖｉｅｔｎａｍ") == "vietnam"


def test_clean_text_repairs_scraper_mojibake_and_controls():
    assert clean_text("Kecamatan¬†Timur") == "Kecamatan Timur"
    assert clean_text("â€œdamaiâ€\x9d") == "“damai”"
    assert clean_text("a\x00b\r\nc\u00a0d") == "ab\nc d"


def _cleaned_step_by_step(text: str) -> str:
    import unicodedata

    from diplosearch.analysis import normalize

    text = normalize._MOJIBAKE_RE.sub(lambda m: normalize._MOJIBAKE[m.group()], text)
    text = normalize._SPACE_RE.sub(" ", normalize._JUNK_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    return unicodedata.normalize("NFC", text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F)) | st.text(alphabet="abc \r\n\t\x00\x7f\x9d\u00a0\u2009é\u0301â€œ¬†"))
def test_clean_text_takes_every_step_unless_none_can_change_the_text(text: str) -> None:
    # printable ASCII (a typed query) skips the steps: none of them changes it
    assert clean_text(text) == _cleaned_step_by_step(text)


def test_token_offsets_point_into_the_original_text():
    text = "Menlu  Bui Thanh Son menegaskan: “Kesuksesan kunjungan-kunjungan”"
    for token in IndonesianAnalyzer().tokens(text):
        surface = text[token.start : token.end]
        assert surface.strip() == surface and surface
    spans = [text[t.start : t.end] for t in IndonesianAnalyzer().tokens(text)]
    assert "kunjungan-kunjungan" in spans


def test_overlong_tokens_are_not_indexed():
    assert analyze("a" * 500 + " damai", plain()) == ["damai"]


def test_query_and_document_analysis_agree_on_every_word():
    analyzer = IndonesianAnalyzer()
    sentence = "Negara-negara mengembangkan peranan pelopor diplomasi"
    whole = [t.text for t in analyzer(sentence)]
    one_by_one = [t.text for word in sentence.split() for t in analyzer(word, tokenize=False)]
    assert whole == one_by_one


def test_stemming_applies_the_stemmer_to_every_word():
    snowball = IndonesianAnalyzer(stemmer=SnowballStemmer())
    assert analyze("kunjungan-kunjungan", snowball) == [SnowballStemmer().stem("kunjungan")]
    assert stem("Negara-negara") == stem("negara")


def test_analyzer_pickles_its_configuration_not_its_caches():
    analyzer = IndonesianAnalyzer(stemmer=SnowballStemmer())
    for word in ("kunjungan", "perkembangan", "diplomasi"):
        analyzer.stemmer.stem(word)
    clone = pickle.loads(pickle.dumps(analyzer))
    assert clone == analyzer and clone.version == analyzer.version
    assert analyze("perkembangan baru", clone) == analyze("perkembangan baru", analyzer)
    assert len(pickle.dumps(analyzer)) < 20_000


@pytest.mark.parametrize(
    "other",
    [
        IndonesianAnalyzer(stopwords=frozenset()),
        IndonesianAnalyzer(fold_reduplication=False),
        IndonesianAnalyzer(stemmer=NoStemmer()),
    ],
)
def test_any_change_of_analysis_changes_the_version(other: IndonesianAnalyzer):
    assert other.version != IndonesianAnalyzer().version


def test_fast_token_pattern_splits_exactly_like_the_reference_pattern():
    from diplosearch.analysis.analyzer import TOKEN_PATTERN, token_pattern_for

    samples = [
        "Negara-negara ASEAN, 1.000 orang; Jum’at",
        "Cafe\u0301 di Hanoi",  # a decomposed accent: a combining mark inside a word
        "नमस्ते dunia",  # Devanagari vowel signs are marks
        "emoji 🇮🇩 dan 𝐭𝐞𝐤𝐬 matematis",  # astral characters without marks
        "astral mark a\U0001d167b",
    ]
    for text in samples:
        assert token_pattern_for(text).findall(text) == TOKEN_PATTERN.findall(text), text


def test_every_analysis_path_gives_the_same_terms():
    analyzer = IndonesianAnalyzer()
    text = "Kunjungan-kunjungan para Menlu ke negara-negara ASEAN menegaskan peranan Cafe\u0301 diplomasi."
    expected = [t.term for t in analyzer.tokens(text)]
    for _ in range(2):  # cold, then from the per-token cache
        assert analyzer.terms(text) == expected
        assert [t.text for t in analyzer(text, positions=True)] == expected
        assert [t.text for t in analyzer(text, positions=True, chars=True)] == expected
    positions = [t.pos for t in analyzer(text, positions=True)]
    assert positions == list(range(len(expected)))
    spans = [(t.startchar, t.endchar) for t in analyzer(text, positions=True, chars=True)]
    assert spans == [(t.start, t.end) for t in analyzer.tokens(text)]


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["Negara-negara", "yang", "YANG", "Menegaskan", "kura-kura", "ke-32", "Jum’at",
                             "ＤＩＰＬＯＭＡＳＩ", "Cafe\u0301", "a\ufe63b", "sosial\ufe63ekonomi", "x" * 101, "2,5"]),
            st.text(alphabet="abdegikmnprstuyAKMP-'’\u0301\ufe63Ｖ1", min_size=1, max_size=12),
        ),
        min_size=1,
        max_size=6,
    ).map(" ".join)
)
def test_terms_of_a_token_are_its_words_stemmed_less_stop_words(text: str) -> None:
    # terms_of takes a shortcut for a token of one word; it must agree with the
    # composition words() -> stop words -> stem, which the query parser uses
    analyzer = IndonesianAnalyzer()
    reference = IndonesianAnalyzer()
    for raw in token_pattern_for(text).findall(text):
        expected = () if len(raw) > MAX_TOKEN_CHARS else tuple(
            reference.stemmer.stem(w) for w in reference.words(raw) if w not in reference.stopwords
        )
        assert analyzer.terms_of(raw) == expected
        assert tuple(t.term for t in analyzer.tokens(raw, removestops=False)) == (
            () if len(raw) > MAX_TOKEN_CHARS else tuple(reference.stemmer.stem(w) for w in reference.words(raw))
        )


def test_the_blocks_skipped_by_the_cheap_mark_test_hold_no_mark():
    import unicodedata

    from diplosearch.analysis import analyzer as module

    assert module._MARKLESS_BLOCKS  # Latin and general punctuation, as of Unicode 14
    for first, last in module._MARKLESS_BLOCKS:
        assert not any(unicodedata.category(chr(code))[0] == "M" for code in range(first, last + 1))
    assert module._free_of_marks([(0, 99)], [(10, 19), (30, 30), (95, 120)]) == [(0, 9), (20, 29), (31, 94)]


def test_token_pattern_for_finds_every_mark_near_every_block_edge():
    import unicodedata

    from diplosearch.analysis import analyzer as module

    edges = {code + d for first, last in module._MARK_RANGES + module._MARKLESS_BLOCKS
             for code in (first, last) for d in (-1, 0, 1)}
    for code in sorted(c for c in edges if 0 <= c < 0x110000 and not 0xD800 <= c <= 0xDFFF):
        text = f"“kata{chr(code)}lain” — café"
        is_mark = unicodedata.category(chr(code))[0] == "M"
        assert (module.token_pattern_for(text) is module.TOKEN_PATTERN) == is_mark, hex(code)
        assert module.token_pattern_for(text).findall(text) == module.TOKEN_PATTERN.findall(text), hex(code)


def test_news_punctuation_needs_no_mark_classes():
    from diplosearch.analysis import analyzer as module

    module._mark_tests.cache_clear()
    module._mark_aware_patterns.cache_clear()
    text = "“Kesuksesan” kunjungan — 1.000 orang… café, 25° • Jum’at"
    assert module.token_pattern_for(text) is module._UNMARKED_TOKEN_PATTERN
    assert module._mark_tests.cache_info().currsize == 0
    assert module._mark_aware_patterns.cache_info().currsize == 0
