"""The warehouse on DuckLake (catalog in the local PostgreSQL, data files in a folder).

The same pipeline code writes it as writes the embedded DuckDB file: row counts and events agree,
two runs can write at once, readers read whole snapshots while a load commits, a SIGKILL during a
load leaves the last snapshot as it was, and earlier loads stay readable (time travel).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline import lake as lakes
from pipeline import warehouse as wh
from tests.conftest import EVENT_SNAPSHOT_SQL, ROOT
from tests.lakes import fresh_lake, lake_env, require_postgres

MARTS = ("documents", "events", "event_actors", "event_mentions", "tariffs", "trade_restrictions",
         "event_sources", "document_provenance", "rejected_documents")

_spec = importlib.util.spec_from_file_location("bench_main", ROOT / "bench" / "bench.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


@pytest.fixture(scope="module", autouse=True)
def _postgres():
    require_postgres()


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[str, Path]:
    """Two batches of articles (deterministic): A, and B that is loaded after it."""
    root = tmp_path_factory.mktemp("lake-corpora")
    out = {}
    for name, n, seed in (("a", 20, 3), ("b", 40, 4)):
        bench.build_corpus(n, root / name, seed=seed)
        bench.settle(root / name)
        out[name] = root / name
    return out


def cli(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True,
                          timeout=600, env=_env(env), cwd=ROOT, **kwargs)


def _env(extra: dict | None) -> dict:
    return {**os.environ, "PIPELINE_EXTRACTOR": "rules", "PIPELINE_EXTRACT_WORKERS": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            **(extra or {})}


def run(source: Path, lake=None, warehouse: Path | None = None) -> subprocess.CompletedProcess:
    args = ["run", "--quiet", "--source", str(source)]
    if warehouse is not None:
        args += ["--warehouse", str(warehouse)]
    result = cli(*args, env=lake_env(lake) if lake is not None else None)
    assert result.returncode == 0, result.stderr
    return result


def state(target, as_of=None) -> dict:
    """Row counts of every mart and every event as a comparable row."""
    with wh.connect(target, read_only=True, as_of=as_of) as con:
        counts = {m: con.execute(f"select count(*) from {m}").fetchone()[0] for m in MARTS}
        return {"counts": counts, "events": con.execute(EVENT_SNAPSHOT_SQL).fetchall()}


@pytest.fixture(scope="module")
def embedded(corpora, tmp_path_factory) -> dict:
    """The embedded backend's answers: A alone, then A and B."""
    path = tmp_path_factory.mktemp("embedded") / "events.duckdb"
    run(corpora["a"], warehouse=path)
    after_a = state(path)
    run(corpora["b"], warehouse=path)
    return {"a": after_a, "ab": state(path)}


def test_a_lake_holds_the_rows_the_embedded_file_holds(corpora, embedded, tmp_path):
    with fresh_lake(tmp_path / "data") as lake:
        run(corpora["a"], lake)
        assert state(lake) == embedded["a"]
        assert embedded["a"]["counts"]["events"] > 0 and embedded["a"]["counts"]["documents"] == 20
        run(corpora["b"], lake)
        assert state(lake) == embedded["ab"]
        second = run(corpora["b"], lake)  # a re-run changes nothing
        assert second.stdout.startswith("0 documents ingested")
        assert state(lake) == embedded["ab"]
        # no read copy: the lake is its data folder and its catalog
        assert not list(Path(lake.data_path).parent.glob("*.duckdb"))

        # time travel: each run's snapshot is listed, and the lake reads as it was after run A
        listed = cli("snapshots", "--format", "json", env=lake_env(lake))
        assert listed.returncode == 0, listed.stderr
        loads = json.loads(listed.stdout)
        assert [r["ingested"] for r in loads] == [20, 40, 0]
        assert state(lake, as_of=loads[0]["snapshot_id"]) == embedded["a"]
        old = cli("query", "select count(*) as n from documents", "--as-of", str(loads[0]["snapshot_id"]),
                  "--format", "json", env=lake_env(lake))
        assert old.returncode == 0, old.stderr
        assert json.loads(old.stdout) == [{"n": 20}]


def test_two_runs_writing_at_once_both_complete_and_lose_no_row(corpora, embedded, tmp_path):
    with fresh_lake(tmp_path / "data") as lake:
        procs = [subprocess.Popen([sys.executable, "-m", "pipeline", "-v", "run", "--quiet", "--source", str(c)],
                                  env=_env(lake_env(lake)), cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for c in (corpora["a"], corpora["b"])]
        outs = [p.communicate(timeout=600) for p in procs]
        for p, (_, err) in zip(procs, outs):
            assert p.returncode == 0, err
        assert state(lake) == embedded["ab"]
        with wh.connect(lake, read_only=True) as con:
            assert con.execute("select count(*) from raw_runs").fetchone()[0] == 2


def test_a_writer_does_not_wait_for_another_writers_open_transaction(corpora, embedded, tmp_path):
    with fresh_lake(tmp_path / "data") as lake:
        run(corpora["a"], lake)
        with wh.connect(lake) as holder:
            holder.execute("begin transaction")
            holder.execute("insert into raw_runs (run_id, started_at) values ('held-open', now())")
            started = time.monotonic()
            run(corpora["b"], lake)  # commits while the holder's transaction is open
            with wh.connect(lake, read_only=True) as reader:  # readers see the committed load
                assert reader.execute("select count(*) from documents").fetchone()[0] == 60
                assert reader.execute("select count(*) from raw_runs where run_id = 'held-open'").fetchone()[0] == 0
            holder.execute("commit")
            assert time.monotonic() - started < 300
        assert state(lake) == embedded["ab"]
        with wh.connect(lake, read_only=True, as_of=lakes.LATEST) as con:  # the holder's commit came after
            assert con.execute("select count(*) from raw_runs").fetchone()[0] == 3


def test_a_conflicting_commit_is_run_again_on_the_new_snapshot(tmp_path):
    with fresh_lake(tmp_path / "data") as lake:
        with wh.connect(lake) as first, wh.connect(lake) as second:
            wh.migrate(first)
            first.execute("insert into raw_runs (run_id, started_at, num_events) values ('r', now(), 0)")
            attempts = []

            def bump():
                with wh.transaction(second):
                    second.execute("update raw_runs set num_events = num_events + 1 where run_id = 'r'")
                    if not attempts:  # another writer changes the same row before this commits
                        first.execute("update raw_runs set num_events = num_events + 10 where run_id = 'r'")
                    attempts.append(1)

            lakes.retry_conflicts(bump, timeout_s=30)
            assert len(attempts) == 2
            assert second.execute("select num_events from raw_runs").fetchall() == [(11,)]


def _reader_counts(con) -> tuple:
    # raw tables the load writes and marts built over them
    return con.execute("""select (select count(*) from raw_documents), (select count(*) from raw_mentions),
                                 (select count(*) from events), (select count(*) from event_mentions)""").fetchone()


def test_a_reader_sees_the_old_snapshot_or_the_new_one_never_a_mix(corpora, tmp_path):
    with fresh_lake(tmp_path / "data") as lake:
        run(corpora["a"], lake)
        with wh.connect(lake, read_only=True, sandboxed=True) as con:
            before = _reader_counts(con)
        seen: list[tuple] = []
        done = threading.Event()

        def read():
            # a reader opens the lake as the last completed run left it, as `query` and the UI do
            while not done.is_set():
                with wh.connect(lake, read_only=True, sandboxed=True) as con:
                    seen.append(_reader_counts(con))

        reader = threading.Thread(target=read)
        reader.start()
        try:
            run(corpora["b"], lake)
            time.sleep(0.5)
        finally:
            done.set()
            reader.join()
        with wh.connect(lake, read_only=True) as con:
            after = _reader_counts(con)
        assert after != before
        assert set(seen) <= {before, after}, set(seen) - {before, after}
        assert seen[0] == before and seen[-1] == after
        assert len(seen) > 5  # the reader kept reading while the load ran and committed


def _data_files(lake) -> set[Path]:
    return {p for p in Path(lake.data_path).rglob("*") if p.is_file()}


def test_sigkill_during_a_load_leaves_the_last_snapshot_and_the_rerun_gives_identical_rows(
        corpora, embedded, tmp_path):
    with fresh_lake(tmp_path / "data") as lake:
        run(corpora["a"], lake)
        with wh.connect(lake, read_only=True, as_of=lakes.LATEST) as con:
            last = lakes.current_snapshot(con)
        files = _data_files(lake)
        proc = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--quiet", "--source", str(corpora["b"])],
                                env=_env(lake_env(lake)), cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        # The load writes its Parquet files before it commits them to the catalog: kill it then.
        deadline = time.monotonic() + 300
        while not (_data_files(lake) - files) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, "the load finished before it could be killed"
        with wh.connect(lake, read_only=True, as_of=lakes.LATEST) as con:
            assert lakes.current_snapshot(con) == last, "the killed load committed nothing"
        assert state(lake) == embedded["a"]
        run(corpora["b"], lake)
        assert state(lake) == embedded["ab"]


def _digest(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("sql", [
    "copy (select 1) to '{data}/x.csv'",
    "copy (select * from documents) to '{data}/main/raw_documents/evil.parquet'",
    "export database '{data}/export'",
    "attach '{data}/x.duckdb' as writer",
    "select * from read_text('/etc/hostname')",
    "select * from glob('/tmp/*')",
    "insert into raw_runs (run_id, started_at) values ('x', now())",
    "call lake.set_commit_message('x', 'y')",
    "set enable_external_access = true",
    "select 1; set lock_configuration = false",
])
def test_sql_reaching_outside_the_lake_is_refused(corpora, tmp_path_factory, sql, lake_with_a):
    lake = lake_with_a
    before = _digest(Path(lake.data_path))
    result = cli("query", sql.format(data=lake.data_path), env=lake_env(lake))
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("error: "), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert _digest(Path(lake.data_path)) == before


@pytest.fixture(scope="module")
def lake_with_a(corpora, tmp_path_factory):
    with fresh_lake(tmp_path_factory.mktemp("lake-a") / "data") as lake:
        run(corpora["a"], lake)
        yield lake


def test_the_lake_query_connection_is_sandboxed_and_locked(lake_with_a):
    result = cli("query", "select name, value from duckdb_settings() where name in "
                 "('enable_external_access', 'lock_configuration') order by name", env=lake_env(lake_with_a))
    assert result.returncode == 0, result.stderr
    assert [line.split() for line in result.stdout.splitlines()[2:]] == [
        ["enable_external_access", "false"], ["lock_configuration", "true"]]
    ok = cli("query", "select count(*) as n from documents d join event_mentions m using (doc_id)",
             env=lake_env(lake_with_a))
    assert ok.returncode == 0 and int(ok.stdout.splitlines()[2]) > 0, ok.stderr
