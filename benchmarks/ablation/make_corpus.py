"""A raw Korean corpus of web-dump shape, and held-out sets split off it first, for
`kopile ablate benchmarks/ablation/ablate.yaml`.

Real text from `../shared/data`, put into the shape of crawled pages, then the noise a Korean
crawl carries, at stated rates. Held-out documents are chosen before anything else (by a hash
of source and line), never enter the raw corpus, and any raw page that repeats one (the same
text, or a near duplicate: the sources hold natural copies, as NSMC does of short reviews) is
dropped, so that no training variant can hold a held-out document.

Pages (the clean part, by share of its bytes):
- Wikipedia articles of at least 300 characters (kowiki), 30%;
- petitions, 30%;
- review pages: 10 to 30 NSMC reviews of one film, one per line, 15%;
- comment pages: a news title and 10 to 30 of its comments (hate_speech, unlabelled), 15%;
- Q&A pages: 5 to 15 chit-chat question and answer pairs (chatbot), 10%.

Noise (share of the raw corpus's documents, or of its pages where said; sources where a
published figure exists):
- exact copies 10% and near copies 10% (1% of syllables edited, two lines swapped, or a line
  added) of other pages: together within the 14-52% of near duplicates that CopyCat measured
  inside one web crawl (Froebe et al., SIGIR 2021);
- Wikipedia stubs (the title alone): 5% (61% of the kowiki sample is stubs; a crawl holds fewer);
- navigation and footer lines around 30% of the pages, and 3% pages of navigation only;
- gambling, adult and advertising spam: 5%;
- English pages (Python's own documentation, `pydoc_data`): 4%; machine-like pages (tables of
  prices, keyword lists): 3%; jamo and repeated-phrase pages: 2%;
- mojibake (UTF-8 read as cp1252 or Latin-1): 2%;
- personal information (phone numbers, e-mail addresses, accounts, resident numbers) written
  into 5% of the pages.
For the rates without a source no published figure for Korean crawls was found: they are this
project's choice, stated so that a reader can weigh the results.

    python benchmarks/ablation/make_corpus.py            # build/ablation/{raw,heldout}, about 2 minutes
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
SHARES = {"wikipedia": 0.30, "petitions": 0.30, "reviews": 0.15, "comments": 0.15, "chat": 0.10}
NOISE = {"exact_copy": 0.10, "near_copy": 0.10, "stub": 0.05, "nav_only": 0.03, "spam": 0.05, "english": 0.04,
         "machine": 0.03, "jamo_repeat": 0.02, "mojibake": 0.02}
PAGE_NOISE = {"boilerplate": 0.30, "pii": 0.05}
HELDOUT = {"wikipedia": 60, "petitions": 40, "comments": 300, "chat": 300}


def sample_module():
    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "examples" / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lines(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f):
            yield number, json.loads(line)


def held(source: str, number: int, share: float) -> bool:
    return hashlib.blake2b(f"{source}:{number}".encode(), digest_size=8).digest()[0] < 256 * share


def read_sources(rng: random.Random) -> tuple[dict, dict]:
    """Pages per source, and the held-out documents (chosen first, by hash)."""
    pages: dict[str, list[str]] = defaultdict(list)
    heldout: dict[str, list[str]] = defaultdict(list)
    stubs = []
    for number, r in lines(DATA / "kowiki" / "kowiki_sample.jsonl.gz"):
        text = r["text"].strip()
        if len(text) < 300:
            stubs.append(text)
        elif held("kowiki", number, 0.02) and len(heldout["wikipedia"]) < HELDOUT["wikipedia"]:
            heldout["wikipedia"].append(text[:1500])
        else:
            pages["wikipedia"].append(text)
    for number, r in lines(DATA / "petitions" / "petitions.jsonl.gz"):
        text = r["text"].strip()
        if held("petitions", number, 0.03) and len(heldout["petitions"]) < HELDOUT["petitions"]:
            heldout["petitions"].append(text[:1500])
        else:
            pages["petitions"].append(f"{r['title']}\n{text}" if r.get("title") else text)
    films: dict[str, list[str]] = defaultdict(list)
    for number, r in lines(DATA / "nsmc" / "nsmc_raw_reviews.jsonl.gz"):
        if number % 3 == 0 and r["text"].strip():  # a third of NSMC is plenty
            films[r["movie_id"]].append(r["text"].strip())
    for reviews in films.values():
        for i in range(0, len(reviews), 20):
            chunk = reviews[i:i + rng.randint(10, 30)]
            if len(chunk) >= 5:
                pages["reviews"].append("\n".join(chunk))
    news: dict[str, list[str]] = defaultdict(list)
    for number, r in lines(DATA / "hate_speech" / "unlabeled_comments.jsonl.gz"):
        if held("comments", number, 0.02) and len(heldout["comments"]) < HELDOUT["comments"]:
            heldout["comments"].append(r["text"].strip())
        else:
            news[r.get("news_title") or ""].append(r["text"].strip())
    for title, comments in news.items():
        for i in range(0, len(comments), 20):
            pages["comments"].append("\n".join([title, *comments[i:i + rng.randint(10, 30)]]).strip())
    pairs = []
    for number, r in lines(DATA / "chatbot" / "chatbot_data.jsonl.gz"):
        text = f"{r['instruction']}\n{r['output']}"
        if held("chat", number, 0.03) and len(heldout["chat"]) < HELDOUT["chat"]:
            heldout["chat"].append(text)
        else:
            pairs.append(text)
    rng.shuffle(pairs)
    i = 0
    while i < len(pairs):
        n = rng.randint(5, 15)
        pages["chat"].append("\n".join(pairs[i:i + n]))
        i += n
    pages["stub"] = stubs
    return pages, heldout


def english_pages(rng: random.Random, n: int) -> list[str]:
    from pydoc_data.topics import topics

    texts = [t for t in topics.values() if len(t) > 800]
    return [rng.choice(texts)[:4000] for _ in range(n)]


def machine_page(rng: random.Random) -> str:
    items = ["무선 이어폰", "보조배터리", "USB 충전기", "블루투스 스피커", "스마트워치 밴드", "노트북 거치대"]
    if rng.random() < 0.5:
        return "\n".join(f"{rng.choice(items)} | {rng.randint(1, 99)},{rng.randint(100, 999)}원 | 재고 "
                         f"{rng.randint(0, 500)} | 코드 {rng.randint(10000, 99999)}" for _ in range(rng.randint(15, 40)))
    words = ["최저가", "무료배송", "당일발송", "정품", "할인", "특가", "인기", "추천", "신상품", "세일"]
    return "\n".join(" ".join(rng.sample(words, 6)) + f" {rng.choice(items)}" for _ in range(rng.randint(10, 30)))


def build(out: Path, seed: int, megabytes: float) -> dict:
    sample = sample_module()
    rng = random.Random(seed)
    gen = sample.Gen(seed)  # the sample's generators of spam, navigation, near copies, jamo, PII
    pages, heldout = read_sources(rng)
    budget = megabytes * 2**20
    clean: list[dict] = []
    for source, share in SHARES.items():
        pool = pages[source][:]
        rng.shuffle(pool)
        size = 0
        for text in pool:
            if size >= share * budget:
                break
            clean.append({"text": text, "source": source, "noise": "none"})
            size += len(text.encode())
    docs = list(clean)
    n = len(clean) / (1 - sum(NOISE.values()))  # the raw corpus's size in documents
    for doc in docs:
        if rng.random() < PAGE_NOISE["pii"]:
            lines_ = doc["text"].split("\n")
            lines_.insert(rng.randint(0, len(lines_)), sample.pii_sentence(rng))
            doc.update(text="\n".join(lines_), noise="pii")
        if rng.random() < PAGE_NOISE["boilerplate"]:
            top = rng.sample(sample.NAV, rng.randint(1, 3))
            bottom = rng.sample(sample.NAV, rng.randint(2, 4)) + [
                f"Copyright © {rng.randint(2010, 2024)} {rng.choice(sample.COMPANIES)}. All rights reserved."]
            doc.update(text="\n".join([*top, doc["text"], *bottom]),
                       noise="boilerplate" if doc["noise"] == "none" else doc["noise"] + "+boilerplate")
    made = {k: round(v * n) for k, v in NOISE.items()}
    for _ in range(made["exact_copy"]):
        docs.append({**rng.choice(clean), "noise": "exact_copy"})
    for _ in range(made["near_copy"]):
        original = rng.choice(clean)
        docs.append({**gen.near_dup({"text": original["text"], "source": original["source"]}),
                     "source": original["source"], "noise": "near_copy"})
    docs += [{"text": rng.choice(pages["stub"]), "source": "wikipedia", "noise": "stub"} for _ in range(made["stub"])]
    docs += [{"text": gen.nav_only()["text"], "source": "web", "noise": "nav_only"} for _ in range(made["nav_only"])]
    docs += [{"text": gen.spam()["text"], "source": "web", "noise": "spam"} for _ in range(made["spam"])]
    docs += [{"text": t, "source": "web", "noise": "english"} for t in english_pages(rng, made["english"])]
    docs += [{"text": machine_page(rng), "source": "web", "noise": "machine"} for _ in range(made["machine"])]
    docs += [{"text": (gen.jamo() if rng.random() < 0.5 else gen.repetitive())["text"], "source": "web",
              "noise": "jamo_repeat"} for _ in range(made["jamo_repeat"])]
    for _ in range(made["mojibake"]):
        text = rng.choice(clean)["text"][:3000].encode("utf-8")
        bad = sample.sloppy_cp1252(text) if rng.random() < 0.75 else text.decode("latin-1")
        docs.append({"text": bad, "source": "web", "noise": "mojibake"})
    docs = [{"text": d["text"], "source": d["source"], "noise": d["noise"]} for d in docs]
    rng.shuffle(docs)
    raw = out / "raw"
    for folder in (raw, out / "heldout"):
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.parquet"):
            stale.unlink()
    shards = 8
    for k in range(shards):
        part = docs[k::shards]
        pq.write_table(pa.table({"id": [f"raw-{k}-{i}" for i in range(len(part))],
                                 "text": [d["text"] for d in part], "source": [d["source"] for d in part],
                                 "noise": [d["noise"] for d in part]}), raw / f"part-{k:02d}.parquet")
    for name, texts in heldout.items():
        pq.write_table(pa.table({"id": [f"{name}-{i}" for i in range(len(texts))], "text": texts}),
                       out / "heldout" / f"{name}.parquet")
    # Natural copies of held-out documents in the sources leave the raw corpus.
    sys.path.insert(0, str(ROOT))
    from kopile.driver.ablate import find_leaks

    leaks = find_leaks({k: ([], v) for k, v in heldout.items()}, sorted(raw.glob("*.parquet")), "text", "id")
    for path, rows in leaks["rows"].items():
        table = pq.read_table(path)
        drop = set(rows)
        pq.write_table(table.filter(pa.array([i not in drop for i in range(table.num_rows)])), path)
    table = pa.concat_tables([pq.read_table(p) for p in sorted(raw.glob("*.parquet"))])
    counts: dict[str, int] = defaultdict(int)
    size: dict[str, int] = defaultdict(int)
    for noise, text in zip(table.column("noise").to_pylist(), table.column("text").to_pylist()):
        counts[noise] += 1
        size[noise] += len(text.encode())
    summary = {"documents": table.num_rows, "megabytes": round(sum(size.values()) / 2**20, 2),
               "by_noise": {k: {"documents": counts[k], "share": round(counts[k] / table.num_rows, 4),
                                "megabytes": round(size[k] / 2**20, 2)} for k in sorted(counts)},
               "heldout": {k: {"documents": len(v), "kilobytes": round(sum(len(t.encode()) for t in v) / 1024, 1)}
                           for k, v in heldout.items()},
               "dropped_for_repeating_heldout": sum(len(r) for r in leaks["rows"].values()), "seed": seed}
    (out / "corpus.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "ablation")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--megabytes", type=float, default=12.0, help="clean text before noise")
    args = ap.parse_args(argv)
    if not DATA.is_dir():
        print(f"{DATA} is missing: the corpus is built from ../shared/data", file=sys.stderr)
        return 2
    print(json.dumps(build(args.out, args.seed, args.megabytes), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
