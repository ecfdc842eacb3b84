"""The one Dagster `Definitions` of the platform (workspace.yaml points here)."""
from dagster import DefaultSensorStatus, Definitions, build_sensor_for_freshness_checks
from dagster_dlt import DagsterDltResource

from pipelines.assets.app import app_assets
from pipelines.assets.dbt import dbt_cli, dbt_models
from pipelines.assets.finance_close import finance_close, monthly_close_job, monthly_close_schedule
from pipelines.assets.google import google_assets
from pipelines.assets.hubspot import hubspot_assets
from pipelines.assets.jira import jira_assets
from pipelines.assets.publish import published_marts
from pipelines.assets.reverse_etl import reverse_etl_assets
from pipelines.assets.stripe import stripe_assets
from pipelines.assets.sync_health import sync_health_asset
from pipelines.checks import freshness_checks, volume_checks
from pipelines.jobs import build_daily_job
from pipelines.resources import source_resources
from schedules import daily_schedule, export_and_backup_schedule
from sensors import alerts_sensor

ingestion_assets = [app_assets, stripe_assets, jira_assets, hubspot_assets, google_assets]

raw_keys = [key for assets in ingestion_assets for key in assets.keys]
freshness = freshness_checks(ingestion_assets)

defs = Definitions(
    assets=[*ingestion_assets, dbt_models, sync_health_asset(raw_keys), published_marts, finance_close, *reverse_etl_assets],
    asset_checks=[*freshness, volume_checks(ingestion_assets)],
    jobs=[build_daily_job(freshness), monthly_close_job],
    schedules=[daily_schedule, export_and_backup_schedule, monthly_close_schedule],
    sensors=[alerts_sensor, build_sensor_for_freshness_checks(
        freshness_checks=freshness, minimum_interval_seconds=600, default_status=DefaultSensorStatus.RUNNING)],
    resources={"dlt": DagsterDltResource(), "dbt": dbt_cli(), **source_resources()},
)
