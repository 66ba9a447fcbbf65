"""An installed (non-editable) copy carries the project's packages and data, nothing else."""
import subprocess
import sys
import zipfile

from conftest import ROOT


def test_wheel_contents_and_installed_imports(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "dist")], check=True, capture_output=True, timeout=300)
    wheel = next((tmp_path / "dist").glob("kopile-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("pipeline/runner.py", "pipeline/stages/quality.py", "filters/quality.py",
                   "filters/lexicons/spam_ko.txt", "filters/lexicons/boilerplate_ko.txt",
                   "pipeline/ingest/blocklist_ko.txt", "pipeline/dedup/minhash.py",
                   "tokenizers_train/__init__.py"):
        assert needed in names, needed
    assert not [n for n in names if n.startswith(("tests/", "examples/", "benchmarks/"))]
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "kopile = pipeline.cli:main" in entry_points

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    probe = ("import filters, pipeline, tokenizers_train; from filters.quality import SpamLexiconFilter;"
             "assert SpamLexiconFilter().score('바카라 카지노 토토사이트')['spam_terms'] == 3;"
             "from pipeline.ingest.urls import UrlFilter;"
             "assert UrlFilter().reason('https://casino-ko.example/') == 'blocked_url';"
             "print(filters.__file__, pipeline.__file__)")
    # Run from an empty directory with only the installed copy first on the path.
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); {probe}"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert all(str(target) in path for path in out.stdout.split())
