#!/usr/bin/env bash
# Airflow with CeleryExecutor on this machine's PostgreSQL and Redis: the same topology as
# docker-compose.yml (api-server, scheduler, dag-processor, triggerer, two Celery workers),
# run as plain background processes, each with a PID file.
#
#   scripts/celery-stack.sh start    # create the database if missing, migrate, start everything
#   scripts/celery-stack.sh stop     # stop every process it started, by PID
#   scripts/celery-stack.sh status   # which processes are alive
#   scripts/celery-stack.sh env      # the Airflow/pipeline settings it runs with (no secrets)
#   scripts/celery-stack.sh services # the processes it runs: name|airflow arguments
#
# Settings (environment):
#   STACK_DIR       state folder: AIRFLOW_HOME, logs, PID files, secrets  (default airflow_home/celery-stack)
#   STACK_PORT      api-server port; +1 scheduler health, +2 triggerer logs (default 8080)
#   STACK_DB        PostgreSQL database, created if missing                  (default news_events_airflow)
#   STACK_FRESH=1   drop and recreate STACK_DB first (an isolated, repeatable run)
#   STACK_REDIS_DB  Redis database number used as the Celery broker          (default 1)
#   STACK_WORKERS   number of Celery workers                                 (default 2)
#   STACK_PGHOST/STACK_PGPORT/STACK_PGUSER, STACK_REDIS_HOST/STACK_REDIS_PORT (127.0.0.1, 5432, postgres, 6379)
#   AIRFLOW_ADMIN_USERNAME / AIRFLOW_ADMIN_PASSWORD  admin login (password generated if unset)
#   PIPELINE_*      passed to the tasks (PIPELINE_WAREHOUSE, PIPELINE_SOURCE, PIPELINE_EXTRACT_BATCH_SIZE, ...)
#
# Exit status 3 from `start` means PostgreSQL or Redis is not reachable (nothing was started).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
py="$root/.venv/bin/python"
airflow="$root/.venv/bin/airflow"

STACK_DIR="${STACK_DIR:-$root/airflow_home/celery-stack}"
STACK_PORT="${STACK_PORT:-8080}"
STACK_DB="${STACK_DB:-news_events_airflow}"
STACK_REDIS_DB="${STACK_REDIS_DB:-1}"
STACK_WORKERS="${STACK_WORKERS:-2}"
STACK_PGHOST="${STACK_PGHOST:-127.0.0.1}"
STACK_PGPORT="${STACK_PGPORT:-5432}"
STACK_PGUSER="${STACK_PGUSER:-postgres}"
STACK_REDIS_HOST="${STACK_REDIS_HOST:-127.0.0.1}"
STACK_REDIS_PORT="${STACK_REDIS_PORT:-6379}"
ADMIN_USER="${AIRFLOW_ADMIN_USERNAME:-admin}"

pid_dir="$STACK_DIR/pids"
log_dir="$STACK_DIR/logs"
secrets_file="$STACK_DIR/secrets.env"
base_url="http://127.0.0.1:$STACK_PORT"

die() { echo "celery-stack: $*" >&2; exit "${2:-1}"; }

# ---- environment ------------------------------------------------------------------------------
export_settings() {
    set -a
    # shellcheck disable=SC1091
    . "$root/scripts/airflow-common.env"
    set +a
    export AIRFLOW_HOME="$STACK_DIR/airflow_home"
    export AIRFLOW__CORE__DAGS_FOLDER="$root/dags"
    export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql+psycopg2://$STACK_PGUSER@$STACK_PGHOST:$STACK_PGPORT/$STACK_DB"
    export AIRFLOW__CELERY__BROKER_URL="redis://$STACK_REDIS_HOST:$STACK_REDIS_PORT/$STACK_REDIS_DB"
    export AIRFLOW__CELERY__RESULT_BACKEND="db+postgresql+psycopg2://$STACK_PGUSER@$STACK_PGHOST:$STACK_PGPORT/$STACK_DB"
    export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="$base_url/execution/"
    export AIRFLOW__API__BASE_URL="$base_url"
    export AIRFLOW__API__HOST=127.0.0.1
    export AIRFLOW__API__PORT="$STACK_PORT"
    export AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT="$((STACK_PORT + 1))"
    export AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT="$((STACK_PORT + 2))"
    export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="$ADMIN_USER:admin"
    export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$AIRFLOW_HOME/simple_auth_manager_passwords.json"
    # Articles: PIPELINE_SOURCE (a folder) when given, else the sources file (default sources.yml).
    [[ -n "${PIPELINE_SOURCE:-}" ]] || export PIPELINE_SOURCES="${PIPELINE_SOURCES:-$root/sources.yml}"
    export PIPELINE_WAREHOUSE="${PIPELINE_WAREHOUSE:-$root/warehouse/events.duckdb}"
    export PIPELINE_SCHEDULE="${PIPELINE_SCHEDULE:-@hourly}"
    export PIPELINE_EXTRACT_BATCH_SIZE="${PIPELINE_EXTRACT_BATCH_SIZE:-200}"
}

load_secrets() {
    mkdir -p "$STACK_DIR"
    if [[ ! -s "$secrets_file" ]]; then
        (umask 077; "$py" - "${AIRFLOW_ADMIN_PASSWORD:-}" >"$secrets_file" <<'PY'
import base64, os, secrets, sys
print(f"AIRFLOW__CORE__FERNET_KEY={base64.urlsafe_b64encode(os.urandom(32)).decode()}")
print(f"AIRFLOW__API_AUTH__JWT_SECRET={secrets.token_urlsafe(32)}")
print(f"AIRFLOW__API__SECRET_KEY={secrets.token_urlsafe(32)}")
print(f"STACK_ADMIN_PASSWORD={sys.argv[1] or secrets.token_urlsafe(12)}")
PY
        )
    fi
    set -a
    # shellcheck disable=SC1090
    . "$secrets_file"
    set +a
}

# ---- preflight: the services the stack needs ---------------------------------------------------
preflight() {
    "$py" - "$STACK_PGHOST" "$STACK_PGPORT" "$STACK_PGUSER" "$STACK_DB" "${STACK_FRESH:-0}" \
          "$STACK_REDIS_HOST" "$STACK_REDIS_PORT" "$STACK_REDIS_DB" <<'PY' || exit 3
import sys
host, port, user, db, fresh, rhost, rport, rdb = sys.argv[1:]
try:
    import psycopg2
    con = psycopg2.connect(host=host, port=int(port), user=user, dbname="postgres", connect_timeout=5)
except Exception as exc:
    sys.exit(f"celery-stack: PostgreSQL is not reachable at {user}@{host}:{port} ({exc}); "
             "start it (pg_ctlcluster ... main start) or set STACK_PGHOST/STACK_PGPORT/STACK_PGUSER")
con.autocommit = True
cur = con.cursor()
if fresh == "1":
    cur.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", [db])
    cur.execute(f'drop database if exists "{db}"')
cur.execute("select 1 from pg_database where datname = %s", [db])
if not cur.fetchone():
    cur.execute(f'create database "{db}"')
    print(f"celery-stack: created PostgreSQL database {db}")
con.close()
try:
    import redis
    r = redis.Redis(host=rhost, port=int(rport), db=int(rdb), socket_connect_timeout=5)
    r.ping()
    if fresh == "1":
        r.flushdb()  # only this stack's Redis database: stale Celery messages from an old run
except Exception as exc:
    sys.exit(f"celery-stack: Redis is not reachable at {rhost}:{rport} ({exc}); "
             "start redis-server or set STACK_REDIS_HOST/STACK_REDIS_PORT")
PY
}

# ---- processes: name|airflow arguments (the services of docker-compose.yml) -----------------------
services() {
    echo "api-server|api-server --host 127.0.0.1 --port $STACK_PORT --workers 1"
    echo "scheduler|scheduler"
    echo "dag-processor|dag-processor"
    echo "triggerer|triggerer"
    local i
    for ((i = 1; i <= STACK_WORKERS; i++)); do
        # Distinct Celery node names; one task at a time each, so a mapped task fans out over workers.
        echo "worker-$i|celery worker --celery-hostname worker-$i@%h --concurrency 1 --queues default --skip-serve-logs"
    done
}

# ---- processes ----------------------------------------------------------------------------------
is_alive() { [[ -s "$pid_dir/$1.pid" ]] && kill -0 "$(cat "$pid_dir/$1.pid")" 2>/dev/null; }

launch() {  # name, command...: start in its own session (so stop can signal its whole group)
    local name="$1"; shift
    if is_alive "$name"; then echo "celery-stack: $name already running (pid $(cat "$pid_dir/$name.pid"))"; return; fi
    setsid "$@" >"$log_dir/$name.log" 2>&1 </dev/null &
    echo $! >"$pid_dir/$name.pid"
    echo "celery-stack: started $name (pid $!, log $log_dir/$name.log)"
}

wait_for() {  # process name, seconds, test command...
    local what="$1" limit="$2"; shift 2
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        if ! is_alive "$what"; then
            echo "celery-stack: $what exited during start-up; last lines of $log_dir/$what.log:" >&2
            tail -n 15 "$log_dir/$what.log" >&2
            return 1
        fi
        if ((SECONDS >= deadline)); then
            echo "celery-stack: $what not ready after ${limit}s; see $log_dir" >&2
            return 1
        fi
        sleep 1
    done
}

worker_ready() { grep -q "ready\." "$log_dir/$1.log"; }
api_ready() { "$py" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=3)" "$base_url/api/v2/monitor/health"; }

start() {
    preflight
    mkdir -p "$pid_dir" "$log_dir"
    export_settings
    load_secrets
    mkdir -p "$AIRFLOW_HOME"
    # SimpleAuthManager reads the admin's password from this file (written once, private).
    (umask 077; printf '{"%s": "%s"}\n' "$ADMIN_USER" "$STACK_ADMIN_PASSWORD" \
        >"$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
    echo "celery-stack: migrating the metadata database $STACK_DB"
    "$airflow" db migrate >"$log_dir/migrate.log" 2>&1 || die "airflow db migrate failed; see $log_dir/migrate.log"
    "$airflow" pools set duckdb_writer 1 "single writer of the DuckDB warehouse" >>"$log_dir/migrate.log" 2>&1 \
        || die "could not create the duckdb_writer pool; see $log_dir/migrate.log"

    local name args
    while IFS='|' read -r name args; do
        if [[ "$name" == worker-* ]]; then
            # A distinct hostname recorded on the tasks each worker runs (see scripts/stack_hostname.py).
            # shellcheck disable=SC2086
            PIPELINE_WORKER_NAME="$name" \
            AIRFLOW__CORE__HOSTNAME_CALLABLE=stack_hostname.get_hostname \
            PYTHONPATH="$root/scripts${PYTHONPATH:+:$PYTHONPATH}" \
                launch "$name" "$airflow" $args
        else
            # shellcheck disable=SC2086
            launch "$name" "$airflow" $args
        fi
    done < <(services)

    wait_for api-server 180 api_ready || { status; exit 1; }
    local i
    for ((i = 1; i <= STACK_WORKERS; i++)); do
        wait_for "worker-$i" 180 worker_ready "worker-$i" || { status; exit 1; }
    done
    for name in scheduler dag-processor triggerer; do
        is_alive "$name" || { echo "celery-stack: $name exited; see $log_dir/$name.log" >&2; status; exit 1; }
    done
    status
    echo "Airflow UI:  $base_url  (user $ADMIN_USER, password in $secrets_file as STACK_ADMIN_PASSWORD)"
}

stop() {
    [[ -d "$pid_dir" ]] || { echo "celery-stack: nothing to stop ($pid_dir does not exist)"; return; }
    local f name pid
    for f in "$pid_dir"/*.pid; do
        [[ -e "$f" ]] || continue
        name="$(basename "$f" .pid)"; pid="$(cat "$f")"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
            echo "celery-stack: sent TERM to $name (process group $pid)"
        fi
    done
    local deadline=$((SECONDS + 40))
    for f in "$pid_dir"/*.pid; do
        [[ -e "$f" ]] || continue
        name="$(basename "$f" .pid)"; pid="$(cat "$f")"
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
        if kill -0 "$pid" 2>/dev/null || kill -0 -- "-$pid" 2>/dev/null; then
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            echo "celery-stack: $name did not stop in time; killed (process group $pid)"
        fi
        rm -f "$f"
    done
    echo "celery-stack: stopped"
}

status() {
    local f name pid
    for f in "$pid_dir"/*.pid; do
        [[ -e "$f" ]] || continue
        name="$(basename "$f" .pid)"; pid="$(cat "$f")"
        if kill -0 "$pid" 2>/dev/null; then echo "  $name: running (pid $pid)"; else echo "  $name: NOT running (pid $pid; log $log_dir/$name.log)"; fi
    done
}

print_env() {
    export_settings
    {
        env | grep -E '^(AIRFLOW__|PIPELINE_)'
        # Generated at the first start into $secrets_file (mode 600); not printed.
        printf '%s=<secret>\n' AIRFLOW__CORE__FERNET_KEY AIRFLOW__API_AUTH__JWT_SECRET AIRFLOW__API__SECRET_KEY
    } | sort
}

main() {
    case "${1:-}" in
        start) start ;;
        stop) stop ;;
        status) status ;;
        env) print_env ;;
        services) services ;;
        *) echo "usage: $0 start|stop|status|env|services" >&2; exit 2 ;;
    esac
}
# One line, so bash has read it whole before running it: editing this file during a run is safe.
main "$@"; exit
