"""Tokenizer training and encoding: kopile against sentencepiece, same text, one run.

    .venv/bin/python benchmarks/bench_tokenizer.py --repeat 3          # timed: a quiet machine
    .venv/bin/python benchmarks/bench_tokenizer.py --mb 5 --repeat 1   # a check

Training (each in its own subprocess, peak RSS from getrusage, 2 threads): kopile's default
(`sp_bpe`, 32,000: SentencePiece's trainer, exported to tokenizer.json), the same with
`backend: tokenizers` (Hugging Face's BPE trainer), and sentencepiece BPE itself (byte fallback,
its default normalization and splits).
Encoding on one core (one thread everywhere), in batches of 1,000 texts:
- `encode-kopile`: what `kopile tokenize` encodes with (`tokenizers_train.encoder.Encoder`: the
  SentencePiece model made from tokenizer.json), NFC included;
- `encode-kopile-tokenizers`: the same tokenizer.json through `tokenizers` (`encode_batch_fast`):
  the reference ids;
- `encode-tiktoken`: the other candidate measured before choosing: tiktoken over the same
  vocabulary (ranks from the merges; characters built from their bytes first);
- `encode-spm`: sentencepiece's own model above, `num_threads=1`.
Only the encoder call is timed, batch by batch; each batch's ids are checked and dropped, as packing
does (holding all 598,598 documents' ids made Python's garbage collector a third of the time).
Each kopile encoder's documents whose ids differ from tokenizer.json's are counted (a CRC-32 per
document), and the documents that do not decode back to their text. Then `kopile tokenize` over
Parquet shards of the text with 1 and 2 Ray workers. Medians of --repeat runs, interleaved.
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


REFERENCE = "encode-kopile-tokenizers"
KOPILE_ENCODERS = ("encode-kopile", "encode-kopile-tokenizers", "encode-tiktoken")


def _tiktoken_of(path: Path):
    """tiktoken over kopile's `sp_bpe` vocabulary, and the map of its ranks to kopile's ids. A
    rank is a token's bytes; characters in the vocabulary are built from their bytes before
    any merge (byte prefixes that are no token map back to byte tokens)."""
    import numpy as np
    import tiktoken

    data = json.loads(path.read_text(encoding="utf-8"))
    vocab = data["model"]["vocab"]
    ranks = {bytes([i]): i for i in range(256)}
    ids = {i: vocab[f"<0x{i:02X}>"] for i in range(256)}
    partial = set()
    for ch in sorted((t for t in vocab if len(t) == 1), key=vocab.get):
        b = ch.encode()
        if len(b) == 1:
            ids[b[0]] = vocab[ch]
        for k in range(2, len(b) + 1):
            if b[:k] not in ranks:
                ranks[b[:k]] = len(ranks)
                partial.add(ranks[b[:k]])
            if k == len(b):
                ids[ranks[b]] = vocab[ch]
                partial.discard(ranks[b])
    for m in data["model"]["merges"]:
        left, right = m if isinstance(m, list) else m.split(" ", 1)
        b = (left + right).encode()
        if b not in ranks:
            ranks[b] = len(ranks)
            ids[ranks[b]] = vocab[left + right]
    enc = tiktoken.Encoding("kopile", pat_str=r"▁?[^▁\r\n]+|▁|[\r\n]+", mergeable_ranks=ranks, special_tokens={})
    table = np.full(len(ranks), -1, dtype=np.int64)
    for r, i in ids.items():
        table[r] = i
    is_partial = np.zeros(len(ranks), dtype=bool)
    is_partial[list(partial)] = True
    byte_of = {r: b for b, r in ranks.items()}

    def encode_batch(texts):
        import unicodedata

        out = []
        for text in texts:
            if not unicodedata.is_normalized("NFC", text):
                text = unicodedata.normalize("NFC", text)
            r = np.asarray(enc.encode_ordinary(text.replace(" ", "▁")), dtype=np.int64)
            if is_partial[r].any():
                out.append([x for t in r.tolist() for x in ([vocab[f"<0x{c:02X}>"] for c in byte_of[t]]
                                                            if is_partial[t] else [int(table[t])])])
            else:
                out.append(table[r].tolist())
        return out

    return encode_batch


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


def _timed(encode, text: str, crc: Path | None = None, tok=None) -> dict:
    """Seconds inside `encode` only, batch by batch; each batch's ids are checked (CRC-32 per
    document, decoded against the text) and dropped before the next, as packing does: holding
    every document's ids would make Python's garbage collector, not the encoder, the cost."""
    import unicodedata

    seconds, tokens, failures, digests = 0.0, 0, 0, []
    for batch in _batches(text):
        started = time.perf_counter()
        ids = encode(batch)
        seconds += time.perf_counter() - started
        tokens += sum(map(len, ids))
        if crc is not None:
            digests.append(_digests(ids))
            decoded = tok.decode_batch(ids, skip_special_tokens=False)
            failures += sum(d != unicodedata.normalize("NFC", t) for d, t in zip(decoded, batch))
    if crc is not None:
        crc.write_bytes(b"".join(digests))
        return {"seconds": seconds, "tokens": tokens, "round_trip_failures": failures}
    return {"seconds": seconds, "tokens": tokens}


def child(kind: str, text: str, out: str) -> dict:
    started = time.perf_counter()
    if kind in ("kopile", "kopile-tokenizers"):
        from kopile.tokenizers_train import train as T

        tok = T.train(_lines(text), "sp_bpe", VOCAB, backend="auto" if kind == "kopile" else "tokenizers")
        T.save(tok, out)
    elif kind == "spm-bpe":
        import sentencepiece as spm

        spm.SentencePieceTrainer.train(input=text, model_prefix=str(Path(out) / "spm"), vocab_size=VOCAB,
                                       model_type="bpe", character_coverage=0.9995, byte_fallback=True,
                                       num_threads=2, input_sentence_size=0, max_sentence_length=1 << 20,
                                       minloglevel=2)
    elif kind in KOPILE_ENCODERS:

        from tokenizers import Tokenizer

        path = Path(out) / "tokenizer.json"
        tok = Tokenizer.from_file(str(path))
        engine = kind
        if kind == "encode-kopile":
            from kopile.tokenizers_train.encoder import Encoder

            encoder = Encoder(out)
            encode, engine = encoder.encode_batch, encoder.engine
        elif kind == "encode-tiktoken":
            encode = _tiktoken_of(path)
        else:
            def encode(batch):
                return [e.ids for e in tok.encode_batch_fast(batch, add_special_tokens=False)]
        return _timed(encode, text, Path(out) / f"{kind}.crc", tok) | {"engine": engine}
    elif kind == "encode-spm":
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=str(Path(out) / "spm.model"))
        return _timed(lambda batch: sp.encode(batch, num_threads=1), text)
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
    trainings = ["kopile", "kopile-tokenizers", "spm-bpe"]
    encodings = [*KOPILE_ENCODERS, "encode-spm"]
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
        for kind in KOPILE_ENCODERS:
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
        "training_with_tokenizers_vs_spm_bpe": round(train["kopile-tokenizers"]["seconds"] / train["spm-bpe"]["seconds"], 2),
        "encoding_with_tokenizers_vs_spm": round(encode["encode-kopile-tokenizers"]["mb_per_s"] / encode["encode-spm"]["mb_per_s"], 2),
        "encoding_with_tiktoken_vs_spm": round(encode["encode-tiktoken"]["mb_per_s"] / encode["encode-spm"]["mb_per_s"], 2),
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
    documents = sum(1 for _ in _lines(str(text)))
    lines += ["", f"| encoding | engine | MB/s | tokens/s | documents (of {documents:,}) with ids unlike "
              f"tokenizer.json's ({REFERENCE}) | round-trip failures | machine busy |", "|---|---|---:|---:|---:|---:|---:|"]
    for k, v in encode.items():
        differ = f"{v['documents_differing']:.0f}" if "documents_differing" in v else ""
        fails = f"{v['round_trip_failures']:.0f}" if "round_trip_failures" in v else ""
        busy = f"{v['machine_busy']:.0%}" if "machine_busy" in v else ""
        engine = runs[k][0].get("engine", "sentencepiece" if k == "encode-spm" else "")
        lines.append(f"| {k} | {engine} | {v['mb_per_s']:.2f} | {v['tokens_per_s']:,} | {differ} | {fails} | {busy} |")
    lines += ["", *(f"- {k}: **{v}**" for k, v in targets.items())]
    (RESULTS / "tokenizer_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
