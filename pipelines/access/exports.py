"""Parquet exports of every published mart.

Each export is a directory `<export dir>/<UTC stamp>/<schema>/<table>/`: hive-partitioned by month
(`month=2026-10/data_0.parquet`) when the table has a month (a date column `month` or `month_start`),
else one `data.parquet`. In partitioned tables `month` is the folder's `YYYY-MM` (read back as text
with `hive_partitioning`); a `month_start` column stays in the files as well. An export is written
under a hidden name and renamed when complete, then `latest` is pointed at it (an atomic symlink
swap), so a reader of `latest/` never sees half an export. The last `PENGUIN_EXPORT_KEEP` (7) stay.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.access import AccessError, sql_path
from pipelines.access.snapshots import prune, stamp

MONTH_COLUMNS = ("month", "month_start")
KEEP_VARIABLE, DEFAULT_KEEP = "PENGUIN_EXPORT_KEEP", 7
DIR_VARIABLE, DEFAULT_DIR = "PENGUIN_EXPORT_DIR", "exports"


@dataclass(frozen=True)
class ExportedTable:
    rows: int
    month_column: str | None  # the column the export is partitioned by, if any


@dataclass(frozen=True)
class Export:
    path: Path
    tables: dict[str, ExportedTable]  # "schema.table" -> what was written


def exports(root: Path) -> list[Path]:
    """Complete exports, oldest first."""
    return sorted(p for p in root.glob("2*") if p.is_dir())


def export_marts(marts: Path, root: Path, keep: int = DEFAULT_KEEP) -> Export:
    """Exports every table of the published marts (one build: the file is held open throughout)."""
    if not marts.exists():
        raise AccessError(f"no published marts at {marts} to export: run `penguin run` first")
    name = stamp()
    building = root / f".building-{name}"
    building.mkdir(parents=True)
    try:
        tables = _write_tables(marts, building)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    path = root / name
    os.rename(building, path)
    link = root / f".latest-{name}"
    link.symlink_to(name)
    os.replace(link, root / "latest")
    prune(exports(root), keep)
    return Export(path, tables)


def _write_tables(marts: Path, building: Path) -> dict[str, ExportedTable]:
    tables = {}
    con = duckdb.connect(str(marts), read_only=True)
    try:
        columns: dict[tuple[str, str], dict[str, str]] = {}
        for schema, table, column, data_type in con.execute(
                "select schema_name, table_name, column_name, data_type from duckdb_columns() "
                "where database_name = current_database() and not internal "
                "order by schema_name, table_name, column_index").fetchall():
            columns.setdefault((schema, table), {})[column] = data_type
        for (schema, table), types in columns.items():
            relation, target = f'"{schema}"."{table}"', building / schema / table
            target.mkdir(parents=True)
            rows = con.execute(f"select count(*) from {relation}").fetchone()[0]
            month = next((c for c in MONTH_COLUMNS if types.get(c, "").startswith(("DATE", "TIMESTAMP"))), None)
            if month and rows:  # (an empty table gets one file, which keeps its columns)
                select = ("* replace (strftime(month, '%Y-%m') as month)" if month == "month"
                          else f"*, strftime({month}, '%Y-%m') as month")
                con.execute(f"copy (select {select} from {relation}) to '{sql_path(target)}' "
                            "(format parquet, partition_by (month), overwrite_or_ignore)")
            else:
                month = None
                con.execute(f"copy {relation} to '{sql_path(target / 'data.parquet')}' (format parquet)")
            tables[f"{schema}.{table}"] = ExportedTable(rows, month)
    finally:
        con.close()
    return tables
