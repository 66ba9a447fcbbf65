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


class SourceMix(BaseModel):
    """How much of one source goes into the training split (mix.py)."""
    model_config = STRICT

    # A target share of the training tokens (the shares given sum to 1), or a weight (shares are
    # the weights over their sum); with either, `epochs` caps how often a document may repeat.
    # With neither, the source enters `epochs` times (0.5: half of it, chosen by the seed).
    share: float | None = Field(None, gt=0, le=1)
    weight: float | None = Field(None, gt=0)
    epochs: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_target(self):
        if self.share is not None and self.weight is not None:
            raise ValueError("give a share or a weight, not both")
        return self


class SequenceConfig(BaseModel):
    """Fixed-length samples for the formats that hold samples (seqpack.py)."""
    model_config = STRICT

    length: int = Field(ge=2, strict=True)
    # concat: documents run together and cut every `length` tokens (the last, short sample is
    # dropped); best_fit: whole documents packed into samples, longest first, each into the
    # fullest sample it fits, the rest padded with <|pad|> (a document longer than `length` is
    # cut into `length`-token pieces first).
    method: Literal["concat", "best_fit"] = "concat"


class PackConfig(BaseModel):
    """`kopile tokenize`: encode shards with a trained tokenizer into packed token streams."""
    model_config = STRICT

    # Shards, or a mapping of source name to shards: each document's source is then its input's.
    input: str | list[str] | dict[str, str | list[str]]
    tokenizer: str
    output: str
    text_column: str = "text"
    id_column: str = "id"
    # Where `input` is not a mapping, a document's source is this column's value (a shard
    # without the column is one source, `all`): tokens are counted per source.
    source_column: str = "source"
    val_fraction: float = Field(0.01, ge=0, lt=1, strict=True)
    seed: int = Field(0, strict=True)
    # Each shard's documents ordered by a hash of (seed, id); the exported training split is
    # also shuffled across shards.
    shuffle: bool = Field(False, strict=True)
    batch_rows: int = Field(1000, ge=1, strict=True)
    # kopile's own streams are always written; the others are made from them (formats.py).
    formats: list[Literal["kopile", "megatron", "mds", "litdata", "hf", "nanogpt"]] = ["kopile"]
    # The training split's mix, by source name (mix.py); every source seen must be named.
    mix: dict[str, SourceMix] | None = None
    # With a mix of shares: the training tokens wanted (default: as many as the epochs allow).
    mix_tokens: int | None = Field(None, ge=1, strict=True)
    sequence: SequenceConfig | None = None
    # Input columns the `hf` dataset carries beside input_ids (one row per document).
    passthrough: list[str] = ["id"]

    @model_validator(mode="after")
    def _checks(self):
        if len(set(self.formats)) != len(self.formats):
            raise ValueError(f"formats lists a format twice: {self.formats}")
        if self.mix:
            targets = [s.share is not None or s.weight is not None for s in self.mix.values()]
            if any(targets) and not all(targets):
                raise ValueError("mix: give every source a share or a weight, or none of them")
            shares = [s.share for s in self.mix.values() if s.share is not None]
            if shares and (len(shares) != len(self.mix) or abs(sum(shares) - 1) > 1e-6):
                raise ValueError(f"mix: the shares must sum to 1, not {sum(shares):g} (or give weights)")
        if self.mix_tokens is not None and not (self.mix and any(s.share or s.weight for s in self.mix.values())):
            raise ValueError("mix_tokens needs a mix of shares or weights")
        if (self.mix or self.sequence) and set(self.formats) == {"kopile"}:
            raise ValueError("mix and sequence shape the exported formats: add one to formats (megatron, mds, "
                             "litdata, hf, nanogpt)")
        if isinstance(self.input, dict) and self.mix and set(self.mix) - set(self.input):
            raise ValueError(f"mix names sources that input does not: {sorted(set(self.mix) - set(self.input))}")
        return self


def parse_tokenizer_config(data: Any, source: str = "<config>") -> TokenizerConfig:
    return parse_model(TokenizerConfig, data, source)


def load_tokenizer_config(path: str | Path, overrides: dict | None = None) -> TokenizerConfig:
    return parse_tokenizer_config(load_yaml(Path(path), overrides), str(path))


def parse_pack_config(data: Any, source: str = "<config>") -> PackConfig:
    return parse_model(PackConfig, data, source)


def load_pack_config(path: str | Path, overrides: dict | None = None) -> PackConfig:
    return parse_pack_config(load_yaml(Path(path), overrides), str(path))
