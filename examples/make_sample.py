"""Generate a small, deterministic, realistic Korean "web dump" for kopile.

Why: every pipeline stage (language ID, quality heuristics, PII scrubbing,
dedup, mojibake repair, bad-row handling) needs input that looks like a crawl
but whose ground truth is known. The real Korean prose comes from the texts the
`konlpy` wheel ships (the Constitution of the Republic of Korea and ten National
Assembly bills); spam, boilerplate, PII, broken rows and foreign text are
synthesised around it. Each row carries `sample_kind`, the label of what the
generator made, so every stage can be scored against it.

Output: OUT_DIR/part-00000.parquet ... with columns text (nullable), url,
source, sample_kind. No `id` column: the pipeline assigns ids. The same seed
gives byte-identical files (only random.Random(seed) is used, never hash(),
set order or the clock).

Usage: python examples/make_sample.py OUT_DIR [--seed 0] [--shards 4]
"""
from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path
from random import Random

import pyarrow as pa
import pyarrow.parquet as pq

# Fixed counts (not seed-dependent) so tests can rely on them.
N_CLEAN, N_PII, N_BOILER, N_NAV = 800, 200, 150, 12
N_DUP = N_NEAR = 64  # ~8% of clean each
N_SPAM, N_JAMO, N_REPEAT, N_FOREIGN, N_SHORT = 100, 70, 50, 10, 70
N_LONG, N_MOJI, N_EUCKR, N_TABLE = 3, 26, 4, 25

SCHEMA = pa.schema([pa.field("text", pa.string()), pa.field("url", pa.string(), False),
                    pa.field("source", pa.string(), False),
                    pa.field("sample_kind", pa.string(), False)])


# ---------------------------------------------------------------- source text
def corpus_dir() -> Path:
    # find_spec instead of import: importing konlpy starts jpype/Java.
    spec = importlib.util.find_spec("konlpy")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("konlpy is not installed; the sample is built from the Korean texts "
                           "it ships. Run: pip install konlpy")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "corpus"


def load_constitution(path: Path) -> list[tuple[str, str]]:
    """(chapter, text) units: one per numbered paragraph (①, ②, ...) of an article.

    Paragraphs rather than whole articles: a few articles are ten times longer
    than the rest and would dominate, and so near-duplicate, every doc they
    appear in. Item lists ("1. ...") stay with the paragraph that introduces them.
    """
    units: list[list] = []
    chapter = "전문"
    for raw in path.read_text(encoding="utf-8").replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if line.startswith("펼침"):
            break  # the addenda restart article numbering; they would read as duplicates
        if not line or line == "대한민국헌법":
            continue
        if re.match(r"제\d+장 ", line):
            chapter = line
        elif re.match(r"제\d+[절관] ", line):
            continue
        elif re.match(r"제\d+조(의\d+)? |[②-⑳]", line) or not units:
            units.append([chapter, line])
        else:
            units[-1][1] += "\n" + line
    return [(c, t) for c, t in units]


LIST_MARK = re.compile(r"^([가-하]\.|\d+\.|[①-⑳]|첫째|둘째|셋째|제\d+조)")


def load_bill(path: Path) -> tuple[str, list[str], list[str]]:
    """(title, prose paragraphs, all non-blank lines) of one bill.

    The bills are hard-wrapped mid-word for print; a line continues the previous
    paragraph unless that one ended a sentence or the line opens an item.
    """
    lines = [l.rstrip("\n") for l in path.read_text(encoding="utf-8").replace("\r\n", "\n").split("\n")]
    raw_lines = [l.strip() for l in lines if l.strip() and not re.fullmatch(r"-\s*\d+\s*-", l.strip())]
    title = raw_lines[0]
    for extra in raw_lines[1:3]:  # some titles wrap onto a second line
        if re.search(r"(법률안|동의안)$", title):
            break
        title += " " + extra
    proposer = re.sub(r"\s+", "", raw_lines[raw_lines.index(extra)]) if "발의" in extra else ""
    proposer = proposer.replace("의원대표발의", " 의원 대표발의")
    title = re.sub(r"\s+", " ", f"{title} {proposer}".replace(" ·", "·")).strip()
    paras: list[str] = []
    cur, started, trailing_space = "", False, False
    for raw in lines:
        key = re.sub(r"\s", "", raw)
        if not started:
            started = key.startswith("제안이유")
            continue
        if "구조문대비표" in key or "비용추계" in key:
            break  # comparison tables and cost annexes are not prose
        if not key or re.fullmatch(r"-\d+-", key):
            continue  # blank lines and page numbers
        line = raw.strip()
        header = "." not in key and (len(key) < 12 or re.search(r"(법률안|동의안)$", key))
        if header or not cur or cur.endswith(".") or LIST_MARK.match(line):
            paras.append(cur)
            cur = "" if header else line
        else:  # a wrap mid-word has no space at the break; a wrap between words has one
            cur += (" " if trailing_space else "") + line
        trailing_space = raw != raw.rstrip()
    paras.append(cur)
    paras = [re.sub(r"[ \t]+", " ", p).strip() for p in paras]
    ends = [i for i, p in enumerate(paras) if p.endswith("동의한다.")]
    paras = paras[:ends[0] + 1] if ends else paras  # the dispatch bills' annexes repeat the proposal
    # Only whole sentences count as clean prose; item fragments and the "○"
    # bullet annexes of the two troop-dispatch bills would not pass as such.
    return title, [p for p in paras if p.endswith(".") and "○" not in p and len(p) > 20], raw_lines


# ---------------------------------------------------------------- helpers
SURNAMES = list(zip("김이박최정강조윤장임한오서신권황안송류홍",
                    "kim lee park choi jung kang cho yoon jang lim han oh seo shin kwon hwang "
                    "ahn song ryu hong".split()))
GIVEN = [("민수", "minsu"), ("서연", "seoyeon"), ("지훈", "jihoon"), ("수빈", "subin"),
         ("예은", "yeeun"), ("도윤", "doyoon"), ("하은", "haeun"), ("준호", "junho"),
         ("지민", "jimin"), ("현우", "hyunwoo"), ("소연", "soyeon"), ("영호", "youngho"),
         ("미경", "mikyung"), ("성민", "sungmin"), ("유진", "yujin"), ("태희", "taehee")]
MAIL_DOMAINS = ["example.co.kr", "example.com", "mail.example.net", "naver.com",
                "gmail.com", "daum.net", "hanmail.net", "corp.example.kr"]
ROADS = [("서울특별시 강남구", "테헤란로"), ("서울특별시 마포구", "월드컵북로"),
         ("서울특별시 종로구", "세종대로"), ("경기도 성남시 분당구", "판교역로"),
         ("부산광역시 해운대구", "센텀중앙로"), ("대구광역시 수성구", "동대구로"),
         ("인천광역시 연수구", "컨벤시아대로"), ("대전광역시 유성구", "대학로"),
         ("광주광역시 북구", "용봉로"), ("경기도 수원시 영통구", "광교중앙로")]
NAV = ["홈 | 회사소개 | 고객센터 | 로그인 | 회원가입", "이전글 다음글 목록",
       "개인정보처리방침 | 이용약관 | 이메일무단수집거부", "무단전재 및 재배포 금지",
       "공유하기 카카오톡 페이스북 트위터", "전체메뉴 검색 닫기", "맨 위로", "본문 바로가기",
       "댓글 0 | 좋아요 0 | 스크랩", "목록 | 수정 | 삭제 | 답글", "사이트맵 | 찾아오시는 길"]
COMPANIES = ["법률정보센터", "코리아로", "생활법령 블로그", "한빛뉴스", "시민법률연구소"]
DOMAINS = ["blog.example.kr", "cafe.example.co.kr", "www.lawstory.co.kr", "news.hanbit.example.kr",
           "www.civic-law.or.kr", "tistory.example.com", "post.example.net", "www.jungbo24.kr"]


def person(rng: Random) -> tuple[str, str]:
    (sur, rs), (giv, rg) = rng.choice(SURNAMES), rng.choice(GIVEN)
    return sur + giv, f"{rg}{rng.choice(['.', '_', ''])}{rs}"


def mobile(rng: Random) -> str:
    a, b = rng.randint(1000, 9999), rng.randint(1000, 9999)
    return rng.choice([f"010-{a}-{b}", f"010 {a} {b}", f"010{a}{b}"])


def landline(rng: Random) -> str:
    area = rng.choice(["02", "031", "032", "051", "053", "042", "062"])
    mid = rng.randint(100, 999) if area == "02" and rng.random() < 0.5 else rng.randint(1000, 9999)
    return f"{area}-{mid}-{rng.randint(1000, 9999)}"


def rrn(rng: Random) -> str:
    """Resident registration number with a valid check digit."""
    year = rng.randint(1950, 2005)
    gender = rng.choice([1, 2]) if year < 2000 else rng.choice([3, 4])
    digits = f"{year % 100:02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{gender}"
    digits += "".join(str(rng.randint(0, 9)) for _ in range(5))
    weighted = sum(int(d) * w for d, w in zip(digits, [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]))
    check = (11 - weighted % 11) % 10
    return f"{digits[:6]}-{digits[6:]}{check}"


def account(rng: Random) -> str:
    def n(k):
        return "".join(str(rng.randint(0, 9)) for _ in range(k))
    return rng.choice([f"국민은행 {n(6)}-{n(2)}-{n(6)}", f"신한은행 110-{n(3)}-{n(6)}",
                       f"우리은행 1002-{n(3)}-{n(6)}", f"하나은행 {n(3)}-{n(6)}-{n(5)}",
                       f"농협은행 351-{n(4)}-{n(4)}-{n(2)}", f"기업은행 {n(3)}-{n(6)}-{n(2)}-{n(3)}"])


def address(rng: Random) -> str:
    city, road = rng.choice(ROADS)
    addr = f"{city} {road} {rng.randint(1, 400)}"
    return addr + (f", {rng.randint(101, 115)}동 {rng.randint(1, 25)}{rng.randint(1, 9):02d}호"
                   if rng.random() < 0.4 else "")


def pii_sentence(rng: Random) -> str:
    name, roman = person(rng)
    email = f"{roman}{rng.choice(['', str(rng.randint(1, 99))])}@{rng.choice(MAIL_DOMAINS)}"
    return rng.choice([
        f"문의는 담당자 {name}({mobile(rng)}, {email})에게 연락 바랍니다.",
        f"자세한 사항은 민원실({landline(rng)})로 문의하시기 바랍니다.",
        f"신청서는 담당자 이메일 {email} 으로 보내 주시면 됩니다.",
        f"후원 계좌는 {account(rng)}이며 예금주는 {name}입니다.",
        f"설명회 장소는 {address(rng)}입니다.",
        f"신청인 {name}의 주민등록번호는 {rrn(rng)}이고 연락처는 {mobile(rng)}입니다.",
        f"제보는 전화 {mobile(rng)} 또는 이메일 {email} 으로 받습니다.",
        f"{name} 씨의 자택 주소는 {address(rng)}이고, 사무실 번호는 {landline(rng)}입니다.",
        f"환불 받으실 계좌({account(rng)})와 주민등록번호({rrn(rng)})를 확인해 주십시오.",
    ])


def date_line(rng: Random) -> str:
    y, m, d = rng.randint(2015, 2024), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice([f"등록일 {y}.{m:02d}.{d:02d}", f"작성일: {y}-{m:02d}-{d:02d}",
                       f"{y}년 {m}월 {d}일 게시"])


class Gen:
    """Holds the RNG, the source units and the URLs already handed out."""

    def __init__(self, seed: int):
        self.rng = Random(seed)
        base = corpus_dir()
        self.articles = load_constitution(base / "kolaw" / "constitution.txt")
        self.bill_paras, self.raw_bills = [], []
        self.raw_constitution = [l.strip() for l in (base / "kolaw" / "constitution.txt").read_text(
            encoding="utf-8").splitlines() if l.strip()]
        seen: set[str] = set()  # membership only, never iterated
        for path in sorted((base / "kobill").glob("*.txt")):
            title, paras, raw = load_bill(path)
            self.raw_bills.append((title, raw))
            # Two of the bills share their explanatory text word for word except
            # article numbers; keep one copy so "clean" docs are not near-dups.
            fresh = [p for p in paras if re.sub(r"\d", "", p)[:60] not in seen]
            seen.update(re.sub(r"\d", "", p)[:60] for p in fresh)
            self.bill_paras += [(title, p) for p in fresh]
        self.urls: set[str] = set()

    def url(self, domains=DOMAINS, scheme="https") -> str:
        while True:
            kind = self.rng.choice(["post", "view", "board", "entry"])
            u = f"{scheme}://{self.rng.choice(domains)}/{kind}/{self.rng.randint(1000, 9999999)}"
            if u not in self.urls:
                self.urls.add(u)
                return u

    def excerpt(self, units: list, lo: int, hi: int) -> list:
        # Keep n units out of a window ~3x wider, so two docs from the same
        # region share only about a fifth of their text (not near-dups).
        n = min(self.rng.randint(lo, hi), len(units))
        span = min(len(units), 3 * n)
        start = self.rng.randrange(len(units) - span + 1)
        return [units[i] for i in sorted(self.rng.sample(range(start, start + span), n))]

    def clean_lines(self, n_law=(5, 18), n_bill=(3, 8)) -> tuple[list[str], str]:
        """Lines of a clean page and its source: constitution paragraphs (85%)
        or a digest of bill paragraphs; n_* bound how many units it takes."""
        rng = self.rng
        if rng.random() < 0.85:
            picked = self.excerpt(self.articles, *n_law)
            chapter = picked[0][0]
            body = [t for _, t in picked]
            title = rng.choice([f"대한민국헌법 {chapter}", f"[헌법 공부] {chapter} 조문 정리",
                                f"헌법 {chapter} 주요 조항 모음", "알기 쉬운 헌법 읽기"])
            intro = rng.choice([f"오늘은 헌법 {chapter}의 조문을 차례로 읽어 보겠습니다.",
                                "아래는 현행 헌법의 해당 조문 전문입니다.",
                                "시험을 준비하면서 중요한 조항을 정리해 두었습니다."])
            source = "kolaw"
        else:
            # A digest of recent bills: excerpts from the pooled paragraphs, each
            # group under its bill's title. Pooling keeps docs from overlapping much,
            # as single bills have only four or five prose paragraphs.
            body, last = [], None
            for bill, para in self.excerpt(self.bill_paras, *n_bill):
                if bill != last:
                    body.append(f"[{bill}]")
                    last = bill
                body.append(para)
            title = rng.choice(["이번 주 국회 발의 법률안 모음", "국회 의안 정보 요약", "새로 발의된 법안 살펴보기"])
            intro = rng.choice(["최근 국회에 발의된 법률안의 제안이유와 주요내용을 소개합니다.",
                                "다음은 의안 원문에서 발췌한 내용입니다."])
            source = "kobill"
        lines = []
        if rng.random() < 0.6:
            lines.append(title)
        if rng.random() < 0.3:
            lines.append(date_line(rng))
        if rng.random() < 0.3:
            lines.append(intro)
        lines += body
        if rng.random() < 0.2:
            lines.append(rng.choice(["읽어 주셔서 감사합니다.", "궁금한 점은 댓글로 남겨 주세요.",
                                     "원문은 국가법령정보센터에서 확인할 수 있습니다."]))
        return lines, source

    def doc(self, text, kind, source="synthetic", url=None) -> dict:
        return {"text": text, "url": url or self.url(), "source": source, "sample_kind": kind}

    # ------------------------------------------------------------ kinds
    def clean(self) -> dict:
        lines, source = self.clean_lines()
        return self.doc("\n".join(lines), "clean", source)

    def clean_pii(self) -> dict:
        lines, source = self.clean_lines((4, 12), (2, 6))
        for _ in range(self.rng.randint(1, 3)):
            lines.insert(self.rng.randint(1, len(lines)), pii_sentence(self.rng))
        return self.doc("\n".join(lines), "clean_pii", source)

    def near_dup(self, orig: dict) -> dict:
        rng = self.rng
        lines = orig["text"].split("\n")
        dates = [i for i, l in enumerate(lines) if re.match(r"(등록일|작성일|\d{4}년)", l)]
        edit = rng.choice(["chars", "swap", "tail"] + (["date"] if dates else []))
        if edit == "date":
            lines[dates[0]] = date_line(rng)
        elif edit == "swap" and len(lines) > 2:
            i = rng.randrange(len(lines) - 1)
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif edit == "tail":
            lines.append(rng.choice(["(끝)", "출처: 국가법령정보센터", "다음 글에서 이어집니다."]))
        text = "\n".join(lines)
        if edit == "chars" or text == orig["text"]:
            chars = list(text)
            for _ in range(1 + len(chars) // 1500):
                i = rng.randrange(len(chars))
                if "가" <= chars[i] <= "힣":  # only touch syllables so line structure survives
                    chars[i] = rng.choice(["", chr(rng.randint(0xAC00, 0xD7A3))])
            text = "".join(chars)
            if text == orig["text"]:
                text += " "
        return self.doc(text, "near_dup", orig["source"])

    def boilerplate(self) -> dict:
        lines, source = self.clean_lines()
        rng = self.rng
        top = rng.sample(NAV[:2] + NAV[5:8], rng.randint(1, 3))
        year = rng.randint(2010, 2024)
        bottom = rng.sample(NAV[1:5] + NAV[8:], rng.randint(2, 4)) + [
            f"Copyright © {year} {rng.choice(COMPANIES)}. All rights reserved."]
        return self.doc("\n".join(top + lines + bottom), "boilerplate", source)

    def nav_only(self) -> dict:
        lines = self.rng.sample(NAV, self.rng.randint(5, 9))
        lines.insert(self.rng.randint(0, len(lines)), self.rng.choice(
            ["로그인이 필요한 서비스입니다.", "요청하신 페이지를 찾을 수 없습니다.", "게시물이 없습니다."]))
        return self.doc("\n".join(lines), "nav_only")

    def spam(self) -> dict:
        rng = self.rng
        host = f"{rng.choice(['toto', 'casino', 'bet', 'slot'])}-{rng.choice(['king', 'vip', 'win'])}"
        host += f"{rng.randint(1, 999)}.com"
        site = f"http://{host}"
        tg = f"@{rng.choice(['toto', 'vip', 'casino', 'anma'])}_{rng.randint(10, 9999)}"
        pool = [f"✅ 바카라 사이트 추천 ✅ 가입머니 {rng.randint(1, 5)}만원 즉시 지급",
                "먹튀검증 완료 안전한 토토사이트 순위 TOP10", f"첫충 {rng.choice([10, 20, 30])}% 매충 10% 무제한",
                f"주소 {site} 텔레그램 문의 {tg}", "카지노 슬롯 실시간 온라인 카지노 바카라",
                "성인 야동 무료 보기 19금 성인방송 바로가기", f"출장안마 24시 후불제 {mobile(rng)}",
                "메이저 놀이터 ★ 스포츠토토 ★ 파워볼 ★ 미니게임", f"▶▶ {site} ◀◀ 지금 바로 접속",
                "롤링 최저 환전 빠른 안전놀이터 먹튀 없는 곳"]
        lines = []
        for _ in range(rng.randint(6, 20)):
            lines += [rng.choice(pool)] * rng.randint(1, 3)  # spam pages repeat their hooks
        return self.doc("\n".join(lines), "spam_gambling", url=self.url([host], "http"))

    def jamo(self) -> dict:
        rng = self.rng
        bits = ["ㅋ" * rng.randint(3, 20), "ㅎ" * rng.randint(2, 8), "ㅠ" * rng.randint(2, 9), "ㄷㄷ",
                "ㅇㅇ", "ㄹㅇ", "ㅇㅈ", "ㄱㄱ", "ㅜㅜ", "헐", "ㅋㅋㅋ 진짜", "대박 ㅋㅋㅋㅋㅋ"]
        lines = [" ".join(rng.choice(bits) for _ in range(rng.randint(1, 4)))
                 for _ in range(rng.randint(1, 8))]
        return self.doc("\n".join(lines), "jamo_spam")

    def repetitive(self) -> dict:
        rng = self.rng
        unit = rng.choice(self.articles)[1]
        style = rng.randrange(3)
        if style == 0:  # one line many times (template-filled page)
            text = "\n".join([unit.split("\n")[0]] * rng.randint(20, 80))
        elif style == 1:  # the same paragraph pasted over and over
            text = "\n\n".join([unit] * rng.randint(5, 15))
        else:  # a promo phrase looped inside one line
            text = " ".join([rng.choice(["지금 바로 확인하세요!", "최저가 보장 특가 세일", "무료 배송 이벤트 진행 중"])]
                            * rng.randint(30, 120))
        return self.doc(text, "repetitive")

    def foreign(self, lang: str) -> dict:
        rng = self.rng
        sents = [s.strip() for s in re.split(r"(?<=[.。!?])\s*", FOREIGN[lang]) if s.strip()]
        picked = rng.sample(sents, rng.randint(6, 10))
        cut = rng.randint(2, len(picked) - 2)
        sep = " " if lang == "en" else ""
        paras = [sep.join(picked[:cut]), sep.join(picked[cut:])]
        domain = {"en": "www.example.com", "ja": "www.example.jp", "zh": "news.example.com.cn"}[lang]
        return self.doc("\n".join(paras), f"foreign_{lang}", url=self.url([domain]))

    def short(self) -> dict:
        return self.doc(self.rng.choice(SHORT), "short")

    def long(self, i: int) -> dict:
        # Whole documents as a PDF-to-text dump: the constitution plus most bills
        # verbatim, tables included. The source holds only ~135 KB, so every long
        # doc takes most of it and the long docs overlap one another.
        bills = self.raw_bills[:]
        self.rng.shuffle(bills)
        blocks = [self.raw_constitution] + [[f"[{t}]"] + raw for t, raw in bills]
        for _ in range(self.rng.randint(1, 4)):
            drop = self.rng.randrange(1, len(blocks))
            if sum(map(nbytes, blocks)) - nbytes(blocks[drop]) >= 100_000:
                del blocks[drop]
        lines = [f"법령 원문 자료실 {i + 1}"] + [line for b in blocks for line in b]
        return self.doc("\n".join(lines), "long", "kolaw+kobill")

    def mojibake(self, euckr: bool = False) -> dict:
        lines, source = self.clean_lines((4, 10), (2, 5))
        text = "\n".join(lines)
        if euckr:  # wrong legacy codec: the bytes can't be recovered as UTF-8
            bad = text.encode("euc-kr", errors="replace").decode("latin-1")
        elif self.rng.random() < 0.75:
            bad = sloppy_cp1252(text.encode("utf-8"))
        else:
            bad = text.encode("utf-8").decode("latin-1")
        return self.doc(bad, "mojibake", source)

    def bad_rows(self) -> list[dict]:
        def base() -> str:
            return "\n".join(self.clean_lines((3, 6), (2, 3))[0])

        texts = [None, None, "", " ", "\n\n\t  \n", "\u3000\u3000"]
        t = base()
        texts.append(t[:40] + "\x00" + t[40:80] + "\x00\x00" + t[80:])
        t = base()
        texts.append(t[:30] + "\x07\x1b[31m" + t[30:90] + "\x0b\x0c" + t[90:] + "\x7f")
        texts.append("\ufeff" + base().replace(" ", " \u200b", 3))
        texts.append("제품 모델명은 ＳＭ－Ｇ９９８Ｎ이며 가격은 １２３，０００원입니다.\n" + base())
        texts.append(base() + "\n회원 등급: ＶＩＰ ＡＢＣ１２３ 코드로 할인받으세요.")
        texts.append(base().replace("\n", "\r\n"))
        return [self.doc(x, "bad_row") for x in texts]

    def table_like(self) -> dict:
        rng = self.rng

        def price() -> str:
            return f"{rng.randint(1, 90) * 500:,}원"

        style = rng.randrange(3)
        if style == 0:  # price table
            rows = ["품목 | 정가 | 할인가 | 할인율"] + [
                f"{rng.choice(['아메리카노', '라떼', '생수', '샴푸', '충전기'])} | {price()} | {price()} | "
                f"-{rng.randint(1, 50)}%" for _ in range(rng.randint(8, 25))]
        elif style == 1:  # numbered list of dates and figures
            rows = [f"{i}. {rng.randint(2015, 2024)}.{rng.randint(1, 12):02d}.{rng.randint(1, 28):02d} "
                    f"{rng.randint(100, 99999):,} ({rng.choice('+-')}{rng.random() * 10:.2f}%)"
                    for i in range(1, rng.randint(10, 30))]
        else:  # bullet order lines
            rows = [f"• {rng.choice('ABCDEFGH')}-{rng.randint(100, 9999)} {price()} x{rng.randint(1, 9)}"
                    f" = {price()}" for _ in range(rng.randint(8, 25))]
        return self.doc("\n".join(rows), "table_like")


def nbytes(lines: list[str]) -> int:
    return len("\n".join(lines).encode("utf-8"))


def sloppy_cp1252(data: bytes) -> str:
    """Decode as Windows-1252 the way browsers do: unmapped bytes pass through as
    latin-1, which is the mojibake ftfy is built to undo."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in data)


SHORT = ["좋아요", "감사합니다 ^^", "잘 봤습니다", "추천합니다", "최고!", "정보 감사해요", "굿", "대박",
         "퍼가요~", "저도요", "공감합니다", "오 신기하네요", "구독하고 갑니다", "ok", "1등"]

# Foreign-language pages: sentences written for this sample, recombined per doc.
FOREIGN = {
    "en": "The city council approved a new budget for public libraries on Tuesday. Officials said "
          "the money will be used to extend opening hours on weekends. Several residents spoke in "
          "favour of the plan during the hearing. A local bakery has started donating unsold bread "
          "to a nearby shelter. The owner said the idea came from one of her regular customers. "
          "Researchers found that short walks after meals can lower blood sugar levels. The study "
          "followed more than two hundred adults for six months. Experts caution that the results "
          "still need to be confirmed by larger trials. Train services between the two cities will "
          "be suspended for maintenance next month. Passengers are advised to check the timetable "
          "before they travel. The museum will host a free exhibition of modern ceramics this "
          "summer. Volunteers are needed to help with guided tours for school groups.",
    "ja": "市議会は火曜日、公立図書館の新しい予算を承認した。この予算は週末の開館時間の延長に使われる予定だ。"
          "公聴会では多くの住民が計画に賛成の意見を述べた。駅前のパン屋が売れ残ったパンを近くの施設に寄付し始めた。"
          "店主によると、常連客の一人の提案がきっかけだったという。"
          "食後の短い散歩が血糖値を下げる効果があるという研究結果が発表された。"
          "研究では二百人以上の成人を六か月間にわたって追跡した。専門家は、より大規模な調査で確認する必要があると指摘している。"
          "来月、二つの都市を結ぶ列車が点検のため運休する。利用者は出発前に時刻表を確認するよう呼びかけられている。"
          "美術館では今年の夏、現代陶芸の無料展示が開かれる。学校団体の案内を手伝うボランティアを募集している。",
    "zh": "市议会周二批准了公共图书馆的新预算。官员表示，这笔资金将用于延长周末的开放时间。"
          "在听证会上，多位居民表示支持这项计划。车站附近的一家面包店开始把卖剩的面包捐给附近的收容所。"
          "店主说，这个想法来自一位老顾客的建议。研究发现，饭后短时间散步有助于降低血糖水平。"
          "这项研究对两百多名成年人进行了为期六个月的跟踪。专家提醒，这些结果仍需要更大规模的试验来证实。"
          "下个月，连接两座城市的列车将因检修而暂停运行。乘客出行前最好先查看列车时刻表。"
          "博物馆今年夏天将举办一场免费的现代陶艺展览。馆方正在招募志愿者，为学校团体提供导览服务。",
}


# ---------------------------------------------------------------- assembly
def generate(out_dir, seed: int = 0, n_shards: int = 4) -> list[Path]:
    """Write out_dir/part-00000.parquet ... and return their paths."""
    g = Gen(seed)
    clean = [g.clean() for _ in range(N_CLEAN)]
    docs = clean + [g.clean_pii() for _ in range(N_PII)]
    # Each copy remembers its original so it can be placed in another shard.
    copies = [(g.doc(o["text"], "exact_dup", o["source"]), o) for o in g.rng.sample(clean, N_DUP)]
    copies += [(g.near_dup(o), o) for o in g.rng.sample(clean, N_NEAR)]
    docs += [g.boilerplate() for _ in range(N_BOILER)] + [g.nav_only() for _ in range(N_NAV)]
    docs += [g.spam() for _ in range(N_SPAM)] + [g.jamo() for _ in range(N_JAMO)]
    docs += [g.repetitive() for _ in range(N_REPEAT)]
    docs += [g.foreign(lang) for lang in ("en", "ja", "zh") for _ in range(N_FOREIGN)]
    docs += [g.short() for _ in range(N_SHORT)] + [g.long(i) for i in range(N_LONG)]
    docs += [g.mojibake() for _ in range(N_MOJI)] + [g.mojibake(True) for _ in range(N_EUCKR)]
    docs += g.bad_rows() + [g.table_like() for _ in range(N_TABLE)]

    g.rng.shuffle(docs)
    shards: list[list[dict]] = [[] for _ in range(n_shards)]
    home: dict[int, int] = {}  # id(doc) -> shard; keyed by object id, never iterated
    for i, d in enumerate(docs):
        shards[i % n_shards].append(d)
        home[id(d)] = i % n_shards
    for copy, orig in copies:
        s = home[id(orig)]
        if n_shards > 1:
            s = (s + g.rng.randint(1, n_shards - 1)) % n_shards
        shards[s].append(copy)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stale in sorted(out.glob("part-*.parquet")):
        stale.unlink()  # a rerun with fewer shards must not leave old shards behind
    paths = []
    for k, rows in enumerate(shards):
        g.rng.shuffle(rows)
        table = pa.Table.from_pylist(rows, schema=SCHEMA)
        path = out / f"part-{k:05d}.parquet"
        pq.write_table(table, path, compression="zstd")
        paths.append(path)
    return paths


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shards", type=int, default=4)
    args = ap.parse_args(argv)
    if args.shards < 1:
        ap.error("--shards must be at least 1")
    try:
        paths = generate(args.out_dir, args.seed, args.shards)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    n = sum(pq.read_metadata(p).num_rows for p in paths)
    print(f"wrote {n} documents in {len(paths)} shards to {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
