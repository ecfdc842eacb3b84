"""Markdown previews of the key marts, shown in the Dagster UI on each materialization, so the
data team sees the numbers without writing SQL. One function per mart, registered in `PREVIEWS`
under the mart's asset key; each reads the freshly built warehouse and returns a small table."""
from __future__ import annotations

from typing import Callable

import duckdb


def markdown_table(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """The result of `sql` as a Markdown table."""
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join("" if v is None else f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v) for v in row) + " |"
              for row in rows]
    return "\n".join(lines)


def identity_match_rates(con: duckdb.DuckDBPyConnection) -> str:
    return markdown_table(con, "select source_system, match_method, records, share_of_system "
                               "from customer_health.fct_identity_match_rates order by source_system, records desc")


PREVIEWS: dict[str, Callable[[duckdb.DuckDBPyConnection], str]] = {
    "customer_health/fct_identity_match_rates": identity_match_rates,
}


def sla_breaches_this_month(con: duckdb.DuckDBPyConnection) -> str:
    """Support: tickets created this month (the last Jira sync's month) and their SLA breaches, by priority."""
    return markdown_table(con, """
        select priority, tickets, first_response_breaches, resolution_breaches,
               round(first_response_breach_rate, 3) as first_response_breach_rate,
               round(resolution_breach_rate, 3) as resolution_breach_rate,
               round(median_first_response_seconds / 3600, 2) as median_first_response_hours
        from support.fct_sla_monthly
        where is_current_month
        order by case priority when 'Highest' then 1 when 'High' then 2 when 'Medium' then 3 when 'Low' then 4 else 5 end""")


def oldest_open_high_priority_tickets(con: duckdb.DuckDBPyConnection) -> str:
    """Support: the 10 oldest open Highest/High tickets, with their age at the last Jira sync."""
    return markdown_table(con, """
        select t.issue_key, t.priority, t.status, t.created_at,
               round((epoch_ms(s.synced_at) - epoch_ms(t.created_at)) / 86400000, 1) as age_days,
               t.customer_account_id,
               cast(t.is_first_response_breached as varchar) as first_response_breached,
               cast(t.is_resolution_breached as varchar) as resolution_breached, cast(t.is_escalated as varchar) as escalated
        from support.fct_tickets as t
        cross join intermediate.int_jira__sync_time as s
        where t.is_open and not t.is_spam and t.priority in ('Highest', 'High')
        order by t.created_at, t.issue_key
        limit 10""")


PREVIEWS.update({
    "support/fct_sla_monthly": sla_breaches_this_month,
    "support/fct_tickets": oldest_open_high_priority_tickets,
})


def top_campaigns_by_roi(con: duckdb.DuckDBPyConnection) -> str:
    """Attribution: the 10 paid campaigns with the best ROI under position-based credit, all months summed."""
    return markdown_table(con, """
        select utm_campaign, any_value(channel) as channel,
               round(sum(spend_usd), 2) as spend_usd,
               round(sum(won_revenue_position_based), 2) as won_revenue_position_based,
               round((sum(won_revenue_position_based) - sum(spend_usd)) / sum(spend_usd), 3) as roi_position_based,
               sum(new_customers) as new_customers,
               round(sum(spend_usd) / nullif(sum(new_customers), 0), 2) as cac_usd
        from attribution.fct_campaign_performance
        group by utm_campaign
        having sum(spend_usd) > 0
        order by roi_position_based desc, utm_campaign
        limit 10""")


PREVIEWS["attribution/fct_campaign_performance"] = top_campaigns_by_roi


def riskiest_accounts_today(con: duckdb.DuckDBPyConnection) -> str:
    """Customer health: the ten accounts with the lowest health score on the latest day, with why."""
    return markdown_table(con, """
        select health.customer_account_id, customers.account_name, health.health_score, health.risk_tier,
               health.top_reasons
        from customer_health.fct_health_daily as health
        inner join customer_health.dim_customers as customers
            on health.customer_account_id = customers.customer_account_id
        where health.is_latest_day
        order by health.health_score, health.customer_account_id
        limit 10""")


PREVIEWS["customer_health/fct_health_daily"] = riskiest_accounts_today


def mrr_movements_last_six_months(con: duckdb.DuckDBPyConnection) -> str:
    """Finance: the last six months of MRR movements (USD) and the ending MRR; the current month is
    measured at the latest Stripe sync."""
    return markdown_table(con, """
        select strftime(month, '%Y-%m') || case when any_value(is_current_month) then ' (now)' else '' end as month,
               sum(mrr_change) filter (where movement_type = 'new') as new,
               sum(mrr_change) filter (where movement_type = 'expansion') as expansion,
               sum(mrr_change) filter (where movement_type = 'contraction') as contraction,
               sum(mrr_change) filter (where movement_type = 'churn') as churn,
               sum(mrr_change) filter (where movement_type = 'reactivation') as reactivation,
               any_value(ending_mrr) as ending_mrr
        from finance.fct_mrr_movements_monthly
        where month > (select max(month) from finance.fct_mrr_movements_monthly) - interval 6 month
        group by fct_mrr_movements_monthly.month
        order by fct_mrr_movements_monthly.month""")


PREVIEWS["finance/fct_mrr_movements_monthly"] = mrr_movements_last_six_months
