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


def test_matching_tokens_equal_the_full_analysis_for_every_term_of_a_document():
    # matching_tokens skips tokens that cannot yield a query term without stemming them;
    # it must find exactly what analysing every token finds (fresh analyzers: no cache).
    from diplosearch.store.home import bundled_corpus_files

    for path in bundled_corpus_files():
        text = path.read_text("utf-8")
        every_term = sorted(set(IndonesianAnalyzer().terms(text)))
        for chunk in range(0, len(every_term), 7):
            terms = set(every_term[chunk : chunk + 7])
            full = [(t.term, t.start, t.end) for t in IndonesianAnalyzer().tokens(text) if t.term in terms]
            fast = [(t.term, t.start, t.end) for t in IndonesianAnalyzer().matching_tokens(text, terms)]
            assert fast == full, terms


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
