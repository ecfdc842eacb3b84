-- The licensed (fixed-price, not metered) subscription lines of every invoice, each told apart:
--   trial            a $0 line for an item during its trial (subscription_create invoice of a trial);
--   period           a line billing an item for a whole billing period (create / cycle invoices);
--   proration_credit "Unused time on …": the item's state before a mid-period change, credited;
--   proration_debit  "Remaining time on …": the item's state after the change, charged.
-- A proration's side is its sign. A line that rounds to $0 has none: an item's only line in the
-- invoice is a credit when the item was billed before (it was removed) and a debit otherwise (it was
-- added); of two lines of a changed item the lower amount is the credit (both $0: the one repeating
-- an earlier line of the item). Prorations also carry the billing period they fall in (the period
-- line of the subscription ending when they end), which normalises them to a month.
with lines as (
    select * from {{ ref('stg_stripe__invoice_lines') }}
    where line_type = 'subscription'
),

invoices as (
    select
        stripe_invoice_id,
        stripe_subscription_id,
        status as invoice_status,
        billing_reason,
        stripe_discount_id,
        created_at as invoice_created_at
    from {{ ref('stg_stripe__invoices') }}
),

prices as (
    select stripe_price_id, unit_amount, recurring_interval, recurring_interval_count, usage_type
    from {{ ref('stg_stripe__prices') }}
),

subscriptions as (
    select stripe_subscription_id, trial_end_at
    from {{ ref('stg_stripe__subscriptions') }}
),

licensed as (
    select
        lines.stripe_invoice_line_id,
        lines.stripe_invoice_id,
        coalesce(lines.stripe_subscription_id, invoices.stripe_subscription_id) as stripe_subscription_id,
        lines.stripe_subscription_item_id,
        lines.stripe_price_id,
        invoices.invoice_status,
        invoices.billing_reason,
        invoices.stripe_discount_id,
        invoices.invoice_created_at,
        lines.currency,
        lines.quantity,
        prices.unit_amount,
        lines.amount,
        lines.discount_amount,
        lines.is_proration,
        lines.period_start_at,
        lines.period_end_at,
        prices.recurring_interval,
        prices.recurring_interval_count
    from lines
    inner join invoices on lines.stripe_invoice_id = invoices.stripe_invoice_id
    inner join prices on lines.stripe_price_id = prices.stripe_price_id
    where prices.usage_type = 'licensed'
),

item_history as (
    select
        licensed.*,
        count(*) over (partition by stripe_invoice_id, stripe_subscription_item_id) as lines_of_item_in_invoice,
        min(period_start_at) over (partition by stripe_subscription_item_id) as item_first_billed_at,
        -- an earlier line of the item with the same price and quantity (the tie-break of two $0 prorations)
        count(*) over (
            partition by stripe_subscription_item_id, stripe_price_id, quantity
            order by period_start_at
            range between unbounded preceding and interval 1 microsecond preceding
        ) > 0 as repeats_earlier_line
    from licensed
),

ranked as (
    select
        item_history.*,
        row_number() over (
            partition by stripe_invoice_id, stripe_subscription_item_id
            order by amount, repeats_earlier_line desc, stripe_invoice_line_id
        ) as rank_in_invoice
    from item_history
),

kinds as (
    select
        ranked.*,
        case
            when not is_proration and billing_reason = 'subscription_create' and amount = 0
                and period_end_at = subscriptions.trial_end_at then 'trial'
            when not is_proration then 'period'
            when amount < 0 then 'proration_credit'
            when amount > 0 then 'proration_debit'
            when lines_of_item_in_invoice = 1 and item_first_billed_at < period_start_at then 'proration_credit'
            when lines_of_item_in_invoice = 1 then 'proration_debit'
            when rank_in_invoice = 1 then 'proration_credit'
            else 'proration_debit'
        end as line_kind
    from ranked
    left join subscriptions on ranked.stripe_subscription_id = subscriptions.stripe_subscription_id
),

billing_periods as (
    select stripe_subscription_id, period_end_at, max(period_start_at) as period_start_at
    from kinds
    where line_kind = 'period'
    group by stripe_subscription_id, period_end_at
),

final as (
    select
        kinds.stripe_invoice_line_id,
        kinds.stripe_invoice_id,
        kinds.stripe_subscription_id,
        kinds.stripe_subscription_item_id,
        kinds.stripe_price_id,
        kinds.line_kind,
        kinds.invoice_status,
        kinds.billing_reason,
        kinds.stripe_discount_id,
        kinds.invoice_created_at,
        kinds.currency,
        kinds.quantity,
        kinds.unit_amount,
        kinds.amount,
        kinds.discount_amount,
        kinds.period_start_at,
        kinds.period_end_at,
        case when kinds.line_kind like 'proration%' then billing_periods.period_start_at else kinds.period_start_at end
            as billing_period_start_at,
        kinds.period_end_at as billing_period_end_at,
        kinds.recurring_interval,
        kinds.recurring_interval_count
    from kinds
    left join billing_periods
        on kinds.stripe_subscription_id = billing_periods.stripe_subscription_id
        and kinds.period_end_at = billing_periods.period_end_at
        and kinds.line_kind like 'proration%'
)

select * from final
