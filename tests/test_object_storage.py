"""`kopile run` with its input, output and work files in an S3 bucket, on an S3-compatible server
that the tests start (moto's server mode, from its PyPI package): the same files as a local run,
a resume after kill -9 that trusts only what the manifests list, and no credentials recorded."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, kill_when, load_example, output_bytes, read_dir, run_config
from kopile.core import storage
from kopile.core.errors import InputError
from kopile.pipeline.jobs.executor import LocalExecutor
from kopile.pipeline.jobs.run import Runner

pytest.importorskip("moto.server")
BUCKET = "kopile-test"
KEY_ID, SECRET = "AKIAKOPILETESTKEY", "not-a-real-secret-b8f1e7c2"
KOPILE = [sys.executable, "-m", "kopile.cli"]
DEMO_STAGES = yaml.safe_load((ROOT / "examples" / "sample.yaml").read_text())["stages"]


class Bucket:
    def __init__(self, client, env: dict):
        self.client, self.env = client, env

    def upload(self, folder: Path, prefix: str, pattern: str = "*.parquet") -> str:
        for f in sorted(folder.glob(pattern)):
            self.client.upload_file(str(f), BUCKET, f"{prefix}/{f.name}")
        return f"s3://{BUCKET}/{prefix}"

    def keys(self, prefix: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix + "/")
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    def parquet(self, prefix: str) -> dict[str, bytes]:
        """Every Parquet output under `prefix`, by relative path, as `conftest.output_bytes`."""
        return {k[len(prefix) + 1:]: self.read(k) for k in self.keys(prefix) if k.endswith(".parquet")}

    def entries(self, key: str) -> int:
        try:
            return len(json.loads(self.read(key))["shards"])
        except self.client.exceptions.NoSuchKey:
            return 0


@pytest.fixture(scope="module")
def bucket():
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://{host}:{port}"}
    patch = pytest.MonkeyPatch()
    for key, value in env.items():
        patch.setenv(key, value)
    storage._FILESYSTEMS.clear()  # a cached client would still point at another server
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    yield Bucket(client, env)
    patch.undo()
    storage._FILESYSTEMS.clear()
    server.stop()


@pytest.fixture(autouse=True)
def nothing_written_to_a_local_folder_named_s3():
    """A path made with pathlib from a URI ("s3:/bucket/...") would write here, not to the bucket."""
    yield
    assert not Path("s3:").exists() and not (ROOT / "s3:").exists()


def test_demo_run_on_s3_writes_the_local_run_s_files(bucket, sample_dir, tmp_path):
    source = bucket.upload(sample_dir, "demo-in")
    summary = Runner(run_config(source, f"s3://{BUCKET}/demo-out", DEMO_STAGES), progress=False).run(LocalExecutor())
    Runner(run_config(sample_dir, tmp_path / "local", DEMO_STAGES), progress=False).run(LocalExecutor())
    local = output_bytes(tmp_path / "local")
    assert len(local) > 40 and bucket.parquet("demo-out") == local
    assert summary["final"]["rows"] == json.loads(bucket.read("demo-out/final/_manifest.json"))["rows"]
    # Global stages kept their work files in the bucket and removed them when done.
    assert not [k for k in bucket.keys("demo-out") if "/_work/" in k]
    # The run directory on S3 is an input, read through final/.
    from kopile.core import io

    assert [name for name, _ in io.list_shards(f"s3://{BUCKET}/demo-out")] == sorted(
        p.name for p in (tmp_path / "local" / "final" / "kept").iterdir())
    # No credential reaches what the run records.
    for key in bucket.keys("demo-out"):
        if key.endswith(".json"):
            text = bucket.read(key).decode()
            assert SECRET not in text and KEY_ID not in text


def test_kill_9_on_s3_then_resume_gives_the_local_run_s_files(bucket, tmp_path):
    load_example("make_sample").generate(tmp_path / "in", seed=3, n_shards=12)
    source = bucket.upload(tmp_path / "in", "kill-in")
    stages = [{"normalize": {}}, {"langid": {}}, {"quality": {}}, {"exact_dedup": {}}]
    cfg = tmp_path / "run.yaml"
    cfg.write_text(yaml.safe_dump({"input": source, "output": f"s3://{BUCKET}/killed", "stages": stages}))
    env = {**os.environ, **bucket.env}
    kill_when([*KOPILE, "run", str(cfg), "--num-cpus", "1"],
              lambda: bucket.entries("killed/03_quality/_manifest.json") >= 3, env=env)
    done = bucket.entries("killed/03_quality/_manifest.json")
    assert json.loads(bucket.read("killed/run.json"))["status"] == "running" and 3 <= done < 12

    resumed = subprocess.run([*KOPILE, "run", str(cfg), "--num-cpus", "1"], cwd=ROOT, capture_output=True,
                             text=True, timeout=300, env=env)
    assert resumed.returncode == 0, resumed.stderr
    run = json.loads(bucket.read("killed/run.json"))
    assert run["status"] == "ok" and run["stages"][0]["shards_resumed"] == done
    Runner(run_config(tmp_path / "in", tmp_path / "clean", stages), progress=False).run(LocalExecutor())
    assert bucket.parquet("killed") == output_bytes(tmp_path / "clean")


def test_credentials_in_a_uri_are_refused_and_a_missing_bucket_is_named(bucket, sample_dir, tmp_path):
    with pytest.raises(InputError, match="carries credentials"):
        storage.at(f"s3://key:{SECRET}@{BUCKET}/x")
    with pytest.raises(InputError, match="carries credentials") as refused:
        storage.at(f"s3://{BUCKET}/x?secret_key={SECRET}")
    assert SECRET not in str(refused.value)
    cfg = tmp_path / "run.yaml"
    cfg.write_text(yaml.safe_dump({"input": str(sample_dir), "output": "s3://no-such-bucket-here/out",
                                   "stages": [{"normalize": {}}]}))
    done = subprocess.run([*KOPILE, "run", str(cfg), "--local"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **bucket.env})
    assert done.returncode == 1 and "no-such-bucket-here" in done.stderr and "Traceback" not in done.stderr


def test_a_stage_that_needs_a_local_output_says_so(bucket, sample_dir):
    from kopile.core.errors import RunFailed

    with pytest.raises(RunFailed, match="train_tokenizer writes its tokenizer to a local folder"):
        Runner(run_config(sample_dir, f"s3://{BUCKET}/tokenizer-out", [{"train_tokenizer": {"vocab_size": 600}}]),
               progress=False).run(LocalExecutor())


def _tables(files: dict[str, bytes]) -> dict:
    import io as stdio

    import pyarrow.parquet as pq

    return {name: pq.read_table(stdio.BytesIO(data)) for name, data in files.items()}


def test_ingest_reads_dumps_from_s3_and_writes_shards_there(bucket, tmp_path):
    from test_ingest import dumps as make_dumps

    from kopile.pipeline.config import parse_ingest_config
    from kopile.pipeline.jobs.ingest import Ingester

    dumps = make_dumps.__wrapped__(tmp_path)
    source = bucket.upload(dumps, "dumps", "*.gz")

    def ingest(input, output):
        config = parse_ingest_config({"input": input, "output": output, "text_field": "content", "shard_mb": 0.001})
        return Ingester(config, progress=False).run(LocalExecutor())

    remote = ingest(source, f"s3://{BUCKET}/ingested")
    local = ingest(str(dumps), str(tmp_path / "ingested"))
    untimed = [{k: v for k, v in run["stages"][0].items() if not k.endswith("_seconds")} for run in (remote, local)]
    assert untimed[0] == untimed[1]
    # The same shards and rows; each row names the object it came from.
    there, here = _tables(bucket.parquet("ingested")), _tables(output_bytes(tmp_path / "ingested"))
    assert sorted(there) == sorted(here) and any("/kept/" in name for name in here)
    for name, table in there.items():
        sources = set(table.column("source").to_pylist())
        assert sources <= {f"{source}/posts.jsonl.gz", f"{source}/crawl-a.warc.gz"}, name
        assert table.drop_columns(["source"]) == here[name].drop_columns(["source"]), name
    # The ingest output on S3 is a run directory: its final/ shards are the next run's input.
    summary = Runner(run_config(f"s3://{BUCKET}/ingested", f"s3://{BUCKET}/ingested-run", [{"normalize": {}}]),
                     progress=False).run(LocalExecutor())
    assert summary["stages"][0]["rows_in"] == local["stages"][0]["kept"]
    # A re-run trusts the manifest: nothing is ingested again.
    again = ingest(source, f"s3://{BUCKET}/ingested")
    assert again["stages"][0]["shards_resumed"] == local["stages"][0]["shards"]


def test_an_ingest_input_object_that_cannot_be_read_is_named(bucket, tmp_path):
    from kopile.pipeline.config import parse_ingest_config
    from kopile.pipeline.jobs.ingest import Ingester

    bucket.client.put_object(Bucket=BUCKET, Key="bad-dumps/broken.jsonl.gz", Body=b"not gzip at all")
    config = parse_ingest_config({"input": f"s3://{BUCKET}/bad-dumps", "output": str(tmp_path / "out")})
    summary = Ingester(config, progress=False).run(LocalExecutor())
    removed = read_dir(tmp_path / "out" / "00_ingest" / "removed")
    assert summary["stages"][0]["removed"] == 1 and removed.column("source").to_pylist() == [
        f"s3://{BUCKET}/bad-dumps/broken.jsonl.gz"]
    with pytest.raises(InputError, match=f"s3://{BUCKET}/bad-dumps/gone.warc.gz"):
        Ingester(parse_ingest_config({"input": f"s3://{BUCKET}/bad-dumps/gone.warc.gz",
                                      "output": str(tmp_path / "out2")}), progress=False).run(LocalExecutor())


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_train_tokenizer_and_tokenize_read_and_write_s3(bucket, sample_dir, tmp_path):
    """The same tokenizer and the same token streams and exports as from local folders: shards,
    tokenizer and outputs in the bucket, the tokenizer read from it by every task."""
    from kopile.pipeline.jobs.pack import Packer
    from kopile.tokenizers_train.config import parse_pack_config, parse_tokenizer_config
    from kopile.tokenizers_train.run import train_tokenizer

    source = bucket.upload(sample_dir, "tok-in")
    settings = {"vocab_size": 900, "model": "sp_bpe"}
    remote = train_tokenizer(parse_tokenizer_config({"input": source, "output": f"s3://{BUCKET}/tok", **settings}))
    local = train_tokenizer(parse_tokenizer_config({"input": str(sample_dir), "output": str(tmp_path / "tok"),
                                                    **settings}))
    assert remote["files"] == local["files"] and remote["documents"] == local["documents"]
    for name in local["files"]:
        assert bucket.read(f"tok/{name}") == (tmp_path / "tok" / name).read_bytes(), name

    def pack(input, tokenizer, output):
        config = parse_pack_config({"input": input, "tokenizer": tokenizer, "output": output, "val_fraction": 0.1,
                                    "formats": ["kopile", "nanogpt"]})
        return Packer(config, progress=False).run(LocalExecutor())

    there = pack(source, f"s3://{BUCKET}/tok", f"s3://{BUCKET}/tokens")
    here = pack(str(sample_dir), str(tmp_path / "tok"), str(tmp_path / "tokens"))
    assert there["totals"] == here["totals"] and there["formats"]["nanogpt"]["train"]["tokens"] > 0
    files = _files(tmp_path / "tokens")
    streams = {k for k in files if k.endswith((".bin", ".idx", ".npy"))}
    assert any(k.startswith("nanogpt/") for k in streams) and any(k.startswith("train/") for k in streams)
    assert {k: bucket.read(f"tokens/{k}") for k in streams} == {k: files[k] for k in streams}
    # A re-run finds every shard's streams in the bucket and packs none again.
    again = pack(source, f"s3://{BUCKET}/tokens".replace("tokens", "tok"), f"s3://{BUCKET}/tokens")
    assert again["totals"] == here["totals"]
    assert json.loads(bucket.read("tokens/tokens.json"))["entries"].keys() == json.loads(
        (tmp_path / "tokens" / "tokens.json").read_text())["entries"].keys()


def test_commands_that_read_and_write_local_files_only_refuse_a_uri(tmp_path, capsys):
    from kopile.cli import main

    assert main(["generate", "s3://somewhere/model", "--prompt", "안녕"]) == 1
    assert "s3://somewhere/model: `kopile generate` reads and writes local files only" in capsys.readouterr().err
    assert main(["eval", str(tmp_path), "--tokens", "gs://bucket/tokens"]) == 1
    assert "tokens: gs://bucket/tokens" in capsys.readouterr().err
    cfg = tmp_path / "classifier.yaml"
    cfg.write_text(yaml.safe_dump({"output": str(tmp_path / "clf"),
                                   "positive": ["good"], "sources": [{"path": "s3://bucket/labelled", "label": "good"}]}))
    assert main(["train-classifier", str(cfg)]) == 2
    assert "sources: s3://bucket/labelled: `kopile train-classifier`" in capsys.readouterr().err
