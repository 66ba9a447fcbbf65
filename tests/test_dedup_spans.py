"""Cross-document repeated spans: boilerplate lines and sentence spans cut, documents kept."""
import pytest

from conftest import output_bytes, read_dir, run_config, write_shard
from kopile.filters.dedup import ExactKey
from kopile.pipeline.dedup.spans import Segmenter
from kopile.pipeline.jobs.run import Runner

FOOTER = "이 사이트의 모든 콘텐츠는 저작권법의 보호를 받습니다. 무단 전재 금지"
COOKIE = "본 웹사이트는 서비스 개선을 위해 쿠키를 사용합니다"


@pytest.mark.parametrize("unit, text, expected", [
    ("line", "첫 줄\n둘째 줄\n\n셋째 줄", ["첫 줄\n", "둘째 줄\n\n", "셋째 줄"]),
    ("sentence", "오늘은 맑다. 내일은 비가 온다! 정말요?\n새 줄", ["오늘은 맑다. ", "내일은 비가 온다! ", "정말요?\n", "새 줄"]),
    ("sentence", "3.14는 원주율이다. \"그렇다.\" 끝", ["3.14는 원주율이다. ", "\"그렇다.\" ", "끝"]),
    ("line", "", []),
])
def test_segments_keep_every_character(unit, text, expected):
    segments = Segmenter(unit).segments(text)
    assert segments == expected and "".join(segments) == text


def test_short_spans_never_count():
    seg = Segmenter("line", min_chars=20, normalize=ExactKey().normalize)
    keys = seg.spans(seg.segments("감사합니다.\n" + FOOTER + "\n1."))
    assert [start for start, _ in keys] == [1]
    assert seg.spans(seg.segments(FOOTER.upper())) == seg.spans(seg.segments("  " + FOOTER.upper() + "  "))


def body(i: int) -> str:
    return f"{i}번째 글의 본문은 다른 글과 겹치지 않는 내용으로 채워져 있습니다. 글 번호 {i * 7919}."


@pytest.fixture
def site(tmp_path):
    """Nine pages of one site in three shards: each has its own body, most the same footer."""
    pages = {f"p{i}": f"{body(i)}\n{FOOTER}\n{COOKIE}" for i in range(8)}
    pages["only_footer"] = f"{FOOTER}\n{COOKIE}"
    pages["short"] = f"{body(99)}\n감사합니다.\n감사합니다."
    ids = sorted(pages, key=lambda k: (k != "p0", k))
    for s in range(3):
        part = ids[s::3]
        write_shard(tmp_path / "in" / f"s{s}.parquet", [pages[i] for i in part], id=part)
    return tmp_path / "in", pages


def _run(folder, out, **params):
    return Runner(run_config(folder, out, [{"ngram_repetition": params}]), progress=False).run()


def test_repeated_lines_are_cut_but_the_first_copy_stays(ray_session, site, tmp_path):
    folder, pages = site
    summary = _run(folder, tmp_path / "out")
    stage = summary["stages"][0]
    assert stage["rows_in"] == len(pages) == stage["kept"] + stage["removed"]
    kept = read_dir(tmp_path / "out" / "01_ngram_repetition" / "kept")
    removed = read_dir(tmp_path / "out" / "01_ngram_repetition" / "removed")
    texts = dict(zip(kept.column("id").to_pylist(), kept.column("text").to_pylist()))
    counts = dict(zip(kept.column("id").to_pylist(), kept.column("ngram_repetition_removed_spans").to_pylist()))
    first = min((k for k in pages if k.startswith("p")), key=lambda k: (k[1:] != "0", k))
    # The first page in shard order keeps its footer; every other page loses both lines.
    assert texts["p0"] == pages["p0"] and counts["p0"] == 0 and first == "p0"
    for i in range(1, 8):
        assert texts[f"p{i}"] == body(i) and counts[f"p{i}"] == 2
    assert texts["short"] == pages["short"]  # short lines repeat everywhere by nature: kept
    assert removed.column("id").to_pylist() == ["only_footer"]
    assert removed.column("reason").to_pylist() == ["all_spans_repeated"]
    assert stage["rewritten"] == 7


def test_keep_first_false_and_min_docs(ray_session, site, tmp_path):
    folder, pages = site
    _run(folder, tmp_path / "all", keep_first=False)
    kept = read_dir(tmp_path / "all" / "01_ngram_repetition" / "kept")
    assert dict(zip(kept.column("id").to_pylist(), kept.column("text").to_pylist()))["p0"] == body(0)
    _run(folder, tmp_path / "many", min_docs=10)
    assert read_dir(tmp_path / "many" / "01_ngram_repetition" / "removed").num_rows == 0


def test_three_sentence_spans(ray_session, tmp_path):
    shared = "첫째 문장은 여기에 있습니다. 둘째 문장도 이어집니다. 셋째 문장으로 끝납니다. "
    two = "첫째 문장은 여기에 있습니다. 둘째 문장도 이어집니다. "
    write_shard(tmp_path / "in" / "a.parquet", ["머리말입니다. " + shared + "꼬리말입니다.",
                                                "다른 머리말. " + shared + "다른 꼬리말.",
                                                "세 번째 글. " + two + "여기서 달라집니다."], id=["a", "b", "c"])
    _run(tmp_path / "in", tmp_path / "out", unit="sentence", span=3, min_chars=10)
    kept = read_dir(tmp_path / "out" / "01_ngram_repetition" / "kept")
    texts = dict(zip(kept.column("id").to_pylist(), kept.column("text").to_pylist()))
    assert texts["a"] == "머리말입니다. " + shared + "꼬리말입니다."
    assert texts["b"] == "다른 머리말. 다른 꼬리말."
    assert texts["c"].startswith("세 번째 글. " + two)  # two shared sentences are not a span of three


def test_workers_and_partitions_give_the_same_files(ray_session, site, tmp_path):
    folder, _ = site
    _run(folder, tmp_path / "a")
    _run(folder, tmp_path / "b", partitions=5)
    strip = lambda out: {k: v for k, v in output_bytes(out).items() if "/_work/" not in k}
    assert strip(tmp_path / "a") == strip(tmp_path / "b")
