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
from kopile.pipeline.stages.base import GlobalStage


@dataclass(frozen=True)
class Shard:
    name: str
    path: str
    input_id: str  # what the file holds, as far as an entry's validity goes


def stage_dir_name(index: int, spec: StageSpec) -> str:
    return f"{index + 1:02d}_{spec.name}"


def source_id(path: Path) -> str:
    stat = Path(path).stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


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
        for job in self.jobs:
            engine.check_manifest(job)
        io.prepare_dir(self.out)
        return [Shard(name, str(path), source_id(path)) for name, path in found]

    def run(self, executor=None) -> dict:
        shards = self.prepare()
        executor = engine.executor_or_ray(executor)
        previous = io.read_json(self.out / "run.json", {})
        summary = {"config": self.config.to_json(), "config_file": self.config.source, "versions": versions(),
                   "warnings": self.config.warnings,
                   "seed": self.config.run.seed, "started": now(), "resumed": bool(previous), "status": "running",
                   "stages": []}
        io.write_json_atomic(self.out / "run.json", summary)
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
        if shards and issubclass(stage_class(job.spec.name), GlobalStage):
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


def _keep_only(work: Path) -> None:
    """`work` is the one folder of its kind worth keeping: the others were made for another set
    of shards and are never read again."""
    if work.parent.is_dir():
        for other in work.parent.iterdir():
            if other != work and other.is_dir():
                shutil.rmtree(other, ignore_errors=True)
