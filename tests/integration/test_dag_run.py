"""The real DAG, run with dag.test() against a temp warehouse built from seeds/."""
from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import ROOT, SEEDS, event_snapshot, query


@pytest.fixture
def dag_env(tmp_path, monkeypatch, airflow_db):
    warehouse = tmp_path / "events.duckdb"
    monkeypatch.setenv("PIPELINE_SOURCE", str(SEEDS))
    monkeypatch.setenv("PIPELINE_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("PIPELINE_STAGING_DIR", str(tmp_path / "staging"))
    monkeypatch.setenv("PIPELINE_EXTRACT_BATCH_SIZE", "1")
    return warehouse


def load_dag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags")).dags["news_events"]


def test_dag_run_loads_the_seed_events(dag_env, seed_warehouse):
    from airflow.utils.state import DagRunState, TaskInstanceState

    dag_run = load_dag().test()
    assert dag_run.state == DagRunState.SUCCESS
    states = {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}
    assert states[("check", -1)] == TaskInstanceState.SUCCESS
    assert sorted(i for (t, i) in states if t == "extract") == [0, 1], "one mapped extract task per batch"

    # the DAG (one mapped extract task per document here) lands exactly what the CLI lands
    warehouse = dag_env
    assert event_snapshot(warehouse) == event_snapshot(seed_warehouse)
    agreement = query(warehouse, """
        select e.event_date from events e join event_actors a using (event_id)
        where e.event_type = 'agreement' and a.country_code in ('IND', 'RUS')
        group by all having count(distinct a.country_code) = 2""")
    assert agreement == [(date(2025, 8, 6),)]
    assert query(warehouse, "select count(*) from tariffs where imposer = 'USA' and target = 'IND' "
                            "and (rate_pct in (25, 50) or list_has_any(alt_rates, [25.0, 50.0]))")[0][0] >= 1
    assert not (dag_env.parent / "staging").exists() or not any((dag_env.parent / "staging").iterdir())


def test_second_dag_run_is_a_no_op_on_the_warehouse(dag_env):
    from airflow.utils.state import DagRunState

    snapshot = ("select (select count(*) from documents), (select count(*) from event_mentions), "
                "(select string_agg(event_id, ',' order by event_id) from events)")
    dag = load_dag()
    assert dag.test().state == DagRunState.SUCCESS
    before = query(dag_env, snapshot)
    second = dag.test()
    assert second.state == DagRunState.SUCCESS
    assert query(dag_env, snapshot) == before
    runs = query(dag_env, "select num_ingested, num_skipped from raw_runs order by started_at")
    assert runs[-1] == (0, 2)
