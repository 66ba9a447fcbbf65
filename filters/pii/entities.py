"""The kinds of personal information and their placeholders, without presidio: the tokenizer
reserves the placeholders as special tokens and must not load the PII machinery to know them."""
from __future__ import annotations

ENTITIES = ("phone", "email", "rrn", "frn", "passport", "driver_license", "business_number", "card", "account",
            "ip", "address", "person")


def default_placeholders(entities) -> dict[str, str]:
    """`<|phone|>`-style tokens, one per type, that a tokenizer can learn as special tokens."""
    return {e: f"<|{e}|>" for e in entities}
