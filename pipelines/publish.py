"""Publishing the marts: copy the mart schemas of the warehouse into a new DuckDB file, then rename
it over `marts.duckdb` in one atomic step, keeping the previous builds for rollback.

Readers open `marts.duckdb` read-only. A rename swaps the directory entry and never touches the
file a reader holds open, so a reader sees the old build or the new one, never half of one, and
the pipeline never waits for a reader's lock.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from pipelines.warehouse import attach, memory_connection

MART_SCHEMAS = ("finance", "finance_close", "customer_health", "attribution", "support", "ops")
KEEP_PREVIOUS = 5


@dataclass(frozen=True)
class Published:
    path: Path
    tables: dict[str, int]  # schema.table -> rows
    previous: Path | None


def publish_marts(warehouse: Path, marts: Path, schemas: tuple[str, ...] = MART_SCHEMAS,
                  keep: int = KEEP_PREVIOUS) -> Published:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{time.time_ns() % 1_000_000:06d}"
    history = marts.parent / "published"
    history.mkdir(parents=True, exist_ok=True)
    building = marts.parent / f".{marts.name}.building-{stamp}"
    tables: dict[str, int] = {}
    con = memory_connection()
    try:
        attach(con, warehouse, "wh")
        con.execute(f"attach '{building}' as pub")  # the published marts are never encrypted: analysts open them
        present = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'wh' and table_schema in (select unnest(?)) order by 1, 2",
            [list(schemas)]).fetchall()
        for schema in sorted({s for s, _ in present}):
            con.execute(f'create schema pub."{schema}"')
        for schema, table in present:
            con.execute(f'create table pub."{schema}"."{table}" as select * from wh."{schema}"."{table}"')
            tables[f"{schema}.{table}"] = con.execute(f'select count(*) from pub."{schema}"."{table}"').fetchone()[0]
        con.execute("checkpoint pub")
        con.execute("detach pub")
    finally:
        con.close()
    previous = None
    if marts.exists():
        previous = history / f"marts-{stamp}.duckdb"
        os.link(marts, previous)  # the old build stays reachable for rollback
    os.replace(building, marts)
    for old in sorted(history.glob("marts-*.duckdb"))[:-keep]:
        old.unlink()
    return Published(marts, tables, previous)
