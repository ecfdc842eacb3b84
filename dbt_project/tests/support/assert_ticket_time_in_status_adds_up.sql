-- A ticket's time in to-do, in-progress and done statuses adds up to its age at the last sync, and SLA
-- durations fit inside it.
{{ config(meta={'dagster': {'ref': {'name': 'fct_tickets'}}}) }}

with tickets as (
    select * from {{ ref('fct_tickets') }}
),

sync_time as (
    select * from {{ ref('int_jira__sync_time') }}
),

final as (
    select tickets.*
    from tickets
    cross join sync_time
    where abs(seconds_in_to_do + seconds_in_progress + seconds_in_done
            - (epoch_ms(sync_time.synced_at) - epoch_ms(created_at)) / 1000.0) > 0.001
        or first_response_seconds < 0
        or resolution_seconds < 0
        or resolution_seconds > (epoch_ms(first_resolved_at) - epoch_ms(created_at)) / 1000.0 + 0.001
        or (first_response_at is null) <> (first_response_seconds is null)
        or (first_resolved_at is null) <> (resolution_seconds is null)
        -- a stopped clock always decides the breach (where the priority has a goal)
        or (first_response_at is not null and first_response_goal_seconds is not null and is_first_response_breached is null)
        or (first_resolved_at is not null and resolution_goal_seconds is not null and is_resolution_breached is null)
        or (is_first_response_breached and first_response_at is not null and first_response_seconds <= first_response_goal_seconds)
        or (is_resolution_breached and first_resolved_at is not null and resolution_seconds <= resolution_goal_seconds)
)

select * from final
