"""A deployment on the machine's real PostgreSQL: dagster-daemon ticks the daily schedule and the
run it launches materializes everything from the sandbox."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

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
        deadline = time.monotonic() + 600
        run = None
        while time.monotonic() < deadline:
            runs = instance.get_runs(RunsFilter(tags={"dagster/schedule_name": "daily_run"}))
            done = [r for r in runs if r.status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE)]
            if done:
                run = done[-1]
                break
            assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
            time.sleep(5)
        assert run is not None, "the daemon launched no scheduled run in time"
        assert run.status == DagsterRunStatus.SUCCESS, [
            e.message for e in instance.all_logs(run.run_id) if e.level >= 40][:5]
        materialized = {e.asset_materialization.asset_key.to_user_string()
                        for e in instance.all_logs(run.run_id) if e.is_dagster_event and e.dagster_event.is_step_materialization}
        for source in ("app", "stripe", "jira", "hubspot", "google"):
            assert any(k.startswith(f"raw/{source}/") for k in materialized), source
        assert "published/marts" in materialized and "ops/sync_health" in materialized
        assert (tmp_path / "data" / "marts.duckdb").exists()
    finally:
        daemon.terminate()
        daemon.wait(60)
        sandbox.stop()
        for var in ("DAGSTER_HOME", "PENGUIN_DAGSTER_POSTGRES_URL"):
            os.environ.pop(var, None)
