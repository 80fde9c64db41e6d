with source as (
    select * from {{ source('raw', 'raw_rejected_documents') }}
),

final as (
    select
        source_uri,
        content_hash,
        source_name,
        reason,
        detected_at
    from source
)

select * from final
