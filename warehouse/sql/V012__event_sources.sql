-- Mart: one row per (event, document source): which outlets reported an event, and when.
create or replace view event_sources as
with event_documents as (
    select distinct event_id, doc_id from stg_mentions
)
select
    ed.event_id,
    e.event_type,
    e.event_date,
    ed.doc_id,
    s.source_uri,
    s.source_name,
    d.title,
    d.published_date,
    s.fetched_at,
    coalesce(d.published_date::timestamptz, s.fetched_at) = e.first_reported_at as is_first_report
from event_documents ed
join events e using (event_id)
join stg_documents d using (doc_id)
join raw_document_sources s using (doc_id);
