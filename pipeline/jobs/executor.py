"""Where a job's tasks run: on Ray (the default: an embedded local Ray, or a cluster joined by
address), or in this process (`LocalExecutor`: the same jobs without Ray, for fast tests and
for debugging with a plain traceback). The only module that imports ray.

Tasks exchange file paths and small manifest entries, never data.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
from pathlib import Path
from typing import Callable, Iterable, Iterator


class LocalExecutor:
    """Runs every task in this process, one after another."""

    def as_completed(self, fn: Callable, jobs: Iterable[tuple[object, tuple]]) -> Iterator[tuple[object, object]]:
        for key, args in jobs:
            yield key, fn(*args)

    def map(self, fn: Callable, arglists: Iterable[tuple], memory_mb: int | None = None) -> list:
        return [fn(*args) for args in arglists]


class RayExecutor:
    """One Ray task of one core per item; results come back as the tasks finish."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None):
        self.ray = init_ray(address, num_cpus)

    def as_completed(self, fn: Callable, jobs: Iterable[tuple[object, tuple]]) -> Iterator[tuple[object, object]]:
        ray = self.ray
        remote = ray.remote(num_cpus=1, max_retries=0)(fn)
        pending = {remote.remote(*args): key for key, args in jobs}
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                key = pending.pop(ready[0])
                yield key, ray.get(ready[0])
        finally:
            # The caller stopped early (a fatal error): queued tasks are dropped, running ones
            # interrupted; each removes its temporary files as it unwinds.
            for ref in pending:
                ray.cancel(ref)
            if pending:
                ray.wait(list(pending), num_returns=len(pending), timeout=30)

    def map(self, fn: Callable, arglists: Iterable[tuple], memory_mb: int | None = None) -> list:
        """`memory_mb`: what one task may hold, declared to Ray so that a node runs no more of
        them at once than its memory allows (a task that needs more than a node has is refused)."""
        options = {}
        if memory_mb:
            largest = max((n["Resources"].get("memory", 0) for n in self.ray.nodes() if n.get("Alive")), default=0)
            if memory_mb * 2**20 > largest:
                from kopile.core.errors import ConfigError

                raise ConfigError(f"a task asks for {memory_mb} MB of memory and the largest Ray node offers "
                                  f"{largest // 2**20} MB: lower memory_mb")
            options["memory"] = memory_mb * 2**20
        remote = self.ray.remote(num_cpus=1, max_retries=0, **options)(fn)
        return self.ray.get([remote.remote(*args) for args in arglists])


def resolve_address(address: str) -> tuple[str, str]:
    """(host:port, where it came from) for `auto`: RAY_ADDRESS, or the file an earlier `ray start`
    left in Ray's temporary folder, which outlives its cluster; other addresses as given."""
    if address != "auto":
        return address, "--ray-address"
    origin = "RAY_ADDRESS" if os.environ.get("RAY_ADDRESS") else "the last `ray start` (/tmp/ray/ray_current_cluster)"
    try:
        from ray._private.services import canonicalize_bootstrap_address

        found = canonicalize_bootstrap_address("auto")
    except Exception as e:  # Ray raises ConnectionError when it finds no cluster at all
        raise ConnectionError(f"--ray-address auto found no running Ray cluster: {str(e).splitlines()[0]}") from None
    return (found or address), origin


def _check_reachable(address: str, origin: str, timeout: float = 10) -> None:
    """Fail in seconds where nothing listens: ray.init retries a dead address for minutes, deaf
    to Ctrl-C while it does."""
    if address == "auto" or "://" in address or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except (OSError, ValueError) as e:
        raise ConnectionError(f"no Ray cluster answers at {address} (from {origin}) within {timeout:.0f} s: {e}; "
                              "start the cluster, or give its address") from None


class RayStartError(RuntimeError):
    """Ray could not be started or joined; the message says what to check."""


def init_ray(address: str | None = None, num_cpus: int | None = None):
    import ray

    if ray.is_initialized():
        return ray
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    try:
        if address:
            address, origin = resolve_address(address)
            _check_reachable(address, origin)
            ray.init(address=address, logging_level="WARNING", log_to_driver=True)
        else:
            reap_orphans()
            # address="local": without it ray.init joins whatever cluster `ray start` last left
            # in /tmp/ray. On loopback, the embedded Ray is reachable from nowhere else. Tasks
            # exchange file paths, not data, so a small object store is enough. Ray then turns
            # its token authentication on by default and says so on every start: keep it quiet.
            logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)
            ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, logging_level="WARNING",
                     object_store_memory=256 * 1024 * 1024, _node_ip_address="127.0.0.1")
    except Exception as e:  # Ray raises ConnectionError, RuntimeError or its own errors here
        raise RayStartError(_start_failure(address, e)) from None
    return ray


_AGENTS = ("ray::DashboardAgent", "ray::RuntimeEnvAgent")


def orphan_agents() -> list[int]:
    """Ray's node agents left by an embedded Ray whose driver was killed: their raylet is gone,
    and they stay (about 175 MB). An agent whose parent is not a raylet serves no node. Linux
    only (/proc); the user's own processes."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != os.getuid():
                continue
            if not (entry / "cmdline").read_bytes().startswith(tuple(a.encode() for a in _AGENTS)):
                continue
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            parent = (proc / str(ppid) / "cmdline").read_bytes() if ppid > 1 else b""
            if b"raylet" not in parent:
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not ours to read
    return sorted(found)


def reap_orphans() -> list[int]:
    """Stops the orphaned agents; run before a new embedded Ray starts."""
    reaped = []
    for pid in orphan_agents():
        try:
            os.kill(pid, signal.SIGKILL)
            reaped.append(pid)
        except OSError:
            pass
    return reaped


def _start_failure(address: str | None, error: Exception) -> str:
    where = f"the Ray cluster at {address}" if address else "a local Ray"
    message = f"cannot start or join {where}: {type(error).__name__}: {str(error).strip().splitlines()[0]}"
    if address and "no Ray cluster answers" not in str(error):
        token = "set" if os.environ.get("RAY_AUTH_TOKEN") else "not set"
        message += (f". If the cluster requires token authentication, join it with RAY_AUTH_MODE=token and "
                    f"RAY_AUTH_TOKEN=<the cluster's token> in the environment (RAY_AUTH_TOKEN is {token} here)")
    return message
