-- MRR movements per month: for every month and movement type, how many accounts moved and by how
-- much MRR, with the month's starting MRR (the previous month's ending MRR) and ending MRR. Every
-- month has all six movement types (zero when nothing moved), so starting MRR + Σ mrr_change =
-- ending MRR.
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

movement_types as (
    select * from (values
        ('new', 1), ('expansion', 2), ('contraction', 3), ('churn', 4), ('reactivation', 5), ('unchanged', 6)
    ) as movement_types (movement_type, movement_order)
),

month_totals as (
    select
        months.month,
        months.as_of_at,
        months.is_current_month,
        coalesce(sum(mrr.previous_mrr), 0) as starting_mrr,
        coalesce(sum(mrr.mrr), 0) as ending_mrr
    from months
    cross join first_month
    left join mrr on months.month = mrr.month
    where months.month >= first_month.month
    group by months.month, months.as_of_at, months.is_current_month
),

movements as (
    select month, movement_type, count(*) as accounts, sum(mrr_change) as mrr_change
    from mrr
    group by month, movement_type
),

final as (
    select
        strftime(month_totals.month, '%Y-%m') || ':' || movement_types.movement_type as month_movement_id,
        month_totals.month,
        movement_types.movement_type,
        movement_types.movement_order,
        coalesce(movements.accounts, 0) as accounts,
        cast(coalesce(movements.mrr_change, 0) as decimal(18, 2)) as mrr_change,
        cast(month_totals.starting_mrr as decimal(18, 2)) as starting_mrr,
        cast(month_totals.ending_mrr as decimal(18, 2)) as ending_mrr,
        cast(12 * month_totals.ending_mrr as decimal(18, 2)) as ending_arr,
        month_totals.as_of_at,
        month_totals.is_current_month
    from month_totals
    cross join movement_types
    left join movements
        on month_totals.month = movements.month
        and movement_types.movement_type = movements.movement_type
)

select * from final
