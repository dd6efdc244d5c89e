"""The benchmark scripts compute their metrics right and run end to end on a tiny corpus.

Needs neither the shared evaluation data nor the ``bench`` extras (peers are skipped
when not installed). No test asserts a time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import common  # noqa: E402
import data  # noqa: E402  (puts src/ on the path through common)
import engines  # noqa: E402
import first_query  # noqa: E402
import first_time_analysis  # noqa: E402
import instructions  # noqa: E402
import metrics  # noqa: E402
import paired_latency  # noqa: E402
import query_split  # noqa: E402
import relevance  # noqa: E402
import speed  # noqa: E402
import worst_case  # noqa: E402


# -- metrics ------------------------------------------------------------------------------


def test_reciprocal_rank_is_one_over_the_rank_of_the_first_relevant_doc() -> None:
    assert metrics.reciprocal_rank(["a", "b", "c"], {"c"}) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank(["c", "b", "a"], {"c"}) == 1.0
    assert metrics.reciprocal_rank(["a", "b", "c"], {"b", "c"}) == 0.5  # the first relevant one counts
    assert metrics.reciprocal_rank(["a", "b"], {"z"}) == 0.0
    assert metrics.reciprocal_rank([], {"z"}) == 0.0


def test_reciprocal_rank_stops_at_the_cutoff() -> None:
    ranking = [f"d{i}" for i in range(1, 21)]
    assert metrics.reciprocal_rank(ranking, {"d10"}, k=10) == pytest.approx(0.1)
    assert metrics.reciprocal_rank(ranking, {"d11"}, k=10) == 0.0


def test_recall_at_k_counts_relevant_docs_within_the_cutoff() -> None:
    ranking = ["a", "b", "c", "d"]
    assert metrics.recall_at(ranking, {"c"}, 3) == 1.0
    assert metrics.recall_at(ranking, {"d"}, 3) == 0.0
    assert metrics.recall_at(ranking, {"a", "d"}, 3) == 0.5
    assert metrics.recall_at(ranking, {"a", "d"}, 100) == 1.0
    assert metrics.recall_at(ranking, set(), 10) == 0.0


def test_evaluate_averages_over_queries() -> None:
    rankings = [["x", "a"], ["b", "y", "z"], ["q"] * 5, [f"n{i}" for i in range(50)] + ["c"]]
    relevants = [{"a"}, {"z"}, {"missing"}, {"c"}]
    result = metrics.evaluate(rankings, relevants)
    assert result["queries"] == 4
    assert result["mrr@10"] == pytest.approx((1 / 2 + 1 / 3 + 0 + 0) / 4)
    assert result["recall@10"] == pytest.approx(2 / 4)
    assert result["recall@100"] == pytest.approx(3 / 4)  # "c" is at rank 51
    assert result["mrr@10_ci95"] > 0


def test_evaluate_of_a_perfect_run_and_of_nothing() -> None:
    assert metrics.evaluate([["a"], ["b"]], [{"a"}, {"b"}])["mrr@10"] == 1.0
    assert metrics.evaluate([["a"], ["b"]], [{"a"}, {"b"}])["mrr@10_ci95"] == 0.0
    assert metrics.evaluate([], [])["queries"] == 0
    with pytest.raises(ValueError):
        metrics.evaluate([["a"]], [])


def test_paired_delta_compares_the_same_queries() -> None:
    ref = {"rank_of_relevant": {"q1": 1, "q2": 2, "q3": None}}
    run = {"rank_of_relevant": {"q1": 2, "q2": 2, "q3": 11}}  # rank 11 is outside MRR@10
    mean, half = metrics.paired_delta(run, ref)
    assert mean == pytest.approx((0.5 - 1.0) / 3)
    assert half > 0
    assert metrics.paired_delta(ref, ref) == (0.0, 0.0)


def test_percentile_interpolates_like_numpy() -> None:
    values = list(range(1, 101))  # 1..100
    assert metrics.percentile(values, 50) == pytest.approx(50.5)
    assert metrics.percentile(values, 99) == pytest.approx(99.01)
    assert metrics.percentile([3.0], 95) == 3.0
    assert metrics.percentile([5, 1, 3], 0) == 1


# -- text handling ------------------------------------------------------------------------


def test_queries_lose_every_engines_syntax_the_same_way() -> None:
    query = data.clean_query('Revisi UU "KPK": (Tolak) -x AND title:Jokowi^2 Undang-Undang')
    assert query == 'revisi uu kpk tolak x and title jokowi 2 "undang-undang"'
    assert data.clean_query("Undang-Undang", hyphens="keep") == "undang-undang"
    assert data.clean_query("Undang-Undang Go-Food", hyphens="split") == "undang undang go food"
    assert data.has_hyphenated_word("Go-Food hari ini") and not data.has_hyphenated_word("Go Food")


def test_detokenize_joins_facqa_tokens_readably() -> None:
    tokens = ["Pelatih", "ganda", "putra", ",", "Christian", "Hadinata", "(", "PBSI", ")", "tak", "ragu", "."]
    assert data.detokenize(tokens) == "Pelatih ganda putra, Christian Hadinata (PBSI) tak ragu."


def test_keyword_query_takes_the_first_content_words_of_a_title() -> None:
    words = data.keyword_query("Jokowi dan Prabowo Bertemu di Istana Bogor", 3).split()
    assert len(words) == 3 and words[0] == "jokowi" and "dan" not in words


def test_facqa_loader_merges_identical_passages_and_duplicate_rows(tmp_path: Path) -> None:
    folder = tmp_path / "facqa"
    folder.mkdir()
    header = "question,passage,seq_label\n"
    p1 = "\"['Ibu', 'kota', 'Jawa', 'Barat', 'adalah', 'Bandung', '.']\""
    p2 = "\"['Harimau', 'sumatera', 'dilindungi', '.']\""
    rows = {
        "train": [f"\"['Apa', 'ibu', 'kota', 'Jawa', 'Barat', '?']\",{p1},\"[]\""],
        "valid": [
            f"\"['Di', 'mana', 'ibu', 'kota', 'Jawa', 'Barat', '?']\",{p1},\"[]\"",
            f"\"['Apa', 'ibu', 'kota', 'Jawa', 'Barat', '?']\",{p1},\"[]\"",  # same pair again
        ],
        "test": [f"\"['Hewan', 'apa', 'dilindungi', '?']\",{p2},\"[]\""],
    }
    for split, lines in rows.items():
        (folder / f"{split}_preprocess.csv").write_text(header + "\n".join(lines) + "\n", "utf-8")
    facqa = data.load_facqa(tmp_path)
    assert facqa.stats == {"rows": 4, "duplicate_rows": 1, "queries": 3, "passages": 2}
    assert facqa.passages[0].body == "Ibu kota Jawa Barat adalah Bandung."
    assert [q[2] for q in facqa.queries] == ["facqa-p0000", "facqa-p0000", "facqa-p0001"]


def test_known_item_task_drops_titles_and_counts_identical_bodies_as_relevant() -> None:
    articles = [
        data.BenchDoc("a", "Judul A", "isi yang sama"),
        data.BenchDoc("b", "Judul B", "isi yang sama"),
        data.BenchDoc("c", "Judul C", "isi lain"),
    ]
    task = relevance.clickid_task(articles, sample=None, seed=1)
    assert all(d.title == "" for d in task.docs)
    assert {q[0]: q[2] for q in task.queries} == {"a": {"a", "b"}, "b": {"a", "b"}, "c": {"c"}}
    assert task.info["queries_with_duplicate_body"] == 2
    assert len(relevance.clickid_task(articles, sample=2, seed=1).queries) == 2


# -- end to end on a tiny synthetic corpus ------------------------------------------------

CORPUS = [
    ("pajak", "Pemerintah menaikkan tarif pajak kendaraan bermotor mulai bulan depan di seluruh provinsi."),
    ("banjir", "Banjir merendam ratusan rumah warga setelah hujan deras mengguyur kota semalaman."),
    ("timnas", "Tim nasional sepak bola Indonesia menang dua gol tanpa balas atas Malaysia di Jakarta."),
    ("harimau", "Petugas konservasi memasang kamera jebak untuk memantau harimau sumatera di taman nasional."),
    ("vaksin", "Dinas kesehatan membuka layanan vaksinasi gratis bagi anak sekolah dasar pekan ini."),
    ("gempa", "Gempa bermagnitudo lima mengguncang pesisir selatan dan warga berlarian keluar rumah."),
    ("asean", "Negara-negara ASEAN sepakat memperkuat kerja sama perdagangan regional."),
]
QUERIES = [
    ("q-pajak", "Tarif pajak kendaraan naik", "pajak"),
    ("q-banjir", "Rumah warga terendam banjir", "banjir"),
    ("q-timnas", "Timnas sepak bola menang atas Malaysia", "timnas"),
    ("q-harimau", "Kamera jebak: harimau sumatera (taman nasional)", "harimau"),
    ("q-vaksin", "Vaksinasi gratis anak sekolah", "vaksin"),
    ("q-gempa", "Gempa guncang pesisir selatan", "gempa"),
    ("q-asean", "Negara-negara ASEAN: kerja sama", "asean"),  # a hyphenated word reaches every engine quoted
]


def tiny_task() -> relevance.Task:
    docs = [data.BenchDoc(doc_id, "", body) for doc_id, body in CORPUS]
    queries = [(qid, text, frozenset([doc_id])) for qid, text, doc_id in QUERIES]
    return relevance.Task("tiny", docs, queries, {})


def test_relevance_pipeline_end_to_end_for_diplosearch(tmp_path: Path) -> None:
    runs = relevance.build_runs(["diplosearch", "diplosearch-bm25f", "diplosearch-nostem"])
    results = relevance.run_task(tiny_task(), runs, tmp_path, log=lambda *a: None)
    assert list(results) == ["diplosearch", "diplosearch-bm25f", "diplosearch-nostem"]
    for run, result in results.items():
        assert result["queries"] == len(QUERIES)
        assert result["query_errors"] == 0, result["error_examples"]
        # Each query names its own article's words: every engine finds it first.
        assert result["mrr@10"] == 1.0, (run, result["rank_of_relevant"])
        assert result["recall@100"] == 1.0
        assert set(result["rank_of_relevant"]) == {q[0] for q in QUERIES}
    assert "analysis_version" in results["diplosearch"]["setup"]
    assert "|" in relevance.table(results)
    assert not any(tmp_path.iterdir())  # indexes are removed unless kept


@pytest.mark.parametrize("engine", ["whoosh-stock", "sqlite-fts5", "bm25s", "tantivy"])
def test_peers_run_on_the_tiny_corpus_when_installed(engine: str, tmp_path: Path) -> None:
    if not engines.engine_available(engine):
        pytest.skip(f"{engine} is a bench extra that is not installed")
    runs = relevance.build_runs([engine])
    result = relevance.run_task(tiny_task(), runs, tmp_path, log=lambda *a: None)[engine]
    assert result["query_errors"] == 0, result["error_examples"]
    assert result["mrr@10"] == 1.0, result["rank_of_relevant"]


def test_speed_children_build_query_and_add(tmp_path: Path) -> None:
    docs = [data.BenchDoc(doc_id, doc_id.title(), body) for doc_id, body in CORPUS]
    docs_file = tmp_path / "docs.jsonl"
    speed.write_docs(docs_file, docs)
    assert speed.read_docs(docs_file) == docs
    queries_file = tmp_path / "queries.json"
    queries_file.write_text('["pajak kendaraan", "banjir rumah", "harimau sumatera"]', "utf-8")
    index = tmp_path / "ix"
    built = speed.child_build("diplosearch", docs_file, index)
    assert built["docs"] == len(docs) and built["peak_rss_mb"] > 0
    queried = speed.child_query("diplosearch", index, queries_file)
    required = {"top10", "top10+snippets", "top10 bm25f", "top10 no lead"}
    # issue 12's modes run once Index.search accepts their options
    assert required <= set(queried["modes"]) <= required | {"filtered", "newest first", "two facets"}
    assert all(m["errors"] == 0 for m in queried["modes"].values())
    assert all(queried["modes"][m]["queries_without_hits"] == 0 for m in required)
    extra = tmp_path / "extra.jsonl"
    speed.write_docs(extra, [data.BenchDoc("baru", "Pajak baru", "Tarif pajak rokok naik tahun depan.")])
    added = speed.child_add("diplosearch", index, extra)
    assert added["docs"] == 1 and added["found_first_added"]
    assert all(len(m["latencies_ms"]) == 3 for m in queried["modes"].values())

    run = {"engine": "diplosearch", "docs": len(docs), "build": built, "index_bytes": 1,
           "query": {**queried, "time_to_first_query_ms": 1.0}, "add": added}
    rendered = speed.tables({"runs": [run], "query_count": 3})
    assert rendered.count("| diplosearch") == 1 + len(queried["modes"]) + 1  # build, each mode, add
    # Results written before CPU time and load were recorded still print.
    older = {**run, "build": {k: v for k, v in built.items() if k not in ("cpu_seconds", "load_average_before", "parallel")}}
    assert "| diplosearch" in speed.tables({"runs": [older], "query_count": 3})


def test_first_query_times_each_step_of_new_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import diplosearch

    with diplosearch.open_index(tmp_path / "ix", create=True) as ix:
        ix.add_many(diplosearch.Document(id=doc_id, title=doc_id.title(), body=body) for doc_id, body in CORPUS)
    monkeypatch.setattr(common, "RESULTS_DIR", tmp_path / "results")
    first_query.main(["--index", str(tmp_path / "ix"), "--runs", "2", "--query", "pajak kendaraan",
                      "--src", f"here={common.REPO / 'src'}", "--output", "fq.json", "--importtime"])
    result = json.loads((tmp_path / "results" / "fq.json").read_text("utf-8"))
    runs = result["sources"]["here"]["runs"]
    assert len(runs) == 2 and all(run["hits"] > 0 for run in runs)
    for run in runs:
        assert run["total"] == pytest.approx(sum(run[step] for step in ("interpreter", "import", "open", "search")), abs=0.5)
    assert set(result["sources"]["here"]["summary"]) == set(first_query.STEPS)
    assert len(result["floor_ms"]) == len(result["bare_interpreter_ms"]) == 2  # interleaved with the runs
    assert result["floor_code"] == first_query.FLOOR_CODE
    assert result["slowest_imports"]
    # The scorer (and numpy with it) is imported by the first search, not by `import diplosearch`.
    late = {row["module"] for row in result["imports_after_import"]}
    assert "diplosearch.scoring" in late and "diplosearch" not in late


def test_query_split_times_each_step_and_sees_remembered_terms_on_the_second_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import diplosearch
    import diplosearch.scoring_terms as scoring_terms

    with diplosearch.open_index(tmp_path / "ix", create=True) as ix:
        ix.add_many(diplosearch.Document(id=doc_id, title=doc_id.title(), body=body) for doc_id, body in CORPUS)
    (tmp_path / "queries.json").write_text(json.dumps({"queries": ["pajak kendaraan", "banjir jakarta", "pajak"]}))
    monkeypatch.setattr(common, "RESULTS_DIR", tmp_path / "results")
    scorer = scoring_terms._score_terms
    query_split.main(["--index", str(tmp_path / "ix"), "--passes", "2", "--output", "split.json"])
    assert scoring_terms._score_terms is scorer  # the timed functions are put back
    result = json.loads((tmp_path / "results" / "split.json").read_text("utf-8"))
    assert result["score_table"] is False  # a write of a few documents makes none
    with diplosearch.open_index(tmp_path / "ix") as ix:
        ix.make_score_table()
    assert common.has_score_table(tmp_path / "ix")
    first, second = result["passes"]
    assert set(first["mean_ms"]) == set(query_split.STEPS)
    assert all(value >= 0 for p in (first, second) for value in p["mean_ms"].values())
    assert first["mean_ms"]["new terms"] > 0 and second["mean_ms"]["new terms"] == 0  # remembered
    assert first["mean_ms"]["parse"] > 0 and first["mean_ms"]["hits"] > 0
    for p in (first, second):  # the steps add up to the whole query
        assert sum(p["mean_ms"].values()) == pytest.approx(p["total"]["mean_ms"], rel=0.05, abs=0.01)


def test_instructions_reads_callgrinds_count_and_splits_it_per_step() -> None:
    stderr = "==1== Events    : Ir\n==1== Collected : 123\n==1==\n==2== Collected : 4567890\n"
    assert instructions.collected(stderr) == 4567890  # the last process's (a child's)
    with pytest.raises(RuntimeError):
        instructions.collected("valgrind: command not found")
    counts = {"setup": 1_000_000, "parse": 1_300_000, "rank": 2_500_000, "search": 2_800_000}
    assert instructions.per_query(counts, 100) == pytest.approx(
        {"parse": 3.0, "ranking": 12.0, "rest": 3.0, "total": 18.0})


def test_instructions_children_run_every_mode_and_main_reports_per_source(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    import diplosearch

    with diplosearch.open_index(tmp_path / "ix", create=True) as ix:
        ix.add_many(diplosearch.Document(id=doc_id, title=doc_id.title(), body=body) for doc_id, body in CORPUS)
        ix.make_score_table()
    queries = ["pajak kendaraan", "banjir jakarta", "pajak"]
    (tmp_path / "queries.json").write_text(json.dumps({"queries": queries}))
    (tmp_path / "set.json").write_text(json.dumps(queries))
    for mode in instructions.MODES:  # the child, without valgrind: the names it uses still exist
        proc = subprocess.run([sys.executable, "-c", instructions.CHILD, str(tmp_path / "ix"), str(tmp_path / "set.json"),
                               mode, "1"], capture_output=True, text=True, env=first_query.child_env(), timeout=120)
        assert proc.returncode == 0, proc.stderr
    monkeypatch.setattr(common, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(instructions.shutil, "which", lambda name: None)
    assert instructions.main(["--index", str(tmp_path / "ix")]) == 0
    assert not (tmp_path / "results").exists()  # skipped: nothing written
    made = {"setup": 0, "parse": 3_000, "rank": 9_000, "search": 12_000}
    seen: list[tuple[str, str]] = []

    def fake_count(valgrind: str, src: Path, index: Path, queries_file: Path, mode: str, wait: bool) -> int:
        seen.append((src.name, mode))
        assert wait and json.loads(queries_file.read_text("utf-8")) == queries[:2]
        return made[mode] * (2 if src.name == "b" else 1)

    monkeypatch.setattr(instructions.shutil, "which", lambda name: "/usr/bin/valgrind")
    monkeypatch.setattr(instructions, "count", fake_count)
    instructions.main(["--index", str(tmp_path / "ix"), "--limit", "2", "--src", f"one={tmp_path / 'a'}",
                       "--src", f"two={tmp_path / 'b'}", "--output", "ins.json"])
    assert seen == [(name, mode) for name in ("a", "b") for mode in instructions.MODES]
    result = json.loads((tmp_path / "results" / "ins.json").read_text("utf-8"))
    assert result["queries"] == 2 and result["score_table"] is True
    assert result["sources"]["one"]["k_per_query"] == {"parse": 1.5, "ranking": 3.0, "rest": 1.5, "total": 6.0}
    assert result["sources"]["two"]["k_per_query"]["total"] == 12.0


def test_worst_case_builds_its_heavy_queries_from_the_commonest_terms_and_times_each(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import diplosearch

    with diplosearch.open_index(tmp_path / "ix", create=True) as ix:
        ix.add_many(diplosearch.Document(id=doc_id, title=doc_id.title(), body=body) for doc_id, body in CORPUS)
        terms = worst_case.commonest_terms(ix, 6)
    assert len(terms) == 6 and all(term.isalpha() for term in terms)
    (tmp_path / "queries.json").write_text(json.dumps({"queries": ["pajak kendaraan", "banjir jakarta"]}))
    monkeypatch.setattr(common, "RESULTS_DIR", tmp_path / "results")
    worst_case.main(["--index", str(tmp_path / "ix"), "--output", "worst.json"])
    result = json.loads((tmp_path / "results" / "worst.json").read_text("utf-8"))
    cases = {case["case"]: case for case in result["cases"]}
    assert len(cases) == len(worst_case.cases(result["terms"]))
    assert all(case["first_ms"] > 0 and case["ratio"] == pytest.approx(case["first_ms"] / case["typical_p50_ms"])
               for case in cases.values())
    snippets = [case for case in cases.values() if case["options"]["snippets"]]
    assert snippets and all(case["typical_p50_ms"] == result["typical"]["top10_snippets"]["p50_ms"] for case in snippets)
    # the heavy queries are built from the index's own terms, so they find its documents
    assert cases[f"{len(result['terms'])} commonest terms"]["total"] > 0


def test_paired_latency_times_every_engine_on_every_query_and_rotates_who_goes_first(tmp_path: Path,
                                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tantivy")
    docs = [data.BenchDoc(doc_id, doc_id.title(), body) for doc_id, body in CORPUS]
    docs_file = tmp_path / "docs.jsonl"
    speed.write_docs(docs_file, docs)
    work = tmp_path / "speed-test"
    work.mkdir()
    for name in ("diplosearch", "tantivy"):
        speed.child_build(name, docs_file, work / f"{name}-{len(docs)}")
    queries = ["pajak kendaraan", "banjir rumah", "harimau sumatera", "kamera"]
    (work / "queries.json").write_text(json.dumps({"queries": queries, "phrases": []}), "utf-8")
    order: list[str] = []

    def recording(engine_class):  # type: ignore[no-untyped-def]
        real = engine_class.search

        def search(self, query, k=10, **options):  # type: ignore[no-untyped-def]
            order.append(engine_class.__name__)
            return real(self, query, k, **options)
        return search

    for engine_class in (engines.DiplosearchEngine, engines.TantivyEngine):
        monkeypatch.setattr(engine_class, "search", recording(engine_class))
    monkeypatch.setattr(common, "RESULTS_DIR", tmp_path / "results")
    assert paired_latency.main(["--work", str(work), "--docs", str(len(docs)), "--engines", "diplosearch,tantivy",
                                "--rounds", "2", "--output", "paired.json"]) == 0
    result = json.loads((tmp_path / "results" / "paired.json").read_text("utf-8"))
    assert result["score_table"] is False
    assert [sorted(r) for r in result["rounds"]] == [["diplosearch", "tantivy"]] * 2
    assert all(len(times) == len(queries) and min(times) > 0 for r in result["rounds"] for times in r.values())
    # per round: one untimed query each, then each query by both, the first engine alternating
    timed = [order[2 + 2 * n : 4 + 2 * n] for n in range(len(queries))]
    assert [pair[0] for pair in timed] == ["DiplosearchEngine", "TantivyEngine"] * 2
    assert all(sorted(pair) == ["DiplosearchEngine", "TantivyEngine"] for pair in timed)
    tantivy_pooled = [row for row in result["table"] if row["pass"] == "all rounds" and row["engine"] == "tantivy"]
    assert tantivy_pooled and tantivy_pooled[0]["p50 ratio"].endswith("x")


def test_median_ratio_interval_brackets_the_median() -> None:
    ours, theirs = [2.0, 4.0, 6.0, 8.0, 10.0] * 20, [1.0, 2.0, 2.0, 4.0, 5.0] * 20
    middle, low, high = paired_latency.median_ratio_interval(ours, theirs)
    assert middle == 2.0 and low <= middle <= high and low >= 2.0 and high <= 3.0


def test_benchmarks_skip_cleanly_without_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("DIPLOSEARCH_BENCH_DATA", str(tmp_path / "absent"))
    for main in (relevance.main, speed.main):
        with pytest.raises(SystemExit) as exit_info:
            main([])
        assert exit_info.value.code == 0
        assert "SKIPPED" in capsys.readouterr().out


def test_speed_measures_phrases_and_reports_search_options_it_cannot_use(tmp_path: Path) -> None:
    docs = [data.BenchDoc(doc_id, doc_id.title(), body, source="tempo.co", published="2019-09-16 00:00:00")
            for doc_id, body in CORPUS]
    docs_file = tmp_path / "docs.jsonl"
    data.write_docs(docs_file, docs)
    queries_file = tmp_path / "queries.json"
    queries_file.write_text(
        '{"queries": ["pajak kendaraan", "banjir rumah"], "phrases": ["\\"harimau sumatera\\"", "\\"kamera jebak\\""]}',
        "utf-8",
    )
    index = tmp_path / "ix"
    built = speed.child_build("diplosearch", docs_file, index, copies=3)
    assert built["docs"] == 3 * len(docs)  # copies get ids of their own, none replaced
    queried = speed.child_query("diplosearch", index, queries_file)
    assert queried["modes"]["phrase"]["queries"] == 2
    assert queried["modes"]["phrase"]["queries_without_hits"] == 0
    options = {"filtered", "newest first", "two facets"}
    # Each option is either measured or reported as unsupported, never both, never lost.
    assert set(queried["modes"]) & options | set(queried["unsupported"]) == options
    assert not set(queried["modes"]) & set(queried["unsupported"])
    run = {"engine": "diplosearch", "docs": built["docs"], "build": built, "index_bytes": 10**6,
           "query": {**queried, "time_to_first_query_ms": 1.0}}
    shown = speed.figures({"runs": [run]})
    assert "phrase query p50 ms" in shown
    if queried["unsupported"]:
        assert "n/a" in shown
    scaled = {**run, "copies": 3, "docs": 3 * built["docs"]}
    assert "growth" in speed.scale_table({"runs": [run, scaled]})


def test_scale_chart_is_written_into_a_results_directory_not_made_yet(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    run = {"engine": "diplosearch", "docs": 10, "build": {"docs_per_s": 100.0},
           "query": {"modes": {"top10": {"p50_ms": 1.0}}}}
    payload = {"runs": [run, {**run, "docs": 100}], "query_count": 2,
               "environment": {"cpu": "test cpu", "nproc": 2, "date": "2026-12-01T00:00:00"}}
    path = tmp_path / "results" / "fresh" / "speed_scale.png"  # as in a fresh clone: no results/
    assert speed.chart(payload, path) == path
    assert path.read_bytes().startswith(b"\x89PNG")


def test_copies_make_ids_unique_and_phrases_take_adjacent_content_words() -> None:
    docs = [data.BenchDoc("a", "Banjir Jakarta", "isi"), data.BenchDoc("b", "Gempa", "isi")]
    scaled = data.copies(docs, 3)
    assert len(scaled) == 6 and len({d.id for d in scaled}) == 6 and scaled[:2] == docs
    import random

    assert data.phrase_query("Banjir di Jakarta Utara", random.Random(1)) == '"jakarta utara"'  # "di" is a stop word
    assert data.phrase_query("Gempa", random.Random(1)) is None


def test_ranking_runs_name_rankings_the_sweep_defines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import ranking_sweep

    from diplosearch.scoring import BM25F_RANKING, WHOOSH_RANKING

    ablations = ranking_sweep.ablation_runs()
    assert all(label in ablations for label in relevance.RANKING_RUNS.values())
    runs = relevance.build_runs(list(relevance.RANKING_RUNS))
    assert runs["diplosearch-1.0-ranking"] == ("diplosearch", {"ranking": WHOOSH_RANKING})
    assert ablations["default (ranking.BM25F_RANKING)"] == BM25F_RANKING
    assert ranking_sweep.describe(BM25F_RANKING).startswith("bm25f k1=1.2 b=0.75 soft p=0.5")
    # the direct scorer ranks an index built through the public API
    engine = engines.make_engine("diplosearch", tmp_path / "ix")
    engine.build([data.BenchDoc(id="a", title="", body="Gunung meletus. Warga mengungsi."),
                  data.BenchDoc(id="b", title="", body="Pasar dibuka. Pedagang senang.")])
    try:
        assert engine.search("gunung meletus", 10, ranking=BM25F_RANKING) == ["a"]
    finally:
        engine.close()


# -- first-time analysis ----------------------------------------------------------------


def test_first_time_analysis_gives_each_item_once_to_a_fresh_function_each_pass() -> None:
    tokens = first_time_analysis.distinct_tokens(["Negara-negara ASEAN menegaskan", "ASEAN menegaskan peranan"])
    assert tokens == ["Negara-negara", "ASEAN", "menegaskan", "peranan"]
    assert first_time_analysis.distinct_words(tokens) == ["negara", "asean", "menegaskan", "peranan"]
    calls: list[list[str]] = []

    def make():  # type: ignore[no-untyped-def]
        calls.append([])
        return calls[-1].append

    result = first_time_analysis.measure(tokens, make, rounds=2)
    assert calls == [tokens] * 4  # two rounds of a throughput and a latency pass
    assert result["items"] == 4 and result["per_s"] > 0
    assert result["p50_us"] <= result["p90_us"] <= result["p99_us"]
