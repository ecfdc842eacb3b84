-- One row per marketing campaign key (`utm_campaign`, lower case) with its channel, source and medium.
-- The spend sheet is marketing's list of campaigns and wins; keys it lacks come from the CRM contacts'
-- UTM fields (channel from their HubSpot original source), then from PenguinMails' own outreach
-- campaigns in the app (always email).
with spend as (
    select * from {{ ref('stg_google__marketing_spend') }}
),

contacts as (
    select * from {{ ref('stg_hubspot__contacts') }}
),

app_campaigns as (
    select * from {{ ref('stg_app__campaigns') }}
),

analytics_sources as (
    select * from {{ ref('hubspot_analytics_sources') }}
),

from_sheet as (
    select
        lower(trim(campaign)) as utm_campaign,
        channel,
        utm_source,
        utm_medium,
        1 as priority,
        month as seen_at
    from spend
),

from_contacts as (
    select
        lower(trim(contacts.utm_campaign)) as utm_campaign,
        coalesce(analytics_sources.channel, 'other') as channel,
        nullif(lower(trim(contacts.utm_source)), '') as utm_source,
        nullif(lower(trim(contacts.utm_medium)), '') as utm_medium,
        2 as priority,
        contacts.created_at as seen_at
    from contacts
    left join analytics_sources
        on upper(contacts.analytics_source) = analytics_sources.analytics_source
    where nullif(trim(contacts.utm_campaign), '') is not null
),

from_app as (
    select
        lower(trim(utm_campaign)) as utm_campaign,
        'email' as channel,
        cast(null as varchar) as utm_source,
        cast(null as varchar) as utm_medium,
        3 as priority,
        created_at as seen_at
    from app_campaigns
    where tenant_id = {{ var('penguinmails_tenant_id') }}
        and nullif(trim(utm_campaign), '') is not null
),

candidates as (
    select * from from_sheet
    union all
    select * from from_contacts
    union all
    select * from from_app
),

final as (
    select
        utm_campaign,
        channel,
        utm_source,
        utm_medium,
        case priority when 1 then 'spend_sheet' when 2 then 'hubspot_contacts' else 'app_campaigns' end as described_by
    from candidates
    -- the best source, and within it the latest row (a campaign re-labelled in the sheet takes its new channel)
    qualify row_number() over (partition by utm_campaign order by priority, seen_at desc, channel) = 1
)

select * from final
