"""Configs of `kopile pretrain` and `kopile finetune`, and the model presets.

A preset is a set of `LlamaConfig` fields; `model:` in a config names one and may override
any of its fields. The vocabulary and the special-token ids always come from the tokenizer.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kopile.core.config import ConfigError, load_yaml, parse_model

_STRICT = ConfigDict(extra="forbid")

# tiny: minutes on 2 CPU cores; small: about 30M parameters with a 32k vocabulary (tied
# embeddings); gpt2-124m: GPT-2 small's width and depth with Llama blocks, for a GPU. SwiGLU
# widths are about 8/3 of the hidden size, as in Llama.
PRESETS: dict[str, dict[str, Any]] = {
    "tiny": dict(hidden_size=128, intermediate_size=352, num_hidden_layers=4, num_attention_heads=4,
                 num_key_value_heads=4, max_position_embeddings=256),
    "small": dict(hidden_size=384, intermediate_size=1024, num_hidden_layers=8, num_attention_heads=6,
                  num_key_value_heads=6, max_position_embeddings=512),
    "gpt2-124m": dict(hidden_size=768, intermediate_size=2048, num_hidden_layers=12, num_attention_heads=12,
                      num_key_value_heads=12, max_position_embeddings=1024),
}


class ModelSpec(BaseModel):
    model_config = _STRICT

    preset: Literal["tiny", "small", "gpt2-124m"] = "tiny"
    hidden_size: int | None = Field(None, ge=8)
    intermediate_size: int | None = Field(None, ge=8)
    num_hidden_layers: int | None = Field(None, ge=1)
    num_attention_heads: int | None = Field(None, ge=1)
    num_key_value_heads: int | None = Field(None, ge=1)
    max_position_embeddings: int | None = Field(None, ge=8)
    rope_theta: float = 10000.0
    tie_word_embeddings: bool = True
    # Default: the tokenizer's size rounded up to a multiple of 64 (faster matmuls); a larger
    # value is allowed, a smaller one is refused.
    vocab_size: int | None = Field(None, ge=1)

    def fields(self) -> dict[str, Any]:
        fields = dict(PRESETS[self.preset])
        fields.update({k: v for k, v in self.model_dump(exclude={"preset", "vocab_size"}).items() if v is not None})
        if fields["hidden_size"] % fields["num_attention_heads"]:
            raise ConfigError(f"model: hidden_size {fields['hidden_size']} is not a multiple of "
                              f"num_attention_heads {fields['num_attention_heads']}")
        if fields["num_attention_heads"] % fields["num_key_value_heads"]:
            raise ConfigError(f"model: num_attention_heads {fields['num_attention_heads']} is not a multiple of "
                              f"num_key_value_heads {fields['num_key_value_heads']}")
        return fields


class Optim(BaseModel):
    """What pretraining and finetuning share: the optimiser, the schedule and the bookkeeping."""
    model_config = _STRICT

    output: str
    seed: int = 0
    steps: int | None = Field(None, ge=1)
    batch_size: int = Field(16, ge=1)        # sequences per micro-batch
    grad_accum: int = Field(1, ge=1)         # micro-batches per optimiser step
    lr: float = Field(3e-3, gt=0)
    min_lr_ratio: float = Field(0.1, ge=0, le=1)   # the cosine ends at lr * min_lr_ratio
    warmup_steps: int = Field(0, ge=0)
    weight_decay: float = Field(0.1, ge=0)
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float | None = Field(1.0, gt=0)
    eval_every: int = Field(100, ge=1)
    eval_batches: int = Field(8, ge=1)
    save_every: int = Field(100, ge=1)
    keep_checkpoints: int = Field(2, ge=1)
    log_every: int = Field(10, ge=1)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    # auto: bf16 autocast on a GPU, float32 on the CPU.
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    compile: bool = False


class PretrainConfig(Optim):
    """`kopile pretrain`: a Llama-style model from scratch on packed token streams."""

    tokens: str                  # the output of `kopile tokenize` (tokens.json, train/, val/)
    # Read kopile's streams, or the `nanogpt` flat files (the training split as mixed and
    # shuffled for other trainers; `kopile tokenize` writes them with nanogpt in its formats).
    tokens_format: Literal["kopile", "nanogpt"] = "kopile"
    tokenizer: str               # the tokenizer that made them
    model: ModelSpec = ModelSpec()
    seq_len: int | None = Field(None, ge=2)   # default: the model's max_position_embeddings
    steps: int = Field(1000, ge=1)


class LoraSpec(BaseModel):
    model_config = _STRICT

    r: int = Field(8, ge=1)
    alpha: float = Field(16, gt=0)
    dropout: float = Field(0.0, ge=0, lt=1)
    target_modules: list[str] = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class FinetuneConfig(Optim):
    """`kopile finetune`: instruction tuning of a checkpoint on chat-formatted JSONL."""

    init: str                    # a checkpoint directory (config.json, model.safetensors, tokenizer)
    data: str | list[str]        # JSONL files (.jsonl, .jsonl.gz): instruction/input/output or messages
    val_data: str | list[str] | None = None
    system: str | None = None    # a system message put before every example that has none
    max_len: int | None = Field(None, ge=8)   # default: the model's max_position_embeddings
    epochs: float | None = Field(None, gt=0)  # steps from epochs where `steps` is not given
    method: Literal["full", "lora"] = "full"
    lora: LoraSpec = LoraSpec()
    skip_bad_lines: bool = False
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)

    @model_validator(mode="after")
    def _length(self):
        if self.steps is None and self.epochs is None:
            self.epochs = 3.0
        return self


def _paths(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def load_pretrain_config(path: str | Path, overrides: dict | None = None) -> PretrainConfig:
    return parse_model(PretrainConfig, load_yaml(Path(path), overrides), str(path))


def load_finetune_config(path: str | Path, overrides: dict | None = None) -> FinetuneConfig:
    return parse_model(FinetuneConfig, load_yaml(Path(path), overrides), str(path))
