"""`kopile ingest`: WARC, WET, JSON Lines and text to Parquet shards, bad records counted."""
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from conftest import ROOT, read_dir
from pipeline.config import ConfigError, parse_ingest_config
from pipeline.ingest.charset import decode
from pipeline.ingest.urls import UrlFilter
from pipeline.runner import Ingester

ARTICLE = ("서울시는 올해 봄부터 한강 공원에 자전거 도로를 새로 만든다고 밝혔다. 공사는 세 단계로 나뉘어 "
           "진행되며, 시민들의 의견을 모아 노선을 정했다. 담당자는 안전 시설을 충분히 갖추겠다고 말했다.")
NAV = "".join(f'<li><a href="/m{i}">메뉴 {i}</a></li>' for i in range(30))


def page(title: str, body: str, charset: str = "utf-8", nav: bool = True) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n"))
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}</title></head><body>'
            + (f"<header><nav><ul>{NAV}</ul></nav></header>" if nav else "")
            + f"<main><article><h1>{title}</h1>{paragraphs}</article></main>"
            + "<footer><p>Copyright (c) 한강일보. All rights reserved.</p><p>개인정보처리방침 | 이용약관</p></footer>"
            + "</body></html>")


def write_warc(path, records, gz=True):
    """records: (url, body bytes, content type, warc type)."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=gz)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "kopile tests"}))
        for url, body, ctype, kind in records:
            if kind == "response":
                http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
                record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http)
            else:
                record = writer.create_warc_record(url, kind, payload=io.BytesIO(body),
                                                   warc_content_type=ctype)
            writer.write_record(record)
    return path


@pytest.fixture
def dumps(tmp_path):
    d = tmp_path / "dumps"
    d.mkdir()
    write_warc(d / "crawl-a.warc.gz", [
        ("https://news.example.kr/1", page("자전거 도로", ARTICLE).encode("utf-8"), "text/html; charset=utf-8", "response"),
        # EUC-KR declared in the page only, and CP949-only syllables (똠, 쓩) in the text.
        ("http://old.example.co.kr/a.asp", page("옛 사이트", ARTICLE + "\n똠방각하 쓩", "euc-kr").encode("cp949"),
         "text/html", "response"),
        ("https://news.example.kr/nav", page("", "", nav=True).encode("utf-8"), "text/html", "response"),
        ("https://totosite-best.com/event", page("이벤트", ARTICLE).encode("utf-8"), "text/html", "response"),
        ("https://news.example.kr/logo.png", b"\x89PNG\r\n", "image/png", "response"),
        ("https://news.example.kr/1", b"", "application/warc-fields", "metadata"),
    ])
    with gzip.open(d / "posts.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps({"content": ARTICLE, "url": "https://blog.example.kr/p/1", "likes": 3}, ensure_ascii=False) + "\n")
        f.write("{not json\n")
        f.write(json.dumps({"title": "본문 없음"}, ensure_ascii=False) + "\n")
        f.write(json.dumps({"content": "둘째 글입니다. " * 5, "url": "https://pornhub.com/x"}, ensure_ascii=False) + "\n")
    return d


def ingest(dumps, out, **settings):
    config = parse_ingest_config({"input": str(dumps), "output": str(out), "text_field": "content", **settings})
    return Ingester(config, progress=False).run()


def test_warc_and_jsonl_become_shards_with_metadata(ray_session, dumps, tmp_path):
    summary = ingest(dumps, tmp_path / "out")
    stage = summary["stages"][0]
    assert stage["rows_in"] == stage["kept"] + stage["removed"] == 9
    assert stage["skipped_records"] == {"metadata": 1, "warcinfo": 1}
    kept = read_dir(tmp_path / "out" / "00_ingest" / "kept")
    rows = {r["url"]: r for r in kept.to_pylist()}
    assert set(rows) == {"https://news.example.kr/1", "http://old.example.co.kr/a.asp", "https://blog.example.kr/p/1"}
    news = rows["https://news.example.kr/1"]
    assert ARTICLE in news["text"] and "메뉴 3" not in news["text"] and "All rights reserved" not in news["text"]
    assert news["domain"] == "news.example.kr" and news["charset"] == "utf-8"
    assert news["record_id"].startswith("<urn:uuid:") and news["id"] == news["record_id"].strip("<>")
    assert news["date"] and news["content_type"].startswith("text/html")
    old = rows["http://old.example.co.kr/a.asp"]
    assert old["charset"] == "cp949" and "똠방각하 쓩" in old["text"] and ARTICLE in old["text"]
    blog = rows["https://blog.example.kr/p/1"]
    assert blog["text"] == ARTICLE and json.loads(blog["meta"]) == {"likes": 3} and blog["offset"] == 1
    removed = read_dir(tmp_path / "out" / "00_ingest" / "removed")
    why = {u: r for u, r in zip(removed.column("url").to_pylist(), removed.column("reason").to_pylist()) if u}
    assert why == {"https://news.example.kr/nav": "no_text", "https://totosite-best.com/event": "blocked_url",
                   "https://news.example.kr/logo.png": "not_html", "https://pornhub.com/x": "blocked_domain"}
    lines = dict(zip(removed.column("offset").to_pylist(), removed.column("reason").to_pylist()))
    assert stage["removed_by_reason"] == {"bad_json": 1, "blocked_domain": 1, "blocked_url": 1, "missing_text": 1,
                                          "no_text": 1, "not_html": 1}
    assert lines[2] == "bad_json" and lines[3] == "missing_text"
    assert set(removed.column("error").to_pylist()) >= {"line 3: no string field 'content'", "image/png"}
