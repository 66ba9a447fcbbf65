"""The training driver on a model small enough for seconds per test: loss goes down, resume is
bit-exact, finetuning learns only from the assistant, LoRA touches only adapters, checkpoints
load with transformers offline, decoding runs."""
import io
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml

from conftest import ROOT, read_dir, write_shard
from kopile.driver import loop
from kopile.driver.config import FinetuneConfig, PretrainConfig
from kopile.driver.data import Windows, chat_batch, encode_chats, read_chats
from kopile.driver.finetune import finetune
from kopile.driver.generate import generate, load, perplexity, visible
from kopile.driver.model import llama_config, load_model, load_tokenizer, new_model
from kopile.driver.pretrain import pretrain
from kopile.cli import main
from kopile.core.errors import ConfigError
from kopile.tokenizers_train import train as T
from kopile.tokenizers_train.pack import dtype_for, pack_shard

MICRO = {"preset": "tiny", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
         "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 64}


@pytest.fixture(scope="module")
def texts(sample_dir):
    return [t for t in read_dir(sample_dir).column("text").to_pylist() if t]


@pytest.fixture(scope="module")
def tok_dir(texts, tmp_path_factory):
    return T.save(T.train(texts, "sp_bpe", vocab_size=800), tmp_path_factory.mktemp("tok") / "tok")


def write_tokens(texts, tok_dir, out, shards=2):
    """Packed streams as `kopile tokenize` writes them, without Ray."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tok_dir / "tokenizer.json"))
    names = []
    for s in range(shards):
        src = write_shard(out / "in" / f"s{s}.parquet", texts[s::shards], id=[f"d{i}" for i in range(s, len(texts), shards)])
        pack_shard(str(tok_dir), str(src), f"s{s}", str(out), "text", "id", 0.1, 0, False)
        names.append(f"s{s}")
    meta = {"dtype": dtype_for(tok.get_vocab_size()).str, "vocab_size": tok.get_vocab_size(),
            "eos_id": tok.token_to_id(T.EOS), "shards": names}
    (out / "tokens.json").write_text(json.dumps(meta))
    return out


@pytest.fixture(scope="module")
def tokens_dir(texts, tok_dir, tmp_path_factory):
    return write_tokens(texts, tok_dir, tmp_path_factory.mktemp("tokens"))


def pre_config(tokens_dir, tok_dir, out, **over):
    settings = dict(tokens=str(tokens_dir), tokenizer=str(tok_dir), output=str(out), model=MICRO, seq_len=32,
                    steps=6, batch_size=4, lr=1e-2, warmup_steps=2, eval_every=3, eval_batches=2, save_every=2,
                    log_every=1, seed=3)
    settings.update(over)
    return PretrainConfig.model_validate(settings)


@pytest.fixture(scope="module")
def pretrained(tokens_dir, tok_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("pre") / "run"
    pretrain(pre_config(tokens_dir, tok_dir, out, steps=40, save_every=40, eval_every=20), progress=False)
    return out / "final"


@pytest.fixture(scope="module")
def chats_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("chat") / "train.jsonl"
    rows = [{"instruction": f"헌법 제{i}조를 알려 주세요.", "input": "", "output": f"제{i}조 대한민국은 민주공화국이다."}
            for i in range(1, 13)]
    rows += [{"messages": [{"role": "user", "content": "안녕하세요?"}, {"role": "assistant", "content": "네, 반갑습니다."},
                           {"role": "user", "content": "주권은 누구에게?"},
                           {"role": "assistant", "content": "국민에게 있습니다."}]}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def weights(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


# --- pretraining ----------------------------------------------------------------------------------

def test_a_few_steps_lower_the_loss_on_a_fixed_batch(tokens_dir, tok_dir, tmp_path):
    config = pre_config(tokens_dir, tok_dir, tmp_path, steps=15, warmup_steps=0)
    tok = load_tokenizer(tok_dir)
    model = new_model(llama_config(config.model, tok), 0)
    batch = Windows(tokens_dir, "train", 32, model.config.vocab_size).sample(0, 0, 0, 4)
    result = loop.fit(model, tok, config, tmp_path / "out", 15, lambda step, micro: (batch, None, batch), [], None,
                      progress=False)
    losses = [json.loads(l)["loss"] for l in (tmp_path / "out" / "log.jsonl").read_text().splitlines()]
    assert len(losses) == 15 and result["step"] == 15
    assert losses[-1] < losses[0] - 2.0, losses


def test_windows_are_a_function_of_seed_and_step(tokens_dir):
    w = Windows(tokens_dir, "train", 32, 10**6)
    a, b = w.sample(1, 7, 0, 8), w.sample(1, 7, 0, 8)
    assert a.shape == (8, 32) and np.array_equal(a, b)
    assert not np.array_equal(a, w.sample(1, 8, 0, 8)) and not np.array_equal(a, w.sample(1, 7, 1, 8))
    # Every window is a real slice of one shard's memory map.
    flat = [np.asarray(t) for t in w.shards]
    for row in a:
        assert any(np.array_equal(row, t[i:i + 32]) for t in flat for i in np.flatnonzero(t == row[0]))


def test_pretraining_reads_the_nanogpt_format(tokens_dir, tok_dir, tmp_path):
    """The driver trains from what `kopile tokenize` writes for other trainers: the flat file of
    the mixed, shuffled training split."""
    from kopile.pipeline.jobs.executor import LocalExecutor
    from kopile.pipeline.jobs.pack import Packer
    from kopile.tokenizers_train.config import parse_pack_config

    out = tmp_path / "tokens"
    Packer(parse_pack_config({"input": str(tokens_dir / "in"), "tokenizer": str(tok_dir), "output": str(out),
                              "val_fraction": 0.1, "shuffle": True, "formats": ["kopile", "nanogpt"]}),
           progress=False).run(LocalExecutor())
    w = Windows(out, "train", 32, 10**6, "nanogpt")
    flat = np.fromfile(out / "nanogpt" / "train.bin", dtype=np.uint16)
    assert w.num_tokens == len(flat) and len(w) == len(flat) - 31
    for row in w.sample(0, 0, 0, 8):
        assert any(np.array_equal(row, flat[i:i + 32]) for i in np.flatnonzero(flat == row[0]))
    result = pretrain(pre_config(out, tok_dir, tmp_path / "run", steps=2, eval_every=2, save_every=2,
                                 tokens_format="nanogpt"), progress=False)
    assert result["step"] == 2
    with pytest.raises(ConfigError, match="add nanogpt to the formats"):
        Windows(tokens_dir, "train", 32, 10**6, "nanogpt")


def test_resume_equals_an_uninterrupted_run(tokens_dir, tok_dir, tmp_path):
    whole = pretrain(pre_config(tokens_dir, tok_dir, tmp_path / "whole"), progress=False)
    first = pretrain(pre_config(tokens_dir, tok_dir, tmp_path / "cut"), stop_after=3, progress=False)
    assert first["step"] == 3 and not (tmp_path / "cut" / "final").exists()
    assert json.loads((tmp_path / "cut" / "latest.json").read_text())["step"] == 3
    # What a kill during a save leaves: a half-written checkpoint under its temporary name.
    half = tmp_path / "cut" / "checkpoints" / ".step-0000004.tmp-99999"
    half.mkdir()
    (half / "model.safetensors").write_bytes(b"torn")
    resumed = pretrain(pre_config(tokens_dir, tok_dir, tmp_path / "cut"), resume=True, progress=False)
    assert resumed["step"] == whole["step"] == 6 and resumed["loss"] == whole["loss"]
    a, b = load_model(tmp_path / "whole" / "final"), load_model(tmp_path / "cut" / "final")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), name
    assert ((tmp_path / "whole" / "final" / "model.safetensors").read_bytes()
            == (tmp_path / "cut" / "final" / "model.safetensors").read_bytes())

    def losses(run):
        return [(r["step"], r.get("loss"), r.get("val_loss"))
                for r in map(json.loads, (tmp_path / run / "log.jsonl").read_text().splitlines())]
    assert losses("whole") == losses("cut")
    # keep_checkpoints (2) newest complete checkpoints; nothing half-written left behind.
    assert sorted(p.name for p in (tmp_path / "cut" / "checkpoints").iterdir()) == ["step-0000004", "step-0000006"]


def test_existing_checkpoints_need_resume_and_the_same_settings(tokens_dir, tok_dir, tmp_path):
    pretrain(pre_config(tokens_dir, tok_dir, tmp_path), stop_after=2, progress=False)
    with pytest.raises(ConfigError, match="--resume"):
        pretrain(pre_config(tokens_dir, tok_dir, tmp_path), progress=False)
    with pytest.raises(ConfigError, match="other training settings"):
        pretrain(pre_config(tokens_dir, tok_dir, tmp_path, lr=5e-3), resume=True, progress=False)
    # A torn checkpoint (no trainer state) is not taken as the latest.
    latest = tmp_path / "checkpoints" / "step-0000002"
    (latest / "trainer_state.pt").unlink()
    assert loop.latest_checkpoint(tmp_path) is None


def test_mismatches_are_refused_before_training(tokens_dir, tok_dir, texts, tmp_path):
    with pytest.raises(ConfigError, match="smaller than the tokenizer"):
        pretrain(pre_config(tokens_dir, tok_dir, tmp_path / "a", model={**MICRO, "vocab_size": 100}), progress=False)
    other = T.save(T.train(texts[:200], "sp_bpe", vocab_size=500), tmp_path / "other")
    with pytest.raises(ConfigError, match="does not match the tokenizer"):
        pretrain(pre_config(tokens_dir, other, tmp_path / "b"), progress=False)
    wrong = tmp_path / "wrong"
    shutil.copytree(tokens_dir, wrong)
    meta = json.loads((wrong / "tokens.json").read_text())
    (wrong / "tokens.json").write_text(json.dumps({**meta, "dtype": "<u4"}))
    with pytest.raises(ValueError, match="wrong dtype"):
        pretrain(pre_config(wrong, tok_dir, tmp_path / "c"), progress=False)
    with pytest.raises(ConfigError, match="max_position_embeddings"):
        pretrain(pre_config(tokens_dir, tok_dir, tmp_path / "d", seq_len=65), progress=False)
    assert not any((tmp_path / x).exists() for x in "abcd")  # nothing started


def test_cli_pretrain_and_its_errors(tokens_dir, tok_dir, tmp_path, capsys):
    config = pre_config(tokens_dir, tok_dir, tmp_path / "out", steps=2, eval_every=1)
    path = tmp_path / "pre.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json")))
    assert main(["pretrain", str(path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert '"step": 2' in out and "final" in out
    assert main(["pretrain", str(path), "--no-progress"]) == 2  # checkpoints there, no --resume
    assert "--resume" in capsys.readouterr().err
    path.write_text(yaml.safe_dump({**config.model_dump(mode="json"), "stepz": 3}))
    assert main(["pretrain", str(path)]) == 2
    assert "stepz" in capsys.readouterr().err


# --- finetuning -----------------------------------------------------------------------------------

def test_prompt_tokens_carry_no_loss(pretrained, chats_file):
    tok = load_tokenizer(pretrained, chat=True)
    chats, _ = read_chats([str(chats_file)], system="도우미입니다.")
    examples, stats = encode_chats(chats, tok, 64)
    assert stats["examples"] == len(chats) == 13
    last = examples[-1]
    learned = tok.decode(last.labels[last.labels != -100])
    assert learned == "네, 반갑습니다.<|end|>국민에게 있습니다.<|end|>"
    prompt_part = tok.decode(last.ids[last.labels == -100])
    assert "도우미입니다." in prompt_part and "안녕하세요?" in prompt_part and "반갑" not in prompt_part
    ids, attention, labels = chat_batch(examples[:3] + [last], tok.pad_token_id)
    assert (labels[attention == 0] == -100).all()
    # The summed loss is the assistant tokens' negative log-likelihood and nothing else.
    model = load_model(pretrained)
    ids_t, attention_t, labels_t = torch.tensor(ids), torch.tensor(attention), torch.tensor(labels)
    with torch.no_grad():
        got = float(loop.token_loss_sum(model, ids_t, attention_t, labels_t))
        logp = torch.log_softmax(model(input_ids=ids_t, attention_mask=attention_t).logits.float(), -1)
    rows, cols = np.nonzero(labels[:, 1:] != -100)
    expected = -sum(float(logp[r, c, labels[r, c + 1]]) for r, c in zip(rows, cols))
    assert got == pytest.approx(expected, rel=1e-5)
    assert len(rows) == sum(int((e.labels[1:] != -100).sum()) for e in examples[:3] + [last])


def test_a_malformed_line_is_reported_by_number(chats_file, tmp_path):
    bad = tmp_path / "bad.jsonl"
    lines = chats_file.read_text(encoding="utf-8").splitlines()
    lines[2] = '{"instruction": "빠진 답"}'
    lines[4] = "{not json"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.jsonl:3: .*output.*--skip-bad-lines"):
        read_chats([str(bad)])
    chats, skipped = read_chats([str(bad)], skip_bad_lines=True)
    assert len(chats) == len(lines) - 2 and [s.split(": ")[0].rsplit(":", 1)[1] for s in skipped] == ["3", "5"]


def ft_config(pretrained, chats_file, out, **over):
    settings = dict(init=str(pretrained), data=str(chats_file), val_data=str(chats_file), output=str(out),
                    steps=8, batch_size=4, lr=1e-2, eval_every=4, save_every=4, log_every=1, max_len=64, seed=5)
    settings.update(over)
    return FinetuneConfig.model_validate(settings)


def test_lora_changes_only_adapters_and_the_merge_matches(pretrained, chats_file, tmp_path):
    from peft import PeftModel

    result = finetune(ft_config(pretrained, chats_file, tmp_path, method="lora", lora={"r": 4, "alpha": 8}),
                      progress=False)
    assert result["step"] == 8 and result["trainable_parameters"] < 0.2 * sum(
        p.numel() for p in load_model(pretrained).parameters())
    original = weights(load_model(pretrained))
    adapted = PeftModel.from_pretrained(load_model(pretrained), str(tmp_path / "adapter")).eval()
    changed_adapters = 0
    for name, value in adapted.state_dict().items():
        if "lora_" in name:
            changed_adapters += int("lora_B" in name and bool(value.abs().sum() > 0))
        else:
            key = name.replace("base_model.model.", "").replace(".base_layer", "")
            assert torch.equal(value, original[key]), name
    assert changed_adapters > 0
    merged = load_model(tmp_path / "final").eval()
    ids = torch.tensor([load_tokenizer(pretrained).encode("대한민국은 민주공화국이다.")])
    with torch.no_grad():
        assert torch.allclose(merged(ids).logits, adapted(ids).logits, atol=1e-5)
        assert not torch.allclose(merged(ids).logits, load_model(pretrained)(ids).logits, atol=1e-3)


def test_full_finetune_resumes_exactly_and_lowers_the_answer_loss(pretrained, chats_file, tmp_path):
    whole = finetune(ft_config(pretrained, chats_file, tmp_path / "whole"), progress=False)
    finetune(ft_config(pretrained, chats_file, tmp_path / "cut"), stop_after=5, progress=False)
    cut = finetune(ft_config(pretrained, chats_file, tmp_path / "cut"), resume=True, progress=False)
    assert cut["loss"] == whole["loss"]
    assert ((tmp_path / "whole" / "final" / "model.safetensors").read_bytes()
            == (tmp_path / "cut" / "final" / "model.safetensors").read_bytes())
    log = [json.loads(l) for l in (tmp_path / "whole" / "log.jsonl").read_text().splitlines()]
    val = [r["val_loss"] for r in log if "val_loss" in r]
    assert len(val) == 2 and val[-1] < val[0]


# --- checkpoints, generation, perplexity ------------------------------------------------------------

def test_checkpoints_load_with_transformers_offline(pretrained):
    code = ("import sys; from transformers import AutoModelForCausalLM, AutoTokenizer;"
            "m = AutoModelForCausalLM.from_pretrained(sys.argv[1]); t = AutoTokenizer.from_pretrained(sys.argv[1]);"
            "ids = t('대한민국', return_tensors='pt').input_ids;"
            "print(type(m).__name__, m.config.vocab_size >= len(t), m(ids).logits.shape[-1])")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    for directory in (pretrained, next((pretrained.parent / "checkpoints").iterdir())):
        out = subprocess.run([sys.executable, "-c", code, str(directory)], capture_output=True, text=True, env=env,
                             cwd=ROOT, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split()[:2] == ["LlamaForCausalLM", "True"]


def test_every_decoding_strategy_runs_and_greedy_is_deterministic(pretrained):
    model, tok = load(pretrained)
    stream = io.StringIO()
    first = generate(model, tok, "대한민국의 주권은", "greedy", max_new_tokens=12, stream=stream)
    assert first == generate(model, tok, "대한민국의 주권은", "greedy", max_new_tokens=12)
    assert stream.getvalue().strip() == first.strip() and first
    assert generate(model, tok, "대한민국", "beam", max_new_tokens=8, num_beams=3)
    a = generate(model, tok, "헌법", "sample", max_new_tokens=12, seed=1, temperature=1.0, top_k=20, top_p=0.9)
    assert a == generate(model, tok, "헌법", "sample", max_new_tokens=12, seed=1, temperature=1.0, top_k=20, top_p=0.9)
    chat = generate(model, tok, "안녕?", "greedy", max_new_tokens=8, chat=True)
    assert chat and "<|assistant|>" not in chat and "<|user|>" not in chat
    with pytest.raises(ValueError, match="context"):
        generate(model, tok, "가나다라마바사 " * 40, "greedy")
    # Control tokens are dropped from what is shown; PII placeholders stay.
    ids = tok.encode("연락처 <|phone|>입니다.<|end|><|eos|>", add_special_tokens=False)
    assert visible(tok, tok.decode(ids)) == "연락처 <|phone|>입니다."


def test_perplexity_is_the_exp_of_the_mean_token_loss(pretrained, texts):
    model, tok = load(pretrained)
    result = perplexity(model, tok, texts[:5], seq_len=32)
    stream = []
    for t in texts[:5]:
        stream += tok.encode(t, add_special_tokens=False) + [tok.eos_token_id]
    losses = []
    with torch.no_grad():
        for i in range(0, len(stream) - 1, 32):
            w = torch.tensor([stream[i:i + 32]])
            if w.shape[1] > 1:
                losses.append(loop.token_loss_sum(model, w, None, w).item())
    expected = sum(losses) / (len(stream) - (len(stream) + 31) // 32)
    assert result["tokens"] == len(stream) - (len(stream) + 31) // 32
    assert result["loss"] == pytest.approx(expected, rel=1e-4)
    assert result["perplexity"] == pytest.approx(np.exp(expected), rel=1e-3)


def test_a_tokenizer_without_the_chat_setup_is_refused(pretrained, chats_file, tmp_path):
    init = tmp_path / "init"
    shutil.copytree(pretrained, init)
    template = init / "chat_template.jinja"
    template.write_text(template.read_text(encoding="utf-8").replace("{% generation %}", "")
                        .replace("{% endgeneration %}", ""), encoding="utf-8")
    with pytest.raises(ConfigError, match="generation"):
        finetune(ft_config(init, chats_file, tmp_path / "out"), progress=False)
    config = json.loads((init / "tokenizer_config.json").read_text(encoding="utf-8"))
    (init / "tokenizer_config.json").write_text(json.dumps({**config, "eos_token": "<|end|>"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="eos_token"):
        load_tokenizer(init)
    with pytest.raises(ConfigError, match="target_modules"):
        finetune(ft_config(pretrained, chats_file, tmp_path / "lora", method="lora",
                           lora={"target_modules": ["query"]}), progress=False)
    assert not (tmp_path / "out").exists() and not (tmp_path / "lora").exists()


def test_cli_finetune_generate_and_eval(pretrained, chats_file, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(chats_file.read_text(encoding="utf-8") + "{broken\n", encoding="utf-8")
    config = ft_config(pretrained, bad, tmp_path / "ft", steps=2, val_data=None).model_dump(mode="json")
    path = tmp_path / "ft.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert main(["finetune", str(path), "--no-progress"]) == 2
    assert "bad.jsonl:14: not valid JSON" in capsys.readouterr().err
    assert main(["finetune", str(path), "--no-progress", "--skip-bad-lines"]) == 0
    captured = capsys.readouterr()
    assert "skipped" in captured.err and '"skipped_lines": 1' in captured.out
    final = str(tmp_path / "ft" / "final")
    assert main(["generate", final, "--chat", "--prompt", "헌법 제1조는?", "--max-new-tokens", "5"]) == 0
    assert main(["generate", final, "--prompt", "대한민국", "--strategy", "beam", "--max-new-tokens", "5"]) == 0
    capsys.readouterr()
    assert main(["eval", final, "--data", str(chats_file), "--text-column", "instruction"]) == 1  # a messages row
    assert "train.jsonl:13: not a JSON object with a 'instruction' string" in capsys.readouterr().err
    shard = write_shard(tmp_path / "held" / "a.parquet", ["대한민국은 민주공화국이다."] * 3)
    assert main(["eval", final, "--data", str(shard)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["documents"] == 3 and result["perplexity"] > 1


def test_eval_on_the_val_split_of_the_token_streams(pretrained, tokens_dir, capsys):
    """`kopile eval --tokens DIR --split val`: perplexity on the documents tokenize held out,
    read as packed (the same stream training would have seen), never the training documents."""
    from kopile.driver.generate import read_token_split

    stream, documents = read_token_split(str(tokens_dir), "val")
    meta = json.loads((tokens_dir / "tokens.json").read_text())
    eos = meta["eos_id"]
    assert documents > 0 and int((stream == eos).sum()) == documents
    train, _ = read_token_split(str(tokens_dir), "train")
    assert len(train) > len(stream)
    assert main(["eval", str(pretrained), "--tokens", str(tokens_dir), "--split", "val"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["split"] == "val" and result["documents"] == documents and result["perplexity"] > 1
    assert main(["eval", str(pretrained)]) == 1  # neither --data nor --tokens
    assert main(["eval", str(pretrained), "--tokens", str(tokens_dir), "--split", "test"]) == 1
    assert "no documents in the 'test' split" in capsys.readouterr().err
