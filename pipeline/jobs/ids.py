"""Ids unique across a run, checked before the first stage over every input shard at once.

Each shard's ids are hashed to 8 bytes and spilled to partition files by hash (a task per
shard); each partition finds the hashes seen twice (a task per partition); only those few
documents come back to the driver, which reads their ids to tell a real repeat from a hash
collision. Memory follows a partition, not the corpus.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa

from kopile.core import io, storage
from kopile.core.errors import InputError
from kopile.core.storage import at
from kopile.pipeline.dedup import partitions as parts

PAIR_BYTES = 16


def _id_hash(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                          "little", signed=True)


def _ids(source: str, id_column: str) -> list | None:
    """The shard's ids as written (None where the column is missing or the file unreadable:
    the first stage then gives generated ids, or reports the file)."""
    try:
        parquet = io.open_parquet(source)
        if id_column not in parquet.schema_arrow.names:
            return None
        return parquet.read(columns=[id_column]).column(id_column).cast(pa.string()).to_pylist()
    except Exception:
        return None


def hash_shard(work: str, name: str, source: str, index: int, id_column: str, partitions: int) -> None:
    done = at(work) / "hashed" / f"{name}.json"
    if done.is_file():
        return
    ids = _ids(source, id_column) or []
    rows = np.array([i for i, v in enumerate(ids) if v is not None], dtype=np.int64)
    keys = np.array([_id_hash(ids[i]) for i in rows.tolist()], dtype=np.int64)
    docs = parts.doc_numbers(index, rows)
    parts.write_partitions(at(work) / "hashes", name, keys.view(np.uint64) % np.uint64(partitions),
                           {"key": (keys, pa.int64()), "doc": (docs, pa.int64())}, partitions)
    io.write_json_atomic(done, {"ids": int(len(rows))})


def repeated_in_partition(work: str, p: int) -> list[int]:
    rows = parts.read_partition(at(work) / "hashes", p, {"key": np.int64, "doc": np.int64})
    key, doc = rows["key"], rows["doc"]
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    return doc[counts[inverse] > 1].tolist()


def check_ids(shards: list[tuple[str, str]], id_column: str, work: Path, mode: str, parallel) -> dict[str, Path]:
    """Per shard, a file of renamed ids (row, id) where `mode` is "rename"; an InputError naming
    the id and its shards and rows where it is "error". Shards whose ids are all distinct
    across the run get no file."""
    done = work / "result.json"
    if not done.is_file():
        rows = 0
        for _, source in shards:
            try:
                meta = io.read_metadata(source)
                rows += meta.num_rows if id_column in meta.schema.to_arrow_schema().names else 0
            except Exception:
                pass
        if rows == 0:  # no shard has ids of its own: the first stage gives every row one
            return {}
        partitions = parts.partition_count(rows, PAIR_BYTES, 256)
        parallel(hash_shard, [(str(work), name, source, i, id_column, partitions)
                              for i, (name, source) in enumerate(shards)])
        docs = sorted(d for found in parallel(repeated_in_partition, [(str(work), p) for p in range(partitions)])
                      for d in found)
        repeats = _repeats(shards, id_column, docs)
        if repeats and mode == "error":
            raise InputError(_describe(shards, repeats))
        renames: dict[str, list] = {}
        for doc_id, occurrences in repeats.items():
            for index, row in occurrences[1:]:
                name = shards[index][0]
                renames.setdefault(name, []).append((row, f"{doc_id}~{name}:{row}"))
        for name, pairs in renames.items():
            pairs.sort()
            rows, ids = zip(*pairs)
            io.write_table_atomic(work / "renames" / name, pa.table({"row": pa.array(rows, pa.int64()),
                                                                     "id": pa.array(ids, pa.string())}))
        io.write_json_atomic(done, {"renamed": {name: len(p) for name, p in sorted(renames.items())}})
        for folder in ("hashed", "hashes"):
            storage.rmtree(work / folder)
    renamed = io.read_json(done)["renamed"]
    return {name: work / "renames" / name for name in renamed}


def _repeats(shards, id_column: str, docs: list[int]) -> dict[str, list[tuple[int, int]]]:
    """Id -> its (shard index, row) occurrences in run order, for ids that occur more than once."""
    by_shard: dict[int, list[int]] = {}
    shard_of, row_of = parts.shard_and_row(np.asarray(docs, dtype=np.int64))
    for shard, row in zip(shard_of.tolist(), row_of.tolist()):
        by_shard.setdefault(shard, []).append(row)
    occurrences: dict[str, list[tuple[int, int]]] = {}
    for index in sorted(by_shard):
        ids = _ids(shards[index][1], id_column)
        for row in by_shard[index]:
            occurrences.setdefault(ids[row], []).append((index, row))
    return {k: v for k, v in occurrences.items() if len(v) > 1}


def _describe(shards, repeats: dict) -> str:
    lines = []
    for doc_id, occ in list(repeats.items())[:3]:
        (i0, r0), (i1, r1) = occ[0], occ[1]
        lines.append(f"{shards[i1][0]}: row {r1} repeats the id {doc_id!r} of {shards[i0][0]} row {r0}")
    more = len(repeats) - len(lines)
    return ("; ".join(lines) + (f" (and {more} more repeated ids)" if more > 0 else "")
            + "; ids must be unique across the run (set `id_conflict: rename` to make them unique)")
