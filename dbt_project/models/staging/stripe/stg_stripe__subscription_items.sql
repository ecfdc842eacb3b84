-- The items each subscription holds now (the raw table replaces a subscription's items on every change).
with source as (
    select * from {{ source('stripe', 'subscription_items') }}
),

final as (
    select
        id as stripe_subscription_item_id,
        subscription as stripe_subscription_id,
        price as stripe_price_id,
        product as stripe_product_id,
        quantity,  -- null for metered items
        price_currency as currency,
        cast(unit_amount * 0.01 as decimal(18, 2)) as unit_amount,
        recurring_interval,
        recurring_interval_count,
        usage_type,
        timezone('UTC', created) as created_at,
        timezone('UTC', current_period_start) as current_period_start_at,
        timezone('UTC', current_period_end) as current_period_end_at
    from source
    where not coalesce(_deleted, false)
)

select * from final
