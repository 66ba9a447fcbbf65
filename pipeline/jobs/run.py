"""`kopile run`: the configured stages over Parquet shards, grouped into passes, each pass a
job on the engine (`passes`: a global stage starts one; per-document stages join it).

Each (pass, shard) is one task writing each stage's `NN_stage/removed/NAME` and the last
stage's `NN_stage/kept/NAME`; its manifest entry records what its input was (the source
file's size and time for the first pass, the digest of the upstream kept file after that)
and, for a pass that starts with a global stage, the decision it applied. A re-run skips an
entry only when all of these still hold, so a killed run resumes, a changed shard is redone
with everything downstream, and a global decision is made again whenever the set of shards
that reaches it changes.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from kopile.core import io, storage
from kopile.core.errors import ConservationError, KopileError, RunFailed
from kopile.core.storage import at
from kopile.pipeline.config import Config, StageSpec
from kopile.pipeline.jobs import engine
from kopile.pipeline.jobs.engine import Item, Job, now, versions, write_status
from kopile.pipeline.jobs.ids import check_ids
from kopile.pipeline.jobs.stage import RunSettings, ShardTask, keys_task, make_stage, pass_task
from kopile.pipeline.stages import stage_class


@dataclass(frozen=True)
class Shard:
    name: str
    path: str
    input_id: str  # what the file holds, as far as an entry's validity goes


def stage_dir_name(index: int, spec: StageSpec) -> str:
    return f"{index + 1:02d}_{spec.name}"


class StageJob(Job):
    """One stage: its folder, manifest and figures. It runs as a member of a `PassJob`."""

    def __init__(self, out: Path, index: int, spec: StageSpec, settings: RunSettings, fingerprint: str):
        super().__init__(out / stage_dir_name(index, spec), fingerprint)
        self.index, self.spec, self.settings = index, spec, settings
        self.title = stage_dir_name(index, spec)
        self.holds = f"the output of stage {spec.name!r} with other parameters"

    def header(self) -> dict:
        return {"stage": self.spec.name, "params": self.spec.params}

    def check(self, item: Item, entry: dict) -> None:
        if entry["rows_in"] != entry["kept"] + entry["removed"]:
            raise ConservationError(f"{self.spec.name} on {entry['source']}: {entry['rows_in']} rows in, "
                                    f"{entry['kept']} kept + {entry['removed']} removed")

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


class PassJob(Job):
    """Consecutive stages run as one pass over each shard (`pass_task`): the first may be a global
    stage applying its decision, the others decide per document. The pass's manifest is its last
    stage's, whose entries carry the others' under `pass`; their own manifests are written from
    those once the pass is over. Only the last stage writes kept shards, unless the pass is a
    single stage (`materialize: all` makes every pass one)."""

    task = staticmethod(pass_task)

    def __init__(self, members: list[StageJob], settings: RunSettings):
        last = members[-1]
        super().__init__(last.directory, last.fingerprint)
        self.members, self.settings, self.holds = members, settings, last.holds
        self.title = last.title if len(members) == 1 else f"{members[0].title}..{last.title}"
        self.tasks: dict[str, list[ShardTask]] = {}

    def folders(self) -> list[Path]:
        return [*(d for m in self.members for d in (m.directory, m.directory / "removed")), self.directory / "kept"]

    def header(self) -> dict:
        return self.members[-1].header()

    def shard_tasks(self, shard: Shard, **head) -> list[ShardTask]:
        """The pass's task for each stage on `shard`: the first reads it (and takes the ids and
        the decision), the last writes the kept rows; each names the shard as its source."""
        tasks = []
        for i, m in enumerate(self.members):
            first, last = i == 0, i == len(self.members) - 1
            tasks.append(ShardTask(shard.name, shard.path,
                                   str(m.directory / "kept" / shard.name) if last else "",
                                   str(m.directory / "removed" / shard.name), shard.input_id if first else "",
                                   first_stage=m.index == 0, **(head if first else {})))
        return tasks

    def items(self) -> list[Item]:
        specs = [m.spec for m in self.members]
        return [Item(name, (specs, tasks, self.settings)) for name, tasks in self.tasks.items()]

    def done(self, item: Item, entry: dict) -> bool:
        tasks: list[ShardTask] = item.args[1]
        return (entry.get("status") == "ok" and entry.get("input") == tasks[0].input_id
                and entry.get("decision") == tasks[0].decision_id and len(entry.get("pass", [])) == len(tasks) - 1
                and at(tasks[-1].kept).is_file() and all(at(t.removed).is_file() for t in tasks))

    def outputs(self, key: str, entry: dict) -> list[Path]:
        return [m.directory / sub / key for m in self.members for sub in ("kept", "removed")]

    def chain(self, entry: dict) -> list[dict | None]:
        """Each member's entry for a shard. A failed pass fails the stage it failed in and those
        before it; the stages after it never saw the shard (None), as when each is its own pass."""
        if entry.get("status") == "ok":
            return [*entry.get("pass", []), entry]
        failed = entry.get("failed_index", len(self.members) - 1)
        return [entry if i <= failed else None for i in range(len(self.members))]

    def check(self, item: Item, entry: dict) -> None:
        chain = self.chain(entry)
        for m, e in zip(self.members, chain):
            m.check(item, e)
        for (a, b), m in zip(zip(chain, chain[1:]), self.members[1:]):
            if a["kept"] != b["rows_in"]:
                raise ConservationError(f"{m.spec.name} on {entry['source']}: {b['rows_in']} rows in, "
                                        f"{a['kept']} kept by the stage before it")

    def error_line(self, item: Item, entry: dict) -> str:
        return f"{entry.get('failed_stage', self.members[-1].spec.name)}: {entry['error'].splitlines()[0]}"

    def rows(self, entry: dict) -> int:
        return self.chain(entry)[0]["rows_in"]

    def record_members(self, outcome: engine.Outcome) -> list[dict]:
        """Every member's manifest written from the pass's entries; returns their figures. Only
        the first carries the pass's wall time (with a global stage's decision), so that the
        stages' times still add up to the run's."""
        figures = []
        for i, m in enumerate(self.members):
            entries = {key: c[i] for key, e in outcome.entries.items() if (c := self.chain(e))[i] is not None}
            if m is not self.members[-1]:
                entries = {key: {**e, "kept_in": self.directory.name} for key, e in entries.items()}
                io.write_json_atomic(m.manifest_path, {**m.header(), "fingerprint": m.fingerprint, "shards": entries})
            figures.append(m.summarize(engine.Outcome(entries, outcome.resumed, outcome.wall_seconds if i == 0 else 0.0)))
            if len(self.members) > 1:
                figures[-1]["pass"] = self.title
        return figures


class Runner:
    def __init__(self, config: Config, progress: bool | None = None, log=print):
        self.config = config
        self.out = at(config.run.output)
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
        self.passes = [PassJob(members, self.settings) for members in passes(self.jobs, run.materialize)]

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
            head = next(p.members[0] for p in self.passes if job in p.members)
            with_it = self.jobs[head.index:job.index]
            self.log(f"{job.title}: {describe_change(job, manifest, previous, self.config.to_json())}; it and the "
                     f"stages after it run again, the {head.index} stage(s) before "
                     + (f"its pass are reused; {', '.join(j.title for j in with_it)} run(s) again with it, in one "
                        "pass (`materialize: all` keeps each stage's kept copy, to restart from any stage)"
                        if with_it else "it are reused"))
            first = stage_index(head.directory.name)
            for folder in sorted(self.out.iterdir()):
                index = stage_index(folder.name)
                if index is not None and index >= first and (folder / "_manifest.json").is_file():
                    storage.rmtree(folder)
            # Also here, not only when the run starts: the CLI prepares before it starts Ray, and
            # a Ray that fails to start must not leave the old settings' output as final/.
            storage.rmtree(self.out / engine.FINAL)
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
        storage.rmtree(self.out / engine.FINAL)
        errors: list[str] = []
        try:
            renames = self._check_ids(shards, executor)
            for job in self.passes:
                figures, shards, stage_errors = self._run_pass(job, shards, renames, executor)
                summary["stages"].extend(figures)
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
                self.out, job.directory.name, [(s.name, at(s.path)) for s in shards],
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

    def _run_pass(self, job: PassJob, shards: list[Shard], renames: dict[str, Path], executor):
        head = job.members[0]
        extra = {s.name: {"renames": str(renames[s.name])} if head.index == 0 and s.name in renames else {}
                 for s in shards}
        work, started, started_at = None, time.perf_counter(), time.time()
        if shards and stage_class(head.spec.name).decided_globally(head.spec.params):
            decision_id = io.digest({"stage": head.fingerprint, "shards": [(s.name, s.input_id) for s in shards]})
            work = head.directory / "_work" / decision_id
            for s in shards:
                extra[s.name]["decision_id"] = decision_id
            job.tasks = {s.name: job.shard_tasks(s, **extra[s.name]) for s in shards}
            if not self._applied(job):
                decisions, failed = self._decide(head, shards, work, executor)
                for s in shards:
                    extra[s.name].update(failed=failed.get(s.name),
                                         decisions=None if s.name in failed else str(decisions / s.name))
        job.tasks = {s.name: job.shard_tasks(s, **extra[s.name]) for s in shards}
        for m in job.members[:-1]:  # kept copies of an earlier `materialize: all` run would look current
            storage.rmtree(m.directory / "kept")
        outcome = engine.run(job, executor, self.progress)
        figures = job.record_members(outcome)
        if outcome.fatal:
            raise RunFailed(outcome.fatal[0], outcome.fatal)
        if work is not None and not outcome.errors and not self.config.run.keep_work:
            # Every shard has its decision applied and recorded: the work files are never read
            # again (a re-run finds the entries done), and they are the largest files of a run.
            storage.rmtree(head.directory / "_work")
        ok = [Shard(name, str(job.directory / "kept" / name), e["kept_digest"]) for name, e in outcome.entries.items()
              if e["status"] == "ok"]
        # A global stage's time includes its decision (keys, grouping), not only the split.
        figures[0]["wall_seconds"] = round(time.perf_counter() - started, 3)
        for f in figures:  # when the pass ran (Unix time), to line up with outside measurements
            f.update(started_at=round(started_at, 3), finished_at=round(time.time(), 3))
        return figures, ok, outcome.errors

    def _applied(self, job: PassJob) -> bool:
        """Whether every shard already passed with this decision (a finished pass whose work
        files were removed): then nothing is decided again."""
        if not job.manifest_path.is_file():
            return False
        entries = engine.load_manifest(job)[job.section]
        return all(item.key in entries and job.done(item, entries[item.key]) for item in job.items())

    def _decide(self, job: StageJob, shards: list[Shard], work: Path, executor) -> tuple[Path, dict[str, str]]:
        """Keys from every shard, then one decision over all of them in shard order. The decision
        is keyed by the exact set of shards and their contents (`work` is named by it): it is
        reused by a resumed run over the same set, and made anew when the set changes."""
        _keep_only(work)
        if isinstance(work, Path):  # an object store has no temporary files
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
            decided = stage.decide(readable, work, executor.map, {s.name: at(s.path) for s in shards})
            for name, table in decided.items():
                io.write_table_atomic(work / "decisions" / name, table)
            io.write_json_atomic(complete, {"shards": [name for name, _ in readable], "failed": failed})
        return work / "decisions", io.read_json(complete)["failed"]


def passes(jobs: list[StageJob], materialize: str) -> list[list[StageJob]]:
    """Stages grouped into passes: a global stage starts a new one (its decision needs every
    shard's keys first), and with `materialize: all` every stage is its own."""
    groups: list[list[StageJob]] = []
    for job in jobs:
        if not groups or materialize == "all" or stage_class(job.spec.name).decided_globally(job.spec.params):
            groups.append([job])
        else:
            groups[-1].append(job)
    return groups


def stage_index(name: str) -> int | None:
    """NN of a stage folder named NN_stage, else None."""
    head, _, rest = name.partition("_")
    return int(head) if head.isdigit() and rest else None


def describe_change(job: StageJob, manifest: dict, previous: dict, current: dict) -> str:
    """What differs between a stage's earlier settings and now: its name, its parameters
    (dotted, old -> new), or a run setting upstream of it."""
    if manifest.get("stage") != job.spec.name:
        return f"was stage {manifest.get('stage')!r}, now {job.spec.name!r}"
    # As the manifest holds them: JSON turns the parameters' tuples into lists.
    params = json.loads(json.dumps(job.spec.params, default=str))
    changes = _diff(manifest.get("params", {}), params, job.spec.name)
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
                storage.rmtree(other)
