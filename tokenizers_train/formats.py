"""Training shards in the formats other trainers read, written from kopile's packed streams.

`kopile tokenize` always writes its own streams (SPLIT/NAME.bin + .idx, `pack.py`); each format
in `formats:` is then written from them, per split, documents in shard order, every document
ending with `<|eos|>` as packed:

- `megatron`: FORMAT/megatron/SPLIT_text_document.{bin,idx}, Megatron-Core's indexed dataset
  (NeMo reads it too), written by `megatron.core.datasets.indexed_dataset.IndexedDatasetBuilder`
  (extra `formats`: megatron-core, torch); one document per entry, so document boundaries stay;
- `hf`: FORMAT/hf/SPLIT, a Hugging Face `datasets` Arrow dataset with `input_ids`, written by
  `Dataset.from_generator(...).save_to_disk` (extra `formats`: datasets);
- `nanogpt`: FORMAT/nanogpt/SPLIT.bin, every token of the split in one flat file (uint16 for a
  vocabulary of at most 65,536, else uint32), as nanoGPT's `prepare.py` writes and its training
  loop reads (`np.memmap`).

Each is written into a temporary folder and moved into place whole.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

FORMATS = ("kopile", "megatron", "hf", "nanogpt")
# The Python package each format's writer and reader come from.
PACKAGES = {"megatron": "megatron.core", "hf": "datasets"}


def missing_packages(formats) -> list[str]:
    import importlib.util

    missing = []
    for fmt in formats:
        package = PACKAGES.get(fmt)
        if package and importlib.util.find_spec(package.split(".")[0]) is None:
            missing.append(f"{fmt} (needs {package.split('.')[0]}: pip install 'kopile[formats]')")
    return missing


def export(directory: Path, formats, splits=("train", "val")) -> dict:
    """Writes every format but `kopile` from the streams in `directory`; returns, per format and
    split, the documents, tokens and files written."""
    from kopile.tokenizers_train.pack import TokenStream

    out = {}
    for fmt in formats:
        if fmt == "kopile":
            continue
        target = directory / fmt
        tmp = directory / f".{fmt}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        out[fmt] = {}
        for split in splits:
            stream = TokenStream(directory, split)
            files = WRITERS[fmt](stream, tmp, split)
            out[fmt][split] = {"documents": len(stream), "tokens": stream.num_tokens,
                               "files": [str(Path(fmt) / f) for f in files]}
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    return out


def _documents(stream):
    for i in range(len(stream)):
        yield stream.document(i)


def _megatron(stream, folder: Path, split: str) -> list[str]:
    from megatron.core.datasets.indexed_dataset import IndexedDatasetBuilder

    prefix = folder / f"{split}_text_document"
    # Megatron's dtypes: uint16 where every id fits, int32 otherwise (its default).
    dtype = np.uint16 if stream.dtype == np.dtype("<u2") else np.int32
    builder = IndexedDatasetBuilder(str(prefix) + ".bin", dtype=dtype)
    for doc in _documents(stream):
        builder.add_document(doc, [len(doc)])
    builder.finalize(str(prefix) + ".idx")
    return [prefix.name + ".bin", prefix.name + ".idx"]


def _hf(stream, folder: Path, split: str) -> list[str]:
    import datasets

    value = "uint16" if stream.dtype == np.dtype("<u2") else "uint32"
    features = datasets.Features({"input_ids": datasets.Sequence(datasets.Value(value))})

    def rows():
        for doc in _documents(stream):
            yield {"input_ids": doc}

    # An empty split still gets a dataset (from_generator needs at least one row).
    data = (datasets.Dataset.from_generator(rows, features=features, cache_dir=str(folder / ".cache"))
            if len(stream) else datasets.Dataset.from_dict({"input_ids": []}, features=features))
    data.save_to_disk(str(folder / split))
    shutil.rmtree(folder / ".cache", ignore_errors=True)
    return [split]


def _nanogpt(stream, folder: Path, split: str) -> list[str]:
    with open(folder / f"{split}.bin", "wb") as f:
        for tokens, _ in stream.shards:
            f.write(np.ascontiguousarray(tokens).tobytes())
    return [f"{split}.bin"]


WRITERS = {"megatron": _megatron, "hf": _hf, "nanogpt": _nanogpt}
