-- Events with an imposer (tariffs and trade restrictions): who imposes on whom. An event with several
-- imposers or targets is shown with the first country code of each.
with event_actors as (
    select * from {{ ref('stg_event_actors') }}
),

imposers as (
    select
        event_id,
        min(country_code) as imposer
    from event_actors
    where role = 'imposer'
    group by event_id
),

targets as (
    select
        event_id,
        min(country_code) as target
    from event_actors
    where role = 'target'
    group by event_id
),

final as (
    select
        imposers.event_id,
        imposers.imposer,
        targets.target
    from imposers
    left join targets using (event_id)
)

select * from final
