-- Charges are never deleted. Stripe's charges carry no invoice: the link is the payment intent,
-- which the invoices carry (`expand[]=payments`), so the invoice id is looked up there.
with source as (
    select * from {{ source('stripe', 'charges') }}
),

invoices as (
    select id as stripe_invoice_id, payment_intent
    from {{ source('stripe', 'invoices') }}
    where payment_intent is not null
),

final as (
    select
        source.id as stripe_charge_id,
        source.customer as stripe_customer_id,
        source.payment_intent as stripe_payment_intent_id,
        invoices.stripe_invoice_id,
        source.status,
        source.paid as is_paid,
        source.refunded as is_refunded,
        source.currency,
        cast(source.amount * 0.01 as decimal(18, 2)) as amount,
        cast(source.amount_refunded * 0.01 as decimal(18, 2)) as amount_refunded,
        source.failure_code,
        source.outcome_reason,
        source.card_brand,
        source.balance_transaction as stripe_balance_transaction_id,
        timezone('UTC', source.created) as created_at
    from source
    left join invoices on invoices.payment_intent = source.payment_intent
)

select * from final
