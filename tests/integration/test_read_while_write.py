"""Reading while writing: a reader never waits for, or fails on, a load that holds DuckDB's lock.

The writer (a real `python -m pipeline run` in another process) is slowed down inside its load,
with the write lock held, so that the reader's queries certainly overlap it. Every read must
return either the state before the run or the state after it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, SEEDS

HOLD_LOCK_S = 6

# The real CLI, with the load made slow: record_run runs on the writer's connection after the
# commit and before the read copy is published, so sleeping there holds the file lock.
SLOW_WRITER = """
import sys, time
from pipeline import repository
_record_run = repository.record_run
def slow_record_run(con, *args, **kwargs):
    _record_run(con, *args, **kwargs)
    print("LOCK HELD", flush=True)
    time.sleep(float(sys.argv[3]))
repository.record_run = slow_record_run
from pipeline.cli import main
sys.exit(main(["run", "--source", sys.argv[1], "--warehouse", sys.argv[2], "--quiet"]))
"""


def _documents(warehouse: Path) -> int:
    """What `python -m pipeline query` runs: pipeline.cli.query, in this (reader) process."""
    from pipeline.cli import query
    from pipeline.settings import Settings

    _, rows = query(warehouse, "select count(*) from documents", Settings.from_env())
    return rows[0][0]


def _documents_via_cli_process(warehouse: Path) -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-m", "pipeline", "query", "select count(*) as n from documents",
                             "--warehouse", str(warehouse)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def _main_file_locked(warehouse: Path) -> bool:
    try:
        duckdb.connect(str(warehouse), read_only=True).close()
        return False
    except duckdb.IOException as exc:
        assert "lock" in str(exc).lower(), exc
        return True


@pytest.mark.slow
def test_reader_sees_previous_or_new_state_during_a_load(tmp_path, monkeypatch):
    from pipeline import warehouse as wh
    from pipeline.cli import run_pipeline
    from pipeline.settings import Settings

    monkeypatch.setenv("PIPELINE_LOCK_TIMEOUT_S", "2")  # a reader that waited on the lock would fail fast
    source = tmp_path / "articles"
    source.mkdir()
    shutil.copy(SEEDS / "seed-000.txt", source)
    warehouse = tmp_path / "events.duckdb"
    run_pipeline(source, warehouse, Settings.from_env())
    assert wh.read_copy_path(warehouse).exists(), "a load publishes the read copy"
    assert _documents(warehouse) == 1

    shutil.copy(SEEDS / "seed-004.txt", source)
    env = {**os.environ, "PIPELINE_LOCK_TIMEOUT_S": "120"}  # the writer may wait for this test's probes
    writer = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(source), str(warehouse), str(HOLD_LOCK_S)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: list[int] = []
    errors: list[str] = []
    cli_while_locked: tuple[int, str] | None = None
    reads_while_locked = 0
    deadline = time.monotonic() + 240
    try:
        while writer.poll() is None and time.monotonic() < deadline:
            locked = _main_file_locked(warehouse)
            try:
                seen.append(_documents(warehouse))
                reads_while_locked += locked
            except Exception as exc:  # noqa: BLE001 - any failure to read is what this test is about
                errors.append(f"{type(exc).__name__}: {exc}")
            if locked and cli_while_locked is None:  # and once as a user would, from a shell
                cli_while_locked = _documents_via_cli_process(warehouse)
            time.sleep(0.1)
    finally:
        if writer.poll() is None:
            writer.kill()
        out, err = writer.communicate()
    assert writer.returncode == 0, err[-2000:]
    assert "LOCK HELD" in out
    assert not errors, errors[:3]
    assert reads_while_locked >= 3, "the reader's queries overlapped the writer's lock"
    assert cli_while_locked is not None and cli_while_locked[0] == 0, cli_while_locked
    assert cli_while_locked[1].split()[-1] in ("1", "2"), cli_while_locked
    assert set(seen) <= {1, 2}, seen
    assert seen == sorted(seen), "once the new state is seen, the old one never comes back"
    # After the run the reader sees the new state, and the read copy matches the warehouse.
    assert _documents_via_cli_process(warehouse) == (0, "n\n-\n2\n")
    snapshot = "select count(*), string_agg(event_id, ',' order by event_id) from events"
    with duckdb.connect(str(warehouse), read_only=True) as main, \
            duckdb.connect(str(wh.read_copy_path(warehouse)), read_only=True) as copy:
        assert main.execute(snapshot).fetchall() == copy.execute(snapshot).fetchall()


def test_a_reader_keeps_its_snapshot_when_a_new_copy_is_published(tmp_path):
    """os.replace swaps the file under an open reader: it keeps reading the copy it opened."""
    from pipeline import warehouse as wh

    warehouse = tmp_path / "events.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table t as select 1 as x")
        wh.publish_read_copy(con, warehouse)
    reader = duckdb.connect(str(wh.read_copy_path(warehouse)), read_only=True)
    try:
        with duckdb.connect(str(warehouse)) as con:
            con.execute("insert into t values (2)")
            wh.publish_read_copy(con, warehouse)
        assert reader.execute("select count(*) from t").fetchone() == (1,)
    finally:
        reader.close()
    with duckdb.connect(str(wh.read_copy_path(warehouse)), read_only=True) as fresh:
        assert fresh.execute("select count(*) from t").fetchone() == (2,)
    assert not list(tmp_path.glob("*.tmp-*")), "no temp copy is left behind"
