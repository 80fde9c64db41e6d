"""What a person running the pipeline reads at the end of a failed task's log.

Airflow calls ``log_failure`` (through the DAG's failure and retry callbacks) with the task context.
"""
from __future__ import annotations

import logging

# What to check when a task fails, in the words of someone running the pipeline.
FAILURE_HINTS = {
    "ingest": "Check that PIPELINE_SOURCES (a sources file) or PIPELINE_SOURCE (a folder) points at something "
              "that exists and is readable from every worker; single bad articles never fail this task, "
              "they are recorded as rejections.",
    "normalise": "It reads the staging folder written by ingest (PIPELINE_STAGING_DIR, which every worker must "
                 "share) and opens the warehouse read-only to skip documents already extracted.",
    "extract": "spaCy could not process this batch. Check that the model (PIPELINE_SPACY_MODEL, default "
               "en_core_web_sm) is installed on every worker and that the worker has memory to spare.",
    "load": "Nothing was half-loaded: a load is one transaction. If the warehouse was locked, another process "
            "is writing it (a CLI run, or a task outside the duckdb_writer pool); wait for it, or raise "
            "PIPELINE_LOCK_TIMEOUT_S. A DbtFailed error names the dbt models and data tests that failed after "
            "the load committed; readers keep the previous load. A PublishFailed error means the load committed "
            "but the read copy (events.read.duckdb) could not be written, usually for want of disk: free space "
            "and retry.",
    "check": "The data loaded, but a dbt data test on the marts failed (named above). Run "
             "`python -m pipeline check` (dbt test) against the warehouse to see the failing tests.",
}


def log_failure(context) -> None:
    """End a failed task's log with what went wrong, what to check, and whether Airflow retries it."""
    ti = context["task_instance"]
    exc = context.get("exception")
    what = f"{type(exc).__name__}: {exc}" if exc is not None else "see the error above"
    map_index = getattr(ti, "map_index", -1)
    task = ti.task_id + (f"[{map_index}]" if map_index is not None and map_index >= 0 else "")
    try_number, max_tries = getattr(ti, "try_number", None), getattr(ti, "max_tries", None)
    attempt = f"attempt {try_number} of {max_tries + 1}" if try_number and max_tries is not None else "this attempt"
    next_step = ("Airflow will retry it." if try_number and max_tries is not None and try_number <= max_tries
                 else "No retries are left: the run has failed.")
    log = logging.getLogger("news_events")
    log.error("news_events task %s failed (%s): %s", task, attempt, what)
    log.error("What to check: %s", FAILURE_HINTS.get(ti.task_id, "the error above."))
    log.error(next_step)
