"""Online backups of the warehouse, and restoring one (or the read copy) over a damaged warehouse.

Both write a logical copy with DuckDB's ``COPY FROM DATABASE`` rather than copying bytes: every
block of the source is read, so its checksums are verified on the way, and a damaged source fails
the copy instead of producing a damaged backup. The copy goes to a temporary file that replaces the
target only once it is complete.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipeline import warehouse as wh

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Copied:
    path: Path
    documents: int
    events: int
    moved_aside: Path | None = None


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _copy_database(con: duckdb.DuckDBPyConnection, catalog: str, dest: Path) -> Path:
    """Write catalog ``catalog`` of ``con`` to ``dest`` through a temporary file, atomically."""
    tmp = dest.with_name(f"{dest.name}.tmp-{os.getpid()}")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        con.execute(f"attach {_literal(tmp)} as copy_target")
        try:
            con.execute(f"copy from database {_ident(catalog)} to copy_target")
        except duckdb.Error:
            con.execute("rollback")  # the failed copy aborted the transaction, and detach needs a live one
            raise
        finally:
            con.execute("detach copy_target")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
    return dest


def _counts(path: Path) -> tuple[int, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return (con.execute("select count(*) from documents").fetchone()[0],
                con.execute("select count(*) from events").fetchone()[0])
    finally:
        con.close()


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def backup(warehouse: Path, dest: Path, lock_timeout_s: float = 60.0) -> Copied:
    """A consistent copy of ``warehouse`` at ``dest`` (a file, or a folder to put a dated file in).

    Online: it waits for a running load's lock like any writer, and readers of the read copy are
    never blocked. The copy holds every committed load, including one whose read copy failed.
    """
    if wh.is_lake(warehouse):
        return _backup_lake(warehouse, Path(dest))
    warehouse, dest = Path(warehouse), Path(dest)
    if not warehouse.exists():
        raise FileNotFoundError(f"warehouse {warehouse} does not exist; nothing to back up")
    if dest.is_dir():
        dest = dest / f"{warehouse.stem}-{_stamp()}{warehouse.suffix or '.duckdb'}"
    if dest.resolve() in {warehouse.resolve(), wh.read_copy_path(warehouse).resolve()}:
        raise ValueError(f"{dest} is the warehouse or its read copy; back up to another file or folder")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with wh.connect(warehouse, lock_timeout_s=lock_timeout_s) as con:
        catalog = con.execute("select current_database()").fetchone()[0]
        _copy_database(con, catalog, dest)
    log.info("backed up %s to %s", warehouse, dest)
    return Copied(dest, *_counts(dest))


def _backup_lake(lake, dest: Path) -> Copied:
    """The lake's current snapshot as one DuckDB file, read like any reader: no writer waits."""
    if not wh.exists(lake):
        raise FileNotFoundError(f"warehouse {lake} does not exist; nothing to back up")
    if dest.is_dir():
        dest = dest / f"events-{_stamp()}.duckdb"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with wh.connect(lake, read_only=True) as con:
        _copy_database(con, lake.name, dest)
    log.info("backed up %s to %s", lake, dest)
    return Copied(dest, *_counts(dest))


def _refuse_if_in_use(warehouse: Path) -> None:
    """Restoring under a running writer would lose its load: refuse while anyone holds the lock."""
    if not warehouse.exists():
        return
    try:
        duckdb.connect(str(warehouse)).close()
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            raise wh.WarehouseLocked(f"warehouse {warehouse} is in use by another process; stop the running "
                                     "load or DAG before restoring") from exc
        # otherwise it cannot even be opened: damaged, which is what restoring is for


def restore(warehouse: Path, source: Path | None = None) -> Copied:
    """Replace ``warehouse`` with a verified copy of ``source`` (default: its read copy).

    The replaced file and its WAL are moved aside as ``<name>.damaged-<UTC>``, never deleted.
    """
    if wh.is_lake(warehouse):
        raise ValueError(f"{warehouse} is a lake: its earlier loads stay readable (`query --as-of`), and it is "
                         "restored with its PostgreSQL catalog and data folder, not from a read copy")
    warehouse = Path(warehouse)
    read_copy = wh.read_copy_path(warehouse)
    source = Path(source) if source is not None else read_copy
    if not source.exists():
        hint = ("no read copy has been published yet" if source == read_copy else "no such file")
        raise FileNotFoundError(f"cannot restore from {source}: {hint}; name a backup with --from, "
                                "or rebuild the warehouse with `python -m pipeline run`")
    if source.resolve() == warehouse.resolve():
        raise ValueError(f"{source} is the warehouse itself; restore from its read copy or a backup")
    _refuse_if_in_use(warehouse)
    tmp_dest = warehouse.with_name(f"{warehouse.name}.restoring")
    con = duckdb.connect()
    try:
        try:
            con.execute(f"attach {_literal(source)} as restore_source (read_only)")
            _copy_database(con, "restore_source", tmp_dest)
        except duckdb.Error as exc:
            raise wh.WarehouseCorrupt(f"{source} cannot be restored from either: {str(exc).splitlines()[0]}; "
                                      "name another backup with --from, or rebuild with `python -m pipeline run`"
                                      ) from exc
    finally:
        con.close()
    moved = None
    if warehouse.exists():
        moved = warehouse.with_name(f"{warehouse.name}.damaged-{_stamp()}")
        os.replace(warehouse, moved)
    wal = warehouse.with_name(warehouse.name + ".wal")
    if wal.exists():  # the old file's log would be replayed onto the restored one
        os.replace(wal, (moved or warehouse).with_name((moved or warehouse).name + ".wal-aside"))
    os.replace(tmp_dest, warehouse)
    if source != read_copy:
        with wh.connect(warehouse) as writer:
            wh.publish_read_copy(writer, warehouse)
    log.info("restored %s from %s (old file moved to %s)", warehouse, source, moved)
    return Copied(warehouse, *_counts(warehouse), moved_aside=moved)
