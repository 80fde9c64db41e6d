"""Command line: run the pipeline without Airflow, and query the warehouse.

    python -m pipeline run [--source DIR | --sources FILE] [--since T --until T] [--warehouse FILE]
    python -m pipeline query "SELECT ..." [--warehouse FILE] [--as-of SNAPSHOT|TIME]
    python -m pipeline snapshots              (ducklake backend: the snapshot each run committed)
    python -m pipeline check [--warehouse FILE]
    python -m pipeline docs [--warehouse FILE]
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from pipeline.settings import Settings

log = logging.getLogger("pipeline")

SUMMARY_SQL = """
select e.event_type, e.event_date, e.status, e.rate_pct,
       string_agg(distinct a.role || ':' || a.country_code, ' ' order by a.role || ':' || a.country_code) as actors,
       e.num_documents as docs, round(e.confidence, 2) as confidence
from events e left join event_actors a using (event_id)
group by all
order by e.event_type, e.event_date nulls last, actors
"""


def run_pipeline(source, warehouse: Path, settings: Settings, run_id: str | None = None,
                 since: datetime | None = None, until: datetime | None = None, progress=None) -> dict[str, int]:
    """Every stage in one process, through the same staging files the DAG uses.

    ``source`` is a folder, a sources file or a list of sources; by default every input is read
    (no ``since``/``until``), and inputs already loaded unchanged are skipped. ``progress`` is a
    ``pipeline.progress.Progress`` (default: none shown).
    """
    from pipeline import stages
    from pipeline.extract import EXTRACTOR_VERSION
    from pipeline.progress import Progress

    progress = progress or Progress()

    started_at = datetime.now(timezone.utc)
    run_id = run_id or f"cli-{started_at:%Y%m%dT%H%M%S%f}"
    with tempfile.TemporaryDirectory(prefix="pipeline-") as tmp:
        staging = Path(tmp)
        stages.ingest(source, staging, settings.max_document_bytes, since=since, until=until,
                      warehouse=warehouse, settings=settings, progress=progress)
        batches = stages.normalise(staging, warehouse, EXTRACTOR_VERSION, settings.extract_batch_size,
                                   settings.lock_timeout_s, progress=progress)
        mention_paths = stages.extract_batches(batches, settings.spacy_model, settings.extract_workers,
                                               progress=progress)
        # the load, then dbt build (models and their data tests), then the read copy
        return stages.load(staging, warehouse, mention_paths, run_id, started_at, settings.lock_timeout_s)


# C0/C1 controls (tab and newline kept out of cells too) and the bidirectional overrides/isolates
# that can make a terminal show text other than what is stored.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _safe(value: str) -> str:
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}" if ord(m.group()) > 0xff else f"\\x{ord(m.group()):02x}",
                       value)


def print_table(columns: list[str], rows: list[tuple], out=sys.stdout) -> None:
    """Rows as an aligned table; control and bidi characters in values are printed escaped."""
    columns = [_safe(c) for c in columns]
    cells = [[("" if v is None else _safe(str(v))) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")


def _json_value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return str(value)


def print_json(columns: list[str], rows: list[tuple], out=sys.stdout) -> None:
    """Rows as one JSON array of objects, for scripts. ASCII-only, so no control or bidi character
    in stored text reaches a terminal unescaped."""
    json.dump([dict(zip(columns, row)) for row in rows], out, default=_json_value, ensure_ascii=True)
    out.write("\n")


class QueryRefused(Exception):
    """The SQL reached for something outside the warehouse: a file, the network, an extension, a setting."""


def _duckdb_message(exc: Exception) -> str:
    """DuckDB's message on one line; the ``LINE n:`` context below it only lines up in a monospaced block."""
    message = re.split(r"\n\s*LINE \d+:", str(exc), maxsplit=1)[0]
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


def query(warehouse, sql: str, settings: Settings, as_of: int | datetime | None = None
          ) -> tuple[list[str], list[tuple]]:
    """Run ``sql`` on the warehouse as readers see it: the read copy of a DuckDB file, or a lake's
    current snapshot (``as_of``: an earlier snapshot id or time)."""
    import duckdb

    from pipeline import warehouse as wh

    # The read copy published after each load, or the lake: readers never wait for a running load.
    with wh.connect(wh.reader_path(warehouse), read_only=True, lock_timeout_s=settings.lock_timeout_s,
                    sandboxed=True, as_of=as_of) as con:
        try:
            if wh.is_lake(warehouse):
                wh.reads_only(con, sql)
            cursor = con.execute(sql)
        except wh.NotAQuery as exc:
            raise QueryRefused(f"query refused: {exc} (queries read the warehouse only: "
                               "no files, network, extensions or settings)") from None
        except (duckdb.PermissionException, duckdb.InvalidInputException) as exc:
            if isinstance(exc, duckdb.InvalidInputException) and "configuration has been locked" not in str(exc):
                raise
            reason = _duckdb_message(exc).removeprefix("Permission Error: ").removeprefix("Invalid Input Error: ")
            raise QueryRefused(f"query refused: {reason} (queries read the warehouse only: "
                               "no files, network, extensions or settings)") from None
        return [d[0] for d in cursor.description], cursor.fetchall()


def snapshots(warehouse, settings: Settings) -> tuple[list[str], list[tuple]]:
    """The lake snapshot each pipeline run ended with, for ``query --as-of``."""
    from pipeline import lake as lakes
    from pipeline import warehouse as wh

    if not wh.is_lake(warehouse):
        raise ValueError("snapshots and --as-of need the ducklake backend (PIPELINE_WAREHOUSE_BACKEND=ducklake)")
    with wh.connect(warehouse, read_only=True, lock_timeout_s=settings.lock_timeout_s) as con:
        rows = lakes.snapshots(con)
    columns = ["snapshot_id", "snapshot_time", "run_id", "ingested", "mentions", "events"]
    return columns, [tuple(r.get(c) for c in columns) for r in rows]


def _as_of(value: str) -> int | datetime:
    """A snapshot id (``python -m pipeline snapshots``) or an ISO 8601 time."""
    if value.strip().isdigit():
        return int(value)
    return _timestamp(value)


def _timestamp(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 time such as 2025-08-07T00:00") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def main(argv: list[str] | None = None) -> int:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(prog="python -m pipeline", description="News event pipeline")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="ingest, extract and load a folder of articles")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--source", type=Path, default=None, metavar="DIR",
                       help="a folder of .txt/.jsonl/.json/.html articles")
    where.add_argument("--sources", type=Path, default=None, metavar="FILE",
                       help="a sources file (default: PIPELINE_SOURCES, else PIPELINE_SOURCE, else sources.yml)")
    run.add_argument("--since", type=_timestamp, default=None,
                     help="only files modified / feed entries published at or after this time (ISO 8601, UTC)")
    run.add_argument("--until", type=_timestamp, default=None, help="... and before this time")
    run.add_argument("--warehouse", type=Path, default=settings.warehouse)
    run.add_argument("--quiet", action="store_true", help="do not print the events table or progress bars")
    q = sub.add_parser("query", help="run SQL against the warehouse")
    q.add_argument("sql")
    q.add_argument("--format", choices=("table", "json"), default="table",
                   help="table (default) or json: an array of objects, one per row")
    q.add_argument("--warehouse", type=Path, default=settings.warehouse)
    q.add_argument("--as-of", dest="as_of", type=_as_of, default=None, metavar="SNAPSHOT|TIME",
                   help="read the lake as it was at this snapshot id (see `snapshots`) or time (ducklake backend)")
    sn = sub.add_parser("snapshots", help="list the lake snapshot each run committed (ducklake backend)")
    sn.add_argument("--format", choices=("table", "json"), default="table")
    c = sub.add_parser("check", help="run the data tests (dbt test)")
    c.add_argument("--warehouse", type=Path, default=settings.warehouse)
    dc = sub.add_parser("docs", help="write the dbt project's lineage and column docs (dbt docs generate)")
    dc.add_argument("--warehouse", type=Path, default=settings.warehouse)
    b = sub.add_parser("backup", help="write a consistent, checksum-verified copy of the warehouse")
    b.add_argument("dest", type=Path, help="a file, or a folder to write events-<UTC>.duckdb in")
    b.add_argument("--warehouse", type=Path, default=settings.warehouse)
    r = sub.add_parser("restore", help="replace a damaged warehouse with its read copy or a backup")
    r.add_argument("--from", dest="source", type=Path, default=None, metavar="FILE",
                   help="a backup file (default: the read copy of the last good load)")
    r.add_argument("--warehouse", type=Path, default=settings.warehouse)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    try:
        if args.command == "run":
            source = args.source or args.sources or settings.source_spec()
            from pipeline.progress import for_terminal

            summary = run_pipeline(source, args.warehouse, settings, since=args.since, until=args.until,
                                   progress=for_terminal(args.quiet))
            print(f"{summary['ingested']} documents ingested, {summary['skipped']} unchanged, "
                  f"{summary['rejected']} rejected; {summary['mentions']} mentions loaded; "
                  f"{summary['events']} events in {args.warehouse}")
            if summary.get("deferred"):
                print(f"{summary['deferred']} files were still being written and are left for the next run "
                      "(PIPELINE_FILE_SETTLE_S)")
            if not args.quiet:
                print_table(*query(args.warehouse, SUMMARY_SQL, settings))
        elif args.command == "query":
            (print_json if args.format == "json" else print_table)(*query(args.warehouse, args.sql, settings,
                                                                          as_of=args.as_of))
        elif args.command == "snapshots":
            (print_json if args.format == "json" else print_table)(*snapshots(settings.warehouse, settings))
        elif args.command == "check":
            from pipeline import stages

            names = stages.check(args.warehouse, settings.lock_timeout_s)
            print(f"all {len(names)} data tests passed")
        elif args.command == "docs":
            from pipeline import transform

            print(f"dbt docs written to {transform.docs(args.warehouse)} (served at /events/dbt-docs/)")
        elif args.command == "backup":
            from pipeline.backup import backup

            done = backup(args.warehouse, args.dest, settings.lock_timeout_s)
            print(f"backed up {done.documents} documents and {done.events} events to {done.path}")
        elif args.command == "restore":
            from pipeline.backup import restore

            done = restore(args.warehouse, args.source)
            aside = f"; the replaced file is kept as {done.moved_aside}" if done.moved_aside else ""
            print(f"restored {done.path}: {done.documents} documents, {done.events} events{aside}")
    except QueryRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the CLI's contract is one readable line, not a traceback
        from pipeline.stages import PublishFailed

        if isinstance(exc, PublishFailed):
            # the data landed, so this is not a failed run; exit 3 lets scripts tell the two apart
            print(f"warning: {exc}", file=sys.stderr)
            return 3
        if args.verbose:
            raise
        print(f"error: {type(exc).__name__}: {_duckdb_message(exc)}", file=sys.stderr)
        return 1
    return 0
