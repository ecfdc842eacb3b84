-- One row per CRM contact and touch: the contact's HubSpot first touch (original source + UTM at its
-- creation), clicks on and replies to PenguinMails' own outreach emails (app DB), and the meetings the
-- contact attended (Google Calendar). GA4 is aggregate (no person) and feeds campaign performance only.
with contacts as (
    select * from {{ ref('stg_hubspot__contacts') }}
),

campaigns as (
    select * from {{ ref('int_attribution__campaigns') }}
),

analytics_sources as (
    select * from {{ ref('hubspot_analytics_sources') }}
),

own_campaigns as (
    select
        campaign_id,
        lower(trim(utm_campaign)) as utm_campaign
    from {{ ref('stg_app__campaigns') }}
    where tenant_id = {{ var('penguinmails_tenant_id') }}
        and nullif(trim(utm_campaign), '') is not null
),

campaign_events as (
    select * from {{ ref('stg_app__campaign_events') }}
    where event_type in ('clicked', 'replied')
),

calendar_events as (
    select * from {{ ref('stg_google__calendar_events') }}
),

calendar_attendees as (
    select * from {{ ref('stg_google__calendar_attendees') }}
),

-- the calendar's high-water mark: meetings that start later have not happened yet
calendar_sync as (
    select max(updated_at) as synced_at from calendar_events
),

crm_first_touches as (
    select
        'hubspot_contact:' || contacts.hubspot_contact_id as touchpoint_id,
        'hubspot_contact:' || contacts.hubspot_contact_id as interaction_id,
        contacts.hubspot_contact_id,
        contacts.created_at as touched_at,
        'crm_first_touch' as touch_type,
        cast(null as varchar) as meeting_type,
        coalesce(campaigns.channel, analytics_sources.channel, 'other') as channel,
        upper(contacts.analytics_source) as analytics_source,
        nullif(lower(trim(contacts.utm_source)), '') as utm_source,
        nullif(lower(trim(contacts.utm_medium)), '') as utm_medium,
        nullif(lower(trim(contacts.utm_campaign)), '') as utm_campaign
    from contacts
    left join analytics_sources
        on upper(contacts.analytics_source) = analytics_sources.analytics_source
    left join campaigns
        on lower(trim(contacts.utm_campaign)) = campaigns.utm_campaign
    where contacts.created_at is not null
),

email_touches as (
    select
        'campaign_event:' || cast(campaign_events.campaign_event_id as varchar)
            || ':' || contacts.hubspot_contact_id as touchpoint_id,
        'campaign_event:' || cast(campaign_events.campaign_event_id as varchar) as interaction_id,
        contacts.hubspot_contact_id,
        campaign_events.occurred_at as touched_at,
        case campaign_events.event_type when 'clicked' then 'email_click' else 'email_reply' end as touch_type,
        cast(null as varchar) as meeting_type,
        coalesce(campaigns.channel, 'email') as channel,
        cast(null as varchar) as analytics_source,
        campaigns.utm_source,
        campaigns.utm_medium,
        own_campaigns.utm_campaign
    from campaign_events
    inner join own_campaigns
        on campaign_events.campaign_id = own_campaigns.campaign_id
    inner join contacts
        on campaign_events.recipient_email = contacts.email
    left join campaigns
        on own_campaigns.utm_campaign = campaigns.utm_campaign
    where campaign_events.occurred_at is not null
),

meetings as (
    select
        calendar_events.calendar_id,
        calendar_events.calendar_event_id,
        calendar_events.starts_at,
        case
            when lower(calendar_events.event_title) like '%demo%' then 'demo'
            when lower(calendar_events.event_title) like 'intro call%' then 'intro_call'
            when lower(calendar_events.event_title) like '%plan review%' then 'expansion_review'
            when lower(calendar_events.event_title) like 'follow-up%' then 'follow_up'
            when lower(calendar_events.event_title) like '%onboarding%' then 'onboarding'
            when regexp_matches(lower(calendar_events.event_title), '\bqbr\b') then 'qbr'
            when lower(calendar_events.event_title) like '%renewal%' then 'renewal'
            else 'other'
        end as meeting_type
    from calendar_events
    cross join calendar_sync
    where not calendar_events.is_cancelled
        and calendar_events.event_status <> 'cancelled'
        and calendar_events.starts_at <= calendar_sync.synced_at
),

meeting_touches as (
    select
        'calendar_event:' || meetings.calendar_id || '/' || meetings.calendar_event_id
            || ':' || contacts.hubspot_contact_id as touchpoint_id,
        'calendar_event:' || meetings.calendar_id || '/' || meetings.calendar_event_id as interaction_id,
        contacts.hubspot_contact_id,
        meetings.starts_at as touched_at,
        case when meetings.meeting_type = 'demo' then 'demo' else 'meeting' end as touch_type,
        meetings.meeting_type,
        case
            when meetings.meeting_type in ('onboarding', 'qbr', 'renewal') then 'customer_success_meeting'
            else 'sales_meeting'
        end as channel,
        cast(null as varchar) as analytics_source,
        cast(null as varchar) as utm_source,
        cast(null as varchar) as utm_medium,
        cast(null as varchar) as utm_campaign
    from meetings
    inner join calendar_attendees
        on meetings.calendar_id = calendar_attendees.calendar_id
        and meetings.calendar_event_id = calendar_attendees.calendar_event_id
    inner join contacts
        on calendar_attendees.attendee_email = contacts.email
    where not calendar_attendees.is_host
        and coalesce(calendar_attendees.response_status, '') <> 'declined'
),

unioned as (
    select * from crm_first_touches
    union all
    select * from email_touches
    union all
    select * from meeting_touches
),

final as (
    select
        touchpoint_id,
        interaction_id,
        hubspot_contact_id,
        touched_at,
        touch_type,
        meeting_type,
        channel,
        analytics_source,
        utm_source,
        utm_medium,
        utm_campaign
    from unioned
)

select * from final
