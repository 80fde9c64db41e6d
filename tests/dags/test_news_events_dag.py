"""DAG integrity: it imports cleanly and has the expected shape and settings."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_one_dag_per_file_named_after_it(dagbag):
    assert set(dagbag.dag_ids) == {"news_events", "events_digest"}
    for dag_id, dag in dagbag.dags.items():
        assert dag.fileloc.endswith(f"/{dag_id}.py")
        assert dag.doc_md and dag_id in dag.doc_md


def test_load_produces_the_warehouse_asset_that_schedules_the_digest(dagbag):
    from pipeline.assets import WAREHOUSE_ASSET

    load = dagbag.dags["news_events"].get_task("load")
    assert WAREHOUSE_ASSET in load.outlets
    assert WAREHOUSE_ASSET.uri.startswith("file:///") and WAREHOUSE_ASSET.uri.endswith(".duckdb")
    digest = dagbag.dags["events_digest"]
    assert list(digest.timetable.asset_condition.objects) == [WAREHOUSE_ASSET]


def test_task_graph(dagbag):
    dag = dagbag.dags["news_events"]
    edges = {(t.task_id, d) for t in dag.tasks for d in t.downstream_task_ids}
    assert {t.task_id for t in dag.tasks} == {"ingest", "normalise", "extract", "load", "check"}
    assert edges == {
        ("ingest", "normalise"), ("ingest", "load"), ("ingest", "check"),
        ("normalise", "extract"), ("extract", "load"), ("load", "check"),
    }


def test_schedule_and_run_settings(dagbag):
    dag = dagbag.dags["news_events"]
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.doc_md and "news_events" in dag.doc_md
    assert "news" in dag.tags
    assert dag.dagrun_timeout == timedelta(minutes=180)
    for t in dag.tasks:
        assert t.retries >= 1, t.task_id
        assert t.owner == "news-pipeline"
        assert t.execution_timeout == timedelta(minutes=60), t.task_id
    assert dag.get_task("load").pool == "duckdb_writer"
    assert dag.get_task("load").pool_slots == 1


def test_hourly_by_default_with_real_data_intervals(dagbag):
    from airflow.timetables.interval import CronDataIntervalTimetable

    dag = dagbag.dags["news_events"]
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert dag.timetable.summary == "0 * * * *"
    info = _next(dag.timetable, None)
    assert info.data_interval.end - info.data_interval.start == timedelta(hours=1)


def _next(timetable, last):
    import pendulum
    from airflow.timetables.base import TimeRestriction

    return timetable.next_dagrun_info(last_automated_data_interval=last,
                                      restriction=TimeRestriction(pendulum.datetime(2025, 1, 1, tz="UTC"), None, True))


def test_schedule_is_configurable(monkeypatch):
    import importlib.util

    monkeypatch.setenv("PIPELINE_SCHEDULE", "@daily")
    spec = importlib.util.spec_from_file_location("news_events_daily", ROOT / "dags" / "news_events.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.news_events()
    assert dag.timetable.summary == "0 0 * * *"
    info = _next(dag.timetable, None)
    assert info.data_interval.end - info.data_interval.start == timedelta(days=1)


def test_every_task_has_a_failure_hint_and_the_callbacks(dagbag):
    from pipeline.failures import FAILURE_HINTS, log_failure

    dag = dagbag.dags["news_events"]
    assert set(FAILURE_HINTS) == {t.task_id for t in dag.tasks}
    for t in dag.tasks:
        assert t.on_failure_callback in (log_failure, [log_failure]), t.task_id
