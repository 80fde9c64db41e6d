"""Scheduled runs read their own data interval: each run of the DAG's real timetable reads the inputs
that arrived in [start, end), a backfill over three intervals reads every input once, and a manual
run reads everything."""
from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone

import pendulum
import pytest

from pipeline import stages
from tests.conftest import ROOT

ARTICLE = (ROOT / "tests" / "fixtures" / "bad_inputs" / "good-article.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def timetable():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags")).dags["news_events"].timetable


def intervals(timetable, n):
    from airflow.timetables.base import TimeRestriction

    restriction = TimeRestriction(pendulum.datetime(2025, 1, 1, tz="UTC"), None, True)
    out, last = [], None
    for _ in range(n):
        info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
        out.append(info.data_interval)
        last = info.data_interval
    return out


@pytest.fixture
def folder(tmp_path, timetable):
    """One article per interval, modified in the middle of it, plus one from before the first."""
    folder = tmp_path / "articles"
    folder.mkdir()
    spans = intervals(timetable, 3)
    for i, span in enumerate(spans):
        path = folder / f"hour-{i}.txt"
        path.write_text(ARTICLE.replace("Monday", f"Monday ({i})", 1) + f"\n\nUpdate {i}.\n", encoding="utf-8")
        mid = span.start + (span.end - span.start) / 2
        os.utime(path, (mid.timestamp(), mid.timestamp()))
    old = folder / "older.txt"
    shutil.copy(folder / "hour-0.txt", old)
    old.write_text(old.read_text() + "\nOlder.\n")
    before = datetime(2024, 12, 31, 12, tzinfo=timezone.utc).timestamp()
    os.utime(old, (before, before))
    return folder, spans


def read_by(run_type, span, folder, staging):
    since, until = stages.run_window(run_type, span.start if span else None, span.end if span else None)
    stages.ingest(folder, staging, 2_000_000, since=since, until=until)
    return sorted(r["source_uri"].rsplit("/", 1)[-1] for r in stages._read(staging / "raw.parquet"))


def test_a_scheduled_run_reads_only_its_intervals_inputs(folder, tmp_path):
    src, spans = folder
    assert spans[1].end - spans[1].start == pendulum.duration(hours=1)
    assert read_by("scheduled", spans[1], src, tmp_path / "run") == ["hour-1.txt"]


def test_a_backfill_over_three_intervals_reads_each_input_once(folder, tmp_path):
    src, spans = folder
    read = [read_by("backfill", span, src, tmp_path / f"backfill-{i}") for i, span in enumerate(spans)]
    assert read == [["hour-0.txt"], ["hour-1.txt"], ["hour-2.txt"]]


def test_a_manual_run_reads_everything(folder, tmp_path):
    src, spans = folder
    # a manual run also carries an interval in Airflow; it is a label, not a filter
    assert read_by("manual", spans[0], src, tmp_path / "manual") == [
        "hour-0.txt", "hour-1.txt", "hour-2.txt", "older.txt"]
