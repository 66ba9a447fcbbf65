"""Exact duplicates across all shards: the first occurrence (shard order, then row) is kept."""
from __future__ import annotations

import pyarrow as pa

from kopile.core import io
from kopile.core.schema import text_values
from kopile.filters.dedup import ExactKey
from kopile.pipeline.stages.base import GlobalStage, filter_params


class ExactDedupStage(GlobalStage):
    """Removed documents name the id of the first document with the same key in `duplicate_of`."""

    name = "exact_dedup"
    Params = filter_params(name, ExactKey)
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
            table = io.read_table(path)
            rows, dup_of = [], []
            for row, (doc_id, key) in enumerate(zip(table.column("id").to_pylist(), table.column("key").to_pylist())):
                if key in first:
                    rows.append(row)
                    dup_of.append(first[key])
                else:
                    first[key] = doc_id
            decisions[name] = pa.table({"row": pa.array(rows, pa.int64()), "duplicate_of": pa.array(dup_of, pa.string())})
        return decisions
