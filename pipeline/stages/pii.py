from __future__ import annotations

from filters.pii.filter import PiiFilter
from pipeline.stages.base import FilterStage


class PiiStage(FilterStage):
    """PII replaced by typed placeholders (presidio, Korean recognizers); one engine per worker."""

    name = "pii"
    filter_classes = {"": PiiFilter}

    def filters(self):
        self.pii = PiiFilter(**self.params)
        return [self.pii]

    def transform(self, text: str) -> str:
        return self.pii.redact(text)
