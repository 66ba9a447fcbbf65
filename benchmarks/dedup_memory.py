"""Memory and disk of a dedup-only run (exact_dedup then minhash_dedup, at their defaults) on the
712,404 NSMC reviews, at one or more per-task memory budgets (`memory_mb`): the peak RSS of each
Ray worker against the budget, the process tree's peak, `_work/` at its peak and after the run.

    .venv/bin/python benchmarks/dedup_memory.py                      # memory_mb 256 and 1024, ~5 min
    .venv/bin/python benchmarks/dedup_memory.py --budgets 512 --docs 100000

Writes benchmarks/results/dedup_memory.{json,md} (at the full size). See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_dedup import TreeMemory, work_bytes  # noqa: E402
from bench_quality import git_revision, machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NSMC = ROOT.parent / "shared" / "data" / "nsmc" / "nsmc_raw_reviews.jsonl.gz"
WORK = ROOT / "build" / "bench" / "dedup_memory"
RESULTS = ROOT / "benchmarks" / "results"


def shards(docs: int | None, n_shards: int) -> Path:
    where = WORK / f"nsmc-{docs or 'all'}-{n_shards}"
    if (where / "done").is_file():
        return where
    where.mkdir(parents=True, exist_ok=True)
    texts, ids = [], []
    with gzip.open(NSMC, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if docs is not None and i >= docs:
                break
            texts.append(json.loads(line)["text"])
            ids.append(f"n{i}")
    for s in range(n_shards):
        pq.write_table(pa.table({"id": ids[s::n_shards], "text": texts[s::n_shards]}), where / f"part-{s:03d}.parquet")
    (where / "done").write_text("")
    return where


def run(input_dir: Path, out: Path, budget: int, workers: int) -> dict:
    import shutil

    if out.exists():
        shutil.rmtree(out)
    cfg = out.parent / f"{out.name}.yaml"
    cfg.write_text(f"input: {input_dir}\noutput: {out}\nstages:\n  - exact_dedup: {{}}\n"
                   f"  - minhash_dedup: {{memory_mb: {budget}}}\n")
    command = [sys.executable, "-m", "kopile.cli", "run", str(cfg), "--num-cpus", str(workers), "--no-progress"]
    started = time.perf_counter()
    env = {**os.environ, "RAY_ADDRESS": "local"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    poller = TreeMemory(process.pid, work=out)
    poller.start()
    output, _ = process.communicate()
    poller.done.set()
    poller.join()
    if process.returncode:
        sys.exit(f"kopile run failed:\n{output[-3000:]}")
    summary = json.loads((out / "run.json").read_text())
    stages = {s["stage"]: s for s in summary["stages"]}
    workers_mb = sorted((round(kb / 1024, 1) for role, kb, _ in poller.peak_by_process.values()
                         if role == "worker"), reverse=True)
    return {
        "memory_mb": budget, "workers": workers, "seconds": round(time.perf_counter() - started, 1),
        "documents": stages["exact_dedup"]["rows_in"], "exact_removed": stages["exact_dedup"]["removed"],
        "near_removed": stages["minhash_dedup"]["removed"],
        "minhash_wall_seconds": stages["minhash_dedup"]["wall_seconds"],
        "peak_worker_rss_mb": workers_mb[0] if workers_mb else 0, "worker_peaks_mb": workers_mb[:8],
        "peak_worker_anon_mb": round(poller.peak_worker_kb(anonymous=True) / 1024, 1),
        "peak_tree_rss_mb": round(poller.peak_rss / 1024, 1),
        "driver_peak_rss_mb": round(max((kb for role, kb, _ in poller.peak_by_process.values()
                                         if role == "driver"), default=0) / 1024, 1),
        "peak_work_mb": round(poller.peak_work_bytes / 2**20, 1), "work_mb_after": round(work_bytes(out) / 2**20, 1),
        "input_mb": round(sum(p.stat().st_size for p in input_dir.glob("*.parquet")) / 2**20, 1),
    }


def markdown(report: dict) -> str:
    lines = ["# Dedup-only run on NSMC: memory per worker and disk (`benchmarks/dedup_memory.py`)", "",
             f"{report['date']}, kopile {report['git']}, {report['machine']['nproc']} cores. exact_dedup then "
             f"minhash_dedup at their defaults but `memory_mb`; {report['runs'][0]['documents']:,} reviews in "
             f"{report['shards']} shards ({report['runs'][0]['input_mb']} MB Parquet).", "",
             "| memory_mb | seconds | near dups removed | peak RSS of one worker MB | of it anonymous MB "
             "| tree peak MB | driver MB | `_work` peak MB | `_work` after MB |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in report["runs"]:
        lines.append(f"| {r['memory_mb']} | {r['seconds']} | {r['near_removed']:,} | {r['peak_worker_rss_mb']} | "
                     f"{r['peak_worker_anon_mb']} | "
                     f"{r['peak_tree_rss_mb']} | {r['driver_peak_rss_mb']} | {r['peak_work_mb']} | "
                     f"{r['work_mb_after']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budgets", default="256,1024", help="memory_mb values, one run each")
    parser.add_argument("--docs", type=int, help="first N reviews only (default: all)")
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if not NSMC.is_file():
        sys.exit(f"not found: {NSMC} (../shared/data beside the repository)")
    input_dir = shards(args.docs, args.shards)
    runs = []
    for budget in (int(b) for b in args.budgets.split(",")):
        print(f"memory_mb {budget} ...", flush=True)
        runs.append(run(input_dir, WORK / f"out-{budget}", budget, args.workers))
        print(json.dumps(runs[-1]), flush=True)
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "git": git_revision(), "machine": machine(),
              "shards": args.shards, "runs": runs}
    where = RESULTS if args.docs is None else WORK
    (where / "dedup_memory.json").write_text(json.dumps(report, indent=1) + "\n")
    (where / "dedup_memory.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
