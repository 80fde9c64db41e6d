"""Every reader works on a lake, with no read copy: the Events page API, the digest and backup.

The lake's catalog is a fresh database in the local PostgreSQL, dropped after the module.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pipeline import backup, digest
from pipeline import warehouse as wh
from pipeline.cli import run_pipeline
from pipeline.settings import Settings
from tests.conftest import ROOT, SEEDS
from tests.lakes import fresh_lake, require_postgres

BAD_INPUTS = ROOT / "tests" / "fixtures" / "bad_inputs"


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    require_postgres()
    with fresh_lake(tmp_path_factory.mktemp("lake-readers") / "data") as lake:
        run_pipeline(SEEDS, lake, Settings.from_env(), run_id="run-seeds")
        yield lake


def count(lake, sql: str) -> int:
    with wh.connect(lake, read_only=True) as con:
        return con.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def token(airflow_db):
    from airflow.api_fastapi.app import create_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    manager = create_auth_manager()
    manager.init()
    return manager.generate_jwt(SimpleAuthManagerUser(username="admin", role="admin"))


def test_the_events_api_reads_the_current_snapshot(lake, token, tmp_path):
    from fastapi.testclient import TestClient

    from pipeline.ui.app import create_app

    with TestClient(create_app(lake), headers={"Authorization": f"Bearer {token}"}) as client:
        body = client.get("/api/events", params={"page_size": 200}).json()
        assert body["total"] == count(lake, "select count(*) from events") > 0
        assert body["total"] == len(body["events"])
        event_id = body["events"][0]["event_id"]
        detail = client.get(f"/api/events/{event_id}")
        assert detail.status_code == 200 and detail.json()["mentions"]
        for chart in ("weekly", "tariff_rates", "pairs", "runs"):
            assert client.get(f"/api/charts/{chart}").status_code == 200, chart
        runs_before = client.get("/api/charts/runs").json()["rows"]
        assert [r["run_id"] for r in runs_before] == ["run-seeds"]

        # a load commits; the next request reads the new snapshot, charts included
        run_pipeline(BAD_INPUTS, lake, Settings.from_env(), run_id="run-bad-inputs")
        runs = client.get("/api/charts/runs").json()["rows"]
        assert [r["run_id"] for r in runs] == ["run-seeds", "run-bad-inputs"]
        assert client.get("/api/events").json()["total"] == count(lake, "select count(*) from events")
    assert not list(tmp_path.iterdir())


def test_the_events_api_says_how_to_build_a_lake_that_does_not_exist(token, tmp_path):
    from fastapi.testclient import TestClient

    from pipeline.ui.app import create_app

    with fresh_lake(tmp_path / "data") as missing, \
            TestClient(create_app(missing), headers={"Authorization": f"Bearer {token}"}) as client:
        resp = client.get("/api/events")
        assert resp.status_code == 503 and "news_events DAG" in resp.json()["detail"]


def test_the_digest_reads_the_lake(lake, tmp_path):
    path = digest.write_digest(lake, out_dir=tmp_path, now=datetime(2025, 8, 7, 6, tzinfo=timezone.utc))
    total = count(lake, "select count(*) from events")
    assert path is not None and f"<p>{total} events with reports loaded ever" in path.read_text(encoding="utf-8")
    assert digest.write_digest(lake, out_dir=tmp_path) is None  # nothing new since


def test_a_backup_of_the_lake_is_a_duckdb_file_of_its_current_snapshot(lake, tmp_path):
    done = backup.backup(lake, tmp_path)
    assert done.path.parent == tmp_path and done.path.suffix == ".duckdb"
    assert done.documents == count(lake, "select count(*) from documents")
    assert done.events == count(lake, "select count(*) from events") > 0
    with wh.connect(done.path, read_only=True) as con:
        assert con.execute("select count(*) from raw_runs").fetchone()[0] == count(lake, "select count(*) from raw_runs")
    with pytest.raises(ValueError, match="is a lake"):
        backup.restore(lake, done.path)
