"""Training data for the quality classifier, in the DCLM style: reference-quality Korean as
positives, documents of the raw web-shaped corpus as negatives.

- positives: Wikipedia articles of at least 300 characters (kowiki) and pages of chatbot
  answers (the `output` of 10 question-answer pairs, answers only);
- negatives: documents drawn from the ablation's raw corpus (build/ablation/raw), noise and all.
Nothing held out by the ablation is used: the documents `make_corpus.py` may hold out (its
hash says so, whatever its caps took) are skipped, and so are Wikipedia articles whose first
line is a line of the raw corpus (those pages are already in it). The chatbot answers do occur
in the raw corpus's Q&A pages, as the reference text of a crawl would.

    python benchmarks/ablation/make_corpus.py               # first, if build/ablation is absent
    python benchmarks/classifier/make_quality_data.py       # build/classifier/quality/{positive,negative}.parquet
    kopile train-classifier benchmarks/classifier/quality.yaml
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "classifier" / "quality"
WIKI, CHAT_PAGES, NEGATIVES = 4500, 500, 5000


def corpus_module():
    spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "benchmarks" / "ablation" / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def by_hash(items: list[str], salt: str, n: int) -> list[str]:
    return sorted(items, key=lambda t: hashlib.blake2b(f"{salt}:{t}".encode(), digest_size=8).digest())[:n]


def main() -> None:
    mc = corpus_module()
    raw_dir = ROOT / "build" / "ablation" / "raw"
    if not raw_dir.is_dir():
        raise SystemExit("build/ablation/raw is missing: run python benchmarks/ablation/make_corpus.py first")
    raw = pa.concat_tables([pq.read_table(p, columns=["text"]) for p in sorted(raw_dir.glob("*.parquet"))])
    raw_texts = [t for t in raw.column("text").to_pylist() if t]
    raw_lines = {line.strip() for t in raw_texts for line in t.split("\n") if len(line.strip()) > 20}
    wiki = []
    for number, r in mc.lines(mc.DATA / "kowiki" / "kowiki_sample.jsonl.gz"):
        text = r["text"].strip()
        if len(text) < 300 or mc.held("kowiki", number, 0.02):
            continue
        first = text.split("\n", 1)[0].strip()
        if first in raw_lines or text[:200] in raw_lines:
            continue
        wiki.append(text)
    answers = [r["output"].strip() for number, r in mc.lines(mc.DATA / "chatbot" / "chatbot_data.jsonl.gz")
               if not mc.held("chat", number, 0.03) and r["output"].strip()]
    answers = by_hash(answers, "answers", len(answers))
    chat = ["\n".join(answers[i:i + 10]) for i in range(0, len(answers), 10)]
    positives = by_hash(wiki, "wiki", WIKI) + by_hash(chat, "chat", CHAT_PAGES)
    negatives = by_hash(raw_texts, "raw", NEGATIVES)
    OUT.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"text": positives}), OUT / "positive.parquet")
    pq.write_table(pa.table({"text": negatives}), OUT / "negative.parquet")
    summary = {"wikipedia_available": len(wiki), "positives": len(positives), "negatives": len(negatives)}
    (OUT / "data.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(summary)


if __name__ == "__main__":
    main()
