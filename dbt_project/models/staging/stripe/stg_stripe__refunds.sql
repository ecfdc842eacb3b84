-- Refunds are never deleted.
with source as (
    select * from {{ source('stripe', 'refunds') }}
),

final as (
    select
        id as stripe_refund_id,
        charge as stripe_charge_id,
        payment_intent as stripe_payment_intent_id,
        status,
        reason,
        currency,
        cast(amount * 0.01 as decimal(18, 2)) as amount,
        balance_transaction as stripe_balance_transaction_id,
        timezone('UTC', created) as created_at
    from source
)

select * from final
