"""
### events_digest

After every load of the warehouse (this DAG is scheduled on the warehouse **Asset** that the
`load` task of `news_events` produces), writes a dated HTML digest of the events whose reports
arrived since the previous digest: counts by type, a bar chart and the evidence of the most
reported events. Digests go to `warehouse/reports/digest-<UTC time>.html`, beside the warehouse.
A load that brought no new events writes no digest.
"""
from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from pipeline.assets import WAREHOUSE_ASSET


@dag(
    dag_id="events_digest",
    schedule=[WAREHOUSE_ASSET],
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "news-pipeline", "retries": 1},
    tags=["news", "events", "report"],
    doc_md=__doc__,
)
def events_digest():
    @task
    def write_digest() -> str | None:
        """Write the digest; returns its path, or None when nothing new was loaded."""
        from pipeline import digest
        from pipeline.settings import Settings

        path = digest.write_digest(Settings.from_env().warehouse)
        return str(path) if path else None

    write_digest()


events_digest()
