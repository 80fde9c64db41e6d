with source as (
    select * from {{ source('raw', 'raw_mentions') }}
),

final as (
    select
        mention_id,
        doc_id,
        event_type,
        block_key,
        sentence,
        char_start,
        char_end,
        trigger_text,
        trigger_start,
        event_date,
        date_text,
        rate_pct,
        alt_rates,
        status,
        confidence,
        extractor_version
    from source
)

select * from final
