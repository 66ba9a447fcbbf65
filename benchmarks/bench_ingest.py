"""Speed and extraction quality of `kopile ingest` on WARC files of Korean web pages, with the
resiliparse and trafilatura extractors and 1 and 2 Ray workers.

The pages are generated, with a fixed seed, from real Korean text (petitions and Wikipedia
articles from ../shared/data, comments from movie reviews) put into news, blog and forum
templates full of boilerplate: menus, breadcrumbs, "많이 본 뉴스" lists, related links, share
buttons, comments, cookie banners, ads, board listings, footers. About 20% of the pages are
EUC-KR/CP949, declared in a <meta>, only in the HTTP header, wrongly (ISO-8859-1), or not at
all. Each page's main text and the boilerplate strings put around it are the ground truth.

    .venv/bin/python benchmarks/bench_ingest.py                         # 3,000 pages, 3 repeats
    .venv/bin/python benchmarks/bench_ingest.py --pages 300 --repeat 1  # a quick check

Every timed setting is one `kopile ingest` command in its own process (Ray is process-wide)
into a fresh output directory; the repeats are interleaved, so that a noisy neighbour slows
all settings alike. Quality is measured on the Parquet of the first repeat's 1-worker runs. Writes
benchmarks/results/ingest.json and ingest.md; the WARC files and run outputs stay under
--work (default build/bench/ingest, ignored by git).
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import html
import io
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
KOWIKI = DATA / "kowiki" / "kowiki_sample.jsonl.gz"
PETITIONS = DATA / "petitions" / "petitions.jsonl.gz"
REVIEWS = DATA / "nsmc" / "nsmc_raw_reviews.jsonl.gz"
RESULTS = ROOT / "benchmarks" / "results"
EXTRACTORS = ("resiliparse", "trafilatura")
MB = 1e6
# Bump when the generator changes, so that cached WARC files are rebuilt.
CORPUS_VERSION = 2

# --- page generator ---------------------------------------------------------------------------

NEWS_MENU = ["정치", "경제", "사회", "국제", "문화", "스포츠", "연예", "IT·과학", "오피니언", "사설", "칼럼", "포토",
             "영상", "지역", "교육", "건강", "여행", "라이프", "부동산", "증권", "산업", "자동차", "날씨", "인물",
             "전국", "기획", "연재", "인터뷰", "팩트체크", "외교", "국방", "북한", "노동", "환경", "법원·검찰", "종교",
             "책", "공연", "전시", "금융", "유통", "복지", "과학", "게임"]
BLOG_CATEGORIES = ["일상", "여행", "맛집", "육아", "독서", "영화", "음악", "요리", "재테크", "공부", "IT", "사진",
                   "운동", "반려동물", "인테리어", "건강정보", "생각", "리뷰"]
BOARDS = ["자유게시판", "유머게시판", "질문답변", "정보공유", "사진게시판", "시사토론", "취미생활", "건의사항",
          "공지사항", "중고장터", "구인구직", "지역소식"]
NAME_PARTS = ["한빛", "새날", "푸른", "열린", "바른", "미래", "하늘", "별빛", "누리", "다온", "한결", "가람", "마루",
              "너울", "온새", "해솔", "단비", "여울", "나래", "보람"]
NICK_PARTS = ["하늘", "바람", "별빛", "구름", "달님", "초록", "파도", "햇살", "노을", "모래", "소나무", "참새"]
PRODUCTS = ["무선 이어폰", "프리미엄 한우 선물세트", "여름 원피스", "로봇청소기", "홍삼 스틱", "캠핑 의자",
            "노트북 파우치", "유기농 블루베리", "탈모 샴푸", "어린이 영어 교재"]
COOKIE = ("이 웹사이트는 서비스 제공과 이용 통계 분석을 위해 쿠키를 사용합니다. "
          "계속 이용하시면 쿠키 사용에 동의하는 것으로 간주됩니다.")
COMMENT_NOTICE = "타인에 대한 비방이나 욕설, 광고성 댓글은 운영 원칙에 따라 삭제될 수 있습니다."
TERMS = "회사소개 | 이용약관 | 개인정보처리방침 | 청소년보호정책 | 이메일무단수집거부 | 고충처리인"

# How the charset of a page is declared: (Content-Type of the HTTP header, <meta> tag or "").
UTF8_DECLARATIONS = {
    "meta": ("text/html", '<meta charset="utf-8">'),
    "header": ("text/html; charset=UTF-8", ""),
    "both": ("text/html; charset=utf-8", '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'),
    "none": ("text/html", ""),
}
CP949_DECLARATIONS = {
    "meta": ("text/html", '<meta charset="euc-kr">'),
    "http-equiv": ("text/html", '<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">'),
    "header": ("text/html; charset=EUC-KR", ""),
    "header-ksc": ("text/html; charset=ks_c_5601-1987", ""),
    "none": ("text/html", ""),
    # An old server's default label, the page's own <meta> right.
    "latin1-header": ("text/html; charset=ISO-8859-1",
                      '<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">'),
}

e = html.escape


def read_jsonl(path: Path, limit: int | None = None):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if limit is not None and i >= limit:
                break
            yield json.loads(line)


def body_lines(title: str, text: str) -> list[str]:
    # Both sources start the text with the title and a blank line.
    text = text.strip()
    if text.startswith(title):
        text = text[len(title):]
    return [line.strip() for line in text.split("\n") if line.strip()]


def load_documents(n: int, rng: random.Random) -> list[tuple[str, list[str]]]:
    """(title, paragraphs) of n documents, half petitions and half Wikipedia articles, cut to
    news-article length at a paragraph boundary."""
    petitions, seen = [], set()
    for d in read_jsonl(PETITIONS):
        lines = body_lines(d["title"].strip(), d["text"])
        if sum(map(len, lines)) >= 300 and d["text"] not in seen:
            seen.add(d["text"])
            petitions.append((d["title"].strip(), lines))
    wiki = []
    for d in read_jsonl(KOWIKI):
        if len(d["text"]) >= 300:
            lines = body_lines(d["title"].strip(), d["text"])
            if sum(map(len, lines)) >= 300:
                wiki.append((d["title"].strip(), lines))
    half = min(len(petitions), n // 2)
    docs = rng.sample(petitions, half) + rng.sample(wiki, n - half)
    rng.shuffle(docs)
    out = []
    for title, lines in docs:
        target, kept, size = rng.choice([1500, 2500, 4000, 6000]), [], 0
        for line in lines:
            kept.append(line)
            size += len(line)
            if size >= target:
                break
        out.append((title, kept))
    return out


def load_comments(rng: random.Random) -> list[str]:
    texts = [d["text"].strip() for d in read_jsonl(REVIEWS, limit=40_000)]
    texts = [t for t in texts if 15 <= len(t) <= 150]
    rng.shuffle(texts)
    return texts


def make_sites(rng: random.Random, count: int = 30) -> list[dict]:
    """Sites with their own template, menu, footer and charset; a site serves all its pages
    in one charset, declared one way. Six of thirty (so about 20% of pages) are CP949."""
    kinds = ["news"] * 13 + ["blog"] * 10 + ["forum"] * 7
    cp949 = list(CP949_DECLARATIONS)
    sites = []
    for i in range(count):
        kind = kinds[i]
        name = NAME_PARTS[i % len(NAME_PARTS)] + {"news": ["일보", "신문", "뉴스", "타임즈"],
                                                  "blog": ["의 블로그", " 이야기", " 노트"],
                                                  "forum": [" 커뮤니티", "마당", " 게시판"]}[kind][i % 3]
        site = {"name": name, "kind": kind, "domain": f"www.site{i:02d}-{kind}.co.kr",
                "cookie": rng.random() < 0.5, "comments": rng.random() < 0.7,
                "sidebar_first": rng.random() < 0.3, "opaque": i % 2 == 1, "salt": rng.randint(0, 10**6)}
        # Old-style sites are the CP949 ones: spread over the three templates.
        if i in (2, 7, 15, 20, 24, 28):
            site["charset"], site["declared"] = "cp949", cp949.pop(0)
        else:
            site["charset"], site["declared"] = "utf-8", rng.choice(list(UTF8_DECLARATIONS))
        if kind == "news":
            site["menu"] = rng.sample(NEWS_MENU, rng.randint(20, 40))
        elif kind == "blog":
            site["menu"] = rng.sample(BLOG_CATEGORIES, rng.randint(8, 15))
        else:
            site["menu"] = rng.sample(BOARDS, rng.randint(8, 12))
        site["footer"] = [
            f"(주){name} | 서울특별시 중구 세종대로{rng.randint(1, 30)}길 {rng.randint(1, 99)} {name}빌딩 {rng.randint(2, 15)}층",
            f"대표전화 02-{rng.randint(200, 999)}-{rng.randint(1000, 9999)} | 사업자등록번호 {rng.randint(100, 999)}-"
            f"{rng.randint(10, 99)}-{rng.randint(10000, 99999)} | 발행·편집인 {rng.choice(NICK_PARTS)}",
            f"Copyright © 2009-2024 {name}. All rights reserved. 무단 전재 및 재배포 금지",
            TERMS]
        sites.append(site)
    return sites


def nick(rng: random.Random) -> str:
    return f"{rng.choice(NICK_PARTS)}{rng.randint(1, 999)}"


def content_html(lines: list[str], style: str) -> str:
    # wikiextractor keeps section headings as short lines ending in a full stop.
    def heading(line):
        return len(line) <= 20 and line.endswith(".")
    if style == "p":
        return "\n".join(f"<h2>{e(x)}</h2>" if heading(x) else f"<p>{e(x)}</p>" for x in lines)
    if style == "div":
        return "\n".join(f"<div class='se-text-paragraph'><span>{e(x)}</span></div>" for x in lines)
    return "<br>\n<br>\n".join(e(x) for x in lines)


def ul(items: list[str], cls: str, href: str = "#") -> str:
    return f"<ul class='{cls}'>" + "".join(f'<li><a href="{href}">{e(x)}</a></li>' for x in items) + "</ul>"


def anchors(items: list[str], sep: str, href: str = "#") -> str:
    return sep.join(f'<a href="{href}">{e(x)}</a>' for x in items)


def comments_html(rng, comments: list[str], bp: dict, table: bool = False) -> str:
    picked = rng.sample(comments, rng.randint(2, 8))
    bp["comments"] += [COMMENT_NOTICE, *picked]
    if table:
        rows = "".join(f"<tr><td class='nick'>{nick(rng)}</td><td>{e(c)}</td><td>{rng.randint(1, 12):02d}-"
                       f"{rng.randint(1, 28):02d}</td></tr>" for c in picked)
        return f"<p class='notice'>{COMMENT_NOTICE}</p><table class='comment'>{rows}</table>"
    items = "".join(f"<li><span class='nick'>{nick(rng)[:2]}***</span> <span class='date'>2023.0{rng.randint(1, 9)}."
                    f"{rng.randint(10, 28)}</span><p>{e(c)}</p><span class='btn'>답글 · 추천 {rng.randint(0, 99)} · "
                    f"비추천 {rng.randint(0, 9)}</span></li>" for c in picked)
    return (f"<section class='comments'><h3>댓글 {len(picked)}개</h3><p class='notice'>{COMMENT_NOTICE}</p>"
            f"<ul>{items}</ul><textarea placeholder='댓글을 입력하세요'></textarea><button>등록</button></section>")


def footer_html(site: dict, bp: dict) -> str:
    bp["footer"] += site["footer"]
    return "<footer id='footer'>" + "".join(f"<p>{e(x)}</p>" for x in site["footer"]) + "</footer>"


def cookie_html(site: dict, bp: dict) -> str:
    if not site["cookie"]:
        return ""
    bp["cookie"].append(COOKIE)
    return f"<div id='cookie-consent' class='cookie-banner'><p>{COOKIE}</p><button>동의</button><button>설정</button></div>"


def ad_html(rng, bp: dict) -> str:
    text = f"[광고] {rng.choice(PRODUCTS)} 최대 {rng.choice([30, 50, 70])}% 할인, 오늘만 무료배송"
    bp["ads"].append(text)
    return f"<div class='ad-banner'><a href='https://ad.example.kr/click'>{e(text)}</a></div>"


def news_page(rng, site, title, lines, others, comments, style):
    bp = defaultdict(list)
    section, sub = rng.sample(site["menu"], 2)
    top = ["로그인", "회원가입", "구독신청", "기사제보", "광고문의", "전체메뉴"]
    bp["nav"] += ["".join(top), "".join(site["menu"]), f"홈{section}{sub}"]
    share = ["페이스북", "트위터", "카카오톡", "카카오스토리", "URL복사", "스크랩", "인쇄", "글자크기"]
    bp["share"].append("".join(share))
    notice = f"<저작권자 © {site['name']}, 무단 전재 및 재배포 금지>"
    bp["copyright"].append(notice)
    related = rng.sample(others, rng.randint(3, 6))
    popular, hot = rng.sample(others, rng.randint(5, 10)), rng.sample(others, rng.randint(5, 8))
    bp["related"] += related
    bp["sidebar"] += ["많이 본 뉴스", *popular, *hot]
    date = (f"{rng.randint(2017, 2023)}.{rng.randint(1, 12):02d}.{rng.randint(1, 28):02d} "
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}")
    sidebar = ("<aside class='sidebar'><section class='most-viewed'><h3>많이 본 뉴스</h3><ol>"
               + "".join(f"<li><span class='rank'>{i}</span><a href='/news/articleView.html?idxno={rng.randint(1, 10**6)}'>"
                         f"{e(t)}</a></li>" for i, t in enumerate(popular, 1))
               + "</ol></section><section class='popular'><h3>인기 기사</h3>" + ul(hot, "hot-list") + "</section>"
               + ad_html(rng, bp) + "</aside>")
    article = (f"<article class='article-view'><header class='article-head'><h1 class='headline'>{e(title)}</h1>"
               f"<div class='byline'><span>입력 {date}</span> <span>수정 {date}</span></div>"
               f"<div class='share'>{''.join(f'<button>{x}</button>' for x in share)}</div></header>"
               f"<div id='article-body' class='article-body' itemprop='articleBody'>{content_html(lines, style)}</div>"
               f"<p class='copyright'>{e(notice)}</p>"
               f"<section class='related'><h3>관련 기사</h3>{ul(related, 'related-list')}</section>"
               + (comments_html(rng, comments, bp) if site["comments"] else "") + "</article>")
    main = sidebar + article if site["sidebar_first"] else article + sidebar
    body = (cookie_html(site, bp)
            + f"<header id='header'><div class='top-bar'>{anchors(top, ' ')}</div>"
            f"<div class='logo'><a href='/'><img src='/img/logo.png' alt='{e(site['name'])}'></a></div>"
            f"<nav class='gnb'>{ul(site['menu'], 'menu', '/news/section.html')}</nav></header>"
            f"<div class='breadcrumb'><a href='/'>홈</a> &gt; <a href='#'>{e(section)}</a> &gt; <span>{e(sub)}</span></div>"
            f"<div id='container'>{main}</div>" + footer_html(site, bp))
    return body, bp


def blog_page(rng, site, title, lines, others, comments, style):
    bp = defaultdict(list)
    owner = nick(rng)
    menu = ["프롤로그", "블로그", "지도", "서재", "메모", "안부"]
    bp["nav"] += ["".join(menu), "이웃추가"]
    categories = [f"{c} ({rng.randint(1, 300)})" for c in site["menu"]]
    bp["sidebar"] += [f"전체보기 ({rng.randint(300, 900)})", *categories]
    popular = rng.sample(others, rng.randint(4, 8))
    bp["sidebar"] += ["이 블로그 인기글", *popular]
    prev_next = rng.sample(others, 2)
    bp["related"] += prev_next
    tags = [f"#{t}" for t in rng.sample(site["menu"], 3)]
    bp["share"].append("공감" + "".join(tags) + "공유하기URL복사")
    date = (f"{rng.randint(2015, 2023)}. {rng.randint(1, 12)}. {rng.randint(1, 28)}. "
            f"{rng.randint(0, 23)}:{rng.randint(10, 59)}")
    sidebar = (f"<div class='sidebar-left'><div class='profile'><strong>{owner}</strong></div>"
               f"<div class='category'><h4>카테고리</h4><ul><li><a href='#'>{e(bp['sidebar'][0])}</a></li>"
               + "".join(f"<li><a href='#'>{e(c)}</a></li>" for c in categories) + "</ul></div>"
               f"<div class='popular'><h4>이 블로그 인기글</h4>{ul(popular, 'popular-list')}</div>"
               + ad_html(rng, bp) + "</div>")
    post = (f"<div class='post'><div class='post-category'><a href='#'>{e(site['menu'][0])}</a></div>"
            f"<h1 class='post-title'>{e(title)}</h1><div class='post-meta'><span>{owner}</span> · <span>{date}</span> "
            f"<a href='#'>URL 복사</a> <a href='#'>이웃추가</a></div>"
            f"<div class='post-content se-main-container'>{content_html(lines, style)}</div>"
            f"<div class='post-tags'>{anchors(tags, ' ')}</div>"
            f"<div class='post-btns'><button>공감 {rng.randint(0, 99)}</button> <button>공유하기</button> "
            f"<button>URL복사</button></div>"
            f"<div class='prev-next'><a href='#'>이전글 {e(prev_next[0])}</a><br><a href='#'>다음글 {e(prev_next[1])}</a></div>"
            + (comments_html(rng, comments, bp) if site["comments"] else "") + "</div>")
    main = sidebar + post if site["sidebar_first"] else post + sidebar
    body = (cookie_html(site, bp)
            + f"<div id='blog-header'><h2 class='blog-title'>{e(site['name'])}</h2>"
            f"{ul(menu, 'blog-menu')}"
            f"<button>이웃추가</button></div><div class='wrap'>{main}</div>" + footer_html(site, bp))
    return body, bp


def forum_page(rng, site, title, lines, others, comments, style):
    bp = defaultdict(list)
    board = rng.choice(site["menu"])
    top = ["로그인", "회원가입", "아이디·비밀번호 찾기", "쪽지", "스크랩"]
    bp["nav"] += ["".join(top), "".join(site["menu"])]
    listing = rng.sample(others, rng.randint(15, 20))
    bp["board"] += listing
    bp["share"].append("목록답변수정삭제추천신고")
    rows = "".join(f"<tr><td class='num'>{rng.randint(1000, 99999)}</td><td class='subject'><a href='#'>{e(t)}</a> "
                   f"<span class='cnt'>[{rng.randint(1, 40)}]</span></td><td class='name'>{nick(rng)}</td>"
                   f"<td class='date'>{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}</td>"
                   f"<td class='hit'>{rng.randint(10, 9999)}</td></tr>" for t in listing)
    content = content_html(lines, style)
    view = (f"<table class='view' width='100%' cellpadding='0' cellspacing='0'>"
            f"<tr><td colspan='6' class='subject'><h1>{e(title)}</h1></td></tr>"
            f"<tr><td>작성자</td><td>{nick(rng)}</td><td>작성일</td><td>{rng.randint(2012, 2023)}-"
            f"{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}</td><td>조회</td><td>{rng.randint(10, 9999)}</td></tr>"
            f"<tr><td colspan='6' class='content' style='padding:10px'>{content}</td></tr></table>"
            f"<div class='btns'><a href='#'>목록</a> <a href='#'>답변</a> <a href='#'>수정</a> <a href='#'>삭제</a> "
            f"<a href='#'>추천</a> <a href='#'>신고</a></div>")
    body = (cookie_html(site, bp)
            + f"<table width='100%' class='top'><tr><td><b>{e(site['name'])}</b></td><td align='right'>"
            + " | ".join(f"<a href='#'>{e(x)}</a>" for x in top) + "</td></tr>"
            "<tr><td colspan='2' class='menu'>" + " | ".join(f"<a href='/bbs/board.php'>{e(x)}</a>" for x in site["menu"])
            + f"</td></tr></table><table width='100%'><tr><td width='160' valign='top' class='left'>{ad_html(rng, bp)}</td>"
            f"<td valign='top'><h3 class='board-name'>{e(board)}</h3>{view}"
            + (comments_html(rng, comments, bp, table=True) if site["comments"] else "")
            + f"<table class='board-list' width='100%'><tr><th>번호</th><th>제목</th><th>글쓴이</th><th>날짜</th><th>조회</th></tr>"
            f"{rows}</table><div class='paging'>" + " ".join(str(i) for i in range(1, 11))
            + " <a href='#'>다음</a></div><form class='search'><select><option>제목+내용</option><option>글쓴이</option>"
            "</select><input type='text'><button>검색</button></form></td></tr></table>" + footer_html(site, bp))
    return body, bp


TEMPLATES = {"news": news_page, "blog": blog_page, "forum": forum_page}
STYLES = {"news": (["p", "div", "br"], [75, 15, 10]), "blog": (["div", "p", "br"], [50, 30, 20]),
          "forum": (["br", "p", "div"], [60, 25, 15])}


def script(rng) -> str:
    # Real pages carry kilobytes of inline script (ads, trackers, widgets) the extractor must skip.
    calls = [f"  w.slot{rng.randint(0, 999)}=googletag.defineSlot('/{rng.randint(10**6, 10**7)}/ko_pc_"
             f"{rng.choice(['top', 'right', 'mid', 'bottom'])}',[{rng.choice([300, 728, 970])},{rng.choice([90, 250])}],"
             f"'div-gpt-ad-{rng.randint(10**12, 10**13)}-0').addService(googletag.pubads());"
             for _ in range(rng.randint(20, 80))]
    return "<script>(function(w){\n" + "\n".join(calls) + "\n})(window);</script>\n"


_SEMANTIC = re.compile(r"<(/?)(?:header|nav|aside|footer|section|article)\b")
_NAMES = re.compile(r"\b(class|id)='([^']*)'")


def opaque(body: str, site: dict) -> str:
    """The page as many real sites write it: <div>s only, and class names that say nothing
    (`box03`, `area_r`), so that an extractor cannot go by tag or class names."""
    names: dict[str, str] = {}

    def rename(match):
        new = []
        for token in match.group(2).split():
            if token not in names:
                r = random.Random(f"{site['salt']}:{token}")
                stem = r.choice(["box", "area", "wrap", "cont", "sec", "col", "lst", "bx"])
                names[token] = f"{stem}{r.randint(1, 99):02d}"
            new.append(names[token])
        return f"{match.group(1)}='{' '.join(new)}'"
    body = _SEMANTIC.sub(lambda m: f"<{m.group(1)}div", body).replace(" itemprop='articleBody'", "")
    return _NAMES.sub(rename, body)


def page(rng, site, index, title, lines, others, comments) -> dict:
    style = rng.choices(*STYLES[site["kind"]])[0]
    body, bp = TEMPLATES[site["kind"]](rng, site, title, lines, others, comments, style)
    if site["opaque"]:
        body = opaque(body, site)
    declarations = UTF8_DECLARATIONS if site["charset"] == "utf-8" else CP949_DECLARATIONS
    content_type, meta = declarations[site["declared"]]
    document = (f"<!DOCTYPE html>\n<html lang='ko'>\n<head>\n{meta}\n<title>{e(title)} - {e(site['name'])}</title>\n"
                f"<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
                f"<meta property='og:site_name' content='{e(site['name'])}'>\n"
                f"<link rel='stylesheet' href='/css/common.css?v=20230101'>\n"
                f"<style>body{{font-family:'Malgun Gothic',sans-serif}} .ad-banner{{margin:8px 0}}</style>\n"
                f"<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments);}}"
                f"gtag('config','G-{index:08d}');</script>\n{script(rng)}</head>\n<body>\n{body}\n{script(rng)}"
                f"</body>\n</html>\n")
    # Characters CP949 lacks become numeric references, as a CMS on such a site writes them.
    payload = document.encode(site["charset"], "xmlcharrefreplace")
    paths = {"news": f"/news/articleView.html?idxno={100000 + index}", "blog": f"/post/{index}",
             "forum": f"/bbs/board.php?bo_table=free&wr_id={index}"}
    return {"url": f"https://{site['domain']}{paths[site['kind']]}", "site": site["domain"], "kind": site["kind"],
            "charset": site["charset"], "declared": site["declared"], "style": style, "content_type": content_type,
            "markup": "opaque" if site["opaque"] else "semantic",
            "title": title, "text": "\n".join(lines), "boilerplate": dict(bp), "html_bytes": len(payload),
            "payload": payload}


def warc_headers(url: str, kind: str) -> dict:
    # Record IDs (the output's `id`) and dates from the URL, not the clock: same seed, same WARC.
    digest = hashlib.sha256(f"{kind} {url}".encode()).digest()
    return {"WARC-Record-ID": f"<urn:uuid:{uuid.UUID(bytes=digest[:16])}>",
            "WARC-Date": f"2024-03-{1 + digest[16] % 28:02d}T{digest[17] % 24:02d}:{digest[18] % 60:02d}:00Z"}


def write_warc(path: Path, pages: list[dict]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "kopile bench_ingest"}))
        for p in pages:
            host = p["url"].split("/")[2]
            request = StatusAndHeaders(f"GET /{p['url'].split('/', 3)[3]} HTTP/1.1",
                                       [("Host", host), ("User-Agent", "kopile-bench/1.0")], is_http_request=True)
            writer.write_record(writer.create_warc_record(p["url"], "request", http_headers=request,
                                                          warc_headers_dict=warc_headers(p["url"], "request")))
            response = StatusAndHeaders("200 OK", [("Content-Type", p["content_type"]),
                                                   ("Content-Length", str(len(p["payload"]))),
                                                   ("Server", "Apache")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(p["url"], "response", payload=io.BytesIO(p["payload"]),
                                                          http_headers=response,
                                                          warc_headers_dict=warc_headers(p["url"], "response")))


def build_corpus(work: Path, pages: int, files: int, seed: int) -> dict:
    """WARC files and the ground truth, written once per (pages, files, seed) and reused."""
    key = {"version": CORPUS_VERSION, "pages": pages, "files": files, "seed": seed}
    info_path = work / "corpus" / "corpus.json"
    if info_path.is_file():
        info = json.loads(info_path.read_text())
        if info["key"] == key:
            return info
    for path in (KOWIKI, PETITIONS, REVIEWS):
        if not path.is_file():
            sys.exit(f"data not found: {path}\nThis benchmark reads ../shared/data next to the repository; "
                     f"it is not shipped with kopile.")
    corpus = work / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    (corpus / "warc").mkdir(parents=True)
    rng = random.Random(seed)
    docs = load_documents(pages, rng)
    comments = load_comments(rng)
    sites = make_sites(rng)
    # Headline-like titles for the link lists: Wikipedia's one-word titles read like no headline.
    titles = [t for t, _ in docs if len(t) >= 10]
    built = []
    for i, (title, lines) in enumerate(docs):
        site = rng.choice(sites)
        others = rng.sample(titles, 40)
        built.append(page(rng, site, i, title, lines, [t for t in others if t != title], comments))
    # Round-robin: every file gets the same mix of templates and charsets.
    for k in range(files):
        write_warc(corpus / "warc" / f"pages-{k:02d}.warc.gz", built[k::files])
    with gzip.open(corpus / "truth.jsonl.gz", "wt", encoding="utf-8") as f:
        for p in built:
            f.write(json.dumps({k: v for k, v in p.items() if k != "payload"}, ensure_ascii=False) + "\n")
    info = {"key": key, "pages": len(built), "files": files, "sites": len(sites),
            "warc_bytes": sum(p.stat().st_size for p in (corpus / "warc").iterdir()),
            "html_bytes": sum(p["html_bytes"] for p in built),
            "main_text_chars": sum(len(p["text"]) for p in built),
            "templates": dict(Counter(p["kind"] for p in built)),
            "charsets": dict(Counter(p["charset"] for p in built)),
            "declarations": dict(Counter(f"{p['charset']}:{p['declared']}" for p in built)),
            "content_styles": dict(Counter(p["style"] for p in built)),
            "markup": dict(Counter(p["markup"] for p in built))}
    info_path.write_text(json.dumps(info, indent=1))
    return info


# --- timed runs -------------------------------------------------------------------------------

def cpu_ticks() -> tuple[int, int] | None:
    """(busy, total) ticks of the whole machine, neighbours included, from /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
    return busy, busy + fields[3] + fields[4]


def kopile_command() -> list[str]:
    script = Path(sys.executable).with_name("kopile")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "kopile.cli"]


def run_ingest(work: Path, extractor: str, workers: int) -> dict:
    runs = work / "runs"
    out = runs / f"{extractor}-w{workers}"
    shutil.rmtree(out, ignore_errors=True)
    config = runs / f"{extractor}.yaml"
    # JSON is YAML.
    config.write_text(json.dumps({"input": str(work / "corpus" / "warc"), "output": str(out),
                                  "extractor": extractor, "shard_mb": 128}))
    command = [*kopile_command(), "ingest", str(config), "--num-cpus", str(workers), "--no-progress"]
    before, started = cpu_ticks(), time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    wall, after = time.perf_counter() - started, cpu_ticks()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    stage = json.loads((out / "run.json").read_text())["stages"][0]
    busy = None
    if before and after and after[1] > before[1]:
        busy = round((after[0] - before[0]) / (after[1] - before[1]), 3)
    return {"command_seconds": round(wall, 3), "wall_seconds": stage["wall_seconds"],
            "task_seconds": stage["task_seconds"], "rows_in": stage["rows_in"], "kept": stage["kept"],
            "removed_by_reason": stage["removed_by_reason"], "file_bytes_in": stage["file_bytes_in"],
            "machine_busy_share": busy, "output_digest": output_digest(out)}


def kept_rows(out: Path, columns=("url", "text", "charset")) -> list[dict]:
    rows = []
    for path in sorted((out / "00_ingest" / "kept").glob("*.parquet")):
        rows += pq.read_table(path, columns=list(columns)).to_pylist()
    return rows


def output_digest(out: Path) -> str:
    """Same output whatever the number of workers: a hash of the sorted (url, text) pairs."""
    digest = hashlib.sha256()
    for row in sorted(kept_rows(out, ("url", "text")), key=lambda r: r["url"]):
        digest.update(f"{row['url']}\0{row['text']}\0".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]


def timing_figures(runs: list[dict], info: dict) -> dict:
    wall = statistics.median(r["wall_seconds"] for r in runs)
    busy = [r["machine_busy_share"] for r in runs if r["machine_busy_share"] is not None]
    return {"repeats": len(runs), "wall_seconds": wall,
            "command_seconds": statistics.median(r["command_seconds"] for r in runs),
            "task_seconds": statistics.median(r["task_seconds"] for r in runs),
            "pages_per_second": round(info["pages"] / wall, 1),
            "warc_mb_per_second": round(info["warc_bytes"] / MB / wall, 2),
            "html_mb_per_second": round(info["html_bytes"] / MB / wall, 2),
            "machine_busy_share": statistics.median(busy) if busy else None,
            "all_wall_seconds": [r["wall_seconds"] for r in runs],
            "all_command_seconds": [r["command_seconds"] for r in runs]}


# --- extraction quality -----------------------------------------------------------------------

N = 5
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n")
# CP949 bytes read as Latin-1/CP1252: runs of accented capitals and signs, e.g. "ÇѱÛ" for "한글".
_MOJIBAKE = re.compile(r"[\u00a1-\u00ff]{2,}")


def norm(text: str) -> str:
    """Letters and digits only: extractors differ in spacing, line breaks and list bullets."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def grams(text: str) -> set[str]:
    return {text[i:i + N] for i in range(len(text) - N + 1)}


def covered(text: str, wanted: set[str]) -> int:
    """Characters of `text` inside some 5-gram that is in `wanted`."""
    mark = bytearray(len(text))
    for i in range(len(text) - N + 1):
        if text[i:i + N] in wanted:
            mark[i:i + N] = b"\x01" * N
    return sum(mark)


def page_quality(truth: dict, extracted: str | None) -> dict:
    body, title = truth["text"], truth["title"]
    T, X = norm(body), norm(extracted or "")
    truth_all = norm(title + "\n" + body)
    truth_grams = grams(T) | grams(norm(title))
    x_grams = grams(X)
    sentences = [s for s in (norm(s) for s in _SENTENCE.split(body)) if len(s) >= 10]
    boiler_grams, leaked = set(), set()
    for kind, strings in truth["boilerplate"].items():
        for s in strings:
            n = norm(s)
            boiler_grams |= grams(n)
            # Short labels (a two-syllable menu entry) say nothing alone; nor does a string the
            # main text itself contains.
            if len(n) >= 6 and n not in truth_all and n in X:
                leaked.add(kind)
    boiler_grams -= truth_grams
    raw = extracted or ""
    mojibake = bool(set(_MOJIBAKE.findall(raw)) - set(_MOJIBAKE.findall(title + body))) or (
        "\ufffd" in raw and "\ufffd" not in body)
    return {"truth_chars": len(T), "recalled_chars": covered(T, x_grams),
            "sentences": len(sentences), "sentences_found": sum(1 for s in sentences if s in X),
            "title_kept": bool(norm(title)) and norm(title) in X,
            "extracted_chars": len(X), "boiler_chars": covered(X, boiler_grams),
            "truth_chars_in_output": covered(X, truth_grams), "leaked": sorted(leaked), "mojibake": mojibake}


def quality(work: Path, extractor: str, truth: list[dict]) -> dict:
    out = work / "runs" / f"{extractor}-w1"
    rows = {r["url"]: r for r in kept_rows(out)}
    lost = Counter()
    for path in (out / "00_ingest" / "removed").glob("*.parquet"):
        for r in pq.read_table(path, columns=["url", "reason"]).to_pylist():
            lost[r["reason"]] += 1
    groups: dict[str, list] = defaultdict(list)
    worst = []
    for t in truth:
        row = rows.get(t["url"])
        q = page_quality(t, row["text"] if row else None)
        q["charset_right"] = bool(row) and row["charset"] == t["charset"]
        q["lost"] = row is None
        for key in ("all", f"template:{t['kind']}", f"markup:{t['markup']}", f"charset:{t['charset']}",
                    f"content:{t['style']}"):
            groups[key].append((t, q))
        if q["truth_chars"]:
            worst.append((q["recalled_chars"] / q["truth_chars"], t["url"]))
    result = {key: summarise(items) for key, items in sorted(groups.items())}
    result["all"]["lost_by_reason"] = dict(lost)
    result["all"]["lowest_recall_pages"] = [{"url": u, "recall": round(r, 3)} for r, u in sorted(worst)[:5]]
    return result


def summarise(items: list[tuple[dict, dict]]) -> dict:
    qs = [q for _, q in items]
    total = lambda key: sum(q[key] for q in qs)  # noqa: E731
    recalls = sorted(q["recalled_chars"] / q["truth_chars"] for q in qs if q["truth_chars"])
    has_kind = Counter(kind for t, _ in items for kind, v in t["boilerplate"].items() if v)
    leaked = Counter(kind for q in qs for kind in q["leaked"])
    extracted = total("extracted_chars") or 1
    return {
        "pages": len(qs), "lost": total("lost"),
        "content_recall": round(total("recalled_chars") / max(total("truth_chars"), 1), 4),
        "content_recall_median_page": round(statistics.median(recalls), 4) if recalls else None,
        "pages_recall_below_0.9": sum(1 for r in recalls if r < 0.9),
        "pages_recall_below_0.5": sum(1 for r in recalls if r < 0.5),
        "sentence_recall": round(total("sentences_found") / max(total("sentences"), 1), 4),
        "title_kept": round(sum(q["title_kept"] for q in qs) / len(qs), 4),
        "pages_with_boilerplate_leak": round(sum(1 for q in qs if q["leaked"]) / len(qs), 4),
        "boilerplate_char_share": round(total("boiler_chars") / extracted, 4),
        "main_text_char_share": round(total("truth_chars_in_output") / extracted, 4),
        "leak_by_kind": {k: round(leaked[k] / has_kind[k], 4) for k in sorted(has_kind)},
        "mojibake_pages": total("mojibake"),
        "charset_right": round(sum(q["charset_right"] for q in qs) / len(qs), 4),
    }


# --- report -----------------------------------------------------------------------------------

def versions() -> dict:
    from kopile.pipeline.jobs.engine import versions as kopile_versions

    return kopile_versions(("resiliparse", "trafilatura", "lxml", "warcio"))


def machine() -> dict:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "cpu_model": model or platform.processor(), "platform": platform.platform(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def git_revision() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "pipeline"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
        return head + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def markdown(result: dict) -> str:
    info, m = result["corpus"], result["machine"]
    lines = [
        "# `kopile ingest`: speed and extraction quality on Korean WARC files", "",
        f"{info['pages']:,} generated pages ({', '.join(f'{v} {k}' for k, v in info['templates'].items())}) "
        f"in {info['files']} WARC files, {info['warc_bytes'] / MB:.1f} MB gzipped, {info['html_bytes'] / MB:.1f} MB "
        f"of HTML; {info['charsets'].get('cp949', 0):,} pages in CP949 (declared in a <meta>, in the HTTP header "
        f"only, as ISO-8859-1, or not at all), the rest UTF-8. {info['markup'].get('opaque', 0):,} pages come "
        f"from sites written in <div>s only with class names that say nothing (`box03`), the rest from sites "
        f"with HTML5 tags (header, nav, article, aside, footer) and telling class names. Main text from Korean "
        f"petitions and Wikipedia, comments from movie reviews, seed {info['key']['seed']}.", "",
        f"Machine: {m['nproc']} cores ({m['cpu_model']}), load average {m['load_average_at_start']} at the start; "
        f"kopile {result['git_revision']}, {', '.join(f'{k} {v}' for k, v in result['versions'].items())}.", "",
        f"Timings are medians of {result['repeats']} interleaved run(s), each a fresh `kopile ingest` process "
        "into a fresh output directory. They need a quiet machine: *machine busy* is the share of all cores "
        "busy during the run, neighbours included; well above workers/cores means someone else was computing.",
        "", "## Speed", "",
        "| extractor | workers | stage wall s | command wall s | pages/s | WARC MB/s (gzipped) | HTML MB/s "
        "| task s | task ms/page | speed-up 2 vs 1 | machine busy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key, t in result["timings"].items():
        extractor, workers = key.rsplit("-w", 1)
        speedup = result["speedup_2_vs_1"].get(extractor) if workers == "2" else None
        lines.append(f"| {extractor} | {workers} | {t['wall_seconds']:.2f} | {t['command_seconds']:.2f} | "
                     f"{t['pages_per_second']:.0f} | {t['warc_mb_per_second']:.2f} | {t['html_mb_per_second']:.2f} | "
                     f"{t['task_seconds']:.2f} | {1000 * t['task_seconds'] / info['pages']:.2f} | "
                     f"{'' if speedup is None else f'{speedup:.2f}x'} | "
                     f"{pct(t['machine_busy_share'])} |")
    lines += ["", "*stage wall*: the ingest stage's own wall time (run.json), which includes starting Ray's "
              "worker processes; *command wall*: the whole command, Python's and Ray's start included; pages/s and "
              "MB/s over stage wall; *task s*: the ingest tasks' own seconds, summed over workers.", ""]
    if not result["same_output"]:
        lines += ["**Warning: the output differed between runs of the same extractor** "
                  f"({result['output_digests']}).", ""]
    lines += ["## Extraction quality", "",
              "Per extractor, over every page (the output of the 1-worker run, mapped by URL). Text is compared "
              "as letters and digits only. *Content recall*: share of the main text's characters inside a "
              "character 5-gram of the output; *sentence recall*: share of its sentences (10+ characters) found "
              "whole. *Boilerplate leak*: pages where any inserted boilerplate string (6+ characters, not in the "
              "main text) appears; *boilerplate chars*: share of output characters in 5-grams of the boilerplate "
              "and not of the main text. *Mojibake*: pages with Latin-1 runs such as `ÇѱÛ` or U+FFFD the page "
              "did not have.", "",
              "| extractor | pages lost | content recall | median page recall | pages < 0.9 recall | sentence recall "
              "| title kept | boilerplate leak (pages) | boilerplate chars | mojibake pages | charset right |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for extractor, q in result["quality"].items():
        a = q["all"]
        lines.append(f"| {extractor} | {a['lost']} {a['lost_by_reason'] or ''} | {pct(a['content_recall'])} | "
                     f"{pct(a['content_recall_median_page'])} | {a['pages_recall_below_0.9']} | "
                     f"{pct(a['sentence_recall'])} | {pct(a['title_kept'])} | {pct(a['pages_with_boilerplate_leak'])} | "
                     f"{pct(a['boilerplate_char_share'])} | {a['mojibake_pages']} | {pct(a['charset_right'])} |")
    kinds = sorted({k for q in result["quality"].values() for k in q["all"]["leak_by_kind"]})
    lines += ["", "### Boilerplate leak by kind (share of the pages that have it)", "",
              "| extractor | " + " | ".join(kinds) + " |", "|---|" + "---:|" * len(kinds)]
    for extractor, q in result["quality"].items():
        lines.append(f"| {extractor} | " + " | ".join(pct(q["all"]["leak_by_kind"].get(k)) for k in kinds) + " |")
    lines += ["", "### By template, content markup and charset", "",
              "| extractor | pages | group | content recall | boilerplate leak (pages) | boilerplate chars | mojibake |",
              "|---|---:|---|---:|---:|---:|---:|"]
    for extractor, q in result["quality"].items():
        for group, g in q.items():
            if group != "all":
                lines.append(f"| {extractor} | {g['pages']} | {group} | {pct(g['content_recall'])} | "
                             f"{pct(g['pages_with_boilerplate_leak'])} | {pct(g['boilerplate_char_share'])} | "
                             f"{g['mojibake_pages']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--extractors", nargs="+", choices=EXTRACTORS, default=list(EXTRACTORS))
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench" / "ingest")
    args = parser.parse_args()
    if args.pages < 100:
        parser.error("--pages must be at least 100: the link lists draw on the other pages' titles")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if 1 not in args.workers:
        parser.error("--workers must include 1: quality is measured on the 1-worker output")

    started = machine()
    print(f"building {args.pages} pages in {args.files} WARC files (cached under {args.work}) ...", flush=True)
    info = build_corpus(args.work, args.pages, args.files, args.seed)
    print(f"  {info['warc_bytes'] / MB:.1f} MB gzipped, {info['html_bytes'] / MB:.1f} MB HTML, "
          f"charsets {info['charsets']}", flush=True)
    (args.work / "runs").mkdir(parents=True, exist_ok=True)
    runs: dict[str, list] = defaultdict(list)
    for r in range(args.repeat):
        for extractor in args.extractors:
            for workers in args.workers:
                result = run_ingest(args.work, extractor, workers)
                if result["rows_in"] != info["pages"]:
                    sys.exit(f"{extractor}: read {result['rows_in']} pages of {info['pages']}")
                runs[f"{extractor}-w{workers}"].append(result)
                print(f"  repeat {r + 1}/{args.repeat} {extractor:<11} {workers} worker(s): stage "
                      f"{result['wall_seconds']:.2f} s, command {result['command_seconds']:.2f} s, "
                      f"busy {pct(result['machine_busy_share'])}", flush=True)
        if r == 0:
            # The 1-worker outputs of the first repeat: measured now, overwritten by later repeats.
            print("measuring extraction quality ...", flush=True)
            with gzip.open(args.work / "corpus" / "truth.jsonl.gz", "rt", encoding="utf-8") as f:
                truth = [json.loads(line) for line in f]
            quality_figures = {x: quality(args.work, x, truth) for x in args.extractors}
    timings = {key: timing_figures(rs, info) for key, rs in runs.items()}
    speedup = {x: round(timings[f"{x}-w1"]["wall_seconds"] / timings[f"{x}-w2"]["wall_seconds"], 2)
               for x in args.extractors if f"{x}-w2" in timings}
    digests = {x: sorted({r["output_digest"] for key, rs in runs.items() if key.startswith(x + "-") for r in rs})
               for x in args.extractors}
    result = {"corpus": info, "machine": started, "versions": versions(), "git_revision": git_revision(),
              "repeats": args.repeat, "command": " ".join(["python benchmarks/bench_ingest.py", *sys.argv[1:]]),
              "timings": timings, "speedup_2_vs_1": speedup,
              "same_output": all(len(d) == 1 for d in digests.values()), "output_digests": digests,
              "quality": quality_figures, "runs": runs}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    text = markdown(result)
    (RESULTS / "ingest.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
