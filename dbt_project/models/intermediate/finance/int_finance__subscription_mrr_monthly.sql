-- MRR of each subscription at each month's measuring instant (int_finance__months.as_of_at), for the
-- subscriptions whose state then counts (status active or past_due: not trialing, incomplete or
-- canceled). MRR = the state's licensed items per month (quantity × unit amount × intervals per year
-- ÷ (12 × interval count)), less its recurring discount, in USD at the seed `fx_rates` rate in force
-- on the instant's date (the latest `valid_from` on or before it), rounded to the cent half away from
-- zero — per subscription, after discount and conversion, and only there (exact arithmetic before).
with states as (
    select * from {{ ref('int_stripe__subscription_states') }}
    where counts_for_mrr
),

months as (
    select * from {{ ref('int_finance__months') }}
),

fx_rates as (
    select * from {{ ref('int_finance__fx_rates') }}
),

links as (
    select source_id as stripe_customer_id, customer_account_id
    from {{ ref('int_customer_identity__links') }}
    where source_system = 'stripe'
),

in_force as (
    select months.month, months.as_of_at, months.is_current_month, states.*
    from months
    inner join states
        on states.valid_from <= months.as_of_at
        and (states.valid_to is null or states.valid_to > months.as_of_at)
),

with_rates as (
    select in_force.*, fx_rates.usd_per_unit
    from in_force
    left join fx_rates
        on in_force.currency = fx_rates.currency
        and cast(in_force.as_of_at as date) >= fx_rates.valid_from
        and (fx_rates.valid_to is null or cast(in_force.as_of_at as date) < fx_rates.valid_to)
),

final as (
    select
        with_rates.month,
        with_rates.as_of_at,
        with_rates.is_current_month,
        with_rates.stripe_subscription_id,
        with_rates.stripe_customer_id,
        links.customer_account_id,
        with_rates.subscription_state_id,
        with_rates.status,
        with_rates.currency,
        with_rates.recurring_interval,
        with_rates.recurring_interval_count,
        with_rates.stripe_coupon_id,
        with_rates.usd_per_unit,
        with_rates.monthly_amount as mrr_local,
        {{ divide_to_cents('cast(with_rates.period_amount as decimal(38, 6)) * with_rates.usd_per_unit * with_rates.intervals_per_year',
                           '12 * with_rates.recurring_interval_count') }} as mrr_before_discounts,
        {{ divide_to_cents('with_rates.net_period_amount * with_rates.usd_per_unit * with_rates.intervals_per_year',
                           '12 * with_rates.recurring_interval_count') }} as mrr
    from with_rates
    left join links on with_rates.stripe_customer_id = links.stripe_customer_id
)

select * from final
