"""Rows spilled to partition files by key, and read back one partition at a time: how the
global stages shuffle across shards without holding the corpus in one process.

Documents are numbered across a run as `shard_index << 40 | row`, so that number order is
shard order, then row: the order in which "first" is decided."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from kopile.core import io
from kopile.core.storage import at

ROW_BITS = 40
ROW_MASK = (1 << ROW_BITS) - 1


def doc_numbers(shard_index: int, rows: np.ndarray) -> np.ndarray:
    return (np.int64(shard_index) << ROW_BITS) | np.asarray(rows, dtype=np.int64)


def shard_and_row(docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return docs >> ROW_BITS, docs & ROW_MASK


def run_starts(*columns: np.ndarray) -> np.ndarray:
    """Where a new run of equal values begins in sorted columns (True at each run's first row)."""
    n = len(columns[0])
    starts = np.ones(n, dtype=bool)
    if n:
        starts[1:] = np.logical_or.reduce([c[1:] != c[:-1] for c in columns])
    return starts


def partition_count(rows: int, row_bytes: int, partition_mb: int) -> int:
    """Enough partitions that none holds more than about `partition_mb`."""
    return max(1, -(-rows * row_bytes // (partition_mb * 2**20)))


def write_partitions(directory: Path, name: str, part: np.ndarray, columns: dict[str, tuple[np.ndarray, pa.DataType]],
                     partitions: int) -> None:
    """Row i goes to `directory/PPPP/name` for PPPP = part[i]; every partition gets a file."""
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(partitions + 1))
    for p in range(partitions):
        sel = order[bounds[p]:bounds[p + 1]]
        io.write_table_atomic(at(directory) / f"{p:04d}" / name,
                              pa.table({k: pa.array(values[sel], kind) for k, (values, kind) in columns.items()}))


def read_partition(directory: Path, p: int, columns: dict[str, type]) -> dict[str, np.ndarray]:
    """One partition's rows from every shard's file (temporary files of a killed run skipped)."""
    files = sorted(f for f in (at(directory) / f"{p:04d}").glob("*") if not f.name.startswith("."))
    tables = [io.read_table(f, columns=list(columns)) for f in files]
    return {k: np.concatenate([t.column(k).to_numpy() for t in tables]) if tables else np.zeros(0, dtype)
            for k, dtype in columns.items()}
