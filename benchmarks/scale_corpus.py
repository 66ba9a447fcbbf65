"""A web-like Korean corpus at k times a base size, for bench_scale.py: the base is real text from
../shared/data (Korean Wikipedia articles and stubs, all petitions, NSMC reviews and news comments
grouped into forum-like pages); each further copy has fresh ids and one to three light edits per
document (2% of each copy verbatim), so exact dedup and near-duplicate dedup both have work that
grows with k. Copies are shuffled together, so no copy sits next to its original.

    .venv/bin/python benchmarks/scale_corpus.py --scale 4 --out build/bench/scale/corpus-4x
    .venv/bin/python benchmarks/scale_corpus.py --check        # scale 2 of a 3 MB base, a few seconds

Writes Parquet shards (`id`, `text`, `source`; zstd) and `corpus.json` beside them. A folder whose
corpus.json has the same parameters is reused. See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
WORK = ROOT / "build" / "bench" / "scale"
MB = 1e6
VERSION = 2  # bump when the output for the same parameters changes, so cached corpora are rebuilt

FILES = {
    "kowiki": DATA / "kowiki" / "kowiki_sample.jsonl.gz",
    "petitions": DATA / "petitions" / "petitions.jsonl.gz",
    "nsmc": DATA / "nsmc" / "nsmc_raw_reviews.jsonl.gz",
    "comments": DATA / "hate_speech" / "unlabeled_comments.jsonl.gz",
}
# The small sources may take up to this share of the base: at 75 MB that is all of them
# (12.8 and 3.5 MB). Wikipedia and the review pages split what is left.
CAPPED = {"petitions": 0.18, "comments": 0.05}
SPLIT = {"kowiki": 0.55, "nsmc": 0.45}
PAGE = (10, 40)  # reviews or comments per page
VERBATIM = 0.02  # share of each copy written unchanged, for exact dedup
BOILERPLATE = [
    "무단 전재 및 재배포 금지",
    "이 글은 모바일에서 작성되었습니다.",
    "공유하기 | 스크랩 | 신고",
    "로그인 후 댓글을 남길 수 있습니다.",
    "Copyright ⓒ All rights reserved.",
    "관련 글 더보기 ▶",
    "출처: 커뮤니티 게시판",
    "목록으로 돌아가기",
]
SENTENCE_END = re.compile(r"(?<=[.!?\n])")
NUMBER = re.compile(r"\d+")


def read_texts(name: str) -> list[tuple[str, str]]:
    """(id, text) of every record of a source, in file order."""
    out = []
    with gzip.open(FILES[name], "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            record = json.loads(line)
            text = record.get("text") or ""
            if text.strip():
                out.append((str(record.get("id", record.get("review_id", i))), text))
    return out


def pages(items: list[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    """Consecutive records joined by newlines, 10-40 at a time. Consecutive reviews are of one
    movie and consecutive comments under one news article, as on a real page."""
    out, i = [], 0
    while i < len(items):
        n = rng.randint(*PAGE)
        out.append((f"p{len(out)}", "\n".join(text for _, text in items[i:i + n])))
        i += n
    return out


def take(items: list[tuple[str, str]], budget: float, rng: random.Random) -> list[tuple[str, str]]:
    """Items drawn at random without replacement until their text reaches `budget` bytes."""
    order = list(range(len(items)))
    rng.shuffle(order)
    out, size = [], 0
    for i in order:
        if size >= budget:
            break
        out.append(items[i])
        size += len(items[i][1].encode("utf-8"))
    return out


def base_documents(base_mb: float, seed: int) -> list[tuple[str, str, str]]:
    """(source, id, text) of the base corpus, in a seeded random order."""
    missing = [str(p) for p in FILES.values() if not p.is_file()]
    if missing:
        sys.exit(f"not found: {', '.join(missing)}\nThis benchmark reads ../shared/data next to the repository "
                 f"({DATA.parent}); it is not shipped with kopile.")
    budget = base_mb * MB
    chosen: dict[str, list[tuple[str, str]]] = {}
    for name, share in CAPPED.items():
        items = read_texts(name)
        if name == "comments":
            items = pages(items, random.Random(f"{seed}/pages/{name}"))
        chosen[name] = take(items, share * budget, random.Random(f"{seed}/take/{name}"))
    rest = budget - sum(len(t.encode("utf-8")) for items in chosen.values() for _, t in items)
    for name, share in SPLIT.items():
        items = read_texts(name)
        if name == "nsmc":
            items = pages(items, random.Random(f"{seed}/pages/{name}"))
        chosen[name] = take(items, share * rest, random.Random(f"{seed}/take/{name}"))
    docs = [(name, doc_id, text) for name, items in chosen.items() for doc_id, text in items]
    size = sum(len(t.encode("utf-8")) for _, _, t in docs)
    if size < 0.95 * budget:
        print(f"warning: the sources hold only {size / MB:.1f} MB for a {base_mb} MB base", file=sys.stderr)
    random.Random(f"{seed}/base").shuffle(docs)
    return docs


# --- edits ----------------------------------------------------------------------------------------

def drop_sentence(text: str, rng: random.Random) -> str | None:
    parts = SENTENCE_END.split(text)
    candidates = [i for i, p in enumerate(parts) if len(p.strip()) >= 2]
    if len(candidates) < 2:  # never leave a document empty
        return None
    del parts[rng.choice(candidates)]
    return "".join(parts)


def duplicate_sentence(text: str, rng: random.Random) -> str | None:
    parts = SENTENCE_END.split(text)
    candidates = [i for i, p in enumerate(parts) if len(p.strip()) >= 2]
    if not candidates:
        return None
    i = rng.choice(candidates)
    copy = parts[i] if parts[i][:1].isspace() else " " + parts[i]
    parts.insert(i + 1, copy)
    return "".join(parts)


def swap_word(text: str, rng: random.Random) -> str | None:
    words = text.split(" ")
    if len(set(words)) < 2:
        return None
    i = rng.randrange(len(words))
    others = [w for w in words if w != words[i] and w.strip()]
    if not others:
        return None
    words[i] = rng.choice(others)
    return " ".join(words)


def change_number(text: str, rng: random.Random) -> str | None:
    found = list(NUMBER.finditer(text))
    if not found:
        return None
    m = rng.choice(found)
    old = int(m.group())
    new = old
    while new == old:
        new = max(0, old + rng.choice([-1, 1]) * rng.randint(1, max(1, old // 10 + 1)))
    return text[:m.start()] + str(new) + text[m.end():]


def add_boilerplate(text: str, rng: random.Random) -> str:
    line = rng.choice(BOILERPLATE)
    return f"{line}\n{text}" if rng.random() < 0.5 else f"{text}\n{line}"


EDITS = {"drop_sentence": drop_sentence, "duplicate_sentence": duplicate_sentence, "swap_word": swap_word,
         "change_number": change_number, "add_boilerplate": add_boilerplate}


def edited(text: str, rng: random.Random, counts: Counter) -> str:
    """One to three edits; an edit that does not apply (no number, one sentence) falls back to a
    boilerplate line, so every edited copy differs from its original."""
    out = text
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(list(EDITS))
        result = EDITS[kind](out, rng)
        if result is None or result == out:
            kind, result = "add_boilerplate", add_boilerplate(out, rng)
        counts[kind] += 1
        out = result
    if out == text:  # two edits that undo each other (a sentence duplicated, then dropped)
        counts["add_boilerplate"] += 1
        out = add_boilerplate(out, rng)
    return out


# --- the corpus -----------------------------------------------------------------------------------

def params(scale: int, base_mb: float, seed: int, shard_mb: float) -> dict:
    return {"version": VERSION, "scale": scale, "base_mb": base_mb, "seed": seed, "shard_mb": shard_mb}


def cached(out: Path, wanted: dict) -> dict | None:
    path = out / "corpus.json"
    if not path.is_file():
        return None
    info = json.loads(path.read_text())
    return info if info.get("params") == wanted else None


def build(scale: int, base_mb: float = 75, out: Path = WORK / "corpus", *, seed: int = 0, shard_mb: float = 32,
          force: bool = False) -> Path:
    """Shards of `scale` copies of a `base_mb` MB base in `out` (reused where `out/corpus.json`
    has the same parameters); returns `out`."""
    if scale < 1:
        raise ValueError("scale must be >= 1")
    out = Path(out)
    wanted = params(scale, base_mb, seed, shard_mb)
    if not force and cached(out, wanted):
        return out
    started = time.perf_counter()
    base = base_documents(base_mb, seed)
    sizes = np.array([len(t.encode("utf-8")) for _, _, t in base], dtype=np.int64)
    n = len(base)
    # Equal shards: an odd last shard would leave a worker idle at the end of every stage,
    # more so at 1x (two or three shards) than at 16x, and bend the scale curve.
    n_shards = max(1, round(scale * int(sizes.sum()) / (shard_mb * MB)))
    per_shard = scale * int(sizes.sum()) / n_shards
    order = np.random.default_rng(seed).permutation(scale * n)

    if out.exists():
        if any(out.iterdir()) and not (out / "corpus.json").is_file():
            sys.exit(f"{out} holds files but no corpus.json: not a corpus of this script, not removed")
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".", dir=out.parent))
    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("source", pa.string())])
    edits, verbatim = Counter(), 0
    columns: dict[str, list[str]] = {"id": [], "text": [], "source": []}
    written, shard, shard_docs = 0, 0, []

    def flush() -> None:
        nonlocal columns, shard
        pq.write_table(pa.table(columns, schema=schema), tmp / f"part-{shard:05d}.parquet", compression="zstd")
        shard_docs.append(len(columns["id"]))
        columns = {"id": [], "text": [], "source": []}
        shard += 1

    for position in order:
        copy, i = divmod(int(position), n)
        source, doc_id, text = base[i]
        if copy == 0:
            new_id = f"{source}-{doc_id}"
        else:
            new_id = f"{source}-{doc_id}-c{copy}"
            rng = random.Random(f"{seed}/edit/{copy}/{i}")
            if rng.random() < VERBATIM:
                verbatim += 1
            else:
                text = edited(text, rng, edits)
        columns["id"].append(new_id)
        columns["text"].append(text)
        columns["source"].append(source)
        written += len(text.encode("utf-8"))
        if shard < n_shards - 1 and written >= per_shard * (shard + 1):
            flush()
    flush()
    sources, base_docs = Counter(), Counter(source for source, _, _ in base)
    for (source, _, _), size in zip(base, sizes):
        sources[source] += int(size)
    info = {
        "params": wanted,
        "documents": scale * n, "text_mb": round(written / MB, 2), "shards": shard,
        "documents_per_shard": shard_docs,
        "base": {"documents": n, "text_mb": round(int(sizes.sum()) / MB, 2),
                 "sources": {s: {"documents": base_docs[s], "text_mb": round(sources[s] / MB, 2)}
                             for s in sorted(sources)}},
        "copies": scale - 1, "verbatim_documents": verbatim, "edited_documents": (scale - 1) * n - verbatim,
        "edits": dict(sorted(edits.items())),
        "notes": ("kowiki: random articles, title-only stubs included; petitions and comments: up to "
                  f"{CAPPED['petitions']:.0%} and {CAPPED['comments']:.0%} of the base; nsmc and comments: pages "
                  f"of {PAGE[0]}-{PAGE[1]} consecutive records joined by newlines; copies: fresh ids, "
                  f"{VERBATIM:.0%} verbatim, the rest with 1-3 edits ({', '.join(EDITS)})"),
        "seconds": round(time.perf_counter() - started, 1),
    }
    (tmp / "corpus.json").write_text(json.dumps(info, indent=1) + "\n")
    tmp.rename(out)  # a build killed half-way leaves a temporary folder, never a corpus that looks done
    return out


def describe(info: dict) -> str:
    b = info["base"]
    lines = [f"{info['documents']:,} documents, {info['text_mb']:,.1f} MB of text, {info['shards']} shards "
             f"(scale {info['params']['scale']} of a {b['text_mb']:.1f} MB base of {b['documents']:,} documents)"]
    for s, v in b["sources"].items():
        lines.append(f"  {s:<10} {v['documents']:>8,} documents {v['text_mb']:>7.1f} MB")
    if info["copies"]:
        lines.append(f"  {info['copies']} copies: {info['edited_documents']:,} edited "
                     f"({', '.join(f'{k} {v:,}' for k, v in info['edits'].items())}), "
                     f"{info['verbatim_documents']:,} verbatim")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="copies of the base (default 1)")
    parser.add_argument("--base-mb", type=float, default=75, help="UTF-8 text of the base, MB (default 75)")
    parser.add_argument("--shard-mb", type=float, default=32, help="text per shard, MB (default 32)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="the shard folder (default build/bench/scale/corpus-...)")
    parser.add_argument("--force", action="store_true", help="build again even where a matching corpus exists")
    parser.add_argument("--check", action="store_true", help="a quick check: scale 2 of a 3 MB base")
    args = parser.parse_args(argv)
    if args.check:
        args.scale, args.base_mb = 2, 3
    out = args.out or WORK / f"corpus-{args.base_mb:g}mb-x{args.scale}-s{args.seed}"
    build(args.scale, args.base_mb, out, seed=args.seed, shard_mb=args.shard_mb, force=args.force)
    info = json.loads((out / "corpus.json").read_text())
    print(describe(info))
    print(f"{out} (built in {info['seconds']} s)")


if __name__ == "__main__":
    main()
