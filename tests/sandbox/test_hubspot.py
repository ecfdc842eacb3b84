"""The HubSpot emulator through the official client (hubspot-api-client): paging, search windows and
their 10,000-result cap, archived records, v4 associations, pipelines, owners, errors and retries,
the clock, schema drift, and deterministic ground truth."""
from __future__ import annotations

import json
from datetime import datetime

import hubspot
import pytest
import urllib3
from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest
from hubspot.crm.contacts import (
    ApiException,
    BatchReadInputSimplePublicObjectId,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
)

from sandbox.hubspot.objects import iso_seconds
from sandbox.runtime import Sandbox
from sandbox.timeutil import iso
from sandbox.truth import jsonl_lines
from tests.conftest import start_sandbox

CONTACT_PROPS = ["email", "firstname", "lastname", "phone", "jobtitle", "company", "lifecyclestage",
                 "hs_analytics_source", "utm_campaign", "utm_source", "utm_medium", "hubspot_owner_id",
                 "associatedcompanyid"]
MODIFIED = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate"}


def client(sb, **kwargs) -> hubspot.Client:
    return hubspot.Client.create(access_token=sb.env["HUBSPOT_ACCESS_TOKEN"], host=sb.env["HUBSPOT_API_BASE"], **kwargs)


def truth(sb, table: str) -> list[dict]:
    return sb.client.truth_rows("hubspot", table)


def ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)


def now_ms(sb) -> int:
    return sb.client.status()["now_epoch"] * 1000


def window(prop: str, lo: int, hi: int | None = None, op_lo: str = "GTE", op_hi: str = "LTE") -> list[FilterGroup]:
    filters = [Filter(property_name=prop, operator=op_lo, value=str(lo))]
    if hi is not None:
        filters.append(Filter(property_name=prop, operator=op_hi, value=str(hi)))
    return [FilterGroup(filters=filters)]


def search_pages(api, groups, prop: str, limit: int = 200):
    """Pages one query sorted by `prop` to its end (raises at HubSpot's 10,000-result cap)."""
    req = PublicObjectSearchRequest(filter_groups=groups, sorts=[{"propertyName": prop, "direction": "ASCENDING"}],
                                    properties=[prop], limit=limit)
    while True:
        res = api.do_search(public_object_search_request=req)
        yield res
        if res.paging is None:
            return
        req.after = res.paging.next.after


def search_all(api, prop: str, since: int, until: int | None = None, limit: int = 200) -> list:
    """Every object modified in [since, until]: sorted by the modified date, a query that reaches the
    10,000-result cap restarts from the last date it saw (GTE, not GT: ties at that date)."""
    found: dict[str, object] = {}
    while True:
        req = PublicObjectSearchRequest(filter_groups=window(prop, since, until),
                                        sorts=[{"propertyName": prop, "direction": "ASCENDING"}],
                                        properties=[prop], limit=limit)
        last = None
        while True:
            res = api.do_search(public_object_search_request=req)
            for r in res.results:
                found[r.id] = r
                last = r.properties[prop]
            if res.paging is None:
                return list(found.values())
            if int(res.paging.next.after) + limit > 10_000:
                break
            req.after = res.paging.next.after
        assert ms(last) > since, "more than 10,000 objects share one timestamp"
        since = ms(last)


def error_body(e: ApiException) -> dict:
    return json.loads(e.body)


# ---------------------------------------------------------------------------------------- listing


def test_contacts_page_through_everything_as_typed_models(sandbox):
    api = client(sandbox).crm.contacts.basic_api
    got, after, pages = {}, None, 0
    while True:
        page = api.get_page(limit=100, after=after, properties=CONTACT_PROPS)
        pages += 1
        for c in page.results:
            assert isinstance(c.created_at, datetime) and c.created_at.tzinfo is not None
            assert c.archived is False and c.properties["hs_object_id"] == c.id
            got[c.id] = c
        if page.paging is None:
            break
        after = page.paging.next.after
    rows = {r["id"]: r for r in truth(sandbox, "contacts") if not r.get("_deleted")}
    assert pages == -(-len(rows) // 100) and set(got) == set(rows)
    for cid, c in got.items():
        row = rows[cid]
        assert {k: c.properties[k] for k in CONTACT_PROPS} == {k: row[k] for k in CONTACT_PROPS}
        assert c.properties["lastmodifieddate"] == row["lastmodifieddate"]
        assert c.updated_at == datetime.fromisoformat(row["updatedAt"].replace("Z", "+00:00"))
    # the mess and the links a sync must cope with
    assert any(r["utm_campaign"] for r in rows.values()) and any(r["associatedcompanyid"] is None for r in rows.values())
    assert {r["lifecyclestage"] for r in rows.values()} >= {"subscriber", "lead", "customer"}


def test_get_all_and_default_properties(sandbox):
    hs = client(sandbox)
    companies = hs.crm.companies.get_all()
    assert {tuple(sorted(c.properties)) for c in companies} == {("createdate", "domain", "hs_lastmodifieddate",
                                                                  "hs_object_id", "name")}
    rows = {r["id"]: r for r in truth(sandbox, "companies") if not r.get("_deleted")}
    assert {c.id: (c.properties["name"], c.properties["domain"]) for c in companies} == {
        i: (r["name"], r["domain"]) for i, r in rows.items()}
    domains = [r["domain"] for r in rows.values()]
    assert None in domains and any(d and d.startswith(("www.", "app.")) for d in domains)
    assert any(r["stripe_customer_id"] for r in rows.values()) and any(r["penguinmails_tenant_id"] for r in rows.values())
    # named properties come with the always-returned ones; unknown names are dropped silently
    page = hs.crm.contacts.basic_api.get_page(limit=5, properties=["email", "no_such_property"])
    assert set(page.results[0].properties) == {"createdate", "email", "hs_object_id", "lastmodifieddate"}
    deals = hs.crm.deals.get_all(properties=["dealname", "amount", "dealstage", "pipeline", "hs_is_closed_won"])
    deal_rows = {r["id"]: r for r in truth(sandbox, "deals") if not r.get("_deleted")}
    assert {d.id: d.properties["dealstage"] for d in deals} == {i: r["dealstage"] for i, r in deal_rows.items()}
    assert all(float(d.properties["amount"]) >= 0 for d in deals)


def test_archived_records_are_listed_only_with_archived_true_and_never_searched(sandbox):
    hs = client(sandbox)
    archived = hs.crm.contacts.get_all(archived=True)
    expected = {r["id"]: r for r in truth(sandbox, "contacts") if r.get("_deleted")}
    assert archived and {c.id for c in archived} == set(expected)
    for c in archived:
        assert c.archived is True and c.archived_at is not None and c.archived_at == c.updated_at
    with pytest.raises(ApiException) as e:
        hs.crm.contacts.basic_api.get_by_id(archived[0].id)
    assert e.value.status == 404 and error_body(e.value)["category"] == "OBJECT_NOT_FOUND"
    assert hs.crm.contacts.basic_api.get_by_id(archived[0].id, archived=True).archived is True
    res = hs.crm.contacts.search_api.do_search(public_object_search_request=PublicObjectSearchRequest(
        filter_groups=[FilterGroup(filters=[Filter(property_name="hs_object_id", operator="IN",
                                                   values=[c.id for c in archived[:50]])])]))
    assert res.total == 0 and res.results == []
    companies = truth(sandbox, "companies")
    merged = [r["id"] for r in companies if r.get("_deleted")]  # duplicates merged into their account's company
    assert merged and all(any(c["hs_merged_object_ids"] == m for c in companies) for m in merged)


def test_batch_read_and_history(sandbox):
    hs = client(sandbox)
    ids = [d["id"] for d in truth(sandbox, "deals") if not d.get("_deleted")][:10]
    res = hs.crm.deals.batch_api.read(BatchReadInputSimplePublicObjectId(
        inputs=[{"id": i} for i in ids], properties=["dealstage"], properties_with_history=["dealstage"]))
    assert res.status == "COMPLETE" and sorted(r.id for r in res.results) == sorted(ids)
    for r in res.results:
        history = r.properties_with_history["dealstage"]
        assert history[0].value == r.properties["dealstage"]
        assert [h.timestamp for h in history] == sorted((h.timestamp for h in history), reverse=True)
    partial = hs.crm.deals.batch_api.read(BatchReadInputSimplePublicObjectId(inputs=[{"id": ids[0]}, {"id": "1"}]))
    assert [r.id for r in partial.results] == [ids[0]] and partial.num_errors == 1
    assert partial.errors[0].category == "OBJECT_NOT_FOUND" and partial.errors[0].context == {"ids": ["1"]}


# ----------------------------------------------------------------------------------------- search


def test_search_windows_cover_every_object_once(sandbox):
    hs = client(sandbox)
    now = now_ms(sandbox)
    for name in ("contacts", "companies", "deals"):
        api, prop = getattr(hs.crm, name).search_api, MODIFIED[name]
        rows = {r["id"]: r for r in truth(sandbox, name) if not r.get("_deleted")}
        edges = [0, now - 365 * 86_400_000, now - 30 * 86_400_000, now]
        seen = []
        for lo, hi in zip(edges, edges[1:]):
            for page in search_pages(api, window(prop, lo, hi, "GTE", "LT"), prop):
                for r in page.results:
                    assert lo <= ms(r.properties[prop]) < hi
                    seen.append(r.id)
        at_now = [r for page in search_pages(api, window(prop, now), prop) for r in page.results]
        assert all(ms(r.properties[prop]) == now for r in at_now)
        assert sorted(seen + [r.id for r in at_now]) == sorted(rows), name  # each exactly once


def test_contacts_hs_lastmodifieddate_exists_but_is_not_searchable(sandbox):
    hs = client(sandbox)
    page = hs.crm.contacts.basic_api.get_page(limit=20, properties=["hs_lastmodifieddate"])
    assert all(c.properties["hs_lastmodifieddate"] == c.properties["lastmodifieddate"] for c in page.results)
    res = hs.crm.contacts.search_api.do_search(public_object_search_request=PublicObjectSearchRequest(
        filter_groups=window("hs_lastmodifieddate", 0), limit=10))
    assert res.total == 0
    res = hs.crm.companies.search_api.do_search(public_object_search_request=PublicObjectSearchRequest(
        filter_groups=window("hs_lastmodifieddate", 0), limit=10))
    assert res.total == len([r for r in truth(sandbox, "companies") if not r.get("_deleted")])


def test_search_filters_match_the_truth(sandbox):
    api = client(sandbox).crm.contacts.search_api
    rows = [r for r in truth(sandbox, "contacts") if not r.get("_deleted")]

    def ids(*filters, groups=None):
        req = PublicObjectSearchRequest(filter_groups=groups or [FilterGroup(filters=list(filters))],
                                        properties=["email"], limit=200)
        out = []
        while True:
            res = api.do_search(public_object_search_request=req)
            out += [r.id for r in res.results]
            if res.paging is None:
                assert res.total == len(out)
                return sorted(out)
            req.after = res.paging.next.after

    def where(pred):
        return sorted(r["id"] for r in rows if pred(r))

    assert ids(Filter(property_name="lifecyclestage", operator="EQ", value="customer")) == where(
        lambda r: r["lifecyclestage"] == "customer")
    assert ids(Filter(property_name="lifecyclestage", operator="IN", values=["lead", "subscriber"])) == where(
        lambda r: r["lifecyclestage"] in ("lead", "subscriber"))
    assert ids(Filter(property_name="phone", operator="NOT_HAS_PROPERTY")) == where(lambda r: r["phone"] is None)
    assert ids(Filter(property_name="email", operator="CONTAINS_TOKEN", value="*@gmail.com")) == where(
        lambda r: r["email"].endswith("@gmail.com"))
    assert ids(Filter(property_name="firstname", operator="EQ", value=rows[0]["firstname"].upper())) == where(
        lambda r: r["firstname"] == rows[0]["firstname"])  # strings compare case-insensitively
    lo, hi = ms("2025-06-01T00:00:00Z"), ms("2026-01-01T00:00:00Z")
    assert ids(Filter(property_name="createdate", operator="BETWEEN", value=str(lo), high_value=str(hi))) == where(
        lambda r: lo <= ms(r["createdate"]) <= hi)
    # OR of groups
    assert ids(groups=[FilterGroup(filters=[Filter(property_name="hs_analytics_source", operator="EQ", value="PAID_SEARCH")]),
                       FilterGroup(filters=[Filter(property_name="jobtitle", operator="EQ", value="CEO")])]) == where(
        lambda r: r["hs_analytics_source"] == "PAID_SEARCH" or r["jobtitle"] == "CEO")
    # a time window answered from the sorted index equals the same window scanned record by record
    since = ms("2026-03-01T00:00:00Z")
    assert ids(Filter(property_name="lastmodifieddate", operator="GT", value=str(since))) == ids(
        Filter(property_name="lastmodifieddate", operator="GT", value=str(since)),
        Filter(property_name="email", operator="HAS_PROPERTY")) == where(lambda r: ms(r["lastmodifieddate"]) > since)


def test_search_rejects_what_hubspot_rejects(sandbox):
    api = client(sandbox).crm.contacts.search_api
    bad = [
        PublicObjectSearchRequest(limit=201),
        PublicObjectSearchRequest(filter_groups=[FilterGroup(filters=[Filter(property_name="email", operator="HAS_PROPERTY")])] * 6),
        PublicObjectSearchRequest(filter_groups=window("no_such_property", 0)),
    ]
    for req in bad:
        with pytest.raises(ApiException) as e:
            api.do_search(public_object_search_request=req)
        assert e.value.status == 400 and error_body(e.value)["category"] == "VALIDATION_ERROR"


@pytest.mark.slow
def test_search_caps_a_query_at_10000_results_and_a_window_split_gets_everything(tmp_path):
    sb = start_sandbox(tmp_path / "medium", scale="medium")
    try:
        api = client(sb).crm.contacts.search_api
        # every contact, from the list endpoint (raw HTTP: 130 pages of typed models would be slow)
        http, expected, after = urllib3.PoolManager(), set(), ""
        while after is not None:
            page = http.request("GET", f"{sb.env['HUBSPOT_API_BASE']}/crm/v3/objects/contacts?limit=100&after={after}",
                                headers={"Authorization": f"Bearer {sb.env['HUBSPOT_ACCESS_TOKEN']}"}).json()
            expected |= {c["id"] for c in page["results"]}
            after = page["paging"]["next"]["after"] if "paging" in page else None
        assert len(expected) > 10_000  # a backfill by search must split its window at this scale
        pages, total = 0, None
        with pytest.raises(ApiException) as e:
            for page in search_pages(api, window("lastmodifieddate", 0), "lastmodifieddate"):
                pages, total = pages + 1, page.total
        assert pages == 50 and total == len(expected)
        assert e.value.status == 400 and error_body(e.value)["category"] == "VALIDATION_ERROR"
        got = search_all(api, "lastmodifieddate", 0)
        assert {r.id for r in got} == expected
    finally:
        sb.stop()


# ----------------------------------------------------------------------------- associations, pipelines, owners


def test_v4_associations_match_the_truth(sandbox):
    hs = client(sandbox)
    rows = truth(sandbox, "associations")
    contact_company = [r for r in rows if (r["from_type"], r["to_type"]) == ("contacts", "companies")]
    c = contact_company[0]
    page = hs.crm.associations.v4.basic_api.get_page("contacts", c["from_id"], "companies")
    types = {(t.type_id, t.label, t.category) for t in page.results[0].association_types}
    assert page.results[0].to_object_id == c["to_id"]
    assert types == {(1, "Primary", "HUBSPOT_DEFINED"), (279, None, "HUBSPOT_DEFINED")}
    deals = [d["id"] for d in truth(sandbox, "deals") if not d.get("_deleted")]
    res = hs.crm.associations.v4.batch_api.get_page("deals", "contacts", BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[{"id": d} for d in deals] + [{"id": "1"}]))
    got = sorted((r._from.id, t.to_object_id, a.type_id) for r in res.results for t in r.to for a in t.association_types)
    want = sorted((r["from_id"], r["to_id"], r["type_id"]) for r in rows if (r["from_type"], r["to_type"]) == ("deals", "contacts"))
    assert got == want and {w[2] for w in want} == {3}
    # the objects without any association come back as errors of a 207
    without = set(deals) - {g[0] for g in got} | {"1"}
    assert {e.context["fromObjectId"][0] for e in res.errors} == without and res.num_errors == len(without)
    assert {e.sub_category for e in res.errors} == {"crm.associations.NO_ASSOCIATIONS_FOUND"}
    # the v3 shape, on a listed object
    listed = hs.crm.deals.basic_api.get_by_id(deals[0], associations=["companies"])
    assert {a.type for a in listed.associations["companies"].results} == {"deal_to_company", "deal_to_company_unlabeled"}


def test_pipelines_and_owners(sandbox):
    hs = client(sandbox)
    pipelines = hs.crm.pipelines.pipelines_api.get_all("deals").results
    assert [p.id for p in pipelines][0] == "default" and [p.label for p in pipelines] == ["Sales Pipeline", "Self-serve"]
    sales, self_serve = pipelines
    assert [s.id for s in sales.stages] == ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
                                            "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"]
    assert {s.id: s.metadata["isClosed"] for s in sales.stages}["closedwon"] == "true"
    assert self_serve.id.isdigit() and [s.id for s in self_serve.stages] == ["selfserve_trial", "selfserve_won", "selfserve_lost"]
    assert hs.crm.pipelines.pipelines_api.get_by_id("deals", self_serve.id).label == "Self-serve"
    stage_rows = truth(sandbox, "pipeline_stages")
    assert len(stage_rows) == 10 and {r["pipeline_id"] for r in stage_rows} == {"default", self_serve.id}
    owners, after = [], None
    while True:
        page = hs.crm.owners.owners_api.get_page(limit=3, after=after)
        owners += page.results
        if page.paging is None:
            break
        after = page.paging.next.after
    assert [o.id for o in sorted(owners, key=lambda o: int(o.id))] == [o["id"] for o in truth(sandbox, "owners")]
    assert all(o.type == "PERSON" and o.email.endswith("@penguinmails.com") for o in owners)
    stages = {s.id for p in pipelines for s in p.stages}
    for d in truth(sandbox, "deals"):
        assert d["pipeline"] in {p.id for p in pipelines} and d["dealstage"] in stages
        assert d["hubspot_owner_id"] in {o.id for o in owners}


# -------------------------------------------------------------------------------- errors and faults


def test_a_wrong_token_gets_hubspots_401(sandbox):
    bad = hubspot.Client.create(access_token="pat-na1-wrong", host=sandbox.env["HUBSPOT_API_BASE"])
    with pytest.raises(ApiException) as e:
        bad.crm.contacts.basic_api.get_page(limit=1)
    body = error_body(e.value)
    assert e.value.status == 401 and body["category"] == "INVALID_AUTHENTICATION" and body["correlationId"]
    assert body["message"].startswith("Authentication credentials not found")


@pytest.mark.slow
def test_rate_limits_and_server_errors_are_retried_by_the_client(tmp_path):
    sb = start_sandbox(tmp_path / "faults", scale="tiny")
    try:
        sb.client.add_fault("rate_limit", vendor="hubspot", path="/crm/v3/objects/contacts/search", seconds=1)
        with pytest.raises(ApiException) as e:
            client(sb).crm.contacts.search_api.do_search(public_object_search_request=PublicObjectSearchRequest())
        body = error_body(e.value)
        assert e.value.status == 429 and e.value.headers["Retry-After"] == "1"
        assert (body["errorType"], body["policyName"]) == ("RATE_LIMIT", "SECONDLY")
        sb.client.add_fault("rate_limit", vendor="hubspot", path="/crm/v3/objects/contacts", times=2, seconds=1)
        sb.client.add_fault("server_error", vendor="hubspot", path="/crm/v3/objects/contacts", status=503)
        sb.client.stats(reset=True)
        retry = urllib3.Retry(total=5, backoff_factor=0.01, status_forcelist=(429, 500, 502, 503, 504))
        page = client(sb, retry=retry).crm.contacts.basic_api.get_page(limit=10)
        assert len(page.results) == 10
        assert sum(sb.client.stats()["hubspot"].values()) == 4  # two 429s, one 503, the answer
        # urllib3 does not retry a POST by default: the error reaches the caller
        sb.client.add_fault("server_error", vendor="hubspot", path="/crm/v3/objects/contacts/batch/read", status=502)
        sb.client.add_fault("rate_limit", vendor="hubspot", path="/crm/v3/objects/contacts/batch/read")
        for status, key in ((502, "category"), (429, "policyName")):
            with pytest.raises(ApiException) as e:
                client(sb).crm.contacts.batch_api.read(BatchReadInputSimplePublicObjectId(inputs=[]))
            assert e.value.status == status
            assert error_body(e.value)[key] == {502: "INTERNAL_ERROR", 429: "TEN_SECONDLY_ROLLING"}[status]
    finally:
        sb.stop()


# ------------------------------------------------------------------------------ clock, drift, lag


@pytest.mark.slow
def test_an_advance_shows_up_in_the_next_search_window(tmp_path):
    sb = start_sandbox(tmp_path / "clock")
    try:
        api = client(sb).crm.contacts.search_api
        before = now_ms(sb)
        sb.client.advance(days=1)
        after = now_ms(sb)
        changed = search_all(api, "lastmodifieddate", before + 1, after, limit=20)
        rows = {r["id"]: r for r in truth(sb, "contacts")}
        expected = {i for i, r in rows.items() if not r.get("_deleted") and before < ms(r["lastmodifieddate"]) <= after}
        assert {r.id for r in changed} == expected
        stamps = [ms(r.properties["lastmodifieddate"]) for r in changed]
        assert max(stamps.count(s) for s in stamps) > 20  # a bulk edit: more ties than a page holds
        assert after in stamps  # changed at the very instant of the sync
        lt_now = search_all(api, "lastmodifieddate", before + 1, after - 1, limit=20)
        assert len(lt_now) == len(changed) - stamps.count(after)
        archived_now = [c for c in client(sb).crm.contacts.get_all(archived=True)
                        if before < c.archived_at.timestamp() * 1000 <= after]
        assert archived_now and all(rows[c.id]["_deleted"] for c in archived_now)
        # the search index lags (a data fault): the newest changes are not found yet, then they are
        sb.client.add_fault("search_lag", vendor="hubspot", path="/crm/v3/objects/contacts/search", seconds=3600)
        lagging = next(search_pages(api, window("lastmodifieddate", after), "lastmodifieddate")).total
        assert lagging == 0 and next(search_pages(api, window("lastmodifieddate", after), "lastmodifieddate")).total > 0
    finally:
        sb.stop()


@pytest.mark.slow
def test_schema_drift_adds_a_property_to_records_changed_after_it(tmp_path):
    sb = start_sandbox(tmp_path / "drift")
    try:
        hs = client(sb)
        assert "hs_linkedin_url" not in {p.name for p in hs.crm.properties.core_api.get_all("contacts").results}
        sb.client.start_drift("hubspot")
        drift = now_ms(sb)
        sb.client.advance(days=2)
        assert "hs_linkedin_url" in {p.name for p in hs.crm.properties.core_api.get_all("contacts").results}
        page = hs.crm.contacts.basic_api.get_page(limit=100, properties=["hs_linkedin_url", "lastmodifieddate"])
        for c in page.results:
            carried = c.properties["hs_linkedin_url"]
            assert (carried is not None) == (ms(c.properties["lastmodifieddate"]) >= drift)
        rows = truth(sb, "contacts")
        drifted = [r for r in rows if "hs_linkedin_url" in r]
        assert drifted and all(ms(r["lastmodifieddate"]) >= drift for r in drifted)
        assert all(r["hs_linkedin_url"].startswith("https://www.linkedin.com/in/") for r in drifted)
    finally:
        sb.stop()


def test_the_chaos_profile_starts_drift_on_the_first_advance():
    sb = Sandbox(7, "tiny", faults="chaos")
    assert "hubspot" not in sb.drift
    sb.advance(3_600)
    assert sb.drift["hubspot"] == sb.world.now


# ------------------------------------------------------------------------------------------ truth


def test_fast_timestamps_equal_timeutil_iso():
    assert all(iso_seconds(t) == iso(t) for t in range(1_700_000_000, 1_800_000_000, 9_999_991))


def _truth_bytes(sb: Sandbox) -> dict[str, bytes]:
    return {name: b"".join(jsonl_lines(rows)) for name, rows in sb.by_name["hubspot"].truth().items()}


@pytest.mark.slow
def test_truth_is_deterministic_across_builds_and_advances():
    a, b = Sandbox(7, "small"), Sandbox(7, "small")
    assert _truth_bytes(a) == _truth_bytes(b)
    for sb in (a, b):
        sb.advance(86_400)
        sb.advance(3 * 3_600)
    after = _truth_bytes(a)
    assert after == _truth_bytes(b)
    assert set(after) == {"contacts", "companies", "deals", "owners", "pipelines", "pipeline_stages", "associations"}
    assert after != _truth_bytes(Sandbox(8, "small"))
    rows = [json.loads(line) for line in after["contacts"].splitlines()]
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), key=int)
