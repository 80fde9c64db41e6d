with events as (
    select * from {{ ref('events') }}
),

directions as (
    select * from {{ ref('int_event_directions') }}
),

final as (
    select
        events.event_id,
        directions.imposer,
        directions.target,
        events.status,
        events.event_date,
        events.confidence,
        events.num_documents,
        events.first_reported_at
    from events
    left join directions using (event_id)
    where events.event_type = 'trade_restriction'
)

select * from final
