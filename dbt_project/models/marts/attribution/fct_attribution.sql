-- One row per won deal × touch of its journey × attribution model, with the touch's credit and the
-- share of the deal's won revenue (HubSpot amount) and of its first-year Stripe revenue it earns.
with credits as (
    select * from {{ ref('int_attribution__credits') }}
),

touches as (
    select * from {{ ref('int_attribution__deal_touches') }}
),

conversions as (
    select * from {{ ref('int_attribution__conversions') }}
),

final as (
    select
        credits.hubspot_deal_id || '|' || credits.attribution_model || '|' || credits.touchpoint_id as attribution_id,
        credits.hubspot_deal_id,
        credits.attribution_model,
        credits.touchpoint_id,
        touches.hubspot_contact_id,
        conversions.customer_account_id,
        conversions.pipeline_label,
        conversions.deal_type,
        conversions.closed_at,
        touches.touched_at,
        touches.days_before_close,
        touches.touch_number,
        touches.touch_count,
        touches.touch_type,
        touches.meeting_type,
        touches.channel,
        touches.utm_source,
        touches.utm_medium,
        touches.utm_campaign,
        credits.credit,
        conversions.won_amount_usd,
        credits.credit * cast(conversions.won_amount_usd as double) as revenue_credit,
        credits.credit * cast(conversions.stripe_revenue_12m_usd as double) as stripe_revenue_credit
    from credits
    inner join touches
        on credits.hubspot_deal_id = touches.hubspot_deal_id
        and credits.touchpoint_id = touches.touchpoint_id
    inner join conversions
        on credits.hubspot_deal_id = conversions.hubspot_deal_id
)

select * from final
