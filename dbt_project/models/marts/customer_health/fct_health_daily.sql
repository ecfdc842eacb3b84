-- The daily customer health score: one row per paying or trialing customer account and day of the
-- scoring window, the weighted sum of five component scores (health_components()), its risk tier,
-- and the reasons that cost the most points, so a CSM sees why.
{%- set components = health_components() %}
with account_days as (
    select * from {{ ref('int_health__account_days') }}
),

usage as (
    select * from {{ ref('int_health__usage') }}
),

billing as (
    select * from {{ ref('int_health__billing') }}
),

support as (
    select * from {{ ref('int_health__support') }}
),

deliverability as (
    select * from {{ ref('int_health__deliverability') }}
),

engagement as (
    select * from {{ ref('int_health__engagement') }}
),

joined as (
    select
        account_days.customer_account_id,
        account_days.date,
        account_days.subscription_state,
        {%- for c in components %}
        {{ c.name }}.{{ c.name }}_score,
        {{ c.name }}.{{ c.name }}_reason,
        {%- endfor %}
        usage.sends_30d,
        usage.sends_prior_30d,
        usage.active_users_30d,
        usage.logins_30d,
        billing.failed_payments_30d,
        billing.is_past_due,
        billing.downgrades_90d,
        billing.cancellation_scheduled_for,
        support.open_high_priority_tickets,
        support.sla_breaches_30d,
        support.tickets_30d,
        engagement.meetings_90d,
        engagement.days_since_last_touch,
        deliverability.bounce_rate_30d,
        deliverability.complaint_rate_30d
    from account_days
    {%- for c in components %}
    inner join {{ c.name }}
        on account_days.customer_account_id = {{ c.name }}.customer_account_id and account_days.date = {{ c.name }}.date
    {%- endfor %}
),

weighted as (
    select
        joined.*,
        round(
            {%- for c in components %}
            {{ c.weight }} * {{ c.name }}_score / 100.0{{ " +" if not loop.last }}
            {%- endfor %}
        ) as raw_health_score,
        {%- for c in components %}
        {{ c.weight }} * (100 - {{ c.name }}_score) / 100.0 as {{ c.name }}_points_lost{{ "," if not loop.last }}
        {%- endfor %}
    from joined
),

weak as (
    -- a component is a reason when it lost a point or more
    select
        weighted.*,
        {%- for c in components %}
        {{ c.name }}_points_lost >= 1 and {{ c.name }}_reason is not null as {{ c.name }}_is_weak{{ "," if not loop.last }}
        {%- endfor %}
    from weighted
),

ranked as (
    -- the rank of each weak component: 1 + the weak components that lost more (ties: component order)
    select
        weak.*,
        {%- for i in range(components | length) %}
        {%- set c = components[i] %}
        case when {{ c.name }}_is_weak then 1
            {%- for j in range(components | length) if j != i %}
            {%- set o = components[j] %}
            + case when {{ o.name }}_is_weak
                and {{ o.name }}_points_lost {{ ">=" if j < i else ">" }} {{ c.name }}_points_lost then 1 else 0 end
            {%- endfor %}
        end as {{ c.name }}_reason_rank{{ "," if not loop.last }}
        {%- endfor %}
    from weak
),

final as (
    select
        customer_account_id,
        date,
        cast(least(100, greatest(0, raw_health_score)) as integer) as health_score,
        {{ health_risk_tier('least(100, greatest(0, raw_health_score))') }} as risk_tier,
        nullif(concat_ws('; '
            {%- for k in [1, 2, 3] %},
            case
                {%- for c in components %}
                when {{ c.name }}_reason_rank = {{ k }} then {{ c.name }}_reason
                {%- endfor %}
            end
            {%- endfor %}
        ), '') as top_reasons,
        subscription_state,
        {%- for c in components %}
        cast(round({{ c.name }}_score, 1) as double) as {{ c.name }}_score,
        {%- endfor %}
        sends_30d,
        sends_prior_30d,
        active_users_30d,
        logins_30d,
        failed_payments_30d,
        is_past_due,
        downgrades_90d,
        cancellation_scheduled_for,
        open_high_priority_tickets,
        sla_breaches_30d,
        tickets_30d,
        meetings_90d,
        days_since_last_touch,
        cast(round(bounce_rate_30d, 4) as double) as bounce_rate_30d,
        cast(round(complaint_rate_30d, 5) as double) as complaint_rate_30d,
        date = max(date) over () as is_latest_day
    from ranked
)

select * from final
