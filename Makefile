# The front door. Every target sets up what it needs first (scripts/setup.sh is idempotent and
# takes well under a second when nothing changed).

SHELL := /bin/bash
VENV := .venv/bin
SETUP := scripts/setup.sh

.PHONY: setup demo serve test check lint format types unit bench clean

setup:
	@$(SETUP)

## demo: set up, build the demo network on the embedded ledger, serve the API on :8000
##       (extra options: make demo ARGS="--https --host 0.0.0.0")
demo: setup
	scripts/e2e-setup.sh --assets-only
	$(VENV)/pharmatrace demo $(ARGS)

serve: setup
	scripts/e2e-setup.sh --assets-only
	$(VENV)/pharmatrace serve $(ARGS)

## test: set up (venv, Python deps, local PostgreSQL) and run every check and test
test: setup lint types
	scripts/test.sh

## check: the quick gate — lint, types, unit tests
check: setup lint types unit

lint:
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

format: setup
	$(VENV)/ruff format .
	$(VENV)/ruff check --fix .

types:
	$(VENV)/mypy

unit:
	$(VENV)/pytest -m unit -q -p no:cacheprovider

bench: setup
	$(VENV)/python -m bench.run --write

clean:
	scripts/postgres.sh stop || true
	rm -rf .pharmatrace .pgdata .mypy_cache .ruff_cache .pytest_cache .hypothesis
