"""MinHash signatures in bulk, compatible with datasketch.

A signature here equals `datasketch.MinHash(num_perm, seed, hashfunc=shingle_hash)` updated
with the same shingles (its default "affine32" scheme: the 32-bit shingle hash pre-mixed with
the MurmurHash3 finalizer, then `a*h + b mod 2**32` per permutation). `LeanMinHash(seed=seed,
hashvalues=sig)` therefore drops into `datasketch.MinHashLSH`. What differs is the speed: the
shingle hashes of a whole batch of documents come from a few NumPy passes over their code
points, and the permutations run over cache-sized blocks, with no Python call per shingle.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datasketch import MinHash
from datasketch.lsh import _optimal_param

from kopile.filters.text import SPACE, class_table

SCHEME = "affine32"  # datasketch's permutation scheme these signatures follow
MAX_HASH = np.uint32(0xFFFFFFFF)
_K = np.uint64(0x9E3779B97F4A7C15)  # an odd 64-bit multiplier for the polynomial over units
_M1, _M2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)
_WORD_MUL = np.uint64(0x100000001B3)
_BLOCK = 4096  # shingles per permutation block: (4096 x 128) uint32 stay in L2


def _fmix64(h: np.ndarray) -> np.ndarray:
    h ^= h >> np.uint64(33)
    h *= _M1
    h ^= h >> np.uint64(33)
    h *= _M2
    h ^= h >> np.uint64(33)
    return h


def _fmix32(h: np.ndarray) -> np.ndarray:
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def _mask64(value: int) -> int:
    return value & 0xFFFFFFFFFFFFFFFF


def _fmix64_int(h: int) -> int:
    h ^= h >> 33
    h = _mask64(h * 0xFF51AFD7ED558CCD)
    h ^= h >> 33
    h = _mask64(h * 0xC4CEB9FE1A85EC53)
    return h ^ (h >> 33)


def unit_hash(unit: str) -> int:
    """The 64-bit value of one unit: a character's code point, or a polynomial over a word's."""
    if len(unit) == 1:
        return ord(unit)
    h = 0
    for ch in unit:
        h = _mask64(h * 0x100000001B3 + ord(ch))
    return _fmix64_int(h) | (1 << 63)  # words never collide with single code points


def shingle_hash(shingle: tuple[str, ...]) -> int:
    """The 32-bit hash of one shingle (a tuple of units): the reference the bulk code must
    equal, and the `hashfunc` to give datasketch for identical signatures."""
    h = 0
    for unit in shingle:
        h = _mask64(h * 0x9E3779B97F4A7C15 + unit_hash(unit))
    return _fmix64_int(h) & 0xFFFFFFFF


def lsh_params(threshold: float, num_perm: int, false_positive_weight: float = 0.5,
               false_negative_weight: float = 0.5) -> tuple[int, int]:
    """Bands x rows minimising the weighted false positive and negative areas (datasketch's
    routine, so that an index built by `MinHashLSH(threshold, num_perm)` bands the same way)."""
    return _optimal_param(threshold, num_perm, false_positive_weight, false_negative_weight)


@dataclass(frozen=True)
class Units:
    """The units of a batch of documents laid end to end: `values[offsets[i]:offsets[i+1]]`
    are document i's characters or words, each as a 64-bit value."""
    values: np.ndarray
    offsets: np.ndarray


def char_units(texts: list[str]) -> Units:
    joined = "".join(texts)
    values = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    return Units(values, np.concatenate(([0], np.cumsum(lengths))))


def _whitespace_words(chars: Units) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start and end offsets of the space-separated words (eojeol) of every document, and
    the number of words per document, found over the code points of the whole batch."""
    space = class_table()[chars.values.astype(np.int64)] == SPACE
    boundary = np.zeros(len(space) + 1, dtype=bool)
    boundary[chars.offsets] = True  # a document's start and end break a word
    word = ~space
    prev_word = np.concatenate(([False], word)) & ~boundary
    next_word = np.concatenate((word[1:], [False])) & ~boundary[1:]
    starts = np.flatnonzero(word & ~prev_word[:-1])
    ends = np.flatnonzero(word & ~next_word) + 1
    counts = np.diff(np.searchsorted(starts, chars.offsets))
    return starts, ends, counts


def word_units(texts: list[str], spans_of=None) -> Units:
    """Words as units: eojeol, or the (start, end) spans that `spans_of(text)` gives (Kiwi's
    morphemes). A word's value is a polynomial over its code points (the same as
    `unit_hash`), computed for all words of the batch at once."""
    chars = char_units(texts)
    if spans_of is None:
        starts, ends, counts = _whitespace_words(chars)
    else:
        starts, ends, counts = [], [], []
        for i, text in enumerate(texts):
            spans = spans_of(text)
            base = int(chars.offsets[i])
            counts.append(len(spans))
            starts.extend(base + s for s, _ in spans)
            ends.extend(base + e for _, e in spans)
        starts, ends = np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)
    lengths = ends - starts
    if not len(starts):
        return Units(np.zeros(0, np.uint64), np.concatenate(([0], np.cumsum(counts))).astype(np.int64))
    # h(word) = sum c_j * M^(len-1-j): weight each char by M^(distance to the word's end).
    longest = int(lengths.max())
    powers = np.ones(longest, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(1, longest):
            powers[j] = powers[j - 1] * _WORD_MUL
    first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    char_index = np.repeat(starts - first, lengths) + np.arange(int(lengths.sum()))
    to_end = np.repeat(ends, lengths) - char_index - 1
    weighted = chars.values[char_index] * powers[to_end]
    h = np.add.reduceat(weighted, first)
    single = lengths == 1
    h = _fmix64(h) | np.uint64(1 << 63)
    h[single] = chars.values[starts[single]]
    return Units(h, np.concatenate(([0], np.cumsum(counts))).astype(np.int64))


def shingle_hashes(units: Units, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The 32-bit hash of every n-gram of units within each document, and each document's
    offsets into them. A document with fewer than n units (but at least one) is one shingle."""
    values, offsets = units.values, units.offsets
    lengths = np.diff(offsets)
    total = len(values)
    # h[j] = values[j]*K^(n-1) + ... + values[j+n-1]; the last n-1 positions of each document
    # run into the next one and are dropped below.
    h = values.copy()
    with np.errstate(over="ignore"):
        for k in range(1, min(n, total)):
            h[: total - k] *= _K
            h[: total - k] += values[k:]
    keep = np.ones(total, dtype=bool)
    ends = offsets[1:]
    for k in range(1, n):
        cut = ends - k
        keep[cut[(lengths >= n)]] = False
    short = np.flatnonzero((lengths < n) & (lengths > 0))
    for i in short:  # rare: a document shorter than one shingle is one shingle of all its units
        g = np.uint64(0)
        with np.errstate(over="ignore"):
            for v in values[offsets[i]:offsets[i + 1]]:
                g = g * _K + v
        keep[offsets[i]:offsets[i + 1]] = False
        keep[offsets[i]] = True
        h[offsets[i]] = g
    out = (_fmix64(h[keep]) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    count = np.where(lengths >= n, lengths - n + 1, np.minimum(lengths, 1))
    return out, np.concatenate(([0], np.cumsum(count))).astype(np.int64)


class Permutations:
    """datasketch's affine32 permutations for (num_perm, seed), applied in bulk."""

    def __init__(self, num_perm: int, seed: int):
        a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
        self.a = np.ascontiguousarray(a, dtype=np.uint32)
        self.b = np.ascontiguousarray(b, dtype=np.uint32)
        self.num_perm = num_perm

    def signatures(self, hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """(documents x num_perm) uint32 minima; a document without shingles keeps MAX_HASH."""
        n_docs = len(offsets) - 1
        sig = np.full((n_docs, self.num_perm), MAX_HASH, dtype=np.uint32)
        mixed = _fmix32(hashes.copy())
        doc_of = np.repeat(np.arange(n_docs), np.diff(offsets))
        # (num_perm x block) layout: the minimum per document then runs along contiguous
        # memory, several times faster than reducing rows of the transposed block.
        buf = np.empty((self.num_perm, _BLOCK), dtype=np.uint32)
        a, b = self.a[:, None], self.b[:, None]
        with np.errstate(over="ignore"):
            for lo in range(0, len(mixed), _BLOCK):
                hi = min(lo + _BLOCK, len(mixed))
                block = buf[:, : hi - lo]
                np.multiply(a, mixed[lo:hi], out=block)
                np.add(block, b, out=block)
                docs = doc_of[lo:hi]
                # A block's documents are contiguous: reduce each one's columns, then merge
                # with what earlier blocks found for a document that spans the boundary.
                starts = np.concatenate(([0], np.flatnonzero(docs[1:] != docs[:-1]) + 1))
                minima = np.minimum.reduceat(block, starts, axis=1).T
                ids = docs[starts]
                sig[ids] = np.minimum(sig[ids], minima)
        return sig


def band_hashes(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(documents x bands) uint64: one hash per band of `rows` signature values. Two documents
    share a band hash exactly when (up to 2**-64) they share those values, which is when
    datasketch's MinHashLSH puts them in the same bucket of that band."""
    out = np.empty((sig.shape[0], bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            h = np.full(sig.shape[0], np.uint64(band + 1) * _K, dtype=np.uint64)
            for value in sig[:, band * rows:(band + 1) * rows].T:
                h = (h ^ value.astype(np.uint64)) * _M1
                h ^= h >> np.uint64(29)
            out[:, band] = _fmix64(h)
    return out


class MinHasher:
    """Texts to signatures: normalise, cut into shingles of `ngram` characters, eojeol or
    Kiwi morphemes, hash, permute. Returns the signatures and each document's shingle count
    (0 for a document with nothing to shingle, whose signature is all MAX_HASH)."""

    def __init__(self, num_perm: int = 128, seed: int = 1, shingle: str = "char", ngram: int = 5,
                 normalizer=None):
        if shingle not in ("char", "word", "morpheme"):
            raise ValueError(f"shingle must be char, word or morpheme, not {shingle!r}")
        self.shingle = shingle
        self.ngram = ngram
        self.normalizer = normalizer
        self.permutations = Permutations(num_perm, seed)
        self._kiwi = None
        if shingle == "morpheme":
            from kopile.filters.text import LazyKiwi

            self._kiwi = LazyKiwi()

    def _morpheme_spans(self, text: str) -> list[tuple[int, int]]:
        return [(t.start, t.start + t.len) for t in self._kiwi.get().tokenize(text)]

    def units(self, texts: list[str]) -> Units:
        if self.normalizer is not None:
            texts = [self.normalizer(t) for t in texts]
        if self.shingle == "char":
            return char_units(texts)
        return word_units(texts, self._morpheme_spans if self.shingle == "morpheme" else None)

    def shingles(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Every text's shingle hashes, and each text's offsets into them."""
        return shingle_hashes(self.units(texts), self.ngram)

    def __call__(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        hashes, offsets = self.shingles(texts)
        return self.permutations.signatures(hashes, offsets), np.diff(offsets)
