"""`kopile report` and `kopile inspect` on a run: the report's numbers are the manifests'."""
import json
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from conftest import ROOT, run_config
from kopile.pipeline.jobs.executor import LocalExecutor
from kopile.pipeline.jobs.run import Runner

pytest.importorskip("matplotlib")


class Tables(HTMLParser):
    """Every <table id=...> as a list of rows of cell texts; <img> sources; <pre id=config>."""

    def __init__(self):
        super().__init__()
        self.tables, self.images, self.pre = {}, [], {}
        self._table = self._row = self._cell = self._pre = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""
        elif tag == "img":
            self.images.append(attrs["src"])
        elif tag == "pre" and attrs.get("id"):
            self._pre = attrs["id"]
            self.pre[self._pre] = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "pre":
            self._pre = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._pre is not None:
            self.pre[self._pre] += data


def number(cell: str) -> int:
    return int(cell.replace(",", ""))


@pytest.fixture(scope="module")
def run_dir(sample_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "run"
    stages = [{"normalize": {}}, {"langid": {}}, {"quality": {}}, {"exact_dedup": {}}]
    # Two of the sample's four shards: every kind of document, half the time.
    Runner(run_config(f"{sample_dir}/part-0000[01].parquet", out, stages), progress=False).run(LocalExecutor())
    return out


@pytest.fixture(scope="module")
def report(run_dir):
    from kopile.pipeline.run_report import build

    return build(run_dir, samples=20, max_chars=120)


def test_report_numbers_equal_the_manifests(run_dir, report):
    path = report
    page = Tables()
    page.feed(path.read_text(encoding="utf-8"))
    funnel = page.tables["funnel"]
    assert funnel[0][:4] == ["stage", "docs in", "kept", "removed"]
    run = json.loads((run_dir / "run.json").read_text())
    assert [row[0] for row in funnel[1:]] == [s["dir"] for s in run["stages"]]
    for row, stage in zip(funnel[1:], run["stages"]):
        entries = json.loads((run_dir / stage["dir"] / "_manifest.json").read_text())["shards"].values()
        for column, key in ((1, "rows_in"), (2, "kept"), (3, "removed"), (4, "rewritten"), (5, "text_bytes_in"),
                            (6, "text_bytes_kept"), (7, "text_bytes_removed"), (8, "text_bytes_rewritten")):
            assert number(row[column]) == sum(e[key] for e in entries), (stage["dir"], key)
        reasons = {}
        for e in entries:
            for r, n in e["removed_by_reason"].items():
                reasons[r] = reasons.get(r, 0) + n
        table = page.tables.get(f"reasons-{stage['dir']}", [["header"]])[1:]
        assert {r[0]: number(r[1]) for r in table} == reasons
    # Exact duplicates: cluster sizes add up to the removed documents plus one kept per cluster.
    clusters = page.tables["clusters-04_exact_dedup"][1:]
    assert sum(number(r[2]) - number(r[1]) for r in clusters) == run["stages"][3]["removed"]
    # Sources and domains of the input, score histograms with thresholds, the effective config.
    sources = {r[0]: number(r[1]) for r in page.tables["sources"][1:]}
    assert sum(sources.values()) == run["stages"][0]["rows_in"]
    assert page.tables["domains"][1:] and all(number(r[1]) >= number(r[2]) for r in page.tables["domains"][1:])
    assert json.loads(page.pre["config"]) == run["config"]
    # A figure per stage's scores (and the funnel, the clusters), embedded and written as PNG.
    assert len(page.images) == 5 and all(src.startswith("data:image/png;base64,") for src in page.images)
    assert sorted(p.name for p in (run_dir / "report").iterdir()) == [
        "clusters_04_exact_dedup.png", "funnel.png", "scores_01_normalize.png", "scores_02_langid.png",
        "scores_03_quality.png"]
    marks = {r[0]: (r[1], r[2]) for r in page.tables["thresholds-03_quality"][1:]}
    assert marks["quality_hangul_ratio"] == ("characters.min_hangul_ratio", "0.3") and len(marks) >= 25


def test_thresholds_are_found_by_name():
    from kopile.pipeline.run_report import thresholds

    params = {"characters": {"min_hangul_ratio": 0.3, "max_jamo_ratio": 0.25}, "words": {"min_words": None}}
    assert thresholds("hangul_ratio", params) == [("characters.min_hangul_ratio", 0.3)]
    assert thresholds("jamo_ratio", params) == [("characters.max_jamo_ratio", 0.25)]
    assert thresholds("words", params) == []


def test_samples_are_redacted_and_cut_short(report):
    text = report.read_text(encoding="utf-8")
    # The sample corpus puts phone numbers and e-mails in documents that quality removes.
    assert "010-" not in text and "@example" not in text
    assert "…" in text


def test_inspect_shows_removed_documents_with_scores(run_dir):
    from kopile.core.errors import InputError
    from kopile.pipeline.inspect import show

    lines = []
    assert show(run_dir, "quality", "jamo_spam", n=2, out=lines.append) == 2
    assert lines[0].startswith("03_quality: 2 of ") and "(jamo_spam)" in lines[0]
    assert any("reason jamo_spam" in line for line in lines) and any("jamo_ratio=" in line for line in lines)
    assert show(run_dir, "3", kept=True, n=1, out=lines.append) == 1
    with pytest.raises(InputError, match="its reasons are"):
        show(run_dir, "quality", "no_such_reason", out=lines.append)
    with pytest.raises(InputError, match="no stage 'pii'"):
        show(run_dir, "pii", out=lines.append)
    result = subprocess.run([sys.executable, "-m", "kopile.cli", "inspect", str(run_dir), "--stage", "02_langid", "-n", "1"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.startswith("02_langid: 1 of ")
