-- Each account-day with a live subscription gets exactly one score, and nothing else is scored: the
-- component joins may neither drop nor add rows.
with expected as (
    select customer_account_id, date from {{ ref('int_health__account_days') }}
),

scored as (
    select customer_account_id, date from {{ ref('fct_health_daily') }}
),

missing as (
    select * from expected
    except all
    select * from scored
),

extra as (
    select * from scored
    except all
    select * from expected
),

final as (
    select 'missing' as problem, * from missing
    union all
    select 'extra' as problem, * from extra
)

select * from final
