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

# presidio imports transformers where it is installed (kopile's tokenizer needs it); without
# torch, transformers then prints an advisory on every import, in every worker.
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

from presidio_analyzer import Pattern, PatternRecognizer  # noqa: E402
from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, KrBrnRecognizer,  # noqa: E402
                                                      KrDriverLicenseRecognizer, KrFrnRecognizer,
                                                      KrPassportRecognizer, KrRrnRecognizer)

LANGUAGE = "ko"

CONTEXT = {
    "phone": ["연락처", "전화", "휴대폰", "핸드폰", "휴대전화", "문의", "번호", "고객센터", "상담", "tel", "phone",
              "mobile", "hp", "fax", "팩스"],
    "email": ["이메일", "메일", "e-mail", "email", "mail", "전자우편"],
    "rrn": ["주민등록번호", "주민번호", "주민등록", "생년월일", "resident"],
    "frn": ["외국인등록번호", "외국인번호", "외국인", "alien", "foreigner"],
    "passport": ["여권번호", "여권", "passport"],
    "driver_license": ["운전면허번호", "운전면허", "면허번호", "면허증", "driver", "license", "licence"],
    "business_number": ["사업자등록번호", "사업자번호", "사업자", "등록번호", "business"],
    "card": ["카드번호", "카드", "신용카드", "체크카드", "결제", "card", "visa", "master"],
    # Bank names only where they are not everyday words: 국민 (citizens), 우리 (we), 하나 (one)
    # are found through 은행, as in 국민은행.
    "account": ["계좌", "입금", "예금주", "송금", "이체", "은행", "뱅크", "농협", "신한", "새마을금고", "우체국",
                "수협", "신협", "account", "bank"],
    "address": ["주소", "거주", "소재지", "위치", "사는", "살고", "주소지", "배송지", "address"],
    "ip": ["ip", "아이피", "접속", "서버", "address"],
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


class PhoneRecognizer(_Recognizer):
    """Mobile (010…), area-code landlines (02, 031…064), 070, +82, and 15xx/16xx/18xx numbers."""

    ENTITY = "phone"
    PATTERNS = [
        Pattern("mobile", _NOT_DIGIT_BEFORE + r"(?:\+82[-. ]?0?|0)1[016789]" + _SEP + r"\d{3,4}" + _SEP
                + r"\d{4}" + _NOT_DIGIT_AFTER, 0.7),
        Pattern("landline", _NOT_DIGIT_BEFORE + r"(?:\+82[-. ]?0?|0)(?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70|50\d)"
                r"(?:[-. ]|\) ?)\d{3,4}[-. ]\d{4}" + _NOT_DIGIT_AFTER, 0.6),
        Pattern("landline_parenthesised", r"\(0(?:2|[3-6]\d|70)\)\s?\d{3,4}-\d{4}" + _NOT_DIGIT_AFTER, 0.6),
        # 1588-1234: only with the hyphen; a span of years (1868-1918) is rejected below.
        Pattern("service", _NOT_DIGIT_BEFORE + r"1[5-9]\d{2}-\d{4}" + _NOT_DIGIT_AFTER, 0.5),
    ]

    def validate_result(self, pattern_text: str):
        first, _, second = pattern_text.partition("-")
        if len(pattern_text) == 9 and first.isdigit() and second.isdigit() and 0 <= int(second) - int(first) <= 150:
            return False  # a year range, 1868-1918
        return None


class EmailRecognizer(_Recognizer):
    ENTITY = "email"
    # The top-level domain is ASCII letters only, so `com으로` ends the match at `com`.
    PATTERNS = [Pattern("email", r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@"
                                 r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])",
                        0.5)]

    def validate_result(self, pattern_text: str):
        return _known_suffix(pattern_text.rsplit("@", 1)[1])


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
        Pattern("ipv6", r"(?<![:\w])(?:[0-9A-Fa-f]{1,4}:){3,7}[0-9A-Fa-f]{1,4}(?![:\w])", 0.6),
    ]

    def validate_result(self, pattern_text: str):
        # None when it parses: the pattern's score stands, so short forms still need context.
        try:
            ipaddress.ip_address(pattern_text)
        except ValueError:
            return False
        return None


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


class AddressRecognizer(_Recognizer):
    """Road-name (…로/…길 + building number) and lot-number (…동/리/가 + 번지) addresses,
    from the province or district down to the building number."""

    ENTITY = "address"
    # 세종특별자치시 has no district: a province may stand alone before the road.
    _AREA = r"(?<![가-힣])(?:" + _PROVINCE + r"\s+(?:" + _DISTRICT + r"\s+){0,2}|(?:" + _DISTRICT + r"\s+){1,2})" \
            r"(?:[가-힣]{1,5}(?:읍|면)\s+)?"
    PATTERNS = [
        Pattern("road", _AREA + _ROAD + r"(?:\s?\d{1,4}(?:번?길|가길))?\s?" + _BUILDING, 0.6),
        Pattern("lot", _AREA + r"[가-힣0-9]{1,8}(?:동|리|가)\s+(?:산\s?)?" + _BUILDING + r"(?:번지)?", 0.5),
    ]


def _korean(cls, entity: str, **kwargs):
    """presidio's Korean recognizer with Korean context words, reporting our entity name."""
    recognizer = cls(context=CONTEXT[entity] + list(cls.CONTEXT), supported_language=LANGUAGE,
                     supported_entity=entity, **kwargs)
    recognizer.name = f"kopile_{entity}"
    return recognizer


def _registration_number(cls, entity: str, gender_digits: str):
    date = r"(?<!\d)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    # Bare, with a context word: 0.45, above a bare account number's 0.4 in the same place.
    patterns = [Pattern(f"{entity} hyphenated", date + f"-[{gender_digits}]\\d{{6}}(?!\\d)", 0.5),
                Pattern(f"{entity} bare", date + f"[{gender_digits}]\\d{{6}}(?!\\d)", 0.1)]
    return _korean(_bare_needs_context(cls), entity, patterns=patterns)


def recognizers(entities) -> list:
    builders = {
        "phone": PhoneRecognizer,
        "email": EmailRecognizer,
        "rrn": lambda: _registration_number(KrRrnRecognizer, "rrn", "1-4"),
        "frn": lambda: _registration_number(KrFrnRecognizer, "frn", "5-8"),
        "passport": lambda: _korean(KrPassportRecognizer, "passport"),
        "driver_license": lambda: _korean(_bare_needs_context(KrDriverLicenseRecognizer), "driver_license"),
        "business_number": lambda: _korean(_bare_needs_context(KrBrnRecognizer), "business_number"),
        "card": CardRecognizer,
        "account": AccountRecognizer,
        "ip": IpRecognizer,
        "address": AddressRecognizer,
    }
    return [builders[e]() for e in entities]


from kopile.filters.pii.entities import ENTITIES  # noqa: E402,F401  (re-exported: recognizers are per entity)

# Cheap expressions that every match of a recognizer needs, the entities they can lead to,
# and how many characters around them to hand to presidio: enough for the entity itself and
# for its context words (presidio looks five tokens back and three ahead).
CANDIDATES = {
    "number": (re.compile(r"\d{2,}[-. )]?\d{3,}|[A-Za-z]\d{3}[A-Za-z]\d{4}|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"),
               ("phone", "rrn", "frn", "passport", "driver_license", "business_number", "card", "account", "ip"), 32),
    "email": (re.compile(r"@"), ("email",), 72),
    "ipv6": (re.compile(r"(?:[0-9A-Fa-f]{1,4}:){3}"), ("ip",), 48),
    "address": (re.compile(r"(?:시|군|구|읍|면|세종)\s+[가-힣0-9]{1,12}(?:로|길|동|리|가)\s?(?:산\s?)?\d"),
                ("address",), 40),
}
