from __future__ import annotations

import inspect
from typing import Literal

from pydantic import create_model

from kopile.core.config import STRICT
from kopile.filters.quality import (BoilerplateFilter, CharacterFilter, LineFilter, SpamLexiconFilter,
                                    Tokenizer, WordFilter)
from kopile.filters.repetition import RepetitionFilter
from kopile.pipeline.stages.base import FilterStage, filter_params

# Config section -> filter; the order is the order in which they run, cheapest first.
SECTIONS = {
    "characters": CharacterFilter,
    "words": WordFilter,
    "spam": SpamLexiconFilter,
    "boilerplate": BoilerplateFilter,
    "lines": LineFilter,
    "repetition": RepetitionFilter,
}
# Filters that count words take the stage's tokenizer (`mode`), an object, not a setting.
_TAKES_TOKENIZER = {name for name, cls in SECTIONS.items() if "tokenizer" in inspect.signature(cls).parameters}
_SECTION_MODELS = {name: filter_params(f"quality_{name}", cls, injected=("tokenizer",))
                   for name, cls in SECTIONS.items()}


class QualityStage(FilterStage):
    """Korean heuristic quality rules, cheapest first; `mode` picks eojeol or Kiwi words."""

    name = "quality"
    Params = create_model(
        "quality_params", __config__=STRICT,
        mode=(Literal["eojeol", "kiwi"], "eojeol"),
        enabled=(list[Literal[tuple(SECTIONS)]] | None, None),  # type: ignore[misc]
        **{name: (model, model()) for name, model in _SECTION_MODELS.items()})

    def filters(self):
        tokenizer = Tokenizer(self.settings.mode)
        enabled = self.settings.enabled or list(SECTIONS)
        built = []
        for section, cls in SECTIONS.items():
            if section not in enabled:
                continue
            kwargs = {k: v for k, v in self.params[section].items() if v is not None}
            if section in _TAKES_TOKENIZER:
                kwargs["tokenizer"] = tokenizer
            built.append(cls(**kwargs))
        return built
