"""Alerting sensors: failed source syncs and builds, failed or warning data-quality checks (which
open-source Dagster does not alert on), and stale sources (freshness checks) → Slack, Teams and
Google Chat webhooks, de-duplicated (see `sensors/alerting.py`)."""
from __future__ import annotations

import json
import time

from dagster import (
    AssetCheckSeverity,
    DagsterEventType,
    DefaultSensorStatus,
    EventRecordsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from pipelines.errors import first_error_line
from sensors.alerting import AlertBook, Observation
from sensors.notify import notifiers_from_env

WATCHED = (DagsterEventType.STEP_FAILURE, DagsterEventType.STEP_SUCCESS, DagsterEventType.ASSET_CHECK_EVALUATION)
# On its very first tick the sensor reads the whole history to learn what is failing, but only
# alerts on what happened this recently.
FIRST_TICK_ALERT_WINDOW = 3600


def _subject(step_key: str) -> str:
    if step_key.endswith("_sync"):
        return f"{step_key[:-len('_sync')].replace('_', ' ').title()} sync"
    return {"dbt_models": "dbt build", "published_marts": "Publishing the marts"}.get(step_key, step_key)


def observations(instance, after: int | None) -> list[tuple[int, Observation]]:
    """Step outcomes and check evaluations recorded after storage id `after`, oldest first."""
    found = []
    for event_type in WATCHED:
        for record in instance.get_event_records(EventRecordsFilter(event_type=event_type, after_cursor=after), ascending=True):
            event = record.event_log_entry.dagster_event
            at, run_id = record.event_log_entry.timestamp, record.event_log_entry.run_id
            if event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                check = event.event_specific_data
                name = f"{check.asset_key.to_user_string()} › {check.check_name}"
                detail = check.description or next(
                    (f"{m.value} failing rows" for k, m in check.metadata.items() if k.endswith("failed_row_count")), "the check failed")
                status = "warning" if check.severity == AssetCheckSeverity.WARN else "failed"
                obs = Observation(f"check:{check.asset_key.to_user_string()}:{check.check_name}", f"Check {name}",
                                  check.passed, status, detail, run_id, at)
            elif event.step_key and (event.step_key.endswith("_sync") or event.step_key in ("dbt_models", "published_marts")):
                ok = event_type == DagsterEventType.STEP_SUCCESS
                detail = "" if ok else first_error_line(event.event_specific_data.error)
                obs = Observation(f"step:{event.step_key}", _subject(event.step_key), ok, "failed", detail, run_id, at)
            else:
                continue
            found.append((record.storage_id, obs))
    return sorted(found, key=lambda pair: pair[0])


@sensor(name="alerts", minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING,
        description="Alerts Slack/Teams/Google Chat once when a sync, build or check fails, and once when it recovers.")
def alerts_sensor(context: SensorEvaluationContext):
    state = json.loads(context.cursor) if context.cursor else {}
    first_tick = not state
    book = AlertBook(state.get("failing"))
    notifiers = notifiers_from_env()
    found = observations(context.instance, state.get("after"))
    sent = 0
    for _, obs in found:
        alert = book.observe(obs)
        if alert is None or (first_tick and obs.at < time.time() - FIRST_TICK_ALERT_WINDOW):
            continue
        for notifier in notifiers:
            try:
                notifier.send(alert)
                sent += 1
            except Exception as e:  # noqa: BLE001 - one broken webhook must not silence the others
                context.log.warning(f"alert to {notifier.channel} failed: {e}")
        context.log.info(alert.text)
    context.update_cursor(json.dumps({"after": found[-1][0] if found else state.get("after"), "failing": book.failing}))
    if not sent:
        return SkipReason(f"{len(found)} new events, nothing to alert; {len(book.failing)} subjects failing")
