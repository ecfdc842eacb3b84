-- The customer golden record: one row per customer account of int_customer_identity, with what a
-- CSM needs to know about it — who it is (CRM firmographics and owner), what it pays for now (the
-- current Stripe subscription, its plan and seats), and its customer lifecycle. No customer-contact
-- PII: people are not listed here.
with identity as (
    select * from {{ ref('int_customer_identity') }}
),

links as (
    select source_id as stripe_customer_id, customer_account_id
    from {{ ref('int_customer_identity__links') }}
    where source_system = 'stripe'
),

tenants as (
    select * from {{ ref('stg_app__tenants') }}
),

companies as (
    select * from {{ ref('stg_hubspot__companies') }}
),

owners as (
    select * from {{ ref('stg_hubspot__owners') }}
),

subscriptions as (
    select * from {{ ref('stg_stripe__subscriptions') }}
    where status not in ('incomplete', 'incomplete_expired')
),

subscription_items as (
    select * from {{ ref('stg_stripe__subscription_items') }}
),

prices as (
    select * from {{ ref('stg_stripe__prices') }}
),

account_subscriptions as (
    select
        links.customer_account_id,
        subscriptions.*,
        subscriptions.status in ('trialing', 'active', 'past_due', 'unpaid', 'paused') as is_live,
        -- paid at least once: no trial, or a trial that ran past its end (converted) and is not still trialing
        (subscriptions.trial_end_at is null
            or subscriptions.ended_at > subscriptions.trial_end_at
            or (subscriptions.ended_at is null and subscriptions.status <> 'trialing')) as was_paid
    from subscriptions
    inner join links
        on subscriptions.stripe_customer_id = links.stripe_customer_id
),

ranked_subscriptions as (
    -- the current subscription: a live one first, then the newest
    select
        *,
        row_number() over (
            partition by customer_account_id
            order by is_live desc, started_at desc, stripe_subscription_id
        ) as rank_in_account
    from account_subscriptions
),

lifecycle as (
    select
        customer_account_id,
        bool_or(is_live) as has_live_subscription,
        min(case when was_paid then coalesce(trial_end_at, started_at) end) as customer_since,
        max(case when was_paid then ended_at end) as last_paid_subscription_ended_at,
        min(started_at) as first_subscription_started_at
    from account_subscriptions
    group by customer_account_id
),

current_items as (
    -- the plan (lookup keys `<plan>_<interval>_<currency>`) and the extra seats of each subscription
    select
        subscription_items.stripe_subscription_id,
        max(case when split_part(prices.lookup_key, '_', 1) in ('starter', 'growth', 'scale')
            then split_part(prices.lookup_key, '_', 1) end) as plan,
        sum(case when split_part(prices.lookup_key, '_', 1) = 'seat' then subscription_items.quantity else 0 end)
            as extra_seats
    from subscription_items
    inner join prices
        on subscription_items.stripe_price_id = prices.stripe_price_id
    group by subscription_items.stripe_subscription_id
),

licensed_intervals as (
    select
        stripe_subscription_id,
        min(recurring_interval) as recurring_interval,
        min(recurring_interval_count) as recurring_interval_count
    from subscription_items
    where usage_type = 'licensed'
    group by stripe_subscription_id
),

current_subscription as (
    select
        ranked_subscriptions.customer_account_id,
        ranked_subscriptions.stripe_subscription_id,
        ranked_subscriptions.status,
        ranked_subscriptions.is_live,
        ranked_subscriptions.trial_end_at,
        ranked_subscriptions.cancel_at,
        ranked_subscriptions.canceled_at,
        ranked_subscriptions.ended_at,
        current_items.plan,
        current_items.extra_seats,
        licensed_intervals.recurring_interval,
        licensed_intervals.recurring_interval_count
    from ranked_subscriptions
    left join current_items
        on ranked_subscriptions.stripe_subscription_id = current_items.stripe_subscription_id
    left join licensed_intervals
        on ranked_subscriptions.stripe_subscription_id = licensed_intervals.stripe_subscription_id
    where ranked_subscriptions.rank_in_account = 1
),

final as (
    select
        identity.customer_account_id,
        identity.account_name,
        identity.primary_domain,
        identity.tenant_id,
        identity.stripe_customer_id,
        identity.hubspot_company_id,
        cast(identity.stripe_customer_count as integer) as stripe_customer_count,
        cast(identity.hubspot_company_count as integer) as hubspot_company_count,
        identity.country,
        companies.industry,
        cast(companies.number_of_employees as integer) as number_of_employees,
        companies.hubspot_owner_id as crm_owner_id,
        owners.full_name as crm_owner_name,
        identity.crm_lifecycle_stage,
        tenants.status as app_status,
        current_subscription.stripe_subscription_id as current_stripe_subscription_id,
        current_subscription.status as subscription_status,
        case when current_subscription.is_live then coalesce(current_subscription.plan, tenants.plan) end as current_plan,
        case
            when not current_subscription.is_live then null
            when current_subscription.recurring_interval = 'month' and current_subscription.recurring_interval_count = 3 then 'quarter'
            else current_subscription.recurring_interval
        end as billing_interval,
        case when current_subscription.is_live then cast(1 + coalesce(current_subscription.extra_seats, 0) as integer) end
            as current_seats,
        coalesce(current_subscription.status = 'trialing', false) as is_trialing,
        case when current_subscription.status = 'trialing' then current_subscription.trial_end_at end as trial_ends_at,
        case when current_subscription.is_live and current_subscription.canceled_at is not null
            then coalesce(current_subscription.cancel_at, current_subscription.ended_at) end as cancellation_scheduled_at,
        case
            when current_subscription.status = 'trialing' then 'trialing'
            when current_subscription.status = 'past_due' then 'past_due'
            when current_subscription.is_live then 'paying'
            when lifecycle.customer_since is not null then 'churned'
            when lifecycle.first_subscription_started_at is not null then 'trial_ended'
            when identity.tenant_id is not null then 'free'
            else 'lead'
        end as customer_status,
        lifecycle.customer_since,
        case when not lifecycle.has_live_subscription then lifecycle.last_paid_subscription_ended_at end as churned_at,
        identity.first_seen_at
    from identity
    left join tenants
        on identity.tenant_id = tenants.tenant_id
    left join companies
        on identity.hubspot_company_id = companies.hubspot_company_id
    left join owners
        on companies.hubspot_owner_id = owners.hubspot_owner_id
    left join current_subscription
        on identity.customer_account_id = current_subscription.customer_account_id
    left join lifecycle
        on identity.customer_account_id = lifecycle.customer_account_id
)

select * from final
