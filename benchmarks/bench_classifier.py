"""The toxicity recipe and the classifiers' scoring speed.

Toxicity: `../shared/data/hate_speech` labelled comments (hate, offensive, none), split once by
a hash of the text into a training part (80%) and a held-out test part (20%). Settings were
chosen on the development split that `kopile train-classifier` takes out of the training part
(`--tune` prints that grid); the test part was read only to report. Compared on it, trained on
the same training part:
- kopile's fastText (`benchmarks/classifier/toxicity.yaml`);
- TF-IDF (character 1-4-grams within word boundaries, and words) + logistic regression,
  scikit-learn, its C chosen on the same development split;
- the `spam_lexicon` rule of the quality stage (a document it removes counts as toxic).
F1 for toxic (hate or offensive) against none, and per class (hate, offensive, none).

Speed: the `classifier` stage's scoring (text preparation and fastText) in MB/s of UTF-8 text
on one core (CPU time), on real long and short documents (Wikipedia, petitions, comments),
median of 3, for both recipes' models. It runs in kopile's own environment (`.venv`, where
`fasttext` is fasttext-predict, as a user has it), not in the benchmark one, whose `fasttext` is
datatrove's full build.

    benchmarks/.venv-bench/bin/python benchmarks/bench_classifier.py            # ~2 min
    benchmarks/.venv-bench/bin/python benchmarks/bench_classifier.py --tune     # the development grid
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
BUILD = ROOT / "build" / "classifier"
RESULTS = ROOT / "benchmarks" / "results"
RECIPE = ROOT / "benchmarks" / "classifier" / "toxicity.yaml"
# Written from a description of Korean hate and offence by someone who had not read this code
# (benchmarks/blind/toxicity_set.py); text of several sites, with hard negatives.
BLIND = ROOT / "build" / "bench" / "classifier" / "toxicity_blind.jsonl"
CLASSES = ["hate", "offensive", "none"]


def read_jsonl(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def is_test(text: str) -> bool:
    return hashlib.blake2b(f"toxicity-test:{text}".encode(), digest_size=8).digest()[0] < 256 * 0.2


def wiki_bucket(number: int) -> int:
    """Wikipedia articles by a hash of their line: 0 gives clean training lines, 1 held-out pages."""
    return hashlib.blake2b(f"toxicity-wiki:{number}".encode(), digest_size=8).digest()[0] % 8


def clean_text() -> list[dict]:
    """Clean text outside the comments' domain, labelled none: lines of Wikipedia articles (20 to
    300 characters) and chatbot answers. Trained on comments alone, the model calls most long
    formal text toxic (91% of Wikipedia articles, 74% of petitions at 0.5): the comments' `none`
    is short chatter, and a page is nothing like it."""
    lines = []
    for number, r in enumerate(read_jsonl(DATA / "kowiki" / "kowiki_sample.jsonl.gz")):
        if wiki_bucket(number) == 0 and len(r["text"]) >= 300:
            lines += [line.strip() for line in r["text"].split("\n") if 20 <= len(line.strip()) <= 300]
    lines = sorted(lines, key=lambda t: hashlib.blake2b(t.encode(), digest_size=8).digest())[:3000]
    answers = [r["output"].strip() for r in read_jsonl(DATA / "chatbot" / "chatbot_data.jsonl.gz") if r["output"].strip()]
    answers = sorted(answers, key=lambda t: hashlib.blake2b(t.encode(), digest_size=8).digest())[:1000]
    return [{"text": t, "hate": "none"} for t in lines + answers]


def make_split() -> tuple[list[dict], list[dict]]:
    """build/classifier/toxicity/{train,test,clean}.jsonl.gz; a comment is on one side only."""
    rows = read_jsonl(DATA / "hate_speech" / "labeled_train.jsonl.gz")
    train = [r for r in rows if not is_test(r["text"])]
    test = [r for r in rows if is_test(r["text"])]
    clean = clean_text()
    out = BUILD / "toxicity"
    out.mkdir(parents=True, exist_ok=True)
    for name, part in (("train", train), ("test", test), ("clean", clean)):
        with gzip.open(out / f"{name}.jsonl.gz", "wt", encoding="utf-8") as f:
            for r in part:
                f.write(json.dumps({"text": r["text"], "hate": r["hate"]}, ensure_ascii=False) + "\n")
    return train + clean, test


def scores_of(predicted_class: list[str], truth_class: list[str]) -> dict:
    """Toxic (hate or offensive) against none, per class, and macro F1 over the three."""
    from kopile.pipeline.classifier_train import precision_recall_f1 as prf

    pred, truth = np.array(predicted_class), np.array(truth_class)
    out = {"toxic": prf(pred != "none", truth != "none")}
    for c in CLASSES:
        out[c] = prf(pred == c, truth == c)
    out["macro_f1"] = round(float(np.mean([out[c]["f1"] for c in CLASSES])), 4)
    return out


def train_kopile(config: Path, out: Path, overrides: dict | None = None) -> dict:
    import yaml

    from kopile.pipeline.classifier_train import ClassifierConfig, train_classifier

    data = yaml.safe_load(config.read_text())
    for source in data["sources"]:
        source["path"] = str(ROOT / source["path"])
    data["output"] = str(out)
    for key, value in (overrides or {}).items():
        section, _, name = key.partition(".")
        data.setdefault(section, {})[name] = value
    return train_classifier(ClassifierConfig.model_validate(data))


def kopile_predict(model_dir: Path, texts: list[str]) -> list[str]:
    from kopile.filters.classifier import FastTextScorer, Preprocess

    card = json.loads((model_dir / "model_card.json").read_text())
    scorer = FastTextScorer(model_dir / "model.bin", Preprocess(**card["preprocess"]))
    out = []
    for t in texts:
        p = scorer.probabilities(t)
        out.append(max(p, key=p.get))
    return out


def tfidf_fit(train: list[dict], c: float):
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, min_df=2)
    words = TfidfVectorizer(analyzer="word", token_pattern=r"\S+", sublinear_tf=True, min_df=1)
    texts = [r["text"] for r in train]
    x = hstack([chars.fit_transform(texts), words.fit_transform(texts)]).tocsr()
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(x, [r["hate"] for r in train])

    def predict(rows):
        t = [r["text"] for r in rows]
        return list(model.predict(hstack([chars.transform(t), words.transform(t)]).tocsr()))
    return predict


def dev_split(train: list[dict]) -> tuple[list[dict], list[dict]]:
    """The development split train-classifier makes of the training part (same hash, seed 0)."""
    from kopile.pipeline.classifier_train import split

    tr, dev = split([(r["hate"], r["text"]) for r in train], 0.1, 0)
    return [{"text": t, "hate": label} for label, t in tr], [{"text": t, "hate": label} for label, t in dev]


def blind(model_dir: Path, tfidf) -> dict | None:
    """Both classifiers on the blind set: the test table's figures, and toxic-or-not accuracy per form."""
    if not BLIND.is_file():
        return None
    rows = [json.loads(line) for line in BLIND.read_text(encoding="utf-8").splitlines() if line.strip()]
    for r in rows:
        r["hate"] = r["label"]
    truth = [r["hate"] for r in rows]
    out = {"documents": len(rows)}
    for name, predicted in (("kopile_fasttext", kopile_predict(model_dir, [r["text"] for r in rows])),
                            ("tfidf", tfidf(rows))):
        forms: dict[str, list[bool]] = {}
        for r, p in zip(rows, predicted):
            forms.setdefault(f"{r['label']}/{r['form']}", []).append((p != "none") == (r["hate"] != "none"))
        out[name] = {**scores_of(predicted, truth),
                     "toxic_or_not_correct_by_form": {k: round(sum(v) / len(v), 3) for k, v in sorted(forms.items())}}
    return out


def clean_pages() -> dict[str, list[dict]]:
    """Held-out clean pages, never trained on: Wikipedia articles of another hash bucket than
    the training lines, and petitions (angry at times, hardly hate speech as a whole)."""
    wiki = [{"text": r["text"], "hate": "none"} for number, r in
            enumerate(read_jsonl(DATA / "kowiki" / "kowiki_sample.jsonl.gz"))
            if wiki_bucket(number) == 1 and len(r["text"]) >= 300][:1000]
    petitions = [{"text": r["text"], "hate": "none"} for r in read_jsonl(DATA / "petitions" / "petitions.jsonl.gz")][:1000]
    return {"wikipedia": wiki, "petitions": petitions}


def spam_rule(rows: list[dict]) -> list[str]:
    from kopile.filters.quality import SpamLexiconFilter

    f = SpamLexiconFilter()
    return ["hate" if not f.keep(f.score(r["text"]))[0] else "none" for r in rows]


def tune(train: list[dict]) -> None:
    """Settings against the development split only."""
    tr, dev = dev_split(train)
    truth = [r["hate"] for r in dev]
    grid = []
    for epoch in (5, 15, 25):
        for lr in (0.1, 0.3, 0.5):
            for ngrams in ((0, 0), (1, 3), (2, 4)):
                for word_ngrams in (1, 2):
                    grid.append({"model.epoch": epoch, "model.lr": lr, "model.minn": ngrams[0],
                                 "model.maxn": ngrams[1], "model.word_ngrams": word_ngrams})
    for split_punct in (True, False):
        grid.append({"model.epoch": 15, "model.lr": 0.3, "model.minn": 1, "model.maxn": 3,
                     "model.word_ngrams": 2, "preprocess.split_punct": split_punct})
    for g in grid:
        card = train_kopile(RECIPE, BUILD / "tune", g)
        v = card["validation"]
        print(json.dumps({**g, "dev_toxic_f1": v["binary"]["f1"], "dev_macro_f1": v["macro_f1"]}), flush=True)
    for c in (0.5, 1, 2, 4, 8):
        pred = tfidf_fit(tr, c)(dev)
        s = scores_of(pred, truth)
        print(json.dumps({"tfidf_C": c, "dev_toxic_f1": s["toxic"]["f1"], "dev_macro_f1": s["macro_f1"]}), flush=True)


def speed_in_kopile_env() -> dict:
    python = ROOT / ".venv" / "bin" / "python"
    models = {"toxicity": BUILD / "toxicity" / "model", "quality": BUILD / "quality" / "model"}
    models = {k: v for k, v in models.items() if (v / "model.bin").is_file()}
    if not python.is_file():
        return {name: speed(path) for name, path in models.items()}
    done = subprocess.run([str(python), __file__, "--speed", json.dumps({k: str(v) for k, v in models.items()})],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def speed(model_dir: Path, repeats: int = 3) -> dict:
    """MB/s of UTF-8 text through the stage's scoring, one core, per corpus."""
    from kopile.filters.classifier import FastTextScorer, Preprocess

    card = json.loads((model_dir / "model_card.json").read_text())
    corpora = {
        "wikipedia": [r["text"] for r in read_jsonl(DATA / "kowiki" / "kowiki_sample.jsonl.gz")[:20000]
                      if len(r["text"]) > 300][:2000],
        "petitions": [r["text"] for r in read_jsonl(DATA / "petitions" / "petitions.jsonl.gz")][:2000],
        "comments": [r["text"] for r in read_jsonl(DATA / "hate_speech" / "unlabeled_comments.jsonl.gz")][:20000],
    }
    out = {}
    for name, texts in corpora.items():
        scorer = FastTextScorer(model_dir / "model.bin", Preprocess(**card["preprocess"]))
        scorer.setup()
        size = sum(len(t.encode()) for t in texts)
        runs = []
        for _ in range(repeats):
            start = time.process_time()
            for t in texts:
                scorer.probabilities(t)
            runs.append(time.process_time() - start)
        out[name] = {"documents": len(texts), "mb": round(size / 1e6, 2),
                     "mb_per_s_per_core": round(size / 1e6 / statistics.median(runs), 2)}
    return out


def examples(model_dir: Path, n: int = 12) -> list[dict]:
    """What the stage removes from the unlabelled comments at the recipe's threshold: a
    sample drawn by hash, with the scores."""
    from kopile.filters.classifier import FastTextScorer, Preprocess

    card = json.loads((model_dir / "model_card.json").read_text())
    scorer = FastTextScorer(model_dir / "model.bin", Preprocess(**card["preprocess"]))
    rows = read_jsonl(DATA / "hate_speech" / "unlabeled_comments.jsonl.gz")
    removed, total = [], 0
    for r in rows:
        p = scorer.probabilities(r["text"])
        total += 1
        if p["hate"] + p["offensive"] > 0.5:
            removed.append({"text": r["text"][:120], "hate": round(p["hate"], 3), "offensive": round(p["offensive"], 3)})
    unique = {r["text"]: r for r in removed}
    shown = sorted(unique.values(), key=lambda r: hashlib.blake2b(r["text"].encode(), digest_size=8).digest())
    return [{"removed_share": round(len(removed) / total, 4), "of": total}] + shown[:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tune", action="store_true", help="the development grid (no test figures)")
    parser.add_argument("--tfidf-c", type=float, default=4.0,
                        help="the baseline's C (4: the best toxic F1 on the development split, --tune)")
    parser.add_argument("--speed", help=argparse.SUPPRESS)  # JSON {name: model dir}: scoring speed only
    args = parser.parse_args()
    if args.speed:
        import fasttext

        out = {name: speed(Path(path)) for name, path in json.loads(args.speed).items()}
        print(json.dumps({**out, "fasttext_module": fasttext.__file__}))
        return
    train, test = make_split()
    if args.tune:
        tune(train)
        return
    model_dir = BUILD / "toxicity" / "model"
    card = train_kopile(RECIPE, model_dir)
    truth = [r["hate"] for r in test]
    texts = [r["text"] for r in test]
    c = args.tfidf_c
    tfidf = tfidf_fit(dev_split(train)[0], c)
    pages = clean_pages()
    results = {
        "split": {"train": len(train), "clean": sum(1 for r in train if "id" not in r), "test": len(test),
                  "dev": card["validation"]["documents"]},
        "dev": {"kopile_fasttext": {"toxic_f1": card["validation"]["binary"]["f1"],
                                    "macro_f1": card["validation"]["macro_f1"]}},
        "test": {"kopile_fasttext": scores_of(kopile_predict(model_dir, texts), truth),
                 f"tfidf_logreg_C{c:g}": scores_of(tfidf(test), truth),
                 "spam_lexicon_rule": scores_of(spam_rule(test), truth)},
        # Clean pages called toxic (hate or offensive the most probable class).
        "clean_pages_called_toxic": {
            name: {"documents": len(rows),
                   "kopile_fasttext": round(sum(p != "none" for p in kopile_predict(model_dir, [r["text"] for r in rows]))
                                            / len(rows), 4),
                   f"tfidf_logreg_C{c:g}": round(sum(p != "none" for p in tfidf(rows)) / len(rows), 4)}
            for name, rows in pages.items()},
        "blind": blind(model_dir, tfidf),
        "speed": speed_in_kopile_env(),
        "removed_from_unlabelled": examples(model_dir),
        "model": {k: card[k] for k in ("model", "preprocess", "model_bytes", "trainer")},
        "machine": subprocess.run(["uname", "-srm"], capture_output=True, text=True).stdout.strip(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "classifier.json").write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    (RESULTS / "classifier.md").write_text(markdown(results))
    print(markdown(results))


def markdown(r: dict) -> str:
    lines = ["# Toxicity classifier on held-out comments (benchmarks/bench_classifier.py)", "",
             f"Training: {r['split']['train'] - r['split']['clean']:,} labelled comments and {r['split']['clean']:,} "
             f"clean texts (Wikipedia lines, chatbot answers; label none), of which {r['split']['dev']:,} are the "
             f"development split; {r['split']['test']:,} held-out test comments, split off by a hash of the text. "
             "Test figures:", "",
             "| classifier | toxic P | toxic R | toxic F1 | hate F1 | offensive F1 | none F1 | macro F1 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, s in r["test"].items():
        lines.append(f"| {name} | {s['toxic']['precision']:.3f} | {s['toxic']['recall']:.3f} | {s['toxic']['f1']:.3f} | "
                     f"{s['hate']['f1']:.3f} | {s['offensive']['f1']:.3f} | {s['none']['f1']:.3f} | {s['macro_f1']:.3f} |")
    if r.get("blind"):
        b = r["blind"]
        lines += ["", f"Blind set ({b['documents']} texts written from a description, benchmarks/blind/toxicity_set.py):", "",
                  "| classifier | toxic P | toxic R | toxic F1 | hate F1 | offensive F1 | none F1 | macro F1 |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for name in ("kopile_fasttext", "tfidf"):
            s = b[name]
            lines.append(f"| {name} | {s['toxic']['precision']:.3f} | {s['toxic']['recall']:.3f} | {s['toxic']['f1']:.3f} | "
                         f"{s['hate']['f1']:.3f} | {s['offensive']['f1']:.3f} | {s['none']['f1']:.3f} | {s['macro_f1']:.3f} |")
        lines += ["", "Toxic-or-not correct, by form (kopile / TF-IDF):", ""]
        for form, v in b["kopile_fasttext"]["toxic_or_not_correct_by_form"].items():
            lines.append(f"- {form}: {v:.2f} / {b['tfidf']['toxic_or_not_correct_by_form'][form]:.2f}")
    lines += ["", "Held-out clean pages called toxic (never trained on):", "",
              "| pages | documents | " + " | ".join(k for k in next(iter(r["clean_pages_called_toxic"].values())) if k != "documents") + " |",
              "|---|---:|---:|---:|"]
    for name, v in r["clean_pages_called_toxic"].items():
        lines.append(f"| {name} | {v['documents']:,} | " + " | ".join(f"{x:.1%}" for k, x in v.items() if k != "documents") + " |")
    lines += ["", "Scoring speed, one core (MB/s of UTF-8 text, CPU time, median of 3):", "",
              "| model | corpus | documents | MB | MB/s |", "|---|---|---:|---:|---:|"]
    for model, corpora in r["speed"].items():
        if isinstance(corpora, dict):
            for name, s in corpora.items():
                lines.append(f"| {model} | {name} | {s['documents']:,} | {s['mb']} | {s['mb_per_s_per_core']} |")
    head, *shown = r["removed_from_unlabelled"]
    lines += ["", f"Removed from {head['of']:,} unlabelled comments: {head['removed_share']:.1%}. A sample:", ""]
    lines += [f"- `{s['text']}` (hate {s['hate']}, offensive {s['offensive']})" for s in shown]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
