"""The DuckDB warehouse: connections, transactions, the read copy and migrations.

All SQL objects live in versioned files under ``warehouse/sql``; this module
applies them in order and records each in ``schema_migrations``. What the
loader reads and writes is ``pipeline.repository``'s; a load runs in one
``transaction``, so it either lands whole or leaves nothing.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Union

import duckdb

from pipeline import lake as lakes
from pipeline.lake import Lake

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "warehouse" / "sql"
_MIGRATION_NAME = re.compile(r"^V(\d{3})__(\w+)\.sql$")


class MigrationChanged(RuntimeError):
    """An applied migration's file no longer matches what was applied to this warehouse."""


class WarehouseLocked(RuntimeError):
    """Another process holds the DuckDB file's single-writer lock."""


class WarehouseCorrupt(RuntimeError):
    """The warehouse file fails DuckDB's header or block checksums."""


def _is_lock_error(exc: Exception) -> bool:
    return "lock" in str(exc).lower()


_CORRUPTION = ("not a valid duckdb database file", "corrupt database file", "does not match stored checksum")


def _corrupt(path: Path, exc: Exception) -> WarehouseCorrupt | None:
    """The one-line way out when ``exc`` says the file at ``path`` is damaged, else None."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if not any(marker in message.lower() for marker in _CORRUPTION):
        return None
    return WarehouseCorrupt(
        f"warehouse {path} is damaged ({message.removeprefix('IO Error: ')}); restore the last good load with "
        f"`python -m pipeline restore --warehouse {path}` (from its read copy, or `--from BACKUP`), "
        f"or move the file away and rebuild it with `python -m pipeline run`")


# For connections that run SQL someone typed: DuckDB otherwise reads and writes any file
# (read_text, glob, COPY ... TO, even over the warehouse), installs extensions from the network,
# and lets the SQL itself SET these options back. Locked at connect, before any user statement.
SANDBOX_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


Target = Union[Path, str, Lake]


def is_lake(target: Target) -> bool:
    return isinstance(target, Lake)


def exists(target: Target) -> bool:
    """Whether there is a warehouse to read yet (a lake is created by its first writer)."""
    return lakes.exists(target) if isinstance(target, Lake) else Path(target).exists()


@contextmanager
def connect(path: Target, read_only: bool = False, lock_timeout_s: float = 60.0,
            sandboxed: bool = False, as_of: int | datetime | str | None = None
            ) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse, retrying with backoff while another process holds its lock.

    ``path`` is a DuckDB file or a ``Lake``. ``sandboxed`` connections (``SANDBOX_CONFIG``) see only
    the opened database: no files, no network, no extensions, and no way to change settings.
    A lake opened read-only reads the snapshot of the last completed run, or ``as_of`` (a snapshot
    id, a time, or ``lake.LATEST`` for the newest commit).
    """
    if isinstance(path, Lake):
        with _connect_lake(path, read_only, sandboxed, as_of) as con:
            yield con
        return
    if as_of is not None:
        raise ValueError("time travel (--as-of) needs the ducklake backend: PIPELINE_WAREHOUSE_BACKEND=ducklake")
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(f"warehouse {path} does not exist yet; run `python -m pipeline run` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout_s
    delay = 0.1
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=dict(SANDBOX_CONFIG) if sandboxed else {})
            break
        except duckdb.IOException as exc:
            if (damaged := _corrupt(path, exc)) is not None:
                raise damaged from exc
            if not _is_lock_error(exc):
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    f"warehouse {path} is locked by another process and stayed locked for {lock_timeout_s:.0f}s; "
                    "wait for the running load to finish or raise PIPELINE_LOCK_TIMEOUT_S") from exc
            log.warning("warehouse %s is locked by another process; retrying in %.1fs", path, delay)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
    try:
        yield con
    except duckdb.Error as exc:
        # a damaged block surfaces only when a statement reads it, anywhere in the caller's work
        if (damaged := _corrupt(path, exc)) is not None:
            raise damaged from exc
        raise
    finally:
        con.close()


@contextmanager
def _connect_lake(lake: Lake, read_only: bool, sandboxed: bool,
                  as_of: int | datetime | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with ``lake`` attached and selected: no file lock, for readers or writers.

    The sandbox settings are applied after the attach, which itself needs the catalog's network
    connection and the extension files; from then on the SQL reaches only the attached lake.
    """
    con = duckdb.connect(":memory:", config=lakes.connection_config())
    try:
        if not read_only:
            lakes.ensure_catalog_database(lake)
        elif as_of is None:  # readers read the last completed run, as a read copy would hold it
            try:
                as_of = lakes.last_run_snapshot(lake)
            except Exception as exc:
                if lakes.missing_catalog(exc):
                    raise FileNotFoundError(f"warehouse {lake} does not exist yet; run `python -m pipeline run` "
                                            "first") from exc
                raise
        if as_of == lakes.LATEST:
            as_of = None
        try:
            lakes.attach(con, lake, read_only=read_only or as_of is not None,
                         snapshot=as_of if isinstance(as_of, int) else None,
                         snapshot_time=as_of if isinstance(as_of, datetime) else None)
        except duckdb.Error as exc:
            if read_only and (lakes.missing_catalog(exc) or "read-only" in str(exc).lower()
                              or "read only" in str(exc).lower()):
                raise FileNotFoundError(f"warehouse {lake} does not exist yet; run `python -m pipeline run` "
                                        f"first ({str(exc).splitlines()[0]})") from exc
            raise
        if sandboxed:
            # The lake's data files are read through DuckDB's file system, so that one folder stays
            # readable; what could write into it (COPY, ATTACH, EXPORT) is kept out by ``reads_only``.
            con.execute("set allowed_directories = ?", [[str(lake.data_path).rstrip("/") + "/"]])
            for key, value in SANDBOX_CONFIG.items():  # lock_configuration last: dicts keep their order
                con.execute(f"set {key} = {'true' if value else 'false'}")
        yield con
    finally:
        con.close()


class NotAQuery(PermissionError):
    """SQL typed by someone that is not a query (a sandboxed lake connection runs only SELECTs)."""


def reads_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse ``sql`` unless every statement in it is a SELECT.

    A sandboxed connection to a lake may read the lake's data folder (DuckDB reads its Parquet
    files through the same file system that ``enable_external_access`` guards), so the statements
    that write files there are refused by type before anything runs.
    """
    for statement in con.extract_statements(sql):
        if statement.type != duckdb.StatementType.SELECT:
            raise NotAQuery(f"only SELECT statements run here, not {statement.type.name}")


# ---- read copy: readers never wait for the writer -------------------------------------------------
# DuckDB's writer holds an exclusive file lock that also shuts out read-only opens from other
# processes. So after every successful load the writer publishes a read copy next to the
# warehouse (events.duckdb -> events.read.duckdb): checkpoint, copy to a temp file, fsync,
# os.replace. Readers open the read copy read-only; they see the state as of the last completed
# load, never a half-loaded one, and a reader that has the old copy open keeps reading it.

# A lake needs none of this: its readers read committed snapshots and never wait for a writer.

def read_copy_path(path: Path | str) -> Path:
    """Where the read copy of the warehouse ``path`` is published."""
    if isinstance(path, Lake):
        raise ValueError(f"{path} has no read copy: readers of a lake read its snapshots")
    path = Path(path)
    return path.with_name(f"{path.stem}.read{path.suffix or '.duckdb'}")


def reader_path(path: Target) -> Path | Lake:
    """The file a reader should open: the read copy when one was published, else the warehouse.

    For a lake, the lake itself.
    """
    if isinstance(path, Lake):
        return path
    copy = read_copy_path(path)
    return copy if copy.exists() else Path(path)


def read_every_block(con: duckdb.DuckDBPyConnection) -> None:
    """Read every row of every table, so that a damaged block fails here (checksums are verified on read).

    A run whose marts were not rebuilt reads little of the file; without this it could publish a
    damaged file as the read copy.
    """
    tables = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_type = 'BASE TABLE' "
        "and table_catalog = current_database() and table_schema = 'main' order by 1").fetchall()]
    if tables:
        con.execute(" union all ".join(f'select sum(hash(t)) from "{name}" t' for name in tables)).fetchall()


def publish_read_copy(con: duckdb.DuckDBPyConnection, path: Path | str) -> Path:
    """Atomically replace the read copy with the committed state of ``path``.

    Call it on the writer's connection after commit: holding the write lock means nobody changes
    the file while it is copied, and the checkpoint moves the WAL into the file first.
    On a lake there is nothing to publish: the commit made the new snapshot the readers' one.
    """
    if isinstance(path, Lake):
        return path
    path = Path(path)
    target = read_copy_path(path)
    # The write lock is held, so no other publisher is running: any temporary left here is
    # from a writer that died mid-copy, and would otherwise stay on disk for good.
    for stale in target.parent.glob(f"{target.name}.tmp-*"):
        stale.unlink(missing_ok=True)
        log.warning("removed %s, left by an interrupted publish", stale)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    con.execute("checkpoint")
    try:
        shutil.copyfile(path, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("published read copy %s", target)
    return target


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Commit what the block wrote, or roll all of it back, whatever interrupted it.

    On a lake, overlapping write transactions conflict at commit (``lake.guard_write``).
    """
    con.execute("begin transaction")
    try:
        lakes.guard_write(con)
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def migrations(sql_dir: Path = SQL_DIR) -> list[tuple[str, str, str]]:
    """(version, name, sql) of every migration file, in version order."""
    found = []
    for path in sorted(sql_dir.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name} must be named VNNN__description.sql")
        found.append((match.group(1), match.group(2), path.read_text(encoding="utf-8")))
    return found


# What DuckLake cannot hold. Keys and indexes are the embedded file's integrity checks and lookup
# paths; a lake has neither, and the loads keep rows unique by their content-hash ids either way.
_LAKE_DROPPED_CONSTRAINTS = ("PrimaryKeyColumnConstraint", "UniqueColumnConstraint", "CheckColumnConstraint",
                             "Reference", "PrimaryKey", "ForeignKey", "CheckConstraint", "UniqueKey")


def for_ducklake(sql: str) -> str:
    """The same DDL without what DuckLake lacks: primary keys, unique, check and foreign-key
    constraints, and indexes.

    DuckDB splits the script into statements; sqlglot parses each one. Statements that need no
    change are kept verbatim, the others are re-rendered without the constraints (``create index``
    and an ``alter table`` that only adds a constraint disappear). Sequences have no stand-in on a
    lake and are refused here, before any statement runs.
    """
    import sqlglot
    from sqlglot import exp

    dropped = tuple(getattr(exp, name) for name in _LAKE_DROPPED_CONSTRAINTS if hasattr(exp, name))
    out = []
    for statement in duckdb.connect(":memory:").extract_statements(sql):
        text = statement.query.strip()
        tree = sqlglot.parse_one(text, read="duckdb")
        if isinstance(tree, exp.Create) and str(tree.args.get("kind") or "").upper() == "INDEX":
            continue
        if isinstance(tree, exp.Create) and str(tree.args.get("kind") or "").upper() == "SEQUENCE":
            raise ValueError(f"DuckLake has no sequences; use content-hash or uuid ids instead: {text[:80]}")
        changed = False
        # a primary key also means not null, which a lake does hold
        keyed = {col.name for col in tree.find_all(exp.ColumnDef)
                 if any(isinstance(c.args.get("kind"), exp.PrimaryKeyColumnConstraint)
                        for c in col.args.get("constraints") or [])}
        keyed |= {ident.name for pk in tree.find_all(exp.PrimaryKey) for ident in pk.find_all(exp.Identifier)}
        for col in tree.find_all(exp.ColumnDef):
            constraints = col.args.get("constraints") or []
            if col.name in keyed and not any(isinstance(c.args.get("kind"), exp.NotNullColumnConstraint)
                                             for c in constraints):
                col.append("constraints", exp.ColumnConstraint(kind=exp.NotNullColumnConstraint()))
        for node in list(tree.find_all(*dropped)):
            target = node.parent if isinstance(node.parent, exp.ColumnConstraint) else node
            if isinstance(target.parent, exp.AddConstraint):
                target = target.parent
            target.pop()
            changed = True
        if isinstance(tree, exp.Alter) and not tree.args.get("actions"):
            continue
        out.append(tree.sql(dialect="duckdb") if changed else text)
    return ";\n".join(out) + (";" if out else "")


_SCHEMA_MIGRATIONS_DDL = """
    create table if not exists schema_migrations (
        version varchar primary key, name varchar not null, checksum varchar not null,
        applied_at timestamptz not null)"""


def _changed(version: str, name: str, sql_dir: Path) -> "MigrationChanged":
    return MigrationChanged(
        f"migration V{version}__{name}.sql changed after it was applied to this warehouse; restore "
        f"its applied text (git checkout {sql_dir.name}/V{version}__{name}.sql) and put the change "
        "in a new migration with the next version number")


def migrate(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR, timeout_s: float = 60.0) -> list[str]:
    """Apply the migrations not yet recorded; returns the versions applied now.

    On a lake each migration runs as ``for_ducklake`` renders it (its checksum is the file's), and a
    migration that conflicts with another writer applying it at the same time is looked at again.
    """
    on_lake = lakes.is_lake(con) is not None
    dialect = for_ducklake if on_lake else (lambda sql: sql)
    if not (has_table(con, "schema_migrations") and (not on_lake or has_table(con, lakes.WRITE_GUARD))):
        lakes.retry_conflicts(lambda: con.execute(dialect(_SCHEMA_MIGRATIONS_DDL)), timeout_s, "migration")
        if on_lake:
            lakes.retry_conflicts(lambda: lakes.create_write_guard(con), timeout_s, "migration")
    applied = dict(con.execute("select version, checksum from schema_migrations").fetchall())
    done = []
    for version, name, sql in migrations(sql_dir):
        checksum = hashlib.sha256(sql.encode()).hexdigest()
        if version in applied:
            # a fresh warehouse and an upgraded one must hold the same schema: history is never rewritten
            if applied[version] != checksum:
                raise _changed(version, name, sql_dir)
            continue

        def apply() -> bool:
            # another writer may have applied it since (then this one conflicted and looks again)
            row = con.execute("select checksum from schema_migrations where version = ?", [version]).fetchone()
            if row is not None:
                if row[0] != checksum:
                    raise _changed(version, name, sql_dir)
                return False
            with transaction(con):
                con.execute(dialect(sql))
                con.execute("insert into schema_migrations values (?, ?, ?, ?)",
                            [version, name, checksum, datetime.now(timezone.utc)])
            return True

        if lakes.retry_conflicts(apply, timeout_s, f"migration V{version}"):
            done.append(version)
    return done


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute("select count(*) from information_schema.tables where table_name = ?", [name]).fetchone()[0] > 0
