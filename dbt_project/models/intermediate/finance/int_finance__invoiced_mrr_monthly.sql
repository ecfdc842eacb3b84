-- What the invoices bill per month, per subscription and month: every licensed subscription line of
-- an invoice that is not void whose service period contains the month's measuring instant
-- (int_finance__months.as_of_at), normalised to one month:
--   period line     amount × intervals per year ÷ (12 × interval count) (annual ÷ 12, quarterly ÷ 3);
--   proration line  the same, scaled up from the part of the billing period it covers to the whole
--                   period (a credit undoes the old state, a debit adds the new one, so a period line
--                   plus its prorations come to the state after the last change).
-- Before and after the lines' discounts, in the invoice currency and in USD (rate in force on the
-- instant's date). Lines of subscriptions that do not count for MRR at the instant (canceled
-- mid-period, incomplete, trialing) are kept apart. `rounding_tolerance` bounds what rounding can
-- explain: half a cent per line amount and per discount, scaled like the line, plus a cent for
-- rounding MRR itself.
with lines as (
    select * from {{ ref('int_stripe__recurring_invoice_lines') }}
    where invoice_status <> 'void'
),

months as (
    select month, as_of_at from {{ ref('int_finance__months') }}
),

states as (
    select stripe_subscription_id, stripe_customer_id, valid_from, valid_to, counts_for_mrr
    from {{ ref('int_stripe__subscription_states') }}
),

discounts as (
    select stripe_discount_id, duration, amount_off, ends_at
    from {{ ref('int_stripe__subscription_discounts') }}
),

fx_rates as (
    select * from {{ ref('int_finance__fx_rates') }}
),

links as (
    select source_id as stripe_customer_id, customer_account_id
    from {{ ref('int_customer_identity__links') }}
    where source_system = 'stripe'
),

covering as (
    select
        months.month,
        months.as_of_at,
        lines.*,
        -- months in the whole billing period ÷ the share of it the line covers
        cast({{ intervals_per_year('lines.recurring_interval') }} as double) / (12 * lines.recurring_interval_count)
            * (epoch(lines.billing_period_end_at) - epoch(lines.billing_period_start_at))
            / nullif(epoch(lines.period_end_at) - epoch(lines.period_start_at), 0) as monthly_factor
    from lines
    inner join months
        on lines.period_start_at <= months.as_of_at
        and lines.period_end_at > months.as_of_at
),

classified as (
    select
        covering.*,
        coalesce(states.counts_for_mrr, false) as counts_for_mrr,
        states.stripe_customer_id,
        fx_rates.usd_per_unit,
        case
            when covering.discount_amount = 0 then null
            when discounts.duration = 'once' then 'one_time_discount'
            when discounts.amount_off is not null then 'amount_off_allocation'
            when discounts.ends_at <= covering.as_of_at then 'discount_ended_mid_period'
            else 'discount_difference'
        end as discount_reason
    from covering
    left join states
        on covering.stripe_subscription_id = states.stripe_subscription_id
        and states.valid_from <= covering.as_of_at
        and (states.valid_to is null or states.valid_to > covering.as_of_at)
    left join discounts on covering.stripe_discount_id = discounts.stripe_discount_id
    left join fx_rates
        on covering.currency = fx_rates.currency
        and cast(covering.as_of_at as date) >= fx_rates.valid_from
        and (fx_rates.valid_to is null or cast(covering.as_of_at as date) < fx_rates.valid_to)
),

final as (
    select
        classified.stripe_subscription_id || ':' || strftime(classified.month, '%Y-%m') as subscription_month_id,
        classified.month,
        classified.as_of_at,
        classified.stripe_subscription_id,
        any_value(classified.stripe_customer_id) as stripe_customer_id,
        any_value(links.customer_account_id) as customer_account_id,
        bool_or(classified.counts_for_mrr) as counts_for_mrr,
        any_value(classified.currency) as currency,
        count(*) as covering_lines,
        count(*) filter (where classified.line_kind like 'proration%') as covering_prorations,
        cast(round(sum(classified.amount * classified.monthly_factor), 2) as decimal(18, 2)) as invoiced_before_discounts,
        cast(round(sum(classified.discount_amount * classified.monthly_factor), 2) as decimal(18, 2)) as invoiced_discounts,
        cast(round(sum(classified.amount * classified.monthly_factor * classified.usd_per_unit), 2) as decimal(18, 2))
            as invoiced_before_discounts_usd,
        cast(round(sum(classified.discount_amount * classified.monthly_factor * classified.usd_per_unit), 2) as decimal(18, 2))
            as invoiced_discounts_usd,
        cast(round(0.01 + sum(
            case when classified.line_kind like 'proration%' then 0.01 * classified.monthly_factor * classified.usd_per_unit else 0 end
        ), 4) as decimal(18, 4)) as rounding_tolerance_usd,
        list_sort(list_distinct(list(classified.discount_reason) filter (where classified.discount_reason is not null)))
            as discount_reasons
    from classified
    left join links on classified.stripe_customer_id = links.stripe_customer_id
    group by classified.stripe_subscription_id, classified.month, classified.as_of_at
)

select * from final
