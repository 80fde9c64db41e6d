"""The events digest: an HTML page of the events loaded since the previous digest, written after
every load by the events_digest DAG."""
from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone

from pipeline import digest
from pipeline.warehouse import read_copy_path
from tests.conftest import ROOT, query


def copy_warehouse(seed_warehouse, tmp_path):
    path = tmp_path / "events.duckdb"
    shutil.copy(seed_warehouse, path)
    if read_copy_path(seed_warehouse).exists():
        shutil.copy(read_copy_path(seed_warehouse), read_copy_path(path))
    return path


def test_the_digest_counts_the_new_events_and_draws_them(seed_warehouse, tmp_path):
    warehouse = copy_warehouse(seed_warehouse, tmp_path)
    path = digest.write_digest(warehouse, now=datetime(2025, 8, 7, 6, tzinfo=timezone.utc))
    assert path == tmp_path / "reports" / "digest-20250807T060000Z.html"
    page = path.read_text(encoding="utf-8")
    total = query(warehouse, "select count(*) from events")[0][0]
    assert total > 0 and f"<p>{total} events with reports loaded ever" in page
    by_type = dict(query(warehouse, "select event_type, count(*) from events group by 1"))
    bars = re.findall(r'<rect [^>]*><title>(\d+)</title>', page)
    assert sum(map(int, bars)) == total and len(bars) == 4
    assert max(map(int, bars)) == max(by_type.values())
    assert "<q>" in page and "http" not in page.split("<body>", 1)[1].replace('xmlns="http://www.w3.org/2000/svg"', "")
    # nothing new since: no second digest
    assert digest.write_digest(warehouse) is None
    assert sorted(p.name for p in (tmp_path / "reports").glob("*.html")) == [path.name]


def test_the_events_digest_dag_writes_a_digest(seed_warehouse, tmp_path, monkeypatch, airflow_db):
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.state import DagRunState

    warehouse = copy_warehouse(seed_warehouse, tmp_path)
    monkeypatch.setenv("PIPELINE_WAREHOUSE", str(warehouse))
    dag = DagBag(dag_folder=str(ROOT / "dags")).dags["events_digest"]
    assert dag.test().state == DagRunState.SUCCESS
    (page,) = (tmp_path / "reports").glob("digest-*.html")
    assert "News events digest" in page.read_text(encoding="utf-8")
