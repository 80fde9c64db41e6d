"""DuckLakes for tests: each in its own PostgreSQL database, created for and dropped after its user.

PostgreSQL is the local server (PIPELINE_TEST_POSTGRES, a libpq string without dbname; default
``host=127.0.0.1 user=postgres``). When it is unreachable the tests that need it are skipped and say so.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from pipeline.lake import Lake

SERVER = os.environ.get("PIPELINE_TEST_POSTGRES", "host=127.0.0.1 user=postgres")


def _admin():
    import psycopg2

    con = psycopg2.connect(f"{SERVER} dbname=postgres connect_timeout=5")
    con.autocommit = True
    return con


def require_postgres() -> None:
    import psycopg2

    try:
        _admin().close()
    except psycopg2.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {SERVER!r} is unreachable ({str(exc).strip().splitlines()[0]}); "
                    "the DuckLake tests need it for the lake's catalog")


@contextmanager
def fresh_lake(data_dir: Path, prefix: str = "lake_test") -> Iterator[Lake]:
    """A lake whose catalog database does not exist yet (its first writer creates it); dropped after."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        yield Lake(catalog=f"{SERVER} dbname={name}", data_path=str(data_dir))
    finally:
        con = _admin()
        try:
            con.cursor().execute(f'drop database if exists "{name}" with (force)')
        finally:
            con.close()


def lake_env(lake: Lake) -> dict[str, str]:
    """The environment that points the pipeline at ``lake``."""
    return {"PIPELINE_WAREHOUSE_BACKEND": "ducklake", "PIPELINE_DUCKLAKE_CATALOG": lake.catalog,
            "PIPELINE_DUCKLAKE_DATA_PATH": lake.data_path}
