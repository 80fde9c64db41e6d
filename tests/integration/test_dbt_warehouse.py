"""The warehouse's dbt project on a real DuckDB file: marts built as tables after a CLI run, a re-run
that skips dbt, data tests that name what broke, and the upgrade of a warehouse built before dbt."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline import cli, transform
from pipeline import warehouse as wh
from pipeline.settings import Settings
from tests.conftest import SEEDS, query

MARTS = ("documents", "events", "event_actors", "event_mentions", "tariffs", "trade_restrictions",
         "event_sources", "rejected_documents", "document_provenance")


def test_a_cli_run_builds_every_mart_as_a_table(seed_warehouse):
    types = dict(query(seed_warehouse, "select table_name, table_type from information_schema.tables"))
    assert {name: types.get(name) for name in MARTS} == {name: "BASE TABLE" for name in MARTS}
    assert query(seed_warehouse, "select count(*) from events")[0][0] > 0
    # what the build built from: this project's files and the last load
    state = query(seed_warehouse, "select project_hash, loaded_at from dbt_build_state where target = 'duckdb'")
    watermark = query(seed_warehouse, "select max(loaded_at) from raw_loads")[0][0]
    assert state == [(transform.project_hash(), watermark)]


def test_a_re_run_over_unchanged_input_skips_dbt(tmp_path, monkeypatch):
    source = tmp_path / "in"
    shutil.copytree(SEEDS, source)
    warehouse = tmp_path / "events.duckdb"
    cli.run_pipeline(source, warehouse, Settings.from_env())
    built = query(warehouse, "select * from dbt_build_state")

    def no_dbt(*args, **kwargs):
        raise AssertionError("dbt was invoked for an unchanged input")

    monkeypatch.setattr(transform, "invoke", no_dbt)
    summary = cli.run_pipeline(source, warehouse, Settings.from_env())
    assert summary["ingested"] == 0 and summary["events"] > 0
    assert query(warehouse, "select * from dbt_build_state") == built
    assert query(warehouse, "select count(*) from raw_runs") == [(2,)]

    # a new article moves the load watermark, and the marts are built again
    monkeypatch.undo()
    (source / "new.txt").write_text("Washington imposed a 10% tariff on steel from Canada on Monday, "
                                    "officials said.\n", encoding="utf-8")
    cli.run_pipeline(source, warehouse, Settings.from_env())
    rebuilt = query(warehouse, "select built_at, loaded_at from dbt_build_state")
    assert rebuilt[0] != (built[0][3], built[0][2])
    assert query(warehouse, "select count(*) from documents") == query(warehouse, "select count(*) from raw_documents")


def test_pipeline_check_names_a_broken_relationship(seed_warehouse, tmp_path, capsys):
    warehouse = tmp_path / "events.duckdb"
    shutil.copyfile(seed_warehouse, warehouse)
    assert cli.main(["check", "--warehouse", str(warehouse)]) == 0
    assert "data tests passed" in capsys.readouterr().out
    with wh.connect(warehouse) as con:
        con.execute("insert into raw_mention_events values ('no-such-mention', 'no-such-event')")
    assert cli.main(["check", "--warehouse", str(warehouse)]) == 1
    err = capsys.readouterr().err
    assert "DbtFailed" in err
    assert "relationships_stg_mention_events_mention_id__mention_id__ref_stg_mentions_" in err
    assert "relationships_stg_mention_events_event_id__event_id__ref_stg_events_" in err


def test_a_failing_data_test_fails_the_run_and_leaves_the_read_copy_as_it_was(tmp_path):
    source = tmp_path / "in"
    shutil.copytree(SEEDS, source)
    warehouse = tmp_path / "events.duckdb"
    cli.run_pipeline(source, warehouse, Settings.from_env())
    copy = wh.read_copy_path(warehouse)
    published = copy.read_bytes()
    with wh.connect(warehouse) as con:  # an offset no sentence starts at, as a broken extractor would write
        con.execute("update raw_mentions set char_start = char_start + 1 where mention_id = "
                    "(select min(mention_id) from raw_mentions)")
        con.execute("insert into raw_loads values ('broken', now())")
    with pytest.raises(transform.DbtFailed, match="evidence_offsets_point_at_the_sentence"):
        cli.run_pipeline(source, warehouse, Settings.from_env())
    assert copy.read_bytes() == published
    assert query(warehouse, "select count(*) from raw_runs") == [(1,)]


OLD_MIGRATIONS = 16  # V001-V016: the raw tables, the resolved int_* tables and the views over them


def _old_warehouse(path: Path, tmp_path: Path) -> list[tuple]:
    """A warehouse as the migrations before the dbt project left it, with one event; its old events view."""
    sql_dir = tmp_path / "old-sql"
    sql_dir.mkdir()
    for version, name, sql in wh.migrations()[:OLD_MIGRATIONS]:
        (sql_dir / f"V{version}__{name}.sql").write_text(sql, encoding="utf-8")
    body = "India and Russia signed a trade agreement on Monday."
    with wh.connect(path) as con:
        wh.migrate(con, sql_dir)
        con.execute("insert into raw_documents values ('d1', 'file:///a.txt', 'test', null, 'A', '2025-08-04', ?, "
                    "[[0, 52]], now(), now())", [body])
        con.execute("insert into raw_document_sources values ('d1', 'file:///a.txt', 'test', now(), now(), null)")
        con.execute("insert into raw_extractions values ('d1', 'v1', 1, now())")
        con.execute("insert into raw_mentions values ('m1', 'd1', 'agreement', 'b1', ?, 0, 52, 'signed', 17, "
                    "'2025-08-04', 'Monday', null, [], null, 0.9, 'v1')", [body])
        con.execute("insert into raw_mention_actors values ('m1', 'participant', 'IND', 'India'), "
                    "('m1', 'participant', 'RUS', 'Russia')")
        con.execute("insert into int_events values ('e1', 'agreement', 'b1', '2025-08-04', null, null, [], 0.9)")
        con.execute("insert into int_event_actors values ('e1', 'participant', 'IND', 'India'), "
                    "('e1', 'participant', 'RUS', 'Russia')")
        con.execute("insert into int_mention_events values ('m1', 'e1')")
        con.execute("insert into int_document_stories values ('d1', 'd1')")
        return con.execute("select * from events").fetchall()


def test_a_warehouse_built_by_the_earlier_migrations_upgrades_in_place(tmp_path):
    warehouse = tmp_path / "events.duckdb"
    old_events = _old_warehouse(warehouse, tmp_path)
    assert len(old_events) == 1
    with wh.connect(warehouse) as con:
        assert wh.migrate(con) == [v for v, _, _ in wh.migrations()[OLD_MIGRATIONS:]]
        tables = dict(con.execute("select table_name, table_type from information_schema.tables").fetchall())
        keys = {r[0] for r in con.execute(
            "select table_name from duckdb_constraints() where constraint_type = 'PRIMARY KEY'").fetchall()}
    assert not any(name.startswith("int_") for name in tables)
    assert {"raw_events", "raw_event_actors", "raw_mention_events", "raw_document_stories"} <= keys
    assert not any(tables.get(name) for name in MARTS)  # the views are gone; dbt builds the tables
    transform.build(warehouse)
    assert query(warehouse, "select * from events") == old_events
    assert query(warehouse, "select table_type from information_schema.tables where table_name = 'events'") == [
        ("BASE TABLE",)]


def _models(layer: str) -> dict[str, dict]:
    import yaml

    path = transform.PROJECT_DIR / "models" / layer / f"_{layer}.yml"
    return {m["name"]: m for m in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]}


@pytest.mark.parametrize("layer", ["staging", "intermediate", "marts"])
def test_each_layers_yml_describes_every_model_and_every_column_it_has(seed_warehouse, layer):
    documented = _models(layer)
    files = sorted(p.stem for p in (transform.PROJECT_DIR / "models" / layer).glob("*.sql"))
    assert sorted(documented) == files
    for name, model in documented.items():
        actual = [r[0] for r in query(seed_warehouse, "select column_name from information_schema.columns "
                                                      "where table_name = ? order by ordinal_position", [name])]
        assert [c["name"] for c in model["columns"]] == actual, name
        assert model.get("description") and all(c.get("description") for c in model["columns"]), name


def test_the_marts_are_the_ones_readme_documents_with_the_same_columns():
    import re

    readme = (transform.PROJECT_DIR.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The warehouse"):readme.index("## How it works")]
    listed = {name: [re.sub(r"\s*\(.*\)$", "", c.strip()) for c in columns.split(",")]
              for name, columns in re.findall(r"^### `(\w+)` .*\n`([^`]+)`$", section, flags=re.M)}
    marts = _models("marts")
    assert set(listed) == set(marts) == set(MARTS)
    for name, model in marts.items():
        assert listed[name] == [c["name"] for c in model["columns"]], name


def test_the_accepted_values_are_the_pipelines_own():
    from pipeline.models import ACTOR_ROLES, EVENT_TYPES, STATUSES

    def accepted(model: str, column: str) -> tuple[str, ...]:
        tests = next(c for c in _models("marts")[model]["columns"] if c["name"] == column)["data_tests"]
        return tuple(next(t["accepted_values"]["arguments"]["values"] for t in tests
                          if isinstance(t, dict) and "accepted_values" in t))

    assert accepted("events", "event_type") == EVENT_TYPES
    assert accepted("events", "status") == STATUSES
    assert accepted("event_actors", "role") == ACTOR_ROLES


def test_the_staging_views_read_from_the_read_copy_and_an_in_memory_copy(seed_warehouse):
    import duckdb

    copy = wh.read_copy_path(seed_warehouse)
    views = [r[0] for r in query(copy, "select view_name from duckdb_views() where not internal order by 1")]
    assert views == sorted(_models("staging"))
    memory = duckdb.connect(":memory:")
    memory.execute(f"attach '{copy}' as snapshot (read_only)")
    memory.execute("copy from database snapshot to memory")
    memory.execute("detach snapshot")
    for view in views:
        rows = query(copy, f"select count(*) from {view}")[0][0]
        assert memory.execute(f"select count(*) from {view}").fetchone()[0] == rows, view
    assert query(copy, "select count(*) from stg_mentions")[0][0] > 0
