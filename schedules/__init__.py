"""Schedules: the daily run at a configurable hour (`PENGUIN_DAILY_HOUR`, default 6, in
`PENGUIN_SCHEDULE_TIMEZONE`, default UTC; `PENGUIN_DAILY_CRON` replaces the whole cron expression)."""
import os

from dagster import DefaultScheduleStatus, ScheduleDefinition

daily_schedule = ScheduleDefinition(
    name="daily_run", job_name="daily",
    cron_schedule=os.environ.get("PENGUIN_DAILY_CRON") or f"0 {int(os.environ.get('PENGUIN_DAILY_HOUR', '6'))} * * *",
    execution_timezone=os.environ.get("PENGUIN_SCHEDULE_TIMEZONE", "UTC"),
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every source incremental, dbt build, publish.",
)
