"""`kopile finetune`: instruction tuning on chat-formatted examples, in full or with LoRA."""
from __future__ import annotations

import math
import sys
from pathlib import Path

from kopile.driver import loop
from kopile.driver.config import _paths
from kopile.driver.data import chat_batch, chat_indices, encode_chats, read_chats
from kopile.driver.model import load_model, load_tokenizer, stop_ids
from kopile.core.errors import ConfigError


def lora_model(base, spec, seed: int):
    import torch
    from peft import LoraConfig, get_peft_model

    names = {name.rsplit(".", 1)[-1] for name, _ in base.named_modules()}
    unknown = [m for m in spec.target_modules if m not in names]
    if unknown:
        raise ConfigError(f"lora.target_modules: {unknown} are not modules of the model "
                          "(Llama: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)")
    torch.manual_seed(seed)  # the adapters' A matrices start random
    return get_peft_model(base, LoraConfig(r=spec.r, lora_alpha=spec.alpha, lora_dropout=spec.dropout,
                                           target_modules=spec.target_modules, task_type="CAUSAL_LM"))


def finetune(config, resume: bool = False, stop_after: int | None = None, progress: bool | None = None) -> dict:
    out = Path(config.output)
    tok = load_tokenizer(config.init, chat=True)
    chats, skipped = read_chats(_paths(config.data), config.system, config.skip_bad_lines)
    for line in skipped:
        print(f"kopile: skipped {line}", file=sys.stderr)
    base = load_model(config.init)
    if len(tok) > base.config.vocab_size:
        raise ConfigError(f"{config.init}: the tokenizer has {len(tok)} tokens, the model only "
                          f"{base.config.vocab_size} embeddings")
    context = base.config.max_position_embeddings
    max_len = config.max_len or context
    if max_len > context:
        raise ConfigError(f"max_len {max_len} is longer than the model's context of {context}")
    examples, stats = encode_chats(chats, tok, max_len)
    if not examples:
        raise ConfigError(f"{config.data}: no example keeps an answer within max_len {max_len}")
    val = []
    if config.val_data:
        val_chats, _ = read_chats(_paths(config.val_data), config.system, config.skip_bad_lines)
        val_examples, _ = encode_chats(val_chats, tok, max_len)
        val = [chat_batch(val_examples[i:i + config.batch_size], tok.pad_token_id)
               for i in range(0, min(len(val_examples), config.eval_batches * config.batch_size), config.batch_size)]
    per_step = config.batch_size * config.grad_accum
    steps = config.steps or max(1, math.ceil(config.epochs * len(examples) / per_step))

    checkpoint, state = loop.checkpoint_to_resume(out, config, resume)
    if config.method == "lora":
        if checkpoint is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(base, str(checkpoint), is_trainable=True)
        else:
            model = lora_model(base, config.lora, config.seed)
    else:
        model = load_model(checkpoint) if checkpoint is not None else base
    model.generation_config.eos_token_id = stop_ids(tok)
    model.generation_config.pad_token_id = tok.pad_token_id

    def batches(step: int, micro: int):
        chosen = chat_indices(config.seed, step, micro, config.batch_size, config.grad_accum, len(examples))
        return chat_batch([examples[i] for i in chosen], tok.pad_token_id)

    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    describe = {**stats, "skipped_lines": len(skipped), "steps": steps, "trainable_parameters": trainable}
    result = loop.fit(model, tok, config, out, steps, batches, val, state, stop_after, progress, describe)
    if result["step"] == steps:
        if config.method == "lora":
            loop.save_plain(model, tok, out / "adapter")
            model = model.merge_and_unload()
        loop.save_plain(model, tok, out / "final")
    return {**describe, **result, "output": str(out)}
