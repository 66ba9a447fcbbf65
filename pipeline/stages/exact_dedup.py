"""Exact duplicates across all shards: the first occurrence (shard order, then row) is kept."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from filters.dedup import ExactKey
from pipeline.schema import text_values
from pipeline.stages.base import REASON, Stage


class GlobalDedupStage(Stage):
    """A stage decided over all shards at once, in three steps: `keys` per shard (a task
    each), `decide` over all keys (the driver, which may hand work to `parallel`), and the
    split of each shard by its part of the decision (a task each). A decision file holds the
    rows to remove and the columns to give them; everything else is kept."""

    is_global = True
    reason = "duplicate"

    def keys(self, table: pa.Table, id_column: str) -> pa.Table:
        raise NotImplementedError

    def decide(self, key_files: list[tuple[str, Path]], work: Path, parallel,
               sources: dict[str, Path] | None = None) -> dict[str, pa.Table]:
        """Per shard name, the decision table; `sources` are the shards themselves, for a
        stage whose decision needs more than its keys."""
        raise NotImplementedError

    def begin_shard(self, decisions_path: Path) -> None:
        table = pq.read_table(decisions_path)
        self._rows = {row: i for i, row in enumerate(table.column("row").to_pylist())}
        self._decisions = table.drop_columns(["row"])
        self._offset = 0

    def __call__(self, table: pa.Table) -> tuple[pa.Table, pa.Table]:
        first, self._offset = self._offset, self._offset + table.num_rows
        hits = [self._rows.get(r) for r in range(first, self._offset)]
        mask = pa.array([h is not None for h in hits])
        kept = table.filter(pa.compute.invert(mask))
        removed = table.filter(mask)
        extra = self._decisions.take(pa.array([h for h in hits if h is not None], pa.int64()))
        for name in extra.column_names:
            removed = removed.append_column(name, extra.column(name))
        removed = removed.append_column(REASON, pa.array([self.reason] * removed.num_rows, pa.string()))
        return kept, removed


class ExactDedupStage(GlobalDedupStage):
    """Removed documents name the id of the first document with the same key in `duplicate_of`."""

    name = "exact_dedup"
    filter_classes = {"": ExactKey}
    reason = "exact_duplicate"

    def setup(self) -> None:
        self.keyer = ExactKey(**self.params)

    def keys(self, table: pa.Table, id_column: str) -> pa.Table:
        texts, _ = text_values(table, self.text_column)
        return pa.table({"id": table.column(id_column).cast(pa.string()),
                         "key": pa.array([self.keyer.key(t) for t in texts], pa.binary(16))})

    def decide(self, key_files, work=None, parallel=None, sources=None) -> dict[str, pa.Table]:
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
