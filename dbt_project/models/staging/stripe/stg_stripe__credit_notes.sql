-- Credit notes are voided, never deleted: every row is kept, `status` tells.
with source as (
    select * from {{ source('stripe', 'credit_notes') }}
),

final as (
    select
        id as stripe_credit_note_id,
        invoice as stripe_invoice_id,
        customer as stripe_customer_id,
        refund as stripe_refund_id,
        number as credit_note_number,
        type as credit_note_type,
        status,
        reason,
        currency,
        cast(amount * 0.01 as decimal(18, 2)) as amount,
        timezone('UTC', created) as created_at,
        timezone('UTC', voided_at) as voided_at
    from source
)

select * from final
