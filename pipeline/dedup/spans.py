"""Spans of lines or sentences repeated across documents (C4's three-sentence-span rule).

A document is cut into segments (lines, or sentences within lines), each keeping its trailing
separator so that the text minus some segments is still well formed. A span is `span`
consecutive segments; its key is an 8-byte hash of its normalised text. Spans shorter than
`min_chars` are never keys: short lines ("감사합니다.", "1.") recur everywhere by nature.

Counting runs like the MinHash banding: each shard's (key, document) pairs go to partition
files by key, each partition is counted on its own, and only the removals come back to the
driver, so memory follows a partition, not the corpus.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np
import pyarrow as pa

from kopile.core import io
from kopile.core.storage import at
from kopile.pipeline.dedup import partitions as parts

_SENTENCE_END = re.compile(r"(?<=[.!?。…])[\"'”’)\]]*[ \t]+|\n+")
_LINE_END = re.compile(r"\n+")
PAIR_BYTES = 16


class Segmenter:
    def __init__(self, unit: str = "line", span: int = 1, min_chars: int = 20, normalize=None):
        self.boundary = _LINE_END if unit == "line" else _SENTENCE_END
        self.span = span
        self.min_chars = min_chars
        self.normalize = normalize or (lambda s: s.strip())

    def segments(self, text: str) -> list[str]:
        cuts = [m.end() for m in self.boundary.finditer(text)]
        bounds = [0, *cuts, len(text)]
        return [text[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]

    def spans(self, segments: list[str]) -> list[tuple[int, int]]:
        """(first segment index, key) for every span long enough to count."""
        norm = [self.normalize(s) for s in segments]
        out = []
        for i in range(len(norm) - self.span + 1):
            parts = norm[i:i + self.span]
            if sum(map(len, parts)) < self.min_chars or not all(parts):
                continue
            digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=8).digest()
            out.append((i, int.from_bytes(digest, "little", signed=True)))
        return out


def partition_count(total_pairs: int, partition_mb: int) -> int:
    return parts.partition_count(total_pairs, PAIR_BYTES, partition_mb)


def partition_shard(work: str, name: str, keys_path: str, shard_index: int, partitions: int) -> None:
    """One shard's (key, document) pairs, split into partition files by key."""
    work = at(work)
    done = work / "partitioned" / f"{name}.json"
    if done.is_file():
        return
    table = io.read_table(keys_path, columns=["keys"])
    lists = table.column("keys").combine_chunks()
    lengths = np.asarray(lists.value_lengths().fill_null(0))
    keys = np.asarray(lists.flatten(), dtype=np.int64)
    docs = parts.doc_numbers(shard_index, np.repeat(np.arange(len(lengths), dtype=np.int64), lengths))
    part = keys.view(np.uint64) % np.uint64(partitions)
    parts.write_partitions(work / "spans", name, part, {"key": (keys, pa.int64()), "doc": (docs, pa.int64())},
                           partitions)
    io.write_json_atomic(done, {"pairs": int(len(keys))})


def count_partition(work: str, p: int, min_docs: int, keep_first: bool) -> None:
    """The (document, key) pairs to remove: keys found in at least `min_docs` documents, in
    every document but the first that has them when `keep_first`."""
    work = at(work)
    out = work / "removals" / f"{p:04d}.parquet"
    if out.is_file():
        return
    rows = parts.read_partition(work / "spans", p, {"key": np.int64, "doc": np.int64})
    key, doc = rows["key"], rows["doc"]
    order = np.lexsort((doc, key))
    key, doc = key[order], doc[order]
    # One pair per (key, document): a span repeated inside one document counts once.
    first_pair = parts.run_starts(key, doc)
    key, doc = key[first_pair], doc[first_pair]
    new_key = parts.run_starts(key)
    starts = np.flatnonzero(new_key)
    counts = np.diff(np.append(starts, len(key)))
    frequent = np.repeat(counts >= min_docs, counts)
    drop = frequent & ~new_key if keep_first else frequent
    io.write_table_atomic(out, pa.table({"doc": pa.array(doc[drop], pa.int64()), "key": pa.array(key[drop], pa.int64())}))


def removals(work: str, shard_names: list[str]) -> dict[str, pa.Table]:
    """Per shard, each affected row with the list of span keys to take out of it."""
    files = sorted((at(work) / "removals").glob("*.parquet"))
    table = pa.concat_tables([io.read_table(f) for f in files]) if files else pa.table(
        {"doc": pa.array([], pa.int64()), "key": pa.array([], pa.int64())})
    doc, key = table.column("doc").to_numpy(), table.column("key").to_numpy()
    order = np.lexsort((key, doc))
    doc, key = doc[order], key[order]
    out = {}
    for index, name in enumerate(shard_names):
        lo, hi = np.searchsorted(doc, [parts.doc_numbers(index, 0), parts.doc_numbers(index + 1, 0)])
        rows, first = np.unique(parts.shard_and_row(doc[lo:hi])[1], return_index=True)
        bounds = np.append(first, hi - lo)
        out[name] = pa.table({
            "row": pa.array(rows, pa.int64()),
            "keys": pa.array([key[lo + a:lo + b].tolist() for a, b in zip(bounds, bounds[1:])], pa.list_(pa.int64())),
        })
    return out
