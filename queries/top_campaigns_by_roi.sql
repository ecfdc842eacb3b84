-- Top campaigns by ROI: the ten campaigns with spend that returned the most per dollar, all months
-- ROI = (won revenue - spend) / spend, revenue credited linearly across each won deal's touches
-- (attribution.fct_campaign_performance); first- and last-touch revenue shown for comparison.
select
    utm_campaign,
    any_value(channel) as channel,
    strftime(min(month), '%Y-%m') as first_month,
    strftime(max(month), '%Y-%m') as last_month,
    sum(spend_usd) as spend_usd,
    sum(leads) as leads,
    sum(won_deals) as won_deals,
    round(sum(won_revenue_linear), 2) as won_revenue_linear,
    round(sum(won_revenue_first_touch), 2) as won_revenue_first_touch,
    round(sum(won_revenue_last_touch), 2) as won_revenue_last_touch,
    round((sum(won_revenue_linear) - sum(spend_usd)) / sum(spend_usd), 3) as roi_linear
from attribution.fct_campaign_performance
group by utm_campaign
having sum(spend_usd) > 0
order by roi_linear desc, utm_campaign
limit 10
