"""Jobs the schedules and `penguin run` launch."""
from dagster import AssetChecksDefinition, AssetSelection, define_asset_job, in_process_executor


def build_daily_job(freshness_checks: list[AssetChecksDefinition]):
    """Every asset with its checks, but not the freshness checks (they measure time since the last
    sync, so the freshness sensor evaluates them between runs) nor the monthly close (its own job). In one process: every step writes the
    one DuckDB warehouse in turn anyway, and a process per step would cost seconds each."""
    selection = AssetSelection.all() - AssetSelection.checks(*freshness_checks) - AssetSelection.groups("finance_close")
    return define_asset_job(
        "daily", selection=selection, executor_def=in_process_executor,
        description="Every source incremental, then dbt build, then publish the marts (with their checks).",
    )
