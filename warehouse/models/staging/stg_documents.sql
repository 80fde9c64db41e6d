with source as (
    select * from {{ source('raw', 'raw_documents') }}
),

final as (
    select
        doc_id,
        source_uri,
        source_name,
        url,
        title,
        published_date,
        body,
        len(sentence_spans) as num_sentences,
        fetched_at,
        loaded_at
    from source
)

select * from final
