"""The Google Workspace + GA4 source end to end: a real sandbox subprocess, the real Dagster asset
(`materialize`), a real DuckDB warehouse in tmp_path, compared field by field with the emulator's truth.

The warehouse keeps Google's richer shapes where the truth flattens them: attendees and owners as
JSON objects (the truth lists their emails), `internal_date` as a timestamp (the truth: epoch ms),
GA4's date as a DATE (the truth: `YYYYMMDD`), a field added by schema drift as JSON text. The
comparison maps each truth field to the warehouse explicitly, and fails on a truth field it does
not know, so nothing the truth holds goes unchecked.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dagster import materialize
from dagster_dlt import DagsterDltResource

from pipelines.assets.google import google_assets
from pipelines.resources import source_resources
from pipelines.runner import summarize
from pipelines.settings import Paths
from pipelines.sources.google import spend_rows
from pipelines.sources.google.settings import parse_money, parse_month
from tests.conftest import REPO, RunningSandbox, start_sandbox
from tests.truth_compare import compare_with_truth, warehouse_rows

ENV = ("GOOGLE_API_ENDPOINT", "GOOGLE_APPLICATION_CREDENTIALS", "GA4_PROPERTY_ID", "MARKETING_SPEND_SHEET_ID",
       "GOOGLE_CALENDAR_IDS")
CALENDARS = ("sales@penguinmails.com", "success@penguinmails.com")


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _emails(value) -> list | None:
    objects = _json(value)
    return None if objects is None else [o.get("email") or o.get("emailAddress") for o in objects]


# table -> (key, truth field -> warehouse column or function of a warehouse row)
TABLES = {
    "calendar_events": (("calendar_id", "id"), {
        "status": "status", "summary": "summary", "start": "start_at", "end": "end_at", "organizer": "organizer_email",
        "attendees": lambda r: _emails(r["attendees"]), "hangout_link": "hangout_link", "created": "created",
        "updated": "updated", "event_type": lambda r: r.get("event_type")}),
    "drive_files": ("id", {
        "name": "name", "mime_type": "mime_type", "created_time": "created_time", "modified_time": "modified_time",
        "trashed": "trashed", "owners": lambda r: _emails(r["owners"]),
        "inherited_permissions_disabled": lambda r: _json(r.get("inherited_permissions_disabled"))}),
    "marketing_spend": (("month", "campaign"), {"channel": "channel", "spend_usd": "spend_usd"}),
    "gmail_messages": (("mailbox", "id"), {
        "thread_id": "thread_id", "internal_date": lambda r: round(r["internal_date"].timestamp() * 1000),
        "from": "from_header", "to": "to_header", "subject": "subject", "label_ids": lambda r: _json(r["label_ids"])}),
    "ga4_daily": (("date", "source", "medium", "campaign"), {
        "sessions": "sessions", "total_users": "total_users", "new_users": "new_users", "conversions": "conversions"}),
}


# --- helpers -----------------------------------------------------------------------------------------

def _use(monkeypatch, sb: RunningSandbox, data: Path) -> Paths:
    monkeypatch.setenv("PENGUIN_DATA_DIR", str(data))
    for name in ENV:
        monkeypatch.setenv(name, sb.env[name])
    return Paths.from_env()


def _sync(raise_on_error: bool = True):
    """One run of the Google assets (the whole `raw_google` group), with the registered resource."""
    return materialize([google_assets], resources={"dlt": DagsterDltResource(), "google": source_resources()["google"]},
                       raise_on_error=raise_on_error)


def _differences(sb: RunningSandbox, paths: Paths) -> dict[str, list[str]]:
    """Per table, how the raw table differs from the truth (empty: equal)."""
    out = {}
    for table, (key, fields) in TABLES.items():
        truth = sb.client.truth_rows("google", table)
        unmapped = {f for r in truth for f in r} - set(fields) - set((key,) if isinstance(key, str) else key) - {"_deleted"}
        assert not unmapped, f"{table}: truth fields the comparison does not map: {unmapped}"
        rows = warehouse_rows(paths.warehouse, "raw_google", table)
        if table == "ga4_daily":
            rows = [{**r, "date": r["date"].strftime("%Y%m%d")} for r in rows]
        problems = compare_with_truth(rows, truth, key, fields)
        if problems:
            out[table] = problems[:8] + ([f"… {len(problems)} in all"] if len(problems) > 8 else [])
    return out


def _query(paths: Paths, sql: str) -> list[tuple]:
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _requests(sb: RunningSandbox) -> dict[str, int]:
    """Google requests since the last call, per endpoint."""
    return sb.client.stats(reset=True).get("google", {})


def _deleted(paths: Paths, table: str, column: str) -> int:
    """Soft-deleted rows that kept their last copy (`column` still set)."""
    return _query(paths, f"select count(*) from raw_google.{table} where _deleted and {column} is not null")[0][0]


# --- fast checks ---------------------------------------------------------------------------------------

def test_assets_load_in_the_definitions():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string(): k for k in graph.get_all_asset_keys() if k.path[:2] == ["raw", "google"]}
    assert sorted(keys) == sorted(f"raw/google/{t}" for t in TABLES)
    assert {graph.get(k).group_name for k in keys.values()} == {"raw_google"}
    assert all({"dlt", "duckdb", "google"} <= set(graph.get(k).kinds) for k in keys.values())


def test_spend_sheet_cells_are_parsed_robustly():
    cells = ("$12,345.67", "1,200", " $0.00 ", "(1,234.50)", "-$5", "12.5 USD", 1234.5, 7, "", "n/a")
    assert [parse_money(v) for v in cells] == \
           [Decimal("12345.67"), Decimal("1200.00"), Decimal("0.00"), Decimal("-1234.50"), Decimal("-5.00"),
            Decimal("12.50"), Decimal("1234.50"), Decimal("7.00"), None, None]
    assert [parse_month(v) for v in ("2025-03", "2025-03-01", "2025/3", "Mar 2025", 45717, "13-2025", None)] == \
           ["2025-03", "2025-03", "2025-03", "2025-03", "2025-03", None, None]
    values = [["Month", "Campaign", "Channel", "Source", "Medium", "Spend (USD)", "Notes"],
              ["2024-12", "c1", "paid_search", "google", "cpc", 1234.5],
              [],
              ["2025-01", "c1", "paid_search", "google", "cpc", "$2,000.00", "month to date"],
              ["", "", "", "", "", ""],
              ["total", "", "", "", "", 3234.5]]
    assert [(r["month"], r["campaign"], r["spend_usd"], r["notes"], r["sheet_row"]) for r in spend_rows(values)] == \
           [("2024-12", "c1", Decimal("1234.50"), None, 2), ("2025-01", "c1", Decimal("2000.00"), "month to date", 4)]


# --- against the sandbox ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_backfill_then_incremental_rounds_equal_truth(tmp_path, monkeypatch):
    """Creates, updates, cancellations, trashing, deletions, schema drift, an expired Calendar sync
    token (410) and Gmail history too old to read (404): equal to the truth after every round. Seed 25
    deletes a message 7.7 days in: the run after it finds the history gone, lists the mailbox again
    and soft-deletes what it no longer lists."""
    sb = start_sandbox(tmp_path / "sandbox", seed=25)
    try:
        paths = _use(monkeypatch, sb, tmp_path / "data")
        _sync()
        assert _differences(sb, paths) == {}
        cancelled_before = _query(paths, "select count(*) from raw_google.calendar_events where _deleted")[0][0]
        sales_events = f"GET /calendar/{{id}}/calendars/{CALENDARS[0]}/events"
        gmail_listing = "GET /gmail/{id}/users/me/messages"
        # (days, drift, data fault, the least requests it means: a full listing again after the fault)
        for days, drift, rule, full_listing in ((1, False, None, {}),
                                                (2, True, "expire_sync_token", {sales_events: 2}),  # 410, then all
                                                (4, False, "expire_history_id", {gmail_listing: 1}),  # 404, then all
                                                (9, False, None, {gmail_listing: 2})):  # history older than 7 days
            if drift:
                sb.client.start_drift("google")
            sb.client.advance(days=days)
            if rule:
                sb.client.add_fault(rule, vendor="google")
            _requests(sb)
            _sync()
            requests = _requests(sb)
            assert _differences(sb, paths) == {}, f"after +{days} days"
            assert all(requests.get(k, 0) >= n for k, n in full_listing.items()), requests
        # what the rounds went through
        assert _query(paths, "select count(*) from raw_google.calendar_events where _deleted")[0][0] > cancelled_before
        assert _query(paths, "select count(event_type) from raw_google.calendar_events")[0][0]
        assert _query(paths, "select count(inherited_permissions_disabled) from raw_google.drive_files")[0][0]
        assert _deleted(paths, "drive_files", "name") and _deleted(paths, "gmail_messages", "from_header")
        # the staging models build and their tests pass on what was loaded
        dbt = subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", "dbt_project", "--profiles-dir",
             "dbt_project", "--select", "staging.google", "--indirect-selection", "buildable", "--target-path", str(tmp_path / "dbt-target"),
             "--log-path", str(tmp_path / "dbt-logs")],
            cwd=REPO, env={**os.environ, "PENGUIN_WAREHOUSE": str(paths.warehouse)}, capture_output=True, text=True,
            check=False)
        assert dbt.returncode == 0, dbt.stdout[-3000:]
        assert "ERROR=0" in dbt.stdout and "PASS=" in dbt.stdout
        live = _query(paths, "select count(*) from raw_google.gmail_messages where not _deleted")[0][0]
        staged = _query(paths, "select count(*), count(sender_email), count(*) filter (where len(to_emails) > 0) "
                               "from staging.stg_google__gmail_messages")[0]
        assert staged == (live, live, live)
        spend = _query(paths, "select count(*), sum(spend_usd) from staging.stg_google__marketing_spend")[0]
        truth = sb.client.truth_rows("google", "marketing_spend")
        assert spend == (len(truth), Decimal(str(round(sum(r["spend_usd"] for r in truth), 2))))
    finally:
        sb.stop()


@pytest.mark.slow
def test_chaos_faults_still_equal_truth(tmp_path, monkeypatch):
    """429 storms, 5xx, resets, truncated bodies and slow answers (the `chaos` profile, which also starts
    drift on the first advance and expires old Calendar sync tokens), plus forced storms on single
    endpoints and a revoked token (one 401: google-auth refreshes it): the same tables as without
    faults. Seed 48 deletes a message 2.6 days in, which the last run learns from Gmail's history."""
    sb = start_sandbox(tmp_path / "sandbox", seed=48, faults="chaos")
    try:
        paths = _use(monkeypatch, sb, tmp_path / "data")
        sb.client.add_fault("rate_limit", vendor="google", path="/v1beta/", times=3, seconds=1)
        sb.client.add_fault("server_error", vendor="google", path="/drive/v3/files", times=3, status=503)
        sb.client.add_fault("truncate", vendor="google", path="/v4/spreadsheets/", times=2)
        sb.client.add_fault("reset", vendor="google", path="/token", times=2)
        _sync()
        assert _differences(sb, paths) == {}
        for days in (1, 3):
            sb.client.advance(days=days)
            sb.client.add_fault("rate_limit", vendor="google", path="/gmail/v1/users/me/history", times=3, seconds=1)
            sb.client.add_fault("unauthorized", vendor="google", path="/drive/v3/changes", times=1)  # refresh, retry
            _sync()
            assert _differences(sb, paths) == {}, f"after +{days} days"
        assert _query(paths, "select count(event_type) from raw_google.calendar_events")[0][0]  # drift came through
        assert _deleted(paths, "gmail_messages", "from_header")
    finally:
        sb.stop()


@pytest.mark.slow
def test_incremental_reads_a_small_fraction_of_the_backfill(tmp_path, monkeypatch):
    """One day of changes costs a handful of requests: sync tokens, a changes page, the Gmail history
    and the few messages it names, one report of the last 4 days, the sheet."""
    sb = start_sandbox(tmp_path / "sandbox", seed=3)
    try:
        paths = _use(monkeypatch, sb, tmp_path / "data")
        _requests(sb)
        _sync()
        backfill = _requests(sb)
        sb.client.advance(days=1)
        _sync()
        incremental = _requests(sb)
        b, i = sum(backfill.values()), sum(incremental.values())
        print(f"requests: backfill {b}, incremental after 1 day {i} ({i / b:.1%})\n  backfill {backfill}\n"
              f"  incremental {incremental}")
        assert i < 0.05 * b
        assert _differences(sb, paths) == {}
        ga4 = _query(paths, "select count(distinct date) from raw_google.ga4_daily")[0][0]
        assert ga4 > 100  # the backfill read the whole history; the incremental run only its last days
    finally:
        sb.stop()


def _forged_key_file(sb: RunningSandbox, path: Path) -> Path:
    """The service account's key file with another private key: what a revoked or wrong key looks like."""
    info = json.loads(Path(sb.env["GOOGLE_APPLICATION_CREDENTIALS"]).read_text())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    info["private_key"] = other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode()
    path.write_text(json.dumps(info))
    return path


@pytest.mark.slow
def test_wrong_credential_fails_in_one_line_and_leaves_the_warehouse_alone(tmp_path, monkeypatch):
    sb = start_sandbox(tmp_path / "sandbox")
    try:
        paths = _use(monkeypatch, sb, tmp_path / "data")
        result = _sync()
        counts = {t: _query(paths, f"select count(*) from raw_google.{t}")[0][0] for t in TABLES}
        events = result.get_asset_materialization_events()
        assert sorted(e.asset_key.path[-1] for e in events) == sorted(TABLES)
        for event in events:  # row counts in the metadata
            table = event.asset_key.path[-1]
            assert event.materialization.metadata["dagster/row_count"].value == counts[table] > 0, table

        def snapshot():
            return ({t: _query(paths, f"select count(*), count(*) filter (where _deleted) from raw_google.{t}")[0]
                     for t in TABLES if t != "ga4_daily"},
                    _query(paths, "select count(*), sum(sessions) from raw_google.ga4_daily"),
                    _query(paths, "select version, _dlt_load_id from raw_google._dlt_pipeline_state order by 2"),
                    _query(paths, "select load_id, status from raw_google._dlt_loads order by 1"))

        sb.client.advance(days=1)  # there is something to load: a failed run must load none of it
        before = snapshot()
        forged = _forged_key_file(sb, tmp_path / "forged-key.json")
        private_key = json.loads(forged.read_text())["private_key"]
        for key_file, reason in ((forged, "invalid_grant"), (tmp_path / "missing.json", "could not be read")):
            monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
            failed = _sync(raise_on_error=False)
            assert not failed.success
            errors = summarize(failed).errors
            assert len(errors) == 1
            line = errors[0]
            print(line)
            assert "\n" not in line and "Traceback" not in line and "PRIVATE KEY" not in line
            assert private_key.splitlines()[1] not in line
            assert line.startswith("google: ") and "GOOGLE_APPLICATION_CREDENTIALS" in line and reason in line
            failure = next(e for e in failed.all_events if e.is_step_failure).event_specific_data.error
            causes = []
            while failure is not None:
                causes.append(failure.cls_name)
                failure = failure.cause
            assert "SourceAuthError" in causes
            assert snapshot() == before
    finally:
        sb.stop()
