"""Assets of Jira Cloud: `raw/jira/<table>`."""
from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltResource, dlt_assets

from pipelines.assets.ingestion import RawTranslator, run_source, spec_pipeline
from pipelines.resources.jira import JiraCloud
from pipelines.sources.common.progress import SyncProgress
from pipelines.sources.jira import jira_source


@dlt_assets(dlt_source=jira_source(url="https://example.atlassian.net", email="placeholder", api_token="placeholder"),
            dlt_pipeline=spec_pipeline("jira"), name="jira_sync", dagster_dlt_translator=RawTranslator("jira"),
            pool="warehouse")
def jira_assets(context: AssetExecutionContext, dlt: DagsterDltResource, jira: JiraCloud):
    progress = SyncProgress("jira", context.log.info)
    source = jira_source(url=jira.url, email=jira.email, api_token=jira.api_token, progress=progress)
    yield from run_source(context, dlt, "jira", source, progress)
