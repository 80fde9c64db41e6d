"""A bad entry in a folder costs only itself: loops, deep nesting, vanished and unreadable files."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import ingest as ing
from pipeline.sources import Source

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "tests" / "fixtures" / "bad_inputs" / "good-article.txt"


def _name(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def _reasons(result) -> dict[str, str]:
    return {_name(r.source_uri): r.reason for r in result.rejections}


def test_a_symlink_loop_is_one_rejection_and_the_rest_loads(tmp_path):
    shutil.copy(GOOD, tmp_path / "good.txt")
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    result = ing.ingest_folder(tmp_path)
    assert [_name(d.source_uri) for d in result.documents] == ["good.txt"]
    reasons = _reasons(result)
    assert set(reasons) == {"a.txt", "b.txt"}
    assert all("symbolic link loop" in r for r in reasons.values()), reasons
    assert result.failed_sources == []


def _deep_tree(top: Path, levels: int) -> None:
    """``levels`` nested folders named d, built relative to open folders (the full path exceeds PATH_MAX)."""
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with open(os.open("x.txt", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as handle:
            handle.write(GOOD.read_text())
    finally:
        os.close(fd)


def _remove_deep_tree(top: Path) -> None:
    """Bottom up, without recursion: rmtree recurses once per level."""
    fds = [os.open(top, os.O_RDONLY)]
    while "d" in os.listdir(fds[-1]):
        fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
    os.unlink("x.txt", dir_fd=fds[-1])
    while len(fds) > 1:
        os.close(fds.pop())
        os.rmdir("d", dir_fd=fds[-1])
    os.close(fds[0])


def test_a_tree_2200_levels_deep_is_walked_to_the_depth_limit(tmp_path):
    shutil.copy(GOOD, tmp_path / "top.txt")
    (tmp_path / "d1").mkdir()
    shutil.copy(GOOD, tmp_path / "d1" / "inner.txt")
    _deep_tree(tmp_path, 2200)
    try:
        result = ing.ingest_folder(tmp_path, opts=ing.Options(max_folder_depth=32))
    finally:
        _remove_deep_tree(tmp_path)
    assert sorted(_name(d.source_uri) for d in result.documents) == ["inner.txt", "top.txt"]
    assert len(result.rejections) == 1
    rejected = result.rejections[0]
    assert rejected.source_uri.count("/d") == 33
    assert "nested more than 32 levels" in rejected.reason and "PIPELINE_MAX_FOLDER_DEPTH" in rejected.reason


def test_a_file_that_vanishes_after_listing_is_reported_as_vanished(tmp_path, monkeypatch):
    shutil.copy(GOOD, tmp_path / "stays.txt")
    shutil.copy(GOOD, tmp_path / "goes.txt")
    listed = ing.folders._folder_entries

    def listing_then_delete(*args, **kwargs):  # the file is deleted for real, between listing and reading
        for path, problem in listed(*args, **kwargs):
            if path.name == "goes.txt":
                path.unlink()
            yield path, problem

    monkeypatch.setattr(ing.folders, "_folder_entries", listing_then_delete)
    result = ing.ingest_folder(tmp_path)
    assert [_name(d.source_uri) for d in result.documents] == ["stays.txt"]
    reason = _reasons(result)["goes.txt"]
    assert "vanished between listing and reading" in reason and "broken link" not in reason


def test_read_file_reports_a_vanished_file(tmp_path):
    result = ing.read_file(tmp_path / "gone.txt")
    assert "vanished" in result.rejections[0].reason


def _unreadable(path: Path) -> None:
    path.chmod(0)
    if os.access(path, os.R_OK):
        path.chmod(0o700)
        pytest.skip("running as a user (root) that reads mode-000 files anyway; no real permission failure")


def test_a_permission_denied_file_is_one_rejection(tmp_path):
    shutil.copy(GOOD, tmp_path / "good.txt")
    shutil.copy(GOOD, tmp_path / "locked.txt")
    _unreadable(tmp_path / "locked.txt")
    result = ing.ingest_folder(tmp_path)
    assert [_name(d.source_uri) for d in result.documents] == ["good.txt"]
    assert "Permission denied" in _reasons(result)["locked.txt"]


def test_a_folder_that_cannot_be_listed_is_one_rejection(tmp_path):
    shutil.copy(GOOD, tmp_path / "good.txt")
    (tmp_path / "locked").mkdir()
    shutil.copy(GOOD, tmp_path / "locked" / "inside.txt")
    _unreadable(tmp_path / "locked")
    try:
        result = ing.ingest_folder(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o700)
    assert [_name(d.source_uri) for d in result.documents] == ["good.txt"]
    assert "could not be listed (Permission denied)" in _reasons(result)["locked"]


def test_a_device_or_pipe_is_refused_without_reading(tmp_path):
    shutil.copy(GOOD, tmp_path / "good.txt")
    os.mkfifo(tmp_path / "pipe.txt")  # reading it would block the run for ever
    result = ing.ingest_folder(tmp_path)
    assert [_name(d.source_uri) for d in result.documents] == ["good.txt"]
    assert "not a regular file" in _reasons(result)["pipe.txt"]


def test_a_source_that_yields_nothing_because_of_an_error_fails(tmp_path):
    (tmp_path / "loops").mkdir()
    (tmp_path / "loops" / "a.txt").symlink_to(tmp_path / "loops" / "b.txt")
    (tmp_path / "loops" / "b.txt").symlink_to(tmp_path / "loops" / "a.txt")
    _deep_tree(tmp_path / "loops", 40)
    (tmp_path / "ok").mkdir()
    shutil.copy(GOOD, tmp_path / "ok" / "good.txt")
    try:
        result = ing.ingest_sources([Source("loops", "folder", folder=tmp_path / "loops"),
                                     Source("ok", "folder", folder=tmp_path / "ok")], ing.Options())
    finally:
        _remove_deep_tree(tmp_path / "loops")
    assert [d.source_name for d in result.documents] == ["ok"]
    assert len(result.failed_sources) == 1
    assert "source 'loops' yielded nothing" in result.failed_sources[0]
    assert "nested more than" in result.failed_sources[0]


def test_a_folder_with_only_bad_files_is_not_a_failed_source(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    result = ing.ingest_sources([Source("bad", "folder", folder=tmp_path)], ing.Options())
    assert len(result.rejections) == 1 and result.failed_sources == []


def test_the_cli_exits_non_zero_with_the_reason(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _deep_tree(folder, 40)
    try:
        run = subprocess.run([sys.executable, "-m", "pipeline", "run", "--quiet", "--source", str(folder),
                              "--warehouse", str(tmp_path / "w.duckdb")], capture_output=True, text=True,
                             cwd=ROOT, env={**os.environ, "PIPELINE_MAX_FOLDER_DEPTH": "8"}, timeout=300)
    finally:
        _remove_deep_tree(folder)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "yielded nothing" in run.stderr and "nested more than 8 levels" in run.stderr
