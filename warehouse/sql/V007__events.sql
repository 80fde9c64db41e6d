-- Mart: one row per event, with how widely it was reported.
create or replace view events as
with mention_stats as (
    select
        m.event_id,
        count(*) as num_mentions,
        count(distinct m.doc_id) as num_documents,
        sum(d.num_sources) filter (where m.is_first_in_doc) as num_sources,
        min(coalesce(d.published_date::timestamptz, d.fetched_at)) as first_reported_at
    from (
        select *, row_number() over (partition by event_id, doc_id order by char_start) = 1 as is_first_in_doc
        from stg_mentions
    ) m
    join stg_documents d using (doc_id)
    group by m.event_id
)
select
    e.event_id,
    e.event_type,
    e.event_date,
    e.status,
    e.rate_pct,
    e.alt_rates,
    e.confidence,
    s.num_mentions,
    s.num_documents,
    s.num_sources,
    s.first_reported_at
from int_events e
join mention_stats s using (event_id);
