"""The one Dagster `Definitions` of the platform (workspace.yaml points here)."""
from dagster import AssetSelection, Definitions, define_asset_job
from dagster_dlt import DagsterDltResource

from pipelines.assets.app import app_assets
from pipelines.assets.dbt import dbt_cli, dbt_models
from pipelines.assets.publish import published_marts
from pipelines.resources import source_resources

ingestion_assets = [app_assets]

daily_job = define_asset_job(
    "daily", selection=AssetSelection.all(),
    description="Every source incremental, then dbt build, then publish the marts.",
)

defs = Definitions(
    assets=[*ingestion_assets, dbt_models, published_marts],
    jobs=[daily_job],
    resources={"dlt": DagsterDltResource(), "dbt": dbt_cli(), **source_resources()},
)
