-- Stripe never deletes subscriptions (`customer.subscription.deleted` means canceled): every row is kept.
with source as (
    select * from {{ source('stripe', 'subscriptions') }}
),

final as (
    select
        id as stripe_subscription_id,
        customer as stripe_customer_id,
        status,
        currency,
        timezone('UTC', created) as created_at,
        timezone('UTC', start_date) as started_at,
        timezone('UTC', billing_cycle_anchor) as billing_cycle_anchor_at,
        timezone('UTC', current_period_start) as current_period_start_at,
        timezone('UTC', current_period_end) as current_period_end_at,
        cancel_at_period_end,
        timezone('UTC', cancel_at) as cancel_at,
        timezone('UTC', canceled_at) as canceled_at,
        timezone('UTC', ended_at) as ended_at,
        cancellation_reason,
        timezone('UTC', trial_start) as trial_start_at,
        timezone('UTC', trial_end) as trial_end_at,
        latest_invoice as latest_stripe_invoice_id,
        discount_id as stripe_discount_id,
        discount_coupon as stripe_coupon_id
    from source
)

select * from final
