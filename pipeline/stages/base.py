"""The stage contract: a stage is a batch transform from a Parquet table to a `StageResult`.

Per-document stages (`Stage`, `FilterStage`) decide each row on its own. A `GlobalStage` is
decided over all shards at once, and is applied to a shard only together with that shard's
part of the decision: it holds no state from one shard to the next.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel

from kopile.core.config import STRICT, signature_model
from kopile.core import io
from kopile.core.schema import text_values
from kopile.filters.base import Filter

REASON = "reason"


class NoParams(BaseModel):
    model_config = STRICT


@dataclass
class StageResult:
    """Every input row is in exactly one of `kept` and `removed`; `removed` has a `reason`
    column. `counters` are per-batch counts that the shard's manifest entry sums
    (`rewritten`: documents whose text the stage changed; `repaired_utf8`)."""

    kept: pa.Table
    removed: pa.Table
    counters: dict[str, int] = field(default_factory=dict)


class Stage:
    """A per-document batch transform. `Params` is its settings' model; `setup` loads heavy
    things once per worker; calling it splits a table into a `StageResult`."""

    name = "stage"
    Params: type[BaseModel] = NoParams

    def __init__(self, text_column: str = "text", **params):
        self.text_column = text_column
        self.settings = self.Params.model_validate(params)
        self.params = self.settings.model_dump()

    @classmethod
    def decided_globally(cls, params: dict) -> bool:
        """Whether, with these settings, the stage is decided over all shards at once."""
        return False

    def setup(self) -> None:
        pass

    def __call__(self, table: pa.Table) -> StageResult:
        raise NotImplementedError


def filter_params(name: str, cls: type, injected: tuple[str, ...] = ()) -> type[BaseModel]:
    """The settings of a stage that wraps one filter: its constructor's keyword arguments."""
    return signature_model(f"{name}_params", cls, injected)


def _arrow_type(value) -> pa.DataType:
    if isinstance(value, (bool, np.bool_)):
        return pa.bool_()
    if isinstance(value, (int, np.integer)):
        return pa.int64()
    if isinstance(value, str):
        return pa.string()
    return pa.float64()


def removed_table(table: pa.Table, reasons: list[str]) -> pa.Table:
    return table.append_column(REASON, pa.array(reasons, pa.string()))


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
            f.setup()
        # Each filter scores empty text by rule, which gives every score's name and type
        # up front: output schemas must not depend on which rows a batch happens to hold.
        self._score_types: dict[str, pa.DataType] = {}
        for f in self._filters:
            for key, value in f.score("").items():
                self._score_types[f"{self.name}_{key}"] = _arrow_type(value)

    def __call__(self, table: pa.Table) -> StageResult:
        if not hasattr(self, "_filters"):
            self.setup()
        texts, repaired = text_values(table, self.text_column)
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
        rewritten = sum(1 for a, b in zip(texts, out_texts) if a is not b and a != b)
        table = self._with_text(table, texts, out_texts, rewritten or repaired)
        for key, values in columns.items():
            array = pa.array(values, self._score_types[key])
            if key in table.schema.names:
                table = table.set_column(table.schema.get_field_index(key), key, array)
            else:
                table = table.append_column(key, array)
        kept = table.filter(pa.array(keep))
        removed = removed_table(table.filter(pa.array(~keep)), [r for r in reasons if r is not None])
        return StageResult(kept, removed, {"rewritten": rewritten, "repaired_utf8": repaired})

    def _with_text(self, table: pa.Table, texts: list, out_texts: list, changed: int) -> pa.Table:
        index = table.schema.get_field_index(self.text_column)
        field_ = table.schema.field(index)
        plain = pa.types.is_string(field_.type) or pa.types.is_large_string(field_.type)
        if not changed and plain:
            return table
        kind = pa.large_string() if pa.types.is_large_string(field_.type) or pa.types.is_large_binary(field_.type) \
            else pa.string()
        return table.set_column(index, pa.field(self.text_column, kind), pa.array(out_texts, kind))


class Decisions:
    """One shard's part of a global decision: the rows to remove (shard row numbers) and the
    columns to give them. Rows not listed are kept."""

    def __init__(self, table: pa.Table):
        self.rows = {row: i for i, row in enumerate(table.column("row").to_pylist())}
        self.columns = table.drop_columns(["row"])


class GlobalStage(Stage):
    """A stage decided over all shards at once, in three steps: `keys` per shard (a task
    each), `decide` over all keys (the driver, which may hand work to `parallel`), and
    `apply` to each shard with its part of the decision (a task each)."""

    reason = "duplicate"

    @classmethod
    def decided_globally(cls, params: dict) -> bool:
        return True

    # "arrow" for keys that a decision reads by row (memory-mapped), "parquet" otherwise.
    keys_format = "parquet"

    def keys(self, table: pa.Table, id_column: str) -> pa.Table:
        raise NotImplementedError

    def decide(self, key_files: list[tuple[str, Path]], work: Path, parallel: Callable,
               sources: dict[str, Path] | None = None) -> dict[str, pa.Table]:
        """Per shard name, the decision table; `sources` are the shards themselves, for a
        stage whose decision needs more than its keys."""
        raise NotImplementedError

    def load_decisions(self, path: Path) -> Any:
        return Decisions(io.read_table(path))

    def apply(self, table: pa.Table, decisions: Any, first_row: int) -> StageResult:
        """The batch of a shard that starts at `first_row`, split by the shard's decisions."""
        hits = [decisions.rows.get(r) for r in range(first_row, first_row + table.num_rows)]
        mask = pa.array([h is not None for h in hits], pa.bool_())
        kept = table.filter(pc.invert(mask))
        removed = table.filter(mask)
        extra = decisions.columns.take(pa.array([h for h in hits if h is not None], pa.int64()))
        for name in extra.column_names:
            removed = removed.append_column(name, extra.column(name))
        return StageResult(kept, removed_table(removed, [self.reason] * removed.num_rows))

    def __call__(self, table: pa.Table) -> StageResult:
        raise TypeError(f"{self.name} is decided over all shards: apply it with a shard's decisions")
