"""Faults: a load killed midway leaves nothing behind, a held lock is waited for then fails cleanly,
and a retried load gives the same warehouse as a clean run."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from pipeline import repository, stages
from pipeline import warehouse as wh
from pipeline.models import Document, Rejection, Sentence
from tests.conftest import ROOT, query

TABLES = ["raw_documents", "raw_document_sources", "raw_extractions", "raw_rejected_documents", "raw_runs",
          "raw_ingested_inputs"]


def synthetic_staging(staging: Path, n: int) -> None:
    """A staged run of ``n`` documents and their sources, as normalise writes it."""
    docs, sources = [], []
    for i in range(n):
        text = f"Country {i} announced a {i % 90 + 1} per cent tariff on imports of product {i} on Monday."
        doc = Document(Document.id_for(text), f"file:///synthetic/doc-{i:06d}.txt", text, f"Tariff {i}",
                       date(2025, 1, 1 + i % 28), sentences=[Sentence(0, len(text))])
        docs.append(doc)
        sources.append({"doc_id": doc.doc_id, "source_uri": doc.source_uri, "source_name": "synthetic",
                        "url": None, "fetched_at": datetime(2025, 1, 2, tzinfo=timezone.utc)})
    stages.write_documents(staging / "documents.parquet", docs)
    stages._write(staging / "sources.parquet", sources)
    stages._write(staging / "rejected.parquet", [{"source_uri": "file:///synthetic/bad.txt", "reason": "file is empty",
                                                  "content_hash": None, "source_name": "synthetic"}])


def counts(path: Path) -> dict[str, int]:
    present = {t for (t,) in query(path, "select table_name from information_schema.tables")}
    return {t: query(path, f"select count(*) from {t}")[0][0] for t in TABLES if t in present}


_KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from pipeline import repository, stages

    real_insert = repository._insert
    def slow_insert(con, table, rows):
        real_insert(con, table, rows)
        if table == "raw_document_sources":
            # rows are written inside the open transaction: say so, then wait to be killed
            n = con.execute("select count(*) from raw_documents").fetchone()[0]
            print(f"INSERTED {n}", flush=True)
            time.sleep(60)
    repository._insert = slow_insert
    stages.load(Path(sys.argv[1]), Path(sys.argv[2]), [], "killed-run", lock_timeout_s=5)
    print("FINISHED", flush=True)
""")


@pytest.mark.slow
def test_load_killed_midway_leaves_no_partial_rows_and_the_next_run_completes(tmp_path):
    staging, warehouse = tmp_path / "staging", tmp_path / "events.duckdb"
    synthetic_staging(staging, 5_000)
    with wh.connect(warehouse) as con:  # an earlier, committed state
        wh.migrate(con)
    before = counts(warehouse)
    proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT, str(staging), str(warehouse)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = proc.stdout.readline()
        assert line.startswith("INSERTED 5000"), (line, proc.stderr.read() if proc.poll() is not None else "")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert counts(warehouse) == before  # the transaction never committed: nothing of it is visible
    summary = stages.load(staging, warehouse, [], "next-run", lock_timeout_s=5)
    assert summary["ingested"] == 5_000
    after = counts(warehouse)
    assert after["raw_documents"] == after["raw_document_sources"] == 5_000
    assert after["raw_runs"] == 1 and after["raw_rejected_documents"] == 1


_HOLD_SCRIPT = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("create table if not exists holder (x int)")
    print("HOLDING", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
""")


def hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _HOLD_SCRIPT, str(path), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "HOLDING"
    return proc


def test_a_held_lock_is_retried_with_backoff_then_fails_cleanly(tmp_path, caplog):
    warehouse = tmp_path / "events.duckdb"
    staging = tmp_path / "staging"
    synthetic_staging(staging, 10)
    holder = hold_lock(warehouse, 30)
    try:
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, "pipeline.warehouse"), \
                pytest.raises(wh.WarehouseLocked, match="locked by another process and stayed locked for 2s"):
            stages.load(staging, warehouse, [], "locked-run", lock_timeout_s=2)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert 2 <= waited < 10
    retries = [r.message for r in caplog.records if "is locked by another process; retrying" in r.message]
    assert 3 <= len(retries) <= 10  # backoff: 0.1, 0.2, 0.4, 0.8 ... not a busy loop
    # the file is intact, and the same load now succeeds
    assert stages.load(staging, warehouse, [], "after-lock", lock_timeout_s=2)["ingested"] == 10
    assert query(warehouse, "select count(*) from holder") == [(0,)]


def test_a_lock_released_within_the_bound_is_waited_for(tmp_path):
    warehouse = tmp_path / "events.duckdb"
    staging = tmp_path / "staging"
    synthetic_staging(staging, 10)
    holder = hold_lock(warehouse, 1.0)
    try:
        assert stages.load(staging, warehouse, [], "waits", lock_timeout_s=20)["ingested"] == 10
    finally:
        holder.wait(timeout=30)


def test_a_failed_load_retried_gives_the_same_warehouse_as_a_clean_run(tmp_path, monkeypatch):
    staging = tmp_path / "staging"
    synthetic_staging(staging, 200)
    clean, retried = tmp_path / "clean.duckdb", tmp_path / "retried.duckdb"
    stages.load(staging, clean, [], "run-1", lock_timeout_s=5)

    real = repository.replace_events
    def boom(con, blocks, events):  # fail late inside the transaction, after every other write
        raise RuntimeError("worker lost")
    monkeypatch.setattr(repository, "replace_events", boom)
    with pytest.raises(RuntimeError, match="worker lost"):
        stages.load(staging, retried, [], "run-1", lock_timeout_s=5)
    monkeypatch.setattr(repository, "replace_events", real)
    assert counts(retried).get("raw_documents", 0) == 0
    stages.load(staging, retried, [], "run-1", lock_timeout_s=5)  # Airflow's retry of the same task

    def snapshot(path: Path) -> dict[str, list]:
        return {
            "documents": query(path, "select doc_id, source_uri, source_name, title, published_date, body "
                                     "from raw_documents order by doc_id"),
            "sources": query(path, "select doc_id, source_uri, source_name, fetched_at from raw_document_sources "
                                   "order by all"),
            "rejected": query(path, "select source_uri, reason from raw_rejected_documents order by all"),
            "runs": query(path, "select run_id, num_ingested, num_rejected from raw_runs"),
        }
    first, second = snapshot(clean), snapshot(retried)
    assert first == second
    assert len(first["documents"]) == 200
    # running the same load once more changes no data (raw_runs then records that nothing was new)
    stages.load(staging, retried, [], "run-1", lock_timeout_s=5)
    third = snapshot(retried)
    assert {k: v for k, v in third.items() if k != "runs"} == {k: v for k, v in first.items() if k != "runs"}
