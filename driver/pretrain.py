"""`kopile pretrain`: a Llama-style decoder trained from scratch on packed token streams."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from kopile.driver import loop
from kopile.driver.data import Windows
from kopile.driver.model import check_tokens, llama_config, load_model, load_tokenizer, new_model
from kopile.core.errors import ConfigError


def pretrain(config, resume: bool = False, stop_after: int | None = None, progress: bool | None = None) -> dict:
    out = Path(config.output)
    tok = load_tokenizer(config.tokenizer)
    model_config = llama_config(config.model, tok)
    check_tokens(config.tokens, tok, model_config.vocab_size)
    seq_len = config.seq_len or model_config.max_position_embeddings
    if seq_len > model_config.max_position_embeddings:
        raise ConfigError(f"seq_len {seq_len} is longer than the model's max_position_embeddings "
                          f"{model_config.max_position_embeddings}")
    train = Windows(config.tokens, "train", seq_len, model_config.vocab_size, config.tokens_format)
    if len(train) == 0:
        raise ConfigError(f"{config.tokens}/train: no shard holds {seq_len} tokens; a shorter seq_len or more text")
    val_windows = Windows(config.tokens, "val", seq_len, model_config.vocab_size, config.tokens_format)
    windows = val_windows.sequential(config.eval_batches * config.batch_size)
    val = [(b, None, b) for b in (np.stack(windows[i:i + config.batch_size]).astype(np.int64)
                                  for i in range(0, len(windows), config.batch_size))]

    checkpoint, state = loop.checkpoint_to_resume(out, config, resume)
    model = load_model(checkpoint) if checkpoint is not None else new_model(model_config, config.seed)

    def batches(step: int, micro: int):
        ids = train.sample(config.seed, step, micro, config.batch_size)
        return ids, None, ids

    params = sum(p.numel() for p in model.parameters())
    describe = {"parameters": params, "train_tokens": train.num_tokens, "seq_len": seq_len}
    result = loop.fit(model, tok, config, out, config.steps, batches, val, state, stop_after, progress, describe)
    if result["step"] == config.steps:
        loop.save_plain(model, tok, out / "final")
    return {**describe, **result, "output": str(out)}
