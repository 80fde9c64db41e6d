# Set-up, run and test commands. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.lock pyproject.toml | sha256sum | cut -c1-12)
WAREHOUSE ?= warehouse/events.duckdb
SOURCE ?= seeds
EVAL_DIR ?= ../shared/eval
export AIRFLOW_HOME ?= $(CURDIR)/airflow_home

.PHONY: setup run test eval airflow bench clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --compile-bytecode --require-hashes requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

## run the pipeline on seeds/ into warehouse/events.duckdb (no server needed)
run: setup
	$(BIN)/python -m pipeline run --source $(SOURCE) --warehouse $(WAREHOUSE)

## the whole test suite (what CI runs)
test: setup
	$(BIN)/python -m pytest

## build a warehouse from the shared dev set and score it
eval: setup
	$(BIN)/python -m pipeline run --quiet --source $(EVAL_DIR)/dev/docs --warehouse $(VENV)/eval.duckdb.tmp
	$(BIN)/python $(EVAL_DIR)/score.py $(VENV)/eval.duckdb.tmp $(EVAL_DIR)/dev/gold.jsonl
	rm -f $(VENV)/eval.duckdb.tmp

## start Airflow (standalone) with this project's dags/ on http://localhost:8080
airflow: setup
	bash scripts/airflow-standalone.sh

clean:
	rm -rf $(VENV) airflow_home warehouse/staging $(WAREHOUSE)
