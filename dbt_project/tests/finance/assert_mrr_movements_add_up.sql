-- For every month: Σ of the movements' MRR change = MRR(month) − MRR(previous month), computed from
-- fct_mrr_monthly itself (not from the movements' own starting/ending columns), and the movements
-- mart's starting MRR is the previous month's ending MRR. Rows returned are months that do not add up.
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_mrr_movements_monthly'}}}) }}

with mrr as (
    select month, sum(mrr) as mrr, sum(mrr_change) as mrr_change
    from {{ ref('fct_mrr_monthly') }}
    group by month
),

movements as (
    select month, sum(mrr_change) as mrr_change, any_value(starting_mrr) as starting_mrr, any_value(ending_mrr) as ending_mrr
    from {{ ref('fct_mrr_movements_monthly') }}
    group by month
),

compared as (
    select
        movements.month,
        movements.mrr_change,
        movements.starting_mrr,
        movements.ending_mrr,
        coalesce(mrr.mrr, 0) as mrr,
        coalesce(lag(mrr.mrr) over (order by movements.month), 0) as previous_month_mrr,
        lag(movements.ending_mrr) over (order by movements.month) as previous_ending_mrr,
        coalesce(mrr.mrr_change, 0) as account_mrr_change
    from movements
    left join mrr on movements.month = mrr.month
)

select *
from compared
where mrr_change <> mrr - previous_month_mrr
    or mrr_change <> account_mrr_change
    or ending_mrr <> mrr
    or starting_mrr <> coalesce(previous_ending_mrr, 0)
