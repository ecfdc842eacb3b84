-- Per issue: time spent in each status category (fivetran/dbt_jira's time in status, summed by
-- category; the current status counts up to the last sync), time spent waiting for the customer,
-- when it first reached a done status, and how often it was reopened (moved from a done status back
-- to one that is not done).
with intervals as (
    select * from {{ ref('int_jira__issue_status_intervals') }}
),

final as (
    select
        jira_issue_id,
        coalesce(sum(seconds_in_status) filter (where status_category = 'new'), 0) as seconds_in_to_do,
        coalesce(sum(seconds_in_status) filter (where status_category = 'indeterminate'), 0) as seconds_in_progress,
        coalesce(sum(seconds_in_status) filter (where status_category = 'done'), 0) as seconds_in_done,
        coalesce(sum(seconds_in_status) filter (where pauses_sla), 0) as seconds_waiting_for_customer,
        min(entered_at) filter (where status_category = 'done') as first_done_at,
        count(*) filter (where previous_status_category = 'done' and status_category is distinct from 'done')
            as reopened_count,
        count(*) - 1 as status_changes
    from intervals
    group by jira_issue_id
)

select * from final
