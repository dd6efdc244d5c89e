"""How documents are scored and ordered: the parameters of the formula.

Two ranking models (:class:`Ranking`):

- ``"per_field"`` (diplosearch 1.0, Whoosh's ``BM25F``): each (field, term) leaf scores
  ``idf_f * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avglen_f))`` with Whoosh's
  ``idf_f = ln(N / (df_f + 1)) + 1``, times the field's weight; the leaves are summed.
  ``N``, ``df`` and the average length count deleted documents, lengths are decoded from
  Whoosh's one-byte codes, as Whoosh does, so scores equal 1.0's.
- ``"bm25f"`` (Robertson and Zaragoza): per term, the field frequencies are combined
  before saturation, ``t = sum_f w_f * tf_f / (1 - b + b * len_f / avglen_f)``, scored
  ``idf * t / (t + k1)`` with one ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))`` per term,
  ``df`` counting documents holding the term in any of the term's fields.

This module only holds parameters (it sits beside :mod:`diplosearch.schema`, below the
store), so that the store's per-commit statistics and the scorer share one definition.
"""

from __future__ import annotations

import math
from typing import Any, Literal, Mapping

import attrs

from .errors import InvalidArgumentError
from .schema import DEFAULT_FIELD_BOOSTS, FIELD_BOOSTS_1_0, TEXT_FIELDS


def _number(value: object) -> float | None:
    """``value`` as a float when it is a real, finite number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _at_least_zero(instance: Any, attribute: "attrs.Attribute[Any]", value: object) -> None:
    number = _number(value)
    if number is None or number < 0:
        raise InvalidArgumentError(f"Ranking.{attribute.name} must be a finite number >= 0, not {value!r}")


def _between_zero_and_one(instance: Any, attribute: "attrs.Attribute[Any]", value: object) -> None:
    # Above 1, a short field's norm goes below 0 and its matches would lower the score.
    number = _number(value)
    if number is None or not 0 <= number <= 1:
        raise InvalidArgumentError(f"Ranking.{attribute.name} must be a number from 0 to 1, not {value!r}")


def weights_problem(weights: object, where: str, most: float = math.inf) -> str | None:
    """What is wrong with ``weights`` as field weights (a mapping of text field names to
    finite numbers from 0 to ``most``), said of ``where`` (``Ranking.boosts``,
    ``boosts``); None when nothing is. The one rule for a :class:`Ranking`'s weights
    and a search's ``boosts=``."""
    if not isinstance(weights, Mapping):
        return f"{where} must map field names to weights, not {type(weights).__name__}"
    for name, weight in weights.items():
        if name not in TEXT_FIELDS:
            return f"unknown field {name!r} in {where}; fields are {', '.join(TEXT_FIELDS)}"
        number = _number(weight)
        if number is None or not 0 <= number <= most:
            limit = "" if most == math.inf else f" (at most {most:g})"
            return f"the weight of {name!r} in {where} must be a finite number >= 0{limit}, not {weight!r}"
    return None


def _field_weights(instance: Any, attribute: "attrs.Attribute[Any]", value: object) -> None:
    problem = weights_problem(value, "Ranking.boosts")
    if problem is not None:
        raise InvalidArgumentError(problem)


class FieldWeights(dict):  # type: ignore[type-arg]
    """The field weights of a :class:`Ranking`, read-only: a copy of the mapping given,
    so that neither a later change to that mapping nor an assignment into
    ``ranking.boosts`` (of the process-wide :data:`DEFAULT_RANKING`, say) changes a
    ranking behind its validation. A dict (for ``json``, ``attrs.asdict``), hashable."""

    def _refuse(self, *args: object, **kwargs: object) -> None:
        raise TypeError("a Ranking's boosts cannot be changed: make another Ranking with attrs.evolve")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (FieldWeights, (dict(self),))  # pickle would otherwise refill it item by item


def _frozen_weights(value: object) -> object:
    # anything but a mapping is left for the validator to refuse
    return FieldWeights(value) if isinstance(value, Mapping) else value


def _one_of(*choices: str) -> Any:
    def check(instance: Any, attribute: "attrs.Attribute[Any]", value: object) -> None:
        if value not in choices:
            raise InvalidArgumentError(f"Ranking.{attribute.name} must be one of {', '.join(choices)}, not {value!r}")
    return check


@attrs.frozen
class Ranking:
    """How documents are scored and ordered (see the module docstring); give one to
    ``Index.search(ranking=...)``.

    - ``k1`` (1.2): term-frequency saturation; 0 counts a match once.
    - ``b`` (0.75): length normalisation; 0 ignores field lengths.
    - ``boosts``: the weight of each field (default
      :data:`~diplosearch.schema.DEFAULT_FIELD_BOOSTS`), read-only. Given here, it
      replaces the defaults whole and a field not named weighs 1 (``search(boosts=)``
      instead changes only the fields it names): start from
      ``{**DEFAULT_FIELD_BOOSTS, "title": 5}``.
    - ``coordination`` (``"soft"``): ``"strict"`` ranks documents matching more
      distinct query terms always first, ``"soft"`` multiplies scores by
      (matched / query terms) ** ``soft_power`` (0.5), ``"off"`` uses BM25F alone.
    - ``model`` (``"bm25f"``): the fields' frequencies combined before saturation, one
      idf per term; ``"per_field"`` scores each field on its own and sums (Whoosh's,
      1.0's: :data:`WHOOSH_RANKING`).

    ``Ranking()`` is diplosearch's default (:data:`DEFAULT_RANKING`); change one piece
    with ``attrs.evolve(DEFAULT_RANKING, k1=1.2)`` or ``Ranking(k1=1.2)``. As in Lucene's
    ``BM25Similarity``, ``k1`` must be >= 0 and ``b`` within [0, 1]; a value outside
    those, a negative or infinite weight or an unknown field raises
    :class:`~diplosearch.InvalidArgumentError`.
    """

    k1: float = attrs.field(default=1.2, validator=_at_least_zero)
    """Term-frequency saturation: 0 counts a match once, however often it occurs."""
    b: float = attrs.field(default=0.75, validator=_between_zero_and_one)
    """Length normalisation: 0 ignores field lengths, 1 divides by the relative length."""
    boosts: Mapping[str, float] = attrs.field(factory=lambda: FieldWeights(DEFAULT_FIELD_BOOSTS),
                                              converter=_frozen_weights, validator=_field_weights)
    """Weight of each field (default :data:`~diplosearch.schema.DEFAULT_FIELD_BOOSTS`);
    a field not named weighs 1. Read-only (a :class:`FieldWeights`): change it with
    ``attrs.evolve``."""
    coordination: Literal["strict", "off", "soft"] = attrs.field(
        default="soft", validator=_one_of("strict", "off", "soft"))
    soft_power: float = attrs.field(default=0.5, validator=_at_least_zero)
    """With soft coordination, scores are multiplied by (matched terms / terms) to this power."""
    model: Literal["per_field", "bm25f"] = attrs.field(
        default="bm25f", validator=_one_of("per_field", "bm25f"))

    def weight(self, field: str) -> float:
        """The weight of ``field`` (1 when :attr:`boosts` does not name it)."""
        return float(self.boosts.get(field, 1.0))


#: diplosearch 1.0's ranking: Whoosh's BM25F (k1 1.2, b 0.75) with 1.0's field weights
#: (1.0 had no ``lead`` field: weight 0 keeps its scores) and strict coordination.
WHOOSH_RANKING = Ranking(
    k1=1.2, b=0.75, boosts=dict(FIELD_BOOSTS_1_0), coordination="strict", model="per_field",
)
#: One BM25F (k1 1.2, b 0.75) over :data:`~diplosearch.schema.DEFAULT_FIELD_BOOSTS`
#: (lead 2), soft coordination with power 0.5 (``Ranking()``). Chosen on FacQA and all
#: CLICK-ID titles (``benchmarks/relevance.py --tune``, benchmarks/README.md): +0.026
#: MRR@10 on CLICK-ID over 1.0, +0.003 on FacQA.
BM25F_RANKING = Ranking()
#: The ranking a search uses unless told otherwise.
DEFAULT_RANKING = BM25F_RANKING
