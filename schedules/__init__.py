"""Schedules: the daily run at a configurable hour (`PENGUIN_DAILY_HOUR`, default 6, in
`PENGUIN_SCHEDULE_TIMEZONE`, default UTC; `PENGUIN_DAILY_CRON` replaces the whole cron expression)."""
import os

from dagster import DefaultScheduleStatus, ScheduleDefinition

from pipelines.access.jobs import export_and_backup

daily_schedule = ScheduleDefinition(
    name="daily_run", job_name="daily",
    cron_schedule=os.environ.get("PENGUIN_DAILY_CRON") or f"0 {int(os.environ.get('PENGUIN_DAILY_HOUR', '6'))} * * *",
    execution_timezone=os.environ.get("PENGUIN_SCHEDULE_TIMEZONE", "UTC"),
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every source incremental, dbt build, publish.",
)

# Every published mart to Parquet and a warehouse backup (pipelines/access/jobs.py), by default at 05:00,
# before the daily run; `PENGUIN_BACKUP_CRON` replaces the cron expression.
export_and_backup_schedule = ScheduleDefinition(
    name="export_and_backup", job=export_and_backup,
    cron_schedule=os.environ.get("PENGUIN_BACKUP_CRON") or "0 5 * * *",
    execution_timezone=os.environ.get("PENGUIN_SCHEDULE_TIMEZONE", "UTC"),
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every published mart to Parquet, and a backup of the warehouse with dlt's state.",
)
