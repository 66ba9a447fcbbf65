# `make demo`: a fresh virtual environment, the project installed, the sample corpus run.
# `make test`: the test suite (what CI runs).
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python

.PHONY: demo test install clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo: install
	$(PY) examples/make_sample.py build/sample
	$(VENV)/bin/kopile run examples/sample.yaml

test: install
	$(PY) -m pytest -q

clean:
	rm -rf build .pytest_cache
