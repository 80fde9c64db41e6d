"""An edited input supersedes what was loaded from it before: its events are not counted twice."""
from __future__ import annotations

import os
import time
from pathlib import Path

from pipeline import cli
from tests.conftest import query

FIRST = ("The European Union imposed a 25 percent tariff on imports of steel from Turkey on Monday, "
         "trade officials said in Brussels.\n")
CORRECTED = FIRST.replace("25 percent", "30 percent")


def _write(path: Path, text: str, age_s: float) -> None:
    path.write_text(text)
    when = time.time() - age_s  # distinct mtimes, as real edits have
    os.utime(path, (when, when))


def _run(source: Path, warehouse: Path) -> None:
    assert cli.main(["run", "--quiet", "--source", str(source), "--warehouse", str(warehouse)]) == 0


def _tariffs(warehouse: Path) -> list[tuple]:
    return query(warehouse, "select rate_pct, num_documents from tariffs order by rate_pct")


def test_an_edited_file_replaces_its_earlier_version(tmp_path):
    source, warehouse = tmp_path / "in", tmp_path / "events.duckdb"
    source.mkdir()
    article = source / "steel.txt"
    _write(article, FIRST, 300)
    _run(source, warehouse)
    assert _tariffs(warehouse) == [(25.0, 1)]

    _write(article, CORRECTED, 200)
    _run(source, warehouse)
    assert _tariffs(warehouse) == [(30.0, 1)]
    assert query(warehouse, "select count(*) from documents") == [(1,)]
    history = query(warehouse, "select superseded_at is not null from document_provenance order by loaded_at")
    assert history == [(True,), (False,)]

    # going back to the first text makes that document current again, with its event
    _write(article, FIRST, 100)
    _run(source, warehouse)
    assert _tariffs(warehouse) == [(25.0, 1)]
    assert query(warehouse, "select count(*) from documents") == [(1,)]


def test_a_document_with_another_current_source_stays(tmp_path):
    source, warehouse = tmp_path / "in", tmp_path / "events.duckdb"
    source.mkdir()
    _write(source / "a.txt", FIRST, 300)
    _write(source / "b.txt", FIRST, 300)  # the same text under a second name: one document, two sources
    _run(source, warehouse)
    assert query(warehouse, "select num_sources from documents") == [(2,)]

    _write(source / "a.txt", CORRECTED, 200)
    _run(source, warehouse)
    assert query(warehouse, "select num_sources from documents order by num_sources") == [(1,), (1,)]
    assert _tariffs(warehouse) == [(25.0, 1), (30.0, 1)]
