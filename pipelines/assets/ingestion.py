"""Dagster assets for the dlt sources: keys `raw/<source>/<table>`, one group per source, and the
run helper every source's asset function uses (progress, one-line errors, change counts)."""
from __future__ import annotations

import logging
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Iterator

import dlt
import duckdb
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue
from dagster_dlt import DagsterDltResource, DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.extract.source import DltSource

from pipelines import warehouse
from pipelines.privacy.erasure import enforce_erasures
from pipelines.settings import Paths
from pipelines.sources.common.errors import SourceError
from pipelines.sources.common.progress import SyncProgress

RAW_SCHEMA = "raw_{source}"


class _ArrowHintNoise(logging.Filter):
    """dlt warns that our JSON/not-null column hints override the Arrow types: that is the intent."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "several column hints were different" not in record.getMessage()


logging.getLogger("dlt").addFilter(_ArrowHintNoise())


class RawTranslator(DagsterDltTranslator):
    """`raw/<source>/<table>` keys, grouped by source, with kinds dlt + duckdb + the system."""

    def __init__(self, source: str):
        self.source = source

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(
            key=AssetKey(["raw", self.source, data.resource.table_name if isinstance(data.resource.table_name, str) else data.resource.name]),
            group_name=f"raw_{self.source}",
            kinds={"dlt", "duckdb", self.source},
            description=(data.resource.__doc__ or "").strip().split("\n\n")[0] or f"{self.source} {data.resource.name}, as loaded by dlt",
            deps=[],
        )


def warehouse_pipeline(source: str, paths: Paths, connection: duckdb.DuckDBPyConnection | None = None) -> dlt.Pipeline:
    """The dlt pipeline that loads `source` into `raw_<source>` of the warehouse, through `connection`
    (from `warehouse.connect`; without one, the pipeline only describes its tables). Its state lives
    in the warehouse too, so a fresh checkout resumes where the last run stopped."""
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=f"penguin_{source}",
        destination=warehouse.dlt_destination(connection) if connection else dlt.destinations.duckdb(str(paths.warehouse)),
        dataset_name=RAW_SCHEMA.format(source=source),
        pipelines_dir=str(paths.dlt_dir),
    )


def spec_pipeline(source: str) -> dlt.Pipeline:
    """A pipeline used only to describe a source's assets at definition time (no data is written)."""
    return warehouse_pipeline(source, Paths(Path(tempfile.gettempdir()) / "penguin-asset-specs"))


def _table_counts(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, tuple[int, int]]:
    """(rows, soft-deleted rows) per table of `schema`, read before and after a load."""
    tables = con.execute(
        "select table_name, bool_or(column_name = '_deleted') from information_schema.columns "
        "where table_schema = ? and table_name not like '\\_dlt%' escape '\\' group by 1", [schema]).fetchall()
    out = {}
    for table, has_deleted in tables:
        deleted = "count(*) filter (where _deleted)" if has_deleted else "0"
        out[table] = con.execute(f'select count(*), {deleted} from "{schema}"."{table}"').fetchone()
    return out


def run_source(context: AssetExecutionContext, dlt_resource: DagsterDltResource, source: str,
               dlt_source: DltSource, progress: SyncProgress) -> Iterator[MaterializeResult]:
    """Runs one source's dlt pipeline and yields a materialization per table with the rows loaded,
    new, updated and soft-deleted, the table's total and the seconds it took."""
    paths = Paths.from_env()
    schema = RAW_SCHEMA.format(source=source)
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    with closing(warehouse.connect(paths.warehouse)) as con:  # one connection for the whole load
        before = _table_counts(con, schema)
        started = time.monotonic()
        pipeline = warehouse_pipeline(source, paths, con)
        try:
            with progress:
                results = list(dlt_resource.run(context=context, dlt_source=dlt_source, dlt_pipeline=pipeline))
        except Exception as e:  # dlt wraps the source's exception in PipelineStepFailed
            cause = e
            while cause is not None and not isinstance(cause, SourceError):
                cause = cause.__cause__ or cause.__context__
            if cause is not None:
                raise cause from None
            raise
    enforce_erasures(paths, pipeline, context.log.info)  # erased people the vendor sent again go at once
    seconds = time.monotonic() - started
    context.log.info(progress.line() + f" in {seconds:.1f}s")
    with closing(warehouse.connect(paths.warehouse, read_only=True)) as con:
        after = _table_counts(con, schema)
    for result in results:
        table = result.asset_key.path[-1]
        rows_after, deleted_after = after.get(table, (0, 0))
        rows_before, deleted_before = before.get(table, (0, 0))
        loaded = int(result.metadata.get("rows_loaded").value) if result.metadata and "rows_loaded" in result.metadata else 0
        new = max(0, rows_after - rows_before)
        yield MaterializeResult(asset_key=result.asset_key, metadata={
            **(result.metadata or {}),
            "rows_loaded": MetadataValue.int(loaded),
            "rows_new": MetadataValue.int(new),
            "rows_updated": MetadataValue.int(max(0, loaded - new)),
            "rows_deleted": MetadataValue.int(max(0, deleted_after - deleted_before)),
            "dagster/row_count": MetadataValue.int(rows_after),
            "sync_seconds": MetadataValue.float(round(seconds, 2)),
        })
