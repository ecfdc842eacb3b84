"""Support-operations marts (schema `support`) against the Jira emulator's ground truth.

The expected values are computed here, in Python, from the sandbox's truth tables (`jira/issues`,
`jira/issue_changelog`, `jira/sprints`, `jira/versions`, and the reference tables `jira/_sla` and
`jira/_ticket_accounts`) and the emulator's own workflow configuration (`sandbox.jira.schema`) — a
different code path from the dbt models, which read the loaded warehouse and the seeds.
"""
from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone

import pytest

from sandbox.jira import schema as jira_schema
from sandbox.world import names

pytestmark = pytest.mark.slow

STATUS_CATEGORY_BY_ID = {s.id: s.category.key for s in jira_schema.STATUSES.values()}
STATUS_CATEGORY_BY_NAME = {s.name: s.category.key for s in jira_schema.STATUSES.values()}
WAITING = jira_schema.WAITING.id
FREE_MAIL = {d.lower() for d in names.FREE_MAIL}


def ms(value) -> int | None:
    """Epoch milliseconds of an ISO string (truth) or a naive UTC datetime (warehouse)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return round(value.timestamp() * 1000)


def seconds_to_ms(value) -> int | None:
    return None if value is None else round(value * 1000)


def utc_date(epoch_ms: int) -> date:
    return datetime.fromtimestamp(epoch_ms / 1000, timezone.utc).date()


def quantile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default, DuckDB's quantile_cont)."""
    if not values:
        return None
    values = sorted(values)
    pos = q * (len(values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


class JiraTruth:
    """The Jira site as the emulator knows it now, replayed from its truth tables."""

    def __init__(self, client):
        self.now_ms = client.status()["now_epoch"] * 1000
        self.issues = {r["id"]: r for r in client.truth_rows("jira", "issues") if not r.get("_deleted")}
        self.sla = {r["issue_id"]: r for r in client.truth_rows("jira", "_sla")}
        self.ticket_accounts = {r["issue_id"]: r for r in client.truth_rows("jira", "_ticket_accounts")}
        self.sprints = client.truth_rows("jira", "sprints")
        self.versions = client.truth_rows("jira", "versions")
        self.changes: dict[str, list[dict]] = defaultdict(list)
        for row in client.truth_rows("jira", "issue_changelog"):
            if not row.get("_deleted") and row["issue_id"] in self.issues:
                self.changes[row["issue_id"]].append(row)
        for rows in self.changes.values():
            rows.sort(key=lambda r: (ms(r["created"]), int(r["history_id"]), r["item_index"]))

    def tickets(self) -> dict[str, dict]:
        return {i: r for i, r in self.issues.items() if r["project_key"] == "SUP"}

    def is_spam(self, issue_id: str) -> bool:
        return "spam" in (self.issues[issue_id]["labels"] or [])

    def stretches(self, issue_id: str) -> list[tuple[str, str, int, int | None]]:
        """(status id or name, category, entered ms, left ms or None) from creation to now."""
        issue = self.issues[issue_id]
        status_changes = [c for c in self.changes[issue_id] if c["field"] == "status"]
        if status_changes:
            current, category = status_changes[0]["from"], STATUS_CATEGORY_BY_ID[status_changes[0]["from"]]
        else:
            current, category = issue["status"], STATUS_CATEGORY_BY_NAME[issue["status"]]
        out, since = [], ms(issue["created"])
        for change in status_changes:
            at = ms(change["created"])
            out.append((current, category, since, at))
            current, category, since = change["to"], STATUS_CATEGORY_BY_ID[change["to"]], at
        out.append((current, category, since, None))
        return out

    def first_done_ms(self, issue_id: str) -> int | None:
        return next((entered for _, category, entered, _ in self.stretches(issue_id) if category == "done"), None)

    def sprint_sets(self, issue_id: str) -> list[tuple[int, frozenset[int]]]:
        """The issue's Sprint field over time: (from ms, sprint ids), starting at creation."""
        def ids(text):
            return frozenset(int(x) for x in (text or "").split(",") if x.strip())
        sprint_changes = [c for c in self.changes[issue_id] if c["field"] == "Sprint"]
        issue = self.issues[issue_id]
        first = ids(sprint_changes[0]["from"]) if sprint_changes else frozenset(issue["sprint_ids"] or [])
        timeline = [(ms(issue["created"]), first)]
        timeline += [(ms(c["created"]), ids(c["to"])) for c in sprint_changes]
        return timeline


@pytest.fixture(scope="module")
def truth(built_warehouse) -> JiraTruth:
    return JiraTruth(built_warehouse.sandbox.client)


@pytest.fixture(scope="module")
def tickets(built_warehouse) -> dict[str, dict]:
    return {r["jira_issue_id"]: r for r in built_warehouse.query("select * from support.fct_tickets")}


@pytest.fixture(scope="module")
def synced_ms(built_warehouse) -> int:
    return ms(built_warehouse.query("select synced_at from intermediate.int_jira__sync_time")[0]["synced_at"])


def test_sync_time_is_the_sandbox_clock(truth, synced_ms):
    # the sandbox plants two updates at exactly the start clock, so the newest change loaded is "now"
    assert synced_ms == truth.now_ms


def test_one_row_per_live_ticket(truth, tickets):
    assert set(tickets) == set(truth.sla) == set(truth.tickets())
    assert len(tickets) > 100
    for issue_id, row in tickets.items():
        issue = truth.issues[issue_id]
        assert (row["issue_key"], row["priority"], row["issue_type"], row["status"]) == \
            (issue["key"], issue["priority"], issue["issuetype"], issue["status"])
        assert ms(row["created_at"]) == ms(issue["created"])
        assert row["reporter_email_domain"] == issue["reporter_email"].split("@")[1].lower()


def test_first_response_resolution_and_breaches_equal_the_sla_truth(truth, tickets):
    decided = Counter()
    for issue_id, expected in truth.sla.items():
        row = tickets[issue_id]
        got = {
            "priority": row["priority"],
            "first_response_at": ms(row["first_response_at"]),
            "first_response_ms": seconds_to_ms(row["first_response_seconds"]),
            "first_response_goal_ms": row["first_response_goal_seconds"] * 1000,
            "first_response_breached": row["is_first_response_breached"],
            "resolved_at": ms(row["first_resolved_at"]),
            "resolution_ms": seconds_to_ms(row["resolution_seconds"]),
            "resolution_goal_ms": row["resolution_goal_seconds"] * 1000,
            "waiting_for_customer_ms": seconds_to_ms(row["waiting_for_customer_seconds"]),
            "resolution_breached": row["is_resolution_breached"],
        }
        want = {k: ms(expected[k]) if k.endswith("_at") else expected[k] for k in got}
        assert got == want, expected["key"]
        decided[(expected["first_response_breached"], expected["resolution_breached"])] += 1
    # the world has breaches of both kinds, and tickets within their goals
    assert sum(n for (fr, _), n in decided.items() if fr) > 5
    assert sum(n for (_, res), n in decided.items() if res) > 3
    assert decided[(False, False)] > 50


def test_time_in_status_replays_the_changelog(built_warehouse, truth, tickets):
    intervals = defaultdict(list)
    for r in built_warehouse.query("select jira_issue_id, status_id, status_category, entered_at, left_at, "
                                   "seconds_in_status from intermediate.int_jira__issue_status_intervals "
                                   "order by jira_issue_id, interval_number"):
        intervals[r["jira_issue_id"]].append(r)
    assert set(intervals) == set(truth.issues)
    for issue_id in truth.issues:
        expected = truth.stretches(issue_id)
        got = intervals[issue_id]
        assert [(c, e, left) for _, c, e, left in expected] == \
            [(r["status_category"], ms(r["entered_at"]), ms(r["left_at"])) for r in got], issue_id
        for (_, _, entered, left), r in zip(expected, got):
            assert seconds_to_ms(r["seconds_in_status"]) == (left if left is not None else truth.now_ms) - entered
    for issue_id, row in tickets.items():
        per_category, reopened = Counter(), 0
        stretches = truth.stretches(issue_id)
        for k, (_, category, entered, left) in enumerate(stretches):
            per_category[category] += (left if left is not None else truth.now_ms) - entered
            if k and category != "done" and stretches[k - 1][1] == "done":
                reopened += 1
        assert seconds_to_ms(row["seconds_in_to_do"]) == per_category["new"], row["issue_key"]
        assert seconds_to_ms(row["seconds_in_progress"]) == per_category["indeterminate"], row["issue_key"]
        assert seconds_to_ms(row["seconds_in_done"]) == per_category["done"], row["issue_key"]
        assert row["reopened_count"] == reopened, row["issue_key"]
        assert row["is_open"] == (stretches[-1][1] != "done")
    assert any(row["reopened_count"] for row in tickets.values())


def test_escalated_tickets_are_those_linked_to_engineering(truth, tickets):
    eng = {i: r["key"] for i, r in truth.issues.items() if r["project_key"] == "ENG"}
    escalated = 0
    for issue_id, row in tickets.items():
        linked = [eng[i] for i in (truth.issues[issue_id]["linked_issue_ids"] or []) if i in eng]
        assert row["is_escalated"] == bool(linked), row["issue_key"]
        assert row["linked_engineering_issues"] == len(linked)
        if linked:
            escalated += 1
            assert row["engineering_issue_key"] in linked
            link_times = [ms(c["created"]) for c in truth.changes[issue_id] if c["field"] == "Link"]
            assert ms(row["escalated_at"]) == min(link_times)
    assert escalated > 5


def test_tickets_land_in_the_account_that_raised_them(built_warehouse, truth, tickets):
    keys = {(r["key_type"], r["key_value"]): r["customer_account_id"] for r in built_warehouse.query(
        "select key_type, key_value, customer_account_id from intermediate.int_customer_identity__keys "
        "where key_type in ('tenant_id', 'domain')")}
    matched = unmatched_company_mail = 0
    for issue_id, account in truth.ticket_accounts.items():
        row = tickets[issue_id]
        # the identity account holding the account's tenant, or its domain when the tenant is gone
        expected = keys.get(("tenant_id", str(account["tenant_id"]))) or keys.get(("domain", account["domain"]))
        free_mail = account["reporter_email"].split("@")[1].lower() in FREE_MAIL
        assert row["is_free_mail_reporter"] == free_mail
        if row["customer_account_id"] is not None:
            matched += 1
            assert row["customer_account_id"] == expected, (row["issue_key"], row["customer_match_method"])
        elif not free_mail:
            unmatched_company_mail += 1
    # every ticket from a company address is matched; free-mail ones only when the address is known
    assert unmatched_company_mail == 0
    assert matched >= 0.95 * len(truth.ticket_accounts)
    assert {t["customer_match_method"] for t in tickets.values() if t["is_free_mail_reporter"]} <= {"reporter_email", None}


def test_backlog_weekly_equals_a_replay_of_ticket_statuses(built_warehouse, truth, synced_ms):
    ids = [i for i in truth.tickets() if not truth.is_spam(i)]
    week = lambda epoch_ms: utc_date(epoch_ms) - timedelta(days=utc_date(epoch_ms).weekday())  # noqa: E731
    first, last = week(min(ms(truth.issues[i]["created"]) for i in ids)), week(synced_ms)
    priorities = {truth.issues[i]["priority"] for i in ids}
    expected = {}
    w = first
    while w <= last:
        end_ms = ms(datetime.combine(w + timedelta(days=7), datetime.min.time()))
        for p in priorities:
            expected[(w, p)] = {"opened_tickets": 0, "resolved_tickets": 0, "reopened_tickets": 0,
                                "open_tickets_at_week_end": 0}
        for i in ids:
            p = truth.issues[i]["priority"]
            # the status just before the week ended
            state = [c for _, c, entered, _ in truth.stretches(i) if entered < end_ms]
            if state and state[-1] != "done":
                expected[(w, p)]["open_tickets_at_week_end"] += 1
        w += timedelta(days=7)
    for i in ids:
        p = truth.issues[i]["priority"]
        expected[(week(ms(truth.issues[i]["created"])), p)]["opened_tickets"] += 1
        stretches = truth.stretches(i)
        for k, (_, category, entered, _) in enumerate(stretches[1:], start=1):
            before = stretches[k - 1][1]
            if category == "done" and before != "done":
                expected[(week(entered), p)]["resolved_tickets"] += 1
            elif category != "done" and before == "done":
                expected[(week(entered), p)]["reopened_tickets"] += 1
    got = {(r["week_start"], r["priority"]): {k: r[k] for k in expected[first, next(iter(priorities))]}
           for r in built_warehouse.query("select * from support.fct_ticket_backlog_weekly")}
    assert got == expected
    assert sum(v["opened_tickets"] for v in got.values()) == len(ids)
    assert sum(v["resolved_tickets"] for v in got.values()) >= len(ids) - sum(
        v["open_tickets_at_week_end"] for (w, _), v in got.items() if w == last)


def test_sla_monthly_equals_the_sla_truth_by_month_and_priority(built_warehouse, truth, synced_ms):
    ids = [i for i in truth.sla if not truth.is_spam(i)]
    eng = {i for i, r in truth.issues.items() if r["project_key"] == "ENG"}
    groups = defaultdict(list)
    for i in ids:
        created = utc_date(ms(truth.sla[i]["created"]))
        groups[(created.replace(day=1), truth.sla[i]["priority"])].append(i)
    rows = {(r["month_start"], r["priority"]): r for r in built_warehouse.query("select * from support.fct_sla_monthly")}
    assert sum(r["tickets"] for r in rows.values()) == len(ids)
    for key, row in rows.items():
        members = [truth.sla[i] for i in groups.get(key, [])]
        fr = [m["first_response_breached"] for m in members if m["first_response_breached"] is not None]
        res = [m["resolution_breached"] for m in members if m["resolution_breached"] is not None]
        assert row["tickets"] == len(members), key
        assert (row["first_response_decided"], row["first_response_breaches"]) == (len(fr), sum(fr)), key
        assert (row["resolution_decided"], row["resolution_breaches"]) == (len(res), sum(res)), key
        assert row["first_response_breach_rate"] == (pytest.approx(sum(fr) / len(fr)) if fr else None)
        assert row["resolution_breach_rate"] == (pytest.approx(sum(res) / len(res)) if res else None)
        assert row["tickets_breached"] == sum(1 for m in members if m["first_response_breached"] or m["resolution_breached"])
        assert row["escalated_tickets"] == sum(
            1 for m in members if any(x in eng for x in truth.issues[m["issue_id"]]["linked_issue_ids"] or []))
        responses = [m["first_response_ms"] / 1000 for m in members if m["first_response_ms"] is not None]
        resolutions = [m["resolution_ms"] / 1000 for m in members if m["resolution_ms"] is not None]
        for column, expected in (("median_first_response_seconds", quantile(responses, 0.5)),
                                 ("p90_first_response_seconds", quantile(responses, 0.9)),
                                 ("median_resolution_seconds", quantile(resolutions, 0.5)),
                                 ("p90_resolution_seconds", quantile(resolutions, 0.9))):
            assert row[column] == (pytest.approx(expected, abs=1e-3) if expected is not None else None), (key, column)
    assert set(groups) <= set(rows)
    current = utc_date(synced_ms).replace(day=1)
    assert {k for k, r in rows.items() if r["is_current_month"]} == {k for k in rows if k[0] == current}


def test_sprint_throughput_equals_a_replay_of_the_sprint_field(built_warehouse, truth):
    eng = [i for i, r in truth.issues.items() if r["project_key"] == "ENG"]
    timelines = {i: truth.sprint_sets(i) for i in eng}
    done = {i: truth.first_done_ms(i) for i in eng}

    def sprints_at(i, t):
        times = [at for at, _ in timelines[i]]
        k = bisect.bisect_right(times, t) - 1
        return timelines[i][k][1] if k >= 0 else frozenset()

    def joined(i, sprint_id):
        return next((at for at, ids in timelines[i] if sprint_id in ids), None)

    rows = {r["jira_sprint_id"]: r for r in built_warehouse.query("select * from support.fct_sprint_throughput")}
    assert set(rows) == {s["id"] for s in truth.sprints}
    for sprint in truth.sprints:
        sid, start, complete = sprint["id"], ms(sprint["start_date"]), ms(sprint["complete_date"])
        close = complete if complete is not None else truth.now_ms
        ever = [i for i in eng if any(sid in ids for _, ids in timelines[i])]
        at_close = [i for i in ever if sid in sprints_at(i, close)]
        if start is None:
            committed, added = [], []
        else:
            committed = [i for i in ever if sid in sprints_at(i, start)]
            added = [i for i in ever if i not in committed and any(
                start < at <= close and sid in ids for at, ids in timelines[i])]
        completed = [i for i in at_close if done[i] is not None and joined(i, sid) < done[i] <= close]
        carried = [i for i in at_close if done[i] is None or done[i] > close] if complete is not None else None
        points = lambda issue_ids: float(sum(truth.issues[i]["story_points"] or 0 for i in issue_ids))  # noqa: E731
        row = rows[sid]
        assert row["state"] == sprint["state"]
        assert row["issues_planned"] == (len(at_close) if start is None else 0), sid
        assert (row["issues_committed"], row["story_points_committed"]) == (len(committed), points(committed)), sid
        assert (row["issues_added_after_start"], row["story_points_added_after_start"]) == (len(added), points(added)), sid
        assert row["issues_removed"] == len([i for i in committed + added if i not in at_close]), sid
        assert (row["issues_completed"], row["story_points_completed"]) == (len(completed), points(completed)), sid
        assert row["issues_carried_over"] == (len(carried) if carried is not None else None), sid
        if complete is not None:
            # everything in scope at the close was either finished or carried over
            assert row["issues_completed"] + row["issues_carried_over"] == \
                row["issues_committed"] + row["issues_added_after_start"] - row["issues_removed"]
    closed = [r for r in rows.values() if r["state"] == "closed"]
    assert len(closed) > 20 and sum(r["issues_carried_over"] for r in closed) > 0
    assert sum(r["issues_added_after_start"] for r in rows.values()) > 0


def test_release_notes_list_the_issues_of_each_fix_version(built_warehouse, truth):
    versions = {v["id"]: v for v in truth.versions if not v.get("_deleted")}
    expected = {(v, i): r for i, r in truth.issues.items() for v in (r["fix_version_ids"] or []) if v in versions}
    rows = built_warehouse.query("select * from support.fct_release_notes")
    got = {(r["jira_version_id"], r["jira_issue_id"]): r for r in rows}
    assert len(got) == len(rows)
    assert set(got) == set(expected)
    assert len({v for v, _ in got}) > 10
    for (v, i), row in got.items():
        assert row["version_name"] == versions[v]["name"]
        assert row["release_date"].isoformat() == versions[v]["release_date"]
        assert row["is_released"] == versions[v]["released"]
        assert (row["issue_key"], row["issue_type"], row["summary"]) == \
            (truth.issues[i]["key"], truth.issues[i]["issuetype"], truth.issues[i]["summary"])


def test_previews_render_from_the_built_warehouse(built_warehouse):
    import duckdb

    from pipelines.assets.previews import PREVIEWS

    con = duckdb.connect(str(built_warehouse.paths.warehouse), read_only=True)
    try:
        breaches = PREVIEWS["support/fct_sla_monthly"](con)
        oldest = PREVIEWS["support/fct_tickets"](con)
    finally:
        con.close()
    assert breaches.startswith("| priority | tickets |") and "| Highest |" in breaches
    open_high = built_warehouse.query("select issue_key from support.fct_tickets where is_open and not is_spam "
                                      "and priority in ('Highest', 'High') order by created_at, issue_key limit 10")
    assert oldest.count("\n") == 1 + len(open_high)
    assert all(f"| {r['issue_key']} |" in oldest for r in open_high)
