"""One world for the reverse-ETL tests: a small sandbox, the whole daily job run once with the reverse
ETL on, then the `reverse_etl` group run again as each test needs, against the real sandbox."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import hubspot
import pytest

from pipelines.reverse_etl.settings import PROPERTY_GROUP
from pipelines.runner import SQLITE_INSTANCE_YAML, RunSummary, run_daily
from pipelines.settings import Paths
from pipelines.warehouse import connect
from tests.conftest import RunningSandbox, start_sandbox

# created in the CRM before the first push, in a group of the CRM's: CRM-owned, so never ours to write
CRM_OWNED_COLLISION = "penguin_seats"
# sandbox endpoints that write, as /_sandbox/stats names them
WRITE_ENDPOINTS = {
    "hubspot": ("POST /crm/{id}/objects/companies/batch/update", "POST /crm/{id}/properties/companies",
                "POST /crm/{id}/properties/companies/groups"),
    "jira": ("POST /rest/api/{id}/issue", "POST /rest/api/{id}/issue/{id}/comment"),
}


@dataclass
class World:
    sandbox: RunningSandbox
    env: dict[str, str]

    def run(self, select: str | None = "group:reverse_etl", **env: str) -> RunSummary:
        with mock.patch.dict(os.environ, {**self.env, **env}):
            summary = run_daily(select)
        assert summary.success, summary.render()
        return summary

    def query(self, sql: str, params: list | None = None) -> list[dict]:
        con = connect(Paths(Path(self.env["PENGUIN_DATA_DIR"])).warehouse, read_only=True)
        try:
            cur = con.execute(sql, params or [])
            return [dict(zip([d[0] for d in cur.description], row)) for row in cur.fetchall()]
        finally:
            con.close()

    def execute(self, sql: str, params: list | None = None) -> None:
        """Changes the warehouse (e.g. the mart the push reads) as a dbt build would."""
        con = connect(Paths(Path(self.env["PENGUIN_DATA_DIR"])).warehouse)
        try:
            con.execute(sql, params or [])
        finally:
            con.close()

    def writes(self, vendor: str) -> list[dict]:
        """What the sandbox applied through its write endpoints (its `_writes` reference table)."""
        client = self.sandbox.client
        return client.truth_rows(vendor, "_writes") if f"{vendor}/_writes" in client.truth_tables() else []

    def write_requests(self) -> dict[str, int]:
        """Write requests served since the last call (faulted ones included)."""
        stats = self.sandbox.client.stats(reset=True)
        return {e: n for vendor, endpoints in WRITE_ENDPOINTS.items() for e, n in stats.get(vendor, {}).items()
                if e in endpoints}

    def hubspot(self) -> hubspot.Client:
        return hubspot.Client.create(access_token=self.env["HUBSPOT_ACCESS_TOKEN"], host=self.env["HUBSPOT_API_BASE"])


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    root = tmp_path_factory.mktemp("reverse_etl")
    sandbox = start_sandbox(root / "sandbox", seed=7, scale="small")
    env = {**sandbox.env, "PENGUIN_DATA_DIR": str(root / "data"), "DAGSTER_HOME": str(root / "dagster"),
           "PENGUIN_REVERSE_ETL": "on"}
    Path(env["DAGSTER_HOME"]).mkdir()
    (Path(env["DAGSTER_HOME"]) / "dagster.yaml").write_text(SQLITE_INSTANCE_YAML)
    w = World(sandbox, env)
    w.hubspot().crm.properties.core_api.create("companies", {
        "name": CRM_OWNED_COLLISION, "label": "Seats (sales)", "type": "number", "fieldType": "number",
        "groupName": "companyinformation"})
    assert PROPERTY_GROUP != "companyinformation"
    w.run(None)
    yield w
    sandbox.stop()
