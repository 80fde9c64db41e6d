"""Progress: log lines at most every 10 s with rate and time left; bars only on a terminal."""
from __future__ import annotations

import io
import logging
import time

from pipeline.progress import LogProgress, Progress, TerminalProgress, for_terminal


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_log_progress_is_rate_limited_and_says_how_far_and_how_long(caplog):
    clock = FakeClock()
    with caplog.at_level(logging.INFO, "pipeline.progress"):
        with LogProgress(every_s=10, clock=clock).stage("extract", total=100) as counter:
            for _ in range(50):  # 50 documents over 50 s
                clock.now += 1
                counter.advance()
    lines = [r.getMessage() for r in caplog.records]
    periodic, final = lines[:-1], lines[-1]
    assert len(periodic) == 5  # at 10, 20, 30, 40 and 50 s, never once per document
    assert periodic[0] == "extract: 10/100 documents (10%), 1.0 documents/s, about 1m30s left"
    assert final == "extract: 50 documents in 50s"


def test_a_short_stage_logs_nothing_of_its_own(caplog):
    clock = FakeClock()
    with caplog.at_level(logging.INFO, "pipeline.progress"):
        with LogProgress(every_s=10, clock=clock).stage("normalise", total=3) as counter:
            counter.advance(3)
    assert caplog.records == []


def test_bars_only_on_a_terminal_and_never_when_quiet():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert type(for_terminal(stream=io.StringIO())) is Progress
    assert type(for_terminal(quiet=True, stream=Terminal())) is Progress
    terminal = Terminal()
    progress = for_terminal(stream=terminal)
    assert isinstance(progress, TerminalProgress)
    with progress.stage("extract", total=4) as counter:
        time.sleep(0.3)  # bars redraw at most every 0.2 s
        counter.advance(4)
    shown = terminal.getvalue()
    assert "extract" in shown and "4/4" in shown and "documents/s" in shown
