with source as (
    select * from {{ source('app', 'tenants') }}
),

final as (
    select
        id as tenant_id,
        name as tenant_name,
        lower(trim(domain)) as domain,
        plan,
        status,
        seats,
        country,
        time_zone,
        stripe_customer_id,
        trial_ends_at,
        cancel_at,
        canceled_at,
        created_at,
        updated_at
    from source
    where not coalesce(_deleted, false)
)

select * from final
