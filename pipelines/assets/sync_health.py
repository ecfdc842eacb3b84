"""Sync health: what the data team reviews every morning. Per source, the last successful sync,
the rows it loaded, how long it took, and the failures of the last 7 days — read from Dagster's
own event log, written to `ops.sync_health` in the warehouse (and published with the marts)."""
import time

from dagster import (
    AssetExecutionContext,
    AssetKey,
    DagsterEventType,
    EventRecordsFilter,
    MaterializeResult,
    MetadataValue,
    asset,
)

from pipelines.assets.previews import markdown_table
from pipelines.errors import first_error_line
from pipelines import warehouse
from pipelines.settings import Paths

WINDOW_DAYS = 7


def collect(instance, raw_keys: list[AssetKey], now: float) -> list[tuple]:
    """One row per source: (source, last_success_at, rows_loaded, seconds, failures_7d, last_error)."""
    latest: dict[str, list] = {}
    for key in raw_keys:
        event = instance.get_latest_materialization_event(key)
        if event is None:
            latest.setdefault(key.path[1], [])
            continue
        meta = event.asset_materialization.metadata
        latest.setdefault(key.path[1], []).append((event.timestamp, event.run_id, meta))
    failures: dict[str, list[str]] = {}
    records = instance.get_event_records(EventRecordsFilter(
        DagsterEventType.STEP_FAILURE, after_timestamp=now - WINDOW_DAYS * 86_400), ascending=True)
    for record in records:
        step = record.event_log_entry.dagster_event.step_key or ""
        if step.endswith("_sync"):
            failures.setdefault(step[: -len("_sync")], []).append(
                first_error_line(record.event_log_entry.dagster_event.event_specific_data.error))
    rows = []
    for source, events in sorted(latest.items()):
        failed = failures.get(source, [])
        if not events:
            rows.append((source, None, None, None, len(failed), failed[-1] if failed else None))
            continue
        at, run_id, _ = max(events, key=lambda e: e[0])
        in_run = [m for _, r, m in events if r == run_id]
        loaded = sum(int(m["rows_loaded"].value) for m in in_run if "rows_loaded" in m)
        seconds = max((float(m["sync_seconds"].value) for m in in_run if "sync_seconds" in m), default=None)
        rows.append((source, at, loaded, seconds, len(failed), failed[-1] if failed else None))
    return rows


def sync_health_asset(raw_keys: list[AssetKey]):
    @asset(key=["ops", "sync_health"], deps=raw_keys, group_name="ops", kinds={"duckdb"}, pool="warehouse")
    def sync_health(context: AssetExecutionContext) -> MaterializeResult:
        """Per source: last successful sync, rows it loaded, its duration, failures in the last 7 days."""
        rows = collect(context.instance, raw_keys, time.time())
        con = warehouse.connect(Paths.from_env().warehouse)
        try:
            con.execute("create schema if not exists ops")
            con.execute("""create or replace table ops.sync_health (
                source varchar primary key, last_success_at timestamptz, rows_loaded bigint, sync_seconds double,
                failures_7d integer, last_error varchar)""")
            con.executemany("insert into ops.sync_health values (?, to_timestamp(?), ?, ?, ?, ?)", rows)
            preview = markdown_table(con, "select source, strftime(last_success_at, '%Y-%m-%d %H:%M') as last_success, "
                                          "rows_loaded, round(sync_seconds, 1) as seconds, failures_7d, last_error "
                                          "from ops.sync_health order by source")
        finally:
            con.close()
        stale = [r[0] for r in rows if r[1] is None]
        return MaterializeResult(metadata={"preview": MetadataValue.md(preview), "sources": len(rows),
                                           "never_synced": MetadataValue.json(stale)})

    return sync_health
