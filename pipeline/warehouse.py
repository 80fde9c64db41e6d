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
from typing import Iterator

import duckdb

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "warehouse" / "sql"
_MIGRATION_NAME = re.compile(r"^V(\d{3})__(\w+)\.sql$")


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


@contextmanager
def connect(path: Path | str, read_only: bool = False, lock_timeout_s: float = 60.0,
            sandboxed: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse, retrying with backoff while another process holds its lock.

    ``sandboxed`` connections (``SANDBOX_CONFIG``) see only the opened database: no files, no
    network, no extensions, and no way to change settings.
    """
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


# ---- read copy: readers never wait for the writer -------------------------------------------------
# DuckDB's writer holds an exclusive file lock that also shuts out read-only opens from other
# processes. So after every successful load the writer publishes a read copy next to the
# warehouse (events.duckdb -> events.read.duckdb): checkpoint, copy to a temp file, fsync,
# os.replace. Readers open the read copy read-only; they see the state as of the last completed
# load, never a half-loaded one, and a reader that has the old copy open keeps reading it.

def read_copy_path(path: Path | str) -> Path:
    """Where the read copy of the warehouse ``path`` is published."""
    path = Path(path)
    return path.with_name(f"{path.stem}.read{path.suffix or '.duckdb'}")


def reader_path(path: Path | str) -> Path:
    """The file a reader should open: the read copy when one was published, else the warehouse."""
    copy = read_copy_path(path)
    return copy if copy.exists() else Path(path)


def publish_read_copy(con: duckdb.DuckDBPyConnection, path: Path | str) -> Path:
    """Atomically replace the read copy with the committed state of ``path``.

    Call it on the writer's connection after commit: holding the write lock means nobody changes
    the file while it is copied, and the checkpoint moves the WAL into the file first.
    """
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
    """Commit what the block wrote, or roll all of it back, whatever interrupted it."""
    con.execute("begin transaction")
    try:
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


def migrate(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[str]:
    """Apply the migrations not yet recorded; returns the versions applied now."""
    con.execute("""
        create table if not exists schema_migrations (
            version varchar primary key, name varchar not null, checksum varchar not null,
            applied_at timestamptz not null)""")
    applied = dict(con.execute("select version, checksum from schema_migrations").fetchall())
    done = []
    for version, name, sql in migrations(sql_dir):
        checksum = hashlib.sha256(sql.encode()).hexdigest()
        if version in applied:
            if applied[version] != checksum:
                log.warning("migration V%s__%s changed after it was applied; add a new migration instead",
                            version, name)
            continue
        with transaction(con):
            con.execute(sql)
            con.execute("insert into schema_migrations values (?, ?, ?, ?)",
                        [version, name, checksum, datetime.now(timezone.utc)])
        done.append(version)
    return done


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute("select count(*) from information_schema.tables where table_name = ?", [name]).fetchone()[0] > 0
