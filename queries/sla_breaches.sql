-- SLA breaches: support tickets created this month or last that breached a first-response or resolution goal
-- "This month" is the last Jira sync's month; goals per priority as in docs/marts.md (support.fct_tickets).
-- Breach flags are true as soon as the clock passed the goal, also for tickets still open.
select
    t.issue_key,
    t.priority,
    t.status,
    t.created_at,
    t.is_first_response_breached as first_response_breached,
    t.is_resolution_breached as resolution_breached,
    round(t.first_response_seconds / 3600, 1) as first_response_hours,
    round(t.resolution_seconds / 3600, 1) as resolution_hours,
    c.account_name,
    t.is_escalated
from support.fct_tickets as t
left join customer_health.dim_customers as c using (customer_account_id)
where (t.is_first_response_breached or t.is_resolution_breached)
    and not t.is_spam
    and t.created_at >= (select max(month_start) - interval 1 month from support.fct_sla_monthly where is_current_month)
order by t.created_at desc, t.issue_key
