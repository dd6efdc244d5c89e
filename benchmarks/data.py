"""The benchmarks' evaluation data: CLICK-ID articles, FacQA questions, samples and queries.

Data lives outside the repository, in ``<repo>/../shared/data`` (override with
``$DIPLOSEARCH_BENCH_DATA``); :func:`require_data` exits with status 0 and a clear
message when it is absent.

Every engine receives the same documents (:class:`BenchDoc`) and the same query
strings (:func:`clean_query`, :func:`keyword_query`, :func:`phrase_query`), so no
engine's query syntax is triggered by accident and the comparison stays fair. The
query helpers use diplosearch's tokenizer and stop words: they are imported here and
nowhere else in the benchmarks, so a move inside ``diplosearch.analysis`` touches one file.
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import gzip
import json
import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

from common import REPO

CLICKID_FILE = "clickid/clickid_raw_articles.jsonl.gz"
FACQA_SPLITS = ("train", "valid", "test")


def data_dir() -> Path:
    """Where the evaluation data is: ``$DIPLOSEARCH_BENCH_DATA`` or ``<repo>/../shared/data``."""
    configured = os.environ.get("DIPLOSEARCH_BENCH_DATA")
    return Path(configured) if configured else REPO.parent / "shared" / "data"


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


# ---------------------------------------------------------------------------------------
# Documents


@dataclass(frozen=True)
class BenchDoc:
    """One document as every engine receives it.

    ``published`` is CLICK-ID's date string (``2019-10-09 00:00:00``); diplosearch stores
    it, so that date filters, newest-first sorting and year facets have something to
    work on. The peers' adapters ignore it.
    """

    id: str
    title: str
    body: str
    source: str | None = None
    url: str | None = None
    published: str | None = None

    @property
    def text_bytes(self) -> int:
        return len(self.title.encode("utf-8")) + len(self.body.encode("utf-8"))


# CLICK-ID joins paragraphs with "," right after the sentence end ("Riau.,Penangkapan").
_PARAGRAPH_JOIN = re.compile(r'(?<=[.!?"\u201d]),(?=\S)')


def clean_article_text(text: str) -> str:
    """diplosearch's own text repair (mojibake, odd spaces) plus CLICK-ID's paragraph joins."""
    from diplosearch.analysis.normalize import clean_text

    return _PARAGRAPH_JOIN.sub("\n", clean_text(text)).strip()


def clickid_rows(root: Path | None = None, limit: int | None = None) -> Iterator[dict[str, str]]:
    """CLICK-ID's JSON records as stored (text not cleaned), in file order, at most ``limit``."""
    root = root or data_dir()
    with gzip.open(root / CLICKID_FILE, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if limit is not None and number >= limit:
                return
            yield json.loads(line)


def load_clickid(root: Path | None = None) -> list[BenchDoc]:
    """All CLICK-ID articles in file order, text cleaned the same way for every engine."""
    return [
        BenchDoc(
            id=row["id"],
            title=clean_article_text(row.get("title") or ""),
            body=clean_article_text(row.get("content") or ""),
            source=row.get("source") or None,
            url=row.get("url") or None,
            published=row.get("date") or None,
        )
        for row in clickid_rows(root)
    ]


def copies(docs: Sequence[BenchDoc], count: int) -> list[BenchDoc]:
    """``count`` copies of ``docs`` with unique ids (the first copy keeps the original ids):
    a larger corpus with the same vocabulary, for measuring how an engine grows."""
    scaled = list(docs)
    for copy in range(1, count):
        scaled.extend(dataclasses.replace(d, id=f"{d.id}~{copy}") for d in docs)
    return scaled


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
    """FacQA's distinct passages and its questions, each pointing at its passage."""

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


def stop_words() -> frozenset[str]:
    """diplosearch's Indonesian stop words (what key-word and phrase queries leave out)."""
    from diplosearch.analysis.stopwords import default_stopwords

    return frozenset(default_stopwords())


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
    """Whether a query word of ``text`` has a hyphen inside (``negara-negara``)."""
    return any("-" in w for w in query_words(text))


def keyword_query(title: str, length: int) -> str:
    """A short "key words of a title" query: its first ``length`` words that are not stop
    words, cleaned like :func:`clean_query`."""
    stops = stop_words()
    words = [w for w in query_words(title) if w not in stops][:length]
    return clean_query(" ".join(words))


_PLAIN_WORD = re.compile(r"[a-z]{3,}")


def phrase_query(title: str, rng: random.Random) -> str | None:
    """Two adjacent words of ``title``, quoted (``"banjir jakarta"``), or None when the
    title has no such pair.

    Both words are letters only (no digits or hyphens, which engines tokenise
    differently) and neither is a stop word, so every engine that knows phrases sees
    the same two adjacent terms.
    """
    stops = stop_words()
    words = query_words(title)
    pairs = [
        (a, b) for a, b in zip(words, words[1:])
        if _PLAIN_WORD.fullmatch(a) and _PLAIN_WORD.fullmatch(b) and a not in stops and b not in stops
    ]
    if not pairs:
        return None
    first, second = rng.choice(pairs)
    return f'"{first} {second}"'


def write_docs(path: Path, docs: Sequence[BenchDoc]) -> None:
    """Save ``docs`` as JSON Lines (how a benchmark hands documents to a child process)."""
    with open(path, "w", encoding="utf-8") as handle:
        for d in docs:
            handle.write(json.dumps(dataclasses.asdict(d), ensure_ascii=False) + "\n")


def read_docs(path: Path) -> list[BenchDoc]:
    """The documents :func:`write_docs` saved, in order."""
    with open(path, encoding="utf-8") as handle:
        return [BenchDoc(**json.loads(line)) for line in handle]
