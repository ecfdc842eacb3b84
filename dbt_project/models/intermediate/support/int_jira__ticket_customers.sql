-- The customer account behind each service-desk ticket, through the identity keys: the reporter's
-- email first (an app user, CRM contact or Stripe billing contact), then the reporter's email domain
-- (never a free-mail domain), then the JSM organisation's name when exactly one account bears that
-- name (JSM organisations are named after the customer's company, and agents put free-mail reporters
-- into their company's organisation by hand). Tickets none of these find keep a null account.
with tickets as (
    select * from {{ ref('int_jira__first_responses') }}
),

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

keys as (
    select * from {{ ref('int_customer_identity__keys') }}
),

accounts as (
    select * from {{ ref('int_customer_identity') }}
),

free_mail as (
    select lower(domain) as domain from {{ ref('free_mail_domains') }}
),

reporters as (
    select
        tickets.jira_issue_id,
        issues.reporter_email,
        nullif(split_part(issues.reporter_email, '@', 2), '') as reporter_email_domain,
        nullif(lower(trim(issues.organisation_name)), '') as organisation_name
    from tickets
    inner join issues
        on tickets.jira_issue_id = issues.jira_issue_id
),

unique_account_names as (
    select lower(trim(account_name)) as account_name, min(customer_account_id) as customer_account_id
    from accounts
    where account_name is not null
    group by lower(trim(account_name))
    having count(*) = 1
),

final as (
    select
        reporters.jira_issue_id,
        reporters.reporter_email_domain,
        free_mail.domain is not null as is_free_mail_reporter,
        coalesce(by_email.customer_account_id, by_domain.customer_account_id, by_name.customer_account_id)
            as customer_account_id,
        case
            when by_email.customer_account_id is not null then 'reporter_email'
            when by_domain.customer_account_id is not null then 'reporter_email_domain'
            when by_name.customer_account_id is not null then 'organisation_name'
        end as customer_match_method
    from reporters
    left join free_mail
        on reporters.reporter_email_domain = free_mail.domain
    left join keys as by_email
        on by_email.key_type = 'email' and reporters.reporter_email = by_email.key_value
    left join keys as by_domain
        on by_domain.key_type = 'domain' and reporters.reporter_email_domain = by_domain.key_value
        and free_mail.domain is null
    left join unique_account_names as by_name
        on reporters.organisation_name = by_name.account_name
)

select * from final
