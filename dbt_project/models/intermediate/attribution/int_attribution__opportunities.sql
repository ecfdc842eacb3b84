-- One row per live HubSpot deal (an opportunity) with the campaign that sourced it: the first touch of
-- the deal's contacts from the lookback start (365 days) up to the deal's creation, ties in time broken
-- by the touchpoint id as in the first-touch model. A deal without such a touch is `unattributed`.
with deals as (
    select * from {{ ref('stg_hubspot__deals') }}
),

touchpoints as (
    select * from {{ ref('int_attribution__touchpoints') }}
),

deal_contacts as (
    select distinct
        from_object_id as hubspot_deal_id,
        to_object_id as hubspot_contact_id
    from {{ ref('stg_hubspot__associations') }}
    where from_object_type = 'deals'
        and to_object_type = 'contacts'
),

sourcing_touches as (
    select
        deals.hubspot_deal_id,
        touchpoints.touchpoint_id,
        touchpoints.channel,
        touchpoints.utm_campaign
    from deals
    inner join deal_contacts
        on deals.hubspot_deal_id = deal_contacts.hubspot_deal_id
    inner join touchpoints
        on deal_contacts.hubspot_contact_id = touchpoints.hubspot_contact_id
    where touchpoints.touched_at <= deals.created_at
        and touchpoints.touched_at >= deals.created_at - interval {{ var('attribution_lookback_days', 365) }} day
    qualify row_number() over (
        partition by deals.hubspot_deal_id
        order by touchpoints.touched_at, touchpoints.touchpoint_id
    ) = 1
),

final as (
    select
        deals.hubspot_deal_id,
        deals.pipeline_id,
        deals.deal_type,
        deals.created_at,
        deals.is_closed,
        deals.is_closed_won,
        coalesce(deals.amount_usd, 0) as amount_usd,
        sourcing_touches.touchpoint_id as sourcing_touchpoint_id,
        coalesce(sourcing_touches.channel, 'unattributed') as channel,
        sourcing_touches.utm_campaign
    from deals
    left join sourcing_touches
        on deals.hubspot_deal_id = sourcing_touches.hubspot_deal_id
)

select * from final
