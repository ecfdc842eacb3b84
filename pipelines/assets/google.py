"""Assets of Google Workspace and GA4: `raw/google/<table>`."""
from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltResource, dlt_assets

from pipelines.assets.ingestion import RawTranslator, run_source, spec_pipeline
from pipelines.resources.google import GoogleWorkspace
from pipelines.sources.common.progress import SyncProgress
from pipelines.sources.google import google_source


@dlt_assets(dlt_source=google_source(credentials_file="placeholder.json", ga4_property_id="properties/0",
                                     spend_sheet_id="placeholder", calendar_ids="placeholder@example.com"),
            dlt_pipeline=spec_pipeline("google"), name="google_sync", dagster_dlt_translator=RawTranslator("google"),
            pool="warehouse")
def google_assets(context: AssetExecutionContext, dlt: DagsterDltResource, google: GoogleWorkspace):
    progress = SyncProgress("google", context.log.info)
    source = google_source(credentials_file=google.application_credentials, ga4_property_id=google.ga4_property_id,
                           spend_sheet_id=google.marketing_spend_sheet_id, calendar_ids=google.calendar_ids,
                           api_endpoint=google.api_endpoint, progress=progress)
    yield from run_source(context, dlt, "google", source, progress)
