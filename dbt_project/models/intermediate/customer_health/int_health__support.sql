-- Support health per customer account and scored day, from the service-desk tickets the support
-- models tie to accounts (int_jira__ticket_customers):
--   open high-priority tickets = Highest/High tickets (current priority) not in a `done` status at the end of the day;
--   SLA breaches               = first-response and resolution goals missed (int_jira__ticket_sla), each
--                                dated at the moment its clock ran out, in the 30 days up to the day;
--   ticket trend               = tickets raised in the 30 days up to the day minus those of the 30 days before.
-- Score: 100 − 25 per open high-priority ticket − 15 per SLA breach − 10 per extra ticket, floored at 0.
with window_dates as (
    select * from {{ ref('int_health__window') }}
),

account_days as (
    select * from {{ ref('int_health__account_days') }}
),

ticket_customers as (
    select * from {{ ref('int_jira__ticket_customers') }}
    where customer_account_id is not null
),

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

sla as (
    select * from {{ ref('int_jira__ticket_sla') }}
),

intervals as (
    select * from {{ ref('int_jira__issue_status_intervals') }}
),

sync_time as (
    select * from {{ ref('int_jira__sync_time') }}
),

accounts as (
    select distinct customer_account_id
    from account_days
),

calendar as (
    {{ health_account_calendar('accounts', 'window_dates') }}
),

tickets as (
    select
        ticket_customers.customer_account_id,
        issues.jira_issue_id,
        issues.priority,
        issues.priority in ('Highest', 'High') as is_high_priority,
        issues.created_at
    from ticket_customers
    inner join issues
        on ticket_customers.jira_issue_id = issues.jira_issue_id
    inner join accounts
        on ticket_customers.customer_account_id = accounts.customer_account_id
),

resolution_clock as (
    -- the running (not paused) stretches before the clock stopped, with the time run before each
    select
        intervals.jira_issue_id,
        intervals.entered_at,
        sla.resolution_goal_seconds,
        (epoch_ms(least(coalesce(intervals.left_at, sync_time.synced_at), coalesce(sla.first_resolved_at, sync_time.synced_at)))
            - epoch_ms(intervals.entered_at)) / 1000.0 as running_seconds
    from intervals
    inner join sla
        on intervals.jira_issue_id = sla.jira_issue_id
    cross join sync_time
    where sla.is_resolution_breached
        and not intervals.pauses_sla
        and intervals.entered_at < coalesce(sla.first_resolved_at, sync_time.synced_at)
),

resolution_clock_cumulative as (
    select
        *,
        coalesce(sum(running_seconds) over (
            partition by jira_issue_id order by entered_at rows between unbounded preceding and 1 preceding
        ), 0) as run_before_seconds
    from resolution_clock
),

resolution_breaches as (
    -- the moment the running clock reached the goal
    select
        jira_issue_id,
        min(entered_at + to_milliseconds(cast(1000 * (resolution_goal_seconds - run_before_seconds) as bigint)))
            as breached_at
    from resolution_clock_cumulative
    where run_before_seconds < resolution_goal_seconds
        and run_before_seconds + running_seconds >= resolution_goal_seconds
    group by jira_issue_id
),

breaches as (
    select
        tickets.customer_account_id,
        tickets.created_at + to_seconds(sla.first_response_goal_seconds) as breached_at
    from tickets
    inner join sla
        on tickets.jira_issue_id = sla.jira_issue_id
    where sla.is_first_response_breached
    union all
    select
        tickets.customer_account_id,
        coalesce(resolution_breaches.breached_at, tickets.created_at + to_seconds(sla.resolution_goal_seconds))
    from tickets
    inner join sla
        on tickets.jira_issue_id = sla.jira_issue_id
    left join resolution_breaches
        on tickets.jira_issue_id = resolution_breaches.jira_issue_id
    where sla.is_resolution_breached
),

daily_breaches as (
    select customer_account_id, cast(breached_at as date) as date, count(*) as sla_breaches
    from breaches
    group by all
),

daily_tickets as (
    select customer_account_id, cast(created_at as date) as date, count(*) as tickets
    from tickets
    group by all
),

open_high_priority as (
    -- high-priority tickets in a not-done status when the day ends
    select
        account_days.customer_account_id,
        account_days.date,
        count(distinct tickets.jira_issue_id) as open_high_priority_tickets
    from account_days
    inner join tickets
        on account_days.customer_account_id = tickets.customer_account_id
        and tickets.is_high_priority
    inner join intervals
        on tickets.jira_issue_id = intervals.jira_issue_id
        and intervals.status_category <> 'done'
        and intervals.entered_at < cast(account_days.date + 1 as timestamp)
        and coalesce(intervals.left_at, timestamp 'infinity') >= cast(account_days.date + 1 as timestamp)
    group by all
),

daily as (
    select
        calendar.customer_account_id,
        calendar.date,
        coalesce(daily_breaches.sla_breaches, 0) as sla_breaches,
        coalesce(daily_tickets.tickets, 0) as tickets
    from calendar
    left join daily_breaches
        on calendar.customer_account_id = daily_breaches.customer_account_id and calendar.date = daily_breaches.date
    left join daily_tickets
        on calendar.customer_account_id = daily_tickets.customer_account_id and calendar.date = daily_tickets.date
),

rolling as (
    select
        customer_account_id,
        date,
        sum(sla_breaches) over last_30 as sla_breaches_30d,
        sum(tickets) over last_30 as tickets_30d,
        coalesce(sum(tickets) over prior_30, 0) as tickets_prior_30d
    from daily
    window
        last_30 as (partition by customer_account_id order by date rows between 29 preceding and current row),
        prior_30 as (partition by customer_account_id order by date rows between 59 preceding and 30 preceding)
),

scored as (
    select
        account_days.customer_account_id,
        account_days.date,
        cast(coalesce(open_high_priority.open_high_priority_tickets, 0) as integer) as open_high_priority_tickets,
        cast(rolling.sla_breaches_30d as integer) as sla_breaches_30d,
        cast(rolling.tickets_30d as integer) as tickets_30d,
        cast(rolling.tickets_prior_30d as integer) as tickets_prior_30d
    from account_days
    inner join rolling
        on account_days.customer_account_id = rolling.customer_account_id and account_days.date = rolling.date
    left join open_high_priority
        on account_days.customer_account_id = open_high_priority.customer_account_id
        and account_days.date = open_high_priority.date
),

final as (
    select
        scored.*,
        greatest(0.0, 100.0
            - 25 * open_high_priority_tickets
            - 15 * sla_breaches_30d
            - 10 * greatest(0, tickets_30d - tickets_prior_30d)
        ) as support_score,
        -- the fact that costs the most points
        case
            when open_high_priority_tickets = 0 and sla_breaches_30d = 0 and tickets_30d <= tickets_prior_30d then null
            when 25 * open_high_priority_tickets >= 15 * sla_breaches_30d
                and 25 * open_high_priority_tickets >= 10 * (tickets_30d - tickets_prior_30d)
                then open_high_priority_tickets || ' open high-priority ticket'
                    || case when open_high_priority_tickets = 1 then '' else 's' end
            when 15 * sla_breaches_30d >= 10 * (tickets_30d - tickets_prior_30d)
                then sla_breaches_30d || ' SLA breach' || case when sla_breaches_30d = 1 then '' else 'es' end
                    || ' in 30 days'
            else tickets_30d || ' ticket' || case when tickets_30d = 1 then '' else 's' end
                || ' in 30 days vs ' || tickets_prior_30d || ' before'
        end as support_reason
    from scored
)

select * from final
