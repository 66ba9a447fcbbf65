"""Find and replace personal information; one long-lived presidio engine per process."""
from __future__ import annotations

from dataclasses import dataclass

from kopile.filters.base import Lazy
from kopile.filters.pii import person
from kopile.filters.pii import recognizers as rec
from kopile.filters.pii.entities import default_placeholders


@dataclass(frozen=True)
class PiiSpan:
    entity: str
    start: int
    end: int
    score: float


class PiiScrubber(Lazy):
    """Typed placeholders for the personal information presidio finds in a text.

    `min_score` 0.4 is what presidio gives a weak pattern (passport, licence, account) once a
    context word is near it, and no weak pattern reaches without one.
    `prescreen` runs presidio only on windows of text around the cheap expressions that every
    recognizer's match needs (recognizers.CANDIDATES), and only with the recognizers those
    expressions can lead to: most web text has no PII and never reaches presidio, and a long
    document with one phone number costs presidio a hundred characters, not the document.
    """

    TRANSIENT = {"_analyzer": None}

    def __init__(self, entities=None, placeholders: dict[str, str] | None = None, prescreen: bool = True,
                 min_score: float = 0.4, pseudonyms: bool = False):
        self.entities = tuple(entities or rec.ENTITIES)
        unknown = set(self.entities) - set(rec.ENTITIES)
        if unknown:
            raise ValueError(f"unknown PII entities {sorted(unknown)}; known: {list(rec.ENTITIES)}")
        self.placeholders = {**default_placeholders(self.entities), **(placeholders or {})}
        self._presidio_entities = tuple(e for e in self.entities if e != "person")
        self.prescreen = prescreen
        self.min_score = min_score
        self.pseudonyms = pseudonyms
        self._analyzer = None

    def setup(self):
        if self._analyzer is None:
            from kopile.filters.pii.engine import analyzer

            self._analyzer = analyzer(rec.recognizers(self._presidio_entities))

    def analyze(self, text: str) -> list[PiiSpan]:
        if not text:
            return []
        # Names are found by rule over the whole text (filters/pii/person.py): they need no
        # context tokens from presidio, and a presidio call per document would cost more
        # than the rule itself.
        found = [PiiSpan("person", s, e, score) for s, e, score in person.find(text)
                 if score >= self.min_score] if "person" in self.entities else []
        if not self._presidio_entities:
            return _non_overlapping(found)
        if not self.prescreen:
            return _non_overlapping(found + self._run(text, 0, self._presidio_entities))
        for start, end, entities in self._windows(text):
            found += self._run(text[start:end], start, entities)
        return _non_overlapping(found)

    def _windows(self, text: str):
        for pattern, entities, margin in rec.CANDIDATES.values():
            entities = tuple(e for e in entities if e in self.entities)
            if not entities:
                continue
            merged: list[list[int]] = []
            for match in pattern.finditer(text):
                start, end = _widen(text, match.start() - margin, match.end() + margin)
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            for start, end in merged:
                yield start, end, entities

    def _run(self, text: str, offset: int, entities) -> list[PiiSpan]:
        self.setup()
        found = self._analyzer.analyze(text, language=rec.LANGUAGE, entities=list(entities),
                                       score_threshold=self.min_score)
        return [PiiSpan(r.entity_type, r.start + offset, r.end + offset, round(r.score, 3)) for r in found
                if r.entity_type not in rec.NUMBER_ENTITIES or not rec.not_personal(text, r.start, r.end)]

    def scrub(self, text: str) -> tuple[str, list[PiiSpan]]:
        redacted, spans, _ = self.replace(text)
        return redacted, spans

    def replace(self, text: str) -> tuple[str, list[PiiSpan], list[str]]:
        """The redacted text, the spans found, and the token that replaced each span."""
        spans = self.analyze(text)
        if not spans:
            return text, spans, []
        parts, last, seen, tokens = [], 0, {}, []
        for span in spans:
            token = self.placeholders[span.entity]
            if self.pseudonyms:
                # The same value gets the same numbered placeholder throughout the document,
                # so that "who called whom" survives without the numbers themselves.
                key = (span.entity, _canonical(text[span.start:span.end]))
                number = seen.setdefault(key, sum(1 for e, _ in seen if e == span.entity) + 1)
                token = _numbered(token, number)
            parts += [text[last:span.start], token]
            tokens.append(token)
            last = span.end
        parts.append(text[last:])
        return "".join(parts), spans, tokens


def _canonical(value: str) -> str:
    """010-1234-5678, 010 1234 5678 and 01012345678 are one value."""
    return "".join(c for c in value.lower() if c.isalnum())


def _numbered(placeholder: str, number: int) -> str:
    return placeholder[:-2] + f"_{number}|>" if placeholder.endswith("|>") else f"{placeholder}_{number}"


def _widen(text: str, start: int, end: int, reach: int = 40) -> tuple[int, int]:
    """Move window edges out to whitespace, so that no number is cut into a shorter one."""
    start, end = max(0, start), min(len(text), end)
    floor, ceiling = max(0, start - reach), min(len(text), end + reach)
    while start > floor and not text[start - 1].isspace():
        start -= 1
    while end < ceiling and not text[end].isspace():
        end += 1
    return start, end


def _non_overlapping(spans) -> list[PiiSpan]:
    """Where matches overlap, the higher score wins, then the longer span, then the earlier."""
    chosen: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (-s.score, -(s.end - s.start), s.start, s.entity)):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)
