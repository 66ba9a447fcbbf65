"""Ground truth for near-duplicate detection, built from real Korean text.

Two truth sets, both written once as Parquet shards (`id`, `text`, `source`) and reused:

- injected: real documents (Korean Wikipedia articles of at least 200 characters and the
  petitions), exact duplicates removed, plus an edited variant of a random share of them
  (character edits, a swap of adjacent sentences, a footer, a changed date, spacing). Each
  variant records its source and the exact Jaccard similarity of the two.
- sample: real documents only, with the exact Jaccard similarity of every pair of them at or
  above a floor (the organic near duplicates, mostly re-posted petitions).

Similarity is always the Jaccard index of the sets of character 5-grams after the
minhash_dedup stage's normalisation (ExactKey with lowercase and whitespace: NFC, lowercase,
whitespace runs as one space, stripped); a text shorter than 5 characters is one shingle.
Used by eval_minhash.py and bench_dedup.py.
"""
from __future__ import annotations

import gzip
import json
import random
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kopile.filters.dedup import ExactKey

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
KOWIKI = SHARED / "data" / "kowiki" / "kowiki_sample.jsonl.gz"
PETITIONS = SHARED / "data" / "petitions" / "petitions.jsonl.gz"
WORK = ROOT / "build" / "bench" / "dedup"
# Bump when the corpus or the edits change, so that cached shards are rebuilt.
TRUTH_VERSION = 4
NGRAM = 5
MIN_CHARS = 200  # 61% of the kowiki sample is title-only stubs
normalize = ExactKey(lowercase=True, whitespace=True).normalize

JACCARD_BANDS = (0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0001)
KINDS = ("char_1pct", "char_3pct", "char_5pct", "mixed", "swap", "footer", "date", "spacing")
# Light edits change about 1% of the characters or less; heavy ones 3-5% (issue 15's two levels).
HEAVY_KINDS = ("char_3pct", "char_5pct", "mixed")
HANGUL_FIRST, HANGUL_COUNT = 0xAC00, 11172
FOOTERS = [  # written for this benchmark; the kind of lines that sites append to every page
    "이 기사는 무단 전재 및 재배포를 금합니다.",
    "본 게시물의 저작권은 작성자에게 있으며, 출처를 밝히지 않은 복제를 금합니다.",
    "더 많은 소식은 공식 홈페이지와 소셜 미디어 채널에서 확인하실 수 있습니다.",
    "구독과 좋아요, 알림 설정은 큰 힘이 됩니다.",
    "문의: 고객센터 (평일 오전 9시부터 오후 6시까지, 점심시간 제외)",
    "개인정보처리방침 | 이용약관 | 청소년보호정책 | 제휴 문의 | 광고 안내",
    "이 글이 도움이 되셨다면 주변 분들께도 공유해 주세요.",
    "위 내용은 작성 시점의 정보를 바탕으로 하며, 이후 변경될 수 있습니다.",
    "댓글 작성 시 타인에 대한 비방이나 욕설은 삼가 주시기 바랍니다.",
    "[광고] 지금 회원으로 가입하시면 첫 달 이용료를 받지 않습니다.",
    "Copyright ⓒ All rights reserved. 무단 복제 및 배포 금지.",
    "관련 글 더 보기 · 인기 글 · 최신 글 · 맨 위로",
]
DATE = re.compile(r"\d{4}\s*년\s*\d{1,2}\s*월(?:\s*\d{1,2}\s*일)?|\d{1,2}\s*월\s*\d{1,2}\s*일"
                  r"|\d{4}[.\-/]\s?\d{1,2}[.\-/]\s?\d{1,2}")
UNIT_BREAK = re.compile(r"((?<=[.!?])[ \t]+|\n+)")  # after a sentence's end, or a line break


# --- exact shingle sets ---------------------------------------------------------------------------

def shingle_sets(texts: list[str]) -> list[np.ndarray]:
    """Each text's set of character 5-grams (after `normalize`) as sorted integer ids, equal
    exactly when the 5-grams are: a 5-gram is packed losslessly into two 64-bit words (five
    code points of 21 bits each, plus one so that padding is 0), so there are no hash
    collisions. Ids are only comparable within one call."""
    his, los, docs = [], [], []
    for i, text in enumerate(texts):
        cp = np.frombuffer(normalize(text or "").encode("utf-32-le", "surrogatepass"), np.uint32)
        cp = cp.astype(np.uint64) + np.uint64(1)
        if len(cp) == 0:
            continue
        if len(cp) < NGRAM:  # a short text is one shingle, padded with 0
            cp = np.concatenate((cp, np.zeros(NGRAM - len(cp), np.uint64)))
        w = np.lib.stride_tricks.sliding_window_view(cp, NGRAM)
        his.append((w[:, 0] << np.uint64(42)) | (w[:, 1] << np.uint64(21)) | w[:, 2])
        los.append((w[:, 3] << np.uint64(21)) | w[:, 4])
        docs.append(np.full(len(w), i, np.int64))
    out = [np.zeros(0, np.int64) for _ in texts]
    if not his:
        return out
    hi, lo, doc = np.concatenate(his), np.concatenate(los), np.concatenate(docs)
    order = np.lexsort((lo, hi))
    new = np.ones(len(order), bool)
    new[1:] = (hi[order][1:] != hi[order][:-1]) | (lo[order][1:] != lo[order][:-1])
    ids = np.empty(len(order), np.int64)
    ids[order] = np.cumsum(new) - 1
    pairs = np.unique((doc << np.int64(32)) | ids)
    doc_of, id_of = pairs >> np.int64(32), pairs & np.int64(0xFFFFFFFF)
    bounds = np.searchsorted(doc_of, np.arange(len(texts) + 1))
    for i in range(len(texts)):
        out[i] = id_of[bounds[i]:bounds[i + 1]]
    return out


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    inter = len(np.intersect1d(a, b, assume_unique=True))
    union = len(a) + len(b) - inter
    return inter / union if union else 0.0


def pair_jaccards(pairs: list[tuple[str, str]], texts: dict[str, str]) -> dict[tuple[str, str], float]:
    """Exact Jaccard of each (id, id) pair."""
    ids = sorted({i for pair in pairs for i in pair})
    sets = dict(zip(ids, shingle_sets([texts[i] for i in ids])))
    return {(a, b): jaccard(sets[a], sets[b]) for a, b in pairs}


def all_pairs(texts: list[str], floor: float) -> list[tuple[int, int, float]]:
    """Every pair (i < j) with exact Jaccard >= floor. Intersections of one document with all
    others come from one bincount over the postings of its shingles (shingles of a single
    document are skipped: they add to no intersection), so the work is the sum over shingles
    of their document frequency squared, not n^2 set intersections."""
    sets = shingle_sets(texts)
    n = len(sets)
    sizes = np.array([len(s) for s in sets], np.int64)
    tok = np.concatenate(sets) if n else np.zeros(0, np.int64)
    doc = np.repeat(np.arange(n), sizes)
    order = np.argsort(tok, kind="stable")
    tok, doc = tok[order], doc[order]
    vocab, first, df = np.unique(tok, return_index=True, return_counts=True)
    found = []
    for i in range(n):
        where = np.searchsorted(vocab, sets[i])
        shared = df[where] > 1
        starts, lengths = first[where][shared], df[where][shared]
        if not len(starts):
            continue
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        counts = np.bincount(doc[offsets + np.arange(int(lengths.sum()))], minlength=n)[i + 1:]
        js = counts / (sizes[i] + sizes[i + 1:] - counts)
        for j in np.flatnonzero(js >= floor):
            found.append((i, i + 1 + int(j), float(js[j])))
    return found


# --- the corpora ----------------------------------------------------------------------------------

def read_jsonl(path: Path):
    if not path.is_file():
        sys.exit(f"corpus not found: {path}\nThe dedup benchmarks read ../shared/data next to the repository "
                 f"({SHARED}); it is not shipped with kopile.")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def real_documents(n: int, rng: random.Random, petitions_share: float = 0.5) -> list[dict]:
    """n real documents: random petitions (up to `petitions_share` of n, at most all 3,691),
    the rest random kowiki articles of at least MIN_CHARS characters; ids say which corpus."""
    petitions = [{"id": f"p{r['id']}", "text": r["text"], "source": "petitions"} for r in read_jsonl(PETITIONS)]
    wiki = [{"id": f"w{r['id']}", "text": r["text"], "source": "kowiki"} for r in read_jsonl(KOWIKI)
            if len(r["text"]) >= MIN_CHARS]
    n_pet = min(len(petitions), round(n * petitions_share))
    return rng.sample(petitions, n_pet) + rng.sample(wiki, min(len(wiki), n - n_pet))


def exact_dedup(docs: list[dict]) -> tuple[list[dict], int]:
    seen, out, keyer = set(), [], ExactKey()
    for d in docs:
        key = keyer.key(d["text"])
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out, len(docs) - len(out)


# --- the edits ------------------------------------------------------------------------------------

def edit_chars(text: str, rate: float, rng: random.Random) -> tuple[str, str]:
    """Replace or delete (half each) `rate` of the Hangul syllables."""
    hangul = [i for i, ch in enumerate(text) if HANGUL_FIRST <= ord(ch) < HANGUL_FIRST + HANGUL_COUNT]
    if not hangul:
        return "", ""
    k = max(1, round(rate * len(hangul)))
    chars = list(text)
    replaced = 0
    for i in rng.sample(hangul, k):
        if rng.random() < 0.5:
            offset = (ord(chars[i]) - HANGUL_FIRST + rng.randrange(1, HANGUL_COUNT)) % HANGUL_COUNT
            chars[i] = chr(HANGUL_FIRST + offset)  # any other syllable
            replaced += 1
        else:
            chars[i] = ""
    return "".join(chars), f"{replaced} replaced, {k - replaced} deleted of {len(hangul)} syllables"


def swap_units(text: str, rng: random.Random) -> tuple[str, str]:
    """Swap two adjacent sentences or lines (of at least 10 characters each, not equal)."""
    parts = UNIT_BREAK.split(text)  # unit, break, unit, break, ...
    choices = [i for i in range(0, len(parts) - 2, 2)
               if len(parts[i].strip()) >= 10 and len(parts[i + 2].strip()) >= 10 and parts[i] != parts[i + 2]]
    if not choices:
        return "", ""
    i = rng.choice(choices)
    parts[i], parts[i + 2] = parts[i + 2], parts[i]
    kind = "lines" if "\n" in parts[i + 1] else "sentences"
    return "".join(parts), f"{kind} of {len(parts[i])} and {len(parts[i + 2])} chars"


def add_footer(text: str, rng: random.Random) -> tuple[str, str]:
    """Append boilerplate lines making 5-10% of the text's length (cut to that length)."""
    target = max(10, round(len(text) * rng.uniform(0.05, 0.10)))
    lines = []
    while sum(len(x) + 1 for x in lines) < target:
        lines.append(rng.choice(FOOTERS))
    footer = "\n".join(lines)[:target]
    return text.rstrip() + "\n\n" + footer, f"{len(footer)} chars"


def edit_date(text: str, rng: random.Random) -> tuple[str, str]:
    """Remove a short line holding a date, or else change the numbers of one date."""
    matches = list(DATE.finditer(text))
    if not matches:
        return "", ""
    m = rng.choice(matches)
    start = text.rfind("\n", 0, m.start()) + 1
    end = text.find("\n", m.end())
    end = len(text) if end < 0 else end
    if end - start <= 50 and start > 0:  # a date line, not the title line
        return text[:start] + text[end + 1:], "date line removed"
    shift = rng.choice([-3, -2, -1, 1, 2, 3])
    # A year moves by a few years; a month or day number n becomes n % 12 + 1 or n % 28 + 1.
    numbers = iter([12, 28])  # the numbers after a year are a month, then a day
    new = re.sub(r"\d+", lambda d: str(int(d.group(0)) + shift) if len(d.group(0)) == 4
                 else str(int(d.group(0)) % next(numbers) + 1).zfill(len(d.group(0))), m.group(0))
    return text[:m.start()] + new + text[m.end():], f"date changed: {m.group(0)} -> {new}"


def edit_spacing(text: str, rng: random.Random) -> tuple[str, str]:
    """Korean spacing (띄어쓰기) slips: remove some spaces between words, insert some between
    syllables; about 2% of the spaces, at least 3 edits."""
    spaces = [i for i in range(1, len(text) - 1) if text[i] == " " and not text[i - 1].isspace()
              and not text[i + 1].isspace()]
    pairs = [i for i in range(1, len(text)) if all(HANGUL_FIRST <= ord(c) < HANGUL_FIRST + HANGUL_COUNT
                                                   for c in text[i - 1:i + 1])]
    k = max(3, round(0.02 * len(spaces)))
    n_remove = min(len(spaces), rng.randint(0, k))
    n_insert = min(len(pairs), k - n_remove)
    if n_remove + n_insert == 0:
        return "", ""
    removed = set(rng.sample(spaces, n_remove))
    inserted = set(rng.sample(pairs, n_insert))
    out = []
    for i, ch in enumerate(text):
        if i in inserted:
            out.append(" ")
        if i not in removed:
            out.append(ch)
    return "".join(out), f"{n_remove} removed, {n_insert} inserted"


def make_variant(text: str, kind: str, rng: random.Random) -> tuple[str, str]:
    """(variant, what changed); an empty variant where the kind does not apply to the text."""
    if kind == "char_1pct":
        return edit_chars(text, 0.01, rng)
    if kind == "char_3pct":
        return edit_chars(text, 0.03, rng)
    if kind == "char_5pct":
        return edit_chars(text, 0.05, rng)
    if kind == "mixed":  # scattered typos, spacing slips and a footer together
        edited, what = edit_chars(text, 0.015, rng)
        spaced, how = edit_spacing(edited, rng) if edited else ("", "")
        if not spaced:
            return "", ""
        footed, size = add_footer(spaced, rng)
        return footed, f"typos: {what}; spacing: {how}; footer: {size}"
    if kind == "swap":
        return swap_units(text, rng)
    if kind == "footer":
        return add_footer(text, rng)
    if kind == "date":
        return edit_date(text, rng)
    return edit_spacing(text, rng)


# --- building and caching the truth sets ----------------------------------------------------------

def write_shards(docs: list[dict], directory: Path, n_shards: int) -> None:
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("source", pa.string())])
    for s in range(n_shards):
        part = docs[s::n_shards]
        pq.write_table(pa.table({c: [d[c] for d in part] for c in schema.names}, schema=schema),
                       directory / f"part-{s:05d}.parquet", compression="zstd")


def injected(docs: int, share: float = 0.2, n_shards: int = 8, seed: int = 0, work: Path = WORK) -> tuple[Path, dict]:
    """The injected truth set: (shard directory, truth). Variants get the id SOURCE~KIND."""
    where = work / f"injected-{docs}-{share}-{n_shards}shards-seed{seed}"
    marker = where / "truth.json"
    if marker.is_file():
        truth = json.loads(marker.read_text(encoding="utf-8"))
        if truth.get("version") == TRUTH_VERSION:
            return where / "shards", truth
    rng = random.Random(seed)
    base, exact = exact_dedup(real_documents(docs, rng))
    chosen = rng.sample(range(len(base)), round(share * len(base)))
    variants, skipped = [], {k: 0 for k in KINDS}
    for n, i in enumerate(chosen):
        src = base[i]
        planned = KINDS[n % len(KINDS)]
        # A kind that does not apply (no date, one sentence) gives way to another one.
        for kind in [planned] + rng.sample([k for k in KINDS if k != planned], len(KINDS) - 1):
            text, detail = make_variant(src["text"], kind, rng)
            if text and normalize(text) != normalize(src["text"]):
                break
            skipped[kind] += 1
        else:
            continue
        variants.append({"id": f"{src['id']}~{kind}", "text": text, "source": src["source"],
                         "source_id": src["id"], "kind": kind, "detail": detail})
    js = pair_jaccards([(v["id"], v["source_id"]) for v in variants],
                       {**{d["id"]: d["text"] for d in base}, **{v["id"]: v["text"] for v in variants}})
    for v in variants:
        v["jaccard"] = js[(v["id"], v["source_id"])]
    everything = [{k: d[k] for k in ("id", "text", "source")} for d in base + variants]
    rng.shuffle(everything)
    write_shards(everything, where / "shards", n_shards)
    shard_of = {d["id"]: i % n_shards for i, d in enumerate(everything)}
    truth = {
        "version": TRUTH_VERSION, "seed": seed, "shards": n_shards,
        "documents": len(everything), "base_documents": len(base), "exact_duplicates_dropped": exact,
        "base_by_source": {s: sum(1 for d in base if d["source"] == s) for s in ("kowiki", "petitions")},
        "text_chars": sum(len(d["text"]) for d in everything),
        "variants": len(variants), "variants_by_kind": {k: sum(1 for v in variants if v["kind"] == k) for k in KINDS},
        "kind_fell_back": skipped,
        "variant_in_other_shard": round(sum(shard_of[v["id"]] != shard_of[v["source_id"]] for v in variants)
                                        / max(1, len(variants)), 4),
        "pairs": [{k: v[k] for k in ("id", "source_id", "kind", "detail", "jaccard")} for v in variants],
    }
    marker.write_text(json.dumps(truth, ensure_ascii=False, indent=0), encoding="utf-8")
    return where / "shards", truth


def sampled(docs: int, floor: float, n_shards: int = 8, seed: int = 0, work: Path = WORK) -> tuple[Path, dict]:
    """The all-pairs truth set: real documents only, every pair with exact Jaccard >= floor."""
    where = work / f"sample-{docs}-{n_shards}shards-seed{seed}"
    marker = where / "truth.json"
    if marker.is_file():
        truth = json.loads(marker.read_text(encoding="utf-8"))
        if truth.get("version") == TRUTH_VERSION and truth["floor"] <= floor:
            return where / "shards", truth
    rng = random.Random(seed + 1)
    # Organic near duplicates are re-posted petitions, and their pairs grow with the square of
    # the petitions sampled: 1,500 of them hold 8 to 15 pairs at Jaccard >= 0.7 (three seeds), all
    # 3,691 hold 77.
    real = real_documents(docs, rng, petitions_share=0.6)
    rng.shuffle(real)
    write_shards(real, where / "shards", n_shards)
    found = all_pairs([d["text"] for d in real], floor)
    truth = {
        "version": TRUTH_VERSION, "seed": seed, "shards": n_shards, "floor": floor,
        "documents": len(real),
        "by_source": {s: sum(1 for d in real if d["source"] == s) for s in ("kowiki", "petitions")},
        "text_chars": sum(len(d["text"]) for d in real), "all_pairs": len(real) * (len(real) - 1) // 2,
        "pairs": [{"id": real[i]["id"], "source_id": real[j]["id"], "kind": "organic", "jaccard": sim}
                  for i, j, sim in found],
    }
    marker.write_text(json.dumps(truth, ensure_ascii=False, indent=0), encoding="utf-8")
    return where / "shards", truth


def blind(path: Path, n_shards: int = 8, work: Path = WORK) -> tuple[Path, dict]:
    """The blind truth set of benchmarks/blind/build_dedup_blind.py as shards and truth pairs.
    Each variant pairs with its parent; a variant of a variant (the second step of a chain) is
    kind `chain`, out of the light/heavy recall, since the right outcome for it depends on
    what became of its parent."""
    where = work / f"blind-{path.stat().st_size}-{n_shards}shards"
    marker = where / "truth.json"
    if marker.is_file():
        return where / "shards", json.loads(marker.read_text(encoding="utf-8"))
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    role = {r["id"]: r["role"] for r in records}
    pairs = []
    for r in records:
        if r["role"] == "variant" and r["parent"]:
            chained = role.get(r["parent"]) == "variant"
            pairs.append({"id": r["id"], "source_id": r["parent"], "kind": "chain" if chained else r["level"],
                          "level": None if chained else r["level"], "jaccard": r["jaccard_parent"],
                          "edits": r.get("edits")})
    write_shards([{"id": r["id"], "text": r["text"], "source": r["source"]} for r in records], where / "shards",
                 n_shards)
    truth = {"set": "blind", "file": str(path), "shards": n_shards, "documents": len(records),
             "text_chars": sum(len(r["text"]) for r in records),
             "variants": sum(r["role"] == "variant" for r in records),
             "negatives": sum(r["role"] == "negative" for r in records), "pairs": pairs,
             "family_of": {r["id"]: r["family"] for r in records},
             # Documents that share a template with others and are not duplicates of them.
             "template_ids": sorted(r["id"] for r in records if r["role"] == "negative" or r.get("template"))}
    marker.write_text(json.dumps(truth, ensure_ascii=False, indent=0), encoding="utf-8")
    return where / "shards", truth


def across_families(removed: dict[str, str], truth: dict) -> dict:
    """Blind set: removals whose two documents are not of one family (not an original and its
    edits), and those of them that touch a template document (a hard negative, or a template
    sibling in a natural pair): documents removed that are not edits of the one they name."""
    family, templates = truth["family_of"], set(truth["template_ids"])
    across = [(a, b) for a, b in removed.items() if family[a] != family[b]]
    return {"removals_across_families": len(across),
            "template_documents_removed": sum(1 for a, b in across if a in templates or b in templates)}


def read_texts(shards: Path) -> dict[str, str]:
    table = pa.concat_tables(pq.read_table(p, columns=["id", "text"]) for p in sorted(shards.glob("*.parquet")))
    return dict(zip(table.column("id").to_pylist(), table.column("text").to_pylist()))


# --- scoring --------------------------------------------------------------------------------------

def score(removed: dict[str, str], truth_pairs: list[dict], claim_j: dict[tuple[str, str], float],
          threshold: float) -> dict:
    """Precision, recall and F1 of a deduplication's decisions at one threshold.

    `removed` maps each removed document to the kept representative of its cluster. Recall:
    the truth pairs with Jaccard >= threshold whose two documents ended in one cluster.
    Precision: the removals (document, representative) whose exact Jaccard is >= threshold,
    whichever pairs the truth lists (`claim_j` holds those Jaccards).
    """
    cluster = lambda i: removed.get(i, i)  # noqa: E731
    positives = [p for p in truth_pairs if p["jaccard"] >= threshold]
    found = [p for p in positives if cluster(p["id"]) == cluster(p["source_id"])]
    right = sum(1 for pair in removed.items() if claim_j[pair] >= threshold)
    precision = right / len(removed) if removed else None
    recall = len(found) / len(positives) if positives else None
    f1 = (2 * precision * recall / (precision + recall)
          if precision is not None and recall is not None and precision + recall else None)
    kinds = sorted({p["kind"] for p in positives})
    by_kind = {}
    for k in kinds:
        pos = [p for p in positives if p["kind"] == k]
        by_kind[k] = {"positives": len(pos), "recall": round(sum(1 for p in found if p["kind"] == k) / len(pos), 4)}
    # Recall over every variant of a level, whatever its Jaccard: what a user loses.
    by_level = {}
    for level in ("light", "heavy"):
        pairs = [p for p in truth_pairs if level_of(p) == level]
        if pairs:
            hit = sum(1 for p in pairs if cluster(p["id"]) == cluster(p["source_id"]))
            by_level[level] = {"pairs": len(pairs), "recall": round(hit / len(pairs), 4),
                               "median_jaccard": round(float(np.median([p["jaccard"] for p in pairs])), 4)}
    missed = [p for p in positives if cluster(p["id"]) != cluster(p["source_id"])]
    by_jaccard = {}
    for lo, hi in zip(JACCARD_BANDS, JACCARD_BANDS[1:]):
        pos = [p for p in positives if lo <= p["jaccard"] < hi]
        hit = sum(1 for p in pos if cluster(p["id"]) == cluster(p["source_id"]))
        by_jaccard[f"[{lo:g}, {min(hi, 1):g}{']' if hi > 1 else ')'}"] = {
            "positives": len(pos), "recall": round(hit / len(pos), 4) if pos else None}
    wrong = sorted(((a, b, claim_j[(a, b)]) for a, b in removed.items() if claim_j[(a, b)] < threshold),
                   key=lambda x: x[2])
    return {
        "threshold": threshold, "positives": len(positives), "found": len(found), "removed": len(removed),
        "correct_removals": right,
        "precision": None if precision is None else round(precision, 4),
        "recall": None if recall is None else round(recall, 4),
        "f1": None if f1 is None else round(f1, 4),
        "recall_by_kind": by_kind,
        "recall_by_level": by_level,
        "recall_by_jaccard": by_jaccard,
        "missed": [{k: p[k] for k in ("id", "source_id", "kind", "jaccard")} for p in missed],
        "missed_jaccard_histogram": histogram([p["jaccard"] for p in missed]),
        "wrong_removals": [{"id": a, "duplicate_of": b, "jaccard": round(j, 4)} for a, b, j in wrong],
        "wrong_removal_jaccard_histogram": histogram([j for _, _, j in wrong]),
    }


def level_of(pair: dict) -> str | None:
    """light (about 1% of the characters edited, or less) or heavy (3-5%); None for organic pairs."""
    if "level" in pair:
        return pair["level"]
    return ("heavy" if pair["kind"] in HEAVY_KINDS else "light") if pair["kind"] in KINDS else None


def histogram(values: list[float], edges=(0, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0001)) -> dict:
    counts = np.histogram(values, bins=edges)[0] if values else np.zeros(len(edges) - 1, int)
    return {f"[{lo:g}, {min(hi, 1):g}{']' if hi > 1 else ')'}": int(c) for lo, hi, c in zip(edges, edges[1:], counts)}
