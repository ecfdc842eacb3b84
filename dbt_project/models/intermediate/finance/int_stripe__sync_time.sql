-- Stripe's clock at the latest sync: the `Date` of Stripe's first answer in the newest sync that
-- loaded anything. "Now" for billing data: the current month's MRR is measured at this instant,
-- never at the machine's clock, so a rebuild without a new sync changes nothing.
with syncs as (
    select synced_at from {{ ref('stg_stripe__syncs') }}
),

final as (
    select max(synced_at) as synced_at
    from syncs
)

select * from final
