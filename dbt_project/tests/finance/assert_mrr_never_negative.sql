-- No subscription and no account ever has negative MRR (discounts stop at the price).
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_mrr_monthly'}}}) }}

with subscriptions as (
    select 'subscription' as level, stripe_subscription_id as id, month, mrr
    from {{ ref('int_finance__subscription_mrr_monthly') }}
    where mrr < 0
),

accounts as (
    select 'account' as level, customer_account_id as id, month, mrr
    from {{ ref('fct_mrr_monthly') }}
    where mrr < 0
),

final as (
    select * from subscriptions
    union all
    select * from accounts
)

select * from final
