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
        started_at,
        completed_at,
        created_at
    from source
    where not coalesce(_deleted, false)
)

select * from final
