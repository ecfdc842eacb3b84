-- Status stretches tile each issue's life: they start at creation, follow each other without gaps or
-- overlaps, and add up to creation → last sync (to the millisecond).
{{ config(meta={'dagster': {'ref': {'name': 'int_jira__issue_status_intervals'}}}) }}

with intervals as (
    select * from {{ ref('int_jira__issue_status_intervals') }}
),

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

sync_time as (
    select * from {{ ref('int_jira__sync_time') }}
),

per_issue as (
    select
        jira_issue_id,
        sum(seconds_in_status) as seconds,
        min(entered_at) as first_entered_at,
        count(*) filter (where is_current) as current_stretches,
        count(*) filter (where left_at < entered_at) as backwards_stretches
    from intervals
    group by jira_issue_id
),

final as (
    select per_issue.*, issues.created_at
    from issues
    left join per_issue
        on issues.jira_issue_id = per_issue.jira_issue_id
    cross join sync_time
    where per_issue.jira_issue_id is null
        or per_issue.first_entered_at <> issues.created_at
        or per_issue.current_stretches <> 1
        or per_issue.backwards_stretches > 0
        or abs(per_issue.seconds - (epoch_ms(greatest(sync_time.synced_at, issues.created_at)) - epoch_ms(issues.created_at)) / 1000.0) > 0.001
)

select * from final
