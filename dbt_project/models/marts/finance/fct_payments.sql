-- Money movements on cards: one row per charge attempt (succeeded or failed) and per refund, in the
-- payment's currency and in USD, with Stripe's fee and the net from the balance transaction.
-- Refunds are negative, so Σ amount over succeeded rows is the cash collected net of refunds.
with charges as (
    select * from {{ ref('stg_stripe__charges') }}
),

refunds as (
    select * from {{ ref('stg_stripe__refunds') }}
),

balance_transactions as (
    select stripe_balance_transaction_id, fee, net from {{ ref('stg_stripe__balance_transactions') }}
),

fx_rates as (
    select * from {{ ref('int_finance__fx_rates') }}
),

links as (
    select source_id as stripe_customer_id, customer_account_id
    from {{ ref('int_customer_identity__links') }}
    where source_system = 'stripe'
),

charge_rows as (
    select
        stripe_charge_id as payment_id,
        'charge' as payment_type,
        stripe_charge_id,
        cast(null as varchar) as stripe_refund_id,
        stripe_invoice_id,
        stripe_customer_id,
        status,
        currency,
        amount,
        stripe_balance_transaction_id,
        failure_code,
        outcome_reason,
        cast(null as varchar) as refund_reason,
        case when stripe_invoice_id is not null
            then row_number() over (partition by stripe_invoice_id order by created_at, stripe_charge_id)
        end as attempt_number,
        created_at
    from charges
),

refund_rows as (
    select
        refunds.stripe_refund_id as payment_id,
        'refund' as payment_type,
        refunds.stripe_charge_id,
        refunds.stripe_refund_id,
        charges.stripe_invoice_id,
        charges.stripe_customer_id,
        refunds.status,
        refunds.currency,
        -refunds.amount as amount,
        refunds.stripe_balance_transaction_id,
        cast(null as varchar) as failure_code,
        cast(null as varchar) as outcome_reason,
        refunds.reason as refund_reason,
        cast(null as bigint) as attempt_number,
        refunds.created_at
    from refunds
    left join charges on refunds.stripe_charge_id = charges.stripe_charge_id
),

payments as (
    select * from charge_rows
    union all
    select * from refund_rows
),

final as (
    select
        payments.payment_id,
        payments.payment_type,
        payments.stripe_charge_id,
        payments.stripe_refund_id,
        payments.stripe_invoice_id,
        payments.stripe_customer_id,
        links.customer_account_id,
        payments.status,
        payments.status = 'succeeded' as is_successful,
        payments.currency,
        fx_rates.usd_per_unit,
        cast(payments.amount as decimal(18, 2)) as amount,
        cast(balance_transactions.fee as decimal(18, 2)) as fee,
        cast(balance_transactions.net as decimal(18, 2)) as net,
        cast(round(payments.amount * fx_rates.usd_per_unit, 2) as decimal(18, 2)) as amount_usd,
        cast(round(balance_transactions.fee * fx_rates.usd_per_unit, 2) as decimal(18, 2)) as fee_usd,
        cast(round(balance_transactions.net * fx_rates.usd_per_unit, 2) as decimal(18, 2)) as net_usd,
        payments.failure_code,
        payments.outcome_reason,
        payments.refund_reason,
        payments.attempt_number,
        payments.attempt_number > 1 as is_retry,
        payments.created_at
    from payments
    left join links on payments.stripe_customer_id = links.stripe_customer_id
    left join fx_rates
        on payments.currency = fx_rates.currency
        and cast(payments.created_at as date) >= fx_rates.valid_from
        and (fx_rates.valid_to is null or cast(payments.created_at as date) < fx_rates.valid_to)
    left join balance_transactions
        on payments.stripe_balance_transaction_id = balance_transactions.stripe_balance_transaction_id
)

select * from final
