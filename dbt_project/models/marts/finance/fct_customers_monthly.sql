-- Paying customers, their movements and churn rates per month, from fct_mrr_monthly.
with mrr as (
    select * from {{ ref('fct_mrr_monthly') }}
),

months as (
    select month, as_of_at, is_current_month
    from {{ ref('int_finance__months') }}
),

first_month as (
    select min(month) as month from mrr
),

monthly as (
    select
        months.month,
        months.as_of_at,
        months.is_current_month,
        count(mrr.customer_account_id) filter (where mrr.mrr > 0) as paying_customers,
        count(mrr.customer_account_id) filter (where mrr.previous_mrr > 0) as starting_paying_customers,
        count(mrr.customer_account_id) filter (where mrr.movement_type = 'new') as new_customers,
        count(mrr.customer_account_id) filter (where mrr.movement_type = 'reactivation') as reactivated_customers,
        count(mrr.customer_account_id) filter (where mrr.movement_type = 'churn') as churned_customers,
        count(mrr.customer_account_id) filter (where mrr.movement_type = 'expansion') as expanded_customers,
        count(mrr.customer_account_id) filter (where mrr.movement_type = 'contraction') as contracted_customers,
        coalesce(sum(mrr.mrr), 0) as mrr,
        coalesce(sum(mrr.previous_mrr), 0) as starting_mrr,
        coalesce(sum(mrr.mrr_change) filter (where mrr.movement_type = 'new'), 0) as new_mrr,
        coalesce(sum(mrr.mrr_change) filter (where mrr.movement_type = 'expansion'), 0) as expansion_mrr,
        coalesce(sum(mrr.mrr_change) filter (where mrr.movement_type = 'contraction'), 0) as contraction_mrr,
        coalesce(sum(mrr.mrr_change) filter (where mrr.movement_type = 'churn'), 0) as churned_mrr,
        coalesce(sum(mrr.mrr_change) filter (where mrr.movement_type = 'reactivation'), 0) as reactivation_mrr
    from months
    cross join first_month
    left join mrr on months.month = mrr.month
    where months.month >= first_month.month
    group by months.month, months.as_of_at, months.is_current_month
),

final as (
    select
        month,
        as_of_at,
        is_current_month,
        paying_customers,
        starting_paying_customers,
        new_customers,
        reactivated_customers,
        churned_customers,
        expanded_customers,
        contracted_customers,
        cast(mrr as decimal(18, 2)) as mrr,
        cast(12 * mrr as decimal(18, 2)) as arr,
        cast(starting_mrr as decimal(18, 2)) as starting_mrr,
        cast(new_mrr as decimal(18, 2)) as new_mrr,
        cast(expansion_mrr as decimal(18, 2)) as expansion_mrr,
        cast(contraction_mrr as decimal(18, 2)) as contraction_mrr,
        cast(churned_mrr as decimal(18, 2)) as churned_mrr,
        cast(reactivation_mrr as decimal(18, 2)) as reactivation_mrr,
        case when paying_customers > 0 then {{ divide_to_cents('cast(mrr as decimal(38, 2))', 'paying_customers') }} end as arpa,
        case when starting_paying_customers > 0 then churned_customers / starting_paying_customers end as logo_churn_rate,
        case when starting_mrr > 0 then cast(-(churned_mrr + contraction_mrr) / starting_mrr as double) end
            as gross_revenue_churn_rate,
        case when starting_mrr > 0 then cast(-(churned_mrr + contraction_mrr + expansion_mrr) / starting_mrr as double) end
            as net_revenue_churn_rate
    from monthly
)

select * from final
