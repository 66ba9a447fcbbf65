"""Packed token streams: the documents of each shard encoded, `<|eos|>` after each, flat.

Per input shard and split (`train`, `val`):
  SPLIT/NAME.bin   the tokens, little-endian uint16 (vocabulary <= 65,536) or uint32, no header
  SPLIT/NAME.idx   little-endian int64 offsets into .bin, one per document plus the end
                   (document i is tokens[idx[i]:idx[i+1]], its last token <|eos|>)
and `tokens.json` (dtype, vocabulary size, eos id, per split and shard: documents, tokens).
A document goes to `val` when the hash of (seed, id) falls under `val_fraction`: the split
does not depend on shard layout or workers. `shuffle` orders each shard's documents by the
hash of (seed, id) instead of their order in the shard.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from kopile.core.errors import error_entry
from kopile.core.io import batches, open_parquet, write_bytes_atomic
from kopile.core.schema import document_id, require_text_column

SPLITS = ("train", "val")
_TOKENIZERS: dict[str, object] = {}


def dtype_for(vocab_size: int):
    return np.dtype("<u2") if vocab_size <= 65536 else np.dtype("<u4")


def _tokenizer(directory: str):
    tok = _TOKENIZERS.get(directory)
    if tok is None:
        from kopile.tokenizers_train.encoder import Encoder

        tok = _TOKENIZERS[directory] = Encoder(directory)
    return tok


def _hash01(seed: int, doc_id: str) -> float:
    digest = hashlib.blake2b(f"{seed}\x1f{doc_id}".encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2**64


def pack_shard(tokenizer_dir: str, source: str, name: str, out: str, text_column: str, id_column: str,
               val_fraction: float, seed: int, shuffle: bool, batch_rows: int = 1000, input_id: str = "") -> dict:
    """One shard's token files; returns its manifest entry (an error entry for a bad shard).
    `input_id` says which version of the source the entry was made from."""
    started = time.perf_counter()
    entry = {"source": source, "input": input_id, "status": "error", "skipped_empty": 0, "seconds": 0.0}
    try:
        entry.update(_pack(tokenizer_dir, source, name, out, text_column, id_column, val_fraction, seed, shuffle,
                           batch_rows), status="ok")
    except Exception as e:
        error_entry(entry, e)
    entry["seconds"] = round(time.perf_counter() - started, 3)
    return entry


def _open(source: str, text_column: str) -> pq.ParquetFile:
    parquet = open_parquet(source)
    require_text_column(parquet.schema_arrow, text_column, source)
    return parquet


def _pack(tokenizer_dir: str, source: str, name: str, out: str, text_column: str, id_column: str,
          val_fraction: float, seed: int, shuffle: bool, batch_rows: int) -> dict:
    from kopile.tokenizers_train.train import EOS

    tok = _tokenizer(tokenizer_dir)
    eos = tok.token_to_id(EOS)
    dtype = dtype_for(tok.vocab_size)
    parquet = _open(source, text_column)
    # Shards without ids (a raw corpus) get those the pipeline would give: (shard, row).
    has_ids = id_column in parquet.schema_arrow.names
    parts = []  # per batch: (hash keys, token counts with eos, flat tokens)
    skipped = rows = 0
    for batch in batches(parquet, source, batch_size=batch_rows, columns=[text_column, id_column] if has_ids
                         else [text_column]):
        texts = batch.column(0).to_pylist()
        given = batch.column(1).to_pylist() if has_ids else [document_id(f"{name}.parquet", rows + i)
                                                             for i in range(batch.num_rows)]
        rows += batch.num_rows
        ids = [str(i) for i, t in zip(given, texts) if t]
        texts = [t for t in texts if t]
        skipped += batch.num_rows - len(texts)
        encoded = tok.encode_batch(texts)
        lengths = np.fromiter((len(x) + 1 for x in encoded), dtype=np.int64, count=len(encoded))
        flat = np.empty(int(lengths.sum()), dtype=dtype)
        last = np.cumsum(lengths) - 1
        body = np.ones(len(flat), dtype=bool)
        body[last] = False
        flat[body] = np.fromiter(itertools.chain.from_iterable(encoded), dtype=np.int64, count=int(body.sum()))
        flat[last] = eos
        keys = np.fromiter((_hash01(seed, i) for i in ids), dtype=np.float64, count=len(ids))
        parts.append((keys, lengths, flat))
    keys = np.concatenate([k for k, _, _ in parts]) if parts else np.zeros(0)
    lengths = np.concatenate([n for _, n, _ in parts]) if parts else np.zeros(0, np.int64)
    flat = np.concatenate([f for _, _, f in parts]) if parts else np.zeros(0, dtype)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    entry = {"skipped_empty": skipped}
    for split in SPLITS:
        chosen = np.flatnonzero((keys < val_fraction) if split == "val" else (keys >= val_fraction))
        if shuffle:
            chosen = chosen[np.argsort(keys[chosen], kind="stable")]
        sizes = lengths[chosen]
        offsets = np.concatenate(([0], np.cumsum(sizes))).astype("<i8")
        # Token positions of the chosen documents, in their new order, without a Python loop.
        gather = np.repeat(starts[chosen] - offsets[:-1], sizes) + np.arange(int(offsets[-1]))
        for suffix, data in ((".bin", flat[gather]), (".idx", offsets)):
            write_bytes_atomic(Path(out) / split / f"{name}{suffix}", np.ascontiguousarray(data).tobytes())
        entry[split] = {"documents": len(chosen), "tokens": int(offsets[-1])}
    return entry


class TokenStream:
    """The packed documents of one split, read through memory maps (no copy)."""

    def __init__(self, directory: str | Path, split: str = "train"):
        directory = Path(directory)
        meta = json.loads((directory / "tokens.json").read_text(encoding="utf-8"))
        self.dtype = np.dtype(meta["dtype"])
        self.eos_id = meta["eos_id"]
        self.shards = []
        for name in meta["shards"]:
            bin_path = directory / split / f"{name}.bin"
            size = bin_path.stat().st_size
            if size % self.dtype.itemsize:
                raise ValueError(f"{bin_path}: {size} bytes is not a whole number of {self.dtype} tokens; "
                                 "wrong dtype or a torn write")
            tokens = np.memmap(bin_path, dtype=self.dtype, mode="r") if size else np.zeros(0, self.dtype)
            offsets = np.fromfile(directory / split / f"{name}.idx", dtype="<i8")
            if len(offsets) == 0 or offsets[-1] != len(tokens):
                raise ValueError(f"{bin_path}: {len(tokens)} tokens, but its index ends at "
                                 f"{offsets[-1] if len(offsets) else 'nothing'}; wrong dtype or a torn write")
            self.shards.append((tokens, offsets))
        self._starts = np.cumsum([0] + [len(o) - 1 for _, o in self.shards])

    def __len__(self) -> int:
        return int(self._starts[-1])

    def document(self, i: int) -> np.ndarray:
        shard = int(np.searchsorted(self._starts, i, side="right") - 1)
        tokens, offsets = self.shards[shard]
        j = i - self._starts[shard]
        return tokens[offsets[j]:offsets[j + 1]]

    @property
    def num_tokens(self) -> int:
        return int(sum(len(t) for t, _ in self.shards))
