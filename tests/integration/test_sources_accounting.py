"""Nothing is lost: every input of the bad-input corpus ends up in the warehouse as a document source
or a rejection; re-runs skip unchanged inputs; a scheduled run and a backfill take their interval."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline import stages
from pipeline.settings import Settings
from tests.conftest import ROOT, query

FIXTURES = ROOT / "tests" / "fixtures"
LIMIT = 20_000


def run_stages(source, warehouse: Path, staging: Path, since=None, until=None) -> dict[str, int]:
    """ingest -> normalise -> load, with every batch recorded as extracted with no mentions (no NLP)."""
    from pipeline.extract import EXTRACTOR_VERSION

    stages.ingest(source, staging, LIMIT, since=since, until=until, warehouse=warehouse, settings=Settings.from_env())
    batches = stages.normalise(staging, warehouse, EXTRACTOR_VERSION, 50, 5)
    paths = []
    for batch in batches:
        out = Path(batch).with_name(Path(batch).stem + ".mentions.parquet")
        stages.write_mentions(out, [])
        paths.append(str(out))
    return stages.load(staging, warehouse, paths, f"test-{staging.name}", lock_timeout_s=5)


@pytest.fixture
def corpus(tmp_path) -> Path:
    """The bad-input corpus plus two feed files, configured in a sources file."""
    shutil.copytree(FIXTURES / "bad_inputs", tmp_path / "bad_inputs")
    shutil.copytree(FIXTURES / "feeds", tmp_path / "feeds")
    config = tmp_path / "sources.yml"
    config.write_text("sources:\n"
                      "  - {name: corpus, folder: bad_inputs}\n"
                      "  - {name: wire, feed: feeds/atom.xml}\n"
                      "  - {name: broken, feed: feeds/malformed.xml}\n")
    return config


def expected_inputs(root: Path) -> set[str]:
    """Every input a person would count: files, JSONL lines, and the feeds (or their entries)."""
    found = set()
    for path in sorted((root / "bad_inputs").iterdir()):
        uri = path.absolute().as_uri()
        if path.suffix == ".jsonl":
            found |= {f"{uri}#L{n}" for n, line in enumerate(path.read_text().splitlines(), 1) if line.strip()}
        else:
            found.add(uri)
    return found


def accounted(warehouse: Path) -> tuple[set[str], set[str]]:
    loaded = {u for (u,) in query(warehouse, "select source_uri from raw_document_sources")}
    rejected = {u for (u,) in query(warehouse, "select source_uri from rejected_documents")}
    return loaded, rejected


def test_every_input_is_a_document_or_a_rejection(corpus, tmp_path):
    warehouse = tmp_path / "events.duckdb"
    summary = run_stages(corpus, warehouse, tmp_path / "run1")
    loaded, rejected = accounted(warehouse)
    assert expected_inputs(tmp_path) <= loaded | rejected
    assert not loaded & rejected
    # the feeds: the good Atom entry is a document; the broken pieces are rejections with reasons
    assert "https://wire.example/swiss-tariff" in loaded
    feed_uri = (tmp_path / "feeds" / "malformed.xml").absolute().as_uri()
    assert feed_uri in rejected
    reasons = dict(query(warehouse, "select source_uri, reason from rejected_documents"))
    assert all(reason and len(reason.split()) >= 3 for reason in reasons.values())
    assert "malformed" in reasons[feed_uri]
    # the duplicate under another name is one document with two sources
    dup = query(warehouse, """
        select d.num_sources, count(s.source_uri) from documents d join raw_document_sources s using (doc_id)
        where s.source_uri like '%good-article.txt' group by all""")
    assert dup == [(2, 2)]
    # the summary's counts match the tables
    assert summary["ingested"] == query(warehouse, "select count(*) from documents")[0][0]
    assert summary["rejected"] == len(rejected)
    assert summary["skipped"] == 0
    assert query(warehouse, "select num_ingested, num_rejected from raw_runs") == \
        [(summary["ingested"], summary["rejected"])]


def test_second_run_skips_unchanged_inputs_and_adds_nothing(corpus, tmp_path):
    warehouse = tmp_path / "events.duckdb"
    first = run_stages(corpus, warehouse, tmp_path / "run1")
    tables = ["raw_documents", "raw_document_sources", "raw_rejected_documents", "raw_ingested_inputs"]
    counts = {t: query(warehouse, f"select count(*) from {t}")[0][0] for t in tables}
    second = run_stages(corpus, warehouse, tmp_path / "run2")
    assert second["ingested"] == 0
    assert second["skipped"] == query(warehouse, "select count(*) from raw_ingested_inputs")[0][0] > 0
    assert second["rejected"] == first["rejected"]
    assert {t: query(warehouse, f"select count(*) from {t}")[0][0] for t in tables} == counts
    raw = stages._read(tmp_path / "run2" / "raw.parquet")
    assert raw == []  # unchanged inputs were not even parsed
    # a changed file is read again and becomes a new document; the old text stays as history
    path = tmp_path / "bad_inputs" / "news-please.json"
    record = json.loads(path.read_text())
    record["maintext"] += " A spokesman later confirmed the date of the tariff."
    path.write_text(json.dumps(record))
    third = run_stages(corpus, warehouse, tmp_path / "run3")
    assert third["ingested"] == 1


def _touch(path: Path, when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def test_scheduled_runs_take_their_interval_and_backfill_is_idempotent(tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    day = datetime(2025, 3, 1, tzinfo=timezone.utc)
    names = ["good-article.txt", "windows-1252.txt", "news-please.json", "eu-japan.html"]
    for hour, name in enumerate(names):
        shutil.copy(FIXTURES / "bad_inputs" / name, folder / name)
        _touch(folder / name, day + timedelta(hours=hour, minutes=30))
    warehouse = tmp_path / "events.duckdb"

    def interval(hour: int, tag: str) -> dict[str, int]:
        start = day + timedelta(hours=hour)
        return run_stages(folder, warehouse, tmp_path / f"{tag}-{hour}", start, start + timedelta(hours=1))

    assert interval(1, "scheduled")["ingested"] == 1
    assert {u.rsplit("/", 1)[1] for (u,) in query(warehouse, "select source_uri from documents")} == \
        {"windows-1252.txt"}
    # a backfill over all four hours, twice: the second pass changes nothing
    for hour in range(4):
        interval(hour, "backfill")
    snapshot = query(warehouse, "select doc_id, source_uri, title, published_date from documents order by 1")
    assert len(snapshot) == 4
    reruns = [interval(hour, "again") for hour in range(4)]
    assert [r["ingested"] for r in reruns] == [0, 0, 0, 0]
    assert query(warehouse, "select doc_id, source_uri, title, published_date from documents order by 1") == snapshot
    # an empty interval (a manual run) takes everything, which is all unchanged now
    start = day + timedelta(hours=9)
    everything = run_stages(folder, warehouse, tmp_path / "manual", start, start)
    assert everything["ingested"] == 0 and everything["skipped"] == 4


@pytest.mark.slow
def test_cli_run_over_the_corpus_prints_the_counts(corpus, tmp_path):
    """The whole pipeline, with spaCy extraction, through the CLI form the eval scorer uses."""
    warehouse = tmp_path / "events.duckdb"
    env = {**os.environ, "PIPELINE_MAX_DOCUMENT_BYTES": str(LIMIT), "PIPELINE_LOCK_TIMEOUT_S": "10"}
    cmd = [sys.executable, "-m", "pipeline", "run", "--quiet", "--source", str(tmp_path / "bad_inputs"),
           "--warehouse", str(warehouse)]
    first = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    docs = query(warehouse, "select count(*) from documents")[0][0]
    rejected = query(warehouse, "select count(*) from rejected_documents")[0][0]
    assert f"{docs} documents ingested, 0 unchanged, {rejected} rejected" in first.stdout
    loaded, rejected_uris = accounted(warehouse)
    assert expected_inputs(tmp_path) <= loaded | rejected_uris
    assert {u.rsplit("/", 1)[1] for u in loaded if "#" not in u} >= {"good-article.txt", "eu-japan.html"}
    second = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr
    assert f"0 documents ingested, {len(loaded)} unchanged, {rejected} rejected" in second.stdout
