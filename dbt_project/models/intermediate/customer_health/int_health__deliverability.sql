-- Deliverability per customer account and scored day, from the app's daily usage rollup over the 30
-- days up to the day:
--   bounce rate    = bounced / emails sent;
--   complaint rate = spam complaints / emails delivered.
-- Scores follow the mailbox providers' bulk-sender norms: bounce rate 100 at ≤ 2 %, 0 at ≥ 5 %;
-- complaint rate 100 at ≤ 0.1 %, 0 at ≥ 0.3 % (Gmail's and Yahoo's line); linear between. The component
-- is their mean. Below 500 emails sent in 30 days the rates say little: the component is 100 (no reason).
with window_dates as (
    select * from {{ ref('int_health__window') }}
),

account_days as (
    select * from {{ ref('int_health__account_days') }}
),

usage as (
    select * from {{ ref('stg_app__daily_usage') }}
),

accounts as (
    select distinct customer_account_id, tenant_id
    from account_days
),

calendar as (
    {{ health_account_calendar('accounts', 'window_dates') }}
),

daily as (
    select
        calendar.customer_account_id,
        calendar.date,
        coalesce(usage.emails_sent, 0) as emails_sent,
        coalesce(usage.delivered, 0) as delivered,
        coalesce(usage.bounced, 0) as bounced,
        coalesce(usage.complained, 0) as complained
    from calendar
    left join usage
        on calendar.tenant_id = usage.tenant_id and calendar.date = usage.usage_date
),

rolling as (
    select
        customer_account_id,
        date,
        sum(emails_sent) over last_30 as sends_30d,
        sum(delivered) over last_30 as delivered_30d,
        sum(bounced) over last_30 as bounced_30d,
        sum(complained) over last_30 as complaints_30d
    from daily
    window last_30 as (partition by customer_account_id order by date rows between 29 preceding and current row)
),

scored as (
    select
        account_days.customer_account_id,
        account_days.date,
        cast(rolling.sends_30d as bigint) as sends_30d,
        cast(rolling.bounced_30d as bigint) as bounced_30d,
        cast(rolling.complaints_30d as bigint) as complaints_30d,
        rolling.sends_30d >= 500 as is_measured,
        case when rolling.sends_30d > 0 then 1.0 * rolling.bounced_30d / rolling.sends_30d end as bounce_rate_30d,
        case when rolling.delivered_30d > 0 then 1.0 * rolling.complaints_30d / rolling.delivered_30d end
            as complaint_rate_30d
    from account_days
    inner join rolling
        on account_days.customer_account_id = rolling.customer_account_id and account_days.date = rolling.date
),

sub_scores as (
    select
        scored.*,
        case when is_measured then {{ health_linear_score('bounce_rate_30d', 0.05, 0.02) }} else 100.0 end
            as bounce_score,
        case when is_measured then coalesce({{ health_linear_score('complaint_rate_30d', 0.003, 0.001) }}, 100.0)
            else 100.0 end as complaint_score
    from scored
),

final as (
    select
        customer_account_id,
        date,
        sends_30d,
        bounced_30d,
        complaints_30d,
        bounce_rate_30d,
        complaint_rate_30d,
        bounce_score,
        complaint_score,
        round((bounce_score + complaint_score) / 2.0, 2) as deliverability_score,
        case
            when bounce_score = 100 and complaint_score = 100 then null
            when bounce_score <= complaint_score
                then 'bounce rate ' || format('{:.1f}', 100 * bounce_rate_30d) || '% in 30 days'
            else 'complaint rate ' || format('{:.2f}', 100 * complaint_rate_30d) || '% in 30 days'
        end as deliverability_reason
    from sub_scores
)

select * from final
