"""The DuckDB warehouse: connections, migrations and transactional loads.

All SQL objects live in versioned files under ``warehouse/sql``; this module
applies them in order and records each in ``schema_migrations``. Loads run in
one transaction and replace rows by their content-hash ids, so a load either
lands whole or leaves nothing, and loading the same input twice changes nothing.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import duckdb
import numpy as np
import pyarrow as pa

from pipeline.coref import block_key, resolve_events
from pipeline.ingest import Known
from pipeline.models import Actor, Document, EventMention, Rejection

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "warehouse" / "sql"
_MIGRATION_NAME = re.compile(r"^V(\d{3})__(\w+)\.sql$")


class WarehouseLocked(RuntimeError):
    """Another process holds the DuckDB file's single-writer lock."""


class WarehouseCorrupt(RuntimeError):
    """The warehouse file fails DuckDB's header or block checksums."""


def _is_lock_error(exc: Exception) -> bool:
    return "lock" in str(exc).lower()


_CORRUPTION = ("not a valid duckdb database file", "corrupt database file", "does not match stored checksum")


def _corrupt(path: Path, exc: Exception) -> WarehouseCorrupt | None:
    """The one-line way out when ``exc`` says the file at ``path`` is damaged, else None."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if not any(marker in message.lower() for marker in _CORRUPTION):
        return None
    return WarehouseCorrupt(
        f"warehouse {path} is damaged ({message.removeprefix('IO Error: ')}); restore the last good load with "
        f"`python -m pipeline restore --warehouse {path}` (from its read copy, or `--from BACKUP`), "
        f"or move the file away and rebuild it with `python -m pipeline run`")


# For connections that run SQL someone typed: DuckDB otherwise reads and writes any file
# (read_text, glob, COPY ... TO, even over the warehouse), installs extensions from the network,
# and lets the SQL itself SET these options back. Locked at connect, before any user statement.
SANDBOX_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


@contextmanager
def connect(path: Path | str, read_only: bool = False, lock_timeout_s: float = 60.0,
            sandboxed: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse, retrying with backoff while another process holds its lock.

    ``sandboxed`` connections (``SANDBOX_CONFIG``) see only the opened database: no files, no
    network, no extensions, and no way to change settings.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(f"warehouse {path} does not exist yet; run `python -m pipeline run` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout_s
    delay = 0.1
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=dict(SANDBOX_CONFIG) if sandboxed else {})
            break
        except duckdb.IOException as exc:
            if (damaged := _corrupt(path, exc)) is not None:
                raise damaged from exc
            if not _is_lock_error(exc):
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    f"warehouse {path} is locked by another process and stayed locked for {lock_timeout_s:.0f}s; "
                    "wait for the running load to finish or raise PIPELINE_LOCK_TIMEOUT_S") from exc
            log.warning("warehouse %s is locked by another process; retrying in %.1fs", path, delay)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
    try:
        yield con
    except duckdb.Error as exc:
        # a damaged block surfaces only when a statement reads it, anywhere in the caller's work
        if (damaged := _corrupt(path, exc)) is not None:
            raise damaged from exc
        raise
    finally:
        con.close()


# ---- read copy: readers never wait for the writer -------------------------------------------------
# DuckDB's writer holds an exclusive file lock that also shuts out read-only opens from other
# processes. So after every successful load the writer publishes a read copy next to the
# warehouse (events.duckdb -> events.read.duckdb): checkpoint, copy to a temp file, fsync,
# os.replace. Readers open the read copy read-only; they see the state as of the last completed
# load, never a half-loaded one, and a reader that has the old copy open keeps reading it.

def read_copy_path(path: Path | str) -> Path:
    """Where the read copy of the warehouse ``path`` is published."""
    path = Path(path)
    return path.with_name(f"{path.stem}.read{path.suffix or '.duckdb'}")


def reader_path(path: Path | str) -> Path:
    """The file a reader should open: the read copy when one was published, else the warehouse."""
    copy = read_copy_path(path)
    return copy if copy.exists() else Path(path)


def publish_read_copy(con: duckdb.DuckDBPyConnection, path: Path | str) -> Path:
    """Atomically replace the read copy with the committed state of ``path``.

    Call it on the writer's connection after commit: holding the write lock means nobody changes
    the file while it is copied, and the checkpoint moves the WAL into the file first.
    """
    path = Path(path)
    target = read_copy_path(path)
    # The write lock is held, so no other publisher is running: any temporary left here is
    # from a writer that died mid-copy, and would otherwise stay on disk for good.
    for stale in target.parent.glob(f"{target.name}.tmp-*"):
        stale.unlink(missing_ok=True)
        log.warning("removed %s, left by an interrupted publish", stale)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    con.execute("checkpoint")
    try:
        shutil.copyfile(path, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("published read copy %s", target)
    return target


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Commit what the block wrote, or roll all of it back, whatever interrupted it."""
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, name: str, rows: Sequence[dict], schema: pa.Schema):
    """Rows visible to SQL as the view ``name`` for the length of the block (Arrow, no copies per row)."""
    con.register(name, pa.Table.from_pylist(list(rows), schema=schema))
    try:
        yield name
    finally:
        con.unregister(name)


def migrations(sql_dir: Path = SQL_DIR) -> list[tuple[str, str, str]]:
    """(version, name, sql) of every migration file, in version order."""
    found = []
    for path in sorted(sql_dir.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name} must be named VNNN__description.sql")
        found.append((match.group(1), match.group(2), path.read_text(encoding="utf-8")))
    return found


def migrate(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[str]:
    """Apply the migrations not yet recorded; returns the versions applied now."""
    con.execute("""
        create table if not exists schema_migrations (
            version varchar primary key, name varchar not null, checksum varchar not null,
            applied_at timestamptz not null)""")
    applied = dict(con.execute("select version, checksum from schema_migrations").fetchall())
    done = []
    for version, name, sql in migrations(sql_dir):
        checksum = hashlib.sha256(sql.encode()).hexdigest()
        if version in applied:
            if applied[version] != checksum:
                log.warning("migration V%s__%s changed after it was applied; add a new migration instead",
                            version, name)
            continue
        with transaction(con):
            con.execute(sql)
            con.execute("insert into schema_migrations values (?, ?, ?, ?)",
                        [version, name, checksum, datetime.now(timezone.utc)])
        done.append(version)
    return done


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[dict], schema: pa.Schema) -> None:
    """Bulk insert through Arrow; executemany is orders of magnitude slower in DuckDB."""
    if not rows:
        return
    with _registered(con, f"_incoming_{table}", rows, schema) as view:
        columns = ", ".join(schema.names)
        con.execute(f"insert into {table} ({columns}) select {columns} from {view}")


def _delete_where_in(con: duckdb.DuckDBPyConnection, table: str, column: str, values: Iterable[str]) -> None:
    values = sorted(set(values))
    if values:
        con.execute(f"delete from {table} where {column} in (select unnest(?::varchar[]))", [values])


_DOCUMENT_SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("source_uri", pa.string()), ("source_name", pa.string()), ("url", pa.string()),
    ("title", pa.string()), ("published_date", pa.date32()), ("body", pa.string()),
    ("sentence_spans", pa.list_(pa.list_(pa.int32()))), ("fetched_at", pa.timestamp("us", tz="UTC")),
    ("loaded_at", pa.timestamp("us", tz="UTC")),
])
_SOURCE_SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("source_uri", pa.string()), ("source_name", pa.string()),
    ("fetched_at", pa.timestamp("us", tz="UTC")), ("loaded_at", pa.timestamp("us", tz="UTC")),
])
_EXTRACTION_SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("extractor_version", pa.string()), ("num_mentions", pa.int32()),
    ("extracted_at", pa.timestamp("us", tz="UTC")),
])
_MENTION_SCHEMA = pa.schema([
    ("mention_id", pa.string()), ("doc_id", pa.string()), ("event_type", pa.string()), ("block_key", pa.string()),
    ("sentence", pa.string()), ("char_start", pa.int32()), ("char_end", pa.int32()),
    ("trigger_text", pa.string()), ("trigger_start", pa.int32()), ("event_date", pa.date32()),
    ("date_text", pa.string()), ("rate_pct", pa.float64()), ("alt_rates", pa.list_(pa.float64())),
    ("status", pa.string()), ("confidence", pa.float64()), ("extractor_version", pa.string()),
])
_ACTOR_SCHEMA = pa.schema([
    ("mention_id", pa.string()), ("role", pa.string()), ("country_code", pa.string()), ("actor_name", pa.string()),
])
_REJECTION_SCHEMA = pa.schema([
    ("source_uri", pa.string()), ("content_hash", pa.string()), ("source_name", pa.string()),
    ("reason", pa.string()), ("detected_at", pa.timestamp("us", tz="UTC")),
])
_EVENT_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("event_type", pa.string()), ("block_key", pa.string()),
    ("event_date", pa.date32()), ("status", pa.string()), ("rate_pct", pa.float64()),
    ("alt_rates", pa.list_(pa.float64())), ("confidence", pa.float64()),
])
_EVENT_ACTOR_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("role", pa.string()), ("country_code", pa.string()), ("actor_name", pa.string()),
])
_SIGNATURE_SCHEMA = pa.schema([("doc_id", pa.string()), ("signature", pa.list_(pa.uint64()))])
_STORY_SCHEMA = pa.schema([("doc_id", pa.string()), ("story_id", pa.string())])
_LINK_SCHEMA = pa.schema([("mention_id", pa.string()), ("event_id", pa.string())])


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute("select count(*) from information_schema.tables where table_name = ?", [name]).fetchone()[0] > 0


def known_documents(con: duckdb.DuckDBPyConnection, doc_ids: Iterable[str] | None = None) -> dict[str, str | None]:
    """doc_id -> extractor version that last processed it (None if never extracted).

    With ``doc_ids``, only those documents are looked up (a run asks about its own, not the corpus).
    """
    if doc_ids is None:
        rows = con.execute("""
            select d.doc_id, max(x.extractor_version)
            from raw_documents d left join raw_extractions x using (doc_id)
            group by d.doc_id""").fetchall()
    else:
        rows = con.execute("""
            select d.doc_id, max(x.extractor_version)
            from raw_documents d left join raw_extractions x using (doc_id)
            where d.doc_id in (select unnest(?::varchar[]))
            group by d.doc_id""", [sorted(set(doc_ids))]).fetchall()
    return dict(rows)


def known_sources(con: duckdb.DuckDBPyConnection, doc_ids: Iterable[str] | None = None) -> set[tuple[str, str]]:
    if doc_ids is None:
        return set(con.execute("select doc_id, source_uri from raw_document_sources").fetchall())
    return set(con.execute("select doc_id, source_uri from raw_document_sources "
                           "where doc_id in (select unnest(?::varchar[]))", [sorted(set(doc_ids))]).fetchall())


_INPUT_SCHEMA = pa.schema([
    ("source_uri", pa.string()), ("content_hash", pa.string()), ("source_name", pa.string()), ("doc_id", pa.string()),
    ("size_bytes", pa.int64()), ("site_name", pa.string()), ("first_seen_at", pa.timestamp("us", tz="UTC")),
    ("mtime_ns", pa.int64()),
])
_INPUT_STAT_SCHEMA = pa.schema([
    ("source_uri", pa.string()), ("content_hash", pa.string()), ("size_bytes", pa.int64()), ("mtime_ns", pa.int64()),
])


def known_inputs(con: duckdb.DuckDBPyConnection, extractor_version: str | None) -> Known:
    """Inputs and URIs already loaded and extracted by ``extractor_version`` (any version if None)."""
    if not (has_table(con, "raw_ingested_inputs") and has_table(con, "raw_extractions")):
        return Known()
    current = "select doc_id from raw_extractions where ? is null or extractor_version = ?"
    inputs = con.execute(f"select source_uri, content_hash, size_bytes, mtime_ns from raw_ingested_inputs "
                         f"where doc_id in ({current})", [extractor_version, extractor_version]).fetchall()
    uris = con.execute(f"select distinct source_uri from raw_document_sources where doc_id in ({current})",
                       [extractor_version, extractor_version]).fetchall()
    stats: dict[tuple[str, int, int], str] = {}
    ambiguous = set()
    for uri, digest, size, mtime_ns in inputs:
        if size is not None and mtime_ns is not None:
            key = (uri, size, mtime_ns)
            if stats.setdefault(key, digest) != digest:
                ambiguous.add(key)  # two contents with one size and mtime: trust only the hash
    for key in ambiguous:
        del stats[key]
    return Known(frozenset((u, h) for u, h, _, _ in inputs), frozenset(u for (u,) in uris), stats)


def record_inputs(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> int:
    """Remember (source_uri, content_hash) -> doc_id of loaded inputs, so unchanged ones are skipped next time."""
    if not rows:
        return 0
    rows = [{"mtime_ns": None, **row} for row in rows]
    with _registered(con, "_incoming_inputs", rows, _INPUT_SCHEMA), transaction(con):
        con.execute("""
            insert into raw_ingested_inputs (source_uri, content_hash, source_name, doc_id, size_bytes,
                                             site_name, first_seen_at, mtime_ns)
            select distinct on (i.source_uri, i.content_hash)
                   i.source_uri, i.content_hash, i.source_name, i.doc_id, i.size_bytes, i.site_name,
                   i.first_seen_at, i.mtime_ns
            from _incoming_inputs i
            where not exists (select 1 from raw_ingested_inputs r
                              where r.source_uri = i.source_uri and r.content_hash = i.content_hash)""")
    return len(rows)


def refresh_input_stats(con: duckdb.DuckDBPyConnection, skipped: list[dict]) -> int:
    """Record the current size and mtime of unchanged files that had to be hashed to be found unchanged
    (loaded before mtimes were recorded, touched, or copied), so the next ingest skips them unread."""
    rows = [{"source_uri": r["source_uri"], "content_hash": r["content_hash"], "size_bytes": r.get("size_bytes"),
             "mtime_ns": r.get("mtime_ns")} for r in skipped if r.get("mtime_ns") is not None and r.get("content_hash")]
    if not rows:
        return 0
    with _registered(con, "_skipped_inputs", rows, _INPUT_STAT_SCHEMA):
        stale = con.execute("""
            select count(*) from raw_ingested_inputs r join _skipped_inputs i using (source_uri, content_hash)
            where r.mtime_ns is distinct from i.mtime_ns or r.size_bytes is distinct from i.size_bytes""").fetchall()[0][0]
        if stale:  # the usual re-run finds every skipped file by its stat and writes nothing
            with transaction(con):
                con.execute("""
                    update raw_ingested_inputs r set mtime_ns = i.mtime_ns from _skipped_inputs i
                    where r.source_uri = i.source_uri and r.content_hash = i.content_hash
                      and r.size_bytes = i.size_bytes and r.mtime_ns is distinct from i.mtime_ns""")
    return stale


def _mentions_in_blocks(con: duckdb.DuckDBPyConnection, blocks: set[str]) -> list[EventMention]:
    if not blocks:
        return []
    rows = con.execute("""
        select m.mention_id, m.doc_id, m.event_type, m.sentence, m.char_start, m.char_end, m.trigger_text,
               m.trigger_start, m.event_date, m.date_text, m.rate_pct, m.alt_rates, m.status, m.confidence,
               m.extractor_version, d.published_date,
               list(struct_pack(role := a.role, code := a.country_code, name := a.actor_name)
                    order by a.role, a.country_code) filter (where a.role is not null) as actors
        from raw_mentions m
        left join raw_mention_actors a using (mention_id)
        left join raw_documents d using (doc_id)
        where m.block_key in (select unnest(?::varchar[]))
        group by all""", [sorted(blocks)]).fetchall()
    mentions = []
    for (_, doc_id, etype, sentence, start, end, trigger, trigger_start, edate, date_text, rate, alt, status,
         confidence, version, published, actors) in rows:
        mentions.append(EventMention(
            doc_id=doc_id, event_type=etype, sentence=sentence, char_start=start, char_end=end,
            trigger=trigger or "", trigger_start=trigger_start if trigger_start is not None else -1,
            actors=[Actor(a["role"], a["code"], a["name"] or "") for a in (actors or [])],
            extractor_version=version, event_date=edate, date_text=date_text, rate_pct=rate,
            alt_rates=list(alt or []), status=status, confidence=confidence, published=published))
    return mentions


def load(
    con: duckdb.DuckDBPyConnection,
    documents: Sequence[Document],
    mentions: Sequence[EventMention],
    extracted_doc_ids: Iterable[str],
    extractor_version: str,
    rejections: Sequence[Rejection] = (),
) -> dict[str, int]:
    """Upsert documents, replace the mentions of re-extracted documents and re-resolve the touched events.

    Runs in one transaction: on any error nothing of this load is visible.
    """
    now = datetime.now(timezone.utc)
    extracted = sorted(set(extracted_doc_ids))
    with transaction(con):
        doc_ids = {d.doc_id for d in documents}
        have_docs = set(known_documents(con, doc_ids))
        have_sources = known_sources(con, doc_ids)
        new_docs = {d.doc_id: d for d in documents if d.doc_id not in have_docs}
        _insert(con, "raw_documents", [{
            "doc_id": d.doc_id, "source_uri": d.source_uri, "source_name": d.source_name, "url": d.url,
            "title": d.title, "published_date": d.published, "body": d.text,
            "sentence_spans": [[s.start, s.end] for s in d.sentences], "fetched_at": d.fetched_at, "loaded_at": now,
        } for d in new_docs.values()], _DOCUMENT_SCHEMA)
        new_sources = {}
        for d in documents:
            if (d.doc_id, d.source_uri) not in have_sources:
                new_sources[(d.doc_id, d.source_uri)] = d
        _insert(con, "raw_document_sources", [{
            "doc_id": d.doc_id, "source_uri": d.source_uri, "source_name": d.source_name,
            "fetched_at": d.fetched_at, "loaded_at": now,
        } for d in new_sources.values()], _SOURCE_SCHEMA)

        retired = _supersede(con, [(d.doc_id, d.source_uri) for d in documents], now)
        # A retired document's mentions go too: its events must stop counting it.
        extracted = sorted(set(extracted) | retired)

        # Blocks whose old mentions go away must be re-resolved too, or their events would keep stale links.
        old_blocks = {row[0] for row in con.execute(
            "select distinct block_key from raw_mentions where doc_id in (select unnest(?::varchar[]))",
            [extracted]).fetchall()} if extracted else set()
        old_mention_ids = [row[0] for row in con.execute(
            "select mention_id from raw_mentions where doc_id in (select unnest(?::varchar[]))",
            [extracted]).fetchall()] if extracted else []
        _delete_where_in(con, "raw_mention_actors", "mention_id", old_mention_ids)
        _delete_where_in(con, "raw_mentions", "doc_id", extracted)
        _delete_where_in(con, "raw_extractions", "doc_id", extracted)

        unique_mentions = {m.mention_id: m for m in mentions}
        _insert(con, "raw_mentions", [{
            "mention_id": mid, "doc_id": m.doc_id, "event_type": m.event_type, "block_key": block_key(m),
            "sentence": m.sentence, "char_start": m.char_start, "char_end": m.char_end, "trigger_text": m.trigger,
            "trigger_start": m.trigger_start, "event_date": m.event_date, "date_text": m.date_text,
            "rate_pct": m.rate_pct, "alt_rates": list(m.alt_rates or []), "status": m.status,
            "confidence": m.confidence, "extractor_version": m.extractor_version,
        } for mid, m in unique_mentions.items()], _MENTION_SCHEMA)
        _insert(con, "raw_mention_actors", [{
            "mention_id": mid, "role": a.role, "country_code": a.code, "actor_name": a.name,
        } for mid, m in unique_mentions.items() for a in m.actors], _ACTOR_SCHEMA)
        per_doc: dict[str, int] = {doc_id: 0 for doc_id in extracted if doc_id not in retired}
        for m in unique_mentions.values():
            per_doc[m.doc_id] = per_doc.get(m.doc_id, 0) + 1
        _insert(con, "raw_extractions", [{
            "doc_id": doc_id, "extractor_version": extractor_version, "num_mentions": n, "extracted_at": now,
        } for doc_id, n in per_doc.items()], _EXTRACTION_SCHEMA)

        _insert(con, "raw_rejected_documents", _new_rejections(con, rejections, now), _REJECTION_SCHEMA)

        if new_docs:
            _assign_stories(con, new_docs.values())

        blocks = old_blocks | {block_key(m) for m in unique_mentions.values()}
        num_events = _resolve_blocks(con, blocks)
    return {"documents": len(new_docs), "sources": len(new_sources), "mentions": len(unique_mentions),
            "events_touched": num_events, "rejected": len(rejections)}


_PAIR_SCHEMA = pa.schema([("doc_id", pa.string()), ("source_uri", pa.string())])


def _supersede(con: duckdb.DuckDBPyConnection, pairs: Sequence[tuple[str, str]], now: datetime) -> set[str]:
    """Mark older contents of the loaded source URIs as superseded; return the documents left with no source.

    A URI loaded again with content it had before makes that (document, URI) pair current again.
    Retired documents lose their extraction, so the same text loaded again is extracted afresh.
    """
    if not pairs:
        return set()
    rows = [{"doc_id": d, "source_uri": u} for d, u in set(pairs)]
    with _registered(con, "_loaded_sources", rows, _PAIR_SCHEMA):
        con.execute("""
            update raw_document_sources s set superseded_at = null
            from _loaded_sources l
            where s.doc_id = l.doc_id and s.source_uri = l.source_uri and s.superseded_at is not null""")
        older = [r[0] for r in con.execute("""
            select distinct s.doc_id from raw_document_sources s join _loaded_sources l using (source_uri)
            where s.doc_id <> l.doc_id and s.superseded_at is null""").fetchall()]
        if not older:
            return set()
        con.execute("""
            update raw_document_sources s set superseded_at = ?
            from _loaded_sources l
            where s.source_uri = l.source_uri and s.doc_id <> l.doc_id and s.superseded_at is null""", [now])
    retired = {r[0] for r in con.execute("""
        select doc_id from raw_document_sources where doc_id in (select unnest(?::varchar[]))
        group by doc_id having count(*) filter (where superseded_at is null) = 0""", [sorted(older)]).fetchall()}
    if retired:
        log.info("%d documents superseded by new contents of their source URIs", len(retired))
    return retired


def _new_rejections(con, rejections: Sequence[Rejection], now: datetime) -> list[dict]:
    have = set(con.execute("select source_uri, coalesce(content_hash, '') from raw_rejected_documents").fetchall())
    rows = {}
    for r in rejections:
        key = (r.source_uri, r.content_hash or "")
        if key not in have:
            rows[key] = {"source_uri": r.source_uri, "content_hash": r.content_hash,
                         "source_name": r.source_name, "reason": r.reason, "detected_at": now}
    return list(rows.values())


def _assign_stories(con: duckdb.DuckDBPyConnection, new_docs: Iterable[Document]) -> None:
    """Sign the new documents and merge them into the story clusters.

    Incremental, and equal to recomputing ``stories.assign_stories`` over every signature: the
    stored stories are the components of the near-duplicate graph on the earlier documents, so
    only edges with a document not yet in a story are new. Their LSH candidates are found in SQL
    (equal bands, as MinHashLSH finds them), checked with the same Jaccard estimate, and the
    touched stories are merged under the smallest doc_id. Cost grows with the new documents, not
    the corpus (besides one vectorised scan of the signatures).
    """
    from pipeline import stories  # datasketch pulls in scipy; only loads need it, not readers

    _insert(con, "raw_document_signatures", [{"doc_id": d.doc_id, "signature": stories.signature(d.text).tolist()}
                                             for d in new_docs], _SIGNATURE_SCHEMA)
    # Documents signed but in no story yet: this load's, or any a failed earlier version left out.
    pending = sorted(r[0] for r in con.execute(
        "select doc_id from raw_document_signatures anti join int_document_stories using (doc_id)").fetchall())
    if not pending:
        return
    bands, rows = stories.LSH_BANDS, stories.LSH_ROWS
    pairs = con.execute(f"""
        with pending as (select unnest(?::varchar[]) as doc_id),
        keys as (
            select s.doc_id, b.band, list_slice(s.signature, b.band * {rows} + 1, (b.band + 1) * {rows}) as band_key
            from raw_document_signatures s, range({bands}) b(band))
        select distinct n.doc_id, o.doc_id
        from keys n semi join pending p on n.doc_id = p.doc_id
        join keys o on o.band = n.band and o.band_key = n.band_key and o.doc_id <> n.doc_id""",
                        [pending]).fetchall()
    involved = sorted({d for pair in pairs for d in pair})
    signatures = {doc_id: np.asarray(sig, dtype=np.uint64) for doc_id, sig in con.execute(
        "select doc_id, signature from raw_document_signatures where doc_id in (select unnest(?::varchar[]))",
        [involved]).fetchall()} if involved else {}
    story_of = dict(con.execute(
        "select doc_id, story_id from int_document_stories where doc_id in (select unnest(?::varchar[]))",
        [involved]).fetchall()) if involved else {}
    # Union-find over stories: an earlier document stands for its story, whose id is its smallest doc_id.
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        if stories.similar(signatures[a], signatures[b]):
            ra, rb = find(story_of.get(a, a)), find(story_of.get(b, b))
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    _insert(con, "int_document_stories", [{"doc_id": d, "story_id": find(d)} for d in pending], _STORY_SCHEMA)
    merged = sorted((old, find(old)) for old in set(story_of.values()) if find(old) != old)
    if merged:
        con.register("_merged_stories", pa.table({"old": [m[0] for m in merged], "new": [m[1] for m in merged]}))
        try:
            con.execute("update int_document_stories set story_id = m.new from _merged_stories m "
                        "where int_document_stories.story_id = m.old")
        finally:
            con.unregister("_merged_stories")


def _resolve_blocks(con: duckdb.DuckDBPyConnection, blocks: set[str]) -> int:
    """Re-run coreference over every mention in the given blocks and replace their events."""
    if not blocks:
        return 0
    old_events = [row[0] for row in con.execute(
        "select event_id from int_events where block_key in (select unnest(?::varchar[]))",
        [sorted(blocks)]).fetchall()]
    _delete_where_in(con, "int_event_actors", "event_id", old_events)
    _delete_where_in(con, "int_mention_events", "event_id", old_events)
    _delete_where_in(con, "int_events", "event_id", old_events)
    events = resolve_events(_mentions_in_blocks(con, blocks))
    _insert(con, "int_events", [{
        "event_id": e.event_id, "event_type": e.event_type, "block_key": e.block_key, "event_date": e.event_date,
        "status": e.status, "rate_pct": e.rate_pct, "alt_rates": e.alt_rates, "confidence": e.confidence,
    } for e in events], _EVENT_SCHEMA)
    _insert(con, "int_event_actors", [{
        "event_id": e.event_id, "role": a.role, "country_code": a.code, "actor_name": a.name,
    } for e in events for a in e.actors], _EVENT_ACTOR_SCHEMA)
    _insert(con, "int_mention_events", [{"mention_id": m.mention_id, "event_id": e.event_id}
                                        for e in events for m in e.mentions], _LINK_SCHEMA)
    return len(events)


def record_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime, counts: dict[str, int]) -> None:
    con.execute("delete from raw_runs where run_id = ?", [run_id])
    con.execute("insert into raw_runs values (?, ?, ?, ?, ?, ?, ?, ?)", [
        run_id, started_at, datetime.now(timezone.utc), counts.get("ingested", 0), counts.get("skipped", 0),
        counts.get("rejected", 0), counts.get("mentions", 0), counts.get("events", 0)])
