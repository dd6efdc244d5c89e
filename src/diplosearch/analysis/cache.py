"""The bounded memo the analysis keeps per analyzer and per stemmer.

Stemming a word and analysing a raw token are pure functions of their input, so each
result is kept in a plain dict; :func:`remember` stops the dict growing at a limit,
which adversarial input (random tokens) reaches but a news archive's vocabulary does not.

The caches stay plain dicts on purpose: ``dict.get`` on a dict subclass costs about a
quarter more per call in CPython 3.11, and the warm analyzer is mostly such lookups.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

# A warm vocabulary of a large news archive is a few hundred thousand words; the cap
# only stops adversarial input (random tokens) from growing a cache forever.
CACHE_LIMIT = 500_000


def remember(cache: dict[K, V], key: K, value: V, limit: int) -> V:
    """Keep ``value`` for ``key`` unless ``cache`` already holds ``limit`` entries
    (nothing is evicted); return ``value``.

    Callers look up with ``cache.get(key)`` themselves (a C call on the hot path); a
    value is never ``None``, so ``None`` means a miss.
    """
    if len(cache) < limit:
        cache[key] = value
    return value
