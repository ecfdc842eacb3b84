-- One row per event and attendee (the host first, then the customer's people), cancelled events included.
with events as (
    select * from {{ source('google', 'calendar_events') }}
),

attendees as (
    select
        events.id as calendar_event_id,
        lower(events.calendar_id) as calendar_id,
        coalesce(events._deleted, false) as is_cancelled,
        lower(attendee.value ->> '$.email') as attendee_email,
        attendee.value ->> '$.displayName' as display_name,
        attendee.value ->> '$.responseStatus' as response_status,
        attendee.key::integer as attendee_position
    from events, json_each(events.attendees) as attendee
),

final as (
    select
        calendar_event_id,
        calendar_id,
        attendee_email,
        split_part(attendee_email, '@', 2) as attendee_domain,
        display_name,
        response_status,
        attendee_position = 0 as is_host,
        is_cancelled
    from attendees
)

select * from final
