"""Text normalisation: mojibake repair, NFC (never NFKC on Hangul), width folding, whitespace."""
from __future__ import annotations

import re

import ftfy

from kopile.filters import text as kt
from kopile.filters.base import Count, Decision, Filter, Positive, Scores

# ftfy's defaults with two changes: quotes keep their curl (they are content, not damage),
# and its width folding is off because fold_width does it without touching jamo or kana.
_FTFY = ftfy.TextFixerConfig(uncurl_quotes=False, fix_character_width=False, normalization="NFC",
                             explain=False)


# What ftfy could act on: mojibake lead characters of the encodings it undoes (Latin-1 and
# cp1252 Â..ô, the Latin, Greek and Cyrillic code pages, cp437 box drawing), C1 controls,
# no-break space, HTML entities, terminal escapes, ligatures, U+FFFD. Clean Korean text has
# none of them, and skipping ftfy there makes normalisation several times faster.
_MAYBE_DAMAGED = re.compile(r"[&\x1b\x80-\xa0\xc2-\xf4\u0100-\u024f\u0370-\u04ff\u2500-\u257f\ufb00-\ufb06\ufffd]")


class Normalizer(Filter):
    """Repairs text, then removes what is left empty or is too long to be a document."""

    name = "normalize"

    def __init__(self, fix_mojibake: bool = True, max_chars: Positive = 1_000_000, min_chars: Count = 1):
        self.fix_mojibake = fix_mojibake
        self.max_chars = max_chars
        self.min_chars = min_chars

    def normalize(self, text: str) -> str:
        if self.fix_mojibake and _MAYBE_DAMAGED.search(text):
            text = ftfy.fix_text(text, _FTFY)
        return kt.clean_whitespace(kt.fold_width(kt.nfc(text)))

    def score(self, text: str) -> Scores:
        return {"n_chars": len(text)}

    def keep(self, s: Scores) -> Decision:
        if s["n_chars"] < self.min_chars:
            return False, "empty_text"
        if s["n_chars"] > self.max_chars:
            return False, "too_long"
        return True, None
