"""The migrations' DDL as a DuckLake holds it: the same tables and columns, without keys, checks or indexes."""
import duckdb
import pytest

from pipeline import warehouse as wh


def _columns(con, table):
    return con.execute("select column_name, data_type, is_nullable from information_schema.columns "
                       "where table_name = ? order by ordinal_position", [table]).fetchall()


def test_keys_checks_references_and_indexes_are_left_out_and_not_null_is_kept():
    sql = """
        -- raw rows, keyed by content hash
        create table if not exists t (
            doc_id varchar primary key, other varchar unique, n integer check (n > 0),
            parent varchar references p (doc_id), spans integer[][], sig ubigint[] not null,
            primary key (doc_id, other));
        create unique index if not exists t_other on t (other);
        create index t_n on t (n);
        alter table t add primary key (doc_id);
        alter table t add column if not exists superseded_at timestamptz;
        create or replace view v as select doc_id from t where n > 0"""
    out = wh.for_ducklake(sql)
    assert "primary" not in out.lower() and "unique" not in out.lower() and "index" not in out.lower()
    assert "references" not in out.lower() and "check" not in out.lower()
    # untouched statements are kept exactly as written
    assert "alter table t add column if not exists superseded_at timestamptz;" in out
    assert "create or replace view v as select doc_id from t where n > 0;" in out
    con = duckdb.connect()
    con.execute(out)
    assert _columns(con, "t") == [
        ("doc_id", "VARCHAR", "NO"), ("other", "VARCHAR", "NO"), ("n", "INTEGER", "YES"),
        ("parent", "VARCHAR", "YES"), ("spans", "INTEGER[][]", "YES"), ("sig", "UBIGINT[]", "NO"),
        ("superseded_at", "TIMESTAMP WITH TIME ZONE", "YES")]
    assert con.execute("select count(*) from duckdb_constraints() where constraint_type "
                       "in ('PRIMARY KEY', 'UNIQUE', 'CHECK', 'FOREIGN KEY')").fetchone()[0] == 0
    assert con.execute("select count(*) from duckdb_indexes()").fetchone()[0] == 0


def test_every_migration_renders_to_the_same_columns():
    original, lake = duckdb.connect(), duckdb.connect()
    for _, _, sql in wh.migrations():
        original.execute(sql)
        lake.execute(wh.for_ducklake(sql))
    tables = [r[0] for r in original.execute(
        "select table_name from information_schema.tables order by 1").fetchall()]
    assert tables == [r[0] for r in lake.execute(
        "select table_name from information_schema.tables order by 1").fetchall()]
    for table in tables:
        assert _columns(lake, table) == _columns(original, table), table


def test_sequences_are_refused_before_anything_runs():
    with pytest.raises(ValueError, match="no sequences"):
        wh.for_ducklake("create table a (x int); create sequence s")
