"""Korean text utilities shared by the filters: normalisation, character classes, eojeol, Kiwi."""
from __future__ import annotations

import re
import threading
import unicodedata

import numpy as np

from kopile.filters.base import Lazy

# Character classes, indexed by code point. Counting through a lookup table over the
# UTF-32 code points runs in C at >100 M chars/s, where a Python loop or one regex per
# class would dominate the whole quality stage.
OTHER, HANGUL, JAMO, LATIN, CJK, KANA, DIGIT, SPACE, PUNCT, SYMBOL, OTHER_LETTER = range(11)
N_CLASSES = 11

_HANGUL_SYLLABLES = (0xAC00, 0xD7A4)
_JAMO_RANGES = ((0x1100, 0x1200), (0x3131, 0x318F), (0xA960, 0xA980), (0xD7B0, 0xD800))


def _build_class_table() -> np.ndarray:
    table = np.full(0x110000, OTHER, dtype=np.uint8)
    # Planes 3 and up hold CJK extensions (set below), tags and private use: asking
    # unicodedata about all 1.1 M code points would cost each worker most of a second.
    for cp in range(0x30000):
        if 0xD800 <= cp < 0xE000:
            continue
        cat = unicodedata.category(chr(cp))
        if cat[0] == "L":
            table[cp] = OTHER_LETTER
        elif cat == "Nd":
            table[cp] = DIGIT
        elif cat[0] == "Z" or chr(cp) in "\t\n\r\x0b\x0c":
            table[cp] = SPACE
        elif cat[0] == "P":
            table[cp] = PUNCT
        elif cat[0] in "SN":
            table[cp] = SYMBOL
    for start, end in ((0x41, 0x5B), (0x61, 0x7B), (0xC0, 0x250)):
        letters = np.arange(start, end)
        table[letters[table[letters] == OTHER_LETTER]] = LATIN
    table[_HANGUL_SYLLABLES[0]:_HANGUL_SYLLABLES[1]] = HANGUL
    for start, end in _JAMO_RANGES:
        table[start:end] = JAMO
    for start, end in ((0x4E00, 0xA000), (0x3400, 0x4DC0), (0xF900, 0xFB00), (0x20000, 0x2FA20),
                       (0x30000, 0x323B0)):
        table[start:end] = CJK
    table[0x3040:0x3100] = KANA
    table[0x31F0:0x3200] = KANA
    return table


_CLASS_TABLE: np.ndarray | None = None
_TABLE_LOCK = threading.Lock()


def class_table() -> np.ndarray:
    global _CLASS_TABLE
    if _CLASS_TABLE is None:
        with _TABLE_LOCK:
            if _CLASS_TABLE is None:
                _CLASS_TABLE = _build_class_table()
    return _CLASS_TABLE


def codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


_LAST_COUNTS: tuple = (None, None)


def class_counts(text: str) -> np.ndarray:
    """Counts of each character class (indices are the module's class constants).

    Several filters ask for the counts of the same document in turn; the last answer is kept.
    """
    global _LAST_COUNTS
    if _LAST_COUNTS[0] is not text:
        _LAST_COUNTS = (text, np.bincount(class_table()[codepoints(text)], minlength=N_CLASSES))
    return _LAST_COUNTS[1]


def hangul_share_of_letters(text: str) -> float:
    counts = class_counts(text)
    letters = counts[[HANGUL, JAMO, LATIN, CJK, KANA, OTHER_LETTER]].sum()
    return float((counts[HANGUL] + counts[JAMO]) / letters) if letters else 0.0


# Control characters other than tab and newline carry no text and break Parquet
# consumers and tokenizers; \r is folded into \n.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2028\u2029\ufeff\ufffe\uffff]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")


def clean_whitespace(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20


def fold_width(text: str) -> str:
    """Full-width ASCII to ASCII. Unlike NFKC this leaves Hangul compatibility jamo alone."""
    return text.translate(_FULLWIDTH)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def eojeol(text: str) -> list[str]:
    """Space-separated words: the Korean eojeol, particles and endings attached."""
    return text.split()


class LazyKiwi(Lazy):
    """A Kiwi analyser loaded on first use, so that objects holding it stay picklable."""

    TRANSIENT = {"_kiwi": None}

    def __init__(self, num_workers: int = 0):
        self.num_workers = num_workers
        self._kiwi = None

    def get(self):
        if self._kiwi is None:
            import warnings

            from kiwipiepy import Kiwi

            # num_workers=0 is one thread, right for one Ray task per core; kiwipiepy warns
            # that 0 meant "all cores" before 0.21.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                self._kiwi = Kiwi(num_workers=self.num_workers)
        return self._kiwi

    def morphemes(self, text: str) -> list[str]:
        return [token.form for token in self.get().tokenize(text)]
