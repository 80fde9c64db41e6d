with source as (
    select * from {{ source('raw', 'raw_document_stories') }}
),

final as (
    select
        doc_id,
        story_id
    from source
)

select * from final
