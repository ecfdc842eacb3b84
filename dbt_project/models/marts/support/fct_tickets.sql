-- One row per support ticket (service-desk issue) with its customer, SLA facts and time in status.
with tickets as (
    select * from {{ ref('int_jira__first_responses') }}
),

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

sla as (
    select * from {{ ref('int_jira__ticket_sla') }}
),

customers as (
    select * from {{ ref('int_jira__ticket_customers') }}
),

status_summary as (
    select * from {{ ref('int_jira__issue_status_summary') }}
),

escalations as (
    select * from {{ ref('int_jira__ticket_escalations') }}
),

final as (
    select
        issues.jira_issue_id,
        issues.issue_key,
        customers.customer_account_id,
        customers.customer_match_method,
        customers.reporter_email_domain,
        {{ pseudonymise('issues.reporter_email') }} as reporter_key,
        customers.is_free_mail_reporter,
        issues.jira_organisation_id,
        issues.organisation_name,
        issues.priority,
        issues.issue_type,
        issues.request_type,
        issues.status,
        issues.status_category,
        issues.resolution,
        issues.status_category <> 'done' as is_open,
        coalesce(list_contains(issues.labels, 'spam'), false) as is_spam,
        issues.assignee_account_id,
        issues.created_at,
        issues.resolved_at,
        tickets.first_response_at,
        tickets.first_responder_account_type,
        sla.first_response_seconds,
        sla.first_resolved_at,
        sla.resolution_seconds,
        sla.waiting_for_customer_seconds,
        sla.first_response_goal_seconds,
        sla.resolution_goal_seconds,
        sla.is_first_response_breached,
        sla.is_resolution_breached,
        status_summary.seconds_in_to_do,
        status_summary.seconds_in_progress,
        status_summary.seconds_in_done,
        cast(status_summary.reopened_count as integer) as reopened_count,
        escalations.jira_issue_id is not null as is_escalated,
        escalations.escalated_at,
        escalations.engineering_issue_key,
        cast(coalesce(escalations.linked_engineering_issues, 0) as integer) as linked_engineering_issues
    from tickets
    inner join issues
        on tickets.jira_issue_id = issues.jira_issue_id
    inner join sla
        on tickets.jira_issue_id = sla.jira_issue_id
    inner join customers
        on tickets.jira_issue_id = customers.jira_issue_id
    inner join status_summary
        on tickets.jira_issue_id = status_summary.jira_issue_id
    left join escalations
        on tickets.jira_issue_id = escalations.jira_issue_id
)

select * from final
