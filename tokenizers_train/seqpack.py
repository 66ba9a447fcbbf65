"""Fixed-length samples from documents, for trainers that read samples, not documents.

A layout is a table of pieces: (sample, document, first token, tokens), a sample's pieces in
order. Documents are numbered by their place in the order given (a plan, mix.py); a piece is a
slice of one document. The layout is built from the documents' lengths alone.

- `concat`: the documents run together and are cut every `length` tokens; a document may span
  two samples; the last, shorter sample is dropped (its tokens are the truncation waste).
- `best_fit`: a document longer than `length` is cut into `length`-token pieces and a shorter
  rest; pieces are placed longest first, each into the sample with the least room that still
  holds it (a new sample where none does); samples are filled up with <|pad|> (the padding
  waste). No document is split between two partly filled samples.
"""
from __future__ import annotations

import numpy as np
from sortedcontainers import SortedList

PIECE = np.dtype([("sample", "<i8"), ("document", "<i8"), ("start", "<i8"), ("tokens", "<i8")])


def concat(lengths: np.ndarray, length: int) -> np.ndarray:
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    samples = total // length
    # Every document start and every sample boundary cuts the token line into pieces.
    cuts = np.union1d(np.concatenate(([0], ends[:-1])), np.arange(samples + 1) * length)
    cuts = cuts[cuts < samples * length]
    stops = np.append(cuts[1:], samples * length)
    pieces = np.zeros(len(cuts), PIECE)
    pieces["sample"] = cuts // length
    pieces["document"] = np.searchsorted(ends, cuts, side="right")
    pieces["start"] = cuts - np.concatenate(([0], ends))[pieces["document"]]
    pieces["tokens"] = stops - cuts
    return pieces[pieces["tokens"] > 0]


def best_fit(lengths: np.ndarray, length: int) -> np.ndarray:
    lengths = np.asarray(lengths, np.int64)
    full = lengths // length
    rest = lengths % length
    # Whole `length` pieces are samples of their own; the rests are packed after them.
    docs = np.repeat(np.arange(len(lengths)), full)
    starts = (np.arange(len(docs)) - np.repeat(np.cumsum(full) - full, full)) * length
    pieces = [(s, int(d), int(t), length) for s, (d, t) in enumerate(zip(docs, starts))]
    opened = len(pieces)
    rests = np.flatnonzero(rest)
    room = SortedList()  # (tokens free, sample): the fullest sample that fits comes first
    # Longest first; ties in document order, so the layout depends on nothing else.
    for doc in rests[np.argsort(-rest[rests], kind="stable")]:
        need = int(rest[doc])
        at = room.bisect_left((need, -1))
        if at < len(room):
            free, sample = room.pop(at)
        else:
            free, sample, opened = length, opened, opened + 1
        pieces.append((sample, int(doc), int(full[doc]) * length, need))
        if free > need:
            room.add((free - need, sample))
    table = np.array(pieces, dtype=np.int64).reshape(-1, 4)
    out = np.zeros(len(table), PIECE)
    for column, name in enumerate(PIECE.names):
        out[name] = table[:, column]
    return out[np.argsort(out["sample"], kind="stable")]


def waste(pieces: np.ndarray, lengths: np.ndarray, length: int) -> dict:
    """What fixed-length samples cost: padding slots and tokens left out."""
    samples = int(pieces["sample"].max()) + 1 if len(pieces) else 0
    placed = int(pieces["tokens"].sum())
    total = int(np.asarray(lengths).sum())
    return {"samples": samples, "length": length, "tokens": total, "placed": placed,
            "padding": samples * length - placed, "truncated": total - placed,
            "padding_share": round((samples * length - placed) / (samples * length), 6) if samples else 0.0,
            "truncated_share": round((total - placed) / total, 6) if total else 0.0}


def layout(lengths: np.ndarray, length: int, method: str) -> np.ndarray:
    return (concat if method == "concat" else best_fit)(np.asarray(lengths, np.int64), length)


def samples(pieces: np.ndarray, document, length: int, pad_id: int):
    """(tokens, piece lengths) per sample; `document(i)` gives document i's tokens. Samples
    short of `length` are filled with `pad_id`."""
    bounds = np.flatnonzero(np.diff(pieces["sample"], prepend=-1, append=-1))
    for a, b in zip(bounds[:-1], bounds[1:]):
        parts = [document(int(p["document"]))[p["start"]:p["start"] + p["tokens"]] for p in pieces[a:b]]
        out = np.full(length, pad_id, dtype=parts[0].dtype)
        used = sum(len(p) for p in parts)
        out[:used] = np.concatenate(parts)
        yield out, [int(p["tokens"]) for p in pieces[a:b]]
