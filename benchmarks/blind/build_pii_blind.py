#!/usr/bin/env python3
"""Build the BLIND evaluation set for the PII redaction stage (pii blind.jsonl).

The set measures a Korean PII redactor: synthetic personal information
(person names, phone numbers, e-mails, resident/foreigner registration
numbers, passports, driver licences, business numbers, cards, bank
accounts, IP addresses, postal addresses) is inserted, inside sentences
written from templates, into REAL Korean carrier text (petitions, Wikipedia
paragraphs, movie reviews, news comments, chit-chat).  About 40 % of the
documents carry no PII at all; half of those contain hard negatives (dates,
prices, ISBNs, version strings, order numbers, name-like common words, ...).

Carrier text comes only from the "blind" half of each shared file (the
blake2b ``pool`` rule of build_langid_blind.py).  Carriers are screened by an
over-inclusive rule (see ``CarrierScreen``) so that they hold no personal
information of their own: every Hangul word must be a frequent word of the
blind corpora that was never seen as a name, and digit runs, '@', URLs,
Hanja and capitalised Latin words are rejected.

Output: JSON Lines, one document per line:
  id, text, spans[{start,end,type,form}], register, source, line,
  negatives[kinds], generated
Spans are Python str offsets (end exclusive), asserted against the inserted
values.  Deterministic for a given --seed and data folder.  Standard library
only.

Written by a helper that never read kopile's PII code or its development set.
"""
from __future__ import annotations

import collections
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BUCKETS, blind_records, bucket  # noqa: E402

# --------------------------------------------------------------------------
# pools (same rule as build_langid_blind.py), length buckets
# --------------------------------------------------------------------------





# --------------------------------------------------------------------------
# Hangul helpers: final consonant and particle choice
# --------------------------------------------------------------------------

DIGIT_FINAL = {"0": "ㅇ", "1": "ㄹ", "2": "", "3": "ㅁ", "4": "", "5": "", "6": "ㄱ", "7": "ㄹ", "8": "ㄹ", "9": ""}
LETTER_FINAL = {"l": "ㄹ", "r": "ㄹ", "m": "ㅁ", "n": "ㄴ"}
WORD_FINAL = {"com": "ㅁ", "net": "ㅅ", "kr": "ㄹ", "org": "", "io": "", "me": "", "biz": "", "co": "",
              "kim": "ㅁ", "park": "ㄱ", "lee": "", "choi": "", "jung": "ㅇ", "kang": "ㅇ"}


def final_of(s: str) -> str:
    """Final consonant ('' if none, 'ㄹ' for rieul, 'x' for another) of the
    last pronounced character of s, ignoring closing brackets/punctuation."""
    t = s.rstrip(")]}>.,'\" ")
    if not t:
        return ""
    c = t[-1]
    if "\uac00" <= c <= "\ud7a3":
        f = (ord(c) - 0xAC00) % 28
        return "" if f == 0 else ("ㄹ" if f == 8 else "x")
    if c.isdigit():
        f = DIGIT_FINAL[c]
        return "" if not f else ("ㄹ" if f == "ㄹ" else "x")
    m = re.search(r"[A-Za-z]+$", t)
    if m:
        w = m.group(0).lower()
        if w in WORD_FINAL:
            f = WORD_FINAL[w]
        elif w[-2:] == "ng" or w[-1] in "mnkpt":
            f = "x"
        elif w[-1] in "lr" and len(w) > 1:
            f = "ㄹ"
        else:
            f = LETTER_FINAL.get(w[-1], "") if len(w) == 1 else ""
        return "" if not f else ("ㄹ" if f == "ㄹ" else "x")
    return ""


def josa(word: str, spec: str) -> str:
    """spec 'A/B': A after a final consonant, B after a vowel; for 으로/로
    rieul takes 로."""
    a, b = spec.split("/")
    f = final_of(word)
    if a.startswith("으") and b == a[1:]:
        return b if f in ("", "ㄹ") else a
    return a if f else b


# --------------------------------------------------------------------------
# Carrier screening: over-inclusive rule against unlabelled PII in real text
# --------------------------------------------------------------------------

SURNAME_SYL = set("김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진지엄채원천방공현함변염여추도소석선설마길연위표명기반라왕금옥육인맹제모탁국어은편용예경봉사부가복태목형피두감음빈동온호범좌팽승간상시갈")
COMPOUND_SURNAMES = ["남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방"]
RE_HTOK = re.compile(r"[\uac00-\ud7a3]+")
SUFFIXES = sorted(set("""에서는 에게서 으로는 으로도 이라고 이라는 이라도 에서도 에서 에게 께서 한테 으로 이랑 까지 부터 보다 처럼 이나
이다 이고 이며 이야 이나 입니다 이에요 예요 이지 이는 이가 이도 이를 이랑 하고 께 은 는 이 가 을 를 의 에 로 와 과 랑 도 만 나 야 아
씨 님 들 님이 님은 님께 님의 씨가 씨는 씨의 씨와 한 했 하는 했다 해서 하게 하다 했던 라고 라는""".split()), key=len, reverse=True)
# person markers used to collect names from the corpora (a word right before one of
# these is taken as a possible name and never counts as a known word)
PERSON_MARKERS = ("씨|님|선생님|대통령|전대통령|의원|교수|감독|배우|선수|작가|장관|기자|회장|사장|총리|후보|위원장|"
                  "대변인|변호사|판사|검사|목사|신부|스님|여사|옹|군|양|가수|씨가|씨는|씨의|님이|님은|님의|님께")
RE_BEFORE_MARKER = re.compile(r"(?<![\uac00-\ud7a3])([\uac00-\ud7a3]{2,5})\s?(" + PERSON_MARKERS + r")(?![\uac00-\ud7a3])|(?<![\uac00-\ud7a3])([\uac00-\ud7a3]{2,5}?)\s?(감독|대통령|의원|선수|배우|정부|정권|씨|교수|장관)(?=[이가은는을를의에과와도께])")
STRONG_MARKERS = {"대통령", "전대통령", "총리", "감독", "배우", "선수", "가수", "씨", "씨가", "씨는", "씨의", "여사", "의원", "장관", "교수", "작가"}
RE_STRUCT = [
    re.compile(r"\d{6,}"),                                   # any long digit run
    re.compile(r"\d{2,6}[\s\-.)]{1,3}\d{3,}[\s\-.]{1,3}\d{3,}"),  # grouped numbers (phone, account, rrn ...)
    re.compile(r"\d+\s?-\s?\d{4,}"),
    re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"),       # dotted quad
    re.compile(r"[@＠]|골뱅이|\(at\)|\[at\]|\bat\b|\bdot\b|닷컴"),
    re.compile(r"https?:|www\.|\.com|\.net|\.kr|\.org", re.I),
    re.compile(r"[A-Za-z]{1,2}\d{7,}|[A-Z]\d{3}[A-Z]\d{4}"),
    re.compile(r"(?:로|길|번길|대로)\s?\d+|\d+\s?번지|\d+\s?동\s?\d+\s?호|\d+\s?호\b|\d+층"),  # address-like
    re.compile(r"주민|등록번호|여권|면허|계좌|예금주|카드번호|사업자|연락처|전화번호|핸드폰|휴대폰|이메일|메일|주소|아이피|IP", re.I),
    re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),  # Hanja (names written in Hanja)
    re.compile(r"\b[A-Z][a-z]+"),                             # capitalised Latin word (Kim, Smith, brands)
    re.compile(r"\b[A-Z]{2,}\s+[A-Z]{2,}"),                   # KANG EUN JI
    re.compile(r"[○◯●*＊xX]{2,}|[가-힣][○◯●*＊]|모\s?씨|모\(\d"),  # masked names, 김모 씨
    re.compile(r":\s?\d{2}:|::"),
    re.compile(r"&[a-z]+;"),
]


SUFFIX_SET = set(SUFFIXES)
_VAR: dict[str, tuple] = {}


def variants(tok: str):
    v = _VAR.get(tok)
    if v is None:
        v = [tok]
        for k in (1, 2, 3):
            if len(tok) > k and tok[-k:] in SUFFIX_SET:
                v.append(tok[:-k])
        v = tuple(v)
        if len(_VAR) < 2_000_000:
            _VAR[tok] = v
    return v


def surname_like(v: str) -> bool:
    if any(v.startswith(c) for c in COMPOUND_SURNAMES) and 3 <= len(v) <= 4:
        return True
    return v[0] in SURNAME_SYL and 2 <= len(v) <= 3


class CarrierScreen:
    """Known-word lexicon from the blind corpora.  A word is known when it
    (or the word minus a particle) occurs in >= 5 documents of >= 2 of the
    five registers (petition, wiki, review, comment, chat); a word that
    starts with a surname syllable and is 2-3 syllables long (3-4 with a
    compound surname) must be a chit-chat word, or (2 syllables) occur in
    >= 20 documents of >= 2 registers, or occur in >= 50 documents of >= 4
    registers.  A word that starts with a collected name is never known.  Words ever seen right before a person marker
    (씨, 님, 대통령, 감독, 배우, 의원, ...) and the parts of kowiki titles of
    biographies are never known.  A carrier sentence passes only if all its
    Hangul words are known and no structured-PII-like pattern occurs."""

    def __init__(self, corpora: dict[str, list[tuple[int, str]]], wiki_titles: list[tuple[str, str]]):
        df = collections.Counter()
        regs = collections.defaultdict(set)
        names = set()
        name_cands = collections.Counter()
        title_names = set()
        for reg, docs in corpora.items():
            for _, text in docs:
                toks = set(RE_HTOK.findall(text))
                vs = set()
                for t in toks:
                    vs.update(variants(t))
                for v in vs:
                    df[v] += 1
                    regs[v].add(reg)
                for m in RE_BEFORE_MARKER.finditer(text):
                    w, mk = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
                    if surname_like(w) or ((mk in STRONG_MARKERS or mk in ("정부", "정권")) and len(w) >= 2):
                        name_cands[w] += 1
        # kowiki biographies: "제목(..., 1924년 10월 1일 ~ )는 ..." or "태어났다"
        for title, head in wiki_titles:
            if re.search(r"\d{3,4}년 \d{1,2}월 \d{1,2}일\s?[~–-]", head[:200]) or re.search(r"태어났|선수이다|배우이다|가수이다|정치인이다|작가이다", head):
                t = re.sub(r"\s*\(.*?\)", "", title)
                parts = t.split()
                if 1 <= len(parts) <= 4:
                    for part in [t.replace(" ", "")] + parts:
                        if RE_HTOK.fullmatch(part) and len(part) >= 2:
                            title_names.add(part)
        chat = corpora.get("chat", [])
        chat_vocab = set()
        for _, text in chat:
            for t in RE_HTOK.findall(text):
                chat_vocab.update(variants(t))
        # a word seen before a marker is a name unless it is frequent without one
        # (사람이, 회사 ... before 님/대표); chit-chat words need a high ratio
        for w, n in name_cands.items():
            ratio = n / max(df[w], 1)
            if (ratio >= 0.02 or df[w] <= 20) and (w not in chat_vocab or ratio >= 0.2):
                names.add(w)
        names.update(w for w in title_names if w not in chat_vocab)
        self.names = names
        known = set()
        for v, n in df.items():
            if v in names:
                continue
            if surname_like(v):
                # 3-syllable surname-initial words (the shape of a full name,
                # e.g. a celebrity) must be chit-chat words or very widespread
                if v in chat_vocab or (len(v) == 2 and n >= 20 and len(regs[v]) >= 2) or (n >= 50 and len(regs[v]) >= 4):
                    known.add(v)
            elif n >= 5 and len(regs[v]) >= 2:
                # a word of one register only (e.g. a transliterated foreign
                # name that only Wikipedia uses) is not known
                known.add(v)
        self.known = known

    def word_ok(self, tok: str) -> bool:
        if tok in self.names or tok[:3] in self.names or tok[:4] in self.names:
            return False  # a known name, also inside a compound (…정부의, …감독이)
        for v in variants(tok):
            if v in self.known:
                return True
        return False

    def ok(self, s: str) -> bool:
        for r in RE_STRUCT:
            if r.search(s):
                return False
        return all(self.word_ok(t) for t in RE_HTOK.findall(s))


RE_SENT = re.compile(r"[^\n]*?(?:[.!?~。]+(?=\s)|\n|$)")


def sentences(text: str):
    """(start, end) of sentences; end includes the punctuation, not the space."""
    out = []
    i = 0
    for m in re.finditer(r"[.!?。]+(?=\s)|\n", text):
        e = m.end() if m.group(0) != "\n" else m.start()
        if e > i and text[i:e].strip():
            out.append((i, e))
        i = m.end()
        while i < len(text) and text[i] in " \t":
            i += 1
    if i < len(text) and text[i:].strip():
        out.append((i, len(text)))
    return out


# --------------------------------------------------------------------------
# Carrier loading
# --------------------------------------------------------------------------

def clean(t: str) -> str:
    return t.replace("\r\n", "\n").replace("\r", "\n").strip()


def load_corpora(data: str):
    c = {}
    c["chat"] = []
    for i, d in blind_records(data, "chatbot/chatbot_data.jsonl.gz"):
        c["chat"].append((i, clean(d.get("instruction") or "") + "\n" + clean(d.get("output") or "")))
    c["review"] = [(i, clean(d.get("text") or "")) for i, d in blind_records(data, "nsmc/nsmc_raw_reviews.jsonl.gz")]
    c["comment"] = [(("labeled_train.jsonl.gz", i), clean(d.get("text") or "")) for i, d in blind_records(data, "hate_speech/labeled_train.jsonl.gz")]
    c["comment"] += [(("unlabeled_comments.jsonl.gz", i), clean(d.get("text") or "")) for i, d in blind_records(data, "hate_speech/unlabeled_comments.jsonl.gz")]
    c["petition"] = [(i, clean(d.get("text") or "")) for i, d in blind_records(data, "petitions/petitions.jsonl.gz")]
    wiki, titles = [], []
    for i, d in blind_records(data, "kowiki/kowiki_sample.jsonl.gz"):
        t = d.get("text") or ""
        title = d.get("title") or ""
        if len(t) <= len(title) + 1:
            continue
        body = t[len(title):].strip() if t.startswith(title) else t
        wiki.append((i, body))
        titles.append((title, body[:300]))
    c["wiki"] = wiki
    return c, titles


def passage_runs(text: str, screen: CarrierScreen):
    """Maximal runs of consecutive passing sentences: list of (start, end)."""
    runs, cur = [], None
    for s, e in sentences(text):
        if screen.ok(text[s:e]):
            cur = (cur[0], e) if cur else (s, e)
        else:
            if cur:
                runs.append(cur)
            cur = None
    if cur:
        runs.append(cur)
    return runs


def make_carriers(corp, screen, rng):
    """Per register a shuffled list of carrier dicts {text, source, line}."""
    out = {}
    src_name = {"chat": "chatbot_data.jsonl.gz", "review": "nsmc_raw_reviews.jsonl.gz",
                "petition": "petitions.jsonl.gz", "wiki": "kowiki_sample.jsonl.gz"}
    for reg in ("chat", "review", "comment"):
        lst = []
        seen = set()
        for key, text in corp[reg]:
            if not text or len(text) < 2 or text in seen:
                continue
            if not re.search(r"[\uac00-\ud7a3]", text):
                continue
            if reg == "chat":
                # one message or the question+answer pair
                if not all(screen.ok(p) for p in text.split("\n")):
                    continue
            elif not screen.ok(text):
                continue
            seen.add(text)
            if reg == "comment":
                src, line = key
            else:
                src, line = src_name[reg], key
            lst.append({"text": text, "source": src, "line": line})
        rng.shuffle(lst)
        out[reg] = lst
    for reg in ("petition", "wiki"):
        lst = []
        for line, text in corp[reg]:
            runs = passage_runs(text, screen)
            # long carrier: all passing sentences of the document in order (failing
            # sentences dropped; a line break is kept where the source had one)
            if len(runs) >= 2:
                parts = []
                for k, (s, e) in enumerate(runs):
                    if k:
                        parts.append("\n" if "\n" in text[runs[k - 1][1]:s] else " ")
                    parts.append(text[s:e].strip())
                seg = "".join(parts)
                if len(seg) >= 300:
                    if len(seg) > 3500:
                        cut = [x for x in sentences(seg) if x[1] <= 3500]
                        seg = seg[: cut[-1][1]] if cut else seg[:3500]
                    lst.append({"text": seg, "source": src_name[reg], "line": line, "joined": True})
            for s, e in runs:
                seg = text[s:e].strip()
                if len(seg) < 30 or not re.search(r"[\uac00-\ud7a3]{5}", seg):
                    continue
                if len(seg) > 3500:
                    cut = [x for x in sentences(seg) if x[1] <= 3500]
                    seg = seg[: cut[-1][1]] if cut else seg[:3500]
                lst.append({"text": seg, "source": src_name[reg], "line": line})
        rng.shuffle(lst)
        out[reg] = lst
    return out


# --------------------------------------------------------------------------
# Synthetic values
# --------------------------------------------------------------------------

SURNAMES = {"김": 21.5, "이": 14.7, "박": 8.4, "최": 4.7, "정": 4.3, "강": 2.3, "조": 2.1, "윤": 2.1, "장": 2.0, "임": 1.7,
            "한": 1.5, "오": 1.5, "서": 1.5, "신": 1.5, "권": 1.4, "황": 1.4, "안": 1.3, "송": 1.3, "류": 0.6, "유": 1.0,
            "전": 1.1, "홍": 1.1, "고": 0.9, "문": 0.9, "양": 0.9, "손": 0.9, "배": 0.8, "백": 0.7, "허": 0.6, "남": 0.5,
            "심": 0.5, "노": 0.5, "하": 0.5, "곽": 0.4, "성": 0.4, "차": 0.4, "주": 0.4, "우": 0.4, "구": 0.4, "민": 0.35,
            "진": 0.35, "지": 0.3, "엄": 0.3, "채": 0.3, "원": 0.25, "천": 0.25, "방": 0.2, "공": 0.2, "현": 0.2, "함": 0.2,
            "변": 0.2, "염": 0.15, "여": 0.15, "추": 0.15, "도": 0.1, "소": 0.1, "석": 0.1, "선": 0.1, "설": 0.1, "마": 0.1,
            "길": 0.1, "연": 0.1, "위": 0.1, "표": 0.1, "명": 0.1, "기": 0.05, "반": 0.05, "라": 0.05, "왕": 0.05, "금": 0.05,
            "옥": 0.05, "육": 0.05, "인": 0.05, "맹": 0.05, "제": 0.05, "모": 0.05, "탁": 0.05, "국": 0.05, "어": 0.05, "은": 0.05,
            "편": 0.05, "용": 0.05, "예": 0.05, "경": 0.05, "봉": 0.05, "사": 0.03, "부": 0.03, "가": 0.03, "복": 0.03, "태": 0.03,
            "목": 0.03, "형": 0.03, "피": 0.03, "두": 0.03, "감": 0.03, "음": 0.02, "빈": 0.02, "동": 0.02, "온": 0.02, "호": 0.02,
            "범": 0.02, "좌": 0.02, "팽": 0.02, "승": 0.02, "간": 0.02, "상": 0.02, "시": 0.02, "갈": 0.02,
            "남궁": 0.05, "황보": 0.05, "제갈": 0.03, "선우": 0.03, "독고": 0.02, "사공": 0.02, "서문": 0.02, "동방": 0.01}
GIVEN = {
    "old": "영수 영호 영철 영식 상철 정호 성호 성수 광수 명수 동수 종훈 병철 용호 기영 진호 정남 만수 춘식 덕배 판석 영희 순자 정숙 영자 명숙 미숙 경자 옥순 말순 정희 숙자 영숙 춘자 혜숙 복순 순희 길동 철수".split(),
    "mid": "성민 동현 상훈 지훈 준호 민수 재현 성훈 현철 정민 지영 은정 미영 현정 수진 지현 은주 혜진 미정 선영 은영 유진 주연 경민 승현 재훈 태호 진우 상민 혜원 소영 윤희 미경 경희 현주".split(),
    "young": "현우 동민 준영 승민 지민 수빈 민지 지은 다은 예진 수연 은비 가영 한나 민준 서준 도윤 예준 시우 하준 주원 지호 지후 준우 건우 우진 서진 유준 연우 은우 이준 도현 시윤 서연 서윤 지우 서현 하은 하윤 민서 지유 윤서 채원 수아 지아 지윤 은서 예은 소율 아린 하린 태윤 재윤 민재".split(),
    "native": "하늘 슬기 나래 한결 보람 아름 다운 빛나 가람 누리 다솜 한별 초롱 이슬 바다 가을 샛별 나라 새롬 단비".split(),
    "single": "구 혁 훈 준 민 진 윤 설 현 찬 결 솔 별 봄".split(),
    "triple": "빛나리 한아름 은하수 새하늘 이슬비 별하나 슬기로".split(),
}
ROMAN_SUR = {"김": ["Kim"], "이": ["Lee", "Yi", "Rhee"], "박": ["Park", "Pak"], "최": ["Choi"], "정": ["Jung", "Jeong", "Chung"],
             "강": ["Kang"], "조": ["Cho", "Jo"], "윤": ["Yoon", "Yun"], "장": ["Jang", "Chang"], "임": ["Lim", "Im"], "한": ["Han"],
             "오": ["Oh"], "서": ["Seo", "Suh"], "신": ["Shin"], "권": ["Kwon"], "황": ["Hwang"], "안": ["Ahn"], "송": ["Song"],
             "류": ["Ryu"], "유": ["Yoo", "Yu"], "전": ["Jeon", "Chun"], "홍": ["Hong"], "고": ["Ko", "Go"], "문": ["Moon"], "양": ["Yang"],
             "손": ["Son"], "배": ["Bae"], "백": ["Baek"], "허": ["Heo", "Huh"], "남": ["Nam"], "노": ["Noh", "Roh"], "하": ["Ha"],
             "곽": ["Kwak"], "성": ["Sung"], "차": ["Cha"], "주": ["Joo"], "우": ["Woo"], "구": ["Koo"], "민": ["Min"], "진": ["Jin"],
             "남궁": ["Namgung"], "황보": ["Hwangbo"], "제갈": ["Jegal"], "선우": ["Sunwoo"]}
ROMAN_SYL = {"영": ["young", "yeong"], "수": ["su", "soo"], "희": ["hee"], "민": ["min"], "준": ["jun", "joon"], "서": ["seo"],
             "지": ["ji"], "훈": ["hoon", "hun"], "현": ["hyun", "hyeon"], "우": ["woo"], "연": ["yeon"], "하": ["ha"], "은": ["eun"],
             "아": ["a"], "도": ["do"], "윤": ["yoon", "yun"], "예": ["ye"], "시": ["si"], "주": ["ju", "joo"], "원": ["won"],
             "호": ["ho"], "건": ["geon", "gun"], "진": ["jin"], "유": ["yu"], "성": ["sung", "seong"], "동": ["dong"], "상": ["sang"],
             "재": ["jae"], "정": ["jung", "jeong"], "혜": ["hye"], "경": ["kyung", "gyeong"], "미": ["mi"], "선": ["sun", "seon"],
             "채": ["chae"], "다": ["da"], "소": ["so"], "율": ["yul"], "린": ["rin"], "빈": ["bin"], "숙": ["sook"], "자": ["ja"],
             "철": ["cheol", "chul"], "식": ["sik"], "광": ["kwang"], "명": ["myung"], "용": ["yong"], "기": ["ki", "gi"], "남": ["nam"],
             "태": ["tae"], "승": ["seung"], "나": ["na"], "한": ["han"], "솔": ["sol"], "슬": ["seul"], "래": ["rae"], "름": ["reum"],
             "규": ["kyu"], "석": ["seok"], "혁": ["hyuk"], "인": ["in"], "가": ["ga"], "비": ["bi"], "결": ["gyeol"], "보": ["bo"]}
FOREIGN_FAMOUS = ["마이클 잭슨", "도널드 트럼프", "안젤라 메르켈", "버락 오바마", "조 바이든", "빌 게이츠", "스티브 잡스", "일론 머스크",
                  "마크 저커버그", "블라디미르 푸틴", "에마뉘엘 마크롱", "리오넬 메시", "크리스티아누 호날두", "테일러 스위프트",
                  "톰 행크스", "브래드 피트", "레오나르도 디카프리오", "데이비드 베컴", "존 레논", "폴 매카트니", "아베 신조",
                  "기시다 후미오", "시진핑", "저스틴 비버", "엠마 왓슨", "키아누 리브스", "마이클 조던", "로저 페더러"]
FOREIGN_FIRST = "존 마이클 데이비드 제임스 로버트 사라 에밀리 제시카 케빈 다니엘 피터 안나 마리아 토마스 크리스 앤드루 로라 올리비아 니콜라스 알렉스 소피아 에릭 줄리아".split()
FOREIGN_LAST = "스미스 존슨 브라운 윌리엄스 밀러 데이비스 가르시아 윌슨 앤더슨 테일러 무어 마틴 톰슨 화이트 해리스 클라크 루이스 워커 로페즈 슈미트 뮐러 타나카 스즈키".split()


def pick_surname(rng):
    if rng.random() < 0.3:
        return rng.choice(list(SURNAMES))
    ks = list(SURNAMES)
    return rng.choices(ks, weights=[SURNAMES[k] for k in ks])[0]


def pick_given(rng, kinds=None):
    kinds = kinds or ["old"] * 2 + ["mid"] * 3 + ["young"] * 4 + ["native"]
    k = rng.choice(kinds)
    return rng.choice(GIVEN[k]), k


def korean_name(rng):
    """(full, surname, given, kind)"""
    s = pick_surname(rng)
    r = rng.random()
    if r < 0.05:
        g, k = rng.choice(GIVEN["single"]), "single"
    elif r < 0.08:
        g, k = rng.choice(GIVEN["triple"]), "triple"
    else:
        g, k = pick_given(rng)
    return s + g, s, g, k


def romanize(rng, sur, given, style):
    rs = rng.choice(ROMAN_SUR.get(sur, ["Kim"]))
    sy = [rng.choice(ROMAN_SYL[c]) for c in given]
    if style == "hyphen":
        g = "-".join(sy).capitalize()
    elif style == "joined":
        g = "".join(sy).capitalize()
    else:
        g = " ".join(x.capitalize() for x in sy)
    return rs, g


def ok_roman(given):
    return all(c in ROMAN_SYL for c in given)


# --- checksummed numbers -----------------------------------------------------

def rand_date(rng, y0, y1):
    y = rng.randint(y0, y1)
    m = rng.randint(1, 12)
    d = rng.randint(1, [31, 29 if y % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1])
    return y, m, d


def rrn_digits(rng, foreign=False, valid=True):
    y, m, d = rand_date(rng, 1940, 2012)
    g = (1 if y < 2000 else 3) + rng.randint(0, 1)
    if foreign:
        g += 4
    body = f"{y % 100:02d}{m:02d}{d:02d}{g}{rng.randint(0, 99999):05d}"
    w = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    s = sum(int(a) * b for a, b in zip(body, w))
    if foreign:
        c = (11 - s % 11) % 10
        c = (c + 2) % 10
    else:
        c = (11 - s % 11) % 10
    if not valid:
        c = (c + rng.randint(1, 9)) % 10
    return body + str(c)


def biz_digits(rng):
    d = [rng.randint(1, 9), rng.randint(0, 9), rng.randint(0, 9)] + [int(x) for x in f"{rng.choice(list(range(1, 80)) + list(range(81, 89))):02d}"] + [rng.randint(0, 9) for _ in range(4)]
    w = [1, 3, 7, 1, 3, 7, 1, 3, 5]
    s = sum(a * b for a, b in zip(d, w)) + (d[8] * 5) // 10
    d.append((10 - s % 10) % 10)
    return "".join(map(str, d))


def luhn_complete(prefix: str, length: int, rng) -> str:
    s = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    tot = 0
    for i, ch in enumerate(reversed(s)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        tot += n
    return s + str((10 - tot % 10) % 10)


def rdig(rng, n, first_nonzero=False):
    s = "".join(str(rng.randint(0, 9)) for _ in range(n))
    if first_nonzero and s[0] == "0":
        s = str(rng.randint(1, 9)) + s[1:]
    return s


# --------------------------------------------------------------------------
# Mentions: pre + value + post; only `value` is the gold span
# --------------------------------------------------------------------------

class M:
    __slots__ = ("pre", "val", "post", "type", "form")

    def __init__(self, pre, val, post, typ, form):
        self.pre, self.val, self.post, self.type, self.form = pre, val, post, typ, form

    def surface(self):
        return self.pre + self.val + self.post


HONORIFICS = ["씨", "님", "군", "양", "옹", "여사"]
TITLES = ["기자", "교수", "대표", "의원", "선생님", "변호사", "팀장", "과장", "부장", "사장", "회장", "원장", "감독", "선수", "작가",
          "장관", "위원장", "대변인", "판사", "검사", "경위", "목사", "일병", "상병", "병장", "주무관", "실장", "이사", "간호사", "소장",
          "차장", "대리", "주임", "관장", "학생", "수녀", "신부", "원사", "중사"]
ORGS = ["서울대", "연세대", "고려대", "카이스트", "부산대", "한국일보", "연합뉴스", "더불어민주당", "국민의힘", "정의당", "삼성전자",
        "현대차", "네이버", "카카오", "서울중앙지법", "서울경찰청", "국립중앙의료원", "한국은행", "○○초등학교", "해양경찰청", "법무법인 세종",
        "경기도의회", "서울시", "보건복지부", "한국개발연구원"]
FIELD_LABELS = ["성명: ", "성명 : ", "이름: ", "이름 : ", "담당자 ", "담당자: ", "예금주 ", "예금주: ", "작성자: ", "작성자 ", "받는 분: ",
                "받는분 : ", "보호자 ", "보호자: ", "신청인 ", "신청인: ", "보내는 분: ", "수령인: ", "대표자: ", "피해자 ", "신고인 : ", "고인 "]
FOREIGN_TITLES = ["씨", "대통령", "총리", "감독", "선수", "교수", "기자", "대사", "회장", "가수", "배우", "박사"]


def person_mention(rng, form=None):
    full, sur, given, kind = korean_name(rng)
    forms = ["honorific", "honorific", "mo_ssi", "title_after", "title_after", "title_org_after", "org_title", "age_paren",
             "field_label", "bare", "bare", "bare", "given_vocative", "given_familiar", "roman", "roman", "foreign", "foreign_title"]
    f = form or rng.choice(forms)
    if f == "honorific":
        h = rng.choice(HONORIFICS)
        sp = " " if rng.random() < 0.5 else ""
        return M("", full, sp + h, "person", "honorific")
    if f == "mo_ssi":
        age = rng.randint(19, 84)
        v = rng.choice([sur + "모", sur + " 모"])
        post = rng.choice([" 씨", "씨", f"({age}) 씨", f"({age})씨", f"({age}·{rng.choice(['회사원', '자영업', '무직', '주부', '학생', '공무원'])}) 씨"])
        return M("", v, post, "person", "mo_ssi")
    if f == "title_after":
        return M("", full, rng.choice([" ", ""]) + rng.choice(TITLES), "person", "title_after")
    if f == "title_org_after":
        return M("", full, " " + rng.choice(ORGS) + " " + rng.choice(TITLES), "person", "title_org_after")
    if f == "org_title":
        return M(rng.choice(ORGS) + " ", full, " " + rng.choice(TITLES), "person", "org_title")
    if f == "age_paren":
        age = rng.randint(20, 88)
        return M("", full, rng.choice([f"({age}) 씨", f"({age})씨", f"({age}) {rng.choice(TITLES)}", f"({age})"]), "person", "age_paren")
    if f == "field_label":
        return M(rng.choice(FIELD_LABELS), full, "", "person", "field_label")
    if f == "bare":
        return M("", full, "", "person", "bare" if kind not in ("native", "single", "triple") else "bare_" + kind)
    if f in ("given_vocative", "given_familiar"):
        g = rng.choice(GIVEN["young"] + GIVEN["mid"] + GIVEN["native"])
        return M("", g, "", "person", f)
    if f == "roman":
        while not ok_roman(given):
            full, sur, given, kind = korean_name(rng)
        st = rng.choice(["hyphen", "joined", "spaced"])
        rs, g = romanize(rng, sur, given, st)
        order = rng.random()
        if order < 0.35:
            v = f"{rs.upper()} {g.upper()}"
        elif order < 0.7:
            v = f"{rs} {g}"
        else:
            v = f"{g} {rs}"
        return M("", v, "", "person", "roman_" + ("family_first" if order < 0.7 else "given_first"))
    if f == "foreign":
        v = rng.choice(FOREIGN_FAMOUS) if rng.random() < 0.4 else rng.choice(FOREIGN_FIRST) + " " + rng.choice(FOREIGN_LAST)
        return M("", v, "", "person", "foreign_hangul")
    if f == "foreign_title":
        v = rng.choice(FOREIGN_FAMOUS) if rng.random() < 0.4 else rng.choice(FOREIGN_FIRST) + " " + rng.choice(FOREIGN_LAST)
        return M("", v, " " + rng.choice(FOREIGN_TITLES), "person", "foreign_hangul_title")
    raise ValueError(f)


def phone_mention(rng):
    a, b = rdig(rng, 4), rdig(rng, 4)
    land = rng.choice(["02", "031", "032", "033", "041", "042", "043", "044", "051", "052", "053", "054", "055", "061", "062", "063", "064"])
    mid3 = rdig(rng, 3, True) if rng.random() < 0.4 else rdig(rng, 4, True)
    rep = rng.choice(["1588", "1544", "1600", "1644", "1661", "1800", "1899", "1566", "1577", "1688"])
    forms = [
        ("mobile_dash", f"010-{a}-{b}"), ("mobile_dash", f"010-{a}-{b}"), ("mobile_space", f"010 {a} {b}"), ("mobile_bare", f"010{a}{b}"),
        ("mobile_dot", f"010.{a}.{b}"), ("paren_prefix", f"(010){a}-{b}"), ("paren_prefix", f"({land}) {mid3}-{b}"),
        ("paren_prefix", f"({land}){mid3}-{b}"), ("intl", f"+82-10-{a}-{b}"), ("intl", f"+82 10 {a} {b}"),
        ("intl", f"+82 (0)10-{a}-{b}"), ("intl", f"+82-{land[1:]}-{mid3}-{b}"), ("landline", f"{land}-{mid3}-{b}"),
        ("landline", f"{land}-{mid3}-{b}"), ("landline_dot", f"{land}.{mid3}.{b}"), ("internet_070", f"070-{a}-{b}"),
        ("safe_050x", f"050{rng.randint(2, 7)}-{a}-{b}"), ("representative", f"{rep}-{b}"),
        ("representative_yearlike", f"{rep}-{rng.choice(['1600', '1700', '1800', '1900', '2000', '1950', '1987', '2019'])}"),
        ("tollfree_080", f"080-{rdig(rng, 3, True)}-{b}"), ("mobile_old", f"01{rng.choice('16789')}-{rdig(rng, 3, True)}-{b}"),
    ]
    f, v = rng.choice(forms)
    return M("", v, "", "phone", f)


EMAIL_USERS = ["kim", "minsu", "jihoon", "seoyeon", "happy", "sky", "blue", "star", "love", "jjang", "dream", "sunny", "hope", "mint",
               "choco", "tiger", "bear", "angel", "moon", "snow", "rain", "cool", "smile", "hana", "dool", "mom", "papa"]
EMAIL_DOMAINS = ["naver.com", "naver.com", "daum.net", "hanmail.net", "kakao.com", "gmail.com", "gmail.com", "nate.com", "korea.kr",
                 "snu.ac.kr", "yonsei.ac.kr", "kaist.ac.kr", "samsung.com", "hyundai.co.kr", "lgcns.co.kr", "seoul.go.kr",
                 "mois.go.kr", "hotmail.com", "outlook.com", "icloud.com", "empas.com", "paran.com", "kbs.co.kr"]


def email_user(rng):
    r = rng.random()
    base = rng.choice(EMAIL_USERS)
    if r < 0.3:
        return base + rdig(rng, rng.randint(2, 4))
    if r < 0.55:
        _, sur, given, _ = korean_name(rng)
        if ok_roman(given):
            rs, g = romanize(rng, sur, given, "joined")
            return rng.choice([f"{rs.lower()}{g.lower()}", f"{g.lower()}.{rs.lower()}", f"{rs.lower()}_{g.lower()}{rdig(rng, 2)}"])
        return base + "_" + rdig(rng, 2)
    if r < 0.75:
        return base + rng.choice(["_", ".", "-"]) + rng.choice(EMAIL_USERS)
    return base + rng.choice(["", "0", "1004", "88", "77", "2580"])


def email_mention(rng):
    u, d = email_user(rng), rng.choice(EMAIL_DOMAINS)
    dn, tld = d.split(".", 1)
    forms = [("plain", f"{u}@{d}")] * 6 + [
        ("obf_paren_at", f"{u}(at){d}"), ("obf_bracket_at", f"{u}[at]{d}"), ("obf_golbaengi", f"{u} 골뱅이 {d}"),
        ("obf_golbaengi", f"{u}골뱅이{d}"), ("obf_dot_word", f"{u}@{dn} 점 {tld}"), ("obf_at_dot", f"{u} at {dn} dot {tld}"),
        ("fullwidth_at", f"{u}＠{d}"), ("obf_space", f"{u} @ {d}"), ("upper", f"{u.upper()}@{d.upper()}")]
    f, v = rng.choice(forms)
    return M("", v, "", "email", f)


def rrn_mention(rng, foreign=False):
    valid = rng.random() < 0.9
    d = rrn_digits(rng, foreign, valid)
    a, b = d[:6], d[6:]
    forms = [("hyphen", f"{a}-{b}")] * 4 + [("space", f"{a} {b}"), ("spaced_hyphen", f"{a} - {b}"), ("bare13", d), ("bare13", d)]
    f, v = rng.choice(forms)
    if not valid:
        f += "_badsum"
    return M("", v, "", "frn" if foreign else "rrn", f)


def passport_mention(rng):
    L = rng.choice("MMMMSRGDT")
    if rng.random() < 0.5:
        return M("", L + rdig(rng, 8), "", "passport", "old_letter8")
    return M("", f"{L}{rdig(rng, 3)}{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{rdig(rng, 4)}", "", "passport", "new_l3l4")


DL_REGIONS = {"11": "서울", "12": "부산", "13": "경기", "14": "강원", "15": "충북", "16": "충남", "17": "전북", "18": "전남", "19": "경북",
              "20": "경남", "21": "제주", "22": "대구", "23": "인천", "24": "광주", "25": "대전", "26": "울산", "28": "경기북부"}


def dl_mention(rng):
    code = rng.choice(list(DL_REGIONS))
    yy, ser, ck = f"{rng.randint(0, 24):02d}", rdig(rng, 6), rdig(rng, 2)
    r = rng.random()
    if r < 0.45:
        return M("", f"{code}-{yy}-{ser}-{ck}", "", "driver_license", "code_dash")
    if r < 0.75:
        return M("", f"{DL_REGIONS[code]} {yy}-{ser}-{ck}", "", "driver_license", "region_name")
    if r < 0.85:
        return M("", f"{DL_REGIONS[code]}{yy}-{ser}-{ck}", "", "driver_license", "region_name_nospace")
    return M("", f"{code}{yy}{ser}{ck}", "", "driver_license", "bare12")


def biz_mention(rng):
    d = biz_digits(rng)
    if rng.random() < 0.75:
        return M("", f"{d[:3]}-{d[3:5]}-{d[5:]}", "", "business_number", "dash")
    return M("", d, "", "business_number", "bare10")


def card_mention(rng):
    r = rng.random()
    if r < 0.15:
        d = luhn_complete(rng.choice(["34", "37"]), 15, rng)
        return M("", f"{d[:4]}-{d[4:10]}-{d[10:]}", "", "card", "amex_4_6_5")
    pre = rng.choice(["4", "4", "51", "52", "53", "54", "55", "9410", "9420", "3528", "3561", "62", "4579", "5365"])
    d = luhn_complete(pre, 16, rng)
    g = [d[i:i + 4] for i in range(0, 16, 4)]
    f = rng.choice(["dash", "dash", "space", "bare16"])
    v = "-".join(g) if f == "dash" else (" ".join(g) if f == "space" else d)
    return M("", v, "", "card", f)


BANKS = {  # name variants -> format list
    "국민": ["6-2-6"], "KB국민은행": ["6-2-6"], "KB": ["6-2-6"], "국민은행": ["6-2-6", "bare"],
    "신한": ["3-3-6"], "신한은행": ["3-3-6", "bare"], "우리": ["4-3-6"], "우리은행": ["4-3-6", "bare"],
    "하나": ["3-6-5"], "하나은행": ["3-6-5"], "농협": ["3-4-4-2"], "NH농협": ["3-4-4-2"], "농협은행": ["3-4-4-2", "bare"],
    "기업은행": ["3-6-2-3"], "IBK": ["3-6-2-3"], "기업": ["3-6-2-3"], "카카오뱅크": ["4-2-7"], "카뱅": ["4-2-7"],
    "토스뱅크": ["4-4-4"], "토스": ["4-4-4"], "케이뱅크": ["3-3-6"], "SC제일": ["3-2-6"], "SC제일은행": ["3-2-6"],
    "새마을금고": ["4-4-4-1"], "우체국": ["6-2-6"], "부산은행": ["3-4-4-2"], "대구은행": ["3-2-6-1"], "수협": ["3-2-6"],
}


def account_mention(rng):
    bank = rng.choice(list(BANKS))
    fmt = rng.choice(BANKS[bank])
    if fmt == "bare":
        v = rdig(rng, rng.randint(10, 14), True)
        form = "bare"
    else:
        parts = [int(x) for x in fmt.split("-")]
        segs = []
        for k, n in enumerate(parts):
            if bank in ("카카오뱅크", "카뱅") and k == 0:
                segs.append(rng.choice(["3333", "3355", "7979"]))
            elif fmt == "6-2-6" and k == 1:
                segs.append(rng.choice(["01", "02", "04", "21", "24", "25"]))
            elif fmt == "4-3-6" and k == 0:
                segs.append(rng.choice(["1002", "1005"]))
            elif fmt == "3-3-6" and k == 0 and "신한" in bank:
                segs.append(rng.choice(["110", "100", "140"]))
            else:
                segs.append(rdig(rng, n, k == 0))
        v = "-".join(segs)
        form = "grouped_" + fmt
    return M("", v, "", "account", form), bank


def ip_mention(rng):
    r = rng.random()
    if r < 0.25:
        v = rng.choice([f"192.168.{rng.randint(0, 10)}.{rng.randint(1, 254)}", f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                        f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"])
        return M("", v, "", "ip", "ipv4_private")
    if r < 0.6:
        v = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        return M("", v, "", "ip", "ipv4_public")
    if r < 0.72:
        return M("", rng.choice(["8.8.8.8", "1.1.1.1", "8.8.4.4", "168.126.63.1", "164.124.101.2", "9.9.9.9", "1.0.0.1"]), "", "ip", "ipv4_dns")
    if r < 0.84:
        v = ":".join(f"{rng.randint(0, 65535):x}" for _ in range(8))
        if rng.random() < 0.3:
            v = ":".join(f"{int(x, 16):04x}" for x in v.split(":"))
        return M("", v, "", "ip", "ipv6_full")
    v = rng.choice([f"2001:db8::{rng.randint(1, 65535):x}", f"fe80::{rng.randint(0, 65535):x}:{rng.randint(0, 65535):x}:{rng.randint(0, 65535):x}:{rng.randint(0, 65535):x}",
                    "::1", f"2001:{rng.randint(0, 65535):x}:{rng.randint(0, 65535):x}::{rng.randint(1, 255):x}", f"fd00::{rng.randint(1, 999)}"])
    return M("", v, "", "ip", "ipv6_compressed")


# --- addresses -----------------------------------------------------------------
GAZ = [
    ("서울특별시", ["서울", "서울시"], [("강남구", "역삼동 삼성동 대치동 논현동", "테헤란로 봉은사로 선릉로 언주로 도산대로"),
                                   ("마포구", "서교동 합정동 망원동 연남동", "양화로 월드컵로 독막로 와우산로"),
                                   ("종로구", "청진동 혜화동 명륜동", "종로 율곡로 대학로 자하문로"),
                                   ("송파구", "잠실동 가락동 문정동", "올림픽로 송파대로 백제고분로"),
                                   ("관악구", "신림동 봉천동", "관악로 남부순환로 신림로"),
                                   ("노원구", "상계동 중계동 하계동", "동일로 노해로 한글비석로"),
                                   ("영등포구", "여의도동 당산동 문래동", "여의대로 국제금융로 당산로"),
                                   ("서초구", "서초동 반포동 방배동", "반포대로 서초대로 강남대로"),
                                   ("은평구", "불광동 응암동 녹번동", "통일로 은평로 연서로")]),
    ("부산광역시", ["부산", "부산시"], [("해운대구", "우동 중동 좌동", "해운대로 센텀중앙로 달맞이길"),
                                   ("부산진구", "부전동 전포동 양정동", "중앙대로 서면로 전포대로"),
                                   ("사하구", "하단동 괴정동", "낙동남로 다대로")]),
    ("대구광역시", ["대구", "대구시"], [("수성구", "범어동 만촌동", "달구벌대로 동대구로"), ("중구", "삼덕동 동인동", "국채보상로 동덕로")]),
    ("인천광역시", ["인천", "인천시"], [("부평구", "십정동 부평동 산곡동", "부평대로 경원대로 마장로"),
                                   ("연수구", "송도동 연수동", "컨벤시아대로 송도과학로 인천타워대로"), ("남동구", "구월동 간석동", "인하로 예술로")]),
    ("광주광역시", ["광주", "광주시"], [("북구", "용봉동 운암동", "용봉로 설죽로"), ("서구", "치평동 화정동", "상무중앙로 상무대로")]),
    ("대전광역시", ["대전", "대전시"], [("유성구", "봉명동 궁동 도룡동", "대학로 계룡로 엑스포로"), ("서구", "둔산동 탄방동", "둔산로 한밭대로")]),
    ("울산광역시", ["울산", "울산시"], [("남구", "삼산동 달동", "삼산로 번영로")]),
    ("세종특별자치시", ["세종", "세종시"], [("", "어진동 나성동 보람동", "한누리대로 도움5로 갈매로")]),
    ("경기도", ["경기", "경기도"], [("성남시 분당구", "정자동 삼평동 서현동", "판교역로 불정로 성남대로 분당로"),
                               ("수원시 영통구", "영통동 매탄동 이의동", "광교중앙로 매영로 봉영로"),
                               ("고양시 일산동구", "장항동 백석동", "중앙로 일산로 호수로"),
                               ("화성시", "반송동 청계동", "동탄대로 동탄순환대로 동화길"),
                               ("용인시 수지구", "풍덕천동 죽전동", "포은대로 수지로"),
                               ("부천시", "중동 상동", "길주로 부천로"), ("안양시 동안구", "평촌동 비산동", "시민대로 평촌대로"),
                               ("파주시", "금촌동 야당동", "금빛로 경의로"), ("남양주시", "다산동 별내동", "다산중앙로 경춘로")]),
    ("강원특별자치도", ["강원", "강원도"], [("춘천시", "효자동 석사동", "중앙로 춘천로 후석로"), ("원주시", "무실동 단계동", "시청로 능라동길"),
                                     ("강릉시", "교동 포남동", "경강로 율곡로")]),
    ("충청북도", ["충북"], [("청주시 흥덕구", "복대동 가경동", "직지대로 2순환로"), ("충주시", "연수동 칠금동", "충원대로 중원대로")]),
    ("충청남도", ["충남"], [("천안시 서북구", "불당동 쌍용동", "불당대로 번영로"), ("아산시", "배방읍 온천동", "배방로 온천대로")]),
    ("전북특별자치도", ["전북", "전라북도"], [("전주시 완산구", "효자동 서신동", "효자로 홍산로"), ("군산시", "나운동 수송동", "대학로 수송로")]),
    ("전라남도", ["전남"], [("여수시", "학동 여서동", "시청로 여문로"), ("순천시", "조례동 연향동", "연향로 팔마로")]),
    ("경상북도", ["경북"], [("포항시 남구", "대잠동 이동", "포스코대로 희망대로"), ("경주시", "황성동 동천동", "원화로 태종로"),
                        ("구미시", "송정동 원평동", "송정대로 구미대로")]),
    ("경상남도", ["경남"], [("창원시 성산구", "상남동 중앙동", "중앙대로 원이대로"), ("김해시", "내동 삼계동", "김해대로 가야로"),
                        ("진주시", "가좌동 평거동", "진주대로 동진로")]),
    ("제주특별자치도", ["제주", "제주도"], [("제주시", "연동 노형동 이도이동", "연북로 노형로 중앙로"), ("서귀포시", "중문동 서홍동", "중문관광로 일주동로")]),
]
APTS = ["래미안", "자이", "푸르지오", "힐스테이트", "e편한세상", "아이파크", "롯데캐슬", "더샵", "현대", "주공", "한신", "우성", "삼익", "SK뷰", "센트럴파크"]
BLDG = ["에이치스퀘어 N동", "디지털타워", "정우빌딩", "한빛프라자", "센터원빌딩", "스타타워", "다솜빌딩", "미래타워", "코오롱타워", "그린오피스텔", "해피오피스텔", "행복빌라", "장미빌라", "한성빌딩"]
RI = ["와우리", "상리", "하리", "신리", "송산리", "덕리", "구봉리"]
EUP = ["봉담읍", "오송읍", "진위면", "남면", "청북읍", "양지면", "화도읍"]


def address_mention(rng):
    prov, abbrs, cities = rng.choice(GAZ)
    city, dongs, roads = rng.choice(cities)
    dongs, roads = dongs.split(), roads.split()
    r = rng.random()
    pv = prov if r < 0.45 else (rng.choice(abbrs) if r < 0.85 else "")
    head = " ".join(x for x in (pv, city) if x)
    if not head:
        head = prov
    lot = rng.random() < 0.3
    if not lot:
        road = rng.choice(roads)
        rr = rng.random()
        if rr < 0.5:
            num = str(rng.randint(1, 399))
        elif rr < 0.7:
            num = f"{rng.randint(1, 200)}-{rng.randint(1, 30)}"
        elif rr < 0.85:
            road, num = road + f"{rng.randint(1, 80)}번길", str(rng.randint(1, 90))
        else:
            road, num = road + f"{rng.randint(1, 60)}길", str(rng.randint(1, 90))
        base = f"{head} {road} {num}"
        form = "road"
        tail = rng.random()
        legal = rng.choice(dongs)
        if tail < 0.2:
            pass
        elif tail < 0.4:
            base += rng.choice([", ", " "]) + f"{rng.randint(101, 120)}동 {rng.randint(1, 25)}{rng.randint(1, 4):02d}호"
            form = "road_dongho"
        elif tail < 0.55:
            base += rng.choice([", ", " "]) + f"{rng.choice(APTS)}{rng.choice(['아파트', '', ' 아파트'])} {rng.randint(101, 130)}동 {rng.randint(1, 30)}{rng.randint(1, 4):02d}호"
            form = "road_apartment"
        elif tail < 0.7:
            b = rng.choice(BLDG)
            base += ", " + b + " " + rng.choice([f"{rng.randint(2, 20)}층", f"{rng.randint(2, 12)}층 {rng.randint(2, 12)}0{rng.randint(1, 9)}호", "B01호", "지하 1층", "B1"])
            form = "road_building"
        elif tail < 0.8:
            base += " " + rng.choice([f"{rng.randint(2, 9)}층", f"{rng.randint(101, 999)}호", f"{rng.randint(2, 9)}층 {rng.randint(201, 909)}호"])
            form = "road_floor"
        if rng.random() < 0.35:
            base += rng.choice([" ", ""]) + f"({legal})"
            form += "_legaldong"
    else:
        dong = rng.choice(dongs)
        if rng.random() < 0.3:
            base = f"{head} {rng.choice(EUP)} {rng.choice(RI)} 산 {rng.randint(1, 150)}-{rng.randint(1, 20)}"
            form = "lot_san"
        else:
            n = rng.choice([f"{rng.randint(1, 999)}-{rng.randint(1, 99)}", str(rng.randint(1, 999))])
            base = f"{head} {dong} {n}{rng.choice(['번지', '', ' 번지'])}"
            form = "lot"
            if rng.random() < 0.3:
                base += " " + rng.choice([f"{rng.choice(BLDG)} {rng.randint(1, 9)}층", f"{rng.randint(101, 503)}호"])
                form = "lot_unit"
    # form = structure (a parenthesised legal dong wins over the unit kind) / province variant
    form = "road_legaldong" if "_legaldong" in form else form
    form += "/" + ("noprov" if not pv else ("abbr" if pv != prov else "full"))
    return M("", base, "", "address", form)


# --------------------------------------------------------------------------
# Sentence templates.  {X} is the mention; {X:A/B} adds the particle that
# fits the mention's last sound (A after a final consonant).  "f" = formal
# (petition, wiki, news), "c" = casual (comments, reviews, chat).
# --------------------------------------------------------------------------

T_PERSON = {
    "f": ["{X:이/가} 지난달 민원을 제기했습니다.", "이 사건의 담당은 {X:이었/였}습니다.", "{X:은/는} 이날 기자회견에서 입장을 밝혔다.",
          "당시 현장에 있던 {X:은/는} \"믿을 수 없었다\"고 말했다.", "{X:께/께} 깊은 감사의 말씀을 드립니다.", "저희 아버지 {X:은/는} 30년 동안 이 일을 하셨습니다.",
          "{X:의/의} 억울한 죽음을 밝혀 주십시오.", "{X:과/와} 함께 일했던 동료들도 같은 피해를 입었습니다.", "이에 대해 {X:은/는} 사실이 아니라고 반박했다.",
          "{X:에게/에게} 책임을 물어야 합니다.", "사고를 낸 운전자는 {X:으로/로} 확인됐다.", "{X:이/가} 쓴 글이 온라인에서 화제가 됐다.",
          "이번 행사는 {X:이/가} 기획했다.", "{X:을/를} 처벌해 주시기 바랍니다.", "아들 {X:은/는} 올해 고등학교를 졸업했습니다.",
          "{X:이/가} 대표로 선출되었다.", "문의 사항은 {X:에게/에게} 하시면 됩니다.", "{X:은/는} 1990년대부터 이 분야를 연구해 왔다.",
          "피해자 어머니 {X:은/는} 눈물을 흘리며 호소했습니다.", "이 글은 {X:이/가} 작성하였습니다."],
    "c": ["어제 {X:이랑/랑} 만났는데 진짜 웃겼음", "저는 {X:이에요/예요}", "{X:이/가} 그러는데 내일 비 온대", "{X:한테/한테} 물어봐 ㅋㅋ",
          "{X:은/는} 왜 연락이 없지", "{X:이/가} 추천해줘서 봤는데 괜찮네요", "ㅋㅋㅋ {X} 완전 웃기다", "{X:이/가} 말하길 여기 맛집이래",
          "{X:을/를} 믿은 내가 바보지", "오늘 {X:이/가} 생일이래요~", "{X:이랑/랑} 같이 가기로 했어요", "{X} 진짜 최고",
          "{X:한테/한테} 톡 보내놨어", "우리 반 {X:은/는} 이거 봤대", "내 친구 {X:이/가} 이 영화 좋다고 해서 봄", "{X:과/와} 싸웠음 ㅠㅠ"],
}
T_PERSON_FORM = {
    "given_vocative": ["{G}야 오늘 뭐해?", "{G}아 밥 먹었어?", "야 {G}야 빨리 와 ㅋㅋ", "{G}아~ 생일 축하해!!", "{G}야 이거 봐봐"],
    "given_familiar": ["{G}이가 그러는데 재밌대", "{G}이랑 영화 봤어요", "우리 {G}이 오늘 유치원 처음 갔어요", "{G}이한테 말해줘", "{G}이는 벌써 잔다"],
    "field_label": ["{X}", "{X}\n", "{X} (인)"],
}
FIELD_CTX = {
    "phone": ["연락처: ", "연락처 : ", "전화번호: ", "휴대폰 ", "H.P ", "HP: ", "Tel. ", "TEL ", "핸드폰번호 ", "전화 ", "팩스: ", "FAX ", "Mobile: "],
    "email": ["이메일: ", "E-mail: ", "e-mail ", "메일 : ", "Email ", "이메일 주소 "],
    "rrn": ["주민등록번호: ", "주민번호 ", "주민등록번호 ", "생년월일/주민번호: ", "주민 "],
    "frn": ["외국인등록번호: ", "외국인등록번호 ", "등록번호(외국인) ", "외국인번호 "],
    "passport": ["여권번호: ", "여권번호 ", "Passport No. ", "여권 No: ", "PASSPORT NO "],
    "driver_license": ["운전면허번호: ", "면허번호 ", "운전면허증 번호 ", "자동차운전면허 "],
    "business_number": ["사업자등록번호: ", "사업자번호 ", "사업자 등록번호 : ", "사업자등록번호 "],
    "card": ["카드번호: ", "카드번호 ", "신용카드 ", "체크카드 번호 "],
    "account": ["계좌번호: ", "계좌 ", "입금계좌: ", "환불계좌 "],
    "ip": ["IP: ", "아이피 ", "IP 주소: ", "접속 IP "],
    "address": ["주소: ", "주소 : ", "배송지: ", "현주소 ", "도로명주소 ", "사업장 소재지: ", "거주지 "],
    "person": ["성명: ", "이름: ", "담당자 ", "예금주 ", "작성자: ", "받는 분: ", "신청인 "],
}
T = {
    "phone": {"f": ["연락처는 {X}입니다.", "문의는 {X:으로/로} 해 주시기 바랍니다.", "자세한 사항은 고객센터({X})에 문의하십시오.",
                    "대표전화 {X:으로/로} 연락 주시면 안내해 드리겠습니다.", "담당자 연락처: {X}", "궁금한 점은 {X:으로/로} 전화 주세요.",
                    "제 휴대폰 번호는 {X}입니다.", "Tel. {X}", "팩스 {X:으로/로} 서류를 보내 주십시오.", "접수 문의 {X}",
                    "고객센터 {X} (평일 09:00~18:00)", "야간에는 {X:으로/로} 연락 바랍니다.", "연락 주실 분은 {X:으로/로} 문자 남겨 주세요."],
              "c": ["번호 {X} 여기로 연락주세요", "{X:으로/로} 문자 주세요~", "제 번호 {X}임", "폰번 {X} 카톡 추가 ㄱㄱ",
                    "{X} 이 번호로 전화했는데 안받네요", "급하면 {X:으로/로} 전화해", "연락처 {X} 입니다!", "{X} 여기 사장님 번호임",
                    "전화번호{X}", "{X:으로/로} 연락 부탁드려요^^"]},
    "email": {"f": ["문의 사항은 {X:으로/로} 보내 주시기 바랍니다.", "이메일 주소는 {X}입니다.", "자료는 {X:으로/로} 송부해 주십시오.",
                    "담당자 이메일: {X}", "제보는 {X:으로/로} 받습니다.", "이력서는 {X:으로/로} 제출해 주세요.", "E-mail: {X}"],
              "c": ["메일 {X:으로/로} 보내주세요", "{X} 여기로 메일 주세요~", "제 메일은 {X}", "자료 필요하신 분 {X:으로/로} 연락주세요",
                    "{X} 메일로 보냈어요", "이멜 {X}임 ㅎㅎ"]},
    "rrn": {"f": ["주민등록번호 {X:을/를} 기재해 주십시오.", "신청인 주민등록번호: {X}", "주민번호 {X:으로/로} 조회한 결과 본인이 맞습니다.",
                  "본인의 주민등록번호({X})가 도용되었습니다.", "주민등록번호 {X}"],
            "c": ["주민번호 {X} 맞나요?", "주민번호 {X:이/가} 유출됐어요 ㅠㅠ", "제 주민번호 {X}인데 가입이 안돼요"]},
    "frn": {"f": ["외국인등록번호 {X:을/를} 입력해 주십시오.", "외국인등록번호: {X}", "신청인의 외국인등록번호는 {X}입니다.",
                  "외국인등록증(번호 {X})을 첨부합니다."],
            "c": ["외국인등록번호 {X} 이거 맞아요?", "와이프 외국인등록번호 {X:으로/로} 했는데 오류나요"]},
    "passport": {"f": ["여권번호 {X:을/를} 정확히 입력하십시오.", "여권번호: {X}", "여권(번호 {X})을 분실하여 신고합니다.",
                       "예약자 여권번호는 {X}입니다.", "Passport No. {X}"],
                 "c": ["여권번호 {X} 맞게 넣었는데 오류떠요", "여권 {X} 이걸로 예약함", "여권번호가 {X}인데 만료됐대요"]},
    "driver_license": {"f": ["운전면허번호: {X}", "운전면허번호 {X:을/를} 입력해 주십시오.", "면허증 번호는 {X}입니다.",
                             "자동차운전면허({X})를 소지하고 있습니다."],
                       "c": ["면허번호 {X} 입력했는데 안돼요", "운전면허 {X} 이거 맞나", "면허증번호{X}"]},
    "business_number": {"f": ["사업자등록번호: {X}", "사업자등록번호 {X}", "상호 행복상사 | 사업자등록번호 {X} | 통신판매업 신고",
                              "본 업체의 사업자등록번호는 {X}입니다.", "사업자번호 {X:으로/로} 조회하면 폐업으로 나옵니다."],
                        "c": ["사업자번호 {X} 조회해보니 없는 업체네요", "사업자등록번호{X} 이거 가짜임"]},
    "card": {"f": ["카드번호 {X:이/가} 도용되어 결제되었습니다.", "결제 카드: {X}", "카드번호: {X}", "신용카드({X})로 결제하였습니다.",
                   "분실한 카드 번호는 {X}입니다."],
             "c": ["카드번호 {X} 이거 정지해야되나", "{X} 카드로 결제했는데 취소가 안돼요", "카드번호 {X} 맞음?"]},
    "account": {"f": ["{B} {X:으로/로} 입금해 주시기 바랍니다.", "입금 계좌: {B} {X} (예금주 {N})", "후원 계좌는 {B} {X}입니다.",
                      "환불은 {B} {X:으로/로} 부탁드립니다.", "계좌번호 {B} {X}", "{B}은행 {X:으로/로} 이체하였습니다."],
                "c": ["{B} {X} 여기로 보내주세요", "입금은 {B} {X} {N}", "{B}{X} 송금완료", "계좌 {B} {X:이에요/예요}",
                      "{B} {X} 예금주 {N} 확인 부탁드려요"]},
    "ip": {"f": ["접속 IP는 {X:으로/로} 확인되었습니다.", "서버 주소: {X}", "해당 글은 {X}에서 작성되었습니다.", "DNS 서버를 {X:으로/로} 설정하십시오.",
                 "관리자 페이지는 {X}에서만 접속할 수 있습니다."],
           "c": ["아이피 {X} 이거 누구임?", "ping {X} 해보니 응답 없음", "DNS {X:으로/로} 바꾸니까 빨라짐", "공유기 주소 {X:으로/로} 들어가세요",
                 "서버 {X} 접속 안돼요 ㅠ"]},
    "address": {"f": ["주소는 {X}입니다.", "서류는 {X:으로/로} 보내 주시기 바랍니다.", "저는 {X}에 거주하고 있습니다.", "사무실 주소: {X}",
                      "사고는 {X} 앞에서 발생했습니다.", "{X}에 위치한 공장에서 불이 났다.", "우편물은 {X:으로/로} 발송해 주십시오.",
                      "현재 주소지는 {X}입니다.", "본사: {X}"],
                "c": ["주소 {X} 여기로 보내주세요", "{X:으로/로} 택배 보내주세요~", "저희집 {X}인데 배달 되나요?", "{X} 여기 살아요",
                      "배송지 {X:으로/로} 변경해주세요", "{X}에서 만나요"]},
}
FORM_BLOCK_ORDER = ["person", "rrn", "frn", "phone", "email", "address", "account", "passport", "driver_license", "business_number", "card", "ip"]


# --------------------------------------------------------------------------
# Hard negatives (PII look-alikes); each returns a sentence with no PII
# --------------------------------------------------------------------------

def neg_sentences(rng):
    y = rng.randint(1950, 2024)
    m, d = rng.randint(1, 12), rng.randint(1, 28)
    return {
        "date": rng.choice([f"{y}-{m:02d}-{d:02d}에 접수했습니다.", f"작성일 {y}.{m:02d}.{d:02d}", f"{y}. {m}. {d}. 기준", f"{y}/{m:02d}/{d:02d} 방문 예정"]),
        "year_range": rng.choice([f"{y - 3}-{y}년 사이의 기록입니다.", "한국전쟁(1950-1953) 당시", f"{y}~{y + 4}년 임기", f"({y - 60}-{y})"]),
        "time": rng.choice([f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}에 로그가 남았어요", f"오후 {rng.randint(1, 11)}시 {rng.randint(0, 59)}분 출발", f"{rng.randint(9, 18)}:{rng.choice(['00', '30'])}~{rng.randint(19, 22)}:00 영업"]),
        "price": rng.choice([f"가격은 {rng.randint(1, 999):,}{rng.choice([',000', ',500', ',900'])}원입니다.", f"총 {rng.randint(10, 9999) * 1000:,}원 결제", f"₩{rng.randint(1, 99) * 1000:,}", f"{rng.randint(1, 300)}만 {rng.randint(1, 9)}천원"]),
        "score": rng.choice([f"{rng.randint(0, 5)}-{rng.randint(0, 5)}으로 이겼다", f"스코어 {rng.randint(0, 9)}:{rng.randint(0, 9)}", f"평점 {rng.randint(1, 9)}.{rng.randint(0, 9)}/10"]),
        "quantity": rng.choice([f"{rng.randint(2, 500)}개 주문", f"{rng.randint(1, 99)}.{rng.randint(1, 9)}kg", f"{rng.randint(100, 9999):,}명이 참석했다", f"{rng.randint(1, 100)}%"]),
        "model_number": rng.choice([f"모델명 SM-G{rng.randint(900, 999)}N", f"품번 AB-{rdig(rng, 4)}-{rdig(rng, 3)}", f"제품코드 KR{rdig(rng, 6)}", f"LG 그램 {rng.randint(14, 17)}Z{rng.randint(90, 99)}0"]),
        "isbn": rng.choice([f"ISBN 978-89-{rdig(rng, 4)}-{rdig(rng, 3)}-{rdig(rng, 1)}", f"ISBN 979-11-{rdig(rng, 5)}-{rdig(rng, 2)}-{rdig(rng, 1)}", f"978-89-{rdig(rng, 3)}-{rdig(rng, 4)}-{rdig(rng, 1)} (세트)", f"ISBN {rdig(rng, 13)}"]),
        "order_number": rng.choice([f"주문번호 {y}{m:02d}{d:02d}-{rdig(rng, 7)}", f"주문번호: {rdig(rng, 16)}", f"주문번호 {rdig(rng, 4)}-{rdig(rng, 4)}-{rdig(rng, 4)}"]),
        "reception_number": rng.choice([f"접수번호 {rdig(rng, 3)}-{rdig(rng, 4)}-{rdig(rng, 6)}", f"접수번호: {y}-{rdig(rng, 7)}", f"민원 접수번호 {rdig(rng, 2)}AA-{rdig(rng, 4)}-{rdig(rng, 6)}"]),
        "tracking_number": rng.choice([f"운송장번호 {rdig(rng, 12)}", f"송장번호 {rdig(rng, 4)}-{rdig(rng, 4)}-{rdig(rng, 4)}", f"운송장 번호: {rdig(rng, 3)}-{rdig(rng, 4)}-{rdig(rng, 4)}"]),
        "version": rng.choice([f"버전 {rng.randint(1, 12)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}.{rng.randint(0, 99)}", f"v{rng.randint(1, 5)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)} 업데이트", f"펌웨어 {rng.randint(1, 9)}.{rng.randint(0, 99)}.{rng.randint(0, 999)}"]),
        "section_number": rng.choice([f"{rng.randint(1, 9)}.{rng.randint(1, 9)}.{rng.randint(1, 9)}.{rng.randint(1, 9)}절 참조", f"제{rng.randint(1, 99)}조 제{rng.randint(1, 9)}항", f"표 {rng.randint(1, 9)}.{rng.randint(1, 9)}.{rng.randint(1, 9)}"]),
        "emoticon": rng.choice(["^^::", ":: ::", "ㅠ.ㅠ::", "(^_^)v", "ㅋㅋ:::", "^^;;"]),
        "social_handle": rng.choice([f"@{rng.choice(EMAIL_USERS)}_{rng.choice(EMAIL_USERS)} 님 글 보고 왔어요", f"인스타 @{rng.choice(EMAIL_USERS)}{rdig(rng, 2)} 팔로우", f"@{rng.choice(EMAIL_USERS)} 공식 계정"]),
        "at_price": rng.choice([f"사과 10개 @{rng.randint(1, 9)},000원", f"단가 @{rng.randint(100, 999)}원 × {rng.randint(2, 50)}개"]),
        "code_decorator": rng.choice(["@Override 붙이는 거 잊지 마세요", "@property 데코레이터 쓰면 됨", "@media screen 설정"]),
        "road_no_number": rng.choice(["테헤란로에서 사고가 났다", "세종대로 일대가 통제됐다", "올림픽대로가 막혀요", "강남대로 쪽으로 가세요"]),
        "transit_line": rng.choice([f"{rng.randint(1, 9)}호선 타고 가면 돼요", f"경부고속도로 {rng.randint(10, 400)}km 지점", f"국도 {rng.randint(1, 77)}호선", f"{rng.randint(100, 9999)}번 버스"]),
        "ordinal_words": rng.choice([f"{rng.randint(2, 6)}선 의원", f"{rng.randint(3, 12)}가지 방법", f"{rng.randint(2, 5)}층 건물", f"{rng.randint(1, 30)}동 주민센터"]),
        "public_place": rng.choice(["서울시청 앞 광장", "광화문광장에서 집회가 열렸다", "부산역 대합실", "국회의사당 앞", "강남구청 민원실"]),
        "rrn_masked": rng.choice([f"{rrn_digits(rng)[:6]}-*******", f"{rrn_digits(rng)[:6]}-{rng.randint(1, 4)}******", f"주민번호 앞자리 {rrn_digits(rng)[:6]}"]),
        "card_masked": rng.choice([f"카드 {luhn_complete('4', 16, rng)[:4]}-****-****-{rdig(rng, 4)}", f"{rdig(rng, 4)}-{rdig(rng, 2)}**-****-{rdig(rng, 4)}"]),
        "phone_masked": rng.choice([f"010-****-{rdig(rng, 4)}", f"010-{rdig(rng, 2)}**-**{rdig(rng, 2)}"]),
        "arithmetic": rng.choice([f"{rng.randint(10, 999)}+{rng.randint(10, 999)}={rng.randint(20, 1998)}", f"{rng.randint(2, 99)} × {rng.randint(2, 99)}", "1-2-3-4 순서대로"]),
        "url_plain": rng.choice(["https://www.gov.kr 에서 신청", "www.korea.kr 참고", "https://news.naver.com/main/ 기사", "http://www.law.go.kr"]),
        "name_like_words": rng.choice([
            "정말 이상하게도 이번 주문은 배달이 늦었어요.", "한국 대표 선수단이 오늘 귀국했다.", "회사 대표님께서 직접 고객님들께 인사를 드렸습니다.",
            "담임 선생님과 상담을 했어요.", "국회 의원들은 민생 법안 처리에 나서야 한다.", "민주당 의원들이 반대 의견을 냈다.",
            "장기 대표 상품으로 김치찌개가 있어요.", "임시 공휴일이라 은행이 문을 닫았다.", "최고의 선택이었어요 ㅎㅎ", "조사 결과는 다음 주에 발표된다.",
            "강남 쪽 백화점은 주차가 힘들어요.", "신청 방법은 홈페이지를 참고하세요.", "안전 교육을 받은 뒤 현장에 투입된다.", "송금 수수료가 무료예요.",
            "전화 연결이 안 돼서 민원을 넣었어요.", "고객님 주문하신 상품이 출고되었습니다.", "문제는 원래 방법이 틀렸다는 거예요.", "노력하면 성공한다고 하잖아요.",
            "하루 종일 우리 가족 선물 고르느라 힘들었다.", "구매 후기 남기면 적립금 드려요.", "진행 상황은 문자로 알려드립니다.", "지원 대상은 국민 누구나입니다.",
            "천천히 방법을 찾아보자.", "공사 때문에 현재 통행이 제한됩니다.", "변경 사항은 여기서 확인하세요.", "도움 주신 모든 분께 감사드립니다.",
            "명절 인사 드리러 부모님 댁에 다녀왔어요.", "반품 금액은 은행 영업일 기준 3일 내 환불됩니다.", "왕복 항공권 예약 완료!", "경찰 조사 태도가 너무 불친절했어요.",
            "복지 예산이 줄었다.", "유지 보수 비용이 만만치 않다.", "홍보 담당 부서에 문의했다.", "소개팅 상대가 마음에 들었다.", "연락 주시면 위치 알려드릴게요.",
            "기분 좋은 하루 보내세요 손님 여러분!", "배달 기사님이 친절하셨어요.", "용도 변경 허가가 났다.", "남자 화장실은 2층에 있습니다.", "차량 통제 구간입니다."]),
        "org_place_names": rng.choice(["강남구 주민센터", "서울대 병원", "신한은행 앱이 먹통이에요", "조선일보 보도에 따르면", "국민은행 창구에서 기다렸다",
                                       "한국전력 고객센터", "이마트 트레이더스", "하나은행 인증서 갱신", "우리은행 점검 시간", "현대백화점 판교점", "정관장 홍삼",
                                       "고려대 안암병원", "동아일보 칼럼", "한겨레 기사", "김해공항 국제선", "이천 쌀", "안동 하회마을"]),
        "title_without_name": rng.choice(["사장님이 서비스 주셨어요", "선생님 말씀 잘 들어라", "의원님들 일 좀 하세요", "감독님 사랑해요", "기사님 감사합니다",
                                          "교수님께 메일 드렸습니다", "원장님이 친절해요", "대통령께 드리는 글", "작가님 다음 작품 기다려요", "부장님 회식 언제예요"]),
    }


NEG_KINDS = list(neg_sentences(random.Random(0)).keys())


# --------------------------------------------------------------------------
# Rendering and document assembly
# --------------------------------------------------------------------------

RE_SLOT = re.compile(r"\{([XGBN])(?::([^}]*))?\}")


def render(tmpl: str, ms: dict, rng, casual: bool):
    """Segments [(str, M|None)] for one template.  ms maps slot letter to a
    mention (X, G, N) or a plain string (B)."""
    segs = []
    i = 0
    for m in RE_SLOT.finditer(tmpl):
        segs.append((tmpl[i:m.start()], None))
        slot, spec = m.group(1), m.group(2)
        obj = ms[slot]
        if isinstance(obj, str):
            segs.append((obj, None))
            last = obj
        else:
            if obj.pre:
                segs.append((obj.pre, None))
            segs.append((obj.val, obj))
            if obj.post:
                segs.append((obj.post, None))
            last = obj.surface()
        if spec:
            p = josa(last, spec)
            if p and casual and rng.random() < 0.08:
                p = " " + p  # typed with a space before the particle
            segs.append((p, None))
        i = m.end()
    segs.append((tmpl[i:], None))
    if casual and rng.random() < 0.12:  # no spaces at all outside the values
        segs = [(s.replace(" ", ""), mm) if mm is None else (s, mm) for s, mm in segs]
    return [(s, mm) for s, mm in segs if s]


def value_piece(rng, typ, style):
    """Segments of one sentence carrying one value of `typ` (account adds a holder name)."""
    casual = style == "c"
    if typ == "person":
        m = person_mention(rng)
        if m.form in ("given_vocative", "given_familiar"):
            tm = rng.choice(T_PERSON_FORM[m.form])
            tm = tm.replace("{G}야", "{G:아/야}").replace("{G}아", "{G:아/야}").replace("{G}이가", "{G:이가/가}").replace(
                "{G}이랑", "{G:이랑/랑}").replace("{G}이한테", "{G:이한테/한테}").replace("{G}이는", "{G:이는/는}").replace("{G}이 ", "{G:이/} ")
            return render(tm, {"G": m}, rng, True)
        if m.form == "field_label":
            return render(rng.choice(T_PERSON_FORM["field_label"]).rstrip("\n"), {"X": m}, rng, False)
        return render(rng.choice(T_PERSON[style]), {"X": m}, rng, casual)
    if typ == "account":
        m, bank = account_mention(rng)
        holder = person_mention(rng, "bare")
        holder.form = "account_holder"
        tm = rng.choice(T["account"][style])
        if "{B}은행" in tm and bank.endswith(("은행", "뱅크", "금고", "국", "협", "KB", "IBK", "토스", "카뱅")):
            tm = tm.replace("{B}은행", "{B}")
        return render(tm, {"X": m, "B": bank, "N": holder}, rng, casual)
    gen = {"phone": phone_mention, "email": email_mention, "rrn": rrn_mention, "frn": lambda r: rrn_mention(r, True),
           "passport": passport_mention, "driver_license": dl_mention, "business_number": biz_mention, "card": card_mention,
           "ip": ip_mention, "address": address_mention}[typ]
    m = gen(rng)
    return render(rng.choice(T[typ][style]), {"X": m}, rng, casual)


def form_block(rng, types):
    """A labelled-field block, one field per line (성명: .. / 연락처: ..)."""
    segs = []
    for k, typ in enumerate(sorted(types, key=FORM_BLOCK_ORDER.index)):
        if k:
            segs.append(("\n", None))
        if typ == "account":
            m, bank = account_mention(rng)
            segs += [(rng.choice(FIELD_CTX["account"]) + bank + " ", None), (m.val, m)]
            continue
        if typ == "person":
            m = person_mention(rng, "field_label")
            segs += [(m.pre, None), (m.val, m)]
            continue
        gen = {"phone": phone_mention, "email": email_mention, "rrn": rrn_mention, "frn": lambda r: rrn_mention(r, True),
               "passport": passport_mention, "driver_license": dl_mention, "business_number": biz_mention, "card": card_mention,
               "ip": ip_mention, "address": address_mention}[typ]
        m = gen(rng)
        segs += [(rng.choice(FIELD_CTX[typ]), None), (m.val, m)]
    return segs


def insertion_points(text: str):
    pts = [0] + [s for s, _ in sentences(text) if s > 0] + [len(text)]
    return sorted(set(pts))


def assemble(carrier: str, pieces: list, rng, register: str):
    """Insert pieces (segment lists) at sentence boundaries of the carrier.
    Returns (text, spans)."""
    pts = insertion_points(carrier)
    at = collections.defaultdict(list)
    for p in pieces:
        at[rng.choice(pts)].append(p)
    segs = []
    prev = 0
    for p in sorted(at):
        segs.append((carrier[prev:p], None))
        for piece in at[p]:
            if p == 0:
                segs += piece + [("\n" if (register == "chat" or "\n" in carrier[:2] or rng.random() < 0.3) else " ", None)]
            elif p == len(carrier):
                segs += [("\n" if (register in ("chat", "petition") and rng.random() < 0.6) else " ", None)] + piece
            else:
                sep = "\n" if carrier[p - 1] == "\n" else " "
                segs += piece + [(sep, None)]
        prev = p
    segs.append((carrier[prev:], None))
    text, spans, off = [], [], 0
    for s, m in segs:
        if m is not None:
            spans.append({"start": off, "end": off + len(s), "type": m.type, "form": m.form})
        text.append(s)
        off += len(s)
    text = "".join(text)
    for sp, (s, m) in zip(spans, [x for x in segs if x[1] is not None]):
        assert text[sp["start"]:sp["end"]] == s == m.val, (sp, s)
    return text, spans


REGISTER_STYLE = {"petition": "f", "wiki": "f", "review": "c", "comment": "c", "chat": "c"}
TYPE_WEIGHTS = {"person": 0.34, "address": 0.095, "phone": 0.0565, "email": 0.0565, "rrn": 0.0565, "frn": 0.0565, "passport": 0.0565,
                "driver_license": 0.0565, "business_number": 0.0565, "card": 0.0565, "account": 0.0565, "ip": 0.0565}
REGISTER_WEIGHTS = {"petition": 0.2, "wiki": 0.22, "review": 0.2, "comment": 0.18, "chat": 0.2}
LEN_PREF = {"petition": {">=1000": 0.45, "100-999": 0.4, "30-99": 0.15}, "wiki": {">=1000": 0.2, "100-999": 0.45, "30-99": 0.35},
            "review": {"<10": 0.2, "10-29": 0.4, "30-99": 0.3, "100-999": 0.1},
            "comment": {"<10": 0.2, "10-29": 0.4, "30-99": 0.3, "100-999": 0.1},
            "chat": {"10-29": 0.5, "30-99": 0.5}}
# documents dropped after the hand check: (source, line) -> reason
HAND_EXCLUDE: dict[tuple[str, int], str] = {}


def build(data: str, seed: int, n_docs: int = 3000):
    corp, titles = load_corpora(data)
    screen = CarrierScreen(corp, titles)
    carriers = make_carriers(corp, screen, random.Random(f"{seed}:carriers"))
    for reg in carriers:
        carriers[reg] = [c for c in carriers[reg] if (c["source"], c["line"]) not in HAND_EXCLUDE]
    by_bucket = {reg: collections.defaultdict(list) for reg in carriers}
    for reg, lst in carriers.items():
        for c in lst:
            by_bucket[reg][bucket(c["text"])].append(c)
    used_lines = set()
    rng = random.Random(seed)

    def take_carrier(reg):
        pref = LEN_PREF[reg]
        order = sorted(by_bucket[reg])
        if pref:
            b = rng.choices(list(pref), weights=list(pref.values()))[0]
            order = [b] + [x for x in ("100-999", "30-99", ">=1000", "10-29", "<10") if x != b]
        for b in order:
            lst = by_bucket[reg].get(b, [])
            while lst:
                c = lst.pop()
                key = (c["source"], c["line"])
                if key in used_lines:  # one carrier per source record
                    continue
                used_lines.add(key)
                return c
        raise RuntimeError(f"out of carriers for {reg}")

    n_free = int(n_docs * 0.4)
    kinds = ["free_plain"] * (n_free // 2) + ["free_neg"] * (n_free - n_free // 2) + ["pii"] * (n_docs - n_free)
    docs = []
    types, tw = list(TYPE_WEIGHTS), list(TYPE_WEIGHTS.values())
    for kind in kinds:
        reg = rng.choices(list(REGISTER_WEIGHTS), weights=list(REGISTER_WEIGHTS.values()))[0]
        c = take_carrier(reg)
        style = REGISTER_STYLE[reg]
        pieces, negs = [], []
        if kind == "pii":
            k = rng.choices([1, 2, 3, 4], weights=[0.35, 0.3, 0.2, 0.15])[0]
            ts = [rng.choices(types, weights=tw)[0] for _ in range(k)]
            if k >= 2 and rng.random() < 0.2 and len(set(ts)) == len(ts):
                pieces.append(form_block(rng, ts))
            else:
                for t in ts:
                    st = style if rng.random() < 0.8 else ("c" if style == "f" else "f")
                    pieces.append(value_piece(rng, t, st))
            if rng.random() < 0.25:
                negs = rng.sample(NEG_KINDS, rng.randint(1, 2))
        elif kind == "free_neg":
            negs = rng.sample(NEG_KINDS, rng.randint(1, 3))
        for nk in negs:
            pieces.append([(neg_sentences(rng)[nk], None)])
        rng.shuffle(pieces)
        text, spans = assemble(c["text"], pieces, rng, reg)
        docs.append({"text": text, "spans": spans, "register": reg, "source": c["source"], "line": c["line"],
                     "negatives": sorted(negs), "generated": bool(pieces)})
    rng.shuffle(docs)
    out = []
    for i, d in enumerate(docs, 1):
        d = {"id": f"pii-blind-{i:05d}", **d}
        check(d)
        out.append(d)
    return out


def check(d):
    prev = 0
    for sp in sorted(d["spans"], key=lambda s: s["start"]):
        assert sp["start"] >= prev, ("overlap", d["id"])
        assert 0 <= sp["start"] < sp["end"] <= len(d["text"])
        v = d["text"][sp["start"]:sp["end"]]
        assert v == v.strip() and v, (d["id"], v)
        prev = sp["end"]


def summarize(docs) -> str:
    L = []
    L.append(f"documents {len(docs)}; with PII {sum(1 for d in docs if d['spans'])}; PII-free {sum(1 for d in docs if not d['spans'])} "
             f"(with hard negatives {sum(1 for d in docs if not d['spans'] and d['negatives'])}); generated {sum(d['generated'] for d in docs)}")
    tc = collections.Counter(s["type"] for d in docs for s in d["spans"])
    fc = collections.Counter((s["type"], s["form"]) for d in docs for s in d["spans"])
    L.append("type x form:")
    for t, n in tc.most_common():
        L.append(f"  {t:16s} {n:5d}  " + ", ".join(f"{f}={k}" for (tt, f), k in sorted(fc.items()) if tt == t))
    L.append("register x length bucket (all / with PII):")
    L.append("  " + " " * 10 + "".join(f"{b:>12s}" for b in BUCKETS))
    for reg in REGISTER_WEIGHTS:
        row = []
        for b in BUCKETS:
            a = [d for d in docs if d["register"] == reg and bucket(d["text"]) == b]
            row.append(f"{len(a):6d}/{sum(1 for d in a if d['spans']):<5d}")
        L.append(f"  {reg:10s}" + "".join(f"{x:>12s}" for x in row))
    nc = collections.Counter(k for d in docs for k in d["negatives"])
    L.append("negatives by kind (documents): " + ", ".join(f"{k}={n}" for k, n in sorted(nc.items())))
    L.append("spans per PII document: " + json.dumps(sorted(collections.Counter(len(d["spans"]) for d in docs if d["spans"]).items())))
    return "\n".join(L)


def main(argv=None) -> int:
    from common import run

    return run(build, summarize, __doc__.split("\n\n")[0], ("pii", "blind.jsonl"), 20241130, argv)


if __name__ == "__main__":
    sys.exit(main())
