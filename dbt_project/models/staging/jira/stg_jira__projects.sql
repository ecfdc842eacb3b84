-- Projects Jira no longer lists are dropped (their issues are gone with them).
with source as (
    select * from {{ source('jira', 'projects') }}
),

final as (
    select
        id as jira_project_id,
        key as project_key,
        name as project_name,
        project_type_key as project_type,
        lead_account_id,
        description
    from source
    where not coalesce(_deleted, false)
)

select * from final
