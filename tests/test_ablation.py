"""`kopile ablate`: bits per byte by hand, equal token budgets, reruns and resumes that give the
same table, and held-out text that never reaches a training stream."""
import json
import math
import shutil
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from conftest import ROOT, kill_when, load_example, manifest_entries, read_dir

torch = pytest.importorskip("torch")

from kopile.core.errors import InputError  # noqa: E402
from kopile.driver.ablate import AblateConfig, Ablation, find_leaks, quick  # noqa: E402
from kopile.driver.config import ModelSpec  # noqa: E402
from kopile.driver.generate import bits_per_byte  # noqa: E402
from kopile.driver.model import llama_config, load_tokenizer, new_model  # noqa: E402
from kopile.pipeline.jobs.executor import LocalExecutor  # noqa: E402
from kopile.tokenizers_train import train as T  # noqa: E402

KOPILE = [sys.executable, "-m", "kopile.cli"]
PIPELINE = {"stages": [{"normalize": {}}, {"langid": {}}, {"quality": {}}, {"exact_dedup": {}}]}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The sample corpus with a held-out set split off first: every 12th clean document, and every
    copy of one (the sample plants exact and near copies) left out of the raw corpus."""
    root = tmp_path_factory.mktemp("ablation")
    load_example("make_sample").generate(root / "sample", seed=1, n_shards=3)
    table = read_dir(root / "sample")
    kinds = table.column("sample_kind").to_pylist()
    held = [i for i, k in enumerate(kinds) if k == "clean" and i % 12 == 0]
    rest = [i for i in range(table.num_rows) if i not in set(held)]
    held_texts = table.take(held).column("text").to_pylist()
    raw = table.take(rest)
    (root / "raw").mkdir()
    for k in range(3):
        pq.write_table(raw.slice(k * (raw.num_rows // 3), raw.num_rows // 3 + (raw.num_rows % 3 if k == 2 else 0)),
                       root / "raw" / f"part-{k}.parquet")
    leaks = find_leaks({"h": ([], held_texts)}, sorted((root / "raw").glob("*.parquet")), "text", "id")
    for path, rows in leaks["rows"].items():
        t = pq.read_table(path)
        pq.write_table(t.filter(pa.array([i not in set(rows) for i in range(t.num_rows)])), path)
    (root / "heldout").mkdir()
    half = len(held_texts) // 2
    for name, texts in (("constitution_a", held_texts[:half]), ("constitution_b", held_texts[half:])):
        pq.write_table(pa.table({"id": [f"{name}-{i}" for i in range(len(texts))], "text": texts}),
                       root / "heldout" / f"{name}.parquet")
    (root / "pipeline.yaml").write_text(yaml.safe_dump(PIPELINE))
    return root


def ablate_config(corpus, out, **over) -> AblateConfig:
    data = {"raw": str(corpus / "raw"), "output": str(out), "pipeline": str(corpus / "pipeline.yaml"),
            "heldout": {"a": str(corpus / "heldout" / "constitution_a.parquet"),
                        "b": str(corpus / "heldout" / "constitution_b.parquet")},
            "variants": {"raw": {}, "+quality": {"through": "quality"}, "+dedup": {"through": "exact_dedup"}},
            "tokens": 16 * 128 * 4, **over}
    return quick(AblateConfig.model_validate(data))


@pytest.fixture(scope="module")
def ablation(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "ablation"
    return out, Ablation(ablate_config(corpus, out), progress=False, log=lambda *a: None).run(LocalExecutor())


def test_bits_per_byte_equals_a_hand_computation(corpus, tmp_path):
    texts = read_dir(corpus / "raw").column("text").to_pylist()[:50]
    directory = T.save(T.train([t for t in texts if t], "sp_bpe", vocab_size=600), tmp_path / "tok")
    tok = load_tokenizer(directory)
    model = new_model(llama_config(ModelSpec(
        preset="tiny", hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=256), tok), 0)
    docs = ["대한민국은 민주공화국이다.", "모든 국민은 법 앞에 평등하다. 누구든지 차별을 받지 아니한다.", "헌법"]
    # By hand: one forward pass over the whole stream (<|eos|> doc <|eos|> doc ...), every
    # document token's log-probability from the logits at the position before it.
    ids, is_text = [tok.eos_token_id], [False]
    for d in docs:
        piece = tok(d, add_special_tokens=False)["input_ids"]
        ids += piece + [tok.eos_token_id]
        is_text += [True] * len(piece) + [False]
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=torch.tensor([ids])).logits[0].float(), -1)
    nll = -sum(float(logp[t - 1, ids[t]]) for t in range(1, len(ids)) if is_text[t])
    expected = nll / math.log(2) / sum(len(d.encode()) for d in docs)
    whole = bits_per_byte(model, tok, docs, seq_len=256)
    assert whole["bpb"] == pytest.approx(expected, rel=1e-5)
    assert whole["tokens"] == sum(is_text) and whole["bytes"] == sum(len(d.encode()) for d in docs)
    # Short windows: every document token is still predicted exactly once.
    windowed = bits_per_byte(model, tok, docs, seq_len=5, batch_size=3)
    assert windowed["tokens"] == sum(is_text) and windowed["bpb"] > 0


def test_every_variant_trains_on_exactly_the_budget(ablation):
    out, results = ablation
    config = results["config"]
    assert config["tokens"] == 20 * 8 * 32
    for key, run in results["runs"].items():
        entry = json.loads((out / "train" / "_manifest.json").read_text())["runs"][key]
        assert entry["tokens"] == config["tokens"] and entry["steps"] * 8 * 32 == config["tokens"]
        assert run["epochs"] == pytest.approx(config["tokens"] / entry["train_tokens"], abs=1e-4)
        assert [p["tokens"] for p in run["curve"]] == [config["tokens"] // 2, config["tokens"]]
    rows = results["variants"]
    assert set(rows) == {"raw", "+quality", "+dedup"} and rows["raw"]["documents"] > rows["+dedup"]["documents"]
    # The same initial weights per seed: the first checkpoint's model differs only by data.
    assert all(len(r["seeds"]) == 2 for r in rows.values())
    assert (out / "results.md").is_file() and (out / "bpb_curve.png").is_file() and (out / "bpb_final.png").is_file()
    assert "| raw |" in (out / "results.md").read_text()


def test_heldout_text_never_reaches_a_training_stream(ablation, corpus):
    out, results = ablation
    assert all(sum(v.values()) == 0 for v in results["leaks"].values())
    # And the check bites: a held-out document planted in the raw corpus stops the ablation.
    bad = corpus.parent / "leaky"
    shutil.copytree(corpus, bad)
    held = pq.read_table(bad / "heldout" / "constitution_a.parquet").column("text")[0].as_py()
    shard = bad / "raw" / "part-0.parquet"
    t = pq.read_table(shard)
    pq.write_table(pa.concat_tables([t, t.slice(0, 1).set_column(0, "text", pa.array([held + " 끝."]))]), shard)
    config = ablate_config(bad, bad / "out")
    with pytest.raises(InputError, match="trains on held-out documents"):
        Ablation(config.model_copy(update={"raw": str(bad / "raw"), "pipeline": str(bad / "pipeline.yaml")}),
                 progress=False, log=lambda *a: None).run(LocalExecutor())


def test_a_rerun_gives_the_same_results_per_seed(ablation, corpus, tmp_path):
    out, results = ablation
    again = Ablation(ablate_config(corpus, tmp_path / "again"), progress=False, log=lambda *a: None).run(
        LocalExecutor())
    assert {k: r["final"] for k, r in again["runs"].items()} == {k: r["final"] for k, r in results["runs"].items()}


def test_an_ablation_killed_mid_way_resumes_to_the_same_table(ablation, corpus, tmp_path):
    out, results = ablation
    cfg = tmp_path / "ablate.yaml"
    cfg.write_text(yaml.safe_dump({"raw": str(corpus / "raw"), "output": str(tmp_path / "killed"),
                                   "pipeline": str(corpus / "pipeline.yaml"),
                                   "heldout": {"a": str(corpus / "heldout" / "constitution_a.parquet"),
                                               "b": str(corpus / "heldout" / "constitution_b.parquet")},
                                   "variants": {"raw": {}, "+quality": {"through": "quality"},
                                                "+dedup": {"through": "exact_dedup"}},
                                   "tokens": 16 * 128 * 4}))
    command = [*KOPILE, "ablate", str(cfg), "--quick", "--local", "--no-progress"]
    manifest = tmp_path / "killed" / "train" / "_manifest.json"
    kill_when(command, lambda: manifest_entries(manifest, "runs") >= 2, timeout=300)
    assert manifest_entries(manifest, "runs") < 6
    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    table = json.loads((tmp_path / "killed" / "results.json").read_text())
    assert {k: r["final"] for k, r in table["runs"].items()} == {k: r["final"] for k, r in results["runs"].items()}
    assert "| +dedup |" in resumed.stdout


def test_the_budget_must_be_whole_windows(corpus, tmp_path):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="multiple of batch_size x seq_len"):
        AblateConfig.model_validate({"raw": "x", "output": "y", "heldout": {"a": "z"}, "variants": {"raw": {}},
                                     "tokens": 1000, "batch_size": 16, "seq_len": 128})
