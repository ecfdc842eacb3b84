"""The `export_and_backup` Dagster job (scheduled in `schedules/`): every published mart to Parquet,
and a backup of the warehouse. The backup is in pool `warehouse`, so it never overlaps a step that
writes the warehouse."""
from dagster import OpExecutionContext, in_process_executor, job, op

from pipelines.access import backups, exports
from pipelines.access.snapshots import keep_from_env, snapshot_dir
from pipelines.settings import Paths


@op
def export_marts(context: OpExecutionContext) -> None:
    """Every table of the published marts to Parquet (month-partitioned where it has a month)."""
    paths = Paths.from_env()
    export = exports.export_marts(paths.marts, snapshot_dir(paths, exports.DIR_VARIABLE, exports.DEFAULT_DIR),
                                  keep_from_env(exports.KEEP_VARIABLE, exports.DEFAULT_KEEP))
    context.log.info(f"exported {len(export.tables)} tables ({sum(t.rows for t in export.tables.values()):,} rows) "
                     f"to {export.path}")


@op(pool="warehouse")
def backup_warehouse(context: OpExecutionContext) -> None:
    """A consistent copy of the warehouse (with dlt's state), keeping the last `PENGUIN_BACKUP_KEEP`."""
    paths = Paths.from_env()
    backup = backups.backup_warehouse(paths, snapshot_dir(paths, backups.DIR_VARIABLE, backups.DEFAULT_DIR),
                                      keep_from_env(backups.KEEP_VARIABLE, backups.DEFAULT_KEEP))
    context.log.info(f"backed up {backup.contents.tables} tables ({backup.contents.rows:,} rows) to {backup.path}")


@job(executor_def=in_process_executor,
     description="Every published mart to Parquet, and a backup of the warehouse (with dlt's state).")
def export_and_backup():
    export_marts()
    backup_warehouse()
