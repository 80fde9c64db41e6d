"""news_events on the distributed engine: CeleryExecutor, PostgreSQL metadata, Redis broker, two workers.

scripts/celery-stack.sh starts api-server, scheduler, dag-processor, triggerer and two Celery
workers against the machine's PostgreSQL and Redis; the run is triggered through the REST API
(POST /auth/token, then /api/v2) and checked through the warehouse's public views. Everything the
stack started is stopped by PID at the end of the session (see celery_stack.py).
"""
from __future__ import annotations


import pytest

from tests.conftest import event_snapshot, query
from tests.integration.celery_stack import DAG_ID, celery_stack_session, stack_environment, trigger_run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def celery_stack(tmp_path_factory):
    with celery_stack_session(tmp_path_factory) as stack:
        yield stack


@pytest.fixture(scope="module")
def finished_run(celery_stack):
    run_id = trigger_run(celery_stack)
    with celery_stack.client() as api:
        tis = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances").json()["task_instances"]
    print(f"\ncelery stack started in {celery_stack.start_seconds:.0f}s; run {run_id} took "
          f"{celery_stack.run_seconds:.0f}s; tasks: "
          + ", ".join(f"{t['task_id']}[{t['map_index']}]@{t['hostname']}" for t in tis))
    return run_id, {(t["task_id"], t["map_index"]): t for t in tis}


def test_the_stack_runs_celery_on_postgres_and_redis(celery_stack):
    with celery_stack.client() as api:
        health = api.get("/api/v2/monitor/health").json()
        pool = api.get("/api/v2/pools/duckdb_writer")
    assert health["metadatabase"]["status"] == "healthy"
    assert health["scheduler"]["status"] == "healthy"
    assert health["dag_processor"]["status"] == "healthy"
    assert pool.status_code == 200 and pool.json()["slots"] == 1
    settings = stack_environment(celery_stack.env)
    assert settings["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert settings["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert settings["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://127.0.0.1:6379/")
    assert set(celery_stack.pids) == {"api-server", "scheduler", "dag-processor", "triggerer",
                                      "worker-1", "worker-2"}


def test_the_stacks_secrets_and_admin_password_are_readable_by_their_owner_only(celery_stack):
    import stat

    files = [celery_stack.dir / "secrets.env", celery_stack.dir / "airflow_home" / "simple_auth_manager_passwords.json"]
    for path in files:
        assert path.stat().st_size > 0, path
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path} is readable by others"
    assert "STACK_ADMIN_PASSWORD=" in files[0].read_text()


def test_run_triggered_over_rest_succeeds(finished_run):
    run_id, tis = finished_run
    assert tis[("check", -1)]["state"] == "success"
    assert all(t["state"] == "success" for t in tis.values()), {k: t["state"] for k, t in tis.items()}
    assert tis[("load", -1)]["pool"] == "duckdb_writer"


def test_both_workers_ran_tasks_of_the_run(finished_run):
    # Which worker takes which extract task is the broker's choice: on a busy machine one worker
    # can finish the first batch before the second is queued and then take that one too. What
    # a working two-worker topology shows is that the run's tasks are served by both workers.
    _, tis = finished_run
    extract = {i: t["hostname"] for (task, i), t in tis.items() if task == "extract"}
    assert sorted(extract) == [0, 1], "one mapped extract task per seed batch"
    hosts = {key: t["hostname"] for key, t in tis.items()}
    assert set(hosts.values()) == {"worker-1", "worker-2"}, f"tasks by worker: {hosts}"


def test_task_logs_are_served_from_the_workers(celery_stack, finished_run):
    run_id, tis = finished_run
    host = tis[("extract", 1)]["hostname"]
    with celery_stack.client() as api:
        log = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/extract/logs/1",
                      params={"map_index": 1}, headers={"Accept": "application/json"})
    assert log.status_code == 200, log.text[:500]
    events = " ".join(str(line.get("event", "")) if isinstance(line, dict) else str(line)
                      for line in log.json()["content"])
    assert "extract:" in events and "mentions from 1 documents" in events, events[-2000:]
    assert host in ("worker-1", "worker-2")


def test_warehouse_holds_the_seed_events(celery_stack, finished_run, seed_warehouse):
    warehouse = celery_stack.warehouse
    assert query(warehouse, "select count(*) from documents") == [(2,)]
    assert query(warehouse, "select count(*) from events")[0][0] > 0
    # two Celery workers, one extract task per batch: the same events as the CLI's single process
    assert event_snapshot(warehouse) == event_snapshot(seed_warehouse)
    # The read copy the load published answers the same, through the CLI's reader.
    from pipeline.cli import query as cli_query
    from pipeline.settings import Settings

    columns, rows = cli_query(warehouse, "select count(*) as n from documents", Settings.from_env())
    assert rows == [(2,)]
    assert (warehouse.parent / "events.read.duckdb").exists()
