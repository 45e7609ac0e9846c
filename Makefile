# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench mutate setup

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
	$(BIN)/pytest  # exit 5 (no tests collected) fails too: an empty suite is not a pass

# Runs every benchmark and prints its figures (`make bench ARGS=webhook` for one).
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(ARGS)

# Mutation testing of the rules that must never break, with the score per module
# (`make mutate ARGS=quiet_hours` for one rule). Minutes per rule: not part of `make test`.
mutate: $(STAMP)
	$(BIN)/python -m mutation $(ARGS)
