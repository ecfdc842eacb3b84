"""The Jira Cloud emulator through the official `jira` client, against real sandbox subprocesses."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from jira import JIRA, JIRAError

from sandbox.runtime import Sandbox
from sandbox.truth import jsonl_lines
from tests.conftest import start_sandbox

LA = ZoneInfo("America/Los_Angeles")
TABLES = ("issues", "issue_changelog", "projects", "users", "sprints", "versions", "_sla", "_ticket_accounts")


def _client(env: dict) -> JIRA:
    return JIRA(server=env["JIRA_URL"], basic_auth=(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]))


def _http(env: dict) -> requests.Session:
    s = requests.Session()
    s.auth = (env["JIRA_EMAIL"], env["JIRA_API_TOKEN"])
    return s


def _utc(jira_time: str) -> str:
    """`2026-11-02T01:29:47.123-0800` → the truth's `2026-11-02T09:29:47.123Z`."""
    d = datetime.strptime(jira_time, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def _epoch(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _literal(d: datetime, zone=LA) -> str:
    """A JQL date literal for the minute of `d` as a user in `zone` writes it."""
    return d.astimezone(zone).strftime("%Y/%m/%d %H:%M")


def _ids(j: JIRA, jql: str) -> set[str]:
    return {i.id for i in j.enhanced_search_issues(jql, maxResults=False, fields="id")}


@pytest.fixture(scope="module")
def env(sandbox) -> dict:
    return sandbox.env


@pytest.fixture(scope="module")
def j(env) -> JIRA:
    return _client(env)


@pytest.fixture(scope="module")
def truth(sandbox) -> dict[str, list[dict]]:
    return {t: sandbox.client.truth_rows("jira", t) for t in TABLES}


@pytest.fixture(scope="module")
def clocked(tmp_path_factory):
    """A tiny sandbox of our own whose clock the tests advance (and whose schema drifts)."""
    sb = start_sandbox(tmp_path_factory.mktemp("jira-clock"), scale="tiny")
    yield sb
    sb.stop()


def test_client_connects_as_a_cloud_site_and_the_service_user_lives_in_los_angeles(sandbox, env, j):
    info = j.server_info()
    assert j._is_cloud and info["deploymentType"] == "Cloud" and info["versionNumbers"] == [1001, 0, 0]
    me = j.myself()
    assert me["timeZone"] == "America/Los_Angeles" and me["emailAddress"] == env["JIRA_EMAIL"]
    assert info["serverTimeZone"] == "Etc/UTC"  # the site's zone is not the one JQL uses
    r = _http(env).get(f"{env['JIRA_URL']}/rest/api/3/serverInfo", timeout=30)
    assert parsedate_to_datetime(r.headers["Date"]).timestamp() == sandbox.client.status()["now_epoch"]
    assert r.json()["serverTime"].endswith("-0800")  # November: Pacific Standard Time


def test_enhanced_search_pages_through_everything_and_matches_truth(sandbox, j, truth):
    before = sandbox.client.stats()["jira"].get("GET /rest/api/{id}/search/jql", 0)
    issues = j.enhanced_search_issues("project in (SUP, ENG) ORDER BY key ASC", maxResults=False, expand="changelog")
    rows = {r["id"]: r for r in truth["issues"] if not r.get("_deleted")}
    assert len(issues) == len(rows) > 1000 and {i.id for i in issues} == set(rows)
    assert sandbox.client.stats()["jira"]["GET /rest/api/{id}/search/jql"] - before == -(-len(rows) // 100)
    changelog = defaultdict(set)
    for c in truth["issue_changelog"]:
        changelog[c["issue_id"]].add((c["history_id"], c["created"], c["author_account_id"], c["field"], c["from"],
                                      c["from_string"], c["to"], c["to_string"]))
    for i in issues:
        r, f = rows[i.id], i.fields
        assert (i.key, f.status.name, f.priority.name, f.issuetype.name) == (r["key"], r["status"], r["priority"], r["issuetype"])
        assert (_utc(f.created), _utc(f.updated)) == (r["created"], r["updated"])
        assert (_utc(f.resolutiondate) if f.resolutiondate else None) == r["resolutiondate"]
        assert (f.reporter.accountId, f.reporter.emailAddress) == (r["reporter_account_id"], r["reporter_email"])
        assert (f.assignee.accountId if f.assignee else None) == r["assignee_account_id"]
        assert f.labels == r["labels"] and [v.id for v in f.fixVersions] == r["fix_version_ids"]
        assert [s.id for s in f.customfield_10020 or []] == r["sprint_ids"]
        orgs = [o.name for o in f.customfield_10002] if f.customfield_10002 else []
        assert orgs == ([r["organisation"]] if r["organisation"] else [])
        assert i.changelog.total == len({h[0] for h in changelog[i.id]})
        got = {(h.id, _utc(h.created), h.author.accountId, it.field, it.__dict__["from"], it.fromString, it.to, it.toString)
               for h in i.changelog.histories for it in h.items}
        assert got == changelog[i.id]
    sup = [r for r in rows.values() if r["project_key"] == "SUP"]
    assert any(r["organisation"] is None for r in sup) and sum(r["organisation"] is not None for r in sup) > len(sup) / 2
    statuses = {r["status"] for r in sup}
    assert {"Closed", "Resolved"} < statuses


def test_jql_dates_are_minutes_in_the_users_zone_so_a_utc_cursor_misses_rows(sandbox, j, truth):
    now = datetime.fromtimestamp(sandbox.client.status()["now_epoch"], timezone.utc)
    cursor = now - timedelta(days=3, minutes=17, seconds=25)
    minute = cursor.replace(second=0, microsecond=0)
    rows = [r for r in truth["issues"] if not r.get("_deleted")]
    expected = {r["id"] for r in rows if _epoch(r["updated"]) >= minute}
    assert _ids(j, f'updated >= "{_literal(cursor)}"') == expected
    assert _ids(j, f'updated >= "{cursor.astimezone(LA):%Y-%m-%d %H:%M}"') == expected
    # minute precision: ">" compares with hh:mm:00.000, so rows later in that minute still match
    assert _ids(j, f'updated > "{_literal(cursor)}"') == {r["id"] for r in rows if _epoch(r["updated"]) > minute}
    # the same instant written in UTC is read as Los Angeles wall time (7 or 8 hours later), so rows go missing
    naive = _ids(j, f'updated >= "{_literal(cursor, timezone.utc)}"')
    read_as = minute.replace(tzinfo=LA)
    assert read_as - minute in (timedelta(hours=7), timedelta(hours=8))
    missed = {r["id"] for r in rows if minute <= _epoch(r["updated"]) < read_as}
    assert missed and naive == expected - missed
    day = cursor.astimezone(LA).replace(hour=0, minute=0)
    assert _ids(j, f'updated >= "{day:%Y/%m/%d}"') == {r["id"] for r in rows if _epoch(r["updated"]) >= day}
    with pytest.raises(JIRAError) as e:
        j.enhanced_search_issues(f'updated >= "{cursor.astimezone(LA):%Y/%m/%d %H:%M:%S}"', maxResults=1)
    assert e.value.status_code == 400 and "is invalid. Valid formats include: 'yyyy/MM/dd HH:mm'" in e.value.text


def test_jql_filters_order_and_errors(env, j, truth):
    rows = [r for r in truth["issues"] if not r.get("_deleted")]
    got = j.enhanced_search_issues('project = SUP AND (status = "Waiting for customer" OR priority in (Highest, High)) '
                                   "ORDER BY updated DESC, key", maxResults=False, fields="updated")
    want = [r for r in rows
            if r["project_key"] == "SUP" and (r["status"] == "Waiting for customer" or r["priority"] in ("Highest", "High"))]
    assert [i.id for i in got] == [r["id"] for r in sorted(want, key=lambda r: (r["updated"], -int(r["id"])), reverse=True)]
    posted = j.enhanced_search_issues("project = SUP AND priority = Highest", maxResults=False, fields="id", use_post=True)
    assert {i.id for i in posted} == {r["id"] for r in want if r["priority"] == "Highest"}
    assert _ids(j, "issuetype = Bug AND sprint is not EMPTY AND resolution = Unresolved") == {
        r["id"] for r in rows if r["issuetype"] == "Bug" and r["sprint_ids"] and r["resolution"] is None}
    assert [i.key for i in j.enhanced_search_issues("project = ENG", maxResults=3, fields="key")] == [
        r["key"] for r in sorted((r for r in rows if r["project_key"] == "ENG"), key=lambda r: r["created"], reverse=True)[:3]]
    assert j.approximate_issue_count("project = SUP") == sum(r["project_key"] == "SUP" for r in rows)
    http = _http(env)
    for jql, message in (("ORDER BY key", "Unbounded JQL queries are not allowed here"),
                         ("foo = bar", "Field 'foo' does not exist or you do not have permission to view it."),
                         ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
                         ("project = SUP AND", "Error in the JQL Query"),
                         ("project > SUP", "The operator '>' is not supported by the 'project' field.")):
        r = http.get(f"{env['JIRA_URL']}/rest/api/3/search/jql", params={"jql": jql}, timeout=30)
        assert r.status_code == 400 and message in r.json()["errorMessages"][0] and r.json()["errors"] == {}, jql
    r = http.get(f"{env['JIRA_URL']}/rest/api/3/search/jql", params={"jql": "project = SUP", "nextPageToken": "bogus"},
                 timeout=30)
    assert r.status_code == 400


def test_search_page_sizes_follow_jira_cloud(env):
    http, url = _http(env), f"{env['JIRA_URL']}/rest/api/3/search/jql"
    ids = http.get(url, params={"jql": "project in (SUP, ENG)", "maxResults": 5000}, timeout=30).json()
    assert len(ids["issues"]) > 1000 and set(ids["issues"][0]) == {"id"} and ids["isLast"] and "nextPageToken" not in ids
    full = http.post(url, json={"jql": "project in (SUP, ENG)", "maxResults": 5000, "fields": ["*all"]}, timeout=30).json()
    assert len(full["issues"]) == 100 and not full["isLast"] and full["nextPageToken"]
    v3 = full["issues"][0]["fields"]["description"]
    assert v3["type"] == "doc" and v3["content"][0]["type"] == "paragraph"  # v3 writes rich text as ADF
    v2 = http.get(f"{env['JIRA_URL']}/rest/api/2/issue/{full['issues'][0]['key']}", timeout=30).json()
    assert v2["fields"]["description"] == "\n\n".join(p["content"][0]["text"] for p in v3["content"])
    gone = http.get(f"{env['JIRA_URL']}/rest/api/3/search", params={"jql": "project = SUP"}, timeout=30)
    assert gone.status_code == 410 and "/rest/api/3/search/jql" in gone.json()["errorMessages"][0]
    assert http.post(f"{env['JIRA_URL']}/rest/api/2/search", json={"jql": "project = SUP"}, timeout=30).status_code == 410


def test_deleted_issues_vanish_so_a_sync_must_reconcile_ids(env, j, truth):
    deleted = [r for r in truth["issues"] if r.get("_deleted")]
    assert deleted and all("spam" in r["labels"] or r["status"] == "Open" for r in deleted)
    visible = _ids(j, "project = SUP")
    assert not visible & {r["id"] for r in deleted}
    assert visible == {r["id"] for r in truth["issues"] if r["project_key"] == "SUP" and not r.get("_deleted")}
    with pytest.raises(JIRAError) as e:
        j.issue(deleted[0]["key"])
    assert e.value.status_code == 404
    body = _http(env).post(f"{env['JIRA_URL']}/rest/api/3/issue/bulkfetch", timeout=30, json={
        "issueIdsOrKeys": [deleted[0]["id"], *sorted(visible)[:3]], "fields": ["status"]}).json()
    assert len(body["issues"]) == 3 and [e["issueIdOrKey"] for e in body["issueErrors"]] == [deleted[0]["id"]]


def test_changelog_endpoint_pages_oldest_first(env, truth):
    by_issue = defaultdict(list)
    for c in truth["issue_changelog"]:
        if not c.get("_deleted"):
            by_issue[c["issue_id"]].append(c)
    issue_id = max(by_issue, key=lambda i: len({c["history_id"] for c in by_issue[i]}))
    http, start, got = _http(env), 0, []
    while True:
        page = http.get(f"{env['JIRA_URL']}/rest/api/3/issue/{issue_id}/changelog",
                        params={"startAt": start, "maxResults": 2}, timeout=30).json()
        got += [(h["id"], _utc(h["created"]), it["field"], it["toString"]) for h in page["values"] for it in h["items"]]
        if page["isLast"]:
            break
        start += page["maxResults"]
    assert page["total"] == len({c["history_id"] for c in by_issue[issue_id]}) > 4
    assert got == [(c["history_id"], c["created"], c["field"], c["to_string"]) for c in by_issue[issue_id]]


def test_projects_boards_sprints_versions_and_users(env, j, truth):
    assert [p.key for p in j.projects()] == ["SUP", "ENG", "CS"]
    http = _http(env)
    page = http.get(f"{env['JIRA_URL']}/rest/api/3/project/search", params={"maxResults": 1}, timeout=30).json()
    assert (page["total"], page["isLast"], len(page["values"])) == (3, False, 1) and "startAt=1" in page["nextPage"]
    assert [(b.id, b.type) for b in j.boards(maxResults=False)] == [(1, "scrum"), (2, "kanban")]
    sprints = j.sprints(1, maxResults=False)  # more than one 50-sprint page
    assert len(sprints) > 50
    assert [(s.id, s.state, getattr(s, "completeDate", None)) for s in sprints] == [
        (r["id"], r["state"], r["complete_date"]) for r in truth["sprints"]]
    assert {r["state"] for r in truth["sprints"]} == {"closed", "active", "future"}
    active = next(r for r in truth["sprints"] if r["state"] == "active")
    assert j.sprint(active["id"]).state == "active"
    with pytest.raises(JIRAError) as e:
        j.sprints(2)
    assert e.value.status_code == 400 and "does not support sprints" in e.value.text
    versions = j.project_versions("ENG")
    assert [(v.id, v.released, v.archived, v.releaseDate) for v in versions] == [
        (r["id"], r["released"], r["archived"], r["release_date"]) for r in truth["versions"]]
    assert not all(r["released"] for r in truth["versions"]) and any(r["archived"] for r in truth["versions"])
    start, paged = 0, []
    while True:
        page = http.get(f"{env['JIRA_URL']}/rest/api/3/project/ENG/version", params={"startAt": start, "maxResults": 10},
                        timeout=30).json()
        paged += [v["id"] for v in page["values"]]
        if page["isLast"]:
            break
        start += 10
    assert paged == [v.id for v in versions]
    start, users = 0, []
    while True:
        batch = http.get(f"{env['JIRA_URL']}/rest/api/3/users/search", params={"startAt": start, "maxResults": 50},
                         timeout=30).json()
        users += batch
        if len(batch) < 50:
            break
        start += 50
    assert sorted(u["accountId"] for u in users) == [r["account_id"] for r in truth["users"]]
    customer = next(r for r in truth["users"] if r["account_type"] == "customer" and r["account_id"].startswith("qm:"))
    assert j.user(customer["account_id"]).emailAddress == customer["email"]
    assert [u.accountId for u in j.search_users(query=customer["email"])] == [customer["account_id"]]


def test_service_desk_tickets_carry_sla_facts(truth):
    sla = truth["_sla"]
    for key in ("first_response_breached", "resolution_breached"):
        decided = [r[key] for r in sla if r[key] is not None]
        assert any(decided) and not all(decided), key
    by_issue = defaultdict(list)
    for c in truth["issue_changelog"]:
        by_issue[c["issue_id"]].append(c)
    for r in sla:
        first = next((c["created"] for c in by_issue[r["issue_id"]]
                      if c["field"] == "status" and c["from_string"] == "Open"), None)
        assert first == r["first_response_at"]
        if first:
            assert r["first_response_ms"] == (_epoch(first) - _epoch(r["created"])) // timedelta(milliseconds=1)
    accounts = {r["issue_id"] for r in truth["_ticket_accounts"]}
    assert accounts and accounts <= {r["id"] for r in truth["issues"] if r["project_key"] == "SUP"}


def test_wrong_token_is_jiras_401(env):
    with pytest.raises(JIRAError) as e:
        JIRA(server=env["JIRA_URL"], basic_auth=(env["JIRA_EMAIL"], "not-the-token"))
    assert e.value.status_code == 401 and "Client must be authenticated" in e.value.text
    r = requests.get(f"{env['JIRA_URL']}/rest/api/3/myself", timeout=30)
    assert r.status_code == 401 and r.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"


def test_same_minute_updates_planted_by_an_advance(clocked):
    """A cursor that skips the minute it last saw misses updates made later in that minute."""
    j, sbc = _client(clocked.env), clocked.client
    now0 = datetime.fromtimestamp(sbc.status()["now_epoch"], timezone.utc)
    first = j.enhanced_search_issues("project in (SUP, ENG) ORDER BY updated DESC", maxResults=5, fields="updated")
    seen = datetime.strptime(first[0].fields.updated, "%Y-%m-%dT%H:%M:%S.%f%z")
    assert seen == now0  # the newest row sits exactly on the minute boundary of the clock
    sbc.advance(days=1)
    rows = [r for r in sbc.truth_rows("jira", "issues") if not r.get("_deleted")]
    planted = {r["id"] for r in rows if now0 < _epoch(r["updated"]) < now0 + timedelta(minutes=1)}
    assert planted
    with_lookback = _ids(j, f'updated >= "{_literal(seen)}"')
    assert with_lookback == {r["id"] for r in rows if _epoch(r["updated"]) >= now0}
    skipped_minute = _ids(j, f'updated >= "{_literal(seen + timedelta(minutes=1))}"')
    assert planted <= with_lookback and not planted & skipped_minute
    issue = j.issue(sorted(planted)[0], expand="changelog")
    last = max(issue.changelog.histories, key=lambda h: int(h.id))
    assert last.author.displayName == "Automation for Jira" and last.items[0].field == "labels"
    new = now0 + timedelta(days=1)
    assert any(_epoch(r["updated"]) == new for r in rows)  # and the next boundary for the next sync


def test_schema_drift_adds_customer_tier(clocked):
    j, sbc, http = _client(clocked.env), clocked.client, _http(clocked.env)
    assert "customfield_10099" not in {f["id"] for f in j.fields()}
    sbc.start_drift("jira")
    start = datetime.fromtimestamp(sbc.status()["now_epoch"], timezone.utc)
    assert {"id": "customfield_10099", "name": "Customer tier"}.items() <= next(
        f for f in j.fields() if f["id"] == "customfield_10099").items()
    sbc.advance(days=2)
    rows = {r["id"]: r for r in sbc.truth_rows("jira", "issues") if not r.get("_deleted")}
    changed = {i for i, r in rows.items() if _epoch(r["updated"]) >= start}
    assert changed and all("customfield_10099" in rows[i] for i in changed)
    assert all("customfield_10099" not in r for i, r in rows.items() if i not in changed)
    body = http.post(f"{clocked.env['JIRA_URL']}/rest/api/3/search/jql", timeout=30,
                     json={"jql": "project in (SUP, ENG)", "fields": ["customfield_10099", "project"], "maxResults": 100}).json()
    for issue in body["issues"]:
        assert ("customfield_10099" in issue["fields"]) == (issue["id"] in changed)
        if issue["id"] in changed and issue["fields"]["project"]["key"] == "SUP":
            assert issue["fields"]["customfield_10099"]["value"] == rows[issue["id"]]["customfield_10099"]


@pytest.mark.slow
def test_client_retries_through_429_503_and_resets(tmp_path):
    sb = start_sandbox(tmp_path / "faults", scale="tiny")
    try:
        j, c, http = _client(sb.env), sb.client, _http(sb.env)
        j._session.max_retry_delay = 1  # ResilientSession waits 10-20 s after a reset by default; keep the test fast
        path = "/rest/api/2/search/jql"
        c.add_fault("rate_limit", vendor="jira", path="/rest/api/3/search/jql", seconds=1)
        r = http.get(f"{sb.env['JIRA_URL']}/rest/api/3/search/jql", params={"jql": "project = SUP"}, timeout=30)
        assert r.status_code == 429 and r.headers["Retry-After"] == "1" and r.headers["X-RateLimit-Remaining"] == "0"
        assert r.json()["errorMessages"] and r.json()["errors"] == {}
        want = _ids(j, "project = SUP")
        for kind, extra in (("rate_limit", {"seconds": 1}), ("server_error", {"status": 503}), ("reset", {})):
            before = c.stats()["jira"].get("GET /rest/api/{id}/search/jql", 0)
            c.add_fault(kind, vendor="jira", path=path, times=2 if kind != "reset" else 1, **extra)
            assert _ids(j, "project = SUP") == want, kind
            assert c.stats()["jira"]["GET /rest/api/{id}/search/jql"] - before == (3 if kind != "reset" else 2), kind
        c.add_fault("server_error", vendor="jira", path=path, status=500)
        with pytest.raises(JIRAError) as e:  # the client only retries 429 and 503: a sync must handle the rest
            _ids(j, "project = SUP")
        assert e.value.status_code == 500
    finally:
        sb.stop()


def test_ground_truth_is_deterministic(truth):
    def dump(sb: Sandbox) -> dict[str, bytes]:
        return {t: b"".join(jsonl_lines(rows)) for t, rows in sb.by_name["jira"].truth().items()}

    in_process = Sandbox(7, "small").by_name["jira"].truth()
    assert all(list(in_process[t]) == truth[t] for t in TABLES)  # the served sandbox's, another process
    a, b = Sandbox(7, "tiny"), Sandbox(7, "tiny")
    assert dump(a) == dump(b)
    for sb in (a, b):
        sb.advance(86_400)
    first = dump(a)
    assert first == dump(b) and first["issues"]
    assert dump(Sandbox(8, "tiny"))["issues"] != first["issues"]


def test_chaos_profile_starts_drift_on_the_first_advance():
    sb = Sandbox(7, "tiny", faults="chaos")
    assert "jira" not in sb.drift
    sb.advance(86_400)
    drift = datetime.fromtimestamp(sb.drift["jira"], timezone.utc)
    assert sb.drift["jira"] == sb.world.now
    sb.advance(86_400)
    rows = [r for r in sb.by_name["jira"].truth()["issues"] if _epoch(r["updated"]) >= drift]
    assert rows and all("customfield_10099" in r for r in rows)
