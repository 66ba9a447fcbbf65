"""The model, its tokenizer and the checks between them, made before any training starts."""
from __future__ import annotations

import json
import re
from pathlib import Path

from kopile.core.errors import ConfigError
from kopile.tokenizers_train.train import BOS, EOS, PAD, ROLES

END = ROLES[-1]


def load_tokenizer(directory: str | Path, chat: bool = False):
    """The trained tokenizer through `AutoTokenizer`, offline; the special tokens the driver
    relies on checked: bos/eos/pad, and for finetuning the chat roles and template."""
    from transformers import AutoTokenizer

    directory = Path(directory)
    if not (directory / "tokenizer.json").is_file():
        raise ConfigError(f"{directory}: no tokenizer.json (a directory written by `kopile train-tokenizer` "
                          "or a checkpoint)")
    tok = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    needed = {"bos_token": BOS, "eos_token": EOS, "pad_token": PAD}
    wrong = [f"{k} is {getattr(tok, k)!r}, not {v!r}" for k, v in needed.items() if getattr(tok, k) != v]
    if chat:
        vocab = tok.get_vocab()
        wrong += [f"no {t} token" for t in ROLES if t not in vocab]
        if not re.search(r"{%-?\s*generation\s*-?%}", tok.chat_template or ""):
            wrong.append("no chat template with a {% generation %} block")
    if wrong:
        raise ConfigError(f"{directory}: not a kopile tokenizer: " + "; ".join(wrong))
    return tok


def llama_config(spec, tok):
    """`LlamaConfig` of a preset (with overrides) for this tokenizer."""
    from transformers import LlamaConfig

    size = len(tok)
    vocab = spec.vocab_size or -(-size // 64) * 64
    if vocab < size:
        raise ConfigError(f"model.vocab_size {vocab} is smaller than the tokenizer's {size} tokens")
    return LlamaConfig(vocab_size=vocab, bos_token_id=tok.bos_token_id,
                       eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, **spec.fields())


def check_tokens(tokens_dir: str | Path, tok, vocab_size: int) -> dict:
    """tokens.json of `kopile tokenize` against the tokenizer and the model."""
    path = Path(tokens_dir) / "tokens.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found (the output directory of `kopile tokenize`)") from None
    problems = []
    if meta.get("eos_id") != tok.eos_token_id:
        problems.append(f"its eos id is {meta.get('eos_id')}, the tokenizer's {tok.eos_token_id}")
    if meta.get("vocab_size") != len(tok):
        problems.append(f"made with a {meta.get('vocab_size')}-token vocabulary, the tokenizer has {len(tok)}")
    if meta.get("vocab_size", 0) > vocab_size:
        problems.append(f"its vocabulary ({meta.get('vocab_size')}) exceeds the model's {vocab_size}")
    if problems:
        raise ConfigError(f"{path}: does not match the tokenizer: " + "; ".join(problems))
    return meta


def new_model(config, seed: int):
    import torch
    from transformers import LlamaForCausalLM

    torch.manual_seed(seed)
    return LlamaForCausalLM(config)


def quiet_transformers() -> None:
    """No per-file progress bars from transformers when loading and saving small checkpoints."""
    from transformers.utils import logging

    logging.disable_progress_bar()


def load_model(directory: str | Path, dtype=None):
    """A checkpoint through `AutoModelForCausalLM`, offline, in float32 unless told."""
    import torch
    from transformers import AutoModelForCausalLM

    quiet_transformers()
    directory = Path(directory)
    if not (directory / "config.json").is_file():
        raise ConfigError(f"{directory}: no config.json (not a checkpoint directory)")
    return AutoModelForCausalLM.from_pretrained(str(directory), local_files_only=True,
                                                dtype=dtype or torch.float32)


def stop_ids(tok) -> list[int]:
    """Generation ends at <|eos|> or at the <|end|> that closes a chat turn."""
    ids = [tok.eos_token_id]
    end = tok.convert_tokens_to_ids(END)
    if end is not None and end != tok.unk_token_id:
        ids.append(end)
    return ids
