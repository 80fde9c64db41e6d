-- Mentions with the event coreference resolved each one to; is_first_in_doc marks an event's first
-- mention in a document, so a document's sources are counted once per event.
with mentions as (
    select * from {{ ref('stg_mentions') }}
),

mention_events as (
    select * from {{ ref('stg_mention_events') }}
),

final as (
    select
        mentions.mention_id,
        mention_events.event_id,
        mentions.doc_id,
        mentions.event_type,
        mentions.sentence,
        mentions.char_start,
        mentions.char_end,
        mentions.trigger_text,
        mentions.trigger_start,
        mentions.event_date,
        mentions.date_text,
        mentions.rate_pct,
        mentions.alt_rates,
        mentions.status,
        mentions.confidence,
        mentions.extractor_version,
        row_number() over (
            partition by mention_events.event_id, mentions.doc_id order by mentions.char_start
        ) = 1 as is_first_in_doc
    from mentions
    inner join mention_events using (mention_id)
)

select * from final
