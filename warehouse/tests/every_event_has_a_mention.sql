with events as (
    select * from {{ ref('events') }}
),

final as (
    select event_id
    from events
    where num_mentions is null or num_mentions = 0
)

select * from final
