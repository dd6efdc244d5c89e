"""A plain-Python reference for :mod:`diplosearch.scoring`: scores any query tree by
brute force from an index's stored documents and the analyzer, one document at a
time, with the formulas written out (no numpy, no column files, no Whoosh matcher).

It re-analyses every stored text field of every document (deleted ones too, since
Whoosh's statistics count them), so it is slow and meant for small fixture corpora.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict

import attrs
from whoosh.util.numeric import byte_to_length, length_to_byte

from diplosearch import query as q
from diplosearch.schema import lead_text
from diplosearch.ranking import Ranking

TEXT_FIELDS = ("title", "lead", "quotes", "captions", "body")


@attrs.define
class RefDoc:
    docnum: int
    live: bool
    positions: dict[str, dict[str, list[int]]]  # field -> term -> positions
    lengths: dict[str, int]  # field -> number of tokens
    stored: dict[str, object]


def _field_text(stored: dict[str, object], field: str) -> str:
    """The text indexed in ``field``: a derived title is stored for display only, and
    the lead (not stored) is the body's first two sentences."""
    if field == "title" and stored.get("title_is_derived"):
        return ""
    if field == "lead":
        return lead_text(str(stored.get("body") or ""))
    value = stored.get(field)
    if isinstance(value, list):  # quotes and captions are stored as lists, indexed joined
        return "\n".join(str(v) for v in value)
    return str(value or "")


class ReferenceIndex:
    def __init__(self, index) -> None:  # type: ignore[no-untyped-def]
        analyzer = index.analyzer
        self.docs: list[RefDoc] = []
        with index.reading() as searcher:
            for leaf, offset in searcher.reader().leaf_readers():
                deleted = set(leaf._segment.deleted_docs() or ())
                for local in range(leaf.doc_count_all()):
                    stored = dict(leaf.stored_fields(local))
                    positions: dict[str, dict[str, list[int]]] = {}
                    lengths = {}
                    for field in TEXT_FIELDS:
                        tokens = [(t.text, t.pos) for t in analyzer(_field_text(stored, field), positions=True, mode="index")]
                        per_term: dict[str, list[int]] = defaultdict(list)
                        for text, pos in tokens:
                            per_term[text].append(pos)
                        positions[field] = dict(per_term)
                        lengths[field] = len(tokens)
                    self.docs.append(RefDoc(offset + local, local not in deleted, positions, lengths, stored))
        self.n = len(self.docs)
        self.df: dict[str, Counter[str]] = {f: Counter() for f in TEXT_FIELDS}
        for doc in self.docs:
            for field in TEXT_FIELDS:
                self.df[field].update(doc.positions[field].keys())
        self._any_field_df: dict[tuple[tuple[str, ...], str], int] = {}
        self.avg = {f: (sum(d.lengths[f] for d in self.docs) / (self.n or 1)) or 1 for f in TEXT_FIELDS}

    # -- formulas -------------------------------------------------------------------

    def coded_length(self, doc: RefDoc, field: str) -> float:
        return byte_to_length(length_to_byte(doc.lengths[field]))

    def tf(self, doc: RefDoc, field: str, text: str) -> int:
        return len(doc.positions[field].get(text, ()))

    def field_term_score(self, doc: RefDoc, field: str, text: str, r: Ranking) -> float:
        """Whoosh's bm25() for one field, times the field's weight."""
        tf = self.tf(doc, field, text)
        if not tf:
            return 0.0
        idf = math.log(self.n / (self.df[field][text] + 1)) + 1
        fl = self.coded_length(doc, field)
        return idf * ((tf * (r.k1 + 1)) / (tf + r.k1 * ((1 - r.b) + r.b * fl / self.avg[field]))) * r.weight(field)

    def bm25f_term_score(self, doc: RefDoc, fields, text: str, r: Ranking) -> float:  # type: ignore[no-untyped-def]
        t = sum(
            r.weight(f) * self.tf(doc, f, text) / (1 - r.b + r.b * self.coded_length(doc, f) / self.avg[f])
            for f in fields
        )
        if not t:
            return 0.0
        key = (tuple(fields), text)
        df = self._any_field_df.get(key)
        if df is None:
            df = self._any_field_df[key] = sum(1 for d in self.docs if any(self.tf(d, f, text) for f in fields))
        idf = math.log(1 + (self.n - df + 0.5) / (df + 0.5))
        return idf * t / (t + r.k1)

    def phrase_in(self, doc: RefDoc, field: str, texts) -> bool:  # type: ignore[no-untyped-def]
        first = doc.positions[field].get(texts[0], [])
        return any(all(p + i in doc.positions[field].get(w, []) for i, w in enumerate(texts)) for p in first)

    # -- evaluation -----------------------------------------------------------------

    def evaluate(self, node: q.Node, doc: RefDoc, r: Ranking) -> tuple[bool, float, set[str]]:
        """(matches, score, matched positive terms) of ``node`` for one document."""
        matches, score, terms = self._evaluate(node, doc, r)
        return matches, score * node.boost, terms

    def _evaluate(self, node, doc, r):  # type: ignore[no-untyped-def]
        if isinstance(node, q.Term):
            present = [f for f in node.fields if self.tf(doc, f, node.text)]
            if not present:
                return False, 0.0, set()
            if r.model == "per_field":
                return True, sum(self.field_term_score(doc, f, node.text, r) for f in present), {node.text}
            return True, self.bm25f_term_score(doc, node.fields, node.text, r), {node.text}
        if isinstance(node, q.Phrase):
            if len(node.texts) == 1:
                return self._evaluate(q.Term(node.texts[0], node.fields), doc, r)
            standing = [f for f in node.fields if self.phrase_in(doc, f, node.texts)]
            if not standing:
                return False, 0.0, set()
            if r.model == "per_field":
                score = sum(self.field_term_score(doc, f, t, r) for f in standing for t in node.texts)
            else:
                score = sum(self.bm25f_term_score(doc, node.fields, t, r) for t in node.texts)
            return True, score, set(node.texts)
        if isinstance(node, q.AnyOf):  # identical children count once, as Whoosh normalises them
            results = [self.evaluate(c, doc, r) for c in dict.fromkeys(node.children)]
            hits = [res for res in results if res[0]]
            return bool(hits), sum(res[1] for res in hits), set().union(*(res[2] for res in hits))
        if isinstance(node, q.AllOf):
            results = [self.evaluate(c, doc, r) for c in dict.fromkeys(node.children)]
            if not results or not all(res[0] for res in results):
                return False, 0.0, set()
            return True, sum(res[1] for res in results), set().union(*(res[2] for res in results))
        if isinstance(node, q.Exclude):
            positive = self.evaluate(node.positive, doc, r)
            if not positive[0] or self.evaluate(node.negative, doc, r)[0]:
                return False, 0.0, set()
            return positive
        if isinstance(node, q.AndMaybe):
            required = self.evaluate(node.required, doc, r)
            if not required[0]:
                return False, 0.0, set()
            optional = self.evaluate(node.optional, doc, r)
            if not optional[0]:
                return required
            return True, required[1] + optional[1], required[2] | optional[2]
        if isinstance(node, q.Filter):
            value = doc.stored.get(node.field)
            wanted = {v.strip().casefold() for v in node.values}
            ok = isinstance(value, str) and bool(value.strip()) and value.strip().casefold() in wanted
            return ok, 0.0, set()
        if isinstance(node, q.DateRange):
            published = doc.stored.get("published")
            if not published:
                return False, 0.0, set()
            day = dt.date.fromisoformat(str(published)[:10])
            ok = (node.start is None or day >= node.start) and (node.end is None or day <= node.end)
            return ok, 0.0, set()
        if isinstance(node, q.MatchAll):
            return True, 0.0, set()
        if isinstance(node, q.MatchNothing):
            return False, 0.0, set()
        raise TypeError(node)

    def rank(self, root: q.Node, r: Ranking, limit: int, offset: int = 0):  # type: ignore[no-untyped-def]
        """(total, [(docnum, score, matched terms)]) for the page, best first."""
        positive = set()
        _collect_positive(root, positive)
        rows = []
        for doc in self.docs:
            if not doc.live:
                continue
            ok, score, terms = self.evaluate(root, doc, r)
            if not ok:
                continue
            matched = len(terms)
            if r.coordination == "soft":
                score *= (matched / max(len(positive), 1)) ** r.soft_power
            primary = matched if r.coordination == "strict" else 0
            rows.append((-primary, -score, doc.docnum, score, matched))
        rows.sort()
        return len(rows), [(d, s, m) for _p, _s, d, s, m in rows[offset : offset + limit]]


def _collect_positive(node, into: set) -> None:  # type: ignore[no-untyped-def]
    if isinstance(node, q.Term):
        into.add(node.text)
    elif isinstance(node, q.Phrase):
        into.update(node.texts)
    elif isinstance(node, (q.AnyOf, q.AllOf)):
        for c in node.children:
            _collect_positive(c, into)
    elif isinstance(node, q.Exclude):
        _collect_positive(node.positive, into)
    elif isinstance(node, q.AndMaybe):
        _collect_positive(node.required, into)
        _collect_positive(node.optional, into)
