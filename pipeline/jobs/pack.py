"""`kopile tokenize`: shards to packed token streams, one task per shard, on the engine;
`tokens.json` is the manifest (a re-run skips the shards recorded there whose files exist)."""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from kopile.core import io, storage
from kopile.core.storage import at
from kopile.core.errors import InputError, RunFailed
from kopile.pipeline.jobs import engine
from kopile.pipeline.jobs.engine import Item, Job
from kopile.tokenizers_train.pack import SPLITS, dtype_for, pack_shard

SUFFIXES = (".bin", ".idx", ".docs.npy")


class PackJob(Job):
    title = "tokenize"
    section = "entries"
    manifest_name = "tokens.json"
    holds = "token streams of another tokenizer or settings"
    task = staticmethod(pack_shard)

    def __init__(self, config, shards: list[tuple[str, Path, str]], tokenizer_digest: str, header: dict):
        settings = config.model_dump()
        # The other formats, the mix and the samples are made from the streams afterwards:
        # asking for them re-packs nothing.
        fp = io.digest({**{k: v for k, v in settings.items() if k not in ("input", "output", "tokenizer", "formats",
                                                                          "mix", "mix_tokens", "sequence", "passthrough")},
                        "tokenizer": tokenizer_digest})
        super().__init__(at(config.output), fp)
        self.config, self.shards, self._header = config, shards, header

    def folders(self) -> list[Path]:
        return [self.directory, *(self.directory / split for split in SPLITS)]

    def header(self) -> dict:
        return self._header

    def items(self) -> list[Item]:
        c = self.config
        return [Item(name, (str(at(c.tokenizer)), str(path), name, str(self.directory), c.text_column, c.id_column,
                            c.val_fraction, c.seed, c.shuffle, c.batch_rows, origin, io.source_id(path)))
                for name, path, origin in self.shards]

    def done(self, item: Item, entry: dict) -> bool:
        # A shard rewritten since it was packed (a pipeline re-run with other settings keeps the
        # shard names) is packed again.
        return (entry.get("status") == "ok" and entry.get("input") == item.args[-1]
                and all((self.directory / s / f"{item.key}{x}").is_file() for s in SPLITS for x in SUFFIXES))

    def outputs(self, key: str, entry: dict) -> list[Path]:
        return [self.directory / s / f"{key}{x}" for s in SPLITS for x in SUFFIXES]

    def error_line(self, item: Item, entry: dict) -> str:
        return f"{item.key}: {entry['error'].splitlines()[0]}"

    def summarize(self, outcome: engine.Outcome) -> dict:
        ok = [e for e in outcome.entries.values() if e["status"] == "ok"]
        return {"totals": {s: totals([e[s] for e in ok]) for s in SPLITS}, "wall_seconds": outcome.wall_seconds}


def totals(parts: list[dict]) -> dict:
    """Shard counts summed, per source too, with tokens per byte."""
    def summed(counts):
        out = {k: sum(c[k] for c in counts) for k in ("documents", "tokens", "bytes")}
        return {**out, "tokens_per_byte": round(out["tokens"] / out["bytes"], 4) if out["bytes"] else None}

    labels = sorted({label for p in parts for label in p["sources"]})
    return {**summed(parts), "sources": {label: summed([p["sources"][label] for p in parts if label in p["sources"]])
                                         for label in labels}}


class Packer:
    def __init__(self, config, progress: bool | None = None):
        self.config = config
        self.out = at(config.output)
        self.progress = progress

    def prepare(self) -> PackJob:
        from kopile.tokenizers_train.encoder import Encoder
        from kopile.tokenizers_train.formats import missing_packages
        from kopile.tokenizers_train.train import EOS, PAD

        c = self.config
        missing = missing_packages(c.formats)
        if missing:
            raise InputError(f"formats: {'; '.join(missing)}")
        tok_file = at(c.tokenizer) / "tokenizer.json"
        if not tok_file.is_file():
            raise InputError(f"{c.tokenizer}: no tokenizer.json (train one with `kopile train-tokenizer`)")
        tok = Encoder(c.tokenizer)
        if tok.token_to_id(EOS) is None:
            raise InputError(f"{tok_file}: has no {EOS} token to end documents with")
        if c.sequence and c.sequence.method == "best_fit" and tok.token_to_id(PAD) is None:
            raise InputError(f"{tok_file}: has no {PAD} token to fill best-fit samples with")
        if isinstance(c.input, dict):  # one source per input: shard names start with the source's
            shards = [(f"{label}__{name.removesuffix('.parquet')}", path, f"={label}")
                      for label, spec in c.input.items() for name, path in io.list_shards(spec)]
            roots = [root for spec in c.input.values() for root in io.input_roots(spec)]
        else:
            shards = [(name.removesuffix(".parquet"), path, c.source_column) for name, path in io.list_shards(c.input)]
            roots = io.input_roots(c.input)
        io.check_not_nested(roots, self.out)
        header = {"dtype": dtype_for(tok.vocab_size).str, "vocab_size": tok.vocab_size, "eos_id": tok.token_to_id(EOS),
                  "pad_id": tok.token_to_id(PAD), "tokenizer": str(at(c.tokenizer).resolve()), "encoder": tok.engine,
                  "settings": c.model_dump(), "shards": [name for name, _, _ in shards]}
        job = PackJob(c, shards, hashlib.sha256(tok_file.read_bytes()).hexdigest(), header)
        engine.check_manifest(job)
        io.prepare_dir(self.out)
        return job

    def run(self, executor=None) -> dict:
        job = self.prepare()
        executor = engine.executor_or_ray(executor)
        outcome = engine.run(job, executor, self.progress)
        # What the exports wrote last time is kept below where nothing it depends on changed.
        before = io.read_json(job.manifest_path)
        meta = {**{k: v for k, v in before.items() if k not in ("mix", "samples", "formats", "formats_from")},
                **job.header(), **job.summarize(outcome)}
        io.write_json_atomic(job.manifest_path, meta)
        errors = outcome.fatal or outcome.errors
        if errors:
            raise RunFailed(f"{len(errors)} shard(s) failed", errors, meta)
        from kopile.tokenizers_train import formats

        if set(self.config.formats) - {"kopile"}:
            c = self.config
            # The streams (their entries, timings aside) and the settings the exports read.
            depends = io.digest({"fingerprint": job.fingerprint, "shards": meta["shards"],
                                 "entries": {k: {f: v for f, v in e.items() if f != "seconds"}
                                             for k, e in meta[job.section].items() if k in meta["shards"]},
                                 "settings": [c.seed, c.shuffle, c.id_column, c.mix and {k: v.model_dump() for k, v in c.mix.items()},
                                              c.mix_tokens, c.sequence and c.sequence.model_dump(), c.passthrough]})
            meta.update(self._export(c, meta["pad_id"], depends, before))
            io.write_json_atomic(job.manifest_path, meta)
        io.write_bytes_atomic(self.out / "summary.md", (formats.summary(meta) + "\n").encode())
        return meta

    def _export(self, c, pad_id: int, depends: str, before: dict) -> dict:
        """The other formats. Their writers read the streams through memory maps and write local
        files: for an object-store output they work on a local copy of the streams, and every
        format is written again and uploaded, replacing the last one's."""
        from kopile.tokenizers_train import formats

        if isinstance(self.out, Path):
            return formats.export(self.out, c, pad_id, depends, before)
        with tempfile.TemporaryDirectory(prefix="kopile-") as staged:
            local = Path(staged)
            for obj in [self.out / "tokens.json", *(f for split in SPLITS for f in (self.out / split).files())]:
                storage.download(obj, local / obj.relative_to(self.out))
            made = formats.export(local, c, pad_id, depends, None)
            for fmt in made["formats"]:
                storage.rmtree(self.out / fmt)
                storage.upload_folder(local / fmt, self.out / fmt)
            storage.copy(local / formats.PLAN, self.out / formats.PLAN)
            return made
