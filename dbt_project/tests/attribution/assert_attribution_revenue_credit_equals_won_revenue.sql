-- Per model, the revenue credited to touches adds up to the total won revenue (HubSpot amounts of the
-- won deals) and the Stripe revenue credited to the Stripe revenue of those deals: nothing lost, nothing
-- counted twice. Tolerance: one cent.
{{ config(meta={'dagster': {'ref': {'name': 'fct_attribution'}}}) }}

with conversions as (
    select
        sum(won_amount_usd) as won_revenue_usd,
        sum(stripe_revenue_12m_usd) as stripe_revenue_usd
    from {{ ref('int_attribution__conversions') }}
),

credited as (
    select
        attribution_model,
        sum(revenue_credit) as revenue_credit,
        sum(stripe_revenue_credit) as stripe_revenue_credit
    from {{ ref('fct_attribution') }}
    group by attribution_model
),

final as (
    select
        credited.attribution_model,
        credited.revenue_credit,
        conversions.won_revenue_usd,
        credited.stripe_revenue_credit,
        conversions.stripe_revenue_usd
    from credited
    cross join conversions
    where abs(credited.revenue_credit - cast(conversions.won_revenue_usd as double)) > 0.01
        or abs(credited.stripe_revenue_credit - cast(conversions.stripe_revenue_usd as double)) > 0.01
)

select * from final
