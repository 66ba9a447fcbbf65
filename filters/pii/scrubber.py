"""Find and replace personal information; one long-lived presidio engine per process."""
from __future__ import annotations

from dataclasses import dataclass

from filters.pii import recognizers as rec


@dataclass(frozen=True)
class PiiSpan:
    entity: str
    start: int
    end: int
    score: float


def default_placeholders(entities) -> dict[str, str]:
    """`<|phone|>`-style tokens, one per type, that a tokenizer can learn as special tokens."""
    return {e: f"<|{e}|>" for e in entities}


class PiiScrubber:
    """Typed placeholders for the personal information presidio finds in a text.

    `min_score` 0.4 is what presidio gives a weak pattern (passport, licence, account) once a
    context word is near it, and no weak pattern reaches without one.
    `prescreen` runs presidio only on texts that match one cheap combined expression
    (recognizers.PRESCREEN) that every recognizer's match needs; most web text has no PII
    and never reaches presidio.
    """

    def __init__(self, entities=None, placeholders: dict[str, str] | None = None, prescreen: bool = True,
                 min_score: float = 0.4):
        self.entities = tuple(entities or rec.ENTITIES)
        unknown = set(self.entities) - set(rec.ENTITIES)
        if unknown:
            raise ValueError(f"unknown PII entities {sorted(unknown)}; known: {list(rec.ENTITIES)}")
        self.placeholders = {**default_placeholders(self.entities), **(placeholders or {})}
        self.prescreen = prescreen
        self.min_score = min_score
        self._analyzer = None

    def __getstate__(self):
        return {**self.__dict__, "_analyzer": None}

    def setup(self):
        if self._analyzer is None:
            from filters.pii.engine import analyzer

            self._analyzer = analyzer(rec.recognizers(self.entities))

    def analyze(self, text: str) -> list[PiiSpan]:
        if not text or (self.prescreen and not rec.PRESCREEN.search(text)):
            return []
        self.setup()
        found = self._analyzer.analyze(text, language=rec.LANGUAGE, entities=list(self.entities),
                                       score_threshold=self.min_score)
        return _non_overlapping(PiiSpan(r.entity_type, r.start, r.end, round(r.score, 3)) for r in found)

    def scrub(self, text: str) -> tuple[str, list[PiiSpan]]:
        spans = self.analyze(text)
        if not spans:
            return text, spans
        parts, last = [], 0
        for span in spans:
            parts += [text[last:span.start], self.placeholders[span.entity]]
            last = span.end
        parts.append(text[last:])
        return "".join(parts), spans


def _non_overlapping(spans) -> list[PiiSpan]:
    """Where matches overlap, the higher score wins, then the longer span, then the earlier."""
    chosen: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (-s.score, -(s.end - s.start), s.start, s.entity)):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)
