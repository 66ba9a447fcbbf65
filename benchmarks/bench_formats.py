"""Read-back throughput of every `kopile tokenize` format, each through its own library's reader,
side by side in one run on the same token streams.

    .venv/bin/python benchmarks/bench_tokenizer.py --repeat 1   # first: its shards and tokenizer
    .venv/bin/python benchmarks/bench_formats.py --repeat 3

Input: the 8 Parquet shards of 50 MB of Korean reviews and the 32k tokenizer that
bench_tokenizer.py leaves in build/bench/tokenizer/. `kopile tokenize` writes every format (its
seconds, and the bytes each format takes on disk); then, per format and repeat, in a fresh
process: every training entry read in order and its tokens summed (nanoGPT: the flat file, as its
loop reads it; LitData: blocks of 2,048 tokens through TokensLoader, as litgpt reads it), the sum
checked against tokens.json. Medians of --repeat. MDS and LitData are installed as `make test`
installs them (without torchvision: tests/conftest.py's `without_torchvision`).
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "bench" / "tokenizer"
RESULTS = ROOT / "benchmarks" / "results"
FORMATS = ("kopile", "megatron", "mds", "litdata", "hf", "nanogpt")
READERS = {"kopile": "kopile.tokenizers_train.pack.TokenStream", "megatron": "megatron.core IndexedDataset",
           "mds": "streaming.LocalDataset", "litdata": "litdata.StreamingDataset + TokensLoader",
           "hf": "datasets.load_from_disk", "nanogpt": "numpy.memmap"}
BLOCK = 2048


def _streaming_importable() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import without_torchvision

    without_torchvision()


def read(fmt: str, out: Path) -> dict:
    import numpy as np

    started = time.perf_counter()
    docs = tokens = 0
    if fmt == "kopile":
        from kopile.tokenizers_train.pack import TokenStream

        stream = TokenStream(out, "train")
        for i in range(len(stream)):
            tokens += len(stream.document(i))
            docs += 1
    elif fmt == "megatron":
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from megatron.core.datasets.indexed_dataset import IndexedDataset
        data = IndexedDataset(str(out / "megatron" / "train_text_document"))
        for i in range(len(data)):
            tokens += len(data[i])
            docs += 1
    elif fmt == "mds":
        _streaming_importable()
        from streaming import LocalDataset

        data = LocalDataset(local=str(out / "mds" / "train"))
        for i in range(len(data)):
            tokens += len(data[i]["tokens"])
            docs += 1
    elif fmt == "litdata":
        from litdata import StreamingDataset
        from litdata.streaming.item_loader import TokensLoader

        data = StreamingDataset(str(out / "litdata" / "train"), item_loader=TokensLoader(block_size=BLOCK))
        for i in range(len(data)):
            tokens += len(data[i])
            docs += 1
    elif fmt == "hf":
        import datasets

        data = datasets.load_from_disk(str(out / "hf" / "train")).with_format("numpy")
        for batch in data.iter(batch_size=1000):
            tokens += sum(len(x) for x in batch["input_ids"])
            docs += len(batch["input_ids"])
    else:
        flat = np.memmap(out / "nanogpt" / "train.bin", dtype=np.uint16, mode="r")
        tokens = int(len(flat))
        docs = int(np.count_nonzero(flat == json.loads((out / "tokens.json").read_text())["eos_id"]))
    return {"seconds": time.perf_counter() - started, "documents": docs, "tokens": tokens}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--read", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--tokenize", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.tokenize:
        _streaming_importable()
        from kopile.cli import main as kopile

        return kopile(["tokenize", args.tokenize, "--num-cpus", "2", "--no-progress"])
    if args.read:
        print(json.dumps(read(args.read[0], Path(args.read[1]))))
        return 0
    shards, tokenizer = WORK / "shards", WORK / "kopile"
    if not (shards.is_dir() and (tokenizer / "tokenizer.json").is_file()):
        print(f"run benchmarks/bench_tokenizer.py first: it writes {shards} and {tokenizer}", file=sys.stderr)
        return 1
    out = WORK / "formats"
    subprocess.run(["rm", "-rf", str(out)], check=True)
    cfg = WORK / "formats.yaml"
    cfg.write_text(f"input: {shards}\ntokenizer: {tokenizer}\noutput: {out}\nformats: [{', '.join(FORMATS)}]\n")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--tokenize", str(cfg)], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode:
        print(proc.stderr[-3000:], file=sys.stderr)
        return 1
    packing = time.perf_counter() - started
    # The kopile process plans the split and writes the formats (Ray's packing workers are not its children).
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    meta = json.loads((out / "tokens.json").read_text())
    expected = meta["totals"]["train"]["tokens"]
    size = {"kopile": sum(p.stat().st_size for s in ("train", "val") for p in (out / s).iterdir())}
    for fmt in FORMATS[1:]:
        size[fmt] = sum(p.stat().st_size for p in (out / fmt).rglob("*") if p.is_file())
    runs = {f: [] for f in FORMATS}
    for _ in range(args.repeat):
        for fmt in FORMATS:
            res = subprocess.run([sys.executable, __file__, "--read", fmt, str(out)], cwd=ROOT, capture_output=True,
                                 text=True, check=True)
            r = json.loads(res.stdout.strip().splitlines()[-1])
            # TokensLoader reads whole blocks: what is left is under one block
            if not (r["tokens"] == expected or (fmt == "litdata" and expected - BLOCK < r["tokens"] <= expected)):
                raise SystemExit(f"{fmt}: read {r['tokens']} tokens, tokens.json says {expected}")
            runs[fmt].append(r)
    med = {f: statistics.median(r["seconds"] for r in v) for f, v in runs.items()}
    lines = ["# Token-stream formats: read back by each library's own reader", "",
             f"{time.strftime('%Y-%m-%d %H:%M:%S %z')}; 50 MB of Korean reviews packed by `kopile tokenize` (2 workers, "
             f"all {len(FORMATS)} formats, {packing:.1f} s; peak memory of the kopile process, which plans the split and "
             f"writes the formats: {peak_mb:,.0f} MB); the training split, {expected:,} tokens, "
             f"{meta['totals']['train']['documents']:,} documents; medians of {args.repeat}, each in a fresh process.", "",
             "| format | reader | MB on disk (both splits) | writing, s (both splits) | reading, s | "
             "million tokens/s read | entries read |", "|---|---|---:|---:|---:|---:|---:|"]
    written = {f: sum(s["seconds"] for s in meta["formats"][f].values()) if f != "kopile" else None
               for f in FORMATS}
    for f in FORMATS:
        lines.append(f"| {f} | `{READERS[f]}` | {size[f] / 1e6:.1f} | "
                     f"{'(packing)' if written[f] is None else f'{written[f]:.1f}'} | {med[f]:.2f} | "
                     f"{expected / med[f] / 1e6:.1f} | {runs[f][0]['documents']:,} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "formats.json").write_text(json.dumps({"packing_seconds": packing, "peak_mb": peak_mb, "bytes": size, "runs": runs,
                                                      "median_seconds": med, "tokens": expected}, indent=1) + "\n")
    (RESULTS / "formats.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
