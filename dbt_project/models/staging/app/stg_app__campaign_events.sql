with source as (
    select * from {{ source('app', 'campaign_events') }}
),

final as (
    select
        id as campaign_event_id,
        campaign_id,
        lower(trim(recipient_email)) as recipient_email,
        event_type,
        step,
        {{ to_utc('occurred_at') }} as occurred_at
    from source
)

select * from final
