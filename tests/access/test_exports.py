"""`penguin export` and the scheduled `export_and_backup` job, on a real published marts file."""
from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import duckdb
import pytest
from dagster import DagsterInstance

from pipelines.access.backups import backups
from pipelines.access.exports import exports

pytestmark = pytest.mark.slow


def _published_tables(marts: Path) -> dict[str, list[str]]:
    """schema.table -> its columns, of every table in the published file."""
    con = duckdb.connect(str(marts), read_only=True)
    try:
        out: dict[str, list[str]] = {}
        for schema, table, column in con.execute(
                "select c.schema_name, c.table_name, c.column_name from duckdb_columns() as c "
                "join duckdb_tables() as t using (database_name, schema_name, table_name) "
                "order by c.schema_name, c.table_name, c.column_index").fetchall():
            out.setdefault(f"{schema}.{table}", []).append(column)
        return out
    finally:
        con.close()


def _differences(marts: Path, export: Path, table: str, columns: list[str]) -> tuple[int, int, int]:
    """(rows in the mart, rows read back, rows of either not in the other) for one exported table."""
    folder = export / table.replace(".", "/")
    con = duckdb.connect()
    try:
        con.execute(f"attach '{marts}' as m (read_only)")
        back = f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true)"
        mart = f"select * from m.{table}"
        if "month" in columns:  # the partition folder carries the month as YYYY-MM
            mart = f"select * replace (strftime(month, '%Y-%m') as month) from m.{table}"
        names = ", ".join(f'"{c}"' for c in columns)
        rows, read = (con.execute(f"select count(*) from ({q})").fetchone()[0] for q in (mart, f"select * from {back}"))
        diff = con.execute(f"select count(*) from (({mart}) except all (select {names} from {back})) "
                           f"union all select count(*) from ((select {names} from {back}) except all ({mart}))").fetchall()
        return rows, read, sum(d[0] for d in diff)
    finally:
        con.close()


def test_every_published_table_is_exported_month_partitioned_and_reads_back_equal(published, tmp_path):
    root = tmp_path / "exports"
    done = published.penguin("export", PENGUIN_EXPORT_DIR=str(root))
    assert done.returncode == 0, done.stderr
    export, = exports(root)
    assert (root / "latest").resolve() == export
    tables = _published_tables(published.paths.marts)
    assert len(tables) >= 15
    exported = {f"{p.parent.name}.{p.name}" for p in export.glob("*/*") if p.is_dir()}
    assert exported == set(tables)
    for table, columns in tables.items():
        folder = export / table.replace(".", "/")
        months = sorted(p.name for p in folder.glob("month=*"))
        rows, read, different = _differences(published.paths.marts, export, table, columns)
        assert rows == read and different == 0, f"{table}: {rows} rows, {read} read back, {different} differ"
        if rows and ("month" in columns or "month_start" in columns):
            assert months and all(len(m) == len("month=2026-10") for m in months), f"{table}: {months[:3]}"
            assert not (folder / "data.parquet").exists()
        else:
            assert not months and (folder / "data.parquet").exists(), table
        print(f"{table}: {rows} rows" + (f", {len(months)} month partitions" if months else ""))


def test_exports_keep_the_last_n_and_latest_points_at_the_newest(published, tmp_path):
    root = tmp_path / "exports"
    for _ in range(3):
        assert published.penguin("export", PENGUIN_EXPORT_DIR=str(root), PENGUIN_EXPORT_KEEP="2").returncode == 0
    kept = exports(root)
    assert len(kept) == 2 and (root / "latest").resolve() == kept[-1]
    assert not [p for p in root.iterdir() if p.name.startswith(".")]  # nothing half-written left behind
    bad = published.penguin("export", PENGUIN_EXPORT_DIR=str(root), PENGUIN_EXPORT_KEEP="none")
    assert bad.returncode == 1 and bad.stderr.strip() == (
        "export: PENGUIN_EXPORT_KEEP must be a whole number of snapshots to keep (1 or more), not 'none'")


def test_the_scheduled_job_exports_and_backs_up(published, tmp_path):
    from pipelines.definitions import defs

    schedule = defs.resolve_schedule_def("export_and_backup")
    assert schedule.job_name == "export_and_backup" and schedule.cron_schedule == "0 5 * * *"
    env = {**published.env, "PENGUIN_EXPORT_DIR": str(tmp_path / "exports"), "PENGUIN_BACKUP_DIR": str(tmp_path / "backups")}
    with mock.patch.dict(os.environ, env):
        result = defs.resolve_job_def("export_and_backup").execute_in_process(instance=DagsterInstance.get())
    assert result.success
    assert len(exports(tmp_path / "exports")) == 1 and len(backups(tmp_path / "backups")) == 1
