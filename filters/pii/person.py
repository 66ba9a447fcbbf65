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
    "부행장 장학사 의원실 최고경영자 최고기술책임자 최고재무책임자 최고운영책임자 부지사 부시장 부구청장 국무장관 외무장관 재무장관 "
    "국방장관 외교장관 상임이사 전무이사 사무장 디렉터 엔지니어 개발자 디자이너 프로듀서 셰프 "
    "PD 피디 CEO".split())
# Words that stand before a name and say it is one: form labels, bylines, the first person.
LABELS = ("성명", "이름", "성함", "접수자", "신고인", "의뢰인", "구매자", "판매자", "담당자", "담당", "작성자", "글쓴이", "예금주", "보호자", "신청인", "신청자", "대표자", "수신인",
          "수신자", "발신인", "발신자", "받는분", "받는 분", "받는사람", "받는 사람", "보내는분", "보내는 분", "보내는사람",
          "보내는 사람", "주문자", "수령인", "수령자", "고객명", "환자명", "피해자", "가해자", "신고자", "민원인", "고인", "故",
          "고(故)", "원고", "피고", "피고인", "증인", "참고인", "기안자", "결재자", "소유자", "임차인", "임대인", "계약자",
          "명의자", "저자", "지은이", "옮긴이", "역자", "사진", "글", "기자", "喪主", "상주", "부친", "모친", "배우자",
          "Name", "name", "NAME", "성 명", "이 름", "대표", "대표이사", "원장", "회장", "사장", "입금자", "입금자명",
          "예금주명", "받는이", "보낸이", "감독", "주연", "출연", "연출", "각본", "극본", "사회", "진행", "참석자",
          "발표자", "수상자", "당첨자", "작곡", "작사", "편곡", "그림", "번역")
# A particle, copula or ending that may follow a bare name (김철수랑, 박지영입니다, 민수야),
# and 는, 도 or 만 after it (님께는, 에게도).
_PARTICLES = ("이랑|랑|이가|이는|이를|이도|이의|이와|이에게|에게서|에게|한테서|한테|께서|께|하고|과|와|이|가|은|는|을|를|의|도|만|"
              "입니다|이에요|예요|이고|이며|이다|이었|였|이라고|라고|이란|란|아|야|씨|님")
PARTICLE = r"(?:(?:" + _PARTICLES + r")(?:는|도|만)?)"
# After a title, more: 과의 ends too many words to follow a bare name (연구결과의), not a
# title (박 기자와의). (로 and 으로 not even there: 조식을 장군으로, 최연소 대통령으로.)
TITLE_PARTICLE = (r"(?:(?:과의|와의|이라는|라는|이라며|라며|이자|이면서|" + _PARTICLES
                  + r")(?:는|도|만)?)")

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
_AGE = r"(?:\s?\((?:만\s?)?(?:[남여]성?\s?[·,/]\s?)?\d{1,3}(?:세|살)?(?:[·,/ ][^()\n]{1,12})?\))"
# With no title after it, only an age and perhaps an occupation (김지성(31·회사원)), not a date (4/30).
_AGE_ALONE = r"(?:\s?\((?:만\s?)?(?:[남여]성?\s?[·,]\s?)?\d{1,3}(?:세|살)?(?:\s?[·,]\s?[가-힣]{1,10})?\))"
_PARTICLE = r"(?:" + PARTICLE + r")"
# Titles that end a word: one syllable (씨, 님, 군, 양) and sign-offs, which otherwise hide in
# words (올림픽, 드림팀).
_SHORT_TITLES = [t for t in TITLES if len(t) == 1 or t in ("드림", "올림", "선생", "이장", "통장", "반장", "이사", "감사")]
_LONG_TITLES = [t for t in TITLES if t not in _SHORT_TITLES]
# One foreign-looking word is a name only before these (트럼프 대통령, not 스포츠 기자).
_FOREIGN_SINGLE = {"대통령", "부통령", "총리", "씨", "여사", "국왕", "여왕", "왕자", "공주", "교황", "추기경", "국무장관"}
# Syllables that Korean words borrowed from other languages have and Korean names do not:
# a consonant with ㅡ (스, 트, 르), and codas that transliteration favours.
_FOREIGN = set("스트르드크즈프브츠그느므흐쯔슨튼든톤턴클릭맥켈펠벨엘윌잭존폴렌랜런슈샤셰쇼쥬퀴겔뉘렐멜델젤셸헬멘벤덴젠켄텐펜헨롱퐁레뮐")
_FOREIGN_GIVEN = set("조존잭빌톰폴짐팀밥닉벤샘댄켄론앤맷릭")
# Given names of other languages as Korean writes them, and Japanese family names: a word of
# this list followed by a foreign-looking word is a person with no title needed (알렉산더
# 해밀턴은, 다나카 히로시가), and one of two syllables or more alone before a particle too
# (에밀리를). Written here from common given names; the places among them (소피아, 빅토리아)
# count only before a second name.
FOREIGN_GIVEN_NAMES = frozenset((
    "제임스 존 로버트 마이클 윌리엄 데이비드 리처드 조지프 토머스 토마스 찰스 크리스토퍼 대니얼 다니엘 매슈 매튜 앤서니 "
    "앤드루 조슈아 케빈 브라이언 조지 에드워드 로널드 티머시 제이슨 제프리 라이언 제이컵 게리 니컬러스 니콜라스 에릭 "
    "스티븐 스티브 조너선 래리 저스틴 스콧 브랜던 벤저민 벤자민 새뮤얼 프랭크 그레고리 레이먼드 패트릭 알렉산더 잭 "
    "데니스 제리 타일러 애런 헨리 피터 더글러스 네이선 월터 해럴드 아서 로저 키스 앨버트 알베르트 빌리 브루스 랠프 "
    "유진 루이스 루카스 사라 필립 해리 빈센트 마틴 톰 빌 마크 폴 조 짐 닉 샘 벤 맥스 레오 휴 이언 숀 션 알렉스 조던 에번 버락 "
    "도널드 일론 워런 제프 브래드 레오나르도 리오넬 크리스티아누 킬리안 엘리자베스 메리 퍼트리샤 "
    "제니퍼 린다 바버라 수전 제시카 캐런 낸시 리사 베티 마거릿 샌드라 애슐리 킴벌리 에밀리 도나 미셸 캐럴 어맨다 "
    "아만다 멜리사 스테파니 레베카 로라 섀런 신시아 캐슬린 에이미 셜리 앤절라 앙겔라 헬렌 안나 애나 브렌다 니콜 엠마 "
    "에마 서맨사 캐서린 크리스틴 레이첼 캐럴라인 재닛 마리아 헤더 다이앤 줄리 조이스 빅토리아 켈리 크리스티나 이블린 "
    "로렌 올리비아 소피아 소피 샬럿 클로이 그레이스 루시 앨리스 줄리아 케이트 제인 테일러 스칼릿 나탈리 "
    "에마뉘엘 니콜라 프랑수아 피에르 자크 앙투안 마르셀 클로드 카트린 올라프 프리드리히 볼프강 한스 카를 오토 헬무트 "
    "게르하르트 위르겐 클라우스 디터 우르줄라 카를로스 호세 후안 미겔 안토니오 마누엘 파블로 페드로 라파엘 카르멘 "
    "조반니 주세페 마르코 안드레아 파올로 알레산드로 블라디미르 드미트리 세르게이 이반 알렉세이 니콜라이 미하일 "
    "안드레이 보리스 나탈리아 옐레나 올가 타티야나 이리나 안드레아스 무함마드 모하메드 아흐메드 하산 압둘라 "
    "히로시 다케시 이치로 겐지 유키 하루키 아키라 마사오 사토시 유코 아키코 하나코 사쿠라 나오미 신조 후미오 "
    "다나카 스즈키 사토 다카하시 와타나베 이토 야마모토 나카무라 고바야시 가토 요시다 야마다 사사키 야마구치 마쓰모토 "
    "이노우에 기무라 하야시 시미즈 아베 기시다 무라카미 응우옌").split())
_FOREIGN_NOT_ALONE = frozenset("소피아 빅토리아 조지 루이스 샬럿 찰스 유진 아베 사토 이토 가토 마리아 에마 테일러 하산 키스 안나 "
                               "애나 마크 로라".split())
# Words that stand between a foreign name and its title: 트럼프 전 대통령, 블링컨 미국 국무장관.
_TITLE_MODIFIERS = frozenset("전 현 신임 당시 前 美 英 佛 獨 中 日 露 미국 영국 프랑스 독일 중국 일본 러시아 캐나다 호주 "
                             "이탈리아 스페인 인도 브라질 멕시코 우크라이나 이스라엘 이란 튀르키예 터키 유엔 북한 대만 베트남 "
                             "필리핀 태국 인도네시아 사우디 이집트 유럽연합 EU UN 백악관 국무부 국방부 테슬라 애플 구글 잉글랜드 스코틀랜드 "
                             "웨일스 아일랜드 네덜란드 폴란드 핀란드 뉴질랜드 그리스 스위스 오스트리아 벨기에 스웨덴 덴마크 "
                             "노르웨이 포르투갈 헝가리 체코 루마니아 불가리아 세르비아 크로아티아 아르헨티나 칠레 페루 쿠바 "
                             "이라크 시리아 요르단 레바논 카타르 파키스탄 몽골 싱가포르 말레이시아 미얀마 캄보디아 라오스 "
                             "케냐 나이지리아 에티오피아 모로코 알제리 튀니지 리비아 로마 프로이센 오스만".split())
# An organisation or office before a title ends in one of these (민주당 의원, 서울대 교수,
# 경찰청 대변인), and so do systems, diseases, counties and workplaces that real text puts where
# a name could stand (상한제, 조현병, 단양군, 사업장, 위원회); Korean given names seldom do.
_ORGANISATION_END = set("당청처시측팀부실과관협단대도읍면제병계군회장")


# Syllables of Korean given names: the readings of the name Hanja in common use, and the
# syllables of native names (하늘, 슬기, 보람, 나래, 한결, 빛나). Written here from knowledge of
# Korean naming; a syllable outside it (당, 의, 스, 는) makes a candidate something else.
GIVEN_NAME_SYLLABLES = frozenset(
    "가 각 간 갑 강 건 걸 겸 결 경 계 고 곤 관 광 교 구 국 군 권 규 균 근 금 기 길 "
    "나 낙 난 남 내 녀 노 누 늘 다 단 달 담 대 덕 도 돈 동 두 득 라 란 람 랑 래 량 려 련 렬 령 례 로 록 롬 룡 류 륜 률 름 리 린 림 "
    "마 만 말 명 모 목 묘 무 문 미 민 바 박 반 방 배 백 범 법 벽 별 병 보 복 본 봄 봉 부 분 비 빈 빛 "
    "사 산 삼 상 새 샘 생 서 석 선 설 섭 성 세 소 솔 송 수 숙 순 술 숭 슬 승 시 식 신 실 심 "
    "아 안 애 야 양 언 업 여 연 열 염 엽 영 예 오 옥 온 완 요 용 우 욱 운 울 웅 원 월 위 유 육 윤 율 은 을 음 응 의 이 익 "
    "인 일 임 자 작 잔 장 재 전 점 정 제 조 종 주 준 중 지 진 찬 창 채 천 철 청 초 총 추 춘 충 치 칠 "
    "태 택 평 필 하 학 한 항 해 행 향 허 헌 혁 현 형 혜 호 홍 화 환 활 황 회 효 후 훈 휘 희 흠 흥 힘".split())


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
    # A title ends its word, or takes 님, 들 and a particle, or the copula with any ending:
    # 교수님께, 기자들은, 과장이었다, 님이셨어요; not 교수팀, 대표적.
    copula = r"(?:이었|였|이셨|셨|이시|이십|이세|이신|이던)[가-힣]*"
    short_end = r"(?=(?:님|들)?(?:" + TITLE_PARTICLE + r"?(?![가-힣])|" + copula + r"))"
    return {
        # One pass finds a surname-led word and what follows it: a title or honorific (김민수
        #기자, 김모(35)씨), or a particle (김철수랑: a bare name, kept only if it looks like one).
        "name": re.compile(r"(?<![가-힣])(?P<name>" + _SURNAME + r"(?:\s?모|[가-힣]{1,2}))(?:(?P<gap>" + _AGE
                           + r"?\s?)(?P<title>(?:" + _trie(_LONG_TITLES) + r"|" + _trie(_SHORT_TITLES) + r")" + short_end
                           + r")|(?P<particle>" + _PARTICLE + r")(?![가-힣])|(?P<aged>" + _AGE_ALONE + r"))"),
        # A title after a space, for what the first pass cannot see: an organisation between
        # name and title (박지훈 서울대 교수), a foreign name (도널드 트럼프 대통령). The literal
        # space lets the regex engine skip ahead fast.
        "glued_end": re.compile(r"(?:님|들)?" + _PARTICLE + r"?(?![가-힣])"),
        "copula": re.compile(r"(?:님|들)?" + copula),
        "spaced_title": re.compile(r" (?P<title>" + _trie(_LONG_TITLES + ["씨"]) + r")" + short_end),
        "name_org_before": re.compile(r"(?<![가-힣])(?P<name>" + _SURNAME + r"[가-힣]{1,2})"
                                      r"(?:\s[가-힣A-Za-z0-9·]{1,12}){1,2}$"),
        "foreign_before": re.compile(r"(?<![가-힣])(?P<name>[가-힣]{1,6}(?:\s[가-힣]{2,6}){0,2})$"),
        # A foreign given name (or Japanese family name) alone before a particle, or followed by
        # one or two more words, the family name, checked by _foreign_tail.
        "foreign": re.compile(r"(?<![가-힣0-9])(?P<name>" + _trie(FOREIGN_GIVEN_NAMES) + r")(?:(?P<particle>" + _PARTICLE
                              + r")(?![가-힣])|(?P<rest>(?:\s[가-힣]{2,8}){1,2})(?![가-힣]))"),
        # The holder's name right after an account number (국민 123456-01-234567 홍길동).
        "after_number": re.compile(r"\d[\d-]{8,}\d\)?\s?(?:\s|\((?:예금주|명의)?\s?[:：]?\s?)(?P<name>" + _SURNAME
                                   + r"[가-힣]{1,2})(?=" + _PARTICLE + r"?(?![가-힣]))"),
        "label": re.compile(r"(?:(?<![가-힣])(?:" + _trie(LABELS) + r")(?:\s*[:：=]\s*|\s+)|(?:저는|제 이름은|이름은)\s)"
                            r"(?P<name>" + _SURNAME + r"[가-힣]{1,2})(?=" + _PARTICLE + r"?(?![가-힣]))"),
        "given": re.compile(r"(?<![가-힣0-9])(?P<name>[가-힣]{2})(?P<suffix>이(?:가|는|랑|도|를|한테|에게|의|야|네|하고|만)"
                            r"|아|야|랑|한테|에게|\s?씨|님)(?=[\s,.!?~)]|$)"),
        # Full names in a list (윤지원, 김영수, 여영호) or before 외 and a count (김경희 외 3명).
        "listed": re.compile(r"(?<![가-힣])" + _SURNAME + r"[가-힣]{2}(?:(?:\s?[,·]\s?" + _SURNAME
                             + r"[가-힣]{2}(?![가-힣]))+|(?=\s외\s?\d))"),
        # The look-behind after the first letter: a pattern that starts with one makes re try
        # every position of the text.
        "roman": re.compile(r"[A-Z](?<![A-Za-z].)[A-Za-z]{0,9}(?:-[A-Za-z]{1,6})?(?:,?\s[A-Z][A-Za-z]{0,9}"
                            r"(?:-[A-Za-z]{1,6})?){1,2}(?![A-Za-z])"),
        "roman_syllables": re.compile(r"(?:" + roman_syllable + r")(?:-?(?:" + roman_syllable + r"))?", re.IGNORECASE),
    }


_TITLE_SET = frozenset(TITLES)
_LABEL_SET = frozenset(LABELS)
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
               common: frozenset = frozenset(), strong: bool = False) -> bool:
    """A surname, given-name syllables, and not a title or an ordinary word (or a word and its
    particle); `bare` (no title or label by it) asks more, `strong` (a label, 씨 or an age by
    it) less: a full name there may also be a word of the stop list (최정희, 이영호 are in it
    because real text names them as often as Kiwi reads them as words)."""
    compact = name.replace(" ", "")
    if len(compact) == 2 and (compact in _PRONOUNS or compact[1] in "을를이가은는의도와과에"):
        return False  # 제가 학생이었던, 명을 교수로: a pronoun, or a word and its particle
    if len(compact) >= 3 and compact[-1] in "을를는에와과" and not strong:
        return False  # 조식을 장군으로: given names do not end in a particle (의 does: 사마의)
    if compact in _TITLE_SET or compact in _LABEL_SET or len(compact) >= 3 and compact[-1] in "은이인의" and (
            bare and compact[:-1] in stop or compact[:-1] in common):
        return False  # 선생님, 변호사; 가족은, 시간은: a title, or a word and its particle
    lenient = strong and len(compact) >= 3
    if compact in stop and not lenient or compact in _PLACES or len(compact) == 3 and compact[2] in _ORGANISATION_END:
        return False
    if len(compact) >= 3 and compact[-1] in _WORD_END and compact[:-1] in stop and not lenient:
        return False  # 한국의, 부모와, 제기한, 가족인: a word and its particle or ending
    surname = compact[:2] if compact[:2] in COMPOUND_SURNAMES and len(compact) >= 4 else compact[0]
    given = compact[len(surname):]
    # 김하늘, 박보람: a native given name is a word, and a surname that no word starts with
    # (이 is "this", 전 "all", 한 "one") says the pair is a name.
    native = surname in _PLAIN_SURNAMES and given in NATIVE_GIVEN_NAMES
    if bare and ((compact[2:3] in _WORD_END or compact[2:3] in _DERIVED_END) and compact[:2] in stop
                 or given in common and not native or given[-1] in _VERB_END
                 or given[-1] in _NOUN_END or compact[1:] in stop and not native):
        return False  # 기자가, 이번에, 두가지, 서준다: a word with a particle or an ending
    return bool(given) and all(s in syllables for s in given)


_PRONOUNS = frozenset("제가 제게 제겐 나는 내가 나도 나를 너는 네가 우리 저희".split())
# Native Korean given names, words of the language themselves (하늘 "sky", 보람 "worth").
NATIVE_GIVEN_NAMES = frozenset((
    "하늘 슬기 보람 나래 한결 아름 다운 빛나 누리 가람 초롱 이슬 새롬 하람 솔비 다솜 한별 은별 나리 단비 "
    "고은 바다 한울 한솔 아라 라온 다온 도담 마루 로운 시온 온유 하랑 해솔 새벽 가온 여름 보라 그루 나봄 "
    "다빈 단아 미르 바름 별님 새봄 소리 아롱 여울 예슬 우람 은솔 조은 한빛 햇살 힘찬 푸름 두리 구슬 꽃잎 "
    "노을 들찬 마음 모아 미리 보미 봄비 빛누리 새힘 샘물 소라 송이 수리 시내 아랑 예나 우리 이랑 잎새 "
    "초아 파랑 한비 해랑").split())
# Words people call out that are not names (친구야, 사랑아, 얘들아).
_ADDRESS_WORDS = frozenset("친구 사랑 엄마 아빠 여보 자기 얘들 누나 언니 오빠 형아 동생 아가 아기 애기 세상 인생 하늘 바다 "
                           "세월 새끼 이놈 저놈 그놈 녀석 아들 딸아 나라 조국 청춘 친구들 동지 전우 여러분 님아 우리 너희 "
                           "선배 후배 동무 임아 주인 할매 할배 삼촌 이모 고모 아씨 아재 아줌 총각 처녀 도령 낭자".split())
_PLAIN_SURNAMES = frozenset("김 박 윤 권 황 송 홍 곽 류 배 허 심 엄 채 변 염 추 탁 맹".split()) | set(COMPOUND_SURNAMES)


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


def _organisation(words: list[str]) -> bool:
    """Words between a name and its title (서울대, 더불어민주당, 음악, 전 울산시장): none ends like
    a verb or a particle (하는 요양원의 원장: 하는 and 요양원의 are no organisation)."""
    return not any(w[-1] in "다요죠네까해려워져는은을를의고며서면게지" for w in words if w not in _TITLE_MODIFIERS)


def _foreign_tail(words: list[str], stop: frozenset, common: frozenset, family: bool = False) -> int:
    """How many of the last words form a foreign name in Hangul (0: none). The family name,
    last, may look Korean (오바마, 카메론); the words before it must look foreign: a syllable
    Korean names do not have, or a foreign given name. `family`: one word that would do as a
    family name after a foreign given name."""
    keep, marked = 0, family
    for word in reversed(words):
        known = word in FOREIGN_GIVEN_NAMES
        looks = known or bool(set(word) & _FOREIGN)
        if len(word) == 1 and keep and word in _FOREIGN_GIVEN:
            return keep + 1  # 조 바이든, 존 스미스
        if len(word) < 2 or len(word) > 5 or word in _TITLE_SET or word in _TITLE_MODIFIERS or not looks and (
                keep or len(word) >= 3 and word[-1] in _ORGANISATION_END):  # 국가대표팀 감독
            break
        if not keep and word[-1] in "은는을를이가의에도와과":
            break  # 힘든분은 대통령님: before its title a name takes no particle
        # A word of the language (스포츠, 성당) is not a name, unless it follows a foreign given
        # name and looks foreign itself (브래드 피트: 피트 is also a unit).
        if not known and not (family and looks) and (word in stop or word in common or word[-1] in _WORD_END
                                                     or word[-1] in _VERB_END):
            break
        marked |= looks
        keep += 1
    return keep if marked else 0


# Particles a foreign name may carry, longest first: 스미스에게 is 스미스 + 에게.
_PARTICLE_SUFFIXES = sorted("이라고 에게서 한테서 께서 에게 한테 이랑 하고 라고 이나 에서 으로 처럼 보다 까지 부터 은 는 이 가 을 를 "
                            "의 와 과 도 만 랑 로 나 에".split(), key=len, reverse=True)


def _strip_particle(word: str) -> str:
    for suffix in _PARTICLE_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[:-len(suffix)]
            break
    return word[:-1] if word[-1] in "씨님" and len(word) > 2 else word  # 그린씨가


def find(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of each person name; spans may overlap, the caller resolves them."""
    pats = _patterns()
    stop, common = _lexicon()
    syllables = GIVEN_NAME_SYLLABLES
    found: list[tuple[int, int, float]] = []
    names: set[str] = set()

    def add(start, end, score, bare=False, strong=False):
        name = text[start:end]
        if not _plausible(name, stop, syllables, bare, common, strong):
            return False
        found.append((start, end, score))
        if score >= 0.6 and len(name) >= 3 and " " not in name:
            names.add(name)
        return True

    for m in pats["name"].finditer(text):
        start, end = m.span("name")
        name = m.group("name")
        if name[-1] == "모" and (len(name) == 2 or name[1] == " "):
            if m.group("title") in ("씨", "군", "양") or m.group("aged"):
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
        if m.group("aged"):
            add(start, end, 0.7, strong=True)  # 김지성(31), 이혜원(여·45): an age in parentheses marks a person
            continue
        attached = not m.group("gap")
        # 주식시장, 국회의원, 선생님: a two-syllable "name" glued to its title is a word; and a
        # glued title takes only the particles a bare name does (지상주차장으로 is a car park).
        if attached and (end - start < 3 or not pats["glued_end"].match(text, m.end("title")) and not (
                m.group("title") in ("씨", "님") and pats["copula"].match(text, m.end("title")))):
            continue
        add(start, end, 0.85 if not attached else 0.7, strong=m.group("title") == "씨")
    claimed = {s for s, _, _ in found}
    named = {e for _, e, _ in found}
    for t in pats["spaced_title"].finditer(text):
        title = t.group("title")
        if t.start() in named:
            continue  # the word before the title is already a name (피해자 박모 씨)
        offset = max(0, t.start() - 40)
        before = text[offset:t.start()]
        m = pats["name_org_before"].search(before)
        if m and offset + m.start("name") not in claimed and m.end("name") - m.start("name") >= 3 \
                and _organisation(before[m.end("name"):].split()):
            if add(offset + m.start("name"), offset + m.end("name"), 0.6):
                continue
        # Words between a foreign name and its title (트럼프 전 대통령, 블링컨 미국 국무장관).
        head, _, last = before.rpartition(" ")
        while head and last in _TITLE_MODIFIERS:
            before = head
            head, _, last = before.rpartition(" ")
        m = pats["foreign_before"].search(before)
        if m and title not in ("학생", "어린이", "환자"):
            words = m.group("name").split()
            keep = _foreign_tail(words, stop, common)
            if keep >= 2 or keep == 1 and (title in _FOREIGN_SINGLE or words[-1] in FOREIGN_GIVEN_NAMES):
                start = offset + m.end("name") - len(" ".join(words[-keep:]))
                # Two foreign words outrank a Korean reading of the last one (버락 오바마 vs 오바마).
                found.append((start, offset + m.end("name"), 0.85 if keep >= 2 else 0.6))
    for m in pats["foreign"].finditer(text):
        first = m.group("name")
        if m.group("rest") is None:
            if len(first) >= 2 and first not in _FOREIGN_NOT_ALONE and first not in stop and first not in common:
                found.append((m.start("name"), m.end("name"), 0.6))  # 에밀리를, 제임스가
            continue
        words, end = [first], m.end("name")
        rest = m.group("rest").split()
        for i, word in enumerate(rest):
            stem = _strip_particle(word)
            looks = bool(set(stem) & _FOREIGN) or stem in FOREIGN_GIVEN_NAMES
            at = text.index(word, end)
            after = at + len(word)
            # A family name that looks Korean (오바마, 푸틴) needs a particle, a punctuation mark or
            # a title after it, and a given name of one syllable (조, 팀) a foreign-looking one.
            following = re.match(r"\s([가-힣]+)", text[after:after + 12])
            closed = (stem != word or text[after:after + 1] in ",.!?)'\"" or bool(pats["spaced_title"].match(text, after))
                      or bool(following) and following.group(1) in _TITLE_MODIFIERS)
            if _foreign_tail([stem], stop, common, family=len(first) >= 2) != 1 or len(stem) > 5 \
                    or (not looks or len(first) == 1) and not closed \
                    or not looks and (len(first) == 1 or len(stem) > 3 or len(words) > 1):
                break
            words.append(stem)
            end = at + len(stem)
            if stem != word:
                break
        if len(words) >= 2:
            found.append((m.start("name"), end, 0.85))  # 알렉산더 해밀턴은, 다나카 히로시가
    label = pats["label"].search(text)
    while label:
        # 보호자 성함: 김인숙: when the word after a label is not a name (성함), it may be a label.
        # A form field (성명: 최정희) is strong context; a label word in prose (담당 공무원) is not.
        ok = add(label.start("name"), label.end("name"), 0.85, strong=":" in label.group() or "：" in label.group())
        label = pats["label"].search(text, label.end() if ok else label.start("name"))
    for m in pats["after_number"].finditer(text):
        if m.group("name") not in _LABEL_SET:
            add(m.start("name"), m.end("name"), 0.6, strong=True)
    for m in pats["roman"].finditer(text):
        if _roman_name(re.split(r",?\s", m.group()), pats["roman_syllables"]):
            found.append((m.start(), m.end(), 0.7))
    # A given name alone, called or talked about as people do in chat (민수야, 서연이가).
    for m in pats["given"].finditer(text):
        name, suffix = m.group("name"), m.group("suffix").lstrip()
        coda = (ord(name[-1]) - 0xAC00) % 28 != 0
        if suffix[0] == "이" or suffix == "아":
            fits = coda  # 서연이가, 서연아
        elif suffix in ("야", "랑"):
            fits = not coda and name[-1] != "이"  # 민수야, 민수랑; 말이야 is "I mean"
        else:
            fits = True
        # Calling someone (아, 야, 씨, 님) says more than the 이 that given names take (서연이가)
        # or a particle of people (한테, 에게, 랑; 가, 는, 를 and 도 follow any word): there a word
        # of the stop list may be a name (소연, 진우). After a consonant, 아 and 씨 call only
        # people, so a word of the common list may be one too (진영아, 보람 씨), unless people
        # call it (친구야, 사랑아); 야 is also "it is" (문제야, 누구야) and 님 honours things (부모님).
        # A name ending in 아 only before a mark (수아야!): 남아야 한다 is a verb.
        marked = suffix in ("아", "야", "씨", "님")
        end_ok = name[-1] not in _VERB_END or marked and name[-1] == "아" and text[m.end():m.end() + 1] in "!?~,"
        # (신생아, 동남아: a word that ends in 아, 兒 or 亞, is no call.)
        common_ok = common if suffix not in ("아", "씨") or name + suffix in stop else frozenset()
        if fits and end_ok and name[-1] != "여" and name not in _TITLE_SET and name not in _ADDRESS_WORDS and (
                _given_name(name, stop, common) or marked and _given_name(name, frozenset(), common_ok)):
            found.append((m.start("name"), m.end("name"), 0.45))
    for m in pats["listed"].finditer(text):
        names_listed = [(k.start(), k.end()) for k in re.finditer(r"[가-힣]+", m.group())]
        ok = [(m.start() + a, m.start() + b) for a, b in names_listed
              if _plausible(m.group()[a:b], stop, syllables, len(names_listed) > 1, common)]
        # 대관령·한계령·진부령, 방목리, 백현리: places of one kind share their last syllable.
        places = len(names_listed) > 1 and len({m.group()[b - 1] for _, b in names_listed}) == 1
        if len(ok) >= min(2, len(names_listed)) and not places:
            found.extend((a, b, 0.6) for a, b in ok)
    # Other mentions of a name found in context, in the same document.
    for name in names:
        i = text.find(name)
        while i >= 0:
            if i == 0 or not "가" <= text[i - 1] <= "힣":
                found.append((i, i + len(name), 0.8))
            i = text.find(name, i + len(name))
    return found
