"""The Stripe emulator through the official `stripe` client, against real sandbox subprocesses."""
from __future__ import annotations

from collections import defaultdict

import pytest
import requests
import stripe

from sandbox.runtime import Sandbox
from sandbox.truth import jsonl_lines
from tests.conftest import start_sandbox

LISTS = ("customers", "subscriptions", "invoices", "charges", "refunds", "credit_notes", "balance_transactions",
         "products", "prices", "coupons")
TABLES = LISTS + ("subscription_items", "invoice_lines", "_subscription_states")
DAY = 86_400


def _client(env: dict, retries: int = 0) -> stripe.StripeClient:
    return stripe.StripeClient(env["STRIPE_API_KEY"], base_addresses={"api": env["STRIPE_API_BASE"]},
                               max_network_retries=retries)


def _all(service, **params) -> list:
    return list(service.list({"limit": 100, **params}).auto_paging_iter())


def _raw(env: dict, path: str, **params) -> requests.Response:
    return requests.get(env["STRIPE_API_BASE"] + path, params=params, auth=(env["STRIPE_API_KEY"], ""), timeout=30)


@pytest.fixture(scope="module")
def client(sandbox) -> stripe.StripeClient:
    return _client(sandbox.env)


@pytest.fixture(scope="module")
def truth(sandbox) -> dict[str, list[dict]]:
    return {t: sandbox.client.truth_rows("stripe", t) for t in TABLES}


@pytest.fixture(scope="module")
def now(sandbox) -> int:
    return sandbox.client.status()["now_epoch"]


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """A sandbox of our own, for faults and clock advances."""
    sb = start_sandbox(tmp_path_factory.mktemp("stripe-own"))
    yield sb
    sb.stop()


def test_every_list_pages_exactly_the_truth_newest_first(client, truth):
    assert len(truth["invoices"]) > 200 and truth["refunds"] and truth["credit_notes"]
    for name in LISTS:
        params = {"status": "all"} if name == "subscriptions" else {}
        got = _all(getattr(client.v1, name), **params)
        want = [r["id"] for r in truth[name] if not r.get("_deleted")]
        assert sorted(o.id for o in got) == want, name
        keys = [(o.created, o.id) for o in got]
        assert keys == sorted(keys, reverse=True), f"{name} must list newest first"


def test_subscription_status_filter(client, truth):
    by_status = defaultdict(set)
    for r in truth["subscriptions"]:
        by_status[r["status"]].add(r["id"])
    default = {s.id for s in _all(client.v1.subscriptions)}
    assert default == set().union(*(ids for st, ids in by_status.items() if st not in ("canceled", "incomplete_expired")))
    assert {s.id for s in _all(client.v1.subscriptions, status="canceled")} == by_status["canceled"]
    assert {s.id for s in _all(client.v1.subscriptions, status="all")} == {r["id"] for r in truth["subscriptions"]}
    assert {s.id for s in _all(client.v1.subscriptions, status="past_due")} == by_status["past_due"]
    assert by_status["canceled"] and by_status["active"]


def test_created_ranges_and_customer_filter(client, truth):
    created = sorted(r["created"] for r in truth["invoices"])
    mid = created[len(created) // 2]
    assert {i.id for i in _all(client.v1.invoices, created={"gte": mid})} == {
        r["id"] for r in truth["invoices"] if r["created"] >= mid}
    assert {i.id for i in _all(client.v1.invoices, created={"gt": mid, "lte": created[-5]})} == {
        r["id"] for r in truth["invoices"] if mid < r["created"] <= created[-5]}
    cust = truth["invoices"][0]["customer"]
    assert {i.id for i in _all(client.v1.invoices, customer=cust)} == {
        r["id"] for r in truth["invoices"] if r["customer"] == cust}
    # ending_before pages backwards: the 5 invoices just newer than the 20th newest
    newest = client.v1.invoices.list({"limit": 25}).data
    before = client.v1.invoices.list({"limit": 5, "ending_before": newest[20].id})
    assert [i.id for i in before.data] == [i.id for i in newest[15:20]] and before.has_more


def test_expansions_and_bad_parameters(client, truth):
    discounted = next(r for r in truth["invoices"] if r["discount"])
    inv = client.v1.invoices.retrieve(discounted["id"], {"expand": ["discounts", "customer", "payments"]})
    assert inv.discounts[0].object == "discount" and inv.discounts[0].id == discounted["discount"]
    assert inv.customer.id == discounted["customer"]
    subs = client.v1.subscriptions.list({"limit": 5, "expand": ["data.latest_invoice", "data.discounts", "data.customer"]})
    assert all(s.latest_invoice.object == "invoice" and s.customer.object == "customer" for s in subs)
    products = client.v1.products.list({"expand": ["data.default_price"]})
    assert all(p.default_price.object == "price" and p.default_price.product == p.id for p in products)
    charges = client.v1.charges.list({"limit": 20, "expand": ["data.balance_transaction"]})
    ok = [c for c in charges if c.status == "succeeded"]
    assert ok and all(c.balance_transaction.net == c.amount - c.balance_transaction.fee for c in ok)
    with pytest.raises(stripe.InvalidRequestError, match="cannot be expanded"):
        client.v1.customers.list({"expand": ["data.nonsense"]})
    with pytest.raises(stripe.InvalidRequestError) as e:
        client.v1.customers.list({"limit": 101})
    assert e.value.http_status == 400 and e.value.param == "limit"


def test_retrieve_deleted_and_missing(client, truth, sandbox):
    live = next(r for r in truth["customers"] if not r.get("_deleted"))
    c = client.v1.customers.retrieve(live["id"])
    assert (c.email, c.name, c.metadata["tenant_id"]) == (live["email"], live["name"], live["tenant_id"])
    deleted = [r for r in truth["customers"] if r.get("_deleted")]
    assert deleted, "the world deletes some customers"
    gone = client.v1.customers.retrieve(deleted[0]["id"])
    assert gone.deleted is True and gone.id == deleted[0]["id"]
    assert deleted[0]["id"] not in {x.id for x in _all(client.v1.customers)}
    with pytest.raises(stripe.InvalidRequestError) as e:
        client.v1.invoices.retrieve("in_doesnotexist")
    assert e.value.http_status == 404 and e.value.code == "resource_missing"
    r = _raw(sandbox.env, "/v1/customers", limit=1)
    assert r.headers["Request-Id"].startswith("req_") and r.headers["Stripe-Version"]


def test_invoice_lines_page_through_the_lines_endpoint(client, truth):
    lines = defaultdict(list)
    for li in truth["invoice_lines"]:
        lines[li["invoice"]].append(li)
    inv_id, want = max(lines.items(), key=lambda kv: len(kv[1]))
    assert len(want) >= 3
    got = list(client.v1.invoices.line_items.list(inv_id, {"limit": 1}).auto_paging_iter())
    assert sorted(li.id for li in got) == sorted(li["id"] for li in want)
    embedded = client.v1.invoices.retrieve(inv_id).lines
    assert [li.id for li in embedded.data] == [li.id for li in got] and embedded.has_more is False


def test_invoices_reconcile_to_the_cent(truth):
    lines = defaultdict(list)
    for li in truth["invoice_lines"]:
        lines[li["invoice"]].append(li)
    for inv in truth["invoices"]:
        ls = lines[inv["id"]]
        assert inv["subtotal"] == sum(li["amount"] for li in ls)
        assert inv["total_discount"] == sum(li["discount_amount"] for li in ls)
        assert inv["total"] == inv["subtotal"] - inv["total_discount"]
        assert inv["amount_due"] == max(0, inv["total"] + inv["starting_balance"])
        paid = inv["status"] == "paid"
        assert inv["amount_paid"] == (inv["amount_due"] if paid else 0)
        assert inv["amount_remaining"] == (0 if paid or inv["status"] == "void" else inv["amount_due"])
    refunds = defaultdict(int)
    for r in truth["refunds"]:
        refunds[r["charge"]] += r["amount"]
    for ch in truth["charges"]:
        assert ch["amount_refunded"] == refunds[ch["id"]] <= ch["amount"]
        assert (ch["status"] == "failed") == (ch["failure_code"] is not None)
    for bt in truth["balance_transactions"]:
        assert bt["net"] == bt["amount"] - bt["fee"]


def test_renewal_lines_match_the_subscription_state_history(truth):
    """The independent MRR basis: a renewal's licensed lines equal the state's items × unit amounts."""
    states = defaultdict(list)
    for s in truth["_subscription_states"]:
        states[s["subscription"]].append(s)
    for spans in states.values():
        assert all(a["valid_to"] == b["valid_from"] for a, b in zip(spans, spans[1:])) and spans[-1]["valid_to"] is None
    lines = defaultdict(list)
    for li in truth["invoice_lines"]:
        lines[li["invoice"]].append(li)
    checked = 0
    for inv in truth["invoices"]:
        if inv["billing_reason"] not in ("subscription_cycle", "subscription_create"):
            continue
        state = next(s for s in states[inv["subscription"]]
                     if s["valid_from"] <= inv["created"] and (s["valid_to"] is None or inv["created"] < s["valid_to"]))
        if state["status"] == "trialing":
            continue
        billed = sum(li["amount"] for li in lines[inv["id"]] if li["usage_type"] == "licensed" and not li["proration"])
        assert billed == sum(i["quantity"] * i["unit_amount"] for i in state["items"] if i["usage_type"] == "licensed")
        d = state["discount"]
        if d and d["percent_off"] and inv["discount"]:
            assert inv["total_discount"] == sum(round(li["amount"] * d["percent_off"] / 100)
                                                for li in lines[inv["id"]] if li["type"] == "subscription")
        checked += 1
    assert checked > 100


def test_events_window_and_replay_match_the_objects(client, now):
    events = _all(client.v1.events)
    assert events and all(now - 30 * DAY < e.created <= now for e in events)
    assert {"customer.subscription.updated", "invoice.paid", "charge.succeeded"} <= {e.type for e in events}
    latest = {}
    for e in reversed(events):  # oldest first
        obj = e.data.object
        latest[obj["id"]] = (e, obj)
        if e.type.endswith(".updated"):
            prev = e.data.previous_attributes
            assert prev and all(obj[k] != v for k, v in prev.to_dict().items() if not isinstance(v, dict))
    kinds = {"customer": client.v1.customers, "subscription": client.v1.subscriptions, "invoice": client.v1.invoices}
    compared = 0
    for obj_id, (e, obj) in latest.items():
        service = kinds.get(obj["object"])
        if service is None or e.type == "customer.deleted":
            continue
        current = service.retrieve(obj_id).to_dict()
        replayed = obj.to_dict()
        for k in ("next_invoice_sequence",):  # moves with later invoices, which send no customer event
            current.pop(k, None), replayed.pop(k, None)
        assert replayed == current, obj_id
        compared += 1
    assert compared > 20
    only = _all(client.v1.events, types=["invoice.paid", "charge.failed"])
    assert only and {e.type for e in only} <= {"invoice.paid", "charge.failed"}
    assert {e.id for e in _all(client.v1.events, type="invoice.*")} == {e.id for e in events if e.type.startswith("invoice.")}


def test_wrong_key_is_stripes_401(sandbox):
    bad = stripe.StripeClient("sk_test_wrongwrongwrongabcd", base_addresses={"api": sandbox.env["STRIPE_API_BASE"]})
    with pytest.raises(stripe.AuthenticationError, match=r"Invalid API Key provided: sk_test_\*+abcd"):
        bad.v1.customers.list()
    r = requests.get(sandbox.env["STRIPE_API_BASE"] + "/v1/customers", timeout=30)
    assert r.status_code == 401 and r.json()["error"]["type"] == "invalid_request_error"
    basic = requests.get(sandbox.env["STRIPE_API_BASE"] + "/v1/coupons", auth=(sandbox.env["STRIPE_API_KEY"], ""), timeout=30)
    assert basic.status_code == 200 and basic.json()["url"] == "/v1/coupons"


@pytest.mark.slow
def test_truth_is_deterministic(sandbox, tmp_path):
    """An in-process build gives byte-for-byte the truth the served sandbox (another process) gives."""
    mine = Sandbox(7, "small").by_name["stripe"].truth()
    other = Sandbox(8, "small").by_name["stripe"].truth()
    sandbox.client.write_truth(tmp_path)
    for table, rows in mine.items():
        assert (tmp_path / "stripe" / f"{table}.jsonl").read_bytes() == b"".join(jsonl_lines(rows)), table
    assert mine["invoices"] != other["invoices"]


@pytest.mark.slow
def test_transport_faults_in_stripes_shape(own):
    env, ctl = own.env, own.client
    retrying, plain = _client(env, retries=3), _client(env)
    ctl.add_fault("rate_limit", vendor="stripe", path="/v1/customers", times=1, seconds=2)
    r = _raw(env, "/v1/customers")
    assert r.status_code == 429 and r.headers["Retry-After"] == "2" and r.headers["Stripe-Should-Retry"] == "true"
    assert r.json()["error"]["code"] == "rate_limit"
    ctl.add_fault("rate_limit", vendor="stripe", path="/v1/customers", times=2)
    assert len(retrying.v1.customers.list({"limit": 3}).data) == 3
    ctl.add_fault("rate_limit", vendor="stripe", path="/v1/customers", times=1)
    with pytest.raises(stripe.RateLimitError):
        plain.v1.customers.list()
    ctl.add_fault("server_error", vendor="stripe", path="/v1/invoices", times=2, status=503)
    assert retrying.v1.invoices.list({"limit": 2}).data
    ctl.add_fault("server_error", vendor="stripe", path="/v1/invoices", times=1, status=500)
    with pytest.raises(stripe.APIError) as e:
        plain.v1.invoices.list()
    assert e.value.http_status == 500 and e.value.json_body["error"]["type"] == "api_error"
    ctl.add_fault("reset", vendor="stripe", path="/v1/charges", times=2)
    assert retrying.v1.charges.list({"limit": 2}).data
    ctl.add_fault("reset", vendor="stripe", path="/v1/charges", times=1)
    with pytest.raises(stripe.APIConnectionError):
        plain.v1.charges.list()
    ctl.add_fault("truncate", vendor="stripe", path="/v1/events", times=1)
    with pytest.raises(stripe.APIConnectionError):
        retrying.v1.events.list({"limit": 50})  # a cut body is not retried by the client: the sync must retry
    ctl.add_fault("unauthorized", vendor="stripe", times=1)
    with pytest.raises(stripe.AuthenticationError):
        plain.v1.coupons.list()
    page = plain.v1.customers.list({"limit": 2})
    ctl.add_fault("missing_cursor", vendor="stripe", path="/v1/customers", times=1)
    with pytest.raises(stripe.InvalidRequestError) as e:
        plain.v1.customers.list({"limit": 2, "starting_after": page.data[-1].id})
    assert e.value.code == "resource_missing" and e.value.param == "starting_after"
    assert plain.v1.customers.list({"limit": 2, "starting_after": page.data[-1].id}).data  # only that once
    ctl.clear_faults()


@pytest.mark.slow
def test_advance_brings_new_objects_and_ages_events_out(own):
    env, ctl = own.env, own.client
    c = _client(env)
    before_now = ctl.status()["now_epoch"]
    events_before = {e.id: e.created for e in _all(c.v1.events)}
    invoices_before = {i.id for i in _all(c.v1.invoices)}
    ctl.start_drift("stripe")
    after_now = ctl.advance(days=12)["now_epoch"]
    events_after = {e.id: e for e in _all(c.v1.events)}
    assert all(after_now - 30 * DAY < e.created <= after_now for e in events_after.values())
    aged = {i for i, t in events_before.items() if t <= after_now - 30 * DAY}
    assert aged and not aged & set(events_after)
    new = [e for e in events_after.values() if e.created > before_now]
    assert any(e.type == "invoice.created" for e in new)
    invoices_after = {i.id for i in _all(c.v1.invoices)}
    assert invoices_before < invoices_after
    assert {i.id for i in _all(c.v1.invoices, created={"gt": before_now})} == invoices_after - invoices_before
    # boundary cases planted in the very seconds of both clocks
    at_old = [e for e in events_after.values() if e.created == before_now and e.type == "customer.updated"]
    at_new = [e for e in events_after.values() if e.created == after_now and e.type == "customer.updated"]
    assert at_old and at_new and "phone" in at_old[0].data.previous_attributes
    # schema drift: what changed after the drift started carries the new field, in the API and the truth
    drifted = [e for e in new if e.data.object["object"] == "invoice"]
    assert drifted and all("amounts_due_breakdown" in e.data.object for e in drifted)
    truth = {r["id"]: r for r in ctl.truth_rows("stripe", "invoices")}
    assert all("amounts_due_breakdown" in truth[e.data.object["id"]] for e in drifted)
    untouched = next(i for i in invoices_before if "amounts_due_breakdown" not in truth[i])
    assert "amounts_due_breakdown" not in c.v1.invoices.retrieve(untouched)
    cust = ctl.truth_rows("stripe", "customers")
    assert any("business_name" in r for r in cust) and any("business_name" not in r for r in cust)
