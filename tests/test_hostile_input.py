"""Hostile input: random Unicode through analysis, indexing, searching and
highlighting; broken queries; broken files end to end through Index.add_files.

The contract: no exception other than diplosearch's own (subclasses of
DiplosearchError), no hang, and every snippet is a substring of the stored text
with only the highlight markers added.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import json
import os
import re
import signal
import tempfile
import threading
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

from diplosearch import Document, Quote, analyze, open_index
from diplosearch.analysis.analyzer import MAX_TOKEN_CHARS, IndonesianAnalyzer
from diplosearch.errors import QueryError

settings.register_profile(
    "hostile",
    max_examples=int(os.environ.get("DIPLOSEARCH_HOSTILE_EXAMPLES", "40")),
    deadline=None,  # no wall-clock assertions; the alarm below catches hangs
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    derandomize=os.environ.get("DIPLOSEARCH_HOSTILE_RANDOM") is None,  # reproducible in CI
)
HOSTILE = settings.get_profile("hostile")
HANG_GUARD = 60  # seconds per example


@contextlib.contextmanager
def no_hang(seconds: int = HANG_GUARD):
    """Fail (instead of blocking CI) if the body runs for more than ``seconds``."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def timeout(signum, frame):  # type: ignore[no-untyped-def]
        raise AssertionError(f"hang: still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# -- strategies -------------------------------------------------------------------------

WORDS = (
    "diplomasi peranan pelopor negara-negara kunjungan-kunjungan berkembang perkembangan Jum'at "
    "PBB ASEAN XIII 2023 1.000 2,5 menegaskan kerja sama"
).split()
ODD = [
    "\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\u200b", "\u200d", "\ufeff", "\u00a0",
    "\u202e", "\u202d", "\u2066", "\u200f",  # bidi controls
    "\u0645\u0631\u062d\u0628\u0627", "\u05e9\u05dc\u05d5\u05dd",  # Arabic, Hebrew
    "e\u0301", "a\u0308\u0301\u0323", "\u0301", "\u20dd",  # combining marks
    "😀", "👩\u200d👩\u200d👧", "🇮🇩", "\U0001f3fd",  # emoji, ZWJ sequence, flag, modifier
    "\ud800", "\udfff", "\udc80x",  # lone surrogates (as JSON "\ud800" escapes produce)
    "Ã©", "â€œ", "â€\x9d", "Â\u00a0", "¬†",  # mojibake
    "\r\n", "\r", "\t", "\n\n\n", "-", "'", "’", "--", "-x-", "x--y", "_", "__init__",
    "[[", "]]", "**", "title:", "quotes:(", '"', "(", ")", "^2", "*", "?", "~", "AND", "NOT", "OR",
    "ǅ", "ß", "İ", "ﬁ", "Ⅻ", "①", "１２３", "ＡＳＥＡＮ",  # case-folding and NFKC oddities
]
HUGE = ["x" * 1_000_000, "é" * 300_000, "1" * 200_000 + ".5", "ab-" * 100_000, "😀" * 100_000]

any_char = st.characters(codec=None, categories=None)  # every code point, surrogates included
pieces = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(ODD),
    st.text(any_char, max_size=8),
    st.text(st.characters(categories=["L", "M", "N"]), min_size=1, max_size=12),
)
hostile_text = st.one_of(
    st.lists(pieces, max_size=40).map(" ".join),
    st.lists(pieces, max_size=40).map("".join),
    st.text(any_char, max_size=200),
    st.lists(st.one_of(pieces, st.sampled_from(HUGE)), min_size=1, max_size=3).map(" ".join),
)
hostile_query = st.one_of(
    st.lists(pieces, min_size=1, max_size=8).map(" ".join),
    st.text(any_char, max_size=60),
    st.sampled_from(['title:(', '"unterminated', "***", "-", "--x", "NOT", "title:", "a^", "x" * 10_000,
                     "(((((", '"" ""', "quotes:(kerja sama", "\x00", "\ud800", "body:diplomasi"]),
)


@st.composite
def hostile_document(draw, n: int) -> Document:  # type: ignore[no-untyped-def]
    return Document(
        id=draw(st.one_of(st.just(f"d{n}"), st.text(any_char, min_size=1, max_size=20).map(lambda s: f"{s}{n}"))),
        title=draw(hostile_text),
        body=draw(hostile_text),
        quotes=tuple(Quote(q, s) for q, s in draw(st.lists(st.tuples(hostile_text, st.none() | hostile_text), max_size=2))),
        captions=tuple(draw(st.lists(hostile_text, max_size=2))),
        source=draw(st.none() | st.text(any_char, max_size=10)),
        url=draw(st.none() | st.text(any_char, max_size=30)),
    )


hostile_documents = st.integers(1, 4).flatmap(lambda k: st.tuples(*[hostile_document(i) for i in range(k)]))

OPEN, CLOSE = "\u2983ds\u2983", "\u2984ds\u2984"  # markers no generated text contains by chance
MARKED = re.compile(re.escape(OPEN) + "(.*?)" + re.escape(CLOSE), re.S)


def stored_texts(doc: Document) -> list[str]:
    return [doc.body, "\n".join(q.text for q in doc.quotes), "\n".join(doc.captions), doc.title]


def check_snippet(snippet: str, doc: Document) -> None:
    plain = MARKED.sub(lambda m: m.group(1), snippet)
    assert OPEN not in plain and CLOSE not in plain, f"unbalanced markers in {snippet!r}"
    assert all(m.group(1) for m in MARKED.finditer(snippet)), "an empty highlight"
    assert any(plain in text for text in stored_texts(doc)), f"{plain[:200]!r} is not in the stored text"


# -- analysis ---------------------------------------------------------------------------


ANALYZER = IndonesianAnalyzer()


@HOSTILE
@given(hostile_text)
def test_analysis_of_any_text_gives_encodable_terms_with_valid_spans(text):
    with no_hang():
        tokens = list(ANALYZER.tokens(text))
        for token in tokens:
            assert 0 <= token.start < token.end <= len(text)
            assert token.term and len(token.term) <= 4 * MAX_TOKEN_CHARS
            token.term.encode("utf-8")  # Whoosh stores terms as UTF-8: no lone surrogates
        assert analyze(text) == [t.term for t in tokens]
        # The query parser's path: one already-split word at a time.
        for word in text.split()[:20]:
            for token in ANALYZER(word, tokenize=False):
                token.text.encode("utf-8")


# -- indexing, searching, highlighting ----------------------------------------------------


@HOSTILE
@given(docs=hostile_documents, queries=st.lists(hostile_query, min_size=1, max_size=4))
def test_hostile_documents_and_queries_fail_only_with_documented_errors(docs, queries):
    with tempfile.TemporaryDirectory() as tmp, no_hang():
        with open_index(Path(tmp) / "ix", create=True) as ix:
            report = ix.add_many(docs, skip_invalid=True)
            stored = {d.id: d for d in ix.documents()}
            assert set(report.added) == set(stored)
            for doc in docs:
                if doc.id in stored:  # stored exactly (an empty source or url reads as None)
                    assert stored[doc.id] == attrs.evolve(doc, source=doc.source or None, url=doc.url or None)
            for query in queries:
                try:
                    results = ix.search(query, limit=5, markers=(OPEN, CLOSE), snippets=3, snippet_chars=120)
                except QueryError:
                    continue
                assert results.total >= len(results.hits)
                for hit in results.hits:
                    for snippet in hit.snippets:
                        check_snippet(snippet, stored[hit.id])
            # Every document can be fetched, replaced and deleted again.
            for doc_id in list(stored)[:2]:
                assert ix.get(doc_id) == stored[doc_id]
                assert ix.delete(doc_id) is True


WORD_CHARS = st.characters(categories=["L", "Nd", "Mn"], exclude_characters="\u0345")


@HOSTILE
@given(
    words=st.lists(st.text(WORD_CHARS, min_size=1, max_size=15), min_size=1, max_size=30),
    noise=st.lists(st.sampled_from(ODD), max_size=10),
    pick=st.integers(0, 1000),
)
@example(words=["Cafe\u0301"], noise=[], pick=0)  # decomposed accents (macOS text)
@example(words=["Nguye\u0302\u0303n", "Vie\u0323\u0302t"], noise=["\u200b"], pick=1)
@example(words=["\u0939\u093f\u0928\u094d\u0926\u0940"], noise=[], pick=0)  # Devanagari vowel signs
def test_a_word_of_a_document_finds_it_and_is_highlighted(words, noise, pick):
    body = " ".join(words + noise)
    # A word as a reader sees it in the text (not as the tokenizer cut it).
    candidates = [w for w in words if analyze(w) and len(w) <= MAX_TOKEN_CHARS]
    assume(candidates)
    word = candidates[pick % len(candidates)]
    with tempfile.TemporaryDirectory() as tmp, no_hang():
        with open_index(Path(tmp) / "ix", create=True) as ix:
            ix.add(Document(id="d", title="Judul", body=body))
            ix.add(Document(id="other", title="Lain", body="sesuatu yang lain sama sekali"))
            results = ix.search(f'"{word}"', markers=(OPEN, CLOSE), limit=5)
            assert "d" in [h.id for h in results.hits], (word, analyze(word), analyze(body))
            hit = next(h for h in results.hits if h.id == "d")
            assert any(OPEN in s for s in hit.snippets)
            for snippet in hit.snippets:
                check_snippet(snippet, Document(id="d", title="Judul", body=body))


def test_snippets_of_a_megabyte_of_matches_are_bounded(tmp_path):
    with no_hang(), open_index(tmp_path / "ix", create=True) as ix:
        ix.add(Document(id="big", title="t", body="diplomasi " * 100_000))
        ix.add(Document(id="token", title="t", body="x" * 1_000_000 + " diplomasi"))
        results = ix.search("diplomasi", snippet_chars=200)
        assert {h.id for h in results.hits} == {"big", "token"}
        for hit in results.hits:
            assert all(len(s) <= 400 for s in hit.snippets)


def test_paging_agrees_with_one_big_page(tmp_path):
    """search(limit=k) must give the first k hits of a long list, with the same total
    (Whoosh's top-k pruning once dropped better hits here)."""
    words = "diplomasi ekonomi kerja sama kunjungan menteri luar negeri perdagangan".split()
    docs = [
        Document(id=f"p{i}", title=f"Berita {i}", body=" ".join(words[(i * j) % len(words)] for j in range(5 + i % 30)))
        for i in range(300)
    ]
    with open_index(tmp_path / "ix", create=True) as ix:
        ix.add_many(docs[:150])
        ix.add_many(docs[150:])
        for query in ("diplomasi", "kerja sama", "menteri perdagangan ekonomi", '"luar negeri"'):
            full = ix.search(query, limit=1000, snippets=0)
            for limit in (1, 3, 10):
                page = ix.search(query, limit=limit, snippets=0)
                assert page.total == full.total
                assert [h.id for h in page.hits] == [h.id for h in full.hits[:limit]]
            page = ix.search(query, limit=10, offset=20, snippets=0)
            assert [h.id for h in page.hits] == [h.id for h in full.hits[20:30]]


# -- hostile files end to end ------------------------------------------------------------


def write_hostile_files(folder: Path) -> dict[str, str]:
    """Files of every broken kind; returns name -> what must happen ("ok" or "problem")."""
    good = "Kunjungan Menlu ke Hanoi\n\nMenteri luar negeri menegaskan peranan pelopor diplomasi.\n"
    expect = {}

    def put(name: str, data: bytes, outcome: str) -> None:
        (folder / name).write_bytes(data)
        expect[name] = outcome

    put("good.txt", good.encode(), "ok")
    put("binary.txt", bytes(range(256)) * 40, "problem")
    put("png-in-disguise.txt", b"\x89PNG\r\n\x1a\n" + os.urandom(2000), "problem")
    put("empty.txt", b"", "problem")
    put("truncated-utf8.txt", good.encode()[:-1] + "é".encode()[:1], "ok")
    put("utf16.txt", codecs.BOM_UTF16_LE + good.encode("utf-16-le"), "ok")
    put("cp1252.txt", "Kunjungan “resmi” — café\n\nMenteri menegaskan peranan pelopor.\n".encode("cp1252"), "ok")
    put("nul-bytes.txt", good.encode().replace(b" ", b"\x00", 3), "any")
    put("one-huge-token.txt", b"Judul\n\n" + b"a" * 1_000_000, "any")
    put("rtl-emoji.txt", "\u202eJudul 😀\n\n\u0645\u0631\u062d\u0628\u0627 diplomasi e\u0301\n".encode(), "ok")
    lines = [
        json.dumps({"id": "j1", "title": "Satu", "content": "isi pertama diplomasi"}),
        json.dumps({"id": "j2", "title": 5, "content": ["bukan", "teks"]}),
        json.dumps({"title": "Tanpa id", "content": "isi tanpa id"}),
        '{"id": "j4", "title": "Pecah", "content": "tidak ditutup',
        json.dumps([1, 2, 3]),
        '{"id": "j6", "title": "Surrogate \\ud800", "content": "isi \\udfff aneh"}',
        '{"id": "j7\\ud800", "title": "Id surrogate", "content": "isi"}',
        json.dumps({"id": "j8", "title": "", "content": ""}),
        json.dumps({"id": None, "title": "Id kosong", "content": "isi", "date": "bukan tanggal"}),
    ]
    put("records.jsonl", ("\n".join(lines) + "\n").encode(), "mixed")
    gz = gzip.compress((json.dumps({"id": "g1", "title": "Gzip", "content": "isi gzip"}) + "\n"
                        + '{"id": "g2", "title": "rusak').encode())
    put("broken-last-line.jsonl.gz", gz, "mixed")
    put("truncated.jsonl.gz", gz[: len(gz) // 2], "any")
    return expect


def test_hostile_files_are_indexed_or_reported_by_file_and_line(tmp_path):
    folder = tmp_path / "input"
    folder.mkdir()
    expect = write_hostile_files(folder)
    with no_hang(), open_index(tmp_path / "ix", create=True) as ix:
        report = ix.add_files([folder])
        reported = {Path(p.path).name for p in report.problems}
        indexed = {Path(d.path).name for d in ix.documents() if d.path}
        for name, outcome in expect.items():
            if outcome == "ok":
                assert name in indexed and name not in reported, name
            elif outcome == "problem":
                assert name in reported and name not in indexed, name
            elif outcome == "mixed":
                assert name in indexed and name in reported, name
            else:
                assert name in indexed or name in reported, name
        # JSON Lines problems say which line.
        lines = {p.line for p in report.problems if Path(p.path).name == "records.jsonl"}
        assert {2, 4, 5} <= lines
        assert ix.get("j1") is not None and ix.get("j6") is not None
        assert ix.search("diplomasi").total >= 2
        for problem in report.problems:
            assert "\n" not in str(problem) and str(problem).startswith(str(folder))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_files_in_a_folder_do_not_hang_indexing(tmp_path):
    folder = tmp_path / "input"
    folder.mkdir()
    (folder / "good.txt").write_text("Judul\n\nisi diplomasi\n")
    os.mkfifo(folder / "pipe.txt")
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    with no_hang(30), open_index(tmp_path / "ix", create=True) as ix:
        report = ix.add_files([folder])
        assert len(ix) >= 1
        assert "pipe.txt" in {Path(p.path).name for p in report.problems}


@HOSTILE
@given(contents=st.lists(st.binary(max_size=3000), min_size=1, max_size=4),
       suffixes=st.lists(st.sampled_from([".txt", ".jsonl", ".json", ".jsonl.gz", ".md", ""]), min_size=4, max_size=4))
def test_random_bytes_files_never_break_a_batch(contents, suffixes):
    with tempfile.TemporaryDirectory() as tmp, no_hang():
        folder = Path(tmp) / "input"
        folder.mkdir()
        names = [f"f{i}{suffixes[i]}" for i in range(len(contents))]
        for name, data in zip(names, contents):
            (folder / name).write_bytes(data)
        (folder / "good.txt").write_text("Judul baik\n\nisi diplomasi yang baik\n")
        with open_index(Path(tmp) / "ix", create=True) as ix:
            report = ix.add_files([folder])
            indexed = {Path(d.path).name for d in ix.documents() if d.path}
            reported = {Path(p.path).name for p in report.problems}
            assert "good.txt" in indexed
            for name in names:
                assert name in indexed or name in reported, name
