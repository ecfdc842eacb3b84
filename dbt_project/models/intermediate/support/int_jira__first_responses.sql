-- One row per service-desk ticket: its first response, defined as the first time anyone moves the
-- ticket out of the status it was created in (Open → In Progress when an agent picks it up). Jira
-- comments are not loaded, and on our desk only an agent can move a ticket out of Open, so this is
-- the moment the customer first hears from a person (JSM's "time to first response" stop event).
with intervals as (
    select * from {{ ref('int_jira__issue_status_intervals') }}
),

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

projects as (
    select * from {{ ref('stg_jira__projects') }}
),

users as (
    select * from {{ ref('stg_jira__users') }}
),

tickets as (
    select issues.jira_issue_id, issues.created_at
    from issues
    inner join projects
        on issues.jira_project_id = projects.jira_project_id
    where projects.project_type = 'service_desk'
),

initial_status as (
    select jira_issue_id, status
    from intervals
    where interval_number = 1
),

first_move as (
    select jira_issue_id, status, entered_at, entered_by_account_id
    from intervals
    where interval_number = 2
),

final as (
    select
        tickets.jira_issue_id,
        initial_status.status as initial_status,
        first_move.entered_at as first_response_at,
        first_move.status as first_response_status,
        first_move.entered_by_account_id as first_responder_account_id,
        users.account_type as first_responder_account_type,
        (epoch_ms(first_move.entered_at) - epoch_ms(tickets.created_at)) / 1000.0 as first_response_seconds
    from tickets
    inner join initial_status
        on tickets.jira_issue_id = initial_status.jira_issue_id
    left join first_move
        on tickets.jira_issue_id = first_move.jira_issue_id
    left join users
        on first_move.entered_by_account_id = users.jira_account_id
)

select * from final
