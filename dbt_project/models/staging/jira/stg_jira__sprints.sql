-- Sprints Jira no longer lists (deleted on the board) are dropped.
with source as (
    select * from {{ source('jira', 'sprints') }}
),

final as (
    select
        id as jira_sprint_id,
        board_id as jira_board_id,
        name as sprint_name,
        goal,
        state,
        timezone('UTC', start_date) as started_at,
        timezone('UTC', end_date) as ends_at,
        timezone('UTC', complete_date) as completed_at,
        timezone('UTC', created_date) as created_at
    from source
    where not coalesce(_deleted, false)
)

select * from final
