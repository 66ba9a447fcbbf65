"""Person names in Korean text, by rule: a surname, a given name, and the context that makes
them a person.

No tagger reads a name offline at web scale in Korean (Kiwi tags 한국 and 김민수 alike as
proper nouns, and loads in seconds and half a gigabyte per worker), but Korean marks people
plainly: a title or honorific after the name (김민수 기자, 이서연 씨, 김모(35)씨), a label before
it (성명: 홍길동, 예금주 홍길동), a first-person introduction (저는 박지영입니다). A candidate is a
surname from the closed list below and a given name of one or two given-name syllables; it must
not be an ordinary word that starts with a surname syllable (이상, 정말, 한국, 임시: the stop list
built by tools/build_person_lexicon.py), nor such a word and its particle or ending. A name with
no context at all (김철수랑, 민수야) must also pass stricter checks; and once a name is found in
a document, its other mentions there are found too.

Romanized Korean names (KANG EUN JI, Kim Min-su, Minsu Kim) are a romanized surname and given
name syllables; foreign names in Hangul need a title after them (도널드 트럼프 대통령).

Measured on a development and a blind set, and by hand on real text: README, "PII".

Nothing here imports presidio: the lexicon builder and the tests read it alone.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

LEXICONS = Path(__file__).resolve().parents[1] / "lexicons"

COMPOUND_SURNAMES = ("남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방")
SURNAMES = COMPOUND_SURNAMES + tuple(
    "김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 류 유 전 홍 고 문 양 손 배 백 허 남 심 노 하 곽 성 차 주 우 구 "
    "민 진 지 엄 채 원 천 방 공 현 함 변 염 여 추 도 소 석 선 설 마 길 연 위 표 명 기 반 라 나 왕 금 옥 육 인 맹 제 모 탁 "
    "국 어 은 편 용 예 경 봉 사 부 가 복 태 목 형 피 두 감 음 빈 동 온 호 범 좌 팽 승 간 상 시 갈 견 화 창 계 단 요 초 판 "
    "묵 애 란 노 뢰 리".split())

HONORIFICS = ("씨", "님", "군", "양", "옹", "여사", "여사님", "선생", "선생님", "할머니", "할아버지", "어르신", "드림", "올림")
TITLES = HONORIFICS + tuple(
    "기자 특파원 앵커 아나운서 논설위원 편집장 위원 의원 국회의원 시의원 도의원 구의원 대표 대표이사 공동대표 회장 부회장 "
    "사장 부사장 전무 상무 이사 이사장 본부장 실장 팀장 부장 차장 과장 대리 주임 사원 계장 국장 처장 청장 원장 소장 관장 "
    "센터장 지점장 점장 매니저 교수 부교수 조교수 명예교수 석좌교수 총장 학장 교장 교감 교사 강사 연구원 연구위원 박사 "
    "변호사 검사 검사장 판사 부장판사 대법관 법무사 세무사 회계사 노무사 변리사 의사 간호사 약사 한의사 수의사 목사 신부 "
    "스님 수녀 전도사 장로 집사 권사 대통령 부통령 총리 국무총리 장관 차관 시장 도지사 지사 군수 구청장 위원장 부위원장 "
    "대변인 비서관 비서실장 수석 보좌관 행정관 주무관 사무관 서기관 원내대표 최고위원 당대표 후보 예비후보 감독 코치 선수 "
    "작가 소설가 시인 화가 가수 배우 작곡가 평론가 경위 경사 경장 순경 경감 경정 총경 형사 소방관 일병 이병 상병 병장 하사 "
    "중사 상사 원사 소위 중위 대위 소령 중령 대령 준장 중장 대장 장군 학생 어린이 환자 조합장 이장 통장 총재 부총재 행장 의장 부의장 "
    "반장 회계 간사 총무 사무국장 사무총장 고문 자문위원 전문위원 대사 영사 총영사 추기경 주교 교황 국왕 왕 여왕 왕자 공주 "
    "PD 피디 CEO".split())
# Words that stand before a name and say it is one: form labels, bylines, the first person.
LABELS = ("성명", "이름", "성함", "접수자", "신고인", "의뢰인", "구매자", "판매자", "담당자", "담당", "작성자", "글쓴이", "예금주", "보호자", "신청인", "신청자", "대표자", "수신인",
          "수신자", "발신인", "발신자", "받는분", "받는 분", "받는사람", "받는 사람", "보내는분", "보내는 분", "보내는사람",
          "보내는 사람", "주문자", "수령인", "수령자", "고객명", "환자명", "피해자", "가해자", "신고자", "민원인", "고인", "故",
          "고(故)", "원고", "피고", "피고인", "증인", "참고인", "기안자", "결재자", "소유자", "임차인", "임대인", "계약자",
          "명의자", "저자", "지은이", "옮긴이", "역자", "사진", "글", "기자", "喪主", "상주", "부친", "모친", "배우자",
          "Name", "name", "NAME", "성 명", "이 름", "대표", "대표이사", "원장", "회장", "사장")
# A particle, copula or ending that may follow a bare name (김철수랑, 박지영입니다, 민수야),
# and 는, 도 or 만 after it (님께는, 에게도).
PARTICLE = (r"(?:(?:이랑|랑|이가|이는|이를|이도|이의|이와|이에게|에게|한테|께서|께|하고|과|와|이|가|은|는|을|를|의|도|만|"
            r"입니다|이에요|예요|이고|이며|이다|이었|였|이라고|라고|이란|란|아|야|씨|님)(?:는|도|만)?)")

# Romanized surnames; those that are also common English words count only in capitals or
# before a hyphenated given name (KIM, SO JI-SUB: yes; "So Young" in English prose: no).
_ROMAN_SURNAMES = ("Kim Lee Yi Rhee Park Pak Bak Choi Choe Jung Jeong Chung Kang Gang Cho Jo Yoon Yun Jang Chang Lim Im "
                   "Han Oh Seo Suh Shin Sin Kwon Gwon Hwang Ahn Yoo Yu Ryu Jeon Jun Chun Hong Ko Moon Mun Yang Sohn "
                   "Son Bae Baek Paik Heo Hur Huh Nam Shim Sim Noh Roh Kwak Sung Seong Cha Joo Woo Koo Ku Min Jin Ji "
                   "Chi Um Eom Chae Won Kong Gong Hyun Ham Byun Byeon Yeom Yeo Choo Chu Seok Suk Seon Sul Seol Yeon "
                   "Pyo Myung Myeong Maeng Tak Kook Eun Namgoong Namgung Hwangbo Jegal Sunwoo Seonwoo").split()
_AMBIGUOUS_ROMAN = "An So Do In Go Ha Ma Na Ban Gil Sun Song Bang Ok Ju Wang Ra Ki Je Wi Eo Geum Yook".split()


def _trie(words) -> str:
    """An alternation that branches on one character at a time: Python's re tries every
    branch of a flat alternation at every position, which for a hundred titles is slow."""
    tree: dict = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node) -> str:
        end = "" in node
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return "(?:" + body + ")?" if end else body

    return emit(tree)


_SINGLE = "[" + "".join(sorted({s for s in SURNAMES if len(s) == 1})) + "]"
_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + "|" + _SINGLE + ")"
_AGE = r"(?:\s?\(\d{1,3}(?:세|살)?(?:[·,/ ][^()\n]{1,12})?\))"
_PARTICLE = r"(?:" + PARTICLE + r")"
# Titles that end a word: one syllable (씨, 님, 군, 양) and sign-offs, which otherwise hide in
# words (올림픽, 드림팀).
_SHORT_TITLES = [t for t in TITLES if len(t) == 1 or t in ("드림", "올림", "선생", "이장", "통장", "반장", "이사", "감사")]
_LONG_TITLES = [t for t in TITLES if t not in _SHORT_TITLES]
# One foreign-looking word is a name only before these (트럼프 대통령, not 스포츠 기자).
_FOREIGN_SINGLE = {"대통령", "부통령", "총리", "씨", "여사", "국왕", "여왕", "왕자", "공주", "교황", "추기경", "국무장관"}
# Syllables that Korean words borrowed from other languages have and Korean names do not:
# a consonant with ㅡ (스, 트, 르), and codas that transliteration favours.
_FOREIGN = set("스트르드크즈프브츠그느므흐쯔슨튼든톤턴클릭맥켈펠벨엘윌잭존폴렌랜런슈샤셰쇼쥬퀴겔뉘렐멜델젤셸헬멘벤덴젠켄텐펜헨롱퐁")
_FOREIGN_GIVEN = set("조존잭빌톰폴짐팀밥닉벤샘댄켄론앤맷릭")
# An organisation or office before a title ends in one of these (민주당 의원, 서울대 교수,
# 경찰청 대변인), and so do systems, diseases, counties and workplaces that real text puts where
# a name could stand (상한제, 조현병, 단양군, 사업장, 위원회); Korean given names seldom do.
_ORGANISATION_END = set("당청처시측팀부실과관협단대도읍면제병계군회장")


# Syllables of Korean given names: the readings of the name Hanja in common use, and the
# syllables of native names (하늘, 슬기, 보람, 나래, 한결, 빛나). Written here from knowledge of
# Korean naming; a syllable outside it (당, 의, 스, 는) makes a candidate something else.
GIVEN_NAME_SYLLABLES = frozenset(
    "가 각 간 갑 강 건 걸 겸 결 경 계 고 곤 관 광 교 구 국 군 권 규 균 근 금 기 길 "
    "나 남 내 노 누 늘 다 단 달 담 대 덕 도 돈 동 두 득 라 란 람 래 량 려 련 렬 령 례 로 록 롬 룡 류 륜 률 름 리 린 림 "
    "마 만 명 모 목 묘 무 문 미 민 바 박 반 방 배 백 범 법 벽 별 병 보 복 본 봄 봉 부 분 비 빈 빛 "
    "사 산 삼 상 새 샘 생 서 석 선 설 섭 성 세 소 솔 송 수 숙 순 술 숭 슬 승 시 식 신 실 심 "
    "아 안 애 야 양 언 업 여 연 열 염 엽 영 예 오 옥 온 완 요 용 우 욱 운 울 웅 원 월 위 유 육 윤 율 은 을 음 응 의 이 익 "
    "인 일 임 자 작 잔 장 재 전 정 제 조 종 주 준 중 지 진 찬 창 채 천 철 청 초 총 추 춘 충 치 칠 "
    "태 택 필 하 학 한 항 해 행 향 허 헌 혁 현 형 혜 호 홍 화 환 활 황 회 효 후 훈 휘 희 흠 흥 힘".split())


def _read(name: str) -> frozenset:
    path = LEXICONS / name
    if not path.is_file():
        return frozenset()
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset, frozenset]:
    """(words that start with a surname syllable, two-syllable words of given-name syllables):
    see tools/build_person_lexicon.py."""
    return _read("person_stop_ko.txt"), _read("person_common_ko.txt")


@lru_cache(maxsize=1)
def _patterns() -> dict:
    roman_syllable = (r"(?:g|kk|k|n|d|tt|t|r|l|m|b|pp|p|ss|sh|s|jj|j|ch|h|y|w)?"
                      r"(?:ae|yae|eo|yeo|eu|ui|oe|wae|wa|we|wi|wo|ya|ye|yo|you|yu|oo|ou|ee|a|e|i|o|u)"
                      r"(?:ng|k|n|t|l|m|p|h)?")
    # A title ends its word, or takes 님, 들 and a particle: 교수님께, 기자들은; not 교수팀, 대표적.
    short_end = r"(?=(?:님|들)?" + _PARTICLE + r"?(?![가-힣]))"
    return {
        # One pass finds a surname-led word and what follows it: a title or honorific (김민수
        #기자, 김모(35)씨), or a particle (김철수랑: a bare name, kept only if it looks like one).
        "name": re.compile(r"(?<![가-힣])(?P<name>" + _SURNAME + r"(?:\s?모|[가-힣]{1,2}))(?:(?P<gap>" + _AGE
                           + r"?\s?)(?P<title>(?:" + _trie(_LONG_TITLES) + r"|" + _trie(_SHORT_TITLES) + r")" + short_end
                           + r")|(?P<particle>" + _PARTICLE + r")(?![가-힣]))"),
        # A title after a space, for what the first pass cannot see: an organisation between
        # name and title (박지훈 서울대 교수), a foreign name (도널드 트럼프 대통령). The literal
        # space lets the regex engine skip ahead fast.
        "spaced_title": re.compile(r" (?P<title>" + _trie(_LONG_TITLES + ["씨"]) + r")" + short_end),
        "name_org_before": re.compile(r"(?<![가-힣])(?P<name>" + _SURNAME + r"[가-힣]{1,2})"
                                      r"(?:\s[가-힣A-Za-z0-9·]{1,12}){1,2}$"),
        "foreign_before": re.compile(r"(?<![가-힣])(?P<name>[가-힣]{1,6}(?:\s[가-힣]{2,6}){0,2})$"),
        # The holder's name right after an account number (국민 123456-01-234567 홍길동).
        "after_number": re.compile(r"\d[\d-]{8,}\d\)?\s?(?:\s|\((?:예금주|명의)?\s?[:：]?\s?)(?P<name>" + _SURNAME
                                   + r"[가-힣]{1,2})(?=" + _PARTICLE + r"?(?![가-힣]))"),
        "label": re.compile(r"(?:(?<![가-힣])(?:" + _trie(LABELS) + r")\s*[:：=]?\s*|(?:저는|제 이름은|이름은)\s)"
                            r"(?P<name>" + _SURNAME + r"[가-힣]{1,2})(?=" + _PARTICLE + r"?(?![가-힣]))"),
        "given": re.compile(r"(?<![가-힣])(?P<name>[가-힣]{2})(?:아|야|이가|이는|이랑|이도|이를|이한테|이에게|이의|이야)"
                            r"(?=[\s,.!?~)]|$)"),
        # The look-behind after the first letter: a pattern that starts with one makes re try
        # every position of the text.
        "roman": re.compile(r"[A-Z](?<![A-Za-z].)[A-Za-z]{0,9}(?:-[A-Za-z]{1,6})?(?:,?\s[A-Z][A-Za-z]{0,9}"
                            r"(?:-[A-Za-z]{1,6})?){1,2}(?![A-Za-z])"),
        "roman_syllables": re.compile(r"(?:" + roman_syllable + r")(?:-?(?:" + roman_syllable + r"))?", re.IGNORECASE),
    }


_TITLE_SET = frozenset(TITLES)
_ROMAN_SURNAME_SET = {s.lower() for s in _ROMAN_SURNAMES}
_AMBIGUOUS_SET = {s.lower() for s in _AMBIGUOUS_ROMAN}


def _roman_name(words: list[str], syllables_re) -> bool:
    """Kim Min-su, KANG EUN JI, Minsu Kim: a romanized surname first or last, romanized
    syllables for the rest; a surname that is also an English word (So, In, Do) only in
    capitals or before a hyphenated given name."""
    lower = [w.lower() for w in words]
    for i in (0, len(words) - 1):
        surname = lower[i]
        if surname not in _ROMAN_SURNAME_SET and surname not in _AMBIGUOUS_SET:
            continue
        rest = words[:i] + words[i + 1:]
        if not all(syllables_re.fullmatch(w) for w in rest) or sum(len(w) for w in rest) > 12:
            continue
        if i == len(words) - 1 and not any("-" in w or len(w) >= 4 for w in rest) and not words[0].isupper():
            continue  # "Seoul Kim"? A given name before the surname is written in one word or hyphenated.
        if surname in _AMBIGUOUS_SET and not (words[i].isupper() or any("-" in w for w in rest)):
            continue
        if all(w.isupper() for w in words) and len(words) == 2 and len(rest[0]) <= 2 and surname in _AMBIGUOUS_SET:
            continue
        return True
    return False


# Provinces read as a surname and a given name before 도 (경상남도).
_PLACES = frozenset({"경상남", "경상북", "전라남", "전라북", "충청남", "충청북"})


def _plausible(name: str, stop: frozenset, syllables: frozenset, bare: bool = False,
               common: frozenset = frozenset()) -> bool:
    """A surname, given-name syllables, and not a title or an ordinary word (or a word and its
    particle); `bare` (no title or label by it) asks more."""
    compact = name.replace(" ", "")
    if compact in _TITLE_SET or len(compact) >= 3 and compact[-1] in "은이인의" and (compact[:-1] in stop or
                                                                               compact[:-1] in common):
        return False  # 선생님, 변호사; 가족은, 시간은: a title, or a word and its particle
    if compact in stop or compact in _PLACES or len(compact) == 3 and compact[2] in _ORGANISATION_END:
        return False
    if len(compact) >= 3 and compact[-1] in _WORD_END and compact[:-1] in stop:
        return False  # 한국의, 부모와, 제기한, 가족인: a word and its particle or ending
    surname = compact[:2] if compact[:2] in COMPOUND_SURNAMES and len(compact) >= 4 else compact[0]
    given = compact[len(surname):]
    if bare and ((compact[2:3] in _WORD_END or compact[2:3] in _DERIVED_END) and compact[:2] in stop
                 or given in common or given[-1] in _VERB_END
                 or given[-1] in _NOUN_END or compact[1:] in stop):
        return False  # 기자가, 이번에, 두가지, 서준다: a word with a particle or an ending
    return bool(given) and all(s in syllables for s in given)


# What ends a word after its stem: particles (의, 와), endings (한, 된, 고, 서).
# (은, 인 and 란 end too many given names: 하은, 태인, 미란.)
_WORD_END = set("의는이가을를에도와과로랑만한된던할될고서여면게")
_VERB_END = set("다요죠네까아어해려워와져")
# Suffixes of common nouns that end a bare "name" (천재성 is 천재 + 성, 화장법, 소송건).
_NOUN_END = set("들법건간적권님률율비임료값")
# Endings that turn a word into a "name" (전문 + 성, 한국 + 인, 고생 + 하): after a stem that is a
# word, a bare candidate is that word.
_DERIVED_END = set("성인자원하해아심화")


def _given_name(given: str, stop: frozenset, common: frozenset) -> bool:
    """A given name standing alone: given-name syllables, and not an ordinary word."""
    return given not in common and given not in stop and all(c in GIVEN_NAME_SYLLABLES for c in given)


def find(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of each person name; spans may overlap, the caller resolves them."""
    pats = _patterns()
    stop, common = _lexicon()
    syllables = GIVEN_NAME_SYLLABLES
    found: list[tuple[int, int, float]] = []
    names: set[str] = set()

    def add(start, end, score, bare=False):
        name = text[start:end]
        if not _plausible(name, stop, syllables, bare, common):
            return False
        found.append((start, end, score))
        if score >= 0.6 and len(name) >= 3 and " " not in name:
            names.add(name)
        return True

    for m in pats["name"].finditer(text):
        start, end = m.span("name")
        name = m.group("name")
        if name[-1] == "모" and (len(name) == 2 or name[1] == " "):
            if m.group("title") in ("씨", "군", "양"):
                found.append((start, end, 0.85))  # 김모 씨, 이 모(42)씨
            continue
        if m.group("particle") is not None:
            if end - start == 3 and name[2] == "이" and m.group("particle")[0] in "가는를랑도의한에야":
                # 서연이가, 민수이는: a given name and the suffix 이, not a three-syllable name.
                if _given_name(name[:2], stop, common):
                    found.append((start, start + 2, 0.45))
            elif end - start == 3:
                add(start, end, 0.45, bare=True)
            continue
        attached = not m.group("gap")
        # 주식시장, 국회의원, 선생님: a two-syllable "name" glued to its title is a word.
        if attached and end - start < 3:
            continue
        add(start, end, 0.85 if not attached else 0.7)
    claimed = {s for s, _, _ in found}
    named = {e for _, e, _ in found}
    for t in pats["spaced_title"].finditer(text):
        title = t.group("title")
        if t.start() in named:
            continue  # the word before the title is already a name (피해자 박모 씨)
        offset = max(0, t.start() - 40)
        before = text[offset:t.start()]
        m = pats["name_org_before"].search(before)
        if m and offset + m.start("name") not in claimed:
            if add(offset + m.start("name"), offset + m.end("name"), 0.6):
                continue
        m = pats["foreign_before"].search(before)
        if m and title not in ("학생", "어린이", "환자"):
            words = m.group("name").split()
            keep, marked = 0, False
            for word in reversed(words):
                if len(word) == 1 and keep and word in _FOREIGN_GIVEN:
                    keep += 1  # 조 바이든, 존 스미스
                    break
                if len(word) < 2 or word in stop or word in common or word[-1] in _WORD_END \
                        or not (set(word) & _FOREIGN) and keep:
                    break
                marked |= bool(set(word) & _FOREIGN)
                keep += 1
            # The family name may look Korean (놀란, 카메론) where the given name does not.
            if marked and (keep >= 2 or keep == 1 and title in _FOREIGN_SINGLE):
                start = offset + m.end("name") - len(" ".join(words[-keep:]))
                found.append((start, offset + m.end("name"), 0.6))
    for m in pats["label"].finditer(text):
        add(m.start("name"), m.end("name"), 0.85)
    for m in pats["after_number"].finditer(text):
        add(m.start("name"), m.end("name"), 0.6)
    for m in pats["roman"].finditer(text):
        if _roman_name(re.split(r",?\s", m.group()), pats["roman_syllables"]):
            found.append((m.start(), m.end(), 0.7))
    # A given name alone, called or talked about as people do in chat (민수야, 서연이가).
    for m in pats["given"].finditer(text):
        if _given_name(m.group("name"), stop, common) and m.group("name")[-1] not in _VERB_END:
            found.append((m.start("name"), m.end("name"), 0.45))
    # Other mentions of a name found in context, in the same document.
    for name in names:
        i = text.find(name)
        while i >= 0:
            if i == 0 or not "가" <= text[i - 1] <= "힣":
                found.append((i, i + len(name), 0.8))
            i = text.find(name, i + len(name))
    return found
