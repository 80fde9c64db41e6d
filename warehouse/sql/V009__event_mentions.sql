-- Mart: one row per event mention, with its own slots and evidence sentence.
create or replace view event_mentions as
select
    m.mention_id,
    m.event_id,
    m.doc_id,
    m.event_type,
    m.sentence,
    m.char_start,
    m.char_end,
    m.trigger_text,
    m.event_date,
    m.date_text,
    m.rate_pct,
    m.alt_rates,
    m.status,
    m.confidence,
    m.extractor_version
from stg_mentions m;
