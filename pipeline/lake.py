"""DuckLake: the warehouse as Parquet files in a shared folder with its catalog in PostgreSQL.

A lake connection is an in-memory DuckDB with the lake attached and selected (``USE``), so the
same unqualified SQL runs on it as on the embedded DuckDB file. Writers never take a file lock:
each transaction commits a new snapshot in the catalog, and readers read the snapshot that was
current when their statement began, or any earlier one (time travel). Two writers that change the
same table at once do not both commit; the second sees ``LakeConflict`` and runs again.

The ``ducklake`` and ``postgres`` extensions come from the ``duckdb-extension-*`` packages and are
installed into a project-local extension directory, so nothing is downloaded.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import os
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, TypeVar

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXTENSIONS = ("ducklake", "postgres")
#: ``author`` of the snapshot a pipeline run commits last; its ``commit_message`` is the run id.
RUN_AUTHOR = "pipeline"

T = TypeVar("T")


@dataclass(frozen=True)
class Lake:
    """Where a DuckLake lives: a libpq string for its PostgreSQL catalog and the folder of its data files."""

    catalog: str
    data_path: str
    name: str = "lake"

    def __str__(self) -> str:
        return f"ducklake:postgres:{_redacted(self.catalog)} (data {self.data_path})"


def _redacted(libpq: str) -> str:
    try:
        from psycopg2.extensions import parse_dsn

        parts = parse_dsn(libpq)
    except Exception:
        return libpq
    return " ".join(f"{k}={'***' if k == 'password' else v}" for k, v in parts.items())


def extension_directory() -> Path:
    """Project-local, so neither ``~/.duckdb`` nor the network is involved (PIPELINE_DUCKDB_EXTENSION_DIR)."""
    return Path(os.environ.get("PIPELINE_DUCKDB_EXTENSION_DIR") or PROJECT_ROOT / ".duckdb" / "extensions")


def extension_file(name: str) -> Path:
    """The extension binary shipped inside the ``duckdb-extension-<name>`` package."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or spec.origin is None:
        raise RuntimeError(f"the DuckDB {name} extension is missing: install duckdb-extension-{name} "
                           "(it is in requirements.lock)")
    import duckdb

    found = sorted(Path(spec.origin).parent.glob(f"extensions/v{duckdb.__version__}/{name}.duckdb_extension"))
    if not found:
        raise RuntimeError(f"duckdb-extension-{name} has no build for duckdb {duckdb.__version__}; "
                           "pin the two to the same version")
    return found[0]


_installed: set[tuple[str, str]] = set()
_install_lock = threading.Lock()


def connection_config() -> dict:
    """Config for a DuckDB connection that will attach a lake: local extensions only, none fetched."""
    return {"extension_directory": str(extension_directory()),
            "autoinstall_known_extensions": False, "autoload_known_extensions": False}


def load_extensions(con) -> None:
    """INSTALL (once per directory, from the packages' files) and LOAD ducklake and postgres."""
    directory = str(extension_directory())
    with _install_lock:
        missing = [n for n in EXTENSIONS if (directory, n) not in _installed]
        if missing:
            installed = {name for name, ok in con.execute(
                "select extension_name, installed from duckdb_extensions()").fetchall() if ok}
            for name in missing:
                if name not in installed and f"{name}_scanner" not in installed:
                    con.execute(f"install {_literal(str(extension_file(name)))}")
                _installed.add((directory, name))
    for name in EXTENSIONS:
        con.execute(f"load {name}")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _read_only_catalog(libpq: str) -> str:
    """The catalog string with every PostgreSQL transaction read-only, so SQL run by a reader
    (``postgres_execute`` on the catalog included) cannot change the catalog."""
    if "options" in libpq:
        return libpq
    return f"{libpq} options='-c default_transaction_read_only=on'"


def ensure_catalog_database(lake: Lake) -> bool:
    """Create the catalog's PostgreSQL database when it does not exist yet; True if created."""
    import psycopg2
    from psycopg2 import errors, sql
    from psycopg2.extensions import parse_dsn

    params = parse_dsn(lake.catalog)
    dbname = params.pop("dbname", None)
    if not dbname:
        raise ValueError(f"PIPELINE_DUCKLAKE_CATALOG {_redacted(lake.catalog)!r} names no dbname")
    con = psycopg2.connect(dbname="postgres", **params)
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", [dbname])
            if cur.fetchone():
                return False
            try:
                cur.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
            except (errors.DuplicateDatabase, errors.UniqueViolation):
                return False  # another process created it first
    finally:
        con.close()
    log.info("created the DuckLake catalog database %s", dbname)
    return True


def exists(lake: Lake) -> bool:
    """Whether the lake's catalog has been created (by its first writer)."""
    import psycopg2

    try:
        con = psycopg2.connect(lake.catalog)
    except psycopg2.OperationalError as exc:
        if "does not exist" in str(exc):
            return False
        raise
    try:
        with con.cursor() as cur:
            cur.execute("select to_regclass('ducklake_metadata') is not null")
            return bool(cur.fetchone()[0])
    finally:
        con.close()


#: ``as_of`` for a reader that wants the newest commit rather than the last completed run's.
LATEST = "latest"


def last_run_snapshot(lake: Lake) -> int | None:
    """The snapshot the last completed pipeline run committed (``tag_commit``), read from the catalog.

    Readers read this one by default: a run commits its load and then builds its marts, so a newer
    snapshot may hold raw rows whose marts are not built yet. It is the lake's read copy, without
    the copy.
    """
    import psycopg2

    try:
        con = psycopg2.connect(_read_only_catalog(lake.catalog))
    except psycopg2.OperationalError as exc:
        if "does not exist" in str(exc):
            return None  # no lake yet: attaching says so
        raise
    try:
        with con.cursor() as cur:
            cur.execute("select max(snapshot_id) from ducklake_snapshot_changes where author = %s", [RUN_AUTHOR])
            row = cur.fetchone()
            return row[0] if row else None
    except psycopg2.errors.UndefinedTable:
        return None
    finally:
        con.close()


def attach(con, lake: Lake, read_only: bool = False, snapshot: int | None = None,
           snapshot_time: datetime | None = None) -> None:
    """Attach ``lake`` to ``con`` and make it the default database.

    Readers attach read-only at the current snapshot, or at ``snapshot``/``snapshot_time``.
    """
    load_extensions(con)
    catalog = _read_only_catalog(lake.catalog) if read_only else lake.catalog
    options = [f"data_path {_literal(str(lake.data_path).rstrip('/') + '/')}"]
    if read_only or snapshot is not None or snapshot_time is not None:
        options.append("read_only")
    if snapshot is not None:
        options.append(f"snapshot_version {int(snapshot)}")
    if snapshot_time is not None:
        options.append(f"snapshot_time {_literal(snapshot_time.isoformat())}")
    if not read_only:
        Path(lake.data_path).mkdir(parents=True, exist_ok=True)
    con.execute(f"attach {_literal('ducklake:postgres:' + catalog)} as {lake.name} ({', '.join(options)})")
    con.execute(f"use {lake.name}")


def missing_catalog(exc: Exception) -> bool:
    return "does not exist" in str(exc) and "database" in str(exc)


def is_lake(con) -> str | None:
    """The name of the DuckLake ``con`` reads and writes by default, or None for a DuckDB file."""
    row = con.execute("select database_name from duckdb_databases() "
                      "where database_name = current_database() and type = 'ducklake'").fetchone()
    return row[0] if row else None


# DuckLake detects write-write conflicts per table, for deletes and updates only: two loads that
# insert the events of one block, each from its own snapshot, would both commit and leave the
# block resolved twice. Every write transaction on a lake therefore updates the one row of this
# table, so of two overlapping writers only the first commits, and the second runs again on a
# snapshot that holds the first one's rows (``retry_conflicts``). Readers are not involved.
WRITE_GUARD = "pipeline_write_guard"


def create_write_guard(con) -> None:
    con.execute(f"create table if not exists {WRITE_GUARD} (writes bigint not null)")
    if con.execute(f"select count(*) from {WRITE_GUARD}").fetchone()[0] == 0:
        con.execute(f"insert into {WRITE_GUARD} values (0)")


def guard_write(con) -> None:
    """Make the open transaction conflict with any other write transaction that overlaps it (on a lake).

    ``migrate`` creates the guard before any other write; listing the lake's tables to look for it
    would cost more than the update (``duckdb_tables()`` reads every table's metadata from the catalog).
    """
    name = is_lake(con)
    if name is None:
        return
    import duckdb

    try:
        con.execute(f"update {name}.{WRITE_GUARD} set writes = writes + 1")
    except duckdb.CatalogException as exc:
        raise RuntimeError(f"lake {name} has no {WRITE_GUARD} table yet: run warehouse.migrate on it "
                           "before writing") from exc


class LakeConflict(RuntimeError):
    """Another writer committed a change to the same tables first; running again resolves it."""


def is_conflict(exc: BaseException) -> bool:
    text = str(exc)
    return ("Failed to commit DuckLake transaction" in text or "Transaction conflict" in text
            or "conflict" in text.lower() and "ducklake" in text.lower())


def retry_conflicts(work: Callable[[], T], timeout_s: float = 60.0, what: str = "load") -> T:
    """Run ``work`` until it commits without a write conflict, for at most ``timeout_s``.

    ``work`` must be idempotent (the loads are: they replace rows by content-hash ids), since a
    conflict rolls its whole transaction back and the next attempt starts from the new snapshot.
    """
    deadline = time.monotonic() + timeout_s
    attempt = 0
    while True:
        try:
            return work()
        except Exception as exc:
            if not is_conflict(exc):
                raise
            attempt += 1
            if time.monotonic() >= deadline:
                raise LakeConflict(f"the {what} kept conflicting with other writers for {timeout_s:.0f}s "
                                   f"({attempt} attempts); raise PIPELINE_LOCK_TIMEOUT_S") from exc
            delay = min(0.1 * 2 ** attempt, 3.0) * (0.5 + random.random())
            log.info("%s conflicted with another writer's commit (attempt %d); running it again in %.2fs",
                     what, attempt, delay)
            time.sleep(delay)


def tag_commit(con, run_id: str, extra: dict | None = None) -> None:
    """Name the snapshot the open transaction will commit after the run that wrote it."""
    name = is_lake(con)
    if name is None:
        return
    con.execute(f"call {name}.set_commit_message(?, ?, extra_info => ?)",
                [RUN_AUTHOR, run_id, json.dumps(extra or {}, sort_keys=True, default=str)])


def snapshots(con, loads_only: bool = True) -> list[dict]:
    """The lake's snapshots, oldest first; ``loads_only`` keeps those that ended a pipeline run."""
    name = is_lake(con)
    if name is None:
        raise ValueError("snapshots exist only on the ducklake backend (PIPELINE_WAREHOUSE_BACKEND=ducklake)")
    rows = con.execute(f"""
        select snapshot_id, snapshot_time, author, commit_message, commit_extra_info
        from {name}.snapshots() order by snapshot_id""").fetchall()
    out = []
    for snapshot_id, at, author, message, extra in rows:
        if loads_only and author != RUN_AUTHOR:
            continue
        out.append({"snapshot_id": snapshot_id, "snapshot_time": at, "run_id": message,
                    **(json.loads(extra) if extra else {})})
    return out


def current_snapshot(con) -> int:
    name = is_lake(con)
    if name is None:
        raise ValueError("not a DuckLake connection")
    return con.execute(f"select id from {name}.current_snapshot()").fetchone()[0]
