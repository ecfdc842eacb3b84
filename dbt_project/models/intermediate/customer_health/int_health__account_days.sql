-- One row per customer account and day of the scoring window on which the account held a live
-- Stripe subscription at the end of the day (00:00 UTC the next morning): trialing or paying
-- (active or past due). Incomplete first payments never count; a subscription that ends during a
-- day does not count for that day. Several live subscriptions on one day: paying wins over trialing.
with window_dates as (
    select * from {{ ref('int_health__window') }}
),

subscriptions as (
    select * from {{ ref('stg_stripe__subscriptions') }}
    where status not in ('incomplete', 'incomplete_expired')
),

links as (
    select * from {{ ref('int_customer_identity__links') }}
    where source_system = 'stripe'
),

identity as (
    select * from {{ ref('int_customer_identity') }}
),

account_subscriptions as (
    select
        links.customer_account_id,
        subscriptions.stripe_subscription_id,
        subscriptions.started_at,
        subscriptions.trial_end_at,
        subscriptions.ended_at
    from subscriptions
    inner join links
        on subscriptions.stripe_customer_id = links.source_id
),

days as (
    select cast(unnest(generate_series(
        cast(window_start_date as timestamp), cast(as_of_date as timestamp), interval 1 day
    )) as date) as date
    from window_dates
),

live as (
    select
        account_subscriptions.customer_account_id,
        days.date,
        -- the moment the day ends
        cast(days.date + 1 as timestamp) as day_end_at,
        account_subscriptions.trial_end_at
    from account_subscriptions
    inner join days
        on account_subscriptions.started_at < cast(days.date + 1 as timestamp)
        and coalesce(account_subscriptions.ended_at, timestamp 'infinity') > cast(days.date + 1 as timestamp)
),

final as (
    select
        live.customer_account_id,
        live.date,
        identity.tenant_id,
        case
            when bool_or(live.trial_end_at is null or live.trial_end_at <= live.day_end_at) then 'paying'
            else 'trialing'
        end as subscription_state
    from live
    inner join identity
        on live.customer_account_id = identity.customer_account_id
    group by live.customer_account_id, live.date, identity.tenant_id
)

select * from final
