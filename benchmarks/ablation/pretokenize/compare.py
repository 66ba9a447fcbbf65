"""Bits per byte of the pre-tokenization ablations against `default`, seed by seed.

    for p in default digits punct; do kopile ablate benchmarks/ablation/pretokenize/$p.yaml; done
    .venv/bin/python benchmarks/ablation/pretokenize/compare.py

Each config trains the same model on the same cleaned corpus for the same number of tokens with
one tokenizer; seed s has the same initial weights in every config. Bits per byte do not depend
on the tokenizer, so the configs compare directly: mean ± std over seeds of the relative change
of each seed's bits per byte against the same seed under `default`. Writes
benchmarks/results/pretokenize_ablation.{json,md}.
"""
from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BUILD = ROOT / "build" / "ablation"
RESULTS = ROOT / "benchmarks" / "results"


def load(policy: str) -> dict | None:
    path = BUILD / f"pretokenize-{policy}" / "results.json"
    return json.loads(path.read_text()) if path.is_file() else None


def per_seed(results: dict) -> dict[int, dict[str, float]]:
    out = {}
    for run in results["runs"].values():
        final = run["final"]
        bpb = {name: v["bpb"] for name, v in final.items()}
        bpb["average"] = statistics.fmean(bpb.values())
        out[run["seed"]] = bpb
    return out


def main() -> int:
    base = load("default")
    if base is None:
        print(f"no {BUILD / 'pretokenize-default' / 'results.json'}: run the ablations first", file=sys.stderr)
        return 1
    base_runs = per_seed(base)
    sets = list(next(iter(base_runs.values())))
    rows, report = [], {}
    for policy in ("default", "digits", "punct"):
        res = load(policy)
        if res is None:
            continue
        runs = per_seed(res)
        seeds = sorted(set(runs) & set(base_runs))
        change = {s: [100 * (runs[k][s] / base_runs[k][s] - 1) for k in seeds] for s in sets}
        mean = {s: statistics.fmean(runs[k][s] for k in seeds) for s in sets}
        tokens_per_byte = sum(v["tokens"] for v in next(iter(res["runs"].values()))["final"].values()) / sum(
            v["bytes"] for v in next(iter(res["runs"].values()))["final"].values())
        report[policy] = {"seeds": seeds, "bpb": mean, "change_percent": change,
                          "heldout_tokens_per_byte": tokens_per_byte}
        cells = [f"{mean[s]:.4f} ({statistics.fmean(change[s]):+.2f}% ± "
                 f"{statistics.stdev(change[s]) if len(seeds) > 1 else 0:.2f})" for s in sets]
        rows.append(f"| {policy} | {tokens_per_byte:.3f} | " + " | ".join(cells) + " |")
    lines = ["# Pre-tokenization by the ablation's bits per byte", "",
             "The default ablation's cleaned corpus, a 4,096-token `sp_bpe` per policy, the `tiny` model, 524,288 "
             f"tokens, seeds {report['default']['seeds']}. Bits per byte (mean over seeds) and, in brackets, the "
             "change against `default` seed by seed (mean ± std; negative is better).", "",
             "| pretokenize | held-out tokens per byte | " + " | ".join(sets) + " |",
             "|---|---:|" + "---:|" * len(sets), *rows, ""]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pretokenize_ablation.json").write_text(json.dumps(report, indent=1) + "\n")
    (RESULTS / "pretokenize_ablation.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
