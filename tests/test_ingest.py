"""`kopile ingest`: WARC, WET, JSON Lines and text to Parquet shards, bad records counted."""
import gzip
import io
import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from conftest import ROOT, kill_when, manifest_entries, read_dir
from kopile.pipeline.config import ConfigError, parse_ingest_config
from kopile.pipeline.ingest.charset import decode
from kopile.pipeline.ingest.urls import UrlFilter
from kopile.pipeline.jobs.ingest import Ingester

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


def _members(path):
    data = path.read_bytes()
    starts = [i for i in range(len(data) - 2) if data[i:i + 3] == b"\x1f\x8b\x08"]
    return data, starts


def _pages(n, start=0):
    return [(f"https://site.example.kr/{i}", page(f"글 {i}", f"{i}번 글. " + ARTICLE, nav=False).encode("utf-8"),
             "text/html; charset=utf-8", "response") for i in range(start, start + n)]


def test_truncated_and_corrupt_gzip_members_are_counted_and_the_rest_read(ray_session, tmp_path):
    d = tmp_path / "dumps"
    d.mkdir()
    good = write_warc(tmp_path / "good.warc.gz", _pages(6))
    data, starts = _members(good)
    # Member 0 is warcinfo, 1..6 the pages: corrupt page 2 in the middle, cut page 6 short.
    broken = bytearray(data[: starts[6] + (len(data) - starts[6]) // 2])
    broken[starts[3] + 30:starts[3] + 60] = b"\x00" * 30
    (d / "broken.warc.gz").write_bytes(bytes(broken))
    summary = ingest(d, tmp_path / "out")
    stage = summary["stages"][0]
    assert stage["removed_by_reason"] == {"corrupt_gzip": 1, "truncated_gzip": 1}
    kept = read_dir(tmp_path / "out" / "00_ingest" / "kept")
    assert sorted(kept.column("url").to_pylist()) == [f"https://site.example.kr/{i}" for i in (0, 1, 3, 4)]
    removed = read_dir(tmp_path / "out" / "00_ingest" / "removed")
    assert sorted(removed.column("offset").to_pylist()) == [starts[3], starts[6]]
    assert stage["rows_in"] == 6


def test_a_record_shorter_than_its_declared_length(ray_session, tmp_path):
    d = tmp_path / "dumps"
    d.mkdir()
    good = write_warc(tmp_path / "good.warc", _pages(3), gz=False)
    data = good.read_bytes()
    # Claim 5,000 more bytes for the second page than it has: the reader loses its place.
    second = data.index(b"WARC-Target-URI: https://site.example.kr/1")
    at = data.index(b"Content-Length: ", second)
    end = data.index(b"\r\n", at)
    length = int(data[at + 16:end])
    (d / "lying.warc").write_bytes(data[:at + 16] + str(length + 5000).encode() + data[end:])
    gz_members = []
    for i, rec in enumerate(_pages(3)):
        one = write_warc(tmp_path / f"one{i}.warc", [rec], gz=False).read_bytes()
        one = one[one.index(b"WARC/1", 10):]  # drop the warcinfo record
        if i == 1:
            at = one.index(b"Content-Length: ")
            end = one.index(b"\r\n", at)
            one = one[:at + 16] + str(int(one[at + 16:end]) + 100).encode() + one[end:]
        gz_members.append(gzip.compress(one))
    (d / "lying-gz.warc.gz").write_bytes(b"".join(gz_members))
    summary = ingest(d, tmp_path / "out")
    stage = summary["stages"][0]
    kept = read_dir(tmp_path / "out" / "00_ingest" / "kept")
    by_file = {}
    for src, url in zip(kept.column("source").to_pylist(), kept.column("url").to_pylist()):
        by_file.setdefault(os.path.basename(src), []).append(url)
    assert by_file["lying-gz.warc.gz"] == ["https://site.example.kr/0", "https://site.example.kr/2"]
    # Uncompressed, the lying record runs into the next one: reading resumes at its header.
    assert by_file["lying.warc"] == ["https://site.example.kr/0", "https://site.example.kr/2"]
    assert stage["removed_by_reason"] == {"bad_length": 2}
    assert stage["rows_in"] == stage["kept"] + stage["removed"]


def test_wet_text_and_zstd_jsonl(ray_session, tmp_path):
    import zstandard

    d = tmp_path / "dumps"
    d.mkdir()
    write_warc(d / "crawl.warc.wet.gz", [
        ("https://a.example.kr/", ARTICLE.encode("utf-8"), "text/plain", "conversion"),
        ("https://b.example.kr/", ("둘째 문서. " + ARTICLE).encode("utf-8"), "text/plain", "conversion")])
    (d / "notes.txt").write_bytes(("첫 단락입니다.\n\n\n둘째 단락입니다.\r\n\r\n셋째 " + "똠").encode("cp949"))
    lines = "".join(json.dumps({"text": f"{i}번째 줄의 문서", "id": f"doc-{i}"}, ensure_ascii=False) + "\n" for i in range(3))
    (d / "lines.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines.encode("utf-8")))
    config = parse_ingest_config({"input": str(d), "output": str(tmp_path / "out"), "text_unit": "block",
                                  "id_field": "id"})
    Ingester(config, progress=False).run()
    kept = read_dir(tmp_path / "out" / "00_ingest" / "kept")
    texts = dict(zip(kept.column("id").to_pylist(), kept.column("text").to_pylist()))
    assert texts["doc-1"] == "1번째 줄의 문서"
    assert [texts[f"notes:{i}"] for i in range(3)] == ["첫 단락입니다.", "둘째 단락입니다.", "셋째 똠"]
    wet = [t for u, t in zip(kept.column("url").to_pylist(), kept.column("text").to_pylist()) if u and "example" in u]
    assert wet == [ARTICLE, "둘째 문서. " + ARTICLE]


def test_shards_roll_over_at_the_target_size(ray_session, tmp_path):
    d = tmp_path / "dumps"
    d.mkdir()
    with open(d / "big.jsonl", "w", encoding="utf-8") as f:
        for i in range(400):
            f.write(json.dumps({"text": f"{i} " + ARTICLE * 4}, ensure_ascii=False) + "\n")
    config = parse_ingest_config({"input": str(d), "output": str(tmp_path / "out"), "shard_mb": 0.1,
                                  "row_group_mb": 0.02})
    summary = Ingester(config, progress=False).run()
    shards = sorted((tmp_path / "out" / "00_ingest" / "kept").glob("*.parquet"))
    assert [p.name for p in shards[:2]] == ["big-00000.parquet", "big-00001.parquet"] and len(shards) >= 4
    for p in shards[:-1]:
        meta = pq.read_metadata(p)
        text_bytes = sum(len(t.encode()) for t in pq.read_table(p).column("text").to_pylist())
        assert 0.1 * 2**20 <= text_bytes < 0.1 * 2**20 + 0.03 * 2**20 and meta.num_row_groups >= 4
    ids = read_dir(tmp_path / "out" / "00_ingest" / "kept").column("offset").to_pylist()
    assert ids == list(range(1, 401)) and summary["stages"][0]["output_shards"] == len(shards)


@pytest.mark.parametrize("body, declared, charset", [
    ("한국어 문서입니다.".encode("utf-8"), None, "utf-8"),
    ("한국어 문서입니다 똠".encode("cp949"), None, "cp949"),
    ("한국어 문서입니다".encode("cp949"), "utf-8", "cp949"),        # declared wrongly
    ("한국어 문서입니다 똠방각하".encode("cp949"), "iso-8859-1", "cp949"),  # declared Latin-1
    (b'<meta charset="euc-kr">' + "본문".encode("cp949"), None, "cp949"),
    ("\ufeff한국어".encode("utf-8"), "cp949", "utf-8"),                # the byte-order mark wins
])
def test_charsets(body, declared, charset):
    text, found = decode(body, declared)
    assert found == charset and "한국어" in text or "본문" in text
    assert "\ufeff" not in text


def test_undecodable_pages_are_removed_with_the_reason(ray_session, tmp_path):
    d = tmp_path / "dumps"
    d.mkdir()
    junk = bytes([0x80, 0xFF, 0x81, 0x00, 0xFE, 0x90] * 50)
    write_warc(d / "junk.warc.gz", [("https://x.example.kr/", junk, "text/html; charset=utf-8", "response")]
               + _pages(1))
    # Junk holds no Hangul: the pre-filter would remove it first (tested below), so it is off here.
    summary = ingest(d, tmp_path / "out", prefilter=None)
    assert summary["stages"][0]["removed_by_reason"] == {"undecodable": 1} and summary["stages"][0]["kept"] == 1


def test_url_filter():
    f = UrlFilter(domains=["bad.example"], url_patterns=[r"/casino/"], defaults=True)
    assert f.reason("https://www.bad.example/page") == "blocked_domain"
    assert f.reason("https://notbad.example/page") is None
    assert f.reason("https://ok.example.kr/casino/1") == "blocked_url"
    assert f.reason("https://m.blog.example.kr/먹튀검증") == "blocked_url"
    assert f.reason("https://news.example.kr/economy/1") is None
    assert UrlFilter(defaults=False).reason("https://totosite.com/") is None
    with pytest.raises(ValueError, match=r"url pattern 0 '\(unclosed'"):
        UrlFilter(url_patterns=["(unclosed"])


def test_config_errors_name_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"extractor: Input should be 'resiliparse' or 'trafilatura'"):
        parse_ingest_config({"input": "x", "output": "y", "extractor": "boilerpipe"})
    with pytest.raises(ConfigError, match=r"block.domian: unknown key \(did you mean 'domains'\?\)"):
        parse_ingest_config({"input": "x", "output": "y", "block": {"domian": []}})


def test_kill_9_then_resume_gives_identical_shards(ray_session, tmp_path):
    d = tmp_path / "dumps"
    d.mkdir()
    for k in range(16):
        write_warc(d / f"crawl-{k:02d}.warc.gz", _pages(40, start=k * 100))
    cfg = tmp_path / "ingest.yaml"
    cfg.write_text(f"input: {d}\noutput: {tmp_path / 'killed'}\nextractor: trafilatura\nmerge_small: false\n")
    command = [sys.executable, "-m", "kopile.cli", "ingest", str(cfg), "--num-cpus", "1", "--no-progress"]
    manifest = tmp_path / "killed" / "00_ingest" / "_manifest.json"
    kill_when(command, lambda: manifest_entries(manifest, "files") >= 3)
    assert len(json.loads(manifest.read_text())["files"]) < 16
    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "00_ingest" in resumed.stdout and "640" in resumed.stdout
    run = json.loads((tmp_path / "killed" / "run.json").read_text())
    assert run["status"] == "ok" and run["resumed"] and run["stages"][0]["shards_resumed"] >= 3
    config = parse_ingest_config({"input": str(d), "output": str(tmp_path / "clean"), "extractor": "trafilatura",
                                  "merge_small": False})
    Ingester(config, progress=False).run()
    files = lambda out: {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.parquet"))}
    assert files(tmp_path / "killed") == files(tmp_path / "clean")
    assert not list((tmp_path / "killed").rglob(".*.tmp-*"))


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_truncated_compressed_jsonl_keeps_the_lines_before(ray_session, tmp_path, suffix):
    import zstandard

    d = tmp_path / "dumps"
    d.mkdir()
    # Enough text for several zstd blocks (128 KB each): a cut file still holds whole ones.
    body = "".join(json.dumps({"text": f"{i}번째 문서 " + ARTICLE}, ensure_ascii=False) + "\n" for i in range(1000))
    compress = gzip.compress if suffix == ".gz" else zstandard.ZstdCompressor().compress
    data = compress(body.encode("utf-8"))
    (d / f"cut.jsonl{suffix}").write_bytes(data[: len(data) * 3 // 4])
    summary = ingest(d, tmp_path / "out", text_field="text")
    stage = summary["stages"][0]
    assert stage["removed_by_reason"] == {"truncated_stream": 1}
    kept = read_dir(tmp_path / "out" / "00_ingest" / "kept")
    assert kept.column("offset").to_pylist() == list(range(1, stage["kept"] + 1)) and stage["kept"] > 100


@pytest.mark.parametrize("url, reason", [
    ("https://totosite-best.com/event", "blocked_url"),
    ("https://toto.example.com/", "blocked_url"),
    ("https://best-casino777.net/", "blocked_url"),
    ("https://www.totoro.co.kr/", None),
    ("https://adulteducation.go.kr/", None),
    ("https://www.slotkin.com/", None),
    ("https://science.example.kr/sextant.html", None),
    ("https://sex-shop.example/", "blocked_url"),
])
def test_default_block_list_words_are_whole_host_parts(url, reason):
    assert UrlFilter().reason(url) == reason


def test_single_member_gzip_and_zstd_warc_stream_every_record(ray_session, tmp_path):
    import zstandard

    d = tmp_path / "dumps"
    d.mkdir()
    plain = write_warc(tmp_path / "all.warc", _pages(30), gz=False).read_bytes()
    (d / "whole.warc.gz").write_bytes(gzip.compress(plain))  # `gzip file.warc`: one member
    (d / "whole2.warc.zst").write_bytes(zstandard.ZstdCompressor().compress(plain))
    summary = ingest(d, tmp_path / "out", max_record_mb=1)
    stage = summary["stages"][0]
    assert stage["kept"] == 60 and stage["removed"] == 0 and stage["skipped_records"] == {"warcinfo": 2}


def test_a_utf8_page_labelled_latin1_is_read_as_utf8():
    assert decode("안녕하세요 반갑습니다".encode("utf-8"), "iso-8859-1") == ("안녕하세요 반갑습니다", "utf-8")
    assert decode("café".encode("latin-1"), "iso-8859-1") == ("café", "cp1252")


def _common_crawl_warc(path, pages):
    """A WARC in Common Crawl's record shape: warcinfo, then request, response and metadata per
    page. pages: (url, body, http Content-Type or None, WARC-Identified-Payload-Type or None)."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "kopile tests", "format": "WARC 1.1"}))
        for url, body, ctype, identified in pages:
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", url.split("/")[2]), ("User-Agent", "CCBot/2.0")],
                                       protocol="HTTP/1.1", is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=request))
            headers = [("Date", "Mon, 30 Nov 2026 00:00:00 GMT"), ("Server", "nginx")]
            if ctype:
                headers.append(("Content-Type", ctype))
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            warc_headers = {"WARC-Identified-Payload-Type": identified} if identified else None
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                               warc_headers_dict=warc_headers)
            writer.write_record(record)
            writer.write_record(writer.create_warc_record(url, "metadata", payload=io.BytesIO(b"fetchTimeMs: 120\r\n"),
                                                          warc_content_type="application/warc-fields"))
    return path


def test_common_crawl_warc_loses_no_page(ray_session, tmp_path):
    """Responses without an HTTP Content-Type, or with a generic one, are HTML when
    WARC-Identified-Payload-Type says so or their bytes do; the charset may be in <meta> only."""
    d = tmp_path / "dumps"
    d.mkdir()
    pages, korean = [], []
    for i in range(40):
        url = f"https://cc{i % 7}.example.kr/article/{i}"
        charset = "euc-kr" if i % 5 == 0 else "utf-8"
        body = page(f"기사 {i}", f"{i}번째 기사입니다. " + ARTICLE, charset=charset, nav=i % 2 == 0)
        body = body.encode("cp949" if charset == "euc-kr" else "utf-8")
        ctype, identified = [("text/html; charset=utf-8", "text/html"), (None, "text/html"), (None, None),
                             ("application/octet-stream", "application/xhtml+xml"), ("text/html", None)][i % 5]
        if charset == "euc-kr":
            ctype = None  # charset only in <meta>
        pages.append((url, body, ctype, identified))
        korean.append(url)
    pages += [("https://cc0.example.kr/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(200), None, "image/png"),
              ("https://cc1.example.kr/doc.pdf", b"%PDF-1.7\n" + bytes(200), "application/octet-stream", "application/pdf"),
              ("https://cc2.example.kr/data.json", b'{"a": 1}', "application/json", "application/json")]
    _common_crawl_warc(d / "CC-MAIN-20261130-00000.warc.gz", pages)
    summary = ingest(d, tmp_path / "out")
    stage = summary["stages"][0]
    kept = read_dir(tmp_path / "out" / "00_ingest" / "kept")
    assert sorted(kept.column("url").to_pylist()) == sorted(korean)
    assert all(ARTICLE in t for t in kept.column("text").to_pylist())
    euc = [r for r in kept.to_pylist() if r["url"].endswith(("/0", "/5", "/10"))]
    assert {r["charset"] for r in euc} == {"cp949"}
    assert stage["removed_by_reason"] == {"not_html": 3}
    assert stage["skipped_records"] == {"metadata": 43, "request": 43, "warcinfo": 1}
    # The ingest's output has the stable path a run reads: final/kept.
    final = sorted(p.name for p in (tmp_path / "out" / "final" / "kept").iterdir())
    assert final == sorted(p.name for p in (tmp_path / "out" / "00_ingest" / "kept").glob("*.parquet"))
    assert summary["final"]["rows"] == len(korean)


@pytest.mark.parametrize("declared, identified, payload, expected", [
    ("text/html; charset=utf-8", None, b"", "text/html"),
    (None, "text/html", b"", "text/html"),
    ("application/octet-stream", "application/xhtml+xml", b"", "application/xhtml+xml"),
    (None, None, b"\xef\xbb\xbf  <!DOCTYPE html><html>", "text/html"),
    (None, None, b"<HTML><HEAD>", "text/html"),
    (None, "image/png", b"<html>", "image/png"),
    (None, None, b"\x89PNG\r\n", ""),
    ("image/jpeg", "text/html", b"<html>", "image/jpeg"),
])
def test_media_type(declared, identified, payload, expected):
    from kopile.pipeline.ingest.job import media_type

    assert media_type(declared, identified, payload) == expected


def test_group_files_is_consecutive_and_bounded():
    from kopile.pipeline.jobs.ingest import group_files, group_name

    files = [("a", 4), ("b", 5), ("c", 2), ("big", 30), ("d", 0), ("e", 10), ("f", 1)]
    assert group_files(files, 10) == [["a", "b"], ["c"], ["big"], ["d", "e"], ["f"]]
    assert group_files(files, -1) == [[name] for name, _ in files]
    assert group_name(["crawl-7.warc.gz"]) == "crawl-7"
    key = group_name(["a.jsonl", "b.jsonl", "c.jsonl"])
    assert key.startswith("a+2.") and key != group_name(["a.jsonl", "b2.jsonl", "c.jsonl"])


def _small_dumps(d, ks):
    """A JSON Lines file of 8 documents (about 3.5 KB) for each k in `ks`; every tenth also holds
    a blocked URL and a broken line. Returns {(file, line): text, or the removal reason}."""
    d.mkdir(exist_ok=True)
    expected = {}
    for k in ks:
        name = f"part-{k:04d}.jsonl" if isinstance(k, int) else f"part-{k}.jsonl"
        lines = [json.dumps({"text": f"{k}번 파일 {j}번 글. " + ARTICLE, "url": f"https://blog.example.kr/{k}/{j}"},
                            ensure_ascii=False) for j in range(8)]
        expected.update({(name, j + 1): f"{k}번 파일 {j}번 글. " + ARTICLE for j in range(8)})
        if isinstance(k, int) and k % 10 == 0:
            lines += [json.dumps({"text": "광고 " * 5, "url": "https://pornhub.com/x"}, ensure_ascii=False), "{not json"]
            expected.update({(name, 9): "blocked_domain", (name, 10): "bad_json"})
        (d / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return expected


def _ingest_small(d, out, executor=None):
    from kopile.pipeline.jobs.executor import LocalExecutor

    config = parse_ingest_config({"input": str(d), "output": str(out), "shard_mb": 0.1})
    return Ingester(config, progress=False).run(executor or LocalExecutor())


def test_small_files_are_merged_into_full_shards(ray_session, tmp_path):
    from conftest import output_bytes
    from kopile.pipeline.jobs.executor import RayExecutor

    expected = _small_dumps(tmp_path / "dumps", range(200))
    stage = _ingest_small(tmp_path / "dumps", tmp_path / "one")["stages"][0]
    shards = sorted((tmp_path / "one" / "00_ingest" / "kept").glob("*.parquet"))
    assert stage["input_files"] == 200 and 3 <= stage["shards"] <= 10 and len(shards) == stage["output_shards"] <= 10
    for path in shards[:-1]:  # full: within one input file of the target
        assert sum(len(t.encode()) for t in pq.read_table(path).column("text").to_pylist()) > 0.75 * 0.1 * 2**20
    # Every document once, kept with its text or removed with its reason, still naming its file.
    kept = read_dir(tmp_path / "one" / "00_ingest" / "kept").to_pylist()
    removed = read_dir(tmp_path / "one" / "00_ingest" / "removed").to_pylist()
    got = [((os.path.basename(r["source"]), r["offset"]), r["text"]) for r in kept]
    got += [((os.path.basename(r["source"]), r["offset"]), r["reason"]) for r in removed]
    assert len(got) == len(expected) == stage["rows_in"] and dict(got) == expected
    assert all(r["id"] == f"{os.path.basename(r['source'])[:-6]}:{r['offset']}" for r in kept)
    # The manifest names every file once, with figures that add up per file.
    entries = json.loads((tmp_path / "one" / "00_ingest" / "_manifest.json").read_text())["files"]
    files = [f for e in entries.values() for f in e["files"]]
    assert sorted(os.path.basename(f["source"]) for f in files) == sorted(p.name for p in (tmp_path / "dumps").iterdir())
    assert all(f["records_in"] == f["kept"] + f["removed"] and f["error"] is None for f in files)
    tenth = next(f for f in files if f["source"].endswith("part-0010.jsonl"))
    assert tenth["removed_by_reason"] == {"bad_json": 1, "blocked_domain": 1} and tenth["kept"] == 8
    # Two Ray workers write the same bytes as one in-process worker.
    _ingest_small(tmp_path / "dumps", tmp_path / "two", RayExecutor())
    assert output_bytes(tmp_path / "one") == output_bytes(tmp_path / "two")


class _Crash(Exception):
    pass


def test_merged_groups_resume_and_regroup_without_stale_shards(tmp_path):
    from conftest import output_bytes
    from kopile.pipeline.jobs.executor import LocalExecutor

    class CrashAfterTwo(LocalExecutor):
        """Dies once two groups are recorded, the third's shards written but not recorded."""

        def as_completed(self, fn, jobs):
            for i, result in enumerate(super().as_completed(fn, jobs)):
                if i == 2:
                    raise _Crash
                yield result

    d = tmp_path / "dumps"
    _small_dumps(d, range(120))
    with pytest.raises(_Crash):
        _ingest_small(d, tmp_path / "out", CrashAfterTwo())
    assert manifest_entries(tmp_path / "out" / "00_ingest" / "_manifest.json", "files") == 2
    stage = _ingest_small(d, tmp_path / "out")["stages"][0]
    assert stage["shards_resumed"] == 2 and stage["shards"] > 2
    _ingest_small(d, tmp_path / "clean")
    assert output_bytes(tmp_path / "out") == output_bytes(tmp_path / "clean")
    # One more file in the middle: the groups from it on change, their old shards go.
    before = {p.name for p in (tmp_path / "out" / "00_ingest" / "kept").glob("*.parquet")}
    _small_dumps(d, ["0050a"])
    stage = _ingest_small(d, tmp_path / "out")["stages"][0]
    assert stage["shards_resumed"] >= 1 and stage["input_files"] == 121
    entries = json.loads((tmp_path / "out" / "00_ingest" / "_manifest.json").read_text())["files"]
    kept = {p.name for p in (tmp_path / "out" / "00_ingest" / "kept").glob("*.parquet")}
    assert kept == {s for e in entries.values() for s in e["shards"]} and before - kept
    assert {p.stem for p in (tmp_path / "out" / "00_ingest" / "removed").glob("*.parquet")} == set(entries)
    _ingest_small(d, tmp_path / "clean2")
    assert output_bytes(tmp_path / "out") == output_bytes(tmp_path / "clean2")


def test_an_unreadable_file_fails_its_group_only(tmp_path, monkeypatch):
    from conftest import output_bytes
    from kopile.core.errors import RunFailed
    from kopile.pipeline.ingest import readers

    d = tmp_path / "dumps"
    _small_dumps(d, range(120))
    opener = readers.open_stream

    def refuse(path):
        if path.endswith("part-0050.jsonl"):
            raise PermissionError(13, "Permission denied", path)
        return opener(path)

    monkeypatch.setattr(readers, "open_stream", refuse)
    with pytest.raises(RunFailed) as failed:
        _ingest_small(d, tmp_path / "out")
    assert len(failed.value.errors) == 1 and "part-0050.jsonl: cannot be read" in failed.value.errors[0]
    entries = json.loads((tmp_path / "out" / "00_ingest" / "_manifest.json").read_text())["files"]
    bad = [e for e in entries.values() if e["status"] != "ok"]
    assert len(bad) == 1 and bad[0]["kind"] == "input" and bad[0]["shards"] == []
    assert bad[0]["files"][-1]["source"].endswith("part-0050.jsonl") and bad[0]["files"][-1]["error"]
    # Nothing of the failed group is written; the other groups are complete.
    kept = {p.name for p in (tmp_path / "out" / "00_ingest" / "kept").glob("*.parquet")}
    assert kept == {s for e in entries.values() for s in e["shards"]} and len(entries) - 1 == len(kept)
    assert not (tmp_path / "out" / "final").exists()
    # Readable again: the failed group is redone, the others resumed, as if nothing failed.
    monkeypatch.setattr(readers, "open_stream", opener)
    assert _ingest_small(d, tmp_path / "out")["stages"][0]["shards_resumed"] == len(entries) - 1
    _ingest_small(d, tmp_path / "clean")
    assert output_bytes(tmp_path / "out") == output_bytes(tmp_path / "clean")


# --- WARC records read by FastWARC, and by warcio where FastWARC cannot vouch for them ---------

def _gzip_starts(data):
    import zlib

    starts, at = [], 0
    while at < len(data):
        starts.append(at)
        member = zlib.decompressobj(31)
        member.decompress(data[at:])
        at = len(data) - len(member.unused_data)
    return starts


def _warcio_only(path, wet=False, max_record_mb=64):
    """read_warc's events with FastWARC left out: warcio reads each gzip member (or the
    uncompressed file) as it did before FastWARC."""
    from kopile.pipeline.ingest import readers

    step = readers._gzip_member if path.name.endswith(".gz") else readers._plain_records

    def events():
        at = 0
        with open(path, "rb") as f:
            while at is not None:
                at = yield from step(f, at, 0, wet, max_record_mb << 20)
    return list(events())


def _damaged_warcs(d):
    """A WARC (a gzip member per record, and uncompressed), one page of it over 1 MB, and copies
    with each kind of damage the reader handles."""
    import zlib

    pages = _pages(6)
    pages.insert(3, ("https://site.example.kr/big", page("긴 글", ARTICLE * 5000).encode("utf-8"), "text/html", "response"))
    data = write_warc(d / "good.warc.gz", pages).read_bytes()
    starts = _gzip_starts(data)
    records = [zlib.decompress(data[a:b], 31) for a, b in zip(starts, starts[1:] + [len(data)])]
    plain = b"".join(records)

    def lie(record, delta):
        at = record.index(b"Content-Length: ") + 16
        end = record.index(b"\r\n", at)
        return record[:at] + str(int(record[at:end]) + delta).encode() + record[end:]

    def gz(records):
        return b"".join(gzip.compress(r) for r in records)

    at = starts[2] + 40  # inside a member's deflate data
    variants = {
        "good.warc.gz": data,
        "truncated.warc.gz": data[:starts[5] + 60],
        "cut-in-trailer.warc.gz": data[:-3],
        "corrupt.warc.gz": data[:at] + bytes(30) + data[at + 30:],
        "bad-crc.warc.gz": data[:starts[2] - 8] + bytes([data[starts[2] - 8] ^ 0xFF]) + data[starts[2] - 7:],
        "junk-between.warc.gz": data[:starts[4]] + b"JUNK" + data[starts[4]:],
        "junk-after.warc.gz": data + b"\0" * 5,
        "too-long.warc.gz": gz(records[:2] + [lie(records[2], 100)] + records[3:]),
        "too-short.warc.gz": gz(records[:2] + [lie(records[2], -100)] + records[3:]),
        "slightly-long.warc.gz": gz(records[:2] + [lie(records[2], 2)] + records[3:]),
        "no-closing-crlf.warc.gz": gz([r[:-4] for r in records]),
        "no-uri.warc.gz": gz(records[:2] + [records[2].replace(b"WARC-Target-URI", b"X-Target-URI")] + records[3:]),
        "shared-members.warc.gz": gz([records[0], b"".join(records[1:4])] + records[4:]),
        "one-member.warc.gz": gzip.compress(plain),
        "good.warc": plain,
        "too-long.warc": b"".join(records[:2] + [lie(records[2], 5000)] + records[3:]),
        "too-short.warc": b"".join(records[:2] + [lie(records[2], -100)] + records[3:]),
        "slightly-long.warc": b"".join(records[:2] + [lie(records[2], 4)] + records[3:]),
        "junk-between.warc": b"".join(records[:4] + [b"JUNK\r\n"] + records[4:]),
        "cut.warc": plain[:-300],
    }
    for name, content in variants.items():
        (d / name).write_bytes(content)
    return sorted(d / name for name in variants), starts


@pytest.mark.parametrize("wet, max_record_mb", [(False, 64), (False, 1), (True, 64)])
def test_fastwarc_gives_the_events_warcio_gave(tmp_path, wet, max_record_mb):
    """Damaged or not, the same documents, bad records (reasons, offsets) and skipped records."""
    from kopile.pipeline.ingest import readers

    paths, _ = _damaged_warcs(tmp_path)
    for path in paths:
        got = list(readers.read_warc(str(path), wet=wet, max_record_mb=max_record_mb))
        assert got == _warcio_only(path, wet, max_record_mb), path.name


def test_damaged_warcs_keep_their_reasons_and_offsets(tmp_path):
    from kopile.pipeline.ingest import readers

    paths, starts = _damaged_warcs(tmp_path)

    def read(name, **kw):
        events = list(readers.read_warc(str(tmp_path / name), **kw))
        return ([f["url"].rsplit("/", 1)[1] for kind, f in events if kind == "doc"],
                [(f["reason"], f["offset"]) for kind, f in events if kind == "bad"])

    docs = ["0", "1", "2", "big", "3", "4", "5"]
    assert read("good.warc.gz") == read("one-member.warc.gz") == read("good.warc") == (docs, [])
    assert read("good.warc.gz", max_record_mb=1) == (docs[:3] + docs[4:], [("record_too_large", starts[4])])
    assert read("truncated.warc.gz") == (docs[:4], [("truncated_gzip", starts[5])])
    assert read("cut-in-trailer.warc.gz") == (docs, [("truncated_gzip", starts[7])])
    assert read("corrupt.warc.gz") == (docs[:1] + docs[2:], [("corrupt_gzip", starts[2])])
    assert read("too-long.warc.gz") == (docs[:1] + docs[2:], [("bad_length", starts[2])])
    # Uncompressed, reading resumes at the record after the one that runs past the file's end,
    # its offset counted from the file's start.
    plain = write_warc(tmp_path / "four.warc", _pages(4), gz=False).read_bytes()
    at = plain.index(b"Content-Length: ", plain.index(b"WARC-Target-URI: https://site.example.kr/1")) + 16
    end = plain.index(b"\r\n", at)
    plain = plain[:at] + str(int(plain[at:end]) + 5000).encode() + plain[end:]
    (tmp_path / "four.warc").write_bytes(plain)
    starts = [i for i in range(len(plain)) if plain.startswith(b"WARC/1.0\r\n", i)]
    events = list(readers.read_warc(str(tmp_path / "four.warc")))
    assert [(kind, f["offset"], f.get("reason")) for kind, f in events if kind != "skip"] == \
        [("doc", starts[1], None), ("bad", starts[2], "bad_length"), ("doc", starts[3], None), ("doc", starts[4], None)]


def test_fastwarc_reads_clean_warcs_and_warcio_only_their_last_record(tmp_path, monkeypatch):
    from kopile.pipeline.ingest import readers

    calls = []
    for name in ("_gzip_member", "_plain_records"):
        def counted(f, at, *args, step=getattr(readers, name)):
            calls.append(at)
            return (yield from step(f, at, *args))
        monkeypatch.setattr(readers, name, counted)
    for gz in (True, False):
        calls.clear()
        path = write_warc(tmp_path / ("a.warc.gz" if gz else "a.warc"), _pages(40), gz=gz)
        assert sum(kind == "doc" for kind, _ in readers.read_warc(str(path))) == 40
        assert len(calls) <= 2, calls  # the last record (and the end of the file after it)
