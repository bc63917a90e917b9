# cadrebot — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo $$p && break; done)

.PHONY: run test lint bench install dev clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "cadrebot needs Python 3.11 or newer on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
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
	@scripts/run-tests.sh

## make bench: every benchmark in turn, each printing its result last (about 5 minutes on 2 cores).
bench: dev
	@scripts/ensure-services.sh
	$(BIN)/python bench/webhook.py --requests 10000 --seconds 10
	$(BIN)/python bench/e2e.py --messages 1000 --noop-jobs 3000
	$(BIN)/python bench/fanout.py --messages 2000 --workers 1
	$(BIN)/python bench/ask.py
	$(BIN)/python bench/nlu.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
