-- SLA performance by the month a ticket was created (UTC) and its current priority. Spam is left out.
with tickets as (
    select * from {{ ref('fct_tickets') }}
    where not is_spam
),

sync_time as (
    select * from {{ ref('int_jira__sync_time') }}
),

bounds as (
    select
        date_trunc('month', min(tickets.created_at)) as first_month,
        date_trunc('month', max(sync_time.synced_at)) as last_month
    from tickets
    cross join sync_time
),

months as (
    select cast(unnest(generate_series(first_month, last_month, interval 1 month)) as date) as month_start
    from bounds
),

priorities as (
    select distinct priority from tickets
),

monthly as (
    select
        cast(date_trunc('month', created_at) as date) as month_start,
        priority,
        count(*) as tickets,
        count(is_first_response_breached) as first_response_decided,
        count(*) filter (where is_first_response_breached) as first_response_breaches,
        count(is_resolution_breached) as resolution_decided,
        count(*) filter (where is_resolution_breached) as resolution_breaches,
        count(*) filter (where is_first_response_breached or is_resolution_breached) as tickets_breached,
        count(*) filter (where is_escalated) as escalated_tickets,
        median(first_response_seconds) as median_first_response_seconds,
        quantile_cont(first_response_seconds, 0.9) as p90_first_response_seconds,
        median(resolution_seconds) as median_resolution_seconds,
        quantile_cont(resolution_seconds, 0.9) as p90_resolution_seconds
    from tickets
    group by all
),

final as (
    select
        months.month_start,
        priorities.priority,
        cast(coalesce(monthly.tickets, 0) as integer) as tickets,
        cast(coalesce(monthly.first_response_decided, 0) as integer) as first_response_decided,
        cast(coalesce(monthly.first_response_breaches, 0) as integer) as first_response_breaches,
        cast(monthly.first_response_breaches / nullif(monthly.first_response_decided, 0) as double)
            as first_response_breach_rate,
        cast(coalesce(monthly.resolution_decided, 0) as integer) as resolution_decided,
        cast(coalesce(monthly.resolution_breaches, 0) as integer) as resolution_breaches,
        cast(monthly.resolution_breaches / nullif(monthly.resolution_decided, 0) as double) as resolution_breach_rate,
        cast(coalesce(monthly.tickets_breached, 0) as integer) as tickets_breached,
        cast(coalesce(monthly.escalated_tickets, 0) as integer) as escalated_tickets,
        monthly.median_first_response_seconds,
        monthly.p90_first_response_seconds,
        monthly.median_resolution_seconds,
        monthly.p90_resolution_seconds,
        months.month_start = cast(date_trunc('month', sync_time.synced_at) as date) as is_current_month
    from months
    cross join priorities
    cross join sync_time
    left join monthly
        on months.month_start = monthly.month_start and priorities.priority = monthly.priority
)

select * from final
