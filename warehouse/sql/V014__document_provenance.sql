-- Mart: one row per (document, source): provenance, with the content hash of what was read there.
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
