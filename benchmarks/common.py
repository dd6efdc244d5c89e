"""Shared pieces of the benchmarks: data loading, query clean-up, metrics, engine adapters.

Nothing here is part of diplosearch. The peers (bm25s, tantivy, PySastrawi, ...) come
from the ``bench`` extra and are imported only when an adapter is used, so the
metric functions and the diplosearch adapter work with the runtime dependencies alone.

Data lives outside the repository, in ``<repo>/../shared/data`` (override with
``$DIPLOSEARCH_BENCH_DATA``); :func:`require_data` exits with status 0 and a clear
message when it is absent.
"""

from __future__ import annotations

import csv
import ast
import gzip
import hashlib
import importlib.util
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "benchmarks"
RESULTS_DIR = BENCH_DIR / "results"
WORK_DIR = BENCH_DIR / "work"

# Make `import diplosearch` work from a plain checkout too (no editable install).
if importlib.util.find_spec("diplosearch") is None:
    sys.path.insert(0, str(REPO / "src"))
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))


SNAPSHOT_ENV = "DIPLOSEARCH_BENCH_SNAPSHOT"


def reexec_on_snapshot(argv: Sequence[str]) -> None:
    """With ``--snapshot`` in ``argv``: export the committed ``src/`` of HEAD to
    benchmarks/work/snapshot-<commit>/ and re-run this script on it.

    Others may be editing the working tree while a long benchmark runs; diplosearch's
    helper processes would then import newer code than their parent. A snapshot makes
    one run measure one commit.
    """
    if "--snapshot" not in argv or os.environ.get(SNAPSHOT_ENV):
        return
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    dest = WORK_DIR / f"snapshot-{commit[:12]}"
    if not (dest / "src" / "diplosearch" / "__init__.py").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "src"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    env = dict(os.environ)
    env[SNAPSHOT_ENV] = commit
    env["PYTHONPATH"] = str(dest / "src") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    script = str(Path(sys.argv[0]).resolve())
    args = [a for a in argv if a != "--snapshot"]
    print(f"running on a snapshot of commit {commit[:12]} ({dest / 'src'})", flush=True)
    os.execve(sys.executable, [sys.executable, script, *args], env)


def data_dir() -> Path:
    configured = os.environ.get("DIPLOSEARCH_BENCH_DATA")
    return Path(configured) if configured else REPO.parent / "shared" / "data"


CLICKID_FILE = "clickid/clickid_raw_articles.jsonl.gz"
FACQA_SPLITS = ("train", "valid", "test")


def require_data(*relative: str) -> Path:
    """The data directory; exits 0 with a message when it (or a needed file) is missing."""
    root = data_dir()
    missing = [r for r in relative if not (root / r).exists()]
    if not root.is_dir() or missing:
        what = root if not root.is_dir() else ", ".join(str(root / m) for m in missing)
        print(
            f"SKIPPED: benchmark data not found ({what}).\n"
            "The benchmarks read the CLICK-ID and FacQA files from <repo>/../shared/data "
            "(or $DIPLOSEARCH_BENCH_DATA); see benchmarks/README.md."
        )
        raise SystemExit(0)
    return root


def require_modules(names: Iterable[str]) -> None:
    """Exit 0 with a message when a needed bench extra is not installed."""
    missing = []
    for name in names:
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        print(
            f"SKIPPED: missing benchmark packages: {', '.join(missing)}. "
            'Install them with: pip install -e ".[bench]"'
        )
        raise SystemExit(0)


# ---------------------------------------------------------------------------------------
# Documents and data


@dataclass(frozen=True)
class BenchDoc:
    """One document as every engine receives it."""

    id: str
    title: str
    body: str
    source: str | None = None
    url: str | None = None

    @property
    def text_bytes(self) -> int:
        return len(self.title.encode("utf-8")) + len(self.body.encode("utf-8"))


# CLICK-ID joins paragraphs with "," right after the sentence end ("Riau.,Penangkapan").
_PARAGRAPH_JOIN = re.compile(r'(?<=[.!?"\u201d]),(?=\S)')


def clean_article_text(text: str) -> str:
    """diplosearch's own text repair (mojibake, odd spaces) plus CLICK-ID's paragraph joins."""
    from diplosearch.analysis.normalize import clean_text

    return _PARAGRAPH_JOIN.sub("\n", clean_text(text)).strip()


def load_clickid(root: Path | None = None) -> list[BenchDoc]:
    """All CLICK-ID articles in file order, text cleaned the same way for every engine."""
    root = root or data_dir()
    docs = []
    with gzip.open(root / CLICKID_FILE, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            docs.append(
                BenchDoc(
                    id=row["id"],
                    title=clean_article_text(row.get("title") or ""),
                    body=clean_article_text(row.get("content") or ""),
                    source=row.get("source") or None,
                    url=row.get("url") or None,
                )
            )
    return docs


def sample(items: Sequence, n: int | None, seed: int = 42) -> list:
    """A fixed-seed random sample of ``n`` items in their original order (all when n is None)."""
    if n is None or n >= len(items):
        return list(items)
    chosen = sorted(random.Random(seed).sample(range(len(items)), n))
    return [items[i] for i in chosen]


_SPACE_BEFORE = re.compile(r" +([.,;:?!%)\]}])")
_SPACE_AFTER = re.compile(r"([(\[{]) +")


def detokenize(tokens: Sequence[str]) -> str:
    """Join FacQA's token lists into readable text (no space before , . ? ) or after ( )."""
    text = " ".join(t for t in tokens if t)
    text = _SPACE_BEFORE.sub(r"\1", text)
    return _SPACE_AFTER.sub(r"\1", text)


@dataclass
class FacQA:
    passages: list[BenchDoc]
    queries: list[tuple[str, str, str]]  # (query id, question text, passage id)
    stats: dict[str, int] = field(default_factory=dict)


def load_facqa(root: Path | None = None, splits: Sequence[str] = FACQA_SPLITS) -> FacQA:
    """FacQA questions and their passages, identical passages merged into one document.

    Every question row becomes a query whose one relevant document is its passage;
    an exact duplicate (question, passage) row is kept once.
    """
    root = root or data_dir()
    passage_ids: dict[str, str] = {}
    passages: list[BenchDoc] = []
    queries: list[tuple[str, str, str]] = []
    seen_pairs: set[tuple[str, str]] = set()
    rows = duplicate_rows = 0
    for split in splits:
        with open(root / "facqa" / f"{split}_preprocess.csv", newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.DictReader(handle)):
                rows += 1
                question = detokenize(ast.literal_eval(row["question"]))
                passage = detokenize(ast.literal_eval(row["passage"]))
                if (question, passage) in seen_pairs:
                    duplicate_rows += 1
                    continue
                seen_pairs.add((question, passage))
                pid = passage_ids.get(passage)
                if pid is None:
                    pid = passage_ids[passage] = f"facqa-p{len(passages):04d}"
                    passages.append(BenchDoc(id=pid, title="", body=passage))
                queries.append((f"{split}-{number}", question, pid))
    stats = {"rows": rows, "duplicate_rows": duplicate_rows, "queries": len(queries), "passages": len(passages)}
    return FacQA(passages, queries, stats)


# ---------------------------------------------------------------------------------------
# Queries


def query_words(text: str) -> list[str]:
    """The words of a query as diplosearch's tokenizer finds them, normalised (lower case)."""
    from diplosearch.analysis.analyzer import MAX_TOKEN_CHARS, TOKEN_PATTERN
    from diplosearch.analysis.normalize import normalize_token

    return [normalize_token(m.group()) for m in TOKEN_PATTERN.finditer(text) if len(m.group()) <= MAX_TOKEN_CHARS]


#: How a hyphenated query word (undang-undang, go-food, 2019-2020) reaches the engines.
HYPHENS = ("quote", "keep", "split")


def clean_query(text: str, hyphens: str = "quote") -> str:
    """The one query string every engine gets: the words of ``text`` joined by spaces.

    No quotes, colons, parentheses, ``^``, leading ``-`` or upper-case ``AND``/``OR``/``NOT``
    survive, so no engine's query syntax is triggered by accident. A word with a hyphen
    inside is, by ``hyphens``:

    - ``quote`` (default): wrapped in double quotes, the only escape Whoosh's query
      syntax has (stock Whoosh reads an inner ``-`` as NOT; diplosearch did too before
      its parser was fixed, see benchmarks/README.md); peers that take tokens ignore
      the quotes;
    - ``keep``: left as typed;
    - ``split``: split into its parts.
    """
    if hyphens not in HYPHENS:
        raise ValueError(hyphens)
    words = query_words(text)
    if hyphens == "split":
        words = [part for word in words for part in word.split("-") if part]
    elif hyphens == "quote":
        words = [f'"{w}"' if "-" in w else w for w in words]
    return " ".join(words)


def has_hyphenated_word(text: str) -> bool:
    return any("-" in w for w in query_words(text))


def keyword_query(title: str, length: int) -> str:
    """A short "key words of a title" query: its first ``length`` words that are not stop
    words, cleaned like :func:`clean_query`."""
    from diplosearch.analysis.stopwords import default_stopwords

    stops = default_stopwords()
    words = [w for w in query_words(title) if w not in stops][:length]
    return clean_query(" ".join(words))


# ---------------------------------------------------------------------------------------
# Metrics


def reciprocal_rank(ranking: Sequence[str], relevant: set[str] | frozenset[str], k: int = 10) -> float:
    """1/rank of the first relevant id within the top ``k``, else 0."""
    for rank, doc_id in enumerate(ranking[:k], start=1):
        if doc_id in relevant:
            return 1.0 / rank
    return 0.0


def recall_at(ranking: Sequence[str], relevant: set[str] | frozenset[str], k: int) -> float:
    """Share of the relevant ids found in the top ``k``."""
    if not relevant:
        return 0.0
    return len(set(ranking[:k]) & set(relevant)) / len(relevant)


def evaluate(rankings: Sequence[Sequence[str]], relevants: Sequence[set[str]]) -> dict[str, float]:
    """Mean MRR@10, Recall@10 and Recall@100 over queries (a query with no ranking scores 0)."""
    if len(rankings) != len(relevants):
        raise ValueError("one ranking per query is needed")
    n = len(rankings)
    if n == 0:
        return {"queries": 0, "mrr@10": 0.0, "mrr@10_ci95": 0.0, "recall@10": 0.0, "recall@100": 0.0}
    mrr, half_width = mean_ci95([reciprocal_rank(r, rel, 10) for r, rel in zip(rankings, relevants)])
    return {
        "queries": n,
        "mrr@10": mrr,
        "mrr@10_ci95": half_width,
        "recall@10": sum(recall_at(r, rel, 10) for r, rel in zip(rankings, relevants)) / n,
        "recall@100": sum(recall_at(r, rel, 100) for r, rel in zip(rankings, relevants)) / n,
    }


def mean_ci95(values: Sequence[float]) -> tuple[float, float]:
    """The mean of ``values`` and the half-width of its normal 95% confidence interval
    (sampling error only; 0 with fewer than two values)."""
    n = len(values)
    if n == 0:
        return 0.0, 0.0
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    variance = sum((x - mean) ** 2 for x in values) / (n - 1)
    return mean, 1.96 * (variance / n) ** 0.5


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation, like numpy's default."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


# ---------------------------------------------------------------------------------------
# Shared analysis for peers without an Indonesian analyzer


class SastrawiStemmer:
    """PySastrawi's dictionary-based stemmer behind diplosearch's stemmer interface.

    Sastrawi stems about 4,300 words/s, so every distinct word is stemmed once and
    cached (unbounded: a 22k-article corpus has some 10^5 distinct words). Words with
    digits or apostrophes are kept as they are: Sastrawi would split them.
    """

    name = "sastrawi"
    _STEMMABLE = re.compile(r"[a-z]+(?:-[a-z]+)*")

    def __init__(self) -> None:
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

        self.version = f"sastrawi-{_version('PySastrawi')}"
        # The uncached inner stemmer: the cache below is ours, so its size can be reported.
        self._stemmer = StemmerFactory().create_stemmer().delegatedStemmer
        self.cache: dict[str, str] = {}

    def stem(self, word: str) -> str:
        cached = self.cache.get(word)
        if cached is None:
            cached = self._stemmer.stem_word(word) if self._STEMMABLE.fullmatch(word) else word
            self.cache[word] = cached or word
        return cached or word

    def is_root(self, word: str) -> bool:
        return False


def peer_analyzer(stemmer: str = "pystemmer"):
    """The analyzer whose tokens peers receive: diplosearch's tokenizer, normalisation,
    reduplication folding and stop words, with PyStemmer's ``indonesian`` stems
    (or Sastrawi's)."""
    from diplosearch.analysis.analyzer import IndonesianAnalyzer
    from diplosearch.analysis.stemmer import SnowballStemmer

    if stemmer == "pystemmer":
        return IndonesianAnalyzer(stemmer=SnowballStemmer())
    if stemmer == "sastrawi":
        return IndonesianAnalyzer(stemmer=SastrawiStemmer())
    raise ValueError(stemmer)


def terms(analyzer, text: str) -> list[str]:
    return [t.term for t in analyzer.tokens(text)]


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------------------------------
# Engines
#
# Every adapter: build(docs) creates the index at self.path and commits it; open() opens
# an existing one; search(query, k) returns ranked ids; add(docs) adds documents to an
# open index (when supports_add); close(). Queries arrive already cleaned by clean_query.

#: Field weights of diplosearch (title 3, body 1); FTS5, tantivy and stock Whoosh get the same.
TITLE_BOOST = 3.0
BODY_BOOST = 1.0


class Engine:
    name = "?"
    supports_add = False
    supports_snippets = False

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.analysis_seconds = 0.0  # time spent in our Python analysis (pre-stemming) while building

    def build(self, docs: Sequence[BenchDoc]) -> None:
        raise NotImplementedError

    def open(self) -> None:
        raise NotImplementedError

    def search(self, query: str, k: int = 10, snippets: bool = False) -> list[str]:
        raise NotImplementedError

    def add(self, docs: Sequence[BenchDoc]) -> None:
        raise NotImplementedError(f"{self.name} cannot add documents to an existing index")

    def close(self) -> None:
        pass

    def describe(self) -> dict[str, object]:
        return {"name": self.name}


class DiplosearchEngine(Engine):
    """diplosearch itself; ``analyzer_options`` switch pieces of analysis off."""

    supports_add = True
    supports_snippets = True

    def __init__(
        self, path: Path, stemmer: str = "default", stopwords: bool = True, reduplication: bool = True,
        coordination: bool = True, name: str = "diplosearch", workers: int | None = None,
    ) -> None:
        super().__init__(path)
        self.name = name
        self.workers = workers  # add_many's helper processes; None = diplosearch's default
        self.stemmer = stemmer
        self.stopwords = stopwords
        self.reduplication = reduplication
        self.coordination = coordination
        self.index = None

    def analyzer(self):
        from diplosearch.analysis.analyzer import IndonesianAnalyzer
        from diplosearch.analysis.stemmer import NoStemmer, SnowballStemmer

        kwargs: dict[str, object] = {}
        if self.stemmer == "none":
            kwargs["stemmer"] = NoStemmer()
        elif self.stemmer == "pystemmer":
            kwargs["stemmer"] = SnowballStemmer()
        elif self.stemmer != "default":
            raise ValueError(self.stemmer)
        if not self.stopwords:
            kwargs["stopwords"] = frozenset()
        if not self.reduplication:
            kwargs["fold_reduplication"] = False
        return IndonesianAnalyzer(**kwargs)

    @staticmethod
    def to_document(doc: BenchDoc):
        import diplosearch

        return diplosearch.Document(id=doc.id, title=doc.title, body=doc.body, source=doc.source, url=doc.url)

    def build(self, docs: Sequence[BenchDoc]) -> None:
        import diplosearch

        self.index = diplosearch.open_index(self.path, create=True, analyzer=self.analyzer())
        self.add(docs)

    def open(self) -> None:
        import diplosearch

        self.index = diplosearch.open_index(self.path, analyzer=self.analyzer())

    def search(self, query: str, k: int = 10, snippets: bool = False, coordination: bool | None = None) -> list[str]:
        coordination = self.coordination if coordination is None else coordination
        res = self.index.search(query, limit=k, snippets=2 if snippets else 0, coordination=coordination)
        return [hit.id for hit in res.hits]

    def add(self, docs: Sequence[BenchDoc]) -> None:
        options = {} if self.workers is None else {"workers": self.workers}
        self.index.add_many((self.to_document(d) for d in docs), **options)

    def close(self) -> None:
        if self.index is not None:
            self.index.close()
            self.index = None

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "analysis_version": self.analyzer().version,
            "stemmer": self.stemmer,
            "stopwords": self.stopwords,
            "reduplication": self.reduplication,
            "coordination": self.coordination,
        }


class WhooshStockEngine(Engine):
    """Plain Whoosh: StemmingAnalyzer (regex tokens, lower case, English stop words,
    Porter stemmer), BM25F, title boosted 3x, words OR-ed (Whoosh's default is AND,
    which would sink long title/question queries)."""

    name = "whoosh-stock"
    supports_add = True
    supports_snippets = True

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.ix = None
        self.searcher = None
        self.parser = None

    def _schema(self):
        from whoosh import fields
        from whoosh.analysis import StemmingAnalyzer

        return fields.Schema(
            id=fields.ID(stored=True, unique=True),
            title=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True),
            body=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True),
        )

    def build(self, docs: Sequence[BenchDoc]) -> None:
        import whoosh.index

        self.path.mkdir(parents=True, exist_ok=True)
        self.ix = whoosh.index.create_in(str(self.path), self._schema())
        writer = self.ix.writer()
        for d in docs:
            writer.add_document(id=d.id, title=d.title, body=d.body)
        writer.commit()

    def open(self) -> None:
        import whoosh.index

        self.ix = whoosh.index.open_dir(str(self.path))

    def _ready(self) -> None:
        from whoosh import qparser, scoring

        if self.searcher is None:
            self.searcher = self.ix.searcher(weighting=scoring.BM25F())
            self.parser = qparser.MultifieldParser(
                ["title", "body"], self.ix.schema, fieldboosts={"title": TITLE_BOOST, "body": BODY_BOOST},
                group=qparser.OrGroup,
            )
        elif not self.searcher.up_to_date():
            self.searcher = self.searcher.refresh()

    def search(self, query: str, k: int = 10, snippets: bool = False) -> list[str]:
        self._ready()
        results = self.searcher.search(self.parser.parse(query), limit=k)
        if snippets:
            for hit in results:
                hit.highlights("body", top=2)
        return [hit["id"] for hit in results]

    def add(self, docs: Sequence[BenchDoc]) -> None:
        writer = self.ix.writer()
        for d in docs:
            writer.update_document(id=d.id, title=d.title, body=d.body)
        writer.commit()

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
            self.searcher = None
        if self.ix is not None:
            self.ix.close()
            self.ix = None

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "analyzer": "whoosh.analysis.StemmingAnalyzer()", "scoring": "BM25F", "group": "OR"}


class _PreStemmed(Engine):
    """Peers fed diplosearch's tokens with PyStemmer (or Sastrawi) stems."""

    stemmer_name = "pystemmer"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.analyzer = peer_analyzer(self.stemmer_name)

    def doc_terms(self, doc: BenchDoc) -> tuple[list[str], list[str]]:
        start = time.perf_counter()
        result = terms(self.analyzer, doc.title), terms(self.analyzer, doc.body)
        self.analysis_seconds += time.perf_counter() - start
        return result

    def query_terms(self, query: str) -> list[str]:
        return unique(terms(self.analyzer, query))

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "analysis_version": self.analyzer.version}


class Bm25sEngine(_PreStemmed):
    """bm25s (BM25, Lucene variant, k1=1.5 b=0.75, numpy backend). One field: title and
    body terms together (bm25s has no fields); no incremental add (it re-indexes)."""

    name = "bm25s"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.retriever = None
        self.ids: list[str] = []

    def build(self, docs: Sequence[BenchDoc]) -> None:
        import bm25s

        corpus = []
        for d in docs:
            title, body = self.doc_terms(d)
            corpus.append(title + body)
        self.ids = [d.id for d in docs]
        self.retriever = bm25s.BM25()
        self.retriever.index(corpus, show_progress=False)
        self.path.mkdir(parents=True, exist_ok=True)
        self.retriever.save(str(self.path), show_progress=False)
        (self.path / "ids.json").write_text(json.dumps(self.ids), "utf-8")

    def open(self) -> None:
        import bm25s

        self.retriever = bm25s.BM25.load(str(self.path), show_progress=False)
        self.ids = json.loads((self.path / "ids.json").read_text("utf-8"))

    def search(self, query: str, k: int = 10, snippets: bool = False) -> list[str]:
        vocab = self.retriever.vocab_dict
        ids = [vocab[t] for t in self.query_terms(query) if t in vocab]
        if not ids:
            return []
        k = min(k, len(self.ids))
        docs, scores = self.retriever.retrieve([ids], k=k, show_progress=False, n_threads=1)
        return [self.ids[int(i)] for i, s in zip(docs[0], scores[0]) if s > 0]

    def describe(self) -> dict[str, object]:
        info = super().describe()
        info.update({"k1": 1.5, "b": 0.75, "method": "lucene", "fields": "title+body as one"})
        return info


class SastrawiBm25sEngine(Bm25sEngine):
    name = "sastrawi-bm25s"
    stemmer_name = "sastrawi"

    def describe(self) -> dict[str, object]:
        info = super().describe()
        info["distinct_words_stemmed"] = len(self.analyzer.stemmer.cache)
        return info


class TantivyEngine(_PreStemmed):
    """tantivy with pre-stemmed text in whitespace-tokenised fields; queries are an OR of
    term queries, title boosted 3x (tantivy sums per-field BM25, k1=1.2 b=0.75).
    Writer: tantivy's own choice of threads (num_threads=0), 128 MB heap in all (Whoosh's
    default writer memory)."""

    name = "tantivy"
    supports_add = True

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.index = None
        self.schema = None

    def _schema(self):
        import tantivy

        sb = tantivy.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        sb.add_text_field("title", tokenizer_name="whitespace")
        sb.add_text_field("body", tokenizer_name="whitespace")
        return sb.build()

    def _write(self, docs: Sequence[BenchDoc]) -> None:
        import tantivy

        writer = self.index.writer(heap_size=128_000_000, num_threads=0)
        for d in docs:
            title, body = self.doc_terms(d)
            writer.add_document(tantivy.Document(id=d.id, title=" ".join(title), body=" ".join(body)))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()

    def build(self, docs: Sequence[BenchDoc]) -> None:
        import tantivy

        self.path.mkdir(parents=True, exist_ok=True)
        self.schema = self._schema()
        self.index = tantivy.Index(self.schema, path=str(self.path))
        self._write(docs)

    def open(self) -> None:
        import tantivy

        self.index = tantivy.Index.open(str(self.path))
        self.schema = self.index.schema

    def add(self, docs: Sequence[BenchDoc]) -> None:
        self._write(docs)

    def search(self, query: str, k: int = 10, snippets: bool = False) -> list[str]:
        import tantivy

        clauses = []
        for term in self.query_terms(query):
            for field_name, boost in (("title", TITLE_BOOST), ("body", BODY_BOOST)):
                q = tantivy.Query.term_query(self.schema, field_name, term)
                clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(q, boost)))
        if not clauses:
            return []
        searcher = self.index.searcher()
        result = searcher.search(tantivy.Query.boolean_query(clauses), k)
        return [searcher.doc(address)["id"][0] for _score, address in result.hits]


class Fts5Engine(_PreStemmed):
    """SQLite FTS5 (stdlib sqlite3): a contentless table of pre-stemmed title and body,
    tokens kept whole (unicode61 with - . , ' as token characters), ranked by
    ``bm25(docs, 3.0, 1.0)`` (k1=1.2 b=0.75), the query an OR of quoted terms."""

    name = "sqlite-fts5"
    supports_add = True
    TABLE = (
        "CREATE VIRTUAL TABLE docs USING fts5(title, body, content='', "
        "tokenize=\"unicode61 remove_diacritics 0 tokenchars '-.,'''\")"
    )

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.db = None

    @property
    def file(self) -> Path:
        return self.path / "fts5.sqlite"

    def _insert(self, docs: Sequence[BenchDoc]) -> None:
        cur = self.db.cursor()
        start = cur.execute("SELECT COALESCE(MAX(rowid), 0) FROM ids").fetchone()[0]
        for offset, d in enumerate(docs, start=1):
            title, body = self.doc_terms(d)
            cur.execute("INSERT INTO ids(rowid, id) VALUES (?, ?)", (start + offset, d.id))
            cur.execute(
                "INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)", (start + offset, " ".join(title), " ".join(body))
            )
        self.db.commit()

    def build(self, docs: Sequence[BenchDoc]) -> None:
        import sqlite3

        self.path.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.file))
        self.db.execute("CREATE TABLE ids(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL)")
        self.db.execute(self.TABLE)
        self._insert(docs)

    def open(self) -> None:
        import sqlite3

        self.db = sqlite3.connect(str(self.file))

    def add(self, docs: Sequence[BenchDoc]) -> None:
        self._insert(docs)

    def search(self, query: str, k: int = 10, snippets: bool = False) -> list[str]:
        qterms = self.query_terms(query)
        if not qterms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in qterms)
        rows = self.db.execute(
            f"SELECT ids.id FROM docs JOIN ids ON ids.rowid = docs.rowid WHERE docs MATCH ? "
            f"ORDER BY bm25(docs, {TITLE_BOOST}, {BODY_BOOST}) LIMIT ?",
            (match, k),
        ).fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def describe(self) -> dict[str, object]:
        import sqlite3

        info = super().describe()
        info["sqlite"] = sqlite3.sqlite_version
        return info


def _diplo(**options: object) -> Callable[[Path], Engine]:
    return lambda path: DiplosearchEngine(path, **options)  # type: ignore[arg-type]


#: Every engine the benchmarks know, by name. Ablations are diplosearch with one piece off.
ENGINES: dict[str, Callable[[Path], Engine]] = {
    "diplosearch": _diplo(name="diplosearch"),
    "diplosearch-nostem": _diplo(name="diplosearch-nostem", stemmer="none"),
    "diplosearch-pystemmer": _diplo(name="diplosearch-pystemmer", stemmer="pystemmer"),
    "diplosearch-nostop": _diplo(name="diplosearch-nostop", stopwords=False),
    "diplosearch-noredup": _diplo(name="diplosearch-noredup", reduplication=False),
    "whoosh-stock": WhooshStockEngine,
    "bm25s": Bm25sEngine,
    "tantivy": TantivyEngine,
    "sqlite-fts5": Fts5Engine,
    "sastrawi-bm25s": SastrawiBm25sEngine,
}

#: The bench extra each engine needs, if any.
ENGINE_MODULES: dict[str, tuple[str, ...]] = {
    "bm25s": ("bm25s",),
    "tantivy": ("tantivy",),
    "sastrawi-bm25s": ("bm25s", "Sastrawi"),
}

PEERS = ("whoosh-stock", "bm25s", "tantivy", "sqlite-fts5", "sastrawi-bm25s")


def engine_available(name: str) -> bool:
    for module in ENGINE_MODULES.get(name, ()):
        try:
            __import__(module)
        except ImportError:
            return False
    return True


def make_engine(name: str, path: Path) -> Engine:
    return ENGINES[name](path)


# ---------------------------------------------------------------------------------------
# Environment and output


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, object]:
    """Date, machine and versions, recorded with every result."""
    import sqlite3

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    packages = {
        dist: _version(dist)
        for dist in ("diplosearch", "whoosh-reloaded", "PyStemmer", "attrs", "bm25s", "tantivy", "PySastrawi", "numpy", "scipy", "matplotlib")
    }
    packages["sqlite"] = sqlite3.sqlite_version
    try:
        import diplosearch
        from diplosearch.analysis.analyzer import IndonesianAnalyzer

        analysis = IndonesianAnalyzer().version
        diplosearch_path = str(Path(diplosearch.__file__).resolve().parent)
    except Exception as exc:  # pragma: no cover - reported, not fatal
        analysis = f"unavailable: {exc}"
        diplosearch_path = None
    try:
        dirty = bool(
            subprocess.run(
                ["git", "-C", str(REPO), "status", "--porcelain", "src"], capture_output=True, text=True, check=True
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        dirty = None
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        # Other work on the machine skews timings; the 1-minute load average says how busy it was.
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "git_commit": commit,
        "nproc": os.cpu_count(),
        "ram_gb": ram_gb,
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": packages,
        "diplosearch_analysis_version": analysis,
        "diplosearch_path": diplosearch_path,
        # The commit measured: a --snapshot of HEAD, else the working tree (src_dirty: with uncommitted edits).
        "snapshot_commit": os.environ.get(SNAPSHOT_ENV),
        "src_dirty": None if os.environ.get(SNAPSHOT_ENV) else dirty,
    }


def write_json(name: str, payload: dict[str, object]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / name
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
    return path


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table (readable in a terminal too)."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    # Text columns are left-aligned, numbers right-aligned.
    def looks_numeric(value: object) -> bool:
        if value is None or isinstance(value, (int, float)):
            return True
        text = str(value)
        return text == "" or bool(re.match(r"^[±+\-]?\d", text))

    numeric = [i > 0 and all(looks_numeric(row[i]) for row in rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)) + " |"

    sep = "|" + "|".join("-" * (w + 1) + (":" if num else "-") for w, num in zip(widths, numeric)) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in cells)])


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        if value != value:
            return "n/a"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3f}"
    return str(value)


def fresh_dir(name: str) -> Path:
    """A new, empty working directory of its own under benchmarks/work/ (git-ignored).

    Unique per call, so two benchmark runs at the same time never remove each other's
    indexes.
    """
    import tempfile

    WORK_DIR.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=WORK_DIR))


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def digest(items: Iterable[str]) -> str:
    h = hashlib.sha1()
    for item in items:
        h.update(item.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:12]


def iter_batches(items: Sequence, size: int) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
