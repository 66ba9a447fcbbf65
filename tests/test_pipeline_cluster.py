"""The same run on an existing Ray cluster, joined by address, gives the same files."""
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, output_bytes, run_config
from kopile.pipeline.jobs.run import Runner

RAY = Path(sys.executable).with_name("ray")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def loopback_cluster(tmp_path_factory):
    """`ray start --head` on 127.0.0.1 with its own auth token; stopped (and only it) afterwards."""
    tmp_path = tmp_path_factory.mktemp("cluster")
    port = free_port()
    env = {**os.environ,
           # Ray's client rewrites 127.0.0.1 to the machine's address unless told the cluster
           # is single-host; this keeps every connection on loopback.
           "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
           "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    head = subprocess.Popen([str(RAY), "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}",
                             "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats", "--block"],
                            env=env, stdout=open(tmp_path / "head.log", "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    address = f"127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert head.poll() is None, (tmp_path / "head.log").read_text()
        time.sleep(0.2)
    try:
        yield address, env
    finally:
        os.killpg(head.pid, signal.SIGTERM)  # --block stops the node's processes on SIGTERM
        try:
            head.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)


def test_run_on_existing_cluster_matches_local_run(ray_session, loopback_cluster, sample_dir, tmp_path):
    address, env = loopback_cluster
    stages = "stages:\n  - normalize: {}\n  - langid: {}\n  - quality: {}\n"
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"input: {sample_dir}\noutput: {tmp_path / 'cluster'}\n{stages}")
    result = subprocess.run([sys.executable, "-m", "kopile.cli", "run", str(cfg), "--ray-address", address],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "03_quality" in result.stdout

    Runner(run_config(sample_dir, tmp_path / "local"), progress=False).run()
    assert output_bytes(tmp_path / "cluster") == output_bytes(tmp_path / "local")


def test_unreachable_cluster_is_a_clear_error(tmp_path):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"input: {tmp_path / 'in'}\noutput: {tmp_path / 'out'}\nstages:\n  - normalize: {{}}\n")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.parquet").write_bytes(b"")
    result = subprocess.run([sys.executable, "-m", "kopile.cli", "run", str(cfg), "--ray-address",
                             f"127.0.0.1:{free_port()}"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "cannot start or join the Ray cluster at 127.0.0.1:" in result.stderr
    assert "no Ray cluster answers" in result.stderr


def test_a_cluster_that_needs_a_token_names_the_variables(loopback_cluster, sample_dir, tmp_path):
    address, env = loopback_cluster
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"input: {sample_dir}\noutput: {tmp_path / 'out'}\nstages:\n  - normalize: {{}}\n")
    env = {k: v for k, v in env.items() if k not in ("RAY_AUTH_TOKEN", "RAY_AUTH_MODE")}
    result = subprocess.run([sys.executable, "-m", "kopile.cli", "run", str(cfg), "--ray-address", address],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"kopile: cannot start or join the Ray cluster at {address}")
    assert "RAY_AUTH_MODE=token" in last and "RAY_AUTH_TOKEN" in last


def test_auto_with_a_stale_cluster_address_fails_fast(tmp_path):
    """`--ray-address auto` reads RAY_ADDRESS, or the file an earlier `ray start` left behind;
    a cluster that is gone is an error in seconds that says where the address came from, not
    ten minutes of retries."""
    import time

    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"input: {tmp_path / 'in'}\noutput: {tmp_path / 'out'}\nstages:\n  - normalize: {{}}\n")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.parquet").write_bytes(b"")
    stale = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "kopile.cli", "run", str(cfg), "--ray-address", "auto"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "RAY_ADDRESS": stale})
    assert time.monotonic() - started < 60
    assert result.returncode == 1 and "Traceback" not in result.stderr
    # Ray writes the loopback address as the host's own.
    assert "no Ray cluster answers at " in result.stderr and f":{stale.rsplit(':', 1)[1]} (from RAY_ADDRESS)" in result.stderr
    assert "RAY_AUTH_TOKEN" not in result.stderr  # nothing listens: no token would help
