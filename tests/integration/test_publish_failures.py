"""A load that commits but cannot publish its read copy says that the data landed, and the next
publish clears what an interrupted one left behind."""
from __future__ import annotations

import shutil

import pytest

from pipeline import cli, stages
from pipeline import warehouse as wh
from tests.conftest import SEEDS, query
from tests.integration.test_faults import synthetic_staging


def _failing_copy(*args, **kwargs):
    raise OSError(28, "No space left on device")


def test_a_failed_publish_after_commit_names_what_landed(tmp_path, monkeypatch):
    staging, warehouse = tmp_path / "staging", tmp_path / "events.duckdb"
    staging.mkdir()
    synthetic_staging(staging, 7)
    monkeypatch.setattr(shutil, "copyfile", _failing_copy)
    with pytest.raises(stages.PublishFailed) as err:
        stages.load(staging, warehouse, [], "full-disk", lock_timeout_s=5)
    assert "the load committed (7 new documents" in str(err.value)
    assert "No space left on device" in str(err.value)
    # the data did land, and nothing was published or left half-written beside it
    assert query(warehouse, "select count(*) from documents")[0][0] == 7
    assert not wh.read_copy_path(warehouse).exists()
    assert list(tmp_path.glob("*.tmp-*")) == []


def test_the_cli_warns_and_exits_3_when_only_the_publish_failed(tmp_path, monkeypatch, capsys):
    warehouse = tmp_path / "events.duckdb"
    monkeypatch.setattr(shutil, "copyfile", _failing_copy)
    code = cli.main(["run", "--quiet", "--source", str(SEEDS), "--warehouse", str(warehouse)])
    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith("warning: the load committed (")
    assert "re-run" in err
    monkeypatch.undo()
    # the next run publishes: unchanged inputs are skipped and the read copy appears
    assert cli.main(["run", "--quiet", "--source", str(SEEDS), "--warehouse", str(warehouse)]) == 0
    assert wh.read_copy_path(warehouse).exists()


def test_a_publish_removes_temporaries_left_by_a_killed_writer(tmp_path):
    staging, warehouse = tmp_path / "staging", tmp_path / "events.duckdb"
    staging.mkdir()
    synthetic_staging(staging, 3)
    copy = wh.read_copy_path(warehouse)
    stale = [copy.with_name(f"{copy.name}.tmp-{pid}") for pid in (4242, 999999)]
    for path in stale:
        path.write_bytes(b"half a copy")
    stages.load(staging, warehouse, [], "after-crash", lock_timeout_s=5)
    assert [p for p in stale if p.exists()] == []
    assert query(copy, "select count(*) from documents")[0][0] == 3
