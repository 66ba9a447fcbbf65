"""The stage registry: config names to stage classes, each imported only when a config names
it, so that a worker loads presidio only for the pii stage and Kiwi only where it is used."""
from __future__ import annotations

import importlib

STAGES: dict[str, str | type] = {
    "normalize": "kopile.pipeline.stages.normalize:NormalizeStage",
    "langid": "kopile.pipeline.stages.langid:LangIdStage",
    "quality": "kopile.pipeline.stages.quality:QualityStage",
    "pii": "kopile.pipeline.stages.pii:PiiStage",
    "exact_dedup": "kopile.pipeline.stages.exact_dedup:ExactDedupStage",
    "minhash_dedup": "kopile.pipeline.stages.minhash_dedup:MinhashDedupStage",
    "ngram_repetition": "kopile.pipeline.stages.ngram_repetition:NgramRepetitionStage",
    "classifier": "kopile.pipeline.stages.classifier:ClassifierStage",
    "train_tokenizer": "kopile.pipeline.stages.train_tokenizer:TrainTokenizerStage",
}

# What a stage needs beyond kopile's core (module -> the extra that installs it), checked
# before its module is imported.
REQUIRES: dict[str, dict[str, str]] = {"pii": {"presidio_analyzer": "pii"}}


def stage_class(name: str) -> type:
    entry = STAGES[name]
    if isinstance(entry, str):
        module, _, attr = entry.partition(":")
        entry = getattr(importlib.import_module(module), attr)
    return entry
