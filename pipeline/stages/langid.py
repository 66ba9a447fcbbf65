from __future__ import annotations

from kopile.filters.langid import LangIdFilter
from kopile.pipeline.stages.base import FilterStage, filter_params


class LangIdStage(FilterStage):
    """fastText lid.176 language identification plus the Hangul share of letters."""

    name = "langid"
    Params = filter_params(name, LangIdFilter)

    def filters(self):
        return [LangIdFilter(**self.params)]
