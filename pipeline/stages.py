"""The pipeline's stages, as the DAG and the CLI both run them.

Each stage reads its inputs from and writes its outputs to a run's staging
folder, and returns only paths, so Airflow passes nothing heavier than a path
through XCom and a retried task simply rewrites its own files.
"""
from __future__ import annotations

import logging
import shutil
from dataclasses import asdict, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.models import Actor, Document, EventMention, Known, RawDocument, Rejection

log = logging.getLogger(__name__)


# ---- staging files -------------------------------------------------------------------------------

def _write(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    table = pa.Table.from_pylist(rows) if rows else pa.table({"_empty": pa.array([], pa.bool_())})
    pq.write_table(table, tmp)
    tmp.replace(path)  # a retried task never sees a half-written file
    return path


def _read(path: Path) -> list[dict]:
    table = pq.read_table(path)
    if table.column_names == ["_empty"]:
        return []
    return table.to_pylist()


def _doc_ids(path: Path) -> list[str]:
    """Only the ids of a documents file: the load needs no bodies from the batches it already has."""
    if "doc_id" not in pq.read_schema(path).names:  # an empty file (see _write)
        return []
    return pq.read_table(path, columns=["doc_id"]).column(0).to_pylist()


def write_documents(path: Path, docs: Iterable[Document]) -> Path:
    return _write(path, [d.to_row() for d in docs])


def read_documents(path: Path) -> list[Document]:
    return [Document.from_row(r) for r in _read(path)]


def write_mentions(path: Path, mentions: Iterable[EventMention]) -> Path:
    return _write(path, [asdict(m) for m in mentions])


def read_mentions(path: Path) -> list[EventMention]:
    out = []
    for row in _read(path):
        row["actors"] = [Actor(**a) for a in row["actors"] or []]
        row["alt_rates"] = list(row["alt_rates"] or [])
        out.append(EventMention(**row))
    return out


def run_dir(staging_root: Path, run_id: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    return Path(staging_root) / safe


# ---- stages --------------------------------------------------------------------------------------

def run_window(run_type, start: datetime | None, end: datetime | None,
               use_data_interval: bool = True) -> tuple[datetime | None, datetime | None]:
    """What an Airflow run reads: its data interval for scheduled runs and backfills, everything
    (``(None, None)``) for manual and asset-triggered runs, whose interval is only a label."""
    kind = str(getattr(run_type, "value", run_type) or "").lower()
    if not use_data_interval or kind not in ("scheduled", "backfill") or start is None or end is None:
        return None, None
    return start, end


def ingest(source, staging: Path, max_bytes: int, *, since: datetime | None = None, until: datetime | None = None,
           warehouse: Path | None = None, settings=None, progress=None) -> str:
    """Read every article from ``source``; bad inputs become rejections, never errors.

    ``source`` is a folder (the CLI's ``--source DIR``), a sources file (``sources.yml``) or a list of
    ``pipeline.sources.Source``. With ``since``/``until`` (a scheduled run's data interval) only files
    modified and feed entries published inside it are read. With ``warehouse``, inputs already loaded
    unchanged (same source URI and content hash) are skipped without being parsed or fetched.
    """
    from pipeline import ingest as ing
    from pipeline import sources as src
    from pipeline.settings import Settings

    settings = settings or Settings.from_env()
    if since is not None and until is not None and since >= until:
        since = until = None  # a manual run (or an empty interval) takes everything
    counter = _progress(progress).stage("ingest", unit="inputs")
    opts = ing.Options(max_bytes=max_bytes, min_english_ratio=settings.min_english_ratio, since=since, until=until,
                       max_folder_depth=settings.max_folder_depth, settle_s=settings.file_settle_s,
                       known=_known_inputs(warehouse, settings.lock_timeout_s) if warehouse else Known(),
                       tick=counter.advance)

    def fetcher():  # only feeds and URL lists fetch; httpx is not imported for a folder of files
        from pipeline.fetch import Fetcher

        return Fetcher(settings.user_agent, settings.fetch_timeout_s, settings.fetch_retries, max_bytes,
                       respect_robots=settings.respect_robots, allow_addresses=settings.fetch_allow_addresses,
                       max_redirects=settings.fetch_max_redirects)

    with counter:
        result = ing.ingest_sources(src.resolve(source), opts, fetcher)
    _write(staging / "raw.parquet", [asdict(r) for r in result.documents])
    _write(staging / "rejected.parquet", [asdict(r) for r in result.rejections])
    _write(staging / "inputs.parquet", [_flat_row(r) for r in result.inputs])
    _write(staging / "skipped.parquet", [_flat_row(r) for r in result.skipped])
    _write(staging / "deferred.parquet", [{"source_uri": uri} for uri in result.deferred])
    window = f" in {since:%Y-%m-%d %H:%M}..{until:%Y-%m-%d %H:%M}" if since and until else ""
    log.info("ingest: %d documents read, %d unchanged skipped, %d inputs rejected, %d outside the data interval "
             "from %s%s", len(result.documents), len(result.skipped), len(result.rejections), result.out_of_window,
             source, window)
    if result.failed_sources:  # an empty run that looks successful would hide the fault
        raise ing.SourceFailed("; ".join(result.failed_sources) + " (its rejections are in "
                               f"{staging / 'rejected.parquet'}; fix the source and run again)")
    return str(staging)


def _flat_row(record) -> dict:
    """``asdict`` for a dataclass of plain values (InputRecord): no recursive deep copy."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def _known_inputs(warehouse: Path, lock_timeout_s: float):
    from pipeline import repository as repo
    from pipeline import warehouse as wh
    from pipeline.extract import EXTRACTOR_VERSION

    if not wh.exists(warehouse):
        return Known()
    with wh.connect(warehouse, read_only=True, lock_timeout_s=lock_timeout_s) as con:
        return repo.known_inputs(con, EXTRACTOR_VERSION)


def _progress(progress):
    from pipeline.progress import LogProgress

    return progress if progress is not None else LogProgress()


def normalise(staging: Path, warehouse: Path, extractor_version: str, batch_size: int,
              lock_timeout_s: float = 60.0, progress=None) -> list[str]:
    """Normalise raw articles and split those needing extraction into batches.

    Documents already extracted by this extractor version are skipped (only
    a new source of the same text is recorded), so re-runs redo no NLP work.
    """
    from pipeline import normalise as norm
    from pipeline import repository as repo
    from pipeline import warehouse as wh

    raws = [RawDocument(**r) for r in _read(staging / "raw.parquet")]
    rejections = [Rejection(**r) for r in _read(staging / "rejected.parquet")]
    docs: dict[str, Document] = {}
    sources: list[dict] = []
    counter = _progress(progress).stage("normalise", len(raws))
    for raw in raws:
        counter.advance()
        try:
            doc = norm.normalise(raw)
        except Exception as exc:  # one article's failure is its own rejection, never the run's
            log.warning("normalise: %s rejected: %s: %s", raw.source_uri, type(exc).__name__, exc)
            rejections.append(Rejection(raw.source_uri, stage_failure("normalise", exc), None, raw.source_name))
            continue
        if not doc.sentences:
            rejections.append(Rejection(raw.source_uri, "article has no sentences after cleaning",
                                        doc.doc_id, raw.source_name))
            continue
        # The same text from two sources is one document; every source is still recorded.
        docs.setdefault(doc.doc_id, doc)
        sources.append({"doc_id": doc.doc_id, "source_uri": raw.source_uri, "source_name": raw.source_name,
                        "url": raw.url, "fetched_at": raw.fetched_at})
    counter.close()
    known: dict[str, str | None] = {}
    if docs and wh.exists(warehouse):
        with wh.connect(warehouse, read_only=True, lock_timeout_s=lock_timeout_s) as con:
            known = repo.known_documents(con, docs) if wh.has_table(con, "raw_extractions") else {}
    todo = [d for d in docs.values() if known.get(d.doc_id) != extractor_version]
    _write(staging / "sources.parquet", sources)
    _write(staging / "rejected.parquet", [asdict(r) for r in rejections])
    write_documents(staging / "documents.parquet", docs.values())
    batches = []
    for i in range(0, len(todo), batch_size):
        batches.append(str(write_documents(staging / f"batch-{i // batch_size:05d}.parquet", todo[i:i + batch_size])))
    log.info("normalise: %d documents, %d to extract in %d batches, %d unchanged, %d rejected",
             len(docs), len(todo), len(batches), len(docs) - len(todo), len(rejections))
    return batches


class PublishFailed(RuntimeError):
    """The load committed, but the read copy could not be published: readers see the previous load."""

    def __init__(self, warehouse: Path, summary: dict, cause: BaseException):
        self.warehouse, self.summary = Path(warehouse), summary
        super().__init__(
            f"the load committed ({summary['ingested']} new documents, {summary['mentions']} mentions; "
            f"{summary['events']} events in {warehouse}), but publishing the read copy failed: "
            f"{type(cause).__name__}: {cause}. Queries read the previous load until a run publishes "
            f"again; free disk space and re-run (unchanged inputs are skipped)")


def stage_failure(stage: str, exc: BaseException) -> str:
    """The rejection reason for a document that raised in ``stage``."""
    return f"{stage} failed on this document ({type(exc).__name__}: {str(exc)[:300]}); the rest of the run went on"


def _rejections_path(mentions_path: Path) -> Path:
    return mentions_path.with_name(mentions_path.name.replace(".mentions.parquet", ".rejected.parquet"))


# Documents per extraction call: small enough for progress lines, large enough to keep spaCy's batching.
EXTRACT_CHUNK = 50


def extract(batch_path: str, model_name: str | None = None, progress=None) -> str:
    """Extract one batch; returns the Parquet file of its mentions.

    When the batch raises, each of its documents is extracted alone, and the ones that still raise
    are written beside the mentions as rejections (``*.rejected.parquet``) for the load to record.
    """
    from pipeline.extract import extract_mentions, selected_extractor
    from pipeline.nlp import load_nlp

    docs = read_documents(Path(batch_path))
    # the spaCy English model is only the rule baseline's; the trained extractor loads its own pipelines
    nlp = load_nlp(model_name) if selected_extractor() == "rules" else None
    failed: list[dict] = []
    mentions = []
    with _progress(progress).stage(f"extract {Path(batch_path).stem}", len(docs)) as counter:
        for i in range(0, len(docs), EXTRACT_CHUNK):
            chunk = docs[i:i + EXTRACT_CHUNK]
            try:
                mentions.extend(extract_mentions(chunk, nlp))
            except Exception as chunk_exc:
                log.warning("extract: a chunk of %s raised (%s); extracting its documents one by one",
                            Path(batch_path).name, type(chunk_exc).__name__)
                for doc in chunk:
                    try:
                        mentions.extend(extract_mentions([doc], nlp))
                    except Exception as exc:
                        log.warning("extract: document %s rejected: %s: %s", doc.doc_id, type(exc).__name__, exc)
                        failed.append({"doc_id": doc.doc_id, "reason": stage_failure("extract", exc)})
            counter.advance(len(chunk))
    out = Path(batch_path).with_name(Path(batch_path).stem + ".mentions.parquet")
    _write(_rejections_path(out), failed)
    write_mentions(out, mentions)
    log.info("extract: %d mentions from %d documents in %s", len(mentions), len(docs) - len(failed),
             Path(batch_path).name)
    return str(out)


def extract_batches(batches: list[str], model_name: str | None = None, workers: int = 1,
                    progress=None) -> list[str]:
    """``extract`` over every batch, in ``workers`` processes when there is more than one batch.

    The DAG gets this parallelism from mapped tasks; the CLI gets it here. Each worker loads its own
    model, so a worker only pays off for runs of several batches.
    """
    workers = max(1, min(workers, len(batches)))
    sizes = {batch: pq.read_metadata(batch).num_rows for batch in batches}
    # This counter, in the parent, counts whole batches as they finish; each ``extract`` logs its own.
    with _progress(progress).stage("extract", sum(sizes.values())) as counter:
        if workers == 1:
            out = []
            for batch in batches:
                out.append(extract(batch, model_name))
                counter.advance(sizes[batch])
            return out
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: the parent may hold DuckDB and spaCy threads that a forked child would inherit mid-state
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(extract, batch, model_name) for batch in batches]
            for batch, future in zip(batches, futures):
                future.result()
                counter.advance(sizes[batch])
            return [f.result() for f in futures]


def load_records(con, documents: Sequence[Document], mentions: Sequence[EventMention],
                 extracted_doc_ids: Iterable[str], extractor_version: str,
                 rejections: Sequence[Rejection] = (), run_id: str | None = None) -> dict[str, int]:
    """Store one load's records, re-resolve what they touched, and store the result, in one transaction.

    Documents are upserted, the mentions of re-extracted documents replaced, new documents merged
    into the story clusters, and every coreference block that gained or lost a mention resolved
    again. On any error nothing of this load is visible. A load that changed anything moves the load
    watermark (``raw_loads``), so the next ``dbt build`` is not skipped.
    """
    from pipeline import repository as repo
    from pipeline import resolve
    from pipeline import warehouse as wh

    now = datetime.now(timezone.utc)
    unique_mentions = {m.mention_id: m for m in mentions}
    block_keys = {mid: resolve.block_key(m) for mid, m in unique_mentions.items()}
    with wh.transaction(con):
        new_docs, num_sources = repo.write_documents(con, documents, now)
        retired = repo.supersede(con, [(d.doc_id, d.source_uri) for d in documents], now)
        # A retired document's mentions go too: its events must stop counting it.
        extracted = set(extracted_doc_ids) | retired
        old_blocks = repo.replace_mentions(con, extracted, unique_mentions, block_keys, extractor_version,
                                           retired, now)
        new_rejections = repo.write_rejections(con, rejections, now)
        if new_docs:
            repo.write_signatures(con, {d.doc_id: resolve.signature(d.text) for d in new_docs})
            pending = repo.unassigned_documents(con)
            if pending:
                pairs = repo.story_candidates(con, pending, resolve.LSH_BANDS, resolve.LSH_ROWS)
                involved = {doc_id for pair in pairs for doc_id in pair}
                repo.write_stories(con, resolve.merge_stories(
                    pending, pairs, repo.signatures(con, involved), repo.stories_of(con, involved)))
        blocks = old_blocks | set(block_keys.values())
        events = resolve.resolve_events(repo.mentions_in_blocks(con, blocks))
        repo.replace_events(con, blocks, events)
        if documents or extracted or unique_mentions or new_rejections:
            repo.record_load(con, run_id or f"load-{now:%Y%m%dT%H%M%S%f}", now)
    return {"documents": len(new_docs), "sources": num_sources, "mentions": len(unique_mentions),
            "events_touched": len(events), "rejected": len(rejections)}


def load(staging: Path, warehouse: Path, mention_paths: Iterable[str], run_id: str,
         started_at: datetime | None = None, lock_timeout_s: float = 60.0) -> dict[str, int]:
    """Load one run's staged output and build the marts from it: ``load_raw``, then ``build``, then ``publish``."""
    summary = load_raw(staging, warehouse, mention_paths, run_id, lock_timeout_s)
    build(warehouse, run_id, lock_timeout_s)
    return publish(warehouse, summary, run_id, started_at, lock_timeout_s)


def load_raw(staging: Path, warehouse: Path, mention_paths: Iterable[str], run_id: str,
             lock_timeout_s: float = 60.0) -> dict[str, int]:
    """Load one run's records and what resolving them gives into the raw tables, in a single transaction.

    Returns the run's counts (without ``events``: the marts are not built yet). The warehouse is
    closed when it returns, so that dbt can open it.
    """
    from pipeline import lake as lakes
    from pipeline import warehouse as wh
    from pipeline.extract import EXTRACTOR_VERSION

    docs = read_documents(staging / "documents.parquet")
    sources = _read(staging / "sources.parquet")
    rejections = [Rejection(**r) for r in _read(staging / "rejected.parquet")]
    extracted: set[str] = set()
    mentions: list[EventMention] = []
    failed: dict[str, str] = {}  # doc_id -> reason, for documents whose extraction raised
    for path in mention_paths:
        batch = Path(path).with_name(Path(path).name.replace(".mentions.parquet", ".parquet"))
        extracted.update(_doc_ids(batch))
        mentions.extend(read_mentions(Path(path)))
        if _rejections_path(Path(path)).exists():
            failed.update((r["doc_id"], r["reason"]) for r in _read(_rejections_path(Path(path))))
    extracted -= set(failed)
    by_id = {d.doc_id: d for d in docs}
    source_docs = []
    for s in sources:
        if s["doc_id"] in failed:
            rejections.append(Rejection(s["source_uri"], failed[s["doc_id"]], s["doc_id"], s["source_name"]))
            continue
        doc = by_id.get(s["doc_id"])
        if doc is not None:
            source_docs.append(Document(doc.doc_id, s["source_uri"], doc.text, doc.title, doc.published,
                                        s["source_name"], s["url"], s["fetched_at"], doc.sentences))
    skipped_inputs = _read(staging / "skipped.parquet") if (staging / "skipped.parquet").exists() else []
    with wh.connect(warehouse, lock_timeout_s=lock_timeout_s) as con:
        def write() -> dict:
            wh.migrate(con, timeout_s=lock_timeout_s)
            counts = load_records(con, source_docs, mentions, extracted, EXTRACTOR_VERSION, rejections, run_id)
            # a document whose extraction failed is read again next run, not skipped as loaded
            _record_inputs(con, staging, [s for s in sources if s["doc_id"] not in failed], skipped_inputs)
            return {
                "ingested": counts["documents"],
                "skipped": len(docs) - len(failed) - len(extracted) + len(skipped_inputs),
                "rejected": len(rejections), "mentions": counts["mentions"],
                "deferred": len(_read(staging / "deferred.parquet")) if (staging / "deferred.parquet").exists() else 0,
            }

        # Another writer on a lake may commit to the same tables first; the load is idempotent, so
        # it simply runs again on the new snapshot (a DuckDB file has one writer and never conflicts).
        summary = lakes.retry_conflicts(write, lock_timeout_s)
    log.info("load: %(ingested)d new documents, %(skipped)d unchanged, %(rejected)d rejected, "
             "%(mentions)d mentions", summary)
    return summary


def build(warehouse: Path, run_id: str | None = None, lock_timeout_s: float = 60.0) -> bool:
    """``dbt build`` of the marts and their tests, unless nothing changed since the last one; True if it ran.

    A failing model or test raises ``transform.DbtFailed`` naming each; readers keep the last published state.
    """
    from pipeline import transform

    return not transform.build(warehouse, run_id, lock_timeout_s).skipped


def publish(warehouse: Path, summary: dict[str, int], run_id: str, started_at: datetime | None = None,
            lock_timeout_s: float = 60.0) -> dict[str, int]:
    """Record the run and publish what it built to readers: the read copy of a DuckDB file, or, on a
    lake, the snapshot named after the run (``raw_runs``' commit). Returns the summary with ``events``."""
    from pipeline import repository as repo
    from pipeline import warehouse as wh

    with wh.connect(warehouse, lock_timeout_s=lock_timeout_s) as con:
        if not wh.is_lake(warehouse):
            wh.read_every_block(con)  # a damaged file is named as such, never published
        summary = {**summary, "events": repo.count_events(con)}
        repo.record_run(con, run_id, started_at or datetime.now(timezone.utc), summary)
        try:
            wh.publish_read_copy(con, warehouse)  # readers query the copy, never waiting for this lock
        except Exception as exc:  # whatever broke the copy, the load itself has committed
            raise PublishFailed(warehouse, summary, exc) from exc
    log.info("published run %s: warehouse holds %d events", run_id, summary["events"])
    return summary


def _record_inputs(con, staging: Path, sources: list[dict], skipped: list[dict] = ()) -> None:
    """Remember which inputs became which documents, so the next ingest skips them while unchanged.

    A separate transaction after the load: if it is lost the next run only re-reads those inputs.
    """
    from pipeline.repository import record_inputs, refresh_input_stats

    refresh_input_stats(con, list(skipped))
    if not (staging / "inputs.parquet").exists():
        return
    doc_of = {s["source_uri"]: s["doc_id"] for s in sources}
    now = datetime.now(timezone.utc)
    record_inputs(con, [{**i, "doc_id": doc_of[i["source_uri"]], "first_seen_at": now}
                        for i in _read(staging / "inputs.parquet") if i["source_uri"] in doc_of])


def publish_dag_run(warehouse: Path, summary: dict[str, int], built: dict | None, run_id: str,
                    lock_timeout_s: float = 60.0) -> dict[str, int]:
    """The DAG's last step: record the build its dbt tasks ran (``built``: what ``transform.plan``
    returned, None when they were skipped), then the run, and publish."""
    from pipeline import transform

    if built:
        transform.record_planned(warehouse, built, run_id, lock_timeout_s)
    return publish(warehouse, summary, run_id, lock_timeout_s=lock_timeout_s)


def check(warehouse: Path, lock_timeout_s: float = 60.0) -> list[str]:
    """``dbt test`` on the warehouse: every data test beside the models; returns their names.

    A failing test raises ``transform.DbtFailed`` naming it.
    """
    from pipeline import transform
    from pipeline import warehouse as wh

    # a missing, locked or damaged file is reported as the loader reports it, before dbt opens it
    with wh.connect(warehouse, read_only=True, lock_timeout_s=lock_timeout_s) as con:
        con.execute("select count(*) from schema_migrations").fetchall()
    return list(transform.test(warehouse))


def cleanup(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
