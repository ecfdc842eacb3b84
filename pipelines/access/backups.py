"""Warehouse backups and restore.

A backup is DuckDB's own copy of the whole warehouse (`ATTACH … (READ_ONLY)` + `COPY FROM DATABASE`)
into `<backup dir>/warehouse-<UTC stamp>.duckdb`, encrypted with the warehouse's key when it is: raw tables, dlt's state and load records
(`_dlt_pipeline_state`, `_dlt_loads`), staging views, intermediate and mart tables. The read-only
attach cannot coexist with a writer (DuckDB's file lock), so a backup is one committed state, never a
file being written; it is copied under a hidden name and renamed when complete. The last
`PENGUIN_BACKUP_KEEP` (7) stay.

A restore verifies the backup opens, copies it beside the warehouse, verifies the copy and renames
it over `warehouse.duckdb`. The next run continues from the restored dlt state: every sync
(dagster-dlt) drops dlt's local working state first and restores it from the warehouse.
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines import warehouse
from pipelines.access import AccessError, first_line
from pipelines.access.snapshots import prune, stamp
from pipelines.settings import Paths

KEEP_VARIABLE, DEFAULT_KEEP = "PENGUIN_BACKUP_KEEP", 7
DIR_VARIABLE, DEFAULT_DIR = "PENGUIN_BACKUP_DIR", "backups"
LOCKED = "Could not set lock"


@dataclass(frozen=True)
class Contents:
    tables: int
    rows: int
    dlt_state: list[str]  # the schemas holding a dlt pipeline state


@dataclass(frozen=True)
class Backup:
    path: Path
    contents: Contents


def backups(directory: Path) -> list[Path]:
    """Complete backups, oldest first."""
    return sorted(directory.glob("warehouse-*.duckdb"))


def backup_warehouse(paths: Paths, directory: Path, keep: int = DEFAULT_KEEP) -> Backup:
    if not paths.warehouse.exists():
        raise AccessError(f"no warehouse at {paths.warehouse} to back up: run `penguin run` first")
    directory.mkdir(parents=True, exist_ok=True)
    name = f"warehouse-{stamp()}.duckdb"
    partial = directory / f".{name}.partial"
    alias = warehouse.catalog(paths.warehouse)
    con = warehouse.memory_connection()
    try:
        warehouse.attach(con, paths.warehouse)
        warehouse.attach(con, partial, "backup", read_only=False)  # encrypted like the warehouse, with its key
        con.execute(f'copy from database "{alias}" to backup')
        con.execute("detach backup")
    except duckdb.Error as e:
        partial.unlink(missing_ok=True)
        raise AccessError(_busy(e, "back up") if LOCKED in str(e) else
                          f"the backup of {paths.warehouse} failed: {first_line(e)}") from None
    finally:
        con.close()
    contents = inspect(partial, alias)
    os.replace(partial, directory / name)
    prune(backups(directory), keep)
    return Backup(directory / name, contents)


def inspect(path: Path, alias: str = "warehouse", name: str | None = None) -> Contents:
    """What a backup (or warehouse) file holds; it must open and every table must be readable.
    It is attached under the warehouse's own name, which its views refer to; errors call it `name`."""
    con = warehouse.memory_connection()
    try:
        warehouse.attach(con, path, alias)
        tables = con.execute("select schema_name, table_name from duckdb_tables() where database_name = ?",
                             [alias]).fetchall()
        rows = sum(con.execute(f'select count(*) from "{alias}"."{s}"."{t}"').fetchone()[0] for s, t in tables)
    except duckdb.Error as e:
        raise AccessError(f"{name or path.name} is not a readable DuckDB database ({first_line(e)}); "
                          "restore another backup (`penguin backup --list`)") from None
    finally:
        con.close()
    return Contents(len(tables), rows, sorted(s for s, t in tables if t == "_dlt_pipeline_state"))


def find_backup(directory: Path, name: str | None) -> Path:
    """The backup called `name` (with or without `.duckdb`), else the newest."""
    available = backups(directory)
    if not available:
        raise AccessError(f"no backups in {directory}: `penguin backup` makes one")
    if name is None:
        return available[-1]
    for path in available:
        if name in (path.name, path.stem):
            return path
    raise AccessError(f"no backup {name!r} in {directory}; `penguin backup --list` shows them")


def restore_backup(paths: Paths, backup: Path, overwrite: bool = False) -> Contents:
    """Puts `backup` in place of the warehouse; refuses to replace an existing one unless `overwrite`."""
    wal = paths.warehouse.with_name(paths.warehouse.name + ".wal")
    if (paths.warehouse.exists() or wal.exists()) and not overwrite:
        raise AccessError(f"{paths.warehouse} exists and would be replaced by {backup.name}; "
                          "pass --yes to replace it")
    _ensure_no_writer(paths.warehouse)
    staged = paths.warehouse.with_name(f".{paths.warehouse.name}.restoring-{stamp()}")
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(backup, staged)
        contents = inspect(staged, warehouse.catalog(paths.warehouse), backup.name)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    wal.unlink(missing_ok=True)  # the old database's log must never be replayed onto the restored one
    os.replace(staged, paths.warehouse)
    return contents


def _ensure_no_writer(path: Path) -> None:
    """Fails when a process holds the warehouse open; a damaged file (the reason to restore) is fine."""
    if not path.exists():
        return
    try:
        warehouse.connect(path).close()
    except duckdb.Error as e:
        if LOCKED in str(e):
            raise AccessError(_busy(e, "restore")) from None


def _busy(e: duckdb.Error, what: str) -> str:
    pid = re.search(r"\(PID (\d+)\)", str(e))
    return (f"the warehouse is open in another process{f' (PID {pid[1]})' if pid else ''}, probably a running "
            f"pipeline; {what} when it has finished")
