from __future__ import annotations

from kopile.filters.normalize import Normalizer
from kopile.pipeline.stages.base import FilterStage, filter_params


class NormalizeStage(FilterStage):
    """NFC, width folding, control characters and whitespace, mojibake repair.

    Rewrites the text column; removes null, empty and over-long documents by rule.
    """

    name = "normalize"
    Params = filter_params(name, Normalizer)

    def filters(self):
        self.normalizer = Normalizer(**self.params)
        return [self.normalizer]

    def pre_decide(self, text):
        if text is None:
            return "null_text"
        # Decided before the repair, which would otherwise spend its time on a 50 MB page.
        if len(text) > self.normalizer.max_chars:
            return "too_long"
        return None

    def transform(self, text: str) -> str:
        return self.normalizer.normalize(text)
