"""`kopile run`: the configured stages over Parquet shards, each stage a job on the engine.

Each (stage, shard) is one task writing `NN_stage/kept/NAME` and `NN_stage/removed/NAME`;
its manifest entry records what its input was (the source file's size and time for the
first stage, the digest of the upstream kept file after that) and, for a global stage, the
decision it applied. A re-run skips an entry only when all of these still hold, so a killed
run resumes, a changed shard is redone with everything downstream, and a global decision is
made again whenever the set of shards that reaches it changes.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from kopile.core import io
from kopile.core.errors import KopileError, RunFailed
from kopile.pipeline.config import Config, StageSpec
from kopile.pipeline.jobs import engine
from kopile.pipeline.jobs.engine import Item, Job, now, versions, write_status
from kopile.pipeline.jobs.ids import check_ids
from kopile.pipeline.jobs.stage import RunSettings, ShardTask, keys_task, make_stage, stage_task
from kopile.pipeline.stages import stage_class


@dataclass(frozen=True)
class Shard:
    name: str
    path: str
    input_id: str  # what the file holds, as far as an entry's validity goes


def stage_dir_name(index: int, spec: StageSpec) -> str:
    return f"{index + 1:02d}_{spec.name}"


class StageJob(Job):
    task = staticmethod(stage_task)

    def __init__(self, out: Path, index: int, spec: StageSpec, settings: RunSettings, fingerprint: str):
        super().__init__(out / stage_dir_name(index, spec), fingerprint)
        self.index, self.spec, self.settings = index, spec, settings
        self.title = stage_dir_name(index, spec)
        self.holds = f"the output of stage {spec.name!r} with other parameters"
        self.tasks: list[ShardTask] = []

    def folders(self) -> list[Path]:
        return [self.directory, self.directory / "kept", self.directory / "removed"]

    def header(self) -> dict:
        return {"stage": self.spec.name, "params": self.spec.params}

    def items(self) -> list[Item]:
        return [Item(t.name, (self.spec, t, self.settings)) for t in self.tasks]

    def done(self, item: Item, entry: dict) -> bool:
        task: ShardTask = item.args[1]
        return (entry.get("status") == "ok" and entry.get("input") == task.input_id
                and entry.get("decision") == task.decision_id and Path(task.kept).is_file()
                and Path(task.removed).is_file())

    def outputs(self, key: str, entry: dict) -> list[Path]:
        return [self.directory / "kept" / key, self.directory / "removed" / key]

    def check(self, item: Item, entry: dict) -> None:
        from kopile.core.errors import ConservationError

        if entry["rows_in"] != entry["kept"] + entry["removed"]:
            raise ConservationError(f"{self.spec.name} on {entry['source']}: {entry['rows_in']} rows in, "
                                    f"{entry['kept']} kept + {entry['removed']} removed")

    def error_line(self, item: Item, entry: dict) -> str:
        return f"{self.spec.name}: {entry['error'].splitlines()[0]}"

    def summarize(self, outcome: engine.Outcome) -> dict:
        entries = outcome.entries.values()
        return {
            "stage": self.spec.name,
            "dir": self.directory.name,
            "shards": len(entries),
            "shards_failed": sum(e["status"] != "ok" for e in entries),
            "shards_resumed": outcome.resumed,
            "rows_in": sum(e["rows_in"] for e in entries),
            "kept": sum(e["kept"] for e in entries),
            "removed": sum(e["removed"] for e in entries),
            "removed_by_reason": engine.add_counts(entries, "removed_by_reason"),
            "rewritten": sum(e.get("rewritten", 0) for e in entries),
            **{key: sum(e.get(key, 0) for e in entries)
               for key in ("text_bytes_in", "text_bytes_kept", "text_bytes_removed", "text_bytes_rewritten",
                           "file_bytes_in", "file_bytes_kept", "file_bytes_removed")},
            "text_bytes_removed_by_reason": engine.add_counts(entries, "text_bytes_removed_by_reason"),
            "task_seconds": round(sum(e["seconds"] for e in entries), 3),
            "wall_seconds": outcome.wall_seconds,
        }

    def shard_task(self, shard: Shard, **extra) -> ShardTask:
        return ShardTask(shard.name, shard.path, str(self.directory / "kept" / shard.name),
                         str(self.directory / "removed" / shard.name), shard.input_id,
                         first_stage=self.index == 0, **extra)


class Runner:
    def __init__(self, config: Config, progress: bool | None = None, log=print):
        self.config = config
        self.out = Path(config.run.output)
        self.progress = progress
        self.log = log
        run = config.run
        self.settings = RunSettings(run.text_column, run.id_column, run.batch_rows)
        self.jobs, upstream = [], ""
        for index, spec in enumerate(config.stages):
            # A stage's output depends on its parameters and on everything upstream.
            upstream = io.digest({"stage": spec.name, "params": spec.params, "upstream": upstream,
                                  "text_column": run.text_column, "id_column": run.id_column,
                                  "id_conflict": run.id_conflict, "seed": run.seed, "batch_rows": run.batch_rows})
            self.jobs.append(StageJob(self.out, index, spec, self.settings, upstream))

    def prepare(self) -> list[Shard]:
        """Everything that can be checked before anything is written or Ray is started: the
        inputs exist, the output is not inside them (nor they inside it), the output can be
        made, and it holds no stage written with other parameters."""
        found = io.list_shards(self.config.run.input)
        io.check_not_nested(io.input_roots(self.config.run.input), self.out)
        self._restart_from_first_change()
        io.prepare_dir(self.out)
        return [Shard(name, str(path), io.source_id(path)) for name, path in found]

    def _restart_from_first_change(self) -> None:
        """Re-running into an output whose stages were written with other settings: the stages
        before the first changed one are reused as they are (their manifests match), that stage
        and every later one are removed and run again. Decided here, before Ray starts."""
        for job in self.jobs:
            manifest = io.read_json(job.manifest_path, None)
            if manifest is None or manifest.get("fingerprint") == job.fingerprint:
                continue
            previous = io.read_json(self.out / "run.json", {}).get("config", {})
            self.log(f"{job.title}: {describe_change(job, manifest, previous, self.config.to_json())}; it and the "
                     f"stages after it run again, the {job.index} stage(s) before it are reused")
            first = stage_index(job.directory.name)
            for folder in sorted(self.out.iterdir()):
                index = stage_index(folder.name)
                if index is not None and index >= first and (folder / "_manifest.json").is_file():
                    shutil.rmtree(folder)
            # Also here, not only when the run starts: the CLI prepares before it starts Ray, and
            # a Ray that fails to start must not leave the old settings' output as final/.
            shutil.rmtree(self.out / engine.FINAL, ignore_errors=True)
            return

    def run(self, executor=None) -> dict:
        shards = self.prepare()
        executor = engine.executor_or_ray(executor)
        previous = io.read_json(self.out / "run.json", {})
        summary = {"config": self.config.to_json(), "config_file": self.config.source, "versions": versions(),
                   "warnings": self.config.warnings,
                   "seed": self.config.run.seed, "started": now(), "resumed": bool(previous), "status": "running",
                   "stages": []}
        io.write_json_atomic(self.out / "run.json", summary)
        # final/ is what the run produced; until this run has produced it, there is none.
        shutil.rmtree(self.out / engine.FINAL, ignore_errors=True)
        errors: list[str] = []
        try:
            renames = self._check_ids(shards, executor)
            for job in self.jobs:
                figures, shards, stage_errors = self._run_stage(job, shards, renames, executor)
                summary["stages"].append(figures)
                errors.extend(stage_errors)
                io.write_json_atomic(self.out / "run.json", summary)
        except KopileError as e:
            errors.extend(getattr(e, "errors", None) or [str(e)])
            self._finish(summary, errors)
            raise RunFailed(f"the run stopped: {str(e).splitlines()[0]}", errors, summary) from None
        except BaseException as e:  # a bug, or Ctrl-C: run.json must not say "running"
            import traceback

            self._finish(summary, errors + [f"{type(e).__name__}: {e}\n{traceback.format_exc()}"])
            raise
        if not errors and self.jobs:
            job = self.jobs[-1]
            entries = engine.load_manifest(job)[job.section]
            summary["final"] = engine.publish_final(
                self.out, job.directory.name, [(s.name, Path(s.path)) for s in shards],
                {s.name: {"text_bytes": entries[s.name].get("text_bytes_kept", 0),
                          "digest": entries[s.name]["kept_digest"]} for s in shards})
        self._finish(summary, errors)
        if errors:
            raise RunFailed(f"{len(errors)} shard(s) failed", errors, summary)
        return summary

    def _finish(self, summary: dict, errors: list[str]) -> None:
        summary.update(finished=now(), status="failed" if errors else "ok", errors=errors)
        write_status(self.out / "run.json", summary)

    def _check_ids(self, shards: list[Shard], executor) -> dict[str, Path]:
        run = self.config.run
        work = self.out / "_ids" / io.digest([(s.name, s.input_id) for s in shards] + [run.id_column, run.id_conflict])
        _keep_only(work)
        return check_ids([(s.name, s.path) for s in shards], run.id_column, work, run.id_conflict, executor.map)

    def _run_stage(self, job: StageJob, shards: list[Shard], renames: dict[str, Path], executor):
        extra = {s.name: {"renames": str(renames[s.name])} if job.index == 0 and s.name in renames else {}
                 for s in shards}
        work, started = None, time.perf_counter()
        if shards and stage_class(job.spec.name).decided_globally(job.spec.params):
            decision_id = io.digest({"stage": job.fingerprint, "shards": [(s.name, s.input_id) for s in shards]})
            work = job.directory / "_work" / decision_id
            for s in shards:
                extra[s.name]["decision_id"] = decision_id
            if not self._applied(job, shards, extra):
                decisions, failed = self._decide(job, shards, work, executor)
                for s in shards:
                    extra[s.name].update(failed=failed.get(s.name),
                                         decisions=None if s.name in failed else str(decisions / s.name))
        job.tasks = [job.shard_task(s, **extra[s.name]) for s in shards]
        outcome = engine.run(job, executor, self.progress)
        if outcome.fatal:
            raise RunFailed(outcome.fatal[0], outcome.fatal)
        if work is not None and not outcome.errors and not self.config.run.keep_work:
            # Every shard has its decision applied and recorded: the work files are never read
            # again (a re-run finds the entries done), and they are the largest files of a run.
            shutil.rmtree(job.directory / "_work", ignore_errors=True)
        ok = [Shard(name, str(job.directory / "kept" / name), e["kept_digest"]) for name, e in outcome.entries.items()
              if e["status"] == "ok"]
        figures = job.summarize(outcome)
        # A global stage's time includes its decision (keys, grouping), not only the split.
        figures["wall_seconds"] = round(time.perf_counter() - started, 3)
        return figures, ok, outcome.errors

    def _applied(self, job: StageJob, shards: list[Shard], extra: dict) -> bool:
        """Whether every shard already passed the stage with this decision (a finished stage
        whose work files were removed): then nothing is decided again."""
        if not job.manifest_path.is_file():
            return False
        entries = engine.load_manifest(job)[job.section]
        tasks = [job.shard_task(s, **extra[s.name]) for s in shards]
        return all(t.name in entries and job.done(Item(t.name, (job.spec, t, self.settings)), entries[t.name])
                   for t in tasks)

    def _decide(self, job: StageJob, shards: list[Shard], work: Path, executor) -> tuple[Path, dict[str, str]]:
        """Keys from every shard, then one decision over all of them in shard order. The decision
        is keyed by the exact set of shards and their contents (`work` is named by it): it is
        reused by a resumed run over the same set, and made anew when the set changes."""
        _keep_only(work)
        for folder in [work, *(p for p in work.rglob("*") if p.is_dir())]:
            io.remove_stale_tmp(folder)
        complete = work / "complete.json"
        made = io.read_json(complete, {"shards": None})["shards"]
        if made is None or not all((work / "decisions" / name).is_file() for name in made):
            keys_dir = io.prepare_dir(work / "keys")
            todo = [s for s in shards if not (keys_dir / s.name).is_file()]
            results = executor.map(keys_task, [(job.spec, ShardTask(s.name, s.path, first_stage=job.index == 0),
                                                str(keys_dir / s.name), self.settings) for s in todo])
            failed = {}
            for s, entry in zip(todo, results):
                if entry["status"] != "ok":
                    if entry["kind"] != "input":
                        raise RunFailed(f"{job.spec.name}: {entry['error'].splitlines()[0]}",
                                        [f"{job.spec.name}: {entry['error']}" + (f"\n{entry['traceback']}"
                                                                               if "traceback" in entry else "")])
                    failed[s.name] = entry["error"]
            readable = [(s.name, keys_dir / s.name) for s in shards if s.name not in failed]
            stage = make_stage(job.spec, self.settings.text_column)
            decided = stage.decide(readable, work, executor.map, {s.name: Path(s.path) for s in shards})
            for name, table in decided.items():
                io.write_table_atomic(work / "decisions" / name, table)
            io.write_json_atomic(complete, {"shards": [name for name, _ in readable], "failed": failed})
        return work / "decisions", io.read_json(complete)["failed"]


def stage_index(name: str) -> int | None:
    """NN of a stage folder named NN_stage, else None."""
    head, _, rest = name.partition("_")
    return int(head) if head.isdigit() and rest else None


def describe_change(job: StageJob, manifest: dict, previous: dict, current: dict) -> str:
    """What differs between a stage's earlier settings and now: its name, its parameters
    (dotted, old -> new), or a run setting upstream of it."""
    if manifest.get("stage") != job.spec.name:
        return f"was stage {manifest.get('stage')!r}, now {job.spec.name!r}"
    changes = _diff(manifest.get("params", {}), job.spec.params, job.spec.name)
    if not changes:
        run_keys = [k for k in current if k not in ("stages", "input", "output")]
        changes = _diff({k: previous.get(k) for k in run_keys if k in previous},
                        {k: current[k] for k in run_keys if k in previous}, "")
    if not changes:
        return "its settings or a stage before it changed"
    shown = ", ".join(f"{key} {old!r} -> {new!r}" for key, old, new in changes[:3])
    return f"changed: {shown}" + (f" (+{len(changes) - 3} more)" if len(changes) > 3 else "")


def _diff(old, new, prefix: str) -> list[tuple[str, object, object]]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            out += _diff(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else str(key))
        return out
    return [] if old == new else [(prefix, old, new)]


def _keep_only(work: Path) -> None:
    """`work` is the one folder of its kind worth keeping: the others were made for another set
    of shards and are never read again."""
    if work.parent.is_dir():
        for other in work.parent.iterdir():
            if other != work and other.is_dir():
                shutil.rmtree(other, ignore_errors=True)
