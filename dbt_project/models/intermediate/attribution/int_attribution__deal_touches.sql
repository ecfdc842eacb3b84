-- The journey of each won deal: the touches of the deal's contacts from the lookback start (365 days
-- before the close by default) up to the close, each interaction once (a meeting two of the deal's
-- contacts attended is one touch), numbered in time order. A deal without any such touch gets one
-- `unattributed` touch at its creation, so its revenue is never lost.
with conversions as (
    select * from {{ ref('int_attribution__conversions') }}
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

eligible as (
    select
        conversions.hubspot_deal_id,
        conversions.closed_at,
        touchpoints.touchpoint_id,
        touchpoints.interaction_id,
        touchpoints.hubspot_contact_id,
        touchpoints.touched_at,
        touchpoints.touch_type,
        touchpoints.meeting_type,
        touchpoints.channel,
        touchpoints.utm_source,
        touchpoints.utm_medium,
        touchpoints.utm_campaign
    from conversions
    inner join deal_contacts
        on conversions.hubspot_deal_id = deal_contacts.hubspot_deal_id
    inner join touchpoints
        on deal_contacts.hubspot_contact_id = touchpoints.hubspot_contact_id
    where touchpoints.touched_at <= conversions.closed_at
        and touchpoints.touched_at >= conversions.closed_at - interval {{ var('attribution_lookback_days', 365) }} day
    qualify row_number() over (
        partition by conversions.hubspot_deal_id, touchpoints.interaction_id
        order by touchpoints.touchpoint_id
    ) = 1
),

attributed_deals as (
    select distinct hubspot_deal_id from eligible
),

unattributed as (
    select
        conversions.hubspot_deal_id,
        conversions.closed_at,
        'unattributed:' || conversions.hubspot_deal_id as touchpoint_id,
        'unattributed:' || conversions.hubspot_deal_id as interaction_id,
        cast(null as varchar) as hubspot_contact_id,
        least(conversions.created_at, conversions.closed_at) as touched_at,
        'unattributed' as touch_type,
        cast(null as varchar) as meeting_type,
        'unattributed' as channel,
        cast(null as varchar) as utm_source,
        cast(null as varchar) as utm_medium,
        cast(null as varchar) as utm_campaign
    from conversions
    left join attributed_deals
        on conversions.hubspot_deal_id = attributed_deals.hubspot_deal_id
    where attributed_deals.hubspot_deal_id is null
),

journeys as (
    select * from eligible
    union all
    select * from unattributed
),

final as (
    select
        hubspot_deal_id,
        touchpoint_id,
        hubspot_contact_id,
        touched_at,
        closed_at,
        touch_type,
        meeting_type,
        channel,
        utm_source,
        utm_medium,
        utm_campaign,
        -- ties in time are ordered by the touchpoint id, so first and last are always one touch each
        cast(row_number() over (partition by hubspot_deal_id order by touched_at, touchpoint_id) as integer) as touch_number,
        cast(count(*) over (partition by hubspot_deal_id) as integer) as touch_count,
        date_diff('millisecond', touched_at, closed_at) / 86400000.0 as days_before_close
    from journeys
)

select * from final
