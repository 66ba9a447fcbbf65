"""Training tokens/s of kopile's compact driver against a plain `transformers.Trainer` loop:
the same model, the same windows of the same token streams, the same optimiser settings.

    .venv/bin/python benchmarks/bench_train.py --repeat 3     # tiny and small on the CPU (+ gpt2-124m on a GPU)
    .venv/bin/python benchmarks/bench_train.py --quick        # a check: a few steps of tiny, nothing published

Data (built once under build/bench/train/): Korean Wikipedia long articles (title-only stubs
skipped) and national petitions, alternating; a 32,000-token kopile tokenizer trained on the
first 4 MB of them; 8 MB of them packed with `pack_shard` into token streams (tokens.json,
train/, val/).

Each run is its own subprocess with 2 torch threads; the contenders and presets are
interleaved, the order of the two contenders alternating between repeats. kopile runs
`driver.pretrain.pretrain`; Trainer runs `LlamaForCausalLM` built by the same
`llama_config`/`new_model` (so the same initial weights) on an IterableDataset that yields
exactly the windows `Windows.sample(seed, step, 0, batch)` gives kopile, in the same order.
Throughput is taken in the steady state: a forward pre-hook on the model stamps the start of
every training forward (one per step, no accumulation), and tokens/s is measured from the
forward of step `--skip` to the forward of the last step, so start-up, the first steps,
kopile's final evaluation and checkpoint, and Trainer's wind-down are outside it. The same hook
hashes every batch the model sees: equal digests prove equal data. Both final models are then
evaluated on the same validation windows. See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_quality import cpu_ticks, git_revision, machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SOURCES = {"kowiki": DATA / "kowiki" / "kowiki_sample.jsonl.gz",
           "petitions": DATA / "petitions" / "petitions.jsonl.gz"}
RESULTS = ROOT / "benchmarks" / "results"
WORK = ROOT / "build" / "bench" / "train"
VOCAB = 32000
TOKENIZER_MB = 4
PACK_MB = 8

# Batch and length per preset: each CPU run stays well under two minutes on 2 cores.
# The 32k-token output layer dominates both CPU presets (about 85% of tiny's FLOPs). A step
# takes about a second on 2 free cores and several times that when neighbours take them: few
# steps, so that a contended run still ends in a few minutes.
CPU_RUNS = {"tiny": {"seq_len": 256, "batch_size": 8, "steps": 24},
            "small": {"seq_len": 256, "batch_size": 4, "steps": 16}}
GPU_RUNS = {"gpt2-124m": {"seq_len": 1024, "batch_size": 16, "steps": 60}}
OPTIM = {"lr": 3e-3, "betas": [0.9, 0.95], "weight_decay": 0.1, "grad_clip": 1.0, "min_lr_ratio": 0.1,
         "warmup_fraction": 0.1, "seed": 0}
EVAL_BATCHES = 2
LOG_EVERY = 10

# Dense bf16 peak of the tensor cores, TFLOP/s (vendor data sheets, no sparsity). Matched in
# order against torch.cuda.get_device_name(): the more specific names first.
PEAK_BF16_TFLOPS = [("H100 PCIe", 756.0), ("H100 NVL", 835.0), ("H100", 989.0), ("H200", 989.0),
                    ("GH200", 989.0), ("B200", 2250.0), ("A100", 312.0), ("L40S", 362.0), ("L4", 121.0),
                    ("A10G", 70.0), ("A10", 125.0), ("RTX 4090", 165.0), ("RTX 3090", 71.0)]


# --- data -------------------------------------------------------------------------------------------

def _documents():
    """Long documents, alternating between Wikipedia and the petitions: encyclopaedic and web
    registers both in the tokenizer and in the streams."""
    def wiki():
        with gzip.open(SOURCES["kowiki"], "rt", encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                # A stub is the title alone (or the title and a line): nothing to train on.
                if len(d["text"]) > len(d.get("title", "")) + 200:
                    yield f"kowiki-{d['id']}", d["text"]

    def petitions():
        with gzip.open(SOURCES["petitions"], "rt", encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                if len(d["text"]) > 200:
                    yield f"petition-{d['id']}", d["text"]

    streams = [wiki(), petitions()]
    while streams:
        for s in list(streams):
            try:
                yield next(s)
            except StopIteration:
                streams.remove(s)


def prepare(work: Path) -> tuple[Path, Path, dict]:
    """The tokenizer and the packed streams, built once (tokens.json is written last)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = work / "data"
    tok_dir, tokens = data / "tokenizer", data / "tokens"
    if (tokens / "tokens.json").is_file() and (tok_dir / "tokenizer.json").is_file():
        return tok_dir, tokens, json.loads((data / "data.json").read_text())
    missing = [str(p) for p in SOURCES.values() if not p.is_file()]
    if missing:
        sys.exit(f"bench_train: needs the shared Korean data, not found: {', '.join(missing)} "
                 "(see ../shared/data/README.md)")
    from kopile.tokenizers_train.pack import dtype_for, pack_shard
    from kopile.tokenizers_train.train import EOS, save, train

    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    ids, texts, size = [], [], 0
    for doc_id, text in _documents():
        ids.append(doc_id)
        texts.append(text)
        size += len(text.encode("utf-8"))
        if size >= PACK_MB * 1e6:
            break
    cut, acc = 0, 0
    while acc < TOKENIZER_MB * 1e6:
        acc += len(texts[cut].encode("utf-8"))
        cut += 1
    print(f"training a {VOCAB:,}-token tokenizer on {acc / 1e6:.1f} MB ({cut} documents)", flush=True)
    started = time.perf_counter()
    tok = train(texts[:cut], vocab_size=VOCAB)
    save(tok, tok_dir)
    tok_seconds = time.perf_counter() - started
    shard = data / "shards" / "part-00000.parquet"
    shard.parent.mkdir(parents=True)
    pq.write_table(pa.table({"text": texts, "id": ids}), shard)
    print(f"packing {size / 1e6:.1f} MB ({len(texts)} documents)", flush=True)
    tokens.mkdir(parents=True)
    entry = pack_shard(str(tok_dir), str(shard), "part-00000", str(tokens), "text", "id",
                       val_fraction=0.02, seed=0, shuffle=True)
    # The manifest `kopile tokenize` (pipeline/runner.py Packer) writes, with the fields TokenStream reads.
    meta = {"dtype": dtype_for(tok.get_vocab_size()).str, "vocab_size": tok.get_vocab_size(),
            "eos_id": tok.token_to_id(EOS), "tokenizer": str(tok_dir.resolve()), "shards": ["part-00000"],
            "entries": {"part-00000": entry},
            "totals": {s: {k: entry[s][k] for k in ("documents", "tokens")} for s in ("train", "val")}}
    summary = {"documents": len(texts), "mb": round(size / 1e6, 2), "tokenizer_mb": round(acc / 1e6, 2),
               "tokenizer_documents": cut, "tokenizer_seconds": round(tok_seconds, 1),
               "vocab_size": tok.get_vocab_size(), "train_tokens": entry["train"]["tokens"],
               "val_tokens": entry["val"]["tokens"],
               "sources": "kowiki long articles (stubs skipped) and petitions, alternating"}
    (data / "data.json").write_text(json.dumps(summary, indent=2) + "\n")
    (tokens / "tokens.json").write_text(json.dumps(meta, indent=2) + "\n")
    return tok_dir, tokens, summary


# --- one run per subprocess ---------------------------------------------------------------------

class Stamps:
    """A forward pre-hook: the time each training forward starts, and a digest of the ids."""

    def __init__(self, sync_at: set[int]):
        self.times: list[float] = []
        self.cpu: list[float] = []
        self.digest = hashlib.sha256()
        self.sync_at = sync_at

    def attach(self, model):
        import torch

        def hook(module, args, kwargs):
            if not module.training:
                return
            ids = kwargs.get("input_ids", args[0] if args else None)
            if ids.is_cuda and len(self.times) in self.sync_at:
                torch.cuda.synchronize()  # only at the window's two ends: no extra syncs between
            self.times.append(time.perf_counter())
            self.cpu.append(time.process_time())
            self.digest.update(ids.detach().cpu().numpy().astype("<i8").tobytes())

        model.register_forward_pre_hook(hook, with_kwargs=True)
        return model

    def figures(self, skip: int, tokens_per_step: int) -> dict:
        n = len(self.times)
        span = self.times[-1] - self.times[skip]
        steps = n - 1 - skip
        cpu = self.cpu[-1] - self.cpu[skip]
        # Tokens per CPU-second of this process: less sensitive to neighbours taking cores away
        # than tokens/s, though spinning OpenMP threads inflate it when they wait.
        return {"forwards": n, "timed_steps": steps, "timed_seconds": round(span, 3),
                "tokens_per_s": round(steps * tokens_per_step / span, 1),
                "tokens_per_cpu_s": round(steps * tokens_per_step / cpu, 1), "timed_cores": round(cpu / span, 2),
                "first_step_seconds": round(self.times[1] - self.times[0], 3), "data_sha256": self.digest.hexdigest()}


def _val(tokens: str, seq_len: int, batch: int, vocab: int):
    """The validation batches `pretrain` builds, for the Trainer's model."""
    import numpy as np

    from kopile.driver.data import Windows

    windows = Windows(tokens, "val", seq_len, vocab).sequential(EVAL_BATCHES * batch)
    return [(b, None, b) for b in (np.stack(windows[i:i + batch]).astype(np.int64)
                                   for i in range(0, len(windows), batch))]


def child(spec: dict) -> dict:
    import torch

    torch.set_num_threads(spec["threads"])
    cuda = spec["device"] == "cuda"
    warmup = max(1, round(spec["steps"] * OPTIM["warmup_fraction"]))
    stamps = Stamps({spec["skip"], spec["steps"] - 1})
    tokens_per_step = spec["batch_size"] * spec["seq_len"]
    started = time.perf_counter()
    if spec["contender"] == "kopile":
        import kopile.driver.pretrain as pretrain_module
        from kopile.driver.config import ModelSpec, PretrainConfig

        made = pretrain_module.new_model
        pretrain_module.new_model = lambda config, seed: stamps.attach(made(config, seed))
        config = PretrainConfig(
            output=spec["out"], tokens=spec["tokens"], tokenizer=spec["tokenizer"],
            model=ModelSpec(preset=spec["preset"]), seq_len=spec["seq_len"], steps=spec["steps"],
            batch_size=spec["batch_size"], lr=OPTIM["lr"], betas=tuple(OPTIM["betas"]),
            weight_decay=OPTIM["weight_decay"], grad_clip=OPTIM["grad_clip"], min_lr_ratio=OPTIM["min_lr_ratio"],
            warmup_steps=warmup, seed=OPTIM["seed"], eval_batches=EVAL_BATCHES, eval_every=spec["steps"],
            save_every=spec["steps"], log_every=LOG_EVERY, device=spec["device"],
            precision="bf16" if cuda else "fp32")
        result = pretrain_module.pretrain(config, progress=False)
        wall = time.perf_counter() - started
        log = [json.loads(line) for line in (Path(spec["out"]) / "log.jsonl").read_text().splitlines()]
        train_log = [r for r in log if "loss" in r]
        out = {"val_loss": result.get("val_loss"), "last_logged_train_loss": train_log[-1]["loss"],
               "lr": {r["step"]: r["lr"] for r in train_log}, "parameters": result["parameters"]}
    else:
        from contextlib import nullcontext

        from torch.utils.data import IterableDataset
        from transformers import Trainer, TrainerCallback, TrainingArguments

        from kopile.driver import loop
        from kopile.driver.config import ModelSpec
        from kopile.driver.data import Windows
        from kopile.driver.model import llama_config, load_tokenizer, new_model

        tok = load_tokenizer(spec["tokenizer"])
        model_config = llama_config(ModelSpec(preset=spec["preset"]), tok)
        model = stamps.attach(new_model(model_config, OPTIM["seed"]))
        windows = Windows(spec["tokens"], "train", spec["seq_len"], model_config.vocab_size)

        class SameWindows(IterableDataset):
            """Row r of step s's batch is row r of kopile's batch for step s."""

            def __iter__(self):
                for step in range(spec["steps"]):
                    for row in torch.from_numpy(windows.sample(OPTIM["seed"], step, 0, spec["batch_size"])):
                        yield {"input_ids": row, "labels": row}

        lrs, threads = {}, {}

        class Record(TrainerCallback):
            def on_train_begin(self, args, state, control, **kwargs):
                threads["torch_threads_in_train"] = torch.get_num_threads()

            def on_step_begin(self, args, state, control, optimizer=None, **kwargs):
                if (state.global_step + 1) % LOG_EVERY == 0 or state.global_step + 1 == spec["steps"]:
                    lrs[state.global_step + 1] = optimizer.param_groups[0]["lr"]

        args = TrainingArguments(
            output_dir=spec["out"], max_steps=spec["steps"], per_device_train_batch_size=spec["batch_size"],
            gradient_accumulation_steps=1, learning_rate=OPTIM["lr"], adam_beta1=OPTIM["betas"][0],
            adam_beta2=OPTIM["betas"][1], weight_decay=OPTIM["weight_decay"], max_grad_norm=OPTIM["grad_clip"],
            lr_scheduler_type="cosine_with_min_lr", lr_scheduler_kwargs={"min_lr_rate": OPTIM["min_lr_ratio"]},
            warmup_steps=warmup, logging_steps=LOG_EVERY, save_strategy="no", eval_strategy="no",
            report_to="none", dataloader_num_workers=0, dataloader_pin_memory=cuda, use_cpu=not cuda,
            bf16=cuda, seed=OPTIM["seed"], disable_tqdm=True)
        trainer = Trainer(model=model, args=args, train_dataset=SameWindows(), callbacks=[Record()])
        output = trainer.train()
        wall = time.perf_counter() - started
        autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if cuda else nullcontext
        val = loop.evaluate(model, _val(spec["tokens"], spec["seq_len"], spec["batch_size"], model_config.vocab_size),
                            model.device, autocast)
        logged = [r for r in trainer.state.log_history if "loss" in r]
        optimizer = trainer.optimizer.optimizer if hasattr(trainer.optimizer, "optimizer") else trainer.optimizer
        # Compared by tensor, not by name: the tied lm_head.weight is a decay name of Trainer's
        # that names the embedding matrix again.
        decayed = {id(p) for g in optimizer.param_groups if g["weight_decay"] > 0 for p in g["params"]}
        out = {"val_loss": val["val_loss"], "last_logged_train_loss": logged[-1]["loss"] if logged else None,
               "train_loss_mean": round(output.training_loss, 6), "lr": lrs,
               "parameters": sum(p.numel() for p in model.parameters()),
               "optimizer": type(optimizer).__name__, "optimizer_fused": optimizer.defaults.get("fused"),
               # The same decay groups as kopile's: matrices decay, norms do not.
               "decay_groups_match": decayed == {id(p) for p in model.parameters() if p.ndim >= 2},
               **threads}
    figures = stamps.figures(spec["skip"], tokens_per_step)
    return {**out, **figures, "wall_seconds": round(wall, 3), "torch_threads": torch.get_num_threads(),
            "device_name": torch.cuda.get_device_name() if cuda else None}


def run_child(spec: dict) -> dict:
    out = Path(spec["out"])
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    threads = str(spec["threads"])
    env = {**os.environ, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "TOKENIZERS_PARALLELISM": "false",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"}
    if spec["device"] == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    before, usage, wall = cpu_ticks(), resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - wall
    after, usage_after = cpu_ticks(), resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{spec['contender']} {spec['preset']} failed:\n{proc.stderr[-4000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    cpu = (usage_after.ru_utime - usage.ru_utime) + (usage_after.ru_stime - usage.ru_stime)
    result["process_seconds"] = round(wall, 2)
    # Cores the run itself kept busy (2.0 = both of its threads ran all the time), and the
    # machine's busy share: with 2 threads on 2 cores, time the run did not get went to neighbours.
    result["cores_used"] = round(cpu / wall, 2)
    if before and after:
        result["machine_busy"] = round((after[0] - before[0]) / max(1, after[1] - before[1]), 3)
    shutil.rmtree(out, ignore_errors=True)  # checkpoints of a benchmark are not kept
    return result


# --- the report ---------------------------------------------------------------------------------

def flops_per_token(parameters: int, layers: int, hidden: int, seq_len: int) -> float:
    """6N for the weights (forward and backward) plus 12·L·d·T for the attention scores and
    their product with the values (PaLM, appendix B; causal masking not discounted)."""
    return 6 * parameters + 12 * layers * hidden * seq_len


def peak_tflops(name: str, override: float | None) -> float | None:
    if override:
        return override
    for key, value in PEAK_BF16_TFLOPS:
        if key.lower() in name.lower():
            return value
    return None


def summarise(preset: str, setting: dict, runs: dict, peak: float | None) -> dict:
    from kopile.driver.config import PRESETS

    shape = PRESETS[preset]
    row = {"preset": preset, **setting}
    for name, rs in runs.items():
        tps = [r["tokens_per_s"] for r in rs]
        flops = flops_per_token(rs[0]["parameters"], shape["num_hidden_layers"], shape["hidden_size"],
                                setting["seq_len"])
        row[name] = {
            "tokens_per_s_median": round(statistics.median(tps), 1), "tokens_per_s_runs": tps,
            "wall_seconds_median": round(statistics.median(r["wall_seconds"] for r in rs), 2),
            "first_step_seconds_median": round(statistics.median(r["first_step_seconds"] for r in rs), 3),
            "model_tflops_per_s": round(statistics.median(tps) * flops / 1e12, 4),
            "val_loss": [r["val_loss"] for r in rs], "last_logged_train_loss": [r["last_logged_train_loss"] for r in rs],
            "tokens_per_cpu_s_median": round(statistics.median(r["tokens_per_cpu_s"] for r in rs), 1),
            "timed_cores": [r["timed_cores"] for r in rs],
            "cores_used": [r["cores_used"] for r in rs], "machine_busy": [r.get("machine_busy") for r in rs],
            "parameters": rs[0]["parameters"], "data_sha256": sorted({r["data_sha256"] for r in rs}),
            "lr_at_logged_steps": rs[0]["lr"]}
        if peak:
            row[name]["mfu"] = round(statistics.median(tps) * flops / (peak * 1e12), 4)
        extra = {k: rs[0][k] for k in ("optimizer", "optimizer_fused", "decay_groups_match", "torch_threads_in_train",
                                        "train_loss_mean", "device_name") if k in rs[0]}
        row[name].update(extra)
    k, t = row["kopile"], row["trainer"]
    row["ratio_kopile_over_trainer"] = round(k["tokens_per_s_median"] / t["tokens_per_s_median"], 3)
    row["ratio_per_cpu_s"] = round(k["tokens_per_cpu_s_median"] / t["tokens_per_cpu_s_median"], 3)
    row["same_data"] = k["data_sha256"] == t["data_sha256"] and len(k["data_sha256"]) == 1
    row["val_loss_gap"] = round(statistics.median(k["val_loss"]) - statistics.median(t["val_loss"]), 4)
    return row


def write_markdown(path: Path, report: dict) -> None:
    lines = ["# Training throughput: kopile's driver against transformers.Trainer", "",
             f"Written by `benchmarks/bench_train.py` on {report['date']} at revision {report['git_revision']}. "
             f"Machine: {report['machine']['cpu_model']}, {report['machine']['nproc']} cores, torch "
             f"{report['versions']['torch']}, transformers {report['versions']['transformers']}; "
             f"{report['threads']} torch threads per run; medians of {report['repeat']} interleaved runs.", "",
             f"Data: {report['data']['mb']} MB of Korean text ({report['data']['sources']}), "
             f"{report['data']['train_tokens']:,} training tokens, a {report['data']['vocab_size']:,}-token kopile "
             f"tokenizer. Optimiser for both: AdamW lr {OPTIM['lr']}, betas {tuple(OPTIM['betas'])}, weight decay "
             f"{OPTIM['weight_decay']} on matrices only, linear warmup over {OPTIM['warmup_fraction']:.0%} of the "
             f"steps then cosine to {OPTIM['min_lr_ratio']} x lr, gradient clipping at {OPTIM['grad_clip']}.", "",
             "| device | preset | params | seq × batch | steps (timed) | kopile tok/s | Trainer tok/s | kopile / Trainer "
             "| tok/CPU-s kopile / Trainer (ratio) | wall kopile / Trainer (s) | val loss kopile / Trainer | same data |",
             "|---|---|---:|---|---:|---:|---:|---:|---|---|---|---|"]
    for row in report["runs"]:
        k, t = row["kopile"], row["trainer"]
        lines.append(
            f"| {row['device']} | {row['preset']} | {k['parameters'] / 1e6:.1f}M | {row['seq_len']} × {row['batch_size']} "
            f"| {row['steps']} ({row['steps'] - 1 - row['skip']}) | {k['tokens_per_s_median']:,.0f} "
            f"| {t['tokens_per_s_median']:,.0f} | **{row['ratio_kopile_over_trainer']:.3f}** "
            f"| {k['tokens_per_cpu_s_median']:,.0f} / {t['tokens_per_cpu_s_median']:,.0f} ({row['ratio_per_cpu_s']:.3f}) "
            f"| {k['wall_seconds_median']:.1f} / {t['wall_seconds_median']:.1f} "
            f"| {statistics.median(k['val_loss']):.3f} / {statistics.median(t['val_loss']):.3f} "
            f"| {'yes' if row['same_data'] else 'NO'} |")
    lines += ["", "Per run (tokens/s; cores the run had in the timed window; machine busy share over the run):", ""]
    for row in report["runs"]:
        for name in ("kopile", "trainer"):
            r = row[name]
            lines.append(f"- {row['preset']} {name}: " + ", ".join(
                f"{v:,.0f} ({c:.2f} cores, {b:.0%} busy)" if b is not None else f"{v:,.0f} ({c:.2f} cores)"
                for v, c, b in zip(r["tokens_per_s_runs"], r["timed_cores"], r["machine_busy"])))
    gpu = report["gpu"]
    lines += ["", "## GPU", ""]
    if not gpu["available"]:
        lines.append(f"No GPU in this run ({gpu['reason']}): the `gpt2-124m` bf16 figures (tokens/s, MFU) were not "
                     "measured. Run the script on a machine with CUDA to get them.")
    else:
        lines.append(f"{gpu['name']}, peak bf16 {gpu['peak_bf16_tflops']} TFLOP/s "
                     f"({gpu['peak_source']}). MFU = tokens/s × (6N + 12·L·d·T) / peak.")
        lines.append("")
        for row in report["runs"]:
            if row["device"] == "cuda":
                for name in ("kopile", "trainer"):
                    r = row[name]
                    mfu = f"{r['mfu']:.1%}" if "mfu" in r else "unknown peak"
                    lines.append(f"- {row['preset']} bf16 {name}: {r['tokens_per_s_median']:,.0f} tokens/s, "
                                 f"{r['model_tflops_per_s']:.1f} TFLOP/s, MFU {mfu}")
    lines += ["", "## How", "", *report["notes"]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender and preset (default 3)")
    parser.add_argument("--steps", type=int, help="steps per run for every preset (default: per preset)")
    parser.add_argument("--skip", type=int, default=3, help="steps left out of the timed window (default 3)")
    parser.add_argument("--presets", default="tiny,small", help="CPU presets (default tiny,small)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads per run (default 2)")
    parser.add_argument("--quick", action="store_true", help="tiny, 6 steps, once; writes under build/ only")
    parser.add_argument("--no-gpu", action="store_true", help="skip the GPU runs even where CUDA is available")
    parser.add_argument("--peak-tflops", type=float, help="the GPU's dense bf16 peak, where the table lacks it")
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return

    import torch
    import transformers

    if args.quick:
        args.repeat, args.steps, args.skip, args.presets = 1, args.steps or 6, 2, "tiny"
    tok_dir, tokens, data = prepare(args.work)
    plan = []
    for preset in args.presets.split(","):
        setting = dict(CPU_RUNS[preset])
        if args.steps:
            setting["steps"] = args.steps
        plan.append(("cpu", preset, setting))
    gpu = {"available": False}
    if args.no_gpu:
        gpu["reason"] = "--no-gpu"
    elif not torch.cuda.is_available():
        gpu["reason"] = "torch.cuda.is_available() is False"
    else:
        name = torch.cuda.get_device_name()
        peak = peak_tflops(name, args.peak_tflops)
        gpu = {"available": True, "name": name, "peak_bf16_tflops": peak,
               "peak_source": "--peak-tflops" if args.peak_tflops else ("data-sheet table" if peak else "unknown")}
        for preset, setting in GPU_RUNS.items():
            setting = dict(setting)
            if args.steps:
                setting["steps"] = args.steps
            plan.append(("cuda", preset, setting))
    if not gpu["available"]:
        print(f"no GPU: {gpu['reason']}; the gpt2-124m bf16 runs are skipped", flush=True)

    started_machine = machine()
    runs = {(d, p): {"kopile": [], "trainer": []} for d, p, _ in plan}
    for repeat in range(args.repeat):
        order = ["kopile", "trainer"] if repeat % 2 == 0 else ["trainer", "kopile"]
        for device, preset, setting in plan:
            for contender in order:
                spec = {"contender": contender, "preset": preset, "device": device, **setting, "skip": args.skip,
                        "threads": args.threads, "tokens": str(tokens), "tokenizer": str(tok_dir),
                        "out": str(args.work / "runs" / f"{contender}-{preset}")}
                r = run_child(spec)
                runs[(device, preset)][contender].append(r)
                print(f"[{repeat + 1}/{args.repeat}] {device} {preset:9s} {contender:7s} {r['tokens_per_s']:9,.0f} tok/s  "
                      f"wall {r['wall_seconds']:6.1f}s  val loss {r['val_loss']:.3f}  cores {r['cores_used']:.2f}  "
                      f"busy {r.get('machine_busy', 0):.0%}", flush=True)

    peak = gpu.get("peak_bf16_tflops")
    rows = []
    for device, preset, setting in plan:
        row = summarise(preset, {**setting, "skip": args.skip}, runs[(device, preset)],
                        peak if device == "cuda" else None)
        rows.append({"device": device, **row})
    notes = [
        "- Each run is a fresh subprocess with `torch.set_num_threads` and OMP/MKL threads set to the same count; "
        "the two contenders alternate which goes first from one repeat to the next.",
        "- Same model: both build `LlamaForCausalLM(driver.model.llama_config(ModelSpec(preset), tokenizer))` "
        "with `driver.model.new_model(config, seed)`, so the initial weights are identical.",
        "- Same data: Trainer reads an IterableDataset whose step s is `Windows.sample(seed, s, 0, batch)`, the "
        "batch kopile draws for that step; a forward pre-hook hashes every training batch the model sees, and the "
        "digests are compared (`same data`).",
        "- Trainer: `TrainingArguments` with the same lr, betas, weight decay, `max_grad_norm`, "
        "`cosine_with_min_lr` (min_lr_rate = kopile's min_lr_ratio) and warmup steps; its default optimiser "
        "(`adamw_torch_fused`) and its own decay grouping, which selects the same parameters as kopile's "
        "(matrices decay, RMSNorm weights do not; checked in each run). No saving or evaluation; logging every "
        f"{LOG_EVERY} steps as kopile's `log_every`. Trainer's warmup starts at 0 where kopile's starts at "
        "lr/warmup, so the schedules are one step apart during the warmup and equal after it.",
        "- kopile: `driver.pretrain.pretrain` as `kopile pretrain` runs it (progress bar off), which also "
        "evaluates at the end and writes a checkpoint and `final/`: they count in its wall time, not in tokens/s.",
        f"- Tokens/s: the forward pre-hook stamps each training forward; the window runs from the forward of "
        f"step {args.skip} to that of the last step (steps {args.skip}..N-2, whole iterations). On a GPU it "
        "synchronises at the window's two ends only.",
        "- Val loss: both final models evaluated by `driver.loop.evaluate` on the same validation windows "
        f"({EVAL_BATCHES} batches of non-overlapping windows of the val split).",
        "- `last_logged_train_loss` in the JSON is kopile's loss of the last step and Trainer's mean over its "
        "last logging window: not the same quantity; the val loss is the comparison.",
        "- cores: the process's CPU time over wall time in the timed window (2.00 = both its threads ran "
        "throughout); tok/CPU-s: tokens per CPU-second of the process in that window, less sensitive than tok/s "
        "to neighbours taking cores (spinning OpenMP threads still inflate it); busy: the whole machine's busy "
        "share over the run from /proc/stat, neighbours included.",
    ]
    report = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "git_revision": git_revision(),
              "machine": {**started_machine, "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
              "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
              "threads": args.threads, "repeat": args.repeat, "quick": args.quick, "optim": OPTIM,
              "data": data, "gpu": gpu, "runs": rows, "notes": notes}
    out_dir = args.work if args.quick else RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "train_speed.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    write_markdown(out_dir / "train_speed.md", report)
    print((out_dir / "train_speed.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
