"""Training shards in the formats other trainers read, written from kopile's packed streams.

`kopile tokenize` always writes its own streams (SPLIT/NAME.bin + .idx, `pack.py`); each format
in `formats:` is then written from them, per split, by its library's own writer. The training
split follows the plan (mix.py: sources mixed, documents shuffled across shards with
`shuffle`); the validation split holds every document once, in the streams' order. Every
document ends with `<|eos|>`. With `sequence:`, the formats that hold samples (megatron, mds,
litdata, hf) hold fixed-length samples instead of documents (seqpack.py).

- `megatron`: FORMAT/megatron/SPLIT_text_document.{bin,idx}, Megatron-Core's indexed dataset
  (NeMo reads it too), by `megatron.core.datasets.indexed_dataset.IndexedDatasetBuilder`; one
  entry (of one sequence) per document, or per sample;
- `mds`: FORMAT/mds/SPLIT, MosaicML streaming shards and index.json by `streaming.MDSWriter`,
  column `tokens` as `ndarray:int32` (what LLM Foundry's text datasets read), `lengths` beside
  it for best-fit samples;
- `litdata`: FORMAT/litdata/SPLIT, LitData chunks by its `BinaryWriter` with `TokensLoader`
  (what litgpt's pretraining data reads: blocks of tokens across documents);
- `hf`: FORMAT/hf/SPLIT, a Hugging Face `datasets` Arrow dataset by `save_to_disk`, with
  `input_ids` and the `passthrough` columns of the input (or `lengths`, for best-fit samples);
- `nanogpt`: FORMAT/nanogpt/SPLIT.bin, the split's tokens in one flat file (uint16 for a
  vocabulary of at most 65,536, else uint32), as nanoGPT's `prepare.py` writes and its training
  loop reads (`np.memmap`); never samples.

Each format is written into a temporary folder and moved into place whole.
"""
from __future__ import annotations

import io
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kopile.core.errors import InputError
from kopile.core.io import write_bytes_atomic

FORMATS = ("kopile", "megatron", "mds", "litdata", "hf", "nanogpt")
SAMPLE_FORMATS = {"megatron", "mds", "litdata", "hf"}
# The Python package each format's writer and reader come from.
PACKAGES = {"megatron": "megatron.core", "mds": "streaming", "litdata": "litdata", "hf": "datasets"}
EXTRAS = {"mds": "mds", "litdata": "litdata"}  # formats whose libraries are not in `formats`
PLAN = "train.plan.npy"


def missing_packages(formats) -> list[str]:
    import importlib.util

    missing = []
    for fmt in formats:
        package = PACKAGES.get(fmt)
        if package and importlib.util.find_spec(package.split(".")[0]) is None:
            missing.append(f"{fmt} (needs {package.split('.')[0]}: pip install 'kopile[{EXTRAS.get(fmt, 'formats')}]')")
    return missing


@dataclass
class Split:
    """What a writer writes for one split: its items, and how to read their provenance."""
    name: str
    stream: object  # TokenStream
    order: np.ndarray  # documents, by number in the stream
    pieces: np.ndarray | None  # the sample layout (seqpack), or None for documents
    length: int
    pad_id: int
    passthrough: list[str]
    id_column: str
    best_fit: bool = False  # samples carry the lengths of the documents in them

    def documents(self):
        """(tokens, number) of each document, in the plan's order."""
        for g in self.order:
            yield self.stream.document(int(g)), int(g)

    def samples(self):
        from kopile.tokenizers_train.seqpack import samples

        return samples(self.pieces, lambda i: self.stream.document(int(self.order[i])), self.length, self.pad_id)

    def items(self):
        """(tokens, sequence lengths) per entry: documents, or samples where there is a layout."""
        if self.pieces is None:
            return ((tokens, [len(tokens)]) for tokens, _ in self.documents())
        return self.samples()


def export(directory: Path, config, pad_id: int) -> dict:
    """Writes every format but `kopile`; returns the mix, the samples' waste and, per format and
    split, the entries, tokens and files written."""
    from kopile.tokenizers_train import mix, seqpack
    from kopile.tokenizers_train.pack import SPLITS, TokenStream

    directory = Path(directory)
    train_order, mix_report = mix.training_plan(directory, config)
    # Which documents the exported training split holds, in order (repeats included).
    buffer = io.BytesIO()
    np.save(buffer, train_order.astype("<i8"))
    write_bytes_atomic(directory / PLAN, buffer.getvalue())
    splits, waste = [], {}
    for name in SPLITS:
        stream = TokenStream(directory, name)
        order = train_order if name == "train" else np.arange(len(stream))
        pieces = None
        if config.sequence and SAMPLE_FORMATS & set(config.formats):
            lengths = _lengths(stream)[order]
            pieces = seqpack.layout(lengths, config.sequence.length, config.sequence.method)
            waste[name] = seqpack.waste(pieces, lengths, config.sequence.length)
        splits.append(Split(name, stream, order, pieces, config.sequence.length if config.sequence else 0,
                            pad_id, config.passthrough, config.id_column,
                            pieces is not None and config.sequence.method == "best_fit"))
    out = {"mix": mix_report, "samples": waste or None, "formats": {}}
    for fmt in config.formats:
        if fmt == "kopile":
            continue
        target, tmp = directory / fmt, directory / f".{fmt}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        out["formats"][fmt] = {}
        for split in splits:
            if fmt not in SAMPLE_FORMATS:
                split = Split(split.name, split.stream, split.order, None, 0, 0, split.passthrough, split.id_column)
            started = time.perf_counter()
            entries, tokens, files = WRITERS[fmt](split, tmp)
            out["formats"][fmt][split.name] = {"entries": entries, "tokens": tokens,
                                               "files": [str(Path(fmt) / f) for f in files],
                                               "seconds": round(time.perf_counter() - started, 3)}
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    return out


def _lengths(stream) -> np.ndarray:
    parts = [np.diff(offsets) for _, offsets in stream.shards]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)


def _megatron(split: Split, folder: Path):
    from megatron.core.datasets.indexed_dataset import IndexedDatasetBuilder

    prefix = folder / f"{split.name}_text_document"
    # Megatron's dtypes: uint16 where every id fits, int32 otherwise (its default).
    dtype = np.uint16 if split.stream.dtype == np.dtype("<u2") else np.int32
    builder = IndexedDatasetBuilder(str(prefix) + ".bin", dtype=dtype)
    entries = tokens = 0
    for item, _ in split.items():
        # One sequence per entry: Megatron reads entries by sequence, and finds the documents
        # inside a sample by their <|eos|> (its reset_attention_mask, reset_position_ids).
        builder.add_document(item, [len(item)])
        entries, tokens = entries + 1, tokens + len(item)
    builder.finalize(str(prefix) + ".idx")
    return entries, tokens, [prefix.name + ".bin", prefix.name + ".idx"]


def _mds(split: Split, folder: Path):
    from streaming import MDSWriter

    columns = {"tokens": "ndarray:int32"}
    if split.best_fit:
        columns["lengths"] = "ndarray:int32"
    entries = tokens = 0
    with MDSWriter(out=str(folder / split.name), columns=columns, compression=None, progress_bar=False) as writer:
        for item, lengths in split.items():
            row = {"tokens": item.astype(np.int32)}
            if split.best_fit:
                row["lengths"] = np.asarray(lengths, np.int32)
            writer.write(row)
            entries, tokens = entries + 1, tokens + len(item)
    return entries, tokens, [split.name]


def _litdata(split: Split, folder: Path):
    from litdata.streaming.item_loader import TokensLoader
    from litdata.streaming.writer import BinaryWriter

    writer = BinaryWriter(str(folder / split.name), chunk_bytes="64MB", item_loader=TokensLoader())
    entries = tokens = 0
    for item, _ in split.items():
        # TokensLoader reads every chunk as one dtype: ids as int32 (torch has no uint16 math).
        writer[entries] = item.astype(np.int32)
        entries, tokens = entries + 1, tokens + len(item)
    writer.done()
    writer.merge()
    return entries, tokens, [split.name]


def _hf(split: Split, folder: Path):
    import datasets

    value = "uint16" if split.stream.dtype == np.dtype("<u2") else "uint32"
    fields = {"input_ids": datasets.Sequence(datasets.Value(value))}
    passthrough = Passthrough(split) if split.pieces is None else None
    if passthrough:
        fields.update(passthrough.features)
    if split.best_fit:
        fields["lengths"] = datasets.Sequence(datasets.Value("int32"))
    features = datasets.Features(fields)
    counted = {"entries": 0, "tokens": 0}

    def rows():
        if passthrough:
            for tokens, number in split.documents():
                counted["entries"] += 1
                counted["tokens"] += len(tokens)
                yield {"input_ids": tokens, **passthrough.row(number)}
        else:
            for tokens, lengths in split.samples():
                counted["entries"] += 1
                counted["tokens"] += len(tokens)
                yield {"input_ids": tokens, **({"lengths": lengths} if split.best_fit else {})}

    empty = len(split.order) == 0 or (split.pieces is not None and len(split.pieces) == 0)
    # An empty split still gets a dataset (from_generator needs at least one row).
    data = (datasets.Dataset.from_dict({k: [] for k in fields}, features=features) if empty else
            datasets.Dataset.from_generator(rows, features=features, cache_dir=str(folder / ".cache")))
    data.save_to_disk(str(folder / split.name))
    shutil.rmtree(folder / ".cache", ignore_errors=True)
    return counted["entries"], counted["tokens"], [split.name]


class Passthrough:
    """The input columns a document carries into the `hf` dataset, read from its input shard
    (the columns of every shard read are held: a shuffled plan visits them all at once)."""

    def __init__(self, split: Split):
        import datasets
        import pyarrow as pa
        import pyarrow.parquet as pq

        from kopile.core.io import read_json

        entries = read_json(split.stream.directory / "tokens.json")["entries"]
        self.stream, self.columns, self.id_column = split.stream, split.passthrough, split.id_column
        self.paths = [entries[name]["source"] for name in split.stream.names]
        self.schemas = [pq.read_schema(path) for path in self.paths]
        for path, schema in zip(self.paths, self.schemas):
            missing = [c for c in self.columns if c not in schema.names and c != self.id_column]
            if missing:
                raise InputError(f"{path}: passthrough column(s) {missing} not in the shard (it has {schema.names})")
        # An id column no shard has is made as packing made it (core.schema.document_id).
        self.features = {c: next((datasets.Features.from_arrow_schema(pa.schema([s.field(c)]))[c]
                                  for s in self.schemas if c in s.names), datasets.Value("string"))
                         for c in self.columns}
        self.tables, self.rows = {}, {}

    def row(self, number: int) -> dict:
        import pyarrow.parquet as pq

        from kopile.core.schema import document_id

        shard, j = self.stream.locate(number)
        if shard not in self.tables:
            present = [c for c in self.columns if c in self.schemas[shard].names]
            self.tables[shard] = pq.read_table(self.paths[shard], columns=present).combine_chunks()
            self.rows[shard] = np.asarray(self.stream.records(shard)["row"])
        row, table = int(self.rows[shard][j]), self.tables[shard]
        return {c: table.column(c)[row].as_py() if c in table.column_names
                else document_id(f"{self.stream.names[shard]}.parquet", row) for c in self.columns}


def _nanogpt(split: Split, folder: Path):
    tokens = 0
    with open(folder / f"{split.name}.bin", "wb") as f:
        for item, _ in split.documents():
            f.write(np.ascontiguousarray(item).tobytes())
            tokens += len(item)
    return len(split.order), tokens, [f"{split.name}.bin"]


WRITERS = {"megatron": _megatron, "mds": _mds, "litdata": _litdata, "hf": _hf, "nanogpt": _nanogpt}


def summary(meta: dict) -> str:
    """The tokens per source and split, the mix and the samples' waste as Markdown tables
    (`kopile tokenize` prints them and writes them to OUTPUT/summary.md)."""
    lines = ["| split | source | documents | tokens | bytes | tokens/byte |", "|---|---|---:|---:|---:|---:|"]
    for split, t in meta["totals"].items():
        for label, c in [*t["sources"].items(), ("all", t)] if len(t["sources"]) > 1 else [("all", t)]:
            lines.append(f"| {split} | {label} | {c['documents']:,} | {c['tokens']:,} | {c['bytes']:,} | "
                         f"{c['tokens_per_byte'] if c['tokens_per_byte'] is not None else '-'} |")
    if meta.get("mix"):
        m = meta["mix"]
        lines += ["", f"Training split as exported: {m['documents']:,} documents, {m['tokens']:,} tokens",
                  "| source | tokens in | tokens out | epochs | sampling | share | asked |", "|---|---:|---:|---:|---|---:|---:|"]
        for label, r in m["sources"].items():
            lines.append(f"| {label} | {r['tokens_in']:,} | {r['tokens']:,} | {r['epochs']:.3f} | {r['sampling']} | "
                         f"{r['share']:.4f} | {r.get('share_asked', '-')} |")
    if meta.get("samples"):
        lines += ["", "| split | samples | length | padding | truncated |", "|---|---:|---:|---:|---:|"]
        for split, w in meta["samples"].items():
            lines.append(f"| {split} | {w['samples']:,} | {w['length']} | {w['padding']:,} ({w['padding_share']:.2%}) | "
                         f"{w['truncated']:,} ({w['truncated_share']:.2%}) |")
    return "\n".join(lines)
