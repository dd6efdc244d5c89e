"""Why a document scored what it did: :func:`explain` (what ``Hit.explain()`` shows).

It walks the query tree for one document as :mod:`diplosearch.scoring` evaluates it
(which nodes match decides which terms count, boosts multiply down the tree) and
writes out, for every term that adds to the score, each field's term frequency,
length and weight, the idf and the term's contribution. The contributions add up to
the raw score; the coordination factor (``"soft"``) then gives the hit's score.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

import diplosearch.query as q
from .errors import InvalidArgumentError
from .ranking import DEFAULT_RANKING, Ranking
from .scoring import positive_terms
from .store.commit_columns import CommitColumns
from .scoring_tree import FUZZY_BOOST, _distinct, _SegmentEvaluation
from .spelling import expansions


@attrs.frozen
class FieldExplanation:
    """One field's part in a term's score."""

    field: str
    tf: float
    """Term frequency in the field (Whoosh's posting weight)."""
    length: float
    """The field's length in this document, as scored (decoded from Whoosh's one-byte code)."""
    average_length: float
    weight: float
    """The field's weight (``Ranking.boosts``)."""
    idf: float | None
    """This field's own idf (``"per_field"`` model); None in the ``"bm25f"`` model, where
    the term has one idf (:attr:`TermExplanation.idf`)."""
    score: float | None
    """This field's weighted score (``"per_field"``); None in ``"bm25f"``, where fields
    add up before saturation."""


@attrs.frozen
class TermExplanation:
    """One query term's contribution (a term standing in several places of the query
    appears once per place)."""

    text: str
    fields: tuple[FieldExplanation, ...]
    """The fields of the query holding the term in this document."""
    idf: float | None
    """The term's idf over all its fields (``"bm25f"``); None for ``"per_field"``."""
    boost: float
    """The product of the boosts of the query nodes above and at this term."""
    contribution: float
    """What the term adds to the raw score (boost included)."""


@attrs.frozen
class Explanation:
    """How one document's score came about (``score`` equals the hit's score)."""

    docnum: int
    score: float
    raw_score: float
    """The sum of the terms' contributions, before coordination."""
    coordination_factor: float
    """``(matched / query_terms) ** soft_power`` for ``"soft"`` coordination, else 1."""
    matched_terms: int
    query_terms: int
    terms: tuple[TermExplanation, ...]
    ranking: Ranking

    def lines(self) -> list[str]:
        """A readable account, one line per term and field (what ``--explain`` prints)."""
        out = [f"score {self.score:.4f} = {self.raw_score:.4f} x coordination {self.coordination_factor:.4f}"
               f" ({self.matched_terms} of {self.query_terms} query terms matched)"]
        for term in self.terms:
            idf = f", idf {term.idf:.3f}" if term.idf is not None else ""
            boost = f", boost {term.boost:g}" if term.boost != 1.0 else ""
            out.append(f"  {term.text}: {term.contribution:.4f}{idf}{boost}")
            for part in term.fields:
                extra = f", idf {part.idf:.3f} -> {part.score:.4f}" if part.idf is not None else ""
                out.append(f"    {part.field}: tf {part.tf:g}, length {part.length:g} (average {part.average_length:.1f}),"
                           f" weight {part.weight:g}{extra}")
        return out


def explain(commit: CommitColumns, root: q.Node, docnum: int, ranking: Ranking = DEFAULT_RANKING) -> Explanation:
    """The :class:`Explanation` of live document ``docnum`` for the query ``root``.

    :raises InvalidArgumentError: ``docnum`` is not a live document of ``commit``, or
        ``root`` does not match it.
    """
    for position, view in enumerate(commit.segments):
        local = docnum - view.offset
        if 0 <= local < view.columns.doc_count:
            break
    else:
        raise InvalidArgumentError(f"no document {docnum} in this index")
    if not view.live[local]:
        raise InvalidArgumentError(f"document {docnum} is deleted")
    walker = _Walker(_SegmentEvaluation(commit, position, ranking), local)
    match = walker.evaluation.evaluate(root)
    if not match.mask[local]:
        raise InvalidArgumentError(f"document {docnum} does not match the query")
    walker.walk(root, 1.0)
    raw = math.fsum(t.contribution for t in walker.terms)
    matched = sum(1 for where in match.terms.values() if where[local])
    query_terms = max(len(positive_terms(root)), 1)
    factor = (matched / query_terms) ** ranking.soft_power if ranking.coordination == "soft" else 1.0
    return Explanation(docnum, raw * factor, raw, factor, matched, query_terms, tuple(walker.terms), ranking)


class _Walker:
    def __init__(self, evaluation: _SegmentEvaluation, local: int) -> None:
        self.evaluation, self.local = evaluation, local
        self.terms: list[TermExplanation] = []

    def matches(self, node: q.Node) -> bool:
        return bool(self.evaluation.evaluate(node).mask[self.local])

    def walk(self, node: q.Node, boost: float) -> None:
        """Record the terms of ``node`` (known to match) that add to the score."""
        boost *= node.boost
        if isinstance(node, q.Term):
            self.add_term(node.text, node.fields, boost)
        elif isinstance(node, q.Phrase):
            if len(node.texts) == 1:
                self.add_term(node.texts[0], node.fields, boost)
            elif self.evaluation.ranking.model == "per_field":
                # as the scorer: each field where the phrase stands adds its words' scores there
                for field in node.fields:
                    if self.local in self.evaluation._phrase_docs(field, node.texts):
                        for text in node.texts:
                            self.add_term(text, (field,), boost)
            else:
                for text in node.texts:
                    self.add_term(text, node.fields, boost)
        elif isinstance(node, q.Fuzzy):
            # as the scorer: the word itself, then each close spelling it expanded to,
            # weighted down per edit (a spelling this document lacks adds nothing)
            self.add_term(node.word, node.fields, boost)
            for neighbour in expansions(self.evaluation.commit, node.word, node.max_edits, node.max_expansions):
                self.add_term(neighbour.term, node.fields, boost * FUZZY_BOOST**neighbour.distance)
        elif isinstance(node, (q.AnyOf, q.AllOf)):
            for child in _distinct(node.children):
                if self.matches(child):
                    self.walk(child, boost)
        elif isinstance(node, q.Exclude):
            self.walk(node.positive, boost)
        elif isinstance(node, q.AndMaybe):
            self.walk(node.required, boost)
            if self.matches(node.optional):
                self.walk(node.optional, boost)
        # Filter, DateRange, MatchAll add nothing to a score.

    def add_term(self, text: str, fields: tuple[str, ...], boost: float) -> None:
        evaluation, local = self.evaluation, self.local
        commit, view, ranking = evaluation.commit, evaluation.view, evaluation.ranking
        term_id = view.columns.vocabulary.id_of(text)
        if term_id is None:
            return
        parts = []
        saturated_input = 0.0
        for field in fields:
            fc = view.columns.fields.get(field)
            if fc is None:
                continue
            start, end = fc.row(term_id)
            at = start + int(np.searchsorted(fc.docs[start:end], local))
            if at >= end or int(fc.docs[at]) != local:
                continue
            tf = float(fc.weights[at])
            norm = float(commit.length_norm(view, field, ranking)[local])
            weight = ranking.weight(field)
            length, average = float(view.lengths[field][local]), float(commit.average_lengths[field])
            if ranking.model == "per_field":
                idf = commit.field_idf(field, text)
                part = idf * ((tf * (ranking.k1 + 1)) / (tf + norm))
                parts.append(FieldExplanation(field, tf, length, average, weight, idf, part * weight))
            else:
                saturated_input += weight * tf / norm
                parts.append(FieldExplanation(field, tf, length, average, weight, None, None))
        if not parts:
            return
        if ranking.model == "per_field":
            idf_all = None
            score = math.fsum(p.score for p in parts)  # type: ignore[misc]
        else:
            idf_all = commit.term_idf(tuple(fields), text)
            score = idf_all * saturated_input / (saturated_input + ranking.k1)
        self.terms.append(TermExplanation(text, tuple(parts), idf_all, boost, score * boost))
