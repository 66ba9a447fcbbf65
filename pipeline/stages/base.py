"""Stages: batch transforms from a Parquet table to (kept, removed)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from filters.base import Filter
from pipeline.schema import text_values

REASON = "reason"


class Stage:
    """A batch transform. `setup` loads heavy things once per worker; calling it splits a
    table into (kept, removed) where `removed` carries a `reason` column. No row is dropped:
    every input row is in exactly one of the two.
    """

    name = "stage"

    def __init__(self, text_column: str = "text", **params):
        self.text_column = text_column
        self.params = params

    def setup(self) -> None:
        pass

    def begin_shard(self, decisions_path) -> None:
        """Global stages: read this shard's part of the decision taken over all shards."""

    def __call__(self, table: pa.Table) -> tuple[pa.Table, pa.Table]:
        raise NotImplementedError


def _arrow_type(value) -> pa.DataType:
    if isinstance(value, (bool, np.bool_)):
        return pa.bool_()
    if isinstance(value, (int, np.integer)):
        return pa.int64()
    if isinstance(value, str):
        return pa.string()
    return pa.float64()


class FilterStage(Stage):
    """Runs filters in order over each document; the first filter that says no removes it
    with its reason. Scores are recorded as `<stage>_<score>` columns: complete for kept
    documents, and up to the deciding filter for removed ones (later filters are not run).
    """

    def filters(self) -> list[Filter]:
        raise NotImplementedError

    def transform(self, text: str) -> str:
        """A rewrite of the text applied before the filters; the identity for pure filters."""
        return text

    def pre_decide(self, text: str | None) -> str | None:
        """A reason to remove a document before any work is done on it, e.g. null text."""
        return "null_text" if text is None else None

    def setup(self) -> None:
        self._filters = self.filters()
        for f in self._filters:
            getattr(f, "setup", lambda: None)()
        # Each filter scores empty text by rule, which gives every score's name and type
        # up front: output schemas must not depend on which rows a batch happens to hold.
        self._score_types: dict[str, pa.DataType] = {}
        for f in self._filters:
            for key, value in f.score("").items():
                self._score_types[f"{self.name}_{key}"] = _arrow_type(value)

    def __call__(self, table: pa.Table) -> tuple[pa.Table, pa.Table]:
        if not hasattr(self, "_filters"):
            self.setup()
        texts, self.repaired_utf8 = text_values(table, self.text_column)
        out_texts: list[str | None] = []
        keep = np.zeros(table.num_rows, dtype=bool)
        reasons: list[str | None] = []
        columns: dict[str, list] = {key: [None] * table.num_rows for key in self._score_types}
        prefix = f"{self.name}_"
        for row, text in enumerate(texts):
            reason = self.pre_decide(text)
            if reason is None:
                text = self.transform(text)
                for f in self._filters:
                    scores = f.score(text)
                    for key, value in scores.items():
                        columns[prefix + key][row] = value
                    ok, reason = f.keep(scores)
                    if not ok:
                        break
            out_texts.append(text)
            reasons.append(reason)
            keep[row] = reason is None
        # Documents whose text the stage rewrote (normalised, redacted): reported per shard.
        self.rewritten = sum(1 for a, b in zip(texts, out_texts) if a is not b and a != b)
        table = self._with_text(table, texts, out_texts)
        for key, values in columns.items():
            array = pa.array(values, self._score_types[key])
            if key in table.schema.names:
                table = table.set_column(table.schema.get_field_index(key), key, array)
            else:
                table = table.append_column(key, array)
        kept = table.filter(pa.array(keep))
        removed = table.filter(pa.array(~keep)).append_column(
            REASON, pa.array([r for r in reasons if r is not None], pa.string()))
        return kept, removed

    def _with_text(self, table: pa.Table, texts: list, out_texts: list) -> pa.Table:
        index = table.schema.get_field_index(self.text_column)
        field = table.schema.field(index)
        binary = not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type))
        if not self.rewritten and not self.repaired_utf8 and not binary:
            return table
        kind = pa.large_string() if pa.types.is_large_string(field.type) or pa.types.is_large_binary(field.type) else pa.string()
        return table.set_column(index, pa.field(self.text_column, kind), pa.array(out_texts, kind))


class GlobalStage(Stage):
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
