-- Each subscription's status over time, rebuilt from its dates and its invoices' payment attempts
-- (Stripe keeps only the current status, and its events only 30 days):
--   incomplete          from creation when the first payment failed, until paid (then active) or
--                       until it expired (incomplete_expired, 23 h later);
--   trialing            from creation to `trial_end`;
--   active              from the billing start (trial end, else creation) …
--   past_due            … except from a renewal's (or change's) first failed charge until the invoice
--                       is paid (a dunning retry succeeded), or to the end of the subscription;
--   canceled            from `ended_at` on.
-- Only what Stripe had shown by the latest sync: a trial ending later is still trialing.
with subscriptions as (
    select * from {{ ref('stg_stripe__subscriptions') }}
),

sync_time as (
    select synced_at from {{ ref('int_stripe__sync_time') }}
),

invoices as (
    select stripe_invoice_id, stripe_subscription_id, billing_reason, paid_at
    from {{ ref('stg_stripe__invoices') }}
),

failed_charges as (
    select stripe_invoice_id, min(created_at) as first_failed_at
    from {{ ref('stg_stripe__charges') }}
    where status = 'failed'
    group by stripe_invoice_id
),

failed_invoices as (
    select
        invoices.stripe_subscription_id,
        invoices.billing_reason,
        failed_charges.first_failed_at,
        invoices.paid_at
    from invoices
    inner join failed_charges on invoices.stripe_invoice_id = failed_charges.stripe_invoice_id
),

first_payments as (
    -- a subscription whose first invoice failed and was paid later started incomplete
    select stripe_subscription_id, min(paid_at) as paid_at
    from failed_invoices
    where billing_reason = 'subscription_create'
    group by stripe_subscription_id
),

lifetimes as (
    select
        subscriptions.stripe_subscription_id,
        subscriptions.status as current_status,
        subscriptions.created_at,
        case when subscriptions.trial_end_at > subscriptions.created_at then subscriptions.trial_end_at end as trial_end_at,
        subscriptions.ended_at,
        case
            when subscriptions.status in ('incomplete', 'incomplete_expired') then coalesce(subscriptions.ended_at, timestamp '9999-12-31')
            else first_payments.paid_at
        end as incomplete_until
    from subscriptions
    left join first_payments on subscriptions.stripe_subscription_id = first_payments.stripe_subscription_id
),

changes as (
    -- (subscription, when, status from then on, order among changes of the same instant)
    select stripe_subscription_id, created_at as changed_at,
        case when incomplete_until is not null then 'incomplete' when trial_end_at is not null then 'trialing' else 'active' end as status,
        0 as tie_order
    from lifetimes

    union all
    select stripe_subscription_id, incomplete_until, 'active', 1
    from lifetimes
    where current_status not in ('incomplete', 'incomplete_expired') and incomplete_until is not null

    union all
    select stripe_subscription_id, trial_end_at, 'active', 1
    from lifetimes
    where trial_end_at is not null and incomplete_until is null

    union all
    select failed_invoices.stripe_subscription_id, failed_invoices.first_failed_at, 'past_due', 2
    from failed_invoices
    where failed_invoices.billing_reason <> 'subscription_create'

    union all
    select failed_invoices.stripe_subscription_id, failed_invoices.paid_at, 'active', 3
    from failed_invoices
    where failed_invoices.billing_reason <> 'subscription_create' and failed_invoices.paid_at is not null

    union all
    select stripe_subscription_id, ended_at,
        case when current_status = 'incomplete_expired' then 'incomplete_expired' else 'canceled' end, 9
    from lifetimes
    where ended_at is not null
),

in_life as (
    -- nothing changes after the end, and nothing Stripe had not shown by the sync
    select changes.*
    from changes
    inner join lifetimes on changes.stripe_subscription_id = lifetimes.stripe_subscription_id
    cross join sync_time
    where changes.changed_at <= sync_time.synced_at
        and (lifetimes.ended_at is null or changes.changed_at < lifetimes.ended_at or changes.tie_order = 9)
),

sequenced as (
    select
        in_life.*,
        lag(status) over (partition by stripe_subscription_id order by changed_at, tie_order) is distinct from status
            as starts_stretch
    from in_life
),

stretches as (
    select
        stripe_subscription_id,
        status,
        changed_at as valid_from,
        tie_order
    from sequenced
    where starts_stretch
),

bounded as (
    select
        stretches.*,
        lead(valid_from) over (partition by stripe_subscription_id order by valid_from, tie_order) as valid_to
    from stretches
),

final as (
    select
        stripe_subscription_id || ':' || strftime(valid_from, '%Y%m%d%H%M%S') || ':' || status as status_interval_id,
        stripe_subscription_id,
        status,
        status in ('active', 'past_due') as counts_for_mrr,
        valid_from,
        valid_to,
        valid_to is null as is_current
    from bounded
    -- two changes in one instant (a trial that expires at its end): the later one holds
    where valid_to is null or valid_to > valid_from
)

select * from final
