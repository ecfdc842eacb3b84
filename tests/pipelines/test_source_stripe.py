"""The Stripe source against real sandbox subprocesses, loading a real DuckDB through Dagster.

After every sync each raw table must equal the sandbox's ground truth: same ids, every field the
truth names, soft-deleted rows flagged, no duplicates. Stripe's charges carry no invoice (the link is
the payment intent the invoices carry), and invoice lines no usage type (their price has it): the
comparison follows those links in the warehouse, as the staging models do. Customers deleted before
the first sync, and whose deletion event Stripe no longer lists, can only be known by id: the truth
expects exactly that for them (`{id, _deleted}`), and nothing less for anyone else.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import stripe
from dagster import AssetKey, materialize
from dagster_dlt import DagsterDltResource

from pipelines.assets.stripe import stripe_assets
from pipelines.resources import source_resources
from pipelines.runner import summarize
from pipelines.settings import Paths
from tests.conftest import REPO, RunningSandbox, start_sandbox
from tests.truth_compare import compare_with_truth, warehouse_rows

TABLES = ("customers", "subscriptions", "subscription_items", "invoices", "invoice_lines", "charges", "refunds",
          "credit_notes", "balance_transactions", "products", "prices", "coupons")
LINE_TYPES = {"subscription_item_details": "subscription", "invoice_item_details": "invoice_item"}


# --- helpers -----------------------------------------------------------------------------------------

def _use(monkeypatch, sb: RunningSandbox, data: Path) -> Paths:
    monkeypatch.setenv("PENGUIN_DATA_DIR", str(data))
    for name in ("STRIPE_API_KEY", "STRIPE_API_BASE"):
        monkeypatch.setenv(name, sb.env[name])
    return Paths.from_env()


def _sync(raise_on_error: bool = True):
    """One run of the Stripe assets, with the resources `pipelines.definitions` registers."""
    return materialize([stripe_assets], resources={"dlt": DagsterDltResource(), "stripe": source_resources()["stripe"]},
                       raise_on_error=raise_on_error)


def _unknowable(sb: RunningSandbox) -> set[str]:
    """Customers deleted already whose deletion Stripe no longer lists: all a sync can know is their id."""
    deleted = {r["id"] for r in sb.client.truth_rows("stripe", "customers") if r.get("_deleted")}
    client = stripe.StripeClient(sb.env["STRIPE_API_KEY"], base_addresses={"api": sb.env["STRIPE_API_BASE"]},
                                 max_network_retries=5)
    for _ in range(10):  # under chaos: the client does not retry a truncated body
        try:
            events = client.v1.events.list({"type": "customer.deleted", "limit": 100}).auto_paging_iter()
            return deleted - {e.data.object["id"] for e in events}
        except stripe.APIConnectionError:
            continue
    raise AssertionError("the sandbox keeps cutting the events list")


def _differences(sb: RunningSandbox, paths: Paths, unknowable: set[str]) -> dict[str, list[str]]:
    """Per table, how the raw table differs from the truth (empty: equal)."""
    rows = {t: warehouse_rows(paths.warehouse, "raw_stripe", t) for t in TABLES}
    invoice_of = {r["payment_intent"]: r["id"] for r in rows["invoices"] if r["payment_intent"]}
    usage_of = {r["id"]: r["usage_type"] for r in rows["prices"]}
    linked = {"charges": {"invoice": lambda r: invoice_of.get(r["payment_intent"])},
              "invoice_lines": {"type": lambda r: LINE_TYPES.get(r["parent_type"]),
                                "usage_type": lambda r: usage_of.get(r["price"])}}
    out = {}
    for table in TABLES:
        truth = sb.client.truth_rows("stripe", table)
        if table == "customers":
            truth = [{"id": r["id"], "_deleted": True} if r["id"] in unknowable else r for r in truth]
        fields = {f: f for r in truth for f in r if f not in ("id", "_deleted")} | linked.get(table, {})
        problems = compare_with_truth(rows[table], truth, "id", fields)
        problems += [f"absent {i}" for i in {r["id"] for r in truth} - {r["id"] for r in rows[table]}]
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
    """Stripe requests since the last call, per endpoint (`/v1` shows as `/{id}`)."""
    return sb.client.stats(reset=True).get("stripe", {})


# --- tests ---------------------------------------------------------------------------------------------

def test_assets_load_in_the_definitions():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string(): k for k in graph.get_all_asset_keys() if k.path[:2] == ["raw", "stripe"]}
    assert sorted(keys) == sorted(f"raw/stripe/{t}" for t in TABLES)
    assert {graph.get(k).group_name for k in keys.values()} == {"raw_stripe"}
    assert all({"dlt", "duckdb", "stripe"} <= set(graph.get(k).kinds) for k in keys.values())


@pytest.mark.slow
def test_backfill_then_incremental_rounds_equal_truth(tmp_path, monkeypatch):
    """Creates, updates, a customer deletion (day 12.6 of seed 23), schema drift: equal after every round."""
    sb = start_sandbox(tmp_path / "sandbox", seed=23)
    try:
        paths = _use(monkeypatch, sb, tmp_path / "data")
        unknowable = _unknowable(sb)
        deleted_before = {r["id"] for r in sb.client.truth_rows("stripe", "customers") if r.get("_deleted")}
        _requests(sb)
        _sync()
        backfill = sum(_requests(sb).values())
        assert _differences(sb, paths, unknowable) == {}
        invoices_before = _query(paths, "select count(*) from raw_stripe.invoices")[0][0]
        updated = 0
        for days, drift in ((1, False), (2, True), (10, False)):
            if drift:
                sb.client.start_drift("stripe")
            sb.client.advance(days=days)
            result = _sync()
            requests = sum(_requests(sb).values())
            print(f"+{days} days: {requests} requests (backfill {backfill})")
            assert _differences(sb, paths, unknowable) == {}, f"after +{days} days"
            updated += sum(e.materialization.metadata["rows_updated"].value
                           for e in result.get_asset_materialization_events())
        # what the rounds went through
        assert _query(paths, "select count(*) from raw_stripe.invoices")[0][0] > invoices_before and updated
        deleted_now = {r["id"] for r in sb.client.truth_rows("stripe", "customers") if r.get("_deleted")}
        gone = sorted(deleted_now - deleted_before)
        assert gone, "seed 23 deletes a customer on day 12.6"
        assert _query(paths, f"select count(email) from raw_stripe.customers where id = '{gone[0]}' and _deleted")[0][0] == 1
        drifted, untouched = _query(paths, "select count(business_name), count(*) - count(business_name) "
                                           "from raw_stripe.customers")[0]
        assert drifted and untouched
        # the staging models build and their tests pass on what was loaded
        dbt = subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", "dbt_project", "--profiles-dir",
             "dbt_project", "--select", "staging.stripe", "--indirect-selection", "buildable", "--target-path", str(tmp_path / "dbt-target"),
             "--log-path", str(tmp_path / "dbt-logs")],
            cwd=REPO, env={**os.environ, "PENGUIN_WAREHOUSE": str(paths.warehouse)}, capture_output=True, text=True)
        assert dbt.returncode == 0, dbt.stdout[-3000:]
        assert "ERROR=0" in dbt.stdout and "PASS=" in dbt.stdout
        charges = _query(paths, "select count(*), count(stripe_invoice_id) from staging.stg_stripe__charges")[0]
        assert charges[0] > 0 and charges[0] == charges[1]
    finally:
        sb.stop()


@pytest.mark.slow
def test_chaos_faults_and_vanished_cursors_still_equal_truth(tmp_path, monkeypatch):
    """429 storms, 5xx, resets, truncated bodies (the `chaos` profile, which also starts drift on the
    first advance) and list cursors that vanish mid-listing: the same tables as without faults."""
    sb = start_sandbox(tmp_path / "sandbox", seed=30, faults="chaos")
    try:
        paths = _use(monkeypatch, sb, tmp_path / "data")
        unknowable = _unknowable(sb)
        for path in ("/v1/invoices", "/v1/charges", "/v1/balance_transactions"):
            sb.client.add_fault("missing_cursor", vendor="stripe", path=path, times=2)
        sb.client.add_fault("rate_limit", vendor="stripe", path="/v1/subscriptions", times=3, seconds=1)
        _sync()
        assert _differences(sb, paths, unknowable) == {}
        for days in (1, 3):
            sb.client.advance(days=days)
            _sync()
            assert _differences(sb, paths, unknowable) == {}, f"after +{days} days"
        # a deletion the backfill could only learn from Stripe's events (seed 30: 4.5 days before the start)
        assert _query(paths, "select count(*) from raw_stripe.customers where _deleted and email is not null")[0][0]
    finally:
        sb.stop()


@pytest.mark.slow
def test_cursor_older_than_the_event_retention_means_a_full_refresh(tmp_path, monkeypatch):
    """50 days without a sync: the events since the cursor are gone, so everything is listed again; the
    customer deleted meanwhile (day 18.2 of seed 15, now beyond the events too) keeps its last copy."""
    sb = start_sandbox(tmp_path / "sandbox", seed=15)
    try:
        paths = _use(monkeypatch, sb, tmp_path / "data")
        unknowable = _unknowable(sb)
        _sync()
        live_before = {r[0] for r in _query(paths, "select id from raw_stripe.customers where not _deleted")}
        sb.client.advance(days=50)
        _requests(sb)
        _sync()
        requests = _requests(sb)
        assert requests.get("GET /{id}/customers") and requests.get("GET /{id}/charges"), requests  # lists, not events
        assert _differences(sb, paths, unknowable) == {}
        gone = live_before & {r["id"] for r in sb.client.truth_rows("stripe", "customers") if r.get("_deleted")}
        assert gone and _query(paths, "select count(*) from raw_stripe.customers where _deleted and email is not null "
                                      f"and id in ({', '.join(repr(i) for i in gone)})")[0][0] == len(gone)
    finally:
        sb.stop()


@pytest.mark.slow
def test_incremental_reads_a_small_fraction_of_the_backfill(tmp_path, monkeypatch):
    """At medium scale (5,000 accounts) one day of changes costs a few requests per table's event feed
    (at small scale those fixed feeds are about half a backfill's ~24 requests)."""
    sb = start_sandbox(tmp_path / "sandbox", scale="medium", horizon_days=2)  # a short future builds faster
    try:
        paths = _use(monkeypatch, sb, tmp_path / "data")
        unknowable = _unknowable(sb)
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
        assert _differences(sb, paths, unknowable) == {}
    finally:
        sb.stop()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A small sandbox (seed 7) and a warehouse holding its backfill, for the tests below in file order
    (the first leaves them as they are)."""
    root = tmp_path_factory.mktemp("stripe-loaded")
    sb = start_sandbox(root / "sandbox")
    with pytest.MonkeyPatch.context() as mp:
        _use(mp, sb, root / "data")
        result = _sync()
    yield sb, root / "data", result
    sb.stop()


@pytest.mark.slow
def test_materializations_carry_row_counts(loaded, monkeypatch):
    sb, data, result = loaded
    paths = _use(monkeypatch, sb, data)
    counts = {t: _query(paths, f"select count(*) from raw_stripe.{t}")[0][0] for t in TABLES}
    events = {e.asset_key.path[-1]: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert sorted(events) == sorted(TABLES)
    for table, metadata in events.items():
        assert metadata["dagster/row_count"].value == counts[table] > 0, table
        assert metadata["rows_new"].value == counts[table], table  # a backfill: every row is new


@pytest.mark.slow
def test_wrong_key_fails_in_one_line_and_leaves_the_warehouse_alone(loaded, monkeypatch):
    sb, data, _ = loaded
    paths = _use(monkeypatch, sb, data)

    def snapshot():
        return ({t: _query(paths, f"select count(*), count(*) filter (where _deleted) from raw_stripe.{t}")[0]
                 for t in TABLES},
                _query(paths, "select version, _dlt_load_id from raw_stripe._dlt_pipeline_state order by 2"),
                _query(paths, "select load_id, status from raw_stripe._dlt_loads order by 1"))

    before = snapshot()
    wrong = "sk_test_thisisnotthekey0000wxyz"
    monkeypatch.setenv("STRIPE_API_KEY", wrong)
    failed = _sync(raise_on_error=False)
    assert not failed.success
    errors = summarize(failed).errors  # what `penguin run` prints
    assert len(errors) == 1
    line = errors[0]
    print(line)
    assert "\n" not in line and "Traceback" not in line and wrong not in line
    assert line.startswith("stripe: ") and "STRIPE_API_KEY" in line and "401" in line
    failure = next(e for e in failed.all_events if e.is_step_failure).event_specific_data.error
    causes = []
    while failure is not None:
        causes.append(failure.cls_name)
        failure = failure.cause
    assert "SourceAuthError" in causes
    assert snapshot() == before


def _wait_mid_load(proc: subprocess.Popen, paths: Paths, timeout: float = 240) -> bool:
    """Polls dlt's working directory until a load package has finished some jobs but not all."""
    packages = paths.dlt_dir / "penguin_stripe" / "load" / "normalized"
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        for package in packages.glob("*"):
            pending = any((package / "new_jobs").glob("*")) or any((package / "started_jobs").glob("*"))
            if pending and any((package / "completed_jobs").glob("*")):
                return True
        time.sleep(0.002)
    return False


@pytest.mark.slow
def test_sync_killed_mid_load_is_rerun_to_equal_truth(loaded, monkeypatch):
    """`penguin run` killed with SIGKILL while dlt loads an incremental package: the re-run, from the
    state of the last complete load, ends equal to the truth."""
    sb, data, _ = loaded
    paths = _use(monkeypatch, sb, data)
    unknowable = _unknowable(sb)
    sb.client.start_drift("stripe")
    sb.client.advance(days=4)
    loads = _query(paths, "select load_id from raw_stripe._dlt_loads")
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    # `penguin run` (the console script's module, so the working tree's packages are the ones imported)
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "--select", "group:raw_stripe",
                             "--env-file", str(sb.env_file)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    caught = _wait_mid_load(proc, paths)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert caught and proc.returncode == -signal.SIGKILL, "the run ended before it could be killed mid-load"
    # the package never completed: the next run starts from the state of the last complete load
    assert _query(paths, "select load_id from raw_stripe._dlt_loads") == loads
    _sync()
    assert _differences(sb, paths, unknowable) == {}


@pytest.mark.slow
def test_a_run_of_some_tables_does_not_skip_changes_for_the_others(loaded, monkeypatch):
    """`subscriptions` and `subscription_items` share one read of the subscriptions: a run that loads
    only one of them leaves the shared cursor where it was, so the other still gets every change."""
    sb, data, _ = loaded
    paths = _use(monkeypatch, sb, data)
    unknowable = _unknowable(sb)
    sb.client.advance(days=5)
    only = materialize([stripe_assets], resources={"dlt": DagsterDltResource(), "stripe": source_resources()["stripe"]},
                       selection=[AssetKey(["raw", "stripe", "subscriptions"])])
    assert [e.asset_key.path[-1] for e in only.get_asset_materialization_events()] == ["subscriptions"]
    _sync()
    assert _differences(sb, paths, unknowable) == {}
