"""What a new process pays before its first result: precomputed tables must equal what
they replace, and importing diplosearch must not load what a search does not need.

(How long it takes is measured by ``benchmarks/first_query.py``, not here.)
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import unicodedata

import pytest

from conftest import REPO, subprocess_env
from diplosearch.analysis import analyzer, lexicon, marks

LEXICON_DIR = REPO / "src" / "diplosearch" / "data" / "lexicon"


def test_recorded_mark_ranges_equal_a_fresh_scan() -> None:
    if unicodedata.unidata_version not in marks.KNOWN_RANGES:
        pytest.skip(f"Unicode {unicodedata.unidata_version} not recorded: run scripts/build_mark_ranges.py")
    recorded = marks.parse_ranges(marks.KNOWN_RANGES[unicodedata.unidata_version])
    assert recorded == marks.scan_mark_ranges(), "run scripts/build_mark_ranges.py"


def test_unrecorded_unicode_version_is_scanned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(marks, "KNOWN_RANGES", {})
    assert marks.mark_ranges() == marks.scan_mark_ranges()


def test_range_text_round_trips() -> None:
    ranges = [(0x300, 0x36F), (0x5BF, 0x5BF), (0xE0100, 0xE01EF)]
    assert marks.format_ranges(ranges) == "0300-036F 05BF E0100-E01EF"
    assert marks.parse_ranges(marks.format_ranges(ranges)) == ranges


def test_tokeniser_mark_classes_match_exactly_the_combining_marks() -> None:
    bmp = re.compile(f"[{analyzer._BMP_MARKS}]")
    astral = re.compile(f"[{analyzer._ASTRAL_MARKS}]")
    for code in range(0x110000):
        char = chr(code)
        is_mark = unicodedata.category(char)[0] == "M"
        assert bool(bmp.match(char)) == (is_mark and code < 0x10000), hex(code)
        assert bool(astral.match(char)) == (is_mark and code >= 0x10000), hex(code)


def test_build_mark_ranges_check_agrees() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_mark_ranges.py"), "--check"],
        capture_output=True, text=True, env=subprocess_env(REPO),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_shipped_compact_lexicon_equals_the_parsed_text() -> None:
    text = (LEXICON_DIR / "roots.txt").read_text("utf-8")
    compact = lexicon.lexicon_from_compact(json.loads((LEXICON_DIR / "roots.json").read_text("utf-8")), text)
    assert compact is not None, "roots.json is stale: python scripts/build_lexicon.py --compact-only"
    parsed = lexicon.parse_lexicon(text)
    assert compact.roots == parsed.roots
    assert compact.patterns == parsed.patterns
    assert compact.digest == parsed.digest == lexicon.lexicon_digest()


def test_build_script_writes_the_shipped_compact_lexicon(tmp_path) -> None:
    shutil.copy(LEXICON_DIR / "roots.txt", tmp_path / "roots.txt")
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_lexicon.py"), "--compact-only", "--out", str(tmp_path)],
        check=True, capture_output=True, env=subprocess_env(tmp_path),
    )
    assert (tmp_path / "roots.json").read_bytes() == (LEXICON_DIR / "roots.json").read_bytes()


def test_compact_lexicon_of_other_text_or_format_is_not_used() -> None:
    text = "kata\tMk\nrumah\n"
    data = lexicon.compact_form(text)
    assert lexicon.lexicon_from_compact(data, text) == lexicon.parse_lexicon(text)
    assert lexicon.lexicon_from_compact(data, text + "meja\n") is None  # roots.txt changed since
    assert lexicon.lexicon_from_compact({**data, "format": lexicon.COMPACT_FORMAT + 1}, text) is None
    assert lexicon.lexicon_from_compact({**data, "roots": ["kata", "rumah"]}, text) is None
    assert lexicon.lexicon_from_compact(None, text) is None


def test_loaded_lexicon_is_the_parsed_text() -> None:
    text = (LEXICON_DIR / "roots.txt").read_text("utf-8")
    loaded, parsed = lexicon.load_lexicon(), lexicon.parse_lexicon(text)
    assert (loaded.roots, loaded.patterns, loaded.digest) == (parsed.roots, parsed.patterns, parsed.digest)


# Modules only writing or reading input files needs: a process that searches loads none.
WRITE_ONLY_MODULES = (
    "diplosearch.ingest",
    "diplosearch.ingest.article",
    "diplosearch.ingest.files",
    "diplosearch.store.parallel",
    "diplosearch.store.locking",
    "diplosearch.store.reports",
    "whoosh.writing",
)


def loaded_modules(code: str, *args: str) -> set[str]:
    """The modules a new interpreter has loaded after running ``code``."""
    script = code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, env=subprocess_env(REPO), check=True,
    )
    return set(proc.stdout.split())


def test_import_loads_neither_numpy_nor_writing_machinery() -> None:
    loaded = loaded_modules("import diplosearch")
    assert "numpy" not in loaded
    assert loaded.isdisjoint(WRITE_ONLY_MODULES), loaded & set(WRITE_ONLY_MODULES)


def test_lazy_names_resolve_to_their_modules() -> None:
    import diplosearch
    import diplosearch.ingest
    import diplosearch.ranking

    assert diplosearch.read_documents is diplosearch.ingest.read_documents
    assert diplosearch.parse_article is diplosearch.ingest.parse_article
    assert diplosearch.Ranking is diplosearch.ranking.Ranking
    import diplosearch.store.reports

    assert diplosearch.WriteReport is diplosearch.store.reports.WriteReport
    assert diplosearch.IndexStats is diplosearch.store.reports.IndexStats
    assert set(diplosearch.__all__) <= set(dir(diplosearch))
    with pytest.raises(AttributeError):
        diplosearch.no_such_name  # noqa: B018


def _modules_a_search_loads(tmp_path) -> set[str]:  # type: ignore[no-untyped-def]
    """The modules a new process has loaded after opening a one-document index and searching it."""
    import diplosearch

    with diplosearch.open_index(tmp_path / "ix", create=True) as ix:
        ix.add(diplosearch.Document(id="a1", title="Peranan pelopor diplomatik", body="Diplomasi era baru."))
    return loaded_modules(
        "import sys, diplosearch\n"
        "hits = diplosearch.open_index(sys.argv[1]).search('diplomasi').hits\n"
        "assert [h.id for h in hits] == ['a1'], hits",
        str(tmp_path / "ix"),
    )


def test_searching_an_index_loads_no_writing_machinery(tmp_path) -> None:
    loaded = _modules_a_search_loads(tmp_path)
    assert "numpy" in loaded  # the scorer ran
    assert loaded.isdisjoint(WRITE_ONLY_MODULES), loaded & set(WRITE_ONLY_MODULES)


def test_searching_does_not_load_the_explainer_until_a_hit_is_explained(tmp_path) -> None:
    import diplosearch

    with diplosearch.open_index(tmp_path / "ix", create=True) as ix:
        ix.add(diplosearch.Document(id="a1", title="Peranan pelopor diplomatik", body="Diplomasi era baru."))
    code = (
        "import sys, diplosearch\n"
        "hit = diplosearch.open_index(sys.argv[1]).search('diplomasi').hits[0]\n"
        "assert 'diplosearch.scoring_explain' not in sys.modules\n"
        "assert abs(hit.explain().score - hit.score) < 1e-6\n"
    )
    assert "diplosearch.scoring_explain" in loaded_modules(code, str(tmp_path / "ix"))


# Loaded by Whoosh's imports for names a search never calls (see diplosearch.lean_whoosh).
NETWORK_AND_EVENT_LOOP_MODULES = ("urllib.request", "http.client", "asyncio", "ssl", "socket")
# Whoosh's searcher and what it imports (query classes, highlighting, English
# morphology): the numpy scorer reads the commit through a Whoosh reader only.
WHOOSH_SEARCHER_MODULES = ("whoosh.searching", "whoosh.query", "whoosh.highlight", "whoosh.lang.morph_en")


def test_searching_loads_no_network_event_loop_or_whoosh_searcher_modules(tmp_path) -> None:
    loaded = _modules_a_search_loads(tmp_path)
    assert loaded.isdisjoint(NETWORK_AND_EVENT_LOOP_MODULES), loaded & set(NETWORK_AND_EVENT_LOOP_MODULES)
    assert loaded.isdisjoint(WHOOSH_SEARCHER_MODULES), loaded & set(WHOOSH_SEARCHER_MODULES)


def test_lookups_by_id_still_get_a_whoosh_searcher(tmp_path) -> None:
    import diplosearch

    with diplosearch.open_index(tmp_path / "ix", create=True) as ix:
        ix.add(diplosearch.Document(id="a1", title="Peranan pelopor diplomatik", body="Diplomasi era baru."))
        assert [h.id for h in ix.search("diplomasi").hits] == ["a1"]
        assert ix.get("a1").title == "Peranan pelopor diplomatik"
        with ix.snapshot() as snapshot:
            assert snapshot.searcher.document_number(id="a1") == 0
            assert snapshot.searcher.up_to_date()


def test_deferred_modules_still_work_when_used(tmp_path) -> None:
    source = tmp_path / "page.txt"
    source.write_text("isi", "utf-8")
    code = (
        "import asyncio, sys, urllib.request\n"
        "import cached_property, whoosh.compat\n"
        "assert sys.modules['asyncio'] is asyncio and sys.modules['urllib.request'] is urllib.request\n"
        "assert asyncio.iscoroutinefunction.__module__.startswith('asyncio')\n"
        "whoosh.compat.urlretrieve(sys.argv[1], sys.argv[2])\n"
        "class Page:\n"
        "    @cached_property.cached_property\n"
        "    def size(self):\n"
        "        return 3\n"
        "    @cached_property.cached_property\n"
        "    async def text(self):\n"
        "        return 'isi'\n"
        "async def main():\n"
        "    page = Page()\n"
        "    return page.size, await page.text, type(page.__dict__['text']).__name__\n"
        "print(asyncio.run(main()))\n"
    )
    importing_diplosearch_first = "import diplosearch\n" + code
    proc = subprocess.run(
        [sys.executable, "-c", importing_diplosearch_first, source.as_uri(), str(tmp_path / "copy.txt")],
        capture_output=True, text=True, env=subprocess_env(REPO), check=True,
    )
    assert proc.stdout.strip() == "(3, 'isi', 'Task')"
    assert (tmp_path / "copy.txt").read_text("utf-8") == "isi"


def test_document_converters_are_python_functions() -> None:
    # For a builtin converter (str, bool, tuple) attrs asks inspect for its signature,
    # which parses the builtin's text signature with tokenize and compiles its regex:
    # ~10 ms of every `import diplosearch`.
    import types

    import attrs

    from diplosearch.documents import Document, InputProblem, Quote

    for cls in (Document, InputProblem, Quote):
        for field in attrs.fields(cls):
            if field.converter is not None:
                assert isinstance(field.converter, types.FunctionType), (cls.__name__, field.name)


def test_ascii_text_needs_no_mark_aware_token_pattern() -> None:
    # (diplosearch.highlight still reads TOKEN_PATTERN at import, so a process compiles
    # it today; the analyzer itself no longer does.)
    analyzer._mark_aware_patterns.cache_clear()
    assert analyzer.token_pattern_for("Diplomasi era baru, 1.000 orang") is analyzer._UNMARKED_TOKEN_PATTERN
    assert analyzer._mark_aware_patterns.cache_info().currsize == 0
    assert analyzer.token_pattern_for("Cafe\u0301 baru") is analyzer.TOKEN_PATTERN
    assert analyzer.TOKEN_PATTERN.findall("Cafe\u0301 baru") == ["Cafe\u0301", "baru"]


def test_a_search_loads_no_logging_until_something_is_logged(tmp_path, caplog) -> None:
    import diplosearch
    from diplosearch.store.lazy_log import LOG

    with diplosearch.open_index(tmp_path / "ix", create=True) as ix:
        ix.add(diplosearch.Document(id="a1", title="Peranan pelopor diplomatik", body="Diplomasi era baru."))
    loaded = loaded_modules(
        "import sys, diplosearch\n"
        "assert [h.id for h in diplosearch.open_index(sys.argv[1]).search('diplomasi').hits] == ['a1']\n",
        str(tmp_path / "ix"),
    )
    assert "logging" not in loaded
    with caplog.at_level("WARNING", logger="diplosearch"):
        LOG.warning("kolom %s dibangun ulang", "MAIN_x")
    assert [record.getMessage() for record in caplog.records] == ["kolom MAIN_x dibangun ulang"]
