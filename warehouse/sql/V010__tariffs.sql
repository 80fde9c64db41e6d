-- Mart: one row per tariff event.
create or replace view tariffs as
select
    e.event_id,
    d.imposer,
    d.target,
    e.rate_pct,
    e.alt_rates,
    e.status,
    e.event_date,
    e.confidence,
    e.num_documents,
    e.first_reported_at
from events e
left join stg_event_directions d using (event_id)
where e.event_type = 'tariff';
