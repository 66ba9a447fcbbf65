"""The ingest pre-filter: which WARC pages are extracted at all, judged on their raw bytes."""
import pytest

from conftest import read_dir
from kopile.pipeline.ingest.prefilter import could_be_korean, hangul_count

KO = "대한민국은 민주공화국이다. 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다. 똠방각하 쓩"
EN = "The quick brown fox jumps over the lazy dog while the committee discusses the budget. " * 10
JA = "日本国民は、正当に選挙された国会における代表者を通じて行動し、われらとわれらの子孫のために" * 4
ZH = "中华人民共和国是工人阶级领导的、以工农联盟为基础的人民民主专政的社会主义国家。" * 4
RU = "Граждане Российской Федерации имеют право собираться мирно без оружия, проводить собрания. " * 4
PICKER = "<ul><li>English</li><li>日本語</li><li>한국어</li><li>Español</li></ul>"


def page(text: str, meta: str = "", picker: str = "", script_kb: int = 2) -> str:
    script = "<script>var config = {" + ", ".join(f'"k{i}": {i}' for i in range(script_kb * 100)) + "};</script>"
    return (f"<!DOCTYPE html><html><head>{meta}<title>t</title>{script}</head><body>{picker}"
            f"<nav>Home | News</nav><main><p>{text}</p></main><footer>&copy; 2024</footer></body></html>")


def keep(body: bytes, content_type: str | None = None) -> bool:
    return could_be_korean(body, content_type, 10, 0.05)[0]


@pytest.mark.parametrize("body, content_type", [
    (page(KO, '<meta charset="utf-8">').encode(), "text/html; charset=utf-8"),
    (page(KO).encode(), None),  # UTF-8, declared nowhere
    (page(KO, '<meta charset="euc-kr">').encode("cp949"), None),
    (page(KO).encode("cp949"), "text/html; charset=EUC-KR"),
    (page(KO).encode("cp949"), None),  # CP949, declared nowhere
    (page(KO, '<meta charset="euc-kr">').encode("cp949"), "text/html; charset=ISO-8859-1"),  # a wrong header
    (page(KO, '<meta charset="utf-8">').encode("cp949"), None),  # a wrong <meta>
    (page(KO).encode("utf-16"), None),  # with a byte-order mark
    (page(KO, script_kb=300).encode(), None),  # 300 kB of script around 50 syllables
    (page(KO.encode("ascii", "xmlcharrefreplace").decode()).encode(), None),  # &#51008; references
    (page("&#xB300;&#xD55C;&#xBBFC;&#xAD6D; " * 5).encode(), None),
    (page("大韓民國은 民主共和國이다. 大韓民國의 主權은 國民에게 있고, 모든 權力은 國民으로부터 나온다.").encode(), None),
])
def test_korean_pages_are_kept_however_encoded(body, content_type):
    assert keep(body, content_type), hangul_count(body, content_type)


@pytest.mark.parametrize("body, content_type", [
    (page(EN, picker=PICKER).encode(), "text/html; charset=utf-8"),  # a language picker: 3 syllables
    # a few Korean product words in a Japanese page (at 5% of its characters it would be kept)
    (page(JA * 3 + " 한국 화장품 세트 판매 중").encode(), None),
    (page(ZH, picker=PICKER).encode(), None),
    (page(JA).encode("shift_jis"), "text/html; charset=Shift_JIS"),
    (page(JA, '<meta charset="shift_jis">').encode("shift_jis"), None),
    (page(ZH).encode("gbk"), None),  # GBK, declared nowhere: also valid-looking CP949 pairs
    (page(ZH).encode("big5", "replace"), None),
    (page(RU).encode("cp1251"), "text/html; charset=windows-1251"),
    (page(RU).encode(), None),
    (b"", "text/html"),
    (b"<html><body><img src='a.png'></body></html>", None),
])
def test_pages_without_korean_text_are_not_extracted(body, content_type):
    assert not keep(body, content_type), hangul_count(body, content_type)


def test_the_counts_are_syllables_and_their_share():
    body = page(KO).encode()
    hangul, beyond = hangul_count(body)
    assert hangul == sum("\uac00" <= ch <= "\ud7a3" for ch in KO) == 45
    assert beyond == hangul  # every non-ASCII character is Hangul
    assert hangul_count(page(KO).encode("cp949")) == (hangul, beyond)
    # 日本語 한국어 Españ(o)l: 3 of 7 non-ASCII characters
    assert could_be_korean(page(EN, picker=PICKER).encode(), None, 10, 0.05) == (False, "3 Hangul syllables, 43% of non-ASCII")


def test_ingest_counts_what_the_prefilter_removes(ray_session, tmp_path):
    from test_ingest import ingest, write_warc

    d = tmp_path / "dumps"
    d.mkdir()
    records = [(f"https://ko.example.kr/{i}", page(f"{i}번째 기사. {KO}").encode(), "text/html; charset=utf-8", "response")
               for i in range(3)]
    records += [("https://old.example.kr/", page(KO).encode("cp949"), "text/html", "response"),
                ("https://en.example.com/", page(EN, picker=PICKER).encode(), "text/html; charset=utf-8", "response"),
                ("https://ja.example.jp/", page(JA).encode("shift_jis"), "text/html; charset=Shift_JIS", "response")]
    write_warc(d / "segment.warc.gz", records)
    stage = ingest(d, tmp_path / "out")["stages"][0]
    assert stage["kept"] == 4 and stage["removed_by_reason"] == {"little_hangul": 2}
    removed = read_dir(tmp_path / "out" / "00_ingest" / "removed").to_pylist()
    assert {r["url"]: r["error"] for r in removed} == {"https://en.example.com/": "3 Hangul syllables, 43% of non-ASCII",
                                                       "https://ja.example.jp/": "0 Hangul syllables, 0% of non-ASCII"}
    every = ingest(d, tmp_path / "all", prefilter=None)["stages"][0]
    assert every["kept"] == 6 and every["removed_by_reason"] == {}
    kept = {r["url"]: r["text"] for r in read_dir(tmp_path / "out" / "00_ingest" / "kept").to_pylist()}
    assert kept == {r["url"]: r["text"] for r in read_dir(tmp_path / "all" / "00_ingest" / "kept").to_pylist()
                    if r["url"] in kept}


def test_only_references_to_syllables_are_counted():
    from kopile.pipeline.ingest.prefilter import _HANGUL_REFERENCE

    def counted(ref: bytes) -> bool:
        return len(_HANGUL_REFERENCE.findall(ref)) == 1

    for cp in range(0x1000, 0x10000):
        syllable = 0xAC00 <= cp <= 0xD7A3
        assert counted(b"&#x%04x;" % cp) == counted(b"&#x%04X;" % cp) == syllable, hex(cp)
    for cp in range(10000, 100000):
        assert counted(b"&#%d;" % cp) == (44032 <= cp <= 55203), cp
    # As written in pages: 4 hex digits after a lower-case x, 5 decimal digits, a semicolon.
    assert not any(counted(r) for r in (b"&#XAC00;", b"&#xAC00", b"&#044032;", b"&#xAC000;", b"&#44032"))
    body = ("<p>" + "&#xAC00;&#44032;&#8217;&#12354;&#xD7A4;" * 5 + "</p>").encode()
    assert hangul_count(body) == (10, 10)
