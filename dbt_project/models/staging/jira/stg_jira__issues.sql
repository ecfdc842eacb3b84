-- Deleted issues are dropped: Jira deletes only spam and mistakes, which no ticket or work metric should count.
with source as (
    select * from {{ source('jira', 'issues') }}
),

final as (
    select
        id as jira_issue_id,
        key as issue_key,
        project_id as jira_project_id,
        project_key,
        issuetype as issue_type,
        summary,
        status,
        status_category,
        priority,
        resolution,
        reporter_account_id,
        nullif(lower(trim(reporter_email)), '') as reporter_email,
        reporter_display_name,
        assignee_account_id,
        assignee_display_name,
        -- JSM organisation (the customer's company); missing for free-mail reporters
        organisation_id as jira_organisation_id,
        organisation as organisation_name,
        request_type,
        story_points,
        cast(json_extract(sprint_ids, '$[*]') as bigint[]) as sprint_ids,
        -- the sprint the issue is in now (or ended in): the last one of the Sprint field
        list_extract(cast(json_extract(sprint_ids, '$[*]') as bigint[]), -1) as current_sprint_id,
        cast(json_extract_string(fix_version_ids, '$[*]') as varchar[]) as fix_version_ids,
        cast(json_extract_string(labels, '$[*]') as varchar[]) as labels,
        parent_id as parent_issue_id,
        cast(json_extract_string(linked_issue_ids, '$[*]') as varchar[]) as linked_issue_ids,
        timezone('UTC', created) as created_at,
        timezone('UTC', updated) as updated_at,
        timezone('UTC', resolutiondate) as resolved_at,
        timezone('UTC', status_category_changed) as status_category_changed_at,
        duedate as due_date
    from source
    where not coalesce(_deleted, false)
)

select * from final
