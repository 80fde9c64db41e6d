-- Staging: one row per document, with its number of sources and its story.
create or replace view stg_documents as
with sources as (
    select doc_id, count(*) as num_sources
    from raw_document_sources
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
    coalesce(s.num_sources, 1) as num_sources,
    d.fetched_at,
    d.loaded_at
from raw_documents d
left join sources s using (doc_id)
left join int_document_stories st using (doc_id);
