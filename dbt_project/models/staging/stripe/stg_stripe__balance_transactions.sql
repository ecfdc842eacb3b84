-- Balance transactions are never deleted.
with source as (
    select * from {{ source('stripe', 'balance_transactions') }}
),

final as (
    select
        id as stripe_balance_transaction_id,
        source as stripe_source_id,  -- the charge or refund that moved the balance
        type as transaction_type,
        reporting_category,
        status,
        currency,
        cast(amount * 0.01 as decimal(18, 2)) as amount,
        cast(fee * 0.01 as decimal(18, 2)) as fee,
        cast(net * 0.01 as decimal(18, 2)) as net,
        timezone('UTC', created) as created_at,
        timezone('UTC', available_on) as available_on
    from source
)

select * from final
