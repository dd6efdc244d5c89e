"""The search engines under test, behind one small interface (:class:`Engine`).

diplosearch itself and its ablations (one piece of analysis switched off), stock
Whoosh, bm25s, tantivy, SQLite FTS5 and bm25s with Sastrawi stems. The peers come from
the ``bench`` extra and are imported only when their adapter is used, so the
diplosearch adapter works with the runtime dependencies alone.

Peers without an Indonesian analyzer are given diplosearch's tokens with PyStemmer
(or Sastrawi) stems, so the comparison is of engines and ranking, not of tokenisers.
diplosearch is used through its public API only (``open_index``, ``Document``,
``Index.search``/``add_many``); the ablations pick stemmers from ``diplosearch.analysis``.
"""

from __future__ import annotations

import inspect
import json
import re
import time
from pathlib import Path
from typing import Callable, Iterable, Sequence

from common import package_version
from data import BenchDoc

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

        self.version = f"sastrawi-{package_version('PySastrawi')}"
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


def peer_analyzer(stemmer: str = "pystemmer"):  # type: ignore[no-untyped-def]
    """The analyzer whose tokens peers receive: diplosearch's tokenizer, normalisation,
    reduplication folding and stop words, with PyStemmer's ``indonesian`` stems
    (or Sastrawi's)."""
    from diplosearch import IndonesianAnalyzer
    from diplosearch.analysis.stemmer import SnowballStemmer

    if stemmer == "pystemmer":
        return IndonesianAnalyzer(stemmer=SnowballStemmer())
    if stemmer == "sastrawi":
        return IndonesianAnalyzer(stemmer=SastrawiStemmer())
    raise ValueError(stemmer)


def terms(analyzer, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The index terms ``analyzer`` makes of ``text``, in order."""
    return [t.term for t in analyzer.tokens(text)]


def unique(items: Iterable[str]) -> list[str]:
    """``items`` without repeats, first occurrence kept."""
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------------------------------
# Engines

#: Field weights of diplosearch (title 3, body 1); FTS5, tantivy and stock Whoosh get the same.
TITLE_BOOST = 3.0
BODY_BOOST = 1.0


class Engine:
    """The interface of every adapter: build(docs) creates the index at self.path and
    commits it; open() opens an existing one; search(query, k) returns ranked ids;
    phrase(query, k) the same for a quoted phrase; add(docs) adds documents to an open
    index; close(). Queries arrive cleaned by data.clean_query or data.phrase_query."""

    name = "?"
    supports_add = False
    supports_snippets = False
    supports_phrases = False

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.analysis_seconds = 0.0  # time spent in our Python analysis (pre-stemming) while building

    def build(self, docs: Sequence[BenchDoc]) -> None:
        raise NotImplementedError

    def open(self) -> None:
        raise NotImplementedError

    def search(self, query: str, k: int = 10, snippets: bool = False) -> list[str]:
        raise NotImplementedError

    def phrase(self, query: str, k: int = 10) -> list[str]:
        """Ranked ids of the documents holding the quoted phrase ``query`` (``"a b"``).

        Engines whose query syntax has phrases (diplosearch, Whoosh) take it as it is.
        """
        if not self.supports_phrases:
            raise NotImplementedError(f"{self.name} has no phrase queries")
        return self.search(query, k)

    def add(self, docs: Sequence[BenchDoc]) -> None:
        raise NotImplementedError(f"{self.name} cannot add documents to an existing index")

    def close(self) -> None:
        pass

    def describe(self) -> dict[str, object]:
        return {"name": self.name}


class DiplosearchEngine(Engine):
    """diplosearch itself; ``stemmer``, ``stopwords`` and ``reduplication`` switch pieces of analysis off."""

    supports_add = True
    supports_snippets = True
    supports_phrases = True

    def __init__(
        self, path: Path, stemmer: str = "default", stopwords: bool = True, reduplication: bool = True,
        coordination: bool = True, name: str = "diplosearch", workers: int | None = None,
        ingest: str = "documents",
    ) -> None:
        super().__init__(path)
        self.name = name
        # "documents": Document(title=, body=) as given; "files": the body parsed as
        # add_files parses an article file (quotations and captions found, a title derived)
        self.ingest = ingest
        self.workers = workers  # add_many's helper processes; None = diplosearch's default
        self.stemmer = stemmer
        self.stopwords = stopwords
        self.reduplication = reduplication
        self.coordination = coordination
        self.index = None
        self._direct = None  # a ranking_sweep.DirectScorer, made on first use
        self._ranking_accepted: bool | None = None

    def analyzer(self):  # type: ignore[no-untyped-def]
        from diplosearch import IndonesianAnalyzer
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

    def to_document(self, doc: BenchDoc):
        import diplosearch

        if self.ingest == "files":
            from diplosearch.errors import DocumentError
            from diplosearch.ingest.article import parse_article

            try:
                return parse_article(doc.body, id=doc.id, source=doc.source)
            except DocumentError:  # nothing but boilerplate: index it as given, like the other engines
                pass
        return diplosearch.Document(
            id=doc.id, title=doc.title, body=doc.body, source=doc.source, url=doc.url, published=doc.published
        )

    def build(self, docs: Sequence[BenchDoc]) -> None:
        import diplosearch

        self.index = diplosearch.open_index(self.path, create=True, analyzer=self.analyzer())
        self.add(docs)

    def open(self) -> None:
        import diplosearch

        self.index = diplosearch.open_index(self.path, analyzer=self.analyzer())

    def search(
        self, query: str, k: int = 10, snippets: bool = False, coordination: bool | None = None, **options: object
    ) -> list[str]:
        """Ranked ids; ``options`` go to ``Index.search`` as they are (filters, sort, facets).

        ``ranking=`` (a ``diplosearch.ranking.Ranking``) is scored directly over the
        columns (``ranking_sweep.DirectScorer``) while ``Index.search`` does not take it.
        """
        ranking = options.get("ranking")
        if ranking is not None and not self._takes_ranking():
            if self._direct is None:
                import ranking_sweep

                self._direct = ranking_sweep.DirectScorer(self.index)
            return self._direct.ranked_ids(self._direct.parse(query), ranking, k)
        if ranking is None:  # a ranking carries its own coordination rule
            options["coordination"] = self.coordination if coordination is None else coordination
        res = self.index.search(query, limit=k, snippets=2 if snippets else 0, **options)
        return [hit.id for hit in res.hits]

    def _takes_ranking(self) -> bool:
        if self._ranking_accepted is None:
            import diplosearch

            self._ranking_accepted = "ranking" in inspect.signature(diplosearch.Index.search).parameters
        return self._ranking_accepted

    def accepts(self, **options: object) -> bool:
        """Whether this diplosearch's ``Index.search`` takes the keyword ``options``.

        Filters, sort and facets are a later issue's work: a benchmark asks first, and
        reports "n/a" rather than failing on an older diplosearch. A parameter named in
        the signature counts; behind a bare ``**options`` a trial search decides.
        """
        import diplosearch

        parameters = inspect.signature(diplosearch.Index.search).parameters
        if all(name in parameters for name in options):
            return True
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            return False
        try:
            self.index.search("indonesia", limit=1, **options)
        except (TypeError, diplosearch.DiplosearchError):
            return False
        return True

    def add(self, docs: Sequence[BenchDoc]) -> None:
        options = {} if self.workers is None else {"workers": self.workers}
        self.index.add_many((self.to_document(d) for d in docs), **options)

    def close(self) -> None:
        self._direct = None
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
    supports_phrases = True

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
    supports_phrases = True

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
        return self._top(tantivy.Query.boolean_query(clauses), k)

    def phrase(self, query: str, k: int = 10) -> list[str]:
        import tantivy

        words = terms(self.analyzer, query)
        if len(words) < 2:
            return self.search(query, k)
        clauses = [
            (tantivy.Occur.Should, tantivy.Query.boost_query(tantivy.Query.phrase_query(self.schema, field_name, words), boost))
            for field_name, boost in (("title", TITLE_BOOST), ("body", BODY_BOOST))
        ]
        return self._top(tantivy.Query.boolean_query(clauses), k)

    def _top(self, query, k: int) -> list[str]:  # type: ignore[no-untyped-def]
        searcher = self.index.searcher()
        result = searcher.search(query, k)
        return [searcher.doc(address)["id"][0] for _score, address in result.hits]


class Fts5Engine(_PreStemmed):
    """SQLite FTS5 (stdlib sqlite3): a contentless table of pre-stemmed title and body,
    tokens kept whole (unicode61 with - . , ' as token characters), ranked by
    ``bm25(docs, 3.0, 1.0)`` (k1=1.2 b=0.75), the query an OR of quoted terms."""

    name = "sqlite-fts5"
    supports_add = True
    supports_phrases = True
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
        return self._top(" OR ".join(_fts5_string(t) for t in qterms), k)

    def phrase(self, query: str, k: int = 10) -> list[str]:
        # One FTS5 string of several terms is a phrase: "a b" matches them adjacent, in order.
        words = terms(self.analyzer, query)
        return self._top(_fts5_string(" ".join(words)), k) if words else []

    def _top(self, match: str, k: int) -> list[str]:
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


def _fts5_string(text: str) -> str:
    """``text`` as an FTS5 string literal (double quotes doubled)."""
    return '"' + text.replace('"', '""') + '"'


def _diplo(**options: object) -> Callable[[Path], Engine]:
    return lambda path: DiplosearchEngine(path, **options)  # type: ignore[arg-type]


#: Every engine the benchmarks know, by name. Ablations are diplosearch with one piece off.
ENGINES: dict[str, Callable[[Path], Engine]] = {
    "diplosearch": _diplo(name="diplosearch"),
    "diplosearch-files": _diplo(name="diplosearch-files", ingest="files"),
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

def engine_available(name: str) -> bool:
    """Whether the bench extras engine ``name`` needs are installed."""
    for module in ENGINE_MODULES.get(name, ()):
        try:
            __import__(module)
        except ImportError:
            return False
    return True


def make_engine(name: str, path: Path) -> Engine:
    """A new adapter of engine ``name`` for an index at ``path`` (nothing opened yet)."""
    return ENGINES[name](path)
