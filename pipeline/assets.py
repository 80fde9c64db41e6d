"""The Airflow Assets the pipeline's DAGs produce and consume."""
from __future__ import annotations

import os
from pathlib import Path

from airflow.sdk import Asset

from pipeline.settings import PROJECT_ROOT

# The warehouse file, as the load task writes it; DAGs scheduled on it run after every load.
WAREHOUSE_ASSET = Asset(
    name="news_events_warehouse",
    uri=Path(os.environ.get("PIPELINE_WAREHOUSE", PROJECT_ROOT / "warehouse" / "events.duckdb")).absolute().as_uri(),
)
