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

Settings come from the environment: `PIPELINE_SOURCES` (a sources file), `PIPELINE_SOURCE` (a folder), `PIPELINE_WAREHOUSE`,
`PIPELINE_SCHEDULE` (default `@hourly`), `PIPELINE_SPACY_MODEL`,
`PIPELINE_EXTRACT_BATCH_SIZE`. Re-running a run, or a retried task, gives the
same warehouse as a clean run: every row is keyed by a content hash.
"""
from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task

SCHEDULE = os.environ.get("PIPELINE_SCHEDULE", "@hourly")
if SCHEDULE.strip().lower() in ("", "none", "manual"):
    SCHEDULE = None  # only runs triggered from the UI, the REST API or the CLI
WRITER_POOL = os.environ.get("PIPELINE_WRITER_POOL", "duckdb_writer")


@dag(
    dag_id="news_events",
    schedule=SCHEDULE,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "news-pipeline",
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
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
        since = context.get("data_interval_start") if settings.use_data_interval else None
        until = context.get("data_interval_end") if settings.use_data_interval else None
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

    @task
    def extract(batch: str) -> str:
        """Extract event mentions from one batch; returns the Parquet file it wrote."""
        from pipeline import stages
        from pipeline.settings import Settings

        return stages.extract(batch, Settings.from_env().spacy_model)

    # none_failed: a run whose documents are all unchanged has no extract tasks, and must still load.
    @task(pool=WRITER_POOL, pool_slots=1, trigger_rule="none_failed")
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
