with tariffs as (
    select * from {{ ref('tariffs') }}
),

final as (
    select event_id
    from tariffs
    where rate_pct < 0 or rate_pct > 1000
)

select * from final
