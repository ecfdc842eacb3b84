-- What the reverse ETL pushes (pipelines/reverse_etl): one row per customer account (every account but
-- CRM-only leads) with its HubSpot company when matched, and the warehouse-owned facts written to that
-- company — latest health score, risk tier and top reason, this month's MRR, plan, seats, last active
-- day, open high-priority tickets — plus when the current at-risk episode began (for the Jira follow-up).
with customers as (
    select * from {{ ref('dim_customers') }}
    where customer_status <> 'lead'
),

health as (
    select * from {{ ref('fct_health_daily') }}
),

mrr as (
    select * from {{ ref('fct_mrr_monthly') }}
    where is_current_month
),

tickets as (
    select * from {{ ref('fct_tickets') }}
),

logins as (
    select * from {{ ref('stg_app__logins') }}
),

usage as (
    select * from {{ ref('stg_app__daily_usage') }}
),

latest_health as (
    select * from health
    where is_latest_day
),

last_not_at_risk as (
    select customer_account_id, max(date) as last_date
    from health
    where risk_tier <> 'at_risk'
    group by customer_account_id
),

at_risk_episodes as (
    -- the first day of the account's latest run of at-risk days
    select health.customer_account_id, min(health.date) as at_risk_since
    from health
    left join last_not_at_risk
        on health.customer_account_id = last_not_at_risk.customer_account_id
    where health.risk_tier = 'at_risk' and health.date > coalesce(last_not_at_risk.last_date, date '1900-01-01')
    group by health.customer_account_id
),

open_high_priority as (
    select customer_account_id, count(*) as open_high_priority_tickets
    from tickets
    where is_open and priority in ('Highest', 'High') and customer_account_id is not null
    group by customer_account_id
),

activity as (
    -- a day with a login or with emails sent
    select tenant_id, cast(logged_in_at as date) as active_on from logins
    union all
    select tenant_id, usage_date from usage where emails_sent > 0
),

last_active as (
    select tenant_id, max(active_on) as last_active_date
    from activity
    group by tenant_id
),

final as (
    select
        customers.customer_account_id,
        customers.hubspot_company_id,
        customers.account_name,
        customers.customer_status,
        latest_health.date as scored_on,
        latest_health.health_score,
        latest_health.risk_tier,
        split_part(latest_health.top_reasons, '; ', 1) as top_reason,
        latest_health.top_reasons,
        case when latest_health.risk_tier = 'at_risk' then at_risk_episodes.at_risk_since end as at_risk_since,
        cast(coalesce(mrr.mrr, 0) as decimal(18, 2)) as mrr,
        customers.current_plan,
        customers.current_seats,
        last_active.last_active_date,
        cast(coalesce(open_high_priority.open_high_priority_tickets, 0) as integer) as open_high_priority_tickets
    from customers
    left join latest_health
        on customers.customer_account_id = latest_health.customer_account_id
    left join at_risk_episodes
        on customers.customer_account_id = at_risk_episodes.customer_account_id
    left join mrr
        on customers.customer_account_id = mrr.customer_account_id
    left join open_high_priority
        on customers.customer_account_id = open_high_priority.customer_account_id
    left join last_active
        on customers.tenant_id = last_active.tenant_id
)

select * from final
