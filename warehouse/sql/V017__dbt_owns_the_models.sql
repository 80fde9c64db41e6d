-- The models over the raw tables (staging, intermediate and marts) are the dbt project's
-- (warehouse/models), built as tables by `dbt build` after each load; these migrations keep only the
-- loader-owned raw DDL. The views V003-V016 defined are dropped here so that dbt can create tables of
-- the same names.
drop view if exists document_provenance;
drop view if exists rejected_documents;
drop view if exists event_sources;
drop view if exists trade_restrictions;
drop view if exists tariffs;
drop view if exists event_mentions;
drop view if exists event_actors;
drop view if exists events;
drop view if exists documents;
drop view if exists stg_event_directions;
drop view if exists stg_mentions;
drop view if exists stg_documents;

-- Coreference and story clustering run in the loader, so what they write is raw data to dbt, named as such.
alter table int_events rename to raw_events;
alter table int_event_actors rename to raw_event_actors;
alter table int_mention_events rename to raw_mention_events;
alter table int_document_stories rename to raw_document_stories;

-- Keys on the embedded file (a lake holds none): the loader replaces rows by these ids, never appends twice.
alter table raw_documents add primary key (doc_id);
alter table raw_document_sources add primary key (doc_id, source_uri);
alter table raw_extractions add primary key (doc_id);
alter table raw_mentions add primary key (mention_id);
alter table raw_runs add primary key (run_id);
alter table raw_document_signatures add primary key (doc_id);
alter table raw_ingested_inputs add primary key (source_uri, content_hash);
alter table raw_events add primary key (event_id);
alter table raw_event_actors add primary key (event_id, role, country_code);
alter table raw_mention_events add primary key (mention_id);
alter table raw_document_stories add primary key (doc_id);

-- One row per load that changed a raw table: the newest is the load watermark dbt's build is compared with.
create table if not exists raw_loads (
    run_id      varchar primary key,
    loaded_at   timestamptz not null
);

-- One row: what the last successful `dbt build` built from (a hash of the dbt project's files and the
-- load watermark). A run whose project hash and watermark equal these skips dbt.
create table if not exists dbt_build_state (
    target          varchar primary key,
    project_hash    varchar not null,
    loaded_at       timestamptz,
    built_at        timestamptz not null,
    run_id          varchar
);
