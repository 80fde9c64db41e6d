with documents as (
    select * from {{ ref('int_documents') }}
),

final as (
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
    from documents
)

select * from final
