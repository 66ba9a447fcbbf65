"""Bad input: each case handled by rule, named in the error, and no row lost."""
import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, read_dir, run_config, write_shard
from kopile.cli import main
from kopile.pipeline.config import StageSpec
from kopile.core.errors import RunFailed
from kopile.pipeline.jobs.run import Runner
from kopile.pipeline.jobs.stage import RunSettings, ShardTask, stage_task
from kopile.pipeline.stages import STAGES
from kopile.pipeline.stages.base import Stage, StageResult

PROSE = ("대한민국은 민주공화국이다. 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다. "
         "국가는 법률이 정하는 바에 의하여 재외국민을 보호할 의무를 진다. 대한민국의 영토는 한반도와 "
         "그 부속도서로 한다. 대한민국은 통일을 지향하며, 자유민주적 기본질서에 입각한 평화적 통일 정책을 "
         "수립하고 이를 추진한다. 국군은 국가의 안전보장과 국토방위의 신성한 의무를 수행함을 사명으로 한다.")


def invalid_utf8_table() -> pa.Table:
    raw = pa.array([PROSE.encode() + b" \xed\xa0\x80 \xff", PROSE.encode()], pa.binary())
    # A string column holding bytes that are not UTF-8, as some writers produce.
    return pa.table({"text": pa.Array.from_buffers(pa.string(), len(raw), raw.buffers())})


@pytest.fixture(scope="module")
def bad_run(ray_session, tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    src = root / "in"
    good = write_shard(src / "a_good.parquet", [PROSE, "짧은 글"])
    (src / "b_corrupt.parquet").write_bytes(b"PAR1 this is not parquet at all")
    data = good.read_bytes()
    (src / "c_truncated.parquet").write_bytes(data[: len(data) // 2])
    pq.write_table(pa.table({"body": ["본문"], "url": ["http://a.kr"]}), src / "d_no_text.parquet")
    write_shard(src / "e_messy.parquet", [
        None, "", "   \n\t ", "앞\x00뒤 " + PROSE, "제어\x07문자\x1b 와 \ufeff" + PROSE,
        "ＡＢＣ１２３ 전각 문자 " + PROSE, "가" * (50 * 1024 * 1024 // 3 + 10)])
    pq.write_table(invalid_utf8_table(), src / "f_invalid_utf8.parquet")
    out = root / "out"
    with pytest.raises(RunFailed) as failure:
        Runner(run_config(src, out, [{"normalize": {}}, {"langid": {}}]), progress=False).run()
    return out, failure.value


def test_unreadable_shards_are_named_and_the_rest_runs(bad_run):
    out, failure = bad_run
    joined = "\n".join(failure.errors)
    assert "b_corrupt.parquet" in joined and "c_truncated.parquet" in joined
    assert "d_no_text.parquet: no text column 'text'; the file has columns ['body', 'url']" in joined
    manifest = json.loads((out / "01_normalize" / "_manifest.json").read_text())["shards"]
    assert {n: e["status"] for n, e in manifest.items()} == {
        "a_good.parquet": "ok", "b_corrupt.parquet": "error", "c_truncated.parquet": "error",
        "d_no_text.parquet": "error", "e_messy.parquet": "ok", "f_invalid_utf8.parquet": "ok"}
    assert "cannot be read as Parquet" in manifest["b_corrupt.parquet"]["error"]
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "failed" and len(run["errors"]) == 3
    # Failed shards produce no partial output, and later stages skip them.
    assert not (out / "01_normalize" / "kept" / "b_corrupt.parquet").exists()
    # langid never saw them: its figures count the three good shards. Its manifest is the pass's
    # commit record, so it holds the failures too, naming the stage they failed in.
    good = ["a_good.parquet", "e_messy.parquet", "f_invalid_utf8.parquet"]
    assert run["stages"][1]["shards"] == 3 and run["stages"][1]["shards_failed"] == 0
    langid = json.loads((out / "02_langid" / "_manifest.json").read_text())["shards"]
    assert sorted(n for n, e in langid.items() if e["status"] == "ok") == good
    assert {n: e["failed_stage"] for n, e in langid.items() if e["status"] != "ok"} == {
        "b_corrupt.parquet": "normalize", "c_truncated.parquet": "normalize", "d_no_text.parquet": "normalize"}


def normalized(out, shard: str) -> list[str]:
    """The texts normalize kept of `shard`: it ran in one pass with langid, which kept or removed
    each of them (in their order, where langid removes none)."""
    tables = [pq.read_table(out / "02_langid" / folder / shard) for folder in ("kept", "removed")]
    return [t for table in tables for t in table.column("text").to_pylist()]


def test_messy_rows_are_repaired_or_removed_by_rule(bad_run):
    out, _ = bad_run
    kept = normalized(out, "e_messy.parquet")
    removed = pq.read_table(out / "01_normalize" / "removed" / "e_messy.parquet")
    assert removed.column("reason").to_pylist() == ["null_text", "empty_text", "empty_text", "too_long"]
    assert len(kept) == 3
    assert kept[0].startswith("앞뒤 ") and "\x00" not in kept[0]
    assert kept[1].startswith("제어문자 와 ") and "\x07" not in kept[1] and "\ufeff" not in kept[1]
    assert kept[2].startswith("ABC123 전각 문자 ")


def test_invalid_utf8_is_replaced_and_counted(bad_run):
    out, _ = bad_run
    entry = json.loads((out / "01_normalize" / "_manifest.json").read_text())["shards"]["f_invalid_utf8.parquet"]
    assert entry["repaired_utf8"] == 1 and entry["kept"] == 2
    text = normalized(out, "f_invalid_utf8.parquet")[0]
    assert "\ufffd" in text and text.startswith(PROSE)


def test_cli_exits_non_zero_with_a_summary_naming_the_file(ray_session, tmp_path, capsys):
    write_shard(tmp_path / "in" / "good.parquet", [PROSE])
    (tmp_path / "in" / "broken.parquet").write_bytes(b"garbage")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"input: {tmp_path / 'in'}\noutput: {tmp_path / 'out'}\nstages:\n  - normalize: {{}}\n")
    assert main(["run", str(cfg), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "1 shard(s) failed" in captured.err and "broken.parquet" in captured.err
    assert "01_normalize" in captured.out


class LossyStage(Stage):
    name = "lossy"

    def __call__(self, table):
        return StageResult(table.slice(1), table.slice(0, 0).append_column("reason", pa.array([], pa.string())))


def test_a_stage_that_loses_rows_fails_the_shard_as_a_bug(tmp_path, monkeypatch):
    monkeypatch.setitem(STAGES, "lossy", LossyStage)
    src = write_shard(tmp_path / "a.parquet", ["하나", "둘"])
    task = ShardTask("a.parquet", str(src), str(tmp_path / "k.parquet"), str(tmp_path / "r.parquet"), first_stage=True)
    entry = stage_task(StageSpec("lossy"), task, RunSettings(batch_rows=100))
    assert entry["status"] == "error" and entry["kind"] == "bug"
    assert "ConservationError" in entry["error"] and "2 rows in, 1 kept" in entry["error"]
    assert not (tmp_path / "k.parquet").exists() and not list(tmp_path.glob(".*tmp*"))


def test_repeated_ids_name_the_row(ray_session, tmp_path):
    write_shard(tmp_path / "in" / "dup.parquet", ["하나", "둘", "셋"], id=["a", "b", "a"])
    with pytest.raises(RunFailed) as failure:
        Runner(run_config(tmp_path / "in", tmp_path / "out", [{"normalize": {}}]), progress=False).run()
    assert "dup.parquet: row 2 repeats the id 'a'" in failure.value.errors[0]


def test_empty_shard_gives_empty_outputs(ray_session, tmp_path):
    write_shard(tmp_path / "in" / "empty.parquet", [])
    Runner(run_config(tmp_path / "in", tmp_path / "out", [{"normalize": {}}]), progress=False).run()
    assert pq.read_metadata(tmp_path / "out" / "01_normalize" / "kept" / "empty.parquet").num_rows == 0
    assert "reason" in pq.read_schema(tmp_path / "out" / "01_normalize" / "removed" / "empty.parquet").names


def test_missing_input_is_a_clear_error(tmp_path):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"input: {tmp_path / 'nowhere'}\noutput: {tmp_path / 'out'}\nstages:\n  - normalize: {{}}\n")
    result = subprocess.run([sys.executable, "-m", "kopile.cli", "run", str(cfg)], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1 and "nowhere" in result.stderr and "Traceback" not in result.stderr


def test_binary_text_column_is_decoded(ray_session, tmp_path):
    pq.write_table(pa.table({"text": pa.array([PROSE.encode(), None], pa.binary())}), tmp_path / "b.parquet")
    Runner(run_config(tmp_path / "b.parquet", tmp_path / "out", [{"normalize": {}}]), progress=False).run()
    kept = read_dir(tmp_path / "out" / "01_normalize" / "kept")
    assert kept.column("text").type == pa.string() and kept.column("text")[0].as_py() == PROSE
