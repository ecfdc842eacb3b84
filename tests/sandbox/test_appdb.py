"""The app database emulator: a real sandbox subprocess fills a real PostgreSQL (and the SQLite
default), the tables are read back by reflection with SQLAlchemy (as dlt's sql_database reads them)
and compared with the ground truth, before and after the clock moves."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from sandbox.appdb.activity import ACTIVITY_START
from sandbox.appdb.schema import TABLES
from sandbox.runtime import Sandbox
from sandbox.timeutil import DAY, parse_iso
from sandbox.truth import jsonl_lines
from sandbox.world import keys
from tests.conftest import start_sandbox

PKS = {t.name: [c.name for c in t.primary_key.columns] for t in TABLES}
PAID_STATUSES = {"trial", "active", "past_due"}


def _as_truth(v):
    """A value read from the database, written the way the ground truth writes it."""
    if isinstance(v, dt.datetime):
        v = v.replace(tzinfo=dt.timezone.utc) if v.tzinfo is None else v.astimezone(dt.timezone.utc)
        return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _read(url: str) -> dict[str, list[dict]]:
    """Every table, reflected (no model of ours involved), in primary-key order."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            out = {}
            for name in PKS:
                table = sa.Table(name, sa.MetaData(), autoload_with=conn)
                rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).mappings()
                out[name] = [{k: _as_truth(v) for k, v in r.items()} for r in rows]
            return out
    finally:
        engine.dispose()


def _changed_since(url: str, table: str, since: int) -> set[tuple]:
    """Primary keys an incremental reader gets with `updated_at > :cursor` (a bound datetime)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            t = sa.Table(table, sa.MetaData(), autoload_with=conn)
            cursor = dt.datetime.fromtimestamp(since, dt.timezone.utc)
            if engine.dialect.name == "sqlite":  # SQLAlchemy binds naive UTC text there, as the app stores it
                cursor = cursor.replace(tzinfo=None)
            return {tuple(map(_as_truth, r)) for r in conn.execute(sa.select(*t.primary_key.columns).where(t.c.updated_at > cursor))}
    finally:
        engine.dispose()


def _key(table: str, row: dict) -> tuple:
    return tuple(row[c] for c in PKS[table])


def _assert_matches_truth(db: dict[str, list[dict]], client) -> None:
    for table, rows in db.items():
        truth = client.truth_rows("appdb", table)
        assert [r.get("_deleted", False) for r in truth] == [r.get("deleted_at") is not None for r in rows], table
        assert rows == [{k: v for k, v in r.items() if k != "_deleted"} for r in truth], table


def _same(before: dict | None, after: dict) -> bool:
    """Unchanged; a column a migration added in between is no change while it is NULL."""
    return before is not None and before == {k: v for k, v in after.items() if k in before or v is not None}


def _assert_incremental(url: str, before: dict, after: dict, old_now: int) -> dict[str, list[dict]]:
    """Rows new or changed since `before` are exactly those with updated_at > old now; returns them."""
    changed = {}
    for table, rows in after.items():
        prior = {_key(table, r): r for r in before[table]}
        changed[table] = [r for r in rows if not _same(prior.get(_key(table, r)), r)]
        assert {_key(table, r) for r in changed[table]} == _changed_since(url, table, old_now), table
        assert all(parse_iso(r["updated_at"]) > old_now for r in changed[table]), table
    return changed


@pytest.mark.slow
def test_postgres_database_equals_truth_and_follows_the_clock(tmp_path, postgres_db):
    sb = start_sandbox(tmp_path, app_db_url=postgres_db)
    try:
        url = sb.env["PENGUINMAILS_DB_URL"]
        assert url.startswith("postgresql+psycopg2://") and url.endswith(postgres_db.rsplit("/", 1)[1])
        first = _read(url)
        assert all(first[t] for t in PKS), "every table has rows"
        _assert_matches_truth(first, sb.client)

        # a day: new rows and updates (logins move users' last_login_at)
        old = sb.client.status()["now_epoch"]
        sb.client.advance(days=1)
        second = _read(url)
        _assert_matches_truth(second, sb.client)
        changed = _assert_incremental(url, first, second, old)
        assert changed["users"]
        for table in ("logins", "daily_usage"):
            assert any(_key(table, r) not in {_key(table, p) for p in first[table]} for r in changed[table]), table

        # another: yesterday's usage (a Monday: the start clock is a Monday morning) is rewritten as late
        # opens and replies arrive, so an incremental sync must merge it
        old = sb.client.status()["now_epoch"]
        sb.client.advance(days=1)
        third = _read(url)
        _assert_matches_truth(third, sb.client)
        _assert_incremental(url, second, third, old)
        yesterday = dt.datetime.fromtimestamp(old - DAY, dt.timezone.utc).date()
        assert yesterday.weekday() == 0
        late_before = {r["tenant_id"]: r for r in second["daily_usage"] if r["date"] == yesterday.isoformat()}
        late_after = {r["tenant_id"]: r for r in third["daily_usage"] if r["date"] == yesterday.isoformat()}
        assert late_before and late_before.keys() == late_after.keys()
        for tenant, b in late_before.items():
            a = late_after[tenant]
            assert a["updated_at"] > b["updated_at"] and a["created_at"] == b["created_at"]
            assert (a["emails_sent"], a["delivered"], a["bounced"]) == (b["emails_sent"], b["delivered"], b["bounced"])
            assert all(a[c] >= b[c] for c in ("opened", "clicked", "replied", "unsubscribed"))
        assert any(late_after[t]["opened"] > b["opened"] for t, b in late_before.items())

        # schema drift, then a month: the migration's column, soft deletes, all still equal to the truth
        drift_at = sb.client.status()["now_epoch"]
        sb.client.start_drift("appdb")
        sb.client.advance(days=30)
        fourth = _read(url)
        _assert_matches_truth(fourth, sb.client)
        changed = _assert_incremental(url, third, fourth, drift_at)
        tenants = fourth["tenants"]
        assert all("billing_region" in r for r in tenants)
        assert all((r["billing_region"] is not None) == (parse_iso(r["updated_at"]) > drift_at) for r in tenants)
        assert {r["billing_region"] for r in tenants} - {None} <= {"us", "uk", "eu", "apac"}
        assert any(r["billing_region"] for r in tenants)
        deleted = [r for t in ("tenants", "users", "mailboxes", "campaigns") for r in changed[t]
                   if r["deleted_at"] is not None and parse_iso(r["deleted_at"]) > drift_at]
        assert deleted and all(r["updated_at"] == r["deleted_at"] for r in deleted)
    finally:
        sb.stop()


@pytest.mark.slow
def test_sqlite_default_under_chaos_drifts_on_the_first_advance(tmp_path):
    sb = start_sandbox(tmp_path, faults="chaos")
    try:
        url = sb.env["PENGUINMAILS_DB_URL"]
        assert url == f"sqlite:///{tmp_path / 'sandbox.env-sandbox' / 'penguinmails_app.db'}"
        first = _read(url)
        _assert_matches_truth(first, sb.client)
        assert "billing_region" not in first["tenants"][0]
        old = sb.client.status()["now_epoch"]
        sb.client.advance(days=2)
        second = _read(url)
        _assert_matches_truth(second, sb.client)
        _assert_incremental(url, first, second, old)
        # the migration ran; drift began at the advance's end, so no row has changed since
        assert all("billing_region" in r and r["billing_region"] is None for r in second["tenants"])
    finally:
        sb.stop()


def _truth_bytes(sb: Sandbox) -> dict[str, bytes]:
    return {name: b"".join(jsonl_lines(rows)) for name, rows in sb.by_name["appdb"].truth().items()}


def test_truth_is_deterministic_and_independent_of_the_path_of_the_clock():
    a, b = Sandbox(7, "small"), Sandbox(7, "small")
    assert _truth_bytes(a) == _truth_bytes(b)
    assert _truth_bytes(a) != _truth_bytes(Sandbox(8, "small"))
    a.advance(3 * DAY)
    b.advance(DAY)
    b.advance(2 * DAY)
    assert _truth_bytes(a) == _truth_bytes(b)


def test_tenants_users_and_touchpoints_agree_with_the_world():
    sb = Sandbox(7, "small")
    w, truth = sb.world, {k: list(v) for k, v in sb.by_name["appdb"].truth().items()}
    tenants = {r["id"]: r for r in truth["tenants"]}
    assert tenants[1]["domain"] == "penguinmails.com"
    for a in w.accounts:
        started = [s for s in a.subscriptions if s.created <= w.now]
        if started:  # every account with a subscription has its tenant, linked to its Stripe customer
            t = tenants[a.tenant_id]
            assert t["domain"] == a.domain and t["stripe_customer_id"] == keys.stripe_customer_id(w.seed, a.idx)
            assert (t["status"] in ("active", "past_due")) == a.is_customer_at(w.now), a.idx
        elif a.signup_at is None or a.signup_at > w.now:
            assert a.tenant_id not in tenants
    people: dict[str, list] = {}  # email -> (account, person): free-mail addresses may repeat across accounts
    for a in w.accounts:
        for p in a.people:
            people.setdefault(p.email, []).append((a, p))
    users = [u for u in truth["users"] if not u.get("_deleted")]
    for t in tenants.values():
        if t["id"] != 1 and not t.get("_deleted"):
            owner = next(u for u in users if u["tenant_id"] == t["id"] and u["role"] == "owner")
            assert any(a.tenant_id == t["id"] and p is a.people[0] for a, p in people[owner["email"]])
    for u in users:  # world people keep their exact email; teammates the CRM never saw use the company domain
        domain = tenants[u["tenant_id"]]["domain"]
        assert any(a.tenant_id == u["tenant_id"] for a, _ in people.get(u["email"], [])) or u["email"].endswith("@" + domain)
    assert sum(u["email"] in people for u in users) > sum(1 for t in tenants.values() if not t.get("_deleted"))
    assert {o.email for o in w.owners} <= {u["email"] for u in users if u["tenant_id"] == 1}
    erased = [u for u in truth["users"] if u["full_name"] is None]
    assert all(u.get("_deleted") and u["email"].endswith("@users.invalid") for u in erased)

    campaigns = {c["id"]: c for c in truth["campaigns"]}
    email_keys = {c.key for c in w.campaigns if c.channel == "email" and c.start - 3 * DAY <= w.now}
    assert {c["utm_campaign"] for c in campaigns.values() if c["tenant_id"] == 1} == email_keys
    assert all(c["utm_campaign"] is None for c in campaigns.values() if c["tenant_id"] != 1)
    events = truth["campaign_events"]
    assert events and [e["id"] for e in events] == list(range(1, len(events) + 1))
    for e in events:  # touchpoints of the world's people before they became leads
        assert any(parse_iso(e["occurred_at"]) < p.created for _, p in people[e["recipient_email"]])
        assert campaigns[e["campaign_id"]]["tenant_id"] == 1
    converted = [e for e in events if e["event_type"] in ("clicked", "replied")]
    assert converted and all(any(campaigns[e["campaign_id"]]["utm_campaign"] == p.campaign for _, p in people[e["recipient_email"]])
                             for e in converted)


def test_activity_follows_the_tenants_lives():
    sb = Sandbox(7, "small")
    truth = {k: list(v) for k, v in sb.by_name["appdb"].truth().items()}
    tenants = {r["id"]: r for r in truth["tenants"]}
    users = {r["id"]: r for r in truth["users"]}
    logins = truth["logins"]
    assert [r["id"] for r in logins] == list(range(1, len(logins) + 1))
    assert [r["logged_in_at"] for r in logins] == sorted(r["logged_in_at"] for r in logins)  # serial ids follow time
    for r in logins:
        u = users[r["user_id"]]
        assert r["tenant_id"] == u["tenant_id"] and u["created_at"] <= r["logged_in_at"]
        assert parse_iso(r["logged_in_at"]) >= ACTIVITY_START
    for u in users.values():
        mine = [r["logged_in_at"] for r in logins if r["user_id"] == u["id"]]
        assert u["last_login_at"] == (max(mine) if mine else None)

    bounce_rates = {"healthy": [0, 0], "unhealthy": [0, 0]}
    health = {a.tenant_id: a.health for a in sb.world.accounts}
    for r in truth["daily_usage"]:
        t = tenants[r["tenant_id"]]
        day = parse_iso(r["date"] + "T00:00:00Z")
        assert day + DAY > parse_iso(t["created_at"]), "no usage before signup"
        if t["status"] == "canceled":
            assert r["emails_sent"] == 0 or day <= parse_iso(t["canceled_at"]), "no sends after cancellation"
        assert r["delivered"] + r["bounced"] == r["emails_sent"] and r["clicked"] <= r["opened"] <= r["delivered"]
        h = health.get(r["tenant_id"], 1.0)
        if r["tenant_id"] != 1 and r["emails_sent"] and not 0.5 <= h <= 0.8:
            rate = bounce_rates["healthy" if h > 0.8 else "unhealthy"]
            rate[0] += r["bounced"]
            rate[1] += r["emails_sent"]
    healthy, unhealthy = (b / s for b, s in bounce_rates.values())
    assert unhealthy > 1.5 * healthy
    never_paid = [r["emails_sent"] for r in truth["daily_usage"]
                  if r["tenant_id"] != 1 and tenants[r["tenant_id"]]["stripe_customer_id"] is None]
    assert never_paid and max(never_paid) <= 70, "free workspaces send little"
