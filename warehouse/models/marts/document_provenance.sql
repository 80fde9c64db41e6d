-- Every (document, source) pair, superseded ones included, with the content hash of what was read there.
with document_sources as (
    select * from {{ ref('stg_document_sources') }}
),

source_inputs as (
    select * from {{ ref('int_source_inputs') }}
),

final as (
    select
        document_sources.doc_id,
        document_sources.source_uri,
        document_sources.source_name,
        document_sources.fetched_at,
        document_sources.loaded_at,
        source_inputs.content_hash,
        source_inputs.site_name,
        source_inputs.size_bytes,
        document_sources.superseded_at
    from document_sources
    left join source_inputs using (doc_id, source_uri)
)

select * from final
