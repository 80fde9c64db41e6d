with event_actors as (
    select * from {{ ref('stg_event_actors') }}
),

events as (
    select * from {{ ref('events') }}
),

final as (
    select
        event_actors.event_id,
        event_actors.role,
        event_actors.country_code,
        event_actors.actor_name
    from event_actors
    inner join events using (event_id)
)

select * from final
