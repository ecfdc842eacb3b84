"""Reverse ETL assets (group `reverse_etl`), after the dbt build in the daily job: the warehouse-owned
properties of HubSpot companies, and Customer Success tickets in Jira for accounts at risk.
`PENGUIN_REVERSE_ETL` picks the mode: `dry-run` (default: log the planned changes), `on`, `off`."""
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipelines.resources.hubspot import HubSpotPortal
from pipelines.resources.jira import JiraCloud
from pipelines.reverse_etl import settings
from pipelines.reverse_etl.hubspot import HubSpotWriter, push_companies
from pipelines.reverse_etl.jira import JiraWriter, follow_up_at_risk
from pipelines.reverse_etl.state import Report, ensure_tables
from pipelines.settings import Paths
from pipelines.warehouse import connect

MART_KEY = AssetKey(settings.MART.split("."))
PREVIEW_LINES = 50
LOG_LINES = 20


def _push(context: AssetExecutionContext, push, api) -> MaterializeResult:
    """Runs `push(con, api, run_id, dry_run)` in the configured mode; its changes as logs and metadata."""
    mode = settings.mode()
    if mode == "off":
        context.log.info(f"reverse ETL is off ({settings.MODE_VARIABLE}=off)")
        return MaterializeResult(metadata={"mode": mode})
    con = connect(Paths.from_env().warehouse)
    try:
        ensure_tables(con)
        report: Report = push(con, api, context.run_id, mode == "dry-run")
    finally:
        con.close()
    # a few lines and the counts in the log (each log line is an event in Dagster's storage); every
    # change is in the warehouse's audit table, and the first ones in the asset's metadata
    prefix = "planned: " if mode == "dry-run" else ""
    for line in report.lines[:LOG_LINES]:
        context.log.info(prefix + line)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items())) or "nothing to change"
    context.log.info(f"{prefix}{counts}" + (f" ({len(report.lines) - LOG_LINES} more changes not logged)"
                                            if len(report.lines) > LOG_LINES else ""))
    preview = "\n".join(f"- {line}" for line in report.lines[:PREVIEW_LINES]) or "nothing to change"
    return MaterializeResult(metadata={"mode": mode, **{k: MetadataValue.int(v) for k, v in report.counts.items()},
                                       "changes": MetadataValue.md(preview)})


@asset(key=["reverse_etl", "hubspot_companies"], deps=[MART_KEY], group_name="reverse_etl",
       kinds={"hubspot", "duckdb"}, pool="warehouse")
def hubspot_companies(context: AssetExecutionContext, hubspot: HubSpotPortal) -> MaterializeResult:
    """The warehouse-owned `penguin_*` properties of every HubSpot company matched to a customer account
    (health, risk tier and reason, MRR, plan, seats, last active day, open high-priority tickets), written
    where they changed since the last push; the properties are created if missing."""
    return _push(context, push_companies, HubSpotWriter(hubspot.access_token, hubspot.api_base))


@asset(key=["reverse_etl", "jira_at_risk"], deps=[MART_KEY], group_name="reverse_etl",
       kinds={"jira", "duckdb"}, pool="warehouse")
def jira_at_risk(context: AssetExecutionContext, jira: JiraCloud) -> MaterializeResult:
    """A Customer Success ticket for each account that newly entered the at-risk tier (once per episode),
    with the reasons and a link to the account; a comment on it when the account leaves the tier."""
    return _push(context, follow_up_at_risk, JiraWriter(jira.url, jira.email, jira.api_token))


reverse_etl_assets = [hubspot_companies, jira_at_risk]
