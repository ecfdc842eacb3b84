-- Service-desk tickets handed to engineering: a ticket is escalated when it links to an issue of a
-- software project (the agent files an ENG bug, or links the ticket to an open one). Escalated at =
-- the first Link change on the ticket that points at such an issue (its creation when the changelog
-- has none).
with tickets as (
    select * from {{ ref('int_jira__first_responses') }}
),

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

projects as (
    select * from {{ ref('stg_jira__projects') }}
),

link_changes as (
    select * from {{ ref('stg_jira__issue_changelog') }}
    where field = 'Link'
),

engineering_issues as (
    select issues.jira_issue_id, issues.issue_key
    from issues
    inner join projects
        on issues.jira_project_id = projects.jira_project_id
    where projects.project_type = 'software'
),

ticket_links as (
    select tickets.jira_issue_id, unnest(issues.linked_issue_ids) as linked_issue_id
    from tickets
    inner join issues
        on tickets.jira_issue_id = issues.jira_issue_id
),

escalation_links as (
    select
        ticket_links.jira_issue_id,
        engineering_issues.jira_issue_id as engineering_issue_id,
        engineering_issues.issue_key as engineering_issue_key,
        min(link_changes.changed_at) as linked_at
    from ticket_links
    inner join engineering_issues
        on ticket_links.linked_issue_id = engineering_issues.jira_issue_id
    left join link_changes
        on ticket_links.jira_issue_id = link_changes.jira_issue_id
        and link_changes.to_value = engineering_issues.issue_key
    group by all
),

final as (
    select
        escalation_links.jira_issue_id,
        min(coalesce(escalation_links.linked_at, issues.created_at)) as escalated_at,
        arg_min(escalation_links.engineering_issue_key, coalesce(escalation_links.linked_at, issues.created_at))
            as engineering_issue_key,
        count(*) as linked_engineering_issues
    from escalation_links
    inner join issues
        on escalation_links.jira_issue_id = issues.jira_issue_id
    group by escalation_links.jira_issue_id
)

select * from final
