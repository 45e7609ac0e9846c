# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench setup

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Sets up and runs the bot: SQLite under instance/, console transport, HTTP on port 5000.
run: $(STAMP)
	$(BIN)/humasbot run

# Sets up and runs lint, types and the tests (SQLite and PostgreSQL).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest || [ $$? -eq 5 ]  # 5: no tests collected

# Runs every benchmark and prints its figures (`make bench ARGS=webhook` for one).
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(ARGS)
