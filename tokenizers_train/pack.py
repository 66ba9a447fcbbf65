"""Packed token streams: the documents of each shard encoded, `<|eos|>` after each, flat.

Per input shard and split (`train`, `val`):
  SPLIT/NAME.bin   the tokens, little-endian uint16 (vocabulary <= 65,536) or uint32, no header
  SPLIT/NAME.idx   little-endian int64 offsets into .bin, one per document plus the end
                   (document i is tokens[idx[i]:idx[i+1]], its last token <|eos|>)
  SPLIT/NAME.docs.npy  per document: its row in the input shard, its source (an index into the
                   entry's `sources`) and its text's UTF-8 bytes (what mixing and `hf` need)
and `tokens.json` (dtype, vocabulary size, eos id, per split and shard: documents, tokens,
bytes, and the same per source).
A document goes to `val` when the hash of (seed, id) falls under `val_fraction`: the split
does not depend on shard layout or workers. `shuffle` orders each shard's documents by the
hash of (seed, id) instead of their order in the shard.
"""
from __future__ import annotations

import hashlib
import io
import itertools
import json
import time
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kopile.core.errors import error_entry
from kopile.core.io import batches, open_parquet, write_bytes_atomic
from kopile.core.storage import at
from kopile.core.schema import document_id, require_text_column

SPLITS = ("train", "val")
DOCS = np.dtype([("row", "<u4"), ("source", "<u2"), ("bytes", "<u4")])
NO_SOURCE = "all"  # the source of a shard without the source column
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
               val_fraction: float, seed: int, shuffle: bool, batch_rows: int = 1000, origin: str = "source",
               input_id: str = "") -> dict:
    """One shard's token files; returns its manifest entry (an error entry for a bad shard).
    `origin` is the column naming each document's source, or `=NAME` for a shard that is all
    one source. `input_id` says which version of the source the entry was made from."""
    started = time.perf_counter()
    entry = {"source": source, "input": input_id, "status": "error", "skipped_empty": 0, "seconds": 0.0}
    try:
        entry.update(_pack(tokenizer_dir, source, name, out, text_column, id_column, val_fraction, seed, shuffle,
                           batch_rows, origin), status="ok")
    except Exception as e:
        error_entry(entry, e)
    entry["seconds"] = round(time.perf_counter() - started, 3)
    return entry


def _open(source: str, text_column: str) -> pq.ParquetFile:
    parquet = open_parquet(source)
    require_text_column(parquet.schema_arrow, text_column, source)
    return parquet


def _pack(tokenizer_dir: str, source: str, name: str, out: str, text_column: str, id_column: str,
          val_fraction: float, seed: int, shuffle: bool, batch_rows: int, origin: str) -> dict:
    from kopile.tokenizers_train.train import EOS

    tok = _tokenizer(tokenizer_dir)
    eos = tok.token_to_id(EOS)
    dtype = dtype_for(tok.vocab_size)
    parquet = _open(source, text_column)
    names = parquet.schema_arrow.names
    # Shards without ids (a raw corpus) get those the pipeline would give: (shard, row).
    has_ids = id_column in names
    by_column = not origin.startswith("=") and origin in names
    sources: dict[str, int] = {} if by_column else {origin[1:] if origin.startswith("=") else NO_SOURCE: 0}
    columns = [text_column] + [id_column] * has_ids + [origin] * by_column
    parts = []  # per batch: (hash keys, token counts with eos, flat tokens, per-document records)
    skipped = rows = 0
    for batch in batches(parquet, source, batch_size=batch_rows, columns=columns):
        texts = batch.column(0).to_pylist()
        given = batch.column(1).to_pylist() if has_ids else [document_id(f"{name}.parquet", rows + i)
                                                             for i in range(batch.num_rows)]
        kept = [i for i, t in enumerate(texts) if t]
        docs = np.zeros(len(kept), DOCS)
        docs["row"] = np.asarray(kept, np.int64) + rows
        docs["bytes"] = pc.binary_length(batch.column(0)).to_numpy(zero_copy_only=False)[kept] if kept else []
        if by_column:
            labels = batch.column(columns.index(origin)).to_pylist()
            docs["source"] = [sources.setdefault(NO_SOURCE if labels[i] is None else str(labels[i]), len(sources))
                              for i in kept]
        rows += batch.num_rows
        ids = [str(given[i]) for i in kept]
        texts = [texts[i] for i in kept]
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
        parts.append((keys, lengths, flat, docs))
    keys = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0)
    lengths = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    flat = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, dtype)
    docs = np.concatenate([p[3] for p in parts]) if parts else np.zeros(0, DOCS)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    entry = {"skipped_empty": skipped, "sources": list(sources)}
    for split in SPLITS:
        chosen = np.flatnonzero((keys < val_fraction) if split == "val" else (keys >= val_fraction))
        if shuffle:
            chosen = chosen[np.argsort(keys[chosen], kind="stable")]
        sizes = lengths[chosen]
        offsets = np.concatenate(([0], np.cumsum(sizes))).astype("<i8")
        # Token positions of the chosen documents, in their new order, without a Python loop.
        gather = np.repeat(starts[chosen] - offsets[:-1], sizes) + np.arange(int(offsets[-1]))
        record = docs[chosen]
        buffer = io.BytesIO()
        np.save(buffer, record)
        for suffix, data in ((".bin", np.ascontiguousarray(flat[gather]).tobytes()), (".idx", offsets.tobytes()),
                             (".docs.npy", buffer.getvalue())):
            write_bytes_atomic(at(out) / split / f"{name}{suffix}", data)
        entry[split] = {**count(sizes, record["bytes"]),
                        "sources": {label: count(sizes[record["source"] == code], record["bytes"][record["source"] == code])
                                    for label, code in sources.items()}}
    return entry


def count(tokens: np.ndarray, nbytes: np.ndarray) -> dict:
    """Documents, tokens and bytes of a set of documents (`tokens` and `bytes` per document)."""
    return {"documents": len(tokens), "tokens": int(tokens.sum()), "bytes": int(nbytes.sum())}


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
        self.names = list(meta["shards"])
        self.directory, self.split = directory, split
        self._starts = np.cumsum([0] + [len(o) - 1 for _, o in self.shards])

    def __len__(self) -> int:
        return int(self._starts[-1])

    def locate(self, numbers):
        """Documents `numbers` (one, or an array) of the split as (shard, document in the shard)."""
        shard = np.searchsorted(self._starts, numbers, side="right") - 1
        return shard, numbers - self._starts[shard]

    def document(self, i: int) -> np.ndarray:
        shard, j = self.locate(i)
        tokens, offsets = self.shards[int(shard)]
        return tokens[offsets[j]:offsets[j + 1]]

    def lengths(self) -> np.ndarray:
        """Every document's tokens (with its <|eos|>), in order."""
        parts = [np.diff(offsets) for _, offsets in self.shards]
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)

    def spans(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(shard, first token, end) of each document in `numbers`, without a Python loop."""
        shard, local = self.locate(np.asarray(numbers, np.int64))
        first, end = np.zeros(len(numbers), np.int64), np.zeros(len(numbers), np.int64)
        for s in np.unique(shard):
            at = shard == s
            offsets = self.shards[s][1]
            first[at], end[at] = offsets[local[at]], offsets[local[at] + 1]
        return shard, first, end

    def gather(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The tokens of the documents `numbers`, one after another, and their lengths."""
        shard, first, end = self.spans(numbers)
        sizes = end - first
        out = np.empty(int(sizes.sum()), self.dtype)
        placed = np.cumsum(sizes) - sizes
        for s in np.unique(shard):
            at = np.flatnonzero(shard == s)
            n = sizes[at]
            # Position k of document d: first[d] + k in the shard, placed[d] + k in the output.
            step = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
            out[np.repeat(placed[at], n) + step] = self.shards[s][0][np.repeat(first[at], n) + step]
        return out, sizes

    def records(self, shard: int) -> np.ndarray:
        """Shard `shard`'s per-document records (row, source, bytes), in stream order."""
        return np.load(self.directory / self.split / f"{self.names[shard]}.docs.npy", mmap_mode="r")

    @property
    def num_tokens(self) -> int:
        return int(sum(len(t) for t, _ in self.shards))
