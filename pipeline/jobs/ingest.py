"""`kopile ingest`: web dumps to Parquet shards, one task per group of input files, on the engine
(`OUT/00_ingest/kept/GROUP-NNNNN.parquet`, `removed/GROUP.parquet`, `_manifest.json`)."""
from __future__ import annotations

from pathlib import Path

from kopile.core import io, storage
from kopile.core.storage import at
from kopile.core.errors import ConservationError, InputError, RunFailed
from kopile.pipeline.jobs import engine
from kopile.pipeline.jobs.engine import Item, Job, now, versions, write_status

INGEST_DIR = "00_ingest"
DUMP_SUFFIXES = tuple(f"{base}{z}" for base in (".warc", ".arc", ".wet", ".jsonl", ".json", ".ndjson", ".txt")
                      for z in ("", ".gz", ".zst", ".zstd"))


def _stem(name: str) -> str:
    for suffix in sorted(DUMP_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def group_files(files: list[tuple[str, int]], target: int) -> list[list[str]]:
    """Consecutive files (name, size on disk) while their summed size stays within `target`;
    a file larger than `target` alone. From names and sizes only: a re-run forms the same groups."""
    groups: list[list[str]] = []
    total = 0
    for name, size in files:
        if groups and total + size <= target:
            groups[-1].append(name)
            total += size
        else:
            groups.append([name])
            total = size
    return groups


def group_name(names: list[str]) -> str:
    """A lone file keeps its stem; a group is named after its first file, how many follow and a
    digest of all of them, so that other members (a file added, removed or renamed) make another
    key, and the engine drops the old group's shards instead of taking them as done."""
    first = _stem(names[0])
    return first if len(names) == 1 else f"{first}+{len(names) - 1}.{io.digest(names)[:8]}"


def _size(path) -> int:
    try:
        return at(path).stat().st_size
    except OSError:
        return 0  # its task fails on it, naming the file


def _task(settings, files: list[tuple[str, str]], group: str, kept_dir: str, removed_path: str) -> dict:
    from kopile.pipeline.ingest.job import ingest_files  # the worker loads the readers and extractors

    return ingest_files(settings, files, group, kept_dir, removed_path)


class IngestJob(Job):
    title = INGEST_DIR
    unit = "group"
    section = "files"
    holds = "an ingest with other settings"
    task = staticmethod(_task)

    def __init__(self, config, files: list[tuple[str, Path]]):
        settings = config.model_dump()
        super().__init__(at(config.output) / INGEST_DIR,
                         io.digest({k: v for k, v in settings.items() if k not in ("input", "output")}))
        self.config, self.files = config, files

    def folders(self) -> list[Path]:
        return [self.directory, self.directory / "kept", self.directory / "removed"]

    def header(self) -> dict:
        return {"stage": "ingest"}

    def items(self) -> list[Item]:
        paths = dict(self.files)
        # On-disk sizes: compressed inputs expand by a factor that depends on the format (and
        # WARC HTML shrinks to a fraction as text), so no single estimate would be better.
        target = int(self.config.shard_mb * 2**20) if self.config.merge_small else -1  # -1: each file alone
        items = []
        for names in group_files([(name, _size(path)) for name, path in self.files], target):
            key = group_name(names)
            items.append(Item(key, (self.config, [(str(paths[n]), _stem(n)) for n in names],
                                    key, str(self.directory / "kept"),
                                    str(self.directory / "removed" / f"{key}.parquet"))))
        return items

    def done(self, item: Item, entry: dict) -> bool:
        return (entry.get("status") == "ok" and at(item.args[4]).is_file()
                and all((self.directory / "kept" / shard).is_file() for shard in entry["shards"]))

    def outputs(self, key: str, entry: dict) -> list[Path]:
        return [self.directory / "removed" / f"{key}.parquet",
                *(self.directory / "kept" / shard for shard in entry.get("shards", []))]

    def summarize(self, outcome: engine.Outcome) -> dict:
        entries = list(outcome.entries.values())
        return {
            "stage": "ingest", "dir": INGEST_DIR, "shards": len(entries),
            "input_files": sum(len(e["files"]) for e in entries),
            "shards_failed": sum(e["status"] != "ok" for e in entries), "shards_resumed": outcome.resumed,
            "rows_in": sum(e["records_in"] for e in entries), "kept": sum(e["kept"] for e in entries),
            "removed": sum(e["removed"] for e in entries),
            "removed_by_reason": engine.add_counts(entries, "removed_by_reason"),
            "skipped_records": dict(sorted(engine.add_counts(entries, "skipped_records").items())), "rewritten": 0,
            "file_bytes_in": sum(e["file_bytes_in"] for e in entries),
            "text_bytes_kept": sum(e["text_bytes_kept"] for e in entries),
            "output_shards": sum(len(e["shards"]) for e in entries),
            "task_seconds": round(sum(e["seconds"] for e in entries), 3),
            "wall_seconds": outcome.wall_seconds,
        }

    def check(self, item: Item, entry: dict) -> None:
        for one in [*entry["files"], {**entry, "source": f"the group {item.key}"}]:
            if one["records_in"] != one["kept"] + one["removed"]:
                raise ConservationError(f"ingest of {one['source']}: {one['records_in']} records in, "
                                        f"{one['kept']} kept + {one['removed']} removed")


class Ingester:
    def __init__(self, config, progress: bool | None = None):
        self.config = config
        self.out = at(config.output)
        self.progress = progress

    def prepare(self) -> IngestJob:
        from kopile.pipeline.ingest.urls import UrlFilter

        UrlFilter(**self.config.block.model_dump())  # a bad pattern or missing list fails here, once
        files = io.list_shards(self.config.input, DUMP_SUFFIXES, add_suffix="")
        stems: dict[str, str] = {}
        for name, path in files:
            other = stems.setdefault(_stem(name), str(path))
            if other != str(path):
                raise InputError(f"inputs {other} and {path} would both write shards named {_stem(name)}-*")
        io.check_not_nested(io.input_roots(self.config.input), self.out)
        job = IngestJob(self.config, files)
        engine.check_manifest(job)
        io.prepare_dir(self.out)
        return job

    def run(self, executor=None) -> dict:
        job = self.prepare()
        executor = engine.executor_or_ray(executor)
        summary = {"config": self.config.model_dump(), "versions": versions(), "started": now(), "status": "running",
                   "resumed": job.manifest_path.is_file()}
        io.write_json_atomic(self.out / "run.json", summary)
        storage.rmtree(self.out / engine.FINAL)
        outcome = engine.run(job, executor, self.progress)
        errors = outcome.fatal or outcome.errors
        summary["stages"] = [job.summarize(outcome)]
        if not errors:
            kept = sorted(shard for e in outcome.entries.values() for shard in e["shards"])
            summary["final"] = engine.publish_final(self.out, INGEST_DIR, [(k, job.directory / "kept" / k) for k in kept])
        summary.update(finished=now(), status="failed" if errors else "ok", errors=errors)
        write_status(self.out / "run.json", summary)
        if outcome.fatal:
            raise RunFailed(f"the ingest stopped: {outcome.fatal[0]}", errors, summary)
        if errors:
            raise RunFailed(f"{len(errors)} input file(s) failed", errors, summary)
        return summary
