-- Billing health per customer account and scored day, from Stripe:
--   failed payments  = failed charges in the 30 days up to the day;
--   past due         = an invoice with a failed charge, not yet paid, voided or written off at the end of the day;
--   downgrades       = mid-period subscription changes that lowered the price (a `subscription_update`
--                      invoice whose subtotal is negative: plan downgrades and seat or add-on removals)
--                      in the 90 days up to the day;
--   cancellation     = a cancellation asked for (Stripe's `canceled_at`) whose subscription is still live.
-- Score: 100 − 25 per failed payment − 40 if past due − 30 per downgrade, floored at 0; 0 outright while a
-- cancellation is scheduled.
with window_dates as (
    select * from {{ ref('int_health__window') }}
),

account_days as (
    select * from {{ ref('int_health__account_days') }}
),

links as (
    select source_id as stripe_customer_id, customer_account_id
    from {{ ref('int_customer_identity__links') }}
    where source_system = 'stripe'
),

charges as (
    select * from {{ ref('stg_stripe__charges') }}
),

invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
),

subscriptions as (
    select * from {{ ref('stg_stripe__subscriptions') }}
),

accounts as (
    select distinct customer_account_id
    from account_days
),

calendar as (
    {{ health_account_calendar('accounts', 'window_dates') }}
),

failed_charges as (
    select
        links.customer_account_id,
        charges.stripe_invoice_id,
        charges.created_at
    from charges
    inner join links
        on charges.stripe_customer_id = links.stripe_customer_id
    where charges.status = 'failed'
),

daily_failures as (
    select customer_account_id, cast(created_at as date) as date, count(*) as failed_payments
    from failed_charges
    group by all
),

past_due_invoices as (
    -- from the first failed attempt until the invoice is settled one way or another
    select
        failed_charges.customer_account_id,
        failed_charges.stripe_invoice_id,
        min(failed_charges.created_at) as past_due_since,
        min(least(invoices.paid_at, invoices.voided_at, invoices.marked_uncollectible_at)) as settled_at
    from failed_charges
    inner join invoices
        on failed_charges.stripe_invoice_id = invoices.stripe_invoice_id
    group by all
),

past_due_days as (
    select
        account_days.customer_account_id,
        account_days.date,
        min(past_due_invoices.past_due_since) as past_due_since
    from account_days
    inner join past_due_invoices
        on account_days.customer_account_id = past_due_invoices.customer_account_id
        and past_due_invoices.past_due_since < cast(account_days.date + 1 as timestamp)
        and coalesce(past_due_invoices.settled_at, timestamp 'infinity') >= cast(account_days.date + 1 as timestamp)
    group by all
),

downgrades as (
    select links.customer_account_id, cast(invoices.created_at as date) as date, count(*) as downgrades
    from invoices
    inner join links
        on invoices.stripe_customer_id = links.stripe_customer_id
    where invoices.billing_reason = 'subscription_update'
        and invoices.subtotal < 0
    group by all
),

scheduled_cancellations as (
    select
        account_days.customer_account_id,
        account_days.date,
        min(coalesce(subscriptions.cancel_at, subscriptions.ended_at)) as cancels_at
    from account_days
    inner join links
        on account_days.customer_account_id = links.customer_account_id
    inner join subscriptions
        on links.stripe_customer_id = subscriptions.stripe_customer_id
        and subscriptions.canceled_at < cast(account_days.date + 1 as timestamp)
        and coalesce(subscriptions.ended_at, timestamp 'infinity') >= cast(account_days.date + 1 as timestamp)
    group by all
),

daily as (
    select
        calendar.customer_account_id,
        calendar.date,
        coalesce(daily_failures.failed_payments, 0) as failed_payments,
        coalesce(downgrades.downgrades, 0) as downgrades,
        case when downgrades.downgrades > 0 then calendar.date end as downgrade_date
    from calendar
    left join daily_failures
        on calendar.customer_account_id = daily_failures.customer_account_id and calendar.date = daily_failures.date
    left join downgrades
        on calendar.customer_account_id = downgrades.customer_account_id and calendar.date = downgrades.date
),

rolling as (
    select
        customer_account_id,
        date,
        sum(failed_payments) over (partition by customer_account_id order by date rows between 29 preceding and current row)
            as failed_payments_30d,
        sum(downgrades) over (partition by customer_account_id order by date rows between 89 preceding and current row)
            as downgrades_90d,
        max(downgrade_date) over (partition by customer_account_id order by date rows between 89 preceding and current row)
            as last_downgrade_date
    from daily
),

scored as (
    select
        account_days.customer_account_id,
        account_days.date,
        cast(rolling.failed_payments_30d as integer) as failed_payments_30d,
        past_due_days.past_due_since is not null as is_past_due,
        past_due_days.past_due_since,
        cast(rolling.downgrades_90d as integer) as downgrades_90d,
        rolling.last_downgrade_date,
        cast(scheduled_cancellations.cancels_at as date) as cancellation_scheduled_for
    from account_days
    inner join rolling
        on account_days.customer_account_id = rolling.customer_account_id and account_days.date = rolling.date
    left join past_due_days
        on account_days.customer_account_id = past_due_days.customer_account_id and account_days.date = past_due_days.date
    left join scheduled_cancellations
        on account_days.customer_account_id = scheduled_cancellations.customer_account_id
        and account_days.date = scheduled_cancellations.date
),

final as (
    select
        scored.*,
        case
            when cancellation_scheduled_for is not null then 0.0
            else greatest(0.0, 100.0 - 25 * failed_payments_30d - 40 * cast(is_past_due as integer) - 30 * downgrades_90d)
        end as billing_score,
        case
            when cancellation_scheduled_for is not null
                then 'cancellation scheduled for ' || strftime(cancellation_scheduled_for, '%Y-%m-%d')
            when is_past_due
                then 'past due for ' || (date - cast(past_due_since as date)) || ' days ('
                    || failed_payments_30d || ' failed payment' || case when failed_payments_30d = 1 then '' else 's' end
                    || ' in 30 days)'
            when failed_payments_30d > 0
                then failed_payments_30d || ' failed payment' || case when failed_payments_30d = 1 then '' else 's' end
                    || ' in 30 days'
            when downgrades_90d > 0
                then case when downgrades_90d = 1 then 'downgraded ' else downgrades_90d || ' downgrades, the last ' end
                    || (date - last_downgrade_date) || ' days ago'
        end as billing_reason
    from scored
)

select * from final
