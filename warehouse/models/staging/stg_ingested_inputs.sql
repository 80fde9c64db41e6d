with source as (
    select * from {{ source('raw', 'raw_ingested_inputs') }}
),

final as (
    select
        source_uri,
        content_hash,
        source_name,
        doc_id,
        size_bytes,
        site_name,
        mtime_ns,
        first_seen_at
    from source
)

select * from final
