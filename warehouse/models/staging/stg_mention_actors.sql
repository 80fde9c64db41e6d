with source as (
    select * from {{ source('raw', 'raw_mention_actors') }}
),

final as (
    select
        mention_id,
        role,
        country_code,
        actor_name
    from source
)

select * from final
