"""`python -m pipeline query` runs SQL someone typed: it reads the warehouse and nothing else.

No file, no network, no extension, no setting; every such statement is refused in one line with
exit code 1, and neither the warehouse nor its read copy changes by a byte.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

ARTICLE = ROOT / "tests" / "fixtures" / "bad_inputs" / "good-article.txt"


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    # the rule extractor needs no trained model, and what is tested here is the query connection;
    # PYTHONPATH keeps this checkout's code the one run when ``cwd`` is elsewhere
    env = {**os.environ, "PIPELINE_EXTRACTOR": "rules",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """A warehouse of one article, built by `python -m pipeline run`, with its read copy beside it."""
    root = tmp_path_factory.mktemp("sandbox")
    (root / "articles").mkdir()
    shutil.copy(ARTICLE, root / "articles" / ARTICLE.name)
    path = root / "events.duckdb"
    result = cli("run", "--source", str(root / "articles"), "--warehouse", str(path), "--quiet")
    assert result.returncode == 0, result.stderr
    assert (root / "events.read.duckdb").exists()
    return path


def digests(warehouse: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(warehouse.parent.glob("*.duckdb*"))}


def test_selects_over_the_warehouse_views_still_work(warehouse):
    result = cli("query", "select event_type, count(*) as n from events group by 1 order by 1",
                 "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["event_type", "n"]
    assert any(line.startswith("tariff") for line in result.stdout.splitlines()[2:])
    result = cli("query", "select count(*) as n from documents d join event_mentions m using (doc_id)",
                 "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.splitlines()[2]) > 0


@pytest.mark.parametrize("sql", [
    "select * from read_text('/etc/hostname')",
    "select * from read_blob('/etc/hostname')",
    "select * from read_csv('/etc/passwd')",
    "select * from glob('/tmp/*')",
    "select * from glob('~/*')",
    "select * from 'https://example.com/data.csv'",
    "copy (select 1) to '{tmp}/x.csv'",
    "copy (select 'x') to '{warehouse}'",
    "copy (select 'x') to '{read_copy}'",
    "export database '{tmp}/export'",
    "attach '{warehouse}' as writer",
    "install httpfs",
    "load httpfs",
    "set enable_external_access=true",
    "reset enable_external_access",
    "set lock_configuration=false",
    "select 1; set enable_external_access=true",
])
def test_sql_reaching_outside_the_warehouse_is_refused_in_one_line(warehouse, tmp_path, sql):
    sql = sql.format(tmp=tmp_path, warehouse=warehouse, read_copy=warehouse.with_name("events.read.duckdb"))
    before = digests(warehouse)
    # a relative path in the SQL would land in the working directory
    result = cli("query", sql, "--warehouse", str(warehouse), cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    assert result.stdout == ""
    assert result.stderr.startswith("error: query refused: "), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert digests(warehouse) == before
    assert list(tmp_path.iterdir()) == []


def test_the_connection_is_sandboxed_and_locked(warehouse):
    result = cli("query", "select name, value from duckdb_settings() where name in "
                 "('enable_external_access', 'lock_configuration') order by name", "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[2:]]
    assert rows == [["enable_external_access", "false"], ["lock_configuration", "true"]]
