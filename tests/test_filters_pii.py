"""PII in Korean sentences: each recognizer's positives and hard negatives, exact spans that
leave particles in place, validators, placeholders, no network, no leaked values."""
import json
import subprocess
import sys

import pyarrow as pa
import pytest

from conftest import ROOT
from kopile.filters.pii import PiiScrubber
from kopile.filters.pii.filter import PiiFilter


@pytest.fixture(scope="module")
def scrubber():
    s = PiiScrubber()
    s.setup()
    return s


def found(scrubber, text):
    return [(s.entity, text[s.start:s.end]) for s in scrubber.analyze(text)]


@pytest.mark.parametrize("text, expected", [
    ("연락처는 010-1234-5678입니다.", [("phone", "010-1234-5678")]),
    ("01098765432로 문자 주세요", [("phone", "01098765432")]),
    ("휴대폰 010 2345 6789 번으로", [("phone", "010 2345 6789")]),
    ("해외에서는 +82 10-3456-7890로 거세요", [("phone", "+82 10-3456-7890")]),
    ("사무실 02-123-4567에 전화", [("phone", "02-123-4567")]),
    ("지점 031-987-6543 또는 (02)555-1234", [("phone", "031-987-6543"), ("phone", "(02)555-1234")]),
    ("인터넷전화 070-1234-5678으로", [("phone", "070-1234-5678")]),
    ("고객센터 1588-1234로 문의", [("phone", "1588-1234")]),
    ("메일은 abc.def@naver.com으로 보내 주세요", [("email", "abc.def@naver.com")]),
    ("담당자(kim_01@korea.ac.kr)에게", [("email", "kim_01@korea.ac.kr")]),
    ("주민등록번호 900101-1234568을 적으세요", [("rrn", "900101-1234568")]),
    ("외국인등록번호 900101-5234567입니다", [("frn", "900101-5234567")]),
    ("주민번호 9001011234568 기재", [("rrn", "9001011234568")]),
    ("카드번호 4111-1111-1111-1111로 결제", [("card", "4111-1111-1111-1111")]),
    ("국민은행 123456-01-234567 계좌로 입금", [("account", "123456-01-234567")]),
    ("신한 110-123-456789로 보내 주세요", [("account", "110-123-456789")]),
    ("서버 192.168.0.1에 접속했다", [("ip", "192.168.0.1")]),
    ("여권번호 M12345678을 확인", [("passport", "M12345678")]),
    ("운전면허번호 11-12-123456-12", [("driver_license", "11-12-123456-12")]),
    ("사업자등록번호 220-81-62517", [("business_number", "220-81-62517")]),
    ("서울특별시 강남구 테헤란로 123에서 만나요", [("address", "서울특별시 강남구 테헤란로 123")]),
    ("주소: 경기도 성남시 분당구 판교역로 235", [("address", "경기도 성남시 분당구 판교역로 235")]),
    ("강남구 테헤란로7길 22로 이사했다", [("address", "강남구 테헤란로7길 22")]),
    ("부산광역시 해운대구 우동 1234-5번지에 산다", [("address", "부산광역시 해운대구 우동 1234-5번지")]),
    ("저는 세종특별자치시 갈매로 220-29에 살고 있습니다", [("address", "세종특별자치시 갈매로 220-29")]),
    ("택배는 천안시 동남구 청수14로 218-15로 보내 주세요", [("address", "천안시 동남구 청수14로 218-15")]),
    ("외국인 등록번호는 5209085725513입니다", [("frn", "5209085725513")]),
    ("카카오뱅크 계좌(3333-58-2123306)로 이체", [("account", "3333-58-2123306")]),
    ("카카오뱅크 3333314436114로 입금해 주세요", [("account", "3333314436114")]),
    ("접속 IP 195.12.35.84에서 로그인", [("ip", "195.12.35.84")]),
    ("공유기 IP는 1.2.3.4입니다", [("ip", "1.2.3.4")]),
    ("카드번호 4111111111111111 결제", [("card", "4111111111111111")]),
    # An address runs to its end: building, 동/호/층, the legal 동 in parentheses.
    ("대전광역시 서구 둔산로 79-23 대우빌딩 3층", [("address", "대전광역시 서구 둔산로 79-23 대우빌딩 3층")]),
    ("대구광역시 중구 계룡로31길 87 일신타워", [("address", "대구광역시 중구 계룡로31길 87 일신타워")]),
    ("인천광역시 부평구 부평대로 12, 105동 1102호 (십정동)에 삽니다",
     [("address", "인천광역시 부평구 부평대로 12, 105동 1102호 (십정동)")]),
    ("경기도 성남시 분당구 판교역로 235, 에이치스퀘어 N동 8층으로 오세요",
     [("address", "경기도 성남시 분당구 판교역로 235, 에이치스퀘어 N동 8층")]),
    ("서울 마포구 양화로 45 ○○오피스텔 5층 501호", [("address", "서울 마포구 양화로 45 ○○오피스텔 5층 501호")]),
    ("부산시 해운대구 우동 1234-5번지 B01호에서", [("address", "부산시 해운대구 우동 1234-5번지 B01호")]),
    # Phones as Koreans type them.
    ("연락처 (010)1234-5678", [("phone", "(010)1234-5678")]),
    ("대표 (02) 123-4567", [("phone", "(02) 123-4567")]),
    ("해외 +82 (0)10-2345-6789", [("phone", "+82 (0)10-2345-6789")]),
    ("수신자부담 080-123-4567", [("phone", "080-123-4567")]),
    ("고객센터 1588-1600 (평일 9시~18시)", [("phone", "1588-1600")]),
    ("대표번호: 1644-1700", [("phone", "1644-1700")]),
    # Resident numbers with spaces around or instead of the hyphen.
    ("주민번호 900101 1234568", [("rrn", "900101 1234568")]),
    ("주민등록번호: 900101 - 1234568", [("rrn", "900101 - 1234568")]),
    # Driver licences with the region's name.
    ("운전면허 서울 12-345678-90", [("driver_license", "서울 12-345678-90")]),
    # Casual Korean typed without spaces: the value starts right after Hangul.
    ("면허번호는서울12-345678-90입니다", [("driver_license", "서울12-345678-90")]),
    ("메일은minsu.kim@naver.com으로보내줘", [("email", "minsu.kim@naver.com")]),
    ("메일minsu.kim＠naver.com로", [("email", "minsu.kim＠naver.com")]),
    ("서버주소는fe80::1ff:fe23:4567:890a입니다", [("ip", "fe80::1ff:fe23:4567:890a")]),
    ("IPv6주소2001:0db8:85a3:0000:0000:8a2e:0370:7334확인", [("ip", "2001:0db8:85a3:0000:0000:8a2e:0370:7334")]),
    ("면허번호 강원 23-123456-78입니다", [("driver_license", "강원 23-123456-78")]),
    # Passports: every type letter and the 2021 format.
    ("여권번호 M123A4567", [("passport", "M123A4567")]),
    ("여권 G12345678 분실", [("passport", "G12345678")]),
    ("passport no. T12345678", [("passport", "T12345678")]),
    # IP addresses: compressed IPv6, short IPv4 with a network word.
    ("서버 2001:db8::1 접속 불가", [("ip", "2001:db8::1")]),
    ("fe80::1ff:fe23:4567:890a 에서", [("ip", "fe80::1ff:fe23:4567:890a")]),
    ("DNS 8.8.8.8로 바꾸세요", [("ip", "8.8.8.8")]),
    ("ping 1.1.1.1 해보면", [("ip", "1.1.1.1")]),
    # E-mail, obfuscated.
    ("메일 kim(at)naver.com 으로", [("email", "kim(at)naver.com")]),
    ("메일 kim[at]daum.net", [("email", "kim[at]daum.net")]),
    ("kim 골뱅이 naver.com 으로 보내", [("email", "kim 골뱅이 naver.com")]),
    ("이메일 kim@naver 점 com", [("email", "kim@naver 점 com")]),
    ("contact: kim at naver dot com", [("email", "kim at naver dot com")]),
    # Accounts after the short names people use for their bank.
    ("하나 123-456789-12345로 입금해 주세요", [("account", "123-456789-12345")]),
    ("토스 1000-1234-5678 계좌로 보내", [("account", "1000-1234-5678")]),
    ("카뱅 3333-01-1234567 송금", [("account", "3333-01-1234567")]),
    ("경상북도 안동시 풍천면 향교길 319에 있다", [("address", "경상북도 안동시 풍천면 향교길 319")]),
    ("서울특별시 마포구 아현동 산7번지", [("address", "서울특별시 마포구 아현동 산7번지")]),
    ("세종 갈매로 220에서", [("address", "세종 갈매로 220")]),
    ("서울특별시 서대문구 충정로3가 12번지", [("address", "서울특별시 서대문구 충정로3가 12번지")]),
    ("Please call 1566-4719 for details.", [("phone", "1566-4719")]),
    ("휴대전화:1544-7844", [("phone", "1544-7844")]),
    ("주민등록번호는 9310241398631입니다", [("rrn", "9310241398631")]),
])
def test_recognizers_find_exact_spans(scrubber, text, expected):
    assert found(scrubber, text) == expected


@pytest.mark.parametrize("text", [
    "회의는 2024-01-15 14:30에 열린다.",
    "가격은 12,000원이고 배송비 3,000원이다.",
    "버전 1.2.3에서 2.10.4로 올렸다.",
    "ISBN 978-89-7914-603-7 책을 샀다.",
    "점수는 10/10, 계산은 123-45=78이다.",
    "주문번호 2024011512345678 조회",
    "주문번호 123-456-789012를 확인하세요",  # account shape without a bank nearby
    "1999년 2000명이 모였고 2019.09.28에 끝났다.",
    "제44조제1항제7호 중 개정",
    "우리 회사 번호표 123-4567-8901-23번",
    "바코드 8801234567893",
    "좌표 37.5665, 126.9780",
    "웃음 :: ㅋㅋ :: 하하 ::",
    "카드번호 4111-1111-1111-1112",  # fails Luhn
    "앱 버전 1.8.1.4에서 오류가 재현됩니다",  # four single digits: a version, not an address
    "송장번호 1642-4519-1860으로 조회",  # one number, not a service phone number and a tail
    "주문번호 4804553409209796으로 조회해 주세요",  # 16 digits that pass Luhn, no card nearby
    "참고: 학번 2017870938",  # ten digits with a valid business-number checksum, no context
    "전화\n010\n1234\n5678",  # a number does not continue across lines
    "최준혁(1868-1918)의 생애를 다룬다",  # years, not a 15xx-18xx service number
    "지역구 국회의원으로 3선에 성공했다",  # 으로 is a particle, not a road; 3선 a count
    "연구 결과로 7가지 원인이 밝혀졌다",
    "도시 외곽으로 14km 떨어진 곳이다",
    "인구 증가로 2000년부터 교통 체증이 심해졌다",
    "버전 1.4.13.34에서 고쳐졌다",  # a version with two-digit parts
    "ISBN 978-89-1234-567-8 계좌 이체로 샀다",  # an ISBN near an account word
    "이 책은 978-89-1234-567-8 입금 확인 후 발송",
    "주문번호 110-123-456789 입금 확인",  # an account shape after 주문번호
    "접수번호: 4111-1111-1111-1111 카드 결제",
    "look at this.com for more",
    "이모티콘 ^^:: ::",
    "재위 1588-1600년",  # a span of years, no phone word
    # Ordinary words that start with a surname syllable, before titles and honorifics.
    "한국 대표 선수단이 입장했다", "이상 교수회의에서", "정말 대단한 선수다", "장기 대표 상품",
    "임시 대표를 뽑았다", "회사 대표님께 보고했다", "담임 선생님이 오셨다", "민주당 의원들이 모였다",
    "주식시장 동향", "국회의원 선거", "동계올림픽 개막", "스포츠 기자", "고객님 감사합니다",
    "박수 소리가 울렸다", "안전 관리자 교육", "문제 학생 지도",
    # Verb forms, dates, counts and places where the looser name forms could see a name.
    "민사로 따로 진행하여야 한다고 한다", "천일초교 화요일 (4/30) 도착", "제10조 모든 국민은 인간으로서",
    "기억이 안나네", "난 키스도 못할듯", "많게는 2배이상을 받는다", "시술 도중 심정지가 와서",
    "사촌 11월생에게 매일", "한반도 정세와 관련된", "담당 공무원에게 문의했다", "본부 팀 업데이트상황 공유",
    "사랑아 내 사랑아", "환경 문제가 사회문제화 되기 전",
])
def test_hard_negatives_are_left_alone(scrubber, text):
    assert found(scrubber, text) == []


@pytest.mark.parametrize("text, names", [
    ("김민수 기자가 현장에서 전했다", ["김민수"]),
    ("김민수기자", ["김민수"]),
    ("이서연님께 전달 부탁드립니다", ["이서연"]),
    ("남궁민수 씨는 어제 입원했다", ["남궁민수"]),
    ("황보영희 교수", ["황보영희"]),
    ("김모(35)씨가 붙잡혔다", ["김모"]),
    ("이 모(42·회사원) 씨는", ["이 모"]),
    ("피해자 박모 씨의 가족", ["박모"]),
    ("홍길동(45) 씨는 혐의를 부인했다", ["홍길동"]),
    ("박지훈 서울대 교수는 말했다", ["박지훈"]),
    ("김영희 더불어민주당 의원은 법안을 냈다", ["김영희"]),
    ("서울대 박지훈 교수 연구팀", ["박지훈"]),
    ("성명: 홍길동", ["홍길동"]),
    ("예금주 김철수", ["김철수"]),
    ("작성자 : 이영희", ["이영희"]),
    ("저는 박지영입니다", ["박지영"]),
    ("김민수 기자. 김민수는 이렇게 썼다", ["김민수", "김민수"]),
    ("Best regards, KANG EUN JI", ["KANG EUN JI"]),
    ("Kim Min-su 드림", ["Kim Min-su"]),
    ("예약자: Minsu Kim", ["Minsu Kim"]),
    ("LEE JI-HOON / Passport", ["LEE JI-HOON"]),
    ("도널드 트럼프 대통령은 성명을 냈다", ["도널드 트럼프"]),
    ("미국 도널드 트럼프 대통령", ["도널드 트럼프"]),
    ("트럼프 대통령은", ["트럼프"]),
    # Forms a blind set missed: ages with no title, form fields, lists, foreign names with no
    # title or with a word between name and title, native given names, given names alone.
    ("김지성(만 31세)이 입상했다", ["김지성"]),
    ("이혜원(여·45) 씨가 신고했다", ["이혜원"]),
    ("보호자 성함: 김인숙", ["김인숙"]),
    ("입금자명: 박광호", ["박광호"]),
    ("김경희 외 3명이 입건됐다", ["김경희"]),
    ("KB국민은행 정미숙 부행장", ["정미숙"]),
    ("이은서 경기도교육청 장학사가 설명했다", ["이은서"]),
    ("알렉산더 해밀턴은 이렇게 말했다", ["알렉산더 해밀턴"]),
    ("다나카 히로시가 한국을 찾았다", ["다나카 히로시"]),
    ("어제 에밀리를 만났어", ["에밀리"]),
    ("버락 오바마 전 대통령", ["버락 오바마"]),
    ("블라디미르 푸틴 러시아 대통령은", ["블라디미르 푸틴"]),
    ("김하늘에게 물어보세요", ["김하늘"]),
    ("민준아, 밥 먹자", ["민준"]),
    ("미영 씨, 잠깐 시간 돼요?", ["미영"]),
    ("어제 지호한테 전화했어", ["지호"]),
])
def test_person_names(scrubber, text, names):
    assert [v for e, v in found(scrubber, text) if e == "person"] == names


def test_placeholders_and_particles(scrubber):
    text, spans = scrubber.scrub("김 과장(010-1234-5678, kim@example.com)에게 서울특별시 중구 세종대로 110에서 연락")
    assert text == "김 과장(<|phone|>, <|email|>)에게 <|address|>에서 연락"
    assert [s.entity for s in spans] == ["phone", "email", "address"]
    custom = PiiScrubber(entities=["email"], placeholders={"email": "[EMAIL]"})
    assert custom.scrub("mail: a@b.co.kr 와 010-1234-5678")[0] == "mail: [EMAIL] 와 010-1234-5678"
    with pytest.raises(ValueError, match="unknown PII entities"):
        PiiScrubber(entities=["phone", "name"])
    assert PiiScrubber(entities=["person"]).scrub("김민수 기자가 전했다")[0] == "<|person|> 기자가 전했다"


def test_consistent_pseudonyms_per_document():
    s = PiiScrubber(pseudonyms=True)
    text = "김: 010-1234-5678, 이: 010-9999-0000, 다시 김: 01012345678. 메일 a@b.co.kr"
    out, _ = s.scrub(text)
    assert out == "김: <|phone_1|>, 이: <|phone_2|>, 다시 김: <|phone_1|>. 메일 <|email_1|>"
    f = PiiFilter(pseudonyms=True)
    redacted = f.redact(text)
    assert [redacted[a:b] for _, a, b in json.loads(f.score(redacted)["spans"])] == \
        ["<|phone_1|>", "<|phone_2|>", "<|phone_1|>", "<|email_1|>"]
    custom = PiiFilter(placeholders={"email": "[EMAIL]"}, pseudonyms=True)
    redacted = custom.redact("a@b.co.kr, c@d.co.kr")
    assert redacted == "[EMAIL]_1, [EMAIL]_2"
    assert [redacted[a:b] for _, a, b in json.loads(custom.score(redacted)["spans"])] == ["[EMAIL]_1", "[EMAIL]_2"]


def test_checksum_validation_decides(scrubber):
    # RRN with a wrong check digit keeps its pattern score; with context it is still found,
    # while a wrong Luhn digit is rejected outright.
    assert found(scrubber, "카드 5500-0000-0000-0004 결제") == [("card", "5500-0000-0000-0004")]
    assert found(scrubber, "카드 5500-0000-0000-0005 결제") == []
    valid = {s.entity: s.score for s in scrubber.analyze("주민등록번호 900101-1234568")}
    assert valid["rrn"] == 1.0
    # Numbers issued since October 2020 have no check digit: a wrong one lowers the score only.
    assert [s.score for s in scrubber.analyze("주민등록번호 900101-1234567")] == [0.85]
    # Business numbers and licences have checks that always hold: a failure is no match.
    assert found(scrubber, "사업자등록번호 220-81-62517") == [("business_number", "220-81-62517")]
    assert found(scrubber, "사업자등록번호 220-81-62518") == []
    assert found(scrubber, "운전면허번호 99-12-123456-12") == []  # 99 is no licence region


def test_prescreen_skips_presidio_on_clean_text():
    s = PiiScrubber()
    assert s.analyze("대한민국은 민주공화국이다. 모든 권력은 국민으로부터 나온다.") == []
    assert s._analyzer is None  # never loaded: nothing could match
    assert PiiScrubber(prescreen=False).analyze("전화 010-1234-5678")[0].entity == "phone"


def test_no_network_anywhere():
    probe = r"""
import socket
attempts = []
def refuse(*args, **kwargs):
    attempts.append(args)
    raise OSError("network disabled in this test")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from kopile.filters.pii import PiiScrubber
s = PiiScrubber()
out, spans = s.scrub("메일 kim@example.co.kr으로, 사이트 https://www.example.com 전화 010-1234-5678")
assert out == "메일 <|email|>으로, 사이트 https://www.example.com 전화 <|phone|>", out
print("attempts", len(attempts))
"""
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "attempts 0" in result.stdout


def test_a_failing_recognizer_removes_the_document_instead_of_leaking(monkeypatch):
    f = PiiFilter()

    def broken(text):
        raise ValueError("invalid literal 010-1234-5678")

    monkeypatch.setattr(f.scrubber, "replace", broken)
    text = "전화 010-1234-5678"
    assert f.redact(text) == text
    scores = f.score(text)
    assert f.keep(scores) == (False, "pii_error") and scores["error"] == "ValueError"
    assert "010" not in json.dumps(scores)


def test_windows_find_what_the_whole_document_finds(scrubber):
    filler = "대한민국은 민주공화국이다. " * 40
    text = filler + "문의: 010-1234-5678, kim@example.com" + filler + "주소 서울특별시 중구 세종대로 110에서" + filler
    whole = PiiScrubber(prescreen=False).analyze(text)
    assert [(s.entity, s.start, s.end) for s in scrubber.analyze(text)] == [(s.entity, s.start, s.end) for s in whole]
    assert [s.entity for s in whole] == ["phone", "email", "address"]


def test_filter_scores_offsets_not_values():
    f = PiiFilter()
    redacted = f.redact("전화 010-1234-5678, 메일 a@b.co.kr")
    scores = f.score(redacted)
    assert redacted == "전화 <|phone|>, 메일 <|email|>"
    assert scores["count"] == 2 and scores["entities"] == "email:1,phone:1"
    spans = json.loads(scores["spans"])
    assert [redacted[s:e] for _, s, e in spans] == ["<|phone|>", "<|email|>"]
    assert "010" not in json.dumps(scores) and "b.co.kr" not in json.dumps(scores)
    assert PiiFilter(max_pii_per_1000_chars=5).keep(scores) == (False, "pii_dense")


VALUES = ["010-2345-6789", "minsu.kim@example.co.kr", "900101-1234568", "123456-01-234567", "테헤란로 123", "홍길동"]


def test_stage_outputs_and_logs_never_hold_matched_values(ray_session, tmp_path, capfd):
    from conftest import read_dir, run_config, write_shard
    from kopile.pipeline.jobs.run import Runner

    texts = [f"행사 안내입니다. 자세한 일정은 홈페이지를 참고해 주시고, {VALUES[5]} 팀장 연락처는 {VALUES[0]}, "
             f"메일 {VALUES[1]}입니다. 많은 참여 바랍니다.",
             f"주민등록번호 {VALUES[2]}와 국민은행 {VALUES[3]} 계좌, 주소는 서울특별시 강남구 {VALUES[4]}에서.",
             "개인정보가 없는 평범한 문장입니다."]
    write_shard(tmp_path / "in" / "a.parquet", texts)
    summary = Runner(run_config(tmp_path / "in", tmp_path / "out", [{"pii": {"max_pii_per_1000_chars": 40}}]),
                     progress=False).run()
    assert summary["stages"][0]["rewritten"] == 2
    kept, removed = read_dir(tmp_path / "out" / "01_pii" / "kept"), read_dir(tmp_path / "out" / "01_pii" / "removed")
    everything = json.dumps(kept.to_pylist() + removed.to_pylist(), ensure_ascii=False)
    everything += "".join(p.read_text() for p in (tmp_path / "out").rglob("*.json"))
    everything += "".join(capfd.readouterr())
    for value in VALUES:
        assert value not in everything
    assert kept.num_rows + removed.num_rows == 3
    assert removed.column("reason").to_pylist() == ["pii_dense"]
    table = pa.concat_tables([kept, removed.drop(["reason"])], promote_options="default")
    assert sorted(table.column("pii_count").to_pylist()) == [0, 3, 3]


def test_offline_engine_keywords_match_spacy_lexeme_attributes():
    """The engine answers presidio's stop-word and punctuation questions without the
    vocabulary; the answers must be the ones spaCy's blank pipeline would give."""
    import spacy

    from kopile.filters.pii.engine import offline_nlp_engine

    engine, blank = offline_nlp_engine(), spacy.blank("xx")
    for word in ["연락처", "전화", ".", "…", "·", "(", "-", "@", "010", "the", "a", "는", "—", "!!"]:
        assert engine.is_stopword(word, "ko") == blank.vocab[word].is_stop
        assert engine.is_punct(word, "ko") == blank.vocab[word].is_punct
