-- GA4 traffic per UTC day and session source/medium/campaign; the last 3-4 days still grow (late data).
with source as (
    select * from {{ source('google', 'ga4_daily') }}
),

final as (
    select
        date as session_date,
        source as session_source,
        medium as session_medium,
        campaign as session_campaign,
        sessions,
        total_users,
        new_users,
        conversions
    from source
)

select * from final
