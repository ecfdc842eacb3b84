-- Engagement per customer account and scored day, from the shared sales and success calendars and
-- mailboxes: a touch is a meeting held (not cancelled, started) with one of the account's people as a
-- guest, or a mail from or to one of them; people are found through int_customer_identity__keys (their
-- email, else their email's domain; free-mail domains are never keys).
--   meetings (90 days)    = distinct meetings held in the 90 days up to the day;
--   days since last touch = the day minus the day of the latest touch on or before it (null: never).
-- Score: half meetings (100 with two or more meetings in 90 days, 50 with one, 0 without), half
-- recency (100 when the last touch is at most 30 days old, 0 at 120 days or never, linear between).
with window_dates as (
    select * from {{ ref('int_health__window') }}
),

account_days as (
    select * from {{ ref('int_health__account_days') }}
),

keys as (
    select * from {{ ref('int_customer_identity__keys') }}
    where key_type in ('email', 'domain')
),

events as (
    select * from {{ ref('stg_google__calendar_events') }}
),

attendees as (
    select * from {{ ref('stg_google__calendar_attendees') }}
),

messages as (
    select * from {{ ref('stg_google__gmail_messages') }}
),

accounts as (
    select distinct customer_account_id
    from account_days
),

calendar as (
    {{ health_account_calendar('accounts', 'window_dates') }}
),

meeting_guests as (
    select
        attendees.calendar_id,
        attendees.calendar_event_id,
        attendees.attendee_email as email,
        events.starts_at as touched_at
    from attendees
    inner join events
        on attendees.calendar_id = events.calendar_id and attendees.calendar_event_id = events.calendar_event_id
    where not attendees.is_host
        and not events.is_cancelled
        and coalesce(events.event_status, '') <> 'cancelled'
),

mail_people as (
    -- inbound: the sender; outbound: every To and Cc address
    select gmail_message_id, sender_email as email, sent_at as touched_at
    from messages
    where not is_outbound
    union all
    select gmail_message_id, unnest(list_concat(to_emails, cc_emails)) as email, sent_at as touched_at
    from messages
    where is_outbound
),

people as (
    select 'meeting' as touch_type, calendar_id || '/' || calendar_event_id as touch_id, email, touched_at
    from meeting_guests
    union all
    select 'mail', gmail_message_id, email, touched_at
    from mail_people
),

people_accounts as (
    -- the email first, then its domain
    select
        people.touch_type,
        people.touch_id,
        people.touched_at,
        coalesce(by_email.customer_account_id, by_domain.customer_account_id) as customer_account_id
    from people
    left join keys as by_email
        on by_email.key_type = 'email' and people.email = by_email.key_value
    left join keys as by_domain
        on by_domain.key_type = 'domain' and split_part(people.email, '@', 2) = by_domain.key_value
),

touches as (
    select distinct people_accounts.customer_account_id, people_accounts.touch_type, people_accounts.touch_id,
        people_accounts.touched_at
    from people_accounts
    inner join accounts
        on people_accounts.customer_account_id = accounts.customer_account_id
),

daily_meetings as (
    select customer_account_id, cast(touched_at as date) as date, count(distinct touch_id) as meetings
    from touches
    where touch_type = 'meeting'
    group by all
),

touch_days as (
    select distinct customer_account_id, cast(touched_at as date) as touch_date
    from touches
),

daily as (
    select
        calendar.customer_account_id,
        calendar.date,
        coalesce(daily_meetings.meetings, 0) as meetings
    from calendar
    left join daily_meetings
        on calendar.customer_account_id = daily_meetings.customer_account_id and calendar.date = daily_meetings.date
),

rolling as (
    select
        customer_account_id,
        date,
        sum(meetings) over (partition by customer_account_id order by date rows between 89 preceding and current row)
            as meetings_90d
    from daily
),

last_touches as (
    -- the latest touch on or before each scored day (an as-of join reaches back beyond the history start)
    select
        account_days.customer_account_id,
        account_days.date,
        touch_days.touch_date as last_touch_date
    from account_days
    asof left join touch_days
        on account_days.customer_account_id = touch_days.customer_account_id
        and account_days.date >= touch_days.touch_date
),

scored as (
    select
        account_days.customer_account_id,
        account_days.date,
        cast(rolling.meetings_90d as integer) as meetings_90d,
        last_touches.last_touch_date,
        cast(account_days.date - last_touches.last_touch_date as integer) as days_since_last_touch
    from account_days
    inner join rolling
        on account_days.customer_account_id = rolling.customer_account_id and account_days.date = rolling.date
    inner join last_touches
        on account_days.customer_account_id = last_touches.customer_account_id and account_days.date = last_touches.date
),

sub_scores as (
    select
        scored.*,
        least(100.0, 50.0 * meetings_90d) as meetings_score,
        coalesce({{ health_linear_score('days_since_last_touch', 120, 30) }}, 0.0) as recency_score
    from scored
),

final as (
    select
        customer_account_id,
        date,
        meetings_90d,
        last_touch_date,
        days_since_last_touch,
        meetings_score,
        recency_score,
        round((meetings_score + recency_score) / 2.0, 2) as engagement_score,
        case
            when meetings_score = 100 and recency_score = 100 then null
            when last_touch_date is null then 'no meeting or mail with the account on record'
            when meetings_90d = 0 and recency_score = 100 then 'no meeting in 90 days'
            when meetings_90d = 0 then 'no meeting in 90 days, last touch ' || days_since_last_touch || ' days ago'
            when recency_score < 100 then 'last touch ' || days_since_last_touch || ' days ago'
            else 'only 1 meeting in 90 days'
        end as engagement_reason
    from sub_scores
)

select * from final
