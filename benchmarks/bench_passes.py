"""Fused passes against a kept copy per stage (`materialize: all`), the demo config end to end.

    .venv/bin/python benchmarks/bench_passes.py                       # the demo sample, 5 repeats
    .venv/bin/python benchmarks/bench_passes.py --corpus-mb 20        # a real-text mix (scale_corpus.py)

Each run is one `kopile run` process (`--num-cpus 2`) into a fresh output, the two settings
interleaved; medians. Reported: the command's wall time (Python and Ray start included), the
stages' wall time (run.json), bytes written (every file of the output at the end, and the
Parquet the stages wrote), and that both settings gave byte-identical kept shards and removed
rows. Writes benchmarks/results/passes.json and passes.md.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_quality import git_revision, machine  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
WORK = ROOT / "build" / "bench" / "passes"
KOPILE = Path(sys.executable).with_name("kopile")
MODES = ("passes", "all")


def sample_input() -> Path:
    where = WORK / "sample"
    if not (where / "part-00000.parquet").is_file():
        subprocess.run([sys.executable, str(ROOT / "examples" / "make_sample.py"), str(where)], check=True)
    return where


def corpus_input(mb: float) -> Path:
    import scale_corpus

    return scale_corpus.build(1, base_mb=mb, out=WORK / f"corpus-{mb:g}mb")


def parquet_files(out: Path) -> dict[str, bytes]:
    """The kept shards and removed rows, by path: what must not depend on the setting."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.parquet"))
            if p.parent.name in ("kept", "removed") and p.parts[-3] != "final"}


def one_run(config: dict, mode: str, out: Path, cpus: int) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    cfg = out.with_suffix(".yaml")
    cfg.write_text(yaml.safe_dump({**config, "output": str(out), "materialize": mode}, allow_unicode=True))
    started = time.perf_counter()
    done = subprocess.run([str(KOPILE), "run", str(cfg), "--num-cpus", str(cpus), "--no-progress"],
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"kopile run failed ({mode}):\n{done.stderr[-3000:]}")
    run = json.loads((out / "run.json").read_text())
    return {"command_seconds": round(wall, 3),
            "stages_seconds": round(sum(s["wall_seconds"] for s in run["stages"]), 3),
            "passes": {s["dir"]: s["wall_seconds"] for s in run["stages"] if s["wall_seconds"]},
            "bytes_on_disk": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()),
            "parquet_written": sum(s["file_bytes_kept"] + s["file_bytes_removed"] for s in run["stages"]),
            "docs_in": run["stages"][0]["rows_in"], "docs_out": run["stages"][-1]["kept"]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--input", help="Parquet shards (default: the demo sample)")
    ap.add_argument("--corpus-mb", type=float, help="instead, a real-text mix of this size (scale_corpus.py)")
    ap.add_argument("--config", default=str(ROOT / "examples" / "sample.yaml"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cpus", type=int, default=2)
    args = ap.parse_args(argv)
    source = Path(args.input) if args.input else corpus_input(args.corpus_mb) if args.corpus_mb else sample_input()
    config = {**yaml.safe_load(Path(args.config).read_text()), "input": str(source)}
    label = f"corpus-{args.corpus_mb:g}mb" if args.corpus_mb else (Path(args.input).name if args.input else "sample")
    info = {"input": str(source), "label": label, "config": args.config, "repeat": args.repeat, "cpus": args.cpus,
            "machine": machine(), "revision": git_revision()}
    runs: dict[str, list[dict]] = {m: [] for m in MODES}
    for r in range(args.repeat):
        for mode in (MODES if r % 2 == 0 else MODES[::-1]):
            runs[mode].append(one_run(config, mode, WORK / f"out-{label}-{mode}", args.cpus))
            print(f"run {r + 1} {mode}: {runs[mode][-1]['command_seconds']:.1f} s", flush=True)
    a, b = (parquet_files(WORK / f"out-{label}-{m}") for m in MODES)
    fused_names = set(a)
    identical = a == {k: v for k, v in b.items() if k in fused_names} and fused_names <= set(b)

    def med(mode, key):
        return statistics.median(x[key] for x in runs[mode])

    summary = {m: {k: med(m, k) for k in ("command_seconds", "stages_seconds", "bytes_on_disk", "parquet_written")}
               for m in MODES}
    result = {**info, "docs_in": runs["passes"][0]["docs_in"], "docs_out": runs["passes"][0]["docs_out"],
              "identical_kept_and_removed": identical, "median": summary,
              "speedup_command": round(summary["all"]["command_seconds"] / summary["passes"]["command_seconds"], 3),
              "speedup_stages": round(summary["all"]["stages_seconds"] / summary["passes"]["stages_seconds"], 3),
              "runs": runs}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"passes-{label}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    md = [f"input {label}: {result['docs_in']:,} documents in, {result['docs_out']:,} out; {args.repeat} runs "
          f"each, medians; {args.cpus} CPUs; load at start {info['machine']['load_average_at_start']}",
          "", "| setting | command s | stages s | bytes on disk | Parquet written |", "|---|---:|---:|---:|---:|"]
    for m in MODES:
        s = summary[m]
        md.append(f"| `materialize: {m}` | {s['command_seconds']:.2f} | {s['stages_seconds']:.2f} | "
                  f"{s['bytes_on_disk'] / 2**20:.1f} MB | {s['parquet_written'] / 2**20:.1f} MB |")
    md.append(f"\nfused: {result['speedup_command']:.2f}x end to end, {result['speedup_stages']:.2f}x the stages' "
              f"time; kept shards and removed rows identical: {identical}")
    (RESULTS / f"passes-{label}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
