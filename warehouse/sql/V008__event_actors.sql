-- Mart: one row per (event, role, country).
create or replace view event_actors as
select
    a.event_id,
    a.role,
    a.country_code,
    a.actor_name
from int_event_actors a
join events e using (event_id);
