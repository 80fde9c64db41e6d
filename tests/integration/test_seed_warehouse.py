"""The seed articles, run end to end by the CLI's code path, land the events a reader expects."""
from __future__ import annotations

import shutil
from datetime import date

import pytest

from tests.conftest import SEEDS, query


def events_of_type(path, event_type):
    return query(path, """
        select e.event_id, e.event_date, e.status, e.num_documents,
               list(distinct a.country_code order by a.country_code) filter (where a.role = 'participant')
        from events e left join event_actors a using (event_id)
        where e.event_type = ? group by all""", [event_type])


def _india_russia_meetings(path):
    return [e for e in events_of_type(path, "meeting") if {"IND", "RUS"} <= set(e[4] or [])]


def test_the_meeting_of_india_and_russia_is_found_in_both_articles(seed_warehouse):
    # The trained model also names other countries of the sentences around it as parties in one
    # article, so the two reports need not corefer; each article still reports the meeting.
    meetings = _india_russia_meetings(seed_warehouse)
    docs = query(seed_warehouse, """
        select count(distinct m.doc_id) from event_mentions m
        where m.event_id in (select unnest(?::varchar[]))""", [[e[0] for e in meetings]])
    assert docs == [(2,)]


@pytest.mark.xfail(strict=True, reason="the dated report of the talks opens with a clause about a tariff: the "
                   "detector gives that long sentence 0.07 for a meeting, under the shipped model's tuned threshold "
                   "of 0.15; the undated reports of the same meeting are found")
def test_the_meeting_of_india_and_russia_is_dated(seed_warehouse):
    assert any(e[1] == date(2025, 8, 6) for e in _india_russia_meetings(seed_warehouse))


def test_one_agreement_of_india_and_russia_reported_by_both_articles(seed_warehouse):
    agreements = [e for e in events_of_type(seed_warehouse, "agreement") if {"IND", "RUS"} <= set(e[4] or [])]
    assert len(agreements) == 1
    assert agreements[0][1] == date(2025, 8, 6)
    assert agreements[0][3] == 2


def test_us_tariff_on_india_with_its_rate(seed_warehouse):
    rows = query(seed_warehouse, """
        select rate_pct, alt_rates, status, event_date from tariffs
        where imposer = 'USA' and target = 'IND'""")
    assert rows, "no USA -> IND tariff"
    rates = {r[0] for r in rows} | {x for r in rows for x in (r[1] or [])}
    assert rates & {25.0, 50.0}
    assert (25.0, "imposed") in {(r[0], r[2]) for r in rows}


@pytest.mark.xfail(strict=True, reason="the sentence dates the tariff by another event ('the day' of the meeting "
                   "an earlier sentence dates); the trained extractor reads only the sentence's own date expressions")
def test_us_tariff_on_india_is_dated_by_the_meeting_it_accompanied(seed_warehouse):
    rows = query(seed_warehouse, "select event_date from tariffs where imposer = 'USA' and target = 'IND'")
    assert (date(2025, 8, 6),) in rows


def test_chinese_export_restriction(seed_warehouse):
    rows = query(seed_warehouse, "select imposer, status from trade_restrictions where imposer = 'CHN'")
    assert rows and rows[0][1] == "imposed"


def test_evidence_offsets_point_into_the_stored_text(seed_warehouse):
    rows = query(seed_warehouse, """
        select m.sentence, substr(d.body, m.char_start + 1, m.char_end - m.char_start), m.extractor_version
        from event_mentions m join documents d using (doc_id)""")
    assert rows
    for sentence, located, version in rows:
        assert sentence == located and version


def test_documents_keep_their_provenance(seed_warehouse):
    rows = query(seed_warehouse, "select source_uri, published_date, story_id from documents order by source_uri")
    assert [r[0].rsplit("/", 1)[-1] for r in rows] == ["seed-000.txt", "seed-004.txt"]
    assert {r[1] for r in rows} == {date(2025, 8, 7)}
    assert rows[0][2] != rows[1][2], "two different write-ups are different stories"


def test_event_sources_lists_each_outlet_and_the_first_report(seed_warehouse):
    rows = query(seed_warehouse, """
        select s.source_uri, s.is_first_report from event_sources s join events e using (event_id)
        where e.event_type = 'meeting'""")
    assert len(rows) == 2 and all(r[1] for r in rows)


def test_running_twice_gives_identical_rows(tmp_path):
    from pipeline.cli import run_pipeline
    from pipeline.settings import Settings

    path = tmp_path / "events.duckdb"
    snapshot_sql = ("select (select count(*) from documents), (select count(*) from events), "
                    "(select count(*) from event_mentions), (select count(*) from event_actors), "
                    "(select string_agg(event_id, ',' order by event_id) from events)")
    first = run_pipeline(SEEDS, path, Settings.from_env())
    before = query(path, snapshot_sql)
    second = run_pipeline(SEEDS, path, Settings.from_env())
    assert query(path, snapshot_sql) == before
    assert first["ingested"] == 2 and second["ingested"] == 0 and second["skipped"] == 2


def test_one_article_per_run_gives_the_same_events_as_one_run(tmp_path, seed_warehouse):
    from pipeline.cli import run_pipeline
    from pipeline.settings import Settings

    path = tmp_path / "events.duckdb"
    for name in ("seed-004.txt", "seed-000.txt"):
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(SEEDS / name, folder / name)
        run_pipeline(folder, path, Settings.from_env())
    sql = "select event_id, event_type, event_date, num_documents from events order by event_id"
    assert query(path, sql) == query(seed_warehouse, sql)


def test_parallel_extraction_gives_the_same_events(tmp_path, monkeypatch, seed_warehouse):
    from pipeline.cli import run_pipeline
    from pipeline.settings import Settings

    monkeypatch.setenv("PIPELINE_EXTRACT_BATCH_SIZE", "1")
    monkeypatch.setenv("PIPELINE_EXTRACT_WORKERS", "2")
    settings = Settings.from_env()
    assert settings.extract_workers == 2
    path = tmp_path / "events.duckdb"
    run_pipeline(SEEDS, path, settings)
    sql = "select event_id, num_mentions from events order by event_id"
    assert query(path, sql) == query(seed_warehouse, sql)
