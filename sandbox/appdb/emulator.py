"""The PenguinMails app database as an emulator: no HTTP routes, a real database kept in step with
the world clock.

`start()` creates the schema and fills it as of `world.now`; `on_advance(old, new)` writes every
insert, update and soft delete whose time is in (old, new], each row carrying its change's world
time in `updated_at`. `truth()` renders the same tables from the world, never from the database.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

import pyarrow as pa
import sqlalchemy as sa

from sandbox.appdb.batches import batches, truth_dicts
from sandbox.appdb.data import AppData
from sandbox.appdb.database import AppDatabase, Writes
from sandbox.appdb.tenants import STATUS
from sandbox.appdb.schema import DRIFT_COLUMN, TABLES, arrow_type, metadata, tenants
from sandbox.emulator import Emulator

if TYPE_CHECKING:
    from sandbox.runtime import Sandbox


class AppDb(Emulator):
    name = "appdb"

    def __init__(self, sandbox: "Sandbox"):
        super().__init__(sandbox)
        self.data = AppData(self.world)
        self.db: AppDatabase | None = None
        self.migrated = False  # the drift migration (tenants.billing_region) has run
        self.corrupted: int | None = None  # the tenant a `bad_record` fault broke, until the next advance

    @property
    def url(self) -> str:
        """`--app-db-url`, else the embedded default: a SQLite file in the sandbox's state directory.
        A bare `postgresql://` gets psycopg2 named, the driver installed (SQLAlchemy 2.1 would pick psycopg 3)."""
        if self.sandbox.app_db_url is None:
            return f"sqlite:///{Path(self.sandbox.state_dir).resolve() / 'penguinmails_app.db'}"
        url = sa.engine.make_url(self.sandbox.app_db_url)
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg2")
        return url.render_as_string(hide_password=False)

    def env(self) -> dict[str, str]:
        return {"PENGUINMAILS_DB_URL": self.url}

    def start(self) -> None:
        self.db = AppDatabase(self.url)
        self.db.fill(self._writes(self.world.now, None))

    def on_advance(self, old_now: int, new_now: int) -> None:
        if self.sandbox.faults.profile == "chaos":
            self.sandbox.start_drift(self.name)
        migrate = self.name in self.sandbox.drift and not self.migrated
        self.migrated = self.migrated or migrate
        if self.db is not None:
            self.db.apply(self._writes(new_now, old_now), add_drift_column=migrate)
            self._bad_record(new_now)

    def _bad_record(self, now: int) -> None:
        """Data fault `bad_record`: a tenant row gets a status the app never writes (a data-quality test
        must catch it); the next advance writes the tenant's true status back. Both touch `updated_at`,
        so incremental syncs see them."""
        stamp = {"updated_at": datetime.fromtimestamp(now, tz=timezone.utc)}
        with self.db.engine.begin() as conn:
            if self.corrupted is not None:
                tenant = next(t for t in self.data.tenants if t.id == self.corrupted)
                true_status = tenant.record.version_at(now)[1][STATUS]
                conn.execute(tenants.update().where(tenants.c.id == self.corrupted).values(status=true_status, **stamp))
                self.corrupted = None
            if self.sandbox.faults.take(self.name, "bad_record"):
                self.corrupted = conn.execute(sa.select(sa.func.min(tenants.c.id)).where(tenants.c.id > 1)).scalar_one()
                conn.execute(tenants.update().where(tenants.c.id == self.corrupted).values(status="unknown", **stamp))

    def truth(self) -> dict[str, Iterable[dict]]:
        return {table.name: self._truth_rows(table.name) for table in TABLES}

    def _truth_rows(self, table: str) -> Iterator[dict]:
        schema, rows = self._rows(table, self.world.now, None)
        for batch in batches(rows, schema):
            yield from truth_dicts(batch)

    def _writes(self, at: int, since: int | None) -> Writes:
        return [(table, *self._rows(table.name, at, since)) for table in TABLES]

    def _rows(self, table: str, at: int, since: int | None) -> tuple[pa.Schema, Iterator[tuple]]:
        """The table's Arrow schema and rows as of `at` (changed after `since`), with the drift column
        on tenants once the migration ran: set on rows changed after drift began."""
        columns = metadata.tables[table].columns
        schema = pa.schema([(c.name, arrow_type(c)) for c in columns])
        rows = self.data.rows(table, at, since)
        if table != tenants.name or not self.migrated:
            return schema, rows
        drift_at = self.sandbox.drift[self.name]
        updated = schema.get_field_index("updated_at")
        regions = {t.id: t.billing_region() for t in self.data.tenants}
        return (schema.append(pa.field(DRIFT_COLUMN.name, arrow_type(DRIFT_COLUMN))),
                (row + (regions[row[0]] if row[updated] > drift_at else None,) for row in rows))
