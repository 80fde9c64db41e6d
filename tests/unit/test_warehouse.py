from datetime import date

import pytest

from pipeline import repository, stages, transform
from pipeline import warehouse as wh
from pipeline.models import Rejection
from tests.unit.factories import make_doc, make_mention

DOC_A = make_doc("India and Russia met on Wednesday.", "file:///a.txt")
DOC_B = make_doc("Indian and Russian officials held talks on Wednesday.", "file:///b.txt")
TABLES = ("raw_documents", "raw_document_sources", "raw_mentions", "raw_mention_actors", "raw_events",
          "raw_event_actors", "raw_mention_events", "raw_extractions", "raw_rejected_documents")


def counts(con):
    return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


def load_docs(con, docs, mentions, rejections=()):
    return stages.load_records(con, docs, mentions, [d.doc_id for d in docs], "test", rejections)


def load_and_build(path, docs, mentions, rejections=()):
    """One load, then the dbt build of the marts over it (the warehouse is closed while dbt writes)."""
    with wh.connect(path) as con:
        wh.migrate(con)
        load_docs(con, docs, mentions, rejections)
    transform.build(path)


def marts(path, sql):
    with wh.connect(path, read_only=True) as con:
        return con.execute(sql).fetchall()


def test_migrations_apply_once_and_are_recorded(warehouse_path):
    with wh.connect(warehouse_path) as con:
        first = wh.migrate(con)
        assert first == [v for v, _, _ in wh.migrations()]
        assert wh.migrate(con) == []
        recorded = [r[0] for r in con.execute("select version from schema_migrations order by version").fetchall()]
        assert recorded == first


def test_an_applied_migration_whose_file_changed_is_an_error_that_says_how_to_fix_it(warehouse_path, tmp_path):
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    for version, name, sql in wh.migrations():
        (sql_dir / f"V{version}__{name}.sql").write_text(sql, encoding="utf-8")
    with wh.connect(warehouse_path) as con:
        assert wh.migrate(con, sql_dir)
        edited = sql_dir / "V001__raw_tables.sql"
        edited.write_text(edited.read_text(encoding="utf-8") + "\n-- an afterthought\n", encoding="utf-8")
        with pytest.raises(wh.MigrationChanged,
                           match=r"V001__raw_tables.sql changed after it was applied.*new migration"):
            wh.migrate(con, sql_dir)


def test_loading_the_same_input_twice_changes_nothing(warehouse_path):
    mentions = [make_mention(DOC_A), make_mention(DOC_B)]
    rejection = Rejection("file:///empty.txt", "file is empty", "abc")
    load_and_build(warehouse_path, [DOC_A, DOC_B], mentions, [rejection])
    with wh.connect(warehouse_path) as con:
        before = counts(con)
    ids_before = marts(warehouse_path, "select event_id from events order by 1")
    load_and_build(warehouse_path, [DOC_A, DOC_B], mentions, [rejection])
    with wh.connect(warehouse_path) as con:
        assert counts(con) == before
    assert marts(warehouse_path, "select event_id from events order by 1") == ids_before
    assert before["raw_documents"] == 2 and before["raw_events"] == 1 and before["raw_rejected_documents"] == 1


def test_two_runs_give_the_same_events_as_one(tmp_path):
    together, apart = tmp_path / "together.duckdb", tmp_path / "apart.duckdb"
    stats = "select event_id, num_mentions, num_documents from events"
    load_and_build(together, [DOC_A, DOC_B], [make_mention(DOC_A), make_mention(DOC_B)])
    one_run = marts(together, stats)
    load_and_build(apart, [DOC_A], [make_mention(DOC_A)])
    first_id = marts(apart, "select event_id from events")
    load_and_build(apart, [DOC_B], [make_mention(DOC_B)])
    assert one_run == marts(apart, stats) == [(first_id[0][0], 2, 2)]


def test_same_text_at_two_urls_is_one_document_with_two_sources(warehouse_path):
    copy = make_doc(DOC_A.text, "https://mirror.example/a")
    load_and_build(warehouse_path, [DOC_A, copy], [make_mention(DOC_A)])
    assert marts(warehouse_path, "select count(*), max(num_sources) from documents") == [(1, 2)]
    assert marts(warehouse_path, "select num_sources from events") == [(2,)]


def test_a_failed_load_leaves_no_partial_rows(warehouse_path, monkeypatch):
    with wh.connect(warehouse_path) as con:
        wh.migrate(con)
        load_docs(con, [DOC_A], [make_mention(DOC_A)])
        before = counts(con)

        def explode(*args, **kwargs):
            raise RuntimeError("simulated crash during coreference")

        monkeypatch.setattr(repository, "replace_events", explode)
        with pytest.raises(RuntimeError, match="simulated crash"):
            load_docs(con, [DOC_B], [make_mention(DOC_B)])
        assert counts(con) == before


def test_re_extraction_replaces_a_documents_mentions(warehouse_path):
    load_and_build(warehouse_path, [DOC_A], [make_mention(DOC_A, event_date=date(2025, 8, 6))])
    load_and_build(warehouse_path, [DOC_A], [make_mention(DOC_A, event_date=date(2025, 8, 1))])
    assert marts(warehouse_path, "select event_date from events") == [(date(2025, 8, 1),)]
    assert marts(warehouse_path, "select count(*) from raw_mentions") == [(1,)]


def test_a_load_that_changes_nothing_leaves_the_load_watermark_where_it_was(warehouse_path):
    load_and_build(warehouse_path, [DOC_A], [make_mention(DOC_A)])
    with wh.connect(warehouse_path) as con:
        watermark = con.execute("select count(*), max(loaded_at) from raw_loads").fetchone()
        stages.load_records(con, [], [], [], "test", [])
        assert con.execute("select count(*), max(loaded_at) from raw_loads").fetchone() == watermark
        load_docs(con, [DOC_B], [make_mention(DOC_B)])
        assert con.execute("select count(*) from raw_loads").fetchone()[0] == watermark[0] + 1


def test_read_only_open_of_a_missing_warehouse_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m pipeline run"):
        with wh.connect(tmp_path / "missing.duckdb", read_only=True):
            pass
