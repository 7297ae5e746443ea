# One-command set-up: a local .venv with the package, its test and lab extras
# and the codemode kernelspec (installed into the venv with --sys-prefix).
# The benchmark peers (jupysql, sqlite-utils) live in their own .venv-bench:
# in the user's env jupysql adds a "Format SQL" button to every notebook and
# `%load_ext sql` takes over %%sql.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BENCH_VENV  := .venv-bench
BENCH_PY    := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed
# JupyterLab refuses to run as root without --allow-root (containers, CI).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: demo test test-fast lab bench setup browser-deps lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,lab]"
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

# Everything: tests/unit, tests/kernel (real kernels), tests/mcp (real MCP servers),
# tests/reliability, tests/browser. The quick benchmark run (a test) uses .venv-bench.
test: setup browser-deps $(BENCH_STAMP)
	CODEMODE_BENCH_PYTHON=$(abspath $(BENCH_PY)) $(PY) -m pytest -q

# The in-process unit tests only (no kernels, no browser).
test-fast: setup
	$(PY) -m pytest -q tests/unit

$(BENCH_PY):
	$(PYTHON) -m venv $(BENCH_VENV)

$(BENCH_STAMP): $(BENCH_PY) pyproject.toml
	$(BENCH_PY) -m pip install -q --upgrade pip
	$(BENCH_PY) -m pip install -q -e ".[test,bench]"
	$(BENCH_PY) -m codemode_kernel install --sys-prefix
	touch $(BENCH_STAMP)

# The benchmark suite (about 6-7 minutes), in .venv-bench: prints one table,
# writes benchmarks/RESULTS.md.
bench: $(BENCH_STAMP)
	$(BENCH_PY) -m benchmarks

lab: setup
	$(VENV)/bin/jupyter lab notebooks/ $(ALLOW_ROOT)

lint: setup
	$(VENV)/bin/ruff check codemode_kernel tests tools benchmarks
	$(VENV)/bin/ruff format --check codemode_kernel tests tools benchmarks

clean:
	rm -rf $(VENV) $(BENCH_VENV) build *.egg-info
