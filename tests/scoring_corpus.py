"""The fixture corpus of the column and scoring tests: the two bundled articles plus a
few hundred generated documents over a small known vocabulary, written in several
commits (so several segments) with some documents deleted afterwards."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import diplosearch
from diplosearch.documents import Document, Quote
from diplosearch.ingest import read_documents
from diplosearch.store.home import bundled_corpus_files

#: Words that the analyzer keeps as they are (no affix to strip), so tests can name them.
WORDS = (
    "kota rumah laut hutan sungai gunung pasar sekolah jalan desa pantai pulau "
    "kapal hujan angin batu emas padi kopi teh gula garam air api tanah langit "
    "bulan bintang buku meja kursi pintu"
).split()
SOURCES = ("Kompas.com", "kompas.com", "Detik", "Tempo", None)
GENERATED = 320
DELETED = tuple(f"gen-{i:03d}" for i in range(0, GENERATED, 23))


def _sentence(rng: random.Random, low: int, high: int) -> str:
    # A skewed draw, so that term frequencies and document frequencies vary widely.
    return " ".join(rng.choice(WORDS[: rng.randint(4, len(WORDS))]) for _ in range(rng.randint(low, high)))


def generated_documents(seed: int = 7) -> list[Document]:
    rng = random.Random(seed)
    docs = []
    for i in range(GENERATED):
        quotes = tuple(Quote(_sentence(rng, 2, 6), None) for _ in range(rng.choice((0, 0, 1, 2))))
        captions = tuple(_sentence(rng, 2, 5) for _ in range(rng.choice((0, 0, 0, 1))))
        published = None if rng.random() < 0.2 else dt.datetime(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 900))
        if published is not None and i % 3:  # a time of day, not in index order; a third at midnight
            published += dt.timedelta(seconds=(i * 7919) % 86_400)
        docs.append(
            Document(
                id=f"gen-{i:03d}",
                title=_sentence(rng, 1, 5) if rng.random() < 0.8 else "",
                body=". ".join(_sentence(rng, 3, 14) for _ in range(rng.randint(1, 6))) + ".",
                quotes=quotes,
                captions=captions,
                source=rng.choice(SOURCES),
                published=published,
            )
        )
    return docs


def build_fixture_index(path: Path) -> diplosearch.Index:
    """Create the fixture index at ``path`` (several segments, some deletions)."""
    index = diplosearch.open_index(path, create=True)
    bundled = [d for d in read_documents(bundled_corpus_files()) if isinstance(d, Document)]
    docs = generated_documents()
    index.add_many(bundled, workers=1)
    for start in range(0, len(docs), 110):
        index.add_many(docs[start : start + 110], workers=1)
    index.delete_many(DELETED)
    return index
