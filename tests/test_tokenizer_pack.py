"""Packed token streams: what went in comes out of the memmap; splits and files deterministic."""
import json
import subprocess
import sys
import unicodedata

import numpy as np
import pytest

from conftest import ROOT, write_shard
from kopile.tokenizers_train.config import parse_pack_config
from kopile.pipeline.jobs.pack import Packer
from kopile.tokenizers_train import train as T
from kopile.tokenizers_train.pack import TokenStream


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    d = tmp_path_factory.mktemp("packin")
    docs = [f"{i}번째 문서입니다. 국민의 권리와 의무 😀 {'가나다' * (i % 7)}" for i in range(300)]
    docs[5] = ""
    docs[6] = None
    for s in range(3):
        write_shard(d / f"s{s}.parquet", docs[s::3], id=[f"d{i}" for i in range(s, 300, 3)])
    return d, docs


def pack(shards_dir, sample_tokenizer, out, **settings):
    config = parse_pack_config({"input": str(shards_dir), "tokenizer": str(sample_tokenizer), "output": str(out),
                                **settings})
    return Packer(config, progress=False).run()


def test_the_memmap_returns_the_documents(ray_session, shards, sample_tokenizer, tmp_path):
    from tokenizers import Tokenizer

    folder, docs = shards
    meta = pack(folder, sample_tokenizer, tmp_path / "out", val_fraction=0.1)
    tok = Tokenizer.from_file(str(sample_tokenizer / "tokenizer.json"))
    assert meta["dtype"] == "<u2" and meta["eos_id"] == tok.token_to_id(T.EOS)
    got = []
    for split in ("train", "val"):
        stream = TokenStream(tmp_path / "out", split)
        assert isinstance(stream.shards[0][0], np.memmap)
        for i in range(len(stream)):
            ids = stream.document(i)
            assert ids[-1] == meta["eos_id"] and meta["eos_id"] not in ids[:-1]
            got.append(tok.decode(ids[:-1].tolist()))
        assert stream.num_tokens == meta["totals"][split]["tokens"]
    assert sorted(got) == sorted(unicodedata.normalize("NFC", d) for d in docs if d)
    assert 10 <= meta["totals"]["val"]["documents"] <= 55
    assert sum(e["skipped_empty"] for e in meta["entries"].values()) == 2


def test_splits_follow_ids_and_files_do_not_depend_on_workers(ray_session, shards, sample_tokenizer, tmp_path):
    folder, _ = shards
    pack(folder, sample_tokenizer, tmp_path / "two", val_fraction=0.2, shuffle=True, seed=3)
    cfg = tmp_path / "pack.yaml"
    cfg.write_text(f"input: {folder}\ntokenizer: {sample_tokenizer}\noutput: {tmp_path / 'one'}\n"
                   "val_fraction: 0.2\nshuffle: true\nseed: 3\n")
    out = subprocess.run([sys.executable, "-m", "kopile.cli", "tokenize", str(cfg), "--num-cpus", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    files = lambda d: {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*.bin")) + sorted(d.rglob("*.idx"))}
    assert files(tmp_path / "one") == files(tmp_path / "two") and len(files(tmp_path / "one")) == 12
    # Shuffled: another order of the same documents than the unshuffled run.
    pack(folder, sample_tokenizer, tmp_path / "plain", val_fraction=0.2, seed=3)
    a, b = TokenStream(tmp_path / "two"), TokenStream(tmp_path / "plain")
    docs_a = [a.document(i).tobytes() for i in range(len(a))]
    docs_b = [b.document(i).tobytes() for i in range(len(b))]
    assert docs_a != docs_b and sorted(docs_a) == sorted(docs_b)


def test_wrong_dtype_and_other_tokenizer_are_refused(ray_session, shards, sample_tokenizer, tmp_path):
    folder, _ = shards
    pack(folder, sample_tokenizer, tmp_path / "out")
    meta = json.loads((tmp_path / "out" / "tokens.json").read_text())
    meta["dtype"] = "<u4"
    (tmp_path / "out" / "tokens.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"s0\.bin: .*wrong dtype or a torn write"):
        TokenStream(tmp_path / "out")
    with pytest.raises(RuntimeError, match="another tokenizer or settings"):
        pack(folder, sample_tokenizer, tmp_path / "out", seed=9)


def test_a_rewritten_input_shard_is_packed_again(ray_session, sample_tokenizer, tmp_path):
    """A pipeline re-run with other settings rewrites its kept shards under the same names:
    the token streams must follow, not keep the old shard's tokens."""
    write_shard(tmp_path / "in" / "a.parquet", ["첫 번째 문서입니다."] * 3, id=["a", "b", "c"])
    write_shard(tmp_path / "in" / "b.parquet", ["그대로인 문서입니다."], id=["d"])
    pack(tmp_path / "in", sample_tokenizer, tmp_path / "out")
    before = json.loads((tmp_path / "out" / "tokens.json").read_text())["entries"]
    write_shard(tmp_path / "in" / "a.parquet", ["바뀐 문서."], id=["e"])
    pack(tmp_path / "in", sample_tokenizer, tmp_path / "out")
    after = json.loads((tmp_path / "out" / "tokens.json").read_text())["entries"]
    assert after["b"] == before["b"]                      # unchanged: reused
    assert after["a"]["train"]["documents"] + after["a"]["val"]["documents"] == 1
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(sample_tokenizer / "tokenizer.json"))
    texts = sorted(tok.decode(s.document(i)[:-1].tolist()) for split in ("train", "val")
                   for s in [TokenStream(tmp_path / "out", split)] for i in range(len(s)))
    assert texts == ["그대로인 문서입니다.", "바뀐 문서."]
