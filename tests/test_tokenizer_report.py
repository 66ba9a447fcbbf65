"""Tokenizer fertility report: the metrics on hand-made encoders, loading every reference format."""
import json

import pytest

from conftest import SHARED_DATA
from kopile.tokenizers_train import report as R

TEXT = "국민의 권리는 있다"  # morphemes: 국민|의 권리|는 있|다
BOUNDARIES = [{0, 2, 3, 4, 6, 7, 8, 9, 10}]
SENTENCE = "대한민국의 모든 권력은 국민으로부터 나온다. ㅋㅋ 😀 English 123"


def test_every_character_a_token():
    f = R.fertility(list, [TEXT], BOUNDARIES)
    assert f["tokens_per_char"] == 1.0
    assert f["tokens_per_eojeol"] == len(TEXT) / 3
    assert f["bytes_per_token"] == len(TEXT.encode()) / len(TEXT)
    assert f["single_token_eojeol"] == 0
    # 국|민|의 and 권|리|는 cut inside a morpheme, 있|다 does not.
    assert f["morpheme_boundary_share"] == pytest.approx(1 / 3)
    assert f["unk_share"] is None


def test_split_at_morpheme_boundaries():
    f = R.fertility(lambda t: ["국민", "의", "▁권리", "는", "▁있", "다"], [TEXT], BOUNDARIES)
    assert f["morpheme_boundary_share"] == 1.0
    assert f["tokens_per_eojeol"] == 2.0
    f = R.fertility(lambda t: ["국", "민의", "▁권리", "는", "▁있다"], [TEXT], BOUNDARIES)
    assert f["morpheme_boundary_share"] == 0.5
    assert f["single_token_eojeol"] == pytest.approx(1 / 3)


def test_whole_eojeol_tokens_and_whitespace_tokens():
    f = R.fertility(lambda t: ["국민의", "▁", "권리는", "▁", "있다"], [TEXT], BOUNDARIES)
    assert f["single_token_eojeol"] == 1.0
    assert f["morpheme_boundary_share"] is None  # no eojeol is split
    assert f["tokens_per_eojeol"] == 5 / 3


def test_cut_inside_a_character_is_never_a_boundary():
    # A byte-level split of 다 into two tokens: both carry the character's span.
    spans = [(0, 3), (4, 7), (8, 9), (9, 10), (9, 10)]
    enc = R.Encoder("bytes", 100, lambda t: ([1, 2, 3, 4, 5], spans))
    f = R.fertility(enc, [TEXT], BOUNDARIES)
    assert f["single_token_eojeol"] == pytest.approx(2 / 3)
    assert f["morpheme_boundary_share"] == 0.0


def test_ids_only_and_unknown_tokens():
    f = R.fertility(lambda t: [7] * len(t.split()), [TEXT, "하나"], [set(), set()])
    assert f["tokens_per_eojeol"] == 1.0
    assert f["single_token_eojeol"] is None and f["morpheme_boundary_share"] is None
    enc = R.Encoder("u", 10, lambda t: ([0, 5, 0, 6], [(0, 3), (4, 6), (6, 7), (8, 10)]), unk_id=0)
    assert R.fertility(enc, [TEXT], BOUNDARIES)["unk_share"] == 0.5


def test_kiwi_boundaries():
    (cuts,) = R.morpheme_boundaries([TEXT])
    assert {2, 6, 9} <= cuts and 1 not in cuts
    f = R.fertility(lambda t: ["국민", "의", "권리", "는", "있", "다"], [TEXT])
    assert f["morpheme_boundary_share"] == 1.0


@pytest.fixture(scope="module")
def kopile_dir(tmp_path_factory):
    from kopile.tokenizers_train import train as T

    texts = [SENTENCE, TEXT, "국민의 권리와 의무는 헌법에 있다."] * 20
    return T.save(T.train(texts, vocab_size=400), tmp_path_factory.mktemp("kopile"))


def test_kopile_tokenizer_and_report(kopile_dir, tmp_path):
    enc = R.load_kopile(kopile_dir)
    ids, spans = enc.tokenize(SENTENCE)
    assert len(ids) == len(spans) and ids
    assert all(0 <= s <= e <= len(SENTENCE) for s, e in spans)
    tokenizers = {"kopile": enc, "chars": list, "broken": "needs the Python package x, not installed"}
    rows = R.fertility_report(tokenizers, [SENTENCE, TEXT], tmp_path)
    assert [r["name"] for r in rows] == ["kopile", "chars", "broken"]
    assert rows[0]["tokens_per_char"] < rows[1]["tokens_per_char"] == 1.0
    data = json.loads((tmp_path / "fertility.json").read_text())
    assert data["rows"][2]["error"].startswith("needs")
    md = (tmp_path / "fertility.md").read_text()
    assert md.index("**kopile**") < md.index("| chars |") < md.index("broken")
    assert (tmp_path / "fertility.png").read_bytes()[:4] == b"\x89PNG"


REFERENCES = SHARED_DATA / "tokenizers"
FOLDERS = R.reference_folders(REFERENCES) if REFERENCES.is_dir() else []


@pytest.mark.skipif(not FOLDERS, reason="../shared/data/tokenizers is absent")
@pytest.mark.parametrize("name,folder", FOLDERS, ids=[n for n, _ in FOLDERS])
def test_reference_loads_and_encodes(name, folder):
    enc = R.load_reference(folder, name)
    ids, spans = enc.tokenize(SENTENCE)
    assert enc.vocab_size and 1000 < enc.vocab_size < 300_000
    assert len(ids) == len(spans) and 8 <= len(ids) <= 3 * len(SENTENCE)
    assert all(isinstance(i, int) and 0 <= i < enc.vocab_size for i in ids)
    assert all(0 <= s <= e <= len(SENTENCE) for s, e in spans)
    # Every eojeol gets at least one token: nothing is dropped silently.
    f = R.fertility(enc, [SENTENCE], [set()])
    assert f["counts"]["single"] + f["counts"]["split"] == f["counts"]["eojeol"]


@pytest.mark.skipif(not FOLDERS, reason="../shared/data/tokenizers is absent")
def test_kortok_sizes_are_separate_entries():
    names = [n for n, _ in FOLDERS]
    assert {"kortok_sp_4k", "kortok_sp_32k", "kortok_sp_64k"} <= set(names)
    assert "kortok_sp" not in names


def test_tokenizer_report_command(sample_dir, tmp_path):
    import subprocess
    import sys

    from conftest import ROOT, read_dir
    from kopile.tokenizers_train import train as T

    texts = [t for t in read_dir(sample_dir).column("text").to_pylist() if t]
    T.save(T.train(texts, "sp_bpe", vocab_size=1200), tmp_path / "mine")
    (tmp_path / "refs").mkdir()
    T.save(T.train(texts, "bytelevel_bpe", vocab_size=800), tmp_path / "refs" / "small_bytes")
    out = subprocess.run([sys.executable, "-m", "kopile.cli", "tokenizer-report", "--tokenizer", str(tmp_path / "mine"),
                          "--texts", str(sample_dir), "--references", str(tmp_path / "refs"), "--max-docs", "200",
                          "--out", str(tmp_path / "report")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert {p.name for p in (tmp_path / "report").iterdir()} == {"fertility.json", "fertility.md", "fertility.png"}
    rows = {r["name"]: r for r in json.loads((tmp_path / "report" / "fertility.json").read_text())["rows"]}
    assert set(rows) == {"kopile", "small_bytes"}
    assert rows["kopile"]["tokens_per_char"] < rows["small_bytes"]["tokens_per_char"]


def test_lossless_count_charges_an_unknown_token_the_bytes_it_drops(tmp_path):
    """WordPiece turns an unknown word into one [UNK]; byte fallback would need its UTF-8 bytes."""
    (tmp_path / "vocab.txt").write_text("\n".join(["[UNK]", "국민", "##의", "권리", "a"]) + "\n", encoding="utf-8")
    enc = R.load_wordpiece(tmp_path / "vocab.txt", "tiny")
    text = "국민의 권리 憲法 a"  # BERT isolates each Hanja: two [UNK], each standing for 3 bytes
    f = R.fertility(enc, [text], [set()], per_text=True)
    assert f["counts"]["tokens"] == 6 and f["counts"]["unk"] == 2
    assert f["lossless_per_text"] == [6 - 2 + 3 + 3]
    assert f["lossless_tokens_per_char"] == pytest.approx(10 / len(text))


def test_tokenizer_report_by_domain(sample_dir, tmp_path):
    import shutil
    import subprocess
    import sys

    from conftest import ROOT, read_dir
    from kopile.tokenizers_train import train as T

    table = read_dir(sample_dir)
    pairs = [(t, s) for t, s in zip(table.column("text").to_pylist(), table.column("source").to_pylist()) if t]
    T.save(T.train([t for t, _ in pairs], "sp_bpe", vocab_size=1200), tmp_path / "mine")
    (tmp_path / "refs").mkdir()
    T.save(T.train([t for t, _ in pairs[:300]], "bytelevel_bpe", vocab_size=800), tmp_path / "refs" / "small_bytes")
    shutil.copytree(tmp_path / "mine", tmp_path / "refs" / "big_copy")  # 1,200 tokens: above --max-vocab
    out = subprocess.run([sys.executable, "-m", "kopile.cli", "tokenizer-report", "--tokenizer", str(tmp_path / "mine"),
                          "--texts", str(sample_dir), "--references", str(tmp_path / "refs"), "--max-docs", "300",
                          "--domain-column", "source", "--max-vocab", "1000", "--out", str(tmp_path / "report")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "report" / "fertility_domains.png").read_bytes()[:4] == b"\x89PNG"
    rows = {r["name"]: r for r in json.loads((tmp_path / "report" / "fertility.json").read_text())["rows"]}
    assert list(rows["kopile"]["by_domain"]) == list(dict.fromkeys(s for _, s in pairs[:300]))
    # The copy of kopile's tokenizer measures the same, domain by domain.
    assert rows["big_copy"]["by_domain"] == rows["kopile"]["by_domain"]
    md = (tmp_path / "report" / "fertility.md").read_text()
    section = md[md.index("## Tokens per character by domain (vocabulary <= 1,000)"):]
    assert "| **kopile** |" in section and "| small_bytes |" in section and "big_copy" not in section
    assert "by source (vocabulary <= 1,000):" in out.stdout


def test_tokenizer_report_names_a_missing_domain_column(sample_dir, tmp_path):
    import subprocess
    import sys

    from conftest import ROOT, read_dir
    from kopile.tokenizers_train import train as T

    texts = [t for t in read_dir(sample_dir).column("text").to_pylist() if t]
    T.save(T.train(texts[:200], "sp_bpe", vocab_size=600), tmp_path / "mine")
    out = subprocess.run([sys.executable, "-m", "kopile.cli", "tokenizer-report", "--tokenizer", str(tmp_path / "mine"),
                          "--texts", str(sample_dir), "--domain-column", "genre", "--out", str(tmp_path / "r")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 1 and "no column 'genre'" in out.stderr and "Traceback" not in out.stderr
