with source as (
    select * from {{ source('raw', 'raw_document_sources') }}
),

final as (
    select
        doc_id,
        source_uri,
        source_name,
        fetched_at,
        loaded_at,
        superseded_at,
        superseded_at is not null as is_superseded
    from source
)

select * from final
