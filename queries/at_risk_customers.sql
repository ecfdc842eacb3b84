-- At-risk customers and why: accounts in the at_risk or watch tier on the latest scored day
-- Lowest health score first, with the reasons that cost the most points, the plan, this month's MRR
-- and the CRM owner to call (customer_health.fct_health_daily, dim_customers, finance.fct_mrr_monthly).
select
    h.risk_tier,
    h.health_score,
    c.account_name,
    c.primary_domain,
    c.current_plan,
    m.mrr,
    h.top_reasons,
    c.crm_owner_name,
    h.customer_account_id,
    h.date as scored_on
from customer_health.fct_health_daily as h
join customer_health.dim_customers as c using (customer_account_id)
left join finance.fct_mrr_monthly as m
    on m.customer_account_id = h.customer_account_id and m.is_current_month
where h.is_latest_day and h.risk_tier in ('at_risk', 'watch')
order by h.health_score, c.account_name
