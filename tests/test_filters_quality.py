"""Quality filters on hand-written Korean: each rule's positive and negative, exact reasons."""
import pytest

from kopile.filters.quality import (BoilerplateFilter, CharacterFilter, LineFilter, SpamLexiconFilter,
                             Tokenizer, WordFilter)
from kopile.filters.repetition import RepetitionFilter, ngram_fractions

PROSE = """대한민국의 수도는 서울이며, 가장 많은 인구가 모여 사는 도시이다.
서울은 한강을 중심으로 남과 북으로 나뉘어 있고, 조선 시대부터 나라의 중심 역할을 해 왔다.
오늘날에는 정치와 경제, 문화의 중심지로서 수많은 기업과 대학이 자리 잡고 있다.
도시 곳곳에는 오래된 궁궐과 현대적인 건물이 함께 있어 옛것과 새것이 어우러진 모습을 볼 수 있다.
관광객들은 경복궁과 북촌 한옥마을을 둘러본 뒤 명동에서 음식을 즐기곤 한다.
최근에는 대중교통이 잘 갖추어져 있어 지하철만으로도 대부분의 지역을 쉽게 오갈 수 있다."""

CHAT = """오늘 날씨가 정말 좋네요! 점심 먹고 공원에 산책하러 갈까요?
어제 본 영화는 생각보다 재미있었어요. 배우들 연기가 자연스러워서 몰입이 잘 됐죠.
다음 주에는 친구들이랑 부산에 가기로 했는데, 바다를 보는 게 벌써부터 기대돼요.
혹시 맛있는 식당 아시면 추천해 주실 수 있나요? 해운대 근처면 더 좋겠어요.
그럼 이번 주말에 다시 연락드릴게요. 좋은 하루 보내세요!"""


def reason(f, text):
    return f(text)[1][1]


@pytest.mark.parametrize("text", [PROSE, CHAT])
@pytest.mark.parametrize("mode", ["eojeol", "kiwi"])
def test_clean_korean_passes_every_quality_filter(text, mode):
    tok = Tokenizer(mode)
    for f in (CharacterFilter(), WordFilter(tok), SpamLexiconFilter(), BoilerplateFilter(), LineFilter(),
              RepetitionFilter(tok)):
        scores, (ok, why) = f(text)
        assert ok, (f.name, why, scores)


@pytest.mark.parametrize("text, expected", [
    ("ㅋㅋㅋㅋㅋㅋㅋㅋㅋ 진짜 ㅎㅎㅎㅎㅎ 대박 ㅠㅠㅠㅠㅠ", "jamo_spam"),
    ("The quick brown fox jumps over the lazy dog near the river bank today.", "low_hangul_ratio"),
    ("가격표 1000 2000 3000 4000 5000 6000 7000 8000 9000 10000 원", "high_digit_ratio"),
    ("★☆★☆★☆ 특가 ♥♥♥♥♥ 할인 ◆◆◆◆ !!!!!! ~~~~~~ ####", "high_symbol_ratio"),
    ("", "low_hangul_ratio"),
    (PROSE, None),
])
def test_character_filter(text, expected):
    assert reason(CharacterFilter(), text) == expected


def test_character_filter_counts_hangul_among_letters_only():
    scores = CharacterFilter().score("가나다 abc 123 !!!")
    assert scores["hangul_ratio"] == pytest.approx(0.5)
    assert scores["digit_ratio"] == pytest.approx(3 / 12)
    assert scores["symbol_ratio"] == pytest.approx(3 / 12)


def test_compatibility_jamo_count_as_jamo_not_letters_lost():
    scores = CharacterFilter().score("ㅋㅋㅋ 웃겨")
    assert scores["jamo_ratio"] == pytest.approx(3 / 5)
    assert scores["hangul_ratio"] == 1.0


@pytest.mark.parametrize("mode", ["eojeol", "kiwi"])
@pytest.mark.parametrize("text, expected", [
    ("정말 좋은 영화였습니다.", "too_few_words"),
    # Nouns alone, no particle or ending: a keyword list, not prose.
    (" ".join(["서울 부산 대구 인천 광주 대전 울산 세종 경기 강원 충북 충남 전북 전남 경북 경남 제주"] * 4),
     "too_few_stop_words"),
    (PROSE, None),
])
def test_word_filter(mode, text, expected):
    assert reason(WordFilter(Tokenizer(mode)), text) == expected


def test_word_filter_mean_length():
    spaced_out = " ".join("가나다라마바사아자차카타파하" * 6)
    unspaced = ("대한민국의수도는서울이며가장많은인구가모여사는도시이다 " * 30).strip()
    f = WordFilter(Tokenizer("eojeol"))
    assert reason(f, spaced_out) == "short_mean_word_length"
    assert reason(f, unspaced) == "long_mean_word_length"


def test_eojeol_stop_words_are_particles_and_endings():
    scores = WordFilter(Tokenizer("eojeol")).score("국민의 권리는 법률로 정한다. 서울 부산")
    # 국민의, 권리는, 법률로, 정한다 -- 서울 and 부산 have no particle.
    assert scores["n_stop_words"] == 4


def test_word_filter_thresholds_from_config_override_mode_defaults():
    f = WordFilter(Tokenizer("eojeol"), min_words=3)
    assert f.min_words == 3 and f.max_mean_word_length == WordFilter.DEFAULTS["eojeol"]["max_mean_word_length"]
    assert reason(f, "서울 부산 대구") == "too_few_stop_words"


@pytest.mark.parametrize("text, expected", [
    ("\n".join(["서울 날씨 흐림", "부산 날씨 흐림", "대구 날씨 비", "광주 날씨 눈", "인천 기온 영하 3도",
                "대전 날씨 구름 조금", "울산 날씨 안개", "제주 바람 초속 10미터", "강릉 날씨 흐린 뒤 비"]),
     "few_sentence_endings"),
    ("\n".join(f"- {i}번째 항목은 오늘 새로 들어온 상품입니다." for i in range(10)), "too_many_bullet_lines"),
    ("\n".join(f"{i}번째 기사 제목은 다음과 같습니다..." for i in range(10)), "too_many_ellipsis_lines"),
    ("\n".join(["좋아요.", "최고다.", "감사해요.", "또 올게요.", "맛있다.", "친절해요.",
                "이 식당은 음식이 정말 맛있고 직원들도 친절합니다."]), "too_many_short_lines"),
    (PROSE, None),
])
def test_line_filter(text, expected):
    assert reason(LineFilter(), text) == expected


def test_line_share_rules_need_three_lines():
    # A title ending in an ellipsis over one paragraph is not a page of teasers.
    doc = "도와주세요...\n" + PROSE.replace("\n", " ")
    assert reason(LineFilter(), doc) is None


def test_masked_names_are_not_bullets():
    doc = "\n".join(f"**군 수협 {i}번 창고는 임대 과정이 투명하지 않다." for i in range(5))
    assert LineFilter().score(doc)["bullet_line_ratio"] == 0.0


def test_korean_endings_end_sentences():
    lines = ["국민은 법 앞에 평등하다", "내일 만나요", "어디 가세요?", "정말 그렇죠", "회의 일정 변경됨", "제목만 있는 줄"]
    scores = LineFilter().score("\n".join(lines))
    assert scores["sentence_end_ratio"] == pytest.approx(5 / 6)


SPAM = """최고의 안전놀이터 추천! 토토사이트 가입머니 3만원 지급
먹튀검증 완료된 메이저놀이터에서 바카라 슬롯머신 즐기세요
첫충 20% 매충 10% 카지노사이트 텔레그램 문의 @toto_king"""


def test_spam_lexicon():
    assert reason(SpamLexiconFilter(), SPAM) == "spam_lexicon"
    news = ("정부는 불법 카지노 운영 조직을 적발했다고 밝혔다. 경찰은 관련자들을 조사하고 있으며, "
            "추가 피해가 없도록 단속을 강화하겠다고 말했다. " * 3)
    assert reason(SpamLexiconFilter(), news) is None


def test_boilerplate():
    nav = "\n".join(["홈 | 회사소개 | 고객센터", "로그인 | 회원가입", "이전글 | 다음글 | 목록",
                     "개인정보처리방침 | 이용약관", "Copyright © 2024 Example Corp. All rights reserved.",
                     "오늘의 공지사항을 확인하세요."])
    assert reason(BoilerplateFilter(), nav) == "boilerplate"
    assert reason(BoilerplateFilter(), PROSE + "\n무단전재 및 재배포 금지") is None


@pytest.mark.parametrize("text, expected", [
    ("\n".join(["오늘의 특가 상품을 확인하세요."] * 6 + [PROSE]), "dup_line_frac"),
    ("\n\n".join(["같은 문단이 여러 번 반복되는 문서입니다. 내용은 바뀌지 않는다.\n두 번째 줄도 같다.",
                  "같은 문단이 여러 번 반복되는 문서입니다. 내용은 바뀌지 않는다.\n두 번째 줄도 같다.",
                  PROSE.replace("\n", " ")]), "dup_para_frac"),
    (" ".join(["지금 바로 확인하세요"] * 40) + ". " + PROSE.replace("\n", " "), "top_2_gram_frac"),
    (PROSE, None),
])
def test_repetition_filter(text, expected):
    assert reason(RepetitionFilter(), text) == expected


def test_ngram_fractions_exact():
    words = "가 나 다 가 나 다".split()
    fr = ngram_fractions(words, top_ns=(2,), dup_ns=(3,))
    assert fr[2] == pytest.approx(2 * 2 / 6)  # "가 나" twice, two characters each
    assert fr[3] == pytest.approx(3 / 6)  # the second "가 나 다" repeats the first
    words = "하나 둘 셋 넷 다섯 하나 둘 셋 넷 다섯".split()
    assert ngram_fractions(words, top_ns=(), dup_ns=(5,))[5] == pytest.approx(0.5)
    assert ngram_fractions([], top_ns=(2,), dup_ns=(5,)) == {2: 0.0, 5: 0.0}


def test_top_ngram_needs_a_repeat():
    # A short document whose every 2-gram is unique is not repetitive.
    assert ngram_fractions("국민은 법 앞에 평등하다".split(), top_ns=(2,), dup_ns=())[2] == 0.0


def test_filters_pickle_without_loaded_state():
    import pickle

    tok = Tokenizer("kiwi")
    f = RepetitionFilter(tok)
    f.score(PROSE)
    clone = pickle.loads(pickle.dumps(f))
    assert clone.tokenizer._kiwi._kiwi is None
    assert clone.score(PROSE) == f.score(PROSE)


def test_clean_prose_of_the_sample_passes_every_filter(sample_dir):
    """The sample's clean documents (constitution and bills, PII included) against each filter.

    Statutes repeat their formulas ("필요한 사항은 법률로 정한다"), so the repetition rule may
    take a few; every other rule, the English-derived ones included, must keep them all.
    """
    import pyarrow.parquet as pq

    from kopile.filters.langid import LangIdFilter
    from kopile.filters.normalize import Normalizer

    norm = Normalizer()
    texts = [norm.normalize(row["text"]) for path in sorted(sample_dir.glob("*.parquet"))
             for row in pq.read_table(path).to_pylist() if row["sample_kind"] in ("clean", "clean_pii")]
    assert len(texts) == 1000
    tok = Tokenizer("eojeol")
    for f in (LangIdFilter(), CharacterFilter(), WordFilter(tok), SpamLexiconFilter(), BoilerplateFilter(),
              LineFilter()):
        failures = [(why, t[:80]) for t in texts for _, (ok, why) in [f(t)] if not ok]
        assert failures == [], f.name
    repetition = RepetitionFilter(tok)
    assert sum(not repetition(t)[1][0] for t in texts) <= 10
