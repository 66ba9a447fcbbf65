"""What `ngram_repetition` takes out of ingested pages: the boilerplate an extractor leaves
(site footers, cookie banners, comment notices repeated on every page of a site) against the
main text it must keep. Runs on the output of bench_ingest.py (run that first).

    .venv/bin/python benchmarks/ingest_boilerplate_spans.py

For each setting, `kopile run` with `ngram_repetition` alone over the 1-worker resiliparse
output, then the extraction-quality figures of bench_ingest.py on what it kept (a removed page
counts as lost). Writes benchmarks/results/ingest_spans.{json,md}.
"""
from __future__ import annotations

import gzip
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_ingest as bi  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "bench" / "ingest"
SETTINGS = {
    "extracted (no span removal)": None,
    "line, keep_first false, min_docs 5": {"unit": "line", "keep_first": False, "min_docs": 5},
    "line, keep_first false, min_docs 20": {"unit": "line", "keep_first": False, "min_docs": 20},
    "line, keep_first true, min_docs 2 (C4-like)": {"unit": "line", "keep_first": True, "min_docs": 2},
}


def main() -> None:
    from kopile.pipeline.config import parse_config
    from kopile.pipeline.jobs.executor import RayExecutor
    from kopile.pipeline.jobs.run import Runner

    with gzip.open(WORK / "corpus" / "truth.jsonl.gz", "rt", encoding="utf-8") as f:
        truth = [json.loads(line) for line in f]
    source = WORK / "runs" / "resiliparse-w1" / "00_ingest" / "kept"
    rows = []
    for label, params in SETTINGS.items():
        if params is None:
            texts = {r["url"]: r["text"] for r in bi.kept_rows(source.parent.parent)}
        else:
            out = WORK / "spans" / label.split(",")[0] / json.dumps(params, sort_keys=True).replace('"', "")
            shutil.rmtree(out, ignore_errors=True)
            config = parse_config({"input": str(source), "output": str(out), "stages": [{"ngram_repetition": params}]})
            Runner(config, progress=False).run(RayExecutor(num_cpus=2))
            texts = {}
            for path in sorted((out / "01_ngram_repetition" / "kept").glob("*.parquet")):
                import pyarrow.parquet as pq

                texts.update(zip(*(pq.read_table(path, columns=["url", "text"]).column(c).to_pylist()
                                   for c in ("url", "text"))))
        items = [(t, bi.page_quality(t, texts.get(t["url"]))) for t in truth]
        for t, q in items:
            q["lost"] = t["url"] not in texts
            q["charset_right"] = True
        s = bi.summarise(items)
        rows.append({"setting": label, **{k: s[k] for k in ("lost", "content_recall", "pages_recall_below_0.9",
                                                            "pages_with_boilerplate_leak", "boilerplate_char_share",
                                                            "leak_by_kind")}})
        print(f"{label}: recall {s['content_recall']:.4f}, boilerplate chars {s['boilerplate_char_share']:.4f}, "
              f"pages leaking {s['pages_with_boilerplate_leak']:.3f}, lost {s['lost']}", flush=True)
    results = ROOT / "benchmarks" / "results"
    (results / "ingest_spans.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
    lines = ["# ngram_repetition on ingested pages (resiliparse output of bench_ingest.py, 3,000 pages)", "",
             "| setting | content recall | pages < 0.9 recall | pages lost | pages leaking boilerplate | "
             "boilerplate share of characters |", "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['setting']} | {r['content_recall']:.1%} | {r['pages_recall_below_0.9']} | {r['lost']} | "
                     f"{r['pages_with_boilerplate_leak']:.1%} | {r['boilerplate_char_share']:.1%} |")
    (results / "ingest_spans.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
