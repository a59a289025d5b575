# Two commands on a fresh machine: `make run` (VGG-16's summary) and `make test`.
# Both make .venv and install what they need into it; nothing else is assumed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-all test-torch bench fuzz clean

run: $(STAMP)
	$(BIN)/cnncalc summarize architectures/vgg16.yaml

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

# Everything, the slow verifications of the largest networks included.
test-all: $(STAMP)
	$(BIN)/python -m pytest -q

# The optional cross-checks against PyTorch (CPU build, installed into the same venv).
test-torch: $(STAMP)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pytest -q -m torch

# The mutation fuzzer (tests/fuzz.py) for FUZZ_SECONDS; `make test` runs a few seconds of it.
FUZZ_SECONDS ?= 300
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz.py --seconds $(FUZZ_SECONDS) --keep .fuzz-findings

bench: $(STAMP)
	$(BIN)/python -m compileall -q cnncalc
	$(BIN)/python bench/run.py

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	@# Byte-compile now: the environment may forbid writing .pyc files later, and
	@# compiling cnncalc on every run would cost more than the run.
	$(BIN)/python -m compileall -q cnncalc
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache
