"""The configs of `kopile train-tokenizer` and `kopile tokenize`."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from kopile.core.config import STRICT, load_yaml, parse_model


class TokenizerSettings(BaseModel):
    """How a tokenizer is trained; also the settings of the `train_tokenizer` stage of a run."""
    model_config = STRICT

    model: Literal["sp_bpe", "unigram", "bytelevel_bpe"] = "sp_bpe"
    # Which library trains: `auto` is SentencePiece for `sp_bpe` with pretokenize default or
    # digits and vocab_size >= 8,000 (2-3x faster, same fertility), `tokenizers` otherwise.
    # tokenizer.json either way.
    backend: Literal["auto", "sentencepiece", "tokenizers"] = "auto"
    vocab_size: int = Field(32000, ge=512, le=1_000_000, strict=True)
    pretokenize: Literal["default", "punct", "digits", "kiwi"] = "default"
    fold_width: bool = Field(False, strict=True)
    min_frequency: int = Field(2, ge=1, strict=True)
    max_chars: int | None = Field(None, ge=1, strict=True)  # train on the first this many characters only
    model_max_length: int = Field(4096, ge=1, strict=True)

    @model_validator(mode="after")
    def _backend_fits(self):
        from kopile.tokenizers_train.train import resolve_backend

        resolve_backend(self.model, self.pretokenize, self.backend, self.vocab_size)
        return self


class TokenizerConfig(TokenizerSettings):
    """`kopile train-tokenizer`: which shards, which model, where the tokenizer goes."""

    input: str | list[str]
    output: str
    text_column: str = "text"


class PackConfig(BaseModel):
    """`kopile tokenize`: encode shards with a trained tokenizer into packed token streams."""
    model_config = STRICT

    input: str | list[str]
    tokenizer: str
    output: str
    text_column: str = "text"
    id_column: str = "id"
    val_fraction: float = Field(0.01, ge=0, lt=1, strict=True)
    seed: int = Field(0, strict=True)
    shuffle: bool = Field(False, strict=True)
    batch_rows: int = Field(1000, ge=1, strict=True)
    # kopile's own streams are always written; the others are made from them (formats.py).
    formats: list[Literal["kopile", "megatron", "hf", "nanogpt"]] = ["kopile"]

    @model_validator(mode="after")
    def _formats(self):
        if len(set(self.formats)) != len(self.formats):
            raise ValueError(f"formats lists a format twice: {self.formats}")
        return self


def parse_tokenizer_config(data: Any, source: str = "<config>") -> TokenizerConfig:
    return parse_model(TokenizerConfig, data, source)


def load_tokenizer_config(path: str | Path, overrides: dict | None = None) -> TokenizerConfig:
    return parse_tokenizer_config(load_yaml(Path(path), overrides), str(path))


def parse_pack_config(data: Any, source: str = "<config>") -> PackConfig:
    return parse_model(PackConfig, data, source)


def load_pack_config(path: str | Path, overrides: dict | None = None) -> PackConfig:
    return parse_pack_config(load_yaml(Path(path), overrides), str(path))
