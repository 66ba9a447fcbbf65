"""Exact duplicates across all shards: the first occurrence (shard order, then row) is kept."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from filters.dedup import ExactKey
from pipeline.schema import text_values
from pipeline.stages.base import REASON, Stage



class ExactDedupStage(Stage):
    """A global stage in three steps: each shard's keys (a task per shard), the decision over
    all keys in order (the driver), and each shard split by those decisions (a task per shard).
    Removed documents name the id they duplicate in `duplicate_of`.
    """

    name = "exact_dedup"
    filter_classes = {"": ExactKey}
    is_global = True

    def setup(self) -> None:
        self.keyer = ExactKey(**self.params)

    # step 1, per shard
    def keys(self, table: pa.Table, id_column: str) -> pa.Table:
        texts, _ = text_values(table, self.text_column)
        return pa.table({"id": table.column(id_column).cast(pa.string()),
                         "key": pa.array([self.keyer.key(t) for t in texts], pa.binary(16))})

    # step 2, over all shards in order
    @staticmethod
    def decide(key_files: list[tuple[str, Path]]) -> dict[str, pa.Table]:
        """Per shard, the rows that repeat an earlier key and the id they repeat. The driver
        holds one 16-byte key and one id per distinct document."""
        first: dict[bytes, str] = {}
        decisions = {}
        for name, path in key_files:
            table = pq.read_table(path)
            rows, dup_of = [], []
            for row, (doc_id, key) in enumerate(zip(table.column("id").to_pylist(), table.column("key").to_pylist())):
                if key in first:
                    rows.append(row)
                    dup_of.append(first[key])
                else:
                    first[key] = doc_id
            decisions[name] = pa.table({"row": pa.array(rows, pa.int64()), "duplicate_of": pa.array(dup_of, pa.string())})
        return decisions

    # step 3, per shard
    def begin_shard(self, decisions_path: Path) -> None:
        table = pq.read_table(decisions_path)
        self._duplicate_of = dict(zip(table.column("row").to_pylist(), table.column("duplicate_of").to_pylist()))
        self._offset = 0

    def __call__(self, table: pa.Table) -> tuple[pa.Table, pa.Table]:
        rows = range(self._offset, self._offset + table.num_rows)
        self._offset += table.num_rows
        dup = [self._duplicate_of.get(r) for r in rows]
        removed_mask = pa.array([d is not None for d in dup])
        kept = table.filter(pa.compute.invert(removed_mask))
        removed = table.filter(removed_mask)
        duplicates = [d for d in dup if d is not None]
        removed = removed.append_column("duplicate_of", pa.array(duplicates, pa.string()))
        removed = removed.append_column(REASON, pa.array(["exact_duplicate"] * len(duplicates), pa.string()))
        return kept, removed
