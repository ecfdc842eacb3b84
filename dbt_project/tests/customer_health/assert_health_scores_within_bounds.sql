-- Every score of fct_health_daily — the total and each component — lies within 0–100, and the tier
-- follows the score (healthy ≥ 75, watch 50–74, at_risk < 50).
select customer_account_id, date, health_score, risk_tier
from {{ ref('fct_health_daily') }}
where health_score not between 0 and 100
    or usage_score not between 0 and 100
    or billing_score not between 0 and 100
    or support_score not between 0 and 100
    or deliverability_score not between 0 and 100
    or engagement_score not between 0 and 100
    or risk_tier <> case when health_score >= 75 then 'healthy' when health_score >= 50 then 'watch' else 'at_risk' end
