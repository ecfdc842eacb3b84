"""Finance marts (schema `finance`) against the Stripe emulator's ground truth.

The expected numbers are computed here, in Python, from the sandbox's truth: the reference table
`stripe/_subscription_states` (each subscription's status, items with their unit amounts and
intervals, and discount over time — what the dbt models must rebuild from invoice lines), the raw
truth tables (invoices, charges, refunds) and the rate table `dbt_project/seeds/fx_rates.csv` read as
a file. Exact fractions, rounded to the cent half away from zero once per subscription — a different
code path from the SQL. Only the mapping of Stripe customers to customer accounts is read from the
warehouse (`int_customer_identity__links`, the identity domain's own tests cover it).

Besides the shared build (`built_warehouse`, seed 7), a second world (seed 20) is synced, advanced 29
days across a month end and synced again, so the incremental Stripe sync, a month that closed since
the previous sync and the new "now" are checked as well.
"""
from __future__ import annotations

import calendar
import csv
import os
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Callable
from unittest import mock

import duckdb
import pytest

from pipelines.runner import SQLITE_INSTANCE_YAML, run_daily
from pipelines.settings import Paths
from tests.conftest import start_sandbox

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FX_SEED = REPO / "dbt_project" / "seeds" / "fx_rates.csv"
COUNTED = ("active", "past_due")
INTERVALS_PER_YEAR = {"month": 12, "year": 1, "week": 52, "day": 365}
MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation", "unchanged")


# --- the independent computation --------------------------------------------------------------

def cents(x: Fraction) -> Fraction:
    """Rounded to the cent, half away from zero."""
    c = x * 100
    n = (abs(c) * 2 + 1) // 2
    return Fraction(n if c >= 0 else -n, 100)


def read_fx() -> dict[str, list[tuple[date, Fraction]]]:
    rates: dict[str, list[tuple[date, Fraction]]] = defaultdict(list)
    with FX_SEED.open() as f:
        for row in csv.DictReader(f):
            rates[row["currency"].lower()].append((date.fromisoformat(row["valid_from"]), Fraction(row["usd_per_unit"])))
    return rates


def rate_on(fx, currency: str, day: date) -> Fraction:
    return max((r for r in fx[currency] if r[0] <= day), key=lambda r: r[0])[1]


def utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


def measuring_instants(first: int, now: int) -> list[tuple[date, int]]:
    """(month, instant MRR is measured at): the month's last second (its end, for second-precision
    data), the sync itself for the current month."""
    out, d, last = [], utc(first).date().replace(day=1), utc(now).date().replace(day=1)
    while d <= last:
        nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
        out.append((d, now if d == last else calendar.timegm(nxt.timetuple()) - 1))
        d = nxt
    return out


def state_at(states: list[dict], t: int) -> dict | None:
    return next((s for s in states if s["valid_from"] <= t and (s["valid_to"] is None or t < s["valid_to"])), None)


def recurring_discount(state: dict, t: int) -> dict | None:
    d = state["discount"]
    if d is None or d["duration"] == "once" or d["start"] > t or (d["end"] is not None and t >= d["end"]):
        return None
    return d


def subscription_mrr(state: dict, t: int, fx) -> Fraction:
    """The brief's definition: licensed items per month, less the recurring discount, in USD at the
    rate in force on the instant's date, rounded once."""
    items = [i for i in state["items"] if i["usage_type"] == "licensed"]
    (interval, count), = {(i["interval"], i["interval_count"]) for i in items}
    period = sum(Fraction(i["quantity"] * i["unit_amount"], 100) for i in items)
    d = recurring_discount(state, t)
    if d is not None and d["percent_off"] is not None:
        period = period * (100 - Fraction(str(d["percent_off"]))) / 100
    elif d is not None:
        period = max(Fraction(0), period - Fraction(d["amount_off"], 100))
    usd = period * rate_on(fx, state["currency"], utc(t).date())
    return cents(usd * INTERVALS_PER_YEAR[interval] / (12 * count))


@dataclass
class Expected:
    now: int
    instants: list[tuple[date, int]]
    subscription_mrr: dict[tuple[str, date], Fraction]  # counted subscriptions only
    account_rows: dict[tuple[str, date], dict]  # the rows fct_mrr_monthly must have
    account_mrr: dict[str, dict[date, Fraction]]  # every month from the first paid one to now
    states_at: dict[tuple[str, date], tuple]
    truth: dict[str, list[dict]]  # the Stripe truth tables these were computed from


def expected_from_truth(client, links: dict[str, str]) -> Expected:
    now = client.status()["now_epoch"]
    fx = read_fx()
    truth = {t: client.truth_rows("stripe", t) for t in ("_subscription_states", "subscriptions", "invoices", "charges",
                                                          "refunds")}
    states = defaultdict(list)
    for s in truth["_subscription_states"]:
        states[s["subscription"]].append(s)
    subscriptions = {s["id"]: s for s in truth["subscriptions"]}
    instants = measuring_instants(min(s["created"] for s in subscriptions.values()), now)

    sub_mrr, states_at = {}, {}
    for sub, sts in states.items():
        for month, t in instants:
            st = state_at(sts, t)
            if st is None:
                continue
            counted = st["status"] in COUNTED
            coupon = (recurring_discount(st, t) or {}).get("coupon") if counted else None
            items = tuple(sorted(f'{i["price"]} x {i["quantity"]}' for i in st["items"] if i["usage_type"] == "licensed"))
            states_at[(sub, month)] = (st["status"], items, coupon)
            if counted:
                sub_mrr[(sub, month)] = subscription_mrr(st, t, fx)

    by_account: dict[str, dict[date, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    for (sub, month), mrr in sub_mrr.items():
        by_account[links[subscriptions[sub]["customer"]]][month] += mrr
    months = [m for m, _ in instants]
    rows, account_mrr = {}, {}
    for account, per_month in by_account.items():
        paid = [m for m in months if per_month.get(m, 0) > 0]
        if not paid:
            continue
        series = {m: per_month.get(m, Fraction(0)) for m in months if m >= paid[0]}
        account_mrr[account] = series
        previous, paid_before = Fraction(0), False
        for month, mrr in series.items():
            movement = None
            if mrr > 0 and previous == 0:
                movement = "reactivation" if paid_before else "new"
            elif mrr == 0 and previous > 0:
                movement = "churn"
            elif mrr > 0:
                movement = "expansion" if mrr > previous else "contraction" if mrr < previous else "unchanged"
            if movement:
                rows[(account, month)] = {"mrr": mrr, "previous_mrr": previous, "mrr_change": mrr - previous,
                                          "movement_type": movement}
            paid_before = paid_before or mrr > 0
            previous = mrr
    return Expected(now, instants, sub_mrr, rows, account_mrr, states_at, truth)


def stripe_links(query) -> dict[str, str]:
    return {r["source_id"]: r["customer_account_id"] for r in query(
        "select source_id, customer_account_id from intermediate.int_customer_identity__links where source_system = 'stripe'")}


# --- checks shared by both worlds -----------------------------------------------------------------

def assert_mrr_equals_truth(query, expected: Expected) -> None:
    got = {(r["customer_account_id"], r["month"]): r for r in query("select * from finance.fct_mrr_monthly")}
    assert set(got) == set(expected.account_rows), (
        sorted(set(expected.account_rows) - set(got))[:10], sorted(set(got) - set(expected.account_rows))[:10])
    wrong = []
    for key, want in expected.account_rows.items():
        row = got[key]
        have = {k: Fraction(row[k]) if isinstance(row[k], Decimal) else row[k] for k in want}
        if have != want or Fraction(row["arr"]) != 12 * want["mrr"]:
            wrong.append((key, {k: str(v) for k, v in want.items()}, {k: str(v) for k, v in have.items()}, row["arr"]))
    assert not wrong, wrong[:10]
    # the per-subscription MRR underneath, to the cent
    sub_rows = {(r["stripe_subscription_id"], r["month"]): Fraction(r["mrr"])
                for r in query("select stripe_subscription_id, month, mrr from intermediate.int_finance__subscription_mrr_monthly")}
    assert sub_rows == expected.subscription_mrr


def assert_measured_at_month_ends_and_the_sync(query, expected: Expected) -> None:
    instants = {m: t for m, t in expected.instants}
    rows = query("select month, any_value(as_of_at) as as_of_at, bool_and(is_current_month) as is_current, "
                 "count(*) as n from finance.fct_mrr_monthly group by month")
    assert rows
    for r in rows:
        t = r["as_of_at"].replace(tzinfo=timezone.utc)
        if r["is_current"]:
            assert r["month"] == utc(expected.now).date().replace(day=1)
            assert t.timestamp() == expected.now  # the current month is "now": the latest sync
        else:
            assert t == utc(instants[r["month"]] + 1) - timedelta(microseconds=1)  # the month's last instant


def assert_movements_add_up(query, expected: Expected) -> None:
    totals = defaultdict(Fraction)
    moves = defaultdict(lambda: [0, Fraction(0)])
    for (account, month), row in expected.account_rows.items():
        totals[month] += row["mrr"]
        moves[(month, row["movement_type"])][0] += 1
        moves[(month, row["movement_type"])][1] += row["mrr_change"]
    rows = query("select * from finance.fct_mrr_movements_monthly order by month, movement_order")
    by_month = defaultdict(list)
    for r in rows:
        by_month[r["month"]].append(r)
    assert set(by_month) == {m for m, _ in expected.instants if m >= min(totals)}
    previous_ending = Fraction(0)
    for month, month_rows in sorted(by_month.items()):
        assert [r["movement_type"] for r in month_rows] == list(MOVEMENTS)
        ending, starting = Fraction(month_rows[0]["ending_mrr"]), Fraction(month_rows[0]["starting_mrr"])
        assert ending == totals[month]
        assert starting == previous_ending
        assert starting + sum(Fraction(r["mrr_change"]) for r in month_rows) == ending
        assert Fraction(month_rows[0]["ending_arr"]) == 12 * ending
        for r in month_rows:
            assert [r["accounts"], Fraction(r["mrr_change"])] == moves.get((month, r["movement_type"]), [0, 0]), (month, r)
        previous_ending = ending


def assert_status_history_equals_truth(query, expected: Expected) -> Counter:
    """The emulator also marks a subscription past_due when a renewal it drew as failing had nothing to
    pay (a $0 invoice, e.g. $49 with $50 off): Stripe never charges such an invoice, so nothing in the
    data shows it. Those stretches are compared as active (MRR counts both)."""
    unpayable = {(i["subscription"], i["created"] + 3600) for i in expected.truth["invoices"]
                 if i["billing_reason"] == "subscription_cycle" and i["amount_due"] == 0}
    truth = defaultdict(list)
    phantom = False
    for s in sorted(expected.truth["_subscription_states"], key=lambda s: (s["subscription"], s["valid_from"])):
        timeline = truth[s["subscription"]]
        status = s["status"]
        if status == "past_due":
            starts = not timeline or timeline[-1][1] != "past_due" and not phantom
            phantom = (s["subscription"], s["valid_from"]) in unpayable if starts else phantom
            status = "active" if phantom else status
        else:
            phantom = False
        if not timeline or timeline[-1][1] != status:
            timeline.append((utc(s["valid_from"]).replace(tzinfo=None), status))
    got = defaultdict(list)
    for r in query("select stripe_subscription_id, valid_from, status "
                   "from intermediate.int_stripe__subscription_statuses order by 1, 2"):
        got[r["stripe_subscription_id"]].append((r["valid_from"], r["status"]))
    assert got == truth
    return Counter(status for timeline in truth.values() for _, status in timeline)


def assert_invoices_and_payments_equal_truth(query, expected: Expected) -> Counter:
    """fct_invoices and fct_payments in USD (rate of the day, to the cent), collection and dunning;
    returns the dunning outcomes seen."""
    fx = read_fx()
    charges, refunds = expected.truth["charges"], expected.truth["refunds"]
    charge_invoice = {c["id"]: c["invoice"] for c in charges}
    failed = Counter(c["invoice"] for c in charges if c["status"] == "failed")
    refunded = Counter()
    for r in refunds:
        refunded[charge_invoice[r["charge"]]] += r["amount"]
    got = {r["stripe_invoice_id"]: r for r in query("select * from finance.fct_invoices")}
    assert set(got) == {i["id"] for i in expected.truth["invoices"]}
    outcomes = Counter()
    for inv in expected.truth["invoices"]:
        r, rate = got[inv["id"]], rate_on(fx, inv["currency"], utc(inv["created"]).date())
        assert r["status"] == inv["status"]
        for field in ("total", "amount_paid", "amount_due", "subtotal"):
            assert Fraction(r[f"{field}_usd"]) == cents(Fraction(inv[field], 100) * rate), (inv["id"], field)
        assert Fraction(r["credited_amount"]) == Fraction(inv["post_payment_credit_notes_amount"], 100)
        assert Fraction(r["refunded_amount"]) == Fraction(refunded[inv["id"]], 100)
        assert r["failed_attempts"] == failed[inv["id"]]
        want = None if not failed[inv["id"]] else {"paid": "recovered", "uncollectible": "uncollectible",
                                                    "void": "void", "open": "in_dunning"}[inv["status"]]
        assert r["dunning_outcome"] == want, inv["id"]
        outcomes[want] += 1

    payments = {r["payment_id"]: r for r in query("select * from finance.fct_payments")}
    assert set(payments) == {c["id"] for c in charges} | {r["id"] for r in refunds}
    for c in charges:
        rate = rate_on(fx, c["currency"], utc(c["created"]).date())
        assert Fraction(payments[c["id"]]["amount_usd"]) == cents(Fraction(c["amount"], 100) * rate)
        assert payments[c["id"]]["failure_code"] == c["failure_code"]
    for r in refunds:
        rate = rate_on(fx, r["currency"], utc(r["created"]).date())
        assert Fraction(payments[r["id"]]["amount_usd"]) == -cents(Fraction(r["amount"], 100) * rate)
    return outcomes


# --- the shared build (seed 7) ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def expected(built_warehouse) -> Expected:
    return expected_from_truth(built_warehouse.sandbox.client, stripe_links(built_warehouse.query))


def test_mrr_per_account_and_month_equals_truth_to_the_cent(built_warehouse, expected):
    assert len(expected.account_rows) > 300
    assert {r["movement_type"] for r in expected.account_rows.values()} >= {"new", "expansion", "contraction", "unchanged"}
    assert_mrr_equals_truth(built_warehouse.query, expected)


def test_current_month_is_measured_at_the_latest_sync(built_warehouse, expected):
    assert_measured_at_month_ends_and_the_sync(built_warehouse.query, expected)
    synced = built_warehouse.query("select synced_at from intermediate.int_stripe__sync_time")[0]["synced_at"]
    assert synced.replace(tzinfo=timezone.utc).timestamp() == expected.now  # Stripe's clock, not ours


def test_movements_add_up_to_the_change_in_mrr(built_warehouse, expected):
    assert_movements_add_up(built_warehouse.query, expected)


def test_subscription_history_rebuilt_from_invoices_equals_truth(built_warehouse, expected):
    """Status, licensed items and the recurring coupon of every subscription at every measuring
    instant: what the dbt models rebuilt from invoice lines, versus the emulator's own history."""
    got = {}
    for r in built_warehouse.query("""
            select s.stripe_subscription_id, m.month, s.status, s.stripe_coupon_id,
                   list_sort([i.stripe_price_id || ' x ' || i.quantity for i in s.items]) as items
            from intermediate.int_finance__months as m
            inner join intermediate.int_stripe__subscription_states as s
                on s.valid_from <= m.as_of_at and (s.valid_to is null or s.valid_to > m.as_of_at)"""):
        coupon = r["stripe_coupon_id"] if r["status"] in COUNTED else None
        got[(r["stripe_subscription_id"], r["month"])] = (r["status"], tuple(r["items"]), coupon)
    assert got == expected.states_at


def test_status_history_rebuilt_from_invoices_equals_truth(built_warehouse, expected):
    """Every subscription's whole status timeline (trial, active, past_due while dunning, canceled,
    incomplete): rebuilt from dates and failed charges, versus the emulator's history."""
    assert_status_history_equals_truth(built_warehouse.query, expected)


def test_customers_arpa_and_churn_rates(built_warehouse, expected):
    paying, churned, starting = Counter(), Counter(), Counter()
    mrr = defaultdict(Fraction)
    for (account, month), row in expected.account_rows.items():
        paying[month] += row["mrr"] > 0
        churned[month] += row["movement_type"] == "churn"
        starting[month] += row["previous_mrr"] > 0
        mrr[month] += row["mrr"]
    rows = built_warehouse.query("select * from finance.fct_customers_monthly")
    assert {r["month"] for r in rows} == {m for m, _ in expected.instants if m >= min(mrr)}
    for r in rows:
        m = r["month"]
        assert (r["paying_customers"], r["churned_customers"], r["starting_paying_customers"]) == (paying[m], churned[m], starting[m])
        assert Fraction(r["mrr"]) == mrr[m] and Fraction(r["arr"]) == 12 * mrr[m]
        if paying[m]:
            assert Fraction(r["arpa"]) == cents(mrr[m] / paying[m])
        if starting[m]:
            assert r["logo_churn_rate"] == pytest.approx(churned[m] / starting[m])


def test_retention_cohorts(built_warehouse, expected):
    cohorts = defaultdict(lambda: defaultdict(list))  # cohort -> months since start -> [(mrr, starting mrr)]
    for series in expected.account_mrr.values():
        months = list(series)
        for k, month in enumerate(months):
            cohorts[months[0]][k].append((series[month], series[months[0]]))
    rows = {(r["cohort_month"], r["months_since_start"]): r for r in built_warehouse.query("select * from finance.fct_retention_cohorts")}
    assert len(rows) == sum(len(v) for v in cohorts.values())
    for cohort, by_k in cohorts.items():
        for k, pairs in by_k.items():
            r = rows[(cohort, k)]
            start = sum(s for _, s in pairs)
            assert r["cohort_customers"] == len(pairs)
            assert r["customers_retained"] == sum(1 for m, _ in pairs if m > 0)
            assert Fraction(r["mrr_retained"]) == sum(m for m, _ in pairs)
            assert r["net_revenue_retention"] == pytest.approx(float(sum(m for m, _ in pairs) / start))
            assert r["gross_revenue_retention"] == pytest.approx(float(sum(min(m, s) for m, s in pairs) / start))
            assert r["gross_revenue_retention"] <= 1 + 1e-12


def test_invoices_and_payments_in_usd(built_warehouse, expected):
    outcomes = assert_invoices_and_payments_equal_truth(built_warehouse.query, expected)
    assert outcomes["recovered"]  # failed renewals a retry recovered (uncollectible ones: the seed 20 world)


def test_reconciliation_ties_mrr_to_invoices(built_warehouse, expected):
    rows = built_warehouse.query("select * from finance.fct_mrr_reconciliation")
    status = Counter(r["reconciliation_status"] for r in rows)
    assert status["break"] == 0, [r for r in rows if r["reconciliation_status"] == "break"][:5]
    assert status["matched"] > 0.8 * len(rows)
    by_key = {(r["customer_account_id"], r["month"]): r for r in rows}
    for key, want in expected.account_rows.items():
        assert Fraction(by_key[key]["mrr"]) == want["mrr"]
    for r in rows:  # explained differences are discounts only: the list-price run-rates tie
        if r["reconciliation_status"] == "explained":
            assert abs(r["gross_difference"]) <= r["tolerance"] and r["difference_reason"]


# --- a second world, synced again after the clock crossed a month end ------------------------------

@dataclass
class AdvancedBuild:
    query_at: dict[str, Callable[[str], list[dict]]]
    expected_at: dict[str, Expected]


def _query(warehouse: Path):
    def query(sql: str) -> list[dict]:
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]
        finally:
            con.close()
    return query


@pytest.fixture(scope="module")
def advanced(tmp_path_factory) -> AdvancedBuild:
    """Seed 20 (every coupon, currency and interval; dunning; reactivations): the finance marts and
    everything upstream built, then the clock moved 29 days (2 Nov → 1 Dec, inside Stripe's 30 days of
    events, so the second Stripe sync is incremental) and built again."""
    root = tmp_path_factory.mktemp("finance_advance")
    sandbox = start_sandbox(root / "sandbox", seed=20, scale="small")
    env = {**sandbox.env, "PENGUIN_DATA_DIR": str(root / "data"), "DAGSTER_HOME": str(root / "dagster")}
    Path(env["DAGSTER_HOME"]).mkdir()
    (Path(env["DAGSTER_HOME"]) / "dagster.yaml").write_text(SQLITE_INSTANCE_YAML)
    query_at, expected_at = {}, {}
    try:
        with mock.patch.dict(os.environ, env):
            paths = Paths.from_env()
            for label in ("first", "advanced"):
                if label == "advanced":
                    sandbox.client.advance(days=29)
                summary = run_daily(select="+group:finance")
                assert summary.success, summary.render()
                con = duckdb.connect(str(paths.warehouse))
                con.execute("checkpoint")  # everything in the file, nothing left in its WAL
                con.close()
                copy = root / f"{label}.duckdb"  # the warehouse as this sync left it
                copy.write_bytes(paths.warehouse.read_bytes())
                query_at[label] = _query(copy)
                expected_at[label] = expected_from_truth(sandbox.client, stripe_links(query_at[label]))
    finally:
        sandbox.stop()
    return AdvancedBuild(query_at, expected_at)


@pytest.mark.parametrize("label", ["first", "advanced"])
def test_mrr_equals_truth_before_and_after_an_advance(advanced, label):
    query, expected = advanced.query_at[label], advanced.expected_at[label]
    coupons = {c for _, _, c in expected.states_at.values() if c}
    assert coupons >= {"LAUNCH20", "ANNUAL10", "PARTNER50"}  # recurring discounts are exercised
    assert_mrr_equals_truth(query, expected)
    assert_measured_at_month_ends_and_the_sync(query, expected)
    assert_movements_add_up(query, expected)
    statuses = assert_status_history_equals_truth(query, expected)
    assert statuses["past_due"] and statuses["incomplete_expired"]
    outcomes = assert_invoices_and_payments_equal_truth(query, expected)
    assert outcomes["recovered"] and outcomes["uncollectible"]
    assert not query("select * from finance.fct_mrr_reconciliation where reconciliation_status = 'break'")


def test_the_month_closed_since_the_last_sync_is_measured_at_its_end(advanced):
    first, after = advanced.expected_at["first"], advanced.expected_at["advanced"]
    november = utc(first.now).date().replace(day=1)
    assert utc(after.now).date().replace(day=1) > november  # the clock crossed a month end
    # November was "now" at the first sync and is measured at its end after the second
    closed = {k: v for k, v in after.account_rows.items() if k[1] == november}
    got = {(r["customer_account_id"], r["month"]): Fraction(r["mrr"]) for r in
           advanced.query_at["advanced"](f"select * from finance.fct_mrr_monthly where month = date '{november}'")}
    assert got == {k: v["mrr"] for k, v in closed.items()}
    row = advanced.query_at["advanced"](f"select max(as_of_at) as t, bool_or(is_current_month) as c from finance.fct_mrr_monthly "
                                        f"where month = date '{november}'")[0]
    assert not row["c"] and row["t"] == datetime(2026, 11, 30, 23, 59, 59, 999999)
