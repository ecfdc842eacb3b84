-- Deleted invoices (only drafts can be deleted) are dropped: they never billed anything.
with source as (
    select * from {{ source('stripe', 'invoices') }}
),

final as (
    select
        id as stripe_invoice_id,
        customer as stripe_customer_id,
        subscription as stripe_subscription_id,
        payment_intent as stripe_payment_intent_id,
        number as invoice_number,
        status,
        billing_reason,
        currency,
        cast(subtotal * 0.01 as decimal(18, 2)) as subtotal,
        cast(coalesce(total_discount, 0) * 0.01 as decimal(18, 2)) as total_discount,
        cast(total * 0.01 as decimal(18, 2)) as total,
        cast(starting_balance * 0.01 as decimal(18, 2)) as starting_balance,
        cast(ending_balance * 0.01 as decimal(18, 2)) as ending_balance,
        cast(amount_due * 0.01 as decimal(18, 2)) as amount_due,
        cast(amount_paid * 0.01 as decimal(18, 2)) as amount_paid,
        cast(amount_remaining * 0.01 as decimal(18, 2)) as amount_remaining,
        cast(post_payment_credit_notes_amount * 0.01 as decimal(18, 2)) as credited_amount,
        attempt_count,
        discount as stripe_discount_id,
        timezone('UTC', created) as created_at,
        timezone('UTC', period_start) as period_start_at,
        timezone('UTC', period_end) as period_end_at,
        timezone('UTC', finalized_at) as finalized_at,
        timezone('UTC', paid_at) as paid_at,
        timezone('UTC', voided_at) as voided_at,
        timezone('UTC', marked_uncollectible_at) as marked_uncollectible_at
    from source
    where not coalesce(_deleted, false)
)

select * from final
