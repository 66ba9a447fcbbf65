"""Kill the demo run with SIGKILL at random moments of every stage, change the set of shards
between some attempts, finish it, and compare with one uninterrupted run over the final set.

Every attempt runs `kopile run examples/sample.yaml` (all seven stages) into the same output
folder and is killed, with its Ray processes, when a randomly drawn moment arrives: a stage
has started, half of its shards are recorded, or a global stage is making its decision,
plus a random delay. Between attempts the input gains or loses a shard. After the kills the
final set is restored and the run completes. The check: every kept and removed file equals
the uninterrupted run's, each stage accounts for every row (in = kept + removed, and each
stage reads exactly what the one before kept), every input document is in the final output
or removed with a reason, and no temporary file is left.

    python benchmarks/fault_injection.py --kills 20            # about 6 minutes on 2 cores
Writes benchmarks/results/fault_injection.{json,md}.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def load_sample_generator():
    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "examples" / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stage_dirs(config: dict) -> list[str]:
    return [f"{i + 1:02d}_{next(iter(s))}" for i, s in enumerate(config["stages"])]


GLOBAL = {"exact_dedup", "minhash_dedup", "ngram_repetition"}


def moments(config: dict) -> list[tuple[str, str]]:
    """(stage folder, phase) pairs a kill can be aimed at."""
    out = []
    for d in stage_dirs(config):
        out += [(d, "started"), (d, "half")]
        if d[3:] in GLOBAL:
            out.append((d, "deciding"))
    return out


def _fresh(paths, since: float) -> list[Path]:
    """Those of `paths` written during this attempt (a folder left by an earlier one is not a sign)."""
    out = []
    for p in paths:
        try:
            if p.stat().st_mtime > since:
                out.append(p)
        except OSError:
            pass
    return out


def reached(out: Path, stage: str, phase: str, shards: int, since: float) -> bool:
    try:
        return _reached(out, stage, phase, shards, since)
    except OSError:  # a folder removed while it was being listed (a decision made anew)
        return False


def _reached(out: Path, stage: str, phase: str, shards: int, since: float) -> bool:
    directory = out / stage
    if phase == "deciding":
        work = directory / "_work"
        return work.is_dir() and any(not (d / "complete.json").exists() and _fresh(d.rglob("*"), since)
                                     for d in work.iterdir() if d.is_dir())
    manifest = directory / "_manifest.json"
    if not _fresh([manifest], since):
        return False
    try:
        entries = json.loads(manifest.read_text())["shards"]
    except (OSError, ValueError, KeyError):
        return False
    return bool(entries) if phase == "started" else len(entries) >= shards / 2


def in_progress(out: Path, since: float) -> str:
    """What the run was doing when it was killed: the stage written last, and its step."""
    try:
        return _in_progress(out, since)
    except OSError:
        return "unknown"


def _in_progress(out: Path, since: float) -> str:
    newest, where = since, "starting (no output written yet)"
    for directory in sorted(out.glob("[0-9][0-9]_*")):
        for p in _fresh(directory.rglob("*"), since):
            mtime = p.stat().st_mtime if p.exists() else 0
            if mtime >= newest:
                step = "deciding" if "_work" in p.parts else "splitting" if p.parent.name in ("kept", "removed") \
                    else "recording"
                newest, where = mtime, f"{directory.name} {step}"
    return where


def attempt(cfg: Path, out: Path, stage: str, phase: str, shards: int, delay: float, timeout: float) -> tuple[str, str]:
    """One run, killed with its whole process group when the moment comes; what happened."""
    since = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "kopile.cli", "run", str(cfg), "--num-cpus", "2", "--no-progress"],
                            cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if reached(out, stage, phase, shards, since):
            time.sleep(delay)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return "killed", in_progress(out, since)
            break
        time.sleep(0.005)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return "timeout", ""
    return ("finished" if proc.returncode == 0 else f"failed ({proc.stderr.read().decode()[-300:]})"), ""


def outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.glob("[0-9][0-9]_*/*/*.parquet"))
            if p.parent.name in ("kept", "removed")}


def accounting(out: Path, config: dict, inputs: Path) -> list[str]:
    """Problems with the row accounting of a finished run (none expected)."""
    problems = []
    run = json.loads((out / "run.json").read_text())
    previous_kept = None
    for stage in run["stages"]:
        if stage["rows_in"] != stage["kept"] + stage["removed"]:
            problems.append(f"{stage['dir']}: {stage['rows_in']} in != {stage['kept']} + {stage['removed']}")
        if previous_kept is not None and stage["rows_in"] != previous_kept:
            problems.append(f"{stage['dir']}: reads {stage['rows_in']} rows, the stage before kept {previous_kept}")
        previous_kept = stage["kept"]
    rows_in = sum(pq.read_metadata(p).num_rows for p in inputs.glob("*.parquet"))
    final = stage_dirs(config)[-1]
    ids = [i for p in sorted((out / final / "kept").glob("*.parquet")) for i in pq.read_table(p, columns=["id"])
           .column("id").to_pylist()]
    for d in stage_dirs(config):
        for p in sorted((out / d / "removed").glob("*.parquet")):
            table = pq.read_table(p, columns=["id", "reason"])
            if table.column("reason").null_count:
                problems.append(f"{d}/removed/{p.name}: a removed row without a reason")
            ids += table.column("id").to_pylist()
    if len(ids) != rows_in or len(set(ids)) != rows_in:
        problems.append(f"{rows_in} documents in, {len(set(ids))} distinct ids accounted for ({len(ids)} rows)")
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--shards", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "bench" / "faults")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    pool = work / "pool"
    load_sample_generator().generate(pool, seed=args.seed, n_shards=args.shards)
    names = sorted(p.name for p in pool.glob("*.parquet"))
    inputs = work / "in"
    inputs.mkdir(parents=True)
    config = yaml.safe_load((ROOT / "examples" / "sample.yaml").read_text())

    def write_config(out: Path) -> Path:
        cfg = work / f"{out.name}.yaml"
        cfg.write_text(yaml.safe_dump({**config, "input": str(inputs), "output": str(out)}, allow_unicode=True))
        return cfg

    def use(chosen: list[str]) -> None:
        for p in inputs.glob("*.parquet"):
            if p.name not in chosen:
                p.unlink()
        for name in chosen:
            if not (inputs / name).exists():
                shutil.copy2(pool / name, inputs / name)

    current = names[:-2]  # two shards held back, to come and go between attempts
    use(current)
    out = work / "killed"
    cfg = write_config(out)
    points = moments(config)
    log, kills, changes, started = [], 0, 0, time.perf_counter()
    while kills < args.kills and len(log) < args.kills * 4:
        # The set of shards changes between some attempts, and always after a run that finished
        # before its moment came: there is work to interrupt again.
        if log and (log[-1]["result"] == "finished" or rng.random() < 0.35):
            spare = [n for n in names if n not in current]
            move = rng.random()
            if move < 0.3:  # a shard rewritten in place (its rows reordered): its whole chain runs again
                name = rng.choice(current)
                table = pq.read_table(inputs / name)
                pq.write_table(table.take(sorted(range(table.num_rows), key=lambda _: rng.random())), inputs / name)
            elif spare and (move < 0.75 or len(current) <= args.shards - 3):
                current = sorted(current + [rng.choice(spare)])
            else:
                current = sorted(c for c in current if c != rng.choice(current))
            use(current)
            changes += 1
        stage, phase = rng.choice(points)
        delay = round(rng.uniform(0, 0.1 if phase == "started" else 0.3), 3)
        what, doing = attempt(cfg, out, stage, phase, len(current), delay, timeout=600)
        log.append({"attempt": len(log) + 1, "shards": len(current), "aimed_at": f"{stage} {phase}",
                    "delay_s": delay, "result": what, "in_progress": doing})
        kills += what == "killed"
        print(f"attempt {len(log):2d}: {len(current)} shards, {stage} {phase} +{delay}s: {what} {doing}", flush=True)
        if what.startswith(("failed", "timeout")):
            break
    use(names)  # the final set: every shard (a rewritten one as it was last written)
    final = subprocess.run([sys.executable, "-m", "kopile.cli", "run", str(cfg), "--num-cpus", "2", "--no-progress"],
                           cwd=ROOT, capture_output=True, text=True)
    clean = work / "clean"
    reference = subprocess.run([sys.executable, "-m", "kopile.cli", "run", str(write_config(clean)), "--num-cpus", "2",
                                "--no-progress"], cwd=ROOT, capture_output=True, text=True)
    a, b = outputs(out), outputs(clean)
    differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    problems = accounting(out, config, inputs) if final.returncode == 0 else [final.stderr[-500:]]
    leftovers = [str(p.relative_to(out)) for p in out.rglob(".*.tmp-*")]
    report = {
        "kills": kills, "attempts": len(log), "shard_set_changes": changes,
        "final_run_exit": final.returncode, "reference_exit": reference.returncode,
        "files_compared": len(b), "files_different": differ, "accounting_problems": problems,
        "temporary_files_left": leftovers,
        "identical": final.returncode == 0 and reference.returncode == 0 and not differ and not problems
        and not leftovers,
        "seconds": round(time.perf_counter() - started, 1), "attempts_log": log,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fault_injection.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    lines = ["# Fault injection: the demo run killed at random moments", "",
             f"`python benchmarks/fault_injection.py --kills {args.kills} --seed {args.seed}`: "
             f"{kills} kills (SIGKILL to the run and its Ray processes) in {len(log)} attempts, the shard set "
             f"changed {report['shard_set_changes']} times between attempts ({args.shards - 2} to {args.shards} shards), "
             "then the final set run to the end and compared with one uninterrupted run.", "",
             f"- kept and removed files compared: {len(b)}; different: {len(differ)}",
             f"- row accounting problems: {len(problems)}; temporary files left: {len(leftovers)}",
             f"- **identical to the uninterrupted run: {'yes' if report['identical'] else 'NO'}**", "",
             "| attempt | shards | aimed at | delay (s) | result | in progress at the kill |",
             "|---:|---:|---|---:|---|---|"]
    lines += [f"| {x['attempt']} | {x['shards']} | {x['aimed_at']} | {x['delay_s']} | {x['result']} | "
              f"{x['in_progress']} |" for x in log]
    (RESULTS / "fault_injection.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:8]))
    return 0 if report["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
