-- The monthly SLA mart accounts for every non-spam ticket and every breach exactly once.
{{ config(meta={'dagster': {'ref': {'name': 'fct_sla_monthly'}}}) }}

with monthly as (
    select
        priority,
        sum(tickets) as tickets,
        sum(first_response_breaches) as first_response_breaches,
        sum(resolution_breaches) as resolution_breaches
    from {{ ref('fct_sla_monthly') }}
    group by priority
),

tickets as (
    select
        priority,
        count(*) as tickets,
        count(*) filter (where is_first_response_breached) as first_response_breaches,
        count(*) filter (where is_resolution_breached) as resolution_breaches
    from {{ ref('fct_tickets') }}
    where not is_spam
    group by priority
),

final as (
    select tickets.priority, tickets.tickets, monthly.tickets as monthly_tickets
    from tickets
    full join monthly
        on tickets.priority = monthly.priority
    where tickets.tickets is distinct from monthly.tickets
        or tickets.first_response_breaches is distinct from monthly.first_response_breaches
        or tickets.resolution_breaches is distinct from monthly.resolution_breaches
)

select * from final
