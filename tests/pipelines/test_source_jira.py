"""The Jira Cloud source against real sandbox subprocesses, loaded through Dagster into a real DuckDB
warehouse: every table equals the sandbox's ground truth after a backfill and after each incremental
round (same-minute updates, a non-UTC user time zone, schema drift, hard deletes), also under chaos
faults; incremental rounds read little; a wrong token fails in one line and leaves the warehouse as
it was; dbt staging builds on what was loaded."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dlt
import duckdb
import pytest
from dagster import (
    AssetKey,
    AssetSelection,
    DagsterEventType,
    ExecuteInProcessResult,
    materialize,
)
from dagster_dlt import DagsterDltResource

from pipelines.assets.jira import jira_assets
from pipelines.resources import source_resources
from pipelines.runner import summarize
from pipelines.sources.common.arrow import to_arrow
from pipelines.sources.jira import IssueBatch, _changelog
from pipelines.sources.jira.helpers import JiraApi, jql_minute
from pipelines.sources.jira.settings import DESCRIPTIONS, ISSUE_CHANGELOG
from tests.conftest import REPO, start_sandbox
from tests.truth_compare import compare_with_truth, warehouse_rows

SCHEMA = "raw_jira"
DRIFT = "customfield_10099"
ENV = ("JIRA_URL", "JIRA_EMAIL", "JIRA_API_TOKEN")


def _same(*names: str) -> dict[str, str]:
    return {n: n for n in names}


# truth table -> (key, truth field -> warehouse column): every field the truth has that the API gives
TABLES = {
    "issues": ("id", _same(
        "key", "project_key", "issuetype", "summary", "status", "status_category", "priority", "resolution",
        "reporter_account_id", "reporter_email", "assignee_account_id", "created", "updated", "resolutiondate",
        "status_category_changed", "labels", "sprint_ids", "fix_version_ids", "story_points", "parent_id",
        "linked_issue_ids", "organisation_id", "organisation")),
    "issue_changelog": (("history_id", "item_index"), {
        **_same("issue_id", "created", "author_account_id", "field", "field_id", "from_string", "to_string"),
        "from": "from_value", "to": "to_value"}),
    "projects": ("id", _same("key", "name", "project_type_key", "lead_account_id")),
    # `created` is not in Jira's user API
    "users": ("account_id", _same("account_type", "display_name", "email", "active", "time_zone")),
    "sprints": ("id", _same("board_id", "name", "goal", "state", "start_date", "end_date", "complete_date",
                            "created_date")),
    "versions": ("id", _same("project_id", "name", "description", "released", "archived", "start_date",
                             "release_date")),
}


def _tier(row: dict):
    """The drifted select field's value (the warehouse keeps the option object as JSON text)."""
    value = row.get(DRIFT)
    return json.loads(value)["value"] if value else None


def differences(client, warehouse: Path) -> dict[str, list[str]]:
    out = {}
    for table, (key, fields) in TABLES.items():
        truth = client.truth_rows("jira", table)
        if table == "issues" and any(DRIFT in t for t in truth):
            fields = {**fields, DRIFT: _tier}
        out[table] = compare_with_truth(warehouse_rows(warehouse, SCHEMA, table), truth, key, fields)
    return out


def sync(env: dict, data_dir: Path, api_token: str | None = None) -> ExecuteInProcessResult:
    """Materializes the `raw_jira` group with the sandbox's credentials (or another token)."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ENV:
            mp.setenv(name, env[name])
        if api_token is not None:
            mp.setenv("JIRA_API_TOKEN", api_token)
        mp.setenv("PENGUIN_DATA_DIR", str(data_dir))
        return materialize([jira_assets], selection=AssetSelection.groups("raw_jira"), raise_on_error=False,
                           resources={"dlt": DagsterDltResource(), "jira": source_resources()["jira"]})


def counts(warehouse: Path) -> dict[str, tuple[int, int]]:
    """(rows, soft-deleted rows) per table, and the dlt state and load rows."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {t: con.execute(f"select count(*), count(*) filter (where _deleted) from {SCHEMA}.{t}").fetchone()
               for t in TABLES}
        out["_dlt_pipeline_state"] = con.execute(f"select count(*), max(version) from {SCHEMA}._dlt_pipeline_state").fetchone()
        out["_dlt_loads"] = con.execute(f"select count(*), 0 from {SCHEMA}._dlt_loads").fetchone()
        return out
    finally:
        con.close()


def newest_update(warehouse: Path) -> datetime:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(f"select max(updated) from {SCHEMA}.issues").fetchone()[0]
    finally:
        con.close()


def _utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


@dataclass
class Round:
    name: str
    success: bool
    problems: dict[str, list[str]]
    requests: dict[str, int]  # sandbox endpoint -> requests
    row_counts: dict[str, int]  # asset key -> `dagster/row_count` of its materialization
    warehouse: dict[str, tuple[int, int]]
    same_minute: int = 0  # issues updated later in the minute of the newest row the previous sync saw

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    @property
    def issue_reads(self) -> int:
        return sum(n for endpoint, n in self.requests.items() if "search/jql" in endpoint or "changelog" in endpoint)


def run_rounds(sb, data_dir: Path, plan: list[tuple[str, float, bool]]) -> list[Round]:
    """A backfill, then for each (name, days, drift) of `plan`: advance the clock (starting schema drift
    first when asked), sync, and compare every table with the truth."""
    rounds: list[Round] = []
    for name, days, drift in [("backfill", 0, False), *plan]:
        same_minute = 0
        if days:
            newest = newest_update(data_dir / "warehouse.duckdb")
            if drift:
                sb.client.start_drift("jira")
            sb.client.advance(days=days)
            minute_end = newest.replace(second=0, microsecond=0) + timedelta(minutes=1)
            same_minute = sum(newest < _utc(t["updated"]) < minute_end for t in sb.client.truth_rows("jira", "issues"))
        sb.client.stats(reset=True)
        result = sync(sb.env, data_dir)
        requests = sb.client.stats(reset=True).get("jira", {})
        row_counts = {mat.asset_key.to_user_string(): mat.metadata["dagster/row_count"].value
                      for mat in result.asset_materializations_for_node("jira_sync")}
        warehouse = data_dir / "warehouse.duckdb"
        rounds.append(Round(name, result.success, differences(sb.client, warehouse), requests, row_counts,
                            counts(warehouse), same_minute))
        r = rounds[-1]
        print(f"{name}: {r.total} requests ({r.issue_reads} reading issues), {same_minute} same-minute updates, "
              f"rows {({t: c for t, c in r.warehouse.items() if not t.startswith('_')})}")
    return rounds


@pytest.fixture(scope="module")
def clean_rounds(tmp_path_factory) -> tuple[list[Round], Path]:
    """A small fault-free sandbox: backfill, a day, schema drift and 20 days, a day (a spam ticket seen
    on 2026-11-23 is deleted before the next sync)."""
    tmp = tmp_path_factory.mktemp("jira-rounds")
    sb = start_sandbox(tmp / "sandbox", scale="small")
    try:
        rounds = run_rounds(sb, tmp / "data", [("1 day", 1, False), ("drift + 20 days", 20, True), ("1 day", 1, False)])
    finally:
        sb.stop()
    return rounds, tmp / "data" / "warehouse.duckdb"


@pytest.mark.slow
def test_every_round_loads_exactly_the_truth(clean_rounds):
    rounds, warehouse = clean_rounds
    for r in rounds:
        assert r.success, r.name
        assert {t: p[:5] for t, p in r.problems.items() if p} == {}, r.name
    # the rounds met what they are meant to: same-minute updates, drift, hard deletes
    assert sum(r.same_minute for r in rounds) > 0
    last = rounds[-1].warehouse
    assert last["issues"][1] > 0 and last["issue_changelog"][1] > 0  # deleted issues flagged with their changelog
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute(f"select count({DRIFT}) from {SCHEMA}.issues").fetchone()[0] > 0
    finally:
        con.close()


@pytest.mark.slow
def test_an_incremental_day_reads_a_small_fraction_of_the_backfill(clean_rounds):
    rounds, _ = clean_rounds
    backfill, day = rounds[0], rounds[1]
    print(f"requests: backfill {backfill.total} ({backfill.issue_reads} reading issues) {backfill.requests}")
    print(f"requests: 1-day incremental {day.total} ({day.issue_reads} reading issues) {day.requests}")
    # issue reads scale with the issues changed; the rest is a fixed handful (whole small tables, myself, field)
    assert day.issue_reads <= 0.2 * backfill.issue_reads
    assert day.total - day.issue_reads <= 15


@pytest.mark.slow
def test_materializations_carry_the_row_counts(clean_rounds):
    rounds, _ = clean_rounds
    for r in rounds:
        assert r.row_counts == {f"raw/jira/{t}": r.warehouse[t][0] for t in TABLES}, r.name


@pytest.mark.slow
def test_dbt_staging_builds_on_the_loaded_warehouse(clean_rounds, tmp_path):
    _, warehouse = clean_rounds
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, copy)
    dbt = Path(REPO, ".venv", "bin", "dbt")
    done = subprocess.run(
        [str(dbt), "build", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project", "--select", "staging.jira", "--indirect-selection", "buildable",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=REPO, env={**os.environ, "PENGUIN_WAREHOUSE": str(copy)}, capture_output=True, text=True, timeout=300,
        check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    con = duckdb.connect(str(copy), read_only=True)
    try:
        live = con.execute(f"select count(*) filter (where not _deleted) from {SCHEMA}.issues").fetchone()[0]
        assert con.execute("select count(*) from staging.stg_jira__issues").fetchone()[0] == live
        assert con.execute("select count(*) from staging.stg_jira__issue_changelog where field = 'status'").fetchone()[0] > 0
    finally:
        con.close()


@pytest.mark.slow
def test_chaos_faults_change_nothing(clean_rounds, tmp_path):
    """429 storms, 5xx, resets, truncated bodies and slow answers (and drift, which chaos starts)."""
    sb = start_sandbox(tmp_path / "sandbox", scale="small", faults="chaos")
    try:
        rounds = run_rounds(sb, tmp_path / "data", [("1 day", 1, False), ("2 days", 2, False)])
    finally:
        sb.stop()
    for r in rounds:
        assert r.success, r.name
        assert {t: p[:5] for t, p in r.problems.items() if p} == {}, r.name
    clean_backfill = clean_rounds[0][0]
    assert rounds[0].total > clean_backfill.total  # the same backfill needed retries
    con = duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute(f"select count({DRIFT}) from {SCHEMA}.issues").fetchone()[0] > 0
    finally:
        con.close()


def test_a_run_loading_one_of_the_search_tables_keeps_the_cursor(sandbox, tmp_path):
    """`issues` and `issue_changelog` share one search: a run that loads only one must not move its cursor,
    or the other would miss those changes for good."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ENV:
            mp.setenv(name, sandbox.env[name])
        mp.setenv("PENGUIN_DATA_DIR", str(tmp_path))
        resources = {"dlt": DagsterDltResource(), "jira": source_resources()["jira"]}
        assert materialize([jira_assets], selection=[AssetKey(["raw", "jira", "issues"])], resources=resources).success
        assert cursor(tmp_path) is None
        assert warehouse_rows(tmp_path / "warehouse.duckdb", SCHEMA, "issues")
    assert sync(sandbox.env, tmp_path).success
    assert cursor(tmp_path) is not None
    assert counts(tmp_path / "warehouse.duckdb")["issue_changelog"][0] > 0


def cursor(data_dir: Path) -> str | None:
    """The issue search's cursor as the last load stored it in the warehouse (restored by a fresh pipeline)."""
    pipeline = dlt.pipeline("penguin_jira", destination=dlt.destinations.duckdb(str(data_dir / "warehouse.duckdb")),
                            dataset_name=SCHEMA, pipelines_dir=str(data_dir / "cursor-check"))
    pipeline.sync_destination()
    return pipeline.state["sources"]["jira"]["resources"].get("issue_search", {}).get("updated_cursor")


def test_a_wrong_token_fails_in_one_line_and_leaves_the_warehouse_alone(sandbox, tmp_path):
    assert sync(sandbox.env, tmp_path).success
    before = counts(tmp_path / "warehouse.duckdb")
    wrong = "ATATTnot-the-right-token-0123456789"
    result = sync(sandbox.env, tmp_path, api_token=wrong)
    assert not result.success
    errors = summarize(result).errors
    print(errors)
    assert len(errors) == 1
    line = errors[0]
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith("jira: ") and "JIRA_API_TOKEN" in line and "401" in line
    assert wrong not in line and sandbox.env["JIRA_API_TOKEN"] not in line
    failure = next(e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE)
    causes, error = [], failure.event_specific_data.error
    while error is not None:
        causes.append(error.cls_name)
        error = error.cause
    assert "SourceAuthError" in causes
    assert counts(tmp_path / "warehouse.duckdb") == before


def test_a_changelog_longer_than_search_embeds_is_read_whole(sandbox):
    """Search embeds the newest 100 histories: when `total` says there are more, the source reads
    `/issue/{id}/changelog`. (No sandbox issue has 100 yet, so the embedded part is cut to one.)"""
    env = sandbox.env
    truth = sandbox.client.truth_rows("jira", "issue_changelog")
    issue_id, _ = Counter(t["issue_id"] for t in truth).most_common(1)[0]
    api = JiraApi(env["JIRA_URL"], env["JIRA_EMAIL"], env["JIRA_API_TOKEN"])
    [issue] = next(api.search(f"id = {issue_id}", api.issue_fields(), 100, expand="changelog"))
    log = issue["changelog"]
    assert log["total"] == len(log["histories"]) > 1
    log["histories"] = log["histories"][:1]
    before = sandbox.client.stats().get("jira", {})
    [page] = list(_changelog(api, IssueBatch([issue])))
    rows = to_arrow(page, ISSUE_CHANGELOG).to_pylist()
    after = sandbox.client.stats().get("jira", {})
    endpoint = "GET /rest/api/{id}/issue/{id}/changelog"
    assert after.get(endpoint, 0) > before.get(endpoint, 0)
    key, fields = TABLES["issue_changelog"]
    mine = [t for t in truth if t["issue_id"] == issue_id]
    assert len(rows) == len(mine)
    assert compare_with_truth(rows, mine, key, fields) == []
    assert api.changelog("999999") == []  # deleted since the search: nothing, and no failure


def test_the_jql_cursor_is_a_minute_of_the_users_zone(sandbox):
    la = "America/Los_Angeles"
    start = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    assert jql_minute(start + timedelta(seconds=59), la, timedelta(minutes=10)) == "2026/11/02 01:20"
    # 2026-11-01 01:00–02:00 happens twice in Los Angeles: the literal must precede the instant either way
    for instant in (datetime(2026, 11, 1, 8, 45, tzinfo=UTC), datetime(2026, 11, 1, 9, 30, tzinfo=UTC)):
        literal = datetime.strptime(jql_minute(instant, la, timedelta()), "%Y/%m/%d %H:%M")
        readings = {literal.replace(tzinfo=ZoneInfo(la), fold=f).astimezone(UTC) for f in (0, 1)}
        assert max(readings) <= instant and instant - min(readings) <= timedelta(hours=2)
    # against Jira: the two issues planted at exactly 09:30:00.000 UTC match the user's-zone literal,
    # while the same minute written in UTC (read as Los Angeles wall time) matches nothing
    env = sandbox.env
    api = JiraApi(env["JIRA_URL"], env["JIRA_EMAIL"], env["JIRA_API_TOKEN"])
    assert api.time_zone == la

    def ids(literal: str) -> set[str]:
        return {i["id"] for page in api.search(f'updated >= "{literal}"', ["id"], 5000) for i in page}

    assert len(ids(jql_minute(start, api.time_zone, timedelta()))) >= 2
    assert ids(jql_minute(start, "UTC", timedelta())) == set()


def test_assets_load_in_the_definitions():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k for k in graph.get_all_asset_keys() if k.path[:2] == ["raw", "jira"]}
    assert keys == {AssetKey(["raw", "jira", t]) for t in TABLES}
    for key in keys:
        node = graph.get(key)
        assert node.group_name == "raw_jira" and {"dlt", "duckdb", "jira"} <= set(node.kinds)
        assert node.description == DESCRIPTIONS[key.path[-1]]
