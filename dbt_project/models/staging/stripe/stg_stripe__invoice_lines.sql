-- Lines of deleted (draft) invoices are dropped with their invoice.
with source as (
    select * from {{ source('stripe', 'invoice_lines') }}
),

final as (
    select
        id as stripe_invoice_line_id,
        invoice as stripe_invoice_id,
        subscription as stripe_subscription_id,
        subscription_item as stripe_subscription_item_id,
        invoice_item as stripe_invoice_item_id,
        price as stripe_price_id,
        product as stripe_product_id,
        case parent_type
            when 'subscription_item_details' then 'subscription'
            when 'invoice_item_details' then 'invoice_item'
        end as line_type,
        coalesce(proration, false) as is_proration,
        quantity,
        currency,
        cast(amount * 0.01 as decimal(18, 2)) as amount,
        cast(coalesce(discount_amount, 0) * 0.01 as decimal(18, 2)) as discount_amount,
        timezone('UTC', period_start) as period_start_at,
        timezone('UTC', period_end) as period_end_at
    from source
    where not coalesce(_deleted, false)
)

select * from final
