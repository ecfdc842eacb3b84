"""PenguinMails app database: the product's own tables (tenants, users, logins, mailboxes,
campaigns, daily usage, marketing campaign events).

Uses dlt's `sql_database` with the pyarrow backend (pages arrive as Arrow tables) and an
incremental cursor on `updated_at` with a small lag; every table is merged on its primary key, so
re-read rows never duplicate. Rows soft-deleted in the app (`deleted_at` set) arrive as changes and
get `_deleted = true`. Works with SQLite and PostgreSQL (any SQLAlchemy URL).
"""
from __future__ import annotations

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.sources.sql_database import sql_table

from pipelines.sources.app.settings import CHUNK_SIZE, CURSOR_COLUMN, LAG_SECONDS, TABLES
from pipelines.sources.common.progress import SyncProgress


def _with_deleted_flag(table: pa.Table) -> pa.Table:
    if "deleted_at" in table.column_names and "_deleted" not in table.column_names:
        return table.append_column("_deleted", pc.is_valid(table["deleted_at"]))
    return table


@dlt.source(name="app", max_table_nesting=0)
def app_source(db_url: str = dlt.secrets.value, progress: SyncProgress | None = None):
    """One resource per app table, incremental on `updated_at`, merged on the primary key."""
    for name, key in TABLES.items():
        resource = sql_table(
            credentials=db_url, table=name, backend="pyarrow", chunk_size=CHUNK_SIZE,
            defer_table_reflect=True, reflection_level="full",
            incremental=dlt.sources.incremental(CURSOR_COLUMN, lag=LAG_SECONDS),
            write_disposition={"disposition": "merge", "strategy": "delete-insert"}, primary_key=list(key),
        )
        resource.add_map(_with_deleted_flag)
        if progress is not None:
            resource.add_map(lambda t, n=name: (progress.page(n, t.num_rows), t)[1])
        yield resource
