from __future__ import annotations

from kopile.filters.langid import LangIdFilter
from kopile.pipeline.stages.base import FilterStage, filter_params


class LangIdStage(FilterStage):
    """Language identification: Hangul decides by script, CLD2 then lid.176 decide the rest."""

    name = "langid"
    Params = filter_params(name, LangIdFilter)

    def filters(self):
        return [LangIdFilter(**self.params)]
