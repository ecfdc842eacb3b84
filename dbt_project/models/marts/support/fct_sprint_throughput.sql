-- What each sprint took on and finished (fivetran/dbt_jira's sprint metrics). An issue counts in a
-- sprint while it is in the sprint's Sprint field; "done" is the first time it reached a done status.
with sprints as (
    select * from {{ ref('stg_jira__sprints') }}
),

sprint_issues as (
    select * from {{ ref('int_jira__sprint_issues') }}
),

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

status_summary as (
    select * from {{ ref('int_jira__issue_status_summary') }}
),

sync_time as (
    select * from {{ ref('int_jira__sync_time') }}
),

members as (
    select
        sprints.jira_sprint_id,
        sprint_issues.jira_issue_id,
        coalesce(issues.story_points, 0) as story_points,
        sprint_issues.added_at,
        sprint_issues.removed_at,
        status_summary.first_done_at,
        sprints.started_at,
        -- the sprint's close: its completion, else now for a running sprint
        coalesce(sprints.completed_at, sync_time.synced_at) as closes_at,
        sprints.completed_at is not null as is_closed
    from sprint_issues
    inner join sprints
        on sprint_issues.jira_sprint_id = sprints.jira_sprint_id
    inner join issues
        on sprint_issues.jira_issue_id = issues.jira_issue_id
    inner join status_summary
        on sprint_issues.jira_issue_id = status_summary.jira_issue_id
    cross join sync_time
),

classified as (
    select
        *,
        -- in the sprint when it started
        coalesce(added_at <= started_at and (removed_at is null or removed_at > started_at), false) as is_committed,
        -- joined after the start, before the close
        coalesce(added_at > started_at and added_at <= closes_at, false) as is_added_after_start,
        -- still in the sprint at the close (or now)
        coalesce(added_at <= closes_at and (removed_at is null or removed_at > closes_at), false) as is_in_sprint_at_close,
        -- finished while in the sprint (work finished in the gap between two sprints counts for the one it was carried into)
        coalesce(first_done_at > added_at and first_done_at <= closes_at, false) as is_done_in_sprint,
        coalesce(first_done_at <= closes_at, false) as is_done_by_close
    from members
),

per_sprint as (
    select
        jira_sprint_id,
        count(*) filter (where is_committed) as issues_committed,
        sum(story_points) filter (where is_committed) as story_points_committed,
        count(*) filter (where is_added_after_start) as issues_added_after_start,
        sum(story_points) filter (where is_added_after_start) as story_points_added_after_start,
        count(*) filter (where is_in_sprint_at_close and is_done_in_sprint) as issues_completed,
        sum(story_points) filter (where is_in_sprint_at_close and is_done_in_sprint) as story_points_completed,
        count(*) filter (where is_closed and is_in_sprint_at_close and not is_done_by_close) as issues_carried_over,
        sum(story_points) filter (where is_closed and is_in_sprint_at_close and not is_done_by_close)
            as story_points_carried_over,
        count(*) filter (where (is_committed or is_added_after_start) and not is_in_sprint_at_close) as issues_removed,
        count(*) filter (where started_at is null and is_in_sprint_at_close) as issues_planned
    from classified
    group by jira_sprint_id
),

final as (
    select
        sprints.jira_sprint_id,
        sprints.jira_board_id,
        sprints.sprint_name,
        sprints.state,
        sprints.goal,
        sprints.started_at,
        sprints.ends_at,
        sprints.completed_at,
        cast(coalesce(per_sprint.issues_planned, 0) as integer) as issues_planned,
        cast(coalesce(per_sprint.issues_committed, 0) as integer) as issues_committed,
        cast(coalesce(per_sprint.issues_added_after_start, 0) as integer) as issues_added_after_start,
        cast(coalesce(per_sprint.issues_removed, 0) as integer) as issues_removed,
        cast(coalesce(per_sprint.issues_completed, 0) as integer) as issues_completed,
        cast(case when sprints.completed_at is not null then coalesce(per_sprint.issues_carried_over, 0) end as integer)
            as issues_carried_over,
        cast(coalesce(per_sprint.story_points_committed, 0) as double) as story_points_committed,
        cast(coalesce(per_sprint.story_points_added_after_start, 0) as double) as story_points_added_after_start,
        cast(coalesce(per_sprint.story_points_completed, 0) as double) as story_points_completed,
        cast(case when sprints.completed_at is not null then coalesce(per_sprint.story_points_carried_over, 0) end as double)
            as story_points_carried_over
    from sprints
    left join per_sprint
        on sprints.jira_sprint_id = per_sprint.jira_sprint_id
)

select * from final
