"""
### news_events

Ingests news articles, extracts **events** (meetings, signed agreements, tariff
actions and trade restrictions) with spaCy, and loads them into the DuckDB
warehouse, where they are queried through the views `documents`, `events`,
`event_actors`, `event_mentions`, `tariffs`, `trade_restrictions` and
`event_sources`.

| task | what it does |
|---|---|
| `ingest` | reads the sources in `sources.yml` (folders, RSS/Atom feeds, URL lists) that arrived within the run's data interval, skipping inputs already loaded unchanged; bad inputs are recorded as rejections, never lost |
| `normalise` | cleans text, finds sentences, skips documents the current extractor already processed, and splits the rest into batches |
| `extract` | one mapped task per batch: spaCy extraction, written as Parquet to the run's staging folder |
| `load` | the only writer: one DuckDB transaction in the one-slot pool `duckdb_writer` |
| `check` | data tests on the public views (unique ids, non-null keys, relationships); fails loudly |

The `load` task produces the warehouse Asset (`news_events_warehouse`); the `events_digest` DAG is
scheduled on it and writes an HTML digest of the new events after every load.

Settings come from the environment: `PIPELINE_SOURCES` (a sources file), `PIPELINE_SOURCE` (a folder), `PIPELINE_WAREHOUSE`,
`PIPELINE_SCHEDULE` (a cron expression or preset, default `@hourly`; each scheduled run covers the interval
from the previous tick to its own and reads what arrived in it, a backfill reads each of its intervals once, and a
manual run reads everything not yet loaded), `PIPELINE_SPACY_MODEL`,
`PIPELINE_EXTRACT_BATCH_SIZE`. Re-running a run, or a retried task, gives the
same warehouse as a clean run: every row is keyed by a content hash.
`PIPELINE_SCHEDULE=none` leaves only manual runs (UI, REST API, `airflow dags trigger`).

**Querying while it runs.** After every load the `load` task publishes a read copy,
`events.read.duckdb`, next to the warehouse (an atomic file replace). Query that copy, e.g.
`python -m pipeline query "select * from events"`, which opens it read-only: it never waits for
the writer's lock and shows the warehouse as of the last completed load.

**When a task fails**, the end of its log says in plain words what went wrong and what to check;
every task is retried twice (30 s, then 60 s) before the run fails. A task that runs longer than
`PIPELINE_TASK_TIMEOUT_MIN` minutes (default 60) fails, and a run longer than `PIPELINE_RUN_TIMEOUT_MIN`
(default 180) is failed, so one stuck input cannot hold back the schedule.
"""
from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from pipeline.assets import WAREHOUSE_ASSET
from pipeline.failures import log_failure

SCHEDULE = os.environ.get("PIPELINE_SCHEDULE", "@hourly")
if SCHEDULE.strip().lower() in ("", "none", "manual"):
    SCHEDULE = None  # only runs triggered from the UI, the REST API or the CLI
# A data-interval timetable: a scheduled run (or a backfill) covers [previous tick, this tick) and
# reads what arrived in it. A plain cron string would give a zero-length interval in Airflow 3.
TIMETABLE = CronDataIntervalTimetable(SCHEDULE, timezone="UTC") if SCHEDULE else None
WRITER_POOL = os.environ.get("PIPELINE_WRITER_POOL", "duckdb_writer")
# Bounds on a stuck task and a stuck run: with max_active_runs=1 a run that never ends would hold
# back every later interval.
TASK_TIMEOUT = timedelta(minutes=float(os.environ.get("PIPELINE_TASK_TIMEOUT_MIN", 60)))
RUN_TIMEOUT = timedelta(minutes=float(os.environ.get("PIPELINE_RUN_TIMEOUT_MIN", 180)))


@dag(
    dag_id="news_events",
    schedule=TIMETABLE,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=RUN_TIMEOUT,
    default_args={
        "execution_timeout": TASK_TIMEOUT,
        "owner": "news-pipeline",
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "on_failure_callback": log_failure,
        "on_retry_callback": log_failure,
    },
    tags=["news", "events", "duckdb", "spacy"],
    doc_md=__doc__,
)
def news_events():
    @task
    def ingest() -> str:
        """Read the configured sources into the run's staging folder; returns that folder.

        A scheduled run (and a backfill) reads what arrived within its data interval; inputs already
        loaded unchanged are skipped, so re-running an interval is idempotent.
        """
        from pipeline import stages
        from pipeline.settings import Settings

        settings = Settings.from_env()
        context = get_current_context()
        since, until = stages.run_window(context["dag_run"].run_type, context.get("data_interval_start"),
                                         context.get("data_interval_end"), settings.use_data_interval)
        staging = stages.run_dir(settings.staging_dir, context["run_id"])
        return stages.ingest(settings.source_spec(), staging, settings.max_document_bytes, since=since,
                             until=until, warehouse=settings.warehouse, settings=settings)

    @task
    def normalise(staging: str) -> list[str]:
        """Clean and split articles; returns the paths of the batches to extract."""
        from pathlib import Path

        from pipeline import stages
        from pipeline.extract import EXTRACTOR_VERSION
        from pipeline.settings import Settings

        settings = Settings.from_env()
        return stages.normalise(Path(staging), settings.warehouse, EXTRACTOR_VERSION,
                                settings.extract_batch_size, settings.lock_timeout_s)

    # A mapped task's docs must be given explicitly; the docstring is not picked up.
    @task(doc_md="Extract event mentions from one batch of documents with spaCy, as one mapped task per "
                 "batch so Celery workers share the work; writes them as Parquet next to the batch.")
    def extract(batch: str) -> str:
        """Extract event mentions from one batch; returns the Parquet file it wrote."""
        from pipeline import stages
        from pipeline.settings import Settings

        return stages.extract(batch, Settings.from_env().spacy_model)

    # none_failed: a run whose documents are all unchanged has no extract tasks, and must still load.
    # outlets: each load updates the warehouse Asset, which schedules events_digest.
    @task(pool=WRITER_POOL, pool_slots=1, trigger_rule="none_failed", outlets=[WAREHOUSE_ASSET])
    def load(staging: str, mention_files: list[str]) -> dict[str, int]:
        """Load the run in one transaction; the pool keeps DuckDB's single writer single."""
        from pathlib import Path

        from pipeline import stages
        from pipeline.settings import Settings

        settings = Settings.from_env()
        # Indexing by length avoids probing past the end of Airflow's lazy XCom sequence.
        paths = [mention_files[i] for i in range(len(mention_files))] if mention_files else []
        return stages.load(Path(staging), settings.warehouse, paths,
                           get_current_context()["run_id"], lock_timeout_s=settings.lock_timeout_s)

    @task(trigger_rule="none_failed")
    def check(summary: dict[str, int], staging: str) -> list[str]:
        """Run the data tests; a failure names each broken check."""
        from pathlib import Path

        from pipeline import stages
        from pipeline.settings import Settings

        settings = Settings.from_env()
        passed = stages.check(settings.warehouse, settings.lock_timeout_s)
        stages.cleanup(Path(staging))
        return passed

    staging = ingest()
    batches = normalise(staging)
    mention_files = extract.expand(batch=batches)
    summary = load(staging, mention_files)
    check(summary, staging)


news_events()
