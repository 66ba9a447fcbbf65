import importlib.util
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(f"kopile_example_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def ray_session():
    """One embedded Ray for the whole session: starting one costs seconds."""
    from kopile.pipeline.jobs.executor import init_ray

    ray = init_ray(num_cpus=2)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    load_example("make_sample").generate(out, seed=0, n_shards=4)
    return out


@pytest.fixture(scope="session")
def sample_tokenizer(sample_dir, tmp_path_factory) -> Path:
    """A small sp_bpe tokenizer (1,500 tokens) trained on the sample corpus, read-only to tests."""
    from kopile.tokenizers_train import train

    texts = [t for t in read_dir(sample_dir).column("text").to_pylist() if t]
    return train.save(train.train(texts, "sp_bpe", vocab_size=1500), tmp_path_factory.mktemp("tok") / "tok")


@pytest.fixture
def sample_copy(sample_dir, tmp_path) -> Path:
    target = tmp_path / "input"
    shutil.copytree(sample_dir, target)
    return target


def write_shard(path: Path, texts, **columns) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"text": pa.array(texts, pa.string()), **columns}), path)
    return path


def run_config(input, output, stages=None, **run):
    from kopile.pipeline.config import parse_config

    data = {"input": str(input), "output": str(output),
            "stages": stages or [{"normalize": {}}, {"langid": {}}, {"quality": {}}], **run}
    return parse_config(data)


def read_dir(directory: Path) -> pa.Table | None:
    files = sorted(Path(directory).glob("*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files], promote_options="default") if files else None


def output_bytes(out: Path) -> dict[str, bytes]:
    """Every Parquet output of a run, by relative path (run.json and manifests hold timings)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.parquet"))}


def kill_when(command: list[str], ready, timeout: float = 120, env: dict | None = None) -> None:
    """Start `command` in a process group of its own and kill -9 the whole group, Ray's
    processes included (a crash), as soon as `ready()` holds."""
    proc = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if ready():
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def manifest_entries(path: Path, section: str) -> int:
    return len(json.loads(path.read_text())[section]) if path.is_file() else 0


def decision_dir(stage: Path) -> Path:
    """The folder of a global stage's current decision (`NN_stage/_work/<decision id>/`)."""
    found = [p for p in (Path(stage) / "_work").glob("*") if p.is_dir()]
    assert len(found) == 1, found
    return found[0]


def without_torchvision():
    """mosaicml-streaming imports its image datasets, and with them torchvision, on `import
    streaming`; the tests and benchmarks install it without torchvision (the Makefile says why),
    so those imports find empty modules. Nothing of torchvision is used by MDS tokens. Users
    install `kopile[mds]`, torchvision included, and need none of this. transformers decides
    once, when first imported, whether torchvision is installed: it is imported first, so that
    the empty modules never make it load its image utilities."""
    import importlib
    import importlib.machinery
    import sys
    import types

    if importlib.util.find_spec("torchvision") is not None or importlib.util.find_spec("streaming") is None:
        return
    if importlib.util.find_spec("transformers") is not None:
        importlib.import_module("transformers.utils.import_utils")
    for name in ("torchvision", "torchvision.datasets", "torchvision.transforms", "torchvision.transforms.functional"):
        sys.modules[name] = types.ModuleType(name)
        sys.modules[name].__spec__ = importlib.machinery.ModuleSpec(name, None)  # transformers looks for one
    sys.modules["torchvision.datasets"].CIFAR10 = sys.modules["torchvision.datasets"].VisionDataset = object
    sys.modules["torchvision.transforms.functional"].to_tensor = None
