-- One row per deal stage with its pipeline; stages or pipelines HubSpot no longer lists are dropped.
with pipelines as (
    select * from {{ source('hubspot', 'pipelines') }}
    where not coalesce(_deleted, false)
),

stages as (
    select * from {{ source('hubspot', 'pipeline_stages') }}
    where not coalesce(_deleted, false)
),

final as (
    select
        stages.pipeline_id,
        pipelines.label as pipeline_label,
        pipelines.display_order as pipeline_display_order,
        stages.id as deal_stage_id,
        stages.label as deal_stage_label,
        stages.display_order as stage_display_order,
        stages.probability as stage_probability,
        coalesce(stages.is_closed, false) as is_closed,
        coalesce(stages.is_closed, false) and stages.probability = 1 as is_won
    from stages
    inner join pipelines
        on stages.pipeline_id = pipelines.id
)

select * from final
