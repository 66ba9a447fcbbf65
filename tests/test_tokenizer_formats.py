"""`kopile tokenize` formats for other trainers: each read back by its own library's reader,
token for token equal to kopile's streams. A format's test skips where its extra is absent
(`pip install 'kopile[formats]'`; CI installs it)."""
import importlib.util

import numpy as np
import pytest

from conftest import read_dir, write_shard
from kopile.core.errors import InputError
from kopile.pipeline.jobs.pack import Packer
from kopile.tokenizers_train import train as T
from kopile.tokenizers_train.config import parse_pack_config
from kopile.tokenizers_train.pack import TokenStream

HAS = {name: importlib.util.find_spec(name) is not None for name in ("megatron", "datasets")}


@pytest.fixture(scope="module")
def packed(sample_dir, tmp_path_factory):
    texts = [t for t in read_dir(sample_dir).column("text").to_pylist() if t]
    tok = T.save(T.train(texts, "sp_bpe", vocab_size=1500), tmp_path_factory.mktemp("tok") / "tok")
    d = tmp_path_factory.mktemp("in")
    docs = [f"{i}번째 문서. {'국민의 권리 ' * (i % 9)}끝" for i in range(240)]
    for s in range(3):
        write_shard(d / f"s{s}.parquet", docs[s::3], id=[f"d{i}" for i in range(s, 240, 3)])
    formats = ["kopile", "nanogpt"] + ["megatron"] * HAS["megatron"] + ["hf"] * HAS["datasets"]
    out = tmp_path_factory.mktemp("out") / "tokens"
    config = parse_pack_config({"input": str(d), "tokenizer": str(tok), "output": str(out), "val_fraction": 0.2,
                                "formats": formats})
    from kopile.pipeline.jobs.executor import LocalExecutor

    meta = Packer(config, progress=False).run(LocalExecutor())
    return out, meta


def documents(out, split):
    stream = TokenStream(out, split)
    return [np.asarray(stream.document(i)) for i in range(len(stream))]


@pytest.mark.parametrize("split", ["train", "val"])
def test_nanogpt_is_every_token_in_order(packed, split):
    out, meta = packed
    flat = np.memmap(out / "nanogpt" / f"{split}.bin", dtype=np.uint16, mode="r")  # as nanoGPT reads it
    assert np.array_equal(flat, np.concatenate(documents(out, split)))
    assert meta["formats"]["nanogpt"][split]["tokens"] == len(flat)


@pytest.mark.skipif(not HAS["megatron"], reason="megatron-core is absent (extra: formats)")
@pytest.mark.parametrize("split", ["train", "val"])
def test_megatron_reads_every_document(packed, split):
    from megatron.core.datasets.indexed_dataset import IndexedDataset

    out, meta = packed
    data = IndexedDataset(str(out / "megatron" / f"{split}_text_document"))
    ours = documents(out, split)
    assert len(data) == len(ours) == meta["formats"]["megatron"][split]["documents"] > 0
    assert all(np.array_equal(data[i], doc) for i, doc in enumerate(ours))
    assert list(data.document_indices) == list(range(len(ours) + 1))  # one sequence per document


@pytest.mark.skipif(not HAS["datasets"], reason="datasets is absent (extra: formats)")
@pytest.mark.parametrize("split", ["train", "val"])
def test_hf_datasets_reads_every_document(packed, split):
    import datasets

    out, _ = packed
    data = datasets.load_from_disk(str(out / "hf" / split))
    ours = documents(out, split)
    assert data.num_rows == len(ours) > 0
    assert [list(map(int, row)) for row in data["input_ids"]] == [doc.tolist() for doc in ours]


def test_a_format_whose_library_is_missing_is_named_before_packing(packed, tmp_path, monkeypatch):
    from kopile.tokenizers_train import formats

    out, _ = packed
    monkeypatch.setitem(formats.PACKAGES, "hf", "no_such_package_kopile")
    config = parse_pack_config({"input": str(tmp_path), "tokenizer": str(out.parent), "output": str(tmp_path / "o"),
                                "formats": ["hf"]})
    with pytest.raises(InputError, match="hf \\(needs no_such_package_kopile"):
        Packer(config, progress=False).prepare()


def test_formats_are_checked(tmp_path):
    from kopile.core.errors import ConfigError

    with pytest.raises(ConfigError):
        parse_pack_config({"input": "x", "tokenizer": "y", "output": "z", "formats": ["parquet"]})
    with pytest.raises(ConfigError, match="twice"):
        parse_pack_config({"input": "x", "tokenizer": "y", "output": "z", "formats": ["hf", "hf"]})
