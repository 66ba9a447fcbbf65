# `make demo`: a fresh virtual environment, the project installed, the sample corpus run.
# `make test`: the test suite (what CI runs).
# `make flow`: the end-to-end example: pipeline, tokenizer, pretraining, finetuning, generation.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python

.PHONY: demo test flow install clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[all,test]'
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
