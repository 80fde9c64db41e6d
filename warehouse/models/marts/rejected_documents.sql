with rejected_documents as (
    select * from {{ ref('stg_rejected_documents') }}
),

final as (
    select
        source_uri,
        source_name,
        reason,
        detected_at,
        content_hash
    from rejected_documents
)

select * from final
