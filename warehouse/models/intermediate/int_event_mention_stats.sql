-- How widely each event was reported: its mentions, documents, current sources and first report.
with mentions as (
    select * from {{ ref('int_mentions') }}
),

documents as (
    select * from {{ ref('int_documents') }}
),

final as (
    select
        mentions.event_id,
        count(*) as num_mentions,
        count(distinct mentions.doc_id) as num_documents,
        sum(documents.num_sources) filter (where mentions.is_first_in_doc) as num_sources,
        min(coalesce(documents.published_date::timestamptz, documents.fetched_at)) as first_reported_at
    from mentions
    inner join documents using (doc_id)
    group by mentions.event_id
)

select * from final
