from datetime import date

import pytest

from pipeline import checks, repository, stages
from pipeline import warehouse as wh
from pipeline.models import Rejection
from tests.unit.factories import make_doc, make_mention

DOC_A = make_doc("India and Russia met on Wednesday.", "file:///a.txt")
DOC_B = make_doc("Indian and Russian officials held talks on Wednesday.", "file:///b.txt")
TABLES = ("raw_documents", "raw_document_sources", "raw_mentions", "raw_mention_actors", "int_events",
          "int_event_actors", "int_mention_events", "raw_extractions", "raw_rejected_documents")


def counts(con):
    return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


def load_docs(con, docs, mentions, rejections=()):
    return stages.load_records(con, docs, mentions, [d.doc_id for d in docs], "test", rejections)


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
    with wh.connect(warehouse_path) as con:
        wh.migrate(con)
        load_docs(con, [DOC_A, DOC_B], mentions, [rejection])
        before = counts(con)
        ids_before = con.execute("select event_id from events order by 1").fetchall()
        load_docs(con, [DOC_A, DOC_B], mentions, [rejection])
        assert counts(con) == before
        assert con.execute("select event_id from events order by 1").fetchall() == ids_before
        assert before["raw_documents"] == 2 and before["int_events"] == 1 and before["raw_rejected_documents"] == 1


def test_two_runs_give_the_same_events_as_one(tmp_path):
    together, apart = tmp_path / "together.duckdb", tmp_path / "apart.duckdb"
    with wh.connect(together) as con:
        wh.migrate(con)
        load_docs(con, [DOC_A, DOC_B], [make_mention(DOC_A), make_mention(DOC_B)])
        one_run = con.execute("select event_id, num_mentions, num_documents from events").fetchall()
    with wh.connect(apart) as con:
        wh.migrate(con)
        load_docs(con, [DOC_A], [make_mention(DOC_A)])
        first_id = con.execute("select event_id from events").fetchall()
        load_docs(con, [DOC_B], [make_mention(DOC_B)])
        two_runs = con.execute("select event_id, num_mentions, num_documents from events").fetchall()
    assert one_run == two_runs == [(first_id[0][0], 2, 2)]


def test_same_text_at_two_urls_is_one_document_with_two_sources(warehouse_path):
    copy = make_doc(DOC_A.text, "https://mirror.example/a")
    with wh.connect(warehouse_path) as con:
        wh.migrate(con)
        load_docs(con, [DOC_A, copy], [make_mention(DOC_A)])
        assert con.execute("select count(*), max(num_sources) from documents").fetchone() == (1, 2)
        assert con.execute("select num_sources from events").fetchone() == (2,)


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
    with wh.connect(warehouse_path) as con:
        wh.migrate(con)
        load_docs(con, [DOC_A], [make_mention(DOC_A, event_date=date(2025, 8, 6))])
        load_docs(con, [DOC_A], [make_mention(DOC_A, event_date=date(2025, 8, 1))])
        assert con.execute("select event_date from events").fetchall() == [(date(2025, 8, 1),)]
        assert con.execute("select count(*) from raw_mentions").fetchone() == (1,)


def test_data_checks_pass_on_a_clean_load_and_name_a_broken_relationship(warehouse_path):
    with wh.connect(warehouse_path) as con:
        wh.migrate(con)
        load_docs(con, [DOC_A], [make_mention(DOC_A)])
        assert checks.assert_all(con)
        con.execute("delete from raw_documents")
        with pytest.raises(checks.DataCheckFailed, match="event_mentions.doc_id -> documents.doc_id"):
            checks.assert_all(con)


def test_read_only_open_of_a_missing_warehouse_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m pipeline run"):
        with wh.connect(tmp_path / "missing.duckdb", read_only=True):
            pass
