"""Whole runs on Ray: layout, conservation, ids, determinism, resume after kill -9."""
import json
import shutil
import subprocess
import sys
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, kill_when, load_example, manifest_entries, output_bytes, read_dir, run_config
from kopile.pipeline.jobs.run import Runner
from kopile.pipeline.report import stage_table, text_removed_share

KOPILE = [sys.executable, "-m", "kopile.cli"]
SAMPLE = load_example("make_sample")


@pytest.fixture(scope="module")
def sample_run(ray_session, sample_dir, tmp_path_factory):
    """The default: normalize, langid and quality in one pass, one kept copy."""
    out = tmp_path_factory.mktemp("sample-run")
    summary = Runner(run_config(sample_dir, out), progress=False).run()
    return out, summary


@pytest.fixture(scope="module")
def materialized_run(sample_dir, tmp_path_factory):
    """The same run with `materialize: all`: each stage its own pass and kept copy."""
    from kopile.pipeline.jobs.executor import LocalExecutor

    out = tmp_path_factory.mktemp("materialized-run")
    summary = Runner(run_config(sample_dir, out, materialize="all"), progress=False).run(LocalExecutor())
    return out, summary


def stage_kept(out, run: dict, index: int, name: str) -> pq.ParquetFile:
    """What stage `index` kept of shard `name`: its own kept file, or, inside a pass, what the
    pass's later stages kept and removed (they rewrite no text)."""
    stage = run["stages"][index]
    if (out / stage["dir"] / "kept" / name).is_file():
        return pq.read_table(out / stage["dir"] / "kept" / name)
    later = [s["dir"] for s in run["stages"][index + 1:] if s.get("pass") == stage["pass"]]
    tables = [pq.read_table(out / later[-1] / "kept" / name)] + [pq.read_table(out / d / "removed" / name)
                                                                 for d in later]
    return pa.concat_tables([t.select(["id", "text"]) for t in tables])


@pytest.mark.parametrize("which", ["passes", "all"])
def test_run_layout_and_figures(sample_run, materialized_run, which):
    out, summary = sample_run if which == "passes" else materialized_run
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "ok" and run["seed"] == 0 and "ray" in run["versions"]
    assert [s["dir"] for s in run["stages"]] == ["01_normalize", "02_langid", "03_quality"]
    fused = which == "passes"
    assert [s.get("pass") for s in run["stages"]] == (["01_normalize..03_quality"] * 3 if fused else [None] * 3)
    for index, stage in enumerate(run["stages"]):
        manifest = json.loads((out / stage["dir"] / "_manifest.json").read_text())
        assert sorted(manifest["shards"]) == [f"part-0000{i}.parquet" for i in range(4)]
        writes_kept = not fused or index == 2
        assert (out / stage["dir"] / "kept").is_dir() == writes_kept
        for name, entry in manifest["shards"].items():
            assert entry["status"] == "ok"
            assert entry["rows_in"] == entry["kept"] + entry["removed"]
            if writes_kept:
                assert pq.read_metadata(out / stage["dir"] / "kept" / name).num_rows == entry["kept"]
            else:
                assert entry["kept_in"] == "03_quality" and entry["file_bytes_kept"] == 0
            assert stage_kept(out, run, index, name).num_rows == entry["kept"]
            assert pq.read_metadata(out / stage["dir"] / "removed" / name).num_rows == entry["removed"]
            assert sum(entry["removed_by_reason"].values()) == entry["removed"]
            # A pass reads its shard once: only its first stage reads a file.
            assert entry["seconds"] >= 0 and (entry["file_bytes_in"] > 0) == (not fused or index == 0)
            # Text accounting: UTF-8 bytes of the text column, as written.
            kept_text = stage_kept(out, run, index, name).column("text").to_pylist()
            removed = pq.read_table(out / stage["dir"] / "removed" / name)
            assert entry["text_bytes_kept"] == sum(len(t.encode()) for t in kept_text if t)
            assert entry["text_bytes_removed"] == sum(len(t.encode()) for t in removed.column("text").to_pylist() if t)
            assert entry["text_bytes_in"] == (entry["text_bytes_kept"] + entry["text_bytes_removed"]
                                              + entry["text_bytes_rewritten"])
            by_reason = {}
            for t, r in zip(removed.column("text").to_pylist(), removed.column("reason").to_pylist()):
                by_reason[r] = by_reason.get(r, 0) + len((t or "").encode())
            assert entry["text_bytes_removed_by_reason"] == dict(sorted(by_reason.items()))
    # Normalisation rewrote at least the repairable mojibake documents; filters rewrite nothing.
    assert run["stages"][0]["rewritten"] >= SAMPLE.N_MOJI and run["stages"][2]["rewritten"] == 0
    # Each stage reads exactly what the previous one kept, documents and text; filters cut no text.
    for before, after in zip(run["stages"], run["stages"][1:]):
        assert after["rows_in"] == before["kept"] and after["text_bytes_in"] == before["text_bytes_kept"]
    assert run["stages"][2]["text_bytes_rewritten"] == 0 and run["stages"][0]["text_bytes_rewritten"] != 0
    table = stage_table(run)
    assert "text removed" in table and f"{100 * text_removed_share(run['stages'][2]):.1f}%" in table


def test_fused_pass_writes_what_materialized_stages_write(sample_run, materialized_run):
    """One pass with one kept copy gives byte-identical kept shards and removed rows, and the
    same figures, as a pass and a kept copy per stage; it writes less."""
    (fused, f_summary), (materialized, m_summary) = sample_run, materialized_run
    f_files, m_files = output_bytes(fused), output_bytes(materialized)
    intermediate = {k for k in m_files if k.split("/")[0] in ("01_normalize", "02_langid") and "/kept/" in k}
    assert len(intermediate) == 8 and not intermediate & set(f_files)
    assert f_files == {k: v for k, v in m_files.items() if k not in intermediate}
    timing = ("seconds", "wall_seconds", "task_seconds", "file_bytes_in", "file_bytes_kept", "pass", "started_at",
              "finished_at")
    for f, m in zip(f_summary["stages"], m_summary["stages"]):
        assert {k: v for k, v in f.items() if k not in timing} == {k: v for k, v in m.items() if k not in timing}
    written = [sum(s["file_bytes_kept"] + s["file_bytes_removed"] for s in x["stages"]) for x in (f_summary, m_summary)]
    assert written[0] < written[1]


def test_every_document_is_accounted_for(sample_run, sample_dir):
    out, summary = sample_run
    n_in = sum(pq.read_metadata(p).num_rows for p in sample_dir.glob("*.parquet"))
    ids = list(read_dir(out / "03_quality" / "kept").column("id").to_pylist())
    for stage in ("01_normalize", "02_langid", "03_quality"):
        removed = read_dir(out / stage / "removed")
        assert removed.column("reason").null_count == 0
        ids += removed.column("id").to_pylist()
    assert len(ids) == n_in and len(set(ids)) == n_in


def test_sample_corpus_decisions(sample_run):
    out, _ = sample_run
    kept = Counter(read_dir(out / "03_quality" / "kept").column("sample_kind").to_pylist())
    removed = Counter()
    for stage in ("01_normalize", "02_langid", "03_quality"):
        table = read_dir(out / stage / "removed")
        removed.update(zip(table.column("sample_kind").to_pylist(), table.column("reason").to_pylist()))
    gone = Counter()
    for (kind, _), n in removed.items():
        gone[kind] += n
    # Clean prose survives; spam, foreign text, jamo spam and repetition do not.
    assert kept["clean"] >= 0.97 * SAMPLE.N_CLEAN and kept["clean_pii"] >= 0.97 * SAMPLE.N_PII
    for kind in ("spam_gambling", "jamo_spam", "foreign_en", "foreign_ja", "foreign_zh", "repetitive"):
        assert kept[kind] == 0, (kind, kept[kind])
    assert removed[("foreign_en", "wrong_language")] == SAMPLE.N_FOREIGN
    assert removed[("spam_gambling", "spam_lexicon")] >= 0.9 * SAMPLE.N_SPAM
    assert removed[("bad_row", "null_text")] >= 1 and removed[("bad_row", "empty_text")] >= 1
    assert kept["nav_only"] <= 3


def test_columns_pass_through_and_scores_are_added(sample_run, sample_dir):
    out, _ = sample_run
    source = pq.read_table(sample_dir / "part-00000.parquet")
    kept = pq.read_table(out / "03_quality" / "kept" / "part-00000.parquet")
    for name in source.schema.names:
        assert name in kept.schema.names
    assert {"id", "langid_lang", "langid_lang_score", "quality_hangul_ratio", "quality_n_words",
            "quality_dup_line_frac"} <= set(kept.schema.names)
    assert kept.column("quality_n_words").null_count == 0
    # The other columns of a kept row are those of its input row.
    by_url = {r["url"]: r for r in source.to_pylist()}
    for row in kept.slice(0, 50).to_pylist():
        assert row["source"] == by_url[row["url"]]["source"]


def test_ids_are_stable_and_existing_ids_kept(ray_session, tmp_path):
    from conftest import write_shard

    write_shard(tmp_path / "in" / "a.parquet", ["첫 문서", "둘째 문서", "셋째"], id=["x1", None, "x3"])
    write_shard(tmp_path / "in" / "b.parquet", ["넷째 문서"])
    stages = [{"normalize": {}}]
    ids = []
    for out in ("o1", "o2"):
        Runner(run_config(tmp_path / "in", tmp_path / out, stages), progress=False).run()
        ids.append(read_dir(tmp_path / out / "01_normalize" / "kept").column("id").to_pylist())
    assert ids[0] == ids[1]
    assert ids[0][0] == "x1" and ids[0][2] == "x3"
    assert len(set(ids[0])) == 4 and all(len(i) for i in ids[0])


def test_one_and_two_workers_give_identical_files(sample_run, sample_dir, tmp_path):
    two_workers, _ = sample_run
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"input: {sample_dir}\noutput: {tmp_path / 'one'}\n"
                   "stages:\n  - normalize: {}\n  - langid: {}\n  - quality: {}\n")
    result = subprocess.run([*KOPILE, "run", str(cfg), "--num-cpus", "1"], capture_output=True, text=True,
                            cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "03_quality" in result.stdout and "removed by reason" in result.stdout
    assert output_bytes(tmp_path / "one") == output_bytes(two_workers)


def test_the_local_executor_gives_the_files_of_ray(sample_run, sample_dir, tmp_path):
    from kopile.pipeline.jobs.executor import LocalExecutor

    ray_run, _ = sample_run
    Runner(run_config(sample_dir, tmp_path / "local"), progress=False).run(LocalExecutor())
    assert output_bytes(tmp_path / "local") == output_bytes(ray_run)


def test_resume_after_kill_gives_identical_files(ray_session, tmp_path):
    load_example("make_sample").generate(tmp_path / "in", seed=3, n_shards=12)
    stages = "stages:\n  - normalize: {}\n  - langid: {}\n  - quality: {}\n"
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"input: {tmp_path / 'in'}\noutput: {tmp_path / 'killed'}\n{stages}")
    manifest = tmp_path / "killed" / "03_quality" / "_manifest.json"  # the pass's commit record
    kill_when([*KOPILE, "run", str(cfg), "--num-cpus", "1"], lambda: manifest_entries(manifest, "shards") >= 3)
    assert json.loads((tmp_path / "killed" / "run.json").read_text())["status"] == "running"
    done = len(json.loads(manifest.read_text())["shards"])
    assert done < 12

    resumed = subprocess.run([*KOPILE, "run", str(cfg), "--num-cpus", "1"], cwd=ROOT, capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    run = json.loads((tmp_path / "killed" / "run.json").read_text())
    assert run["status"] == "ok" and run["resumed"]
    assert [s["shards_resumed"] for s in run["stages"]] == [done] * 3

    Runner(run_config(tmp_path / "in", tmp_path / "clean"), progress=False).run()
    assert output_bytes(tmp_path / "killed") == output_bytes(tmp_path / "clean")
    assert not list((tmp_path / "killed").rglob(".*.tmp-*"))


def test_a_changed_threshold_reruns_from_that_stage_only(materialized_run, sample_dir, tmp_path):
    """Re-running into the same output after changing a quality threshold, each stage
    materialized: normalize and langid are reused untouched, quality runs again, the message
    names the parameter; decided before Ray starts (the executor is only asked for the stages
    that run)."""
    from kopile.pipeline.jobs.executor import LocalExecutor

    first, _ = materialized_run
    out = tmp_path / "out"
    shutil.copytree(first, out)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()
              and p.relative_to(out).parts[0] in ("01_normalize", "02_langid")}
    messages = []
    stages = [{"normalize": {}}, {"langid": {}}, {"quality": {"characters": {"min_hangul_ratio": 0.5}}}]
    summary = Runner(run_config(sample_dir, out, stages, materialize="all"), progress=False,
                     log=messages.append).run(LocalExecutor())
    assert any("03_quality" in m and "quality.characters.min_hangul_ratio 0.3 -> 0.5" in m for m in messages)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before}
    assert after == before  # the earlier stages' files were not rewritten
    assert [s["shards_resumed"] for s in summary["stages"]] == [4, 4, 0]
    fresh = tmp_path / "fresh"
    Runner(run_config(sample_dir, fresh, stages, materialize="all"), progress=False).run(LocalExecutor())
    assert output_bytes(out) == output_bytes(fresh)
    assert summary["stages"][2]["kept"] >= 0 and json.loads((out / "final" / "_manifest.json").read_text())["rows"] == \
        summary["stages"][2]["kept"]


def test_a_changed_stage_inside_a_pass_reruns_the_whole_pass(sample_run, sample_dir, tmp_path):
    """Fused, the stages before the changed one in its pass have no kept copy to restart from:
    the message says they run again, and their folders go."""
    out = tmp_path / "out"
    shutil.copytree(sample_run[0], out)
    messages = []
    stages = [{"normalize": {}}, {"langid": {"min_score": 0.7}}, {"quality": {}}]
    Runner(run_config(sample_dir, out, stages), progress=False, log=messages.append).prepare()
    assert any(m.startswith("02_langid: changed: langid.min_score 0.65 -> 0.7") and "01_normalize run(s) again" in m
               for m in messages), messages
    assert not any((out / d).exists() for d in ("01_normalize", "02_langid", "03_quality"))


def test_final_output_and_run_directories_as_input(sample_run, tmp_path):
    from kopile.core import io
    from kopile.core.errors import InputError

    out, summary = sample_run
    manifest = json.loads((out / "final" / "_manifest.json").read_text())
    kept = sorted(p.name for p in (out / "03_quality" / "kept").glob("*.parquet"))
    assert manifest["stage"] == summary["final"]["stage"] == "03_quality"
    assert sorted(manifest["shards"]) == sorted(p.name for p in (out / "final" / "kept").iterdir()) == kept
    for name in kept:
        assert (out / "final" / "kept" / name).read_bytes() == (out / "03_quality" / "kept" / name).read_bytes()
    assert manifest["rows"] == summary["final"]["rows"] == summary["stages"][-1]["kept"]
    assert sum(e["text_bytes"] for e in manifest["shards"].values()) == summary["stages"][-1]["text_bytes_kept"]
    # A run directory is read through final/; a stage folder through kept/ only, never removed/.
    assert [p for _, p in io.list_shards(str(out))] == [out / "final" / "kept" / n for n in kept]
    assert all(p.parent.name == "kept" for _, p in io.list_shards(str(out / "03_quality")))
    with pytest.raises(InputError, match="ran in one pass with the stages up to 03_quality.*materialize: all"):
        io.list_shards(str(out / "02_langid"))  # fused: it wrote no kept copy
    again = Runner(run_config(out, tmp_path / "again", [{"normalize": {}}]), progress=False).run()
    assert again["stages"][0]["rows_in"] == manifest["rows"]
    # A run that did not finish has no final/, and says so.
    unfinished = tmp_path / "unfinished"
    (unfinished / "01_normalize" / "kept").mkdir(parents=True)
    (unfinished / "run.json").write_text('{"status": "running"}')
    with pytest.raises(InputError, match="without final/"):
        io.list_shards(str(unfinished))
