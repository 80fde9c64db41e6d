with source as (
    select * from {{ source('raw', 'raw_events') }}
),

final as (
    select
        event_id,
        event_type,
        block_key,
        event_date,
        status,
        rate_pct,
        alt_rates,
        confidence
    from source
)

select * from final
