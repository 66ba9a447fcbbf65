"""The training loop that pretraining and finetuning share, with its checkpoints.

    for step in range(start, steps):
        lr from warmup + cosine
        for each micro-batch: loss = summed token losses / the step's label tokens; backward
        clip, AdamW step
        log; evaluate every eval_every; checkpoint every save_every

Layout of OUT:
    checkpoints/step-NNNNNNN/   a Hugging Face directory (or a peft adapter) with the tokenizer,
                                plus trainer_state.pt (optimiser, RNG, step) and trainer_state.json
    latest.json                 which checkpoint is the newest (written after it is complete)
    final/                      the trained model, a plain Hugging Face directory
    log.jsonl                   one line per logged step and per evaluation
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Callable

import numpy as np

from kopile.driver.model import quiet_transformers
from kopile.core.errors import ConfigError
from kopile.core.io import write_json_atomic

# Settings that do not change the trajectory: a resumed run may change them.
_FREE = {"output", "eval_every", "save_every", "keep_checkpoints", "log_every", "eval_batches", "compile",
         "device", "val_data"}


def fingerprint(config) -> str:
    settings = {k: v for k, v in config.model_dump(mode="json").items() if k not in _FREE}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def lr_at(step: int, config, total: int) -> float:
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    span = max(1, total - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / span)
    low = config.lr * config.min_lr_ratio
    return low + (config.lr - low) * 0.5 * (1 + math.cos(math.pi * progress))


def device_of(config):
    import torch

    if config.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: cuda, but torch sees no GPU")
    return torch.device("cuda" if config.device == "cuda" or (config.device == "auto" and torch.cuda.is_available())
                        else "cpu")


def _autocast(config, device):
    import torch

    bf16 = config.precision == "bf16" or (config.precision == "auto" and device.type == "cuda")
    return (lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if bf16 else nullcontext


def optimizer_for(model, config, device):
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    # Matrices decay; norms (and any bias) do not, as in GPT-2 and Llama recipes.
    groups = [{"params": [p for p in params if p.ndim >= 2], "weight_decay": config.weight_decay},
              {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}]
    # Fused on the CPU too: the default there is a Python loop over parameters (4% of a step
    # for the `small` preset, benchmarks/bench_train.py).
    return torch.optim.AdamW(groups, lr=config.lr, betas=config.betas, fused=True)


def token_loss_sum(model, ids, attention, labels):
    """Summed cross-entropy of next-token predictions over the labels that are not -100."""
    import torch.nn.functional as F

    logits = model(input_ids=ids, attention_mask=attention).logits
    # The labels move one left, not the logits: slicing the logits would copy all B x T x vocab
    # of them (a sixth of a CPU step with a 32k vocabulary). The last position has no target.
    targets = F.pad(labels[:, 1:], (0, 1), value=-100)
    return F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), ignore_index=-100, reduction="sum")


def evaluate(model, batches, device, autocast) -> dict:
    """Mean loss per predicted token and perplexity over fixed batches."""
    import torch

    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for ids, attention, labels in batches:
            ids, attention, labels = (_tensor(x, device) for x in (ids, attention, labels))
            with autocast():
                total += float(token_loss_sum(model, ids, attention, labels))
            count += int((labels[:, 1:] != -100).sum())
    model.train(was_training)
    loss = total / max(count, 1)
    return {"val_loss": round(loss, 6), "val_ppl": round(math.exp(min(loss, 80.0)), 4), "val_tokens": count}


def _tensor(x, device):
    import torch

    return None if x is None else torch.from_numpy(np.ascontiguousarray(x)).to(device)


# --- checkpoints ----------------------------------------------------------------------------------

def latest_checkpoint(out: Path) -> Path | None:
    pointer = out / "latest.json"
    if not pointer.is_file():
        return None
    path = out / json.loads(pointer.read_text(encoding="utf-8"))["path"]
    return path if (path / "trainer_state.pt").is_file() else None


def _load_state(checkpoint: Path, config) -> dict:
    import torch

    state = torch.load(checkpoint / "trainer_state.pt", map_location="cpu", weights_only=False)
    if state["fingerprint"] != fingerprint(config):
        raise ConfigError(f"{checkpoint}: written with other training settings than this config "
                          "(only output, logging, evaluation and saving settings may change on --resume)")
    return state


def checkpoint_to_resume(out: Path, config, resume: bool) -> tuple[Path | None, dict | None]:
    """The newest checkpoint in `out` and its trainer state, where `--resume` asks for it; an
    output that holds checkpoints without `--resume` is refused rather than overwritten.
    Directories half written by a killed save are never valid: they go first."""
    for stale in [*out.glob(".*.tmp-*"), *(out / "checkpoints").glob(".*.tmp-*")]:
        shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
    checkpoint = latest_checkpoint(out)
    if checkpoint is None:
        return None, None
    if not resume:
        raise ConfigError(f"{out}: holds checkpoints ({checkpoint.name}); --resume to continue, or another output")
    return checkpoint, _load_state(checkpoint, config)


def save_plain(model, tok, directory: Path, extra=None) -> Path:
    """A Hugging Face directory (and whatever `extra(tmp)` adds), written beside and renamed into
    place."""
    tmp = directory.with_name(f".{directory.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    tok.save_pretrained(str(tmp))
    if extra is not None:
        extra(tmp)
    if directory.exists():  # a rerun from an earlier checkpoint passes this step again
        shutil.rmtree(directory)
    os.replace(tmp, directory)
    return directory


def _save(model, tok, optimizer, config, out: Path, step: int, extra: dict) -> Path:
    import torch

    def trainer_state(tmp: Path) -> None:
        torch.save({"step": step, "optimizer": optimizer.state_dict(), "torch_rng": torch.get_rng_state(),
                    "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
                    "fingerprint": fingerprint(config)}, tmp / "trainer_state.pt")
        write_json_atomic(tmp / "trainer_state.json", {"step": step, **extra, "config": config.model_dump(mode="json")})

    final = save_plain(model, tok, out / "checkpoints" / f"step-{step:07d}", trainer_state)
    write_json_atomic(out / "latest.json", {"step": step, "path": f"checkpoints/{final.name}"})
    kept = sorted(p for p in (out / "checkpoints").glob("step-*") if p.is_dir())
    for old in kept[:-config.keep_checkpoints]:
        shutil.rmtree(old, ignore_errors=True)
    return final


class Log:
    """log.jsonl; on resume the lines past the checkpoint's step (a killed run's) are dropped."""

    def __init__(self, path: Path, start: int):
        lines = []
        if start and path.is_file():
            lines = [l for l in path.read_text(encoding="utf-8").splitlines()
                     if l.strip() and json.loads(l).get("step", 0) <= start]
        path.write_text("".join(l + "\n" for l in lines), encoding="utf-8")
        self.file = open(path, "a", encoding="utf-8")

    def write(self, record: dict) -> None:
        self.file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.file.flush()


# --- the loop ---------------------------------------------------------------------------------------

def fit(model, tok, config, out: Path, total_steps: int, batches: Callable, val: list, state: dict | None,
        stop_after: int | None = None, progress: bool | None = None, describe: dict | None = None) -> dict:
    """Trains `model` in place from `state` (a checkpoint's trainer state, or None to start) to
    `total_steps`, or `stop_after` steps of this call. `batches(step, micro)` gives numpy
    (ids, attention or None, labels)."""
    import torch
    from tqdm.auto import tqdm

    quiet_transformers()
    device = device_of(config)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    model.to(device)
    model.train()
    autocast = _autocast(config, device)
    optimizer = optimizer_for(model, config, device)
    start = 0
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        if state.get("cuda_rng") and device.type == "cuda":
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        start = state["step"]
    forward = torch.compile(model) if config.compile else model
    out.mkdir(parents=True, exist_ok=True)
    log = Log(out / "log.jsonl", start)
    end = total_steps if stop_after is None else min(total_steps, start + stop_after)
    bar = tqdm(total=total_steps, initial=start, desc="train", unit="step", disable=progress is False,
               dynamic_ncols=True)
    describe = describe or {}
    last = {"step": start}
    # Throughput counts training only: time spent evaluating and saving is taken out.
    window_tokens, window_time, paused = 0, time.perf_counter(), 0.0
    for step in range(start, end):
        lr = lr_at(step, config, total_steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        micro = [batches(step, m) for m in range(config.grad_accum)]
        # The step's loss is the mean over all its label tokens, however they fall in micro-batches.
        count = sum(int((labels[:, 1:] != -100).sum()) for _, _, labels in micro)
        loss_sum = 0.0
        for ids, attention, labels in micro:
            ids, attention, labels = (_tensor(x, device) for x in (ids, attention, labels))
            with autocast():
                loss = token_loss_sum(forward, ids, attention, labels) / max(count, 1)
            loss.backward()
            loss_sum += float(loss.detach())
            window_tokens += int(ids.numel() if attention is None else attention.sum())
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip or float("inf"))
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        done = step + 1
        last = {"step": done, "loss": round(loss_sum, 6), "lr": lr, "grad_norm": round(float(norm), 4)}
        bar.update(1)
        if done % config.log_every == 0 or done == end:
            if device.type == "cuda":
                torch.cuda.synchronize()
            elapsed = time.perf_counter() - window_time - paused
            last["tokens_per_s"] = round(window_tokens / elapsed, 1) if elapsed > 0 else None
            log.write(last)
            bar.set_postfix(loss=f"{loss_sum:.3f}", tok_s=f"{last['tokens_per_s']:,.0f}")
            window_tokens, window_time, paused = 0, time.perf_counter(), 0.0
        aside = time.perf_counter()
        if val and (done % config.eval_every == 0 or done == total_steps):
            result = evaluate(model, val, device, autocast)
            log.write({"step": done, **result})
            last.update(result)
            bar.write(f"step {done}: val loss {result['val_loss']:.4f}, perplexity {result['val_ppl']:.2f}")
        if done % config.save_every == 0 or done == end:
            _save(model, tok, optimizer, config, out, done, {**describe, **last})
        paused += time.perf_counter() - aside
    bar.close()
    log.file.close()
    return last
