"""The same run on an existing Ray cluster, joined by address, gives the same files."""
import json
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
from kopile.pipeline.jobs.executor import LocalExecutor
from kopile.pipeline.jobs.run import Runner

RAY = Path(sys.executable).with_name("ray")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
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


# `ray start --address=127.0.0.1:…` on a second node joins the machine's own address instead
# (Ray takes 127.0.0.1 for "this machine" and looks its address up), where a head started on
# 127.0.0.1 does not listen. Other loopback addresses are taken as given: the nodes reach each
# other on loopback, and their tasks can be told apart by address. (Ray then listens on every
# interface, as on any cluster; the token guards it.)
HEAD_IP, WORKER_IP = "127.0.0.2", "127.0.0.3"


def can_bind(host: str) -> bool:
    try:
        free_port(host)
        return True
    except OSError:
        return False


# Ray refuses a second node on Windows and macOS, and macOS has no 127.0.0.2.
two_nodes = pytest.mark.skipif(sys.platform != "linux" or not (can_bind(HEAD_IP) and can_bind(WORKER_IP)),
                               reason="two Ray nodes on one machine need Linux and loopback 127.0.0.2-3")


def driver(address: str, code: str) -> list[str]:
    """A command that runs `code` in a driver of its own joined to the cluster (this process
    stays out of Ray)."""
    return [sys.executable, "-c", f"import ray, sys\nray.init(address=sys.argv[1], logging_level='ERROR')\n{code}",
            address]


def stop_node(proc: subprocess.Popen) -> None:
    # SIGTERM to `ray start` alone: it drains its node and stops the node's processes in order
    # (a whole-group SIGTERM takes the GCS first, and the head then waits for it in vain).
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever of its group outlived it
    except ProcessLookupError:
        pass
    proc.wait()


@pytest.fixture
def two_node_cluster(tmp_path):
    """A head node and a second node joining it, one CPU each, on loopback, each in a process
    group of its own with the cluster's auth token; both (and only they) stopped afterwards."""
    port = free_port(HEAD_IP)
    address = f"{HEAD_IP}:{port}"
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    nodes, logs = [], [tmp_path / "head.log", tmp_path / "worker.log", tmp_path / "probe.log"]

    def start(log, *args):
        with open(log, "w") as out:
            # Tasks exchange file paths, not data: a small object store is enough.
            nodes.append(subprocess.Popen([str(RAY), "start", *args, "--num-cpus=1",
                                           f"--object-store-memory={2**28}", "--disable-usage-stats", "--block"],
                                          env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))

    def listening():
        with socket.socket() as s:
            return s.connect_ex((HEAD_IP, port)) == 0

    def wait(done, what, seconds=90):
        deadline = time.time() + seconds
        while not done():
            if time.time() > deadline or any(proc.poll() is not None for proc in nodes):
                fail(f"{what} within {seconds} s")
            time.sleep(0.2)

    def fail(what):
        tails = "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in logs if log.exists())
        pytest.fail(f"{what} (node exit codes: {[proc.poll() for proc in nodes]})\n{tails}")

    try:
        start(logs[0], "--head", f"--node-ip-address={HEAD_IP}", f"--port={port}", "--include-dashboard=false")
        wait(listening, "the head node did not listen")
        start(logs[1], f"--address={address}", f"--node-ip-address={WORKER_IP}")
        with open(logs[2], "w") as out:
            probe = subprocess.Popen(driver(address, "import time\nwhile sum(n['Alive'] for n in ray.nodes()) < 2:"
                                                     "\n    time.sleep(0.2)"),
                                     env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait(lambda: probe.poll() is not None, "the cluster did not report 2 alive nodes")
        finally:
            probe.kill()
            probe.wait()
        if probe.returncode != 0:
            fail("the cluster could not be joined to count its nodes")
        yield address, env
    finally:
        for proc in reversed(nodes):
            stop_node(proc)


@two_nodes
def test_run_on_two_nodes_matches_local_run_and_uses_both(two_node_cluster, sample_dir, tmp_path):
    """The same files as a local run, a global stage included, with tasks run on both nodes."""
    address, env = two_node_cluster
    stages = [{"normalize": {}}, {"langid": {}}, {"exact_dedup": {}}]
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"input: {sample_dir}\noutput: {tmp_path / 'cluster'}\n"
                   "stages:\n  - normalize: {}\n  - langid: {}\n  - exact_dedup: {}\n")
    result = subprocess.run([sys.executable, "-m", "kopile.cli", "run", str(cfg), "--ray-address", address],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "03_exact_dedup" in result.stdout

    Runner(run_config(sample_dir, tmp_path / "local", stages), progress=False).run(LocalExecutor())
    assert output_bytes(tmp_path / "cluster") == output_bytes(tmp_path / "local")

    # Ray's own record of each task's execution, by node address (kept by the head's GCS after
    # the driver is gone); this cluster ran nothing else.
    count = subprocess.run(driver(address, "import collections, json\nprint(json.dumps(collections.Counter("
                                  "e['pid'] for e in ray.timeline() if e['cat'] == 'task:execute')))"),
                           env=env, capture_output=True, text=True, timeout=120)
    assert count.returncode == 0, count.stderr[-3000:]
    executed = json.loads(count.stdout)
    assert set(executed) == {HEAD_IP, WORKER_IP}, executed


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
