"""Bumping the extractor version re-extracts exactly the documents an older version processed,
and replaces their mentions and events in one transaction."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SEEDS, query

MENTIONS_SQL = "select mention_id, extractor_version from event_mentions order by mention_id"
SNAPSHOT_SQL = ("select (select count(*) from documents), (select count(*) from event_mentions), "
                "(select string_agg(event_id, ',' order by event_id) from events)")


@pytest.fixture
def run(monkeypatch):
    """run(folder, warehouse) -> the doc_ids this run sent to extraction."""
    from pipeline import stages
    from pipeline.cli import run_pipeline
    from pipeline.settings import Settings

    extracted: list[str] = []
    real_extract = stages.extract

    def extract(batch_path, model_name=None):
        extracted.extend(d.doc_id for d in stages.read_documents(Path(batch_path)))
        return real_extract(batch_path, model_name)

    monkeypatch.setattr(stages, "extract", extract)

    def go(folder: Path, warehouse: Path) -> set[str]:
        extracted.clear()
        run_pipeline(folder, warehouse, Settings.from_env())
        return set(extracted)

    return go


def _doc_ids(warehouse: Path) -> dict[str, str]:
    """source file name -> doc_id"""
    return {uri.rsplit("/", 1)[-1]: doc_id for doc_id, uri in query(
        warehouse, "select doc_id, source_uri from raw_document_sources")}


def test_a_new_version_re_extracts_only_what_an_older_version_processed(tmp_path, run, monkeypatch):
    import pipeline.extract

    old = pipeline.extract.EXTRACTOR_VERSION
    source, warehouse = tmp_path / "src", tmp_path / "events.duckdb"
    source.mkdir()
    shutil.copy(SEEDS / "seed-000.txt", source)

    assert len(run(source, warehouse)) == 1
    assert run(source, warehouse) == set()  # same version, unchanged input: no NLP work
    before_ids = {m for m, _ in query(warehouse, MENTIONS_SQL)}
    assert before_ids and {v for _, v in query(warehouse, MENTIONS_SQL)} == {old}

    new = old + "-reextract-test"
    monkeypatch.setattr(pipeline.extract, "EXTRACTOR_VERSION", new)
    shutil.copy(SEEDS / "seed-004.txt", source)
    extracted = run(source, warehouse)
    ids = _doc_ids(warehouse)
    # seed-000 because an older version processed it, seed-004 because it is new
    assert extracted == {ids["seed-000.txt"], ids["seed-004.txt"]}
    assert {v for _, v in query(warehouse, MENTIONS_SQL)} == {new}
    assert {v for (v,) in query(warehouse, "select distinct extractor_version from raw_extractions")} == {new}
    # Same extractor logic under a new label: seed-000's mentions come back with the same ids, relabelled.
    again = {m for (m,) in query(warehouse, "select mention_id from event_mentions where doc_id = ?",
                                 [ids["seed-000.txt"]])}
    assert again == before_ids

    # A third article under the new version: only it is extracted; the other two are current.
    shutil.copy(SEEDS / "seed-000.txt", source / "seed-000-copy.txt")  # same text: a second source, no work
    third = source / "third.txt"
    third.write_text("date 2025-08-08\n\nIndia and Japan held talks in Tokyo on Thursday on trade.\n",
                     encoding="utf-8")
    extracted = run(source, warehouse)
    assert extracted <= {_doc_ids(warehouse)["third.txt"]}
    assert ids["seed-000.txt"] not in extracted and ids["seed-004.txt"] not in extracted
    assert run(source, warehouse) == set()


def test_a_failed_re_extraction_load_keeps_the_old_version_whole(tmp_path, run, monkeypatch):
    import pipeline.extract
    from pipeline import repository

    old = pipeline.extract.EXTRACTOR_VERSION
    source, warehouse = tmp_path / "src", tmp_path / "events.duckdb"
    source.mkdir()
    for name in ("seed-000.txt", "seed-004.txt"):
        shutil.copy(SEEDS / name, source)
    run(source, warehouse)
    before_mentions = query(warehouse, MENTIONS_SQL)
    before = query(warehouse, SNAPSHOT_SQL)

    monkeypatch.setattr(pipeline.extract, "EXTRACTOR_VERSION", old + "-reextract-test")

    def boom(con, blocks, events):
        raise RuntimeError("disk full while resolving events")

    monkeypatch.setattr(repository, "replace_events", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        run(source, warehouse)
    # Nothing of the failed load is visible: every mention is still the old version's.
    assert query(warehouse, MENTIONS_SQL) == before_mentions
    assert query(warehouse, SNAPSHOT_SQL) == before

    monkeypatch.undo()  # the real resolver, and the version back to ...
    monkeypatch.setattr(pipeline.extract, "EXTRACTOR_VERSION", old + "-reextract-test")
    run(source, warehouse)
    assert {v for _, v in query(warehouse, MENTIONS_SQL)} == {old + "-reextract-test"}
    assert query(warehouse, SNAPSHOT_SQL) == before
