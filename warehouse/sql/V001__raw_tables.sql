-- Raw layer: what the pipeline read and extracted, exactly as loaded.
-- Rows are keyed by content hashes and replaced, never appended, on re-run.

-- one row per distinct document text (doc_id is a hash of the normalised text)
create table if not exists raw_documents (
    doc_id          varchar not null,
    source_uri      varchar not null,
    source_name     varchar,
    url             varchar,
    title           varchar,
    published_date  date,
    body            varchar not null,
    sentence_spans  integer[][],
    fetched_at      timestamptz,
    loaded_at       timestamptz not null
);

-- one row per (document, source) pair: the same text at two URLs is one document with two sources
create table if not exists raw_document_sources (
    doc_id          varchar not null,
    source_uri      varchar not null,
    source_name     varchar,
    fetched_at      timestamptz,
    loaded_at       timestamptz not null
);

-- one row per document per extraction: which extractor version produced its mentions
create table if not exists raw_extractions (
    doc_id              varchar not null,
    extractor_version   varchar not null,
    num_mentions        integer not null,
    extracted_at        timestamptz not null
);

-- one row per event mention (one report of an event in one document)
create table if not exists raw_mentions (
    mention_id          varchar not null,
    doc_id              varchar not null,
    event_type          varchar not null,
    block_key           varchar not null,
    sentence            varchar not null,
    char_start          integer not null,
    char_end            integer not null,
    trigger_text        varchar,
    trigger_start       integer,
    event_date          date,
    date_text           varchar,
    rate_pct            double,
    alt_rates           double[],
    status              varchar,
    confidence          double not null,
    extractor_version   varchar not null
);

-- one row per actor of a mention
create table if not exists raw_mention_actors (
    mention_id      varchar not null,
    role            varchar not null,
    country_code    varchar,
    actor_name      varchar
);

-- one row per input that could not be ingested
create table if not exists raw_rejected_documents (
    source_uri      varchar not null,
    content_hash    varchar,
    source_name     varchar,
    reason          varchar not null,
    detected_at     timestamptz not null
);

-- one row per pipeline run
create table if not exists raw_runs (
    run_id          varchar not null,
    started_at      timestamptz not null,
    finished_at     timestamptz,
    num_ingested    integer,
    num_skipped     integer,
    num_rejected    integer,
    num_mentions    integer,
    num_events      integer
);

-- one row per document: its MinHash signature
create table if not exists raw_document_signatures (
    doc_id      varchar not null,
    signature   ubigint[] not null
);

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
