"""fastText classifiers as a stage: a score per document from each model, then a keep rule.

Each model gives a column per label (`classifier_<name>_<label>`) and its score, the summed
probability of the labels it is judged by (`classifier_<name>`). A rule keeps documents whose
score is at least `min_score`, at most `max_score`, or among the `keep_top` share of the whole
corpus. The last is a global decision: the scores of every shard are ranked together (ties in
shard and row order), so that the same documents are kept however the corpus is sharded and
however many workers score it. With thresholds only, the stage decides each document on its
own and runs like any per-document stage. Where several models remove a document, the first
in the config names the reason.
"""
from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, Field, model_validator

from kopile.core.config import STRICT
from kopile.core import io
from kopile.core.schema import text_values
from kopile.filters.classifier import FastTextScorer, Preprocess
from kopile.pipeline.stages.base import REASON, GlobalStage, StageResult, removed_table

PREFIX = "classifier"


def read_card(model_path: str | Path) -> dict | None:
    """The model card beside a model (`model_card.json`), if there is one."""
    card = Path(model_path).with_name("model_card.json")
    if not card.is_file():
        return None
    try:
        return json.loads(card.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{card}: cannot be read: {e}") from None


class ModelRule(BaseModel):
    model_config = STRICT

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    path: str
    # Labels whose probabilities sum to the score; by default the model card's positive labels.
    labels: list[str] | None = None
    min_score: float | None = Field(None, ge=0, le=1)
    max_score: float | None = Field(None, ge=0, le=1)
    keep_top: float | None = Field(None, gt=0, le=1)
    reason: str | None = None
    # How text is prepared for the model; by default as the model card says it was trained.
    preprocess: Preprocess | None = None
    # The model file's SHA-256, filled in when the config is read: a run's fingerprint covers the
    # model itself, so that a model retrained in place is not taken for the one scored before.
    sha256: str | None = None

    @model_validator(mode="after")
    def _one_rule(self):
        rules = [r for r in ("min_score", "max_score", "keep_top") if getattr(self, r) is not None]
        if len(rules) > 1:
            raise ValueError(f"{self.name}: give one of min_score, max_score and keep_top, not {' and '.join(rules)}")
        return self

    def resolve(self) -> ModelRule:
        """The rule with what the model file and its card say filled in: the labels to score
        by, how text is prepared, the file's digest. ValueError where they do not fit."""
        path = Path(self.path).expanduser()
        if not path.is_file():
            raise ValueError(f"{self.name}: no model file at {self.path}")
        card = read_card(path)
        labels, preprocess = self.labels, self.preprocess
        if labels is None:
            if not card or not card.get("positive"):
                raise ValueError(f"{self.name}: `labels` must name the labels to score by "
                                 "(there is no model card with a positive label beside the model)")
            labels = list(card["positive"])
        elif card and set(labels) - set(card["labels"]):
            raise ValueError(f"{self.name}: labels {sorted(set(labels) - set(card['labels']))} are not "
                             f"the model's (it has {card['labels']})")
        if preprocess is None:
            preprocess = Preprocess(**card["preprocess"]) if card else Preprocess()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if self.sha256 is not None and self.sha256 != digest:
            raise ValueError(f"{self.name}: {self.path} has SHA-256 {digest}, not the {self.sha256} the config names")
        return self.model_copy(update={"labels": labels, "preprocess": preprocess, "sha256": digest})

    def default_reason(self) -> str:
        if self.reason:
            return self.reason
        return f"high_{self.name}_score" if self.max_score is not None else f"low_{self.name}_score"


class ClassifierParams(BaseModel):
    model_config = STRICT

    models: list[ModelRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self):
        names = [m.name for m in self.models]
        if len(set(names)) != len(names):
            raise ValueError(f"model names repeat: {names}")
        return self

    def resolve(self) -> ClassifierParams:
        """Settings as a run records them: each model's file read (see `ModelRule.resolve`)."""
        return self.model_copy(update={"models": [m.resolve() for m in self.models]})


class ClassifierStage(GlobalStage):
    name = "classifier"
    Params = ClassifierParams

    @classmethod
    def decided_globally(cls, params: dict) -> bool:
        return any(m.get("keep_top") is not None for m in params["models"])

    def setup(self) -> None:
        self.rules = self.settings.resolve().models
        self.scorers = [FastTextScorer(Path(r.path).expanduser(), r.preprocess) for r in self.rules]
        for rule, scorer in zip(self.rules, self.scorers):
            scorer.setup()
            unknown = set(rule.labels) - set(scorer.labels)
            if unknown:
                raise ValueError(f"classifier {rule.name}: labels {sorted(unknown)} are not the model's "
                                 f"(it has {scorer.labels})")

    def _columns(self) -> list[str]:
        out = []
        for rule, scorer in zip(self.rules, self.scorers):
            out += [f"{PREFIX}_{rule.name}", *(f"{PREFIX}_{rule.name}_{label}" for label in scorer.labels)]
        return out

    def scores(self, table: pa.Table) -> pa.Table:
        """The score columns of a batch (null where the text is null)."""
        if not hasattr(self, "scorers"):
            self.setup()
        texts, _ = text_values(table, self.text_column)
        columns: dict[str, list] = {c: [None] * len(texts) for c in self._columns()}
        for row, text in enumerate(texts):
            if text is None:
                continue
            for rule, scorer in zip(self.rules, self.scorers):
                probs = scorer.probabilities(text)
                columns[f"{PREFIX}_{rule.name}"][row] = min(sum(probs[label] for label in rule.labels), 1.0)
                for label, p in probs.items():
                    columns[f"{PREFIX}_{rule.name}_{label}"][row] = p
        return pa.table({c: pa.array(v, pa.float64()) for c, v in columns.items()})

    def reasons(self, scores: pa.Table, cuts: dict[str, tuple[float, np.ndarray]] | None = None) -> list[str | None]:
        """Per row, the first rule that removes it; `cuts` holds each `keep_top` rule's kept rows."""
        out: list[str | None] = ["null_text" if v is None else None
                                 for v in scores.column(f"{PREFIX}_{self.rules[0].name}").to_pylist()]
        for rule in self.rules:
            values = scores.column(f"{PREFIX}_{rule.name}").to_pylist()
            for row, value in enumerate(values):
                if out[row] is not None or value is None:
                    continue
                if rule.min_score is not None:
                    removed = value < rule.min_score
                elif rule.max_score is not None:
                    removed = value > rule.max_score
                elif rule.keep_top is not None:
                    removed = not cuts[rule.name][row]
                else:
                    removed = False
                if removed:
                    out[row] = rule.default_reason()
        return out

    def __call__(self, table: pa.Table) -> StageResult:
        if self.decided_globally(self.params):
            return super().__call__(table)
        scores = self.scores(table)
        return self._split(table, scores, self.reasons(scores))

    def _split(self, table: pa.Table, scores: pa.Table, reasons: list[str | None]) -> StageResult:
        for name in scores.column_names:
            if name in table.schema.names:
                table = table.drop_columns([name])
            table = table.append_column(name, scores.column(name))
        mask = pa.array([r is None for r in reasons], pa.bool_())
        kept = table.filter(mask)
        removed = removed_table(table.filter(pa.array([r is not None for r in reasons], pa.bool_())),
                                [r for r in reasons if r is not None])
        return StageResult(kept, removed)

    # The global path: scores per shard, one ranking over all of them, then each shard's share.
    def keys(self, table: pa.Table, id_column: str) -> pa.Table:
        return self.scores(table)

    def decide(self, key_files, work=None, parallel=None, sources=None) -> dict[str, pa.Table]:
        """Per shard, its rows' scores with their reasons. A `keep_top` rule keeps the
        ceil(share x scored documents) highest scores of the corpus."""
        tables = {name: io.read_table(path) for name, path in key_files}
        cuts: dict[str, dict[str, np.ndarray]] = {name: {} for name in tables}
        for rule in self.rules:
            if rule.keep_top is None:
                continue
            column = f"{PREFIX}_{rule.name}"
            values = [tables[name].column(column).to_numpy(zero_copy_only=False) for name in tables]
            flat = np.concatenate(values) if values else np.zeros(0)
            scored = ~np.isnan(flat)
            keep_n = math.ceil(rule.keep_top * int(scored.sum()))
            # Highest score first; equal scores in corpus order (shard, then row): lexsort's
            # last key is the primary one, and it is stable.
            order = np.lexsort((np.arange(len(flat)), -np.where(scored, flat, -np.inf)))
            kept = np.zeros(len(flat), dtype=bool)
            kept[order[:keep_n]] = True
            kept &= scored
            start = 0
            for name, v in zip(tables, values):
                cuts[name][rule.name] = kept[start:start + len(v)]
                start += len(v)
        decisions = {}
        for name, scores in tables.items():
            reasons = self.reasons(scores, cuts[name])
            decisions[name] = scores.append_column(REASON, pa.array(reasons, pa.string()))
        return decisions

    def load_decisions(self, path: Path) -> pa.Table:
        return io.read_table(path)

    def apply(self, table: pa.Table, decisions: pa.Table, first_row: int) -> StageResult:
        part = decisions.slice(first_row, table.num_rows)
        reasons = part.column(REASON).to_pylist()
        return self._split(table, part.drop_columns([REASON]), reasons)

