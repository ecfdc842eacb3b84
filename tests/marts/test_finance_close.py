"""The monthly close: the schedule asks for last month's partition, and closing a month freezes
exactly that month's finance rows (a re-close replaces them)."""
import os
from datetime import datetime, timezone
from unittest import mock

import pytest
from dagster import DagsterInstance, build_schedule_context

from pipelines.assets.finance_close import monthly_close_schedule

pytestmark = pytest.mark.slow


def test_the_schedule_closes_the_month_that_just_ended():
    context = build_schedule_context(scheduled_execution_time=datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc))
    request, = monthly_close_schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2026-11-01" and request.job_name == "monthly_close"


def test_closing_a_month_freezes_its_rows(built_warehouse):
    from pipelines.definitions import defs

    env = {"PENGUIN_DATA_DIR": str(built_warehouse.paths.data_dir),
           "DAGSTER_HOME": str(built_warehouse.paths.data_dir.parent / "dagster")}
    with mock.patch.dict(os.environ, env):
        job = defs.resolve_job_def("monthly_close")
        for _ in range(2):  # closing twice replaces the month's rows
            assert job.execute_in_process(partition_key="2026-10-01", instance=DagsterInstance.get()).success
    closed = built_warehouse.query("select customer_account_id, mrr from finance_close.mrr_monthly where month = '2026-10-01'")
    live = built_warehouse.query("select customer_account_id, mrr from finance.fct_mrr_monthly where month = '2026-10-01'")
    assert closed and sorted(map(tuple, (r.values() for r in closed))) == sorted(map(tuple, (r.values() for r in live)))
    months = built_warehouse.query("select distinct month from finance_close.mrr_movements_monthly")
    assert [str(r["month"]) for r in months] == ["2026-10-01"]
