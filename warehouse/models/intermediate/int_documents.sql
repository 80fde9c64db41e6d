-- Documents with at least one current source: a document all of whose sources were superseded drops out,
-- so num_sources and num_documents do not grow each time a file is edited.
with documents as (
    select * from {{ ref('stg_documents') }}
),

document_sources as (
    select * from {{ ref('stg_document_sources') }}
),

document_stories as (
    select * from {{ ref('stg_document_stories') }}
),

current_sources as (
    select
        doc_id,
        count(*) as num_sources
    from document_sources
    where not is_superseded
    group by doc_id
),

final as (
    select
        documents.doc_id,
        coalesce(document_stories.story_id, documents.doc_id) as story_id,
        documents.source_uri,
        documents.source_name,
        documents.url,
        documents.title,
        documents.published_date,
        documents.body,
        documents.num_sentences,
        current_sources.num_sources,
        documents.fetched_at,
        documents.loaded_at
    from documents
    inner join current_sources using (doc_id)
    left join document_stories using (doc_id)
)

select * from final
