"""Assets of the PenguinMails app database: `raw/app/<table>`."""
from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltResource, dlt_assets

from pipelines.assets.ingestion import RawTranslator, run_source, spec_pipeline
from pipelines.resources.app import AppDatabase
from pipelines.sources.app import app_source
from pipelines.sources.common.progress import SyncProgress


@dlt_assets(dlt_source=app_source(db_url="sqlite://"), dlt_pipeline=spec_pipeline("app"), name="app_sync",
            dagster_dlt_translator=RawTranslator("app"), pool="warehouse")
def app_assets(context: AssetExecutionContext, dlt: DagsterDltResource, app_db: AppDatabase):
    progress = SyncProgress("app", context.log.info)
    yield from run_source(context, dlt, "app", app_source(db_url=app_db.url, progress=progress), progress)
