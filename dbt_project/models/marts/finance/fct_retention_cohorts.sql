-- Retention of each cohort (the accounts whose first paid month it is) in every month since.
with spine as (
    select * from {{ ref('int_finance__customer_month_spine') }}
),

cohort_start as (
    select customer_account_id, mrr as starting_mrr
    from spine
    where month = first_paid_month
),

account_months as (
    select
        spine.first_paid_month as cohort_month,
        spine.month,
        spine.is_current_month,
        datediff('month', spine.first_paid_month, spine.month) as months_since_start,
        spine.customer_account_id,
        spine.mrr,
        cohort_start.starting_mrr
    from spine
    inner join cohort_start on spine.customer_account_id = cohort_start.customer_account_id
),

cohorts as (
    select
        cohort_month,
        month,
        months_since_start,
        any_value(is_current_month) as is_current_month,
        count(*) as cohort_customers,
        sum(starting_mrr) as cohort_starting_mrr,
        count(*) filter (where mrr > 0) as customers_retained,
        sum(mrr) as mrr_retained,
        sum(least(mrr, starting_mrr)) as mrr_retained_without_expansion
    from account_months
    group by cohort_month, month, months_since_start
),

final as (
    select
        strftime(cohort_month, '%Y-%m') || ':' || months_since_start as cohort_month_id,
        cohort_month,
        month,
        months_since_start,
        is_current_month,
        cohort_customers,
        customers_retained,
        cast(cohort_starting_mrr as decimal(18, 2)) as cohort_starting_mrr,
        cast(mrr_retained as decimal(18, 2)) as mrr_retained,
        cast(mrr_retained_without_expansion as decimal(18, 2)) as mrr_retained_without_expansion,
        customers_retained / cohort_customers as customer_retention_rate,
        case when cohort_starting_mrr > 0 then cast(mrr_retained_without_expansion / cohort_starting_mrr as double) end
            as gross_revenue_retention,
        case when cohort_starting_mrr > 0 then cast(mrr_retained / cohort_starting_mrr as double) end
            as net_revenue_retention
    from cohorts
)

select * from final
