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
        trial_ends_at,
        cancel_at,
        canceled_at,
        created_at,
        updated_at,
        deleted_at,
        coalesce(_deleted, false) as is_deleted
    from source
)

select * from final
