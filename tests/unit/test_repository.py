"""The repository's Arrow schemas agree with the migrated tables, so a DDL change cannot silently drift."""
import duckdb
import pyarrow as pa
import pytest

from pipeline import repository
from pipeline import warehouse as wh


@pytest.fixture(scope="module")
def migrated():
    con = duckdb.connect()
    wh.migrate(con)
    yield con
    con.close()


def _same_type(ours: pa.DataType, table: pa.DataType) -> bool:
    if pa.types.is_timestamp(ours) and pa.types.is_timestamp(table):
        # DuckDB names the session's time zone; what matters is an instant in the same unit
        return ours.unit == table.unit and (ours.tz is None) == (table.tz is None)
    return ours == table


def drift(con, table: str, schema: pa.Schema, whole_rows: bool) -> list[str]:
    """How ``schema`` disagrees with ``table`` as migrated: unknown columns, other types and, for schemas
    that insert whole rows, required columns left out."""
    columns = con.execute(f"select * from {table} limit 0").to_arrow_table().schema
    problems = [f"{table}.{f.name} is not a column" for f in schema if f.name not in columns.names]
    problems += [f"{table}.{f.name}: {f.type} but the table has {columns.field(f.name).type}"
                 for f in schema if f.name in columns.names and not _same_type(f.type, columns.field(f.name).type)]
    if whole_rows:
        required = con.execute("select column_name from information_schema.columns where table_name = ? "
                               "and is_nullable = 'NO' and column_default is null", [table]).fetchall()
        problems += [f"{table}.{c} is required but not inserted" for (c,) in required if c not in schema.names]
    return problems


def test_every_insert_schema_matches_its_table(migrated):
    problems = [p for table, schema in repository.TABLE_SCHEMAS.items()
                for p in drift(migrated, table, schema, whole_rows=True)]
    assert problems == []


def test_every_registered_schema_matches_the_columns_it_names(migrated):
    problems = [p for table, schema in repository.COLUMN_SCHEMAS for p in drift(migrated, table, schema, False)]
    assert problems == []


def test_a_drifted_schema_is_reported(migrated):
    wrong = repository.TABLE_SCHEMAS["raw_mentions"].set(
        repository.TABLE_SCHEMAS["raw_mentions"].get_field_index("rate_pct"), pa.field("rate_pct", pa.int32()))
    wrong = wrong.remove(wrong.get_field_index("confidence")).append(pa.field("rate", pa.float64()))
    assert drift(migrated, "raw_mentions", wrong, whole_rows=True) == [
        "raw_mentions.rate is not a column", "raw_mentions.rate_pct: int32 but the table has double",
        "raw_mentions.confidence is required but not inserted"]
