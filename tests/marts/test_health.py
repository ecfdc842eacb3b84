"""Customer health marts against the sandbox's ground truth and the world it was built from — an
independent code path: the measures are recomputed in Python from the vendors' truth tables, the
scored days from the world's subscriptions, and the score is judged by what the world knows about
each account (its health trajectory and its cancellations)."""
from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

import duckdb
import pytest

from pipelines.assets.previews import riskiest_accounts_today
from sandbox.timeutil import DAY, parse_iso
from sandbox.world import build_world

pytestmark = pytest.mark.slow

WEIGHTS = {"usage": 30, "billing": 30, "support": 15, "deliverability": 15, "engagement": 10}


def day_end(d: date) -> int:
    """Epoch seconds of the midnight that ends day `d` (UTC): the moment a day's score describes."""
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp()) + DAY


def to_date(t: float) -> date:
    return datetime.fromtimestamp(t, tz=timezone.utc).date()


def tenant_of(customer_account_id: str) -> int | None:
    return int(customer_account_id.removeprefix("acct_")) if customer_account_id.startswith("acct_") else None


@pytest.fixture(scope="module")
def world():
    return build_world(7, "small")


@pytest.fixture(scope="module")
def health(built_warehouse) -> list[dict]:
    return built_warehouse.query("select * from customer_health.fct_health_daily order by customer_account_id, date")


@pytest.fixture(scope="module")
def scored_days(health) -> list[date]:
    days = sorted({r["date"] for r in health})
    return [days[0] + timedelta(days=i) for i in range((days[-1] - days[0]).days + 1)]


@pytest.fixture(scope="module")
def truth(built_warehouse):
    client = built_warehouse.sandbox.client
    cache: dict[tuple[str, str], list[dict]] = {}

    def rows(source: str, table: str) -> list[dict]:
        if (source, table) not in cache:
            cache[source, table] = client.truth_rows(source, table)
        return cache[source, table]
    return rows


def test_one_row_per_account_and_day_with_scores_in_bounds(health):
    keys = [(r["customer_account_id"], r["date"]) for r in health]
    assert len(keys) == len(set(keys)) > 1000
    for r in health:
        assert 0 <= r["health_score"] <= 100
        for component in WEIGHTS:
            assert 0 <= r[f"{component}_score"] <= 100
        weighted = sum(w * r[f"{c}_score"] / 100 for c, w in WEIGHTS.items())
        assert abs(r["health_score"] - weighted) <= 0.6, r  # components are shown rounded to one decimal
        expected_tier = "healthy" if r["health_score"] >= 75 else "watch" if r["health_score"] >= 50 else "at_risk"
        assert r["risk_tier"] == expected_tier
        reasons = r["top_reasons"].split("; ") if r["top_reasons"] else []
        assert len(reasons) <= 3
        lost = sorted((w * (100 - r[f"{c}_score"]) / 100 for c, w in WEIGHTS.items()), reverse=True)
        assert len(reasons) == min(3, sum(1 for x in lost if x >= 1)) or any(0.95 <= x < 1.05 for x in lost), r
    assert {r["risk_tier"] for r in health} == {"healthy", "watch", "at_risk"}


def test_scored_days_are_the_days_the_world_had_a_live_subscription(world, health, scored_days, truth):
    # the as-of date is the newest day of the app's usage rollup
    assert scored_days[-1] == max(date.fromisoformat(r["date"]) for r in truth("appdb", "daily_usage"))
    assert len(scored_days) == 180
    expected = {}
    for account in world.accounts:
        for d in scored_days:
            end = day_end(d)
            live = [s for s in account.subscriptions if not s.incomplete and s.created < end
                    and (s.ended_at is None or s.ended_at > end)]
            if live:
                trialing = all(s.trial_end is not None and s.trial_end > end for s in live)
                expected[f"acct_{account.tenant_id}", d] = "trialing" if trialing else "paying"
    got = {(r["customer_account_id"], r["date"]): r["subscription_state"] for r in health}
    assert got == expected
    assert "trialing" in got.values()


def test_usage_and_deliverability_measures_match_the_app_truth(health, scored_days, truth):
    sent, bounced, delivered, complained = (defaultdict(int) for _ in range(4))
    for row in truth("appdb", "daily_usage"):
        key = (row["tenant_id"], date.fromisoformat(row["date"]))
        sent[key] += row["emails_sent"]
        bounced[key] += row["bounced"]
        delivered[key] += row["delivered"]
        complained[key] += row["complained"]
    logins, users = defaultdict(int), defaultdict(set)
    for row in truth("appdb", "logins"):
        key = (row["tenant_id"], to_date(parse_iso(row["logged_in_at"])))
        logins[key] += 1
        users[key].add(row["user_id"])

    def window(counter, tenant, d, start, length=30):
        return sum(counter.get((tenant, d - timedelta(days=i)), 0) for i in range(start, start + length))

    checked = 0
    for r in health:
        tenant, d = tenant_of(r["customer_account_id"]), r["date"]
        assert r["sends_30d"] == window(sent, tenant, d, 0)
        assert r["sends_prior_30d"] == window(sent, tenant, d, 30)
        assert r["logins_30d"] == window(logins, tenant, d, 0)
        active = set().union(*(users.get((tenant, d - timedelta(days=i)), set()) for i in range(30)))
        assert r["active_users_30d"] == len(active)
        sends = window(sent, tenant, d, 0)
        if sends:
            assert r["bounce_rate_30d"] == pytest.approx(window(bounced, tenant, d, 0) / sends, abs=6e-5)
        deliveries = window(delivered, tenant, d, 0)
        if deliveries:
            assert r["complaint_rate_30d"] == pytest.approx(window(complained, tenant, d, 0) / deliveries, abs=6e-6)
        checked += 1
    assert checked == len(health)


def test_billing_facts_match_stripe_truth_and_the_world(world, health, truth):
    tenant_of_customer = {c["id"]: int(c["tenant_id"]) for c in truth("stripe", "customers") if c.get("tenant_id")}
    subscriptions = {s["id"]: s for s in truth("stripe", "subscriptions")}
    invoices = {i["id"]: i for i in truth("stripe", "invoices")}
    failures = defaultdict(list)  # tenant → failed charge times
    first_failure = {}  # invoice → its first failed charge
    for charge in truth("stripe", "charges"):
        if charge["status"] == "failed":
            failures[tenant_of_customer[charge["customer"]]].append(charge["created"])
            first_failure[charge["invoice"]] = min(charge["created"], first_failure.get(charge["invoice"], charge["created"]))
    downgrades = defaultdict(list)
    for invoice in invoices.values():
        if invoice["billing_reason"] == "subscription_update" and invoice["subtotal"] < 0:
            downgrades[tenant_of_customer[invoice["customer"]]].append(to_date(invoice["created"]))

    def settled_at(invoice):
        if invoice["paid_at"]:
            return invoice["paid_at"]
        if invoice["status"] in ("void", "uncollectible"):
            return subscriptions[invoice["subscription"]]["ended_at"]
        return None

    accounts = {a.tenant_id: a for a in world.accounts if a.tenant_id}
    seen = defaultdict(int)
    for r in health:
        tenant, d = tenant_of(r["customer_account_id"]), r["date"]
        end = day_end(d)
        assert r["failed_payments_30d"] == sum(1 for t in failures[tenant] if end - 30 * DAY <= t < end)
        past_due = any(tenant_of_customer[invoices[i]["customer"]] == tenant and t < end
                       and (settled_at(invoices[i]) is None or settled_at(invoices[i]) >= end)
                       for i, t in first_failure.items())
        assert r["is_past_due"] == past_due, r
        assert r["downgrades_90d"] == sum(1 for x in downgrades[tenant] if d - timedelta(days=89) <= x <= d)
        # a cancellation the customer asked for, at period end, while the subscription still runs
        scheduled = [s.ended_at for s in accounts[tenant].subscriptions
                     if s.cancel_at_period_end_since is not None and s.cancel_at_period_end_since < end <= s.ended_at]
        assert r["cancellation_scheduled_for"] == (to_date(min(scheduled)) if scheduled else None), r
        seen["failed"] += r["failed_payments_30d"] > 0
        seen["downgrade"] += r["downgrades_90d"] > 0
        seen["scheduled"] += scheduled != []
    assert all(seen[k] > 0 for k in ("failed", "downgrade", "scheduled")), seen


def test_support_facts_match_jira_truth(health, truth):
    """Tickets per account from the truth's ticket → account table; the pipeline finds an account through
    the identity keys, so it may miss a free-mail reporter's ticket but never credits a ticket to the wrong
    account. First-response breaches happen at created + goal, so they bound the SLA breaches from below."""
    created = {i["id"]: parse_iso(i["created"]) for i in truth("jira", "issues") if not i.get("_deleted")}
    tickets = defaultdict(list)
    for t in truth("jira", "_ticket_accounts"):
        if t["issue_id"] in created and t.get("tenant_id"):
            tickets[t["tenant_id"]].append(created[t["issue_id"]])
    first_response_breaches = defaultdict(list)
    ticket_tenant = {t["issue_id"]: t.get("tenant_id") for t in truth("jira", "_ticket_accounts")}
    for s in truth("jira", "_sla"):
        if s["first_response_breached"] and ticket_tenant.get(s["issue_id"]) and s["issue_id"] in created:
            first_response_breaches[ticket_tenant[s["issue_id"]]].append(
                created[s["issue_id"]] + s["first_response_goal_ms"] / 1000)
    found = expected = 0
    for r in health:
        tenant, end = tenant_of(r["customer_account_id"]), day_end(r["date"])
        in_30 = sum(1 for t in tickets[tenant] if end - 30 * DAY <= t < end)
        assert r["tickets_30d"] <= in_30, r
        found, expected = found + r["tickets_30d"], expected + in_30
        assert r["open_high_priority_tickets"] <= sum(1 for t in tickets[tenant] if t < end)
    assert expected > 50 and found >= 0.8 * expected, (found, expected)
    # breaches: when every ticket of the account in the window was found, the first-response ones are a floor
    floors = 0
    for r in health:
        tenant, end = tenant_of(r["customer_account_id"]), day_end(r["date"])
        in_30 = sum(1 for t in tickets[tenant] if end - 30 * DAY <= t < end)
        if r["tickets_30d"] == in_30:
            floor = sum(1 for t in first_response_breaches[tenant] if end - 30 * DAY <= t < end)
            assert r["sla_breaches_30d"] >= floor, r
            floors += floor > 0
    assert floors > 0


def test_engagement_counts_the_meetings_held_with_the_accounts_people(world, health, truth):
    """Meetings from the Calendar truth, attributed by the world's own people and domains."""
    account_of_email, account_of_domain = {}, {}
    for account in world.accounts:
        if account.tenant_id:
            account_of_domain[account.domain] = account.tenant_id
            for person in account.people:
                account_of_email[person.email.lower()] = account.tenant_id
    meetings = defaultdict(set)
    for event in truth("google", "calendar_events"):
        if event.get("_deleted") or event["status"] == "cancelled":
            continue
        start = parse_iso(event["start"]["dateTime"] if isinstance(event["start"], dict) else event["start"])
        for email in event["attendees"][1:]:  # the host first
            email = email.lower()
            tenant = account_of_email.get(email) or account_of_domain.get(email.split("@")[1])
            if tenant:
                meetings[tenant].add((event["calendar_id"], event["id"], start))
    with_meetings = 0
    for r in health:
        tenant, end = tenant_of(r["customer_account_id"]), day_end(r["date"])
        expected = sum(1 for (_, _, start) in meetings[tenant] if end - 90 * DAY <= start < end)
        assert r["meetings_90d"] == expected, r
        with_meetings += expected > 0
        if r["days_since_last_touch"] is not None:
            assert r["days_since_last_touch"] >= 0
    assert with_meetings > 100


def test_score_is_low_before_a_requested_cancellation(world, health):
    """The world's accounts decline for 75 days before a cancellation they ask for: their days within
    60 days of the end score clearly below those of accounts still customers 60 days later."""
    accounts = {a.tenant_id: a for a in world.accounts if a.tenant_id}
    cancelling, staying, product_cancelling, product_staying = [], [], [], []
    for r in health:
        account, end = accounts[tenant_of(r["customer_account_id"])], day_end(r["date"])
        product = (r["usage_score"] * WEIGHTS["usage"] + r["deliverability_score"] * WEIGHTS["deliverability"]) / (
            WEIGHTS["usage"] + WEIGHTS["deliverability"])
        if any(s.cancel_reason == "cancellation_requested" and end <= s.ended_at <= end + 60 * DAY
               for s in account.subscriptions):
            cancelling.append(r["health_score"])
            # the product signal alone (usage and deliverability), in the last 30 days before the end
            if any(s.cancel_reason == "cancellation_requested" and end <= s.ended_at <= end + 30 * DAY
                   for s in account.subscriptions):
                product_cancelling.append(product)
        elif account.is_customer_at(end + 60 * DAY):
            staying.append(r["health_score"])
            product_staying.append(product)
    assert len(cancelling) >= 30 and len(staying) > 1000
    assert statistics.mean(cancelling) + 25 < statistics.mean(staying), (statistics.mean(cancelling), statistics.mean(staying))
    assert statistics.mean(product_cancelling) + 25 < statistics.mean(product_staying)
    assert sum(1 for s in cancelling if s < 75) / len(cancelling) > 0.8


def test_score_follows_the_world_health(world, health):
    accounts = {a.tenant_id: a for a in world.accounts if a.tenant_id}
    pairs = [(accounts[tenant_of(r["customer_account_id"])].health_at(day_end(r["date"]) - DAY // 2), r) for r in health]
    assert statistics.correlation([h for h, _ in pairs], [r["health_score"] for _, r in pairs]) > 0.5
    healthy_world = [r["risk_tier"] for h, r in pairs if h >= 0.6]
    assert len(healthy_world) > 1000
    assert healthy_world.count("healthy") / len(healthy_world) > 0.9
    unhealthy_world = [r["risk_tier"] for h, r in pairs if h < 0.3]
    assert len(unhealthy_world) > 100
    assert sum(1 for t in unhealthy_world if t != "healthy") / len(unhealthy_world) > 0.5


def test_dim_customers_is_the_identity_with_the_world_lifecycle(built_warehouse, world, truth):
    customers = {r["customer_account_id"]: r for r in built_warehouse.query("select * from customer_health.dim_customers")}
    employees = {c["id"]: c["numberofemployees"] for c in truth("hubspot", "companies")}
    identity = {r["customer_account_id"] for r in built_warehouse.query(
        "select customer_account_id from intermediate.int_customer_identity")}
    assert set(customers) == identity
    now = world.now
    checked = 0
    for account in world.accounts:
        if not account.tenant_id or account.signup_at > now or f"acct_{account.tenant_id}" not in customers:
            continue  # never signed up, or a workspace deleted 180 days after its cancellation
        row = customers[f"acct_{account.tenant_id}"]
        subs = [s for s in account.subscriptions if s.created <= now and not s.incomplete]
        live = [s for s in subs if s.ended_at is None or s.ended_at > now]
        paid = [s for s in subs if s.trial_end is None or (s.ended_at or now + 1) > s.trial_end and s.trial_end <= now]
        if live:
            s = live[-1]
            expected_status = "trialing" if s.trial_end and s.trial_end > now else (
                "past_due" if any(f.invoice_at <= now and (f.recovered_at or now + 1) > now for f in s.failures) else "paying")
            change = s.change_at(now)
            assert (row["current_plan"], row["current_seats"]) == (change.plan, 1 + change.seats), account.name
        elif paid:
            expected_status = "churned"
            assert row["churned_at"].replace(tzinfo=timezone.utc).timestamp() == max(s.ended_at for s in paid)
        elif subs:
            expected_status = "trial_ended"
        else:
            expected_status = "free"
        assert row["customer_status"] == expected_status, (account.name, row)
        if paid:
            first = min(s.billing_start for s in paid)
            assert row["customer_since"].replace(tzinfo=timezone.utc).timestamp() == first
        assert row["industry"] == account.industry
        assert row["number_of_employees"] == int(employees[row["hubspot_company_id"]])  # the CRM's, which grows
        checked += 1
    assert checked > 50
    # no customer-contact PII: no email addresses or phone numbers in any value
    for row in customers.values():
        for name, value in row.items():
            if isinstance(value, str):
                assert "@" not in value, (name, value)
    assert not {"email", "phone", "contact_name", "full_name"} & {c for row in customers.values() for c in row}


def test_preview_lists_the_ten_riskiest_accounts_today(built_warehouse, health):
    con = duckdb.connect(str(built_warehouse.paths.warehouse), read_only=True)
    try:
        markdown = riskiest_accounts_today(con)
    finally:
        con.close()
    lines = markdown.splitlines()
    assert lines[0].startswith("| customer_account_id | account_name | health_score | risk_tier | top_reasons")
    rows = [line.split(" | ") for line in lines[2:]]
    assert len(rows) == 10
    latest = sorted((r["health_score"], r["customer_account_id"]) for r in health if r["is_latest_day"])
    assert [(int(row[2]), row[0].lstrip("| ")) for row in rows] == latest[:10]
