-- Deleted coupons are kept (flagged `is_deleted`): discounts granted before still name them.
with source as (
    select * from {{ source('stripe', 'coupons') }}
),

final as (
    select
        id as stripe_coupon_id,
        name as coupon_name,
        duration,
        duration_in_months,
        percent_off,
        currency,  -- of `amount_off`
        cast(amount_off * 0.01 as decimal(18, 2)) as amount_off,
        times_redeemed,
        valid as is_valid,
        timezone('UTC', created) as created_at,
        coalesce(_deleted, false) as is_deleted
    from source
)

select * from final
