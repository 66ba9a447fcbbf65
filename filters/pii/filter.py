"""The PII rule as a filter: redaction rewrites the text, scores say what was found and where."""
from __future__ import annotations

import json
from collections import Counter

from kopile.filters.base import Decision, Filter, Fraction, NonNegative, Scores
from kopile.filters.pii.scrubber import PiiScrubber


class PiiFilter(Filter):
    """Replaces PII with placeholders; optionally removes documents that are mostly PII.

    Scores record entity types, counts and the offsets of the placeholders in the redacted
    text: never the values that were replaced.
    """

    name = "pii"
    TRANSIENT = {"_last": (None, [], "")}

    def __init__(self, entities: list[str] | None = None, placeholders: dict[str, str] | None = None,
                 prescreen: bool = True, min_score: Fraction = 0.4, pseudonyms: bool = False,
                 max_pii_per_1000_chars: NonNegative | None = None):
        self.scrubber = PiiScrubber(entities, placeholders, prescreen, min_score, pseudonyms)
        self.max_pii_per_1000_chars = max_pii_per_1000_chars
        # (redacted text, placeholder spans, error type) of the last document redacted
        self._last: tuple[str | None, list, str] = (None, [], "")

    def setup(self) -> None:
        self.scrubber.setup()

    def redact(self, text: str) -> str:
        try:
            redacted, spans, tokens = self.scrubber.replace(text)
        except Exception as e:
            # A document presidio fails on leaves the stage removed, never unredacted; the
            # error type is recorded, not the message, which may quote the text.
            self._last = (text, [], type(e).__name__)
            return text
        placed, shift = [], 0
        for span, token in zip(spans, tokens):
            start = span.start + shift
            placed.append((span.entity, start, start + len(token)))
            shift += len(token) - (span.end - span.start)
        self._last = (redacted, placed, "")
        return redacted

    def score(self, text: str) -> Scores:
        if self._last[0] is text:
            _, spans, error = self._last
        else:
            spans, error = [(s.entity, s.start, s.end) for s in self.scrubber.analyze(text)], ""
        counts = Counter(entity for entity, _, _ in spans)
        return {
            "count": len(spans),
            "per_1000_chars": 1000 * len(spans) / len(text) if text else 0.0,
            "entities": ",".join(f"{e}:{n}" for e, n in sorted(counts.items())),
            "spans": json.dumps(spans),
            "error": error,
        }

    def keep(self, s: Scores) -> Decision:
        if s["error"]:
            return False, "pii_error"
        if self.max_pii_per_1000_chars is not None and s["per_1000_chars"] > self.max_pii_per_1000_chars:
            return False, "pii_dense"
        return True, None
