"""The training split as the exported formats hold it: sources mixed, documents shuffled.

The plan is an array of document numbers (positions in the split's shards laid end to end),
made from the index alone (per document: tokens, source, bytes), so its memory grows with the
number of documents, never with the tokens. A document may appear more than once (a source
taken for more than one epoch) or not at all (a source taken for less than one).

A source taken for `f` epochs enters `floor(f)` times whole, then the first documents of a
seeded permutation of it until their tokens come nearest to the fraction left. With `shuffle`,
the plan is permuted; without, it keeps the streams' order, repeats side by side. The validation
split is never mixed: every document once, in the streams' order.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kopile.core.errors import ConfigError
from kopile.tokenizers_train.pack import TokenStream


@dataclass
class Index:
    """One split's documents: tokens (with <|eos|>), bytes and source number, in stream order."""
    tokens: np.ndarray
    nbytes: np.ndarray
    source: np.ndarray
    labels: list[str]

    @classmethod
    def read(cls, stream: TokenStream, entries: dict) -> Index:
        labels = sorted({label for name in stream.names for label in entries[name]["sources"]})
        number = {label: i for i, label in enumerate(labels)}
        nbytes, source = [], []
        for shard, name in enumerate(stream.names):
            records = stream.records(shard)
            nbytes.append(np.asarray(records["bytes"], np.int64))
            local = np.array([number[label] for label in entries[name]["sources"]] or [0], dtype=np.int32)
            source.append(local[np.asarray(records["source"], dtype=np.int64)])
        join = (lambda parts, dtype: np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype))
        return cls(stream.lengths(), join(nbytes, np.int64), join(source, np.int32), labels)


def _rng(seed: int, *words: str) -> np.random.Generator:
    key = hashlib.blake2b("\x1f".join(words).encode(), digest_size=8).digest()
    return np.random.default_rng([seed, int.from_bytes(key, "little")])


def asked_shares(mix: dict | None) -> dict[str, float]:
    """Each source's share of the training tokens where the mix asks for shares or weights (a
    weight over the sum of the weights), else nothing."""
    if not mix or all(s.share is None and s.weight is None for s in mix.values()):
        return {}
    weights = {label: s.share if s.share is not None else s.weight for label, s in mix.items()}
    return {label: w / sum(weights.values()) for label, w in weights.items()}


def epochs_per_source(index: Index, mix: dict | None, mix_tokens: int | None) -> dict[str, float]:
    """How many times each source is taken; a `ConfigError` for a mix the data cannot give."""
    have = {label: int(index.tokens[index.source == i].sum()) for i, label in enumerate(index.labels)}
    if not mix:
        return {label: 1.0 for label in have}
    unnamed = sorted(set(have) - set(mix))
    if unnamed:
        raise ConfigError(f"mix: the training split has sources the mix does not name: "
                          f"{', '.join(f'{s} ({have[s]:,} tokens)' for s in unnamed)}")
    shares = asked_shares(mix)
    if not shares:
        return {label: (mix[label].epochs or 1.0) if have.get(label) else 0.0 for label in mix}
    empty = [label for label in mix if not have.get(label)]
    if empty:
        raise ConfigError(f"mix: {', '.join(empty)} has no training tokens to make its share from")
    caps = {label: mix[label].epochs or 1.0 for label in mix}
    # Without a size, the largest mix in which no source repeats more than its epochs allow.
    target = mix_tokens or min(caps[s] * have[s] / shares[s] for s in mix)
    epochs = {s: shares[s] * target / have[s] for s in mix}
    over = [s for s in mix if epochs[s] > caps[s] * (1 + 1e-9)]
    if over:
        raise ConfigError("mix_tokens: " + "; ".join(
            f"{s} would need {epochs[s]:.2f} epochs for its share (epochs allows {caps[s]:g})" for s in over))
    return epochs


def plan(index: Index, epochs: dict[str, float], seed: int, shuffle: bool) -> np.ndarray:
    """The documents of the training split, in the order the formats write them."""
    parts = []
    for number, label in enumerate(index.labels):
        members = np.flatnonzero(index.source == number)
        f = epochs.get(label, 0.0)
        whole = math.floor(f + 1e-9)
        parts += [members] * whole
        want = (f - whole) * index.tokens[members].sum()
        if want > 0 and len(members):
            pick = members[_rng(seed, "mix", label).permutation(len(members))]
            running = np.cumsum(index.tokens[pick])
            k = int(np.searchsorted(running, want))
            # the count whose tokens come nearest the fraction
            if k < len(running) and running[k] - want < want - (running[k - 1] if k else 0):
                k += 1
            parts.append(np.sort(pick[:k]))
    order = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    return _rng(seed, "shuffle").permutation(order) if shuffle else np.sort(order, kind="stable")


def report(index: Index, order: np.ndarray, epochs: dict[str, float], mix: dict | None) -> dict:
    """Per source: what the split had, what the plan holds, the share achieved and asked."""
    total = int(index.tokens[order].sum())
    asked = asked_shares(mix)
    out = {}
    for number, label in enumerate(index.labels):
        have = index.source == number
        taken = order[index.source[order] == number]
        row = {"documents_in": int(have.sum()), "tokens_in": int(index.tokens[have].sum()),
               "documents": len(taken), "tokens": int(index.tokens[taken].sum()),
               "bytes": int(index.nbytes[taken].sum())}
        row["epochs"] = round(row["tokens"] / row["tokens_in"], 4) if row["tokens_in"] else 0.0
        row["sampling"] = ("as is" if abs(row["epochs"] - 1) < 5e-3 else
                           f"up x{row['epochs']:.2f}" if row["epochs"] > 1 else f"down x{row['epochs']:.2f}")
        row["share"] = round(row["tokens"] / total, 4) if total else 0.0
        if label in asked:
            row["share_asked"] = round(asked[label], 4)
        out[label] = row
    return {"documents": len(order), "tokens": total, "sources": out}


def training_plan(directory: Path, config) -> tuple[np.ndarray, dict]:
    """The training split's plan for a `kopile tokenize` output, and its report."""
    from kopile.core.io import read_json

    stream = TokenStream(directory, "train")
    index = Index.read(stream, read_json(Path(directory) / "tokens.json")["entries"])
    epochs = epochs_per_source(index, config.mix, config.mix_tokens)
    order = plan(index, epochs, config.seed, config.shuffle)
    return order, report(index, order, epochs, config.mix)
