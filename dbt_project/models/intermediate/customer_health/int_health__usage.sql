-- Product usage trend per customer account and scored day: emails sent, logins and distinct active
-- users (people who logged in) in the 30 days up to the day against the 30 days before. Each trend
-- is scaled by `health_trend_score` (100 at −10 % or better, 0 at −60 % or worse, with a small-count
-- allowance of 100 sends, 2 active users and 10 logins added to both windows); the component is their
-- mean, and its reason names the weakest of the three.
with window_dates as (
    select * from {{ ref('int_health__window') }}
),

account_days as (
    select * from {{ ref('int_health__account_days') }}
),

usage as (
    select * from {{ ref('stg_app__daily_usage') }}
),

logins as (
    select * from {{ ref('stg_app__logins') }}
),

accounts as (
    select distinct customer_account_id, tenant_id
    from account_days
),

calendar as (
    {{ health_account_calendar('accounts', 'window_dates') }}
),

daily_sends as (
    select usage.tenant_id, usage.usage_date as date, sum(usage.emails_sent) as emails_sent
    from usage
    cross join window_dates
    where usage.usage_date >= window_dates.history_start_date
    group by usage.tenant_id, usage.usage_date
),

login_days as (
    -- one row per user and day with a login; 30 days before the history start carry active users in
    select logins.tenant_id, logins.user_id, cast(logins.logged_in_at as date) as date, count(*) as logins
    from logins
    cross join window_dates
    where cast(logins.logged_in_at as date) >= window_dates.history_start_date - 30
    group by logins.tenant_id, logins.user_id, cast(logins.logged_in_at as date)
),

active_user_stretches as (
    -- a user counts as active on the days [login day, next login day or login day + 30)
    select
        tenant_id,
        date as starts_on,
        least(lead(date) over (partition by tenant_id, user_id order by date), date + 30) as ends_on
    from login_days
),

active_user_step_events as (
    -- +1 when a stretch starts, −1 when it ends: a running sum counts the distinct users with a login
    -- in the last 30 days (stretches before the history start are folded into its first day)
    select active_user_stretches.tenant_id, greatest(starts_on, window_dates.history_start_date) as date, 1 as step
    from active_user_stretches
    cross join window_dates
    union all
    select active_user_stretches.tenant_id, greatest(ends_on, window_dates.history_start_date), -1
    from active_user_stretches
    cross join window_dates
),

active_user_steps as (
    select tenant_id, date, sum(step) as step
    from active_user_step_events
    group by tenant_id, date
),

daily_logins as (
    select tenant_id, date, sum(logins) as logins
    from login_days
    group by tenant_id, date
),

daily as (
    select
        calendar.customer_account_id,
        calendar.date,
        coalesce(daily_sends.emails_sent, 0) as emails_sent,
        coalesce(daily_logins.logins, 0) as logins,
        coalesce(active_user_steps.step, 0) as active_user_step
    from calendar
    left join daily_sends
        on calendar.tenant_id = daily_sends.tenant_id and calendar.date = daily_sends.date
    left join daily_logins
        on calendar.tenant_id = daily_logins.tenant_id and calendar.date = daily_logins.date
    left join active_user_steps
        on calendar.tenant_id = active_user_steps.tenant_id and calendar.date = active_user_steps.date
),

rolling as (
    select
        customer_account_id,
        date,
        sum(emails_sent) over last_30 as sends_30d,
        coalesce(sum(emails_sent) over prior_30, 0) as sends_prior_30d,
        sum(logins) over last_30 as logins_30d,
        coalesce(sum(logins) over prior_30, 0) as logins_prior_30d,
        sum(active_user_step) over running as active_users_30d
    from daily
    window
        last_30 as (partition by customer_account_id order by date rows between 29 preceding and current row),
        prior_30 as (partition by customer_account_id order by date rows between 59 preceding and 30 preceding),
        running as (partition by customer_account_id order by date rows between unbounded preceding and current row)
),

with_prior_users as (
    select
        rolling.*,
        coalesce(lag(active_users_30d, 30) over (partition by customer_account_id order by date), 0)
            as active_users_prior_30d
    from rolling
),

scored as (
    select
        account_days.customer_account_id,
        account_days.date,
        cast(with_prior_users.sends_30d as bigint) as sends_30d,
        cast(with_prior_users.sends_prior_30d as bigint) as sends_prior_30d,
        cast(with_prior_users.logins_30d as bigint) as logins_30d,
        cast(with_prior_users.logins_prior_30d as bigint) as logins_prior_30d,
        cast(with_prior_users.active_users_30d as bigint) as active_users_30d,
        cast(with_prior_users.active_users_prior_30d as bigint) as active_users_prior_30d
    from account_days
    inner join with_prior_users
        on account_days.customer_account_id = with_prior_users.customer_account_id
        and account_days.date = with_prior_users.date
),

sub_scores as (
    select
        scored.*,
        {{ health_trend_score('sends_30d', 'sends_prior_30d', 100) }} as sends_score,
        {{ health_trend_score('active_users_30d', 'active_users_prior_30d', 2) }} as active_users_score,
        {{ health_trend_score('logins_30d', 'logins_prior_30d', 10) }} as logins_score
    from scored
),

final as (
    select
        customer_account_id,
        date,
        sends_30d,
        sends_prior_30d,
        active_users_30d,
        active_users_prior_30d,
        logins_30d,
        logins_prior_30d,
        sends_score,
        active_users_score,
        logins_score,
        round((sends_score + active_users_score + logins_score) / 3.0, 2) as usage_score,
        -- the weakest trend (sends first on a tie)
        case
            when sends_score <= active_users_score and sends_score <= logins_score
                then {{ health_trend_phrase('sends', 'sends_30d', 'sends_prior_30d') }}
            when active_users_score <= logins_score
                then {{ health_trend_phrase('active users', 'active_users_30d', 'active_users_prior_30d') }}
            else {{ health_trend_phrase('logins', 'logins_30d', 'logins_prior_30d') }}
        end as usage_reason
    from sub_scores
)

select * from final
