-- Deleted prices are kept (flagged `is_deleted`): past items and lines still name them.
-- `recurring_interval` × `recurring_interval_count` is the billing period (quarterly = month × 3).
with source as (
    select * from {{ source('stripe', 'prices') }}
),

final as (
    select
        id as stripe_price_id,
        product as stripe_product_id,
        lookup_key,
        type as price_type,
        currency,
        cast(unit_amount * 0.01 as decimal(18, 2)) as unit_amount,
        recurring_interval,
        recurring_interval_count,
        usage_type,
        active as is_active,
        timezone('UTC', created) as created_at,
        coalesce(_deleted, false) as is_deleted
    from source
)

select * from final
