-- Accounts Jira no longer lists are kept (flagged `is_deleted`): they still authored issues and changes.
with source as (
    select * from {{ source('jira', 'users') }}
),

final as (
    select
        account_id as jira_account_id,
        account_type,
        display_name,
        nullif(lower(trim(email)), '') as email,
        active as is_active,
        time_zone,
        coalesce(_deleted, false) as is_deleted
    from source
)

select * from final
