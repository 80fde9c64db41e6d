-- A source URI whose content changed: the earlier document's (doc_id, source_uri) row gets superseded_at
-- (history is kept), and a document none of whose sources is current drops out of the marts; its mentions
-- are removed by the load so its events no longer count it. Counting only current sources keeps
-- num_sources and num_documents from growing each time a file is edited.
alter table raw_document_sources add column if not exists superseded_at timestamptz;

create or replace view stg_documents as
with sources as (
    select doc_id, count(*) as num_sources
    from raw_document_sources
    where superseded_at is null
    group by doc_id
)
select
    d.doc_id,
    coalesce(st.story_id, d.doc_id) as story_id,
    d.source_uri,
    d.source_name,
    d.url,
    d.title,
    d.published_date,
    d.body,
    len(d.sentence_spans) as num_sentences,
    s.num_sources,
    d.fetched_at,
    d.loaded_at
from raw_documents d
join sources s using (doc_id)
left join int_document_stories st using (doc_id);

-- Provenance keeps every (document, source) pair, with when a later content replaced it.
create or replace view document_provenance as
select
    s.doc_id,
    s.source_uri,
    s.source_name,
    s.fetched_at,
    s.loaded_at,
    i.content_hash,
    i.site_name,
    i.size_bytes,
    s.superseded_at
from raw_document_sources s
left join (
    select source_uri, doc_id, arg_max(content_hash, first_seen_at) as content_hash,
           arg_max(site_name, first_seen_at) as site_name, arg_max(size_bytes, first_seen_at) as size_bytes
    from raw_ingested_inputs
    group by source_uri, doc_id
) i using (doc_id, source_uri);
