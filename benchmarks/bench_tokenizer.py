"""Tokenizer training and encoding: kopile (HF `tokenizers`) against sentencepiece, same text, one run.

    .venv/bin/python benchmarks/bench_tokenizer.py --repeat 3          # timed: a quiet machine
    .venv/bin/python benchmarks/bench_tokenizer.py --mb 5 --repeat 1   # a check

Training (each in its own subprocess, peak RSS from getrusage, 2 threads where the tool has them):
kopile's default (`sp_bpe`, 32,000, one text per iterator item), the same fed in lists of 1,000
texts (`batches`: fewer calls into Python), with no normalizer (`no-normalizer`: what NFC costs;
all but a few texts are NFC already), with a 600-token vocabulary (`count-only`: the reading, normalising and word
counting of the full run but almost no merges), kopile's `bytelevel_bpe`, sentencepiece BPE and
Unigram (byte fallback, 2 threads).
Encoding on one core (one Rayon thread; sentencepiece `encode` on a list), in batches of 1,000
texts: kopile as `kopile tokenize` encodes (the saved tokenizer, `encode_batch_fast`), and
variants of it: `encode_batch` (character offsets), the Metaspace split at every space (the
earlier tokenizer.json), BPE `ignore_merges`, no normalizer. Each variant's documents whose ids
differ from the earlier configuration's (`encode-kopile-split`) are counted, and the documents
that do not decode back to their text. Then `kopile tokenize` over Parquet shards of the text with
1 and 2 Ray workers. Medians of --repeat runs, interleaved.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_quality import cpu_ticks, git_revision, machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
WORK = ROOT / "build" / "bench" / "tokenizer"
VOCAB = 32000


def build_text(mb: float, work: Path) -> Path:
    """Korean movie reviews (nsmc), one per line, up to `mb` MB of UTF-8: the issue's reference."""
    path = work / f"nsmc-{mb:g}mb.txt"
    if path.is_file():
        return path
    work.mkdir(parents=True, exist_ok=True)
    size = 0
    with gzip.open(DATA / "nsmc" / "nsmc_raw_reviews.jsonl.gz", "rt", encoding="utf-8") as f, \
            open(path.with_suffix(".tmp"), "w", encoding="utf-8") as out:
        for line in f:
            text = " ".join(json.loads(line)["text"].split())
            if text:
                out.write(text + "\n")
                size += len(text.encode("utf-8")) + 1
                if size >= mb * 1e6:
                    break
    os.replace(path.with_suffix(".tmp"), path)
    return path


# --- one measurement per subprocess ----------------------------------------------------------------

def _lines(path: str):
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield line.rstrip("\n")


# Encoding variants: (method, changes to tokenizer.json); `split` is the Metaspace setting.
ENCODINGS = {
    "encode-kopile": ("encode_batch_fast", {}),
    "encode-kopile-offsets": ("encode_batch", {}),
    "encode-kopile-split": ("encode_batch", {"split": True}),
    "encode-kopile-ignore-merges": ("encode_batch_fast", {"ignore_merges": True}),
    "encode-kopile-no-normalizer": ("encode_batch_fast", {"normalizer": None}),
}
REFERENCE = "encode-kopile-split"


def _variant(path: Path, changes: dict):
    from tokenizers import Tokenizer

    data = json.loads(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key == "split":
            pre = data["pre_tokenizer"]
            for step in pre.get("pretokenizers", [pre]):
                if step["type"] == "Metaspace":
                    step["split"] = value
        elif key == "ignore_merges":
            data["model"]["ignore_merges"] = value
        else:
            data[key] = value
    return Tokenizer.from_str(json.dumps(data, ensure_ascii=False))


def _digests(ids: list[list[int]]) -> bytes:
    import zlib

    import numpy as np

    return np.array([zlib.crc32(np.asarray(x, dtype="<u4").tobytes()) for x in ids], dtype="<u4").tobytes()


def _batches(path: str, size: int = 1000):
    batch = []
    for line in _lines(path):
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def child(kind: str, text: str, out: str) -> dict:
    started = time.perf_counter()
    if kind.startswith("kopile"):
        from kopile.tokenizers_train import train as T

        model, vocab = {"kopile": ("sp_bpe", VOCAB), "kopile-count-only": ("sp_bpe", 600),
                        "kopile-batches": ("sp_bpe", VOCAB), "kopile-no-normalizer": ("sp_bpe", VOCAB),
                        "kopile-bytelevel": ("bytelevel_bpe", VOCAB)}[kind]
        if kind in ("kopile-batches", "kopile-no-normalizer"):
            tok, trainer = T.build(model, vocab)
            if kind == "kopile-no-normalizer":
                tok.normalizer = None
            tok.train_from_iterator(_batches(text) if kind == "kopile-batches" else _lines(text), trainer=trainer)
            tok = T.finish(tok, model, "default")
        else:
            tok = T.train(_lines(text), model, vocab)
        T.save(tok, out)
    elif kind.startswith("spm"):
        import sentencepiece as spm

        spm.SentencePieceTrainer.train(input=text, model_prefix=str(Path(out) / "spm"), vocab_size=VOCAB,
                                       model_type=kind.split("-")[1], character_coverage=0.9995,
                                       byte_fallback=True, num_threads=2, input_sentence_size=0,
                                       max_sentence_length=1 << 20, minloglevel=2)
    elif kind in ENCODINGS:
        import unicodedata

        method, changes = ENCODINGS[kind]
        tok = _variant(Path(out) / "tokenizer.json", changes)
        encode = getattr(tok, method)
        lines = list(_lines(text))
        started = time.perf_counter()
        ids = [e.ids for i in range(0, len(lines), 1000) for e in encode(lines[i:i + 1000], add_special_tokens=False)]
        seconds = time.perf_counter() - started
        (Path(out) / f"{kind}.crc").write_bytes(_digests(ids))
        decoded = tok.decode_batch(ids, skip_special_tokens=False)
        return {"seconds": seconds, "tokens": sum(map(len, ids)),
                "round_trip_failures": sum(d != unicodedata.normalize("NFC", t) for d, t in zip(decoded, lines))}
    elif kind == "encode-spm":
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=str(Path(out) / "spm.model"))
        lines = list(_lines(text))
        started = time.perf_counter()
        tokens = sum(len(ids) for i in range(0, len(lines), 1000) for ids in sp.encode(lines[i:i + 1000]))
        return {"seconds": time.perf_counter() - started, "tokens": tokens}
    return {"seconds": time.perf_counter() - started,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


def run_child(kind: str, text: Path, out: Path, threads: int) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RAYON_NUM_THREADS": str(threads), "TOKENIZERS_PARALLELISM": "true"}
    before = cpu_ticks()
    proc = subprocess.run([sys.executable, __file__, "--child", kind, str(text), str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{kind}: {proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    after = cpu_ticks()
    if before and after:
        result["machine_busy"] = round((after[0] - before[0]) / max(1, after[1] - before[1]), 3)
    return result


def run_tokenize(text: Path, tokenizer: Path, work: Path, workers: int) -> dict:
    """`kopile tokenize` over 8 Parquet shards of the text, in a fresh process."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    shards = work / "shards"
    if not shards.is_dir():
        lines = list(_lines(str(text)))
        shards.mkdir(parents=True)
        for s in range(8):
            part = lines[s::8]
            pq.write_table(pa.table({"text": part, "id": [f"r{s}-{i}" for i in range(len(part))]}),
                           shards / f"part-{s}.parquet")
    out = work / f"tokens-{workers}"
    subprocess.run(["rm", "-rf", str(out)], check=True)
    cfg = work / "tokenize.yaml"
    cfg.write_text(f"input: {shards}\ntokenizer: {tokenizer}\noutput: {out}\n")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "kopile.cli", "tokenize", str(cfg), "--num-cpus", str(workers),
                           "--no-progress"], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    meta = json.loads((out / "tokens.json").read_text())
    return {"seconds": meta["wall_seconds"], "command_seconds": time.perf_counter() - started,
            "tokens": meta["totals"]["train"]["tokens"] + meta["totals"]["val"]["tokens"]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=50, help="MB of Korean reviews (default 50)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    text = build_text(args.mb, args.work)
    size = text.stat().st_size / 1e6
    print(f"text: {text} ({size:.1f} MB)", flush=True)
    trainings = ["kopile", "kopile-batches", "kopile-no-normalizer", "kopile-count-only", "kopile-bytelevel",
                 "spm-bpe", "spm-unigram"]
    encodings = [*ENCODINGS, "encode-spm"]
    runs: dict[str, list[dict]] = {k: [] for k in trainings + encodings + ["tokenize-1", "tokenize-2"]}
    for r in range(args.repeat):
        for kind in trainings:
            res = run_child(kind, text, args.work / kind, threads=2)
            runs[kind].append(res)
            print(f"[{r + 1}/{args.repeat}] train {kind}: {res['seconds']:.1f} s, {res['peak_rss_mb']} MB, "
                  f"busy {res.get('machine_busy')}", flush=True)
        for kind in encodings:
            res = run_child(kind, text, args.work / ("spm-bpe" if kind == "encode-spm" else "kopile"), threads=1)
            runs[kind].append(res)
            print(f"[{r + 1}/{args.repeat}] {kind}: {size / res['seconds']:.2f} MB/s, busy {res.get('machine_busy')}",
                  flush=True)
        reference = (args.work / "kopile" / f"{REFERENCE}.crc").read_bytes()
        for kind in ENCODINGS:
            # ids of the same tokenizer in the same repeat: compared by a CRC-32 per document
            digests = (args.work / "kopile" / f"{kind}.crc").read_bytes()
            runs[kind][-1]["documents_differing"] = sum(digests[i:i + 4] != reference[i:i + 4]
                                                        for i in range(0, len(reference), 4))
        for workers in (1, 2):
            res = run_tokenize(text, args.work / "kopile", args.work, workers)
            runs[f"tokenize-{workers}"].append(res)
            print(f"[{r + 1}/{args.repeat}] kopile tokenize, {workers} worker(s): {size / res['seconds']:.2f} MB/s",
                  flush=True)

    med = {k: {m: statistics.median(x[m] for x in v) for m in v[0] if isinstance(v[0][m], (int, float))}
           for k, v in runs.items()}
    train = {k: med[k] for k in trainings}
    encode = {k: {**med[k], "mb_per_s": round(size / med[k]["seconds"], 2),
                  "tokens_per_s": round(med[k]["tokens"] / med[k]["seconds"])}
              for k in (*encodings, "tokenize-1", "tokenize-2")}
    targets = {
        "training_vs_spm_bpe (want <= 1.5)": round(train["kopile"]["seconds"] / train["spm-bpe"]["seconds"], 2),
        "encoding_per_core_vs_spm (want >= 1.0)": round(encode["encode-kopile"]["mb_per_s"] / encode["encode-spm"]["mb_per_s"], 2),
    }
    report = {"date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "kopile_git": git_revision(), "machine": machine(),
              "text": {"path": str(text), "mb": round(size, 1)}, "repeat": args.repeat, "training": train,
              "encoding": encode, "targets": targets, "runs": runs}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tokenizer_speed.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [f"# Tokenizer training and encoding ({size:.1f} MB of Korean reviews, vocabulary {VOCAB:,})", "",
             f"{report['date']}, kopile {report['kopile_git']}, {report['machine']['nproc']} cores; medians of "
             f"{args.repeat}.", "", "| training | seconds | peak RSS MB | machine busy |", "|---|---:|---:|---:|"]
    for k, v in train.items():
        lines.append(f"| {k} | {v['seconds']:.1f} | {v['peak_rss_mb']:.0f} | {v.get('machine_busy', 0):.0%} |")
    lines += ["", f"| encoding | MB/s | tokens/s | documents with ids unlike {REFERENCE} | round-trip failures "
              "| machine busy |", "|---|---:|---:|---:|---:|---:|"]
    for k, v in encode.items():
        differ = f"{v['documents_differing']:.0f}" if "documents_differing" in v else ""
        fails = f"{v['round_trip_failures']:.0f}" if "round_trip_failures" in v else ""
        busy = f"{v['machine_busy']:.0%}" if "machine_busy" in v else ""
        lines.append(f"| {k} | {v['mb_per_s']:.2f} | {v['tokens_per_s']:,} | {differ} | {fails} | {busy} |")
    lines += ["", *(f"- {k}: **{v}**" for k, v in targets.items())]
    (RESULTS / "tokenizer_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
