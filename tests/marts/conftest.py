"""One real pipeline run shared by the mart tests: a small sandbox world → every source → DuckDB
→ dbt build → published marts, in a temporary data directory."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from pipelines.runner import SQLITE_INSTANCE_YAML, RunSummary, run_daily
from pipelines.settings import Paths
from tests.conftest import RunningSandbox, start_sandbox


@dataclass
class BuiltWarehouse:
    sandbox: RunningSandbox
    paths: Paths
    summary: RunSummary

    def query(self, sql: str, params: list | None = None) -> list[dict]:
        """Rows of `sql` run read-only against the warehouse, as dicts."""
        con = duckdb.connect(str(self.paths.warehouse), read_only=True)
        try:
            cur = con.execute(sql, params or [])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]
        finally:
            con.close()


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory) -> BuiltWarehouse:
    root = tmp_path_factory.mktemp("built")
    sandbox = start_sandbox(root / "sandbox", seed=7, scale="small")
    env = {**sandbox.env, "PENGUIN_DATA_DIR": str(root / "data"), "DAGSTER_HOME": str(root / "dagster")}
    Path(env["DAGSTER_HOME"]).mkdir()
    (Path(env["DAGSTER_HOME"]) / "dagster.yaml").write_text(SQLITE_INSTANCE_YAML)
    with mock.patch.dict(os.environ, env):
        summary = run_daily()
        assert summary.success, summary.render()
        yield BuiltWarehouse(sandbox, Paths.from_env(), summary)
    sandbox.stop()
