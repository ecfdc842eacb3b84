-- dim_customers is the identity's account list, no more and no less.
with identity as (
    select customer_account_id from {{ ref('int_customer_identity') }}
),

customers as (
    select customer_account_id from {{ ref('dim_customers') }}
),

missing as (
    select * from identity
    except all
    select * from customers
),

extra as (
    select * from customers
    except all
    select * from identity
),

final as (
    select 'missing' as problem, * from missing
    union all
    select 'extra' as problem, * from extra
)

select * from final
