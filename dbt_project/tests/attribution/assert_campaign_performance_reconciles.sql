-- The campaign mart loses nothing: won revenue per model summed over campaigns and months equals the
-- attribution mart's, spend equals the spend sheet's, leads equal the CRM contacts, opportunities the
-- live deals, GA4 sessions the GA4 table's. Tolerance: one cent for money.
{{ config(meta={'dagster': {'ref': {'name': 'fct_campaign_performance'}}}) }}

with performance as (
    select
        sum(won_revenue_first_touch) as first_touch,
        sum(won_revenue_last_touch) as last_touch,
        sum(won_revenue_linear) as linear,
        sum(won_revenue_time_decay) as time_decay,
        sum(won_revenue_position_based) as position_based,
        sum(spend_usd) as spend_usd,
        sum(leads) as leads,
        sum(opportunities) as opportunities,
        sum(ga4_sessions) as ga4_sessions
    from {{ ref('fct_campaign_performance') }}
),

attribution as (
    select
        sum(revenue_credit) filter (where attribution_model = 'first_touch') as first_touch,
        sum(revenue_credit) filter (where attribution_model = 'last_touch') as last_touch,
        sum(revenue_credit) filter (where attribution_model = 'linear') as linear,
        sum(revenue_credit) filter (where attribution_model = 'time_decay') as time_decay,
        sum(revenue_credit) filter (where attribution_model = 'position_based') as position_based
    from {{ ref('fct_attribution') }}
),

sheet as (
    select sum(spend_usd) as spend_usd from {{ ref('stg_google__marketing_spend') }}
),

contacts as (
    select count(*) as leads from {{ ref('stg_hubspot__contacts') }}
),

deals as (
    select count(*) as opportunities from {{ ref('stg_hubspot__deals') }}
),

ga4 as (
    select sum(sessions) as ga4_sessions from {{ ref('stg_google__ga4_daily') }}
),

final as (
    select performance.*
    from performance
    cross join attribution
    cross join sheet
    cross join contacts
    cross join deals
    cross join ga4
    where abs(performance.first_touch - coalesce(attribution.first_touch, 0)) > 0.01
        or abs(performance.last_touch - coalesce(attribution.last_touch, 0)) > 0.01
        or abs(performance.linear - coalesce(attribution.linear, 0)) > 0.01
        or abs(performance.time_decay - coalesce(attribution.time_decay, 0)) > 0.01
        or abs(performance.position_based - coalesce(attribution.position_based, 0)) > 0.01
        or abs(performance.spend_usd - coalesce(sheet.spend_usd, 0)) > 0.01
        or performance.leads <> contacts.leads
        or performance.opportunities <> deals.opportunities
        or performance.ga4_sessions <> coalesce(ga4.ga4_sessions, 0)
)

select * from final
