-- MRR this month and its movements: accounts and MRR moved by type, with starting and ending MRR
-- The month is the last Stripe sync's month (finance.fct_mrr_movements_monthly, is_current_month);
-- starting MRR + the sum of mrr_change = ending MRR. Amounts in USD.
select
    strftime(month, '%Y-%m') as month,
    movement_type,
    accounts,
    mrr_change,
    starting_mrr,
    ending_mrr,
    ending_arr
from finance.fct_mrr_movements_monthly
where is_current_month
order by movement_order
