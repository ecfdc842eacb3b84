-- The subscription history rebuilt from invoices must end where Stripe is now: for every subscription
-- that has not ended, the licensed items open at the latest sync (price × quantity per `si_…`) are the
-- items Stripe lists, and the rebuilt status is Stripe's status.
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'int_stripe__subscription_item_states'}}}) }}

with subscriptions as (
    select stripe_subscription_id, status
    from {{ ref('stg_stripe__subscriptions') }}
    where ended_at is null
),

stripe_items as (
    select items.stripe_subscription_id, items.stripe_subscription_item_id, items.stripe_price_id, items.quantity
    from {{ ref('stg_stripe__subscription_items') }} as items
    inner join subscriptions on items.stripe_subscription_id = subscriptions.stripe_subscription_id
    where items.usage_type = 'licensed'
),

rebuilt_items as (
    select states.stripe_subscription_id, states.stripe_subscription_item_id, states.stripe_price_id, states.quantity
    from {{ ref('int_stripe__subscription_item_states') }} as states
    inner join subscriptions on states.stripe_subscription_id = subscriptions.stripe_subscription_id
    where states.is_current
),

only_in_stripe as (
    select * from stripe_items
    except
    select * from rebuilt_items
),

only_rebuilt as (
    select * from rebuilt_items
    except
    select * from stripe_items
),

item_differences as (
    select 'only in Stripe' as difference, * from only_in_stripe
    union all
    select 'only rebuilt' as difference, * from only_rebuilt
),

status_differences as (
    select
        'status ' || subscriptions.status || ' rebuilt as ' || coalesce(statuses.status, 'nothing') as difference,
        subscriptions.stripe_subscription_id,
        null as stripe_subscription_item_id,
        null as stripe_price_id,
        null as quantity
    from subscriptions
    left join {{ ref('int_stripe__subscription_statuses') }} as statuses
        on subscriptions.stripe_subscription_id = statuses.stripe_subscription_id
        and statuses.is_current
    where statuses.status is distinct from subscriptions.status
),

final as (
    select * from item_differences
    union all
    select * from status_differences
)

select * from final
