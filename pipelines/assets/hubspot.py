"""Assets of HubSpot CRM: `raw/hubspot/<table>`."""
from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltResource, dlt_assets

from pipelines.assets.ingestion import RawTranslator, run_source, spec_pipeline
from pipelines.resources.hubspot import HubSpotPortal
from pipelines.sources.common.progress import SyncProgress
from pipelines.sources.hubspot import hubspot_source


@dlt_assets(dlt_source=hubspot_source(access_token="pat-placeholder"), dlt_pipeline=spec_pipeline("hubspot"),
            name="hubspot_sync", dagster_dlt_translator=RawTranslator("hubspot"), pool="warehouse")
def hubspot_assets(context: AssetExecutionContext, dlt: DagsterDltResource, hubspot: HubSpotPortal):
    progress = SyncProgress("hubspot", context.log.info)
    source = hubspot_source(access_token=hubspot.access_token, api_base=hubspot.api_base, progress=progress)
    yield from run_source(context, dlt, "hubspot", source, progress)
