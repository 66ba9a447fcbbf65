"""Exact deduplication across shards: first occurrence kept, the rest name it; resumable."""
import json
import shutil

import pyarrow.parquet as pq
import pytest

from conftest import decision_dir, output_bytes, read_dir, run_config, write_shard
from kopile.core.errors import RunFailed
from kopile.filters.dedup import ExactKey
from kopile.pipeline.jobs.run import Runner


@pytest.mark.parametrize("options, a, b, same", [
    ({}, "서울의 봄", "  서울의   봄 ", True),
    ({}, "Hello 세계", "hello 세계", True),
    ({"lowercase": False}, "Hello 세계", "hello 세계", False),
    ({}, "가격: 1,000원!", "가격 1000원", False),
    ({"punctuation": True}, "가격: 1,000원!", "가격 1 000원", True),
    ({"digits": True}, "2023년 3월", "2024년 5월", True),
    ({}, "\u1100\u1161", "가", True),  # NFC: conjoining jamo compose into 가
])
def test_exact_key_normalisation(options, a, b, same):
    keyer = ExactKey(**options)
    assert (keyer.key(a) == keyer.key(b)) is same


@pytest.fixture
def shards(tmp_path):
    write_shard(tmp_path / "in" / "a.parquet", ["첫 문서입니다.", "둘째 문서", "첫 문서입니다."], id=["a1", "a2", "a3"])
    write_shard(tmp_path / "in" / "b.parquet", ["셋째 문서", "둘째  문서", "넷째"], id=["b1", "b2", "b3"])
    write_shard(tmp_path / "in" / "c.parquet", ["첫 문서입니다.", "다섯째"], id=["c1", "c2"])
    return tmp_path / "in"


def test_duplicates_across_shards_name_the_kept_document(ray_session, shards, tmp_path):
    summary = Runner(run_config(shards, tmp_path / "out", [{"exact_dedup": {}}]), progress=False).run()
    kept = read_dir(tmp_path / "out" / "01_exact_dedup" / "kept")
    removed = read_dir(tmp_path / "out" / "01_exact_dedup" / "removed")
    assert kept.column("id").to_pylist() == ["a1", "a2", "b1", "b3", "c2"]
    assert dict(zip(removed.column("id").to_pylist(), removed.column("duplicate_of").to_pylist())) == {
        "a3": "a1", "b2": "a2", "c1": "a1"}
    assert set(removed.column("reason").to_pylist()) == {"exact_duplicate"}
    stage = summary["stages"][0]
    assert stage["rows_in"] == 8 and stage["kept"] + stage["removed"] == 8


def test_rerun_reuses_the_decision_and_gives_the_same_files(ray_session, shards, tmp_path):
    out = tmp_path / "out"
    Runner(run_config(shards, out, [{"normalize": {}}, {"exact_dedup": {}}], keep_work=True), progress=False).run()
    before = output_bytes(out)
    # A run killed after the decision but before shard b was split: its output and entry are gone.
    stage = out / "02_exact_dedup"
    (stage / "kept" / "b.parquet").unlink()
    manifest = json.loads((stage / "_manifest.json").read_text())
    del manifest["shards"]["b.parquet"]
    (stage / "_manifest.json").write_text(json.dumps(manifest))
    Runner(run_config(shards, out, [{"normalize": {}}, {"exact_dedup": {}}], keep_work=True), progress=False).run()
    assert output_bytes(out) == before
    assert pq.read_metadata(decision_dir(stage) / "decisions" / "b.parquet").num_rows == 1


def test_sample_corpus_exact_duplicates(ray_session, sample_dir, tmp_path):
    Runner(run_config(sample_dir, tmp_path / "out", [{"normalize": {}}, {"exact_dedup": {}}]), progress=False).run()
    removed = read_dir(tmp_path / "out" / "02_exact_dedup" / "removed")
    kept = read_dir(tmp_path / "out" / "02_exact_dedup" / "kept")
    texts = kept.column("text").to_pylist()
    assert len(texts) == len(set(ExactKey().key(t) for t in texts))
    # Every injected exact copy, or the original it copies, is gone: 64 pairs, one of each left.
    assert removed.num_rows >= 64
    kept_ids = set(kept.column("id").to_pylist())
    assert set(removed.column("duplicate_of").to_pylist()) <= kept_ids


def test_work_files_go_after_success_and_stay_after_a_failure(ray_session, shards, tmp_path):
    stages = [{"normalize": {}}, {"exact_dedup": {}}, {"minhash_dedup": {}}]
    out = tmp_path / "out"
    Runner(run_config(shards, out, stages), progress=False).run()
    before = output_bytes(out)
    assert not (out / "02_exact_dedup" / "_work").exists() and not (out / "03_minhash_dedup" / "_work").exists()
    # A finished run again: nothing is decided again (no work folder comes back), same files.
    Runner(run_config(shards, out, stages), progress=False).run()
    assert not (out / "03_minhash_dedup" / "_work").exists() and output_bytes(out) == before
    # An output lost after the work files went: the stage decides again, to the same result.
    (out / "03_minhash_dedup" / "kept" / "b.parquet").unlink()
    Runner(run_config(shards, out, stages), progress=False).run()
    assert output_bytes(out) == before
    # A shard that fails the keys step: the stage does not finish, its work stays for the re-run.
    bad = tmp_path / "bad"
    shutil.copytree(shards, bad)
    (bad / "c.parquet").write_bytes(b"PAR1 not parquet")
    with pytest.raises(RunFailed):
        Runner(run_config(bad, tmp_path / "failed", [{"exact_dedup": {}}]), progress=False).run()
    assert len(list((tmp_path / "failed" / "01_exact_dedup" / "_work").iterdir())) == 1
