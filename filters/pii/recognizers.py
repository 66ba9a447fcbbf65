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
import re

from presidio_analyzer import Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, KrBrnRecognizer,
                                                      KrDriverLicenseRecognizer, KrFrnRecognizer,
                                                      KrPassportRecognizer, KrRrnRecognizer)

LANGUAGE = "ko"

CONTEXT = {
    "phone": ["연락처", "전화", "휴대폰", "핸드폰", "휴대전화", "문의", "번호", "tel", "phone", "mobile", "hp", "fax", "팩스"],
    "email": ["이메일", "메일", "e-mail", "email", "mail", "전자우편"],
    "rrn": ["주민등록번호", "주민번호", "주민등록", "생년월일", "resident"],
    "frn": ["외국인등록번호", "외국인번호", "외국인등록", "alien", "foreigner"],
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

_NOT_DIGIT_BEFORE = r"(?<![\d\-.+])"
_NOT_DIGIT_AFTER = r"(?![\d])"
_SEP = r"[-.\s]?"


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
        Pattern("mobile", _NOT_DIGIT_BEFORE + r"(?:\+82[-.\s]?0?|0)1[016789]" + _SEP + r"\d{3,4}" + _SEP
                + r"\d{4}" + _NOT_DIGIT_AFTER, 0.7),
        Pattern("landline", _NOT_DIGIT_BEFORE + r"(?:\+82[-.\s]?0?|0)(?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70|50\d)"
                r"(?:[-.\s]|\)\s?)\d{3,4}[-.\s]\d{4}" + _NOT_DIGIT_AFTER, 0.6),
        Pattern("landline_parenthesised", r"\(0(?:2|[3-6]\d|70)\)\s?\d{3,4}-\d{4}" + _NOT_DIGIT_AFTER, 0.6),
        # 1588-1234: only with the hyphen, since four plus four digits are also years and counts.
        Pattern("service", _NOT_DIGIT_BEFORE + r"1[5-9]\d{2}-\d{4}" + _NOT_DIGIT_AFTER, 0.5),
    ]


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


class CardRecognizer(CreditCardRecognizer):
    """Card numbers with Luhn validation (presidio's), bounded for Korean particles."""

    def __init__(self):
        patterns = [Pattern("card", _NOT_DIGIT_BEFORE + r"(?:\d{4}[-\s]?){3}\d{4}" + _NOT_DIGIT_AFTER, 0.4),
                    Pattern("amex", _NOT_DIGIT_BEFORE + r"3[47]\d{2}[-\s]?\d{6}[-\s]?\d{5}" + _NOT_DIGIT_AFTER, 0.4)]
        super().__init__(patterns=patterns, context=CONTEXT["card"], supported_language=LANGUAGE,
                         supported_entity="card", name="kopile_card")


class IpRecognizer(_Recognizer):
    ENTITY = "ip"
    PATTERNS = [
        Pattern("ipv4", r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
                        r"(?![\d.]*\d)", 0.6),
        # Full IPv6 with at least four groups: presidio's own fires on the `::` of emoticons.
        Pattern("ipv6", r"(?<![:\w])(?:[0-9A-Fa-f]{1,4}:){3,7}[0-9A-Fa-f]{1,4}(?![:\w])", 0.6),
    ]

    def validate_result(self, pattern_text: str):
        try:
            ipaddress.ip_address(pattern_text)
        except ValueError:
            return False
        return True


class AccountRecognizer(_Recognizer):
    """Bank accounts: 10 to 14 digits in three or four hyphenated groups, as Korean banks print
    them (국민 123456-01-234567, 신한 110-123-456789, 우리 1002-123-456789, 하나 123-456789-12345,
    농협 301-1234-5678-91). Too common a shape to stand alone: it needs a bank name or 계좌 nearby.
    """

    ENTITY = "account"
    PATTERNS = [Pattern("account", _NOT_DIGIT_BEFORE + r"\d{2,6}-\d{2,6}-\d{2,6}(?:-\d{1,3})?(?![\d-])", 0.2)]

    def validate_result(self, pattern_text: str):
        # None, not True: the length is plausible, but only context makes it an account.
        return None if 10 <= sum(c.isdigit() for c in pattern_text) <= 14 else False


_PROVINCE = (r"(?:서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충북|충남|전북|전남|경북|경남|제주|"
             r"충청북|충청남|전라북|전라남|경상북|경상남)(?:특별시|광역시|특별자치시|특별자치도|도|시)?")
_DISTRICT = r"[가-힣]{1,5}(?:시|군|구)"
_BUILDING = r"\d{1,5}(?:-\d{1,4})?"


class AddressRecognizer(_Recognizer):
    """Road-name (…로/…길 + building number) and lot-number (…동/리/가 + 번지) addresses,
    from the province or district down to the building number."""

    ENTITY = "address"
    PATTERNS = [
        Pattern("road", r"(?<![가-힣])(?:" + _PROVINCE + r"\s+)?(?:" + _DISTRICT + r"\s+){1,2}(?:[가-힣]{1,5}(?:읍|면)\s+)?"
                        r"[가-힣0-9]{1,10}(?:로|길)(?:\s?\d{1,4}(?:번?길|가길))?\s?" + _BUILDING + r"(?![\d])", 0.6),
        Pattern("lot", r"(?<![가-힣])(?:" + _PROVINCE + r"\s+)?(?:" + _DISTRICT + r"\s+){1,2}(?:[가-힣]{1,5}(?:읍|면)\s+)?"
                       r"[가-힣0-9]{1,8}(?:동|리|가)\s+(?:산\s?)?" + _BUILDING + r"(?:번지)?(?![\d])", 0.5),
    ]


def _korean(cls, entity: str, **kwargs):
    """presidio's Korean recognizer with Korean context words, reporting our entity name."""
    recognizer = cls(context=CONTEXT[entity] + list(cls.CONTEXT), supported_language=LANGUAGE,
                     supported_entity=entity, **kwargs)
    recognizer.name = f"kopile_{entity}"
    return recognizer


def _registration_number(cls, entity: str, gender_digits: str):
    """Resident and foreigner numbers: the hyphenated form on its own, the 13 bare digits only
    with a context word, since 880… EAN-13 barcodes and other long numbers share that shape."""

    class Recognizer(cls):
        def validate_result(self, pattern_text: str):
            valid = super().validate_result(pattern_text)
            return valid if "-" in pattern_text or valid is False else None

    date = r"(?<!\d)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    patterns = [Pattern(f"{entity} hyphenated", date + f"-[{gender_digits}]\\d{{6}}(?!\\d)", 0.5),
                Pattern(f"{entity} bare", date + f"[{gender_digits}]\\d{{6}}(?!\\d)", 0.05)]
    return _korean(Recognizer, entity, patterns=patterns)


def recognizers(entities) -> list:
    builders = {
        "phone": PhoneRecognizer,
        "email": EmailRecognizer,
        "rrn": lambda: _registration_number(KrRrnRecognizer, "rrn", "1-4"),
        "frn": lambda: _registration_number(KrFrnRecognizer, "frn", "5-8"),
        "passport": lambda: _korean(KrPassportRecognizer, "passport"),
        "driver_license": lambda: _korean(KrDriverLicenseRecognizer, "driver_license"),
        "business_number": lambda: _korean(KrBrnRecognizer, "business_number"),
        "card": CardRecognizer,
        "account": AccountRecognizer,
        "ip": IpRecognizer,
        "address": AddressRecognizer,
    }
    return [builders[e]() for e in entities]


ENTITIES = ("phone", "email", "rrn", "frn", "passport", "driver_license", "business_number", "card", "account",
            "ip", "address")

# One cheap expression that anything above needs: a long digit run (optionally split by one
# separator), an @, a road/lot name followed by a number, a new-style passport, IPv6 groups. Documents without it skip presidio.
PRESCREEN = re.compile(r"\d{2,}[-.\s)]?\d{3,}|@|[가-힣](?:로|길|동|리|가)\s?\d|[A-Za-z]\d{3}[A-Za-z]\d{4}|(?:[0-9A-Fa-f]{1,4}:){3}")
