"""A document that raises in normalise or extract is one rejection naming the stage; the run goes on,
the other documents load, and the failed one is read again by the next run."""
from __future__ import annotations

import shutil

import pytest

import pipeline.extract
import pipeline.normalise
from pipeline import stages
from tests.conftest import ROOT, query

ARTICLE = ROOT / "tests" / "fixtures" / "bad_inputs" / "good-article.txt"
MARKER = "zqxjv-breaks-this-stage"


def _run(source, warehouse, tmp_path, run_id):
    staging = tmp_path / run_id
    stages.ingest(source, staging, 2_000_000, warehouse=warehouse)
    batches = stages.normalise(staging, warehouse, "test-version", 200)
    mentions = [stages.extract(b) for b in batches]
    return stages.load(staging, warehouse, mentions, run_id)


@pytest.fixture
def source(tmp_path, monkeypatch):
    monkeypatch.setenv("PIPELINE_EXTRACTOR", "rules")
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(ARTICLE, folder / "good.txt")
    for name in ("seed-000.txt", "seed-004.txt"):
        shutil.copy(ROOT / "seeds" / name, folder / name)
    (folder / "breaks.txt").write_text(
        f"date 2025-03-04\n\nOfficials of two ports met on Monday to talk about {MARKER} and the weather.\n",
        encoding="utf-8")
    return folder


def _raise_on_marker(real):
    def wrapped(docs, *args, **kwargs):
        docs = list(docs)
        if any(MARKER in d.text for d in docs):
            raise RuntimeError("forced failure for this document")
        return real(docs, *args, **kwargs)
    return wrapped


def test_a_document_whose_extraction_raises_is_rejected_with_the_stage_and_the_rest_loads(
        source, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline.extract, "extract_mentions", _raise_on_marker(pipeline.extract.extract_mentions))
    warehouse = tmp_path / "events.duckdb"
    summary = _run(source, warehouse, tmp_path, "run-1")
    assert summary["ingested"] == 3 and summary["rejected"] == 1, summary
    (uri, reason), = query(warehouse, "select source_uri, reason from rejected_documents")
    assert uri == (source / "breaks.txt").absolute().as_uri()
    assert reason.startswith("extract failed on this document (RuntimeError: forced failure")
    docs = {u for (u,) in query(warehouse, "select source_uri from documents")}
    assert docs == {(source / n).absolute().as_uri() for n in ("good.txt", "seed-000.txt", "seed-004.txt")}
    assert query(warehouse, "select count(*) from events")[0][0] > 0

    # The failed input is not remembered as loaded: once extraction works, the next run loads it.
    monkeypatch.undo()
    monkeypatch.setenv("PIPELINE_EXTRACTOR", "rules")
    again = _run(source, warehouse, tmp_path, "run-2")
    assert again["ingested"] == 1, again
    assert (source / "breaks.txt").absolute().as_uri() in {
        u for (u,) in query(warehouse, "select source_uri from documents")}


def test_a_document_whose_normalisation_raises_is_rejected_with_the_stage(source, tmp_path, monkeypatch):
    real = pipeline.normalise.normalise

    def normalise(raw):
        if MARKER in raw.text:
            raise ValueError("forced failure for this document")
        return real(raw)

    monkeypatch.setattr(pipeline.normalise, "normalise", normalise)
    warehouse = tmp_path / "events.duckdb"
    summary = _run(source, warehouse, tmp_path, "run-1")
    assert summary["ingested"] == 3 and summary["rejected"] == 1, summary
    (reason,), = query(warehouse, "select reason from rejected_documents")
    assert reason.startswith("normalise failed on this document (ValueError: forced failure")
