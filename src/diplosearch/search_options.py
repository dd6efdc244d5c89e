"""What a search accepts: the typed keyword options of :func:`diplosearch.search.search`
(:class:`SearchOptions`), the limits of a page, and the checks that turn each argument
into what the scorer takes (field weights and a :class:`~diplosearch.ranking.Ranking`,
filters as query-tree nodes), raising :class:`~diplosearch.QueryError` on a bad one
before the index is read.
"""

from __future__ import annotations

import datetime as _dt
import functools
from typing import TYPE_CHECKING, Iterable, Literal, Mapping, Sequence, TypedDict, Union

import attrs

from .errors import QueryError
from .highlight import SnippetFormat
from .query import DateRange, Filter, MatchNothing, Node
from .query_parser import MAX_BOOST
from .query_syntax import parse_date_value

if TYPE_CHECKING:
    from .ranking import Ranking

#: At most this many hits are collected for one page (``offset + limit``).
MAX_DEPTH = 10_000
#: The most hits one page may hold (``limit``).
MAX_LIMIT = 1000
#: Orders a search can return its hits in.
SORT_ORDERS = ("relevance", "newest", "oldest")
#: What ``source=``, ``category=`` and ``sub_category=`` accept: one value or several (OR-ed).
FilterValues = Union[str, Sequence[str], None]
#: What ``since=`` and ``until=`` accept: a date, a datetime (its day counts) or ISO text
#: (``2019``, ``2019-09``, ``2019-09-16``: since takes the first day, until the last).
DateBound = Union[_dt.date, str, None]


class SearchOptions(TypedDict, total=False):
    """The keyword options of :func:`diplosearch.search.search` (and of
    :meth:`diplosearch.Index.search`), for type checkers and editors; that function
    documents each."""

    fields: Sequence[str] | None
    boosts: Mapping[str, float] | None
    snippets: int
    snippet_chars: int
    markers: tuple[str, str]
    coordination: bool | Literal["strict", "soft", "off"] | None
    sort: Literal["relevance", "newest", "oldest"]
    ranking: "Ranking | None"
    snippet_format: SnippetFormat
    source: FilterValues
    category: FilterValues
    sub_category: FilterValues
    since: DateBound
    until: DateBound
    facets: Iterable[str] | None
    fuzzy: bool


def named_options(option: str, values: Iterable[str] | None, known: tuple[str, ...]) -> tuple[str, ...]:
    """``values`` (None, or any iterable but a string) as a tuple of names, each one of ``known``."""
    if values is None or (type(values) is tuple and not values):  # the default: no ABC check
        return ()
    listed = isinstance(values, Iterable) and not isinstance(values, str)
    names = tuple(values) if listed else ()  # type: ignore[arg-type]
    if (values is not None and not listed) or not all(name in known for name in names):
        raise QueryError(f"{option} must be a list of {', '.join(known)}, not {values!r}")
    return names


def check_page(limit: object, offset: object) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise QueryError(f"offset must be a whole number >= 0, not {offset!r}")
    if offset + limit > MAX_DEPTH:
        raise QueryError(f"offset + limit may be at most {MAX_DEPTH:,}")


def field_weights(boosts: Mapping[str, float] | None) -> dict[str, float]:
    """``boosts=`` as floats, checked by the rule a :class:`~diplosearch.ranking.Ranking`'s
    weights follow, within the query language's boost limit."""
    if boosts is None:
        return {}
    from .ranking import weights_problem

    problem = weights_problem(boosts, "boosts", MAX_BOOST)
    if problem is not None:
        raise QueryError(problem)
    return {name: float(value) for name, value in boosts.items()}


def chosen_ranking(
    ranking: "Ranking | None", boosts: Mapping[str, float] | None, coordination: bool | str | None
) -> "Ranking":
    from .ranking import DEFAULT_RANKING, Ranking

    if ranking is None and boosts is None and isinstance(coordination, str) and coordination in _COORDINATIONS:
        return _default_ranking_with(coordination)
    if ranking is None and boosts is None and coordination is False:
        return _default_ranking_with("off")
    chosen = DEFAULT_RANKING if ranking is None else ranking
    if not isinstance(chosen, Ranking):
        raise QueryError(f"ranking must be a diplosearch.Ranking, not {type(chosen).__name__}")
    if boosts is not None:
        chosen = attrs.evolve(chosen, boosts={**chosen.boosts, **field_weights(boosts)})
    if coordination is None:
        return chosen
    if coordination is True:
        # "on" keeps the ranking's own rule, or 1.0's strict one if that is "off"
        return chosen if chosen.coordination != "off" else attrs.evolve(chosen, coordination="strict")
    if coordination is False:
        return attrs.evolve(chosen, coordination="off")
    if coordination in ("strict", "soft", "off"):
        return attrs.evolve(chosen, coordination=coordination)
    raise QueryError(f"coordination must be True, False, 'strict', 'soft' or 'off', not {coordination!r}")


_COORDINATIONS = ("strict", "soft", "off")


@functools.lru_cache(maxsize=len(_COORDINATIONS))
def _default_ranking_with(coordination: str) -> "Ranking":
    """The default ranking with another coordination rule (made once: an ``attrs.evolve``
    validating every field cost a search with ``coordination=False`` 6 us)."""
    from .ranking import DEFAULT_RANKING

    return attrs.evolve(DEFAULT_RANKING, coordination=coordination)


def _filter_values(name: str, values: FilterValues) -> tuple[str, ...]:
    listed = [values] if isinstance(values, str) else values
    if not isinstance(listed, (list, tuple, set, frozenset)) or not all(isinstance(v, str) for v in listed):
        raise QueryError(f"{name} must be a string or a list of strings, not {values!r}")
    return tuple(dict.fromkeys(" ".join(v.casefold().split()) for v in listed if v.strip()))


def _date_bound(name: str, value: DateBound) -> tuple[_dt.date | None, _dt.date | None]:
    if isinstance(value, _dt.datetime):
        return value.date(), value.date()
    if isinstance(value, _dt.date):
        return value, value
    problem = f"{name} must be a date or text like 2019-09-16, 2019-09 or 2019, not {value!r}"
    if isinstance(value, str) and value.strip() and not value.strip().startswith(("<", ">")) and ".." not in value:
        try:
            return parse_date_value(value, f"{name}={value}")
        except QueryError:
            pass
        if "T" in value.strip():  # an ISO time stamp, as a datetime's isoformat() writes: its day counts
            try:
                day = _dt.datetime.fromisoformat(value.strip()).date()
            except ValueError:
                pass
            else:
                return day, day
    raise QueryError(problem)


def filter_nodes(
    *,
    source: FilterValues = None,
    category: FilterValues = None,
    sub_category: FilterValues = None,
    since: DateBound = None,
    until: DateBound = None,
) -> list[Node]:
    """The query-tree clauses of the filter arguments of :func:`search`: the same
    ``Filter`` and ``DateRange`` nodes ``source:x`` and ``date:a..b`` parse into."""
    nodes: list[Node] = []
    for name, values in (("source", source), ("category", category), ("sub_category", sub_category)):
        if values is not None:
            kept = _filter_values(name, values)
            nodes.append(Filter(name, kept) if kept else MatchNothing())
    if since is not None or until is not None:
        start = _date_bound("since", since)[0] if since is not None else None
        end = _date_bound("until", until)[1] if until is not None else None
        nodes.append(DateRange(start, end) if start is None or end is None or start <= end else MatchNothing())
    return nodes
