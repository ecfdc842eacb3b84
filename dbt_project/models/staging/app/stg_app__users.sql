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
        last_login_at,
        created_at,
        updated_at
    from source
    where not coalesce(_deleted, false)
)

select * from final
