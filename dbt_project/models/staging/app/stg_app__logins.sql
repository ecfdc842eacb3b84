with source as (
    select * from {{ source('app', 'logins') }}
),

final as (
    select
        id as login_id,
        user_id,
        tenant_id,
        {{ to_utc('logged_in_at') }} as logged_in_at,
        user_agent_family
    from source
)

select * from final
