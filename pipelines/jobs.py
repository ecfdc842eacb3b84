"""Jobs the schedules and `penguin run` launch."""
from dagster import AssetSelection, define_asset_job

daily_job = define_asset_job(
    "daily", selection=AssetSelection.all(),
    description="Every source incremental, then dbt build, then publish the marts (with every check).",
)
