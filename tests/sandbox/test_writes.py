"""The sandbox's write endpoints, through the official clients and plain HTTP: HubSpot properties,
property groups and object updates; Jira issue creation and comments. Writes are recorded (the
`_writes` reference tables) and visible to the next incremental read, as a round trip needs."""
from __future__ import annotations

import hubspot
import pytest
import requests
from hubspot.crm.companies import ApiException

from tests.conftest import start_sandbox

ADF = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Why: x"}]}]}


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    """A sandbox of its own: these tests change its data."""
    sandbox = start_sandbox(tmp_path_factory.mktemp("writes"), seed=5, scale="tiny")
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def hs(sb) -> hubspot.Client:
    return hubspot.Client.create(access_token=sb.env["HUBSPOT_ACCESS_TOKEN"], host=sb.env["HUBSPOT_API_BASE"])


@pytest.fixture(scope="module")
def jira(sb) -> requests.Session:
    session = requests.Session()
    session.auth = (sb.env["JIRA_EMAIL"], sb.env["JIRA_API_TOKEN"])
    return session


def rest(sb, path: str, v: int = 3) -> str:
    return f"{sb.env['JIRA_URL']}/rest/api/{v}/{path}"


def writes(sb, vendor: str) -> list[dict]:
    return sb.client.truth_rows(vendor, "_writes") if f"{vendor}/_writes" in sb.client.truth_tables() else []


def test_hubspot_properties_and_groups_are_created_once(sb, hs):
    assert writes(sb, "hubspot") == []
    props = hs.crm.properties
    props.groups_api.create("companies", {"name": "warehouse", "label": "Warehouse"})
    created = props.core_api.create("companies", {
        "name": "wh_tier", "label": "Tier", "type": "enumeration", "fieldType": "select", "groupName": "warehouse",
        "options": [{"label": "Gold", "value": "gold"}, {"label": "Tin", "value": "tin"}]})
    assert created.created_at.timestamp() == sb.client.status()["now_epoch"]
    assert [o.value for o in props.core_api.get_by_name("companies", "wh_tier").options] == ["gold", "tin"]
    assert "warehouse" in [g.name for g in props.groups_api.get_all("companies").results]
    for body, status in (({"name": "wh_tier", "label": "Again", "type": "string", "fieldType": "text",
                           "groupName": "warehouse"}, 409),
                         ({"name": "wh_x", "label": "X", "type": "number", "fieldType": "select",
                           "groupName": "warehouse"}, 400),
                         ({"name": "wh_y", "label": "Y", "type": "string", "fieldType": "text",
                           "groupName": "nope"}, 400)):
        with pytest.raises(hubspot.crm.properties.ApiException) as e:
            props.core_api.create("companies", body)
        assert e.value.status == status
    assert [(w["action"], w["property"]) for w in writes(sb, "hubspot")] == [
        ("create_property_group", "warehouse"), ("create_property", "wh_tier")]


def test_hubspot_batch_update_validates_all_or_nothing(sb, hs):
    batch = hs.crm.companies.batch_api
    ids = [c.id for c in hs.crm.companies.basic_api.get_page(limit=3).results]
    before = len(writes(sb, "hubspot"))
    for inputs, message in (
        ([{"id": i, "properties": {"name": "x"}} for i in ids * 34], "at most 100"),
        ([{"id": ids[0], "properties": {"name": "a"}}, {"id": ids[0], "properties": {"name": "b"}}], "Duplicate IDs"),
        ([{"id": ids[0], "properties": {"name": "ok"}}, {"id": ids[1], "properties": {"wh_tier": "platinum"}}],
         "INVALID_OPTION"),
        ([{"id": ids[0], "properties": {"nope": "1", "hs_object_id": "2", "numberofemployees": "many"}}],
         "PROPERTY_DOESNT_EXIST"),
        ([{"id": ids[0], "properties": {}}], "No properties found"),
    ):
        with pytest.raises(ApiException) as e:
            batch.update({"inputs": inputs})
        assert e.value.status == 400 and message in e.value.body, e.value.body
    assert len(writes(sb, "hubspot")) == before  # nothing of a rejected batch was written


def test_hubspot_updates_are_new_versions_the_next_search_finds(sb, hs):
    now_ms = sb.client.status()["now_epoch"] * 1000
    companies = hs.crm.companies
    ids = [c.id for c in companies.basic_api.get_page(limit=2).results]
    answer = companies.batch_api.update({"inputs": [{"id": ids[0], "properties": {"wh_tier": "gold"}},
                                                    {"id": ids[1], "properties": {"wh_tier": "tin", "name": None}},
                                                    {"id": "404", "properties": {"wh_tier": "gold"}}]})
    assert [e.context for e in answer.errors] == [{"ids": ["404"]}]  # a 207: the others were written
    assert {r.id: r.properties["wh_tier"] for r in answer.results} == {ids[0]: "gold", ids[1]: "tin"}
    got = companies.basic_api.get_by_id(ids[0], properties=["wh_tier"], properties_with_history=["wh_tier"])
    assert got.updated_at.timestamp() * 1000 == now_ms
    assert [(h.value, h.source_type) for h in got.properties_with_history["wh_tier"]] == [("gold", "INTEGRATION")]
    found = companies.search_api.do_search({"filterGroups": [{"filters": [
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(now_ms)}]}], "properties": ["wh_tier"]})
    assert {r.id for r in found.results} >= set(ids)
    assert companies.search_api.do_search({"filterGroups": [{"filters": [
        {"propertyName": "wh_tier", "operator": "EQ", "value": "gold"}]}]}).total == 1
    before = len(writes(sb, "hubspot"))
    companies.batch_api.update({"inputs": [{"id": ids[0], "properties": {"wh_tier": "gold"}}]})  # changes nothing
    companies.basic_api.update(ids[0], {"properties": {"name": "Renamed in the CRM"}})
    log = writes(sb, "hubspot")[before:]
    assert [(w["id"], w["property"], w["value"]) for w in log] == [(ids[0], "name", "Renamed in the CRM")]
    truth = {r["id"]: r for r in sb.client.truth_rows("hubspot", "companies")}
    assert (truth[ids[0]]["wh_tier"], truth[ids[0]]["name"], truth[ids[1]].get("name")) == \
        ("gold", "Renamed in the CRM", None)


def test_a_rate_limited_update_is_not_applied(sb, hs):
    company = hs.crm.companies.basic_api.get_page(limit=1).results[0].id
    sb.client.add_fault("rate_limit", vendor="hubspot", path="/crm/v3/objects/companies/batch/update")
    before = len(writes(sb, "hubspot"))
    with pytest.raises(ApiException) as e:
        hs.crm.companies.batch_api.update({"inputs": [{"id": company, "properties": {"wh_tier": "tin"}}]})
    assert e.value.status == 429 and "TEN_SECONDLY_ROLLING" in e.value.body
    assert len(writes(sb, "hubspot")) == before


def test_jira_issues_are_created_in_the_customer_success_project(sb, jira):
    projects = jira.get(rest(sb, "project"), timeout=30).json()
    assert ("CS", "business") in [(p["key"], p["projectTypeKey"]) for p in projects]
    fields = {"project": {"key": "CS"}, "issuetype": {"name": "Task"}, "summary": "Acme is at risk",
              "description": ADF, "labels": ["at-risk", "acct_7"]}
    created = jira.post(rest(sb, "issue"), json={"fields": fields}, timeout=30)
    assert created.status_code == 201 and created.json()["key"].startswith("CS-")
    key = created.json()["key"]
    issue = jira.get(rest(sb, f"issue/{key}"), timeout=30).json()["fields"]
    assert (issue["summary"], issue["description"], issue["status"]["name"], issue["labels"]) == \
        ("Acme is at risk", ADF, "To Do", ["at-risk", "acct_7"])
    assert jira.get(rest(sb, f"issue/{key}", v=2), timeout=30).json()["fields"]["description"] == "Why: x"
    found = jira.post(rest(sb, "search/jql"), json={"jql": 'project = CS AND labels = "acct_7"', "fields": ["key"]},
                      timeout=30).json()["issues"]
    assert [i["key"] for i in found] == [key]
    bad = jira.post(rest(sb, "issue"), json={"fields": {**fields, "description": "plain", "summary": "",
                                                          "project": {"key": "NOPE"}}}, timeout=30)
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"project", "summary", "description"}
    assert jira.post(rest(sb, "issue", v=2), json={"fields": {**fields, "description": "plain"}},
                     timeout=30).status_code == 201


def test_jira_comments_move_the_issues_updated_time(sb, jira):
    key = jira.post(rest(sb, "issue"), json={"fields": {"project": {"key": "CS"}, "issuetype": {"id": "10002"},
                                                        "summary": "Comment me"}}, timeout=30).json()["key"]
    sb.client.advance(hours=2)
    posted = jira.post(rest(sb, f"issue/{key}/comment"), json={"body": ADF}, timeout=30)
    assert posted.status_code == 201 and posted.json()["body"] == ADF
    listed = jira.get(rest(sb, f"issue/{key}/comment"), timeout=30).json()
    assert listed["total"] == 1 and listed["comments"][0]["id"] == posted.json()["id"]
    assert jira.get(rest(sb, f"issue/{key}/comment", v=2), timeout=30).json()["comments"][0]["body"] == "Why: x"
    issue = jira.get(rest(sb, f"issue/{key}"), timeout=30).json()["fields"]
    assert issue["updated"] == posted.json()["created"] != issue["created"]
    recent = jira.post(rest(sb, "search/jql"), json={"jql": "project = CS AND updated >= -10m", "fields": ["key"]},
                       timeout=30).json()["issues"]
    assert key in [i["key"] for i in recent]
    truth = next(r for r in sb.client.truth_rows("jira", "issues") if r["key"] == key)
    assert truth["updated"] == sb.client.status()["now"]
    assert jira.post(rest(sb, f"issue/{key}/comment"), json={"body": "plain"}, timeout=30).status_code == 400
    assert jira.post(rest(sb, "issue/CS-999/comment"), json={"body": ADF}, timeout=30).status_code == 404
    assert [w["action"] for w in writes(sb, "jira")] == ["create_issue", "create_issue", "create_issue", "comment"]
