"""A labeled PII evaluation set: real Korean text with synthetic personal information inserted.

Real text comes from ../shared/data (Blue House petitions and Korean Wikipedia). Excerpts that
might already hold personal information (long digit runs, @, IP-like or address-like strings,
passport-like codes) are skipped, so that every piece of PII in a document is one this module
inserted and recorded: gold spans are exact by construction. The petitions hold real phone
numbers and e-mail addresses; the screen keeps them out of the set, and nothing here prints text.

Inserted sentences put each value in Korean context with the particle a Korean writer would
attach (`010-1234-5678로`, `kim@naver.com으로`, `테헤란로 123에서`), in many surface forms.
Hard negatives (dates, prices, times, versions, ISBNs, barcodes, order and tracking numbers,
scores, years, arithmetic, road names without a building number ...) go into documents with and
without PII, and about 40% of documents get no PII at all.

Values are generated here rather than taken from Faker where Faker is not realistic for Korea
(see `faker_realism`: its resident numbers fail the checksum and often the date, nearly all
its phone numbers are landlines, its addresses pair provinces with districts of other
provinces). Faker (ko_KR) supplies names, company names, e-mail user names and public IPv4s.

    benchmarks/.venv-bench/bin/python benchmarks/pii_labeled.py --docs 20 --show 3   # look at a few
"""
from __future__ import annotations

import gzip
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PETITIONS = SHARED / "data" / "petitions" / "petitions.jsonl.gz"
KOWIKI = SHARED / "data" / "kowiki" / "kowiki_sample.jsonl.gz"

STRUCTURED = ("phone", "email", "rrn", "frn", "card", "account", "ip", "passport", "driver_license",
              "business_number")
ENTITY_TYPES = STRUCTURED + ("address", "person")


def require_shared() -> None:
    missing = [p for p in (PETITIONS, KOWIKI) if not p.is_file()]
    if missing:
        sys.exit(f"this benchmark needs ../shared/data next to the repository; missing: "
                 f"{', '.join(str(p) for p in missing)}")


# --- real text ----------------------------------------------------------------------------------

def read_jsonl(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def load_petitions() -> list[str]:
    return [d["text"] for d in read_jsonl(PETITIONS)]


def load_wiki_articles(min_chars: int = 200) -> list[str]:
    """Wikipedia documents that are more than a title (the corpus notes' stub test) and at
    least `min_chars` long."""
    return [d["text"] for d in read_jsonl(KOWIKI)
            if len(d["text"]) > len(d["title"]) + 1 and len(d["text"]) >= min_chars]


# Anything that might be personal information already present in the real text. It is broad on
# purpose: an excerpt it rejects costs nothing, an excerpt with real PII it lets through would
# turn a correct detection into a false positive. It is not broader than that, though: prose that
# merely looks like an address (인구 증가로 2002년, 선거구가 6개로) or a year range (1848-1852)
# must stay in, or the set would hide exactly the false positives real text produces.
_DIGIT_GROUPS = re.compile(r"\d+(?:[-.\s/)(]{1,2}\d+)*")
# A number followed by one of these is a count, a date or a measure, not a building number.
_UNITS = (r"년|월|일|세기|세|살|개|명|만|억|천|백|회|번째|번|차|위|등|점|배|부|장|권|편|곡|인|가지|주|층|호선|호|원|"
          r"달러|시간|시|분|초|km|m|cm|mm|kg|g|%|‰|bp|대|선|골|타|승|패|경기|미터|킬로|평|동|리")
PII_SCREEN = re.compile(
    r"@|＠"
    r"|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"                     # IP-like
    r"|[A-Za-z]\d{8}|[A-Za-z]\d{3}[A-Za-z]\d{4}"                # passport-like
    r"|[가-힣\d](?:로|길|동|리|가)\s?\d+(?:-\d+)?(?![\d.,]\d|\d)(?!\s*(?:" + _UNITS + r"))"  # road / lot number
    r"|\d+\s?번지|\d\s?번?길\s?\d"
    r"|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}"       # IPv6-like
)
_SERVICE_OR_YEARS = re.compile(r"(?<!\d)(1[5-9]\d\d)[-.\s](\d{4})(?!\d)")


def might_hold_pii(text: str) -> bool:
    if PII_SCREEN.search(text):
        return True
    # 1588-1234 is a service number, 1848-1852 a lifetime: the same shape.
    for m in _SERVICE_OR_YEARS.finditer(text):
        first, second = int(m.group(1)), int(m.group(2))
        if not first <= second <= first + 150:
            return True
    # Nine or more digits in one run of digit groups: phones, RRNs, accounts, cards, licences.
    return any(sum(c.isdigit() for c in m.group()) >= 9 for m in _DIGIT_GROUPS.finditer(text))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences(text: str) -> list[tuple[str, str]]:
    """(sentence, separator that followed it) pairs; joining them gives the text back."""
    out, last = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > last:
            out.append((text[last:m.start()], m.group()))
        last = m.end()
    if last < len(text):
        out.append((text[last:], ""))
    return out


# --- Korean particles ---------------------------------------------------------------------------

# How the last character of a value is read aloud decides the particle: 0 영, 3 삼, 6 육 end in a
# consonant, 1 일, 7 칠, 8 팔 in ㄹ, the other digits in a vowel; letters as spelled in Korean
# (m 엠, n 엔, l 엘, r 알); domains as read (com 컴, net 넷, kr 케이알).
_DIGIT_CODA = {"0": "c", "1": "l", "2": "", "3": "c", "4": "", "5": "", "6": "c", "7": "l", "8": "l", "9": ""}
_LETTER_CODA = {"l": "l", "r": "l", "m": "c", "n": "c"}
_WORD_CODA = {"com": "c", "net": "c", "kr": "l", "org": "", "io": "", "co": ""}


def _coda(value: str) -> str:
    """'' (ends in a vowel), 'l' (ends in ㄹ) or 'c' (another final consonant)."""
    last_word = re.search(r"[A-Za-z]+$", value)
    if last_word and last_word.group().lower() in _WORD_CODA:
        return _WORD_CODA[last_word.group().lower()]
    ch = value[-1]
    if "가" <= ch <= "힣":
        final = (ord(ch) - 0xAC00) % 28
        return "" if final == 0 else ("l" if final == 8 else "c")
    if ch.isdigit():
        return _DIGIT_CODA[ch]
    if ch.isalpha():
        return _LETTER_CODA.get(ch.lower(), "")
    return ""


def particle(value: str, which: str) -> str:
    coda = _coda(value)
    if which == "으로":
        return "으로" if coda == "c" else "로"
    pairs = {"을": ("을", "를"), "이": ("이", "가"), "은": ("은", "는"), "과": ("과", "와"),
             "이에요": ("이에요", "예요"), "이다": ("이다", "다"), "이고": ("이고", "고"), "이나": ("이나", "나")}
    with_coda, without = pairs[which]
    return with_coda if coda else without


# --- value generators ---------------------------------------------------------------------------

def luhn_digit(body: str) -> str:
    total = 0
    for i, d in enumerate(reversed(body)):
        n = int(d)
        if i % 2 == 0:
            n *= 2
            n -= 9 if n > 9 else 0
        total += n
    return str((10 - total % 10) % 10)


def luhn_ok(number: str) -> bool:
    digits = re.sub(r"\D", "", number)
    return len(digits) > 1 and luhn_digit(digits[:-1]) == digits[-1]


_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def rrn_check(first12: str) -> int:
    return (11 - sum(int(d) * w for d, w in zip(first12, _RRN_WEIGHTS)) % 11) % 10


def frn_check(first12: str) -> int:
    """The foreigner number's check digit: the resident one plus 2, modulo 10."""
    return (rrn_check(first12) + 2) % 10


def rrn_date_ok(digits: str) -> bool:
    import datetime
    century = {"1": 1900, "2": 1900, "3": 2000, "4": 2000, "5": 1900, "6": 1900, "7": 2000, "8": 2000,
               "9": 1800, "0": 1800}[digits[6]]
    try:
        datetime.date(century + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return False
    return True


def brn_check(first9: str) -> int:
    keys = (1, 3, 7, 1, 3, 7, 1, 3, 5)
    total = sum(int(d) * k for d, k in zip(first9[:8], keys))
    last = int(first9[8]) * 5
    total += last // 10 + last
    return (10 - total % 10) % 10


def ean13_digit(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def isbn13_digit(first12: str) -> str:
    return ean13_digit(first12)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _birth(rng: random.Random, lo: int, hi: int) -> tuple[int, int, int]:
    import datetime
    start, end = datetime.date(lo, 1, 1).toordinal(), datetime.date(hi, 12, 31).toordinal()
    d = datetime.date.fromordinal(rng.randint(start, end))
    return d.year, d.month, d.day


def gen_rrn(rng: random.Random) -> tuple[str, str]:
    form = rng.choices(["hyphen", "plain", "post2020", "spaced", "spaced_hyphen"], [75, 10, 5, 6, 4])[0]
    if form == "post2020":
        # Numbers given since October 2020 carry a random tail, no check digit.
        year, month, day = _birth(rng, 2020, 2023)
        month = max(month, 10) if year == 2020 else month
        g = rng.choice("34")
        return f"{year % 100:02d}{month:02d}{day:02d}-{g}{_digits(rng, 6)}", form
    year, month, day = _birth(rng, 1940, 2019)
    g = rng.choice("12") if year < 2000 else rng.choice("34")
    body = f"{year % 100:02d}{month:02d}{day:02d}{g}{rng.randint(0, 95):02d}{_digits(rng, 3)}"
    full = body + str(rrn_check(body))
    sep = {"hyphen": "-", "spaced": " ", "spaced_hyphen": " - "}.get(form)
    return (full[:6] + sep + full[6:], form) if sep else (full, form)


def gen_frn(rng: random.Random) -> tuple[str, str]:
    form = rng.choices(["hyphen", "plain"], [85, 15])[0]
    year, month, day = _birth(rng, 1950, 2012)
    g = rng.choice("56") if year < 2000 else rng.choice("78")
    body = f"{year % 100:02d}{month:02d}{day:02d}{g}{rng.randint(0, 95):02d}{_digits(rng, 3)}"
    full = body + str(frn_check(body))
    return (full[:6] + "-" + full[6:], form) if form == "hyphen" else (full, form)


_MOBILE_PREFIX = ["010"] * 30 + ["011", "016", "017", "019"]
_AREA_CODES = ["031", "032", "033", "041", "042", "043", "044", "051", "052", "053", "054", "055",
               "061", "062", "063", "064"]
_SERVICE_PREFIX = ["1588", "1577", "1544", "1566", "1599", "1600", "1644", "1661", "1670", "1688", "1800",
                   "1833", "1855", "1899", "1522", "1644"]


def gen_phone(rng: random.Random) -> tuple[str, str]:
    form = rng.choices(
        ["mobile_hyphen", "mobile_plain", "mobile_space", "mobile_dot", "intl", "seoul", "area", "area_paren",
         "voip", "service", "safe_050", "mobile_paren", "intl_paren_zero", "tollfree_080", "service_yearlike"],
        [30, 9, 6, 4, 7, 10, 12, 3, 6, 10, 3, 4, 3, 3, 3])[0]
    if form == "mobile_paren":
        return f"(010){rng.randint(2, 9)}{_digits(rng, 3)}-{_digits(rng, 4)}", form
    if form == "intl_paren_zero":
        return f"+82 (0)10-{rng.randint(2, 9)}{_digits(rng, 3)}-{_digits(rng, 4)}", form
    if form == "tollfree_080":
        return f"080-{rng.randint(2, 9)}{_digits(rng, 2)}-{_digits(rng, 4)}", form
    if form == "service_yearlike":
        # 1588-1600: the two halves read as a span of years; sentences around it say 대표번호.
        first = rng.choice(["1588", "1544", "1566", "1644", "1661", "1800", "1899"])
        return f"{first}-{int(first) + rng.randint(1, 120)}", form
    if form.startswith("mobile"):
        prefix = rng.choice(_MOBILE_PREFIX)
        mid = _digits(rng, 4 if prefix == "010" else rng.choice([3, 4]))
        mid = str(rng.randint(2, 9)) + mid[1:]
        last = _digits(rng, 4)
        sep = {"mobile_hyphen": "-", "mobile_plain": "", "mobile_space": " ", "mobile_dot": "."}[form]
        return f"{prefix}{sep}{mid}{sep}{last}", form
    if form == "intl":
        mid, last = str(rng.randint(2, 9)) + _digits(rng, 3), _digits(rng, 4)
        style = rng.randrange(4)
        value = [f"+82 10-{mid}-{last}", f"+82-10-{mid}-{last}", f"+821{0}{mid}{last}", f"+82 10 {mid} {last}"][style]
        return value, form
    if form == "seoul":
        mid = str(rng.randint(2, 9)) + _digits(rng, rng.choice([2, 3]))
        return f"02-{mid}-{_digits(rng, 4)}", form
    if form in ("area", "area_paren"):
        code = rng.choice(_AREA_CODES)
        mid = str(rng.randint(2, 9)) + _digits(rng, rng.choice([2, 3]))
        if form == "area_paren":
            return f"({code}) {mid}-{_digits(rng, 4)}", form
        return f"{code}-{mid}-{_digits(rng, 4)}", form
    if form == "voip":
        return f"070-{rng.randint(2, 8)}{_digits(rng, 3)}-{_digits(rng, 4)}", form
    if form == "safe_050":
        return f"0505-{rng.randint(1, 9)}{_digits(rng, 2)}-{_digits(rng, 4)}", form
    return f"{rng.choice(_SERVICE_PREFIX)}-{_digits(rng, 4)}", form


_EMAIL_DOMAINS = (["naver.com"] * 8 + ["gmail.com"] * 6 + ["daum.net"] * 3 + ["hanmail.net"] * 3
                  + ["kakao.com", "nate.com", "korea.kr", "hotmail.com", "yahoo.co.kr", "snu.ac.kr", "kaist.ac.kr",
                     "outlook.com", "icloud.com", "samsung.com", "lgcns.com", "seoul.go.kr"])


def gen_email(rng: random.Random, fake) -> tuple[str, str]:
    user = fake.user_name()
    form = rng.choices(["plain", "digits", "dotted", "plus", "company"], [40, 25, 15, 5, 15])[0]
    if form == "digits":
        user += str(rng.randint(1, 9999))
    elif form == "dotted":
        user = user[: max(2, len(user) // 2)] + rng.choice("._-") + user[max(2, len(user) // 2):] + "1"
    elif form == "plus":
        user += "+news"
    domain = fake.domain_name() if form == "company" else rng.choice(_EMAIL_DOMAINS)
    if rng.random() < 0.2:
        # Typed to keep crawlers off: kim(at)naver.com, kim 골뱅이 naver.com, kim@naver 점 com.
        style = rng.randrange(5)
        at = ["(at)", "[at]", " 골뱅이 ", "@", " at "][style]
        dot = [".", ".", ".", " 점 ", " dot "][style]
        return f"{user}{at}{domain.replace('.', dot)}", f"obfuscated{style}"
    return f"{user}@{domain}", form


_CARD_BINS = (["4"] * 35 + ["51", "52", "53", "54", "55"] * 6 + ["9410", "9420", "9430", "9490", "6253"] * 2
              + ["35"] * 4 + ["37"] * 3)


def gen_card(rng: random.Random) -> tuple[str, str]:
    bin_ = rng.choice(_CARD_BINS)
    if bin_ == "37":
        body = bin_ + _digits(rng, 12)
        number = body + luhn_digit(body)
        return f"{number[:4]}-{number[4:10]}-{number[10:]}", "amex"
    body = bin_ + _digits(rng, 15 - len(bin_))
    number = body + luhn_digit(body)
    form = rng.choices(["hyphen", "space", "plain"], [60, 20, 20])[0]
    sep = {"hyphen": "-", "space": " ", "plain": ""}[form]
    if bin_.startswith("9"):
        form += "_domestic"
    return sep.join(number[i:i + 4] for i in range(0, 16, 4)), form


# (how the bank is named, the group lengths it prints, a fixed prefix if it has one)
_BANKS = [
    ("국민은행", (6, 2, 6), ""), ("KB국민은행", (6, 2, 6), ""), ("신한은행", (3, 3, 6), "110"),
    ("우리은행", (4, 3, 6), "1002"), ("하나은행", (3, 6, 5), ""), ("농협", (3, 4, 4, 2), "3"),
    ("NH농협은행", (3, 4, 4, 2), "3"), ("기업은행", (3, 6, 2, 3), ""), ("IBK기업은행", (3, 6, 2, 3), ""),
    ("카카오뱅크", (4, 2, 7), "3333"), ("토스뱅크", (4, 4, 4), "1000"), ("우체국", (6, 2, 6), ""),
    ("SC제일은행", (3, 2, 6), ""), ("새마을금고", (4, 4, 4, 1), "9003"), ("케이뱅크", (3, 3, 6), "100"),
    ("부산은행", (3, 4, 4, 2), "1"), ("대구은행", (3, 2, 6, 1), "5"),
    # How people name their bank in a chat or a comment: 하나, 우리, 국민, KB, 카뱅, 토스.
    ("하나", (3, 6, 5), ""), ("우리", (4, 3, 6), "1002"), ("국민", (6, 2, 6), ""), ("KB", (6, 2, 6), ""),
    ("카뱅", (4, 2, 7), "3333"), ("토스", (4, 4, 4), "1000"),
]


def gen_account(rng: random.Random) -> tuple[str, str, str]:
    """(number, form, bank name): the bank goes into the context sentence."""
    bank, groups, prefix = rng.choice(_BANKS)
    digits = prefix + _digits(rng, sum(groups) - len(prefix))
    form = rng.choices(["hyphen", "plain"], [85, 15])[0]
    if form == "plain":
        return digits, form, bank
    parts, i = [], 0
    for g in groups:
        parts.append(digits[i:i + g])
        i += g
    return "-".join(parts), form, bank


def gen_ip(rng: random.Random, fake) -> tuple[str, str]:
    form = rng.choices(["ipv4", "ipv6_compressed", "ipv4_short"], [70, 15, 15])[0]
    if form == "ipv6_compressed":
        groups = [f"{rng.randint(1, 0xffff):x}" for _ in range(rng.randint(1, 3))]
        return rng.choice(["2001:db8", "fe80", "2404:6800", "2001:4860"]) + "::" + ":".join(groups), form
    if form == "ipv4_short":
        return rng.choice(["8.8.8.8", "1.1.1.1", "9.9.9.9", "8.8.4.4", "1.0.0.1"]), form
    return fake.ipv4_public(), "ipv4"


def gen_passport(rng: random.Random) -> tuple[str, str]:
    letter = rng.choices("MSRODGT", [76, 8, 4, 3, 3, 3, 3])[0]
    if rng.random() < 0.35:
        # The passport given since December 2021: letter, 3 digits, letter, 4 digits.
        return f"{letter}{_digits(rng, 3)}{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{_digits(rng, 4)}", "new"
    return f"{letter}{_digits(rng, 8)}", "old"


_LICENCE_REGIONS = ["11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23", "24", "25",
                    "26", "28"]


def gen_driver_license(rng: random.Random) -> tuple[str, str]:
    parts = [rng.choice(_LICENCE_REGIONS), f"{rng.randint(0, 24):02d}", _digits(rng, 6), _digits(rng, 2)]
    form = rng.choices(["hyphen", "plain", "region_name"], [76, 12, 12])[0]
    if form == "region_name":
        region = rng.choice(["서울", "부산", "경기", "강원", "충북", "충남", "전북", "전남", "경북", "경남", "제주", "대구", "인천",
                             "광주", "대전", "울산"])
        return f"{region}{rng.choice([' ', ''])}{'-'.join(parts[1:])}", form
    return ("-" if form == "hyphen" else "").join(parts), form


def gen_business_number(rng: random.Random) -> tuple[str, str]:
    body = f"{rng.randint(101, 899)}{rng.randint(1, 99):02d}{_digits(rng, 4)}"
    full = body + str(brn_check(body))
    form = rng.choices(["hyphen", "plain"], [85, 15])[0]
    return (f"{full[:3]}-{full[3:5]}-{full[5:]}" if form == "hyphen" else full), form


# Real districts with real road names and neighbourhoods: (province full, short, district, roads, dongs).
_URBAN = [
    ("서울특별시", "서울", "강남구", ["테헤란로", "강남대로", "논현로", "도산대로", "봉은사로", "언주로"], ["역삼동", "삼성동", "대치동", "논현동"]),
    ("서울특별시", "서울", "종로구", ["종로", "율곡로", "자하문로", "대학로"], ["청운동", "혜화동", "인사동", "평창동"]),
    ("서울특별시", "서울", "중구", ["세종대로", "을지로", "퇴계로", "다산로"], ["명동", "신당동", "회현동"]),
    ("서울특별시", "서울", "마포구", ["월드컵로", "양화로", "와우산로", "독막로"], ["서교동", "합정동", "망원동", "연남동"]),
    ("서울특별시", "서울", "송파구", ["올림픽로", "송파대로", "위례성대로", "백제고분로"], ["잠실동", "가락동", "문정동", "방이동"]),
    ("서울특별시", "서울", "영등포구", ["여의대로", "국회대로", "영중로", "당산로"], ["여의도동", "당산동", "문래동"]),
    ("서울특별시", "서울", "관악구", ["관악로", "남부순환로", "신림로", "봉천로"], ["봉천동", "신림동"]),
    ("서울특별시", "서울", "서초구", ["서초대로", "반포대로", "강남대로", "방배로"], ["서초동", "반포동", "방배동", "양재동"]),
    ("서울특별시", "서울", "노원구", ["동일로", "노해로", "한글비석로"], ["상계동", "중계동", "하계동"]),
    ("부산광역시", "부산", "해운대구", ["센텀중앙로", "해운대로", "달맞이길", "좌동순환로"], ["우동", "중동", "좌동", "재송동"]),
    ("부산광역시", "부산", "부산진구", ["중앙대로", "서면로", "전포대로", "가야대로"], ["부전동", "전포동", "범천동"]),
    ("대구광역시", "대구", "중구", ["동성로", "국채보상로", "달구벌대로"], ["동인동", "삼덕동", "대봉동"]),
    ("대구광역시", "대구", "수성구", ["달구벌대로", "동대구로", "수성로"], ["범어동", "만촌동", "황금동"]),
    ("인천광역시", "인천", "연수구", ["컨벤시아대로", "송도과학로", "인천타워대로"], ["송도동", "연수동", "동춘동"]),
    ("인천광역시", "인천", "남동구", ["인주대로", "예술로", "남동대로"], ["구월동", "간석동", "논현동"]),
    ("광주광역시", "광주", "서구", ["상무대로", "무진대로", "내방로"], ["치평동", "화정동", "쌍촌동"]),
    ("대전광역시", "대전", "유성구", ["대학로", "대덕대로", "엑스포로", "한밭대로"], ["궁동", "봉명동", "도룡동", "노은동"]),
    ("대전광역시", "대전", "서구", ["둔산로", "한밭대로", "계룡로"], ["둔산동", "월평동", "탄방동"]),
    ("울산광역시", "울산", "남구", ["삼산로", "번영로", "문수로"], ["삼산동", "달동", "신정동"]),
    ("경기도", "경기", "수원시 영통구", ["광교중앙로", "영통로", "매영로"], ["이의동", "원천동", "영통동"]),
    ("경기도", "경기", "성남시 분당구", ["판교역로", "분당로", "황새울로", "정자일로"], ["정자동", "서현동", "삼평동", "백현동"]),
    ("경기도", "경기", "고양시 일산동구", ["중앙로", "정발산로", "장항로"], ["장항동", "마두동", "백석동"]),
    ("경기도", "경기", "용인시 수지구", ["포은대로", "풍덕천로", "수지로"], ["풍덕천동", "죽전동", "상현동"]),
    ("강원특별자치도", "강원", "춘천시", ["중앙로", "공지로", "후석로"], ["효자동", "석사동", "퇴계동"]),
    ("충청북도", "충북", "청주시 상당구", ["상당로", "대성로", "단재로"], ["북문로1가", "용암동", "금천동"]),
    ("충청남도", "충남", "천안시 동남구", ["만남로", "충절로", "청수14로"], ["신부동", "청당동", "원성동"]),
    ("전북특별자치도", "전북", "전주시 완산구", ["팔달로", "홍산로", "기린대로"], ["중앙동", "효자동", "서신동"]),
    ("전라남도", "전남", "여수시", ["시청로", "좌수영로", "여수시청로"], ["학동", "문수동", "여서동"]),
    ("경상북도", "경북", "포항시 남구", ["포스코대로", "희망대로", "대잠동길"], ["대잠동", "상도동", "해도동"]),
    ("경상남도", "경남", "창원시 의창구", ["중앙대로", "원이대로", "창이대로"], ["용호동", "팔용동", "봉곡동"]),
    ("제주특별자치도", "제주", "제주시", ["문연로", "중앙로", "연북로", "노연로"], ["연동", "이도이동", "노형동"]),
    ("제주특별자치도", "제주", "서귀포시", ["중정로", "일주동로", "신중로"], ["서귀동", "동홍동", "법환동"]),
    ("세종특별자치시", "세종", "", ["한누리대로", "갈매로", "도움6로", "다솜로"], ["어진동", "나성동", "보람동"]),
]
# Rural lot-number addresses: (province full, short, county or city, town, villages).
_RURAL = [
    ("경기도", "경기", "가평군", "가평읍", ["읍내리", "대곡리", "달전리"]),
    ("전라남도", "전남", "해남군", "해남읍", ["구교리", "해리", "연동리"]),
    ("경상북도", "경북", "안동시", "풍천면", ["하회리", "구담리", "가곡리"]),
    ("충청남도", "충남", "공주시", "우성면", ["동대리", "보흥리", "귀산리"]),
    ("강원특별자치도", "강원", "평창군", "대관령면", ["횡계리", "용산리", "수하리"]),
    ("경상남도", "경남", "하동군", "화개면", ["탑리", "운수리", "정금리"]),
    ("충청북도", "충북", "괴산군", "괴산읍", ["동부리", "서부리", "대사리"]),
    ("전북특별자치도", "전북", "고창군", "고창읍", ["읍내리", "월곡리", "덕정리"]),
]

_TOWN_ROADS = ["군청길", "중앙로", "시장길", "읍내로", "역전길", "문화로", "향교길", "터미널길"]


def _province(rng: random.Random, full: str, short: str) -> str:
    """How a writer names the province: in full, shortened, as '서울시', or not at all."""
    style = rng.choices(["full", "short", "si", "none"], [55, 20, 10, 15])[0]
    if style == "full":
        return full + " "
    if style == "short":
        return short + " "
    if style == "si" and full.endswith(("특별시", "광역시")):
        return short + "시 "
    return ""


def gen_address(rng: random.Random) -> tuple[str, str]:
    kind = rng.choices(["road", "road_gil", "road_sub", "lot", "lot_beonji", "lot_san", "rural", "rural_road"],
                       [33, 14, 14, 14, 4, 3, 10, 8])[0]
    if kind.startswith("rural"):
        full, short, county, town, villages = rng.choice(_RURAL)
        prov = _province(rng, full, short) or full + " "
        if kind == "rural_road":
            # Towns (읍/면) have road names too: 영덕읍 군청길 58, 기장읍 기장대로 313.
            return f"{prov}{county} {town} {rng.choice(_TOWN_ROADS)} {rng.randint(1, 400)}", kind
        sub = f"-{rng.randint(1, 20)}" if rng.random() < 0.5 else ""
        return f"{prov}{county} {town} {rng.choice(villages)} {rng.randint(1, 999)}{sub}", kind
    full, short, district, roads, dongs = rng.choice(_URBAN)
    prov = _province(rng, full, short)
    if not district:
        prov = prov or full + " "  # 세종 has no district: the province must be there
    head = f"{prov}{district + ' ' if district else ''}"
    if not head.strip():
        head = full + " "
    if kind.startswith("lot"):
        number = f"{rng.randint(1, 999)}-{rng.randint(1, 60)}" if rng.random() < 0.7 else str(rng.randint(1, 999))
        if kind == "lot_san":
            # Lots on hillside land: 주례동 산 18번지, 아현동 산7번지.
            number = rng.choice(["산 ", "산"]) + str(rng.randint(1, 199)) + rng.choice(["", "번지"])
        return f"{head}{rng.choice(dongs)} {number}{'번지' if kind == 'lot_beonji' else ''}", kind
    road = rng.choice(roads)
    if kind == "road_gil":
        road += f"{rng.randint(1, 60)}{rng.choice(['길', '번길'])}"
        number = str(rng.randint(1, 99))
    elif kind == "road_sub":
        number = f"{rng.randint(1, 400)}-{rng.randint(1, 30)}"
    else:
        number = str(rng.randint(1, 600))
    return f"{head}{road} {number}{_address_tail(rng)}", kind


def _address_tail(rng: random.Random) -> str:
    """What follows the building number in a full address, in a third of them."""
    style = rng.choices(["none", "apt", "officetel", "floor", "paren_dong", "apt_paren", "building"],
                        [58, 10, 6, 8, 6, 6, 6])[0]
    if style == "building":
        # A building name after the number: its first syllable may read as a counter (대, 일, 동).
        return f" {rng.choice(['대우빌딩', '일신타워', '동아빌딩', '삼성생명빌딩'])}" + rng.choice(["", f" {rng.randint(2, 20)}층"])
    dong = rng.choice(["십정동", "서교동", "역삼동", "삼평동", "연동", "우동"])
    apt = rng.choice(["래미안", "푸르지오", "한신", "현대", "e편한세상", "자이", "주공"])
    if style == "apt":
        return f", {rng.randint(101, 120)}동 {rng.randint(1, 25)}{rng.randint(1, 4):02d}호"
    if style == "officetel":
        return f" {apt}오피스텔 {rng.randint(2, 15)}층"
    if style == "floor":
        return rng.choice([f", {rng.randint(2, 20)}층", f" {rng.randint(2, 9)}층 {rng.randint(2, 9)}0{rng.randint(1, 9)}호"])
    if style == "paren_dong":
        return f" ({dong})"
    if style == "apt_paren":
        return f", {rng.randint(101, 120)}동 {rng.randint(1, 25)}{rng.randint(1, 4):02d}호 ({dong}, {apt}아파트)"
    return ""


# --- templates ----------------------------------------------------------------------------------
# {type} is a value of that type (gold, unless the type is a context slot such as name or bank);
# [particle] right after a slot attaches the particle that agrees with the value.

TEMPLATES = {
    "phone": [
        "자세한 내용은 {phone}[으로] 연락 주세요.", "연락처: {phone}", "문의 전화 {phone}",
        "제 휴대폰 번호는 {phone}입니다.", "고객센터({phone})로 문의하시기 바랍니다.",
        "{phone}[으로] 전화하시면 담당자가 안내해 드립니다.", "전화번호 {phone}[을] 남겨 주시면 연락드리겠습니다.",
        "담당자 {name} 주무관({phone})", "휴대전화:{phone}", "급한 일은 {phone}번으로 문자 주세요.",
        "Please call {phone} for details.", "☎ {phone}", "대표번호 {phone}, 평일 09:00~18:00 운영",
        "예약은 전화({phone}) 또는 방문으로 가능합니다.", "{name} 님께는 {phone}[으로] 연락 바랍니다.",
    ],
    "email": [
        "이메일 {email}[으로] 보내 주세요.", "문의: {email}", "메일 주소는 {email}입니다.",
        "신청서는 {email}[으로] 제출하시면 됩니다.", "E-mail: {email}", "Send your CV to {email}.",
        "담당자 {name} <{email}>", "{email}[으로] 회신 바랍니다.", "자료 요청은 이메일({email})로 해 주세요.",
        "제 메일은 {email}이고 주말에도 확인합니다.", "메일주소:{email}",
    ],
    "rrn": [
        "주민등록번호 {rrn}[을] 기재해 주십시오.", "주민번호: {rrn}", "본인의 주민등록번호({rrn})가 유출되었습니다.",
        "신청인 {name} ({rrn})", "{rrn}[은] 제 주민번호입니다.", "주민등록번호는 {rrn}이며 주소지는 아래와 같습니다.",
        "RRN: {rrn}", "가입 시 주민번호 {rrn}[을] 입력했는데 오류가 납니다.",
    ],
    "frn": [
        "외국인등록번호 {frn}[을] 입력하세요.", "외국인 등록번호는 {frn}입니다.", "Alien registration no. {frn}",
        "외국인등록증 번호({frn})를 확인해 주세요.", "등록번호: {frn} (외국인)", "남편의 외국인등록번호 {frn}[으로] 조회했습니다.",
    ],
    "card": [
        "카드번호 {card}[으로] 결제했습니다.", "신용카드 {card}[이] 도용되었습니다.", "결제 카드: {card} (유효기간 08/27)",
        "체크카드 번호는 {card}입니다.", "card number {card}", "카드 {card}[으로] 승인된 내역이 있습니다.",
        "분실한 카드({card})의 정지를 요청합니다.",
    ],
    "account": [
        "{bank} {account}[으로] 입금해 주세요.", "입금 계좌: {bank} {account} (예금주 {name})",
        "환불은 {bank} 계좌 {account}[으로] 부탁드립니다.", "계좌번호 {account}({bank})", "후원 계좌 {bank} {account} {name}",
        "{bank} {account} 예금주 {name}", "송금할 계좌는 {bank} {account}입니다.", "{bank} 계좌({account})로 이체했습니다.",
        "입금: {bank} {account} ({name})",
    ],
    "ip": [
        "접속 IP {ip}에서 로그인 시도가 있었습니다.", "서버 주소는 {ip}입니다.", "IP 주소 {ip}[이] 차단되었습니다.",
        "Failed password for root from {ip} port 22", "{ip}:8080으로 접속하면 관리 페이지가 열립니다.",
        "아이피 {ip} 사용자가 악성 댓글을 올렸습니다.", "공유기 주소 http://{ip}/admin 에 들어가 보세요.",
    ],
    "passport": [
        "여권번호 {passport}[으로] 예약했습니다.", "여권 번호: {passport}", "passport no. {passport}",
        "여권({passport})을 분실했습니다.", "발권 시 여권번호 {passport}[을] 입력해야 합니다.",
    ],
    "driver_license": [
        "운전면허번호 {driver_license}[을] 입력해 주세요.", "면허번호: {driver_license}",
        "운전면허증 번호는 {driver_license}입니다.", "운전면허 {driver_license}[으로] 본인 확인을 했습니다.",
        "렌터카 계약서에 면허번호({driver_license})를 적었습니다.",
    ],
    "business_number": [
        "사업자등록번호 {business_number}", "사업자번호: {business_number}",
        "(주){company} 사업자등록번호 {business_number} 통신판매업신고 제2020-서울강남-01234호",
        "사업자등록번호는 {business_number}입니다.", "상호 {company} / 사업자 {business_number} / 대표 {name}",
        "세금계산서는 사업자번호 {business_number}[으로] 발행해 주세요.",
    ],
    "address": [
        "행사는 {address}에서 열립니다.", "주소: {address}", "저는 {address}에 살고 있습니다.",
        "작년에 {address}[으로] 이사했습니다.", "택배는 {address}[으로] 보내 주세요.", "사무실은 {address}입니다.",
        "{address}에 위치한 건물에서 화재가 났습니다.", "소재지 {address}", "배송지:{address}",
        "본점은 {address}[이고] 지점은 따로 없습니다.",
        "본사: {address}", "현장 주소는 {address}이며 주차는 불가합니다.",
    ],
        # People as Korean text names them: a title or honorific, an age in news style, 김모 씨,
    # an organisation between name and title, a form label, the first person, a bare name with a
    # particle, a given name alone, a romanized name, a foreign name in Hangul.
    "person": [
        "{person} 기자가 현장에서 전했다.", "{person} 교수는 이번 연구 결과를 발표했다.", "{person} 의원은 기자회견을 열었다.",
        "담당 {person} 팀장에게 문의하세요.", "{person} 대표이사가 새로 취임했다.", "{person} 변호사의 설명이다.",
        "{person} 선생님께 감사드립니다.", "{person} 감독이 이끄는 대표팀이 승리했다.", "글·사진 {person} 기자",
        "{person} 씨[은] 어제 병원에 입원했다.", "{person}님 안녕하세요, 문의하신 건 답변드립니다.", "{person}님께 전달 부탁드립니다.",
        "{person} 군과 {person} 양이 결혼합니다.", "{person}(45) 씨는 경찰 조사에서 혐의를 부인했다.",
        "회사원 {person}(32)씨가 숨진 채 발견됐다.", "{person_anon} 씨는 당시 상황을 이렇게 설명했다.",
        "{person_anon}(35)씨가 경찰에 붙잡혔다.", "피해자 {person_anon} 씨의 가족은 엄벌을 탄원했다.",
        "{person} 서울대 교수는 이렇게 말했다.", "{person} 더불어민주당 의원은 법안을 발의했다.",
        "{person} 한국은행 총재는 금리를 동결했다.", "서울대 {person} 교수 연구팀", "국민의힘 {person} 의원이 질의했다.",
        "성명: {person}", "예금주 {person}", "담당자 {person} (내선 1234)", "작성자: {person}", "받는 분: {person}",
        "보호자 {person}", "저는 {person}[이고] 이 동네에 삽니다.", "제 이름은 {person}입니다.",
        "어제 {person}[과] 점심을 먹었다.", "{person}[이] 회의에서 발표했다.", "{person}의 책을 읽었다.",
        "{person_given}야, 밥 먹었니?", "{person_given}[이] 오늘 학교에 안 왔어요.", "{person_given}이가 제일 좋아하는 과자",
        "{person_native}[이] 발표를 맡았다.", "{person_native} 씨께 감사드립니다.", "{person_single} 선생의 글을 읽었다.",
        "어제 {person_single}[과] 통화했다.", "{person_foreign}[이] 부른 노래를 들었다.",
        "Best regards, {person_roman}", "예약자명: {person_roman}", "Name: {person_roman} / Passport holder",
        "{person_foreign} 대통령은 성명을 발표했다.", "{person_foreign} 감독의 신작이 개봉했다.", "{person_foreign} 씨는 한국어를 배운다.",
    ],
    # Several pieces at once, as in shop footers, signatures and complaint forms.
    "multi": [
        "상호: {company} | 대표: {name} | 사업자등록번호: {business_number} | 주소: {address} | 고객센터: {phone} | 이메일: {email}",
        "{name} 드림 / 연락처 {phone} / 메일 {email}",
        "환불 요청: 이름 {name}, 연락처 {phone}, 계좌 {bank} {account}",
        "신청인 {name}, 주민등록번호 {rrn}, 주소 {address}, 전화 {phone}",
        "접수자 {name}({email}, {phone})",
    ],
}

# Numbers that look like PII and are not. Each kind has a generator and sentences around it.
NEGATIVE_TEMPLATES = {
    "date": ["신청 기간은 {date}부터 {date}까지입니다.", "{date} 기준 자료입니다.", "작성일: {date}", "{date}에 공고된 내용입니다."],
    "price": ["가격은 {price}입니다.", "총 {price}[이] 결제되었습니다.", "입장료 {price}, 주차 요금 {price}"],
    "time": ["운영 시간은 {time}입니다.", "{time}에 회의가 시작됩니다.", "기록은 {time}였다."],
    "version": ["{version} 버전으로 업데이트했습니다.", "빌드 {version}에서 오류가 재현됩니다.", "앱 버전 {version}"],
    "isbn": ["ISBN {isbn}", "이 책의 ISBN은 {isbn}이다."],
    "barcode": ["바코드 {barcode}", "상품 바코드 번호 {barcode}[을] 찍으면 가격이 나옵니다."],
    "order": ["주문번호 {order}[으로] 조회해 주세요.", "접수번호: {order}", "송장번호 {order}[으로] 배송 조회가 됩니다."],
    "score": ["평점 {score}을 줬습니다.", "최종 스코어는 {score}였다.", "만족도 {score}"],
    "year": ["{year}년에 설립되었다.", "{year}~{year}년 사이에 지어졌다.", "{year}년대 후반의 일이다."],
    # A lifetime or a reign, as Wikipedia writes them: (1848-1852) has the shape of 1588-1234.
    "year_range": ["그의 생애({year_range})를 다룬다.", "재위 기간은 {year_range}이다.", "전쟁 기간({year_range}) 동안의 일이다."],
    "arithmetic": ["{arithmetic} 같은 계산 문제를 풀었다.", "검산하면 {arithmetic}입니다."],
    "legal": ["{legal}에 따라 처리합니다.", "관련 근거: {legal}"],
    "count": ["인구는 {count}명이다.", "누적 관람객 {count}명을 기록했다.", "조회수 {count}회"],
    "misc_number": ["{misc_number}", "참고: {misc_number}"],
    "place": ["{place}", "모임 장소는 {place}입니다."],
    "url": ["자세한 내용은 {url} 을 참고하세요.", "홈페이지({url})에 공지되어 있습니다.", "기사 원문: {url}"],
    # Korean prose in which a word ending in 시/구/군 precedes one ending in 로/가 and a number:
    # the shape of a road-name address, but the number counts years, units or percent.
    "prose": ["{prose}"],
    # Ordinary words that start with a surname syllable, before titles and honorifics.
    "name_like": ["{name_like}"],
}


def gen_negative(rng: random.Random, kind: str, fake) -> tuple[str, str]:
    """(value, sub-kind)."""
    if kind == "date":
        y, m, d = _birth(rng, 1990, 2025)
        style = rng.randrange(7)
        return [f"{y}-{m:02d}-{d:02d}", f"{y}.{m:02d}.{d:02d}.", f"{y}/{m:02d}/{d:02d}", f"{y % 100:02d}.{m:02d}.{d:02d}",
                f"{y}년 {m}월 {d}일", f"{y}{m:02d}{d:02d}", f"{y}. {m}. {d}."][style], f"date{style}"
    if kind == "price":
        n = rng.choice([rng.randint(1, 99) * 1000, rng.randint(100, 9999) * 1000, rng.randint(1, 999) * 10000])
        style = rng.randrange(3)
        return [f"{n:,}원", f"₩{n:,}", f"${rng.randint(1, 2999)}.{rng.randint(0, 99):02d}"][style], f"price{style}"
    if kind == "time":
        h, mi, s = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
        style = rng.randrange(3)
        return [f"{h:02d}:{mi:02d}", f"{h:02d}:{mi:02d}~{(h + 8) % 24:02d}:{mi:02d}", f"{h:02d}:{mi:02d}:{s:02d}"][style], f"time{style}"
    if kind == "version":
        style = rng.randrange(3)
        if style == 0:
            return f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 30)}", "semver"
        if style == 1:
            if rng.random() < 0.5:
                return f"{rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(10, 40)}.{rng.randint(10, 99)}", "four_part"
            return f"{rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}", "four_part_small"
        return f"10.0.{rng.randint(19041, 22631)}.{rng.randint(1000, 4000)}", "windows_build"
    if kind == "isbn":
        body = rng.choice(["97889", "97911"]) + _digits(rng, 7)
        full = body + isbn13_digit(body)
        return f"{full[:3]}-{full[3:5]}-{full[5:9]}-{full[9:12]}-{full[12]}", "isbn13"
    if kind == "barcode":
        body = "880" + _digits(rng, 9)
        return body + ean13_digit(body), "ean13"
    if kind == "order":
        y, m, d = _birth(rng, 2015, 2025)
        style = rng.randrange(4)
        return [f"{y}{m:02d}{d:02d}-{_digits(rng, 7)}", _digits(rng, 16), f"{_digits(rng, 4)}-{_digits(rng, 4)}-{_digits(rng, 4)}",
                f"{y}-{_digits(rng, 7)}"][style], f"order{style}"
    if kind == "score":
        style = rng.randrange(3)
        return [f"{rng.randint(1, 10)}/10", f"{rng.randint(0, 9)}-{rng.randint(0, 9)}", f"{rng.randint(1, 4)}.{rng.randint(0, 9)}/5"][style], f"score{style}"
    if kind == "year":
        return str(rng.randint(1900, 2025)), "year"
    if kind == "arithmetic":
        a, b = rng.randint(100, 999), rng.randint(10, 99)
        style = rng.randrange(3)
        return [f"{a}-{b}={a - b}", f"{a * 10}+{b * 100}={a * 10 + b * 100}", f"{b}×{a}={a * b}"][style], f"arith{style}"
    if kind == "legal":
        style = rng.randrange(3)
        return [f"법률 제{rng.randint(10000, 19999)}호", f"제{rng.randint(2015, 2025)}-{rng.randint(1, 999)}호",
                f"특허 제10-{rng.randint(2010, 2024)}-{_digits(rng, 7)}호"][style], f"legal{style}"
    if kind == "count":
        return f"{rng.randint(1000, 9999999):,}", "count"
    if kind == "misc_number":
        style = rng.randrange(6)
        return [f"좌표는 {rng.uniform(33, 38):.4f}, {rng.uniform(125, 130):.4f}이다.", f"모델명 SM-G{rng.randint(900, 999)}N",
                f"사건번호 {rng.randint(2015, 2024)}가합{rng.randint(1000, 99999)}", f"학번 {rng.randint(2015, 2024)}{_digits(rng, 6)}",
                f"종목코드 {_digits(rng, 6)}", f"화면비 16:9, 해상도 1920×1080, 점유율 {rng.randint(1, 99)}.{rng.randint(0, 9)}%"][style], f"misc{style}"
    if kind == "place":
        full, short, district, roads, dongs = rng.choice(_URBAN)
        road = rng.choice(roads)
        style = rng.randrange(5)
        return [f"{full} {district or dongs[0]}에서 열린 행사", f"{road} 일대의 교통이 통제되었다", f"{short}역 {rng.randint(1, 12)}번 출구 앞",
                f"{road} {rng.randint(1, 9)}km 구간", f"{district} {rng.choice(dongs)} 주민센터"][style], f"place{style}"
    if kind == "url":
        y, m, d = _birth(rng, 2015, 2024)
        style = rng.randrange(4)
        # News and board URLs carry long numeric ids: 12 digits starting 20.. read like a licence,
        # 10 digits like a business number.
        return [f"https://www.{fake.domain_name()}/notice/{rng.randint(1, 9999)}",
                f"https://news.{fake.domain_name()}/article/{y}{m:02d}{d:02d}{_digits(rng, 4)}",
                f"https://www.{fake.domain_name()}/board/view.php?idx={rng.randint(1, 9)}{_digits(rng, 9)}&page=1",
                f"http://{fake.domain_name()}/bbs?no={y}{m:02d}{d:02d}{_digits(rng, 4)}"][style], f"url{style}"
    if kind == "year_range":
        a = rng.randint(1500, 1990)
        return f"{a}-{min(a + rng.randint(1, 80), 2024)}", "year_range"
    if kind == "name_like":
        phrases = ["한국 대표 선수단이 입장했다.", "회사 대표님께 보고했다.", "담임 선생님이 말씀하셨다.", "민주당 의원들이 모였다.",
                   "정말 대단한 선수다.", "장기 대표 상품을 소개합니다.", "임시 대표를 선임했다.", "고객님, 감사합니다.",
                   "조사 위원이 현장을 방문했다.", "지역 의원들의 반대가 컸다.", "이번 기자회견에서 밝혔다.", "전화 상담사가 안내했다.",
                   "강남 지점장이 바뀌었다.", "국회 의원 회관에서 열렸다.", "유명 배우가 출연했다.", "신임 교수님을 환영합니다.",
                   "현직 판사의 의견이다.", "안전 관리자 교육을 받았다.", "문제 학생 지도 방안", "박수 소리가 울려 퍼졌다."]
        i = rng.randrange(len(phrases))
        return phrases[i], f"name_like{i}"
    if kind == "prose":
        year, n = rng.randint(1950, 2024), rng.randint(2, 300)
        style = rng.randrange(10)
        return [f"인구 증가로 {year}년부터 교통 체증이 심해졌다.", f"연구 결과로 {n % 9 + 2}가지 원인이 밝혀졌다.",
                f"도시 외곽으로 {n}km 떨어진 곳이다.", f"당시 금액으로 {n}만 원에 달했다.",
                f"선거구가 {n % 9 + 2}개로 나뉘었다.", f"축구 심판으로 {year}년부터 활동했다.",
                f"출구 방향으로 {n % 9}.{n % 7}‰의 오르막이다.", f"지역구 국회의원으로 {n % 5 + 2}선에 성공했다.",
                f"사노시 출신으로 {n % 9 + 2}살 무렵부터 야구를 했다.", f"요구 조건으로 {n % 9 + 2}개 항목을 내걸었다."][style], f"prose{style}"
    raise ValueError(kind)


# --- documents ----------------------------------------------------------------------------------

@dataclass
class LabeledDoc:
    id: str
    source: str                                   # petitions | kowiki
    text: str
    gold: list[tuple[str, int, int, str]] = field(default_factory=list)       # (entity, start, end, form)
    negatives: list[tuple[str, int, int, str]] = field(default_factory=list)  # (kind, start, end, sub-kind)
    inserted: list[tuple[int, int]] = field(default_factory=list)             # synthetic sentences

    @property
    def pii_free(self) -> bool:
        return not self.gold


_SLOT = re.compile(r"\{(\w+)\}(?:\[(\w+)\])?")


class _Values:
    """Draws a value for each slot of a template: PII types, negatives and context (name, bank...)."""

    def __init__(self, rng: random.Random, fake):
        self.rng, self.fake = rng, fake
        self.bank = None

    def pii(self, entity: str) -> tuple[str, str]:
        rng = self.rng
        if entity == "account":
            value, form, self.bank = gen_account(rng)
            return value, form
        gen = {"phone": gen_phone, "rrn": gen_rrn, "frn": gen_frn, "card": gen_card, "passport": gen_passport,
               "driver_license": gen_driver_license, "business_number": gen_business_number, "address": gen_address}
        if entity in gen:
            return gen[entity](rng)
        if entity == "email":
            return gen_email(rng, self.fake)
        if entity == "ip":
            return gen_ip(rng, self.fake)
        raise ValueError(entity)

    def person(self, slot: str) -> tuple[str, str]:
        rng, fake = self.rng, self.fake
        if slot == "person_anon":
            surname = fake.last_name()
            return (surname + rng.choice(["모", " 모"]), "anonymised")
        if slot == "person_given":
            return fake.first_name(), "given_only"
        if slot == "person_roman":
            surname = rng.choice(["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Shin"])
            a, b = rng.choice(["Min", "Ji", "Seo", "Hyun", "Eun", "Jae", "Soo", "Young", "Dong", "Ha"]), \
                rng.choice(["su", "hoon", "yeon", "woo", "jin", "ah", "bin", "ho", "kyung", "na"])
            style = rng.randrange(4)
            value = [f"{surname} {a}-{b}", f"{surname.upper()} {a.upper()} {b.upper()}", f"{a}{b} {surname}",
                     f"{surname.upper()} {a.upper()}-{b.upper()}"][style]
            return value, f"romanized{style}"
        if slot == "person_native":
            return fake.last_name() + rng.choice(["하늘", "슬기", "보람", "나래", "한결", "아름", "다운", "빛나", "누리", "가람",
                                                  "초롱", "이슬", "새롬", "하람", "솔비"]), "native"
        if slot == "person_single":
            return fake.last_name() + rng.choice("구황진훈철석윤혁준민"), "single_syllable"
        if slot == "person_foreign":
            return rng.choice(["도널드 트럼프", "앙겔라 메르켈", "존 스미스", "크리스토퍼 놀란", "에마뉘엘 마크롱", "마이클 잭슨",
                               "스티븐 스필버그", "조 바이든", "리처드 브랜슨", "제임스 카메론"]), "foreign"
        name = fake.name()
        if rng.random() < 0.04:
            name = rng.choice(["남궁", "황보", "제갈", "선우"]) + fake.first_name()
        return name, "korean"

    def context(self, slot: str) -> str:
        if slot == "name":
            return self.fake.name()
        if slot == "company":
            return self.fake.company().replace("(주)", "").replace("주식회사", "").strip() or "한빛상사"
        if slot == "bank":
            return self.bank
        raise ValueError(slot)


def render(template: str, values: _Values, negative_kind: str | None = None):
    """The sentence, its gold spans and its negative spans (offsets within the sentence)."""
    slots = list(_SLOT.finditer(template))
    drawn = {}
    if "{account}" in template:
        # The bank named in the sentence, wherever it stands, is the one whose format the number has.
        drawn["account"] = values.pii("account")
    out, gold, neg, last, pos = [], [], [], 0, 0
    for m in slots:
        literal = template[last:m.start()]
        out.append(literal)
        pos += len(literal)
        slot, part = m.group(1), m.group(2)
        if slot in ENTITY_TYPES or slot.startswith("person") or slot == "name":
            # {name} in the other types' sentences (담당자 {name}) is a person too.
            if slot.startswith("person") or slot == "name":
                value, form = values.person(slot)
                entity = "person"
            else:
                value, form = drawn.pop(slot) if slot in drawn else values.pii(slot)
                entity = slot
            gold.append((entity, pos, pos + len(value), form))
        elif negative_kind is not None and slot == negative_kind:
            value, form = gen_negative(values.rng, slot, values.fake)
            neg.append((slot, pos, pos + len(value), form))
        else:
            value = values.context(slot)
        out.append(value)
        pos += len(value)
        if part:
            p = particle(value, part)
            out.append(p)
            pos += len(p)
        last = m.end()
    out.append(template[last:])
    return "".join(out), gold, neg


def _excerpt(rng: random.Random, text: str) -> list[tuple[str, str]]:
    sents = sentences(text)
    if not sents:
        return []
    target = rng.randint(150, 1500)
    start = rng.randrange(len(sents))
    chosen, size = [], 0
    for s in sents[start:]:
        chosen.append(s)
        size += len(s[0]) + len(s[1])
        if size >= target:
            break
    return chosen


def describe(docs: list[LabeledDoc]) -> dict:
    """Sizes of a labeled set: documents, PII-free ones, characters, gold spans by type and form."""
    forms: dict[str, dict[str, int]] = {}
    for d in docs:
        for e, _, _, form in d.gold:
            forms.setdefault(e, {}).setdefault(form, 0)
            forms[e][form] += 1
    return {"documents": len(docs), "pii_free_documents": sum(d.pii_free for d in docs),
            "pii_free_with_negatives": sum(1 for d in docs if d.pii_free and d.negatives),
            "characters": sum(len(d.text) for d in docs), "utf8_bytes": sum(len(d.text.encode()) for d in docs),
            "gold_spans": {e: sum(1 for d in docs for g in d.gold if g[0] == e) for e in ENTITY_TYPES},
            "gold_forms": forms}


def build_labeled_set(n_docs: int = 3000, seed: int = 20240415, pii_free_share: float = 0.4,
                      negative_share: float = 0.5, petitions: list[str] | None = None,
                      wiki: list[str] | None = None) -> tuple[list[LabeledDoc], dict]:
    """Deterministic for a given seed and source files. Returns the documents and statistics."""
    from faker import Faker

    require_shared()
    rng = random.Random(seed)
    fake = Faker("ko_KR")
    fake.seed_instance(seed)
    petitions = petitions if petitions is not None else load_petitions()
    wiki = wiki if wiki is not None else load_wiki_articles()
    values = _Values(rng, fake)
    stats = {"excerpts_drawn": 0, "excerpts_rejected_by_pii_screen": 0}

    # Types are dealt in shuffled rounds, so that every type gets about the same number of
    # insertions whatever the number of documents; addresses get a double share (more forms).
    deck: list[str] = []

    def next_type() -> str:
        if not deck:
            deck.extend(list(STRUCTURED) + ["address", "address", "person", "person", "person"])
            rng.shuffle(deck)
        return deck.pop()

    docs = []
    for i in range(n_docs):
        source = "petitions" if i % 2 == 0 else "kowiki"
        pool = petitions if source == "petitions" else wiki
        while True:
            stats["excerpts_drawn"] += 1
            units = _excerpt(rng, rng.choice(pool))
            base = "".join(a + b for a, b in units)
            if units and not might_hold_pii(base):
                break
            stats["excerpts_rejected_by_pii_screen"] += 1

        insertions = []  # (sentence, gold, negatives)
        if rng.random() >= pii_free_share:
            for _ in range(rng.choices([1, 2, 3, 4], [35, 35, 20, 10])[0]):
                kind = "multi" if rng.random() < 0.06 else next_type()
                insertions.append(render(rng.choice(TEMPLATES[kind]), values))
        if rng.random() < negative_share:
            for _ in range(rng.randint(1, 3)):
                kind = rng.choice(list(NEGATIVE_TEMPLATES))
                insertions.append(render(rng.choice(NEGATIVE_TEMPLATES[kind]), values, negative_kind=kind))

        # Insert each sentence at a sentence boundary of the excerpt, as a sentence of its own.
        slots: dict[int, list] = {}
        for ins in insertions:
            slots.setdefault(rng.randint(0, len(units)), []).append(ins)
        doc = LabeledDoc(id=f"pii-{i:05d}", source=source, text="")
        parts, pos = [], 0

        def add(sentence, gold, neg, sep):
            nonlocal pos
            if parts and not parts[-1][-1:].isspace():
                # The excerpt's last sentence has no separator after it: do not glue ours to it.
                parts.append(" ")
                pos += 1
            doc.inserted.append((pos, pos + len(sentence)))
            doc.gold.extend((e, pos + s, pos + t, f) for e, s, t, f in gold)
            doc.negatives.extend((k, pos + s, pos + t, f) for k, s, t, f in neg)
            parts.append(sentence + sep)
            pos += len(sentence) + len(sep)

        for k in range(len(units) + 1):
            for sentence, gold, neg in slots.get(k, []):
                sep = "\n" if rng.random() < 0.3 else " "
                add(sentence, gold, neg, sep)
            if k < len(units):
                text, sep = units[k]
                parts.append(text + sep)
                pos += len(text) + len(sep)
        doc.text = "".join(parts)
        for e, s, t, _ in doc.gold:
            assert 0 <= s < t <= len(doc.text), (doc.id, e)
        docs.append(doc)

    stats.update(describe(docs))
    stats["negative_spans"] = {}
    for d in docs:
        for k, *_ in d.negatives:
            stats["negative_spans"][k] = stats["negative_spans"].get(k, 0) + 1
    return docs, stats


# --- how realistic Faker's ko_KR values are -----------------------------------------------------

_SEOUL = set("종로구 중구 용산구 성동구 광진구 동대문구 중랑구 성북구 강북구 도봉구 노원구 은평구 서대문구 마포구 양천구 강서구 "
             "구로구 금천구 영등포구 동작구 관악구 서초구 강남구 송파구 강동구".split())
_METRO_DISTRICTS = {
    "서울특별시": _SEOUL,
    "부산광역시": set("중구 서구 동구 영도구 부산진구 동래구 남구 북구 해운대구 사하구 금정구 강서구 연제구 수영구 사상구 기장군".split()),
    "대구광역시": set("중구 동구 서구 남구 북구 수성구 달서구 달성군 군위군".split()),
    "인천광역시": set("중구 동구 미추홀구 연수구 남동구 부평구 계양구 서구 강화군 옹진군".split()),
    "광주광역시": set("동구 서구 남구 북구 광산구".split()),
    "대전광역시": set("동구 중구 서구 유성구 대덕구".split()),
    "울산광역시": set("중구 남구 동구 북구 울주군".split()),
}


def faker_realism(n: int = 2000, seed: int = 7) -> dict:
    """How many of Faker ko_KR's values would pass as real Korean ones. Only shares and shapes
    are reported (digits as 9), never values."""
    from faker import Faker

    fake = Faker("ko_KR")
    fake.seed_instance(seed)
    out: dict = {"faker_version": __import__("faker").VERSION, "samples": n}

    ssn = [fake.ssn() for _ in range(n)]
    plain = [s.replace("-", "") for s in ssn]
    out["ssn"] = {
        "valid_birth_date": sum(rrn_date_ok(p) for p in plain) / n,
        "valid_checksum": sum(int(p[12]) == rrn_check(p[:12]) for p in plain) / n,
        "valid_date_and_checksum": sum(rrn_date_ok(p) and int(p[12]) == rrn_check(p[:12]) for p in plain) / n,
        "gender_digits_seen": sorted({p[6] for p in plain}),
        "note": "formats '##0#0#-1######' etc.: month 00-09 only, day 00-29, gender digit 1 or 2 only (no one "
                "born after 1999), tail random",
    }

    phones = [fake.phone_number() for _ in range(n)]
    shapes: dict[str, int] = {}
    for p in phones:
        shape = re.sub(r"\d", "9", p)
        key = ("mobile " if p.startswith("01") else "070 " if p.startswith("070") else "landline ") + shape
        shapes[key] = shapes.get(key, 0) + 1
    out["phone_number"] = {
        "mobile_share": sum(p.startswith("01") for p in phones) / n,
        "mobile_010_share": sum(p.startswith("010") for p in phones) / n,
        "korean_format_share": sum(bool(re.fullmatch(r"0(?:2|[3-6]\d|1[016789]|70)-\d{3,4}-\d{4}", p)) for p in phones) / n,
        "shapes": dict(sorted(shapes.items(), key=lambda kv: -kv[1])[:8]),
        "note": "always hyphenated, never +82, 1588-style or 050x; 010 (almost every mobile number in use) is one "
                "format of 24",
    }

    cards = [fake.credit_card_number() for _ in range(n)]
    lengths: dict[int, int] = {}
    for c in cards:
        lengths[len(c)] = lengths.get(len(c), 0) + 1
    out["credit_card_number"] = {"luhn_valid": sum(luhn_ok(c) for c in cards) / n,
                                 "length_counts": dict(sorted(lengths.items())),
                                 "korean_domestic_9_prefix": sum(c.startswith("9") for c in cards) / n}

    passports = [fake.passport_number() for _ in range(n)]
    out["passport_number"] = {
        "korean_format_share": sum(bool(re.fullmatch(r"[MSROD]\d{8}|[MSROD]\d{3}[A-Z]\d{4}", p)) for p in passports) / n,
        "shapes": sorted({re.sub(r"\d", "9", p) for p in passports}),
    }

    addresses = [fake.address() for _ in range(n)]
    metro = [a.split() for a in addresses if a.split()[0] in _METRO_DISTRICTS]
    out["address"] = {
        "metro_city_addresses": len(metro),
        "district_belongs_to_city": (sum(p[1] in _METRO_DISTRICTS[p[0]] for p in metro) / len(metro)) if metro else None,
        "province_followed_by_gu": sum(1 for a in addresses if a.split()[0].endswith("도") and a.split()[1].endswith("구")) / n,
        "underground_building_numbers": sum("지하" in a for a in addresses) / n,
        "note": "provinces and districts are drawn independently (e.g. a Busan address in Yongsan-gu); road names "
                "are real Seoul names placed anywhere, with suffixes such as 가 and 거리; town names (land_address) are built from personal names",
    }

    emails = [fake.email() for _ in range(n)]
    free = [fake.free_email() for _ in range(n)]
    out["email"] = {
        "example_domain_share": sum(e.split("@")[1].startswith("example.") for e in emails) / n,
        "free_email_domains": sorted({e.split("@")[1] for e in free}),
        "note": "email() uses example.* domains; free_email() uses a few portal domains (naver.com, daum.net, "
                "hanmail.net, nate.com, gmail.com ...); user names are romanised Korean names",
    }
    out["ipv4_public"] = {"note": "uniform public IPv4: realistic enough"}
    return out


def main(argv=None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=20240415)
    ap.add_argument("--show", type=int, default=0, help="print this many documents with PII marked (synthetic values)")
    ap.add_argument("--out", type=Path, help="write the set as JSON lines (it holds real petition text: keep it local)")
    ap.add_argument("--faker", action="store_true", help="print the Faker realism check")
    args = ap.parse_args(argv)
    docs, stats = build_labeled_set(args.docs, args.seed)
    print(json.dumps(stats, ensure_ascii=False, indent=1))
    for doc in [d for d in docs if d.gold][: args.show]:
        text = doc.text
        for e, s, t, _ in sorted(doc.gold, key=lambda g: -g[1]):
            text = text[:s] + f"⟦{text[s:t]}⟧{e}" + text[t:]
        # Only the inserted sentences: the rest is real text.
        print("---", doc.id, [text for text in re.findall(r"[^\n.!?]*⟦[^⟧]*⟧[^\n]*", text)])
    if args.out:
        with args.out.open("w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps(d.__dict__, ensure_ascii=False) + "\n")
    if args.faker:
        print(json.dumps(faker_realism(), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
