"""A damaged warehouse is named as such with the way out, and `backup` / `restore` are that way out."""
from __future__ import annotations

import os
import shutil

import pytest

from pipeline import backup, cli
from pipeline import warehouse as wh
from tests.conftest import SEEDS, query
from tests.integration.test_faults import hold_lock


@pytest.fixture
def built(tmp_path):
    """A warehouse built from seeds/ by `pipeline run`, with its read copy."""
    path = tmp_path / "events.duckdb"
    assert cli.main(["run", "--quiet", "--source", str(SEEDS), "--warehouse", str(path)]) == 0
    return path


def _damage(path, offset=None):
    """Overwrite 4 KB: at offset 0 the header goes, in the middle a data block's checksum fails."""
    with open(path, "r+b") as fh:
        fh.seek(path.stat().st_size // 2 if offset is None else offset)
        fh.write(os.urandom(4096))


def _counts(path):
    return query(path, "select (select count(*) from documents), (select count(*) from events), "
                       "(select count(*) from event_mentions)")[0]


@pytest.mark.parametrize("offset", [0, None], ids=["header", "data-block"])
def test_a_damaged_warehouse_is_one_line_with_the_way_out(built, offset, capsys):
    _damage(built, offset)
    for command in (["check"], ["run", "--quiet", "--source", str(SEEDS)]):
        assert cli.main([*command, "--warehouse", str(built)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"warehouse {built} is damaged" in err
        assert "python -m pipeline restore" in err


def test_restore_puts_back_the_last_good_load_and_keeps_the_damaged_file(built, capsys):
    good = _counts(wh.read_copy_path(built))
    damaged_bytes = (_damage(built), built.read_bytes())[1]
    assert cli.main(["restore", "--warehouse", str(built)]) == 0
    assert "restored" in capsys.readouterr().out
    assert _counts(built) == good
    kept = list(built.parent.glob("events.duckdb.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == damaged_bytes
    assert cli.main(["check", "--warehouse", str(built)]) == 0
    # the restored warehouse takes loads again: a re-run over the same seeds changes nothing
    assert cli.main(["run", "--quiet", "--source", str(SEEDS), "--warehouse", str(built)]) == 0
    assert _counts(built) == good


def test_backup_is_consistent_and_restores_into_a_new_place(built, tmp_path, capsys):
    folder = tmp_path / "backups"
    folder.mkdir()
    assert cli.main(["backup", str(folder), "--warehouse", str(built)]) == 0
    (made,) = folder.glob("events-*.duckdb")
    assert _counts(made) == _counts(built)
    elsewhere = tmp_path / "elsewhere" / "events.duckdb"
    elsewhere.parent.mkdir()
    assert cli.main(["restore", "--from", str(made), "--warehouse", str(elsewhere)]) == 0
    assert _counts(elsewhere) == _counts(built)
    assert _counts(wh.read_copy_path(elsewhere)) == _counts(built)  # a new read copy is published


def test_a_damaged_warehouse_is_not_backed_up_as_if_it_were_good(built, tmp_path):
    _damage(built)
    with pytest.raises(wh.WarehouseCorrupt):
        backup.backup(built, tmp_path / "copy.duckdb", lock_timeout_s=2)
    assert not (tmp_path / "copy.duckdb").exists()
    assert list(tmp_path.glob("copy.duckdb.tmp-*")) == []


def test_restore_from_a_damaged_backup_leaves_the_warehouse_alone(built, tmp_path):
    bad = tmp_path / "bad-backup.duckdb"
    shutil.copyfile(wh.read_copy_path(built), bad)
    _damage(bad)
    before = built.read_bytes()
    with pytest.raises(wh.WarehouseCorrupt, match="cannot be restored from either"):
        backup.restore(built, bad)
    assert built.read_bytes() == before
    assert list(tmp_path.glob("*.damaged-*")) == []


def test_restore_refuses_while_a_writer_holds_the_warehouse(built):
    holder = hold_lock(built, 30)
    try:
        with pytest.raises(wh.WarehouseLocked, match="stop the running load"):
            backup.restore(built)
    finally:
        holder.kill()
        holder.wait()
