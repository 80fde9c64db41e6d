"""Shared fixtures. Airflow reads AIRFLOW_HOME at import, so it is pointed at a temp dir first."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
EVAL_DIR = ROOT.parent / "shared" / "eval"

_airflow_home = Path(tempfile.mkdtemp(prefix="airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_airflow_home)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
# Tests write their inputs a moment before a run reads them; tests/integration/test_file_settle.py
# covers the settle period itself.
os.environ.setdefault("PIPELINE_FILE_SETTLE_S", "0")


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_airflow_home, ignore_errors=True)


@pytest.fixture(scope="session")
def airflow_db():
    """A migrated Airflow metadata DB (SQLite in the temp AIRFLOW_HOME)."""
    from airflow.utils import db

    db.initdb()
    return _airflow_home


@pytest.fixture(scope="session")
def nlp():
    from pipeline.nlp import load_nlp

    return load_nlp()


@pytest.fixture
def warehouse_path(tmp_path) -> Path:
    return tmp_path / "events.duckdb"


@pytest.fixture(scope="session")
def seed_warehouse(tmp_path_factory) -> Path:
    """A warehouse built once from seeds/ by the CLI's code path, shared read-only by tests."""
    from pipeline.cli import run_pipeline
    from pipeline.settings import Settings

    path = tmp_path_factory.mktemp("seed-warehouse") / "events.duckdb"
    run_pipeline(SEEDS, path, Settings.from_env())
    return path


def query(path: Path, sql: str, params=None) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


EVENT_SNAPSHOT_SQL = """
    select e.event_type, e.event_date, e.status, e.rate_pct, e.num_documents,
           string_agg(a.role || ':' || a.country_code, ' ' order by a.role, a.country_code) as actors
    from events e left join event_actors a using (event_id)
    group by all order by all"""


def event_snapshot(path: Path) -> list[tuple]:
    """Every event of a warehouse as comparable rows: two routes over the same input must agree."""
    return query(path, EVENT_SNAPSHOT_SQL)

