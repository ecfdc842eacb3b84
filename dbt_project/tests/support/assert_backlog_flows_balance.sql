-- Week by week and per priority, the backlog balances: open at the week's end = open at the previous
-- week's end + opened − resolved + reopened; the current week's open tickets are the tickets open now.
{{ config(meta={'dagster': {'ref': {'name': 'fct_ticket_backlog_weekly'}}}) }}

with backlog as (
    select * from {{ ref('fct_ticket_backlog_weekly') }}
),

tickets as (
    select * from {{ ref('fct_tickets') }}
    where not is_spam
),

flows as (
    select
        *,
        coalesce(lag(open_tickets_at_week_end) over (partition by priority order by week_start), 0) as open_at_start
    from backlog
),

open_now as (
    select priority, count(*) as tickets
    from tickets
    where is_open
    group by priority
),

unbalanced as (
    select week_start, priority, 'flow' as problem
    from flows
    where open_tickets_at_week_end <> open_at_start + opened_tickets - resolved_tickets + reopened_tickets
),

current_week_differs as (
    select backlog.week_start, backlog.priority, 'current week vs open tickets' as problem
    from backlog
    left join open_now
        on backlog.priority = open_now.priority
    where backlog.is_current_week and backlog.open_tickets_at_week_end <> coalesce(open_now.tickets, 0)
),

final as (
    select * from unbalanced
    union all
    select * from current_week_differs
)

select * from final
