-- Mart: one row per trade restriction event.
create or replace view trade_restrictions as
with imposers as (
    select event_id, min(country_code) as imposer from int_event_actors where role = 'imposer' group by event_id
),
targets as (
    select event_id, min(country_code) as target from int_event_actors where role = 'target' group by event_id
)
select
    e.event_id,
    i.imposer,
    t.target,
    e.status,
    e.event_date,
    e.confidence,
    e.num_documents,
    e.first_reported_at
from events e
left join imposers i using (event_id)
left join targets t using (event_id)
where e.event_type = 'trade_restriction';
