"""Fertility of kopile's default tokenizer (sp_bpe, 32,000) against reference tokenizers of other
models on held-out Korean text, overall and per domain (source). Target: fewer tokens per character
than every reference whose vocabulary is at most twice as large (<= 64,000), on every domain. Also
checked: the encoder `kopile tokenize` uses gives tokenizer.json's ids on every held-out document.

    .venv/bin/python benchmarks/tokenizer_fertility.py                      # full size, a few minutes
    .venv/bin/python benchmarks/tokenizer_fertility.py --docs 200 --train-mb 5   # smoke run
    .venv/bin/python benchmarks/tokenizer_fertility.py --tokenizer DIR      # measure a trained tokenizer

Data: ../shared/data (kowiki, petitions, nsmc, hate_speech, chatbot); reference tokenizers:
../shared/data/tokenizers. Split rule: a record is held out where the 64-bit BLAKE2b hash of its
text is 0 modulo 10, training material otherwise. The rule looks at the text only, so exact
duplicates (re-posted petitions, "굿" reviews) always land on the same side and no held-out text is
also a training text; near duplicates can still straddle the split. The held-out sample draws a
fixed number of documents per source from the held-out side (seeded), Wikipedia articles of at
least 200 characters only, each cut to at most --max-chars characters at a whitespace. The
training sample takes shuffled (seeded) training-side documents of each source until that source's
share of --train-mb is reached (all of a source where it has less).

A full-size run writes benchmarks/results/tokenizer_fertility.{json,md,png}; a smaller one writes
into its work directory, so that quick runs never overwrite the published figures.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import random
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kopile.tokenizers_train import report as R  # noqa: E402
from kopile.tokenizers_train import train as T  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
WORK = ROOT / "build" / "bench" / "tokenizer_fertility"
MB = 1e6
SOURCES = {
    "kowiki": ["kowiki/kowiki_sample.jsonl.gz"],
    "petitions": ["petitions/petitions.jsonl.gz"],
    "nsmc": ["nsmc/nsmc_raw_reviews.jsonl.gz"],
    "hate_speech": ["hate_speech/labeled_train.jsonl.gz", "hate_speech/unlabeled_comments.jsonl.gz"],
    "chatbot": ["chatbot/chatbot_data.jsonl.gz"],   # a question and its answer, a line each
}
HELD_OUT_DOCS = {"kowiki": 600, "petitions": 300, "nsmc": 400, "hate_speech": 400, "chatbot": 300}  # of 2,000
TRAIN_SHARE = {"kowiki": 0.45, "nsmc": 0.25, "petitions": 0.2, "hate_speech": 0.05, "chatbot": 0.05}
MIN_WIKI_CHARS = 200
BOOTSTRAP = 1000
HOLD_OUT_MODULUS = 10


def held_out(text: str) -> bool:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % HOLD_OUT_MODULUS == 0


def read_source(name: str) -> list[str]:
    texts = []
    for rel in SOURCES[name]:
        with gzip.open(DATA / rel, "rt", encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                text = record.get("text") or ("\n".join((record.get("instruction") or "", record.get("output") or ""))
                                              if "instruction" in record else "")
                if not text.strip() or name == "kowiki" and len(text) < MIN_WIKI_CHARS:
                    continue
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:  # a lone surrogate: no tokenizer takes it
                    continue
                texts.append(text)
    return texts


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = max(text.rfind(" ", 0, limit), text.rfind("\n", 0, limit))
    return text[:cut if cut > limit // 2 else limit].rstrip()


def build_samples(n_docs: int, train_mb: float, max_chars: int, seed: int):
    """(held-out texts, their source names, training texts, a description of both)."""
    held, held_src, train, info = [], [], [], {"held_out": {}, "training": {}}
    for name in SOURCES:
        texts = read_source(name)
        pool_held = list(dict.fromkeys(t for t in texts if held_out(t)))
        pool_train = [t for t in texts if not held_out(t)]
        k = min(len(pool_held), round(HELD_OUT_DOCS[name] * n_docs / 2000))
        picked = [truncate(t, max_chars) for t in random.Random(f"{seed}:{name}:held").sample(pool_held, k)]
        held += picked
        held_src += [name] * len(picked)
        info["held_out"][name] = {"docs": len(picked), "pool": len(pool_held), "chars": sum(map(len, picked)),
                                  "bytes": sum(len(t.encode()) for t in picked)}
        random.Random(f"{seed}:{name}:train").shuffle(pool_train)
        budget, taken, size = train_mb * MB * TRAIN_SHARE[name], 0, 0
        for text in pool_train:
            if size >= budget:
                break
            train.append(text)
            taken += 1
            size += len(text.encode())
        info["training"][name] = {"docs": taken, "pool": len(pool_train), "bytes": size}
    return held, held_src, train, info


def versions() -> dict:
    out = {"python": platform.python_version()}
    for dist in ("tokenizers", "sentencepiece", "tiktoken", "kiwipiepy", "transformers"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "tokenizers_train"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        out["kopile"] = head + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        out["kopile"] = "unknown"
    return out


def bootstrap_wins(tokens: dict, kopile: str, src_of, seed: int, n: int = BOOTSTRAP) -> dict[str, float]:
    """Per reference, the share of resamples of the held-out documents (with replacement, within
    each source, so that the mix stays) in which kopile needs fewer tokens: how much a verdict
    depends on the documents drawn."""
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(src_of == s) for s in dict.fromkeys(src_of)]
    draws = [np.concatenate([rng.choice(g, len(g)) for g in groups]) for _ in range(n)]
    ours = np.array([tokens[kopile][d].sum() for d in draws])
    return {name: float(np.mean(ours < np.array([t[d].sum() for d in draws])))
            for name, t in tokens.items() if name != kopile}


def verdicts(rows: list[dict], kopile: str, limit: int, sources: list[str]) -> list[dict]:
    """Per reference: does kopile need fewer tokens per character overall and on every domain,
    as counted (`holds`) and with unknown tokens counted as the bytes they drop (`holds_lossless`)."""
    ours = next(r for r in rows if r["name"] == kopile)
    out = []
    for r in rows:
        if r["name"] == kopile:
            continue
        v = {"name": r["name"], "vocab_size": r.get("vocab_size"),
             "applies": r.get("vocab_size") is not None and r["vocab_size"] <= limit}
        if "error" in r:
            v["holds"] = v["holds_lossless"] = None
        else:
            v["tokens_per_char"] = r["tokens_per_char"]
            v["kopile_relative"] = ours["tokens_per_char"] / r["tokens_per_char"]
            v["by_domain"] = {s: {"relative": ours["by_domain"][s]["tokens_per_char"] / r["by_domain"][s]["tokens_per_char"],
                                  "relative_lossless": ours["by_domain"][s]["tokens_per_char"]
                                  / r["by_domain"][s]["lossless_tokens_per_char"]} for s in sources}
            v["holds"] = all(d["relative"] < 1 for d in v["by_domain"].values()) and v["kopile_relative"] < 1
            v["holds_lossless"] = all(d["relative_lossless"] < 1 for d in v["by_domain"].values())
        out.append(v)
    return out


def notes_md(checks: list[dict], kopile: str, limit: int, sources: list[str], encoder: dict) -> str:
    applicable = [c for c in checks if c["applies"]]
    failed = [c["name"] for c in applicable if c["holds"] is False]
    failed_lossless = [c["name"] for c in applicable if c["holds_lossless"] is False]
    unmeasured = [c["name"] for c in checks if c["holds"] is None]
    verdict = "**met**" if not failed and not unmeasured else "**not met**"
    close = [f"{c['name']} ({100 * c['kopile_fewer_in_bootstrap']:.0f}%)" for c in applicable
             if c["holds"] is not None and 0.05 < c["kopile_fewer_in_bootstrap"] < 0.95]
    lines = [f"## Target: fewer tokens per character than every reference with a vocabulary <= {limit:,}, "
             "on every domain", "",
             f"{verdict} as counted: {kopile} uses fewer tokens per character on every domain than "
             f"{sum(1 for c in applicable if c['holds'])} of the {len(applicable)} references it applies to"
             + (f"; not than {', '.join(failed)}" if failed else "")
             + (f"; not measured: {', '.join(unmeasured)}" if unmeasured else "") + ". "
             + ("With unknown tokens counted as the bytes they drop (what byte fallback costs): "
                + ("fewer than every one." if not failed_lossless else f"not fewer than {', '.join(failed_lossless)}."))
             + (f" Overall too close to call on this sample (kopile fewer in only part of the bootstrap resamples of "
                f"the documents): {', '.join(close)}." if close else ""), "",
             "kopile's tokens per character against each reference, per domain (negative: kopile needs fewer; in "
             "brackets, against the reference's lossless count where that differs):", "",
             "| reference | vocab | overall | " + " | ".join(sources) + " | every domain | every domain, lossless | "
             f"overall fewer in bootstrap resamples ({BOOTSTRAP:,}) |",
             "|---|---:|---:|" + "---:|" * len(sources) + "---|---|---:|"]
    for c in sorted(applicable, key=lambda c: c.get("tokens_per_char") or 9):
        vocab = f"{c['vocab_size']:,}" if c.get("vocab_size") else "–"
        if c["holds"] is None:
            lines.append(f"| {c['name']} | {vocab} | not measured |" + " |" * (len(sources) + 3))
            continue
        cells = []
        for s in sources:
            d = c["by_domain"][s]
            cell = f"{100 * (d['relative'] - 1):+.1f}%"
            if abs(d["relative_lossless"] - d["relative"]) >= 0.0005:
                cell += f" ({100 * (d['relative_lossless'] - 1):+.1f}%)"
            cells.append(f"**{cell}**" if d["relative"] >= 1 else cell)
        lines.append(f"| {c['name']} | {vocab} | {100 * (c['kopile_relative'] - 1):+.1f}% | " + " | ".join(cells)
                     + f" | {'yes' if c['holds'] else '**no**'} | {'yes' if c['holds_lossless'] else '**no**'} | "
                     f"{100 * c['kopile_fewer_in_bootstrap']:.0f}% |")
    lines += ["", "## The encoder `kopile tokenize` uses", "",
              f"Every held-out document encoded by `tokenizers_train.encoder.Encoder` (engine: {encoder['engine']}) "
              f"and by `tokenizers` from tokenizer.json: **{encoder['differing']} of {encoder['documents']:,} "
              f"documents with different ids**; {encoder['round_trip_failures']} documents that do not decode "
              "back to their (NFC) text."]
    return "\n".join(lines)


def encoder_check(tok_dir: Path, texts: list[str]) -> dict:
    import unicodedata

    from tokenizers import Tokenizer

    from kopile.tokenizers_train.encoder import Encoder

    encoder = Encoder(tok_dir)
    tok = Tokenizer.from_file(str(tok_dir / "tokenizer.json"))
    ours = encoder.encode_batch(texts)
    reference = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
    decoded = tok.decode_batch(ours, skip_special_tokens=False)
    return {"engine": encoder.engine, "documents": len(texts), "differing": sum(a != b for a, b in zip(ours, reference)),
            "round_trip_failures": sum(d != unicodedata.normalize("NFC", t) for d, t in zip(decoded, texts))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tokenizer", type=Path, help="a saved kopile tokenizer directory (no training)")
    ap.add_argument("--docs", type=int, default=2000, help="held-out documents (default 2000)")
    ap.add_argument("--train-mb", type=float, default=60, help="training sample size in MB of UTF-8 (default 60)")
    ap.add_argument("--max-chars", type=int, default=2000, help="held-out documents are cut to this (default 2000)")
    ap.add_argument("--vocab-size", type=int, default=32000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--output", type=Path, help="default: benchmarks/results at full size, else --work")
    args = ap.parse_args(argv)
    full = args.docs >= 2000 and (args.tokenizer is not None or args.train_mb >= 50)
    output = args.output or (RESULTS if full else args.work)
    args.work.mkdir(parents=True, exist_ok=True)
    seconds = {}

    start = time.perf_counter()
    held, held_src, train_texts, info = build_samples(args.docs, 0 if args.tokenizer else args.train_mb,
                                                      args.max_chars, args.seed)
    seconds["sampling"] = time.perf_counter() - start
    with gzip.open(args.work / "held_out.jsonl.gz", "wt", encoding="utf-8") as f:
        for text, src in zip(held, held_src):
            f.write(json.dumps({"source": src, "text": text}, ensure_ascii=False) + "\n")
    train_bytes = sum(v["bytes"] for v in info["training"].values())
    print(f"held out: {len(held):,} docs, {sum(map(len, held)):,} chars; "
          f"training sample: {len(train_texts):,} docs, {train_bytes / MB:.1f} MB", flush=True)

    kopile = f"kopile_sp_bpe_{args.vocab_size // 1000}k"
    if args.tokenizer:
        tok_dir = args.tokenizer
        info["training"] = {"tokenizer": str(tok_dir), "note": "given with --tokenizer; not trained here"}
        kopile = tok_dir.name if tok_dir.name.startswith("kopile") else f"kopile_{tok_dir.name}"
    else:
        start = time.perf_counter()
        tok = T.train(train_texts, "sp_bpe", args.vocab_size)
        seconds["training"] = time.perf_counter() - start
        tok_dir = T.save(tok, args.work / kopile)
        print(f"trained {kopile} in {seconds['training']:.0f} s -> {tok_dir}", flush=True)
    del train_texts
    ours = R.load_kopile(tok_dir, kopile)

    tokenizers = {kopile: ours, **R.load_references(DATA / "tokenizers")}
    start = time.perf_counter()
    boundaries = R.morpheme_boundaries(held)
    seconds["kiwi"] = time.perf_counter() - start
    start = time.perf_counter()
    rows = R.measure(tokenizers, held, boundaries, per_text=True)
    seconds["measuring"] = time.perf_counter() - start
    sources = R.by_domain(rows, held, held_src)
    src_of = np.array(held_src)
    tokens = {r["name"]: np.array(r["tokens_per_text"]) for r in rows if "error" not in r}

    limit = 2 * ours.vocab_size
    checks = verdicts(rows, kopile, limit, sources)
    wins = bootstrap_wins(tokens, kopile, src_of, args.seed)
    for c in checks:
        if c["name"] in wins:
            c["kopile_fewer_in_bootstrap"] = wins[c["name"]]
    start = time.perf_counter()
    encoder = encoder_check(tok_dir, held)
    seconds["encoder_check"] = time.perf_counter() - start
    applicable = [c for c in checks if c["applies"]]
    met = all(c["holds"] for c in applicable) and not encoder["differing"]
    h = info["held_out"]
    held_parts = ", ".join(f"{v['docs']} {k}" for k, v in h.items())
    train_parts = ", ".join(f"{k} {v['bytes'] / MB:.1f} MB" for k, v in info["training"].items() if "bytes" in v)
    intro = (
        f"Held-out sample: {len(held):,} documents, {sum(v['chars'] for v in h.values()):,} characters "
        f"({held_parts}), seed {args.seed}; Wikipedia articles of >= "
        f"{MIN_WIKI_CHARS} characters, every document cut to <= {args.max_chars:,} characters at a whitespace. "
        f"Split: a record is held out where the BLAKE2b-64 hash of its text is 0 mod {HOLD_OUT_MODULUS}, so no "
        f"held-out text is a training text (near duplicates may straddle the split). "
        + (f"{kopile}: kopile's default `train()` (sp_bpe, {args.vocab_size:,}, trained by "
           f"{T.resolve_backend('sp_bpe', 'default', 'auto', args.vocab_size)}) on "
           f"{sum(v['docs'] for v in info['training'].values()):,} training-side documents, {train_bytes / MB:.1f} MB "
           f"({train_parts}), in "
           f"{seconds['training']:.0f} s." if "training" in seconds else f"{kopile}: given with --tokenizer.")
        + "\n\nReferences are loaded from their files (SentencePiece, tokenizer.json, Tekken, tiktoken ranks, "
        "WordPiece vocab.txt). Caveats: kopile's tokenizer is trained on the same five sources as the held-out "
        "text, the references on their own corpora; kortok_sp was trained on Korean Wikipedia (likely including "
        "the held-out articles) and KcBERT on Naver news comments. WordPiece turns an out-of-vocabulary word "
        "into one [UNK] and kortok_sp turns every newline into <unk>: both flatter their fertility (see the "
        "unknown-token column, and the lossless column, which counts each unknown token as the UTF-8 bytes of the "
        "text it stands for).\n\n"
        f"Written by `benchmarks/tokenizer_fertility.py` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC "
        f"(kopile {versions()['kopile']}).")
    meta = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "versions": versions(),
            "machine": {"nproc": os.cpu_count(), "platform": platform.platform()},
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "split_rule": f"blake2b-64(text) % {HOLD_OUT_MODULUS} == 0 -> held out", "samples": info,
            "seconds": {k: round(v, 1) for k, v in seconds.items()}, "kopile": kopile,
            "target": {"rule": f"kopile tokens/char < reference tokens/char on every domain for every reference "
                               f"with vocab <= {limit}", "met": met, "checks": checks}, "encoder": encoder}
    paths = R.write_report(rows, output, stem="tokenizer_fertility",
                           title=f"Tokenizer fertility on held-out Korean text: {kopile} and references",
                           intro=intro, notes=notes_md(checks, kopile, limit, sources, encoder), meta=meta,
                           domains=sources, max_vocab=limit)
    print(R.markdown_table(rows, lambda n: n == kopile))
    print(R.domain_table(rows, sources, lambda n: n == kopile, limit))
    print("encoder:", encoder)
    print(f"target {'met' if met else 'NOT met'}; written: {', '.join(str(p) for p in paths.values())}")
    print("seconds:", {k: round(v, 1) for k, v in seconds.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
