"""Helpers for the query parser's oracle test: a canonical form in which a Whoosh query
(1.0's parser) and a :mod:`diplosearch.query` tree can be compared, and a generator
of queries in the syntax both parsers read alike.

Canonical form: boosts pushed down to the leaves (multiplied along the path), one leaf
per field (``("T", field, text, boost)``, ``("P", field, texts, boost)``), nested ORs
and ANDs flattened into sets, single-child groups collapsed, exclusions as
``("NOT", positive, negative)`` with nested exclusions merged and boosts on the
negative side ignored (they never score).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from whoosh import query as wq

from diplosearch import query as dq

NOTHING = ("NOTHING",)


def _round(boost: float) -> float:
    return float(f"{boost:.9g}")


def _group(kind: str, items: list) -> tuple:  # type: ignore[type-arg]
    """An OR or AND of canonical items; ``("NEG", n)`` items (clauses that only exclude)
    become one exclusion over the rest, or a NEG when nothing else is left."""
    negatives = [item[1] for item in items if item[0] == "NEG"]
    if negatives:
        positive = _group(kind, [item for item in items if item[0] != "NEG"])
        if positive == NOTHING:
            return ("NEG", _group("OR", negatives))
        return _exclude(positive, _group("OR", negatives))
    flat: set = set()  # type: ignore[type-arg]
    for item in items:
        if item == NOTHING:
            continue
        if item[0] == kind:
            flat.update(item[1])
        else:
            flat.add(item)
    if not flat:
        return NOTHING
    if len(flat) == 1:
        return next(iter(flat))
    return (kind, frozenset(flat))


def _exclude(positive: tuple, negative: tuple) -> tuple:  # type: ignore[type-arg]
    if positive[0] == "NEG":
        return ("NEG", _group("OR", [positive[1], negative]))
    if positive == NOTHING:
        return NOTHING
    if negative == NOTHING:
        return positive
    if positive[0] == "NOT":
        return ("NOT", positive[1], _group("OR", [positive[2], negative]))
    return ("NOT", positive, negative)


def whoosh_canon(q: wq.Query) -> tuple:  # type: ignore[type-arg]
    """The canonical form of a Whoosh query from 1.0's ``parse_query``.

    1.0 put ``Not`` inside ``Or``/``And``/``AndMaybe`` (``a NOT b`` became
    ``Or(a, Not(b))``, i.e. a OR every document without b, scored only by a); README
    promises an exclusion, which is what the new parser builds, so a ``Not`` child is
    read here as an exclusion from its group, and a bare ``Not`` as nothing (1.0
    returned no hit for it: it counted no term).
    """
    canon = _whoosh(q, 1.0, False)
    return NOTHING if canon[0] == "NEG" else canon


def _whoosh(q: wq.Query, boost: float, negative: bool) -> tuple:  # type: ignore[type-arg]
    own = 1.0 if negative else boost * getattr(q, "boost", 1.0)
    if q is wq.NullQuery:
        return NOTHING
    if isinstance(q, wq.Term):
        return ("T", q.fieldname, q.text, _round(own))
    if isinstance(q, wq.Phrase):
        return ("P", q.fieldname, tuple(q.words), _round(own))
    if isinstance(q, wq.AndNot):
        return _exclude(_whoosh(q.a, own, negative), _whoosh(q.b, 1.0, True))
    if isinstance(q, wq.AndMaybe):
        required, optional = _whoosh(q.a, own, negative), _whoosh(q.b, own, negative)
        # "+a b NOT c" became a ANDMAYBE (b OR NOT c): the NOT excludes from the group.
        if optional[0] == "NEG":
            return _exclude(required, optional[1])
        if optional[0] == "NOT":
            return _exclude(_group_maybe(required, optional[1]), optional[2])
        return _group_maybe(required, optional)
    if isinstance(q, wq.Not):
        return ("NEG", _whoosh(q.query, 1.0, True))
    if isinstance(q, (wq.Or, wq.And)):
        kind = "OR" if isinstance(q, wq.Or) else "AND"
        return _group(kind, [_whoosh(child, own, negative) for child in q.subqueries])
    raise AssertionError(f"unexpected Whoosh query {q!r}")


def _group_maybe(required: tuple, optional: tuple) -> tuple:  # type: ignore[type-arg]
    if required == NOTHING:
        return NOTHING
    if optional == NOTHING:
        return required
    return ("MAYBE", required, optional)


def tree_canon(node: dq.Node, boost: float = 1.0, negative: bool = False) -> tuple:  # type: ignore[type-arg]
    """The canonical form of a query tree of the new parser."""
    own = 1.0 if negative else boost * node.boost
    if isinstance(node, dq.MatchNothing):
        return NOTHING
    if isinstance(node, dq.Term):
        return _group("OR", [("T", field, node.text, _round(own)) for field in node.fields])
    if isinstance(node, dq.Phrase):
        return _group("OR", [("P", field, node.texts, _round(own)) for field in node.fields])
    if isinstance(node, dq.AnyOf):
        return _group("OR", [tree_canon(child, own, negative) for child in node.children])
    if isinstance(node, dq.AllOf):
        return _group("AND", [tree_canon(child, own, negative) for child in node.children])
    if isinstance(node, dq.Exclude):
        return _exclude(tree_canon(node.positive, own, negative), tree_canon(node.negative, 1.0, True))
    if isinstance(node, dq.AndMaybe):
        return _group_maybe(tree_canon(node.required, own, negative), tree_canon(node.optional, own, negative))
    raise AssertionError(f"node {node!r} has no 1.0 counterpart")


def canon_terms(canon: tuple, negative: bool = False) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    """The (field, term) pairs of the positive side of a canonical form."""
    kind = canon[0]
    if kind == "T":
        return {(canon[1], canon[2])}
    if kind == "P":
        return {(canon[1], text) for text in canon[2]}
    if kind in ("OR", "AND"):
        return set().union(*(canon_terms(child) for child in canon[1]))
    if kind == "NOT":
        return canon_terms(canon[1])
    if kind == "MAYBE":
        return canon_terms(canon[1]) | canon_terms(canon[2])
    return set()


# ---------------------------------------------------------------------------------
# Generated queries

FIELDS = ("title", "quotes", "captions", "body")
# Always in the mix: stop words and the hyphenated forms README promises.
EXTRA_WORDS = ("yang", "dan", "di", "negara-negara", "sosial-ekonomi", "Covid-19", "Jum'at", "1.000", "kerja")
_PLAIN_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'.,-]*[A-Za-z0-9]|[A-Za-z0-9]")


def corpus_words(corpus_files: list[Path]) -> list[str]:
    """Words of the bundled articles, as a user would type them (no syntax characters)."""
    words: set[str] = set(EXTRA_WORDS)
    for path in corpus_files:
        for raw in path.read_text(encoding="utf-8").split():
            match = _PLAIN_WORD.fullmatch(raw.strip(".,;:!?()\"'“”‘’"))
            if match and match.group() not in ("AND", "OR", "NOT"):
                words.add(match.group())
    return sorted(words)


class QueryGenerator:
    """Random queries in the part of the syntax where 1.0 read what README says.

    Left out on purpose (1.0 differs there, wrongly or by design): ``-``/``+`` inside
    parentheses (1.0 raised an internal error); ``+`` in a group with ``AND`` (1.0 let
    the ``+`` take the whole group: ``+a AND b`` was a ANDMAYBE b); ``-x`` next to
    ``AND`` (1.0 excluded x from the whole group, where ``NOT x`` excluded it from its
    AND: the new parser reads ``-x`` as ``NOT x``); ``NOT`` inside parentheses (1.0's
    OR flattening moved the ``Not`` out of its group); ``NOT NOT`` (refused); dangling
    operators (1.0 searched the words "and"/"or"); filters and fuzzy terms (new); curly
    quotes (1.0 read them as punctuation); a boost in a group with ``OR`` or next to
    ``AND`` (1.0 applied it to the right operand of OR as well, and lost some next to AND);
    a boost on a phrase of one term (1.0 lost it when the phrase had a field); ``+`` before a stop word (1.0 then
    returned nothing at all).
    """

    def __init__(self, words: list[str], content_words: list[str], seed: int) -> None:
        self.words = words
        self.content_words = content_words
        self.rng = random.Random(seed)

    def boost(self, allowed: bool) -> str:
        if allowed and self.rng.random() < 0.15:
            return self.rng.choice(("^2", "^0.5", "^3", "^1.5"))
        return ""

    def word(self, boost_ok: bool) -> str:
        return self.rng.choice(self.words) + self.boost(boost_ok)

    def phrase(self, boost_ok: bool) -> str:
        boost = self.boost(boost_ok)
        if boost:
            # 1.0 dropped the boost of a phrase of one term ("title:\"kata\"^3").
            words = " ".join(self.rng.choice(self.content_words) for _ in range(self.rng.randint(2, 4)))
        else:
            words = " ".join(self.rng.choice(self.words) for _ in range(self.rng.randint(1, 4)))
        return f'"{words}"' + boost

    def item(self, depth: int, boost_ok: bool) -> str:
        roll = self.rng.random()
        if roll < 0.45:
            return self.word(boost_ok)
        if roll < 0.6:
            return self.phrase(boost_ok)
        if roll < 0.75:
            field = self.rng.choice(FIELDS)
            return f"{field}:" + self.rng.choice([self.word(boost_ok), self.phrase(boost_ok)])
        if roll < 0.85 and depth < 2:
            field = self.rng.choice(FIELDS)
            return f"{field}:({self.sequence(depth + 1, signs=False)})" + self.boost(boost_ok)
        if depth < 2:
            return f"({self.sequence(depth + 1, signs=False)})" + self.boost(boost_ok)
        return self.word(boost_ok)

    def sequence(self, depth: int, signs: bool) -> str:
        count = self.rng.randint(1, 4)
        joiners = [self.rng.choice(("", "", "OR", "AND")) for _ in range(count - 1)]
        parts: list[str] = []
        for index in range(count):
            # 1.0 gave the boost of an OR's left operand to its right one too
            # ("a^3 OR b" boosted b by 3; "a^3 +b OR c" boosted c) and lost some
            # next to AND: boosts only in groups without OR, between juxtaposed operands.
            boost_ok = "OR" not in joiners and not any(joiners[max(index - 1, 0) : index + 1])
            sign = ""
            if signs:
                next_to_and = "AND" in joiners[max(index - 1, 0) : index + 1]
                options = ["", "", "", "NOT "]
                if not next_to_and:
                    options.append("-")
                if "AND" not in joiners:
                    options.append("+")
                sign = self.rng.choice(options)
            if index and joiners[index - 1]:
                parts.append(joiners[index - 1])
            if sign == "+":
                # 1.0 dropped the whole query when a required word was a stop word.
                parts.append("+" + self.rng.choice(self.content_words))
            else:
                parts.append(sign + self.item(depth, boost_ok))
        return " ".join(parts)

    def query(self) -> str:
        return self.sequence(0, signs=True)
