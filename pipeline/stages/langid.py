from __future__ import annotations

from filters.langid import LangIdFilter
from pipeline.stages.base import FilterStage


class LangIdStage(FilterStage):
    """fastText lid.176 language identification plus the Hangul share of letters."""

    name = "langid"
    filter_classes = {"": LangIdFilter}

    def filters(self):
        return [LangIdFilter(**self.params)]
