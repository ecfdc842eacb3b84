"""A deployment on the machine's real PostgreSQL: dagster-daemon ticks the daily schedule and the
run it launches materializes everything from the sandbox; the run the monthly schedule asks for
(last month's partition) then goes through the deployment's run queue and closes that month."""
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, DagsterRunStatus, RunsFilter, build_schedule_context

from pipelines.assets.finance_close import monthly_close_schedule
from tests.conftest import REPO, start_sandbox

pytestmark = pytest.mark.slow


def test_daemon_runs_the_daily_schedule_on_postgres(tmp_path, postgres_db):
    sandbox = start_sandbox(tmp_path / "sandbox", seed=5, scale="tiny")
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "deploy" / "dagster.yaml").read_text())
    env = {**os.environ, **sandbox.env, "DAGSTER_HOME": str(home), "PENGUIN_DAGSTER_POSTGRES_URL": postgres_db,
           "PENGUIN_DATA_DIR": str(tmp_path / "data"), "PENGUIN_DAILY_CRON": "* * * * *"}
    log = (tmp_path / "daemon.log").open("wb")
    daemon = subprocess.Popen([str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
                              cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        os.environ.update({k: env[k] for k in ("DAGSTER_HOME", "PENGUIN_DAGSTER_POSTGRES_URL")})
        instance = DagsterInstance.get()

        def finished(tags: dict[str, str]):
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                done = [r for r in instance.get_runs(RunsFilter(tags=tags))
                        if r.status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE)]
                if done:
                    assert done[-1].status == DagsterRunStatus.SUCCESS, [
                        e.message for e in instance.all_logs(done[-1].run_id) if e.level >= 40][:5]
                    return done[-1]
                assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
                time.sleep(5)
            raise AssertionError(f"no run tagged {tags} finished in time")

        run = finished({"dagster/schedule_name": "daily_run"})
        materialized = {e.asset_materialization.asset_key.to_user_string()
                        for e in instance.all_logs(run.run_id) if e.is_dagster_event and e.dagster_event.is_step_materialization}
        for source in ("app", "stripe", "jira", "hubspot", "google"):
            assert any(k.startswith(f"raw/{source}/") for k in materialized), source
        assert "published/marts" in materialized and "ops/sync_health" in materialized
        assert (tmp_path / "data" / "marts.duckdb").exists()

        dagster = str(Path(sys.executable).parent / "dagster")
        subprocess.run([dagster, "schedule", "stop", "daily_run", "-w", "workspace.yaml"], cwd=REPO, env=env,
                       check=True, capture_output=True)  # no more daily runs queued ahead of the close
        tick = build_schedule_context(scheduled_execution_time=datetime(2026, 11, 1, 8, tzinfo=timezone.utc))
        request, = monthly_close_schedule.evaluate_tick(tick).run_requests
        assert request.partition_key == "2026-10-01"
        subprocess.run([dagster, "job", "launch", "-w", "workspace.yaml",
                        "-j", request.job_name, "--tags", json.dumps({"dagster/partition": request.partition_key})],
                       cwd=REPO, env=env, check=True, capture_output=True)
        close = finished({"dagster/partition": "2026-10-01"})
        assert instance.get_latest_materialization_event(AssetKey(["finance_close", "mrr_monthly"])).run_id == close.run_id
    finally:
        daemon.terminate()
        daemon.wait(60)
        sandbox.stop()
        for var in ("DAGSTER_HOME", "PENGUIN_DAGSTER_POSTGRES_URL"):
            os.environ.pop(var, None)
