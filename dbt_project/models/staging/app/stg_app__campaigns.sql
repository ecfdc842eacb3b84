with source as (
    select * from {{ source('app', 'campaigns') }}
),

final as (
    select
        id as campaign_id,
        tenant_id,
        name as campaign_name,
        status,
        utm_campaign,
        {{ to_utc('started_at') }} as started_at,
        {{ to_utc('completed_at') }} as completed_at,
        {{ to_utc('created_at') }} as created_at
    from source
    where not coalesce(_deleted, false)
)

select * from final
