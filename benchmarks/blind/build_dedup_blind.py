"""Blind evaluation set for near-duplicate removal: real Korean documents (blind half of ../shared/data),
generated light (~1 %) and heavy (~3-5 %) near-duplicate variants, multi-step families A -> B -> C,
real template-sharing hard negatives, and every natural pair of records with 5-gram Jaccard >= 0.5.
Writes blind.jsonl (shuffled) and blind_pairs.json next to it. Standard library + numpy only."""
from __future__ import annotations

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
NATURAL_J = 0.5          # pairs at or above this are natural pairs
TEMPLATE_J = 0.15        # template edge: Jaccard in [TEMPLATE_J, NATURAL_J) ...
TEMPLATE_C = 0.4         # ... or containment >= TEMPLATE_C with >= 100 shared 5-grams
MAX_CHARS = 4000

# ---------------------------------------------------------------- similarity

def norm(text):
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def grams(text):
    t = norm(text)
    return {t[i:i + 5] for i in range(len(t) - 4)} if len(t) >= 5 else {t}


def jaccard(a, b):
    ga, gb = grams(a), grams(b)
    return round(len(ga & gb) / len(ga | gb), 4)


def gram_hashes(text):
    """Sorted unique 64-bit hashes of the character 5-grams (used only to find candidate pairs)."""
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
    """(pair keys i*n+j with i<j, number of shared tokens) over the given per-document token arrays."""
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


def overlap(H, i, j):
    inter = len(np.intersect1d(H[i], H[j], assume_unique=True))
    return inter, inter / (len(H[i]) + len(H[j]) - inter), inter / min(len(H[i]), len(H[j]))


def all_pairs_at_least(H, t=NATURAL_J):
    """Every pair with Jaccard >= t (prefix filtering: such a pair shares a token among the
    len - ceil(t*len) + 1 globally rarest tokens of each set, so no pair is missed)."""
    vocab, df = np.unique(np.concatenate(H), return_counts=True)
    prefixes = []
    for g in H:
        order = np.lexsort((g, df[np.searchsorted(vocab, g)]))
        prefixes.append(g[order[:len(g) - math.ceil(t * len(g)) + 1]])
    keys, _ = co_occurring_pairs(prefixes)
    out = []
    for k in keys.tolist():
        i, j = divmod(k, len(H))
        a, b = len(H[i]), len(H[j])
        if min(a, b) >= t * max(a, b) and overlap(H, i, j)[1] >= t - 1e-9:
            out.append((i, j))
    return out


def template_pairs(H):
    """Pairs sharing >= 15 5-grams that occur in 2..50 documents, with (shared, Jaccard, containment)."""
    vocab, df = np.unique(np.concatenate(H), return_counts=True)
    dfs = [df[np.searchsorted(vocab, g)] for g in H]
    keys, counts = co_occurring_pairs([g[(f >= 2) & (f <= 50)] for g, f in zip(H, dfs)])
    return [(k // len(H), k % len(H)) + overlap(H, k // len(H), k % len(H)) for k in keys[counts >= 15].tolist()]

# ---------------------------------------------------------------- real documents

def cut(text):
    if len(text) <= MAX_CHARS:
        return text
    head = text[:MAX_CHARS]
    for sep in ("\n", ". ", " "):
        k = head.rfind(sep)
        if k > MAX_CHARS // 2:
            return head[:k + (1 if sep == ". " else 0)].rstrip()
    return head


def load(data):
    docs = []
    for line, d in blind_records(data, "kowiki/kowiki_sample.jsonl.gz"):
        if len(d["text"]) - len(d["title"]) >= 300:
            docs.append({"text": cut(d["text"]), "source": "kowiki_sample.jsonl.gz", "line": line, "title": d["title"]})
    for line, d in blind_records(data, "petitions/petitions.jsonl.gz"):
        if len(d["text"].strip()) >= 100:
            docs.append({"text": cut(d["text"]), "source": "petitions.jsonl.gz", "line": line, "title": d["title"]})
    for rel in ("hate_speech/labeled_train.jsonl.gz", "hate_speech/unlabeled_comments.jsonl.gz"):
        for line, d in blind_records(data, rel):
            if 100 <= len(d["text"].strip()) <= 300:
                docs.append({"text": d["text"].strip(), "source": os.path.basename(rel), "line": line, "title": None})
    return docs

# ---------------------------------------------------------------- edit rules (own tables)

HANGUL = re.compile(r"[가-힣]")
L_ALT = {0: [1, 15], 1: [0], 3: [4, 16], 4: [3], 7: [8, 17], 8: [7], 9: [10], 10: [9], 12: [13, 14], 13: [12], 14: [12]}
V_ALT = {1: [5], 5: [1], 3: [7], 7: [3], 10: [11, 15], 11: [10, 15], 15: [11], 8: [12], 12: [8], 13: [17], 17: [13],
         18: [19], 19: [18, 20], 4: [6], 6: [4]}
T_ALT = {20: [19], 19: [20, 7], 7: [19], 4: [21, 0], 21: [4, 0], 8: [0], 16: [17], 17: [16, 26], 26: [17], 1: [24, 0]}
KEY_ROWS = ["ㅂㅈㄷㄱㅅ", "ㅁㄴㅇㄹㅎ", "ㅋㅌㅊㅍ"]   # two-set keyboard, consonant rows
CHO = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
TYPOS = {"되었": "됬", "않고": "안고", "않는": "안는", "왠지": "웬지", "며칠": "몇일", "금세": "금새", "오랜만": "오랫만",
         "역할": "역활", "일부러": "일부로", "굳이": "구지", "할게": "할께", "줄게": "줄께", "로서": "로써", "로써": "로서",
         "든지": "던지", "희한": "희안", "어이없": "어의없", "결제": "결재", "결재": "결제", "대가": "댓가", "개수": "갯수",
         "깨끗이": "깨끗히", "틈틈이": "틈틈히", "일일이": "일일히", "뵈어": "봬", "설레": "설레이", "있습니다": "있읍니다",
         "어떡해": "어떻해", "돼서": "되서", "돼요": "되요", "했습니다": "했읍니다", "무릅쓰": "무릎쓰", "인데": "인대"}
SYNONYMS = [("사용", "이용"), ("그러나", "하지만"), ("그리고", "또한"), ("매우", "아주"), ("가장", "제일"), ("현재", "지금"),
            ("최근", "요즘"), ("함께", "같이"), ("빨리", "신속히"), ("이유", "까닭"), ("방법", "방식"), ("처음", "최초"),
            ("정말", "진짜"), ("너무", "몹시"), ("부탁드립니다", "요청드립니다"), ("바랍니다", "희망합니다"), ("설립", "창립"),
            ("발표", "공개"), ("출시", "발매"), ("결혼", "혼인"), ("회사", "기업"), ("요구", "요청"), ("즉시", "곧바로"),
            ("이미", "벌써"), ("결국", "끝내"), ("주로", "대개"), ("의하면", "따르면"), ("아이들", "어린이들"),
            ("생각합니다", "판단합니다"), ("지역", "지방"), ("나라", "국가"), ("여러", "다양한")]
WORDLIKE = set("그러나 하지만 그리고 또한 매우 아주 가장 제일 현재 지금 최근 요즘 함께 같이 빨리 신속히 정말 진짜 너무 몹시 "
               "즉시 곧바로 이미 벌써 결국 끝내 주로 대개 여러 다양한".split())   # matched only as whole words
REPHRASE = [("하였다", "했다"), ("되었다", "됐다"), ("하였으며", "했으며"), ("되었으며", "됐으며"), ("하였고", "했고"),
            ("위해", "위하여"), ("대해", "대하여"), ("통해", "통하여"), ("대한", "관한"), ("그래서", "따라서"),
            ("있다.", "있었다."), ("이다.", "이라고 한다."), ("한다.", "하고 있다."), ("합니다.", "하는 바입니다."),
            ("습니다.", "습니다!"), ("입니다.", "이라고 생각합니다.")]
ADVERBS = ["한편 ", "또한 ", "특히 ", "실제로 ", "무엇보다 ", "다만 "]
ADDED = {"kowiki": ["이에 대해서는 여러 가지 견해가 있다.", "자세한 내용은 아래 문단에서 다룬다.", "이 부분은 출처에 따라 설명이 조금씩 다르다.",
                    "당시의 기록은 많이 남아 있지 않다.", "이후 관련 연구가 이어졌다.", "이 내용은 여러 자료에서 확인할 수 있다."],
         "other": ["부디 끝까지 읽어 주셨으면 합니다.", "많은 분들의 관심과 동의를 부탁드립니다.", "정말 답답한 마음에 글을 씁니다.",
                   "제 생각이 틀렸다면 말씀해 주세요.", "이건 아니라고 봅니다.", "꼭 바로잡아 주시기 바랍니다.", "다들 어떻게 생각하시나요?"]}
EMOTICONS = [" ㅋㅋ", "ㅋㅋㅋ", " ㅎㅎ", " ㅠㅠ", "ㅜㅜ", " ^^", " ^^;", "~~", " :)", "ㅋ"]
PUNCT = {".": ["...", "!", "..", "…", ". ."], ",": ["", ",,", " ,"], "!": ["!!", "!!!", "."], "?": ["??", "?!"], "…": ["...", ".."]}
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
    out = []
    for ln in re.finditer(r"[^\n]+", t):
        for m in re.finditer(r"\S.*?(?:[.!?…]+(?=\s|$)|$)", ln.group()):
            out.append((ln.start() + m.start(), ln.start() + m.end()))
    return out


def pick(rng, it):
    it = list(it)
    return rng.choice(it) if it else None


def op_jamo(t, rng, src):
    m = pick(rng, HANGUL.finditer(t))
    if not m:
        return None
    s = ord(m.group()) - 0xAC00
    l, v, f = s // 588, s % 588 // 28, s % 28
    rule = rng.random()
    if rule < 0.35 and v in V_ALT:
        v = rng.choice(V_ALT[v])
    elif rule < 0.6 and f in T_ALT:
        f = rng.choice(T_ALT[f])
    elif rule < 0.8 and l in L_ALT:
        l = rng.choice(L_ALT[l])
    else:                                   # neighbouring key for the initial consonant
        row = next((r for r in KEY_ROWS if CHO[l] in r), None)
        if not row:
            return None
        k = row.index(CHO[l])
        l = CHO.index(row[max(0, min(len(row) - 1, k + rng.choice([-1, 1])))])
    new = chr(0xAC00 + l * 588 + v * 28 + f)
    return (m.start(), m.end(), new, "jamo") if new != m.group() else None


def op_typo(t, rng, src):
    hits = [(m.start(), w) for w in TYPOS for m in re.finditer(w, t)]
    if not hits:
        return None
    p, w = rng.choice(hits)
    return p, p + len(w), TYPOS[w], "typo"


def op_syllable(t, rng, src):
    m = pick(rng, re.finditer(r"[가-힣]{3,}", t))
    if not m:
        return None
    p = rng.randrange(m.start(), m.end())
    if rng.random() < 0.5:
        return p, p + 1, "", "syllable"
    return p, p + 1, t[p] * 2, "syllable"


def op_spacing(t, rng, src):
    r = rng.random()
    if r < 0.3:
        m = pick(rng, re.finditer(r"(?<=[가-힣]) (?=(?:수|것|때|줄|적|뿐|만큼|데) )|(?<= [수것]) (?=[있없같])", t))
        if m:
            return m.start(), m.end(), "", "spacing"
    if r < 0.75:
        m = pick(rng, re.finditer(r"(?<=[가-힣]) (?=[가-힣])", t))
        return (m.start(), m.end(), "", "spacing") if m else None
    m = pick(rng, re.finditer(r"[가-힣]{3,}", t))
    if not m:
        return None
    p = rng.randrange(m.start() + 1, m.end())
    return p, p, " ", "spacing"


PARTICLE = {"은": "는", "는": "은", "이": "가", "가": "이", "을": "를", "를": "을", "와": "과", "과": "와", "에": "에서", "에서": "에", "의": "에"}


def op_particle(t, rng, src):
    m = pick(rng, re.finditer(r"(?<=[가-힣]{2})(에서|[은는이가을를와과에의])(?=[\s.,!?])", t))
    return (m.start(), m.end(), PARTICLE[m.group()], "particle") if m else None


def op_punct(t, rng, src):
    m = pick(rng, re.finditer(r"[.,!?…](?=\s|$)", t))
    return (m.start(), m.end(), rng.choice(PUNCT[m.group()]), "punctuation") if m else None


def op_emoticon(t, rng, src):
    ends = [e for s, e in sentences(t)] or [len(t)]
    p = rng.choice(ends)
    return p, p, rng.choice(EMOTICONS), "emoticon"


def op_number(t, rng, src):
    m = pick(rng, re.finditer(r"\d+", t))
    if not m:
        return None
    x = int(m.group())
    y = x + rng.choice([-2, -1, 1, 2, 10]) if len(m.group()) == 4 else (x + rng.randint(1, 9)) % (10 ** len(m.group()))
    new = str(max(y, 0)).zfill(len(m.group())) if m.group().startswith("0") else str(max(y, 0))
    return (m.start(), m.end(), new, "number") if new != m.group() else None


def op_name(t, rng, src):
    m = pick(rng, re.finditer(r"(?<![가-힣])[가-힣]{2,3}(?= ?(?:씨|님|의원|선수|감독|교수|장관|기자|작가|회장)(?![가-힣]{2}))", t))
    if not m:
        return None
    new = m.group()[:-1] + rng.choice("민서준우현지영수진호은혜성희정태경미연동훈석철")
    return (m.start(), m.end(), new, "name") if new != m.group() else None


def syn_hits(t):
    """(position, word, synonym); adverb-like words only as whole words."""
    return [(m.start(), a, b) for x, y in SYNONYMS for a, b in ((x, y), (y, x))
            for m in re.finditer("(?<![가-힣])" + a + ("(?=[\\s,])" if a in WORDLIKE else ""), t)]


def op_synonym(t, rng, src):
    hits = syn_hits(t)
    if not hits:
        return None
    p, a, b = rng.choice(hits)
    return p, p + len(a), b, "synonym"


def op_rephrase(t, rng, src):
    s = pick(rng, [x for x in sentences(t) if x[1] - x[0] >= 25])
    if not s:
        return None
    sent = t[s[0]:s[1]]
    rules = [(a, b) for x, y in REPHRASE for a, b in ((x, y), (y, x)) if a in sent]
    rules += [(a, b) for _, a, b in syn_hits(sent)]
    rng.shuffle(rules)
    done = 0
    for a, b in rules[:3]:
        if a in sent:
            sent, done = sent.replace(a, b, 1), done + 1
    if done < 2:
        paren = re.search(r" ?\([^()]{1,20}\)", sent)
        sent = sent.replace(paren.group(), "", 1) if paren and rng.random() < 0.5 else rng.choice(ADVERBS) + sent
    return s[0], s[1], sent, "rephrase"


def op_sentence_add(t, rng, src):
    p = rng.choice([e for s, e in sentences(t)] or [len(t)])
    return p, p, " " + rng.choice(ADDED["kowiki" if src.startswith("kowiki") else "other"]), "sentence_add"


def op_sentence_delete(t, rng, src):
    ss = sentences(t)
    if len(ss) < 3:
        return None
    s, e = rng.choice(ss[1:])
    if e < len(t) and t[e] == " ":
        e += 1
    return s, e, "", "sentence_delete"


def op_sentence_swap(t, rng, src):
    ss = sentences(t)
    pairs = [(a, b) for a, b in zip(ss, ss[1:]) if a[1] < b[0] and "\n" not in t[a[1]:b[0]]]
    if not pairs:
        return None
    a, b = rng.choice(pairs)
    return a[0], b[1], t[b[0]:b[1]] + t[a[1]:b[0]] + t[a[0]:a[1]], "sentence_swap"


def op_header(t, rng, src):
    return 0, 0, fill(rng.choice(HEADERS), rng), "header"


def op_footer(t, rng, src):
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
    if rng.random() < 0.5 and re.search(r"&(lt|gt|amp|quot);", t):
        m = pick(rng, re.finditer(r"&(lt|gt|amp|quot);", t))
        return m.start(), m.end(), {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[m.group(1)], "html_entity"
    s = pick(rng, sentences(t))
    if not s:
        return None
    sent = t[s[0]:s[1]]
    new = sent.replace("&", "&amp;").replace('"', "&quot;").replace("'", "&#39;").replace("<", "&lt;").replace(">", "&gt;")
    if new == sent:
        k = sent.find(" ")
        if k < 0:
            return None
        new = sent[:k] + "&nbsp;" + sent[k + 1:]
    return s[0], s[1], new, "html_entity"


def op_fullwidth(t, rng, src):
    s = pick(rng, [x for x in sentences(t) if any(c in FULLWIDTH for c in t[x[0]:x[1]])])
    if not s:
        return None
    return s[0], s[1], "".join(FULLWIDTH.get(c, c) for c in t[s[0]:s[1]]), "fullwidth"


SCATTERED = [(op_jamo, 4), (op_typo, 2), (op_syllable, 2), (op_spacing, 4), (op_particle, 2), (op_punct, 1.5),
             (op_emoticon, 0.8), (op_number, 1)]
CLUSTERED = [(op_rephrase, 3), (op_synonym, 2), (op_sentence_add, 2), (op_sentence_delete, 1.5), (op_sentence_swap, 1),
             (op_name, 1), (op_number, 0.5)]
BOILER = [(op_header, 2), (op_footer, 3), (op_title, 1.5), (op_html, 1), (op_fullwidth, 1)]


def choose(rng, table, src):
    ops, w = zip(*table)
    w = [x * (0.2 if f is op_emoticon and src.startswith("kowiki") else 1) for f, x in zip(ops, w)]
    return rng.choices(ops, w)[0]


def make_variant(text, src, level, rng):
    """Apply a mix of boilerplate, clustered and scattered edits until the edit level is in range."""
    n, (lo, hi) = len(text), LEVELS[level]
    for _ in range(12):
        goal = rng.uniform(lo + 0.1 * (hi - lo), hi - 0.1 * (hi - lo)) * n
        t, spent, kinds = text, 0, []

        def apply(table, cap, tries):
            nonlocal t, spent
            for _ in range(tries):
                r = choose(rng, table, src)(t, rng, src)
                if r:
                    s, e, rep, kind = r
                    cost = levenshtein(t[s:e], rep)
                    if 0 < cost <= cap:
                        t, spent = t[:s] + rep + t[e:], spent + cost
                        kinds.append(kind)
                        return True
            return False

        if rng.random() < (0.45 if level == "light" else 0.65):
            apply(BOILER, 0.5 * goal, 6)
        for _ in range((rng.random() < 0.4) if level == "light" else rng.choice([1, 1, 2, 2, 0])):
            apply(CLUSTERED, min(0.45 * goal, goal - spent - 1), 6)
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

PAIRS_INFO = {}


def template_names(docs, members):
    """Name a group of template-sharing documents by the title feature most of them share."""
    feats = Counter()
    for i in members:
        title = docs[i]["title"] or ""
        words = re.findall(r"[^\s()]+|\([^)]*\)", title)
        f = set(words[1:] if len(words) > 1 else []) | ({words[-1][-k:] for k in (1, 2, 3)} if words else set())
        feats.update(x for x in f if not x.isdigit())
    best = max(feats.items(), key=lambda kv: (kv[1], len(kv[0]), kv[0]), default=("", 0))
    src = "kowiki" if docs[members[0]]["source"].startswith("kowiki") else "petitions"
    return f"{src}:{best[0]}" if best[1] >= max(2, 0.4 * len(members)) else f"{src}:{(docs[members[0]]['title'] or docs[members[0]]['text'])[:20]}…"


def build(data, seed):
    rng = random.Random(seed)
    docs = load(data)
    H = [gram_hashes(d["text"]) for d in docs]
    print(f"{len(docs)} real documents", file=sys.stderr)
    close = set()
    edges = defaultdict(set)
    for i, j, inter, jac, con in template_pairs(H):
        if jac >= NATURAL_J:
            close.update((i, j))
        elif jac >= TEMPLATE_J or (con >= TEMPLATE_C and inter >= 100):
            edges[i].add(j)
            edges[j].add(i)
    seen, template, names = set(), {}, Counter()
    for i in sorted(edges):
        if i in seen:
            continue
        comp, stack = [], [i]
        seen.add(i)
        while stack:
            x = stack.pop()
            comp.append(x)
            for y in sorted(edges[x] - seen):
                seen.add(y)
                stack.append(y)
        name = template_names(docs, sorted(comp))
        names[name] += 1
        name += f"#{names[name]}" if names[name] > 1 else ""
        for x in comp:
            template[x] = name
    free = [i for i in range(len(docs)) if i not in template and i not in close]
    parents = rng.sample(free, N_LIGHT + N_HEAVY + N_FAMILY)
    plan = [(p, "light") for p in parents[:N_LIGHT]] + [(p, "heavy") for p in parents[N_LIGHT:N_LIGHT + N_HEAVY]]
    plan += [(p, "family") for p in parents[N_LIGHT + N_HEAVY:]]

    recs = []
    for i, d in enumerate(docs):
        recs.append({"key": f"o{i}", "text": d["text"], "source": d["source"], "line": d["line"], "family": f"o{i}",
                     "role": "negative" if i in template and i not in close else "original", "parent": None,
                     "level": None, "edit_level": None, "edits": [], "jaccard_parent": None,
                     "jaccard_original": None, "template": template.get(i)})
    failed = 0
    for p, kind in plan:
        vrng = random.Random(f"{seed}:{docs[p]['source']}:{docs[p]['line']}")
        steps = [kind] if kind != "family" else [vrng.choice(["light", "heavy"]), vrng.choice(["light", "heavy"])]
        prev = recs[p]
        for k, level in enumerate(steps):
            v = make_variant(prev["text"], prev["source"], level, vrng)
            if v is None:
                failed += 1
                break
            text, kinds, el = v
            rec = dict(recs[p], key=f"{recs[p]['key']}v{k + 1}", text=text, role="variant", parent=prev["key"],
                       level=level, edit_level=el, edits=kinds, jaccard_parent=jaccard(prev["text"], text),
                       jaccard_original=jaccard(recs[p]["text"], text), template=None)
            if k == 1:
                rec["edit_level_original"] = round(levenshtein(recs[p]["text"], text) / len(recs[p]["text"]), 5)
            recs.append(rec)
            prev = rec
    print(f"{len(recs)} records, {failed} variants not made", file=sys.stderr)

    rng.shuffle(recs)
    ids = {r["key"]: f"b{n + 1:06d}" for n, r in enumerate(recs)}
    fam_ids = {}
    for r in recs:
        fam_ids.setdefault(r["family"], f"f{len(fam_ids) + 1:06d}")
    families, chains = defaultdict(list), {}
    for r in recs:
        r["id"], r["family"] = ids[r["key"]], fam_ids[r["family"]]
        r["parent"] = ids[r["parent"]] if r["parent"] else None
        families[r["family"]].append(r["id"])
        if "edit_level_original" in r:
            chains[r["family"]] = {"a": ids[r["key"].split("v")[0]], "b": r["parent"], "c": r["id"],
                                   "edit_level_c_to_a": r.pop("edit_level_original")}
    # every cross-family pair of records with Jaccard >= 0.5, found without misses, value exact
    Hr = [gram_hashes(r["text"]) for r in recs]
    natural, within = [], Counter()
    for i, j in all_pairs_at_least(Hr):
        a, b = recs[i], recs[j]
        jac = jaccard(a["text"], b["text"])
        if a["family"] == b["family"]:
            within[jac >= NATURAL_J] += 1
        elif jac >= NATURAL_J:
            natural.append(sorted([a["id"], b["id"]]) + [jac])
    natural.sort()
    by_tpl = defaultdict(list)
    for r in recs:
        if r["template"]:
            by_tpl[r["template"]].append(r["id"])
    pos = {r["id"]: n for n, r in enumerate(recs)}
    tpl_pairs = sorted([a, b, jaccard(recs[pos[a]]["text"], recs[pos[b]]["text"])]
                       for a_, b_, inter, jac, con in template_pairs(Hr)
                       for a, b in [sorted([recs[a_]["id"], recs[b_]["id"]])]
                       if recs[a_]["template"] and recs[b_]["template"] and TEMPLATE_J <= jac < NATURAL_J)
    out = [{k: r[k] for k in ("id", "text", "source", "line", "family", "role", "parent", "level", "edit_level",
                              "edits", "jaccard_parent", "jaccard_original", "template")} for r in recs]
    counts = Counter(f"{r['role']}/{r['level']}" if r["level"] else r["role"] for r in out)
    counts.update({"natural_pairs": len(natural), "natural_pairs_with_variant": sum(
        1 for a, b, _ in natural if recs[pos[a]]["role"] == "variant" or recs[pos[b]]["role"] == "variant"),
        "multi_step_families": len(chains), "templates": len(by_tpl), "template_pairs": len(tpl_pairs),
        "family_pairs_found_ge_0.5": within[True], "family_pairs_found_lt_0.5": within[False], "documents": len(out)})
    PAIRS_INFO.update(natural_pairs=natural, families=dict(families), counts=dict(counts), chains=chains,
                         templates=dict(by_tpl), template_pairs=tpl_pairs)
    return out

# ---------------------------------------------------------------- report


def qs(xs):
    xs = sorted(xs)
    if not xs:
        return "-"
    q = lambda f: xs[min(len(xs) - 1, int(f * len(xs)))]  # noqa: E731
    return " / ".join(f"{v:.4f}" for v in (xs[0], q(0.1), q(0.5), q(0.9), xs[-1]))


LEN_BUCKETS = [(0, "<100"), (100, "100-299"), (300, "300-999"), (1000, "1000-1999"), (2000, "2000-2999"), (3000, "3000-4099"), (4100, ">=4100")]


def summarize(records, pairs_path=None):
    if pairs_path:
        with open(pairs_path, "w", encoding="utf-8") as fh:
            json.dump(PAIRS_INFO, fh, ensure_ascii=False)
    lb = lambda t: [name for lo, name in LEN_BUCKETS if len(t) >= lo][-1]  # noqa: E731
    cls = lambda r: r["role"] + (f"/{r['level']}" if r["level"] else "")  # noqa: E731
    rows = sorted({cls(r) for r in records})
    srcs = sorted({r["source"] for r in records})
    out = ["| class | " + " | ".join(srcs) + " | all |", "|---|" + "---:|" * (len(srcs) + 1)]
    for c in rows:
        cnt = Counter(r["source"] for r in records if cls(r) == c)
        out.append(f"| {c} | " + " | ".join(f"{cnt[s]:,}" for s in srcs) + f" | {sum(cnt.values()):,} |")
    out += ["", "| class | " + " | ".join(n for _, n in LEN_BUCKETS) + " | UTF-8 KB median |", "|---|" + "---:|" * (len(LEN_BUCKETS) + 1)]
    for c in rows:
        sel = [r["text"] for r in records if cls(r) == c]
        cnt = Counter(lb(t) for t in sel)
        kb = sorted(len(t.encode()) / 1024 for t in sel)[len(sel) // 2]
        out.append(f"| {c} | " + " | ".join(f"{cnt[n]:,}" for _, n in LEN_BUCKETS) + f" | {kb:.1f} |")
    out += ["", "| level | n | edit_level min / p10 / median / p90 / max | jaccard_parent | jaccard_original |", "|---|---:|---|---|---|"]
    fam = Counter(r["family"] for r in records)
    for name, sel in [("light (direct)", lambda r: r["level"] == "light" and fam[r["family"]] == 2),
                      ("heavy (direct)", lambda r: r["level"] == "heavy" and fam[r["family"]] == 2),
                      ("family B", lambda r: r["level"] and fam[r["family"]] == 3 and r["jaccard_parent"] == r["jaccard_original"]),
                      ("family C", lambda r: r["level"] and fam[r["family"]] == 3 and r["jaccard_parent"] != r["jaccard_original"])]:
        vs = [r for r in records if r["role"] == "variant" and sel(r)]
        out.append(f"| {name} | {len(vs):,} | {qs([r['edit_level'] for r in vs])} | {qs([r['jaccard_parent'] for r in vs])} | {qs([r['jaccard_original'] for r in vs])} |")
    kinds = Counter((r["level"], k) for r in records if r["role"] == "variant" for k in r["edits"])
    out += ["", "edit kinds (variants using each): " + ", ".join(
        f"{k} {kinds['light', k]}/{kinds['heavy', k]}" for k in sorted({k for _, k in kinds}, key=lambda k: -kinds['light', k] - kinds['heavy', k]))]
    out += ["", "counts: " + json.dumps(PAIRS_INFO.get("counts", {}), ensure_ascii=False)]
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(add_help=False)
    default_out = os.path.join(ROOT, "build", "bench", "dedup", "blind.jsonl")
    ap.add_argument("--out", default=default_out)
    out = ap.parse_known_args(argv)[0].out
    pairs = os.path.join(os.path.dirname(os.path.abspath(out)), "blind_pairs.json")
    return run(build, lambda recs: summarize(recs, pairs), __doc__.splitlines()[0], ("dedup", "blind.jsonl"), SEED, argv)


if __name__ == "__main__":
    sys.exit(main())
