# cadrebot — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo $$p && break; done)

.PHONY: run test lint bench install dev lock clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "cadrebot needs Python 3.11 or newer on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# every dependency pinned by constraints.txt (`make lock` refreshes it); a new lock re-installs
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

## make run: the whole product on this machine — SQLite, a local Redis, the WeCom simulator.
run: install
	$(BIN)/cadrebot run --demo

## make lint: the static checks — ruff, its formatting, mypy and the import layers (pyproject [tool.importlinter]).
lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## make test: make lint, then the whole suite on SQLite and the database tests again on PostgreSQL.
test: lint
	@scripts/ensure-services.sh
	@scripts/ensure-browser.sh
	@scripts/run-tests.sh

## make bench: the message path's three ratios and p99, then the understanding benchmarks (about 5 minutes on
## 2 cores); RUNS=5 measures each of the three five times and prints the spread.
bench: dev
	@scripts/ensure-services.sh
	@scripts/bench.sh

## make lock: resolve every dependency (runtime and dev) afresh in a new venv and pin the result in constraints.txt.
LOCK_VENV := var/lock-venv
lock:
	@test -n "$(PYTHON)" || { echo "cadrebot needs Python 3.11 or newer on PATH"; exit 1; }
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q --upgrade pip
	$(LOCK_VENV)/bin/pip install -q -e '.[dev]'
	{ echo "# Every dependency of cadrebot (runtime and dev) at the versions last resolved together. Refresh: make lock"; \
	  $(LOCK_VENV)/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
