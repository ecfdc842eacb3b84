-- The credit each touch of a won deal's journey gets under each attribution model; per deal and
-- model the credits add up to 1. Every model lists every touch of the journey (zero credit included).
--   first_touch     1 to touch 1
--   last_touch      1 to the last touch
--   linear          1 / n to each of the n touches
--   time_decay      2^(-days before close / half-life), half-life 7 days, normalised to sum to 1
--   position_based  40 % first, 40 % last, 20 % spread evenly over the middle; 50/50 with two touches;
--                   100 % with one (the U-shaped model)
with touches as (
    select
        hubspot_deal_id,
        touchpoint_id,
        touch_number,
        touch_count,
        days_before_close
    from {{ ref('int_attribution__deal_touches') }}
),

decay as (
    select
        hubspot_deal_id,
        touchpoint_id,
        power(0.5, greatest(days_before_close, 0) / cast({{ var('attribution_half_life_days', 7) }} as double)) as decay_weight
    from touches
),

decay_normalised as (
    select
        hubspot_deal_id,
        touchpoint_id,
        decay_weight / sum(decay_weight) over (partition by hubspot_deal_id) as credit
    from decay
),

first_touch as (
    select
        hubspot_deal_id,
        touchpoint_id,
        'first_touch' as attribution_model,
        case when touch_number = 1 then 1.0 else 0.0 end as credit
    from touches
),

last_touch as (
    select
        hubspot_deal_id,
        touchpoint_id,
        'last_touch' as attribution_model,
        case when touch_number = touch_count then 1.0 else 0.0 end as credit
    from touches
),

linear as (
    select
        hubspot_deal_id,
        touchpoint_id,
        'linear' as attribution_model,
        1.0 / touch_count as credit
    from touches
),

time_decay as (
    select
        hubspot_deal_id,
        touchpoint_id,
        'time_decay' as attribution_model,
        credit
    from decay_normalised
),

position_based as (
    select
        hubspot_deal_id,
        touchpoint_id,
        'position_based' as attribution_model,
        case
            when touch_count = 1 then 1.0
            when touch_count = 2 then 0.5
            when touch_number = 1 or touch_number = touch_count then 0.4
            else cast(0.2 as double) / (touch_count - 2)
        end as credit
    from touches
),

unioned as (
    select * from first_touch
    union all
    select * from last_touch
    union all
    select * from linear
    union all
    select * from time_decay
    union all
    select * from position_based
),

final as (
    select
        hubspot_deal_id,
        touchpoint_id,
        attribution_model,
        cast(credit as double) as credit
    from unioned
)

select * from final
