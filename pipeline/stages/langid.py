from __future__ import annotations

from filters.langid import LangIdFilter
from pipeline.stages.base import FilterStage


class LangIdStage(FilterStage):
    """Language identification: Hangul decides by script, CLD2 then lid.176 decide the rest."""

    name = "langid"
    filter_classes = {"": LangIdFilter}

    def filters(self):
        return [LangIdFilter(**self.params)]
