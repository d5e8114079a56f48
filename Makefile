# journey_mining: everything a fresh machine with Python 3.11 needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: setup run test test-slow test-wheel bench bench-large bench-incremental lint lock sample docs clean browser

setup: $(STAMP)

# Install exactly the locked set, then the project itself without resolving anything.
$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	PIP_EXTRA_INDEX_URL= $(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	PIP_EXTRA_INDEX_URL= $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/journey run

# On every core (pytest-xdist); a file's tests share a worker (module fixtures built once).
test: $(STAMP) browser
	$(BIN)/python -m pytest -q -n auto --dist loadfile

# The report's browser test (tests/test_report.py) needs Debian's chromium: installed with
# apt-get when missing and we are root; otherwise that test skips and says why.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium for the report's browser test (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "no chromium and cannot install it (not root or no apt-get): the browser test will skip"; fi

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

# Build the wheel, install it into a fresh virtualenv and run it from empty folders (offline).
test-wheel: $(STAMP)
	$(BIN)/python -m pytest -q -m wheel

# Benchmarks (benchmarks/, docs/benchmarks.md): journey run vs the DuckDB floor, pandas,
# retentioneering and PM4Py on the same generated data; writes benchmarks/results/<date>.json.
# The first run creates benchmarks/.peers-venv (needs the network once) and caches the data
# under $$XDG_CACHE_HOME/journey_mining/bench. Extra flags: make bench BENCH_ARGS="--no-peers".
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py --size 1m $(BENCH_ARGS)

bench-large: $(STAMP)
	$(BIN)/python benchmarks/bench.py --size 10m $(BENCH_ARGS)

# A nightly run adding 1% new events vs a --full-refresh rebuild (docs/benchmarks.md).
bench-incremental: $(STAMP)
	$(BIN)/python benchmarks/bench.py --size 1m --incremental $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# docs/tables.md is generated from src/journey_mining/table_docs.py (a test checks it is current).
docs: $(STAMP)
	$(BIN)/python -m journey_mining.table_docs docs/tables.md

sample: $(STAMP)
	$(BIN)/journey generate --customers 3000 --seed 7 --out data/sample

# Re-resolve the lock file (needs uv in PATH or in the venv); commit the result.
lock:
	uv pip compile pyproject.toml --extra dev --extra dask --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .prefect out .pytest_cache build dist
