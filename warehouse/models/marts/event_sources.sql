-- Every source of every document that reported an event; is_first_report marks the earliest.
with mentions as (
    select * from {{ ref('int_mentions') }}
),

events as (
    select * from {{ ref('events') }}
),

documents as (
    select * from {{ ref('int_documents') }}
),

document_sources as (
    select * from {{ ref('stg_document_sources') }}
),

event_documents as (
    select distinct
        event_id,
        doc_id
    from mentions
),

final as (
    select
        event_documents.event_id,
        events.event_type,
        events.event_date,
        event_documents.doc_id,
        document_sources.source_uri,
        document_sources.source_name,
        documents.title,
        documents.published_date,
        document_sources.fetched_at,
        coalesce(documents.published_date::timestamptz, document_sources.fetched_at)
            = events.first_reported_at as is_first_report
    from event_documents
    inner join events using (event_id)
    inner join documents using (doc_id)
    inner join document_sources using (doc_id)
)

select * from final
