"""A stage's work on one shard, done in a worker: plain Python, also callable without Ray.

`pass_task` runs consecutive stages over one shard, each stage's removed rows to its
`removed/NAME` and the last one's kept rows to `kept/NAME`, and returns the manifest entry
(`stage_task`: a pass of one stage); `keys_task` is a global stage's first step on one
shard. Neither raises for bad input or a full disk: the entry says what failed, and of which
kind (see `engine`).
"""
from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kopile.core import io
from kopile.core.errors import ConservationError, InputError, error_entry
from kopile.core.schema import ensure_ids, require_text_column
from kopile.core.storage import at
from kopile.pipeline.stages import stage_class
from kopile.pipeline.stages.base import REASON


@dataclass(frozen=True)
class RunSettings:
    text_column: str = "text"
    id_column: str = "id"
    batch_rows: int = 1000


@dataclass(frozen=True)
class ShardTask:
    name: str
    source: str
    kept: str = ""
    removed: str = ""
    input_id: str = ""              # what the source holds: the entry is valid while it is the same
    first_stage: bool = False       # ids are given (and renamed, where `renames` says) here
    renames: str | None = None      # first stage: this shard's renamed ids (row -> id)
    decisions: str | None = None    # global stage: this shard's part of the decision
    decision_id: str | None = None  # global stage: which decision (the set of shards it was made over)
    failed: str | None = None       # global stage: why the keys step could not read this shard


_STAGE_CACHE: dict[str, object] = {}


def make_stage(spec, text_column: str):
    """One stage object per worker process and configuration, set up once (models load here).
    Stages hold no state from one shard to the next, so the object is reused."""
    key = json.dumps([spec.name, spec.params, text_column], sort_keys=True, default=str)
    stage = _STAGE_CACHE.get(key)
    if stage is None:
        stage = stage_class(spec.name)(text_column=text_column, **spec.params)
        stage.setup()
        _STAGE_CACHE[key] = stage
    return stage


def open_shard(source: str, text_column: str) -> pq.ParquetFile:
    parquet = io.open_parquet(source)
    require_text_column(parquet.schema_arrow, text_column, source)
    return parquet


def read_tables(parquet: pq.ParquetFile, task: ShardTask, settings: RunSettings):
    """(first row, table) for each batch of the shard; on the first stage, with ids given.
    An empty shard gives one empty table, so that it still has outputs."""
    renames = None
    if task.renames:
        t = io.read_table(task.renames)
        renames = dict(zip(t.column("row").to_pylist(), t.column("id").to_pylist()))
    rows = 0
    # Row group by row group, never a batch across two: a stage writes each batch's kept rows as
    # a row group, so the next stage then reads exactly the batches a fused pass hands it, and
    # both give byte-identical files.
    for group in range(parquet.num_row_groups):
        for batch in io.batches(parquet, task.source, batch_size=settings.batch_rows, row_groups=[group]):
            yield rows, _with_ids(pa.Table.from_batches([batch]), task, settings, rows, renames)
            rows += batch.num_rows
    if rows == 0:
        yield 0, _with_ids(parquet.schema_arrow.empty_table(), task, settings, 0, renames)


def _lengths(values):
    kind = values.type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind)):
        values = pc.cast(values, pa.large_string())
    return pc.binary_length(values)


def text_size(table: pa.Table, column: str) -> int:
    """UTF-8 bytes of a table's text column (nulls count 0)."""
    if column not in table.schema.names or table.num_rows == 0:
        return 0
    return int(pc.sum(_lengths(table.column(column))).as_py() or 0)


def text_size_by(table: pa.Table, column: str, key: str) -> dict[str, int]:
    """UTF-8 bytes of the text column per value of `key` (the removal reason)."""
    if table.num_rows == 0 or column not in table.schema.names:
        return {}
    sizes = pa.table({"k": table.column(key), "n": _lengths(table.column(column))})
    grouped = sizes.group_by("k").aggregate([("n", "sum")])
    return {k: int(n or 0) for k, n in zip(grouped.column("k").to_pylist(), grouped.column("n_sum").to_pylist())}


def _with_ids(table: pa.Table, task: ShardTask, settings: RunSettings, first: int, renames) -> pa.Table:
    return ensure_ids(table, settings.id_column, task.name, first, renames) if task.first_stage else table


def new_entry(task: ShardTask) -> dict:
    return {"source": task.source, "input": task.input_id, "decision": task.decision_id, "status": "error",
            "rows_in": 0, "kept": 0, "removed": 0, "removed_by_reason": {}, "rewritten": 0,
            # UTF-8 bytes of text: in = kept + removed + what rewrites took out (negative where a
            # rewrite lengthens, as a placeholder longer than the value it replaces).
            "text_bytes_in": 0, "text_bytes_kept": 0, "text_bytes_removed": 0, "text_bytes_rewritten": 0,
            "text_bytes_removed_by_reason": {},
            "file_bytes_in": 0, "file_bytes_kept": 0, "file_bytes_removed": 0, "repaired_utf8": 0,
            "renamed_ids": 0, "kept_digest": None, "seconds": 0.0, "error": None}


class _Member:
    """One stage's part of a pass over a shard: its removed file, its kept file where it writes
    one (the pass's last stage, or every stage with `materialize: all`), and its figures."""

    def __init__(self, spec, task: ShardTask, settings: RunSettings):
        self.spec, self.task, self.column = spec, task, settings.text_column
        self.entry = new_entry(task)
        self.kept = io.AtomicParquetWriter(task.kept) if task.kept else None
        self.removed = io.AtomicParquetWriter(task.removed)
        self.reasons: Counter = Counter()
        self.counters: Counter = Counter()
        self.text_bytes: Counter = Counter()
        self.removed_bytes: Counter = Counter()
        self.rows = self.kept_rows = 0
        self.seconds = 0.0
        self.apply = None

    def setup(self) -> None:
        self.apply = _applier(make_stage(self.spec, self.column), self.task)

    def __call__(self, table: pa.Table, first: int) -> pa.Table:
        started = time.perf_counter()
        result = self.apply(table, first)
        if result.kept.num_rows + result.removed.num_rows != table.num_rows:
            raise ConservationError(f"{self.spec.name} on {self.task.source}: {table.num_rows} rows in, "
                                    f"{result.kept.num_rows} kept + {result.removed.num_rows} removed")
        self.text_bytes["in"] += text_size(table, self.column)
        self.text_bytes["kept"] += text_size(result.kept, self.column)
        for reason, size in text_size_by(result.removed, self.column, REASON).items():
            self.removed_bytes[reason] += size
        self.rows += table.num_rows
        self.kept_rows += result.kept.num_rows
        if self.kept is not None:
            self.kept.write(result.kept)
        self.removed.write(result.removed)
        self.counters.update(result.counters)
        self.reasons.update(result.removed.column(REASON).to_pylist())
        self.seconds += time.perf_counter() - started
        return result.kept

    def commit(self) -> None:
        removed_text = sum(self.removed_bytes.values())
        self.entry.update(rows_in=self.rows, kept=self.kept_rows, removed=self.removed.rows,
                          removed_by_reason=dict(sorted(self.reasons.items())),
                          repaired_utf8=self.counters["repaired_utf8"], rewritten=self.counters["rewritten"],
                          text_bytes_in=self.text_bytes["in"], text_bytes_kept=self.text_bytes["kept"],
                          text_bytes_removed=removed_text,
                          text_bytes_rewritten=self.text_bytes["in"] - self.text_bytes["kept"] - removed_text,
                          text_bytes_removed_by_reason=dict(sorted(self.removed_bytes.items())))
        if self.task.renames:
            self.entry["renamed_ids"] = io.read_metadata(self.task.renames).num_rows
        if self.kept is not None:
            self.entry["file_bytes_kept"] = self.kept.commit()
            self.entry["kept_digest"] = io.file_digest(self.task.kept)
        self.entry["file_bytes_removed"] = self.removed.commit()
        self.entry["status"] = "ok"
        self.entry["seconds"] = round(self.seconds, 3)

    def abort(self) -> None:
        if self.kept is not None:
            self.kept.abort()
        self.removed.abort()


def pass_task(specs: list, tasks: list[ShardTask], settings: RunSettings) -> dict:
    """Consecutive stages over one shard in one read: each batch goes through them in turn, each
    stage's removed rows are written to its own file, and only the kept rows of the last one (of
    each one that has a kept path) are written. Returns the last stage's manifest entry, with the
    others' entries under `pass` in stage order; a failure is recorded on it, naming the stage."""
    started = time.perf_counter()
    members = [_Member(spec, task, settings) for spec, task in zip(specs, tasks)]
    last, head = members[-1], tasks[0]
    last.entry.update(input=head.input_id, decision=head.decision_id)
    current = members[0]
    try:
        if head.failed:
            raise InputError(head.failed)
        try:
            members[0].entry["file_bytes_in"] = at(head.source).stat().st_size
        except OSError as e:
            raise InputError(f"{head.source}: cannot be read: {e.strerror or e}") from None
        parquet = open_shard(head.source, settings.text_column)
        for current in members:
            current.setup()
        current = members[0]  # a failure to read the shard is the first stage's
        for first, table in read_tables(parquet, head, settings):
            for current in members:
                table = current(table, first)
            current = members[0]
        for current in members:
            current.commit()
        if len(members) > 1:
            last.entry["pass"] = [m.entry for m in members[:-1]]
    except BaseException as e:
        for m in members:
            m.abort()
        if not isinstance(e, Exception):  # interrupted (a cancelled task): nothing to record
            raise
        error_entry(last.entry, e)
        if len(members) > 1:
            last.entry.update(failed_stage=current.spec.name, failed_index=members.index(current))
    last.entry["pass_seconds"] = round(time.perf_counter() - started, 3)
    if len(members) == 1:
        last.entry["seconds"] = last.entry.pop("pass_seconds")
    return last.entry


def stage_task(spec, task: ShardTask, settings: RunSettings) -> dict:
    """One stage over one shard (a pass of one); returns the shard's manifest entry."""
    return pass_task([spec], [task], settings)


def _applier(stage, task: ShardTask):
    if stage.decided_globally(stage.params):
        if task.decisions is None:  # never reached by the runner; a shard is never passed unchecked
            raise RuntimeError(f"{stage.name}: no decision for {task.name}")
        decisions = stage.load_decisions(at(task.decisions))
        return lambda table, first: stage.apply(table, decisions, first)
    return lambda table, first: stage(table)


def keys_task(spec, task: ShardTask, out: str, settings: RunSettings) -> dict:
    """A global stage's first step on one shard: its keys, written to `out`."""
    entry = {"status": "error", "error": None}
    arrow = stage_class(spec.name).keys_format == "arrow"
    writer = (io.AtomicArrowWriter if arrow else io.AtomicParquetWriter)(out)
    try:
        parquet = open_shard(task.source, settings.text_column)
        stage = make_stage(spec, settings.text_column)
        for _, table in read_tables(parquet, task, settings):
            writer.write(stage.keys(table, settings.id_column))
        writer.commit()
        entry["status"] = "ok"
    except BaseException as e:
        writer.abort()
        if not isinstance(e, Exception):
            raise
        error_entry(entry, e)
    return entry
