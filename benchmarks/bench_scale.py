"""Scale curve of the demo pipeline: the stages of examples/sample.yaml run by `kopile run` over
1x, 4x and 16x a web-like corpus (scale_corpus.py), with wall time, documents/s and peak RSS of
the driver and of each worker per pass, against corpus size.

    .venv/bin/python benchmarks/bench_scale.py                          # 75 MB base, 1x 4x 16x: long, a quiet machine
    .venv/bin/python benchmarks/bench_scale.py --base-mb 2 --scales 1 2 --out-dir /tmp/scale-smoke   # a check

Each run is a fresh `kopile run` subprocess into an emptied folder; its process tree (Ray's daemons
and workers) is sampled every 0.5 s with timestamps, and the samples are attributed to the passes
by the `started_at`/`finished_at` times in run.json. Writes scale.{json,md,png} (benchmarks/results
at the default 75 MB base, the work folder otherwise). See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_corpus  # noqa: E402
from bench_dedup import descendants, process_role, rss_pages  # noqa: E402
from bench_quality import cpu_ticks, git_revision, machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "bench" / "scale"
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_BASE_MB = 75.0
MEMORY_LIMIT_MB = 24 * 1024  # the machine the issue asks about: 24 GiB


class Timeline(threading.Thread):
    """RSS of a process tree over time. bench_dedup's TreeMemory keeps peaks only; attributing
    memory to passes needs each sample with its time. Every `interval` s: the driver's RSS, the
    largest RSS of one worker (a process running tasks), the summed RSS of the tree; every
    `disk_every` samples also the bytes under the run's output folder."""

    def __init__(self, pid: int, out: Path, interval: float = 0.5, disk_every: int = 10):
        super().__init__(daemon=True)
        self.pid, self.out, self.interval, self.disk_every = pid, out, interval, disk_every
        self.samples: list[tuple[float, int, int, int, int]] = []  # (unix time, driver, worker max, tree, workers) kB
        self.roles: dict[int, str] = {}
        self.peak_by_process: dict[int, tuple[str, int]] = {}
        self.peak_disk = 0
        self.done = threading.Event()

    def run(self) -> None:
        page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
        polls = 0
        while not self.done.is_set():
            t = time.time()
            driver = worker = tree = workers = 0
            for pid in descendants(self.pid):
                kb = rss_pages(pid)[0] * page_kb
                if kb == 0:
                    continue  # gone between the listing and the read
                role = self.roles.get(pid) or self.roles.setdefault(pid, process_role(pid, self.pid))
                tree += kb
                if role == "driver":
                    driver = kb
                elif role == "worker":
                    worker, workers = max(worker, kb), workers + 1
                self.peak_by_process[pid] = (role, max(kb, self.peak_by_process.get(pid, ("", 0))[1]))
            self.samples.append((t, driver, worker, tree, workers))
            if polls % self.disk_every == 0:
                self.peak_disk = max(self.peak_disk, disk_bytes(self.out))
            polls += 1
            self.done.wait(self.interval)


def disk_bytes(folder: Path) -> int:
    """Allocated bytes under `folder`, as du counts them."""
    total = 0
    for root, _, files in os.walk(folder):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
            except OSError:
                pass
    return total


def mb(kb: int | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


def run_config(config: Path, shards: Path, out: Path, where: Path) -> Path:
    """The config's stages with the corpus as input and `out` as output, written to `where`."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data.update(input=str(shards.resolve()), output=str(out.resolve()))
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(f"# {config.name} with this benchmark's input and output (benchmarks/bench_scale.py)\n"
                     + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return where


def kopile_command() -> list[str]:
    script = ROOT / ".venv" / "bin" / "kopile"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "kopile.cli"]


def passes_of(summary: dict) -> list[dict]:
    """run.json's stages grouped by pass, in order; a stage run alone is a pass of its own."""
    groups: list[dict] = []
    for s in summary["stages"]:
        name = s.get("pass", s["dir"])
        if not groups or groups[-1]["pass"] != name:
            groups.append({"pass": name, "stages": []})
        groups[-1]["stages"].append(s)
    return groups


def peaks(samples: list, start: float, end: float) -> dict:
    """Largest driver, one-worker and tree RSS of the samples taken in [start, end]; where the
    span is shorter than one interval and holds none, the sample nearest to it."""
    inside = [s for s in samples if start <= s[0] <= end]
    if not inside and samples:
        inside = [min(samples, key=lambda s: min(abs(s[0] - start), abs(s[0] - end)))]
    if not inside:
        return {"driver_mb": None, "worker_mb": None, "tree_mb": None, "samples": 0}
    return {"driver_mb": mb(max(s[1] for s in inside)), "worker_mb": mb(max(s[2] for s in inside)),
            "tree_mb": mb(max(s[3] for s in inside)), "workers": max(s[4] for s in inside), "samples": len(inside)}


def one_run(shards: Path, run_dir: Path, config: Path, num_cpus: int, keep: bool) -> dict:
    out = run_dir / "out"
    if out.exists():
        shutil.rmtree(out)  # kopile would resume from it
    cfg = run_config(config, shards, out, run_dir / "config.yaml")
    command = [*kopile_command(), "run", str(cfg), "--num-cpus", str(num_cpus), "--no-progress"]
    # RAY_ADDRESS=local: ray.init() would otherwise join a Ray cluster already running here.
    env = {**os.environ, "RAY_ADDRESS": "local", "RAY_DEDUP_LOGS": "0", "PYTHONUNBUFFERED": "1"}
    log = run_dir / "kopile.log"
    load = os.getloadavg()[0]
    before = cpu_ticks()
    with open(log, "w") as f:
        started_at, started = time.time(), time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT)
        timeline = Timeline(process.pid, out)
        timeline.start()
        code = process.wait()
        seconds, finished_at = time.perf_counter() - started, time.time()
        timeline.done.set()
        timeline.join()
    after = cpu_ticks()
    if code:
        sys.exit(f"kopile run failed (exit {code}); last lines of {log}:\n{log.read_text(errors='replace')[-4000:]}")
    summary = json.loads((out / "run.json").read_text())
    samples = timeline.samples
    (run_dir / "timeline.json").write_text(json.dumps(
        {"columns": ["unix_time", "driver_kb", "largest_worker_kb", "tree_kb", "workers"], "samples": samples}))

    passes = []
    for group in passes_of(summary):
        first, last = group["stages"][0], group["stages"][-1]
        wall = first["wall_seconds"]
        passes.append({
            "pass": group["pass"], "stages": [s["stage"] for s in group["stages"]],
            "rows_in": first["rows_in"], "kept": last["kept"], "text_mb_in": round(first["text_bytes_in"] / 1e6, 2),
            "wall_seconds": wall, "docs_per_s": round(first["rows_in"] / wall, 1) if wall else None,
            "task_seconds": round(sum(s["task_seconds"] for s in group["stages"]), 3),
            "started_at": first.get("started_at"), "finished_at": first.get("finished_at"),
            **(peaks(samples, first["started_at"], first["finished_at"]) if "started_at" in first else {}),
        })
    stages = [{k: s.get(k) for k in ("stage", "dir", "pass", "rows_in", "kept", "removed", "text_bytes_in",
                                     "wall_seconds", "task_seconds", "file_bytes_kept", "file_bytes_removed")}
              for s in summary["stages"]]
    timed = [p for p in passes if p.get("started_at")]
    phases = {}
    if timed:
        # Before the first pass: interpreter, imports, Ray's start, the id check. After the
        # last: the report (report.html) and Ray's shutdown.
        phases = {"before_passes": {"seconds": round(timed[0]["started_at"] - started_at, 2),
                                    **peaks(samples, started_at, timed[0]["started_at"])},
                  "after_passes": {"seconds": round(finished_at - timed[-1]["finished_at"], 2),
                                   **peaks(samples, timed[-1]["finished_at"], finished_at)}}
    workers = [kb for role, kb in timeline.peak_by_process.values() if role == "worker"]
    result = {
        "process_seconds": round(seconds, 2),
        "passes_seconds": round(sum(p["wall_seconds"] for p in passes), 2),
        "documents": stages[0]["rows_in"] if stages else 0,
        "final_documents": (summary.get("final") or {}).get("rows"),
        "passes": passes, "stages": stages, "phases": phases,
        "peak_tree_rss_mb": mb(max((s[3] for s in samples), default=0)),
        "peak_driver_rss_mb": mb(max((s[1] for s in samples), default=0)),
        "peak_worker_rss_mb": mb(max(workers, default=0)),
        "worker_processes": len(workers),
        "disk_mb": round(disk_bytes(out) / 1e6, 1), "peak_disk_mb": round(max(timeline.peak_disk, 0) / 1e6, 1),
        "samples": len(samples), "load_average_1min_start": round(load, 2),
    }
    if before and after and after[1] > before[1]:
        result["machine_cpu_busy_share"] = round((after[0] - before[0]) / (after[1] - before[1]), 3)
    if not keep:
        shutil.rmtree(out)  # at 16x the outputs are gigabytes
    return result


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def combine(runs: list[dict]) -> dict:
    """Medians over the repeats of one scale, pass by pass."""
    last = runs[-1]
    out = {k: median(r[k] for r in runs) for k in ("process_seconds", "passes_seconds", "peak_tree_rss_mb",
                                                   "peak_driver_rss_mb", "peak_worker_rss_mb", "disk_mb",
                                                   "peak_disk_mb")}
    out.update(documents=last["documents"], final_documents=last["final_documents"], runs=len(runs),
               process_seconds_runs=[r["process_seconds"] for r in runs],
               machine_cpu_busy_share=[r.get("machine_cpu_busy_share") for r in runs],
               load_average_1min_start=[r["load_average_1min_start"] for r in runs])
    out["passes"] = []
    for i, p in enumerate(last["passes"]):
        each = [r["passes"][i] for r in runs]
        out["passes"].append({**{k: p[k] for k in ("pass", "stages", "rows_in", "kept", "text_mb_in")},
                              **{k: median(e.get(k) for e in each)
                                 for k in ("wall_seconds", "task_seconds", "driver_mb", "worker_mb", "tree_mb")}})
        w = out["passes"][-1]["wall_seconds"]
        out["passes"][-1]["docs_per_s"] = round(p["rows_in"] / w, 1) if w else None
    out["stages"] = []
    for i, s in enumerate(last["stages"]):
        each = [r["stages"][i] for r in runs]
        out["stages"].append({**s, "wall_seconds": median(e["wall_seconds"] for e in each),
                              "task_seconds": median(e["task_seconds"] for e in each)})
    out["phases"] = {name: {k: median(r["phases"].get(name, {}).get(k) for r in runs)
                            for k in ("seconds", "driver_mb", "worker_mb", "tree_mb")}
                     for name in last["phases"]}
    return out


def linearity(scales: dict[int, dict]) -> dict:
    """wall(k) / ((k / k0) * wall(k0)) against the smallest scale k0, per pass, per stage (its
    task seconds: the work inside a fused pass) and overall; 1.0 is linear."""
    ks = sorted(scales)
    k0, ref = ks[0], scales[ks[0]]

    def ratio(value, base, k):
        return round(value / (k / k0 * base), 3) if value and base else None

    def per_doc(p, q):
        if not (p["wall_seconds"] and q["wall_seconds"] and p["rows_in"] and q["rows_in"]):
            return None
        return round(q["wall_seconds"] / q["rows_in"] / (p["wall_seconds"] / p["rows_in"]), 3)

    out = {"reference_scale": k0, "passes": {}, "passes_per_document": {}, "stage_task_seconds": {}, "overall": {}}
    for i, p in enumerate(ref["passes"]):
        out["passes"][p["pass"]] = {k: ratio(scales[k]["passes"][i]["wall_seconds"], p["wall_seconds"], k) for k in ks}
        # After near-duplicate removal a pass's input no longer grows with k: per document in.
        out["passes_per_document"][p["pass"]] = {k: per_doc(p, scales[k]["passes"][i]) for k in ks}
    for i, s in enumerate(ref["stages"]):
        out["stage_task_seconds"][s["stage"]] = {k: ratio(scales[k]["stages"][i]["task_seconds"],
                                                          s["task_seconds"], k) for k in ks}
    for key in ("passes_seconds", "process_seconds"):
        out["overall"][key] = {k: ratio(scales[k][key], ref[key], k) for k in ks}
    return out


def capacity(scales: dict[int, dict]) -> dict:
    """Least-squares lines of peak RSS (tree, driver, one worker) and disk against the corpus's
    text MB, and where each line reaches MEMORY_LIMIT_MB. An extrapolation from the measured
    scales: a stage whose memory is bounded by a budget (minhash_dedup's memory_mb) bends it."""
    xs = [scales[k]["text_mb"] for k in sorted(scales)]
    out = {"limit_mb": MEMORY_LIMIT_MB, "fits": {}}
    for name, key in (("tree", "peak_tree_rss_mb"), ("driver", "peak_driver_rss_mb"),
                      ("one worker", "peak_worker_rss_mb"), ("disk", "disk_mb")):
        ys = [scales[k][key] for k in sorted(scales)]
        if len(xs) < 2 or None in ys:
            continue
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        var = sum((x - mx) ** 2 for x in xs)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0
        fit = {"intercept_mb": round(my - slope * mx, 1), "slope_mb_per_text_mb": round(slope, 3)}
        if name != "disk" and max(xs) >= 4 * min(xs):  # closer sizes give a slope of noise
            fit["text_mb_at_limit"] = (round((MEMORY_LIMIT_MB - fit["intercept_mb"]) / slope)
                                       if slope > 1e-3 else None)
        out["fits"][name] = fit
    biggest = scales[max(scales)]
    phases = [(p["tree_mb"] or 0, p["pass"]) for p in biggest["passes"]]
    phases += [(v["tree_mb"] or 0, name) for name, v in biggest["phases"].items()]
    if phases:
        out["tree_peak_at_largest_scale_in"] = max(phases)[1]
    grows = {n: f["slope_mb_per_text_mb"] for n, f in out["fits"].items()
             if n in ("driver", "one worker") and "text_mb_at_limit" in f}
    if grows:
        out["fastest_growing_process"] = max(grows, key=grows.get)
    tree = out["fits"].get("tree", {})
    out["largest_text_mb_in_limit"] = tree.get("text_mb_at_limit")
    return out


def fmt(x, digits=1) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        "# Scale curve of the demo pipeline (`benchmarks/bench_scale.py`)", "",
        f"{report['date']}, kopile {report['git']}; {m['nproc']} cores ({m['cpu_model']}), "
        f"`kopile run --num-cpus {report['num_cpus']}`; the stages of `{report['config']}`; corpus: "
        f"`scale_corpus.py`, a {report['base_mb']:g} MB base, shards of about {report['shard_mb']:g} MB of text; "
        f"medians of {report['repeat']} run(s) per scale.", "",
    ]
    for k, s in sorted(report["scales"].items(), key=lambda kv: int(kv[0])):
        c = s["corpus"]
        lines += [f"## {k}x: {s['documents']:,} documents, {s['text_mb']:,.1f} MB of text, {c['shards']} shards", "",
                  "| pass | stages | docs in | kept | text MB in | wall s | docs/s | driver peak MB | "
                  "one worker peak MB | tree peak MB |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for p in s["passes"]:
            lines.append(f"| {p['pass']} | {', '.join(p['stages'])} | {p['rows_in']:,} | {p['kept']:,} | "
                         f"{p['text_mb_in']:,.1f} | {fmt(p['wall_seconds'], 2)} | {fmt(p['docs_per_s'], 0)} | "
                         f"{fmt(p['driver_mb'])} | {fmt(p['worker_mb'])} | {fmt(p['tree_mb'])} |")
        for name, v in s["phases"].items():
            lines.append(f"| ({name.replace('_', ' ')}) | | | | | {fmt(v['seconds'], 2)} | | {fmt(v['driver_mb'])} | "
                         f"{fmt(v['worker_mb'])} | {fmt(v['tree_mb'])} |")
        lines += ["", "| stage | docs in | kept | task s | docs per task-second |", "|---|---:|---:|---:|---:|"]
        for st in s["stages"]:
            rate = st["rows_in"] / st["task_seconds"] if st["task_seconds"] else None
            lines.append(f"| {st['stage']} | {st['rows_in']:,} | {st['kept']:,} | {fmt(st['task_seconds'], 2)} | "
                         f"{fmt(rate, 0)} |")
        lines += ["", f"End to end {fmt(s['process_seconds'], 1)} s (passes {fmt(s['passes_seconds'], 1)} s), "
                  f"{s['documents'] / s['process_seconds']:,.0f} docs/s overall; kept {s['final_documents'] or 0:,}; "
                  f"disk written {fmt(s['disk_mb'])} MB (peak during the run {fmt(s['peak_disk_mb'])} MB); "
                  f"peak RSS: tree {fmt(s['peak_tree_rss_mb'])} MB, driver {fmt(s['peak_driver_rss_mb'])} MB, "
                  f"one worker {fmt(s['peak_worker_rss_mb'])} MB. Machine busy share "
                  f"{s['machine_cpu_busy_share']}, load at start {s['load_average_1min_start']}.", ""]
    lin = report["linearity"]
    ks = sorted(int(k) for k in report["scales"])
    k0 = lin["reference_scale"]
    lines += [f"## Linearity: wall(k) / ((k/{k0}) x wall({k0})), 1.00 is linear, the target <= 1.15", "",
              "| | " + " | ".join(f"{k}x" for k in ks) + " |", "|---|" + "---:|" * len(ks)]
    for name, row in lin["passes"].items():
        lines.append(f"| pass {name} (wall) | " + " | ".join(fmt(row.get(k), 2) for k in ks) + " |")
    for name, row in lin["stage_task_seconds"].items():
        lines.append(f"| {name} (task seconds) | " + " | ".join(fmt(row.get(k), 2) for k in ks) + " |")
    for name, row in lin["overall"].items():
        label = {"passes_seconds": "**all passes** (wall)", "process_seconds": "**end to end** (process)"}[name]
        lines.append(f"| {label} | " + " | ".join(fmt(row.get(k), 2) for k in ks) + " |")
    lines += ["", "Stages after `minhash_dedup` see about the same documents at every scale (the copies are "
              "gone), so their ratios fall with k. Per document entering the pass, the same wall time relative to "
              f"{k0}x:", "", "| pass | " + " | ".join(f"{k}x" for k in ks) + " |", "|---|" + "---:|" * len(ks)]
    for name, row in lin["passes_per_document"].items():
        lines.append(f"| {name} | " + " | ".join(fmt(row.get(k), 2) for k in ks) + " |")
    cap = report["capacity"]
    lines += ["", f"## Memory against size, and a {cap['limit_mb'] / 1024:.0f} GiB machine", "",
              "| | intercept MB | MB per MB of text | text MB at the limit |", "|---|---:|---:|---:|"]
    for name, f in cap["fits"].items():
        lines.append(f"| {name} | {fmt(f['intercept_mb'])} | {f['slope_mb_per_text_mb']:.3f} | "
                     f"{fmt(f.get('text_mb_at_limit'), 0) if name != 'disk' else ''} |")
    largest = cap.get("largest_text_mb_in_limit")
    lines += ["", f"Largest corpus within {cap['limit_mb'] / 1024:.0f} GiB by the tree's summed RSS (a straight "
              f"line through {len(ks)} scale(s): an extrapolation): "
              + (f"{largest:,} MB of text" if largest else "not extrapolated (sizes less than 4x apart, or no growth)")
              + f"; the tree's peak at the largest scale is in "
              f"{cap.get('tree_peak_at_largest_scale_in', '–')}; fastest-growing process: "
              f"{cap.get('fastest_growing_process', '–')}. Summed RSS counts shared pages (Ray's object store, "
              "libraries) once per process, so it overstates what the machine needs. Over sizes less than 4x apart "
              "the slopes are mostly noise.", "",
              "Wall s of a pass: `wall_seconds` of its first stage in run.json (from its first task's submission, or "
              "the global stage's key collection, to the last result). RSS: the `kopile run` process (driver), the "
              "largest single Ray worker, and the whole tree (driver, Ray's daemons, workers), sampled every 0.5 s "
              "and attributed to a pass by run.json's `started_at`/`finished_at`.", ""]
    return "\n".join(lines)


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scales = sorted(report["scales"].items(), key=lambda kv: int(kv[0]))
    xs = [s["text_mb"] for _, s in scales]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    wall = [s["process_seconds"] for _, s in scales]
    left.plot(xs, wall, "o-", label="end to end", color="black")
    left.plot(xs, [xs[i] / xs[0] * wall[0] for i in range(len(xs))], "--", color="gray", label="linear from the smallest")
    left.plot(xs, [xs[i] / xs[0] * wall[0] * 1.15 for i in range(len(xs))], ":", color="gray", label="1.15 x linear")
    for i, p in enumerate(scales[0][1]["passes"]):
        left.plot(xs, [s["passes"][i]["wall_seconds"] for _, s in scales], "o-", lw=1, ms=3, label=p["pass"])
    left.set(xlabel="corpus, MB of text", ylabel="wall s", title="wall time")
    left.legend(fontsize=7)
    for key, label in (("peak_worker_rss_mb", "one worker (largest)"), ("peak_driver_rss_mb", "driver"),
                       ("peak_tree_rss_mb", "tree (summed)")):
        right.plot(xs, [s[key] for _, s in scales], "o-", label=label)
    for i, p in enumerate(scales[0][1]["passes"]):
        right.plot(xs, [s["passes"][i]["worker_mb"] or float("nan") for _, s in scales], "o-", lw=1, ms=3,
                   label=f"one worker, {p['pass']}")
    right.set(xlabel="corpus, MB of text", ylabel="peak RSS, MB", title="peak memory")
    right.legend(fontsize=7)
    for ax in (left, right):
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    fig.suptitle(f"kopile run, {report['config']}, --num-cpus {report['num_cpus']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-mb", type=float, default=DEFAULT_BASE_MB, help="text of the 1x corpus, MB (default 75)")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4, 16], help="default 1 4 16")
    parser.add_argument("--num-cpus", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="runs per scale, medians reported (default 1)")
    parser.add_argument("--config", type=Path, default=ROOT / "examples" / "sample.yaml")
    parser.add_argument("--shard-mb", type=float, default=32,
                        help="text per shard, MB (default 32; at most base/num-cpus, so 1x has a shard per worker)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work-dir", type=Path, default=WORK, help="corpora, configs, run outputs")
    parser.add_argument("--out-dir", type=Path,
                        help="scale.{json,md,png} (default benchmarks/results at the 75 MB base, the work dir otherwise)")
    parser.add_argument("--keep-output", action="store_true", help="keep each run's output folder")
    args = parser.parse_args(argv)
    config = args.config.resolve()
    out_dir = args.out_dir or (RESULTS if args.base_mb == DEFAULT_BASE_MB else args.work_dir)
    scales = sorted(set(args.scales))
    # The same shard size at every scale, so a worker's memory can stay flat while the corpus grows.
    shard_mb = min(args.shard_mb, args.base_mb / args.num_cpus)
    started = time.perf_counter()
    print(f"load average {os.getloadavg()[0]:.2f} on {machine()['nproc']} cores", flush=True)

    corpora = {}
    for k in scales:
        folder = args.work_dir / f"corpus-{args.base_mb:g}mb-{shard_mb:g}mbshards-x{k}-s{args.seed}"
        print(f"corpus {k}x ...", flush=True)
        scale_corpus.build(k, args.base_mb, folder, seed=args.seed, shard_mb=shard_mb)
        corpora[k] = (folder, json.loads((folder / "corpus.json").read_text()))
        print(scale_corpus.describe(corpora[k][1]), flush=True)

    runs: dict[int, list[dict]] = {k: [] for k in scales}
    for r in range(args.repeat):  # repeats interleaved: a noisy neighbour slows every scale alike
        for k in scales:
            print(f"[run {r + 1}/{args.repeat}] {k}x ...", flush=True)
            result = one_run(corpora[k][0], args.work_dir / "runs" / f"x{k}", config, args.num_cpus, args.keep_output)
            runs[k].append(result)
            print(f"  {result['process_seconds']:.1f} s end to end, peak RSS tree {result['peak_tree_rss_mb']} MB, "
                  f"driver {result['peak_driver_rss_mb']} MB, one worker {result['peak_worker_rss_mb']} MB", flush=True)
            for p in result["passes"]:
                print(f"    {p['pass']:<32} {p['wall_seconds']:>8.2f} s {fmt(p['docs_per_s'], 0):>9} docs/s  "
                      f"driver {fmt(p.get('driver_mb'))} MB, worker {fmt(p.get('worker_mb'))} MB", flush=True)

    figures = {}
    for k in scales:
        figures[k] = {**combine(runs[k]), "text_mb": corpora[k][1]["text_mb"],
                      "corpus": {key: v for key, v in corpora[k][1].items() if key != "documents_per_shard"},
                      "runs_raw": runs[k]}
    try:
        config_name = str(config.relative_to(ROOT))
    except ValueError:
        config_name = str(config)
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "git": git_revision(), "machine": machine(),
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "config": config_name, "base_mb": args.base_mb, "shard_mb": shard_mb, "num_cpus": args.num_cpus,
        "repeat": args.repeat, "seed": args.seed, "scales": figures,
        "linearity": linearity(figures), "capacity": capacity(figures),
    }
    report["benchmark_seconds"] = round(time.perf_counter() - started, 1)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "scale.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out_dir / "scale.md").write_text(markdown(report), encoding="utf-8")
    plot(report, out_dir / "scale.png")
    text = markdown(report)
    print("\n" + text[text.index("## Linearity"):])
    print(f"figures: {out_dir}/scale.{{json,md,png}}\ntook {report['benchmark_seconds']:.0f} s")


if __name__ == "__main__":
    main()
