from __future__ import annotations

from kopile.filters.pii.filter import PiiFilter
from kopile.pipeline.stages.base import FilterStage, filter_params


class PiiStage(FilterStage):
    """PII replaced by typed placeholders (presidio, Korean recognizers); one engine per worker."""

    name = "pii"
    Params = filter_params(name, PiiFilter)

    def filters(self):
        self.pii = PiiFilter(**self.params)
        return [self.pii]

    def transform(self, text: str) -> str:
        return self.pii.redact(text)
