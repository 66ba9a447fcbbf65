"""Document-internal repetition (Gopher, Rae et al. 2021, table A1) on Korean words.

Duplicate lines and paragraphs, the character share of the most frequent 2/3/4-gram and the
character share of repeated 5..10-grams. Words are eojeol or Kiwi morphemes (see
filters.quality.Tokenizer); n-grams are hashed and counted with NumPy rather than as Python
tuples, which keeps this rule from dominating the stage on long documents.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np

from kopile.filters.base import Decision, Filter, Fraction, Positive, Scores, first_failure, ratio
from kopile.filters.quality import Tokenizer

# FineWeb-2 kor_Hang (Kiwi morphemes); Gopher's paragraph thresholds, which FineWeb-2 keeps.
KIWI_TOP_NGRAMS = {2: 0.282, 3: 0.228, 4: 0.185}
KIWI_DUP_NGRAMS = {5: 0.201, 6: 0.184, 7: 0.168, 8: 0.154, 9: 0.14, 10: 0.127}
# Eojeol n-grams: Gopher's top n-gram bounds, and duplicate n-gram bounds fitted so that
# the eojeol and Kiwi modes decide alike on real Korean text (benchmarks/quality_modes.py).
EOJEOL_TOP_NGRAMS = {2: 0.20, 3: 0.18, 4: 0.16}
EOJEOL_DUP_NGRAMS = {5: 0.12, 6: 0.115, 7: 0.11, 8: 0.105, 9: 0.10, 10: 0.095}

_PARAGRAPHS = re.compile(r"\n\s*\n")
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _duplicate_fractions(parts: list[str]) -> tuple[float, float]:
    """Gopher: the share of parts, and of their characters, that repeat an earlier part."""
    counts = Counter(parts)
    dup = sum(c - 1 for c in counts.values())
    dup_chars = sum((c - 1) * len(p) for p, c in counts.items())
    return ratio(dup, len(parts)), ratio(dup_chars, sum(map(len, parts)))


def ngram_fractions(words: list[str], top_ns=(2, 3, 4), dup_ns=range(5, 11)) -> dict[int, float]:
    """Character shares of n-gram repetition, keyed by n.

    For n in top_ns: the characters of the most frequent n-gram times its count, when it
    occurs more than once. For n in dup_ns: the characters of words covered by an n-gram
    that already occurred earlier in the document.
    """
    out = {n: 0.0 for n in (*top_ns, *dup_ns)}
    if not words:
        return out
    # Python's cached string hashes stand in for word ids: equal words, equal hashes, and a
    # collision among one document's words is as unlikely as one among 64-bit values.
    ids = np.fromiter(map(hash, words), np.int64, len(words)).view(np.uint64) * _MIX
    lengths = np.fromiter(map(len, words), np.int64, len(words))
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    total = offsets[-1]
    hashes = ids
    for n in range(1, max(out) + 1):
        if n > 1:
            hashes = hashes[:-1] * _MIX + ids[n - 1:]
        if n not in out or len(hashes) < 2:
            continue
        # A stable sort puts equal n-grams side by side in document order: an entry equal to
        # its predecessor repeats an earlier occurrence.
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        repeat = ordered[1:] == ordered[:-1]
        if not repeat.any():
            continue
        if n in top_ns:
            starts = np.flatnonzero(np.concatenate(([True], ~repeat)))
            runs = np.diff(np.append(starts, len(ordered)))
            # Of equally frequent n-grams, the one that occurs first, as Counter.most_common
            # would pick: hash order must not decide.
            first = int(order[starts[runs == runs.max()]].min())
            out[n] = ratio(runs.max() * (offsets[first + n] - offsets[first]), total)
        else:
            repeats = order[1:][repeat]
            cover = np.zeros(len(words) + 1, np.int64)
            cover[repeats] += 1  # positions are distinct, so plain indexing adds once each
            cover[repeats + n] -= 1
            out[n] = ratio(lengths[np.cumsum(cover[:-1]) > 0].sum(), total)
    return out


class RepetitionFilter(Filter):
    name = "repetition"

    def __init__(self, tokenizer: Tokenizer | None = None, max_dup_line_frac: Fraction = 0.374,
                 max_dup_para_frac: Fraction = 0.3, max_dup_line_char_frac: Fraction = 0.2,
                 max_dup_para_char_frac: Fraction = 0.2, top_ngrams: dict[Positive, Fraction] | None = None,
                 dup_ngrams: dict[Positive, Fraction] | None = None):
        self.tokenizer = tokenizer or Tokenizer()
        kiwi = self.tokenizer.mode == "kiwi"
        self.max_dup_line_frac = max_dup_line_frac
        self.max_dup_para_frac = max_dup_para_frac
        self.max_dup_line_char_frac = max_dup_line_char_frac
        self.max_dup_para_char_frac = max_dup_para_char_frac
        self.top_ngrams = {int(k): v for k, v in (top_ngrams or (KIWI_TOP_NGRAMS if kiwi else EOJEOL_TOP_NGRAMS)).items()}
        self.dup_ngrams = {int(k): v for k, v in (dup_ngrams or (KIWI_DUP_NGRAMS if kiwi else EOJEOL_DUP_NGRAMS)).items()}

    def score(self, text: str) -> Scores:
        lines = [line for line in text.split("\n") if line.strip()]
        paragraphs = [p for p in _PARAGRAPHS.split(text) if p.strip()]
        line_frac, line_char_frac = _duplicate_fractions(lines)
        para_frac, para_char_frac = _duplicate_fractions(paragraphs)
        grams = ngram_fractions(self.tokenizer.words(text), tuple(self.top_ngrams), tuple(self.dup_ngrams))
        scores: Scores = {
            "dup_line_frac": line_frac,
            "dup_line_char_frac": line_char_frac,
            "dup_para_frac": para_frac,
            "dup_para_char_frac": para_char_frac,
        }
        scores.update({f"top_{n}_gram_frac": grams[n] for n in self.top_ngrams})
        scores.update({f"dup_{n}_gram_frac": grams[n] for n in self.dup_ngrams})
        return scores

    def keep(self, s: Scores) -> Decision:
        return first_failure([
            (s["dup_para_frac"] > self.max_dup_para_frac, "dup_para_frac"),
            (s["dup_para_char_frac"] > self.max_dup_para_char_frac, "dup_para_char_frac"),
            (s["dup_line_frac"] > self.max_dup_line_frac, "dup_line_frac"),
            (s["dup_line_char_frac"] > self.max_dup_line_char_frac, "dup_line_char_frac"),
            *((s[f"top_{n}_gram_frac"] > t, f"top_{n}_gram_frac") for n, t in self.top_ngrams.items()),
            *((s[f"dup_{n}_gram_frac"] > t, f"dup_{n}_gram_frac") for n, t in self.dup_ngrams.items()),
        ])
