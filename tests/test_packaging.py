"""An installed (non-editable) copy: one `kopile` package with its data, imports that go one
way (import-linter, run on the installed copy), and a filtering-only install without the
extras' packages."""
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The wheel, built from a copy (setuptools reuses a checkout's build/ folder, whose stale
    files would end up in the wheel), and installed into a folder of its own."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv*", "build", ".git", "__pycache__",
                                                                  "*.egg-info", "benchmarks", "tests"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp / "dist")], check=True, capture_output=True, timeout=300)
    wheel = next((tmp / "dist").glob("kopile-*.whl"))
    target = tmp / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    return wheel, target


def test_wheel_contents_and_installed_imports(built, tmp_path):
    wheel, target = built
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("kopile/cli.py", "kopile/core/io.py", "kopile/pipeline/jobs/engine.py",
                   "kopile/pipeline/stages/quality.py", "kopile/filters/quality.py",
                   "kopile/filters/lexicons/spam_ko.txt", "kopile/filters/lexicons/boilerplate_ko.txt",
                   "kopile/pipeline/ingest/blocklist_ko.txt", "kopile/pipeline/dedup/minhash.py",
                   "kopile/tokenizers_train/__init__.py", "kopile/driver/loop.py"):
        assert needed in names, needed
    # One top-level name: nothing generic (`pipeline`, `filters`, `driver`) is installed.
    assert {n.split("/")[0] for n in names if not n.startswith("kopile-")} == {"kopile"}
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "kopile = kopile.cli:main" in entry_points

    probe = ("import kopile; from kopile.filters.quality import SpamLexiconFilter;"
             "assert SpamLexiconFilter().score('바카라 카지노 토토사이트')['spam_terms'] == 3;"
             "from kopile.pipeline.ingest.urls import UrlFilter;"
             "assert UrlFilter().reason('https://casino-ko.example/') == 'blocked_url';"
             "import kopile.pipeline.jobs.run, kopile.cli;"
             "print(kopile.__file__, kopile.pipeline.jobs.run.__file__)")
    # Run from an empty directory with only the installed copy first on the path.
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); {probe}"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert all(str(target) in path for path in out.stdout.split())


def test_imports_go_one_way(built, tmp_path):
    """import-linter's contracts (pyproject.toml), checked on the installed copy: grimp walks a
    package's own folder, which in the repository holds only `kopile/`."""
    _, target = built
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "lint-imports") if (ROOT / ".venv").is_dir()
                          else shutil.which("lint-imports"), str(ROOT / "pyproject.toml")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(target)})
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "BROKEN" not in out.stdout and " KEPT" in out.stdout


def test_core_dependencies_leave_the_heavy_packages_to_extras():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"])
    # sentencepiece (a 1-2 MB wheel) is core: it trains and encodes `sp_bpe` tokenizers.
    for heavy in ("torch", "presidio", "transformers", "peft", "matplotlib", "tiktoken"):
        assert heavy not in core, heavy
    extras = project["optional-dependencies"]
    assert any("presidio" in d for d in extras["pii"]) and any(d.startswith("torch==") for d in extras["train"])


BLOCKER = """
import sys

class _Blocked:
    # What a filtering-only install does not have: importing it fails as if it were absent.
    names = {"torch", "transformers", "peft", "presidio_analyzer", "spacy", "matplotlib", "sentencepiece",
             "tiktoken"}

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
        return None

sys.meta_path.insert(0, _Blocked())
"""


def test_filtering_runs_without_the_extras(ray_session, sample_dir, tmp_path):
    """normalize, langid, quality and the dedup stages with torch, transformers, presidio and
    spaCy unimportable, in the CLI and in every Ray worker (sitecustomize)."""
    site = tmp_path / "block"
    site.mkdir()
    (site / "sitecustomize.py").write_text(textwrap.dedent(BLOCKER))
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"input: {sample_dir}\noutput: {tmp_path / 'out'}\nstages:\n  - normalize: {{}}\n"
                   "  - langid: {}\n  - quality: {}\n  - exact_dedup: {}\n  - minhash_dedup: {}\n"
                   "  - ngram_repetition: {}\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-m", "kopile.cli", "run", str(cfg), "--num-cpus", "1", "--no-progress"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "06_ngram_repetition" in out.stdout
    # The blocker works: the pii stage needs presidio and says so.
    cfg.write_text(f"input: {sample_dir}\noutput: {tmp_path / 'pii'}\nstages:\n  - pii: {{}}\n")
    out = subprocess.run([sys.executable, "-m", "kopile.cli", "run", str(cfg), "--num-cpus", "1", "--no-progress"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 2 and "pip install 'kopile[pii]'" in out.stderr


RECORDER = """
import os, sys

_LOG = os.environ["KOPILE_IMPORT_LOG"]
_WORKER = any("default_worker" in a for a in sys.argv)

class _Recorder:
    # Lets every import through, and notes in the log the heavy ones a Ray worker makes.
    names = {"torch", "transformers", "peft", "presidio_analyzer", "spacy", "kiwipiepy", "fasttext"}

    def find_spec(self, name, path=None, target=None):
        if _WORKER and "." not in name and name in self.names:
            with open(_LOG, "a") as fh:
                fh.write(f"{os.getpid()} imported {name}\\n")
        return None

if _WORKER:
    with open(_LOG, "a") as fh:
        fh.write(f"{os.getpid()} worker\\n")
    sys.meta_path.insert(0, _Recorder())
"""


def test_dedup_workers_import_only_what_dedup_needs(sample_dir, tmp_path):
    """A dedup-only run with every extra installed: no Ray worker imports presidio, spaCy,
    torch, transformers, Kiwi or fastText (a stage is imported only where it runs)."""
    site = tmp_path / "record"
    site.mkdir()
    (site / "sitecustomize.py").write_text(textwrap.dedent(RECORDER))
    log = tmp_path / "imports.log"
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"input: {sample_dir}\noutput: {tmp_path / 'out'}\nstages:\n  - exact_dedup: {{}}\n"
                   "  - minhash_dedup: {}\n  - ngram_repetition: {}\n")
    env = {**os.environ, "KOPILE_IMPORT_LOG": str(log),
           "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-m", "kopile.cli", "run", str(cfg), "--num-cpus", "2", "--no-progress"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = log.read_text().splitlines()
    assert any(line.endswith(" worker") for line in lines)  # the recorder ran in the workers
    assert [line for line in lines if " imported " in line] == []
