"""Searching: parse the query into diplosearch's own tree, score it with numpy over the
commit's column files, and turn the best documents into :class:`Hit` and :class:`Results`.

The query syntax is :mod:`diplosearch.query_parser`'s; the ranking is
:mod:`diplosearch.scoring`'s. Nothing on this path runs Whoosh's query parser or
matchers: Whoosh is the index on disk and the place stored fields are read from.
"""

from __future__ import annotations

import functools
import math
import re
import threading
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Iterable, Iterator, Literal, Mapping, Protocol, Sequence

import attrs

from .documents import Document, cleaned_id, id_argument, shown_value
from .errors import DiplosearchError, DocumentError, QueryError
from .highlight import DEFAULT_MARKERS, SNIPPET_FIELDS, SnippetFormat, check_snippet_options, make_snippets
from .query import (AllOf, AndMaybe, AnyOf, Exclude, Fuzzy, MatchNothing, Node, Phrase, Term, leaf_terms,
                    positive_leaves, with_expansion_budget)
from .query_parser import MAX_QUERY_CHARS, ParsedQuery, parse_query
from .schema import DATE_FIELD, FACET_NAMES, FILTER_FIELDS, TEXT_FIELDS
from .search_options import (MAX_DEPTH, SORT_ORDERS, DateBound, FilterValues, SearchOptions, check_page,
                             chosen_ranking, filter_nodes, named_options)

if TYPE_CHECKING:
    from .analysis.analyzer import IndonesianAnalyzer
    from .ranking import Ranking
    from .scoring_explain import Explanation

__all__ = ["MAX_DEPTH", "MAX_QUERY_CHARS", "Hit", "Results", "SearchOptions", "SearchableIndex", "search", "similar"]


class SearchableIndex(Protocol):
    """What :func:`search` and :func:`similar` read of an index
    (:class:`diplosearch.Index` is one): named here, so this module needs nothing
    of the class whose methods call it."""

    path: Path
    analyzer: "IndonesianAnalyzer"

    def snapshot(self) -> ContextManager[Any]:
        """The newest commit's snapshot (a reader, its columns, stored documents) for a block."""


class _NeedsTheIndex:
    """What stands, in a pickled hit or page, for an answer that only the index searched
    could give: calling it says so. Picklable, unlike the functions it replaces."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, *_args: Any) -> Any:
        raise DiplosearchError(self.message)


class _Known:
    """An answer worked out before pickling (a suggestion), given back when asked for."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self) -> Any:
        return self.value


@attrs.frozen
class Hit:
    """One ranked result, as :attr:`Results.hits` holds them.

    ``rank`` (1 for the best of all hits, so a page at ``offset`` 10 starts at 11),
    ``id``, ``title`` (as shown: a title made up from the lead for a document without
    one), ``score`` (BM25F; 0 when sorted by date alone), ``matched_terms`` (distinct
    query terms the document holds), ``snippets`` (passages around the best matches,
    marked as ``search`` was asked), :attr:`document` (the whole stored document) and
    :meth:`explain`.

    A hit can be pickled (to another process, into a cache): its fields travel, and its
    document if it had been read (a page with snippets reads it); :attr:`document` not
    read before and :meth:`explain` then raise :class:`DiplosearchError`.
    """

    rank: int
    """1 for the best hit (counting from the first result, not from ``offset``)."""
    id: str
    title: str
    score: float
    """The BM25F score (field-boosted); higher is better. 0 when sorted by date alone."""
    matched_terms: int
    """How many of the query's distinct terms the document contains."""
    snippets: list[str]
    """Passages of the stored text around the best matches, matches wrapped in markers."""
    _document: Document | None = attrs.field(default=None, eq=False, repr=False, alias="document")
    # (the page's source, this hit's doc number in the commit searched): what reads the
    # document when first asked for and explains the score
    _source: "tuple[_PageSource, int] | None" = attrs.field(default=None, eq=False, repr=False, alias="source")

    @property
    def document(self) -> Document:
        """The whole stored document (body, quotes, captions, source, dates).

        A page made without snippets names its hits from the index's columns and
        reads each document only when this is first asked for, from the commit that
        was searched: the :class:`Results` keeps that commit readable while it is kept.

        :raises CorruptIndexError: the stored document cannot be read.
        """
        document = self._document
        if document is None:
            source = self._source
            if source is None or source[0].read is None:
                raise DocumentError(f"hit {shown_value(self.id)} carries no document")
            document = source[0].read(source[1])
            # kept, as a field the hit was made with would be (two threads racing read the same document)
            object.__setattr__(self, "_document", document)
        return document

    def explain(self) -> "Explanation":
        """How this hit's score came about: per query term and field the term frequency,
        field length and average, weight and idf, and each term's contribution
        (``.lines()`` gives it as text). Computed on demand from the commit searched.

        :raises QueryError: the hit was not ranked by relevance (a date sort, similar articles).
        """
        source = self._source
        if source is None or source[0].explain is None:
            raise QueryError("this hit was not ranked by relevance, so there is no score to explain")
        return source[0].explain(source[1])

    def __copy__(self) -> "Hit":
        return self  # frozen; copy would otherwise go through __reduce__ and lose the index

    def __reduce__(self) -> tuple[Any, ...]:
        document, source = self._document, self._source
        page = source[0] if source is not None else _PageSource(None, None)
        unread = None if document is not None or page.read is None else _NeedsTheIndex(
            f"the document of hit {shown_value(self.id)} was not read before the hit was pickled, and an unpickled "
            "hit cannot read the index: read hit.document before pickling, or use ix.get(hit.id)")
        unexplained = None if page.explain is None else _NeedsTheIndex(
            "explain() needs the index that was searched, which an unpickled hit does not carry: "
            "explain before pickling, or search again")
        kept = None if unread is None and unexplained is None else (_PageSource(unread, unexplained), -1)
        return (Hit, (self.rank, self.id, self.title, self.score, self.matched_terms, self.snippets, document, kept))


@attrs.frozen
class _PageSource:
    """What the hits of one page read their documents and explain their scores with,
    given a hit's doc number: one for the page, where a pair of functions made for each
    hit cost a tenth of naming the page's hits."""

    read: "Callable[[int], Document] | None"
    """Reads the stored document (None: the hits carry theirs, or there are none)."""
    explain: "Callable[[int], Explanation] | None"
    """Explains the score (None: not ranked by relevance)."""


@attrs.frozen
class Results:
    """A page of hits for one query, as :meth:`Index.search` and :meth:`Index.similar`
    return it; ``len()`` and iteration go over :attr:`hits`.

    ``query`` as given (for ``similar``: the terms searched), ``total`` documents
    matching in all (not only on this page), ``offset`` and ``limit`` as asked,
    ``hits`` (a list of :class:`Hit`), ``ignored`` (the query's stop words),
    ``dropped`` (terms and phrases over the per-query limits, left out), ``facets`` (per facet asked
    for, ``(label, documents)`` pairs over every match) and :attr:`suggestion`.

    A page can be pickled, its hits as :class:`Hit` says; :attr:`suggestion` then
    raises :class:`DiplosearchError` unless it had been read before.
    """

    query: str
    total: int
    """How many documents match in all (not only on this page)."""
    offset: int
    limit: int
    hits: list[Hit]
    ignored: tuple[str, ...] = ()
    """Words of the query that were ignored because they are stop words."""
    dropped: tuple[str, ...] = ()
    """Terms left out because the query had more distinct terms than a query may look up
    (64), and phrases, quoted, past the phrases it may hold (6)."""
    facets: dict[str, list[tuple[str, int]]] = attrs.field(factory=dict)
    """Per facet asked for (``facets=``), (label, documents) over every matching document."""
    _suggest: "Callable[[], str | None] | None" = attrs.field(default=None, eq=False, repr=False, alias="suggest")
    _suggested: list[str | None] = attrs.field(factory=list, eq=False, repr=False, init=False)

    @property
    def suggestion(self) -> str | None:
        """The query with its misspelt words corrected from the index's vocabulary, when
        a word is in no document (or in a few, and a close spelling in many more).

        Worked out when first read, from the commit searched: a caller that never asks
        does not pay for the spelling index (built once per commit, about a second at
        22k articles)."""
        if self._suggest is None:
            return None
        if not self._suggested:
            self._suggested.append(self._suggest())  # two threads racing store the same answer
        return self._suggested[0]

    def __copy__(self) -> "Results":
        return self  # as Hit.__copy__

    def __reduce__(self) -> tuple[Any, ...]:
        suggest: Callable[[], str | None] | None = None
        if self._suggested:
            suggest = _Known(self._suggested[0])
        elif self._suggest is not None:
            suggest = _NeedsTheIndex(
                "the suggestion was not read before the results were pickled, and working it out needs the index "
                "that was searched, which unpickled results do not carry: read results.suggestion before pickling")
        return (Results, (self.query, self.total, self.offset, self.limit, self.hits, self.ignored, self.dropped,
                          self.facets, suggest))

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)


def _parse_now(query: str, analyzer: "IndonesianAnalyzer", fields: tuple[str, ...] | None,
               filters: tuple[Node, ...] = ()) -> ParsedQuery:
    return parse_query(query, analyzer, text_fields=TEXT_FIELDS, default_fields=fields,
                       filter_fields=FILTER_FIELDS, date_field=DATE_FIELD, filters=filters)


class _RecentQueries:
    """The trees of the queries parsed most recently, per analyzer object: a tree is
    immutable and depends only on the text, the analyzer and the default fields.

    Keyed by the analyzer's identity (hashing one digests its stop words) and held by a
    weak reference, so a closed index's analyzer is not kept alive.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Any, ...], tuple[weakref.ref[Any], ParsedQuery]] = OrderedDict()
        self._lock = threading.Lock()

    def parse(self, query: str, analyzer: "IndonesianAnalyzer", fields: tuple[str, ...] | None,
              filters: tuple[Node, ...] = ()) -> ParsedQuery:
        if not isinstance(query, str) or len(query) > _REMEMBERED_QUERY_CHARS:
            return _parse_now(query, analyzer, fields, filters)
        key = (query, fields, filters, id(analyzer))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0]() is analyzer:
                self._entries.move_to_end(key)
                return entry[1]
        parsed = _parse_now(query, analyzer, fields, filters)
        try:
            reference = weakref.ref(analyzer)
        except TypeError:  # an analyzer without weak references is parsed every time
            return parsed
        with self._lock:
            self._entries[key] = (reference, parsed)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return parsed


# Longer queries are rarely typed twice.
_REMEMBERED_QUERY_CHARS = 200
_recent_queries = _RecentQueries(1024)


def _fuzzy_everywhere(node: Node) -> Node:
    """``node`` with every word (not phrase) matched by its close spellings too."""
    if isinstance(node, Term):
        return Fuzzy(node.text, node.fields, max_edits=2 if len(node.text) >= 8 else 1, boost=node.boost)
    if isinstance(node, (AnyOf, AllOf)):
        return attrs.evolve(node, children=tuple(_fuzzy_everywhere(child) for child in node.children))
    if isinstance(node, Exclude):
        return attrs.evolve(node, positive=_fuzzy_everywhere(node.positive))
    if isinstance(node, AndMaybe):
        return attrs.evolve(node, required=_fuzzy_everywhere(node.required),
                            optional=_fuzzy_everywhere(node.optional))
    return node


def _suggestion(query: str, parsed: ParsedQuery, commit: object) -> str | None:
    from .spelling import suggest_terms

    single = [(word, terms[0]) for word, terms in parsed.words if len(terms) == 1]
    corrected = suggest_terms(commit, [term for _word, term in single])  # type: ignore[arg-type]
    if not corrected:
        return None
    text = query
    for word, term in single:
        if term in corrected:
            text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", corrected[term], text, count=1)
    return text if text != query else None


def _fuzzy_terms(commit: object, root: Node) -> Iterable[str]:
    from .spelling import fuzzy_terms  # a search without snippets never needs it

    return fuzzy_terms(commit, root)  # type: ignore[arg-type]


# A word searched in all of these is marked wherever a snippet may come from (the lead
# is in the body).
_MARKED_EVERYWHERE = frozenset(SNIPPET_FIELDS)


@attrs.frozen
class _Marks:
    """What snippets mark: ``terms`` wherever they stand, ``phrases`` only where their
    words stand together, and ``only_in`` per field the terms and phrases a query
    searched in that field alone (``title:banjir``), marked there only."""

    terms: frozenset[str] = frozenset()
    phrases: frozenset[tuple[str, ...]] = frozenset()
    only_in: Mapping[str, tuple[frozenset[str], frozenset[tuple[str, ...]]]] = attrs.field(factory=dict)

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases or self.only_in)


def _marked(commit: object, root: Node) -> _Marks:
    """What the snippets of a search for ``root`` mark (a Fuzzy's close spellings too)."""
    everywhere: tuple[set[str], set[tuple[str, ...]]] = (set(), set())
    per_field: dict[str, tuple[set[str], set[tuple[str, ...]]]] = {}
    for leaf in positive_leaves(root):
        fields = set(leaf.fields)
        if "body" in fields:
            fields.discard("lead")  # the body holds the lead
        places = [everywhere] if fields >= _MARKED_EVERYWHERE else [
            per_field.setdefault(name, (set(), set())) for name in fields]
        if isinstance(leaf, Phrase) and len(leaf.texts) > 1:
            for _terms, phrases in places:
                phrases.add(leaf.texts)
            continue
        found = (*leaf_terms(leaf), *(_fuzzy_terms(commit, leaf) if isinstance(leaf, Fuzzy) else ()))
        for terms, _phrases in places:
            terms.update(found)
    return _Marks(frozenset(everywhere[0]), frozenset(everywhere[1]),
                  {name: (frozenset(terms), frozenset(phrases)) for name, (terms, phrases) in per_field.items()})


def _count_facets(commit: object, root: Node, names: list[str]) -> dict[str, Any]:
    from .facets import count_facets  # a search without facets never needs it

    return count_facets(commit, root, names)  # type: ignore[arg-type]



def _explain(commit: object, root: Node, ranking: "Ranking", docnum: int) -> "Explanation":
    from .scoring_explain import explain  # imported when a hit is explained, not per search

    return explain(commit, root, docnum, ranking)  # type: ignore[arg-type]


def _hits(index: SearchableIndex, snapshot: object, docnums: list[int], scores: list[float], matched: list[int],
          marks: _Marks, offset: int, snippets: int, snippet_chars: int,
          markers: tuple[str, str], snippet_format: "SnippetFormat" = "text",
          explain: "Callable[[int], Explanation] | None" = None) -> list[Hit]:
    """The page's hits; ``explain``: what explains a doc number's score (None: not
    ranked by relevance)."""
    if snippets <= 0 or not marks:
        return _named_hits(snapshot, docnums, scores, matched, offset, explain)
    documents = snapshot.documents(docnums)  # type: ignore[attr-defined]
    source = _PageSource(None, explain) if explain is not None else None
    hits = []
    for position, (docnum, score, count, document) in enumerate(
        zip(docnums, scores, matched, documents), start=offset + 1
    ):
        hits.append(
            Hit(
                rank=position,
                id=document.id,
                title=document.title,
                score=round(score, 6),
                matched_terms=int(count),
                snippets=make_snippets(
                    document,
                    marks.terms,
                    index.analyzer,
                    count=snippets,
                    max_chars=snippet_chars,
                    markers=markers,
                    snippet_format=snippet_format,
                    phrases=marks.phrases,
                    only_in=marks.only_in,
                ),
                document=document,
                source=(source, docnum) if source is not None else None,
            )
        )
    return hits


def _named_hits(snapshot: Any, docnums: list[int], scores: list[float], matched: list[int], offset: int,
                explain: "Callable[[int], Explanation] | None") -> list[Hit]:
    """Hits without snippets: named (id, title) from the commit's columns, each
    document read when first asked for (decompressing and unpickling ten stored
    documents was about a third of a search)."""
    source = _PageSource(snapshot.deferred_documents().document, explain)
    named = snapshot.columns.ids_and_titles(docnums)
    # Positional, in the fields' order (as Hit.__reduce__ builds one): keywords cost a
    # tenth of naming a page's hits.
    return [Hit(position, doc_id, title, round(score, 6), count, [], None, (source, docnum))
            for position, (docnum, score, count, (doc_id, title))
            in enumerate(zip(docnums, scores, matched, named), start=offset + 1)]


def search(
    index: SearchableIndex,
    query: str,
    limit: int = 10,
    offset: int = 0,
    *,
    fields: Sequence[str] | None = None,
    boosts: Mapping[str, float] | None = None,
    snippets: int = 2,
    snippet_chars: int = 200,
    markers: tuple[str, str] = DEFAULT_MARKERS,
    coordination: bool | Literal["strict", "soft", "off"] | None = None,
    sort: Literal["relevance", "newest", "oldest"] = "relevance",
    ranking: "Ranking | None" = None,
    snippet_format: SnippetFormat = "text",
    source: FilterValues = None,
    category: FilterValues = None,
    sub_category: FilterValues = None,
    since: DateBound = None,
    until: DateBound = None,
    facets: Iterable[str] | None = (),
    fuzzy: bool = False,
) -> Results:
    """Search ``index`` for ``query``; returns a page of hits as :class:`Results`.

    :param limit: hits on this page (1..1000); ``offset``: hits to skip
        (``offset + limit`` at most :data:`MAX_DEPTH`).
    :param fields: fields searched by words with no ``field:`` prefix (default all:
        title, lead, quotes, captions, body).
    :param boosts: per-field weights overriding the ranking's (default
        :data:`~diplosearch.schema.DEFAULT_FIELD_BOOSTS`).
    :param snippets: passages per hit (0 for none); ``snippet_chars`` their length.
    :param markers: what goes before and after each highlighted word (not escaped:
        for a web page use ``snippet_format="html"``).
    :param snippet_format: ``"text"`` (default) marks matches with ``markers`` in the
        text as stored; ``"html"`` escapes the text and marks matches with
        ``<mark>``...``</mark>``, ignoring ``markers``.
    :param coordination: how "more of the query's words first" applies: True (the
        ranking's rule), False (BM25F alone), or ``"strict"``, ``"soft"``, ``"off"``.
    :param sort: ``"relevance"`` (default), ``"newest"`` or ``"oldest"`` (by
        ``published``; documents without a date come last). A query of filters
        alone is listed newest first.
    :param ranking: a :class:`~diplosearch.ranking.Ranking` (k1, b, weights, rules);
        default :data:`~diplosearch.ranking.DEFAULT_RANKING`.
    :param source: keep documents from this source, or any of these (exact value,
        case-insensitive); ``category`` and ``sub_category`` likewise. Filters never
        change scores; they are AND-ed with the query as ``source:x`` is.
    :param since: keep documents published on or after this day (a date, a datetime, or
        ``"2019-09-16"``, ``"2019-09"``, ``"2019"``); ``until``: on or before it (a
        month or year means its last day). Documents without a date are then left out.
        With filters and an empty ``query``, every document they keep is listed.
    :param facets: count the matching documents per ``"source"``, ``"category"``,
        ``"sub_category"``, ``"year"``, ``"month"`` into :attr:`Results.facets`.
    :param fuzzy: match every word's close spellings too (as ``word~``), below exact matches.
    :raises QueryError: the query is malformed, too long, names an unknown field, or
        an argument is out of range.
    """
    check_page(limit, offset)
    markers = check_snippet_options(snippets, snippet_chars, markers, snippet_format)
    if sort not in SORT_ORDERS:
        raise QueryError(f"sort must be one of {', '.join(SORT_ORDERS)}, not {sort!r}")
    if fields is not None:
        if isinstance(fields, str) or not isinstance(fields, Iterable):
            raise QueryError(f"fields must be a list of field names ({', '.join(TEXT_FIELDS)}), not {fields!r}")
        fields = list(fields)
        unknown = [name for name in fields if name not in TEXT_FIELDS]
        if unknown:
            hint = f" ({unknown[0]} is a filter: use {unknown[0]}=)" if unknown[0] in FILTER_FIELDS else ""
            raise QueryError(
                f"unknown field {unknown[0]!r}; searchable fields are {', '.join(TEXT_FIELDS)}{hint}"
            )
        if not fields:
            raise QueryError(f"fields must name at least one of {', '.join(TEXT_FIELDS)}")
    if not isinstance(fuzzy, bool):
        raise QueryError(f"fuzzy must be True or False, not {fuzzy!r}")
    facets = named_options("facets", facets, FACET_NAMES)
    chosen = chosen_ranking(ranking, boosts, coordination)
    filters = filter_nodes(source=source, category=category, sub_category=sub_category, since=since, until=until)
    # The filter arguments join the query's top group, as source:x typed there does.
    parsed = _recent_queries.parse(query, index.analyzer, tuple(fields) if fields is not None else None,
                                   tuple(filters))
    root = parsed.root
    if fuzzy:
        root = with_expansion_budget(_fuzzy_everywhere(root))
    if isinstance(root, MatchNothing):
        return Results(query=query, total=0, offset=offset, limit=limit, hits=[],
                       ignored=parsed.ignored, dropped=parsed.dropped,
                       facets={name: [] for name in dict.fromkeys(facets)})
    if not parsed.terms and sort == "relevance":
        sort = "newest"  # nothing to rank by: list what the filters keep, newest first
    import diplosearch.scoring as scoring

    with index.snapshot() as snapshot:
        commit = snapshot.columns
        if sort == "relevance":
            page = scoring.rank(commit, root, ranking=chosen, limit=limit, offset=offset)
            total, docnums = page.total, page.docnums.tolist()
            scores, matched = page.scores.tolist(), page.matched_terms.tolist()
        else:
            total, found = scoring.by_date(
                commit, root, newest_first=sort == "newest", limit=limit, offset=offset
            )
            docnums = found.tolist()
            scores, matched = [0.0] * len(docnums), scoring.matched_counts(commit, root, found).tolist()
        marks = _marked(commit, root) if snippets > 0 else _Marks()  # no snippets, no need
        explain = functools.partial(_explain, commit, root, chosen) if sort == "relevance" else None
        hits = _hits(index, snapshot, docnums, scores, matched, marks, offset, snippets, snippet_chars, markers,
                     snippet_format, explain)
        counted = _count_facets(commit, root, list(facets)) if facets else {}
        suggest = functools.partial(_suggestion, query, parsed, commit) if parsed.words else None
    return Results(query=query, total=total, offset=offset, limit=limit, hits=hits, ignored=parsed.ignored,
                   dropped=parsed.dropped, facets=counted, suggest=suggest)


#: Most distinctive terms of an article that :func:`similar` searches for.
SIMILAR_TERMS = 15
# A title word counts as this many body words when picking an article's distinctive terms.
_SIMILAR_TITLE_WEIGHT = 3


def similar(
    index: SearchableIndex,
    doc_id: str,
    limit: int = 10,
    offset: int = 0,
    *,
    snippets: int = 2,
    snippet_chars: int = 200,
    markers: tuple[str, str] = DEFAULT_MARKERS,
    snippet_format: SnippetFormat = "text",
) -> Results:
    """Documents like the one with ``doc_id``, best first, itself left out.

    The article's :data:`SIMILAR_TERMS` most distinctive terms (tf-idf over its title,
    each title word counting three times, and body; terms no other document holds, or
    every document holds, and numbers are left out) are searched, each weighted by its
    tf-idf, without coordination. ``Results.query`` lists the terms searched; with none
    left (as in the bundled two-article corpus) it is ``""`` and there are no hits. The snippet options are those of :func:`search`.

    :raises DocumentError: no document has ``doc_id``.
    """
    import diplosearch.scoring as scoring

    check_page(limit, offset)
    markers = check_snippet_options(snippets, snippet_chars, markers, snippet_format)
    doc_id = id_argument(doc_id)
    with index.snapshot() as snapshot:
        with snapshot.stored_lock:
            docnum = snapshot.searcher.document_number(id=doc_id)
            if docnum is None and (cleaned := cleaned_id(doc_id)) not in ("", doc_id):
                docnum = snapshot.searcher.document_number(id=cleaned)  # as a record's id is indexed
        if docnum is None:
            raise DocumentError(f"no document with id {shown_value(doc_id)} in {index.path}")
        document = snapshot.documents([docnum])[0]
        commit = snapshot.columns
        frequencies: dict[str, int] = {}
        for text, weight in ((document.title, _SIMILAR_TITLE_WEIGHT), (document.body, 1)):
            for term in index.analyzer.terms(text):
                frequencies[term] = frequencies.get(term, 0) + weight
        documents = max(commit.live_count, 1)
        weights = {}
        for term, count in frequencies.items():
            held = max(commit.document_frequency(field, term) for field in TEXT_FIELDS)
            if held > 1 and not term.isdigit():  # a number is rarely what two articles share
                weights[term] = (1 + math.log(count)) * math.log(documents / held)
        chosen = sorted((t for t in weights if weights[t] > 0), key=lambda t: (-weights[t], t))[:SIMILAR_TERMS]
        if not chosen:
            return Results(query="", total=0, offset=offset, limit=limit, hits=[])
        top = weights[chosen[0]]
        root = AnyOf(tuple(Term(term, TEXT_FIELDS, boost=weights[term] / top) for term in chosen))
        ranking = attrs.evolve(scoring.DEFAULT_RANKING, coordination="off")
        # Ranked from the top, one more than the page: the article itself is usually
        # among the best, and wherever it stands the page must close up around it.
        page = scoring.rank(commit, root, ranking=ranking, limit=offset + limit + 1, offset=0)
        keep = [i for i, found in enumerate(page.docnums.tolist()) if found != docnum][offset : offset + limit]
        hits = _hits(index, snapshot, [int(page.docnums[i]) for i in keep], [float(page.scores[i]) for i in keep],
                     [int(page.matched_terms[i]) for i in keep], _Marks(frozenset(chosen)), offset, snippets,
                     snippet_chars, markers, snippet_format)
    # the article holds every chosen term, so it is always among the matches
    return Results(query=" ".join(chosen), total=page.total - 1, offset=offset, limit=limit, hits=hits)
