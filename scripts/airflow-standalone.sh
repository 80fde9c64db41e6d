#!/usr/bin/env bash
# Airflow standalone (SQLite metadata, one process tree) serving this project's dags/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$root/airflow_home}"
export AIRFLOW__CORE__DAGS_FOLDER="$root/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export PIPELINE_SOURCE="${PIPELINE_SOURCE:-$root/seeds}"
export PIPELINE_WAREHOUSE="${PIPELINE_WAREHOUSE:-$root/warehouse/events.duckdb}"
# Loopback only unless AIRFLOW_API_HOST says otherwise; the files Airflow writes here (the admin
# password among them) are readable by this user alone.
export AIRFLOW__API__HOST="${AIRFLOW_API_HOST:-127.0.0.1}"
umask 077
mkdir -p "$AIRFLOW_HOME"
[[ -f "$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated" ]] && \
    chmod 600 "$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
"$root/.venv/bin/airflow" db migrate >/dev/null
"$root/.venv/bin/airflow" pools set duckdb_writer 1 "single writer of the DuckDB warehouse" >/dev/null
echo "Airflow UI:      http://$AIRFLOW__API__HOST:8080"
echo "admin password:  $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated (user admin)"
echo "DAG news_events starts paused: unpause it in the UI, or run"
echo "  AIRFLOW_HOME=$AIRFLOW_HOME .venv/bin/airflow dags unpause news_events"
echo "  AIRFLOW_HOME=$AIRFLOW_HOME .venv/bin/airflow dags trigger news_events"
exec "$root/.venv/bin/airflow" standalone
