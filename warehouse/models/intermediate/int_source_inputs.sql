-- The newest input read at each (document, source URI): what its content hash, site and size were.
with ingested_inputs as (
    select * from {{ ref('stg_ingested_inputs') }}
),

final as (
    select
        source_uri,
        doc_id,
        arg_max(content_hash, first_seen_at) as content_hash,
        arg_max(site_name, first_seen_at) as site_name,
        arg_max(size_bytes, first_seen_at) as size_bytes
    from ingested_inputs
    group by source_uri, doc_id
)

select * from final
