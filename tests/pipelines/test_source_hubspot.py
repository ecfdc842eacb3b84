"""The HubSpot source against real sandbox subprocesses, loading a real DuckDB through Dagster.

After every sync each raw table must equal the sandbox's ground truth: same keys, every field the
truth names (typed columns compared with the truth's strings parsed to the column's type), archived
objects flagged `_deleted`, no duplicates, and associations exactly the visible ones.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from dagster import AssetKey, materialize
from dagster_dlt import DagsterDltResource

from pipelines.assets.hubspot import hubspot_assets
from pipelines.resources import source_resources
from pipelines.runner import summarize
from pipelines.settings import Paths
from pipelines.sources.common.errors import SourceAuthError
from pipelines.sources.hubspot.helpers import HubSpotApi
from pipelines.sources.hubspot.settings import (ASSOCIATIONS, OBJECT_SPECS, OWNERS, PIPELINE_STAGES, PIPELINES,
                                                SEARCH_MAX_RESULTS)
from tests.conftest import REPO, RunningSandbox, start_sandbox
from tests.truth_compare import compare_with_truth, warehouse_rows

SPECS = {**OBJECT_SPECS, "owners": OWNERS, "pipelines": PIPELINES, "pipeline_stages": PIPELINE_STAGES,
         "associations": ASSOCIATIONS}
TABLES = tuple(SPECS)
SEARCH_PATHS = "/crm/v3/objects/"  # prefix of the three search endpoints (and of nothing else searched)


# --- helpers -----------------------------------------------------------------------------------------

def _use(monkeypatch, sb: RunningSandbox, data: Path) -> Paths:
    monkeypatch.setenv("PENGUIN_DATA_DIR", str(data))
    for name in ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_API_BASE"):
        monkeypatch.setenv(name, sb.env[name])
    return Paths.from_env()


def _sync(raise_on_error: bool = True, tables: tuple[str, ...] = ()):
    """One run of the HubSpot assets (only those of `tables` when given), with the resources
    `pipelines.definitions` registers."""
    selection = [AssetKey(["raw", "hubspot", t]) for t in tables] or None
    return materialize([hubspot_assets], resources={"dlt": DagsterDltResource(), "hubspot": source_resources()["hubspot"]},
                       selection=selection, raise_on_error=raise_on_error)


def _column(field: str) -> str:
    """The warehouse column of a truth field: HubSpot's camelCase becomes snake_case; `hs_object_id` is the id."""
    return "id" if field == "hs_object_id" else re.sub(r"(?<!^)([A-Z])", r"_\1", field).lower()


def _typed(value, typ):
    """A truth value (HubSpot sends strings) parsed to the type of its warehouse column."""
    if not isinstance(value, str) or not isinstance(typ, pa.DataType):
        return value
    if pa.types.is_integer(typ):
        return int(Decimal(value))
    if pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        return Decimal(value)
    if pa.types.is_boolean(typ):
        return value == "true"
    return value


def _differences(sb: RunningSandbox, paths: Paths) -> dict[str, list[str]]:
    """Per table, how the raw table differs from the truth (empty: equal)."""
    out = {}
    for table, spec in SPECS.items():
        types = {c.name: c.type for c in spec.columns}
        key = (spec.primary_key,) if isinstance(spec.primary_key, str) else spec.primary_key
        truth = [{f: _typed(v, types.get(_column(f))) for f, v in r.items()}
                 for r in sb.client.truth_rows("hubspot", table)]
        fields = {f: _column(f) for r in truth for f in r if f not in key and f != "_deleted"}
        rows = warehouse_rows(paths.warehouse, "raw_hubspot", table)
        if problems := compare_with_truth(rows, truth, key, fields):
            out[table] = problems[:8] + ([f"… {len(problems)} in all"] if len(problems) > 8 else [])
    return out


def _query(paths: Paths, sql: str) -> list[tuple]:
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _requests(sb: RunningSandbox) -> int:
    """HubSpot requests since the last call."""
    return sum(sb.client.stats(reset=True).get("hubspot", {}).values())


def _row_counts(result) -> dict[str, int]:
    return {m.asset_key.path[-1]: m.metadata["dagster/row_count"].value
            for m in result.asset_materializations_for_node("hubspot_sync")}


# --- tests ---------------------------------------------------------------------------------------------

def test_assets_load_in_the_definitions():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string(): k for k in graph.get_all_asset_keys() if k.path[:2] == ["raw", "hubspot"]}
    assert sorted(keys) == sorted(f"raw/hubspot/{t}" for t in TABLES)
    assert {graph.get(k).group_name for k in keys.values()} == {"raw_hubspot"}
    assert all({"dlt", "duckdb", "hubspot"} <= set(graph.get(k).kinds) for k in keys.values())


@pytest.mark.slow
def test_backfill_then_incremental_rounds_equal_truth(tmp_path, monkeypatch):
    """Creates, updates, archivals, the bulk owner change and the changes at exactly the new clock
    time of each advance, schema drift, and a lagging search index: equal after every round."""
    sb = start_sandbox(tmp_path / "sandbox")
    try:
        paths = _use(monkeypatch, sb, tmp_path / "data")
        result = _sync()
        assert _differences(sb, paths) == {}
        counts = _row_counts(result)
        assert set(counts) == set(TABLES) and all(counts.values())
        assert counts["contacts"] == _query(paths, "select count(*) from raw_hubspot.contacts")[0][0]
        deleted = _query(paths, "select count(*) from raw_hubspot.contacts where _deleted")[0][0]

        sb.client.advance(days=1)
        _sync()
        assert _differences(sb, paths) == {}

        sb.client.start_drift("hubspot")
        sb.client.advance(days=2)
        _sync()
        assert _differences(sb, paths) == {}
        assert _query(paths, "select count(hs_linkedin_url) from raw_hubspot.contacts")[0][0] > 0
        assert _query(paths, "select count(linkedin_company_page) from raw_hubspot.companies")[0][0] > 0

        # HubSpot's search index lags: the changes of the last two minutes are not found by this
        # sync (one contact changed at exactly the new clock time, at least)…
        sb.client.add_fault("search_lag", "hubspot", SEARCH_PATHS, times=-1, seconds=120)
        sb.client.advance(days=1)
        _sync()
        assert "contacts" in _differences(sb, paths)
        sb.client.clear_faults()
        # …and the next one's lookback does
        sb.client.advance(days=1)
        result = _sync()
        assert _differences(sb, paths) == {}
        assert _query(paths, "select count(*) from raw_hubspot.contacts where _deleted")[0][0] > deleted
        for table, n in _row_counts(result).items():
            assert n == _query(paths, f"select count(*) from raw_hubspot.{table}")[0][0], table

        # the staging models build and their tests pass on what was loaded
        dbt = subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", "dbt_project",
                              "--profiles-dir", "dbt_project", "--select", "staging.hubspot", "--indirect-selection", "buildable",
                              "--target-path", str(tmp_path / "dbt-target"), "--log-path", str(tmp_path / "dbt-logs")],
                             cwd=REPO, env={**os.environ, "PENGUIN_WAREHOUSE": str(paths.warehouse)},
                             capture_output=True, text=True, check=False)
        assert dbt.returncode == 0, dbt.stdout[-3000:]
        assert _query(paths, "select count(*) from staging.stg_hubspot__contacts where is_free_mail")[0][0] > 0
    finally:
        sb.stop()


@pytest.mark.slow
def test_chaos_faults_still_equal_truth(tmp_path, monkeypatch):
    """429 storms, 5xx, resets, truncated bodies, drift from the first advance, a lagging index
    (whose round cannot be exact: the next one must be)."""
    sb = start_sandbox(tmp_path / "sandbox", faults="chaos")
    try:
        paths = _use(monkeypatch, sb, tmp_path / "data")
        _sync()
        assert _differences(sb, paths) == {}
        sb.client.add_fault("search_lag", "hubspot", SEARCH_PATHS, times=-1, seconds=60)
        sb.client.add_fault("rate_limit", "hubspot", "/crm/v3/objects/contacts/search", times=3, seconds=1)
        sb.client.advance(days=2)
        _sync()
        sb.client.clear_faults()
        sb.client.advance(days=1)
        _sync()
        assert _differences(sb, paths) == {}
        assert _query(paths, "select count(hs_linkedin_url) from raw_hubspot.contacts")[0][0] > 0
    finally:
        sb.stop()


@pytest.mark.slow
def test_medium_scale_incremental_is_a_fraction_and_search_splits_at_10000(tmp_path, monkeypatch):
    sb = start_sandbox(tmp_path / "sandbox", scale="medium")
    try:
        paths = _use(monkeypatch, sb, tmp_path / "data")
        _requests(sb)
        _sync()
        backfill = _requests(sb)
        sb.client.advance(days=1)
        _sync()
        incremental = _requests(sb)
        print(f"\nHubSpot requests at medium scale: backfill {backfill}, incremental after 1 day {incremental} "
              f"({incremental / backfill:.0%})")
        assert _differences(sb, paths) == {}
        assert incremental < 0.2 * backfill

        # a search over every contact passes HubSpot's 10,000-result cap: the window restarts, and
        # every active contact comes exactly once
        api = HubSpotApi(sb.env["HUBSPOT_ACCESS_TOKEN"], sb.env["HUBSPOT_API_BASE"])
        ids = [r["id"] for page in api.modified_since("contacts", 0, ["email"]) for r in page.results]
        active = {r["id"] for r in sb.client.truth_rows("hubspot", "contacts") if not r.get("_deleted")}
        assert len(ids) > SEARCH_MAX_RESULTS
        assert len(ids) == len(set(ids)) and set(ids) == active
        assert sb.client.stats().get("hubspot", {}).get("POST /crm/{id}/objects/contacts/search", 0) > SEARCH_MAX_RESULTS // 200
    finally:
        sb.stop()


@pytest.mark.slow
def test_wrong_credential_fails_in_one_line_and_leaves_the_warehouse(sandbox, tmp_path, monkeypatch):
    paths = _use(monkeypatch, sandbox, tmp_path / "data")
    _sync()
    state_sql = "select count(*), max(version) from raw_hubspot._dlt_pipeline_state"
    before = {t: _query(paths, f"select count(*) from raw_hubspot.{t}")[0][0] for t in TABLES}
    state = _query(paths, state_sql)
    wrong = "pat-na1-00000000-wrong-token-000000000000"
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", wrong)
    result = _sync(raise_on_error=False)
    assert not result.success
    [line] = summarize(result).errors
    assert "hubspot" in line and "HUBSPOT_ACCESS_TOKEN" in line and "401" in line
    assert "\n" not in line and "Traceback" not in line and wrong not in line
    error = next(e.event_specific_data.error for e in result.all_events if e.is_step_failure)
    while error.cls_name != SourceAuthError.__name__:
        error = error.cause
    assert error.message.strip().count("\n") == 0 and wrong not in error.message
    assert {t: _query(paths, f"select count(*) from raw_hubspot.{t}")[0][0] for t in TABLES} == before
    assert _query(paths, state_sql) == state


@pytest.mark.slow
def test_pipeline_no_longer_listed_is_soft_deleted(sandbox, tmp_path, monkeypatch):
    """Pipelines are read in full: one that HubSpot stops listing keeps its last fields, flagged."""
    paths = _use(monkeypatch, sandbox, tmp_path / "data")
    _sync()
    con = duckdb.connect(str(paths.warehouse))
    try:
        con.execute("insert into raw_hubspot.pipelines (id, label, display_order, archived, _deleted) "
                    "values ('retired', 'Partner deals', 5, false, false)")
        con.execute("insert into raw_hubspot.pipeline_stages (pipeline_id, id, label, archived, _deleted) "
                    "values ('retired', 'partner_won', 'Won', false, false)")
    finally:
        con.close()
    _sync()
    assert _query(paths, "select label, display_order, _deleted from raw_hubspot.pipelines where id = 'retired'") == [
        ("Partner deals", 5, True)]
    assert _query(paths, "select label, _deleted from raw_hubspot.pipeline_stages where id = 'partner_won'") == [
        ("Won", True)]
    assert _query(paths, "select count(*) from raw_hubspot.pipelines where _deleted")[0][0] == 1


@pytest.mark.slow
def test_associations_follow_objects_synced_in_an_earlier_run(sandbox, tmp_path, monkeypatch):
    """Dagster may materialize a subset: the association sets of contacts loaded without the
    associations asset (and the sets pointing back at them) are read when that asset runs later,
    and only those."""
    paths = _use(monkeypatch, sandbox, tmp_path / "data")
    assert set(_row_counts(_sync(tables=("contacts",)))) == {"contacts"}
    assert set(_row_counts(_sync(tables=("associations",)))) == {"associations"}
    rows = warehouse_rows(paths.warehouse, "raw_hubspot", "associations")
    truth = [r for r in sandbox.client.truth_rows("hubspot", "associations") if "contacts" in (r["from_type"], r["to_type"])]
    assert truth and compare_with_truth(rows, truth, ASSOCIATIONS.primary_key, {"label": "label"}) == []
