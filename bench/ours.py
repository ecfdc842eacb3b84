"""Our sources, measured through the production code path: the source's Dagster asset (its
`run_source`: row counts, dagster-dlt's run of the warehouse pipeline, erasure enforcement) with the
resources read from the same environment variables, materialized alone in this process. Everything
is imported before the clock starts, as in the Dagster process of `penguin run`."""
from __future__ import annotations

import importlib

from dagster import AssetsDefinition, DagsterEventType, materialize
from dagster_dlt import DagsterDltResource

from bench import SOURCES
from pipelines.errors import first_error_line
from pipelines.resources import source_resources


def asset(name: str) -> AssetsDefinition:
    """The source's multi-asset, `pipelines/assets/<source>.py`'s `<source>_assets`."""
    if name not in SOURCES:
        raise ValueError(f"unknown source {name!r}; one of {', '.join(SOURCES)}")
    return getattr(importlib.import_module(f"pipelines.assets.{name}"), f"{name}_assets")


def sync(name: str) -> dict:
    """One sync of source `name` (backfill, or incremental once the warehouse holds its state):
    the asset step's seconds, `run_source`'s own sync seconds, rows loaded, rows in the warehouse."""
    result = materialize([asset(name)], resources={"dlt": DagsterDltResource(), **source_resources()},
                         raise_on_error=False)
    if not result.success:
        failure = next(e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE)
        raise RuntimeError(f"{name} sync failed: {first_error_line(failure.event_specific_data.error)}")
    step = next(e for e in result.all_events if e.event_type == DagsterEventType.STEP_SUCCESS)
    tables = {}
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            mat = event.event_specific_data.materialization
            tables[mat.asset_key.path[-1]] = {k: v.value for k, v in mat.metadata.items()
                                              if k in ("rows_loaded", "dagster/row_count", "sync_seconds")}
    return {"seconds": round(step.event_specific_data.duration_ms / 1000, 3),
            "sync_seconds": max(t["sync_seconds"] for t in tables.values()),
            "rows_loaded": sum(t["rows_loaded"] for t in tables.values()),
            "rows": sum(t["dagster/row_count"] for t in tables.values()),
            "tables": {table: t["dagster/row_count"] for table, t in tables.items()}}
