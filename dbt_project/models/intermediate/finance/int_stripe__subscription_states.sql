-- Each subscription's history as consecutive states [valid_from, valid_to): in each, the status, the
-- licensed items (price × quantity) and the recurring discount stay the same. A new state starts
-- whenever one of them changes (int_stripe__subscription_statuses, int_stripe__subscription_item_states,
-- int_stripe__subscription_discounts); nothing after the subscription ended but its end, nothing
-- after the latest sync.
-- Amounts are per billing period in the subscription's currency:
--   period_amount        = Σ quantity × unit amount of the licensed items;
--   discount_per_period  = period_amount × percent_off, or the coupon's amount_off (same currency,
--                          at most the period amount) — recurring discounts only (never `once`);
--   net_period_amount    = period_amount − discount_per_period (exact, not rounded).
-- A month holds `intervals_per_year` ÷ (12 × `recurring_interval_count`) billing periods (annual ÷ 12,
-- quarterly ÷ 3, weekly × 52 ÷ 12, daily × 365 ÷ 12); `monthly_amount` is the net amount per month in
-- the subscription's currency, rounded to the cent half away from zero (for reading: MRR in USD is
-- computed from the exact amounts by int_finance__subscription_mrr_monthly).
with subscriptions as (
    select stripe_subscription_id, stripe_customer_id, currency, created_at, ended_at
    from {{ ref('stg_stripe__subscriptions') }}
),

sync_time as (
    select synced_at from {{ ref('int_stripe__sync_time') }}
),

statuses as (
    select * from {{ ref('int_stripe__subscription_statuses') }}
),

item_states as (
    select * from {{ ref('int_stripe__subscription_item_states') }}
),

discounts as (
    select * from {{ ref('int_stripe__subscription_discounts') }}
    where is_recurring
),

boundaries as (
    select stripe_subscription_id, valid_from as changed_at from statuses
    union
    select stripe_subscription_id, valid_from from item_states
    union
    select stripe_subscription_id, valid_to from item_states where valid_to is not null
    union
    select stripe_subscription_id, starts_at from discounts
    union
    select stripe_subscription_id, ends_at from discounts where ends_at is not null
),

in_life as (
    select boundaries.stripe_subscription_id, boundaries.changed_at
    from boundaries
    inner join subscriptions on boundaries.stripe_subscription_id = subscriptions.stripe_subscription_id
    cross join sync_time
    where boundaries.changed_at >= subscriptions.created_at
        and boundaries.changed_at <= sync_time.synced_at
        and (subscriptions.ended_at is null or boundaries.changed_at <= subscriptions.ended_at)
),

intervals as (
    select
        stripe_subscription_id,
        changed_at as valid_from,
        lead(changed_at) over (partition by stripe_subscription_id order by changed_at) as valid_to
    from in_life
),

status_at as (
    select intervals.stripe_subscription_id, intervals.valid_from, statuses.status, statuses.counts_for_mrr
    from intervals
    inner join statuses
        on intervals.stripe_subscription_id = statuses.stripe_subscription_id
        and statuses.valid_from <= intervals.valid_from
        and (statuses.valid_to is null or statuses.valid_to > intervals.valid_from)
),

items_at as (
    select
        intervals.stripe_subscription_id,
        intervals.valid_from,
        count(*) as licensed_items,
        sum(item_states.amount_per_period) as period_amount,
        max(item_states.recurring_interval) as recurring_interval,
        max(item_states.recurring_interval_count) as recurring_interval_count,
        count(distinct item_states.recurring_interval || '×' || item_states.recurring_interval_count) > 1
            as has_mixed_intervals,
        list({
            'stripe_subscription_item_id': item_states.stripe_subscription_item_id,
            'stripe_price_id': item_states.stripe_price_id,
            'quantity': item_states.quantity,
            'unit_amount': item_states.unit_amount
        } order by item_states.stripe_subscription_item_id) as items
    from intervals
    inner join item_states
        on intervals.stripe_subscription_id = item_states.stripe_subscription_id
        and item_states.valid_from <= intervals.valid_from
        and (item_states.valid_to is null or item_states.valid_to > intervals.valid_from)
    group by intervals.stripe_subscription_id, intervals.valid_from
),

discount_at as (
    select
        intervals.stripe_subscription_id,
        intervals.valid_from,
        discounts.stripe_discount_id,
        discounts.stripe_coupon_id,
        discounts.percent_off,
        discounts.amount_off,
        discounts.amount_off_currency
    from intervals
    inner join discounts
        on intervals.stripe_subscription_id = discounts.stripe_subscription_id
        and discounts.starts_at <= intervals.valid_from
        and (discounts.ends_at is null or discounts.ends_at > intervals.valid_from)
    qualify row_number() over (
        partition by intervals.stripe_subscription_id, intervals.valid_from order by discounts.starts_at desc
    ) = 1
),

combined as (
    select
        intervals.stripe_subscription_id,
        subscriptions.stripe_customer_id,
        intervals.valid_from,
        intervals.valid_to,
        status_at.status,
        coalesce(status_at.counts_for_mrr, false) as counts_for_mrr,
        subscriptions.currency,
        items_at.recurring_interval,
        items_at.recurring_interval_count,
        coalesce(items_at.has_mixed_intervals, false) as has_mixed_intervals,
        coalesce(items_at.licensed_items, 0) as licensed_items,
        items_at.items,
        cast(coalesce(items_at.period_amount, 0) as decimal(18, 2)) as period_amount,
        discount_at.stripe_discount_id,
        discount_at.stripe_coupon_id,
        discount_at.percent_off,
        discount_at.amount_off,
        cast(
            case
                when discount_at.percent_off is not null
                    then coalesce(items_at.period_amount, 0) * discount_at.percent_off * 0.01
                when discount_at.amount_off_currency = subscriptions.currency
                    then least(discount_at.amount_off, coalesce(items_at.period_amount, 0))
                else 0
            end as decimal(38, 6)
        ) as discount_per_period
    from intervals
    inner join subscriptions on intervals.stripe_subscription_id = subscriptions.stripe_subscription_id
    left join status_at
        on intervals.stripe_subscription_id = status_at.stripe_subscription_id
        and intervals.valid_from = status_at.valid_from
    left join items_at
        on intervals.stripe_subscription_id = items_at.stripe_subscription_id
        and intervals.valid_from = items_at.valid_from
    left join discount_at
        on intervals.stripe_subscription_id = discount_at.stripe_subscription_id
        and intervals.valid_from = discount_at.valid_from
),

final as (
    select
        stripe_subscription_id || ':' || strftime(valid_from, '%Y%m%d%H%M%S') as subscription_state_id,
        stripe_subscription_id,
        stripe_customer_id,
        valid_from,
        valid_to,
        valid_to is null as is_current,
        status,
        counts_for_mrr,
        currency,
        recurring_interval,
        recurring_interval_count,
        {{ intervals_per_year('recurring_interval') }} as intervals_per_year,
        has_mixed_intervals,
        licensed_items,
        items,
        period_amount,
        stripe_discount_id,
        stripe_coupon_id,
        percent_off,
        amount_off,
        discount_per_period,
        cast(period_amount - discount_per_period as decimal(38, 6)) as net_period_amount,
        {{ divide_to_cents('cast(period_amount as decimal(38, 6)) * ' ~ intervals_per_year('recurring_interval'),
                           '12 * recurring_interval_count') }} as monthly_amount_before_discounts,
        {{ divide_to_cents('cast(period_amount - discount_per_period as decimal(38, 6)) * ' ~ intervals_per_year('recurring_interval'),
                           '12 * recurring_interval_count') }} as monthly_amount
    from combined
)

select * from final
