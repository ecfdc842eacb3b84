"""The Jira ground truth at the world's current time (docs/sandbox/jira.md, "Truth tables").

Times are ISO-8601 UTC strings with milliseconds (`2026-11-02T09:29:47.123Z`). Rows come in
primary-key order; deleted issues (Jira deletes for good) keep their last state with `_deleted: true`.
"""
from __future__ import annotations

from typing import Iterator

from sandbox.jira import schema as s
from sandbox.jira.clock import iso_utc
from sandbox.jira.engineering import BOARD_ID
from sandbox.jira.model import Issue
from sandbox.jira.site import JiraSite
from sandbox.world.model import World


def _iso(ms: int | None) -> str | None:
    return iso_utc(ms) if ms is not None else None


def _seen(issue: Issue, now: int) -> tuple[int, bool]:
    """How many versions a sync could have seen at `now`, and whether the issue is deleted by then."""
    rec = issue.record
    deleted = rec.deleted is not None and rec.deleted <= now
    cut = rec.deleted - 1 if deleted else now
    n = len(rec.versions)
    while n > 1 and rec.versions[n - 1][0] > cut:
        n -= 1
    return n, deleted


def issues(site: JiraSite, now: int, drift: int | None) -> Iterator[dict]:
    for issue in site.issues:  # ascending id
        if issue.created > now:
            continue
        n, deleted = _seen(issue, now)
        changed, st = issue.record.versions[n - 1]
        updated = issue.updated_at(changed, now)
        reporter = site.users[issue.reporter]
        row = {
            "id": str(issue.num), "key": issue.key, "project_key": issue.project.key, "issuetype": issue.type.name,
            "summary": issue.summary, "status": s.STATUSES[st.status].name,
            "status_category": s.STATUSES[st.status].category.key, "priority": s.PRIORITIES[st.priority].name,
            "resolution": s.RESOLUTIONS[st.resolution].name if st.resolution else None,
            "reporter_account_id": issue.reporter, "reporter_email": reporter.email, "assignee_account_id": st.assignee,
            "created": _iso(issue.created), "updated": _iso(updated), "resolutiondate": _iso(st.resolved),
            "status_category_changed": _iso(st.status_changed), "labels": list(st.labels), "sprint_ids": list(st.sprints),
            "fix_version_ids": list(st.fix_versions), "story_points": st.points,
            "parent_id": str(issue.parent) if issue.parent else None,
            "linked_issue_ids": [str(lk.other) for lk in st.links],
            "organisation_id": issue.org[0] if issue.org else None, "organisation": issue.org[1] if issue.org else None,
        }
        if drift is not None and updated >= drift:
            row[s.DRIFT_FIELD] = issue.tier
        if deleted:
            row["_deleted"] = True
        yield row


def issue_changelog(site: JiraSite, now: int) -> Iterator[dict]:
    """One row per changelog item, keyed by (history_id, item_index)."""
    rows = []
    for issue in site.issues:
        if issue.created > now:
            continue
        n, deleted = _seen(issue, now)
        for h in issue.histories[: n - 1]:
            for k, (field, _, field_id, a, a_s, b, b_s) in enumerate(h.items):
                row = {"history_id": str(h.id), "item_index": k, "issue_id": str(issue.num), "created": _iso(h.at),
                       "author_account_id": h.author, "field": field, "field_id": field_id, "from": a, "from_string": a_s,
                       "to": b, "to_string": b_s}
                if deleted:
                    row["_deleted"] = True
                rows.append(row)
    rows.sort(key=lambda r: (int(r["history_id"]), r["item_index"]))
    yield from rows


def projects(site: JiraSite) -> Iterator[dict]:
    for p in sorted(s.PROJECTS.values(), key=lambda p: int(p.id)):
        lead = site.staff.agents[0] if p is s.SUP else site.staff.manager
        yield {"id": p.id, "key": p.key, "name": p.name, "project_type_key": p.type_key, "lead_account_id": lead.account_id}


def users(site: JiraSite, now: int) -> Iterator[dict]:
    for rec in sorted(site.user_records.visible(now), key=lambda r: r.id):
        u = rec.versions[0][1]
        yield {"account_id": u.account_id, "account_type": u.account_type, "display_name": u.display_name,
               "email": u.email, "active": True, "time_zone": u.time_zone, "created": _iso(rec.created)}


def sprints(site: JiraSite, now: int) -> Iterator[dict]:
    for sp in site.sprints:
        st = sp.record.state_at(now)
        if st is not None:
            yield {"id": sp.id, "board_id": BOARD_ID, "name": sp.name, "goal": sp.goal, "state": st.state,
                   "start_date": _iso(st.start), "end_date": _iso(st.end), "complete_date": _iso(st.complete),
                   "created_date": _iso(sp.created)}


def versions(site: JiraSite, now: int) -> Iterator[dict]:
    for r in site.releases:
        st = r.record.state_at(now)
        if st is not None:
            yield {"id": r.id, "project_id": s.ENG.id, "name": r.name, "description": r.description,
                   "released": st.released, "archived": st.archived, "start_date": r.start_date,
                   "release_date": r.release_date}


def sla(site: JiraSite, now: int) -> Iterator[dict]:
    """Reference SLA facts per SUP ticket visible now (JSM-style goals, calendar time).

    First response: created → the first change out of Open. Resolution: created → first entry into
    Resolved, minus time spent in Waiting for customer before it. `*_breached` is None while undecided.
    """
    for issue in site.issues:
        if issue.project is not s.SUP or not issue.record.exists_at(now):
            continue
        n, _ = _seen(issue, now)
        st = issue.record.versions[n - 1][1]
        response_goal, resolution_goal = s.SLA_GOALS_MS[st.priority]
        first_response = resolved = waiting_since = None
        waiting = 0
        for h in issue.histories[: n - 1]:
            for field, _, _, a, _, b, _ in h.items:
                if field != "status":
                    continue
                if first_response is None and a == s.OPEN.id:
                    first_response = h.at
                if b == s.WAITING.id and resolved is None:
                    waiting_since = h.at
                elif a == s.WAITING.id and waiting_since is not None and resolved is None:
                    waiting, waiting_since = waiting + h.at - waiting_since, None
                if b == s.RESOLVED.id and resolved is None:
                    resolved = h.at
        response_ms = (first_response or now) - issue.created
        open_waiting = (now - waiting_since) if waiting_since is not None and resolved is None else 0
        resolution_ms = (resolved or now) - issue.created - waiting - open_waiting
        yield {
            "issue_id": str(issue.num), "key": issue.key, "priority": s.PRIORITIES[st.priority].name,
            "created": _iso(issue.created), "first_response_at": _iso(first_response),
            "first_response_goal_ms": response_goal, "first_response_ms": response_ms if first_response else None,
            "first_response_breached": response_ms > response_goal if first_response or response_ms > response_goal else None,
            "resolved_at": _iso(resolved), "resolution_goal_ms": resolution_goal,
            "resolution_ms": resolution_ms if resolved else None, "waiting_for_customer_ms": waiting + open_waiting,
            "resolution_breached": resolution_ms > resolution_goal if resolved or resolution_ms > resolution_goal else None,
        }


def writes(site: JiraSite) -> Iterator[dict]:
    """The issues and comments created through the API, in the order they were (a reference for tests)."""
    for w in site.writes:
        yield {**w, "at": _iso(w["at"])}


def ticket_accounts(site: JiraSite, world: World, now: int) -> Iterator[dict]:
    """Which world account raised each SUP ticket (for checking identity resolution); spam has none."""
    for issue in site.issues:
        if issue.account is None or issue.created > now:
            continue
        a = world.accounts[issue.account]
        yield {"issue_id": str(issue.num), "key": issue.key, "account_idx": a.idx, "domain": a.domain,
               "tenant_id": a.tenant_id, "reporter_email": site.users[issue.reporter].email}
