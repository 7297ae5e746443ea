# One-command set-up: a local .venv with the package, its extras and the
# codemode kernelspec (installed into the venv with --sys-prefix).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast lab bench setup browser-deps lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,lab,bench]"
	$(PY) -m codemode_kernel install --sys-prefix
	touch $(STAMP)

setup: $(STAMP)
	@$(PY) -m codemode_kernel install --sys-prefix >/dev/null

# Debian's Chromium for the browser tests (Playwright cannot download one here).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (apt)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "WARNING: could not install chromium"; }

demo: setup
	$(PY) -m tools.demo notebooks/quickstart.ipynb

# Everything: tests/unit, tests/kernel (real kernels), tests/reliability, tests/browser.
test: setup browser-deps
	$(PY) -m pytest -q

# The in-process unit tests only (no kernels, no browser).
test-fast: setup
	$(PY) -m pytest -q tests/unit

# The benchmark suite (about 5 minutes): prints one table, writes benchmarks/RESULTS.md.
bench: setup
	$(PY) -m benchmarks

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

lint: setup
	$(VENV)/bin/ruff check codemode_kernel tests tools benchmarks
	$(VENV)/bin/ruff format --check codemode_kernel tests tools benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
