-- SLA facts per service-desk ticket, JSM-style in calendar time (24×7), against the goals of the
-- ticket's current priority (seed jira_sla_goals):
--   time to first response = created → first response (int_jira__first_responses);
--   time to resolution     = created → first entry into a status that stops the clock (Resolved),
--                            minus the time spent before it in statuses that pause it (Waiting for customer).
-- A breach flag is true once the elapsed time exceeds the goal (even before the clock stops), false
-- once the clock stopped within the goal, and null while the ticket is still within its goal.
with tickets as (
    select * from {{ ref('int_jira__first_responses') }}
),

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

intervals as (
    select * from {{ ref('int_jira__issue_status_intervals') }}
),

goals as (
    select * from {{ ref('jira_sla_goals') }}
),

sync_time as (
    select * from {{ ref('int_jira__sync_time') }}
),

first_resolutions as (
    select jira_issue_id, min(entered_at) as first_resolved_at
    from intervals
    where stops_resolution_clock and interval_number > 1
    group by jira_issue_id
),

paused as (
    -- paused time before the clock stopped (or up to the last sync while it runs)
    select
        intervals.jira_issue_id,
        sum(
            epoch_ms(least(
                coalesce(intervals.left_at, sync_time.synced_at),
                coalesce(first_resolutions.first_resolved_at, sync_time.synced_at)
            )) - epoch_ms(intervals.entered_at)
        ) as paused_ms
    from intervals
    cross join sync_time
    left join first_resolutions
        on intervals.jira_issue_id = first_resolutions.jira_issue_id
    where intervals.pauses_sla
        and intervals.entered_at < coalesce(first_resolutions.first_resolved_at, sync_time.synced_at)
    group by intervals.jira_issue_id
),

measured as (
    select
        tickets.jira_issue_id,
        tickets.first_response_at,
        tickets.first_response_seconds,
        first_resolutions.first_resolved_at,
        coalesce(paused.paused_ms, 0) / 1000.0 as waiting_for_customer_seconds,
        -- elapsed SLA time so far: to the stop event, else to the last sync
        (epoch_ms(coalesce(tickets.first_response_at, sync_time.synced_at)) - epoch_ms(issues.created_at)) / 1000.0
            as first_response_elapsed_seconds,
        (epoch_ms(coalesce(first_resolutions.first_resolved_at, sync_time.synced_at)) - epoch_ms(issues.created_at)
            - coalesce(paused.paused_ms, 0)) / 1000.0 as resolution_elapsed_seconds,
        goals.first_response_goal_seconds,
        goals.resolution_goal_seconds
    from tickets
    inner join issues
        on tickets.jira_issue_id = issues.jira_issue_id
    cross join sync_time
    left join first_resolutions
        on tickets.jira_issue_id = first_resolutions.jira_issue_id
    left join paused
        on tickets.jira_issue_id = paused.jira_issue_id
    left join goals
        on issues.priority = goals.priority
),

final as (
    select
        jira_issue_id,
        first_response_at,
        first_response_seconds,
        first_resolved_at,
        case when first_resolved_at is not null then resolution_elapsed_seconds end as resolution_seconds,
        waiting_for_customer_seconds,
        first_response_goal_seconds,
        resolution_goal_seconds,
        case
            when first_response_elapsed_seconds > first_response_goal_seconds then true
            when first_response_at is not null and first_response_goal_seconds is not null then false
        end as is_first_response_breached,
        case
            when resolution_elapsed_seconds > resolution_goal_seconds then true
            when first_resolved_at is not null and resolution_goal_seconds is not null then false
        end as is_resolution_breached
    from measured
)

select * from final
