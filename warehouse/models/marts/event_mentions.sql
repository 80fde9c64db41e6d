with mentions as (
    select * from {{ ref('int_mentions') }}
),

final as (
    select
        mention_id,
        event_id,
        doc_id,
        event_type,
        sentence,
        char_start,
        char_end,
        trigger_text,
        event_date,
        date_text,
        rate_pct,
        alt_rates,
        status,
        confidence,
        extractor_version
    from mentions
)

select * from final
