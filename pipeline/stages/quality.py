from __future__ import annotations

from filters.quality import (BoilerplateFilter, CharacterFilter, LineFilter, SpamLexiconFilter,
                             Tokenizer, WordFilter)
from filters.repetition import RepetitionFilter
from pipeline.stages.base import FilterStage


class QualityStage(FilterStage):
    """Korean heuristic quality rules, cheapest first; `mode` picks eojeol or Kiwi words."""

    name = "quality"
    # Config section name -> filter; the order is the order in which they run.
    filter_classes = {
        "characters": CharacterFilter,
        "words": WordFilter,
        "spam": SpamLexiconFilter,
        "boilerplate": BoilerplateFilter,
        "lines": LineFilter,
        "repetition": RepetitionFilter,
    }

    def filters(self):
        params = dict(self.params)
        tokenizer = Tokenizer(params.pop("mode", "eojeol"))
        enabled = params.pop("enabled", None) or list(self.filter_classes)
        built = []
        for section, cls in self.filter_classes.items():
            if section not in enabled:
                continue
            kwargs = {k: v for k, v in (params.get(section) or {}).items() if v is not None}
            if "tokenizer" in cls.__init__.__code__.co_varnames:
                kwargs["tokenizer"] = tokenizer
            built.append(cls(**kwargs))
        return built
