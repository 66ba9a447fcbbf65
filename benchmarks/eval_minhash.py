"""Precision, recall and F1 of kopile's minhash_dedup stage against exact Jaccard similarity,
on real Korean text: injected near duplicates, and all pairs of a sample of real documents.

    benchmarks/.venv-bench/bin/python benchmarks/eval_minhash.py                 # full size, ~10 min
    benchmarks/.venv-bench/bin/python benchmarks/eval_minhash.py --docs 1000 --sample-docs 1000

(The project venv, .venv/bin/python, runs it too: it needs kopile only.) The truth sets are
built by dedup_truth.py and cached under build/bench/dedup/. For every truth set, shingle kind
(char and word 5-grams) and threshold, the stage runs once over the truth set's shards and its
removals are scored at that threshold; a few other stage settings run at the default threshold on char shingles.
Nothing here is timed: see bench_dedup.py for speed. See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dedup_truth  # noqa: E402
from dedup_truth import ROOT  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_DOCS, DEFAULT_SAMPLE = 7691, 6000  # 4,000 kowiki articles + all petitions; see dedup_truth
TARGET = {"shingle": "char", "recall": 0.95, "precision": 0.99}  # at the stage's default threshold
# Other settings tried at the default threshold on char shingles: the LSH split favouring recall, more
# permutations, and no verification of candidate pairs (datatrove's behaviour).
EXTRA = [
    {"num_perm": 128, "false_positive_weight": 0.5, "false_negative_weight": 0.5},  # kopile's first defaults
    {"num_perm": 128},
    {"false_positive_weight": 0.5, "false_negative_weight": 0.5},
    {"false_positive_weight": 0.1, "false_negative_weight": 0.9},
    {"false_positive_weight": 0.05, "false_negative_weight": 0.95},
    {"false_positive_weight": 0.01, "false_negative_weight": 0.99},
    {"verify": "none"},
]


def stage_defaults() -> dict:
    """The stage's own defaults, read from its parameter signature (not restated here)."""
    from kopile.pipeline.stages.minhash_dedup import MinhashParams

    return {k: v for k, v in MinhashParams().model_dump().items() if v is not None}
LIST_CAP = 300  # missed pairs and wrong removals kept in the JSON per run


def run_stage(shards: Path, out: Path, params: dict, num_cpus: int) -> tuple[dict[str, str], dict]:
    """Run minhash_dedup alone over the shards; returns {removed id: duplicate_of} and its figures."""
    from kopile.pipeline.config import parse_config
    from kopile.pipeline.jobs.executor import RayExecutor
    from kopile.pipeline.jobs.run import Runner

    if out.exists():
        shutil.rmtree(out)  # a run resumes from what it finds
    config = parse_config({"input": str(shards), "output": str(out), "stages": [{"minhash_dedup": params}]},
                          "benchmarks/eval_minhash.py")
    summary = Runner(config, progress=False, log=lambda *a, **k: None).run(RayExecutor(num_cpus=num_cpus))
    stage = summary["stages"][0]
    removed = {}
    for path in sorted((out / stage["dir"] / "removed").glob("*.parquet")):
        t = pq.read_table(path, columns=["id", "duplicate_of"])
        removed.update(zip(t.column("id").to_pylist(), t.column("duplicate_of").to_pylist()))
    return removed, {"wall_seconds": round(stage["wall_seconds"], 2), "rows_in": stage["rows_in"]}


def evaluate(name: str, shards: Path, truth: dict, settings: list[tuple[float, dict]], args, work: Path) -> list[dict]:
    from kopile.pipeline.dedup.minhash import lsh_params

    texts = dedup_truth.read_texts(shards)
    runs = []
    for threshold, params in settings:
        full = {"threshold": threshold, "shingle": "char", **params}
        label = ", ".join(f"{k}={v}" for k, v in full.items())
        print(f"[{name}] {label} ...", flush=True)
        removed, figures = run_stage(shards, work / f"run-{name}", full, args.num_cpus)
        claim_j = dedup_truth.pair_jaccards(list(removed.items()), texts)
        s = dedup_truth.score(removed, truth["pairs"], claim_j, threshold)
        eff = {**stage_defaults(), **full}
        bands, rows = lsh_params(threshold, eff["num_perm"], eff["false_positive_weight"], eff["false_negative_weight"])
        s["missed"], s["wrong_removals"] = s["missed"][:LIST_CAP], s["wrong_removals"][:LIST_CAP]
        runs.append({"truth": name, "params": full, "bands_x_rows": [bands, rows], **figures, **s})
        print(f"    P={fmt(s['precision'])} R={fmt(s['recall'])} F1={fmt(s['f1'])} "
              f"positives={s['positives']} removed={s['removed']} "
              + " ".join(f"{lvl}={v['recall']:.3f}" for lvl, v in s["recall_by_level"].items()), flush=True)
    return runs


def fmt(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def is_default(run: dict) -> bool:
    return set(run["params"]) == {"threshold", "shingle"}


def markdown(report: dict) -> str:
    default = report["target"].get("threshold")
    inj, smp = report["truth_sets"]["injected"], report["truth_sets"]["sample"]
    lines = [
        "# minhash_dedup against exact Jaccard similarity",
        "",
        f"Written by `benchmarks/eval_minhash.py` on {report['date']} (kopile {report['kopile_git']}). "
        "Similarity: Jaccard of character 5-gram sets after the stage's normalisation (NFC, lowercase, "
        "whitespace collapsed). Recall: truth pairs with Jaccard >= the threshold that end with one kept document; "
        "light / heavy: every variant of the level, whatever its Jaccard. "
        "Precision: removals (document, the kept document it names) whose exact Jaccard is >= the threshold.",
        "",
        f"- **injected**: {inj['base_documents']:,} real documents ({inj['base_by_source']['kowiki']:,} kowiki "
        f"articles of >= 200 chars, {inj['base_by_source']['petitions']:,} petitions; "
        f"{inj['exact_duplicates_dropped']} exact duplicates dropped) plus {inj['variants']:,} edited variants "
        f"({', '.join(f'{k} {v}' for k, v in inj['variants_by_kind'].items())}), {inj['documents']:,} documents in "
        f"{inj['shards']} shards ({inj['variant_in_other_shard']:.0%} of variants in another shard than their source). "
        "Truth pairs: (variant, source).",
        f"- **sample**: {smp['documents']:,} real documents ({smp['by_source']['kowiki']:,} kowiki, "
        f"{smp['by_source']['petitions']:,} petitions), no edits; truth pairs: every pair among the "
        f"{smp['all_pairs']:,} with exact Jaccard >= {smp['floor']} ({len(smp['pairs'])} pairs, organic re-posts).",
        "",
        "Stage defaults: " + ", ".join(f"{k} {v}" for k, v in stage_defaults().items()
                                        if k not in ("threshold", "memory_mb")) + "; bands x rows from the threshold.",
        "",
        "| truth set | shingle | threshold | bands x rows | positives | removed | precision | recall | F1 "
        "| recall, light | recall, heavy |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["runs"]:
        if is_default(r):
            lines.append(f"| {r['truth']} | {r['params']['shingle']} 5-gram | {r['threshold']} | "
                         f"{r['bands_x_rows'][0]} x {r['bands_x_rows'][1]} | {r['positives']:,} | {r['removed']:,} | "
                         f"{fmt(r['precision'])} | {fmt(r['recall'])} | {fmt(r['f1'])} | "
                         f"{fmt(r['recall_by_level'].get('light', {}).get('recall'))} | "
                         f"{fmt(r['recall_by_level'].get('heavy', {}).get('recall'))} |")
    t = report["target"]
    lines += ["", f"**Target** (injected, char 5-grams, threshold {t['threshold']}, defaults): "
              f"recall >= {t['want_recall']} and precision >= {t['want_precision']}: "
              f"recall {fmt(t['recall'])}, precision {fmt(t['precision'])}: "
              f"**{'met' if t['met'] else 'not met'}**.", ""]
    lines += ["## Recall per edit kind (injected)", "",
              "| shingle | threshold | " + " | ".join(dedup_truth.KINDS) + " |",
              "|---|---:|" + "---:|" * len(dedup_truth.KINDS)]
    for r in report["runs"]:
        if r["truth"] == "injected" and is_default(r):
            cells = [f"{r['recall_by_kind'][k]['recall']:.3f} ({r['recall_by_kind'][k]['positives']})"
                     if k in r["recall_by_kind"] else "" for k in dedup_truth.KINDS]
            lines.append(f"| {r['params']['shingle']} | {r['threshold']} | " + " | ".join(cells) + " |")
    bands = list(next(r for r in report["runs"] if r["truth"] == "injected")["recall_by_jaccard"])
    lines += ["", "Cells: recall (positive pairs of that kind).", "",
              "## Recall by exact Jaccard of the pair (injected, char 5-grams)", "",
              "| threshold | " + " | ".join(bands) + " |", "|---:|" + "---:|" * len(bands)]
    for r in report["runs"]:
        if r["truth"] == "injected" and is_default(r) and r["params"]["shingle"] == "char":
            cells = [f"{v['recall']:.3f} ({v['positives']})" if v["positives"] else ""
                     for v in r["recall_by_jaccard"].values()]
            lines.append(f"| {r['threshold']} | " + " | ".join(cells) + " |")
    head = report["headline_run"]
    lines += ["", "## Misses and wrong removals of the target setting", "",
              f"Missed pairs by exact Jaccard: {head['missed_jaccard_histogram']}; by kind: {head['missed_by_kind']}.",
              "",
              f"Wrong removals (exact Jaccard with the kept document named below {head['threshold']}) by Jaccard: "
              f"{head['wrong_removal_jaccard_histogram']}.", ""]
    for w in head["wrong_removals"][:15]:
        lines.append(f"- `{w['id']}` removed as a duplicate of `{w['duplicate_of']}`: Jaccard {w['jaccard']}")
    lines += ["", f"## Other stage settings (threshold {default}, char 5-grams)", "",
              "| truth set | setting | bands x rows | removed | precision | recall | F1 |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for r in report["runs"]:
        if r["threshold"] == default and r["params"]["shingle"] == "char":
            extra = {k: v for k, v in r["params"].items() if k not in ("threshold", "shingle", "ngram", "seed")}
            lines.append(f"| {r['truth']} | {', '.join(f'{k} {v}' for k, v in extra.items())} | "
                         f"{r['bands_x_rows'][0]} x {r['bands_x_rows'][1]} | {r['removed']:,} | "
                         f"{fmt(r['precision'])} | {fmt(r['recall'])} | {fmt(r['f1'])} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=DEFAULT_DOCS,
                        help=f"real documents in the injected set before variants (default {DEFAULT_DOCS})")
    parser.add_argument("--share", type=float, default=0.2, help="share of them given a variant (default 0.2)")
    parser.add_argument("--sample-docs", type=int, default=DEFAULT_SAMPLE,
                        help=f"real documents in the all-pairs sample (default {DEFAULT_SAMPLE})")
    parser.add_argument("--thresholds", default="0.6,0.65,0.7,0.75,0.8,0.9")
    parser.add_argument("--shingles", default="char,word")
    parser.add_argument("--no-extra", action="store_true", help="skip the other stage settings at the default threshold")
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0, help="seed of the truth sets (the stage's is 1)")
    parser.add_argument("--num-cpus", type=int, default=2)
    parser.add_argument("--work-dir", type=Path, default=dedup_truth.WORK)
    parser.add_argument("--output", type=Path, help="figures JSON (default benchmarks/results/minhash_eval.json "
                                                    "at the default sizes, the work dir otherwise)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    thresholds = [float(t) for t in args.thresholds.split(",")]
    shingles = args.shingles.split(",")
    full_size = args.docs == DEFAULT_DOCS and args.sample_docs == DEFAULT_SAMPLE
    output = args.output or (RESULTS if full_size else args.work_dir) / "minhash_eval.json"

    print("building the truth sets (cached) ...", flush=True)
    inj_shards, inj = dedup_truth.injected(args.docs, args.share, args.shards, args.seed, args.work_dir)
    smp_shards, smp = dedup_truth.sampled(args.sample_docs, min(thresholds), args.shards, args.seed, args.work_dir)
    settings = [(t, {"shingle": s}) for s in shingles for t in thresholds]
    default = stage_defaults()["threshold"]
    extra = [] if args.no_extra or default not in thresholds else [(default, e) for e in EXTRA]

    from kopile.pipeline.jobs.executor import init_ray

    init_ray(None, args.num_cpus)
    runs = (evaluate("injected", inj_shards, inj, settings + extra, args, args.work_dir)
            + evaluate("sample", smp_shards, smp, settings + extra, args, args.work_dir))

    for r in runs:
        by = {}
        for m in r["missed"]:
            by[m["kind"]] = by.get(m["kind"], 0) + 1
        r["missed_by_kind"] = by
    head = next((r for r in runs if r["truth"] == "injected" and is_default(r) and r["params"]["shingle"] == "char"
                 and r["threshold"] == default), None)
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "kopile_git": git_revision(),
        "truth_sets": {"injected": {k: v for k, v in inj.items() if k != "pairs"},
                       "sample": {**{k: v for k, v in smp.items() if k != "pairs"},
                                  "pairs": [p for p in smp["pairs"] if p["jaccard"] >= min(thresholds)]}},
        "target": {} if head is None else {
            "threshold": default, "want_recall": TARGET["recall"], "want_precision": TARGET["precision"],
            "recall": head["recall"], "precision": head["precision"],
            "met": (head["recall"] or 0) >= TARGET["recall"] and (head["precision"] or 0) >= TARGET["precision"]},
        "headline_run": head,
        "runs": runs,
        "seconds": round(time.perf_counter() - started, 1),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if head is not None:
        output.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
    print(f"\nfigures: {output}" + (f"\ntables: {output.with_suffix('.md')}" if head else "")
          + f"\ntook {report['seconds']:.0f} s")


def git_revision() -> str:
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "filters", "pipeline"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


if __name__ == "__main__":
    main()
