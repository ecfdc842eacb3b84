-- MRR per customer account and month, with the month's movement (dbt-labs/mrr-playbook,
-- fivetran/dbt_stripe): from the account's first paid month through the first month its MRR is
-- zero again (churn), and again from a reactivation.
with spine as (
    select * from {{ ref('int_finance__customer_month_spine') }}
),

sequenced as (
    select
        spine.*,
        coalesce(lag(mrr) over account_months, 0) as previous_mrr,
        coalesce(bool_or(mrr > 0) over (
            partition by customer_account_id order by month rows between unbounded preceding and 1 preceding
        ), false) as paid_before
    from spine
    window account_months as (partition by customer_account_id order by month)
),

classified as (
    select
        sequenced.*,
        case
            when mrr > 0 and previous_mrr = 0 and not paid_before then 'new'
            when mrr > 0 and previous_mrr = 0 then 'reactivation'
            when mrr = 0 and previous_mrr > 0 then 'churn'
            when mrr > previous_mrr then 'expansion'
            when mrr < previous_mrr then 'contraction'
            when mrr > 0 then 'unchanged'
        end as movement_type
    from sequenced
),

final as (
    select
        customer_account_id || ':' || strftime(month, '%Y-%m') as account_month_id,
        month,
        customer_account_id,
        stripe_customer_id,
        as_of_at,
        is_current_month,
        cast(mrr as decimal(18, 2)) as mrr,
        cast(previous_mrr as decimal(18, 2)) as previous_mrr,
        cast(mrr - previous_mrr as decimal(18, 2)) as mrr_change,
        movement_type,
        cast(12 * mrr as decimal(18, 2)) as arr,
        cast(mrr_before_discounts as decimal(18, 2)) as mrr_before_discounts,
        cast(mrr_before_discounts - mrr as decimal(18, 2)) as discount_mrr,
        paying_subscriptions,
        first_paid_month as cohort_month
    from classified
    where movement_type is not null
)

select * from final
