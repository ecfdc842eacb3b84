"""`penguin rollback`: put the previous published build back in place of `marts.duckdb`.

`pipelines.publish` keeps each replaced build as `published/marts-<stamp>.duckdb` beside the marts
file. Rolling back renames the newest of them over `marts.duckdb` (atomic, like publishing: a
reader holding the bad build keeps reading it until it reconnects); the bad build is dropped and a
second rollback goes one build further back. The next successful run publishes anew.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.access import AccessError, first_line


@dataclass(frozen=True)
class RolledBack:
    built_at: datetime  # when the build now in place was written
    tables: int
    earlier: int  # builds still kept behind it


def previous_builds(marts: Path) -> list[Path]:
    """The builds `publish_marts` kept, oldest first."""
    return sorted((marts.parent / "published").glob("marts-*.duckdb"))


def rollback_marts(marts: Path) -> RolledBack:
    builds = previous_builds(marts)
    if not builds:
        raise AccessError(f"no earlier published build beside {marts} to roll back to "
                          "(each successful run keeps the one it replaced)")
    build = builds[-1]
    try:
        con = duckdb.connect(str(build), read_only=True)
        tables = con.execute("select count(*) from duckdb_tables()").fetchone()[0]
        con.close()
    except duckdb.Error as e:
        raise AccessError(f"the previous build {build.name} does not open ({first_line(e)}); "
                          f"delete it to roll back to the one before") from None
    built_at = datetime.fromtimestamp(build.stat().st_mtime, UTC)
    os.replace(build, marts)
    return RolledBack(built_at, tables, len(builds) - 1)
