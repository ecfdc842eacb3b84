-- One row per customer account and month, from the account's first month with MRR (at the month's
-- measuring instant) through the current month, with the account's MRR that month: the sum over its
-- Stripe customers' subscriptions (each rounded to the cent), 0 when none counts. The grid the MRR
-- movements, customer counts and cohorts are computed on: a churned account keeps its rows (MRR 0).
with subscription_mrr as (
    select * from {{ ref('int_finance__subscription_mrr_monthly') }}
),

months as (
    select month, as_of_at, is_current_month from {{ ref('int_finance__months') }}
),

accounts as (
    select customer_account_id, stripe_customer_id
    from {{ ref('int_customer_identity') }}
),

account_mrr as (
    select
        customer_account_id,
        month,
        sum(mrr) as mrr,
        sum(mrr_before_discounts) as mrr_before_discounts,
        count(*) filter (where mrr > 0) as paying_subscriptions
    from subscription_mrr
    group by customer_account_id, month
),

first_paid as (
    select customer_account_id, min(month) as first_paid_month
    from account_mrr
    where mrr > 0
    group by customer_account_id
),

final as (
    select
        months.month,
        first_paid.customer_account_id,
        accounts.stripe_customer_id,
        months.as_of_at,
        months.is_current_month,
        first_paid.first_paid_month,
        cast(coalesce(account_mrr.mrr, 0) as decimal(18, 2)) as mrr,
        cast(coalesce(account_mrr.mrr_before_discounts, 0) as decimal(18, 2)) as mrr_before_discounts,
        coalesce(account_mrr.paying_subscriptions, 0) as paying_subscriptions
    from first_paid
    inner join months on months.month >= first_paid.first_paid_month
    left join accounts on first_paid.customer_account_id = accounts.customer_account_id
    left join account_mrr
        on first_paid.customer_account_id = account_mrr.customer_account_id
        and months.month = account_mrr.month
)

select * from final
