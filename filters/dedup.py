"""Keys for deduplication: what makes two documents "the same" is a choice of normalisation."""
from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]+")
_DIGITS = re.compile(r"\d")


class ExactKey:
    """A 16-byte hash of the text after the configured normalisation (NFC always)."""

    def __init__(self, lowercase: bool = True, whitespace: bool = True, punctuation: bool = False,
                 digits: bool = False):
        self.lowercase = lowercase
        self.whitespace = whitespace
        self.punctuation = punctuation
        self.digits = digits

    def normalize(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text)
        if self.lowercase:
            text = text.lower()
        if self.punctuation:
            text = _PUNCT.sub(" ", text)
        if self.digits:
            text = _DIGITS.sub("0", text)
        if self.whitespace:
            text = _SPACE.sub(" ", text).strip()
        return text

    def key(self, text: str | None) -> bytes:
        return hashlib.blake2b(self.normalize(text or "").encode("utf-8", "surrogatepass"), digest_size=16).digest()
