"""Every hit of a query, in rank order: :class:`HitStream`, behind ``Index.search_iter``.

It pages through :meth:`Index.search`, so each page sees the index as committed
when that page is read, and no page holds a searcher open while the caller works
on the hits (which may take long: an export to a slow pipe).
"""

from __future__ import annotations

from typing import Iterator, Protocol, Unpack

from .errors import QueryError
from .search import Hit, Results
from .search_options import MAX_DEPTH, MAX_LIMIT, SearchOptions


class PagedIndex(Protocol):
    """What a :class:`HitStream` calls of an index (:class:`diplosearch.Index` is one)."""

    def search(self, query: str, limit: int = ..., offset: int = ..., **options: Unpack[SearchOptions]) -> Results:
        """One page of ``query``'s hits."""

#: Hits fetched per page by default.
DEFAULT_PAGE_SIZE = 200


class HitStream:
    """An iterator over every hit (:class:`Hit`) of one query, in rank order, as
    :meth:`Index.search_iter` makes it; ``total`` says how many documents matched when
    the first page was read, ``query`` is the query given.

    The first page is read when the stream is made, so a bad query raises
    :class:`QueryError` there, not at the first ``next()``. Later pages are read as
    the iteration reaches them. A commit landing between two pages may shift ranks:
    a hit seen on an earlier page is not repeated, but a document moved above the
    current page is missed. Iterate a stable index for an exact export.
    """

    def __init__(self, index: PagedIndex, query: str, page_size: int = DEFAULT_PAGE_SIZE,
                 **options: Unpack[SearchOptions]) -> None:
        self.query = query
        self._index = index
        self._options = options
        first = index.search(query, limit=page_size, offset=0, **options)
        if first.total > MAX_DEPTH:
            raise QueryError(
                f"{query!r} matches {first.total:,} documents; at most {MAX_DEPTH:,} can be listed, "
                "so narrow the query"
            )
        self.total: int = first.total
        self._page_size = page_size
        self._hits = self._pages(first.hits)

    def _pages(self, first_page: list[Hit]) -> Iterator[Hit]:
        seen: set[str] = set()
        page = first_page
        offset = 0
        while page:
            for hit in page:
                if hit.id not in seen:
                    seen.add(hit.id)
                    yield hit
            offset += len(page)
            if len(page) < self._page_size or offset >= MAX_DEPTH:
                return
            size = min(self._page_size, MAX_DEPTH - offset)
            page = self._index.search(self.query, limit=size, offset=offset, **self._options).hits

    def __iter__(self) -> "HitStream":
        return self

    def __next__(self) -> Hit:
        return next(self._hits)


def search_iter(index: PagedIndex, query: str, *, page_size: int = DEFAULT_PAGE_SIZE,
                **options: Unpack[SearchOptions]) -> HitStream:
    """Every hit of ``query`` in rank order (see :class:`HitStream`); ``options`` are
    those of :meth:`Index.search` except ``limit`` and ``offset``.

    :raises QueryError: a bad query or option, or more than
        :data:`~diplosearch.search.MAX_DEPTH` matching documents.
    """
    for name in ("limit", "offset"):
        if name in options:
            raise QueryError(f"search_iter takes no {name!r}: it yields every hit (page_size sets the page)")
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_LIMIT:
        raise QueryError(f"page_size must be a whole number from 1 to {MAX_LIMIT:,}, not {page_size!r}")
    return HitStream(index, query, page_size, **options)
