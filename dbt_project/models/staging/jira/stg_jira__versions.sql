-- Versions (releases); ones Jira no longer lists are dropped.
with source as (
    select * from {{ source('jira', 'versions') }}
),

final as (
    select
        id as jira_version_id,
        project_id as jira_project_id,
        name as version_name,
        description,
        released as is_released,
        archived as is_archived,
        start_date,
        release_date
    from source
    where not coalesce(_deleted, false)
)

select * from final
