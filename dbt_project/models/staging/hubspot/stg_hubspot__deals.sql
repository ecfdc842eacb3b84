-- Live deals only: deleted ones are lost deals removed in a pipeline clean-up.
with source as (
    select * from {{ source('hubspot', 'deals') }}
),

final as (
    select
        id as hubspot_deal_id,
        dealname as deal_name,
        pipeline as pipeline_id,
        dealstage as deal_stage_id,
        dealtype as deal_type,
        cast(amount as decimal(18, 2)) as amount_usd,
        hs_deal_stage_probability as stage_probability,
        coalesce(hs_is_closed, false) as is_closed,
        coalesce(hs_is_closed_won, false) as is_closed_won,
        -- the expected close date while open, the actual close time once closed
        timezone('UTC', closedate) as close_date,
        hubspot_owner_id,
        timezone('UTC', createdate) as created_at,
        timezone('UTC', hs_lastmodifieddate) as updated_at
    from source
    where not coalesce(_deleted, false)
)

select * from final
