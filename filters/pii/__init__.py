"""Personal information in Korean text: find it with presidio, replace it with typed placeholders."""
from filters.pii.recognizers import ENTITIES
from filters.pii.scrubber import PiiScrubber, PiiSpan

__all__ = ["ENTITIES", "PiiScrubber", "PiiSpan"]
