"""Indonesian stop words (the list and its rationale: ``data/stopwords-id.txt``)."""

from __future__ import annotations

import functools
from importlib import resources


@functools.cache
def default_stopwords() -> frozenset[str]:
    """The bundled stop-word list, read once per process (it is immutable)."""
    text = resources.files("diplosearch").joinpath("data/stopwords-id.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )
