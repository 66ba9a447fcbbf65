"""Blind evaluation set for near-duplicate removal: real Korean documents (blind half of ../shared/data),
generated light (~1 %) and heavy (~3-5 %) near-duplicate variants, multi-step families A -> B -> C,
real template-sharing hard negatives, and every natural pair of records with 5-gram Jaccard >= 0.5.
Writes blind.jsonl (shuffled) and blind_pairs.json next to it. Standard library + numpy only."""
import argparse
import json
import math
import os
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, blind_records, run  # noqa: E402

SEED = 20261130
N_LIGHT, N_HEAVY, N_FAMILY = 2000, 2000, 300
LEVELS = {"light": (0.005, 0.015), "heavy": (0.025, 0.055)}
NATURAL_J = 0.5      # two records of different families at or above this Jaccard are a natural pair
TEMPLATE_J = 0.15    # template edge: Jaccard in [TEMPLATE_J, NATURAL_J) ...
TEMPLATE_C = 0.4     # ... or containment >= TEMPLATE_C with >= 100 shared 5-grams
MAX_CHARS = 4000
PAIRS_INFO = {}      # what goes into blind_pairs.json

# ---------------------------------------------------------------- similarity

def norm(text):
    return " ".join(unicodedata.normalize("NFC", text).lower().split())

def grams(text):
    t = norm(text)
    return {t[i:i + 5] for i in range(len(t) - 4)} if len(t) >= 5 else {t}

def jaccard(a, b):
    """Exact Jaccard similarity of the character 5-gram sets (the set's definition)."""
    ga, gb = grams(a), grams(b)
    return round(len(ga & gb) / len(ga | gb), 4)

def gram_hashes(text):
    """Sorted unique 64-bit hashes of the 5-grams: only used to find candidate pairs fast."""
    c = np.frombuffer(norm(text).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(c) < 5:
        return np.unique(c)
    h = np.zeros(len(c) - 4, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(5):
            h = h * np.uint64(0x9E3779B97F4A7C15) + c[k:len(c) - 4 + k]
            h ^= h >> np.uint64(29)
    return np.unique(h)

def levenshtein(a, b):
    """Edit distance over code points (Hyyro's bit-parallel algorithm on Python ints)."""
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    m = len(b)
    if m == 0:
        return len(a)
    peq = {}
    for i, ch in enumerate(b):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    mask, top = (1 << m) - 1, 1 << (m - 1)
    pv, mv, score = mask, 0, m
    for ch in a:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & mask)
        mh = pv & xh
        if ph & top:
            score += 1
        elif mh & top:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = mh | (~(xv | ph) & mask)
        mv = ph & xv
    return score

def co_occurring_pairs(token_lists):
    """Pair keys i*n+j (i < j) of documents sharing a token, with the number of tokens they share."""
    n = len(token_lists)
    tok = np.concatenate(token_lists)
    doc = np.concatenate([np.full(len(t), i, dtype=np.int64) for i, t in enumerate(token_lists)])
    o = np.lexsort((doc, tok))
    tok, doc = tok[o], doc[o]
    starts = np.r_[0, np.flatnonzero(np.diff(tok)) + 1]
    sizes = np.diff(np.r_[starts, len(tok)])
    keys = [np.zeros(0, dtype=np.int64)]
    for s in np.unique(sizes[sizes > 1]):
        rows = doc[starts[sizes == s][:, None] + np.arange(s)]
        i, j = np.triu_indices(s, 1)
        keys.append((rows[:, i] * n + rows[:, j]).ravel())
    return np.unique(np.concatenate(keys), return_counts=True)

def df_per_doc(H):
    _, inv, cnt = np.unique(np.concatenate(H), return_inverse=True, return_counts=True)
    return np.split(cnt[inv.ravel()], np.cumsum([len(g) for g in H])[:-1])

def overlap(H, i, j):
    inter = len(np.intersect1d(H[i], H[j], assume_unique=True))
    return inter, inter / (len(H[i]) + len(H[j]) - inter), inter / min(len(H[i]), len(H[j]))

def all_pairs_at_least(H, t=NATURAL_J):
    """Every pair with Jaccard >= t. Prefix filtering: such a pair shares one of the len - ceil(t*len) + 1
    globally rarest tokens of each set, so no pair is missed; the length filter and exact overlap follow."""
    prefixes = [g[np.lexsort((g, f))[:len(g) - math.ceil(t * len(g)) + 1]] for g, f in zip(H, df_per_doc(H))]
    out = []
    for k in co_occurring_pairs(prefixes)[0].tolist():
        i, j = divmod(k, len(H))
        if min(len(H[i]), len(H[j])) >= t * max(len(H[i]), len(H[j])) and overlap(H, i, j)[1] >= t - 1e-9:
            out.append((i, j))
    return out

def template_pairs(H):
    """Pairs sharing >= 15 5-grams that occur in 2..50 documents, with (shared, Jaccard, containment)."""
    keys, counts = co_occurring_pairs([g[(f >= 2) & (f <= 50)] for g, f in zip(H, df_per_doc(H))])
    return [(k // len(H), k % len(H)) + overlap(H, k // len(H), k % len(H)) for k in keys[counts >= 15].tolist()]

# ---------------------------------------------------------------- real documents

def cut(text):
    """At most MAX_CHARS characters, cut at a paragraph end (else a sentence end, else a space)."""
    if len(text) <= MAX_CHARS:
        return text
    head = text[:MAX_CHARS]
    for sep in ("\n", ". ", " "):
        k = head.rfind(sep)
        if k > MAX_CHARS // 2:
            return head[:k + (sep == ". ")].rstrip()
    return head

def load(data):
    docs = []
    for line, d in blind_records(data, "kowiki/kowiki_sample.jsonl.gz"):
        if len(d["text"]) - len(d["title"]) >= 300:      # no stubs, body >= 300 characters
            docs.append({"text": cut(d["text"]), "source": "kowiki_sample.jsonl.gz", "line": line, "title": d["title"]})
    for line, d in blind_records(data, "petitions/petitions.jsonl.gz"):
        if len(d["text"].strip()) >= 100:
            docs.append({"text": cut(d["text"]), "source": "petitions.jsonl.gz", "line": line, "title": d["title"]})
    seen = set()   # the comment files repeat comments verbatim: keep the first copy only
    for rel in ("hate_speech/labeled_train.jsonl.gz", "hate_speech/unlabeled_comments.jsonl.gz"):
        for line, d in blind_records(data, rel):
            if 100 <= len(d["text"].strip()) <= 300 and norm(d["text"]) not in seen:
                seen.add(norm(d["text"]))
                docs.append({"text": d["text"].strip(), "source": os.path.basename(rel), "line": line, "title": None})
    return docs

# ---------------------------------------------------------------- edit rules (own tables)

# jamo indices: initial (19) ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ, vowel (21) ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ,
# final (28) -ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ
L_ALT = {0: [1, 15], 1: [0], 3: [4, 16], 4: [3], 7: [8, 17], 8: [7], 9: [10], 10: [9], 12: [13, 14], 13: [12], 14: [12]}
V_ALT = {1: [5], 5: [1], 3: [7], 7: [3], 10: [11, 15], 11: [10, 15], 15: [11], 8: [12], 12: [8], 13: [17], 17: [13],
         18: [19], 19: [18, 20], 4: [6], 6: [4]}          # ㅐ/ㅔ, 왜/외/웨, ㅗ/ㅛ, ㅜ/ㅠ, ㅡ/ㅢ/ㅣ, ㅓ/ㅕ
T_ALT = {20: [19], 19: [20, 7], 7: [19], 4: [21, 0], 21: [4, 0], 8: [0], 16: [17], 17: [16, 26], 26: [17], 1: [24, 0]}
CHO, KEY_ROWS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ", ["ㅂㅈㄷㄱㅅ", "ㅁㄴㅇㄹㅎ", "ㅋㅌㅊㅍ"]  # two-set keyboard rows
TYPOS = {"되었": "됬", "않고": "안고", "않는": "안는", "왠지": "웬지", "며칠": "몇일", "금세": "금새", "오랜만": "오랫만",
         "역할": "역활", "일부러": "일부로", "굳이": "구지", "할게": "할께", "줄게": "줄께", "로서": "로써", "로써": "로서",
         "든지": "던지", "희한": "희안", "어이없": "어의없", "결제": "결재", "결재": "결제", "대가": "댓가", "개수": "갯수",
         "깨끗이": "깨끗히", "틈틈이": "틈틈히", "일일이": "일일히", "뵈어": "봬", "설레": "설레이", "있습니다": "있읍니다",
         "어떡해": "어떻해", "돼서": "되서", "돼요": "되요", "했습니다": "했읍니다", "무릅쓰": "무릎쓰", "인데": "인대"}
PARTICLE = {"은": "는", "는": "은", "이": "가", "가": "이", "을": "를", "를": "을", "와": "과", "과": "와",
            "에": "에서", "에서": "에", "의": "에"}
SYNONYMS = [("사용", "이용"), ("그러나", "하지만"), ("그리고", "또한"), ("매우", "아주"), ("가장", "제일"), ("현재", "지금"),
            ("최근", "요즘"), ("함께", "같이"), ("빨리", "신속히"), ("이유", "까닭"), ("방법", "방식"), ("처음", "최초"),
            ("정말", "진짜"), ("너무", "몹시"), ("부탁드립니다", "요청드립니다"), ("바랍니다", "희망합니다"), ("설립", "창립"),
            ("발표", "공개"), ("출시", "발매"), ("결혼", "혼인"), ("회사", "기업"), ("요구", "요청"), ("즉시", "곧바로"),
            ("이미", "벌써"), ("결국", "끝내"), ("주로", "대개"), ("의하면", "따르면"), ("아이들", "어린이들"),
            ("생각합니다", "판단합니다"), ("지역", "지방"), ("나라", "국가"), ("여러", "다양한")]
WORDLIKE = set("그러나 하지만 그리고 또한 매우 아주 가장 제일 현재 지금 최근 요즘 함께 같이 빨리 신속히 정말 진짜 너무 몹시 "
               "즉시 곧바로 이미 벌써 결국 끝내 주로 대개 여러 다양한".split())   # replaced only as whole words
REPHRASE = [("하였다", "했다"), ("되었다", "됐다"), ("하였으며", "했으며"), ("되었으며", "됐으며"), ("하였고", "했고"),
            ("위해", "위하여"), ("대해", "대하여"), ("통해", "통하여"), ("대한", "관한"), ("그래서", "따라서"),
            ("있다.", "있었다."), ("이다.", "이라고 한다."), ("한다.", "하고 있다."), ("합니다.", "하는 바입니다."),
            ("습니다.", "습니다!"), ("입니다.", "이라고 생각합니다.")]
ADVERBS = ["한편 ", "또한 ", "특히 ", "실제로 ", "무엇보다 ", "다만 "]
ADDED = {"kowiki": ["이에 대해서는 여러 가지 견해가 있다.", "자세한 내용은 아래 문단에서 다룬다.", "당시의 기록은 많이 남아 있지 않다.",
                    "이 부분은 출처에 따라 설명이 조금씩 다르다.", "이후 관련 연구가 이어졌다.", "이 내용은 여러 자료에서 확인할 수 있다."],
         "other": ["부디 끝까지 읽어 주셨으면 합니다.", "많은 분들의 관심과 동의를 부탁드립니다.", "정말 답답한 마음에 글을 씁니다.",
                   "제 생각이 틀렸다면 말씀해 주세요.", "이건 아니라고 봅니다.", "꼭 바로잡아 주시기 바랍니다.", "다들 어떻게 생각하시나요?"]}
EMOTICONS = [" ㅋㅋ", "ㅋㅋㅋ", " ㅎㅎ", " ㅠㅠ", "ㅜㅜ", " ^^", " ^^;", "~~", " :)", "ㅋ"]
PUNCT = {".": ["...", "!", "..", "…"], ",": ["", ",,", " ,"], "!": ["!!", "!!!", "."], "?": ["??", "?!"], "…": ["...", ".."]}
FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in ",.!?():;~%"}
SITES = ["한빛소식", "바른누리신문", "새물결일보", "누리마루 포털", "다올 블로그", "모아보기 카페", "오늘의 글모음"]
HEADERS = ["[펌] ", "[공유] ", "(퍼온 글)\n", "※ 다른 게시판에서 옮겨 온 글입니다.\n", "출처 : {site}\n", "[{site}] ",
           "원문 보기 ▶\n", "{site} 아카이브에서 가져옴\n", "[재업] "]
FOOTERS = ["ⓒ {site} | 무단 전재 및 재배포 금지", "저작권자 © {site}, 무단 복제·배포를 금합니다.", "▶ 관련 기사 더 보기",
           "공유하기 | 카카오톡 | 페이스북 | 트위터 | 주소 복사", "[광고] 지금 신청하면 첫 달 무료! 자세히 보기 ▶", "(끝)",
           "이 글이 도움이 되셨다면 공감 버튼을 눌러 주세요!", "목록 | 위로 | 글쓰기", "좋아요 {n} · 댓글 {m} · 공유 {k}",
           "이 문서는 {y}년 {mo}월 {d}일에 마지막으로 수정되었습니다.", "본문 내용은 작성자 개인의 의견이며 {site}의 입장과 다를 수 있습니다.",
           "관련 기사\n· {site} 주요 뉴스 모음\n· 많이 본 기사", "#공유 #스크랩", "출처: {site}"]

def fill(s, rng):
    return s.format(site=rng.choice(SITES), n=rng.randint(1, 999), m=rng.randint(0, 99), k=rng.randint(0, 50),
                    y=rng.randint(2015, 2023), mo=rng.randint(1, 12), d=rng.randint(1, 28))

def sentences(t):
    """(start, end) of every sentence: runs ending in .!?… inside a line, or the rest of the line."""
    return [(ln.start() + m.start(), ln.start() + m.end()) for ln in re.finditer(r"[^\n]+", t)
            for m in re.finditer(r"\S.*?(?:[.!?…]+(?=\s|$)|$)", ln.group())]

def find(rng, pattern, t):
    """The first match of pattern at or after a random position, wrapping around."""
    rx = re.compile(pattern)
    return rx.search(t, rng.randrange(len(t) + 1)) or rx.search(t)

# Each edit returns (start, end, replacement, kind) on the current text, or None when it does not apply.

def op_jamo(t, rng, src):
    m = find(rng, r"[가-힣]", t)
    if not m:
        return None
    s = ord(m.group()) - 0xAC00
    l, v, f, rule = s // 588, s % 588 // 28, s % 28, rng.random()
    if rule < 0.35 and v in V_ALT:                 # confusable vowel
        v = rng.choice(V_ALT[v])
    elif rule < 0.6 and f in T_ALT:                # final consonant dropped, added or confused (있/잇)
        f = rng.choice(T_ALT[f])
    elif rule < 0.8 and l in L_ALT:                # plain / tense / aspirated initial
        l = rng.choice(L_ALT[l])
    else:                                          # neighbouring key for the initial consonant
        row = next((r for r in KEY_ROWS if CHO[l] in r), None)
        if not row:
            return None
        l = CHO.index(row[max(0, min(len(row) - 1, row.index(CHO[l]) + rng.choice([-1, 1])))])
    new = chr(0xAC00 + l * 588 + v * 28 + f)
    return (m.start(), m.end(), new, "jamo") if new != m.group() else None

def op_typo(t, rng, src):
    hits = [(m.start(), w) for w in TYPOS for m in re.finditer(w, t)]
    p, w = rng.choice(hits) if hits else (0, None)
    return (p, p + len(w), TYPOS[w], "typo") if w else None

def op_syllable(t, rng, src):
    m = find(rng, r"[가-힣]{3,}", t)
    if not m:
        return None
    p = rng.randrange(m.start(), m.end())
    return (p, p + 1, "", "syllable") if rng.random() < 0.65 else (p, p + 1, t[p] * 2, "syllable")

def op_spacing(t, rng, src):
    r = rng.random()
    if r < 0.3:                                    # 할 수 있다 -> 할수 있다 / 할 수있다, 것 같다 -> 것같다
        m = find(rng, r"(?<=[가-힣]) (?=(?:수|것|때|줄|적|뿐|만큼|데) )|(?<= [수것]) (?=[있없같])", t)
        if m:
            return m.start(), m.end(), "", "spacing"
    if r < 0.75:                                   # two eojeol joined
        m = find(rng, r"(?<=[가-힣]) (?=[가-힣])", t)
        return (m.start(), m.end(), "", "spacing") if m else None
    m = find(rng, r"[가-힣]{3,}", t)               # a space typed inside a word
    p = rng.randrange(m.start() + 1, m.end()) if m else None
    return (p, p, " ", "spacing") if m else None

def op_particle(t, rng, src):
    """Mostly 의/에/에서 confusions; sometimes the wrong form of 은/는, 이/가, 을/를, 와/과."""
    which = "에서|에|의" if rng.random() < 0.6 else "[은는이가을를와과]"
    m = find(rng, r"(?<=[가-힣]{2})(" + which + r")(?=[\s.,!?])", t)
    return (m.start(), m.end(), PARTICLE[m.group()], "particle") if m else None

def op_punct(t, rng, src):
    m = find(rng, r"[.,!?…](?=\s|$)", t)
    return (m.start(), m.end(), rng.choice(PUNCT[m.group()]), "punctuation") if m else None

def op_emoticon(t, rng, src):
    p = rng.choice([e for s, e in sentences(t)] or [len(t)])
    return p, p, rng.choice(EMOTICONS), "emoticon"

def op_number(t, rng, src):
    m = find(rng, r"\d+", t)
    if not m:
        return None
    x, w = int(m.group()), len(m.group())
    y = max(0, x + rng.choice([-2, -1, 1, 2, 10])) if w == 4 else (x + rng.randint(1, 9)) % 10 ** w
    new = str(y).zfill(w) if m.group().startswith("0") else str(y)
    return (m.start(), m.end(), new, "number") if new != m.group() else None

def op_name(t, rng, src):
    m = find(rng, r"(?<![가-힣])[가-힣]{2,3}(?= ?(?:씨|님|의원|선수|감독|교수|장관|기자|작가|회장)(?![가-힣]{2}))", t)
    new = m.group()[:-1] + rng.choice("민서준우현지영수진호은혜성희정태경미연동훈석철") if m else None
    return (m.start(), m.end(), new, "name") if m and new != m.group() else None

def syn_hits(t):
    return [(m.start(), a, b) for x, y in SYNONYMS for a, b in ((x, y), (y, x))
            for m in re.finditer("(?<![가-힣])" + a + (r"(?=[\s,])" if a in WORDLIKE else ""), t)]

def op_synonym(t, rng, src):
    hits = syn_hits(t)
    p, a, b = rng.choice(hits) if hits else (0, None, None)
    return (p, p + len(a), b, "synonym") if a else None

def op_rephrase(t, rng, src):
    """Two or three rewrites inside one sentence (endings, connectives, synonyms), else an adverb or a
    parenthesis dropped."""
    ss = [x for x in sentences(t) if x[1] - x[0] >= 25]
    if not ss:
        return None
    s, e = rng.choice(ss)
    sent = t[s:e]
    rules = [(a, b) for x, y in REPHRASE for a, b in ((x, y), (y, x)) if a in sent] + [h[1:] for h in syn_hits(sent)]
    rng.shuffle(rules)
    done = 0
    for a, b in rules[:3]:
        if a in sent:
            sent, done = sent.replace(a, b, 1), done + 1
    if done < 2:
        paren = re.search(r" ?\([^()]{1,20}\)", sent)
        sent = sent.replace(paren.group(), "", 1) if paren and rng.random() < 0.5 else rng.choice(ADVERBS) + sent
    return s, e, sent, "rephrase"

def op_sentence(t, rng, src):
    """A sentence added (own filler), deleted, or swapped with the next one."""
    ss, r = sentences(t), rng.random()
    if r < 0.45:
        p = rng.choice([e for s, e in ss] or [len(t)])
        return p, p, " " + rng.choice(ADDED["kowiki" if src.startswith("kowiki") else "other"]), "sentence_add"
    if r < 0.8 and len(ss) >= 3:
        s, e = rng.choice(ss[1:])
        return s, e + (t[e:e + 1] == " "), "", "sentence_delete"
    pairs = [(a, b) for a, b in zip(ss, ss[1:]) if a[1] < b[0] and "\n" not in t[a[1]:b[0]]]
    if not pairs:
        return None
    a, b = rng.choice(pairs)
    return a[0], b[1], t[b[0]:b[1]] + t[a[1]:b[0]] + t[a[0]:a[1]], "sentence_swap"

def op_frame(t, rng, src):
    """A re-posting site's header or footer line."""
    if rng.random() < 0.4:
        return 0, 0, fill(rng.choice(HEADERS), rng), "header"
    return len(t), len(t), rng.choice(["\n", "\n\n", " "]) + fill(rng.choice(FOOTERS), rng), "footer"

def op_title(t, rng, src):
    m = re.match(r"([^\n]{1,100})\n+", t)
    if not m:
        return None
    r = rng.random()
    if r < 0.4:
        return 0, m.end(), "", "title"
    if r < 0.7:
        return 0, 0, rng.choice(["제목: ", "제목 : ", "글 제목 - "]), "title"
    tail = " - " + rng.choice(SITES) if src.startswith("kowiki") else rng.choice([" (재업로드)", " (다시 올립니다)", " [재청원]"])
    return m.start(1), m.end(1), m.group(1) + tail, "title"

def op_html(t, rng, src):
    """An entity unescaped, or one sentence escaped (or given a &nbsp;)."""
    m = find(rng, r"&(lt|gt|amp|quot);", t) if rng.random() < 0.5 else None
    if m:
        return m.start(), m.end(), {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[m.group(1)], "html_entity"
    s, e = rng.choice(sentences(t) or [(0, len(t))])
    sent = t[s:e]
    new = sent.replace("&", "&amp;").replace('"', "&quot;").replace("'", "&#39;").replace("<", "&lt;").replace(">", "&gt;")
    if new == sent and " " in sent:
        new = sent.replace(" ", "&nbsp;", 1)
    return (s, e, new, "html_entity") if new != sent else None

def op_fullwidth(t, rng, src):
    ss = [x for x in sentences(t) if any(c in FULLWIDTH for c in t[x[0]:x[1]])]
    s, e = rng.choice(ss) if ss else (0, 0)
    return (s, e, "".join(FULLWIDTH.get(c, c) for c in t[s:e]), "fullwidth") if ss else None

SCATTERED = [(op_jamo, 4), (op_typo, 2), (op_syllable, 1.5), (op_spacing, 4), (op_particle, 1.5), (op_punct, 1.5),
             (op_emoticon, 0.8), (op_number, 0.5)]
CLUSTERED = [(op_rephrase, 3), (op_synonym, 2), (op_sentence, 4.5), (op_name, 1), (op_number, 0.5)]
BOILER = [(op_frame, 5), (op_title, 1.5), (op_html, 1), (op_fullwidth, 1)]

def make_variant(text, src, level, rng):
    """Boilerplate (<= 45 % of the goal), clustered edits (<= 75 % together) and scattered typos for the
    rest, then scattered typos until the exact edit level is in range; up to 12 fresh tries."""
    n, (lo, hi) = len(text), LEVELS[level]
    for _ in range(12):
        goal = rng.uniform(lo + 0.1 * (hi - lo), hi - 0.1 * (hi - lo)) * n
        t, spent, kinds = text, 0, []

        def apply(table, cap, tries):
            nonlocal t, spent
            ops, weights = zip(*table)
            weights = [w * (0.2 if f is op_emoticon and src.startswith("kowiki") else 1) for f, w in table]
            for _ in range(tries):
                r = rng.choices(ops, weights)[0](t, rng, src)
                cost = levenshtein(t[r[0]:r[1]], r[2]) if r else 0
                if 0 < cost <= cap:
                    spent += cost
                    t = t[:r[0]] + r[2] + t[r[1]:]
                    kinds.append(r[3])
                    return

        if rng.random() < (0.45 if level == "light" else 0.65):
            apply(BOILER, 0.45 * goal, 6)
        for _ in range((rng.random() < 0.45) if level == "light" else rng.choice([1, 2, 2, 3])):
            apply(CLUSTERED, min(0.4 * goal, 0.75 * goal - spent), 6)
        for _ in range(4 * n):
            if spent >= goal:
                break
            apply(SCATTERED, max(1, goal - spent + 1), 1)
        d = levenshtein(text, t)
        for _ in range(50):
            if d >= lo * n:
                break
            apply(SCATTERED, max(1, math.ceil(lo * n) - d + 1), 3)
            d = levenshtein(text, t)
        if lo <= d / n <= hi:
            return t, list(dict.fromkeys(kinds)), round(d / n, 5)
    return None

# ---------------------------------------------------------------- build

def template_name(docs, members):
    """Name a group of template-sharing documents by the title word or suffix most of them share."""
    feats = Counter()
    for i in members:
        words = [w for w in re.findall(r"\([^)]*\)|[^\s()]+", re.sub(r"\d+", "0", docs[i]["title"] or ""))
                 if re.search(r"[가-힣A-Za-z]", w)]
        plain = [w for w in words if not w.startswith("(")]
        feats.update(set(words[1:]) | ({plain[-1][-k:] for k in (1, 2, 3)} if plain else set()))
    best, n = max(feats.items(), key=lambda kv: (kv[1], len(kv[0]), kv[0]), default=("", 0))
    first = docs[members[0]]
    src = {"kowiki": "kowiki", "petitions": "petitions"}.get(first["source"].split("_")[0].split(".")[0], "comments")
    return src + ":" + (best if n >= max(2, 0.4 * len(members)) else (first["title"] or first["text"])[:20] + "…")

def template_groups(docs, H):
    """Connected groups of documents linked by template edges, the documents in a pair with Jaccard >= 0.5,
    and the template edges."""
    close, edges, tpairs = set(), defaultdict(set), []
    for i, j, inter, jac, con in template_pairs(H):
        if jac >= NATURAL_J:
            close.update((i, j))
        elif jac >= TEMPLATE_J or (con >= TEMPLATE_C and inter >= 100):
            edges[i].add(j)
            edges[j].add(i)
            tpairs.append((i, j))
    template, names = {}, Counter()
    for i in sorted(edges):
        if i in template:
            continue
        comp, stack = {i}, [i]
        while stack:
            for y in edges[stack.pop()] - comp:
                comp.add(y)
                stack.append(y)
        name = template_name(docs, sorted(comp))
        names[name] += 1
        for x in comp:
            template[x] = name + (f"#{names[name]}" if names[name] > 1 else "")
    return template, close, tpairs

def build(data, seed):
    rng = random.Random(seed)
    docs = load(data)
    H = [gram_hashes(d["text"]) for d in docs]
    template, close, tpairs = template_groups(docs, H)
    recs = [{"key": f"o{i}", "text": d["text"], "source": d["source"], "line": d["line"], "family": f"o{i}",
             "role": "negative" if i in template and i not in close else "original", "parent": None, "level": None,
             "edit_level": None, "edits": [], "jaccard_parent": None, "jaccard_original": None,
             "template": template.get(i)} for i, d in enumerate(docs)]
    # parents: plain originals, not close to another document, not dominated by one repeated character run
    free = [i for i in range(len(docs)) if i not in template and i not in close
            and len(H[i]) >= 0.5 * max(1, len(norm(docs[i]["text"])) - 4)]
    rng.shuffle(free)
    todo = ["light"] * N_LIGHT + ["heavy"] * N_HEAVY + ["family"] * N_FAMILY
    rng.shuffle(todo)
    skipped, chains = 0, {}
    for p in free:
        if not todo:
            break
        vrng = random.Random(f"{seed}:{docs[p]['source']}:{docs[p]['line']}")
        steps = [todo[-1]] if todo[-1] != "family" else [vrng.choice(["light", "heavy"]) for _ in "BC"]
        made, prev = [], recs[p]
        for k, level in enumerate(steps):
            v = make_variant(prev["text"], prev["source"], level, vrng)
            if v is None:
                break
            prev = dict(recs[p], key=f"o{p}v{k + 1}", text=v[0], role="variant", parent=prev["key"], level=level,
                        edit_level=v[2], edits=v[1], jaccard_parent=jaccard(prev["text"], v[0]),
                        jaccard_original=jaccard(recs[p]["text"], v[0]), template=None)
            made.append(prev)
        if len(made) < len(steps):
            skipped += 1
            continue
        if todo.pop() == "family":
            chains[f"o{p}"] = round(levenshtein(recs[p]["text"], made[1]["text"]) / len(recs[p]["text"]), 5)
        recs += made
    print(f"{len(docs)} real documents, {len(recs)} records, {skipped} parents skipped", file=sys.stderr)

    rng.shuffle(recs)
    ids = {r["key"]: f"b{n + 1:06d}" for n, r in enumerate(recs)}
    fam_ids, families, by_tpl = {}, defaultdict(list), defaultdict(list)
    for r in recs:
        r["id"], r["parent"] = ids[r["key"]], ids.get(r["parent"])
        r["family"] = fam_ids.setdefault(r["family"], f"f{len(fam_ids) + 1:06d}")
        families[r["family"]].append(r["id"])
        if r["template"]:
            by_tpl[r["template"]].append(r["id"])
    chains = {fam_ids[k]: {"a": ids[k], "b": ids[k + "v1"], "c": ids[k + "v2"], "edit_level_c_to_a": v}
              for k, v in chains.items()}
    # every pair of records of different families with Jaccard >= 0.5 (none missed, value exact)
    natural = []
    for i, j in all_pairs_at_least([gram_hashes(r["text"]) for r in recs]):
        jac = jaccard(recs[i]["text"], recs[j]["text"]) if recs[i]["family"] != recs[j]["family"] else 0
        if jac >= NATURAL_J:
            natural.append(sorted([recs[i]["id"], recs[j]["id"]]) + [jac])
    tpl_pairs = sorted(sorted([ids[f"o{i}"], ids[f"o{j}"]]) + [jaccard(docs[i]["text"], docs[j]["text"])]
                       for i, j in tpairs)
    role = {r["id"]: r["role"] for r in recs}
    out = [{k: r[k] for k in ("id", "text", "source", "line", "family", "role", "parent", "level", "edit_level",
                              "edits", "jaccard_parent", "jaccard_original", "template")} for r in recs]
    counts = Counter(f"{r['role']}/{r['level']}" if r["level"] else r["role"] for r in out)
    counts.update({"documents": len(out), "natural_pairs": len(natural), "multi_step_families": len(chains),
                   "natural_pairs_with_variant": sum("variant" in (role[a], role[b]) for a, b, _ in natural),
                   "templates": len(by_tpl), "template_pairs": len(tpl_pairs),
                   "variants_jaccard_parent_below_0.5": sum(r["jaccard_parent"] < 0.5 for r in out if r["level"]),
                   "variants_jaccard_original_below_0.5": sum(r["jaccard_original"] < 0.5 for r in out if r["level"])})
    PAIRS_INFO.update(natural_pairs=sorted(natural), families=dict(families), chains=chains,
                      templates=dict(by_tpl), template_pairs=tpl_pairs, counts=dict(counts))
    return out

# ---------------------------------------------------------------- report

LEN_BUCKETS = [(0, "<100"), (100, "100-299"), (300, "300-999"), (1000, "1000-1999"), (2000, "2000-2999"),
               (3000, "3000-4099"), (4100, ">=4100")]

def qs(xs):
    """min / p10 / median / p90 / max"""
    xs = sorted(xs)
    return " / ".join(f"{xs[min(len(xs) - 1, int(f * len(xs)))]:.4f}" for f in (0, 0.1, 0.5, 0.9, 1)) if xs else "-"

def summarize(records, pairs_path=None):
    if pairs_path:
        with open(pairs_path, "w", encoding="utf-8") as fh:
            json.dump(PAIRS_INFO, fh, ensure_ascii=False)
    cls = lambda r: r["role"] + (f"/{r['level']}" if r["level"] else "")  # noqa: E731
    rows, srcs = sorted({cls(r) for r in records}), sorted({r["source"] for r in records})
    out = ["| class | " + " | ".join(srcs) + " | all |", "|---|" + "---:|" * (len(srcs) + 1)]
    for c in rows:
        cnt = Counter(r["source"] for r in records if cls(r) == c)
        out.append(f"| {c} | " + " | ".join(f"{cnt[s]:,}" for s in srcs) + f" | {sum(cnt.values()):,} |")
    out += ["", "| class (characters) | " + " | ".join(n for _, n in LEN_BUCKETS) + " | median UTF-8 KB |",
            "|---|" + "---:|" * (len(LEN_BUCKETS) + 1)]
    for c in rows:
        sel = [r["text"] for r in records if cls(r) == c]
        cnt = Counter([name for lo, name in LEN_BUCKETS if len(t) >= lo][-1] for t in sel)
        kb = sorted(len(t.encode()) / 1024 for t in sel)[len(sel) // 2]
        out.append(f"| {c} | " + " | ".join(f"{cnt[n]:,}" for _, n in LEN_BUCKETS) + f" | {kb:.1f} |")
    out += ["", "| variants | n | edit_level min / p10 / median / p90 / max | jaccard_parent | jaccard_original |",
            "|---|---:|---|---|---|"]
    fam, role = Counter(r["family"] for r in records), {r["id"]: r["role"] for r in records}
    for name, sel in [("light", lambda r: r["level"] == "light" and fam[r["family"]] == 2),
                      ("heavy", lambda r: r["level"] == "heavy" and fam[r["family"]] == 2),
                      ("family B (from A)", lambda r: fam[r["family"]] == 3 and role[r["parent"]] != "variant"),
                      ("family C (from B)", lambda r: fam[r["family"]] == 3 and role[r["parent"]] == "variant")]:
        vs = [r for r in records if r["role"] == "variant" and sel(r)]
        out.append(f"| {name} | {len(vs):,} | {qs([r['edit_level'] for r in vs])} | "
                   f"{qs([r['jaccard_parent'] for r in vs])} | {qs([r['jaccard_original'] for r in vs])} |")
    kinds = Counter((r["level"], k) for r in records if r["role"] == "variant" for k in r["edits"])
    order = sorted({k for _, k in kinds}, key=lambda k: -kinds["light", k] - kinds["heavy", k])
    out += ["", "variants using each edit kind (light / heavy): " +
            ", ".join(f"{k} {kinds['light', k]}/{kinds['heavy', k]}" for k in order)]
    return "\n".join(out + ["", "counts: " + json.dumps(PAIRS_INFO.get("counts", {}), ensure_ascii=False)])

def main(argv=None):
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "dedup", "blind.jsonl"))
    pairs = os.path.join(os.path.dirname(os.path.abspath(ap.parse_known_args(argv)[0].out)), "blind_pairs.json")
    return run(build, lambda recs: summarize(recs, pairs), __doc__.splitlines()[0], ("dedup", "blind.jsonl"), SEED, argv)

if __name__ == "__main__":
    sys.exit(main())
