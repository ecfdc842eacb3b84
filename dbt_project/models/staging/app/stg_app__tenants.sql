-- Deleted tenants are kept (flagged `is_deleted`): a long-churned customer's tenant is deleted
-- in the app, but the account's history (revenue, health, tickets) still belongs to it.
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
        {{ to_utc('trial_ends_at') }} as trial_ends_at,
        {{ to_utc('cancel_at') }} as cancel_at,
        {{ to_utc('canceled_at') }} as canceled_at,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('updated_at') }} as updated_at,
        {{ to_utc('deleted_at') }} as deleted_at,
        coalesce(_deleted, false) as is_deleted
    from source
)

select * from final
