"""The reverse ETL end to end: real sandbox over HTTP, real DuckDB, dbt and Dagster. The mart it reads
is edited in the warehouse between runs, as a new dbt build would change it, and only the
`reverse_etl` group runs again."""
from __future__ import annotations

from collections import Counter

import pytest
import requests

from pipelines.reverse_etl.hubspot import as_property
from pipelines.reverse_etl.settings import JIRA_LABEL, MART, OWNED_PROPERTIES, PROPERTY_GROUP
from tests.reverse_etl.conftest import CRM_OWNED_COLLISION

pytestmark = pytest.mark.slow

OURS = [p for p in OWNED_PROPERTIES if p.name != CRM_OWNED_COLLISION]


def matched(world, where: str = "true") -> list[dict]:
    return world.query(f"select * from {MART} where hubspot_company_id is not null and {where} "
                       "order by customer_account_id")


def crm_values(world, company_ids: list[str], names: list[str]) -> dict[str, dict]:
    api = world.hubspot().crm.companies.batch_api
    out = {}
    for i in range(0, len(company_ids), 100):
        page = api.read({"inputs": [{"id": c} for c in company_ids[i:i + 100]], "properties": names})
        out.update({r.id: r.properties for r in page.results})
    return out


def cs_tickets(world) -> list[dict]:
    return [r for r in world.sandbox.client.truth_rows("jira", "issues") if r["project_key"] == "CS"]


def account_of(ticket: dict) -> str:
    """The account of a ticket, from its episode label `penguin-at-risk-<account>-<yyyymmdd>`."""
    label = next(x for x in ticket["labels"] if x.startswith(f"{JIRA_LABEL}-"))
    return label[len(JIRA_LABEL) + 1:].rsplit("-", 1)[0]


def jira_session(world) -> requests.Session:
    session = requests.Session()
    session.auth = (world.env["JIRA_EMAIL"], world.env["JIRA_API_TOKEN"])
    return session


def audit(world, action: str) -> list[dict]:
    return world.query("select * from reverse_etl.audit where action = ? order by written_at", [action])


def test_every_matched_company_carries_the_warehouse_values(world):
    rows = matched(world)
    assert len(rows) > 20
    got = crm_values(world, [r["hubspot_company_id"] for r in rows], [p.name for p in OURS])
    for r in rows:
        for p in OURS:
            assert (got[r["hubspot_company_id"]][p.name] or "") == as_property(r[p.column]), (r, p.name)
    definitions = {d.name: d for d in world.hubspot().crm.properties.core_api.get_all("companies").results}
    assert all(definitions[p.name].group_name == PROPERTY_GROUP for p in OURS)
    assert {r["risk_tier"] for r in rows} >= {"healthy", "at_risk"}


def test_a_second_run_with_no_change_writes_nothing(world):
    world.run()
    world.write_requests()
    summary = world.run()
    assert world.write_requests() == {}
    assert "properties_written" not in summary.tables["reverse_etl/hubspot_companies"]


def test_one_changed_health_is_exactly_one_update(world):
    world.run()
    row = matched(world, "health_score is not null")[0]
    world.write_requests()
    writes_before, audit_before = len(world.writes("hubspot")), len(audit(world, "update"))
    world.execute(f"update {MART} set health_score = health_score + 1 where customer_account_id = ?",
                  [row["customer_account_id"]])
    world.run()
    assert world.write_requests() == {"POST /crm/{id}/objects/companies/batch/update": 1}
    new = [(w["id"], w["property"], w["value"]) for w in world.writes("hubspot")[writes_before:]]
    assert new == [(row["hubspot_company_id"], "penguin_health_score", str(row["health_score"] + 1))]
    written = audit(world, "update")[audit_before:]
    assert [(a["object_id"], a["field"], a["old_value"], a["new_value"]) for a in written] == [
        (row["hubspot_company_id"], "penguin_health_score", str(row["health_score"]), str(row["health_score"] + 1))]


def test_each_account_entering_at_risk_gets_one_ticket_and_one_comment_when_it_recovers(world):
    at_risk = world.query(f"select * from {MART} where risk_tier = 'at_risk'")
    assert at_risk
    world.run()
    world.run()
    tickets = cs_tickets(world)
    assert Counter(account_of(t) for t in tickets) == Counter(r["customer_account_id"] for r in at_risk)
    assert all(JIRA_LABEL in t["labels"] and t["status"] == "To Do" for t in tickets)

    recovering, newly = at_risk[0], world.query(f"select * from {MART} where risk_tier = 'healthy' limit 1")[0]
    world.execute(f"update {MART} set risk_tier = 'healthy', at_risk_since = null where customer_account_id = ?",
                  [recovering["customer_account_id"]])
    world.execute(f"update {MART} set risk_tier = 'at_risk', at_risk_since = scored_on where customer_account_id = ?",
                  [newly["customer_account_id"]])
    world.write_requests()
    world.run()
    world.run()
    assert world.write_requests() == {"POST /rest/api/{id}/issue/{id}/comment": 1, "POST /rest/api/{id}/issue": 1,
                                      "POST /crm/{id}/objects/companies/batch/update": 1}  # the two risk tiers
    episode = world.query("select * from reverse_etl.jira_episodes where customer_account_id = ?",
                          [recovering["customer_account_id"]])[0]
    jira = jira_session(world)
    body = jira.get(f"{world.env['JIRA_URL']}/rest/api/3/issue/{episode['issue_key']}/comment", timeout=30).json()
    assert body["total"] == 1 and episode["recovery_comment_id"] == body["comments"][0]["id"]
    assert "Recovered" in str(body["comments"][0]["body"])
    assert len(cs_tickets(world)) == len(tickets) + 1
    new_ticket = jira.get(f"{world.env['JIRA_URL']}/rest/api/3/search/jql", timeout=30, params={
        "jql": f'project = CS AND labels = "{JIRA_LABEL}-{newly["customer_account_id"]}-{newly["scored_on"]:%Y%m%d}"',
        "fields": "summary,description"}).json()["issues"]
    assert len(new_ticket) == 1 and newly["account_name"] in new_ticket[0]["fields"]["summary"]
    assert f"record/0-2/{newly['hubspot_company_id']}" in str(new_ticket[0]["fields"]["description"])


def test_faults_are_retried_nothing_is_written_twice_and_the_audit_matches_the_sandbox(world):
    world.run()
    rows = matched(world, "health_score is not null")
    writes_before = {v: len(world.writes(v)) for v in ("hubspot", "jira")}
    audit_before = len(world.query("select * from reverse_etl.audit"))
    world.execute(f"update {MART} set health_score = health_score + 2 where hubspot_company_id is not null "
                  "and health_score is not null")
    healthy = world.query(f"select * from {MART} where risk_tier = 'watch' limit 1")[0]
    world.execute(f"update {MART} set risk_tier = 'at_risk', at_risk_since = scored_on where customer_account_id = ?",
                  [healthy["customer_account_id"]])
    client = world.sandbox.client
    client.add_fault("rate_limit", vendor="hubspot", path="/crm/v3/objects/companies/batch/update", times=2, seconds=0)
    client.add_fault("server_error", vendor="hubspot", path="/crm/v3/objects/companies/batch/read", times=1, status=502)
    client.add_fault("server_error", vendor="jira", path="/rest/api/3/issue", times=2, status=503)
    client.add_fault("rate_limit", vendor="jira", path="/rest/api/3/search/jql", times=1, seconds=0)
    world.write_requests()
    world.run()
    served = world.write_requests()  # each faulted request was retried until it went through, once
    assert served["POST /crm/{id}/objects/companies/batch/update"] == 2 + -(-len(rows) // 100)
    assert served["POST /rest/api/{id}/issue"] == 3

    hubspot_new = world.writes("hubspot")[writes_before["hubspot"]:]
    jira_new = world.writes("jira")[writes_before["jira"]:]
    # every changed health score and the new risk tier, each once
    assert len({(w["id"], w["property"]) for w in hubspot_new}) == len(hubspot_new) == len(rows) + 1
    assert [w["action"] for w in jira_new] == ["create_issue"]
    audited = world.query("select * from reverse_etl.audit")[audit_before:]
    assert Counter((a["object_id"], a["field"], a["new_value"]) for a in audited if a["target"] == "hubspot") == \
        Counter((w["id"], w["property"], w["value"]) for w in hubspot_new)
    assert [a["object_id"] for a in audited if a["target"] == "jira"] == [w["key"] for w in jira_new]


def test_crm_owned_properties_are_never_overwritten(world):
    world.run()
    row = matched(world, "health_score is not null and current_plan is not null and current_plan <> 'scale'")[0]
    company = row["hubspot_company_id"]
    companies = world.hubspot().crm.companies.basic_api
    companies.update(company, {"properties": {"name": "Renamed by sales", "lifecyclestage": "evangelist",
                                              CRM_OWNED_COLLISION: "250", "penguin_plan": "hand-edited"}})
    world.execute(f"update {MART} set health_score = health_score + 3, current_plan = 'scale', current_seats = 9 "
                  "where customer_account_id = ?", [row["customer_account_id"]])
    writes_before = len(world.writes("hubspot"))
    world.run()
    got = companies.get_by_id(company, properties=["name", "lifecyclestage", CRM_OWNED_COLLISION, "penguin_plan",
                                                   "penguin_health_score"]).properties
    assert (got["name"], got["lifecyclestage"], got[CRM_OWNED_COLLISION]) == ("Renamed by sales", "evangelist", "250")
    assert (got["penguin_plan"], got["penguin_health_score"]) == ("scale", str(row["health_score"] + 3))
    ours = world.writes("hubspot")[writes_before:]
    assert sorted(w["property"] for w in ours) == ["penguin_health_score", "penguin_plan"]
    # the CRM's own property of that name: created and set by the CRM (this test), never by us
    assert [(w["action"], w["value"]) for w in world.writes("hubspot") if w["property"] == CRM_OWNED_COLLISION] == [
        ("create_property", "number"), ("update", "250")]
    assert not world.query("select * from reverse_etl.audit where object_id = ? or field = ?",
                           [CRM_OWNED_COLLISION, CRM_OWNED_COLLISION])
    conflict = audit(world, "update")[-2:]
    assert {(a["field"], a["old_value"], a["note"]) for a in conflict} == {
        ("penguin_plan", "hand-edited", "crm_edited"), ("penguin_health_score", str(row["health_score"]), None)}


def test_a_dry_run_plans_and_writes_nothing(world):
    world.run()
    row = matched(world, "health_score is not null")[0]
    world.execute(f"update {MART} set health_score = health_score + 4 where customer_account_id = ?",
                  [row["customer_account_id"]])
    world.write_requests()
    audited = len(world.query("select * from reverse_etl.audit"))
    summary = world.run(PENGUIN_REVERSE_ETL="dry-run")
    assert world.write_requests() == {}
    assert summary.tables["reverse_etl/hubspot_companies"]["planned"] == 1
    assert len(world.query("select * from reverse_etl.audit")) == audited
    world.run()
    assert world.write_requests() == {"POST /crm/{id}/objects/companies/batch/update": 1}


def test_the_next_ingestion_reads_what_was_written(world):
    world.run()
    world.run("group:raw_hubspot or group:raw_jira")
    rows = matched(world)
    raw = {r["id"]: r for r in world.query("select * from raw_hubspot.companies")}
    got = crm_values(world, [r["hubspot_company_id"] for r in rows], [p.name for p in OURS])
    for r in rows:
        for p in OURS:
            assert (raw[r["hubspot_company_id"]][p.name] or "") == (got[r["hubspot_company_id"]][p.name] or ""), p.name
    loaded = {r["key"] for r in world.query("select key from raw_jira.issues where project_key = 'CS'")}
    assert loaded == {t["key"] for t in cs_tickets(world)}
