with source as (
    select * from {{ source('app', 'users') }}
),

final as (
    select
        id as user_id,
        tenant_id,
        lower(trim(email)) as email,
        full_name,
        role,
        {{ to_utc('last_login_at') }} as last_login_at,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('updated_at') }} as updated_at
    from source
    where not coalesce(_deleted, false)
)

select * from final
