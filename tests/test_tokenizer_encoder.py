"""SentencePiece as kopile's training and encoding engine: the ids `kopile tokenize` writes are
tokenizer.json's, whichever library trained the tokenizer; exact round trips; determinism."""
import gzip
import json
import random
import unicodedata

import pytest
from tokenizers import Tokenizer

from conftest import SHARED_DATA, read_dir
from kopile.tokenizers_train import spm
from kopile.tokenizers_train import train as T
from kopile.tokenizers_train.encoder import SP_META, SP_MODEL, Encoder

EDGE_CASES = [
    "", " ", "  두 칸  띄어 쓴   문장 ", "\n", "\n\n\n앞 줄바꿈", "끝 줄바꿈\n", "줄\r\n바꿈\r\r\n\n섞임 \n \n",
    "탭\t과 제어문자\x01\x7f", "literal byte names <0x41> <0x0A> stay text", "전화 <|phone|> 와 <|email|>, <|user|>안녕<|end|>",
    "자리표시자 뒤 붙은 글자<|person|>씨", "이모지 😀👍🏽 🇰🇷 👩‍👩‍👧", "한자 大韓民國 憲法, 드문 글자 똠방각하 쓩 믜",
    "숫자 2024년 3월 15일, 1,234,567원, 3.14159", "１２３ ＡＢＣ 전각　공백", "▁ 기호 그대로 ▁▁",
    "\u1100\u1161\u11a8 조합형 자모 (NFC로 각)", "ㅋㅋㅋㅋㅋㅋ ㅠㅠ 호환 자모", "English words and 日本語, русский",
    "a" * 3000, "가" * 2000, "마침표...... 느낌표!!!!!! 물음표????",
]


@pytest.fixture(scope="module")
def corpus(sample_dir):
    return [t for t in read_dir(sample_dir).column("text").to_pylist() if t]


def held_out_texts(corpus) -> list[str]:
    """Real text the tokenizers were not trained on: the first records of every shared corpus
    where ../shared is beside the repository, the sample corpus's last quarter otherwise."""
    texts = []
    for rel in ("kowiki/kowiki_sample.jsonl.gz", "petitions/petitions.jsonl.gz", "nsmc/nsmc_raw_reviews.jsonl.gz",
                "hate_speech/unlabeled_comments.jsonl.gz", "chatbot/chatbot_data.jsonl.gz"):
        path = SHARED_DATA / rel
        if path.is_file():
            with gzip.open(path, "rt", encoding="utf-8") as f:
                for _, line in zip(range(150), f):
                    record = json.loads(line)
                    texts.append(record.get("text") or f"{record.get('instruction', '')}\n{record.get('output', '')}")
    return texts or corpus[3 * len(corpus) // 4:]


@pytest.fixture(scope="module", params=["sentencepiece", "tokenizers"])
def saved(request, corpus, tmp_path_factory):
    train = corpus[: 3 * len(corpus) // 4]
    tok = T.train(train, "sp_bpe", vocab_size=3000, backend=request.param)
    return request.param, T.save(tok, tmp_path_factory.mktemp(request.param))


def _ids_both(directory, texts):
    encoder = Encoder(directory)
    assert encoder.engine == "sentencepiece"
    reference = Tokenizer.from_file(str(directory / "tokenizer.json"))
    return encoder.encode_batch(texts), [e.ids for e in reference.encode_batch(texts, add_special_tokens=False)]


def test_encoder_ids_equal_tokenizer_json_on_held_out_and_edge_cases(saved, corpus):
    backend, directory = saved
    texts = held_out_texts(corpus) + EDGE_CASES
    ours, reference = _ids_both(directory, texts)
    differing = [t[:60] for t, a, b in zip(texts, ours, reference) if a != b]
    assert differing == []
    tok = Tokenizer.from_file(str(directory / "tokenizer.json"))
    # A literal "▁" (U+2581) is Metaspace's space and decodes as one: the only text not restored.
    exact = [i for i, t in enumerate(texts) if "▁" not in t]
    assert [tok.decode(ours[i], skip_special_tokens=False) for i in exact] == [
        unicodedata.normalize("NFC", texts[i]) for i in exact]


def test_encoder_ids_equal_on_random_line_breaks_spaces_and_specials(saved):
    """Runs of \\r, \\n and spaces around words and special tokens, in random orders."""
    _, directory = saved
    rng = random.Random(0)
    parts = ["\n", "\r", " ", "\n\n", "가", "나다", "<|eos|>", "<|user|>", "▁", "1", ".", "a"]
    texts = ["".join(rng.choice(parts) for _ in range(rng.randint(1, 30))) for _ in range(2000)]
    ours, reference = _ids_both(directory, texts)
    assert [t for t, a, b in zip(texts, ours, reference) if a != b] == []


def test_special_tokens_keep_their_ids_and_no_vocabulary_entry_crosses_a_line(saved):
    _, directory = saved
    tok = Tokenizer.from_file(str(directory / "tokenizer.json"))
    assert [tok.token_to_id(t) for t in T.SPECIAL_TOKENS] == list(range(len(T.SPECIAL_TOKENS)))
    assert [t for t in tok.get_vocab() if "\n" in t and t.strip("\n")] == []
    assert all(tok.token_to_id(b) is not None for b in T.BYTE_TOKENS)


def test_sentencepiece_training_is_deterministic_and_faithful_to_its_model(corpus):
    a = T.train(corpus, "sp_bpe", 3000, backend="sentencepiece")
    b = T.train(corpus, "sp_bpe", 3000, backend="sentencepiece")
    assert a.to_str() == b.to_str()
    # The exported tokenizer.json gives SentencePiece's own ids (the trainer's model, not the one
    # made back from tokenizer.json).
    model = spm.train_bpe(corpus, 3000, list(T.SPECIAL_TOKENS), T.alphabet_size(3000))
    import sentencepiece

    sp = sentencepiece.SentencePieceProcessor(model_proto=model)
    texts = corpus[:500] + EDGE_CASES
    assert sp.encode([spm.normalize(t) for t in texts]) == [e.ids for e in a.encode_batch(texts, add_special_tokens=False)]


def test_edited_tokenizer_json_falls_back_to_tokenizers(saved, tmp_path):
    _, directory = saved
    import shutil

    copy = shutil.copytree(directory, tmp_path / "copy")
    data = json.loads((copy / "tokenizer.json").read_text("utf-8"))
    data["model"]["merges"] = data["model"]["merges"][:100]
    (copy / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    encoder = Encoder(copy)
    assert encoder.engine == "tokenizers"
    assert encoder.encode_batch(["대한민국"]) == [Tokenizer.from_file(str(copy / "tokenizer.json")).encode("대한민국").ids]


def test_tokenizers_without_a_sentencepiece_twin(corpus, tmp_path):
    """Byte-level BPE and the punctuation pre-tokenizer have no SentencePiece model: `tokenizers` encodes."""
    for model, pre in (("bytelevel_bpe", "default"), ("sp_bpe", "punct")):
        directory = T.save(T.train(corpus[:300], model, 900, pretokenize=pre), tmp_path / f"{model}-{pre}")
        assert not (directory / SP_MODEL).exists() and not (directory / SP_META).exists()
        assert Encoder(directory).engine == "tokenizers"


def test_digit_policy_with_sentencepiece(corpus, tmp_path):
    tok = T.train(corpus, "sp_bpe", 3000, pretokenize="digits", backend="sentencepiece")
    multi = [t for t in tok.get_vocab() if any(c in "0123456789" for c in t) and len(t.strip("▁")) > 1
             and t not in T.BYTE_TOKENS]
    assert multi == []
    directory = T.save(tok, tmp_path / "digits")
    ours, reference = _ids_both(directory, EDGE_CASES + corpus[:200])
    assert ours == reference


def test_fold_width_with_sentencepiece(corpus, tmp_path):
    directory = T.save(T.train(corpus, "sp_bpe", 3000, fold_width=True, backend="sentencepiece"), tmp_path / "fw")
    ours, reference = _ids_both(directory, EDGE_CASES)
    assert ours == reference
    assert ours[EDGE_CASES.index("１２３ ＡＢＣ 전각　공백")] == _ids_both(directory, ["123 ABC 전각 공백"])[0][0]


def test_backend_choice():
    assert T.resolve_backend("sp_bpe", "default") == "sentencepiece"
    assert T.resolve_backend("sp_bpe", "default", "auto", vocab_size=1000) == "tokenizers"
    assert T.resolve_backend("sp_bpe", "kiwi") == "tokenizers"
    assert T.resolve_backend("unigram", "default") == "tokenizers"
    with pytest.raises(ValueError, match="backend 'tokenizers'"):
        T.resolve_backend("sp_bpe", "kiwi", "sentencepiece")
    with pytest.raises(ValueError, match="raise vocab_size"):
        T.train(["".join(chr(0xAC00 + i) for i in range(400))], "sp_bpe", 600, backend="sentencepiece")


def test_config_refuses_a_backend_that_cannot_train_the_tokenizer(tmp_path):
    from kopile.core.errors import ConfigError
    from kopile.tokenizers_train.config import parse_tokenizer_config

    with pytest.raises(ConfigError, match="backend 'tokenizers'"):
        parse_tokenizer_config({"input": "x", "output": "y", "pretokenize": "kiwi", "backend": "sentencepiece"})
    assert parse_tokenizer_config({"input": "x", "output": "y"}).backend == "auto"


def test_a_text_too_small_for_the_vocabulary_gives_a_smaller_one():
    """As `tokenizers` does, SentencePiece training stops where the merges run out."""
    texts = ["대한민국은 민주공화국이다. 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다."] * 50
    tok = T.train(texts, "sp_bpe", 9000, backend="sentencepiece")
    assert len(T.SPECIAL_TOKENS) + 256 < tok.get_vocab_size() < 9000
    assert tok.decode(tok.encode(texts[0]).ids) == texts[0]
