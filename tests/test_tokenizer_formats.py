"""`kopile tokenize` formats for other trainers: each read back by its own library's reader,
token for token equal to kopile's streams in the order of the training plan. A format's test
skips where its library is absent (`pip install 'kopile[formats]'`; CI installs it). Also the
mix, global shuffling with one and two workers, and fixed-length samples."""
import importlib.util

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import read_dir, without_torchvision, write_shard
from kopile.core.errors import ConfigError, InputError
from kopile.pipeline.jobs.executor import LocalExecutor
from kopile.pipeline.jobs.pack import Packer
from kopile.tokenizers_train import seqpack
from kopile.tokenizers_train.config import parse_pack_config
from kopile.tokenizers_train.formats import PLAN
from kopile.tokenizers_train.pack import TokenStream


def _importable(name):
    try:  # a library can be present and still fail to import (a CUDA-only torchvision under it)
        importlib.import_module(name)
        return True
    except Exception:
        return False


without_torchvision()
HAS = {name: importlib.util.find_spec(name) is not None and _importable(name)
       for name in ("megatron.core", "datasets", "litdata", "streaming")}
LIBRARY = {"megatron": "megatron.core", "hf": "datasets", "litdata": "litdata", "mds": "streaming"}
FORMATS = ["kopile", "nanogpt"] + [f for f, lib in LIBRARY.items() if HAS[lib]]
needs = {f: pytest.mark.skipif(not HAS[lib], reason=f"{lib} is absent or does not import (extra: formats, {f})")
         for f, lib in LIBRARY.items()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Two sources of unlike size in three shards: `law` 180 documents, `chat` 60 shorter ones."""
    d = tmp_path_factory.mktemp("in")
    docs = [(f"law{i}", f"{i}번째 조문. {'국민의 권리와 의무 ' * (1 + i % 9)}끝", "law") for i in range(180)]
    docs += [(f"chat{i}", f"안녕하세요 {i}번 {'네 ' * (i % 4)}", "chat") for i in range(60)]
    for s in range(3):
        part = docs[s::3]
        write_shard(d / f"s{s}.parquet", [t for _, t, _ in part], id=[i for i, _, _ in part],
                    source=[src for _, _, src in part], url=[f"https://x.kr/{i}" for i, _, _ in part])
    return d


def pack(corpus, sample_tokenizer, out, executor=None, **settings):
    config = parse_pack_config({"input": str(corpus), "tokenizer": str(sample_tokenizer), "output": str(out),
                                "val_fraction": 0.2, "formats": FORMATS, **settings})
    return out, Packer(config, progress=False).run(executor or LocalExecutor())


@pytest.fixture(scope="module")
def mixed(corpus, sample_tokenizer, tmp_path_factory):
    """Documents, shuffled across shards, `chat` taken twice and `law` half."""
    return pack(corpus, sample_tokenizer, tmp_path_factory.mktemp("mixed") / "tokens", shuffle=True,
                mix={"law": {"epochs": 0.5}, "chat": {"epochs": 2}}, passthrough=["id", "source", "url"])


@pytest.fixture(scope="module", params=["concat", "best_fit"])
def sampled(request, corpus, sample_tokenizer, tmp_path_factory):
    out, meta = pack(corpus, sample_tokenizer, tmp_path_factory.mktemp(request.param) / "tokens",
                     sequence={"length": 32, "method": request.param})
    return request.param, out, meta


def expected(out, split):
    """The split's documents in the order the formats hold them."""
    stream = TokenStream(out, split)
    order = np.load(out / PLAN) if split == "train" else np.arange(len(stream))
    return [np.asarray(stream.document(int(i))) for i in order]


def expected_samples(out, split, method, length=32, pad=None):
    docs = expected(out, split)
    pieces = seqpack.layout(np.array([len(d) for d in docs]), length, method)
    return [s for s, _ in seqpack.samples(pieces, lambda i: docs[i], length, pad)], pieces


# --- each format through its own reader ----------------------------------------------------------

@pytest.mark.parametrize("split", ["train", "val"])
def test_nanogpt_is_every_token_in_plan_order(mixed, split):
    out, meta = mixed
    flat = np.memmap(out / "nanogpt" / f"{split}.bin", dtype=np.uint16, mode="r")  # as nanoGPT reads it
    assert np.array_equal(flat, np.concatenate(expected(out, split)))
    assert meta["formats"]["nanogpt"][split]["tokens"] == len(flat)


@needs["megatron"]
@pytest.mark.parametrize("split", ["train", "val"])
def test_megatron_reads_every_document(mixed, split):
    from megatron.core.datasets.indexed_dataset import IndexedDataset

    out, meta = mixed
    data = IndexedDataset(str(out / "megatron" / f"{split}_text_document"))
    ours = expected(out, split)
    assert len(data) == len(ours) == meta["formats"]["megatron"][split]["entries"] > 0
    assert all(np.array_equal(data[i], doc) for i, doc in enumerate(ours))
    assert list(data.document_indices) == list(range(len(ours) + 1))  # one sequence per document


@needs["hf"]
@pytest.mark.parametrize("split", ["train", "val"])
def test_hf_datasets_reads_every_document_with_its_input_columns(mixed, corpus, sample_tokenizer, split):
    import datasets

    from kopile.tokenizers_train.encoder import Encoder

    out, _ = mixed
    data = datasets.load_from_disk(str(out / "hf" / split))
    ours = expected(out, split)
    assert data.num_rows == len(ours) > 0
    assert [list(map(int, row)) for row in data["input_ids"]] == [doc.tolist() for doc in ours]
    # The passthrough columns belong to the row's document: its text encodes to its input_ids.
    rows = {r["id"]: r for r in read_dir(corpus).to_pylist()}
    enc = Encoder(str(sample_tokenizer))
    for row in data.select(range(0, data.num_rows, 7)):
        source = rows[row["id"]]
        assert (row["source"], row["url"]) == (source["source"], source["url"])
        assert row["input_ids"][:-1] == enc.encode_batch([source["text"]])[0]


@needs["litdata"]
@pytest.mark.parametrize("split", ["train", "val"])
def test_litdata_token_blocks_are_the_plan(mixed, split):
    from litdata import StreamingDataset
    from litdata.streaming.item_loader import TokensLoader

    out, _ = mixed
    block = 16
    data = StreamingDataset(str(out / "litdata" / split), item_loader=TokensLoader(block_size=block))
    flat = np.concatenate(expected(out, split))
    assert len(data) == len(flat) // block > 0
    assert np.array_equal(np.stack([np.asarray(data[i]) for i in range(len(data))]).ravel(),
                          flat[:len(data) * block])


@needs["mds"]
@pytest.mark.parametrize("split", ["train", "val"])
def test_mds_reads_every_document(mixed, split):
    from streaming import LocalDataset

    out, _ = mixed
    data = LocalDataset(local=str(out / "mds" / split))
    ours = expected(out, split)
    assert len(data) == len(ours) > 0
    assert all(np.array_equal(data[i]["tokens"], doc) for i, doc in enumerate(ours))


# --- the mix ---------------------------------------------------------------------------------------

def test_the_mix_takes_each_source_as_often_as_asked(mixed):
    out, meta = mixed
    stream = TokenStream(out, "train")
    totals = meta["totals"]["train"]["sources"]
    law, chat = meta["mix"]["sources"]["law"], meta["mix"]["sources"]["chat"]
    assert chat["tokens"] == 2 * totals["chat"]["tokens"] and chat["documents"] == 2 * totals["chat"]["documents"]
    assert chat["sampling"] == "up x2.00"
    # half of `law`, to within one document
    longest = max(len(stream.document(i)) for i in range(len(stream)))
    assert abs(law["tokens"] - totals["law"]["tokens"] / 2) <= longest
    assert law["sampling"].startswith("down x0.5")
    plan = np.load(out / PLAN)
    assert law["tokens"] + chat["tokens"] == meta["mix"]["tokens"] == sum(len(stream.document(int(i))) for i in plan)
    assert abs(law["share"] + chat["share"] - 1) < 1e-3


def test_shares_are_met_within_one_document(corpus, sample_tokenizer, tmp_path):
    out, meta = pack(corpus, sample_tokenizer, tmp_path / "t", seed=3, formats=["kopile", "nanogpt"],
                     mix={"law": {"share": 0.6}, "chat": {"share": 0.4, "epochs": 4}})
    m = meta["mix"]
    stream = TokenStream(out, "train")
    longest = max(len(stream.document(i)) for i in range(len(stream)))
    for source, share in (("law", 0.6), ("chat", 0.4)):
        assert abs(m["sources"][source]["tokens"] - share * m["tokens"]) <= longest
        assert m["sources"][source]["share_asked"] == share
    # no size given: the largest mix the epochs allow, so one source is used to its cap
    assert (m["sources"]["chat"]["epochs"] > 3.9) or (m["sources"]["law"]["epochs"] > 0.99)
    # weights are shares over their sum
    _, by_weight = pack(corpus, sample_tokenizer, tmp_path / "w", seed=3, formats=["kopile", "nanogpt"],
                        mix={"law": {"weight": 3}, "chat": {"weight": 2, "epochs": 4}})
    assert by_weight["mix"] == m


def test_a_mix_the_data_cannot_give_is_refused(corpus, sample_tokenizer, tmp_path):
    with pytest.raises(ConfigError, match="sources the mix does not name: chat"):
        pack(corpus, sample_tokenizer, tmp_path / "a", formats=["kopile", "nanogpt"], mix={"law": {"epochs": 1}})
    with pytest.raises(ConfigError, match="chat would need .* epochs"):
        pack(corpus, sample_tokenizer, tmp_path / "b", formats=["kopile", "nanogpt"], mix_tokens=10**6,
             mix={"law": {"share": 0.5, "epochs": 100}, "chat": {"share": 0.5, "epochs": 2}})


def test_sources_named_by_input(corpus, sample_tokenizer, tmp_path):
    config = parse_pack_config({"input": {"first": str(corpus / "s0.parquet"), "rest": str(corpus / "s[12].parquet")},
                                "tokenizer": str(sample_tokenizer), "output": str(tmp_path / "t"), "val_fraction": 0.2,
                                "formats": ["kopile", "nanogpt"], "mix": {"first": {"epochs": 3}, "rest": {}}})
    meta = Packer(config, progress=False).run(LocalExecutor())
    assert sorted(meta["totals"]["train"]["sources"]) == ["first", "rest"]
    assert meta["shards"] == ["first__s0", "rest__s1", "rest__s2"]
    first = meta["totals"]["train"]["sources"]["first"]
    assert meta["mix"]["sources"]["first"]["tokens"] == 3 * first["tokens"]


def test_token_accounting_per_source_and_split(mixed, corpus):
    _, meta = mixed
    table = read_dir(corpus)
    for split in ("train", "val"):
        t = meta["totals"][split]
        assert t["documents"] == sum(s["documents"] for s in t["sources"].values())
        assert t["tokens"] == sum(s["tokens"] for s in t["sources"].values())
        for s in t["sources"].values():
            assert s["tokens_per_byte"] == round(s["tokens"] / s["bytes"], 4)
    # bytes are the UTF-8 bytes of the documents' text, over both splits
    for source in ("law", "chat"):
        texts = [r["text"] for r in table.to_pylist() if r["source"] == source]
        assert sum(meta["totals"][s]["sources"][source]["bytes"] for s in ("train", "val")) == \
            sum(len(t.encode()) for t in texts)
        assert sum(meta["totals"][s]["sources"][source]["documents"] for s in ("train", "val")) == len(texts)


# --- shuffling -------------------------------------------------------------------------------------

def test_shuffling_is_global_and_the_same_with_one_and_two_workers(corpus, sample_tokenizer, tmp_path, ray_session):
    from kopile.pipeline.jobs.executor import RayExecutor

    files = {}
    for name, executor in (("one", LocalExecutor()), ("two", RayExecutor(num_cpus=2))):
        out, _ = pack(corpus, sample_tokenizer, tmp_path / name, executor=executor, shuffle=True, seed=5,
                      formats=["kopile", "nanogpt"], mix={"law": {"epochs": 1}, "chat": {"epochs": 1.5}})
        files[name] = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*"))
                       if p.is_file() and p.name != "tokens.json"}
    assert files["one"] == files["two"] and files["one"]
    plan = np.load(tmp_path / "one" / PLAN)
    stream = TokenStream(tmp_path / "one", "train")
    shards = [stream.locate(int(i))[0] for i in plan[:30]]
    assert len(set(shards)) == 3 and shards != sorted(shards)  # shards interleave
    out, _ = pack(corpus, sample_tokenizer, tmp_path / "other", shuffle=True, seed=6, formats=["kopile", "nanogpt"],
                  mix={"law": {"epochs": 1}, "chat": {"epochs": 1.5}})
    assert not np.array_equal(np.load(out / PLAN), plan)


# --- fixed-length samples -----------------------------------------------------------------------------

def test_packing_waste_on_a_hand_made_example():
    lengths = np.array([5, 4, 3, 3, 2, 10])  # 27 tokens, samples of 8
    fit = seqpack.best_fit(lengths, 8)
    # 10 -> a full sample and a rest of 2; then 5+3, 4+3, 2+2: four samples, five pad slots
    by_sample = {}
    for p in fit:
        by_sample.setdefault(int(p["sample"]), []).append((int(p["document"]), int(p["tokens"])))
    assert by_sample == {0: [(5, 8)], 1: [(0, 5), (2, 3)], 2: [(1, 4), (3, 3)], 3: [(4, 2), (5, 2)]}
    assert seqpack.waste(fit, lengths, 8) == {"samples": 4, "length": 8, "tokens": 27, "placed": 27, "padding": 5,
                                              "truncated": 0, "padding_share": 0.15625, "truncated_share": 0.0}
    cut = seqpack.concat(lengths, 8)
    assert seqpack.waste(cut, lengths, 8) == {"samples": 3, "length": 8, "tokens": 27, "placed": 24, "padding": 0,
                                              "truncated": 3, "padding_share": 0.0, "truncated_share": 0.111111}
    docs = [np.arange(n) + 100 * i for i, n in enumerate(lengths)]
    samples = [s for s, _ in seqpack.samples(cut, lambda i: docs[i], 8, -1)]
    assert np.array_equal(np.concatenate(samples), np.concatenate(docs)[:24])
    filled = [s.tolist() for s, _ in seqpack.samples(fit, lambda i: docs[i], 8, -1)]
    assert filled[3] == [400, 401, 508, 509, -1, -1, -1, -1]


@needs["megatron"]
def test_samples_through_megatron(sampled):
    from megatron.core.datasets.indexed_dataset import IndexedDataset

    method, out, meta = sampled
    for split in ("train", "val"):
        want, pieces = expected_samples(out, split, method, pad=meta["pad_id"])
        data = IndexedDataset(str(out / "megatron" / f"{split}_text_document"))
        assert len(data) == len(want) == meta["samples"][split]["samples"] > 0
        assert all(np.array_equal(data[i], s) for i, s in enumerate(want))
        assert set(data.sequence_lengths) == {32}
    w = meta["samples"]["train"]
    assert (w["padding"] == 0 < w["truncated"] < 32) if method == "concat" else (w["truncated"] == 0)


@needs["hf"]
def test_samples_through_hf(sampled):
    import datasets

    method, out, meta = sampled
    want, pieces = expected_samples(out, "train", method, pad=meta["pad_id"])
    data = datasets.load_from_disk(str(out / "hf" / "train"))
    assert data["input_ids"] == [s.tolist() for s in want]
    assert ("lengths" in data.column_names) == (method == "best_fit")


def test_nanogpt_ignores_the_sample_layout(sampled):
    method, out, _ = sampled
    flat = np.memmap(out / "nanogpt" / "train.bin", dtype=np.uint16, mode="r")
    assert np.array_equal(flat, np.concatenate(expected(out, "train")))


# --- config -----------------------------------------------------------------------------------------

def test_a_format_whose_library_is_missing_is_named_before_packing(sample_tokenizer, tmp_path, monkeypatch):
    from kopile.tokenizers_train import formats

    monkeypatch.setitem(formats.PACKAGES, "hf", "no_such_package_kopile")
    config = parse_pack_config({"input": str(tmp_path), "tokenizer": str(sample_tokenizer), "output": str(tmp_path / "o"),
                                "formats": ["hf"]})
    with pytest.raises(InputError, match="hf \\(needs no_such_package_kopile"):
        Packer(config, progress=False).prepare()


@pytest.mark.parametrize("settings, message", [
    ({"formats": ["parquet"]}, "formats"),
    ({"formats": ["hf", "hf"]}, "twice"),
    ({"formats": ["nanogpt"], "mix": {"a": {"share": 0.5}, "b": {"share": 0.4}}}, "sum to 1"),
    ({"formats": ["nanogpt"], "mix": {"a": {"share": 0.5}, "b": {"epochs": 2}}}, "or none of them"),
    ({"formats": ["nanogpt"], "mix": {"a": {"share": 0.5, "weight": 1}}}, "not both"),
    ({"mix": {"a": {"epochs": 2}}}, "add one to formats"),
    ({"formats": ["hf"], "sequence": {"length": 1}}, "sequence.length"),
    ({"formats": ["nanogpt"], "mix_tokens": 100}, "mix_tokens needs"),
])
def test_mix_and_sequence_settings_are_checked(settings, message):
    with pytest.raises(ConfigError, match=message):
        parse_pack_config({"input": "x", "tokenizer": "y", "output": "z", **settings})


def test_a_missing_passthrough_column_is_named(corpus, sample_tokenizer, tmp_path):
    if not HAS["datasets"]:
        pytest.skip("datasets is absent")
    with pytest.raises(InputError, match="s0.parquet: passthrough column.*'title'"):
        pack(corpus, sample_tokenizer, tmp_path / "t", formats=["kopile", "hf"], passthrough=["id", "title"])
    assert pq.read_schema(corpus / "s0.parquet")  # the input is untouched


def test_the_tokenize_report_shows_the_accounting_and_the_mix(mixed, capsys):
    pytest.importorskip("matplotlib")
    from kopile.cli import main

    out, meta = mixed
    assert main(["report", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    law = meta["totals"]["train"]["sources"]["law"]
    assert '<table id="sources">' in page and f"<td>{law['tokens']:,}</td>" in page
    assert '<table id="mix">' in page and "<td>up x2.00</td>" in page
    assert (out / "report" / "shares.png").is_file()
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert f"| train | law | {law['documents']:,} | {law['tokens']:,} | {law['bytes']:,} |" in summary


def test_a_rerun_keeps_the_formats_nothing_changed_for(corpus, sample_tokenizer, tmp_path):
    settings = dict(formats=["kopile", "nanogpt"] + ["hf"] * HAS["datasets"], shuffle=True,
                    mix={"law": {"epochs": 1}, "chat": {"epochs": 2}})
    out, first = pack(corpus, sample_tokenizer, tmp_path / "t", **settings)
    flat = out / "nanogpt" / "train.bin"
    stamp = flat.stat().st_mtime_ns
    _, again = pack(corpus, sample_tokenizer, tmp_path / "t", **settings)
    assert flat.stat().st_mtime_ns == stamp and again["formats"] == first["formats"]
    _, changed = pack(corpus, sample_tokenizer, tmp_path / "t", **{**settings, "mix": {"law": {"epochs": 1}, "chat": {}}})
    assert flat.stat().st_mtime_ns != stamp
    assert changed["formats"]["nanogpt"]["train"]["tokens"] < first["formats"]["nanogpt"]["train"]["tokens"]
    assert np.array_equal(np.fromfile(flat, np.uint16), np.concatenate(expected(out, "train")))
