"""The loader's storage: every statement that reads or writes the warehouse's raw and resolved tables.

The load stage (``pipeline.stages.load``) calls these inside one ``warehouse.transaction``:
it writes a run's documents, mentions and rejections, reads back the touched coreference
blocks and the story candidates, hands them to ``pipeline.resolve``, and writes what that
returns. Rows are keyed by content-hash ids and replaced, never appended, so loading the same
input twice changes nothing. Records in and out are those of ``pipeline.models``; bulk writes go
through Arrow, with the schemas in ``TABLE_SCHEMAS`` (tests/unit/test_repository.py checks them
against the migrated tables).
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterable, Mapping, Sequence

import duckdb
import numpy as np
import pyarrow as pa

from pipeline.models import Actor, Document, Event, EventMention, Known, Rejection, StoryUpdate
from pipeline.warehouse import has_table, transaction

log = logging.getLogger(__name__)


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, name: str, rows: Sequence[dict], schema: pa.Schema):
    """Rows visible to SQL as the view ``name`` for the length of the block (Arrow, no copies per row)."""
    con.register(name, pa.Table.from_pylist(list(rows), schema=schema))
    try:
        yield name
    finally:
        con.unregister(name)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[dict]) -> None:
    """Bulk insert through Arrow; executemany is orders of magnitude slower in DuckDB."""
    if not rows:
        return
    schema = TABLE_SCHEMAS[table]
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
_INPUT_SCHEMA = pa.schema([
    ("source_uri", pa.string()), ("content_hash", pa.string()), ("source_name", pa.string()), ("doc_id", pa.string()),
    ("size_bytes", pa.int64()), ("site_name", pa.string()), ("first_seen_at", pa.timestamp("us", tz="UTC")),
    ("mtime_ns", pa.int64()),
])
_INPUT_STAT_SCHEMA = pa.schema([
    ("source_uri", pa.string()), ("content_hash", pa.string()), ("size_bytes", pa.int64()), ("mtime_ns", pa.int64()),
])
_PAIR_SCHEMA = pa.schema([("doc_id", pa.string()), ("source_uri", pa.string())])

# Arrow schemas of the bulk-inserted tables: Arrow infers no types from empty or all-null columns, and
# DuckDB casts on insert, so a schema that drifted from the DDL would silently change stored values.
TABLE_SCHEMAS: dict[str, pa.Schema] = {
    "raw_documents": _DOCUMENT_SCHEMA, "raw_document_sources": _SOURCE_SCHEMA, "raw_extractions": _EXTRACTION_SCHEMA,
    "raw_mentions": _MENTION_SCHEMA, "raw_mention_actors": _ACTOR_SCHEMA, "raw_rejected_documents": _REJECTION_SCHEMA,
    "raw_events": _EVENT_SCHEMA, "raw_event_actors": _EVENT_ACTOR_SCHEMA, "raw_document_signatures": _SIGNATURE_SCHEMA,
    "raw_document_stories": _STORY_SCHEMA, "raw_mention_events": _LINK_SCHEMA,
}
# Rows registered for set-based statements: each schema is a subset of its table's columns.
COLUMN_SCHEMAS: tuple[tuple[str, pa.Schema], ...] = (
    ("raw_ingested_inputs", _INPUT_SCHEMA), ("raw_ingested_inputs", _INPUT_STAT_SCHEMA),
    ("raw_document_sources", _PAIR_SCHEMA),
)


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


def write_documents(con: duckdb.DuckDBPyConnection, documents: Sequence[Document],
                    now: datetime) -> tuple[list[Document], int]:
    """Insert the documents and (document, source) pairs not stored yet; returns the new documents and
    the number of new sources. A document is one row however many sources carry its text."""
    doc_ids = {d.doc_id for d in documents}
    have_docs = set(known_documents(con, doc_ids))
    have_sources = known_sources(con, doc_ids)
    new_docs = {d.doc_id: d for d in documents if d.doc_id not in have_docs}
    _insert(con, "raw_documents", [{
        "doc_id": d.doc_id, "source_uri": d.source_uri, "source_name": d.source_name, "url": d.url,
        "title": d.title, "published_date": d.published, "body": d.text,
        "sentence_spans": [[s.start, s.end] for s in d.sentences], "fetched_at": d.fetched_at, "loaded_at": now,
    } for d in new_docs.values()])
    new_sources = {}
    for d in documents:
        if (d.doc_id, d.source_uri) not in have_sources:
            new_sources[(d.doc_id, d.source_uri)] = d
    _insert(con, "raw_document_sources", [{
        "doc_id": d.doc_id, "source_uri": d.source_uri, "source_name": d.source_name,
        "fetched_at": d.fetched_at, "loaded_at": now,
    } for d in new_sources.values()])
    return list(new_docs.values()), len(new_sources)


def replace_mentions(con: duckdb.DuckDBPyConnection, doc_ids: Iterable[str], mentions: Mapping[str, EventMention],
                     block_keys: Mapping[str, str], extractor_version: str, retired: set[str],
                     now: datetime) -> set[str]:
    """Replace the mentions and extraction records of ``doc_ids`` with ``mentions`` (by mention_id).

    ``retired`` documents (no current source left) keep no extraction record. Returns the blocks
    whose old mentions went away: they must be re-resolved too, or their events would keep stale links.
    """
    doc_ids = sorted(set(doc_ids))
    old_blocks = {row[0] for row in con.execute(
        "select distinct block_key from raw_mentions where doc_id in (select unnest(?::varchar[]))",
        [doc_ids]).fetchall()} if doc_ids else set()
    old_mention_ids = [row[0] for row in con.execute(
        "select mention_id from raw_mentions where doc_id in (select unnest(?::varchar[]))",
        [doc_ids]).fetchall()] if doc_ids else []
    _delete_where_in(con, "raw_mention_actors", "mention_id", old_mention_ids)
    _delete_where_in(con, "raw_mentions", "doc_id", doc_ids)
    _delete_where_in(con, "raw_extractions", "doc_id", doc_ids)

    _insert(con, "raw_mentions", [{
        "mention_id": mid, "doc_id": m.doc_id, "event_type": m.event_type, "block_key": block_keys[mid],
        "sentence": m.sentence, "char_start": m.char_start, "char_end": m.char_end, "trigger_text": m.trigger,
        "trigger_start": m.trigger_start, "event_date": m.event_date, "date_text": m.date_text,
        "rate_pct": m.rate_pct, "alt_rates": list(m.alt_rates or []), "status": m.status,
        "confidence": m.confidence, "extractor_version": m.extractor_version,
    } for mid, m in mentions.items()])
    _insert(con, "raw_mention_actors", [{
        "mention_id": mid, "role": a.role, "country_code": a.code, "actor_name": a.name,
    } for mid, m in mentions.items() for a in m.actors])
    per_doc: dict[str, int] = {doc_id: 0 for doc_id in doc_ids if doc_id not in retired}
    for m in mentions.values():
        per_doc[m.doc_id] = per_doc.get(m.doc_id, 0) + 1
    _insert(con, "raw_extractions", [{
        "doc_id": doc_id, "extractor_version": extractor_version, "num_mentions": n, "extracted_at": now,
    } for doc_id, n in per_doc.items()])
    return old_blocks


def supersede(con: duckdb.DuckDBPyConnection, pairs: Sequence[tuple[str, str]], now: datetime) -> set[str]:
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


def write_rejections(con: duckdb.DuckDBPyConnection, rejections: Sequence[Rejection], now: datetime) -> int:
    """Record the inputs that could not be ingested, once per (source URI, content hash); returns how
    many were not recorded before."""
    have = set(con.execute("select source_uri, coalesce(content_hash, '') from raw_rejected_documents").fetchall())
    rows = {}
    for r in rejections:
        key = (r.source_uri, r.content_hash or "")
        if key not in have:
            rows[key] = {"source_uri": r.source_uri, "content_hash": r.content_hash,
                         "source_name": r.source_name, "reason": r.reason, "detected_at": now}
    _insert(con, "raw_rejected_documents", list(rows.values()))
    return len(rows)


def mentions_in_blocks(con: duckdb.DuckDBPyConnection, blocks: Iterable[str]) -> list[EventMention]:
    """Every stored mention of the given coreference blocks, with its actors and its document's publication date."""
    blocks = set(blocks)
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


def write_signatures(con: duckdb.DuckDBPyConnection, signatures: Mapping[str, np.ndarray]) -> None:
    _insert(con, "raw_document_signatures", [{"doc_id": doc_id, "signature": sig.tolist()}
                                             for doc_id, sig in signatures.items()])


def unassigned_documents(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Documents signed but in no story yet: this load's, or any a failed earlier version left out."""
    return sorted(r[0] for r in con.execute(
        "select doc_id from raw_document_signatures anti join raw_document_stories using (doc_id)").fetchall())


def story_candidates(con: duckdb.DuckDBPyConnection, doc_ids: Sequence[str], bands: int,
                     rows: int) -> list[tuple[str, str]]:
    """Pairs (document of ``doc_ids``, any other signed document) with an equal band of ``rows`` signature
    values among ``bands``: the LSH candidates MinHashLSH would return, in one vectorised scan."""
    if not doc_ids:
        return []
    return con.execute(f"""
        with pending as (select unnest(?::varchar[]) as doc_id),
        keys as (
            select s.doc_id, b.band, list_slice(s.signature, b.band * {int(rows)} + 1, (b.band + 1) * {int(rows)})
                   as band_key
            from raw_document_signatures s, range({int(bands)}) b(band))
        select distinct n.doc_id, o.doc_id
        from keys n semi join pending p on n.doc_id = p.doc_id
        join keys o on o.band = n.band and o.band_key = n.band_key and o.doc_id <> n.doc_id""",
                       [list(doc_ids)]).fetchall()


def signatures(con: duckdb.DuckDBPyConnection, doc_ids: Iterable[str]) -> dict[str, np.ndarray]:
    doc_ids = sorted(set(doc_ids))
    return {doc_id: np.asarray(sig, dtype=np.uint64) for doc_id, sig in con.execute(
        "select doc_id, signature from raw_document_signatures where doc_id in (select unnest(?::varchar[]))",
        [doc_ids]).fetchall()} if doc_ids else {}


def stories_of(con: duckdb.DuckDBPyConnection, doc_ids: Iterable[str]) -> dict[str, str]:
    """doc_id -> story_id of those of ``doc_ids`` that are in a story."""
    doc_ids = sorted(set(doc_ids))
    return dict(con.execute(
        "select doc_id, story_id from raw_document_stories where doc_id in (select unnest(?::varchar[]))",
        [doc_ids]).fetchall()) if doc_ids else {}


def write_stories(con: duckdb.DuckDBPyConnection, update: StoryUpdate) -> None:
    _insert(con, "raw_document_stories", [{"doc_id": d, "story_id": s} for d, s in update.assigned.items()])
    merged = sorted(update.merged.items())
    if merged:
        con.register("_merged_stories", pa.table({"old": [m[0] for m in merged], "new": [m[1] for m in merged]}))
        try:
            con.execute("update raw_document_stories set story_id = m.new from _merged_stories m "
                        "where raw_document_stories.story_id = m.old")
        finally:
            con.unregister("_merged_stories")


def replace_events(con: duckdb.DuckDBPyConnection, blocks: Iterable[str], events: Sequence[Event]) -> None:
    """Replace the events of ``blocks`` (and their actors and mention links) with ``events``."""
    blocks = sorted(set(blocks))
    if not blocks:
        return
    old_events = [row[0] for row in con.execute(
        "select event_id from raw_events where block_key in (select unnest(?::varchar[]))", [blocks]).fetchall()]
    _delete_where_in(con, "raw_event_actors", "event_id", old_events)
    _delete_where_in(con, "raw_mention_events", "event_id", old_events)
    _delete_where_in(con, "raw_events", "event_id", old_events)
    _insert(con, "raw_events", [{
        "event_id": e.event_id, "event_type": e.event_type, "block_key": e.block_key, "event_date": e.event_date,
        "status": e.status, "rate_pct": e.rate_pct, "alt_rates": e.alt_rates, "confidence": e.confidence,
    } for e in events])
    _insert(con, "raw_event_actors", [{
        "event_id": e.event_id, "role": a.role, "country_code": a.code, "actor_name": a.name,
    } for e in events for a in e.actors])
    _insert(con, "raw_mention_events", [{"mention_id": m.mention_id, "event_id": e.event_id}
                                        for e in events for m in e.mentions])


def count_events(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select count(*) from events").fetchone()[0]


def record_load(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime) -> None:
    """Move the load watermark: this run changed raw tables, so the marts built before it are stale."""
    con.execute("delete from raw_loads where run_id = ?", [run_id])
    con.execute("insert into raw_loads values (?, ?)", [run_id, now])


def record_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime, counts: dict[str, int]) -> None:
    """One row per run; on a lake the snapshot this commits is the run's, named after it (``lake.snapshots``)."""
    from pipeline import lake as lakes

    with transaction(con):
        lakes.tag_commit(con, run_id, {k: counts.get(k, 0) for k in ("ingested", "mentions", "events")})
        con.execute("delete from raw_runs where run_id = ?", [run_id])
        con.execute("insert into raw_runs values (?, ?, ?, ?, ?, ?, ?, ?)", [
            run_id, started_at, datetime.now(timezone.utc), counts.get("ingested", 0), counts.get("skipped", 0),
            counts.get("rejected", 0), counts.get("mentions", 0), counts.get("events", 0)])
