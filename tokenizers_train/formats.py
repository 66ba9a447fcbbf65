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

import dataclasses
import io
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kopile.core.errors import InputError
from kopile.core.io import write_bytes_atomic

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

    def batches(self, size: int = 65536):
        """(document numbers, their tokens one after another, their lengths), a batch at a time,
        in the plan's order."""
        for at in range(0, len(self.order), size):
            numbers = self.order[at:at + size]
            yield (numbers, *self.stream.gather(numbers))

    def documents(self):
        """(tokens, number) of each document, in the plan's order."""
        for numbers, flat, sizes in self.batches():
            ends = np.cumsum(sizes)
            for g, a, b in zip(numbers.tolist(), (ends - sizes).tolist(), ends.tolist()):
                yield flat[a:b], g

    def samples(self):
        from kopile.tokenizers_train.seqpack import samples

        return samples(self.pieces, lambda i: self.stream.document(int(self.order[i])), self.length, self.pad_id)

    def items(self):
        """(tokens, sequence lengths) per entry: documents, or samples where there is a layout."""
        if self.pieces is None:
            return ((tokens, [len(tokens)]) for tokens, _ in self.documents())
        return self.samples()


def export(directory: Path, config, pad_id: int, depends: str = "", before: dict | None = None) -> dict:
    """Writes every format but `kopile`; returns the mix, the samples' waste and, per format and
    split, the entries, tokens and files written. A format the last run's manifest (`before`)
    records as made from the same `depends` digest, whose folder is there, is kept."""
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
            lengths = stream.lengths()[order]
            pieces = seqpack.layout(lengths, config.sequence.length, config.sequence.method)
            waste[name] = seqpack.waste(pieces, lengths, config.sequence.length)
        splits.append(Split(name, stream, order, pieces, config.sequence.length if config.sequence else 0,
                            pad_id, config.passthrough, config.id_column,
                            pieces is not None and config.sequence.method == "best_fit"))
    out = {"mix": mix_report, "samples": waste or None, "formats": {}, "formats_from": depends}
    for fmt in config.formats:
        if fmt == "kopile":
            continue
        target, tmp = directory / fmt, directory / f".{fmt}.tmp"
        done = (before or {}).get("formats", {}).get(fmt)
        if depends and done and (before or {}).get("formats_from") == depends and target.is_dir():
            out["formats"][fmt] = done
            continue
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        out["formats"][fmt] = {}
        for split in splits:
            if fmt not in SAMPLE_FORMATS:
                split = dataclasses.replace(split, pieces=None, best_fit=False)
            started = time.perf_counter()
            entries, tokens, files = WRITERS[fmt](split, tmp)
            out["formats"][fmt][split.name] = {"entries": entries, "tokens": tokens,
                                               "files": [str(Path(fmt) / f) for f in files],
                                               "seconds": round(time.perf_counter() - started, 3)}
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    return out


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
    import pyarrow as pa
    from datasets.arrow_writer import ArrowWriter

    value = "uint16" if split.stream.dtype == np.dtype("<u2") else "uint32"
    fields = {"input_ids": datasets.Sequence(datasets.Value(value))}
    passthrough = Passthrough(split) if split.pieces is None else None
    if passthrough:
        fields.update(passthrough.features)
    if split.best_fit:
        fields["lengths"] = datasets.Sequence(datasets.Value("int32"))
    features = datasets.Features(fields)
    schema = features.arrow_schema
    arrow = folder / f".{split.name}.arrow"
    entries = tokens = 0
    # Arrow tables a batch at a time through datasets' own writer, then saved as a dataset.
    with ArrowWriter(features=features, path=str(arrow)) as writer:
        if passthrough:
            for numbers, flat, sizes in split.batches():
                ids = pa.ListArray.from_arrays(pa.array(np.concatenate(([0], np.cumsum(sizes))), pa.int32()),
                                               pa.array(flat))
                columns = {"input_ids": ids, **passthrough.columns(numbers)}
                writer.write_table(pa.Table.from_pydict(columns, schema=schema))
                entries, tokens = entries + len(numbers), tokens + len(flat)
        else:
            rows = {name: [] for name in fields}
            for item, lengths in split.samples():
                rows["input_ids"].append(item)
                if split.best_fit:
                    rows["lengths"].append(lengths)
                entries, tokens = entries + 1, tokens + len(item)
                if len(rows["input_ids"]) == 1024:
                    writer.write_table(pa.Table.from_pydict(rows, schema=schema))
                    rows = {name: [] for name in fields}
            if rows["input_ids"]:
                writer.write_table(pa.Table.from_pydict(rows, schema=schema))
        writer.finalize()
    datasets.Dataset.from_file(str(arrow)).save_to_disk(str(folder / split.name))
    arrow.unlink()
    return entries, tokens, [split.name]


class Passthrough:
    """The input columns a document carries into the `hf` dataset, read from its input shard
    (the columns of every shard read are held: a shuffled plan visits them all at once)."""

    def __init__(self, split: Split):
        import datasets
        import pyarrow as pa
        import pyarrow.parquet as pq

        from kopile.core.io import read_json

        entries = read_json(split.stream.directory / "tokens.json")["entries"]
        self.stream, self.names, self.id_column = split.stream, split.passthrough, split.id_column
        self.paths = [entries[name]["source"] for name in split.stream.names]
        self.schemas = [pq.read_schema(path) for path in self.paths]
        for path, schema in zip(self.paths, self.schemas):
            missing = [c for c in self.names if c not in schema.names and c != self.id_column]
            if missing:
                raise InputError(f"{path}: passthrough column(s) {missing} not in the shard (it has {schema.names})")
        # An id column no shard has is made as packing made it (core.schema.document_id).
        self.features = {c: next((datasets.Features.from_arrow_schema(pa.schema([s.field(c)]))[c]
                                  for s in self.schemas if c in s.names), datasets.Value("string"))
                         for c in self.names}
        self.tables, self.rows = {}, {}

    def _shard(self, shard: int):
        import pyarrow.parquet as pq

        if shard not in self.tables:
            present = [c for c in self.names if c in self.schemas[shard].names]
            self.tables[shard] = pq.read_table(self.paths[shard], columns=present).combine_chunks()
            self.rows[shard] = np.asarray(self.stream.records(shard)["row"], np.int64)
        return self.tables[shard], self.rows[shard]

    def columns(self, numbers: np.ndarray) -> dict:
        """The passthrough columns of documents `numbers`, in that order, as Arrow arrays."""
        import pyarrow as pa

        from kopile.core.schema import document_id

        shard, local = self.stream.locate(numbers)
        parts, places = [], []
        for s in np.unique(shard):
            at = np.flatnonzero(shard == s)
            table, rows = self._shard(int(s))
            picked = rows[local[at]]
            part = table.take(pa.array(picked))
            if self.id_column in self.names and self.id_column not in table.column_names:
                made = [document_id(f"{self.stream.names[s]}.parquet", int(r)) for r in picked]
                part = part.append_column(self.id_column, pa.array(made, pa.string()))
            parts.append(part.select(self.names))
            places.append(at)
        table = pa.concat_tables(parts, promote_options="default").take(pa.array(np.argsort(np.concatenate(places))))
        return {c: table.column(c) for c in self.names}


def _nanogpt(split: Split, folder: Path):
    tokens = 0
    with open(folder / f"{split.name}.bin", "wb") as f:
        for _, flat, _ in split.batches():
            f.write(np.ascontiguousarray(flat).tobytes())
            tokens += len(flat)
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
