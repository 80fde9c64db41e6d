"""The end of a failed task's log: what failed, on which attempt, what to check, whether it retries."""
from __future__ import annotations

import logging
from types import SimpleNamespace

from pipeline.failures import FAILURE_HINTS, log_failure


def context(task_id, try_number, max_tries, map_index=-1, exc=None):
    ti = SimpleNamespace(task_id=task_id, map_index=map_index, try_number=try_number, max_tries=max_tries)
    return {"task_instance": ti, "exception": exc}


def test_a_retried_task_says_what_failed_what_to_check_and_that_it_retries(caplog):
    with caplog.at_level(logging.ERROR, "news_events"):
        log_failure(context("extract", 1, 2, map_index=3, exc=MemoryError("out of memory")))
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "news_events task extract[3] failed (attempt 1 of 3): MemoryError: out of memory"
    assert lines[1] == "What to check: " + FAILURE_HINTS["extract"]
    assert lines[2] == "Airflow will retry it."


def test_the_last_attempt_says_the_run_failed(caplog):
    with caplog.at_level(logging.ERROR, "news_events"):
        log_failure(context("load", 3, 2))
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "news_events task load failed (attempt 3 of 3): see the error above"
    assert lines[-1] == "No retries are left: the run has failed."
