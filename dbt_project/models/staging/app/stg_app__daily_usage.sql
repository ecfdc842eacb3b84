with source as (
    select * from {{ source('app', 'daily_usage') }}
),

final as (
    select
        tenant_id,
        cast(date as date) as usage_date,
        emails_sent,
        delivered,
        opened,
        clicked,
        replied,
        bounced,
        complained,
        unsubscribed,
        active_users
    from source
)

select * from final
