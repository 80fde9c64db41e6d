-- Story clusters: near-duplicate documents share a story_id (pipeline.stories).

-- one row per document: its MinHash signature
create table if not exists raw_document_signatures (
    doc_id      varchar not null,
    signature   ubigint[] not null
);

-- one row per document: the story cluster it belongs to
create table if not exists int_document_stories (
    doc_id      varchar not null,
    story_id    varchar not null
);

-- one row per document, with its number of sources and its story
create or replace view stg_documents as
with sources as (
    select doc_id, count(*) as num_sources, min(fetched_at) as first_fetched_at
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

-- Mart: one row per document.
create or replace view documents as
select
    doc_id,
    story_id,
    source_uri,
    source_name,
    url,
    title,
    published_date,
    num_sentences,
    num_sources,
    fetched_at,
    loaded_at,
    body
from stg_documents;
