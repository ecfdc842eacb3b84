-- The months finance reports on, from the month of the first Stripe subscription to the month of the
-- latest Stripe sync, each with the instant its MRR is measured at (`as_of_at`): the end of the
-- month's last day (UTC) — the last microsecond before the next month — or, for the current,
-- unfinished month, the latest sync (so its row answers "what is our MRR now").
with subscriptions as (
    select created_at from {{ ref('stg_stripe__subscriptions') }}
),

sync_time as (
    select synced_at from {{ ref('int_stripe__sync_time') }}
),

bounds as (
    select
        date_trunc('month', min(subscriptions.created_at)) as first_month,
        date_trunc('month', any_value(sync_time.synced_at)) as last_month,
        any_value(sync_time.synced_at) as synced_at
    from subscriptions
    cross join sync_time
),

months as (
    select cast(unnest(generate_series(first_month, last_month, interval 1 month)) as date) as month, synced_at
    from bounds
),

final as (
    select
        month,
        cast(month + interval 1 month as timestamp) as month_end_at,
        case
            when month = date_trunc('month', synced_at) then synced_at
            else cast(month + interval 1 month as timestamp) - interval 1 microsecond
        end as as_of_at,
        month = date_trunc('month', synced_at) as is_current_month
    from months
)

select * from final
