"""A file caught while it is being written is left for a later run, not loaded truncated for good."""
from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pipeline import cli
from pipeline.ingest import Options
from tests.conftest import query

ARTICLE = ("The European Union imposed a 25 percent tariff on imports of steel from Turkey on Monday, "
           "trade officials said in Brussels.\n")


def _run(source: Path, warehouse: Path, capsys) -> str:
    assert cli.main(["run", "--quiet", "--source", str(source), "--warehouse", str(warehouse)]) == 0
    return capsys.readouterr().out


def _age(path: Path, seconds: float) -> None:
    when = time.time() - seconds
    os.utime(path, (when, when))


def test_a_file_modified_within_the_settle_period_is_deferred_then_read(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PIPELINE_FILE_SETTLE_S", "60")
    source, warehouse = tmp_path / "in", tmp_path / "events.duckdb"
    source.mkdir()
    (source / "old.txt").write_text(ARTICLE.replace("Turkey", "India"))
    _age(source / "old.txt", 3600)
    (source / "fresh.txt").write_text(ARTICLE)  # as if a copy were still in progress
    out = _run(source, warehouse, capsys)
    assert out.startswith("1 documents ingested")
    assert "1 files were still being written" in out
    # deferred is neither a document nor a rejection: nothing about it is recorded yet
    assert query(warehouse, "select count(*) from documents") == [(1,)]
    assert query(warehouse, "select count(*) from rejected_documents") == [(0,)]
    _age(source / "fresh.txt", 120)
    out = _run(source, warehouse, capsys)
    assert out.startswith("1 documents ingested, 1 unchanged")
    assert "still being written" not in out
    assert query(warehouse, "select count(*) from documents") == [(2,)]


def test_a_file_that_changes_while_it_is_read_is_deferred(tmp_path, monkeypatch, capsys):
    source, warehouse = tmp_path / "in", tmp_path / "events.duckdb"
    source.mkdir()
    growing = source / "growing.txt"
    growing.write_text(ARTICLE)
    _age(growing, 3600)
    real_read_bytes = Path.read_bytes

    def read_while_appended(self):
        data = real_read_bytes(self)
        if self.name == "growing.txt":
            with open(self, "a") as fh:  # the writer is still appending
                fh.write("More of the article arrives.\n")
        return data

    monkeypatch.setattr(Path, "read_bytes", read_while_appended)
    out = _run(source, warehouse, capsys)
    assert out.startswith("0 documents ingested")
    assert "1 files were still being written" in out
    monkeypatch.undo()
    monkeypatch.setenv("PIPELINE_FILE_SETTLE_S", "0")
    _run(source, warehouse, capsys)
    bodies = query(warehouse, "select body from documents")
    assert len(bodies) == 1 and bodies[0][0].endswith("More of the article arrives.")


def test_a_scheduled_window_reaches_back_for_what_the_previous_run_deferred():
    since = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    opts = Options(since=since, until=since + timedelta(hours=1), settle_s=10)
    assert opts.in_window(since - timedelta(seconds=5), slack_s=opts.settle_s)
    assert not opts.in_window(since - timedelta(seconds=15), slack_s=opts.settle_s)
    assert not opts.in_window(since - timedelta(seconds=5))  # feeds and URLs get no slack
