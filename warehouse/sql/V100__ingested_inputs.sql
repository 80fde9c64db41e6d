-- Raw: one row per input (file, JSONL line, feed entry or fetched page) that became a document,
-- keyed by where it came from and the hash of its bytes. The ingest step reads it to skip inputs that
-- are unchanged since they were loaded, so a re-run neither re-parses files nor re-fetches pages.
-- It is a cache of work done: losing rows only costs a re-read, never data.
create table if not exists raw_ingested_inputs (
    source_uri      varchar not null,
    content_hash    varchar not null,
    source_name     varchar,
    doc_id          varchar not null,
    size_bytes      bigint,
    site_name       varchar,
    first_seen_at   timestamptz not null
);

-- Provenance: every source of every document, with the content hash of what was read there.
create or replace view document_provenance as
select
    s.doc_id,
    s.source_uri,
    s.source_name,
    s.fetched_at,
    s.loaded_at,
    i.content_hash,
    i.site_name,
    i.size_bytes
from raw_document_sources s
left join (
    select source_uri, doc_id, arg_max(content_hash, first_seen_at) as content_hash,
           arg_max(site_name, first_seen_at) as site_name, arg_max(size_bytes, first_seen_at) as size_bytes
    from raw_ingested_inputs
    group by source_uri, doc_id
) i using (doc_id, source_uri);
