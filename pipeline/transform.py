"""The warehouse's dbt project (``warehouse/``): building its models and running its tests.

The loader writes the raw tables; ``dbt build`` turns them into the staging views and the
intermediate and mart tables, and runs every data test declared beside them. It runs in-process
(``dbtRunner``) on the same warehouse the loader wrote: the DuckDB file, after the loader closed
it (DuckDB has one writer), or the DuckLake, attached by dbt-duckdb.

A build is skipped when nothing it reads has changed: ``dbt_build_state`` holds the hash of the
project's files and the load watermark (the newest ``raw_loads`` row) of the last successful build.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from pipeline.lake import Lake

log = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent / "warehouse"
# What the build depends on besides the data: the project's own files, not the loader's migrations
# (sql/) nor the warehouse files that live in the same folder.
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "models", "tests", "macros")
_PROJECT_SUFFIXES = (".sql", ".yml", ".yaml", ".md", ".csv")

# dbt reads its profile's values from the environment (profiles.yml), and dbtRunner is not re-entrant.
_invoke_lock = threading.Lock()


class DbtFailed(AssertionError):
    """``dbt build`` or ``dbt test`` failed; the message names every failing model and test."""


@dataclass(frozen=True)
class BuildResult:
    skipped: bool
    passed: tuple[str, ...] = ()


def project_hash(project_dir: Path = PROJECT_DIR) -> str:
    """sha256 over the dbt project's files (their relative paths and bytes), in a stable order."""
    digest = hashlib.sha256()
    for name in PROJECT_FILES:
        root = project_dir / name
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*")
                                                     if p.is_file() and p.suffix in _PROJECT_SUFFIXES)
        for path in paths:
            digest.update(str(path.relative_to(project_dir)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def target_name(warehouse: Path | Lake) -> str:
    return "ducklake" if isinstance(warehouse, Lake) else "duckdb"


def state_dir(warehouse: Path | Lake) -> Path:
    """Where dbt writes its target/ (manifest, partial parse, docs) and logs/ for this warehouse."""
    if isinstance(warehouse, Lake):
        key = hashlib.sha256(f"{warehouse.catalog}\0{warehouse.data_path}".encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"pipeline-dbt-lake-{key}"
    path = Path(warehouse).resolve()
    return path.with_name(f".{path.stem}.dbt")


def profile_env(warehouse: Path | Lake) -> dict[str, str]:
    """The environment profiles.yml reads: which target, and where the warehouse is."""
    from pipeline import lake as lakes

    if isinstance(warehouse, Lake):
        return {"PIPELINE_DBT_TARGET": "ducklake", "PIPELINE_DBT_LAKE_NAME": warehouse.name,
                "PIPELINE_DBT_LAKE_CATALOG": warehouse.catalog,
                "PIPELINE_DBT_LAKE_DATA_PATH": str(warehouse.data_path).rstrip("/") + "/",
                "PIPELINE_DBT_EXTENSION_DIR": str(lakes.extension_directory())}
    return {"PIPELINE_DBT_TARGET": "duckdb", "PIPELINE_DBT_PATH": str(Path(warehouse).resolve())}


def dbt_args(warehouse: Path | Lake) -> list[str]:
    """The flags every invocation for ``warehouse`` takes."""
    state = state_dir(warehouse)
    return ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
            "--target-path", str(state / "target"), "--log-path", str(state / "logs"),
            "--target", target_name(warehouse)]


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def invoke(command: list[str], warehouse: Path | Lake):
    """Run one dbt command in this process; returns dbt's ``dbtRunnerResult``."""
    from dbt.cli.main import dbtRunner

    if isinstance(warehouse, Lake):
        _install_lake_extensions()
    with _invoke_lock, _environment(profile_env(warehouse)):
        try:
            return dbtRunner().invoke([*command, *dbt_args(warehouse), "--quiet", "--no-use-colors"])
        finally:
            _release_warehouse()


def _release_warehouse() -> None:
    """Close the DuckDB database dbt-duckdb keeps open between invocations in one process.

    Otherwise the file stays held by this process with dbt's configuration, and the loader, the
    read-copy publish and read-only opens in the same process could not open it their own way.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        env, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
        if env is not None:
            env.close()


def _install_lake_extensions() -> None:
    """dbt-duckdb only LOADs what profiles.yml lists; the files come from the packages, as for the loader."""
    import duckdb

    from pipeline import lake as lakes

    con = duckdb.connect(":memory:", config=lakes.connection_config())
    try:
        lakes.load_extensions(con)
    finally:
        con.close()


def _damaged(warehouse: Path | Lake, messages: list[str]) -> None:
    """A damaged DuckDB file fails dbt too: say so the way the loader does, with the way out."""
    from pipeline import warehouse as wh

    if isinstance(warehouse, Lake):
        return
    for message in messages:
        message = message.split("IO Error: ", 1)[-1] if "IO Error: " in message else message
        damaged = wh._corrupt(Path(warehouse), RuntimeError(message))
        if damaged is not None:
            raise damaged


def _outcome(result, what: str, warehouse: Path | Lake) -> tuple[str, ...]:
    """The names of the nodes that passed, or ``DbtFailed`` naming each that did not."""
    if result.exception is not None:
        _damaged(warehouse, [str(result.exception)])
        raise DbtFailed(f"dbt {what} could not run: {type(result.exception).__name__}: {result.exception}")
    results = list(result.result or [])
    failed = [r for r in results if str(r.status) in ("error", "fail", "runtime error")]
    _damaged(warehouse, [str(r.message) for r in failed])
    if failed or not result.success:
        lines = "\n".join(f"  - {r.node.name}: {' '.join(str(r.message or r.status).split())}" for r in failed)
        raise DbtFailed(f"dbt {what}: {len(failed)} of {len(results)} models and tests failed:\n{lines}")
    return tuple(sorted(r.node.name for r in results))


def current_state(con, warehouse: Path | Lake) -> tuple[str, datetime | None]:
    """(project hash, load watermark) a build now would build from."""
    watermark = con.execute("select max(loaded_at) from raw_loads").fetchone()[0]
    return project_hash(), watermark


def built_state(con, warehouse: Path | Lake) -> tuple[str, datetime | None] | None:
    row = con.execute("select project_hash, loaded_at from dbt_build_state where target = ?",
                      [target_name(warehouse)]).fetchone()
    return (row[0], row[1]) if row else None


def plan(warehouse: Path | Lake, lock_timeout_s: float = 60.0) -> dict | None:
    """What a build now would build from, as ``record_build`` takes it (JSON-able, for XCom), or None
    when the last successful build was of the same project and the same loads."""
    from pipeline import warehouse as wh

    with wh.connect(warehouse, lock_timeout_s=lock_timeout_s) as con:
        now_state = current_state(con, warehouse)
        if built_state(con, warehouse) == now_state:
            log.info("dbt build not needed: no load and no model changed since the last build")
            return None
    return {"project_hash": now_state[0], "loaded_at": now_state[1].isoformat() if now_state[1] else None}


def record_planned(warehouse: Path | Lake, planned: dict, run_id: str | None,
                   lock_timeout_s: float = 60.0) -> None:
    """Record the build ``plan`` returned, once every model and test of it passed."""
    from pipeline import warehouse as wh

    loaded_at = datetime.fromisoformat(planned["loaded_at"]) if planned.get("loaded_at") else None
    with wh.connect(warehouse, lock_timeout_s=lock_timeout_s) as con:
        record_build(con, warehouse, (planned["project_hash"], loaded_at), run_id)


def build(warehouse: Path | Lake, run_id: str | None = None, lock_timeout_s: float = 60.0,
          force: bool = False) -> BuildResult:
    """``dbt build`` unless the last successful build was of the same project and the same loads.

    A failure raises ``DbtFailed`` and records nothing, so the next run builds again.
    """
    from pipeline import warehouse as wh

    with _one_build_at_a_time(warehouse, lock_timeout_s):
        with wh.connect(warehouse, lock_timeout_s=lock_timeout_s) as con:
            now_state = current_state(con, warehouse)
            if not force and built_state(con, warehouse) == now_state:
                log.info("dbt build skipped: no load and no model changed since the last build")
                return BuildResult(skipped=True)
        passed = _outcome(invoke(["build"], warehouse), "build", warehouse)
        with wh.connect(warehouse, lock_timeout_s=lock_timeout_s) as con:
            record_build(con, warehouse, now_state, run_id)
    log.info("dbt build: %d models and tests passed", len(passed))
    return BuildResult(skipped=False, passed=passed)


@contextlib.contextmanager
def _one_build_at_a_time(warehouse: Path | Lake, timeout_s: float) -> Iterator[None]:
    """Builds of one warehouse by several processes take turns: two builds of one lake would conflict
    on every table they both replace, and dbt gives up on a DuckDB file another process holds.

    A lake's turn is a PostgreSQL advisory lock on its catalog; a file's, a lock on a file beside it.
    The second build then finds the state the first recorded and builds only what is still missing.
    """
    import time

    key = int(hashlib.sha256(b"pipeline dbt build").hexdigest()[:15], 16)
    deadline = time.monotonic() + max(timeout_s, 1.0) * 5
    if isinstance(warehouse, Lake):
        import psycopg2

        con = psycopg2.connect(warehouse.catalog)
        try:
            con.autocommit = True
            with con.cursor() as cur:
                while True:
                    cur.execute("select pg_try_advisory_lock(%s)", [key])
                    if cur.fetchone()[0]:
                        break
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"another dbt build of {warehouse} held its turn for too long")
                    time.sleep(0.5)
            yield
        finally:
            con.close()  # ends the session, and with it the lock
        return
    import fcntl

    path = state_dir(warehouse) / "build.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"another dbt build of {warehouse} held its turn for too long") from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def record_build(con, warehouse: Path | Lake, state: tuple[str, datetime | None], run_id: str | None) -> None:
    from pipeline import warehouse as wh

    with wh.transaction(con):
        con.execute("delete from dbt_build_state where target = ?", [target_name(warehouse)])
        con.execute("insert into dbt_build_state values (?, ?, ?, ?, ?)",
                    [target_name(warehouse), state[0], state[1], datetime.now(timezone.utc), run_id])


def test(warehouse: Path | Lake) -> tuple[str, ...]:
    """``dbt test``: every data test of the project; returns the names of those that passed."""
    return _outcome(invoke(["test"], warehouse), "test", warehouse)


def docs_path(warehouse: Path | Lake) -> Path:
    """Where ``docs`` writes the project's documentation: one self-contained HTML page."""
    return state_dir(warehouse) / "target" / "static_index.html"


def docs(warehouse: Path | Lake) -> Path:
    """``dbt docs generate --static``: lineage and column docs of every model, with the warehouse's
    catalog (types and row counts), as one HTML page the Events plugin serves at /events/dbt-docs/."""
    result = invoke(["docs", "generate", "--static"], warehouse)
    if result.exception is not None or not result.success:
        _damaged(warehouse, [str(result.exception)])
        raise DbtFailed(f"dbt docs generate failed: {result.exception}")
    return docs_path(warehouse)


def manifest() -> Path:
    """The project's ``manifest.json`` (``dbt parse``), for rendering the DAG's dbt task group.

    Parsed once per version of the project files and kept under the temp folder by their hash, so a
    DAG parse after the first reads a file; written by rename, so parallel parsers never see half of one.
    """
    path = Path(tempfile.gettempdir()) / f"pipeline-dbt-manifest-{project_hash()[:16]}" / "manifest.json"
    if path.exists():
        return path
    from dbt.cli.main import dbtRunner

    work = path.parent / f"parse-{os.getpid()}-{threading.get_ident()}"
    with _invoke_lock, _environment(profile_env(Path(work / "unused.duckdb"))):
        try:
            result = dbtRunner().invoke(["parse", "--project-dir", str(PROJECT_DIR), "--profiles-dir",
                                         str(PROJECT_DIR), "--target-path", str(work), "--log-path", str(work),
                                         "--target", "duckdb", "--quiet", "--no-partial-parse"])
            if result.exception is not None or not result.success:
                raise DbtFailed(f"dbt parse failed: {result.exception}")
            os.replace(work / "manifest.json", path)
        finally:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    return path
