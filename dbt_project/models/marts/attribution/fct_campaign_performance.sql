-- One row per campaign (utm_campaign) and month: spend, GA4 traffic, touches, the funnel (leads →
-- opportunities → won) and won revenue under each attribution model, with CAC and ROI.
-- Everything without a campaign (organic, direct, meetings, unattributed deals) is the `(none)` row.
with campaigns as (
    select * from {{ ref('int_attribution__campaigns') }}
),

spend_sheet as (
    select * from {{ ref('stg_google__marketing_spend') }}
),

ga4_daily as (
    select * from {{ ref('stg_google__ga4_daily') }}
),

touchpoints as (
    select * from {{ ref('int_attribution__touchpoints') }}
),

leads as (
    select * from {{ ref('int_attribution__leads') }}
),

opportunities as (
    select * from {{ ref('int_attribution__opportunities') }}
),

attribution as (
    select * from {{ ref('fct_attribution') }}
),

spend as (
    select
        lower(trim(campaign)) as utm_campaign,
        month,
        sum(spend_usd) as spend_usd,
        bool_or(is_month_to_date) as is_month_to_date
    from spend_sheet
    group by 1, 2
),

ga4 as (
    select
        -- GA4's placeholders ((organic), (direct), (referral), (not set)) are traffic without a campaign
        case
            when nullif(trim(session_campaign), '') is null or trim(session_campaign) like '(%)' then '(none)'
            else lower(trim(session_campaign))
        end as utm_campaign,
        cast(date_trunc('month', session_date) as date) as month,
        sum(sessions) as ga4_sessions,
        sum(conversions) as ga4_conversions
    from ga4_daily
    group by 1, 2
),

touches as (
    select
        coalesce(utm_campaign, '(none)') as utm_campaign,
        cast(date_trunc('month', touched_at) as date) as month,
        count(*) as touches
    from touchpoints
    group by 1, 2
),

lead_funnel as (
    select
        coalesce(utm_campaign, '(none)') as utm_campaign,
        cast(date_trunc('month', created_at) as date) as month,
        count(*) as leads,
        count(*) filter (where has_opportunity) as leads_with_opportunity,
        count(*) filter (where is_won) as leads_won
    from leads
    group by 1, 2
),

opportunity_funnel as (
    select
        coalesce(utm_campaign, '(none)') as utm_campaign,
        cast(date_trunc('month', created_at) as date) as month,
        count(*) as opportunities,
        count(*) filter (where is_closed_won) as opportunities_won,
        sum(amount_usd) as pipeline_amount_usd
    from opportunities
    group by 1, 2
),

wins as (
    select
        coalesce(utm_campaign, '(none)') as utm_campaign,
        cast(date_trunc('month', closed_at) as date) as month,
        sum(credit) filter (where attribution_model = 'first_touch') as won_deals,
        sum(credit) filter (where attribution_model = 'first_touch' and deal_type = 'newbusiness') as new_customers,
        sum(revenue_credit) filter (where attribution_model = 'first_touch') as won_revenue_first_touch,
        sum(revenue_credit) filter (where attribution_model = 'last_touch') as won_revenue_last_touch,
        sum(revenue_credit) filter (where attribution_model = 'linear') as won_revenue_linear,
        sum(revenue_credit) filter (where attribution_model = 'time_decay') as won_revenue_time_decay,
        sum(revenue_credit) filter (where attribution_model = 'position_based') as won_revenue_position_based
    from attribution
    group by 1, 2
),

keys as (
    select utm_campaign, month from spend
    union
    select utm_campaign, month from ga4
    union
    select utm_campaign, month from touches
    union
    select utm_campaign, month from lead_funnel
    union
    select utm_campaign, month from opportunity_funnel
    union
    select utm_campaign, month from wins
),

measures as (
    select
        keys.utm_campaign,
        keys.month,
        cast(coalesce(spend.spend_usd, 0) as decimal(18, 2)) as spend_usd,
        coalesce(spend.is_month_to_date, false) as is_spend_month_to_date,
        cast(coalesce(ga4.ga4_sessions, 0) as bigint) as ga4_sessions,
        cast(coalesce(ga4.ga4_conversions, 0) as bigint) as ga4_conversions,
        cast(coalesce(touches.touches, 0) as bigint) as touches,
        cast(coalesce(lead_funnel.leads, 0) as bigint) as leads,
        cast(coalesce(lead_funnel.leads_with_opportunity, 0) as bigint) as leads_with_opportunity,
        cast(coalesce(lead_funnel.leads_won, 0) as bigint) as leads_won,
        cast(coalesce(opportunity_funnel.opportunities, 0) as bigint) as opportunities,
        cast(coalesce(opportunity_funnel.opportunities_won, 0) as bigint) as opportunities_won,
        cast(coalesce(opportunity_funnel.pipeline_amount_usd, 0) as decimal(18, 2)) as pipeline_amount_usd,
        cast(round(coalesce(wins.won_deals, 0)) as bigint) as won_deals,
        cast(round(coalesce(wins.new_customers, 0)) as bigint) as new_customers,
        coalesce(wins.won_revenue_first_touch, 0) as won_revenue_first_touch,
        coalesce(wins.won_revenue_last_touch, 0) as won_revenue_last_touch,
        coalesce(wins.won_revenue_linear, 0) as won_revenue_linear,
        coalesce(wins.won_revenue_time_decay, 0) as won_revenue_time_decay,
        coalesce(wins.won_revenue_position_based, 0) as won_revenue_position_based
    from keys
    left join spend
        on keys.utm_campaign = spend.utm_campaign and keys.month = spend.month
    left join ga4
        on keys.utm_campaign = ga4.utm_campaign and keys.month = ga4.month
    left join touches
        on keys.utm_campaign = touches.utm_campaign and keys.month = touches.month
    left join lead_funnel
        on keys.utm_campaign = lead_funnel.utm_campaign and keys.month = lead_funnel.month
    left join opportunity_funnel
        on keys.utm_campaign = opportunity_funnel.utm_campaign and keys.month = opportunity_funnel.month
    left join wins
        on keys.utm_campaign = wins.utm_campaign and keys.month = wins.month
),

final as (
    select
        measures.utm_campaign || '|' || strftime(measures.month, '%Y-%m') as campaign_month_id,
        measures.utm_campaign,
        measures.month,
        campaigns.channel,
        campaigns.utm_source,
        campaigns.utm_medium,
        measures.spend_usd,
        measures.is_spend_month_to_date,
        measures.ga4_sessions,
        measures.ga4_conversions,
        measures.touches,
        measures.leads,
        measures.leads_with_opportunity,
        measures.leads_won,
        measures.opportunities,
        measures.opportunities_won,
        measures.pipeline_amount_usd,
        measures.won_deals,
        measures.new_customers,
        measures.won_revenue_first_touch,
        measures.won_revenue_last_touch,
        measures.won_revenue_linear,
        measures.won_revenue_time_decay,
        measures.won_revenue_position_based,
        case when measures.new_customers > 0
            then cast(measures.spend_usd as double) / measures.new_customers end as cac_usd,
        {% for model in ['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based'] %}
        case when measures.spend_usd > 0
            then (measures.won_revenue_{{ model }} - cast(measures.spend_usd as double)) / cast(measures.spend_usd as double)
        end as roi_{{ model }},
        {% endfor %}
        case when measures.leads > 0
            then measures.leads_with_opportunity / measures.leads end as lead_to_opportunity_rate,
        case when measures.opportunities > 0
            then measures.opportunities_won / measures.opportunities end as opportunity_to_won_rate,
        case when measures.leads > 0
            then measures.leads_won / measures.leads end as lead_to_won_rate
    from measures
    left join campaigns
        on measures.utm_campaign = campaigns.utm_campaign
)

select * from final
