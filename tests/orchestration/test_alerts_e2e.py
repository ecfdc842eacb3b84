"""Alerts end to end: real sandbox faults → real Dagster runs → the alerts sensor → a real webhook
receiver. One alert per failure and webhook, one recovered message, no storm across ticks."""
import os
import time
from datetime import timedelta
from unittest import mock

import pytest
from dagster import AssetSelection, DagsterInstance, Definitions, build_sensor_context, define_asset_job

from pipelines.assets.app import app_assets
from pipelines.checks import freshness_checks
from pipelines.definitions import defs
from pipelines.runner import SQLITE_INSTANCE_YAML, run_daily
from sensors import alerts_sensor
from sensors.notify import ENV
from tests.alerting.webhook_receiver import WebhookReceiver
from tests.conftest import start_sandbox

pytestmark = pytest.mark.slow


class Harness:
    def __init__(self, tmp_path, receiver):
        self.sandbox = start_sandbox(tmp_path / "sandbox", seed=11, scale="tiny")
        self.receiver = receiver
        self.env = {**self.sandbox.env, "PENGUIN_DATA_DIR": str(tmp_path / "data"),
                    "DAGSTER_HOME": str(tmp_path / "dagster"), "PENGUIN_DAGSTER_URL": "http://dagster.test",
                    **{var: receiver.url(channel) for channel, var in ENV.items()}}
        os.makedirs(self.env["DAGSTER_HOME"])
        (tmp_path / "dagster" / "dagster.yaml").write_text(SQLITE_INSTANCE_YAML)
        self.cursor = None

    def run(self, select: str):
        with mock.patch.dict(os.environ, self.env):
            return run_daily(select)

    def tick(self, times: int = 3) -> None:
        """Evaluates the alerts sensor like the daemon does, carrying its cursor between ticks."""
        with mock.patch.dict(os.environ, self.env):
            instance = DagsterInstance.get()
            for _ in range(times):
                context = build_sensor_context(instance=instance, cursor=self.cursor)
                alerts_sensor(context)
                self.cursor = context.cursor

    def texts(self, channel: str = "slack") -> list[str]:
        return [m["text"] for m in self.receiver.received.get(channel, [])]


@pytest.fixture
def harness(tmp_path):
    with WebhookReceiver() as rx:
        h = Harness(tmp_path, rx)
        yield h
        h.sandbox.stop()


def test_a_failing_sync_alerts_once_per_webhook_then_recovers_once(harness):
    harness.sandbox.client.add_fault("unauthorized", vendor="stripe", times=-1)
    assert not harness.run("group:raw_stripe").success
    harness.tick()
    assert not harness.run("group:raw_stripe").success  # still failing: no new alert
    harness.tick()
    for channel in ENV:
        assert len(harness.receiver.received[channel]) == 1, channel
    alert, = harness.texts()
    assert "Stripe sync failed" in alert and "STRIPE_API_KEY" in alert and "http://dagster.test/runs/" in alert
    assert harness.sandbox.env["STRIPE_API_KEY"] not in alert

    harness.sandbox.client.clear_faults()
    assert harness.run("group:raw_stripe").success
    harness.tick()
    for channel in ENV:
        assert len(harness.receiver.received[channel]) == 2, channel
    assert "Stripe sync recovered" in harness.texts()[1] and "2 failing runs" in harness.texts()[1]
    harness.tick()
    assert len(harness.texts()) == 2


def test_a_failing_data_quality_check_alerts_once_and_recovers(harness):
    select = "group:raw_app or key:staging/stg_app__tenants"
    assert harness.run(select).success
    harness.tick()
    assert harness.texts() == []
    harness.sandbox.client.add_fault("bad_record", vendor="appdb")
    harness.sandbox.client.advance(days=1)
    assert not harness.run(select).success  # the blocking accepted_values test fails the build
    harness.tick()
    checks = [t for t in harness.texts() if t.startswith("🔴 Check")]
    assert len(checks) == 1 and "stg_app__tenants" in checks[0] and "accepted_values" in checks[0]
    assert len(harness.receiver.received["teams"]) == len(harness.texts())
    harness.tick()
    assert len([t for t in harness.texts() if t.startswith("🔴 Check")]) == 1

    harness.sandbox.client.advance(days=1)  # the emulator writes the true status back
    assert harness.run(select).success
    harness.tick()
    recovered = [t for t in harness.texts() if "recovered" in t]
    assert any(t.startswith("✅ Check") and "stg_app__tenants" in t for t in recovered)


def test_a_stale_source_alerts_once_per_table_and_recovers(harness):
    assert harness.run("group:raw_app").success
    checks = freshness_checks([app_assets], stale_after=timedelta(seconds=10))  # the real check, a shorter window
    job = Definitions(assets=[app_assets], asset_checks=checks, resources=defs.resources, jobs=[
        define_asset_job("freshness", selection=AssetSelection.checks(*checks))]).resolve_job_def("freshness")

    def evaluate_freshness():  # what the freshness sensor's runs do
        with mock.patch.dict(os.environ, harness.env):
            assert job.execute_in_process(instance=DagsterInstance.get(), raise_on_error=False) is not None

    time.sleep(11)
    evaluate_freshness()
    harness.tick()
    evaluate_freshness()  # still stale: no new alert
    harness.tick()
    tables = {k.path[-1] for k in app_assets.keys}
    stale = [t for t in harness.texts() if t.startswith("🔴 Check raw/app/")]
    assert len(stale) == len(tables) and all("freshness" in t for t in stale)
    assert {t.split("raw/app/")[1].split(" ")[0] for t in stale} == tables
    assert len(harness.receiver.received["google_chat"]) == len(harness.texts())

    assert harness.run("group:raw_app").success
    evaluate_freshness()
    harness.tick()
    assert len([t for t in harness.texts() if t.startswith("✅ Check raw/app/")]) == len(tables)
