-- One row per CRM contact (a lead) with the campaign of its HubSpot first touch and how far it went in
-- the funnel: associated with a deal (an opportunity) and with a won deal. A contact only counts for a
-- deal it could have influenced: one that was still open, or closed no earlier than the contact's
-- creation (people added to a customer's deals long after the win are not converted leads).
with touchpoints as (
    select * from {{ ref('int_attribution__touchpoints') }}
    where touch_type = 'crm_first_touch'
),

deals as (
    select * from {{ ref('stg_hubspot__deals') }}
),

deal_contacts as (
    select distinct
        from_object_id as hubspot_contact_id,
        to_object_id as hubspot_deal_id
    from {{ ref('stg_hubspot__associations') }}
    where from_object_type = 'contacts'
        and to_object_type = 'deals'
),

contact_deals as (
    select
        touchpoints.hubspot_contact_id,
        deals.is_closed_won
    from touchpoints
    inner join deal_contacts
        on touchpoints.hubspot_contact_id = deal_contacts.hubspot_contact_id
    inner join deals
        on deal_contacts.hubspot_deal_id = deals.hubspot_deal_id
    where not deals.is_closed
        or deals.close_date is null
        or deals.close_date >= touchpoints.touched_at
),

funnel as (
    select
        hubspot_contact_id,
        true as has_opportunity,
        bool_or(is_closed_won) as is_won
    from contact_deals
    group by hubspot_contact_id
),

final as (
    select
        touchpoints.hubspot_contact_id,
        touchpoints.touched_at as created_at,
        touchpoints.channel,
        touchpoints.utm_campaign,
        coalesce(funnel.has_opportunity, false) as has_opportunity,
        coalesce(funnel.is_won, false) as is_won
    from touchpoints
    left join funnel
        on touchpoints.hubspot_contact_id = funnel.hubspot_contact_id
)

select * from final
