-- The support backlog week by week (weeks start on Monday, UTC) and by the tickets' current
-- priority: tickets opened, resolved (moved into a done status from one that is not done) and
-- reopened during the week, and the tickets open at the week's end. Spam is left out.
with tickets as (
    select * from {{ ref('fct_tickets') }}
    where not is_spam
),

intervals as (
    select * from {{ ref('int_jira__issue_status_intervals') }}
),

sync_time as (
    select * from {{ ref('int_jira__sync_time') }}
),

bounds as (
    select
        date_trunc('week', min(tickets.created_at)) as first_week,
        date_trunc('week', max(sync_time.synced_at)) as last_week
    from tickets
    cross join sync_time
),

weeks as (
    select cast(unnest(generate_series(first_week, last_week, interval 1 week)) as date) as week_start
    from bounds
),

priorities as (
    select distinct priority from tickets
),

ticket_intervals as (
    select tickets.priority, intervals.*
    from intervals
    inner join tickets
        on intervals.jira_issue_id = tickets.jira_issue_id
),

opened as (
    select cast(date_trunc('week', created_at) as date) as week_start, priority, count(*) as tickets
    from tickets
    group by all
),

resolved as (
    select cast(date_trunc('week', entered_at) as date) as week_start, priority, count(*) as tickets
    from ticket_intervals
    where status_category = 'done' and previous_status_category is distinct from 'done'
    group by all
),

reopened as (
    select cast(date_trunc('week', entered_at) as date) as week_start, priority, count(*) as tickets
    from ticket_intervals
    where status_category is distinct from 'done' and previous_status_category = 'done'
    group by all
),

open_at_week_end as (
    -- the stretch each ticket was in just before the week ended (for the current week: now)
    select weeks.week_start, ticket_intervals.priority, count(*) as tickets
    from weeks
    inner join ticket_intervals
        on ticket_intervals.entered_at < weeks.week_start + interval 1 week
        and (ticket_intervals.left_at is null or ticket_intervals.left_at >= weeks.week_start + interval 1 week)
    where ticket_intervals.status_category is distinct from 'done'
    group by all
),

final as (
    select
        weeks.week_start,
        priorities.priority,
        cast(weeks.week_start + interval 1 week as timestamp) as week_end_at,
        weeks.week_start + interval 1 week > sync_time.synced_at as is_current_week,
        cast(coalesce(opened.tickets, 0) as integer) as opened_tickets,
        cast(coalesce(resolved.tickets, 0) as integer) as resolved_tickets,
        cast(coalesce(reopened.tickets, 0) as integer) as reopened_tickets,
        cast(coalesce(open_at_week_end.tickets, 0) as integer) as open_tickets_at_week_end
    from weeks
    cross join priorities
    cross join sync_time
    left join opened
        on weeks.week_start = opened.week_start and priorities.priority = opened.priority
    left join resolved
        on weeks.week_start = resolved.week_start and priorities.priority = resolved.priority
    left join reopened
        on weeks.week_start = reopened.week_start and priorities.priority = reopened.priority
    left join open_at_week_end
        on weeks.week_start = open_at_week_end.week_start and priorities.priority = open_at_week_end.priority
)

select * from final
