-- One row per Stripe invoice (deleted drafts excluded) with its amounts in its currency and in USD,
-- what its lines billed (recurring, usage, one-off), what was paid, credited and refunded, and how
-- its collection went (payment attempts, dunning outcome).
with invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
),

lines as (
    select * from {{ ref('stg_stripe__invoice_lines') }}
),

prices as (
    select stripe_price_id, usage_type from {{ ref('stg_stripe__prices') }}
),

charges as (
    select * from {{ ref('stg_stripe__charges') }}
    where stripe_invoice_id is not null
),

refunds as (
    select * from {{ ref('stg_stripe__refunds') }}
    where status = 'succeeded'
),

fx_rates as (
    select * from {{ ref('int_finance__fx_rates') }}
),

links as (
    select source_id as stripe_customer_id, customer_account_id
    from {{ ref('int_customer_identity__links') }}
    where source_system = 'stripe'
),

line_amounts as (
    select
        lines.stripe_invoice_id,
        sum(lines.amount) filter (where lines.line_type = 'subscription' and prices.usage_type = 'licensed') as recurring_amount,
        sum(lines.amount) filter (where lines.line_type = 'subscription' and prices.usage_type = 'licensed' and lines.is_proration)
            as proration_amount,
        sum(lines.amount) filter (where lines.line_type = 'subscription' and prices.usage_type = 'metered') as usage_amount,
        sum(lines.amount) filter (where lines.line_type = 'invoice_item') as one_off_amount,
        count(*) as line_count
    from lines
    left join prices on lines.stripe_price_id = prices.stripe_price_id
    group by lines.stripe_invoice_id
),

attempts as (
    select
        stripe_invoice_id,
        count(*) as charge_attempts,
        count(*) filter (where status = 'failed') as failed_attempts,
        sum(amount) filter (where status = 'failed') as failed_amount,
        min(created_at) filter (where status = 'failed') as first_failed_at
    from charges
    group by stripe_invoice_id
),

refunded as (
    select charges.stripe_invoice_id, sum(refunds.amount) as refunded_amount
    from refunds
    inner join charges on refunds.stripe_charge_id = charges.stripe_charge_id
    group by charges.stripe_invoice_id
),

joined as (
    select
        invoices.*,
        links.customer_account_id,
        fx_rates.usd_per_unit,
        coalesce(line_amounts.recurring_amount, 0) as recurring_amount,
        coalesce(line_amounts.proration_amount, 0) as proration_amount,
        coalesce(line_amounts.usage_amount, 0) as usage_amount,
        coalesce(line_amounts.one_off_amount, 0) as one_off_amount,
        coalesce(line_amounts.line_count, 0) as line_count,
        coalesce(attempts.charge_attempts, 0) as charge_attempts,
        coalesce(attempts.failed_attempts, 0) as failed_attempts,
        coalesce(attempts.failed_amount, 0) as failed_amount,
        attempts.first_failed_at,
        coalesce(refunded.refunded_amount, 0) as refunded_amount
    from invoices
    left join links on invoices.stripe_customer_id = links.stripe_customer_id
    left join fx_rates
        on invoices.currency = fx_rates.currency
        and cast(invoices.created_at as date) >= fx_rates.valid_from
        and (fx_rates.valid_to is null or cast(invoices.created_at as date) < fx_rates.valid_to)
    left join line_amounts on invoices.stripe_invoice_id = line_amounts.stripe_invoice_id
    left join attempts on invoices.stripe_invoice_id = attempts.stripe_invoice_id
    left join refunded on invoices.stripe_invoice_id = refunded.stripe_invoice_id
),

final as (
    select
        stripe_invoice_id,
        invoice_number,
        stripe_customer_id,
        customer_account_id,
        stripe_subscription_id,
        status,
        billing_reason,
        currency,
        usd_per_unit,
        created_at,
        period_start_at,
        period_end_at,
        finalized_at,
        paid_at,
        voided_at,
        marked_uncollectible_at,
        line_count,
        subtotal,
        total_discount,
        total,
        amount_due,
        amount_paid,
        amount_remaining,
        credited_amount,
        cast(refunded_amount as decimal(18, 2)) as refunded_amount,
        cast(recurring_amount as decimal(18, 2)) as recurring_amount,
        cast(proration_amount as decimal(18, 2)) as proration_amount,
        cast(usage_amount as decimal(18, 2)) as usage_amount,
        cast(one_off_amount as decimal(18, 2)) as one_off_amount,
        cast(round(subtotal * usd_per_unit, 2) as decimal(18, 2)) as subtotal_usd,
        cast(round(total_discount * usd_per_unit, 2) as decimal(18, 2)) as total_discount_usd,
        cast(round(total * usd_per_unit, 2) as decimal(18, 2)) as total_usd,
        cast(round(amount_due * usd_per_unit, 2) as decimal(18, 2)) as amount_due_usd,
        cast(round(amount_paid * usd_per_unit, 2) as decimal(18, 2)) as amount_paid_usd,
        cast(round(amount_remaining * usd_per_unit, 2) as decimal(18, 2)) as amount_remaining_usd,
        cast(round(credited_amount * usd_per_unit, 2) as decimal(18, 2)) as credited_amount_usd,
        cast(round(refunded_amount * usd_per_unit, 2) as decimal(18, 2)) as refunded_amount_usd,
        cast(round(failed_amount * usd_per_unit, 2) as decimal(18, 2)) as failed_amount_usd,
        cast(round(recurring_amount * usd_per_unit, 2) as decimal(18, 2)) as recurring_amount_usd,
        cast(round(usage_amount * usd_per_unit, 2) as decimal(18, 2)) as usage_amount_usd,
        cast(round(one_off_amount * usd_per_unit, 2) as decimal(18, 2)) as one_off_amount_usd,
        attempt_count,
        charge_attempts,
        failed_attempts,
        first_failed_at,
        case
            when failed_attempts = 0 then null
            when status = 'paid' then 'recovered'
            when status = 'uncollectible' then 'uncollectible'
            when status = 'void' then 'void'
            else 'in_dunning'
        end as dunning_outcome,
        case
            when failed_attempts > 0 and status = 'paid'
                then cast(round((epoch(paid_at) - epoch(first_failed_at)) / 86400, 2) as decimal(10, 2))
        end as days_to_recover,
        status = 'paid' as is_paid
    from joined
)

select * from final
