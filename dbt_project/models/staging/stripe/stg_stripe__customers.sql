-- Deleted customers are kept (flagged `is_deleted`): their subscriptions, invoices and payments stay history.
with source as (
    select * from {{ source('stripe', 'customers') }}
),

final as (
    select
        id as stripe_customer_id,
        lower(trim(email)) as customer_email,
        name as customer_name,
        phone,
        currency,
        country,
        -- negative = credit the customer holds (e.g. left by a downgrade)
        cast(balance * 0.01 as decimal(18, 2)) as balance,
        delinquent as is_delinquent,
        try_cast(tenant_id as bigint) as tenant_id,
        nullif(trim(hubspot_company_id), '') as hubspot_company_id,
        timezone('UTC', created) as created_at,
        coalesce(_deleted, false) as is_deleted
    from source
)

select * from final
