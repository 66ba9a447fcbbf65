"""Reliability: no silent wrong output, no shard that can never finish, no raw tracebacks.

Each case of the reliability issue: global decisions that follow the set of shards reaching
them (the stuck and the silent cases), shards emptied before a global stage, a full disk and
other filesystem errors, nested input and output, repeated ids across shards, a refused
resume, input checks before Ray, a failing keys step, dictionary-encoded text, and Ray agents
left by a killed driver.
"""
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, load_example, read_dir, run_config, write_shard
from kopile.cli import main
from kopile.core.errors import RunFailed
from kopile.pipeline.jobs.executor import LocalExecutor, orphan_agents, reap_orphans
from kopile.pipeline.jobs.run import Runner

KOPILE = [sys.executable, "-m", "kopile.cli"]
SAMPLE = load_example("make_sample")
DEDUP = [{"normalize": {}}, {"exact_dedup": {}}]
DOCS = [f"{i}번째 문서입니다. 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다." for i in range(12)]


def outputs(out: Path) -> dict[str, bytes]:
    """The kept and removed shards of every stage (work files and manifests aside)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.glob("[0-9][0-9]_*/*/*.parquet"))
            if p.parent.name in ("kept", "removed")}


def leftovers(out: Path) -> list[Path]:
    return [p for p in out.rglob(".*.tmp-*")]


def write_yaml(path: Path, input, output, stages: str = "  - normalize: {}\n  - exact_dedup: {}\n", **run) -> Path:
    extra = "".join(f"{k}: {v}\n" for k, v in run.items())
    path.write_text(f"input: {input}\noutput: {output}\n{extra}stages:\n{stages}")
    return path


# --- global decisions follow the set of shards that reaches them ----------------------------

def test_a_shard_fixed_after_failing_upstream_reaches_a_new_decision(ray_session, tmp_path):
    """The stuck case: a shard that failed upstream (corrupt, then fixed) reaches exact_dedup on
    the re-run; the decision is made again over the new set, and the run finishes."""
    src = tmp_path / "in"
    write_shard(src / "a.parquet", DOCS[:6])
    write_shard(src / "b.parquet", DOCS[6:] + DOCS[:2])
    (src / "c.parquet").write_bytes(b"PAR1 not parquet")
    out = tmp_path / "out"
    with pytest.raises(RunFailed) as failure:
        Runner(run_config(src, out, DEDUP), progress=False).run()
    assert "c.parquet" in failure.value.errors[0]
    first = json.loads((out / "02_exact_dedup" / "_manifest.json").read_text())["shards"]
    assert sorted(first) == ["a.parquet", "b.parquet"] and first["b.parquet"]["removed"] == 2

    write_shard(src / "c.parquet", [DOCS[3], DOCS[8], "새로운 문서 하나."])  # fixed: two copies, one new
    summary = Runner(run_config(src, out, DEDUP, keep_work=True), progress=False).run()
    assert summary["status"] == "ok" and summary["stages"][1]["removed"] == 4
    Runner(run_config(src, tmp_path / "clean", DEDUP), progress=False).run()
    assert outputs(out) == outputs(tmp_path / "clean")
    # Only the current decision is kept on disk.
    assert len(list((out / "02_exact_dedup" / "_work").iterdir())) == 1


def test_kill_during_the_split_then_a_changed_shard_set(ray_session, tmp_path):
    """The silent case: killed while exact_dedup splits the shards, resumed with one shard gone
    and one added; the outputs equal an uninterrupted run over the new set."""
    from conftest import kill_when, manifest_entries

    src = tmp_path / "in"
    SAMPLE.generate(src, seed=5, n_shards=12)
    out = tmp_path / "killed"
    cfg = write_yaml(tmp_path / "run.yaml", src, out)
    manifest = out / "02_exact_dedup" / "_manifest.json"
    kill_when([*KOPILE, "run", str(cfg), "--num-cpus", "1", "--no-progress"],
              lambda: manifest_entries(manifest, "shards") >= 2)
    assert 2 <= manifest_entries(manifest, "shards") < 12, "not killed during the split step"

    (src / "part-00011.parquet").unlink()
    copies = pq.read_table(src / "part-00000.parquet").slice(0, 40)
    pq.write_table(copies, src / "part-00012.parquet")  # 40 exact copies of documents of part-00000
    resumed = subprocess.run([*KOPILE, "run", str(cfg), "--num-cpus", "1", "--no-progress"], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    clean = Runner(run_config(src, tmp_path / "clean", DEDUP), progress=False).run()
    assert outputs(out) == outputs(tmp_path / "clean")
    run = json.loads((out / "run.json").read_text())
    assert run["stages"][1]["removed"] == clean["stages"][1]["removed"]
    assert run["stages"][1]["removed_by_reason"]["exact_duplicate"] >= 40


def test_a_failing_keys_step_never_lets_a_shard_pass_unchecked(ray_session, tmp_path):
    """A shard whose keys cannot be read fails the global stage with its error; the others are
    decided without it; nothing of it reaches the stage's kept output."""
    src = tmp_path / "in"
    write_shard(src / "a.parquet", DOCS[:6])
    write_shard(src / "b.parquet", DOCS[:6])
    out = tmp_path / "out"
    Runner(run_config(src, out, [{"normalize": {}}]), progress=False).run()
    (out / "01_normalize" / "kept" / "b.parquet").write_bytes(b"PAR1 torn")  # damaged after it was recorded
    with pytest.raises(RunFailed) as failure:
        Runner(run_config(src, out, DEDUP), progress=False).run()
    assert "exact_dedup" in failure.value.errors[0] and "b.parquet" in failure.value.errors[0]
    entries = json.loads((out / "02_exact_dedup" / "_manifest.json").read_text())["shards"]
    assert entries["b.parquet"]["status"] == "error" and entries["b.parquet"]["kind"] == "input"
    assert entries["a.parquet"]["status"] == "ok" and entries["a.parquet"]["kept"] == 6
    assert not (out / "02_exact_dedup" / "kept" / "b.parquet").exists()


def test_a_bug_in_the_keys_step_fails_the_stage(tmp_path, monkeypatch):
    from kopile.pipeline.stages.exact_dedup import ExactDedupStage

    def broken(self, table, id_column):
        raise KeyError("a bug")

    monkeypatch.setattr(ExactDedupStage, "keys", broken)
    write_shard(tmp_path / "in" / "a.parquet", DOCS[:3])
    with pytest.raises(RunFailed) as failure:
        Runner(run_config(tmp_path / "in", tmp_path / "out", DEDUP), progress=False).run(LocalExecutor())
    assert "KeyError" in failure.value.errors[0] and "Traceback" in failure.value.errors[0]
    assert not (tmp_path / "out" / "02_exact_dedup" / "kept").exists() or not list(
        (tmp_path / "out" / "02_exact_dedup" / "kept").iterdir())
    assert json.loads((tmp_path / "out" / "run.json").read_text())["status"] == "failed"


def test_a_bug_in_a_stage_stops_the_run_at_that_stage(tmp_path, monkeypatch):
    from kopile.pipeline.stages.normalize import NormalizeStage

    def broken(self, table):
        raise ZeroDivisionError("a bug in a stage")

    monkeypatch.setattr(NormalizeStage, "__call__", broken)
    write_shard(tmp_path / "in" / "a.parquet", DOCS[:3])
    write_shard(tmp_path / "in" / "b.parquet", DOCS[3:6])
    out = tmp_path / "out"
    with pytest.raises(RunFailed) as failure:
        Runner(run_config(tmp_path / "in", out, DEDUP), progress=False).run(LocalExecutor())
    assert "normalize: ZeroDivisionError: a bug in a stage" in failure.value.errors[0]
    entries = json.loads((out / "01_normalize" / "_manifest.json").read_text())["shards"]
    assert len(entries) == 1  # the first bug stops the stage: the other shard is not tried
    (entry,) = entries.values()
    assert entry["kind"] == "bug" and "Traceback" in entry["traceback"] and "ZeroDivisionError" in entry["traceback"]
    assert not (out / "02_exact_dedup").exists()
    assert json.loads((out / "run.json").read_text())["status"] == "failed"


# --- empty shards -------------------------------------------------------------------------

def test_shards_emptied_upstream_pass_every_global_stage(ray_session, tmp_path):
    src = tmp_path / "in"
    korean = pq.read_table(SAMPLE.generate(tmp_path / "sample", seed=0, n_shards=4)[0]).slice(0, 120)
    src.mkdir()
    pq.write_table(korean, src / "ko.parquet")
    english = ["This page is written in English only, with enough words to be a document. " * 5] * 3
    pq.write_table(pa.table({"text": english, "url": ["u"] * 3, "source": ["s"] * 3, "sample_kind": ["en"] * 3},
                            schema=korean.schema), src / "en.parquet")
    pq.write_table(korean.schema.empty_table(), src / "empty.parquet")
    stages = [{"normalize": {}}, {"langid": {}}, {"quality": {}}, {"exact_dedup": {}}, {"minhash_dedup": {}},
              {"ngram_repetition": {}}]
    summary = Runner(run_config(src, tmp_path / "out", stages), progress=False).run()
    assert summary["status"] == "ok"
    for stage in summary["stages"][3:]:
        entries = json.loads((tmp_path / "out" / stage["dir"] / "_manifest.json").read_text())["shards"]
        assert entries["en.parquet"]["rows_in"] == 0 and entries["en.parquet"]["status"] == "ok"
        assert entries["empty.parquet"]["rows_in"] == 0 and entries["empty.parquet"]["status"] == "ok"
        for part in ("kept", "removed"):
            assert pq.read_metadata(tmp_path / "out" / stage["dir"] / part / "en.parquet").num_rows == 0
    assert summary["stages"][-1]["kept"] > 0


# --- the filesystem ------------------------------------------------------------------------

def _fail_writes_under(monkeypatch, marker: str, err: int = errno.ENOSPC):
    """Every Parquet writer opened for a path containing `marker` fails as the disk would."""
    original = pq.ParquetWriter.__init__

    def init(self, where, *args, **kwargs):
        if marker in str(where):
            raise OSError(err, os.strerror(err))
        original(self, where, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "__init__", init)


def test_a_full_disk_stops_the_run_and_a_resume_completes_it(sample_dir, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    cfg = write_yaml(tmp_path / "run.yaml", sample_dir, out, "  - normalize: {}\n  - langid: {}\n  - quality: {}\n")
    _fail_writes_under(monkeypatch, "03_quality")
    assert main(["run", str(cfg), "--local", "--no-progress"]) == 1
    err = capsys.readouterr()
    assert "No space left on device" in err.err and "03_quality" in err.err and "Traceback" not in err.err
    assert "final documents" not in err.out
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "failed" and "No space left on device" in run["errors"][0]
    assert not leftovers(out)
    # Space freed: the resume finishes, and its outputs are those of an uninterrupted run.
    monkeypatch.undo()
    assert main(["run", str(cfg), "--local", "--no-progress"]) == 0
    Runner(run_config(sample_dir, tmp_path / "clean"), progress=False).run(LocalExecutor())
    assert outputs(out) == outputs(tmp_path / "clean")
    assert json.loads((out / "run.json").read_text())["status"] == "ok"


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("mount"),
                    reason="a real tmpfs needs root, unshare and mount")
def test_a_real_small_tmpfs_fills_and_the_resume_is_identical(sample_dir, tmp_path):
    """The same on a real 400 KB filesystem (a private mount namespace), then a resume on disk."""
    cfg = write_yaml(tmp_path / "run.yaml", sample_dir, tmp_path / "small" / "out",
                     "  - normalize: {}\n  - langid: {}\n")
    (tmp_path / "small").mkdir()
    script = (f"mount -t tmpfs -o size=400k tmpfs {tmp_path / 'small'} && "
              f"{sys.executable} -m kopile.cli run {cfg} --local --no-progress; echo rc=$?; "
              f"cp -a {tmp_path / 'small' / 'out'} {tmp_path / 'copied'}")
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    if "mount:" in result.stderr and "rc=" not in result.stdout:
        pytest.skip(f"tmpfs cannot be mounted here: {result.stderr.strip()[:200]}")
    assert "rc=1" in result.stdout, result.stdout + result.stderr[-2000:]
    assert "No space left on device" in result.stderr and "Traceback" not in result.stderr
    assert not leftovers(tmp_path / "copied")
    # The partial output moved to a disk with room: the resume completes it, identically.
    cfg2 = write_yaml(tmp_path / "run2.yaml", sample_dir, tmp_path / "copied", "  - normalize: {}\n  - langid: {}\n")
    assert main(["run", str(cfg2), "--local", "--no-progress"]) == 0
    Runner(run_config(sample_dir, tmp_path / "clean", [{"normalize": {}}, {"langid": {}}]),
           progress=False).run(LocalExecutor())
    assert outputs(tmp_path / "copied") == outputs(tmp_path / "clean")


@pytest.mark.parametrize("case", ["output is a file", "output under a file", "read-only"])
def test_an_output_that_cannot_be_written_is_named(sample_dir, tmp_path, monkeypatch, capsys, case):
    out = tmp_path / "out"
    if case == "output is a file":
        out.write_text("a file")
    elif case == "output under a file":
        (tmp_path / "file").write_text("a file")
        out = tmp_path / "file" / "out"
    else:
        out.mkdir()
        original = Path.write_bytes

        def read_only(self, data):
            if str(self).startswith(str(out)):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS))
            return original(self, data)

        monkeypatch.setattr(Path, "write_bytes", read_only)
    cfg = write_yaml(tmp_path / "run.yaml", sample_dir, out, "  - normalize: {}\n")
    assert main(["run", str(cfg), "--local", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kopile: cannot write") and str(out) in err and "Traceback" not in err
    assert {"output is a file": "is a file", "output under a file": "is a file",
            "read-only": "Read-only file system"}[case] in err


@pytest.mark.parametrize("inside", ["output in input", "input in output"])
def test_nested_input_and_output_are_refused_before_any_work(tmp_path, capsys, inside):
    data = tmp_path / "data"
    write_shard(data / "a.parquet", DOCS[:2])
    if inside == "output in input":
        cfg = write_yaml(tmp_path / "run.yaml", data, data / "out")
    else:
        cfg = write_yaml(tmp_path / "run.yaml", data / "a.parquet", tmp_path)
    assert main(["run", str(cfg), "--local", "--no-progress"]) == 1
    assert "inside the" in capsys.readouterr().err
    assert not (data / "out").exists() and not (tmp_path / "run.json").exists()


# --- ids ----------------------------------------------------------------------------------

def test_ids_repeated_across_shards_are_refused_with_both_shards(ray_session, tmp_path):
    write_shard(tmp_path / "in" / "a.parquet", DOCS[:2], id=["d0", "d1"])
    write_shard(tmp_path / "in" / "b.parquet", DOCS[2:4], id=["d2", "d0"])
    with pytest.raises(RunFailed) as failure:
        Runner(run_config(tmp_path / "in", tmp_path / "out", DEDUP), progress=False).run()
    message = failure.value.errors[0]
    assert "b.parquet: row 1 repeats the id 'd0' of a.parquet row 0" in message and "id_conflict" in message
    assert not (tmp_path / "out" / "01_normalize" / "kept").exists()


def test_repeated_ids_renamed_on_request(ray_session, tmp_path):
    write_shard(tmp_path / "in" / "a.parquet", [DOCS[0], DOCS[1]], id=["d0", "d1"])
    write_shard(tmp_path / "in" / "b.parquet", [DOCS[0], DOCS[2]], id=["d0", "d0"])
    out = tmp_path / "out"
    Runner(run_config(tmp_path / "in", out, DEDUP, id_conflict="rename"), progress=False).run()
    entries = json.loads((out / "01_normalize" / "_manifest.json").read_text())["shards"]
    assert entries["a.parquet"]["renamed_ids"] == 0 and entries["b.parquet"]["renamed_ids"] == 2
    every = read_dir(out / "01_normalize" / "kept").column("id").to_pylist()
    assert every == ["d0", "d1", "d0~b.parquet:0", "d0~b.parquet:1"]
    # The copy of d0's text names exactly one document, the first.
    removed = read_dir(out / "02_exact_dedup" / "removed")
    assert removed.column("id").to_pylist() == ["d0~b.parquet:0"]
    assert removed.column("duplicate_of").to_pylist() == ["d0"]


# --- what the user sees ------------------------------------------------------------------------

def test_a_changed_stage_reruns_and_says_why(ray_session, tmp_path, capsys):
    """The CLI's side of incremental re-runs: the changed parameter named, the run finished with
    the new settings recorded (tests/test_pipeline_run.py checks the files)."""
    write_shard(tmp_path / "in" / "a.parquet", DOCS[:3])
    cfg = write_yaml(tmp_path / "run.yaml", tmp_path / "in", tmp_path / "out", "  - normalize: {}\n")
    assert main(["run", str(cfg), "--no-progress"]) == 0
    write_yaml(tmp_path / "run.yaml", tmp_path / "in", tmp_path / "out", "  - normalize: {max_chars: 10}\n")
    assert main(["run", str(cfg), "--no-progress"]) == 0
    assert "01_normalize: changed: normalize.max_chars" in capsys.readouterr().out
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["status"] == "ok" and run["config"]["stages"][0]["normalize"]["max_chars"] == 10


@pytest.mark.parametrize("missing", ["nowhere", "empty", "*.nomatch"])
def test_missing_input_is_reported_before_ray_starts(tmp_path, missing):
    (tmp_path / "empty").mkdir()
    target = tmp_path / missing
    cfg = write_yaml(tmp_path / "run.yaml", target, tmp_path / "out", "  - normalize: {}\n")
    started = time.perf_counter()
    result = subprocess.run([*KOPILE, "run", str(cfg)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert missing.strip("*.") in result.stderr
    assert time.perf_counter() - started < 15  # no Ray was started
    assert not (tmp_path / "out").exists()


def test_dictionary_encoded_text_is_a_string_column(ray_session, tmp_path):
    texts = pa.array([DOCS[0], DOCS[1], DOCS[0]]).dictionary_encode()
    (tmp_path / "in").mkdir()
    pq.write_table(pa.table({"text": texts}), tmp_path / "in" / "d.parquet")
    assert pa.types.is_dictionary(pq.ParquetFile(tmp_path / "in" / "d.parquet").schema_arrow.field("text").type)
    Runner(run_config(tmp_path / "in", tmp_path / "out", DEDUP), progress=False).run()
    kept = read_dir(tmp_path / "out" / "02_exact_dedup" / "kept")
    assert kept.column("text").type == pa.string() and kept.column("text").to_pylist() == DOCS[:2]


def test_config_values_out_of_range_or_of_the_wrong_type_name_the_key(tmp_path):
    from kopile.core.errors import ConfigError

    for stage, key in [({"langid": {"min_score": -3}}, "langid.min_score"),
                       ({"normalize": {"max_chars": -5}}, "normalize.max_chars"),
                       ({"normalize": {"max_chars": True}}, "normalize.max_chars"),
                       ({"exact_dedup": []}, "exact_dedup: expected a mapping"),
                       ({"quality": {"characters": {"min_hangul_ratio": 1.5}}}, "characters.min_hangul_ratio"),
                       ({"minhash_dedup": {"threshold": 0}}, "minhash_dedup.threshold")]:
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            run_config(tmp_path, tmp_path / "out", [stage])


# --- processes --------------------------------------------------------------------------

def test_agents_of_a_killed_driver_are_reaped_by_the_next_run(ray_session, tmp_path):
    src = tmp_path / "in"
    SAMPLE.generate(src, seed=2, n_shards=6)
    cfg = write_yaml(tmp_path / "run.yaml", src, tmp_path / "out", "  - normalize: {}\n  - langid: {}\n")
    proc = subprocess.Popen([*KOPILE, "run", str(cfg), "--num-cpus", "1", "--no-progress"], cwd=ROOT,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not (tmp_path / "out" / "01_normalize" / "_manifest.json").exists():
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # the driver only, as an OOM killer or a lost terminal would
    proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and not orphan_agents():
        time.sleep(0.2)
    assert orphan_agents(), "Ray left no agents behind this time"
    resumed = subprocess.run([*KOPILE, "run", str(cfg), "--num-cpus", "1", "--no-progress"], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert orphan_agents() == []


def test_orphan_detection_spares_live_agents(ray_session):
    """The session's own Ray has a live raylet: its agents are not orphans."""
    assert orphan_agents() == [] and reap_orphans() == []

