"""One pipeline history shared by the privacy tests: a tiny sandbox world served with sentinel
credentials, loaded once by `penguin run` into a temporary data directory; and, for the app
database's URL, a second world whose PostgreSQL app database has a role with a sentinel password.

Commands run as the real console command in a subprocess (`penguin run`, `erase`, `export`,
`backup`), so everything they print, theirs and dbt's, is captured for the leak searches.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from pipelines.runner import SQLITE_INSTANCE_YAML
from tests.conftest import POSTGRES_ADMIN_URL, REPO, RunningSandbox, start_sandbox

PENGUIN = str(Path(sys.executable).parent / "penguin")
SENTINEL = f"SENTINEL{secrets.token_hex(6)}"
SENTINEL_CREDENTIALS = {
    "STRIPE_API_KEY": f"sk_test_{SENTINEL}stripe",
    "JIRA_API_TOKEN": f"ATATT{SENTINEL}jira",
    "HUBSPOT_ACCESS_TOKEN": f"pat-na1-{SENTINEL}hubspot",
}
SENTINEL_PII_KEY = f"{SENTINEL}pii-key"
SENTINEL_DB_PASSWORD = f"{SENTINEL}pg-password"


@dataclass
class World:
    root: Path
    sandbox: RunningSandbox
    app_db_url: str
    env: dict[str, str]
    started: float = field(default_factory=time.time)
    console: list[str] = field(default_factory=list)  # everything the commands printed

    @property
    def data(self) -> Path:
        return Path(self.env["PENGUIN_DATA_DIR"])

    @property
    def dagster_home(self) -> Path:
        return Path(self.env["DAGSTER_HOME"])

    def penguin(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([PENGUIN, *args], cwd=REPO, env={**self.env, **env}, capture_output=True, text=True,
                              timeout=1800)
        self.console.append(f"$ penguin {' '.join(args)}\n{proc.stdout}\n{proc.stderr}")
        (self.root / "console.log").write_text("\n".join(self.console))
        return proc

    def read(self, database: str = "warehouse") -> closing[duckdb.DuckDBPyConnection]:
        """A read-only connection to the warehouse (or the published `marts`), closed after a `with`."""
        return closing(duckdb.connect(str(self.data / f"{database}.duckdb"), read_only=True))

    def warehouse(self, sql: str, params: list | None = None) -> list[tuple]:
        with self.read() as con:
            return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="session")
def sentinel_app_db() -> str:
    """A PostgreSQL database owned by a role whose password is a sentinel; its URL with the password."""
    name, role = f"penguin_test_{uuid.uuid4().hex[:10]}", f"penguin_sentinel_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"create role {role} login password '{SENTINEL_DB_PASSWORD}'"))
        c.execute(sa.text(f'create database "{name}" owner {role}'))
    yield sa.engine.make_url(POSTGRES_ADMIN_URL).set(username=role, password=SENTINEL_DB_PASSWORD, database=name) \
        .render_as_string(hide_password=False)
    with admin.connect() as c:
        c.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        c.execute(sa.text(f"drop role if exists {role}"))
    admin.dispose()


def start_world(root: Path, app_db_url: str | None = None) -> World:
    sandbox = start_sandbox(root / "sandbox", seed=7, scale="tiny", app_db_url=app_db_url, extra_env=SENTINEL_CREDENTIALS)
    env = {**os.environ, **sandbox.env, "PENGUIN_PII_KEY": SENTINEL_PII_KEY, "PENGUIN_DATA_DIR": str(root / "data"), "DAGSTER_HOME": str(root / "dagster")}
    (root / "dagster").mkdir()
    (root / "dagster" / "dagster.yaml").write_text(SQLITE_INSTANCE_YAML)
    return World(root, sandbox, sandbox.env["PENGUINMAILS_DB_URL"], env)


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    """The whole pipeline run once (the app database is the sandbox's SQLite file)."""
    w = start_world(tmp_path_factory.mktemp("privacy"))
    first = w.penguin("run")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    yield w
    w.sandbox.stop()


@pytest.fixture(scope="session")
def postgres_app_world(tmp_path_factory, sentinel_app_db) -> World:
    """The same world with the app database in PostgreSQL, as in production."""
    w = start_world(tmp_path_factory.mktemp("privacy-postgres"), sentinel_app_db)
    yield w
    w.sandbox.stop()
