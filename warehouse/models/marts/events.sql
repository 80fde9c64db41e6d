with events as (
    select * from {{ ref('stg_events') }}
),

mention_stats as (
    select * from {{ ref('int_event_mention_stats') }}
),

final as (
    select
        events.event_id,
        events.event_type,
        events.event_date,
        events.status,
        events.rate_pct,
        events.alt_rates,
        events.confidence,
        mention_stats.num_mentions,
        mention_stats.num_documents,
        mention_stats.num_sources,
        mention_stats.first_reported_at
    from events
    inner join mention_stats using (event_id)
)

select * from final
