"""The monthly finance close: on the 1st, rebuild the finance marts and freeze the month that just
ended into `finance_close.*`, one partition per month, so a month can be re-closed or backfilled
from the UI or the CLI (`dagster asset materialize --select finance_close/mrr_monthly --partition 2026-10-01`)."""
import os

from dagster import (
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    MonthlyPartitionsDefinition,
    asset,
    build_schedule_from_partitioned_job,
    define_asset_job,
)
from dagster_dbt import DbtCliResource

from pipelines import warehouse
from pipelines.assets.previews import markdown_table
from pipelines.settings import Paths

close_partitions = MonthlyPartitionsDefinition(start_date="2024-11-01")
# closed table -> the finance mart it freezes, one row per (month, key) of the mart
CLOSED = {
    "mrr_monthly": "fct_mrr_monthly",
    "mrr_movements_monthly": "fct_mrr_movements_monthly",
    "customers_monthly": "fct_customers_monthly",
}


@asset(key=["finance_close", "mrr_monthly"], partitions_def=close_partitions, group_name="finance_close",
       deps=[AssetKey(["finance", mart]) for mart in CLOSED.values()], kinds={"duckdb", "dbt"}, pool="warehouse")
def finance_close(context: AssetExecutionContext, dbt: DbtCliResource) -> MaterializeResult:
    """The closed books of one month: the finance marts rebuilt from the warehouse as it is now, and
    the month's rows of MRR, its movements and customer counts frozen in `finance_close.*` (a re-close
    replaces the month's rows and records when it happened)."""
    month = context.partition_key
    paths = Paths.from_env()
    os.environ.update(warehouse.dbt_env(paths.warehouse))
    dbt.cli(["build", "--select", "marts.finance+", "--indirect-selection", "buildable"]).wait()
    con = warehouse.connect(paths.warehouse)
    try:
        con.execute("create schema if not exists finance_close")
        rows = {}
        for closed, mart in CLOSED.items():
            con.execute(f"create table if not exists finance_close.{closed} as "
                        f"select *, now() as closed_at, ''::varchar as closed_by_run from finance.{mart} where false")
            con.execute(f"delete from finance_close.{closed} where month = ?::date", [month])
            con.execute(f"insert into finance_close.{closed} select *, now(), ? from finance.{mart} where month = ?::date",
                        [context.run_id, month])
            rows[closed] = con.execute(f"select count(*) from finance_close.{closed} where month = ?::date", [month]).fetchone()[0]
        preview = markdown_table(con, "select movement_type, accounts, mrr_change, ending_mrr from finance_close.mrr_movements_monthly "
                                      f"where month = '{month}'::date order by movement_order")
        mrr = con.execute("select coalesce(sum(mrr), 0) from finance_close.mrr_monthly where month = ?::date", [month]).fetchone()[0]
    finally:
        con.close()
    return MaterializeResult(metadata={"month": month, "mrr_usd": MetadataValue.float(float(mrr)),
                                       **{f"rows_{k}": MetadataValue.int(v) for k, v in rows.items()},
                                       "preview": MetadataValue.md(preview)})


monthly_close_job = define_asset_job("monthly_close", selection=[finance_close], partitions_def=close_partitions,
                                     description="Close last month's books: rebuild finance marts, freeze the month.")
# the 1st of each month at 08:00 UTC, for the month that just ended (after the 06:00 daily run)
monthly_close_schedule = build_schedule_from_partitioned_job(monthly_close_job, hour_of_day=8, name="monthly_close")
