"""The command line as a user runs it: subprocesses, exit codes and output."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT, SEEDS


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_query_prints_a_table(seed_warehouse):
    result = cli("query", "select event_type, count(*) as n from events group by 1 order by 1",
                 "--warehouse", str(seed_warehouse))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["event_type", "n"]
    assert any(line.startswith("meeting") for line in lines[2:])


def test_query_prints_json_for_scripts(seed_warehouse):
    import json

    from tests.conftest import query

    sql = ("select event_type, count(*) as n, min(event_date) as first_day, max(rate_pct) as top_rate "
           "from events group by 1 order by 1")
    result = cli("query", sql, "--format", "json", "--warehouse", str(seed_warehouse))
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    expected = query(seed_warehouse, sql)
    assert [r["event_type"] for r in rows] == [e[0] for e in expected]
    assert [r["n"] for r in rows] == [e[1] for e in expected]
    assert [r["first_day"] for r in rows] == [e[2].isoformat() if e[2] else None for e in expected]
    assert set(rows[0]) == {"event_type", "n", "first_day", "top_rate"}


def test_bad_sql_is_one_readable_error_line(seed_warehouse):
    result = cli("query", "select nope from events", "--warehouse", str(seed_warehouse))
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "nope" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_warehouse_tells_the_user_what_to_run(tmp_path):
    result = cli("query", "select 1", "--warehouse", str(tmp_path / "none.duckdb"))
    assert result.returncode == 1
    assert "python -m pipeline run" in result.stderr


def test_missing_source_folder_is_a_clear_error(tmp_path):
    result = cli("run", "--source", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.returncode == 1
    assert "does not exist" in result.stderr


def test_check_command_reports_the_checks_that_passed(seed_warehouse):
    result = cli("check", "--warehouse", str(seed_warehouse))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("all ") and "data tests passed" in result.stdout


def test_run_shows_progress_on_a_terminal_and_not_in_a_pipe(tmp_path):
    import fcntl
    import pty
    import struct
    import termios

    primary, secondary = pty.openpty()
    # a new pseudo-terminal is 0x0; a real one has a size, and bars are drawn to its width
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--source", str(SEEDS), "--warehouse",
                             str(tmp_path / "tty.duckdb")], cwd=ROOT, stdout=secondary, stderr=subprocess.PIPE)
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closes when the process exits
            break
        if not chunk:
            break
        shown += chunk
    assert proc.wait(timeout=600) == 0
    os.close(primary)
    text = shown.decode("utf-8", "replace")
    assert "normalise" in text and "extract" in text and "documents/s" in text
    assert "documents ingested" in text  # the summary still ends the run

    piped = subprocess.run([sys.executable, "-m", "pipeline", "run", "--source", str(SEEDS), "--warehouse",
                            str(tmp_path / "pipe.duckdb")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert piped.returncode == 0
    assert "documents/s" not in piped.stdout + piped.stderr
    assert "documents ingested" in piped.stdout.splitlines()[0]


def test_control_and_bidi_characters_of_an_input_are_not_stored_and_never_reach_the_terminal(tmp_path):
    import shutil

    source = tmp_path / "in"
    source.mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "bad_inputs" / "control-characters.txt", source)
    warehouse = tmp_path / "events.duckdb"
    assert cli("run", "--quiet", "--source", str(source), "--warehouse", str(warehouse)).returncode == 0
    shown = cli("query", "select title from documents", "--warehouse", str(warehouse))
    assert shown.returncode == 0
    assert "\x1b" not in shown.stdout and "\u202e" not in shown.stdout
    # removed at normalisation (query's escaping covers warehouses loaded before: test_cli_output.py)
    assert "Tariff talks [2J[31mresume in Geneva" in shown.stdout


def test_the_readme_shows_what_a_run_over_the_seeds_prints(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    intro = "On the two seed articles it prints:\n\n```\n"
    assert intro in readme, "README lost its quick-start output block"
    shown = readme.split(intro, 1)[1].split("```", 1)[0]
    warehouse = tmp_path / "events.duckdb"
    run = subprocess.run([sys.executable, "-m", "pipeline", "run", "--source", str(SEEDS), "--warehouse",
                          str(warehouse)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    printed = run.stdout.replace(str(warehouse), "warehouse/events.duckdb")
    assert printed == shown, "README's quick-start output is stale; paste what `make run` prints"
