"""Batches for the driver: fixed-length windows of the packed streams, and chat examples.

Every batch is a function of (seed, step, micro-batch) alone, so a resumed run sees the data
an uninterrupted one would have seen, with no data-loader state to save.
"""
from __future__ import annotations

import functools
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kopile.core.errors import ConfigError
from kopile.tokenizers_train.pack import TokenStream


class Windows:
    """Windows of `length` tokens over a split of a `kopile tokenize` output (documents run
    together, separated by <|eos|>), read from memory maps: kopile's own streams, or the flat
    file of its `nanogpt` format (the training split as mixed and shuffled for other trainers)."""

    def __init__(self, tokens_dir: str | Path, split: str, length: int, vocab_size: int, fmt: str = "kopile"):
        self.length = length
        if fmt == "nanogpt":
            meta = json.loads((Path(tokens_dir) / "tokens.json").read_text(encoding="utf-8"))
            path = Path(tokens_dir) / "nanogpt" / f"{split}.bin"
            if not path.is_file():
                raise ConfigError(f"{path}: not there; add nanogpt to the formats of `kopile tokenize`")
            flat = np.memmap(path, dtype=np.dtype(meta["dtype"]), mode="r") if path.stat().st_size else np.zeros(0)
            tokens = [flat]
        else:
            tokens = [t for t, _ in TokenStream(tokens_dir, split).shards]
        self.shards = [t for t in tokens if len(t) >= length]
        for t in tokens:
            # One pass over the maps: an id the model has no row for fails here, not mid-run.
            if len(t) and int(t.max()) >= vocab_size:
                raise ConfigError(f"{tokens_dir}/{split}: token id {int(t.max())} is outside the model's "
                                  f"vocabulary of {vocab_size}")
        # Start positions per shard, laid end to end: a window index maps to (shard, start).
        self.starts = np.cumsum([0] + [len(t) - length + 1 for t in self.shards])
        self.num_tokens = int(sum(len(t) for t in tokens))

    def __len__(self) -> int:
        return int(self.starts[-1])

    def _read(self, index: int) -> np.ndarray:
        shard = int(np.searchsorted(self.starts, index, side="right") - 1)
        start = index - int(self.starts[shard])
        return self.shards[shard][start:start + self.length]

    def sample(self, seed: int, step: int, micro: int, batch_size: int) -> np.ndarray:
        """`batch_size` windows drawn uniformly, the same for the same (seed, step, micro)."""
        rng = np.random.default_rng([seed, step, micro])
        picks = rng.integers(0, len(self), size=batch_size)
        return np.stack([self._read(int(i)) for i in picks]).astype(np.int64)

    def sequential(self, count: int) -> list[np.ndarray]:
        """Up to `count` windows that do not overlap, from the start: the validation set."""
        return [self._read(int(i)) for i in range(0, len(self), self.length)[:count]]


# --- instruction data ---------------------------------------------------------------------------

ROLE_NAMES = ("system", "user", "assistant")


class BadLine(ValueError):
    pass


def _open(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def _messages(record, system: str | None) -> list[dict]:
    if not isinstance(record, dict):
        raise BadLine(f"a JSON object is expected, got {type(record).__name__}")
    if "messages" in record:
        messages = record["messages"]
        if not isinstance(messages, list) or not messages:
            raise BadLine('"messages" must be a non-empty list')
        out = []
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or m.get("role") not in ROLE_NAMES or not isinstance(m.get("content"), str):
                raise BadLine(f'messages[{i}] needs a "role" ({", ".join(ROLE_NAMES)}) and a string "content"')
            out.append({"role": m["role"], "content": m["content"]})
    else:
        missing = [k for k in ("instruction", "output") if not isinstance(record.get(k), str)]
        if missing:
            raise BadLine(f'needs "messages", or string "instruction" and "output" (missing: {", ".join(missing)})')
        prompt = record["instruction"]
        if isinstance(record.get("input"), str) and record["input"].strip():
            prompt += "\n\n" + record["input"]
        out = [{"role": "user", "content": prompt}, {"role": "assistant", "content": record["output"]}]
    if not any(m["role"] == "assistant" and m["content"] for m in out):
        raise BadLine("no assistant message to learn from")
    if system and out[0]["role"] != "system":
        out.insert(0, {"role": "system", "content": system})
    return out


def read_chats(paths: list[str], system: str | None = None, skip_bad_lines: bool = False
               ) -> tuple[list[list[dict]], list[str]]:
    """Conversations from KoAlpaca-style (instruction/input/output) or `messages` JSONL; a
    malformed line is an error naming file and line, or with `skip_bad_lines` a warning."""
    chats, skipped = [], []
    for name in paths:
        path = Path(name)
        if not path.is_file():
            raise ConfigError(f"{path}: no such instruction file")
        with _open(path) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError as e:
                        raise BadLine(f"not valid JSON ({e.msg}, column {e.colno})") from None
                    chats.append(_messages(record, system))
                except BadLine as e:
                    where = f"{path}:{number}: {e}"
                    if not skip_bad_lines:
                        raise ConfigError(where + " (--skip-bad-lines to go on without it)") from None
                    skipped.append(where)
    if not chats:
        raise ConfigError(f"{', '.join(paths)}: no usable examples")
    return chats, skipped


@dataclass
class Example:
    ids: np.ndarray       # int64 token ids
    labels: np.ndarray    # the ids where the assistant speaks, -100 elsewhere


def encode_chats(chats, tok, max_len: int) -> tuple[list[Example], dict]:
    """Token ids and loss labels per conversation: loss on the assistant's tokens only (the
    chat template's {% generation %} block). Longer than `max_len`: cut at the end; left with
    nothing to learn: dropped and counted."""
    examples, truncated, dropped = [], 0, 0
    for chat in chats:
        r = tok.apply_chat_template(chat, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
        ids = np.asarray(r["input_ids"], dtype=np.int64)
        mask = np.asarray(r["assistant_masks"], dtype=bool)
        if len(ids) > max_len:
            ids, mask, truncated = ids[:max_len], mask[:max_len], truncated + 1
        if not mask[1:].any():  # the first token is never predicted
            dropped += 1
            continue
        examples.append(Example(ids, np.where(mask, ids, -100)))
    return examples, {"examples": len(examples), "truncated": truncated, "dropped_no_answer_left": dropped}


def pad_right(rows: list, value: int) -> np.ndarray:
    """Sequences of different lengths as one int64 array, each filled with `value` after its end."""
    out = np.full((len(rows), max(len(r) for r in rows)), value, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out


def chat_batch(examples: list[Example], pad_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Right-padded ids, attention mask and labels of a list of examples."""
    ids = pad_right([e.ids for e in examples], pad_id)
    attention = pad_right([np.ones(len(e.ids)) for e in examples], 0)
    return ids, attention, pad_right([e.labels for e in examples], -100)


@functools.lru_cache(maxsize=4)
def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    return np.random.default_rng([seed, 1 << 20, epoch]).permutation(n)


def chat_indices(seed: int, step: int, micro: int, batch_size: int, grad_accum: int, n: int) -> list[int]:
    """Example indices of a micro-batch: each epoch a fresh permutation, read in order."""
    first = (step * grad_accum + micro) * batch_size
    return [int(epoch_order(seed, k // n, n)[k % n]) for k in range(first, first + batch_size)]
