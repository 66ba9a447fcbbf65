"""How often the quality stage's eojeol mode and Kiwi-exact mode agree on keep/drop.

Real Korean text from ../shared/data (Wikipedia with its stubs, petitions, news comments,
movie reviews) goes through the normalize and langid stages, then through the quality stage
once per mode; the script reports the agreement overall and per corpus, the reasons behind
the disagreements, and each mode's throughput, and writes benchmarks/results/quality_modes.json
and quality_modes_disagreements.md.

    python benchmarks/quality_modes.py [--per-corpus 2500] [--seed 0]
"""
from __future__ import annotations

import argparse
import gzip
import json
import platform
import random
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kopile.pipeline.stages import LangIdStage, NormalizeStage, QualityStage  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
CORPORA = {
    "kowiki": "kowiki/kowiki_sample.jsonl.gz",
    "petitions": "petitions/petitions.jsonl.gz",
    "comments": "hate_speech/unlabeled_comments.jsonl.gz",
    "reviews": "nsmc/nsmc_raw_reviews.jsonl.gz",
}


def sample(path: Path, n: int, rng: random.Random) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    return rng.sample(texts, min(n, len(texts)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-corpus", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"{DATA} is absent: this benchmark needs the shared Korean corpora", file=sys.stderr)
        return 2

    rng = random.Random(args.seed)
    texts, corpus = [], []
    for name, rel in CORPORA.items():
        chunk = sample(DATA / rel, args.per_corpus, rng)
        texts += chunk
        corpus += [name] * len(chunk)
    table = pa.table({"id": [str(i) for i in range(len(texts))], "text": texts, "corpus": corpus})
    for stage in (NormalizeStage(), LangIdStage()):
        table, _ = stage(table)
    chars = sum(map(len, table.column("text").to_pylist()))

    decisions, speed = {}, {}
    for mode in ("eojeol", "kiwi"):
        stage = QualityStage(mode=mode)
        stage.setup()
        if mode == "kiwi":
            stage._filters[1].tokenizer.words("워밍업")  # Kiwi loads once per worker; not counted
        started = time.perf_counter()
        kept, removed = stage(table)
        seconds = time.perf_counter() - started
        speed[mode] = {"seconds": round(seconds, 2), "chars_per_s": round(chars / seconds),
                       "docs_per_s": round(table.num_rows / seconds, 1)}
        reason = dict(zip(removed.column("id").to_pylist(), removed.column("reason").to_pylist()))
        decisions[mode] = [reason.get(i) for i in table.column("id").to_pylist()]

    ids = table.column("id").to_pylist()
    by_corpus = table.column("corpus").to_pylist()
    same = [(a is None) == (b is None) for a, b in zip(decisions["eojeol"], decisions["kiwi"])]
    per_corpus = {}
    for name in CORPORA:
        idx = [i for i, c in enumerate(by_corpus) if c == name]
        per_corpus[name] = {"documents": len(idx), "agreement": round(sum(same[i] for i in idx) / len(idx), 4),
                            "kept_eojeol": sum(decisions["eojeol"][i] is None for i in idx),
                            "kept_kiwi": sum(decisions["kiwi"][i] is None for i in idx)}
    pairs = Counter((decisions["eojeol"][i] or "kept", decisions["kiwi"][i] or "kept")
                    for i in range(len(ids)) if not same[i])
    result = {
        "what": "keep/drop agreement of quality mode=eojeol vs mode=kiwi after normalize+langid",
        "machine": {"python": platform.python_version(), "processor": platform.processor() or platform.machine()},
        "seed": args.seed,
        "documents": table.num_rows,
        "characters": chars,
        "agreement": round(sum(same) / len(same), 4),
        "per_corpus": per_corpus,
        "confusion": {f"eojeol_{'keep' if a else 'drop'}__kiwi_{'keep' if b else 'drop'}": n for (a, b), n in
                      sorted(Counter((a is None, b is None) for a, b in zip(decisions["eojeol"],
                                                                            decisions["kiwi"])).items())},
        "disagreements_by_reason": {f"{a} | {b}": n for (a, b), n in pairs.most_common()},
        "speed": speed,
        "kiwi_slowdown": round(speed["kiwi"]["seconds"] / speed["eojeol"]["seconds"], 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "quality_modes.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    lines = ["# Quality modes: where eojeol and Kiwi-exact decide differently", "",
             "eojeol reason | kiwi reason, then the first 300 characters.", ""]
    texts = table.column("text").to_pylist()
    for i in [i for i in range(len(ids)) if not same[i]][:60]:
        lines += [f"## {by_corpus[i]} {ids[i]}: eojeol {decisions['eojeol'][i] or 'kept'} | "
                  f"kiwi {decisions['kiwi'][i] or 'kept'}", "", "> " + texts[i][:300].replace("\n", "\n> "), ""]
    (args.out / "quality_modes_disagreements.md").write_text("\n".join(lines))
    print(json.dumps({k: result[k] for k in ("documents", "agreement", "per_corpus", "speed", "kiwi_slowdown")},
                     indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
