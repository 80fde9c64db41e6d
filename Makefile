# Set-up, run and test commands. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.lock pyproject.toml | sha256sum | cut -c1-12)
WAREHOUSE ?= warehouse/events.duckdb
SOURCE ?= seeds
EVAL_DIR ?= ../shared/eval
TRAIN_POOLS ?= ../shared/train
export AIRFLOW_HOME ?= $(CURDIR)/airflow_home

.PHONY: setup run test eval train airflow bench clean system-deps celery celery-stop docs

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

## the dbt project's lineage and column docs for the warehouse, one HTML page (served at /events/dbt-docs/)
docs: setup
	$(BIN)/python -m pipeline docs --warehouse $(WAREHOUSE)

## the whole test suite (what CI runs)
test: setup system-deps
	$(BIN)/python -m pytest

## extraction quality side by side: the dev set through a real warehouse and score.py, then the trained
## model and the rule-only baseline on the dev set, the corpus's held-out fold and 5-fold cross-validation
eval: setup
	$(BIN)/python -m pipeline run --quiet --source $(EVAL_DIR)/dev/docs --warehouse $(VENV)/eval.duckdb.tmp
	$(BIN)/python $(EVAL_DIR)/score.py $(VENV)/eval.duckdb.tmp $(EVAL_DIR)/dev/gold.jsonl
	rm -f $(VENV)/eval.duckdb.tmp
	EVAL_DIR=$(EVAL_DIR) $(BIN)/python training/evaluate.py $(EVAL_ARGS)

## retrain the shipped event model from training/corpus (5-fold cross-validation, fold 0's model ships),
## writing pipeline/model/ and training/metrics.json; seeded and deterministic on the CPU
train: setup
	EVAL_DIR=$(EVAL_DIR) $(BIN)/python training/train.py --pools $(TRAIN_POOLS)

## Debian packages the tests need, installed only when missing: docker-compose validates
## docker-compose.yml (there is no Docker engine here), chromium drives the UI test
system-deps:
	@missing=""; \
	command -v docker-compose >/dev/null 2>&1 || missing="$$missing docker-compose"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
		echo "installing Debian packages:$$missing"; \
		( $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null ) \
		|| echo "warning: could not install$$missing; the compose and UI tests will say so"; \
	fi

## Airflow with CeleryExecutor on the local PostgreSQL + Redis: api-server, scheduler,
## dag-processor, triggerer and two Celery workers (stop with `make celery-stop`)
celery: setup
	bash scripts/celery-stack.sh start

celery-stop:
	bash scripts/celery-stack.sh stop

## start Airflow (standalone) with this project's dags/ on http://localhost:8080
airflow: setup
	bash scripts/airflow-standalone.sh

## throughput vs naive spaCy, time per stage, peak RSS, re-run cost (issue 7), Events page latency at 100,000 events
## (BENCH_ARGS=--quick: 200 articles and 5,000 events); then throughput on realistic news in CPU seconds, written to
## bench/results.json (issue 13; THROUGHPUT_ARGS=--quick, --scale), and the load time per batch on both warehouse
## backends (--backends: a DuckDB file and a DuckLake on the local PostgreSQL)
bench: setup
	$(BIN)/python bench/bench.py $(BENCH_ARGS)
	$(BIN)/python bench/throughput.py --backends $(THROUGHPUT_ARGS)

clean:
	rm -rf $(VENV) airflow_home artifacts warehouse/staging $(WAREHOUSE) $(basename $(WAREHOUSE)).read.duckdb \
		$(dir $(WAREHOUSE)).$(basename $(notdir $(WAREHOUSE))).dbt
