"""Encryption at rest: with `PENGUIN_WAREHOUSE_KEY` the warehouse is an encrypted DuckDB database that
cannot be opened without the key (one clear line, not a traceback), while the whole pipeline — dlt,
dbt, publish, backup, the next incremental run — works with it; the published marts stay plain."""
from __future__ import annotations

import duckdb
import pytest

from pipelines import warehouse
from pipelines.warehouse import KEY_VARIABLE, WarehouseError
from tests.privacy.conftest import start_world

KEY = "0123456789abcdef-warehouse-key"


def test_an_encrypted_warehouse_opens_only_with_its_key(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    with warehouse.connect(path) as con:
        con.execute("create schema raw_app; create table raw_app.users as select 'priya@keystonefreight.com' as email")
    assert b"keystonefreight" not in path.read_bytes()
    with pytest.raises(duckdb.Error):
        duckdb.connect(str(path), read_only=True)
    monkeypatch.delenv(KEY_VARIABLE)
    with pytest.raises(WarehouseError, match=f"set {KEY_VARIABLE} to the warehouse's key"):
        warehouse.connect(path, read_only=True)
    monkeypatch.setenv(KEY_VARIABLE, "another key")
    with pytest.raises(WarehouseError, match=f"{KEY_VARIABLE} does not open this warehouse"):
        warehouse.connect(path, read_only=True)


@pytest.mark.slow
def test_the_whole_pipeline_runs_on_an_encrypted_warehouse(tmp_path, monkeypatch):
    w = start_world(tmp_path)
    try:
        w.env[KEY_VARIABLE] = KEY
        first = w.penguin("run")
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        with duckdb.connect(str(w.data / "marts.duckdb"), read_only=True) as marts:  # plain: analysts need no key
            assert marts.execute("select count(*) from finance.fct_mrr_monthly").fetchone()[0] > 0
        with pytest.raises(duckdb.Error):
            duckdb.connect(str(w.data / "warehouse.duckdb"), read_only=True)
        assert KEY not in "\n".join(w.console)

        refused = w.penguin("run", "--select", "group:raw_stripe", **{KEY_VARIABLE: ""})
        assert refused.returncode == 1 and f"set {KEY_VARIABLE} to the warehouse's key" in refused.stdout

        assert w.penguin("backup").returncode == 0
        backup, = (w.data / "backups").glob("warehouse-*.duckdb")
        with pytest.raises(duckdb.Error):
            duckdb.connect(str(backup), read_only=True)

        w.sandbox.client.advance(days=1)
        second = w.penguin("run")
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
        monkeypatch.setenv(KEY_VARIABLE, KEY)
        with warehouse.connect(w.data / "warehouse.duckdb", read_only=True) as con:
            assert con.execute("select count(distinct load_id) from raw_stripe._dlt_loads").fetchone()[0] >= 2
    finally:
        w.sandbox.stop()
