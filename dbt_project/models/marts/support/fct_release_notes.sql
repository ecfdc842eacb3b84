-- Release notes: one row per version (release) and issue whose fix versions name it.
with versions as (
    select * from {{ ref('stg_jira__versions') }}
),

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

projects as (
    select * from {{ ref('stg_jira__projects') }}
),

fix_versions as (
    select jira_issue_id, unnest(fix_version_ids) as jira_version_id
    from issues
),

final as (
    select
        versions.jira_version_id || ':' || issues.jira_issue_id as release_note_id,
        versions.jira_version_id,
        versions.version_name,
        projects.project_key,
        versions.release_date,
        versions.is_released,
        versions.is_archived,
        issues.jira_issue_id,
        issues.issue_key,
        issues.issue_type,
        issues.summary,
        issues.priority,
        issues.status,
        issues.status_category = 'done' as is_done,
        issues.resolved_at,
        issues.story_points,
        parents.issue_key as epic_issue_key,
        parents.summary as epic_summary
    from fix_versions
    inner join versions
        on fix_versions.jira_version_id = versions.jira_version_id
    inner join issues
        on fix_versions.jira_issue_id = issues.jira_issue_id
    left join projects
        on versions.jira_project_id = projects.jira_project_id
    left join issues as parents
        on issues.parent_issue_id = parents.jira_issue_id
)

select * from final
