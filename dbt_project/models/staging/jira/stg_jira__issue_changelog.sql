-- One row per field change, for time-in-status and SLA work. Changes of deleted issues are dropped with them.
with source as (
    select * from {{ source('jira', 'issue_changelog') }}
),

final as (
    select
        history_id as jira_history_id,
        item_index,
        issue_id as jira_issue_id,
        timezone('UTC', created) as changed_at,
        author_account_id,
        field,
        field_id,
        field_type,
        -- ids (status id, account id…) where the field has them; the display strings beside them
        from_value,
        from_string,
        to_value,
        to_string
    from source
    where not coalesce(_deleted, false)
)

select * from final
