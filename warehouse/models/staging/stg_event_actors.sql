with source as (
    select * from {{ source('raw', 'raw_event_actors') }}
),

final as (
    select
        event_id,
        role,
        country_code,
        actor_name
    from source
)

select * from final
