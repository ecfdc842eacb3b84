-- Every event, cancelled ones included and flagged: a cancelled demo or renewal call is a signal.
with source as (
    select * from {{ source('google', 'calendar_events') }}
),

final as (
    select
        id as calendar_event_id,
        lower(calendar_id) as calendar_id,
        summary as event_title,
        status as event_status,
        coalesce(_deleted, false) as is_cancelled,
        timezone('UTC', start_at) as starts_at,
        timezone('UTC', end_at) as ends_at,
        start ->> '$.timeZone' as time_zone,
        date_diff('minute', start_at, end_at) as duration_minutes,
        lower(organizer_email) as organizer_email,
        lower(creator ->> '$.email') as host_email,
        list_transform(json_extract_string(attendees, '$[*].email'), email -> lower(email)) as attendee_emails,
        hangout_link,
        sequence as reschedule_count,
        timezone('UTC', created) as created_at,
        timezone('UTC', updated) as updated_at
    from source
)

select * from final
