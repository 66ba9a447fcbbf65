"""Tokenizer training: exact round trips, no unknown tokens, special tokens, transformers offline."""
import json
import os
import subprocess
import sys
import unicodedata

import pytest

from conftest import ROOT, read_dir
from kopile.tokenizers_train import train as T

ROUND_TRIP = [
    "",
    "대한민국은 민주공화국이다.",
    "  앞에 공백 두 칸, 뒤에도  ",
    "English words and 한국어 섞어서 mixed scripts: 日本語, 中文, Ελληνικά, русский",
    "이모지 😀👍🏽 🇰🇷 and ZWJ 👩‍👩‍👧",
    "탭\t줄바꿈\n캐리지\r\n제어문자\x01\x7f 널은 없음",
    "literal byte names <0x41> <0x0A> stay text",
    "ㅋㅋㅋ ㅠㅠ 호환 자모는 그대로",
    "전화 <|phone|> 와 <|email|> 자리표시자",
    "똠방각하 쓩 믜 (드문 음절)",
    "１２３ ＡＢＣ 전각",
]


@pytest.fixture(scope="module")
def corpus(sample_dir):
    table = read_dir(sample_dir)
    return [t for t in table.column("text").to_pylist() if t]


@pytest.fixture(scope="module", params=T.MODELS)
def trained(request, corpus):
    return request.param, T.train(corpus, request.param, vocab_size=1200)


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_exact_round_trip(trained, text):
    model, tok = trained
    ids = tok.encode(text).ids
    assert tok.decode(ids, skip_special_tokens=False) == unicodedata.normalize("NFC", text)


def test_no_pre_token_carries_a_line_break_into_a_word(trained):
    """A newline, or a run of them, is a pre-token of its own (with the spaces around it at
    most): no vocabulary entry can join a line's end to the next line's start."""
    model, tok = trained
    texts = ["안녕하세요.\n2007년 음반)\n\n《제목》", "줄 끝 \n 다음 줄\r\n또", "한 줄\n\n\n\n둘 째 줄 ", "\n앞\n"]
    for text in texts:
        for piece, _ in tok.pre_tokenizer.pre_tokenize_str(tok.normalizer.normalize_str(text)):
            if "\n" in piece or "Ċ" in piece and model == "bytelevel_bpe":
                assert not piece.replace("▁", "").replace("Ġ", "").replace("Ċ", "").replace("č", "").strip(), (text, piece)
        assert tok.decode(tok.encode(text).ids) == text
    newline_words = [t for t in tok.get_vocab() if ("\n" in t or "Ċ" in t) and t.strip("\n\rĊč▁Ġ ")]
    assert newline_words == []


def test_no_unknown_tokens_and_nfc(trained):
    model, tok = trained
    unk = tok.token_to_id(T.UNK)
    for text in ROUND_TRIP + ["\U0010fffd 사적 영역", "".join(chr(c) for c in range(0x4E00, 0x4E40))]:
        assert unk is None or unk not in tok.encode(text).ids
    decomposed = unicodedata.normalize("NFD", "한국어")
    assert tok.decode(tok.encode(decomposed).ids) == "한국어"
    # NFC keeps compatibility jamo ㅋ (U+314B); NFKC would make it conjoining ᄏ (U+110F).
    assert "\u110f" not in tok.decode(tok.encode("ㅋㅋ").ids)


def test_special_tokens_are_single_tokens(trained):
    model, tok = trained
    for special in T.SPECIAL_TOKENS:
        assert len(tok.encode(special).ids) == 1, special
        assert tok.encode(special).ids == [tok.token_to_id(special)]
    assert all(tok.token_to_id(b) is not None for b in T.BYTE_TOKENS) or model == "bytelevel_bpe"


def test_transformers_loads_it_offline(trained, tmp_path):
    model, tok = trained
    T.save(tok, tmp_path / "tok")
    script = (
        "import json, sys; from transformers import AutoTokenizer;"
        f"t = AutoTokenizer.from_pretrained({str(tmp_path / 'tok')!r});"
        "text = '국민의 권리와 의무 😀';"
        "ids = t(text)['input_ids'];"
        "chat = t.apply_chat_template([{'role': 'user', 'content': '안녕?'}], tokenize=False,"
        " add_generation_prompt=True);"
        "print(json.dumps({'ids': ids, 'text': t.decode(ids), 'chat': chat, 'eos': t.eos_token,"
        " 'pad': t.pad_token_id, 'bos': t.bos_token}))"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["ids"] == tok.encode("국민의 권리와 의무 😀").ids and got["text"] == "국민의 권리와 의무 😀"
    assert got["chat"] == "<|bos|><|user|>안녕?<|end|><|assistant|>"
    assert got["eos"] == T.EOS and got["bos"] == T.BOS and got["pad"] == tok.token_to_id(T.PAD)


def test_kiwi_pretokenization_marks_morphemes_only_while_training(corpus):
    marked = list(T.kiwi_marked(["국민의 권리와 의무를 정한다."]))[0]
    assert marked.replace(T.MORPHEME_MARK, "") == "국민의 권리와 의무를 정한다."
    assert "국민" + T.MORPHEME_MARK + "의" in marked
    tok = T.train(T.kiwi_marked(corpus[:300]), "sp_bpe", vocab_size=800, pretokenize="kiwi")
    assert not any(T.MORPHEME_MARK in piece for piece in tok.get_vocab())
    text = "국민의 권리와 의무를 정한다."
    assert tok.decode(tok.encode(text).ids) == text


def test_bad_settings():
    with pytest.raises(ValueError, match="model must be one of"):
        T.build("wordpiece")
    with pytest.raises(ValueError, match="pretokenize must be one of"):
        T.build("sp_bpe", pretokenize="jamo")


def test_train_tokenizer_command(sample_dir, tmp_path):
    cfg = tmp_path / "tok.yaml"
    cfg.write_text(f"input: {sample_dir}\noutput: {tmp_path / 'tok'}\nvocab_size: 1000\n")
    out = subprocess.run([sys.executable, "-m", "kopile.cli", "train-tokenizer", str(cfg)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    files = {p.name for p in (tmp_path / "tok").iterdir()}
    assert {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "train_report.json"} <= files
    report = json.loads((tmp_path / "tok" / "train_report.json").read_text())
    assert report["vocab_size"] == 1000 and report["documents"] > 1000
    cfg.write_text(f"input: {sample_dir}\noutput: {tmp_path / 'tok'}\nvocab_sise: 1000\n")
    bad = subprocess.run([sys.executable, "-m", "kopile.cli", "train-tokenizer", str(cfg)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "vocab_sise: unknown key (did you mean 'vocab_size'?)" in bad.stderr


def test_train_tokenizer_stage_in_a_run(ray_session, sample_dir, tmp_path):
    from conftest import run_config
    from kopile.pipeline.jobs.run import Runner

    stages = [{"normalize": {}}, {"train_tokenizer": {"vocab_size": 900}}]
    summary = Runner(run_config(sample_dir, tmp_path / "out", stages), progress=False).run()
    stage = summary["stages"][1]
    assert stage["removed"] == 0 and stage["kept"] == stage["rows_in"] == summary["stages"][0]["kept"]
    tok_dir = tmp_path / "out" / "02_train_tokenizer" / "tokenizer"
    report = json.loads((tok_dir / "train_report.json").read_text())
    assert report["vocab_size"] == 900 and report["documents"] == stage["rows_in"]
    assert (tok_dir / "tokenizer_config.json").is_file()
    before = (tok_dir / "tokenizer.json").read_bytes()
    again = Runner(run_config(sample_dir, tmp_path / "out", stages), progress=False).run()
    assert again["stages"][1]["shards_resumed"] == 4 and (tok_dir / "tokenizer.json").read_bytes() == before


@pytest.mark.parametrize("model", ["sp_bpe", "bytelevel_bpe"])
def test_training_is_deterministic(corpus, model):
    assert T.train(corpus[:400], model, 900).to_str() == T.train(corpus[:400], model, 900).to_str()


def test_sp_bpe_encodes_each_text_as_one_word_with_the_ids_of_a_split_at_spaces(corpus):
    """The saved `sp_bpe` tokenizer skips Metaspace's split at every space (faster); the ids must
    be those of the split, which training used."""
    from tokenizers import Tokenizer

    tok = T.train(corpus, "sp_bpe", vocab_size=1200)
    data = json.loads(tok.to_str())
    steps = data["pre_tokenizer"]["pretokenizers"]
    metaspace = next(step for step in steps if step["type"] == "Metaspace")
    assert metaspace["split"] is False
    metaspace["split"] = True
    split = Tokenizer.from_str(json.dumps(data, ensure_ascii=False))
    texts = corpus[:300] + ROUND_TRIP + ["  두 칸  띄어 쓴   문장 ", "숫자 2024년 3월, 끝."]
    fast = [e.ids for e in tok.encode_batch_fast(texts, add_special_tokens=False)]
    assert fast == [e.ids for e in split.encode_batch(texts, add_special_tokens=False)]
    assert [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)] == fast


def test_ignore_merges_gives_the_same_ids(corpus):
    """BPE `ignore_merges` (a word in the vocabulary is emitted whole) changes nothing here: kept off."""
    from tokenizers import Tokenizer

    tok = T.train(corpus, "sp_bpe", vocab_size=1200)
    data = json.loads(tok.to_str())
    data["model"]["ignore_merges"] = True
    ignoring = Tokenizer.from_str(json.dumps(data, ensure_ascii=False))
    texts = corpus[:300] + ROUND_TRIP
    assert [e.ids for e in ignoring.encode_batch(texts)] == [e.ids for e in tok.encode_batch(texts)]
