"""`kopile ablate ABLATE.yaml`: does the cleaning make a better model?

The same small model is trained from the same initial weights, for exactly the same number of
tokens, on the raw corpus and on the output of each step of a pipeline, and measured on held-out
text in bits per byte (FineWeb's and DCLM's method, at the scale of a laptop):

1. the pipeline runs once over the raw corpus (finished stages are reused); a variant is the
   raw corpus, the output of one of its stages (`through: quality`), or a pipeline config of
   its own;
2. one tokenizer, trained once on a neutral sample (the raw corpus), packs every variant;
3. the held-out sets are checked to share no document with any variant's training data, by id
   and by near-duplicate search;
4. every (variant, seed) is a task on the shard-job engine: pretraining in `eval_points`
   segments, the held-out sets measured after each; a killed ablation resumes, each run from
   its last checkpoint;
5. results.json, results.md and two plots: bits per byte against training tokens, and final
   bits per byte per variant and held-out set (mean and standard deviation over the seeds).

Bits per byte: summed negative log-likelihood (nats) / ln 2 / UTF-8 bytes of the held-out text,
so a change of tokenizer cannot pass for a change of data.
"""
from __future__ import annotations

import json
import shutil
import statistics
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow.parquet as pq
from pydantic import BaseModel, Field, model_validator

from kopile.core import io
from kopile.core.config import STRICT, ConfigError, load_yaml, parse_model
from kopile.core.errors import InputError, RunFailed
from kopile.driver.config import ModelSpec
from kopile.pipeline.jobs import engine
from kopile.pipeline.jobs.engine import Item, Job
from kopile.tokenizers_train.config import TokenizerSettings


class VariantSpec(BaseModel):
    model_config = STRICT

    through: str | None = None   # the stage whose kept output trains it (a name, or NN_name); neither: raw
    config: str | None = None    # or a pipeline config of its own, run over the raw corpus

    @model_validator(mode="after")
    def _one(self):
        if self.through and self.config:
            raise ValueError("a variant is either `through` a stage of the pipeline or its own `config`, not both")
        return self


class AblationTokenizer(TokenizerSettings):
    vocab_size: int = Field(8000, ge=512, le=1_000_000, strict=True)
    sample_chars: int = Field(20_000_000, ge=1000, strict=True)  # the neutral sample: the raw corpus's first chars


class AblateConfig(BaseModel):
    """`kopile ablate`: the variants, the model and its budget, the held-out sets."""
    model_config = STRICT

    raw: str | list[str]
    heldout: dict[str, str | list[str]] = Field(min_length=1)
    pipeline: str | None = None
    variants: dict[str, VariantSpec] = Field(min_length=1)
    output: str
    text_column: str = "text"
    id_column: str = "id"
    tokenizer: AblationTokenizer = AblationTokenizer()
    model: ModelSpec = ModelSpec()
    tokens: int = Field(ge=1, strict=True)            # training tokens of every run
    seq_len: int = Field(128, ge=8, strict=True)
    batch_size: int = Field(16, ge=1, strict=True)
    lr: float = Field(3e-3, gt=0)
    warmup_fraction: float = Field(0.05, ge=0, lt=1)
    min_lr_ratio: float = Field(0.1, ge=0, le=1)
    weight_decay: float = Field(0.1, ge=0)
    seeds: list[int] = Field([0, 1, 2], min_length=1)
    eval_points: int = Field(4, ge=1, strict=True)
    eval_batch_size: int = Field(16, ge=1, strict=True)
    heldout_max_docs: int | None = Field(None, ge=1, strict=True)
    threads: int = Field(1, ge=1, strict=True)        # torch threads of one training task
    device: Literal["auto", "cpu", "cuda"] = "auto"
    near_duplicate_threshold: float = Field(0.8, gt=0, lt=1)

    @model_validator(mode="after")
    def _budget(self):
        window = self.batch_size * self.seq_len
        if self.tokens % window or self.tokens // window < self.eval_points:
            raise ValueError(f"tokens ({self.tokens:,}) must be a multiple of batch_size x seq_len ({window:,}), "
                             f"at least eval_points ({self.eval_points}) of them: every run trains on exactly "
                             "that many tokens")
        return self

    @property
    def steps(self) -> int:
        return self.tokens // (self.batch_size * self.seq_len)


def load_ablate_config(path: str | Path, overrides: dict | None = None) -> AblateConfig:
    data = load_yaml(Path(path))
    if isinstance(data, dict):  # relative paths in the config are relative to the config file's folder
        data = _resolve(data, Path(path).resolve().parent)
        data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return parse_model(AblateConfig, data, str(path))


def _resolve(data: dict, base: Path) -> dict:
    def fix(value):
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value if Path(value).is_absolute() or Path(value).exists() else str(base / value)

    out = dict(data)
    if isinstance(out.get("output"), str) and not Path(out["output"]).is_absolute():
        out["output"] = str(base / out["output"])
    for key in ("raw", "pipeline"):
        if isinstance(out.get(key), (str, list)):
            out[key] = fix(out[key])
    if isinstance(out.get("heldout"), dict):
        out["heldout"] = {k: fix(v) for k, v in out["heldout"].items()}
    if isinstance(out.get("variants"), dict):
        out["variants"] = {k: ({**v, "config": fix(v["config"])} if isinstance(v, dict) and v.get("config") else v)
                           for k, v in out["variants"].items()}
    return out


QUICK = {"tokens": 20 * 8 * 32, "seq_len": 32, "batch_size": 8, "seeds": [0, 1], "eval_points": 2,
         "heldout_max_docs": 40, "tokenizer": {"vocab_size": 600, "sample_chars": 300_000},
         "model": {"preset": "tiny", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                   "num_attention_heads": 2, "num_key_value_heads": 2, "max_position_embeddings": 64}}


def quick(config: AblateConfig) -> AblateConfig:
    """The same ablation at a size that runs in seconds: for tests and a first look."""
    data = config.model_dump()
    data.update(QUICK)
    data["tokenizer"] = {**data["tokenizer"], **QUICK["tokenizer"]}
    return AblateConfig.model_validate(data)


# --- held-out text ----------------------------------------------------------------------------------

def read_texts(spec: str | list[str], text_column: str, id_column: str, limit: int | None = None
               ) -> tuple[list[str], list[str]]:
    """(ids, texts) of Parquet shards (a folder, glob or files) or JSON Lines files."""
    paths = [spec] if isinstance(spec, str) else list(spec)
    ids, texts = [], []
    for path in paths:
        if str(path).endswith((".jsonl", ".jsonl.gz")):
            from kopile.driver.data import _open

            with _open(Path(path)) as f:
                for number, line in enumerate(f):
                    obj = json.loads(line)
                    if obj.get(text_column):
                        ids.append(str(obj.get(id_column, f"{Path(path).name}:{number}")))
                        texts.append(obj[text_column])
            continue
        for _, shard in io.list_shards(path):
            table = pq.read_table(shard, columns=[id_column, text_column])
            for doc_id, text in zip(table.column(id_column).to_pylist(), table.column(text_column).to_pylist()):
                if text:
                    ids.append(str(doc_id))
                    texts.append(text)
    return (ids[:limit], texts[:limit]) if limit else (ids, texts)


def find_leaks(heldout: dict[str, tuple[list[str], list[str]]], shards: list[Path], text_column: str,
               id_column: str, threshold: float = 0.8) -> dict:
    """Which documents of the training shards are held-out documents: the same id, the same text
    after NFC, case and whitespace folding, or a near duplicate (MinHash LSH over character
    5-grams, verified: the estimated Jaccard similarity reaches `threshold`). Counts, and the
    rows of each shard (`rows`)."""
    from kopile.filters.dedup import ExactKey
    from kopile.pipeline.dedup.minhash import MinHasher, band_hashes, lsh_params

    keyer = ExactKey()
    hasher = MinHasher(num_perm=128, seed=1, shingle="char", ngram=5, normalizer=keyer.normalize)
    bands, rows_per_band = lsh_params(threshold, 128, 0.1, 0.9)
    held_ids = {i for ids, _ in heldout.values() for i in ids}
    held_texts = [t for _, texts in heldout.values() for t in texts]
    held_keys = {keyer.key(t) for t in held_texts}
    held_sig, held_count = hasher(held_texts)
    held_bands = band_hashes(held_sig, bands, rows_per_band)
    found = {"ids": 0, "texts": 0, "near_duplicates": 0, "rows": {}}
    for shard in shards:
        parquet = pq.ParquetFile(shard)
        columns = [c for c in (id_column, text_column) if c in parquet.schema_arrow.names]
        first = 0
        hits: set[int] = set()
        for batch in parquet.iter_batches(batch_size=2000, columns=columns):
            table = batch.to_pydict()
            texts = [t or "" for t in table[text_column]]
            ids = [str(i) for i in table.get(id_column, [None] * len(texts))]
            for j, (doc_id, text) in enumerate(zip(ids, texts)):
                if doc_id in held_ids:
                    found["ids"] += 1
                    hits.add(first + j)
                if text and keyer.key(text) in held_keys:
                    found["texts"] += 1
                    hits.add(first + j)
            sig, count = hasher(texts)
            band = band_hashes(sig, bands, rows_per_band)
            for b in range(bands):
                for j in np.flatnonzero(np.isin(band[:, b], held_bands[held_count > 0, b]) & (count > 0)):
                    same = np.flatnonzero((held_bands[:, b] == band[j, b]) & (held_count > 0))
                    if any((sig[j] == held_sig[i]).mean() >= threshold for i in same) and first + j not in hits:
                        found["near_duplicates"] += 1
                        hits.add(first + int(j))
            first += len(texts)
        if hits:
            found["rows"][str(shard)] = sorted(hits)
    return found


# --- one training run -------------------------------------------------------------------------------

def train_run(spec: dict) -> dict:
    """One (variant, seed): pretraining to the budget in `eval_points` segments, the held-out sets
    measured after each; a killed run resumes from its last checkpoint, and a run whose training
    data changed starts over."""
    started = time.perf_counter()
    entry = {"status": "error", "variant": spec["variant"], "seed": spec["seed"], "data": spec["data"],
             "seconds": 0.0, "error": None}
    try:
        entry.update(_train(spec), status="ok")
    except BaseException as e:
        if not isinstance(e, Exception):
            raise
        from kopile.core.errors import error_entry

        error_entry(entry, e)
    entry["seconds"] = round(time.perf_counter() - started, 3)
    return entry


def _train(spec: dict) -> dict:
    import torch

    from kopile.driver.config import PretrainConfig
    from kopile.driver.generate import bits_per_byte
    from kopile.driver.loop import latest_checkpoint
    from kopile.driver.model import load_model, load_tokenizer
    from kopile.driver.pretrain import pretrain

    torch.set_num_threads(spec["threads"])
    out = Path(spec["pretrain"]["output"])
    data = io.read_json(out / "data.json", None)
    if data is not None and data != spec["data"]:
        shutil.rmtree(out)  # trained on other data: nothing of it can be resumed
    io.write_json_atomic(out / "data.json", spec["data"])
    config = PretrainConfig(**spec["pretrain"])
    tok = load_tokenizer(config.tokenizer)
    heldout = {name: read_texts(paths, spec["text_column"], spec["id_column"], spec["heldout_max_docs"])[1]
               for name, paths in spec["heldout"].items()}
    curve = io.read_json(out / "curve.json", [])
    points = [round(config.steps * (k + 1) / spec["eval_points"]) for k in range(spec["eval_points"])]
    result: dict[str, Any] = {}
    for target in points:
        if any(p["step"] == target for p in curve):
            continue
        latest = latest_checkpoint(out)
        at = int(latest.name.split("-")[1]) if latest is not None else 0
        if at < target:
            result = pretrain(config, resume=True, stop_after=target - at, progress=False)
        model = load_model(out / "checkpoints" / f"step-{target:07d}")
        measured = {name: bits_per_byte(model, tok, texts, config.seq_len, spec["eval_batch_size"])
                    for name, texts in heldout.items()}
        curve.append({"step": target, "tokens": target * config.batch_size * config.seq_len, "heldout": measured})
        io.write_json_atomic(out / "curve.json", curve)
    train_tokens = io.read_json(Path(config.tokens) / "tokens.json")["totals"]["train"]["tokens"]
    tokens = config.steps * config.batch_size * config.seq_len
    return {"steps": config.steps, "tokens": tokens, "train_tokens": train_tokens,
            "epochs": round(tokens / train_tokens, 4) if train_tokens else None,
            "parameters": result.get("parameters"), "curve": curve, "final": curve[-1]["heldout"]}


class TrainJob(Job):
    title = "ablation"
    unit = "run"
    section = "runs"
    holds = "an ablation with other training settings"
    task = staticmethod(train_run)

    def __init__(self, directory: Path, fingerprint: str, specs: list[dict]):
        super().__init__(directory, fingerprint)
        self.specs = specs

    def items(self) -> list[Item]:
        return [Item(f"{s['variant']}/seed{s['seed']}", (s,)) for s in self.specs]

    def done(self, item: Item, entry: dict) -> bool:
        return entry.get("status") == "ok" and entry.get("data") == item.args[0]["data"]

    def error_line(self, item: Item, entry: dict) -> str:
        return f"{item.key}: {entry['error'].splitlines()[0]}"


# --- the whole ablation -----------------------------------------------------------------------------

class Ablation:
    def __init__(self, config: AblateConfig, progress: bool | None = None, log=print):
        self.config = config
        self.out = Path(config.output)
        self.progress = progress
        self.log = log
        self._pipeline = None

    def pipeline(self):
        """The pipeline config, over the raw corpus, into OUT/pipeline."""
        from kopile.pipeline.config import parse_config

        if self._pipeline is None and self.config.pipeline:
            data = load_yaml(Path(self.config.pipeline))
            if not isinstance(data, dict):
                raise ConfigError(f"{self.config.pipeline}: not a pipeline config")
            self._pipeline = parse_config({**data, "input": self.config.raw, "output": str(self.out / "pipeline"),
                                           "text_column": self.config.text_column,
                                           "id_column": self.config.id_column}, self.config.pipeline)
        return self._pipeline

    def prepare(self) -> None:
        c = self.config
        io.list_shards(c.raw)
        for name, spec in c.heldout.items():
            if not read_texts(spec, c.text_column, c.id_column, 1)[1]:
                raise InputError(f"held-out set {name!r} ({spec}) holds no text")
        stages = [s.name for s in self.pipeline().stages] if c.pipeline else []
        for name, variant in c.variants.items():
            if variant.through and not self._stage_dir(variant.through, stages):
                raise ConfigError(f"variants.{name}.through: {variant.through!r} is not a stage of {c.pipeline} "
                                  f"(stages: {stages})")
        io.check_not_nested(io.input_roots(c.raw), self.out)
        io.prepare_dir(self.out)

    @staticmethod
    def _stage_dir(through: str, stages: list[str]) -> str | None:
        names = [f"{i + 1:02d}_{s}" for i, s in enumerate(stages)]
        matches = [d for d, s in zip(names, stages) if through in (s, d)]
        return matches[-1] if matches else None

    def run(self, executor=None) -> dict:
        from kopile.pipeline.config import parse_config
        from kopile.pipeline.jobs.pack import Packer
        from kopile.pipeline.jobs.run import Runner
        from kopile.tokenizers_train.config import PackConfig, TokenizerConfig
        from kopile.tokenizers_train.run import train_tokenizer

        c = self.config
        self.prepare()
        executor = engine.executor_or_ray(executor)
        started = time.perf_counter()
        corpora: dict[str, str | list[str]] = {}
        if c.pipeline:
            self.log("pipeline over the raw corpus ...")
            Runner(self.pipeline(), self.progress).run(executor)
        stages = [s.name for s in self.pipeline().stages] if c.pipeline else []
        for name, variant in c.variants.items():
            if variant.through:
                corpora[name] = str(self.out / "pipeline" / self._stage_dir(variant.through, stages) / "kept")
            elif variant.config:
                own = load_yaml(Path(variant.config))
                cfg = parse_config({**own, "input": c.raw, "output": str(self.out / "pipelines" / name),
                                    "text_column": c.text_column, "id_column": c.id_column}, variant.config)
                self.log(f"pipeline of variant {name} ...")
                summary = Runner(cfg, self.progress).run(executor)
                corpora[name] = str(self.out / "pipelines" / name / summary["stages"][-1]["dir"] / "kept")
            else:
                corpora[name] = c.raw
        tokenizer = self.out / "tokenizer"
        settings = {k: v for k, v in c.tokenizer.model_dump().items() if k != "sample_chars"}
        report = io.read_json(tokenizer / "train_report.json", {})
        wanted = {**settings, "input": c.raw, "max_chars": c.tokenizer.sample_chars}
        if {k: report.get("settings", {}).get(k) for k in wanted} != wanted:
            self.log("tokenizer, on a sample of the raw corpus ...")
            shutil.rmtree(tokenizer, ignore_errors=True)
            train_tokenizer(TokenizerConfig(input=c.raw, output=str(tokenizer), text_column=c.text_column,
                                            **{**settings, "max_chars": c.tokenizer.sample_chars}), executor.map)
        streams = {}
        for name, corpus in corpora.items():
            self.log(f"token streams of {name} ...")
            meta = Packer(PackConfig(input=corpus, tokenizer=str(tokenizer), output=str(self.out / "tokens" / name),
                                     text_column=c.text_column, id_column=c.id_column, val_fraction=0.0),
                          self.progress).run(executor)
            streams[name] = meta
        heldout = {name: read_texts(spec, c.text_column, c.id_column) for name, spec in c.heldout.items()}
        leaks = {}
        for name, corpus in corpora.items():
            leaks[name] = find_leaks(heldout, [p for _, p in io.list_shards(corpus)], c.text_column, c.id_column,
                                     c.near_duplicate_threshold)
            leaks[name].pop("rows")
            if any(leaks[name].values()):
                raise InputError(f"variant {name!r} trains on held-out documents ({leaks[name]}): the held-out "
                                 "sets must be split off the raw corpus before anything else")
        job = self._train_job(corpora, streams, tokenizer)
        self.log(f"training {len(job.specs)} runs of {c.tokens:,} tokens ...")
        outcome = engine.run(job, executor, self.progress)
        if outcome.fatal or outcome.errors:
            raise RunFailed(f"{len(outcome.errors or outcome.fatal)} training run(s) failed",
                            outcome.fatal or outcome.errors)
        results = summarize(c, outcome.entries, streams, leaks, tokenizer)
        results["wall_seconds"] = round(time.perf_counter() - started, 1)
        write_report(self.out, results)
        return results

    def _train_job(self, corpora: dict, streams: dict, tokenizer: Path) -> TrainJob:
        from kopile.driver.config import PretrainConfig

        c = self.config
        tokenizer_digest = io.file_digest(tokenizer / "tokenizer.json")
        specs = []
        for name in corpora:
            data = {"tokens": io.digest(streams[name]["entries"]), "tokenizer": tokenizer_digest}
            for seed in c.seeds:
                pretrain = PretrainConfig(
                    tokens=str(self.out / "tokens" / name), tokenizer=str(tokenizer),
                    output=str(self.out / "train" / name / f"seed{seed}"), model=c.model, seq_len=c.seq_len,
                    steps=c.steps, batch_size=c.batch_size, lr=c.lr, min_lr_ratio=c.min_lr_ratio,
                    warmup_steps=round(c.warmup_fraction * c.steps), weight_decay=c.weight_decay, seed=seed,
                    eval_every=c.steps, save_every=max(1, c.steps // (4 * c.eval_points)), keep_checkpoints=1,
                    log_every=max(1, c.steps // 20), device=c.device)
                specs.append({"variant": name, "seed": seed, "data": data, "threads": c.threads,
                              "pretrain": pretrain.model_dump(mode="json"), "heldout": c.heldout,
                              "text_column": c.text_column, "id_column": c.id_column,
                              "heldout_max_docs": c.heldout_max_docs, "eval_points": c.eval_points,
                              "eval_batch_size": c.eval_batch_size})
        fingerprint = io.digest({k: v for k, v in c.model_dump().items()
                                 if k in ("model", "tokens", "seq_len", "batch_size", "lr", "warmup_fraction",
                                          "min_lr_ratio", "weight_decay", "eval_points", "heldout",
                                          "heldout_max_docs", "device")})
        return TrainJob(self.out / "train", fingerprint, specs)


# --- the report -------------------------------------------------------------------------------------

def _mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def summarize(config: AblateConfig, entries: dict, streams: dict, leaks: dict, tokenizer: Path) -> dict:
    sets = list(config.heldout)
    variants = list(config.variants)
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    for key, entry in sorted(entries.items()):
        runs[entry["variant"]].append(entry)
    table = {}
    for v in variants:
        per_set = {s: _mean_std([r["final"][s]["bpb"] for r in runs[v]]) for s in sets}
        average = _mean_std([statistics.fmean(r["final"][s]["bpb"] for s in sets) for r in runs[v]])
        loss = _mean_std([statistics.fmean(r["final"][s]["loss"] for s in sets) for r in runs[v]])
        first = runs[v][0]
        table[v] = {"bpb": {s: {"mean": m, "std": d} for s, (m, d) in per_set.items()},
                    "average": {"mean": average[0], "std": average[1]},
                    "token_loss": {"mean": loss[0], "std": loss[1]},
                    "train_tokens": first["train_tokens"], "tokens": first["tokens"], "epochs": first["epochs"],
                    "documents": streams[v]["totals"]["train"]["documents"],
                    "seeds": [r["seed"] for r in runs[v]],
                    "per_seed": {str(r["seed"]): {**{s: r["final"][s]["bpb"] for s in sets},
                                                  "average": statistics.fmean(r["final"][s]["bpb"] for s in sets)}
                                 for r in runs[v]}}
    # Against the first variant, seed by seed: a run and its baseline share initial weights and
    # batch order, so the paired change is the measurement; its spread says what is noise.
    base = variants[0]
    by_seed = {v: {r["seed"]: r for r in runs[v]} for v in variants}
    for v in variants:
        seeds = sorted(set(by_seed[v]) & set(by_seed[base]))

        def change(key) -> dict:
            values = [key(by_seed[v][k]) / key(by_seed[base][k]) - 1 for k in seeds]
            mean, std = _mean_std(values)
            return {"mean": mean, "std": std}

        table[v]["vs_" + base] = {s: change(lambda r, s=s: r["final"][s]["bpb"]) for s in sets}
        table[v]["vs_" + base]["average"] = change(lambda r: statistics.fmean(r["final"][s]["bpb"] for s in sets))
    curves = {}
    for v in variants:
        points = sorted({p["tokens"] for r in runs[v] for p in r["curve"]})
        curves[v] = [{"tokens": t, **dict(zip(("mean", "std"), _mean_std(
            [statistics.fmean(p["heldout"][s]["bpb"] for s in sets) for r in runs[v] for p in r["curve"]
             if p["tokens"] == t])))} for t in points]
    return {"config": config.model_dump(mode="json"), "heldout": sets, "variants": table, "curves": curves,
            "leaks": leaks, "tokenizer": str(tokenizer), "baseline": base,
            "runs": {k: {x: e[x] for x in ("variant", "seed", "final", "curve", "epochs", "seconds")}
                     for k, e in sorted(entries.items())}}


def markdown(results: dict) -> str:
    c = results["config"]
    sets, base = results["heldout"], results["baseline"]
    lines = [f"# Ablation: bits per byte on held-out text, {len(c['seeds'])} seeds (mean ± std)", "",
             f"Every run: the `{c['model']['preset']}` model, {c['tokens']:,} training tokens (seq_len {c['seq_len']}, "
             f"batch {c['batch_size']}), the same initial weights and batch order per seed, one tokenizer "
             f"({c['tokenizer']['model']}, {c['tokenizer']['vocab_size']:,}) for all variants. Lower is better.", "",
             "| variant | documents | train tokens | epochs | " + " | ".join(sets) + " | average |",
             "|---|---:|---:|---:|" + "---:|" * (len(sets) + 1)]
    for v, row in results["variants"].items():
        cells = [f"{row['bpb'][s]['mean']:.4f} ± {row['bpb'][s]['std']:.4f}" for s in sets]
        lines.append(f"| {v} | {row['documents']:,} | {row['train_tokens']:,} | {row['epochs']:.2f} | "
                     + " | ".join(cells) + f" | {row['average']['mean']:.4f} ± {row['average']['std']:.4f} |")
    lines += ["", f"Change of bits per byte against `{base}`, seed by seed (the same initial weights and batches): "
                  "mean ± std over the seeds; negative is better.", "",
              "| variant | " + " | ".join(sets) + " | average |", "|---|" + "---:|" * (len(sets) + 1)]
    for v, row in results["variants"].items():
        d = row["vs_" + base]
        lines.append(f"| {v} | " + " | ".join(f"{100 * d[s]['mean']:+.2f}% ± {100 * d[s]['std']:.2f}" for s in sets)
                     + f" | {100 * d['average']['mean']:+.2f}% ± {100 * d['average']['std']:.2f} |")
    names = list(results["variants"])
    if len(names) > 1:
        lines += ["", "Each variant against the one before it, seed by seed (negative: fewer bits per byte, better):",
                  "", "| step | " + " | ".join(sets) + " | average |", "|---|" + "---:|" * (len(sets) + 1)]
        for a, b in zip(names, names[1:]):
            pa_, pb = results["variants"][a]["per_seed"], results["variants"][b]["per_seed"]
            seeds = sorted(set(pa_) & set(pb))
            cells = []
            for s in [*sets, "average"]:
                mean, std = _mean_std([pb[k][s] / pa_[k][s] - 1 for k in seeds])
                cells.append(f"{100 * mean:+.2f}% ± {100 * std:.2f}")
            lines.append(f"| {a} → {b} | " + " | ".join(cells) + " |")
    lines += ["", "Held-out documents found in each variant's training data (ids, texts, near duplicates): "
              + ", ".join(f"{v} {sum(x.values())}" for v, x in results["leaks"].items()) + "."]
    return "\n".join(lines) + "\n"


def write_report(out: Path, results: dict) -> None:
    io.write_json_atomic(out / "results.json", results)
    io.write_bytes_atomic(out / "results.md", markdown(results).encode("utf-8"))
    try:
        plot(out, results)
    except ImportError:  # matplotlib is in the `report` extra
        pass


def plot(out: Path, results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for v, points in results["curves"].items():
        x = [p["tokens"] for p in points]
        y = np.array([p["mean"] for p in points])
        s = np.array([p["std"] for p in points])
        ax.plot(x, y, marker="o", label=v)
        ax.fill_between(x, y - s, y + s, alpha=0.15)
    ax.set_xlabel("training tokens")
    ax.set_ylabel("bits per byte (held-out average)")
    ax.set_title("Held-out bits per byte while training")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "bpb_curve.png", dpi=120)
    plt.close(fig)

    sets, variants = results["heldout"], list(results["variants"])
    fig, ax = plt.subplots(figsize=(7, 4.2))
    width = 0.8 / len(variants)
    for i, v in enumerate(variants):
        row = results["variants"][v]
        means = [row["bpb"][s]["mean"] for s in sets] + [row["average"]["mean"]]
        stds = [row["bpb"][s]["std"] for s in sets] + [row["average"]["std"]]
        ax.bar(np.arange(len(sets) + 1) + i * width, means, width, yerr=stds, label=v, capsize=2)
    ax.set_xticks(np.arange(len(sets) + 1) + 0.4 - width / 2)
    ax.set_xticklabels(sets + ["average"])
    ax.set_ylabel("bits per byte (final)")
    ax.set_ylim(bottom=min(r["average"]["mean"] for r in results["variants"].values()) * 0.8)
    ax.legend(fontsize=8)
    ax.set_title("Held-out bits per byte after the budget")
    fig.tight_layout()
    fig.savefig(out / "bpb_final.png", dpi=120)
    plt.close(fig)
