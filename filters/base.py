"""The filter contract: `score` measures, `keep` decides, and both are recorded."""
from __future__ import annotations

from typing import Annotated, Any, Iterable

from pydantic import Field

# Bounds of filter settings, validated where a config sets them (the constructor's type
# hints are the stage's settings model).
Fraction = Annotated[float, Field(ge=0, le=1)]
NonNegative = Annotated[float, Field(ge=0)]
Count = Annotated[int, Field(ge=0)]
Positive = Annotated[int, Field(ge=1)]

Scores = dict[str, Any]
Decision = tuple[bool, "str | None"]


class Lazy:
    """Objects holding things loaded on first use (models, compiled patterns, caches).

    `TRANSIENT` maps those attributes to their unloaded value: a pickled copy, such as the one
    Ray sends to a worker, travels without them and loads its own there, once.
    """

    TRANSIENT: dict[str, Any] = {}

    def __getstate__(self):
        return {**self.__dict__, **self.TRANSIENT}


class Filter(Lazy):
    """A document filter: thresholds are constructor arguments, decisions come with a reason.

    `score(text)` computes what the filter measures and never divides by zero on empty text;
    `keep(scores)` applies the thresholds. Keeping the two apart lets a run record the scores
    so that thresholds can be tuned from data afterwards.
    """

    name = "filter"

    def setup(self) -> None:
        """Load what the filter needs (a model) once per worker, before the first document."""

    def score(self, text: str) -> Scores:
        raise NotImplementedError

    def keep(self, scores: Scores) -> Decision:
        raise NotImplementedError

    def __call__(self, text: str) -> tuple[Scores, Decision]:
        scores = self.score(text)
        return scores, self.keep(scores)


def first_failure(rules: Iterable[tuple[bool, str]]) -> Decision:
    """(failed, reason) pairs, checked in order: the first failed rule names the reason."""
    for failed, reason in rules:
        if failed:
            return False, reason
    return True, None


def ratio(part: float, whole: float) -> float:
    return float(part) / whole if whole else 0.0
