-- Mart: one row per trade restriction event.
create or replace view trade_restrictions as
select
    e.event_id,
    d.imposer,
    d.target,
    e.status,
    e.event_date,
    e.confidence,
    e.num_documents,
    e.first_reported_at
from events e
left join stg_event_directions d using (event_id)
where e.event_type = 'trade_restriction';
