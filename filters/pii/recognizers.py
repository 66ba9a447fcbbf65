"""Recognizers for personal information in Korean text, on presidio.

Korean attaches particles to what precedes them (`010-1234-5678로`, `abc@naver.com으로`), so
no pattern here relies on `\\b`: between a digit or Latin letter and Hangul there is no word
boundary for Python's Unicode-aware regex. Patterns bound themselves with explicit
look-arounds on digits and ASCII instead, which leaves the particle outside the span.
Every recognizer carries Korean context words (presidio matches them as substrings of the
tokens around a match, so 연락처는 counts for 연락처).
"""
from __future__ import annotations

import ipaddress
import os
import re
import sys


class _Hidden:
    """An import finder under which a module looks absent."""

    def __init__(self, names: set[str]):
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            raise ImportError(f"{name} is not needed by kopile's presidio engine")
        return None


def _import_presidio() -> None:
    """presidio imports Hugging Face transformers wherever it is installed (the driver needs it),
    and transformers brings torch, for a transformer NER engine kopile does not use (its engine
    is spaCy's blank tokenizer): 8-12 s and several hundred MB in every PII worker and in the
    run report, for nothing. presidio treats transformers as optional, so it is hidden while
    presidio loads; `PRESIDIO_DEVICE` spares the device probe, which imports torch too."""
    os.environ.setdefault("PRESIDIO_DEVICE", "cpu")
    if "presidio_analyzer" in sys.modules or "transformers" in sys.modules:
        return
    hidden = _Hidden({"transformers", "torch"})
    sys.meta_path.insert(0, hidden)
    try:
        import presidio_analyzer  # noqa: F401
    finally:
        sys.meta_path.remove(hidden)


_import_presidio()

from presidio_analyzer import Pattern, PatternRecognizer  # noqa: E402
from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, KrBrnRecognizer,  # noqa: E402
                                                      KrDriverLicenseRecognizer, KrFrnRecognizer,
                                                      KrPassportRecognizer, KrRrnRecognizer)

LANGUAGE = "ko"

CONTEXT = {
    "phone": ["연락처", "전화", "휴대폰", "핸드폰", "휴대전화", "문의", "번호", "고객센터", "상담", "tel", "phone",
              "mobile", "hp", "fax", "팩스", "대표번호", "대표전화", "콜센터", "call", "☎", "수신자부담"],
    "email": ["이메일", "메일", "e-mail", "email", "mail", "전자우편", "연락", "문의"],
    "rrn": ["주민등록번호", "주민번호", "주민등록", "생년월일", "resident"],
    "frn": ["외국인등록번호", "외국인번호", "외국인", "alien", "foreigner"],
    "passport": ["여권번호", "여권", "passport"],
    "driver_license": ["운전면허번호", "운전면허", "면허번호", "면허증", "driver", "license", "licence"],
    "business_number": ["사업자등록번호", "사업자번호", "사업자", "등록번호", "business"],
    "card": ["카드번호", "카드", "신용카드", "체크카드", "결제", "card", "visa", "master"],
    # Bank names only where they are not everyday words: 국민 (citizens), 우리 (we), 하나 (one)
    # are found through 은행, as in 국민은행.
    "account": ["계좌", "입금", "예금주", "송금", "이체", "은행", "뱅크", "농협", "신한", "새마을금고", "우체국",
                "수협", "신협", "account", "bank", "예금", "카뱅", "토스", "계좌번호", "환불", "무통장", "기업", "ibk", "kb"],
    "address": ["주소", "거주", "소재지", "위치", "사는", "살고", "주소지", "배송지", "address"],
    "ip": ["ip", "아이피", "접속", "서버", "address", "dns", "ping", "핑", "게이트웨이", "gateway", "공유기", "host", "port",
           "ssh", "로그인", "login"],
}

# A number is bounded by anything but a digit or a hyphen-and-digit (1642-4519-1860 is one
# number, not a phone followed by -1860); separators are a hyphen, dot or space, never a
# line break.
_NOT_DIGIT_BEFORE = r"(?<![\d\-.+])"
_NOT_DIGIT_AFTER = r"(?!\d|-\d)"
_SEP = r"[-. ]?"


class _Recognizer(PatternRecognizer):
    """A PatternRecognizer for Korean requests with the entity's Korean context words."""

    ENTITY = ""
    PATTERNS: list[Pattern] = []

    def __init__(self):
        super().__init__(supported_entity=self.ENTITY, patterns=self.PATTERNS, context=CONTEXT[self.ENTITY],
                         supported_language=LANGUAGE, name=f"kopile_{self.ENTITY}")

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [r for r in results if self.rescore(text, r)]

    def rescore(self, text: str, result) -> bool:
        """Look at a match in its text before context words weigh in: lower its score where
        the match alone is weak, or return False to drop it."""
        return True


class PhoneRecognizer(_Recognizer):
    """Mobile (010…), area-code landlines (02, 031…064), 070, +82, and 15xx/16xx/18xx numbers."""

    ENTITY = "phone"
    # +82 10, +82-10, +82 (0)10, +8210: the country code, then the number without its 0.
    _INTL = r"\+82[-. ]?(?:\(0\)[-. ]?|0)?"
    _AREA = r"(?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70|80|50\d)"
    PATTERNS = [
        Pattern("mobile", _NOT_DIGIT_BEFORE + r"(?:" + _INTL + r"|0)1[016789]" + _SEP + r"\d{3,4}" + _SEP
                + r"\d{4}" + _NOT_DIGIT_AFTER, 0.7),
        Pattern("landline", _NOT_DIGIT_BEFORE + r"(?:" + _INTL + r"|0)" + _AREA
                + r"(?:[-. ]|\) ?)\d{3,4}[-. ]\d{4}" + _NOT_DIGIT_AFTER, 0.6),
        # (010)1234-5678, (02) 123-4567, (031)123-4567
        Pattern("parenthesised", r"\(0(?:1[016789]|" + _AREA + r"|[3-6]\d)\)\s?\d{3,4}[-. ]?\d{4}" + _NOT_DIGIT_AFTER, 0.6),
        # 1588-1234, 1600-1700: representative numbers, only with the hyphen; a pair that reads
        # as a span of years (1868-1918) needs a context word (고객센터, 대표번호, Tel.).
        Pattern("service", _NOT_DIGIT_BEFORE + r"1[5-9]\d{2}-\d{4}" + _NOT_DIGIT_AFTER, 0.5),
    ]

    def rescore(self, text, result) -> bool:
        first, _, second = text[result.start:result.end].partition("-")
        if result.end - result.start == 9 and first.isdigit() and second.isdigit() \
                and 0 <= int(second) - int(first) <= 150:
            result.score = 0.05
        return True


_AT = r"(?:\s?[@＠]\s?|\s?[(\[{<]\s?(?:at|AT|골뱅이)\s?[)\]}>]\s?|\s(?:at|AT)\s|\s?골뱅이\s?)"
_DOT = r"(?:\.|\s?[(\[{<]\s?(?:dot|DOT|점)\s?[)\]}>]\s?|\s(?:dot|DOT)\s|\s?점\s?)"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_AT_WORD = re.compile(r"\s(?:at|AT)\s")
_DOT_OBFUSCATED = re.compile(_DOT.replace("\\.|", ""))


class EmailRecognizer(_Recognizer):
    """Addresses, and the forms people type to keep them from crawlers: kim(at)naver.com,
    kim 골뱅이 naver.com, kim@naver 점 com, kim at naver dot com."""

    ENTITY = "email"
    # The top-level domain is ASCII letters only, so `com으로` ends the match at `com`.
    PATTERNS = [
        Pattern("email", r"(?<![A-Za-z0-9_.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*[@＠]"
                         r"(?:" + _LABEL + r"\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])", 0.5),
        Pattern("email obfuscated", r"(?<![A-Za-z0-9_.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*" + _AT + r"(?:" + _LABEL + _DOT
                + r")+[A-Za-z]{2,24}(?![A-Za-z0-9-])", 0.5),
    ]

    def rescore(self, text, result) -> bool:
        value = text[result.start:result.end]
        if _AT_WORD.search(value) and not _DOT_OBFUSCATED.search(value):
            result.score = 0.1  # "look at this.com": English prose unless a context word says mail
        return True

    def validate_result(self, pattern_text: str):
        parts = re.split(_AT, pattern_text, maxsplit=1)
        if len(parts) != 2:
            return False
        domain = re.sub(_DOT, ".", parts[1])
        return _known_suffix(domain) and "." in domain


_TLD = None


def _known_suffix(domain: str) -> bool:
    """A public suffix from tldextract's bundled snapshot; never fetched from the network."""
    global _TLD
    if _TLD is None:
        import tldextract

        _TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return bool(_TLD(domain).suffix)


def _bare_needs_context(cls):
    """A recognizer whose checksum makes a separated number certain, while the bare digits
    (13 for RRN/FRN, 10 for business numbers, 12 for licences, 16 for cards) keep their low pattern score and
    need a context word: EAN-13 barcodes, student and order numbers share those shapes."""

    class Recognizer(cls):
        def validate_result(self, pattern_text: str):
            valid = super().validate_result(pattern_text)
            return valid if not pattern_text.isdigit() or valid is False else None

    Recognizer.__name__ = cls.__name__
    return Recognizer


class CardRecognizer(_bare_needs_context(CreditCardRecognizer)):
    """Card numbers with Luhn validation (presidio's), bounded for Korean particles.

    Grouped numbers (4111-1111-1111-1111) stand alone; 16 bare digits pass Luhn one time in
    ten, as order and tracking numbers do, so they need a context word.
    """

    def __init__(self):
        patterns = [Pattern("card", _NOT_DIGIT_BEFORE + r"\d{4}([- ])\d{4}\1\d{4}\1\d{4}" + _NOT_DIGIT_AFTER, 0.4),
                    Pattern("card bare", _NOT_DIGIT_BEFORE + r"\d{16}" + _NOT_DIGIT_AFTER, 0.05),
                    Pattern("amex", _NOT_DIGIT_BEFORE + r"3[47]\d{2}([- ])\d{6}\1\d{5}" + _NOT_DIGIT_AFTER, 0.4)]
        super().__init__(patterns=patterns, context=CONTEXT["card"], supported_language=LANGUAGE,
                         supported_entity="card", name="kopile_card")


class IpRecognizer(_Recognizer):
    ENTITY = "ip"
    _OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d)"
    PATTERNS = [
        # Four single digits (1.8.1.4) is a version number unless a context word says otherwise.
        Pattern("ipv4", r"(?<![\d.])(?=[\d.]*\d\d)(?:(?:" + _OCTET + r"|\d)\.){3}(?:" + _OCTET + r"|\d)(?![\d.]*\d)", 0.6),
        Pattern("ipv4 short", r"(?<![\d.])\d\.\d\.\d\.\d(?![\d.]*\d)", 0.05),
        # Full IPv6 with at least four groups: presidio's own fires on the `::` of emoticons.
        Pattern("ipv6", r"(?<![:A-Za-z0-9_])(?:[0-9A-Fa-f]{1,4}:){3,7}[0-9A-Fa-f]{1,4}(?![:0-9A-Za-z])", 0.6),
        # Compressed: 2001:db8::1, fe80::1ff:fe23:4567:890a; ::1 alone needs context.
        Pattern("ipv6 compressed", r"(?<![:A-Za-z0-9_])(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?::"
                r"(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?(?![:0-9A-Za-z])", 0.6),
    ]
    # A dotted number after one of these is a version or build, not an address (버전 1.4.13.34).
    _VERSION = re.compile(r"(?:버전|ver\.?|version|빌드|build|v|펌웨어|firmware|릴리스|release|업데이트)\s*[:.]?\s*$",
                          re.IGNORECASE)
    _VERSION_AFTER = re.compile(r"^\s*(?:버전|version|빌드|build|판|릴리스|release)", re.IGNORECASE)

    def validate_result(self, pattern_text: str):
        # None when it parses: the pattern's score stands, so short forms still need context.
        try:
            ipaddress.ip_address(pattern_text)
        except ValueError:
            return False
        return None

    def rescore(self, text, result) -> bool:
        if self._VERSION.search(text[max(0, result.start - 12):result.start]) \
                or self._VERSION_AFTER.match(text[result.end:result.end + 12]):
            return False
        value = text[result.start:result.end]
        if ":" in value and value.count(":") < 4 and len(value.replace(":", "")) < 4:
            result.score = 0.05  # ::1, 1::: too short to stand alone
        return True


class AccountRecognizer(_Recognizer):
    """Bank accounts: 10 to 14 digits in three or four hyphenated groups, as Korean banks print
    them (국민 123456-01-234567, 신한 110-123-456789, 우리 1002-123-456789, 하나 123-456789-12345,
    농협 301-1234-5678-91, 카카오뱅크 3333-58-2123306), or bare. Too common a shape to stand alone: it needs a bank name or 계좌 nearby.
    """

    ENTITY = "account"
    PATTERNS = [Pattern("account", _NOT_DIGIT_BEFORE + r"\d{2,6}-\d{2,7}-\d{2,7}(?:-\d{1,3})?(?![\d-])", 0.2),
                Pattern("account bare", _NOT_DIGIT_BEFORE + r"\d{10,14}(?![\d-])", 0.05)]

    def validate_result(self, pattern_text: str):
        # None, not True: the length is plausible, but only context makes it an account.
        return None if 10 <= sum(c.isdigit() for c in pattern_text) <= 14 else False


_PROVINCE = (r"(?:서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충북|충남|전북|전남|경북|경남|제주|"
             r"충청북|충청남|전라북|전라남|경상북|경상남)(?:특별시|광역시|특별자치시|특별자치도|도|시)?")
_DISTRICT = r"[가-힣]{1,5}(?:시|군|구)"
# A road name does not end in the particle 으로 (국회의원으로 3선); a building number is not
# followed directly by a counter or unit (3선, 7가지, 14km, 2000년), nor by 길/가, which make
# it part of a road or dong name (테헤란로7길, 충정로3가).
_ROAD = r"[가-힣0-9]{0,9}[가-힣0-9](?<!으)(?:로|길)"
_BUILDING = r"\d{1,5}(?:-\d{1,4})?(?!\d|-\d|(?:선|가지|살|세|년|월|일|명|개|곳|권|번째|차|회|위|배|층|호선|대|건|원|분|초|" \
            r"시간|km|㎞|kg|cm|mm|%|퍼센트|킬로|미터|마리|등|점|표|석|길|가(?![가-힣])))"


# What follows the building number in a full address: a building or complex name, the
# building's 동, the floor and unit, and the legal 동 in parentheses (…로 12, 105동 1102호 (십정동)).
_BUILDING_NAME = (r"[가-힣A-Za-z0-9○◯◇*＊]{0,15}(?:아파트|오피스텔|빌라|빌딩|타워|맨션|하우스|하이츠|캐슬|프라자|플라자|상가|"
                  r"센터|스퀘어|오피스|파크|시티|마을|단지|자이|푸르지오|래미안|아이파크|힐스테이트|더샵|주공|연립|코아|"
                  r"홈타운|리슈빌|팰리스|타운|몰|병원|의원|학교|회관|공장|창고|주택)[가-힣0-9]{0,3}(?:\s?[A-Za-z0-9]{1,3}(?:동|관))?")
_UNIT = (r"(?:(?:[A-Za-z가-힣]?\d{1,4}|[A-Za-z가나다라])동(?:\s?(?:지하\s?|[Bb])?\d{1,5}호)?|(?:지하\s?|[Bb])?\d{1,3}층"
         r"(?:\s?(?:[Bb])?\d{1,5}호)?|(?:지하\s?|[Bb])?\d{1,5}호(?!선)|지하\s?\d{1,2}층?|[Bb]\d{1,2})")
_LEGAL_DONG = r"\((?:[가-힣0-9]{1,10}(?:동|가|리|읍|면))(?:\s?,\s?[^()\n]{1,25})?\)"
_TAIL = (r"(?:,?\s?(?:" + _BUILDING_NAME + r"|" + _UNIT + r"))*(?:\s?" + _LEGAL_DONG + r")?")


class AddressRecognizer(_Recognizer):
    """Road-name (…로/…길 + building number) and lot-number (…동/리/가 + 번지) addresses,
    from the province or district to the end: building, 동, floor, unit and legal 동."""

    ENTITY = "address"
    # 세종특별자치시 has no district: a province may stand alone before the road.
    _AREA = r"(?<![가-힣])(?:" + _PROVINCE + r"\s+(?:" + _DISTRICT + r"\s+){0,2}|(?:" + _DISTRICT + r"\s+){1,2})" \
            r"(?:[가-힣]{1,5}(?:읍|면)\s+)?"
    PATTERNS = [
        Pattern("road", _AREA + _ROAD + r"(?:\s?\d{1,4}(?:번?길|가길))?\s?" + _BUILDING + _TAIL, 0.6),
        Pattern("lot", _AREA + r"[가-힣0-9]{1,8}(?:동|리|가)\s+(?:산\s?)?" + _BUILDING + r"(?:번지)?" + _TAIL, 0.5),
    ]


# Korean passports: a type letter (M, S, R, G, D, T, O) and 8 digits, or since December 2021
# letter, 3 digits, letter, 4 digits (M123A4567).
PASSPORT_PATTERNS = [
    Pattern("passport", r"(?<![A-Za-z0-9])[MSRGDTOmsrgdto]\d{8}(?!\d)", 0.1),
    Pattern("passport 2021", r"(?<![A-Za-z0-9])[MSRGDTOmsrgdto]\d{3}[A-Za-z]\d{4}(?!\d)", 0.1),
]
_REGIONS = {"서울": "11", "부산": "12", "경기": "13", "강원": "14", "충북": "15", "충남": "16", "전북": "17", "전남": "18",
            "경북": "19", "경남": "20", "제주": "21", "대구": "22", "인천": "23", "광주": "24", "대전": "25", "울산": "26",
            "세종": "27"}


class DriverLicenseRecognizer(KrDriverLicenseRecognizer):
    """Licence numbers with the region as a code (11-12-345678-90) or as its name, as licences
    issued before 2011 print it (서울 12-345678-90)."""

    KOPILE_PATTERNS = [
        Pattern("licence", r"(?<!\d)\d{2}[- ]?\d{2}[- ]?\d{6}[- ]?\d{2}(?!\d)", 0.1),
        Pattern("licence region name", r"(?:" + "|".join(_REGIONS) + r")\s?\d{2}[- ]?\d{6}[- ]?\d{2}(?!\d)",
                0.5),
    ]

    def validate_result(self, pattern_text: str):
        region = pattern_text[:2]
        if region in _REGIONS:
            return sum(c.isdigit() for c in pattern_text) == 10
        return super().validate_result(pattern_text)


def _korean(cls, entity: str, **kwargs):
    """presidio's Korean recognizer with Korean context words, reporting our entity name."""
    recognizer = cls(context=CONTEXT[entity] + list(cls.CONTEXT), supported_language=LANGUAGE,
                     supported_entity=entity, **kwargs)
    recognizer.name = f"kopile_{entity}"
    return recognizer


def _registration_number(cls, entity: str, gender_digits: str):
    date = r"(?<!\d)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    # Bare, with a context word: 0.45, above a bare account number's 0.4 in the same place.
    # 900101-1234567, 900101 - 1234567, 900101 1234567: a separator stands for the hyphen.
    patterns = [Pattern(f"{entity} hyphenated", date + f"(?:\\s?[-–]\\s?|\\s)[{gender_digits}]\\d{{6}}(?!\\d)", 0.5),
                Pattern(f"{entity} bare", date + f"[{gender_digits}]\\d{{6}}(?!\\d)", 0.1)]
    return _korean(_bare_needs_context(cls), entity, patterns=patterns,
                   replacement_pairs=[("-", ""), ("–", ""), (" ", "")])


def recognizers(entities) -> list:
    builders = {
        "phone": PhoneRecognizer,
        "email": EmailRecognizer,
        "rrn": lambda: _registration_number(KrRrnRecognizer, "rrn", "1-4"),
        "frn": lambda: _registration_number(KrFrnRecognizer, "frn", "5-8"),
        "passport": lambda: _korean(KrPassportRecognizer, "passport", patterns=PASSPORT_PATTERNS),
        "driver_license": lambda: _korean(_bare_needs_context(DriverLicenseRecognizer), "driver_license",
                                          patterns=DriverLicenseRecognizer.KOPILE_PATTERNS),
        "business_number": lambda: _korean(_bare_needs_context(KrBrnRecognizer), "business_number"),
        "card": CardRecognizer,
        "account": AccountRecognizer,
        "ip": IpRecognizer,
        "address": AddressRecognizer,
    }
    return [builders[e]() for e in entities]


from kopile.filters.pii.entities import ENTITIES  # noqa: E402,F401  (re-exported: recognizers are per entity)

# A number after one of these identifies an order, a book or a case, not a person
# (주문번호 1234-5678-9012, ISBN 978-89-…); and an ISBN-13 is one whatever precedes it.
_NOT_PERSONAL = re.compile(r"(?:ISBN|주문\s?번호|접수\s?번호|송장\s?번호|운송장|등기\s?번호|예약\s?번호|승인\s?번호|"
                           r"거래\s?번호|관리\s?번호|문서\s?번호|사건\s?번호|모델명|품번|바코드|order\s?(?:no|number|#)|"
                           r"tracking)\s*(?:[:：#]|는|은)?\s*$", re.IGNORECASE)
_ISBN = re.compile(r"97[89][- ]?\d{1,5}[- ]\d{1,7}[- ]\d{1,7}[- ]?\d$")
NUMBER_ENTITIES = ("phone", "rrn", "frn", "passport", "driver_license", "business_number", "card", "account")


def not_personal(text: str, start: int, end: int) -> bool:
    """True for a number that an order, a book or a case owns (see _NOT_PERSONAL)."""
    return bool(_NOT_PERSONAL.search(text[max(0, start - 16):start]) or _ISBN.match(text[start:end]))


# Cheap expressions that every match of a recognizer needs, the entities they can lead to,
# and how many characters around them to hand to presidio: enough for the entity itself and
# for its context words (presidio looks five tokens back and three ahead).
CANDIDATES = {
    # One leading digit for both digit branches: re tries each branch at every digit otherwise.
    "number": (re.compile(r"\d(?:\d+[-. )]?\d{3,}|\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3})|[A-Za-z]\d{3}[A-Za-z]\d{4}"),
               ("phone", "rrn", "frn", "passport", "driver_license", "business_number", "card", "account", "ip"), 32),
    # Each branch starts with a character that is rare in Korean text, so the scan is fast.
    "email": (re.compile(r"[@＠]|골뱅이|(?:at|AT)(?<=[\s(\[{<](?:at|AT))(?=\s?[\s)\]}>])"), ("email",), 72),
    # Two colons with at most four hex digits between them: every IPv6 form has that, and a
    # pattern that starts with a literal is scanned fast.
    "ipv6": (re.compile(r":[0-9A-Fa-f]{0,4}:"), ("ip",), 48),
    "address": (re.compile(r"(?:시|군|구|읍|면|세종)\s+[가-힣0-9]{1,12}(?:로|길|동|리|가)\s?(?:산\s?)?\d"),
                ("address",), 90),
}
