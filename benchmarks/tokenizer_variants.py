"""Which model and pre-tokenization kopile's tokenizer defaults to, by measurement: every
model x pre-tokenization trained on the same sample (default 20 MB of the sources and split of
tokenizer_fertility.py), scored on the same held-out text.

    .venv/bin/python benchmarks/tokenizer_variants.py              # about 10 minutes
    .venv/bin/python benchmarks/tokenizer_variants.py --train-mb 2 --docs 300

Per variant: training seconds (Kiwi marking included for `kiwi`, done in 2 processes as the
stage does on Ray), tokens per character and per eojeol, and the share of split eojeol cut only
at morpheme boundaries. Writes benchmarks/results/tokenizer_variants.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tokenizer_fertility as tf  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = [("sp_bpe", "default"), ("sp_bpe", "punct"), ("sp_bpe", "digits"), ("sp_bpe", "kiwi"),
            ("bytelevel_bpe", "default"), ("bytelevel_bpe", "digits"), ("unigram", "default")]


def _mark(texts: list[str]) -> list[str]:
    from kopile.tokenizers_train.train import kiwi_marked

    return list(kiwi_marked(texts))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train-mb", type=float, default=20)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--vocab-size", type=int, default=32000)
    ap.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--only", nargs="*", help="variants as MODEL/PRETOKENIZE (default: all)")
    args = ap.parse_args(argv)
    from kopile.tokenizers_train import report as R
    from kopile.tokenizers_train import train as T

    held, _, train_texts, info = tf.build_samples(args.docs, args.train_mb, 2000, 0)
    boundaries = R.morpheme_boundaries(held)
    print(f"held-out: {len(held):,} docs; training: {len(train_texts):,} docs", flush=True)
    rows = []
    for model, pre in VARIANTS:
        if args.only and f"{model}/{pre}" not in args.only:
            continue
        started = time.perf_counter()
        texts = train_texts
        if pre == "kiwi":
            half = len(texts) // 2
            with ProcessPoolExecutor(2) as pool:
                texts = [t for part in pool.map(_mark, [texts[:half], texts[half:]]) for t in part]
        marked = time.perf_counter() - started
        tok = T.train(texts, model, args.vocab_size, pre)
        seconds = time.perf_counter() - started
        full = R.fertility(R.encoder_of(tok, f"{model}/{pre}"), held, boundaries)
        rows.append({"model": model, "pretokenize": pre, "train_seconds": round(seconds, 1),
                     "kiwi_marking_seconds": round(marked, 1) if pre == "kiwi" else None, **full})
        print(f"{model:14s} {pre:8s} {seconds:6.1f} s  tok/char {full['tokens_per_char']:.4f}  "
              f"morpheme share {full['morpheme_boundary_share']:.3f}", flush=True)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "tokenizer_variants.json").write_text(json.dumps({"training": info["training"], "rows": rows},
                                                                    indent=1, ensure_ascii=False) + "\n")
    lines = [f"# Tokenizer variants ({args.vocab_size:,} tokens; {args.train_mb:g} MB training sample, "
             f"{len(held):,} held-out documents)", "",
             "| model | pre-tokenization | training s | tokens/char | tokens/eojeol | split eojeol cut at morphemes |",
             "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['pretokenize']} | {r['train_seconds']} | {r['tokens_per_char']:.4f} | "
                     f"{r['tokens_per_eojeol']:.3f} | {r['morpheme_boundary_share']:.1%} |")
    (args.output / "tokenizer_variants.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
