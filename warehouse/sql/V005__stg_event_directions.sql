-- Staging: one row per event with an imposer (tariffs and trade restrictions), with its imposer and target.
create or replace view stg_event_directions as
with imposers as (
    select event_id, min(country_code) as imposer
    from int_event_actors
    where role = 'imposer'
    group by event_id
),
targets as (
    select event_id, min(country_code) as target
    from int_event_actors
    where role = 'target'
    group by event_id
)
select
    i.event_id,
    i.imposer,
    t.target
from imposers i
left join targets t using (event_id);
