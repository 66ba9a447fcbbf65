"""Speed, peak memory and accuracy of kopile's minhash_dedup stage against datatrove's MinHash
deduplication on the same Parquet shards (real Korean text with injected near duplicates,
threshold 0.8), and the speed of one core computing signatures: kopile's MinHasher against
datasketch's MinHash.

Run it in the benchmark environment (datatrove is not a project dependency):

    bash benchmarks/setup_bench_env.sh
    benchmarks/.venv-bench/bin/python benchmarks/bench_dedup.py                 # full size, 3 repeats
    benchmarks/.venv-bench/bin/python benchmarks/bench_dedup.py --docs 1000 --repeat 1

Every timed setting runs in its own subprocess, whose process tree (Ray's or datatrove's workers
included) is polled for its memory; the repeats are interleaved. See benchmarks/README.md.
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

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dedup_truth  # noqa: E402
from bench_quality import cpu_ticks, git_revision, machine, source_hash  # noqa: E402
from dedup_truth import ROOT  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_DOCS = 7691
BLIND = ROOT / "build" / "bench" / "dedup" / "blind.jsonl"


def stage_defaults() -> dict:
    from kopile.pipeline.stages.minhash_dedup import MinhashParams

    return {k: v for k, v in MinhashParams().model_dump().items() if v is not None}


THRESHOLD = stage_defaults()["threshold"]  # kopile runs at its defaults; datatrove's char variant at this


def kopile_split() -> tuple[int, int, int]:
    """(num_perm, bands, rows) of the stage at THRESHOLD with its defaults."""
    from kopile.pipeline.dedup.minhash import lsh_params

    d = stage_defaults()
    return (d["num_perm"], *lsh_params(THRESHOLD, d["num_perm"], d["false_positive_weight"],
                                       d["false_negative_weight"]))


NUM_PERM = 256  # checked against the stage's default in main()
SETTINGS = {
    "kopile": "kopile minhash_dedup, defaults (char 5-grams, 256 permutations, bands x rows from the threshold, "
              "verified, removal by similarity to a kept document)",
    "kopile-word": "kopile minhash_dedup, word (eojeol) 5-grams, otherwise defaults",
    "datatrove": "datatrove MinhashConfig() defaults, language kor (word 5-grams from its Kiwi tokenizer, "
                 "14 x 8, 64-bit xxhash, no verification)",
    "datatrove-char": "datatrove with char 5-grams, kopile's normalisation and kopile's bands x rows",
}


# --- kopile (in its own process) ------------------------------------------------------------------

def kopile_run(shards: Path, out: Path, workers: int, shingle: str) -> dict:
    import ray

    from kopile.pipeline.config import parse_config
    from kopile.pipeline.jobs.executor import RayExecutor
    from kopile.pipeline.jobs.run import Runner

    params = {"shingle": shingle}  # everything else: the stage's defaults
    config = parse_config({"input": str(shards), "output": str(out), "stages": [{"minhash_dedup": params}]},
                          "benchmarks/bench_dedup.py")
    started = time.perf_counter()
    summary = Runner(config, progress=False, log=lambda *a, **k: None).run(RayExecutor(num_cpus=workers))
    seconds = time.perf_counter() - started
    ray.shutdown()
    stage = summary["stages"][0]
    removed = {}
    for path in sorted((out / stage["dir"] / "removed").glob("*.parquet")):
        t = pq.read_table(path, columns=["id", "duplicate_of"])
        removed.update(zip(t.column("id").to_pylist(), t.column("duplicate_of").to_pylist()))
    return {"params": params, "workers": workers, "run_seconds": seconds, "wall_seconds": stage["wall_seconds"],
            "task_seconds": stage.get("task_seconds"), "rows_in": stage["rows_in"], "removed": removed,
            "kopile_source_sha256": source_hash()}


# --- datatrove (in its own process) ---------------------------------------------------------------

def char_tokenizer():
    """A datatrove WordTokenizer whose words are characters, spaces included: datatrove then
    shingles character 5-grams. (It has no character shingles of its own.)"""
    import unicodedata

    from datatrove.utils.word_tokenizers import WordTokenizer

    class CharTokenizer(WordTokenizer):
        def word_tokenize(self, text: str) -> list[str]:
            return list(unicodedata.normalize("NFC", text))

        def sent_tokenize(self, text: str) -> list[str]:
            return [text]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            return [(0, len(text))]

    return CharTokenizer()


def datatrove_run(shards: Path, out: Path, workers: int, variant: str) -> dict:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                                  MinhashDedupFilter, MinhashDedupSignature)
    from datatrove.pipeline.readers import ParquetReader
    from datatrove.pipeline.writers import ParquetWriter
    from datatrove.utils.text import TextNormConfig
    from datatrove.utils.typeshelper import Languages

    if variant == "datatrove":
        # Its defaults, with the language FineWeb-2 gives Korean (the default, English, needs spaCy).
        config, language = MinhashConfig(), Languages.korean
    else:
        _, bands, rows = kopile_split()
        # kopile's normalisation: lowercase and whitespace only (datatrove also removes
        # punctuation, zeroes digits and strips combining marks after NFD by default).
        norm = TextNormConfig(lowercase=True, norm_whitespace=True, remove_punctuation=False,
                              norm_unicode_diacritics=False, norm_numbers=False)
        config, language = MinhashConfig(n_grams=5, num_buckets=bands, hashes_per_bucket=rows, seed=1,
                                         norm_config=norm), char_tokenizer()
    n_shards = len(list(shards.glob("*.parquet")))
    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("cluster", pa.int64())])

    def row(writer, doc) -> dict:
        return {"id": doc.id, "text": doc.text, "cluster": doc.metadata.get("minhash_cluster_id", -1)}

    def reader():
        return ParquetReader(str(shards), glob_pattern="*.parquet", text_key="text", id_key="id")

    steps = [
        ("signatures", [reader(), MinhashDedupSignature(str(out / "signatures"), config=config, language=language)],
         n_shards, workers),
        ("buckets", [MinhashDedupBuckets(str(out / "signatures"), str(out / "buckets"), config=config)],
         config.num_buckets, workers),  # its task count must be a multiple of the buckets
        ("cluster", [MinhashDedupCluster(str(out / "buckets"), str(out / "remove_ids"), config=config,
                                         save_cluster_id=True)], 1, 1),  # one task by design
        ("filter", [reader(),
                    MinhashDedupFilter(str(out / "remove_ids"), load_cluster_ids=True,
                                       exclusion_writer=ParquetWriter(str(out / "removed"), adapter=row, schema=schema,
                                                                      compression="zstd")),
                    ParquetWriter(str(out / "kept"), adapter=row, schema=schema, compression="zstd")],
         n_shards, workers),
    ]
    timings = {}
    started = time.perf_counter()
    for name, pipeline, tasks, w in steps:
        t = time.perf_counter()
        LocalPipelineExecutor(pipeline, tasks=tasks, workers=w, logging_dir=str(out / "logs" / name)).run()
        timings[name] = round(time.perf_counter() - t, 3)
    seconds = time.perf_counter() - started
    kept_of_cluster, removed_cluster = {}, {}
    for sub in ("kept", "removed"):
        for path in sorted((out / sub).rglob("*.parquet")):
            t = pq.read_table(path, columns=["id", "cluster"])
            for doc_id, cluster in zip(t.column("id").to_pylist(), t.column("cluster").to_pylist()):
                if sub == "kept" and cluster >= 0:
                    kept_of_cluster[cluster] = doc_id
                elif sub == "removed":
                    removed_cluster[doc_id] = cluster
    # A removed document names its cluster's kept member, as kopile's duplicate_of does.
    removed = {doc_id: kept_of_cluster[c] for doc_id, c in removed_cluster.items()}
    return {"config": {"n_grams": config.n_grams, "num_buckets": config.num_buckets,
                       "hashes_per_bucket": config.hashes_per_bucket, "seed": config.seed,
                       "norm_config": vars(config.norm_config), "hash_config": str(config.hash_config),
                       "tokenizer": "Kiwi (kor)" if variant == "datatrove" else "characters"},
            "workers": workers, "run_seconds": seconds, "wall_seconds": seconds, "step_seconds": timings,
            "removed": removed}


# --- signatures on one core (in its own process) --------------------------------------------------

def signatures_run(shards: Path, out: Path, repeat: int) -> dict:
    """docs/s of kopile's MinHasher and of datasketch.MinHash per document, on one core."""
    from datasketch import MinHash

    from kopile.filters.dedup import ExactKey
    from kopile.pipeline.dedup.minhash import MinHasher

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    texts = list(dedup_truth.read_texts(shards).values())
    normalize = ExactKey(lowercase=True, whitespace=True).normalize
    normalized = [normalize(t) for t in texts]

    def shingles(t: str) -> list[str]:
        return [t[i:i + 5] for i in range(len(t) - 4)] if len(t) >= 5 else ([t] if t else [])

    encoded = [[s.encode("utf-8") for s in shingles(t)] for t in normalized]
    batch = 1000  # the stage's default batch_rows

    def kopile_raw():
        hasher = MinHasher(NUM_PERM, 1, "char", 5, normalize)
        for i in range(0, len(texts), batch):
            hasher(texts[i:i + batch])

    def kopile_normalized():
        hasher = MinHasher(NUM_PERM, 1, "char", 5, None)
        for i in range(0, len(normalized), batch):
            hasher(normalized[i:i + batch])

    def datasketch_raw():
        for t in texts:
            MinHash(num_perm=NUM_PERM).update_batch([s.encode("utf-8") for s in shingles(normalize(t))])

    def datasketch_prebuilt():
        for e in encoded:
            MinHash(num_perm=NUM_PERM).update_batch(e)

    cases = {"kopile MinHasher, raw texts (normalises)": kopile_raw,
             "kopile MinHasher, normalised texts": kopile_normalized,
             "datasketch, raw texts (normalise, shingle list, encode, MinHash, update_batch)": datasketch_raw,
             "datasketch, prebuilt encoded shingle lists (MinHash, update_batch)": datasketch_prebuilt}
    seconds = {name: [] for name in cases}
    for _ in range(repeat):
        for name, fn in cases.items():
            t = time.perf_counter()
            fn()
            seconds[name].append(time.perf_counter() - t)
    return {"documents": len(texts), "chars": sum(len(t) for t in texts),
            "shingles": sum(len(e) for e in encoded), "seconds": seconds}


# --- the parent -----------------------------------------------------------------------------------

class TreeMemory(threading.Thread):
    """Peak summed RSS and PSS of a process and all its descendants, polled from /proc. PSS
    shares each shared page among the processes mapping it, so unlike summed RSS it does
    not count Ray's shared object store or forked copy-on-write pages more than once.

    RSS comes from statm every 0.1 s; PSS needs smaps_rollup, about 2 ms of CPU per process
    (20 ms for a Ray tree), so it is read every 0.5 s to keep the poller off the timed cores.
    """

    def __init__(self, pid: int, interval: float = 0.1, pss_every: int = 5, work: Path | None = None):
        super().__init__(daemon=True)
        self.pid, self.interval, self.pss_every, self.work = pid, interval, pss_every, work
        self.peak_rss = self.peak_pss = self.peak_processes = self.peak_work_bytes = 0
        self.peak_by_process: dict[int, tuple[str, int]] = {}  # pid -> (role, peak RSS kB)
        self.done = threading.Event()

    def run(self) -> None:
        page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
        polls = 0
        while not self.done.is_set():
            tree = descendants(self.pid)
            self.peak_processes = max(self.peak_processes, len(tree))
            pages = {pid: rss_pages(pid) for pid in tree}
            self.peak_rss = max(self.peak_rss, sum(p[0] for p in pages.values()) * page_kb)
            for pid, (resident, shared) in pages.items():
                role, peak, anon = self.peak_by_process.get(pid) or (process_role(pid, self.pid), 0, 0)
                self.peak_by_process[pid] = (role, max(peak, resident * page_kb),
                                             max(anon, (resident - shared) * page_kb))
            if polls % self.pss_every == 0:
                self.peak_pss = max(self.peak_pss, sum(pss_kb(pid) for pid in tree))
                if self.work is not None:
                    self.peak_work_bytes = max(self.peak_work_bytes, work_bytes(self.work))
            polls += 1
            self.done.wait(self.interval)

    def peak_worker_kb(self, anonymous: bool = False) -> int:
        """The largest peak RSS of one worker; `anonymous`: without file-backed pages (memory-
        mapped signature files, libraries), which the kernel can drop and read again."""
        return max((anon if anonymous else kb for role, kb, anon in self.peak_by_process.values()
                    if role == "worker"), default=0)


RAY_AGENTS = ("ray::DashboardAgent", "ray::RuntimeEnvAgent")


def process_role(pid: int, root: int) -> str:
    """driver (the benchmark's child itself), worker (a process that runs tasks: a Ray worker,
    titled `ray::IDLE` or `ray::<task>`, or one of datatrove's multiprocessing workers) or
    system (Ray's own daemons: GCS, raylet, agents, log monitor)."""
    if pid == root:
        return "driver"
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "system"
    if cmdline.startswith("ray::") or "default_worker.py" in cmdline:
        return "system" if cmdline.startswith(RAY_AGENTS) else "worker"
    return "system" if "/ray/" in cmdline or "ray/core/src" in cmdline else "worker"


def work_bytes(out: Path) -> int:
    """Bytes under the stages' `_work/` folders (kopile) or datatrove's intermediate folders."""
    total = 0
    for folder in [*Path(out).glob("*/_work"), *(Path(out) / d for d in ("signatures", "buckets", "remove_ids"))]:
        for root, _, files in os.walk(folder):
            for f in files:
                try:
                    total += os.stat(os.path.join(root, f)).st_size
                except OSError:
                    pass
    return total


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    tree, stack = [], [root]
    while stack:
        pid = stack.pop()
        tree.append(pid)
        stack.extend(children.get(pid, []))
    return tree


def rss_pages(pid: int) -> tuple[int, int]:
    """Resident pages, and those of them backed by files or shared memory."""
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
        return int(fields[1]), int(fields[2])
    except (OSError, ValueError, IndexError):
        return 0, 0


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def run_child(kind: str, shards: Path, out: Path, extra: list[str]) -> dict:
    if out.exists():
        shutil.rmtree(out)  # a kopile run would resume, a datatrove one skip its completed tasks
    out.mkdir(parents=True)
    log = out.parent / f"{out.name}.log"
    command = [sys.executable, str(Path(__file__).resolve()), "_child", kind, str(shards), str(out), *extra]
    # RAY_ADDRESS=local: ray.init() would otherwise join a Ray cluster already running here.
    env = {**os.environ, "RAY_ADDRESS": "local", "RAY_DEDUP_LOGS": "0", "PYTHONUNBUFFERED": "1"}
    before = cpu_ticks()
    started = time.perf_counter()
    with open(log, "w") as f:
        process = subprocess.Popen(command, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        poller = TreeMemory(process.pid, work=out)
        poller.start()
        code = process.wait()
        poller.done.set()
        poller.join()
    seconds = time.perf_counter() - started
    after = cpu_ticks()
    if code:
        tail = log.read_text(errors="replace")[-4000:]
        sys.exit(f"{kind} run failed (exit {code}); last lines of {log}:\n{tail}")
    result = json.loads((out / "bench_result.json").read_text())
    result.update({"process_seconds": seconds, "peak_rss_mb": round(poller.peak_rss / 1024, 1),
                   "peak_pss_mb": round(poller.peak_pss / 1024, 1), "peak_processes": poller.peak_processes,
                   "peak_worker_rss_mb": round(poller.peak_worker_kb() / 1024, 1),
                   "peak_worker_anon_mb": round(poller.peak_worker_kb(anonymous=True) / 1024, 1),
                   "peak_work_bytes": poller.peak_work_bytes, "work_bytes_after": work_bytes(out),
                   "input_bytes": sum(p.stat().st_size for p in shards.glob("*.parquet"))})
    if before and after and after[1] > before[1]:
        result["machine_cpu_busy_share"] = round((after[0] - before[0]) / (after[1] - before[1]), 3)
    return result


def child_main(kind: str, shards: str, out: str, extra: list[str]) -> None:
    load = os.getloadavg()[0]
    if kind == "kopile":
        result = kopile_run(Path(shards), Path(out), int(extra[0]), extra[1])
    elif kind == "datatrove":
        result = datatrove_run(Path(shards), Path(out), int(extra[0]), extra[1])
    else:
        result = signatures_run(Path(shards), Path(out), int(extra[0]))
    result["load_average_1min"] = {"start": round(load, 2), "end": round(os.getloadavg()[0], 2)}
    Path(out, "bench_result.json").write_text(json.dumps(result))


def median(values) -> float:
    return statistics.median(values)


def fmt(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def setting_figures(name: str, runs: list[dict], truth: dict, texts: dict[str, str], docs: int) -> dict:
    last = runs[-1]
    claim_j = dedup_truth.pair_jaccards(list(last["removed"].items()), texts)
    s = dedup_truth.score(last["removed"], truth["pairs"], claim_j, THRESHOLD)
    wall = median(r["wall_seconds"] for r in runs)
    process = median(r["process_seconds"] for r in runs)
    out = {
        "setting": name, "description": SETTINGS[name], "runs": len(runs),
        "config": last.get("params") or last.get("config"), "workers": last["workers"],
        "wall_seconds": round(wall, 3), "wall_seconds_runs": [round(r["wall_seconds"], 3) for r in runs],
        "docs_per_s": round(docs / wall, 1),
        "process_seconds": round(process, 3), "process_seconds_runs": [round(r["process_seconds"], 3) for r in runs],
        "docs_per_s_process": round(docs / process, 1),
        "peak_rss_mb": median(r["peak_rss_mb"] for r in runs), "peak_pss_mb": median(r["peak_pss_mb"] for r in runs),
        "peak_processes": max(r["peak_processes"] for r in runs),
        "peak_worker_rss_mb": median(r["peak_worker_rss_mb"] for r in runs),
        "peak_work_mb": round(median(r["peak_work_bytes"] for r in runs) / 2**20, 1),
        "work_mb_after": round(median(r["work_bytes_after"] for r in runs) / 2**20, 1),
        "input_mb": round(last["input_bytes"] / 2**20, 1),
        "recall_by_level": s["recall_by_level"],
        "machine_cpu_busy_share": [r.get("machine_cpu_busy_share") for r in runs],
        "load_average_1min": [r["load_average_1min"] for r in runs],
        "removed": s["removed"], "positives": s["positives"], "precision": s["precision"], "recall": s["recall"],
        "f1": s["f1"], "recall_by_kind": s["recall_by_kind"], "recall_by_jaccard": s["recall_by_jaccard"],
        "wrong_removals": len(s["wrong_removals"]),
        "wrong_removal_jaccard_histogram": s["wrong_removal_jaccard_histogram"],
        "removed_set_identical_over_runs": all(set(r["removed"]) == set(last["removed"]) for r in runs),
    }
    if "family_of" in truth:
        out.update(dedup_truth.across_families(last["removed"], truth))
    if "step_seconds" in last:
        out["step_seconds"] = {k: round(median(r["step_seconds"][k] for r in runs), 3) for k in last["step_seconds"]}
    if "task_seconds" in last:
        out["task_seconds"] = round(median(r["task_seconds"] for r in runs), 3)
        out["run_seconds_incl_ray_start"] = round(median(r["run_seconds"] for r in runs), 3)
    return out


def signature_figures(runs: list[dict]) -> dict:
    first = runs[0]
    docs = first["documents"]
    names = list(first["seconds"])
    seconds = {n: median(s for r in runs for s in r["seconds"][n]) for n in names}
    rates = {n: round(docs / s, 1) for n, s in seconds.items()}
    k_raw, k_norm, d_raw, d_pre = names
    return {
        "documents": docs, "chars": first["chars"], "shingles": first["shingles"],
        "repeats": sum(len(r["seconds"][k_raw]) for r in runs),
        "seconds": {n: round(s, 3) for n, s in seconds.items()}, "docs_per_s": rates,
        "ratio": round(rates[k_raw] / rates[d_raw], 2),
        "ratio_excluding_shingle_lists": round(rates[k_norm] / rates[d_pre], 2),
        "ratio_kopile_raw_vs_datasketch_prebuilt": round(rates[k_raw] / rates[d_pre], 2),
    }


def markdown(report: dict) -> str:
    c = report["corpus"]
    lines = [
        "# Near-duplicate removal: kopile minhash_dedup vs datatrove MinHash",
        "",
        f"Written by `benchmarks/bench_dedup.py` on {report['date']} (kopile {report['kopile_code']['git']}, "
        f"datatrove {report['versions'].get('datatrove')}, datasketch {report['versions'].get('datasketch')}); "
        f"{report['machine']['nproc']} cores, {report['machine']['cpu_model']}. Corpus: "
        + ("the BLIND truth set of benchmarks/blind/build_dedup_blind.py (never tuned on), " if report["set"] == "blind"
           else "the development truth set of dedup_truth.py (tuned on), ")
        + f"{c['documents']:,} documents ({c['variants']:,} edited variants), "
        f"{c['text_chars'] / 1e6:.1f} M characters, {c['shards']} Parquet shards. Threshold {THRESHOLD}; "
        f"medians of {report['repeat']} run(s); {report['workers']} workers.",
        "",
        "| setting | wall s | docs/s | process s | peak RSS MB, tree | peak RSS MB, one worker | peak PSS MB | "
        "work MB, peak / after | removed | precision | recall, light | recall, heavy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in report["settings"].values():
        levels = s["recall_by_level"]
        lines.append(f"| {s['setting']} | {s['wall_seconds']:.1f} | {s['docs_per_s']:,.0f} | "
                     f"{s['process_seconds']:.1f} | {s['peak_rss_mb']:,.0f} | {s['peak_worker_rss_mb']:,.0f} | "
                     f"{s['peak_pss_mb']:,.0f} | {s['peak_work_mb']:,.1f} / {s['work_mb_after']:,.1f} | "
                     f"{s['removed']:,} | {fmt(s['precision'])} | {fmt(levels.get('light', {}).get('recall'))} | "
                     f"{fmt(levels.get('heavy', {}).get('recall'))} |")
    if report["set"] == "blind":
        lines += ["", "Removals across families (a document removed as a copy of one it was not edited from) and, "
                  "of them, those touching a template document (hard negatives and template siblings): "
                  + "; ".join(f"{n} {s['removals_across_families']} / {s['template_documents_removed']}"
                              for n, s in report["settings"].items()) + "."]
    lines += ["", f"Input: {next(iter(report['settings'].values()))['input_mb']:.1f} MB of Parquet. Recall: every "
              "edited variant of the level (whatever its Jaccard) whose pair ends with one kept document. Precision: "
              f"removals whose exact character 5-gram Jaccard with the document they name is >= {THRESHOLD}."]
    lines += ["", "wall s: kopile, the stage's `wall_seconds` (run.json; Ray already started); datatrove, its four "
              "executors run one after the other. process s: the whole subprocess, interpreter start, imports and "
              "Ray start included. Memory: the subprocess and all its descendants, RSS polled every 0.1 s, "
              "PSS every 0.5 s.", ""]
    for name, s in report["settings"].items():
        steps = f"; steps {s['step_seconds']}" if "step_seconds" in s else ""
        lines.append(f"- **{name}**: {s['description']}{steps}")
    lines += ["", "| ratio (kopile docs/s over datatrove docs/s) | on wall | on process time | F1 kopile / datatrove |",
              "|---|---:|---:|---:|"]
    for k, r in report["ratios"].items():
        lines.append(f"| {k} | {r['wall']:.2f} | {r['process']:.2f} | {fmt(r['f1'][0])} / {fmt(r['f1'][1])} |")
    g = report.get("signatures")
    lines += [] if g is None else [
        "", f"## Signatures on one core ({g['documents']:,} documents, {g['shingles']:,} char 5-grams, "
        f"{NUM_PERM} permutations, median of {g['repeats']})", "", "| | seconds | docs/s |", "|---|---:|---:|"]
    for n, v in (g or {}).get("docs_per_s", {}).items():
        lines.append(f"| {n} | {g['seconds'][n]:.2f} | {v:,.0f} |")
    if g is not None:
        lines += ["", f"Ratio (target >= 3x): **{g['ratio']:.1f}x** on raw texts; "
                  f"{g['ratio_excluding_shingle_lists']:.1f}x with datasketch given prebuilt encoded shingle lists "
                  "and kopile given normalised texts.", ""]
    for name, t in report["targets"].items():
        lines.append(f"- target {name}: {t['value']} (want {t['want']}): **{'met' if t['met'] else 'not met'}**")
    return "\n".join(lines) + "\n"


def versions() -> dict:
    from kopile.pipeline.jobs.engine import versions as kopile_versions

    return kopile_versions(("datatrove", "datasketch", "xxhash"))


def main(argv=None) -> None:
    split = kopile_split()
    assert split[0] == NUM_PERM, f"the stage's defaults changed ({split}): update NUM_PERM"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("dev", "blind"), default="dev",
                        help="dev: the injected set of dedup_truth.py (tuned on); blind: the set of "
                             "benchmarks/blind/build_dedup_blind.py (never tuned on)")
    parser.add_argument("--blind", type=Path, default=BLIND, help=f"the blind set (default {BLIND.relative_to(ROOT)})")
    parser.add_argument("--docs", type=int, default=DEFAULT_DOCS,
                        help=f"real documents before variants, as in eval_minhash.py (default {DEFAULT_DOCS})")
    parser.add_argument("--share", type=float, default=0.2)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="runs per setting; medians reported (default 3)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--settings", default=",".join(SETTINGS), help=f"any of {','.join(SETTINGS)}")
    parser.add_argument("--no-signatures", action="store_true", help="skip the one-core signature comparison")
    parser.add_argument("--work-dir", type=Path, default=dedup_truth.WORK)
    parser.add_argument("--output", type=Path, help="figures JSON (default benchmarks/results/dedup.json at the "
                                                    "default size, the work dir otherwise)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    name = "dedup.json" if args.set == "dev" else "dedup_blind.json"
    output = args.output or (RESULTS if args.docs == DEFAULT_DOCS else args.work_dir) / name
    names = args.settings.split(",")
    print("building the truth set (cached) ...", flush=True)
    if args.set == "blind":
        shards, truth = dedup_truth.blind(args.blind, args.shards, args.work_dir)
    else:
        shards, truth = dedup_truth.injected(args.docs, args.share, args.shards, args.seed, args.work_dir)
    work = args.work_dir / f"bench-{shards.parent.name}"

    runs: dict[str, list[dict]] = {n: [] for n in names}
    sig_runs = []
    for r in range(args.repeat):
        for name in names:
            print(f"[run {r + 1}/{args.repeat}] {name} ...", flush=True)
            kind = "kopile" if name.startswith("kopile") else "datatrove"
            variant = ("word" if name == "kopile-word" else "char") if kind == "kopile" else name
            runs[name].append(run_child(kind, shards, work / name, [str(args.workers), variant]))
        if not args.no_signatures:
            print(f"[run {r + 1}/{args.repeat}] signatures on one core ...", flush=True)
            sig_runs.append(run_child("signatures", shards, work / "signatures", ["1"]))

    texts = dedup_truth.read_texts(shards)
    docs = truth["documents"]
    settings = {n: setting_figures(n, rs, truth, texts, docs) for n, rs in runs.items()}
    hashes = sorted({r["kopile_source_sha256"] for n, rs in runs.items() for r in rs if "kopile_source_sha256" in r})
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine(), "versions": versions(),
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "set": args.set, "repeat": args.repeat, "workers": args.workers, "threshold": THRESHOLD,
        "kopile_code": {"git": git_revision(), "source_sha256": hashes, "changed_during_benchmark": len(hashes) > 1},
        "corpus": {k: v for k, v in truth.items() if k != "pairs"},
        "settings": settings,
    }
    ratios = {}
    for k, d in (("kopile", "datatrove"), ("kopile", "datatrove-char"), ("kopile-word", "datatrove")):
        if k in settings and d in settings:
            a, b = settings[k], settings[d]
            ratios[f"{k} / {d}"] = {"wall": round(a["docs_per_s"] / b["docs_per_s"], 2),
                                    "process": round(a["docs_per_s_process"] / b["docs_per_s_process"], 2),
                                    "f1": [a["f1"], b["f1"]]}
    report["ratios"] = ratios
    targets = {}
    if "kopile / datatrove" in ratios:
        r = ratios["kopile / datatrove"]
        targets["kopile_vs_datatrove_docs_per_s"] = {"value": r["wall"], "want": ">= 2x at equal or better F1",
                                                     "met": r["wall"] >= 2 and r["f1"][0] >= r["f1"][1],
                                                     "on_process_time": r["process"]}
    if sig_runs:
        report["signatures"] = signature_figures(sig_runs)
        g = report["signatures"]
        targets["signatures_per_core"] = {"value": g["ratio"], "want": ">= 3x", "met": g["ratio"] >= 3,
                                          "excluding_shingle_lists": g["ratio_excluding_shingle_lists"]}
    report["targets"] = targets
    report["benchmark_seconds"] = round(time.perf_counter() - started, 1)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    output.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
    print(f"\n{'setting':<16}{'wall s':>8}{'docs/s':>9}{'proc s':>8}{'RSS MB':>8}{'PSS MB':>8}"
          f"{'P':>7}{'R':>7}{'F1':>7}")
    for s in settings.values():
        print(f"{s['setting']:<16}{s['wall_seconds']:>8.1f}{s['docs_per_s']:>9,.0f}{s['process_seconds']:>8.1f}"
              f"{s['peak_rss_mb']:>8,.0f}{s['peak_pss_mb']:>8,.0f}"
              f"{fmt(s['precision']):>7}{fmt(s['recall']):>7}{fmt(s['f1']):>7}")
    for name, t in targets.items():
        print(f"target {name}: {t['value']} (want {t['want']}) -> {'MET' if t['met'] else 'NOT MET'}")
    print(f"\nfigures: {output}\ntook {report['benchmark_seconds']:.0f} s")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child_main(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    else:
        main()
