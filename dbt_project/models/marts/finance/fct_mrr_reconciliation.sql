-- Recognised MRR (fct_mrr_monthly) tied to what the invoices bill per month
-- (int_finance__invoiced_mrr_monthly), per customer account and month.
with mrr as (
    select * from {{ ref('fct_mrr_monthly') }}
),

recognised as (
    -- every subscription that counts, also those a discount brings to $0 (no row in fct_mrr_monthly)
    select
        customer_account_id,
        month,
        sum(mrr) as mrr,
        sum(mrr_before_discounts) as mrr_before_discounts,
        count(*) as counted_subscriptions
    from {{ ref('int_finance__subscription_mrr_monthly') }}
    group by customer_account_id, month
),

invoiced as (
    select * from {{ ref('int_finance__invoiced_mrr_monthly') }}
),

months as (
    select month, as_of_at, is_current_month from {{ ref('int_finance__months') }}
),

credit_notes as (
    select * from {{ ref('stg_stripe__credit_notes') }}
    where status = 'issued'
),

fx_rates as (
    select * from {{ ref('int_finance__fx_rates') }}
),

links as (
    select source_id as stripe_customer_id, customer_account_id
    from {{ ref('int_customer_identity__links') }}
    where source_system = 'stripe'
),

invoiced_accounts as (
    select
        customer_account_id,
        month,
        count(*) filter (where counts_for_mrr) as invoiced_subscriptions,
        coalesce(sum(covering_lines) filter (where counts_for_mrr), 0) as covering_lines,
        coalesce(sum(covering_prorations) filter (where counts_for_mrr), 0) as covering_prorations,
        coalesce(sum(invoiced_before_discounts_usd) filter (where counts_for_mrr), 0) as invoiced_mrr_before_discounts,
        coalesce(sum(invoiced_discounts_usd) filter (where counts_for_mrr), 0) as invoiced_discount_mrr,
        coalesce(sum(invoiced_before_discounts_usd - invoiced_discounts_usd) filter (where not counts_for_mrr), 0)
            as invoiced_mrr_not_counted,
        coalesce(sum(rounding_tolerance_usd) filter (where counts_for_mrr), 0) as rounding_tolerance,
        list_sort(list_distinct(flatten(list(discount_reasons) filter (where counts_for_mrr)))) as discount_reasons
    from invoiced
    group by customer_account_id, month
),

credited as (
    select
        links.customer_account_id,
        cast(date_trunc('month', credit_notes.created_at) as date) as month,
        sum(round(credit_notes.amount * fx_rates.usd_per_unit, 2)) as credit_notes_usd
    from credit_notes
    inner join links on credit_notes.stripe_customer_id = links.stripe_customer_id
    left join fx_rates
        on credit_notes.currency = fx_rates.currency
        and cast(credit_notes.created_at as date) >= fx_rates.valid_from
        and (fx_rates.valid_to is null or cast(credit_notes.created_at as date) < fx_rates.valid_to)
    group by all
),

account_months as (
    select customer_account_id, month from mrr
    union
    select customer_account_id, month from recognised
    union
    select customer_account_id, month from invoiced_accounts
),

joined as (
    select
        account_months.customer_account_id,
        account_months.month,
        months.as_of_at,
        months.is_current_month,
        coalesce(mrr.mrr, 0) as mrr,
        coalesce(recognised.mrr_before_discounts, 0) as mrr_before_discounts,
        coalesce(invoiced_accounts.invoiced_mrr_before_discounts, 0) as invoiced_mrr_before_discounts,
        coalesce(invoiced_accounts.invoiced_discount_mrr, 0) as invoiced_discount_mrr,
        coalesce(invoiced_accounts.invoiced_mrr_not_counted, 0) as invoiced_mrr_not_counted,
        coalesce(invoiced_accounts.covering_lines, 0) as covering_lines,
        coalesce(invoiced_accounts.covering_prorations, 0) as covering_prorations,
        -- a cent per subscription for rounding MRR, plus what prorations' rounding can move
        greatest(coalesce(invoiced_accounts.rounding_tolerance, 0), 0.01 * coalesce(recognised.counted_subscriptions, 0), 0.01)
            as tolerance,
        invoiced_accounts.discount_reasons,
        coalesce(credited.credit_notes_usd, 0) as credit_notes_usd
    from account_months
    inner join months on account_months.month = months.month
    left join mrr
        on account_months.customer_account_id = mrr.customer_account_id
        and account_months.month = mrr.month
    left join recognised
        on account_months.customer_account_id = recognised.customer_account_id
        and account_months.month = recognised.month
    left join invoiced_accounts
        on account_months.customer_account_id = invoiced_accounts.customer_account_id
        and account_months.month = invoiced_accounts.month
    left join credited
        on account_months.customer_account_id = credited.customer_account_id
        and account_months.month = credited.month
),

compared as (
    select
        joined.*,
        invoiced_mrr_before_discounts - invoiced_discount_mrr as invoiced_mrr,
        mrr - (invoiced_mrr_before_discounts - invoiced_discount_mrr) as mrr_difference,
        mrr_before_discounts - invoiced_mrr_before_discounts as gross_difference
    from joined
),

final as (
    select
        customer_account_id || ':' || strftime(month, '%Y-%m') as account_month_id,
        month,
        customer_account_id,
        as_of_at,
        is_current_month,
        cast(mrr as decimal(18, 2)) as mrr,
        cast(invoiced_mrr as decimal(18, 2)) as invoiced_mrr,
        cast(mrr_difference as decimal(18, 2)) as mrr_difference,
        cast(mrr_before_discounts as decimal(18, 2)) as mrr_before_discounts,
        cast(invoiced_mrr_before_discounts as decimal(18, 2)) as invoiced_mrr_before_discounts,
        cast(gross_difference as decimal(18, 2)) as gross_difference,
        cast(invoiced_discount_mrr as decimal(18, 2)) as invoiced_discount_mrr,
        cast(invoiced_mrr_not_counted as decimal(18, 2)) as invoiced_mrr_not_counted,
        cast(tolerance as decimal(18, 4)) as tolerance,
        cast(covering_lines as bigint) as covering_lines,
        cast(covering_prorations as bigint) as covering_prorations,
        cast(credit_notes_usd as decimal(18, 2)) as credit_notes_usd,
        case
            when abs(mrr_difference) <= tolerance then 'matched'
            when abs(gross_difference) <= tolerance then 'explained'
            else 'break'
        end as reconciliation_status,
        case
            when abs(mrr_difference) <= tolerance then null
            when abs(gross_difference) > tolerance and mrr > 0 and covering_lines = 0 then 'mrr_without_invoice'
            when abs(gross_difference) > tolerance then 'unexplained'
            when list_contains(discount_reasons, 'one_time_discount') then 'one_time_discount'
            when list_contains(discount_reasons, 'discount_ended_mid_period') then 'discount_ended_mid_period'
            when list_contains(discount_reasons, 'amount_off_allocation') then 'amount_off_allocation'
            else 'discount_difference'
        end as difference_reason
    from compared
)

select * from final
