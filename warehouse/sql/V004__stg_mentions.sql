-- Staging: one row per event mention, with the event it was resolved to.
create or replace view stg_mentions as
select
    m.mention_id,
    me.event_id,
    m.doc_id,
    m.event_type,
    m.sentence,
    m.char_start,
    m.char_end,
    m.trigger_text,
    m.trigger_start,
    m.event_date,
    m.date_text,
    m.rate_pct,
    m.alt_rates,
    m.status,
    m.confidence,
    m.extractor_version
from raw_mentions m
join int_mention_events me using (mention_id);
