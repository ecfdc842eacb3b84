"""Data-quality checks beyond dbt's tests: source freshness and row-count volume bands."""

import os
from datetime import timedelta
from typing import Iterable

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetsDefinition,
    build_last_update_freshness_checks,
    multi_asset_check,
)

# A source whose tables were not refreshed for this long is stale (the daily run plus slack).
STALE_AFTER = timedelta(hours=float(os.environ.get("PENGUIN_STALE_AFTER_HOURS", "26")))
# A table that shrinks below half or grows beyond three times its previous size in one run is
# suspicious: a lost page range, a duplicated load, a vendor returning a different tenant.
VOLUME_BAND = (0.5, 3.0)
VOLUME_MIN_ROWS = 100  # tiny tables swing too much to judge


def freshness_checks(source_assets: Iterable[AssetsDefinition], stale_after: timedelta = STALE_AFTER):
    """One freshness check per raw table: fails (ERROR) when it was not materialized for `stale_after`."""
    return build_last_update_freshness_checks(
        assets=[k for a in source_assets for k in a.keys], lower_bound_delta=stale_after,
        severity=AssetCheckSeverity.ERROR)


def _row_counts(context: AssetCheckExecutionContext, key: AssetKey) -> list[int]:
    """Row counts recorded by the latest two materializations of `key`, newest first."""
    records = context.instance.fetch_materializations(key, limit=2, ascending=False).records
    counts = []
    for record in records:
        value = record.asset_materialization.metadata.get("dagster/row_count")
        if value is not None:
            counts.append(int(value.value))
    return counts


def volume_checks(source_assets: Iterable[AssetsDefinition]):
    keys = [k for a in source_assets for k in a.keys]

    @multi_asset_check(
        name="raw_volume_in_band",
        specs=[AssetCheckSpec("volume_in_band", asset=k, description="Row count within the band of the previous load")
               for k in keys],
        can_subset=True,
    )
    def raw_volume_in_band(context: AssetCheckExecutionContext):
        low, high = VOLUME_BAND
        for check_key in context.selected_asset_check_keys:
            counts = _row_counts(context, check_key.asset_key)
            if len(counts) < 2 or counts[1] < VOLUME_MIN_ROWS:
                yield AssetCheckResult(asset_key=check_key.asset_key, check_name=check_key.name, passed=True,
                                       metadata={"rows": counts[0] if counts else 0, "note": "not enough history"})
                continue
            now, before = counts
            ratio = now / before
            yield AssetCheckResult(
                asset_key=check_key.asset_key, check_name=check_key.name, passed=low <= ratio <= high,
                severity=AssetCheckSeverity.WARN,
                description=None if low <= ratio <= high else f"row count went from {before:,} to {now:,} ({ratio:.2f}×)",
                metadata={"rows": now, "previous_rows": before, "ratio": round(ratio, 3)})

    return raw_volume_in_band
