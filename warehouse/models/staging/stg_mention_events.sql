with source as (
    select * from {{ source('raw', 'raw_mention_events') }}
),

final as (
    select
        mention_id,
        event_id
    from source
)

select * from final
