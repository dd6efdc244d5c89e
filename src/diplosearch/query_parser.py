"""The query parser: the text a user typed -> a :mod:`diplosearch.query` tree.

Grammar (``|`` alternatives, ``[]`` optional, ``*`` repeated)::

    query   := or_expr
    or_expr := and_expr ([OR] and_expr)*        juxtaposition means OR
    and_expr:= unary (AND unary)*
    unary   := NOT unary | -primary | +primary | primary
    primary := [name:] (word | "phrase" | (or_expr)) [^boost] [~edits]

Precedence is NOT > AND > OR; Lucene's ``!x``, ``&&``, ``||`` are ``NOT x``, AND, OR. The
text is cleaned first as stored text is (:func:`~diplosearch.analysis.normalize.clean_text`).
What each form becomes:

- ``word``: analysed with ``analyzer.terms(word)`` as documents were; one term gives a
  :class:`~diplosearch.query.Term` over the default fields, several (``sosial-ekonomi``,
  ``Covid-19``) an ``AnyOf`` of Terms, none (a stop word) nothing, the word being listed
  in ``ParsedQuery.ignored``. A ``-`` or ``+`` is an operator only at the start of a
  word (after a space, a ``(`` or the start): inside one (``negara-negara``) it is text.
- ``"a phrase"`` (also typographic quotes): a ``Phrase`` of its analysed terms; stop
  words drop out without leaving a gap, as the analyzer's positions do. One term gives
  a Term. ``~N`` after a phrase (proximity) is read as an exact phrase.
- ``title:word``, ``title:"phrase"``, ``title:(group)``: restricted to that text field;
  a prefix inside a group overrides the group's. ``title:-word`` is ``-title:word`` (``+``, ``!`` too).
- ``-x`` / ``NOT x`` exclude: in a group, the excluded clauses are OR-ed into the
  ``negative`` of one ``Exclude`` over the rest (``a NOT b c`` is ``(a OR c)`` without
  ``b``; in ``a AND NOT b`` the exclusion binds to its AND). Each ``NOT``/``-`` flips:
  ``NOT NOT x`` is ``x``. ``+x`` is required: ``AndMaybe(AllOf(required), AnyOf(rest))``;
  inside an AND it changes nothing.
- ``x^2`` boosts a word, phrase or group: a number from 0 to 1,000,000 (``inf``,
  ``nan``, ``1e320``, negative numbers raise :class:`QueryError`); ``^`` alone is ignored,
  and so is a boost on a filter (filters never score).
- ``kata~`` is a ``Fuzzy`` of the analysed word, 1 edit (2 when the analysed form has
  8 or more characters); ``kata~N`` sets the edits, at most 2 (``~0`` is exact; Lucene's
  similarity ``~0.8`` reads as ``~``, ``~1.5`` as ``~1``). A
  ``~`` after a group is ignored.
- Filters (``filter_fields``, default ``source``, ``category``, ``sub_category``):
  ``source:tempo.co``, ``category:"Ekonomi"``, ``source:(kompas.com tempo.co)`` give a
  ``Filter`` of case-folded values; repeated clauses of one filter are OR-ed. Inside
  a filter's parentheses every word and phrase is a value (operators are ignored).
- Dates (``date_field``): ``date:2019``, ``date:2019-09``, ``date:2019-09-16``,
  ``date:2019-09-01..2019-09-30`` (either side may be empty), ``date:>=2019-09-15``,
  ``date:>``, ``date:<``, ``date:<=`` give a ``DateRange`` with inclusive ``date``
  bounds. Repeated date clauses are alternatives (OR-ed), except that the one-sided
  bounds combine into one range (``date:>=2019-09-15 date:<2019-10-01``).
- A filter restricts the group it stands in (the whole query, or its parentheses),
  whatever operators stand around it: ``source:tempo.co banjir`` is banjir within
  tempo.co, never an OR. A group of filters only is its filters over ``MatchAll``;
  ``-source:x`` excludes. Filters never score and their values are never terms.
- A ``name:`` prefix that is not a field raises :class:`QueryError` naming the fields,
  when ``name`` is a lower-case identifier followed by text (``foo:bar``,
  ``published:2019``), and so do a prefix after a filter's (``source:title:x``) and a
  filter's after a text field's (``title:source:x``), either of which would lose one
  prefix; field names are matched case-insensitively. A colon is text in
  any other word: ``http://x``, ``10:30``, ``Wiranto:Saya`` (headlines do that),
  ``name:`` before a space. Put such text in quotes to search it as written.

Leniency (malformed syntax is read, never refused): unbalanced parentheses close at
the end or are ignored; an unterminated quote runs to the end; a dangling ``AND``,
``OR``, ``NOT``, ``-`` or ``+`` is ignored; empty groups and stop-word-only groups drop
out; a group holding only exclusions is an exclusion in its parent group, and a whole
query of exclusions alone (no filter to list) finds nothing. Parentheses nest at most
:data:`MAX_GROUP_DEPTH` deep; deeper ones are ignored. An empty or stop-words-only
query gives a ``MatchNothing`` root.

Limits: the text may hold :data:`MAX_QUERY_CHARS` characters (longer raises
:class:`QueryError`). The query may look up at most ``max_terms`` distinct index terms,
counting excluded ones too, since every one costs the scorer a posting list: leaves
(Term, Phrase, Fuzzy) are taken in the order typed, and from the first leaf that would
bring a new term past the limit on, every leaf bringing a new term is dropped from the
tree; its new terms are listed in ``ParsedQuery.dropped``. A ``Fuzzy`` counts as its
one analysed word (its close spellings: ``diplosearch.query.with_expansion_budget``).
A phrase of two or more terms also reads its terms' positions, which costs several
times what its terms alone do, so a query holds at most :data:`MAX_QUERY_PHRASES`
distinct ones (excluded ones too); later new ones are dropped and listed in
``dropped`` quoted (``"kota tua"``).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, Sequence

import attrs

from .analysis.normalize import clean_text
from .errors import QueryError
from .query import (
    AllOf,
    AndMaybe,
    AnyOf,
    DateRange,
    Exclude,
    Filter,
    Fuzzy,
    MatchAll,
    MatchNothing,
    Node,
    Phrase,
    Term,
    leaf_terms,
    all_of,
    any_of,
    excluding,
    positive_leaves,
    with_boost,
    with_expansion_budget,
)
from .query_syntax import AUTO_EDITS, MAX_BOOST, Lexer, Token, is_plain, parse_date_value

__all__ = [
    "MAX_BOOST",
    "MAX_GROUP_DEPTH",
    "MAX_QUERY_CHARS",
    "MAX_QUERY_PHRASES",
    "ParsedQuery",
    "TermAnalyzer",
    "parse_query",
]

#: Queries longer than this are refused rather than silently cut.
MAX_QUERY_CHARS = 2_000
#: Parentheses nested deeper than this are ignored (they bound the parser's recursion).
MAX_GROUP_DEPTH = 32
#: Distinct phrases (of two or more terms) one query may hold: each costs about 1.3
#: ms at 22k articles when its words are common (benchmarks/worst_case.py), five times a
#: typical query, so four keep the costliest query near 20 typical ones.
MAX_QUERY_PHRASES = 4
# Analysed forms this long or longer get two edits with a bare ``~``.
_LONG_WORD_CHARS = 8


class TermAnalyzer(Protocol):
    """What the parser needs of an analyzer (``IndonesianAnalyzer`` is one)."""

    def terms(self, text: str) -> list[str]:
        """The index terms of ``text``, in order."""
        ...


@attrs.frozen
class ParsedQuery:
    """A parsed query: its tree and what the parser learned on the way."""

    root: Node
    terms: frozenset[str]
    """Distinct positive index terms (never excluded ones, never filter values); a
    ``Fuzzy`` contributes its analysed word, not its expansions."""
    words: tuple[tuple[str, tuple[str, ...]], ...]
    """Each typed text word (every occurrence, in order) with its analysed terms."""
    ignored: tuple[str, ...]
    """Distinct typed words that yielded no term (stop words)."""
    dropped: tuple[str, ...]
    """Distinct terms left out of the tree by the ``max_terms`` limit, and phrases (quoted)
    past :data:`MAX_QUERY_PHRASES`, in order typed."""
    has_filters: bool
    """Whether the tree holds a ``Filter`` or ``DateRange`` anywhere."""


# A clause of a group: its polarity and node.
_SHOULD, _MUST, _NOT = "should", "must", "not"


@attrs.define
class _Clause:
    polarity: str
    node: Node


@attrs.define
class _Filters:
    """The filter clauses of one group, merged per field."""

    values: dict[str, list[str]] = attrs.Factory(dict)
    dates: list[tuple[dt.date | None, dt.date | None]] = attrs.Factory(list)
    given: list[Node] = attrs.Factory(list)  # parse_query's ``filters``, AND-ed as they are

    def nodes(self) -> list[Node]:
        nodes: list[Node] = [Filter(field, tuple(values)) for field, values in self.values.items()]
        if self.dates:
            nodes.append(_date_node(self.dates))
        return nodes + self.given


def _date_node(ranges: list[tuple[dt.date | None, dt.date | None]]) -> Node:
    lower = [start for start, end in ranges if end is None and start is not None]
    upper = [end for start, end in ranges if start is None and end is not None]
    closed = [(start, end) for start, end in ranges if start is not None and end is not None]
    alternatives: list[tuple[dt.date | None, dt.date | None]] = list(closed)
    if lower or upper:
        # One-sided bounds are alternatives among themselves (the widest wins) and
        # combine into one range with each other: date:>=A date:<B is A..B.
        alternatives.append((min(lower) if lower else None, max(upper) if upper else None))
    nodes: list[Node] = []
    for start, end in alternatives:
        if start is not None and end is not None and start > end:
            continue
        nodes.append(DateRange(start, end))
    return any_of(nodes) if nodes else MatchNothing()


def _filter_value(text: str) -> str:
    return " ".join(text.casefold().split())


# ---------------------------------------------------------------------------------
# Parsing


class _Parser:
    """Recursive descent over the tokens (one method per grammar rule), with the term
    budget and the words seen on the way."""

    def __init__(self, tokens: list[Token], analyzer: TermAnalyzer, text_fields: tuple[str, ...],
                 default_fields: tuple[str, ...], filter_fields: frozenset[str], date_field: str,
                 max_terms: int, given_filters: Sequence[Node] = ()) -> None:
        self.tokens = tokens
        self.given_filters = list(given_filters)
        self.index = 0
        self.analyzer = analyzer
        self.text_fields = text_fields
        self.default_fields = default_fields
        self.filter_fields = filter_fields
        self.date_field = date_field
        self.max_terms = max_terms
        self.words: list[tuple[str, tuple[str, ...]]] = []
        self.ignored: dict[str, None] = {}
        self.admitted: set[str] = set()
        self.budget_closed = False
        self.dropped: dict[str, None] = {}
        self.phrases: set[tuple[str, ...]] = set()
        self.fuzzy = False  # whether a Fuzzy was made (its expansions are then budgeted)
        self.skipped_opens = 0  # "(" ignored beyond MAX_GROUP_DEPTH, whose ")" are ignored too

    # -- token stream
    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def take_suffix(self) -> Token | None:
        token = self.peek()
        if token is not None and token.kind == "suffix":
            return self.take()
        return None

    # -- the term budget
    def admit(self, terms: Sequence[str]) -> bool:
        """Whether a leaf of ``terms`` fits the budget (see the module); records it."""
        admitted = self.admitted
        if len(terms) == 1:
            new = [] if terms[0] in admitted else list(terms)
        else:
            new = [term for term in dict.fromkeys(terms) if term not in admitted]
        if not new:
            return True
        if not self.budget_closed and len(self.admitted) + len(new) <= self.max_terms:
            self.admitted.update(new)
            return True
        self.budget_closed = True
        self.dropped.update(dict.fromkeys(new))
        return False

    # -- grammar
    def parse(self) -> Node:
        clause = self.group(depth=0, field=None, top=True)
        if clause is None or clause.polarity == _NOT:
            return MatchNothing()
        return clause.node

    def group(self, depth: int, field: str | None, top: bool = False) -> _Clause | None:
        """An or_expr up to its ``)`` (consumed) or the end."""
        clauses: list[_Clause] = []
        filters = _Filters(given=self.given_filters if top else [])
        while (token := self.peek()) is not None:
            if token.kind == "close":
                self.take()
                if self.skipped_opens:
                    self.skipped_opens -= 1
                    continue
                if top:
                    continue  # a stray ")"
                break
            if token.kind in ("or", "and"):
                self.take()  # OR is the default; an AND with nothing on its left is dangling
                continue
            clause = self.and_expr(depth, field, filters)
            if clause is not None:
                clauses.append(clause)
        return self.combine(clauses, filters)

    def combine(self, clauses: list[_Clause], filters: _Filters) -> _Clause | None:
        should = [c.node for c in clauses if c.polarity == _SHOULD]
        must = [c.node for c in clauses if c.polarity == _MUST]
        negatives = [c.node for c in clauses if c.polarity == _NOT]
        base: Node | None = None
        if must:
            base = all_of(must)
            if should:
                optional = any_of(should)
                if not isinstance(optional, MatchNothing):
                    base = AndMaybe(base, optional) if not isinstance(base, MatchNothing) else base
        elif should:
            base = any_of(should)
        filter_nodes = filters.nodes()
        if filter_nodes:
            base = all_of([base if base is not None else MatchAll(), *filter_nodes])
        if base is None:
            if negatives:
                return _Clause(_NOT, any_of(negatives))
            return None
        return _Clause(_MUST if must else _SHOULD, excluding(base, negatives))

    def and_expr(self, depth: int, field: str | None, filters: _Filters) -> _Clause | None:
        operands: list[_Clause] = []
        clause = self.unary(depth, field, filters)
        if clause is not None:
            operands.append(clause)
        while (token := self.peek()) is not None and token.kind == "and":
            self.take()
            clause = self.unary(depth, field, filters)
            if clause is not None:
                operands.append(clause)
        if len(operands) <= 1:
            return operands[0] if operands else None
        positives = [c.node for c in operands if c.polarity != _NOT]
        negatives = [c.node for c in operands if c.polarity == _NOT]
        if not positives:
            return _Clause(_NOT, any_of(negatives))
        polarity = _MUST if any(c.polarity == _MUST for c in operands) else _SHOULD
        return _Clause(polarity, excluding(all_of(positives), negatives))

    def unary(self, depth: int, field: str | None, filters: _Filters) -> _Clause | None:
        negated = False
        required = False
        while (token := self.peek()) is not None and token.kind in ("not", "minus", "plus"):
            self.take()
            if token.kind == "plus":
                required = True
            else:
                negated = not negated
        token = self.peek()
        if token is None or token.kind in ("close", "and", "or"):
            return None  # a dangling operator
        if not negated:
            clause = self.primary(depth, field, filters)
        else:
            # A filter under NOT excludes: it must not join the group's own filters.
            own_filters = _Filters()
            clause = self.primary(depth, field, own_filters)
            if clause is not None and clause.polarity == _NOT:
                # NOT of a group of exclusions only: what it excluded is now wanted.
                return _Clause(_MUST if required else _SHOULD, clause.node)
            excluded = [clause.node] if clause is not None else own_filters.nodes()
            return _Clause(_NOT, all_of(excluded)) if excluded else None
        if clause is None:
            return None
        if required and clause.polarity == _SHOULD:
            return _Clause(_MUST, clause.node)
        return clause

    def primary(self, depth: int, field: str | None, filters: _Filters) -> _Clause | None:
        token = self.take()
        if token.kind == "field":
            follower = self.peek()
            name = token.field
            if follower is None:
                return None
            if name in self.filter_fields or name == self.date_field:
                self.filter_values(name, filters, token.raw)
                return None
            field = name
            token = self.take()
        if token.kind == "open":
            if depth >= MAX_GROUP_DEPTH:
                self.skipped_opens += 1
                return None
            clause = self.group(depth + 1, field)
            suffix = self.take_suffix()
            if clause is None or suffix is None:
                return clause
            return _Clause(clause.polarity, with_boost(clause.node, suffix.boost))
        if token.kind == "phrase":
            suffix = self.take_suffix()
            node = self.phrase(token.text, field)
            if node is None:
                return None
            return _Clause(_SHOULD, with_boost(node, suffix.boost if suffix else None))
        if token.kind == "word":
            word_field = token.field or field
            if token.field is not None and (token.field in self.filter_fields or token.field == self.date_field):
                self.add_filter(token.field, [token.text], filters, token.raw)
                return None
            node = self.word(token.text, word_field, token.edits)
            if node is None:
                return None
            return _Clause(_SHOULD, with_boost(node, token.boost))
        return None  # "suffix" tokens out of place, a "field" before nothing

    def filter_values(self, name: str, filters: _Filters, raw: str) -> None:
        """The values after ``name:`` (a word, a phrase or a group of them)."""
        token = self.take()
        if token.kind == "phrase":
            self.take_suffix()
            self.add_filter(name, [token.text], filters, raw + token.text)
            return
        if token.kind == "word":
            self.add_filter(name, [token.raw if token.field else token.text], filters, raw + token.raw)
            return
        if token.kind != "open":
            return
        values: list[str] = []
        nesting = 1
        while nesting and (token := self.peek()) is not None:
            self.take()
            if token.kind == "open":
                nesting += 1
            elif token.kind == "close":
                nesting -= 1
            elif token.kind == "phrase":
                values.append(token.text)
            elif token.kind == "word":
                values.append(token.raw if token.field else token.text)
        self.take_suffix()
        self.add_filter(name, values, filters, f"{raw}({' '.join(values)})")

    def add_filter(self, name: str, values: list[str], filters: _Filters, clause: str) -> None:
        if name == self.date_field:
            filters.dates.extend(parse_date_value(value, f"{name}:{value}") for value in values if value.strip())
            return
        kept = filters.values.setdefault(name, [])
        for value in values:
            folded = _filter_value(value)
            if folded and folded not in kept:
                kept.append(folded)
        if not kept:
            del filters.values[name]

    def analyse(self, chunk: str) -> tuple[str, ...]:
        terms = tuple(self.analyzer.terms(chunk))
        if terms:
            self.words.append((chunk, terms))
        elif any(character.isalnum() for character in chunk):
            self.words.append((chunk, ()))
            self.ignored[chunk] = None
        return terms

    def word(self, text: str, field: str | None, edits: int | None) -> Node | None:
        terms = self.analyse(text)
        fields = (field,) if field is not None else self.default_fields
        leaves: list[Node] = []
        for term in dict.fromkeys(terms) if len(terms) > 1 else terms:
            if not self.admit((term,)):
                continue
            if edits is None or edits == 0:
                leaves.append(Term(term, fields))
            else:
                wanted = (2 if len(term) >= _LONG_WORD_CHARS else 1) if edits == AUTO_EDITS else edits
                leaves.append(Fuzzy(term, fields, max_edits=wanted))
                self.fuzzy = True
        if len(leaves) <= 1:
            return leaves[0] if leaves else None
        return any_of(leaves)

    def phrase(self, text: str, field: str | None) -> Node | None:
        terms: list[str] = []
        for chunk in text.split():
            terms.extend(self.analyse(chunk))
        if not terms:
            return None
        texts = tuple(terms)
        if len(texts) > 1 and texts not in self.phrases and len(self.phrases) >= MAX_QUERY_PHRASES:
            self.dropped['"' + " ".join(texts) + '"'] = None
            return None
        if not self.admit(terms):
            return None
        fields = (field,) if field is not None else self.default_fields
        if len(terms) == 1:
            return Term(terms[0], fields)
        self.phrases.add(texts)
        return Phrase(texts, fields)


# ---------------------------------------------------------------------------------
# Reading the tree


def _has_filters(node: Node) -> bool:
    if isinstance(node, (Filter, DateRange)):
        return True
    if isinstance(node, (AnyOf, AllOf)):
        return any(_has_filters(child) for child in node.children)
    if isinstance(node, Exclude):
        return _has_filters(node.positive) or _has_filters(node.negative)
    if isinstance(node, AndMaybe):
        return _has_filters(node.required) or _has_filters(node.optional)
    return False


def parse_query(
    text: str,
    analyzer: TermAnalyzer,
    *,
    text_fields: Sequence[str],
    default_fields: Sequence[str] | None = None,
    filter_fields: Sequence[str] = ("source", "category", "sub_category"),
    date_field: str = "date",
    max_terms: int = 64,
    filters: Sequence[Node] = (),
) -> ParsedQuery:
    """Parse what a user typed into a query tree (grammar and limits: see the module).

    :param analyzer: analyses words as the documents were (``analyzer.terms(word)``).
    :param text_fields: the searchable text fields ``name:`` may restrict to.
    :param default_fields: fields searched by words without a prefix (default all
        ``text_fields``).
    :param filter_fields: exact-value filter fields (``source:tempo.co``).
    :param date_field: the field name of date filters (``date:2019-09``).
    :param max_terms: most distinct index terms one query may look up.
    :param filters: ``Filter``/``DateRange`` nodes restricting the whole query as if typed
        at its top level (``-x`` with a source filter lists that source without ``x``).
    :raises QueryError: the text is not a string or too long, names an unknown field,
        holds a boost out of range or a date that cannot be read.
    """
    if not isinstance(text, str):
        raise QueryError(f"a query must be a string, not {type(text).__name__}")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}")
    if isinstance(max_terms, bool) or not isinstance(max_terms, int) or max_terms < 1:
        raise QueryError(f"max_terms must be a whole number >= 1, not {max_terms!r}")
    text_field_names = tuple(text_fields)
    if not text_field_names:
        raise QueryError("at least one text field is needed")
    defaults = tuple(default_fields) if default_fields else text_field_names
    unknown = [name for name in defaults if name not in text_field_names]
    if unknown:
        raise QueryError(f"unknown field {unknown[0]!r}; searchable fields are {', '.join(text_field_names)}")
    cleaned = clean_text(text)
    if not filters and is_plain(cleaned):
        return _parse_plain(cleaned, analyzer, defaults, max_terms)
    known = tuple(dict.fromkeys((*text_field_names, *filter_fields, date_field)))
    tokens = list(Lexer(cleaned, known, (*filter_fields, date_field)).tokens())
    parser = _Parser(tokens, analyzer, text_field_names, defaults, frozenset(filter_fields), date_field, max_terms,
                     filters)
    root = parser.parse()
    if parser.fuzzy:
        root = with_expansion_budget(root)
    terms = frozenset(term for leaf in positive_leaves(root) for term in leaf_terms(leaf))
    return ParsedQuery(
        root=root,
        terms=terms,
        words=tuple(parser.words),
        ignored=tuple(parser.ignored),
        dropped=tuple(parser.dropped),
        has_filters=_has_filters(root),
    )


def _parse_plain(text: str, analyzer: TermAnalyzer, fields: tuple[str, ...], max_terms: int) -> ParsedQuery:
    """What the parser makes of text :func:`~diplosearch.query_syntax.is_plain` accepts
    (words alone), in one loop: most queries are such, and each word through the
    grammar's methods cost a tenth of a query's time (the parser and its methods are
    the reference ``tests/test_query_parser.py`` holds this to).

    Every term of every word is a leaf over ``fields``, in the order typed, each once;
    from the first new term past ``max_terms`` on, new terms are dropped (a word's terms
    are admitted one by one, as the parser's words are)."""
    words: list[tuple[str, tuple[str, ...]]] = []
    ignored: dict[str, None] = {}
    admitted: dict[str, None] = {}
    dropped: dict[str, None] = {}
    terms_of = analyzer.terms
    for chunk in text.split():
        terms = tuple(terms_of(chunk))
        if terms:
            words.append((chunk, terms))
            for term in terms:
                if term not in admitted:
                    if len(admitted) < max_terms:
                        admitted[term] = None
                    else:
                        dropped[term] = None
        elif any(character.isalnum() for character in chunk):
            words.append((chunk, ()))
            ignored[chunk] = None
    leaves = [Term(term, fields) for term in admitted]
    root: Node = AnyOf(tuple(leaves)) if len(leaves) > 1 else leaves[0] if leaves else MatchNothing()
    return ParsedQuery(root=root, terms=frozenset(admitted), words=tuple(words), ignored=tuple(ignored),
                       dropped=tuple(dropped), has_filters=False)
