"""Credentials never leave the vendor clients: after whole runs, failing runs (vendors answering 401,
an app database that refuses the connection), an export and a backup made with sentinel credentials
(and the PII key), no sentinel is in the console output, Dagster's storage (event log, compute logs),
the warehouse, the published marts, dlt's working files, exports, backups, or dbt's target and logs."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import REPO
from tests.privacy.conftest import SENTINEL_CREDENTIALS, SENTINEL_DB_PASSWORD, SENTINEL_PII_KEY
from tests.privacy.leaks import search_file, search_text, search_tree

pytestmark = pytest.mark.slow


def google_private_key(world) -> str:
    """A line of the service-account key's body: the sandbox's, but as secret as any real one."""
    key = json.loads(Path(world.env["GOOGLE_APPLICATION_CREDENTIALS"]).read_text())["private_key"]
    return key.splitlines()[5]


def test_no_credential_reaches_logs_storage_warehouse_marts_exports_or_backups(world):
    used = {**SENTINEL_CREDENTIALS, "PENGUIN_PII_KEY": SENTINEL_PII_KEY}
    assert all(world.env[name] == value for name, value in used.items())  # the runs use them
    client = world.sandbox.client
    for vendor in ("stripe", "jira", "hubspot"):
        client.add_fault("unauthorized", vendor=vendor, times=-1)
    refused = world.penguin("run", "--select", "group:raw_stripe or group:raw_jira or group:raw_hubspot")
    client.clear_faults()
    assert refused.returncode == 1
    for variable in ("STRIPE_API_KEY", "JIRA_API_TOKEN", "HUBSPOT_ACCESS_TOKEN"):
        assert re.search(rf"FAILED: .*{variable}", refused.stdout), refused.stdout[-2000:]

    assert world.penguin("export").returncode == 0 and world.penguin("backup").returncode == 0

    assert leaks(world, [*used.values(), google_private_key(world)]) == []


def test_the_app_database_password_stays_out_of_everything_too(postgres_app_world):
    w = postgres_app_world
    assert SENTINEL_DB_PASSWORD in w.app_db_url
    whole = w.penguin("run")  # the app's PostgreSQL timestamps carry time zones: every mart still builds
    assert whole.returncode == 0, whole.stdout[-3000:] + whole.stderr[-3000:]
    no_database = sa.engine.make_url(w.app_db_url).set(database="no_such_database").render_as_string(hide_password=False)
    refused = w.penguin("run", "--select", "group:raw_app", PENGUINMAILS_DB_URL=no_database)
    assert refused.returncode == 1 and "FAILED" in refused.stdout and "no_such_database" in refused.stdout
    assert leaks(w, [SENTINEL_DB_PASSWORD]) == []


def leaks(world, secrets: list[str]) -> list[str]:
    """Where any of `secrets` is: the commands' output, Dagster's storage, the data directory (warehouse,
    marts, dlt's files, exports, backups), and dbt's target and logs written since the world started."""
    pattern = "|".join(re.escape(s) for s in secrets)
    dbt_files = [p for d in ("target", "logs") for p in (REPO / "dbt_project" / d).rglob("*")
                 if p.is_file() and p.stat().st_mtime >= world.started]
    return (search_text("\n".join(world.console), pattern, "console output")
            + search_tree(world.dagster_home, pattern)
            + search_tree(world.data, pattern)
            + [hit for p in dbt_files for hit in search_file(p, pattern)])
