"""Personal information in Korean text: find it with presidio, replace it with typed placeholders.

Names are resolved on first use, so that importing `filters.pii.entities` does not load presidio.
"""
from kopile.filters.pii.entities import ENTITIES

__all__ = ["ENTITIES", "PiiScrubber", "PiiSpan"]


def __getattr__(name):
    if name in ("PiiScrubber", "PiiSpan"):
        from kopile.filters.pii import scrubber

        return getattr(scrubber, name)
    raise AttributeError(name)
