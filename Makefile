# `make demo`: a fresh virtual environment, the project installed, the sample corpus run.
# `make test`: the test suite (what CI runs).
# `make flow`: the end-to-end example: pipeline, tokenizer, pretraining, finetuning, generation.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python

.PHONY: demo test flow install clean

install: $(VENV)/.installed

# The MDS and LitData writers' libraries, for their tests, without what they declare beyond their
# token code: both bring PyPI's torchvision, a CUDA build that breaks transformers beside the CPU
# torch installed here, and mosaicml-streaming 0.13 caps numpy < 2.2 and transformers < 5. Users
# install `kopile[mds]` and `kopile[litdata]`, with everything they declare.
FORMATS_NO_DEPS := litdata==0.2.76 lightning-utilities==0.15.3 obstore==0.12.1 'boto3<2' botocore s3transfer \
	jmespath mosaicml-streaming==0.13.0 'python-snappy<1' cramjam 'zstd<2' 'Brotli>=1.0.9' 'xxhash<4' 'catalogue<3'

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[all,test]'
	$(PY) -m pip install --quiet --no-deps $(FORMATS_NO_DEPS)
	touch $@

demo: install
	$(PY) examples/make_sample.py build/sample
	$(VENV)/bin/kopile run examples/sample.yaml

flow: install
	KOPILE=$(VENV)/bin/kopile PYTHON=$(PY) bash examples/end_to_end.sh

test: install
	$(PY) -m pytest -q

clean:
	rm -rf build .pytest_cache
