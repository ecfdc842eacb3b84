-- What each licensed subscription item held over time, rebuilt from invoice lines (Stripe keeps only
-- a subscription's current items). An item (`si_…`, which survives price and quantity changes) holds
-- a price × quantity:
--   from the start of every trial or period line that bills it (each renewal restates every item);
--   from a mid-period change on, as its proration debit ("Remaining time on …") says;
-- and is gone from a change on when it has a proration credit ("Unused time on …") and no debit in
-- that invoice. Consecutive lines stating the same price and quantity make one state. The state an
-- item had when its subscription ended stays open (Stripe keeps the items of a canceled
-- subscription; the status says it no longer bills). Metered items are not here: they never count
-- in MRR.
with lines as (
    select * from {{ ref('int_stripe__recurring_invoice_lines') }}
),

debits as (
    select stripe_invoice_id, stripe_subscription_item_id
    from lines
    where line_kind = 'proration_debit'
),

events as (
    select distinct
        stripe_subscription_item_id,
        stripe_subscription_id,
        period_start_at as changed_at,
        'set' as action,
        stripe_price_id,
        quantity,
        unit_amount,
        currency,
        recurring_interval,
        recurring_interval_count
    from lines
    where line_kind in ('trial', 'period', 'proration_debit')

    union all

    select distinct
        lines.stripe_subscription_item_id,
        lines.stripe_subscription_id,
        lines.period_start_at as changed_at,
        'remove' as action,
        null as stripe_price_id,
        null as quantity,
        null as unit_amount,
        null as currency,
        null as recurring_interval,
        null as recurring_interval_count
    from lines
    left join debits
        on lines.stripe_invoice_id = debits.stripe_invoice_id
        and lines.stripe_subscription_item_id = debits.stripe_subscription_item_id
    where lines.line_kind = 'proration_credit'
        and debits.stripe_invoice_id is null
),

sequenced as (
    select
        events.*,
        case
            when action = 'remove' then true
            when lag(action) over item_order is distinct from 'set' then true
            when lag(stripe_price_id) over item_order is distinct from stripe_price_id then true
            when lag(quantity) over item_order is distinct from quantity then true
            else false
        end as starts_state
    from events
    window item_order as (partition by stripe_subscription_item_id order by changed_at, action desc)
),

numbered as (
    select
        sequenced.*,
        sum(case when starts_state then 1 else 0 end) over (
            partition by stripe_subscription_item_id order by changed_at, action desc
            rows between unbounded preceding and current row
        ) as state_number
    from sequenced
),

states as (
    select
        stripe_subscription_item_id,
        state_number,
        any_value(stripe_subscription_id) as stripe_subscription_id,
        any_value(action) as action,
        min(changed_at) as valid_from,
        any_value(stripe_price_id) as stripe_price_id,
        any_value(quantity) as quantity,
        any_value(unit_amount) as unit_amount,
        any_value(currency) as currency,
        any_value(recurring_interval) as recurring_interval,
        any_value(recurring_interval_count) as recurring_interval_count
    from numbered
    group by stripe_subscription_item_id, state_number
),

bounded as (
    select
        states.*,
        lead(valid_from) over (partition by stripe_subscription_item_id order by valid_from) as valid_to
    from states
),

final as (
    select
        stripe_subscription_item_id || ':' || strftime(valid_from, '%Y%m%d%H%M%S') as item_state_id,
        stripe_subscription_item_id,
        stripe_subscription_id,
        stripe_price_id,
        quantity,
        unit_amount,
        cast(quantity * unit_amount as decimal(18, 2)) as amount_per_period,
        currency,
        recurring_interval,
        recurring_interval_count,
        valid_from,
        valid_to,
        valid_to is null as is_current
    from bounded
    where action = 'set'
)

select * from final
