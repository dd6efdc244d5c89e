"""Snippets: substrings of the stored text, every matching form marked, whole words."""

from __future__ import annotations

import re

import pytest

import diplosearch

from diplosearch import Document
from diplosearch.analysis.analyzer import IndonesianAnalyzer, TOKEN_PATTERN
from diplosearch.highlight import make_snippets

ANALYZER = IndonesianAnalyzer()


def terms_of(query: str) -> set[str]:
    return {t.term for t in ANALYZER.tokens(query)}


def unmark(snippet: str, markers=("[[", "]]")) -> str:
    return snippet.replace(markers[0], "").replace(markers[1], "")


LONG_BODY = (
    "Pada latar belakang dunia yang berubah, konferensi itu merekomendasikan berbagai tugas. "
    * 5
    + "Vietnam terus menegaskan peranan pelopor dari diplomasi yang mengabdi perkembangan tanah air. "
    + "Kerja sama ekonomi juga dibahas panjang lebar oleh para delegasi. " * 5
)


def test_snippets_are_substrings_of_the_stored_text_with_only_markers_added():
    doc = Document(id="a", title="T", body=LONG_BODY)
    snippets = make_snippets(doc, terms_of("peranan pelopor"), ANALYZER)
    assert snippets
    for snippet in snippets:
        assert unmark(snippet) in doc.body
        assert "[[peranan]]" in snippet and "[[pelopor]]" in snippet


def test_snippets_start_and_end_on_word_boundaries():
    doc = Document(id="a", title="T", body=LONG_BODY)
    for max_chars in (40, 80, 150):
        for snippet in make_snippets(doc, terms_of("pelopor ekonomi"), ANALYZER, max_chars=max_chars):
            plain = unmark(snippet)
            start = doc.body.index(plain)
            end = start + len(plain)
            assert start == 0 or not doc.body[start - 1].isalnum()
            assert end == len(doc.body) or not doc.body[end].isalnum()


def test_every_form_with_a_matching_stem_is_highlighted():
    doc = Document(id="a", title="T", body="Kunjungan-kunjungan itu penting. Negara-negara hadir dalam kunjungan ini.")
    snippet = " ".join(make_snippets(doc, terms_of("kunjungan negara"), ANALYZER, count=1, max_chars=300))
    marked = re.findall(r"\[\[(.*?)\]\]", snippet)
    assert marked == ["Kunjungan-kunjungan", "Negara-negara", "kunjungan"]


def test_custom_markers_wrap_matches():
    doc = Document(id="a", title="T", body="Diplomasi bambu dari Vietnam.")
    assert make_snippets(doc, terms_of("bambu"), ANALYZER, markers=("<b>", "</b>")) == [
        "Diplomasi <b>bambu</b> dari Vietnam."
    ]


def test_two_snippets_come_from_separate_passages():
    doc = Document(id="a", title="T", body=LONG_BODY)
    first, second = make_snippets(doc, terms_of("pelopor ekonomi"), ANALYZER, count=2, max_chars=60)
    start_first = doc.body.index(unmark(first))
    start_second = doc.body.index(unmark(second))
    assert start_first + len(unmark(first)) <= start_second


def test_match_only_in_title_gives_a_title_snippet_and_no_match_gives_the_lead():
    doc = Document(id="a", title="Diplomasi Bambu", body="Isi artikel tanpa kata itu. " * 20)
    assert make_snippets(doc, terms_of("bambu"), ANALYZER) == ["Diplomasi [[Bambu]]"]
    lead = make_snippets(doc, terms_of("kopi"), ANALYZER, max_chars=60)
    assert len(lead) == 1 and doc.body.startswith(lead[0]) and len(lead[0]) <= 60
    assert TOKEN_PATTERN.fullmatch(lead[0].split()[-1].rstrip("."))


def test_words_searched_in_one_field_are_marked_only_there():
    doc = Document(id="a", title="Banjir di Jakarta", body="Hujan turun. Banjir merendam rumah warga.")
    assert make_snippets(doc, set(), ANALYZER, only_in={"title": (terms_of("banjir"), ())}) == [
        "[[Banjir]] di Jakarta"]
    # a word searched everywhere still comes from the body first, the title's word unmarked there
    assert make_snippets(doc, terms_of("hujan"), ANALYZER, only_in={"title": (terms_of("banjir"), ())}) == [
        "[[Hujan]] turun. Banjir merendam rumah warga."]
    # a phrase searched in the title alone: marked in the title, though the body holds it too
    doc = Document(id="b", title="Banjir Jakarta", body="Kabar banjir Jakarta surut.")
    assert make_snippets(doc, set(), ANALYZER, only_in={"title": ((), [("banjir", "jakarta")])}) == [
        "[[Banjir]] [[Jakarta]]"]


def test_words_searched_in_the_lead_are_marked_only_in_the_bodys_lead():
    body = "Banjir besar melanda kota.\n\nHujan turun lagi. Lalu air surut dan banjir usai."
    doc = Document(id="a", title="Laporan", body=body)
    (snippet,) = make_snippets(doc, set(), ANALYZER, max_chars=300, only_in={"lead": (terms_of("banjir"), ())})
    assert snippet.count("[[") == 1 and snippet.startswith("[[Banjir]] besar")
    # searched in the lead and the body: marked all through the body
    (snippet,) = make_snippets(doc, set(), ANALYZER, max_chars=300,
                               only_in={"lead": (terms_of("banjir"), ()), "body": (terms_of("banjir"), ())})
    assert snippet.count("[[") == 2
    # a lead word past the lead is not marked, and the snippet falls back to the lead
    doc = Document(id="b", title="Laporan", body="Hujan turun. Air naik. Lalu banjir usai.")
    assert make_snippets(doc, set(), ANALYZER, only_in={"lead": (terms_of("banjir"), ())}) == [
        "Hujan turun. Air naik. Lalu banjir usai."]


def test_html_snippets_escape_the_text_and_mark_matches(tmp_path):
    ix = diplosearch.open_index(tmp_path / "ix", create=True)
    ix.add(Document(id="x", title="Serangan", body='Awas <script>alert(1)</script> & "diplomasi" di sini.'))
    (hit,) = ix.search("diplomasi", snippet_format="html").hits
    assert hit.snippets == ["Awas &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;<mark>diplomasi</mark>&quot; di sini."]
    # A hit with no match in the snippet fields gets its lead, escaped too.
    (lead,) = make_snippets(ix.get("x"), {"tidakada"}, ANALYZER, snippet_format="html")
    assert lead.startswith("Awas &lt;script&gt;") and "<script>" not in lead
    # Plain text keeps the caller's markers and the text as stored.
    (hit,) = ix.search("diplomasi", markers=("<b>", "</b>")).hits
    assert "<script>alert(1)</script>" in hit.snippets[0] and '"<b>diplomasi</b>"' in hit.snippets[0]
    with pytest.raises(diplosearch.QueryError, match="snippet_format"):
        ix.search("tidak-ada-kata-ini", snippet_format="markdown")
    ix.close()


# ----------------------------------------------------------------------------- the fast path


def _reference_expand(text, words, start, end, max_chars):
    """Widening a passage as the first snippet builder did it: over every word of the text."""
    room = max(0, max_chars - (end - start))
    before, after = room // 3, room - room // 3
    new_start = next((min(s, start) for s, _e in words if s >= start - before), start)
    if start - before <= 0:
        new_start = 0
    new_end = next((max(e, end) for _s, e in reversed(words) if e <= end + after), end)
    if end + after >= len(text):
        new_end = len(text)
    line_start = text.rfind("\n", new_start, start)
    if line_start != -1:
        new_start = line_start + 1
    line_end = text.find("\n", end, new_end)
    if line_end != -1:
        new_end = line_end
    return new_start, new_end


def _reference_windows(matches, max_chars, count):
    """Choosing passages as the first snippet builder did: every window from scratch."""
    candidates = []
    for first in range(len(matches)):
        end = first
        while end + 1 < len(matches) and matches[end + 1].end - matches[first].start <= max_chars:
            end += 1
        window = matches[first : end + 1]
        candidates.append((len({t.term for t in window}), len(window), -matches[first].start, first, end))
    candidates.sort(reverse=True)
    chosen = []
    for *_ignored, first, end in candidates:
        start_char, end_char = matches[first].start, matches[end].end
        if all(end_char <= s or start_char >= e for s, e in chosen):
            chosen.append((start_char, end_char))
        if len(chosen) == count:
            break
    return sorted(chosen)


def reference_snippets(document, terms, analyzer, count=2, max_chars=200, markers=("[[", "]]"), snippet_format="text"):
    """make_snippets the slow, straightforward way: analyse every token of every field
    and list every word, then choose, widen and mark passages as make_snippets does."""
    from diplosearch.analysis.analyzer import token_pattern_for
    from diplosearch.highlight import HTML_MARKERS, _dedupe, _escape_html, _mark
    from diplosearch.schema import MAX_INDEXED_CHARS

    escape = _escape_html if snippet_format == "html" else (lambda text: text)
    markers = HTML_MARKERS if snippet_format == "html" else markers
    texts = {
        "body": document.body,
        "quotes": "\n".join(q.text for q in document.quotes),
        "captions": "\n".join(document.captions),
        "title": document.title,
    }
    texts = {name: text[:MAX_INDEXED_CHARS] for name, text in texts.items()}
    for name in ("body", "quotes", "captions", "title"):
        text = texts[name]
        matches = [t for t in analyzer.tokens(text) if t.term in terms]
        if not matches:
            continue
        words = [m.span() for m in token_pattern_for(text).finditer(text)]
        snippets = []
        for start, end in _reference_windows(matches, max_chars, count):
            lo, hi = _reference_expand(text, words, start, end, max_chars)
            spans = [(t.start, t.end) for t in matches if lo <= t.start and t.end <= hi]
            snippets.append(_mark(text, lo, hi, _dedupe(spans), markers, escape))
        return [s for s in snippets if s]
    lead = texts["body"] or texts["title"]
    if not lead:
        return []
    words = [m.span() for m in token_pattern_for(lead).finditer(lead)]
    _lo, hi = _reference_expand(lead, words, 0, 0, max_chars)
    passage = _mark(lead, 0, hi, [], markers, escape)
    return [passage] if passage else []


# Text the fast path could get wrong: no blanks for long stretches, non-ASCII and
# combining marks inside words, NFKC forms, hyphens, apostrophes, numbers, line breaks.
AWKWARD_TEXTS = [
    "Ｐresiden (Jokowi)/menteri--perdagangan,diplomasi;PERAN-peranan 1.000,5 kali\nlalu\n\nKunjungan-kunjungan",
    "Cafe\u0301 di Jum\u2019at: pe\u0301rundingan “diplomasi” – berkembang/perkembangan…memperkembangkan",
    "x" * 150 + "diplomasi" + "/" * 90 + "perundingan" + "y" * 30 + " presiden " + "-" * 120 + " presiden",
    "ＰＥＲＵＮＤＩＮＧＡＮ ｄｉｐｌｏｍａｓｉ İstanbul ſosial K\u212aelvin perkembangannya\tdan\r\nkerja-sama",
    # the nasal of meN-/peN- in place of a root's first letter, reduplications folded
    "Tolong-menolong, surat-menyurat; meniru-nirukan kemerah-merahan perundang-undangan bolak-balik "
    "MENYAPU Pengiriman memukul menuduh mempengaruhi penganiayaan mengebom menyanyi-nyanyi pemrograman",
    # folding builds a word the token does not hold: disia-siakan -> disiakan (a stem
    # the stemmer leaves whole), menyia-nyiakannya -> menyiakan
    "Waktu jangan disia-siakan, kesempatan itu menyia-nyiakannya; meminum-minuman mengoyang-goyangkan.",
    # question marks next to characters that lower-cased bytes also show as "?"
    "Siapa?ｄｉｐｌｏｍａｓｉ?? ¿Ｐresiden?–perundingan?K\u212aelvin?\u212a? ?Ｘ? ray?Ｘ-ray",
]


def test_matching_tokens_find_what_analysing_every_token_finds():
    from diplosearch.highlight import matching_tokens
    from diplosearch.store.home import bundled_corpus_files

    texts = [path.read_text("utf-8") for path in bundled_corpus_files()] + AWKWARD_TEXTS
    for text in texts:
        every_term = sorted(set(IndonesianAnalyzer().terms(text)))
        for chunk in range(0, len(every_term), 5):
            terms = set(every_term[chunk : chunk + 5])
            full = [(t.term, t.start, t.end) for t in IndonesianAnalyzer().tokens(text) if t.term in terms]
            fast = [(t.term, t.start, t.end) for t in matching_tokens(text, terms, IndonesianAnalyzer())]
            assert fast == full, terms


@pytest.mark.parametrize("max_chars", [1, 40, 200])
def test_snippets_equal_those_of_the_straightforward_builder(max_chars):
    from diplosearch.store.home import bundled_corpus_files

    texts = [path.read_text("utf-8") for path in bundled_corpus_files()] + AWKWARD_TEXTS
    for number, text in enumerate(texts):
        paragraphs = text.split("\n\n")
        doc = Document(id=str(number), title=paragraphs[0][:120], body="\n\n".join(paragraphs[1:]) or text,
                       captions=tuple(paragraphs[1:3]))
        every_term = sorted(set(ANALYZER.terms(text)))
        # a few terms at a time, from all over the text, plus one no document holds
        for chunk in range(0, len(every_term), max(1, len(every_term) // 25)):
            terms = set(every_term[chunk : chunk + 3]) | {"tidakada"}
            for count, snippet_format in ((2, "text"), (3, "html")):
                expected = reference_snippets(doc, terms, ANALYZER, count, max_chars, ("<", ">"), snippet_format)
                assert make_snippets(doc, terms, ANALYZER, count, max_chars, ("<", ">"), snippet_format) == expected
        lead = reference_snippets(doc, {"tidakada"}, ANALYZER, 2, max_chars)
        assert make_snippets(doc, {"tidakada"}, ANALYZER, 2, max_chars) == lead


def test_characters_counted_as_no_place_never_stand_in_a_token():
    # They are skipped when looking for places a term could stand, so none of them may
    # join two words into one token or be part of one.
    from diplosearch.highlight import NON_TOKEN_CHARACTERS

    ranges = re.findall(r"(.)(?:-(.))?", NON_TOKEN_CHARACTERS)
    assert ranges
    for low, high in ranges:
        for code in range(ord(low), ord(high or low) + 1):
            char = chr(code)
            for word in ("a", "1", "ab"):
                assert TOKEN_PATTERN.findall(word + char + word) == [word, word], hex(code)


def test_the_run_cache_of_one_analyzer_is_not_used_by_another():
    # Two analyzers that analyse the same word differently: each must see its own results,
    # whichever of them looked at the text first.
    from diplosearch.analysis.stemmer import NoStemmer
    from diplosearch.highlight import matching_tokens

    text = "Perkembangan diplomasi berkembang. Kunjungan-kunjungan"
    stemming, plain = IndonesianAnalyzer(), IndonesianAnalyzer(stemmer=NoStemmer(), stopwords=frozenset())
    for order in ((stemming, plain), (plain, stemming), (stemming, plain)):
        for analyzer in order:
            for terms in ({"kembang"}, {"perkembangan", "berkembang", "kunjungan-kunjungan", "kunjungan"}):
                expected = [(t.term, t.start, t.end) for t in analyzer.tokens(text) if t.term in terms]
                got = [(t.term, t.start, t.end) for t in matching_tokens(text, terms, analyzer)]
                assert got == expected, (analyzer.stemmer, terms)
    assert [t.term for t in matching_tokens(text, {"kembang"}, stemming)] == ["kembang", "kembang"]
    assert [t.term for t in matching_tokens(text, {"kembang"}, plain)] == []


def test_the_run_cache_goes_with_its_analyzer():
    import gc

    from diplosearch import highlight_matches as highlight

    analyzer = IndonesianAnalyzer()
    highlight.matching_tokens("Diplomasi bambu", {"bambu"}, analyzer)
    key = id(analyzer)
    assert highlight._run_caches[key][1]
    del analyzer
    gc.collect()
    assert key not in highlight._run_caches


def test_an_analyzer_without_weak_references_gets_matches_without_a_cache():
    from diplosearch import highlight_matches as highlight

    class SlottedAnalyzer:
        __slots__ = ("inner",)

        def __init__(self, inner):
            self.inner = inner

        def terms_of(self, raw):
            return self.inner.terms_of(raw)

    analyzer = SlottedAnalyzer(IndonesianAnalyzer())
    text = "Perkembangan diplomasi berkembang pesat."
    for _twice in range(2):
        got = [(t.term, t.start, t.end) for t in highlight.matching_tokens(text, {"kembang"}, analyzer)]
        assert got == [("kembang", 0, 12), ("kembang", 23, 33)]
    assert id(analyzer) not in highlight._run_caches


# ------------------------------------------------------- what may follow a core (_cores rules)

# Words a core alone would send to the stemmer though no ending can follow the core
# there, and words where one can: clitics, suffixes, capitals, punctuation, numbers,
# one-letter words, hyphens, and a capital I with a dot (lower() lengthens it).
FOLLOWER_TEXTS = [
    "Program motor itu pro, dan prosesnya memprovokasi. Go! PROnya prolah, GOlah-golah",
    "Pasal 2 ayat 12 tahun 2020 (ke-2), 2-3 kali; rp14 dan Rp14.000 2a a. A-a",
    # a number with a separator ends a token, and a word may follow right after it
    "waktu 12.535s dan 1:40.2s; mesin 1.2L, 2.5kg 1,5l 1.2.3a 12s x2",
    "Pasal 2 ayat 12 di I\u0130stanbul: PROGRAM pro-kontra, Go-Jek, motornya",
    "Melaporkannya, laporanmu; dilaporkanlah pelapornya, pelaporan-pelaporan LAPORKAN!",
    "Perdagangan pedagang berdagang memperdagangkannya; sedagang, dagangan\u2019nya dagang\u2019kan",
    "Ia berkata: \u201ckami\u201d... kita-kita, kitalah, kitapun; ku-, -mu, nya-nya",
]


def _analyzers():
    from diplosearch.analysis.indonesian_stemmer import IndonesianStemmer
    from diplosearch.analysis.stemmer import NoStemmer, SnowballStemmer

    return {
        "default": IndonesianAnalyzer(),
        "snowball": IndonesianAnalyzer(SnowballStemmer()),
        "snowball fallback": IndonesianAnalyzer(IndonesianStemmer(fallback="snowball")),
        "none": IndonesianAnalyzer(NoStemmer(), stopwords=frozenset()),
    }


@pytest.mark.parametrize("name", ["default", "snowball", "snowball fallback", "none"])
def test_matching_tokens_equal_the_full_analysis_whatever_the_stemmer(name):
    # each stemmer lets _cores assume other rules about what follows a core
    from diplosearch.highlight import matching_tokens

    analyzer = _analyzers()[name]
    for text in FOLLOWER_TEXTS + AWKWARD_TEXTS:
        every_term = sorted(set(analyzer.terms(text)))
        for size in (1, 4):
            for chunk in range(0, len(every_term), size):
                terms = set(every_term[chunk : chunk + size])
                full = [(t.term, t.start, t.end) for t in analyzer.tokens(text) if t.term in terms]
                fast = [(t.term, t.start, t.end) for t in matching_tokens(text, terms, _analyzers()[name])]
                assert fast == full, (name, terms)


class _CountingAnalyzer(IndonesianAnalyzer):
    """Records every token matching_tokens has analysed (the runs it looked at)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.analysed: list[str] = []

    def terms_of(self, raw):
        self.analysed.append(raw)
        return super().terms_of(raw)


def test_a_word_whose_core_no_ending_follows_is_not_analysed():
    from diplosearch.highlight import matching_tokens

    analyzer = _CountingAnalyzer()
    text = FOLLOWER_TEXTS[0]
    found = [text[t.start : t.end] for t in matching_tokens(text, {"pro", "go"}, analyzer)]
    assert found == ["pro", "Go", "PROnya", "prolah"]
    assert not {"Program", "motor", "prosesnya", "memprovokasi"} & set(analyzer.analysed)


def test_a_one_letter_or_number_term_looks_only_at_whole_words():
    from diplosearch.highlight import matching_tokens

    analyzer = _CountingAnalyzer()
    text = FOLLOWER_TEXTS[1]
    assert [text[t.start : t.end] for t in matching_tokens(text, {"2", "rp14"}, analyzer)] == [
        "2", "ke-2", "2-3", "rp14", "Rp14"
    ]
    assert not {"12", "2020", "2a"} & set(analyzer.analysed)


def test_a_stemmer_not_known_to_highlighting_gets_no_rule_about_endings():
    # It may remove any ending: here "-gram" (program -> pro) and a digit (2020 -> 202).
    from diplosearch.highlight import matching_tokens

    class OddStemmer:
        name = "odd"
        version = "odd-1"

        def stem(self, word):
            if word.endswith("gram"):
                return word[:-4]
            return word[:-1] if word[-1:].isdigit() and len(word) > 1 else word

        def is_root(self, word):
            return False

    analyzer = IndonesianAnalyzer(OddStemmer(), stopwords=frozenset())
    text = "Program 2020 itu pro"
    for terms in ({"pro"}, {"202"}):
        full = [(t.term, t.start, t.end) for t in analyzer.tokens(text) if t.term in terms]
        assert full
        assert [(t.term, t.start, t.end) for t in matching_tokens(text, terms, analyzer)] == full
