# Two commands on a fresh machine: `make run` (VGG-16's summary) and `make test`.
# Both make .venv and install what they need into it; nothing else is assumed.
#
# `make test` installs the exact releases of constraints.txt, so it passes today and
# tomorrow alike. Drift is seen, not suffered: `make test-latest` runs the suite against
# the newest releases, `make test-lower` against the lower bounds pyproject.toml states;
# `make lock` rewrites constraints.txt from the newest releases.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := -m pip install -q --disable-pip-version-check
PYTEST := -m pytest -q -m "not slow and not browser" -p no:cacheprovider -n auto
# The Pythons `make lock` writes pins for.
PYTHONS ?= python3.10 python3.11 python3.12 python3.13

.PHONY: run test test-all test-latest test-lower test-torch test-browser test-tools docs-pictures lock bench fuzz clean

run: $(STAMP)
	$(BIN)/cnncalc summarize architectures/vgg16.yaml

# -n auto: one pytest worker per core (pytest-xdist). The browser tests need Chromium, which a
# fresh machine lacks: `make test-browser` runs them (and installs it).
test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not browser" -n auto

# Everything, the slow verifications of the largest networks included.
test-all: $(STAMP)
	$(BIN)/python -m pytest -q

# The newest releases of everything, in a venv of their own made afresh each time.
test-latest:
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python $(PIP) --upgrade -e '.[test]'
	.venv-latest/bin/python -m pip freeze --exclude cnncalc
	.venv-latest/bin/python $(PYTEST)

# The lowest releases pyproject.toml allows (`>=X` read as `==X`). numpy 1.24 has no
# wheels for Python 3.12 or newer: run it with PYTHON=python3.10 or python3.11.
test-lower: $(STAMP)
	rm -rf .venv-lower
	$(BIN)/python scripts/lower_bounds.py > .lower-bounds.txt
	$(PYTHON) -m venv .venv-lower
	.venv-lower/bin/python $(PIP) -c .lower-bounds.txt -e '.[test]'
	.venv-lower/bin/python -m pip freeze --exclude cnncalc
	.venv-lower/bin/python $(PYTEST)

# The optional cross-checks against PyTorch (CPU build, installed into the same venv).
test-torch: $(STAMP)
	$(BIN)/python $(PIP) torch==2.13.0
	$(BIN)/python -m pytest -q -m torch

# The HTML report in headless Chromium (tests/test_browser.py, over the DevTools protocol:
# no Python package needed). Chromium comes from the system's packages; as root on Debian
# or Ubuntu this installs it, elsewhere install it yourself (brew install --cask chromium).
CHROMIUM := $(shell command -v chromium || command -v chromium-browser || command -v google-chrome)
test-browser: $(STAMP)
ifeq ($(CHROMIUM),)
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get install -y chromium || (apt-get update && apt-get install -y chromium); \
	else \
		echo "Chromium is needed: sudo apt-get install chromium (Debian), or install Chrome/Chromium"; exit 1; \
	fi
endif
	$(BIN)/python -m pytest -q -m browser -p no:cacheprovider

# The pictures README shows, screenshots of cnncalc's own SVG and HTML by headless Chromium.
docs-pictures: $(STAMP)
	$(BIN)/python scripts/pictures.py

# --count-as held to the counting tools themselves (tests/test_conventions_tools.py), at the
# releases the conventions were read from; calflops imports transformers and accelerate.
test-tools: $(STAMP)
	$(BIN)/python $(PIP) torch==2.13.0
	$(BIN)/python $(PIP) torchinfo==1.8.0 thop==0.1.1.post2209072238 ptflops==0.7.5 \
		fvcore==0.1.5.post20221221 calflops==0.3.2 transformers accelerate
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_conventions_tools.py

# The mutation fuzzer (tests/fuzz.py) for FUZZ_SECONDS; `make test` runs a few seconds of it.
FUZZ_SECONDS ?= 300
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz.py --seconds $(FUZZ_SECONDS) --keep .fuzz-findings

lock:
	$(PYTHON) scripts/lock.py $(PYTHONS) > constraints.txt.new
	mv constraints.txt.new constraints.txt

bench: $(STAMP)
	$(BIN)/python -m compileall -q cnncalc
	$(BIN)/python bench/run.py

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python $(PIP) -c constraints.txt -e '.[test]'
	@# Byte-compile now: the environment may forbid writing .pyc files later, and
	@# compiling cnncalc on every run would cost more than the run.
	$(BIN)/python -m compileall -q cnncalc
	touch $(STAMP)

clean:
	rm -rf $(VENV) .venv-latest .venv-lower .lower-bounds.txt .pytest_cache
