"""Jira's JSON for issues, users, projects, sprints and releases, rendered on demand.

Objects that never change (users, statuses, priorities…) are serialised once per API version and
embedded as `orjson.Fragment`s; whole issues are cached per clock value (their sprint and linked-issue
parts depend on the clock). Times are written in the requesting user's zone (`ZoneClock.jira`).
"""
from __future__ import annotations

import hashlib

import orjson

from sandbox.jira import schema as s
from sandbox.jira.clock import ZoneClock, iso_utc
from sandbox.jira.engineering import BOARD_ID, Release, Sprint
from sandbox.jira.model import Comment, History, Issue, IssueState, User, version_index
from sandbox.jira.site import JiraSite

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
CHANGELOG_IN_ISSUE = 100  # the newest entries an expanded issue carries; the rest via /issue/{id}/changelog
ALL_FIELDS = ("statuscategorychangedate", "issuetype", "parent", "timespent", s.SPRINT_FIELD, "project", "fixVersions",
              "aggregatetimespent", "resolution", s.ORGANIZATIONS_FIELD, "resolutiondate", "workratio", "lastViewed",
              "watches", "created", s.REQUEST_TYPE_FIELD, "priority", "labels", s.POINTS_FIELD, s.RANK_FIELD, "versions",
              "issuelinks", "assignee", "updated", "status", "components", "description", "summary", "creator",
              "subtasks", "reporter", "environment", "duedate", "votes")
RELATES = {"id": "10003", "name": "Relates", "inward": "relates to", "outward": "relates to"}
CACHE_BYTES = 256 << 20  # rendered issues kept per clock value
STATUS_ICONS = {"new": "open.png", "indeterminate": "inprogress.png", "done": "closed.png"}


class Renderer:
    def __init__(self, site: JiraSite, clock: ZoneClock):
        self.site, self.clock = site, clock
        self.base = ""  # the emulator root URL, known once the server is bound
        self._static: dict[tuple, orjson.Fragment] = {}
        self._issues: dict[tuple, orjson.Fragment] = {}
        self._issues_key: tuple = ()
        self._cached_bytes = 0
        self._sprints: dict[tuple[int, int], dict] = {}

    def rest(self, v: str) -> str:
        return f"{self.base}/rest/api/{v}"

    def _frag(self, key: tuple, make) -> orjson.Fragment:
        f = self._static.get(key)
        if f is None:
            f = self._static[key] = orjson.Fragment(orjson.dumps(make()))
        return f

    # -- users -----------------------------------------------------------------------------------
    def user_dict(self, u: User, v: str) -> dict:
        out = {"self": f"{self.rest(v)}/user?accountId={u.account_id}", "accountId": u.account_id}
        if u.email:
            out["emailAddress"] = u.email
        initials = "".join(w[0] for w in u.display_name.split()[:2]).upper()
        digest = hashlib.md5((u.email or u.account_id).encode()).hexdigest()
        out["avatarUrls"] = {f"{n}x{n}": f"https://secure.gravatar.com/avatar/{digest}?d=https%3A%2F%2Favatar-management--avatars"
                             f".us-west-2.prod.public.atl-paas.net%2Finitials%2F{initials}-{n}.png" for n in (48, 24, 16, 32)}
        out.update(displayName=u.display_name, active=True, timeZone=u.time_zone, accountType=u.account_type)
        return out

    def user(self, account_id: str | None, v: str) -> orjson.Fragment | None:
        if account_id is None:
            return None
        return self._frag(("user", account_id, v), lambda: self.user_dict(self.site.users[account_id], v))

    # -- site configuration ---------------------------------------------------------------------
    def status(self, sid: str, v: str) -> orjson.Fragment:
        def make():
            st = s.STATUSES[sid]
            c = st.category
            return {"self": f"{self.rest(v)}/status/{st.id}", "description": st.description,
                    "iconUrl": f"{self.base}/images/icons/statuses/{STATUS_ICONS[c.key]}", "name": st.name, "id": st.id,
                    "statusCategory": self.status_category(c, v)}
        return self._frag(("status", sid, v), make)

    def status_category(self, c: s.StatusCategory, v: str) -> dict:
        return {"self": f"{self.rest(v)}/statuscategory/{c.id}", "id": c.id, "key": c.key, "colorName": c.color,
                "name": c.name}

    def priority(self, pid: str, v: str) -> orjson.Fragment:
        p = s.PRIORITIES[pid]
        return self._frag(("priority", pid, v), lambda: {
            "self": f"{self.rest(v)}/priority/{p.id}", "iconUrl": f"{self.base}/images/icons/priorities/{p.name.lower()}.svg",
            "name": p.name, "id": p.id})

    def priority_dict(self, p: s.Named, v: str) -> dict:
        return {"self": f"{self.rest(v)}/priority/{p.id}", "statusColor": "#ff8b00", "description": p.description,
                "iconUrl": f"{self.base}/images/icons/priorities/{p.name.lower()}.svg", "name": p.name, "id": p.id,
                "isDefault": p.id == s.MEDIUM}

    def issuetype(self, t: s.IssueType, v: str) -> orjson.Fragment:
        return self._frag(("issuetype", t.id, v), lambda: self.issuetype_dict(t, v))

    def issuetype_dict(self, t: s.IssueType, v: str) -> dict:
        return {"self": f"{self.rest(v)}/issuetype/{t.id}", "id": t.id, "description": t.description,
                "iconUrl": f"{self.base}/rest/api/2/universal_avatar/view/type/issuetype/avatar/{10300 + int(t.id) % 100}"
                           "?size=medium",
                "name": t.name, "subtask": False, "avatarId": 10300 + int(t.id) % 100, "hierarchyLevel": t.hierarchy_level}

    def resolution(self, rid: str | None, v: str) -> orjson.Fragment | None:
        if rid is None:
            return None
        r = s.RESOLUTIONS[rid]
        return self._frag(("resolution", rid, v), lambda: {
            "self": f"{self.rest(v)}/resolution/{r.id}", "id": r.id, "description": r.description, "name": r.name})

    def project_ref(self, p: s.Project, v: str) -> orjson.Fragment:
        return self._frag(("project", p.id, v), lambda: {
            "self": f"{self.rest(v)}/project/{p.id}", "id": p.id, "key": p.key, "name": p.name,
            "projectTypeKey": p.type_key, "simplified": False, "avatarUrls": self.project_avatars(p)})

    def project_avatars(self, p: s.Project) -> dict:
        avatar = f"{self.base}/rest/api/2/universal_avatar/view/type/project/avatar/{10400 + int(p.id) % 100}"
        return {f"{n}x{n}": f"{avatar}?size={size}"
                for n, size in ((48, "large"), (24, "small"), (16, "xsmall"), (32, "medium"))}

    def project(self, p: s.Project, v: str, detailed: bool) -> dict:
        out = {"expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
               "self": f"{self.rest(v)}/project/{p.id}", "id": p.id, "key": p.key, "name": p.name,
               "avatarUrls": self.project_avatars(p), "projectTypeKey": p.type_key, "simplified": False,
               "style": "classic", "isPrivate": False, "properties": {}}
        if detailed:
            lead = self.site.staff.agents[0] if p is s.SUP else self.site.staff.manager
            out.update(description=p.description, lead=self.user(lead.account_id, v), components=[],
                       issueTypes=[self.issuetype(t, v) for t in p.issue_types], assigneeType="UNASSIGNED",
                       versions=[], roles={})
        return out

    # -- agile and releases ---------------------------------------------------------------------
    def sprint(self, sp: Sprint, now: int) -> dict:
        """The agile API's sprint (UTC times)."""
        key = (sp.id, now)
        out = self._sprints.get(key)
        if out is None:
            st = sp.record.state_at(now)
            out = {"id": sp.id, "self": f"{self.base}/rest/agile/1.0/sprint/{sp.id}", "state": st.state, "name": sp.name}
            if st.start is not None:
                out.update(startDate=iso_utc(st.start), endDate=iso_utc(st.end))
            if st.complete is not None:
                out["completeDate"] = iso_utc(st.complete)
            out.update(createdDate=iso_utc(sp.created), originBoardId=BOARD_ID, goal=sp.goal)
            if len(self._sprints) > 10_000:
                self._sprints.clear()
            self._sprints[key] = out
        return out

    def sprint_field(self, sp: Sprint, now: int) -> dict:
        """A sprint as the Sprint custom field shows it on an issue."""
        a = self.sprint(sp, now)
        out = {"id": sp.id, "name": sp.name, "state": a["state"], "boardId": BOARD_ID, "goal": sp.goal}
        for k in ("startDate", "endDate", "completeDate"):
            if k in a:
                out[k] = a[k]
        return out

    def release(self, r: Release, now: int, v: str, full: bool) -> dict:
        st = r.record.state_at(now)
        out = {"self": f"{self.rest(v)}/version/{r.id}", "id": r.id, "description": r.description, "name": r.name,
               "archived": st.archived, "released": st.released}
        if full:
            out["startDate"] = r.start_date
        out["releaseDate"] = r.release_date
        if full:
            out.update(overdue=not st.released and r.release_at < now,
                       userStartDate=_user_date(r.start_date), userReleaseDate=_user_date(r.release_date),
                       projectId=int(s.ENG.id))
        return out

    # -- issues ---------------------------------------------------------------------------------
    def issue(self, issue: Issue, now: int, v: str, fields: frozenset[str] | None, changelog: bool, drift: int | None,
              properties: bool = False) -> orjson.Fragment:
        """One issue as search, bulk fetch and GET issue return it. `fields` None = every field."""
        cache_key = (now, self.site.epoch, drift)
        if cache_key != self._issues_key:
            self._issues, self._issues_key, self._cached_bytes = {}, cache_key, 0
        key = (issue.num, v, fields, changelog, properties)
        frag = self._issues.get(key)
        if frag is None:
            body = orjson.dumps(self._issue(issue, now, v, fields, changelog, drift, properties))
            frag = orjson.Fragment(body)
            if self._cached_bytes < CACHE_BYTES:
                self._issues[key] = frag
                self._cached_bytes += len(body)
        return frag

    def _issue(self, issue: Issue, now: int, v: str, fields, changelog: bool, drift: int | None, properties: bool) -> dict:
        rest = self.rest(v)
        out = {"expand": ISSUE_EXPAND, "id": str(issue.num), "self": f"{rest}/issue/{issue.num}", "key": issue.key}
        rec = issue.record
        index = version_index(rec.versions, now)
        changed, state = rec.versions[index]
        f = self.fields(issue, state, issue.updated_at(changed, now), index, now, v, drift)
        out["fields"] = f if fields is None else {k: val for k, val in f.items() if k in fields}
        if properties:
            out["properties"] = {}
        if changelog:
            visible = issue.histories[:index]
            newest = visible[::-1][:CHANGELOG_IN_ISSUE]
            out["changelog"] = {"startAt": 0, "maxResults": len(newest), "total": len(visible),
                                "histories": [self.history(h, v) for h in newest]}
        return out

    def fields(self, issue: Issue, state: IssueState, updated: int, index: int, now: int, v: str, drift: int | None) -> dict:
        rest, jt, site = self.rest(v), self.clock.jira, self.site
        sup = issue.project is s.SUP
        f = {
            "statuscategorychangedate": jt(state.status_changed),
            "issuetype": self.issuetype(issue.type, v),
            "timespent": None,
            s.SPRINT_FIELD: [self.sprint_field(site.sprint_by_id[i], now) for i in state.sprints] or None,
            "project": self.project_ref(issue.project, v),
            "fixVersions": [self.release(site.release_by_id[r], now, v, False) for r in state.fix_versions],
            "aggregatetimespent": None,
            "resolution": self.resolution(state.resolution, v),
            s.ORGANIZATIONS_FIELD: ([{"id": issue.org[0], "name": issue.org[1], "_links": {
                "self": f"{self.base}/rest/servicedeskapi/organization/{issue.org[0]}"}}] if issue.org else []) if sup else None,
            "resolutiondate": jt(state.resolved) if state.resolved is not None else None,
            "workratio": -1,
            "lastViewed": None,
            "watches": {"self": f"{rest}/issue/{issue.key}/watchers", "watchCount": 1, "isWatching": False},
            "created": jt(issue.created),
            s.REQUEST_TYPE_FIELD: self.request_type(issue, state, index) if sup else None,
            "priority": self.priority(state.priority, v),
            "labels": list(state.labels),
            s.POINTS_FIELD: state.points,
            s.RANK_FIELD: issue.rank,
            "versions": [],
            "issuelinks": [self.link(lk, now, v) for lk in state.links],
            "assignee": self.user(state.assignee, v),
            "updated": jt(updated),
            "status": self.status(state.status, v),
            "components": [],
            "description": adf(issue.description) if v == "3" else issue.description,
            "summary": issue.summary,
            "creator": self.user(issue.creator, v),
            "subtasks": [],
            "reporter": self.user(issue.reporter, v),
            "environment": None,
            "duedate": None,
            "votes": {"self": f"{rest}/issue/{issue.key}/votes", "votes": 0, "hasVoted": False},
        }
        if issue.parent is not None:
            p = site.by_num[issue.parent]
            pst = p.record.state_at(now)
            f["parent"] = {"id": str(p.num), "key": p.key, "self": f"{rest}/issue/{p.num}", "fields": {
                "summary": p.summary, "status": self.status(pst.status, v), "priority": self.priority(pst.priority, v),
                "issuetype": self.issuetype(p.type, v)}}
        if drift is not None and updated >= drift:
            f[s.DRIFT_FIELD] = self.tier(issue, v)
        return f

    def tier(self, issue: Issue, v: str) -> dict | None:
        if issue.tier is None:
            return None
        oid = s.CUSTOMER_TIER_OPTIONS[issue.tier]
        return {"self": f"{self.rest(v)}/customFieldOption/{oid}", "value": issue.tier, "id": oid}

    def request_type(self, issue: Issue, state: IssueState, index: int) -> dict:
        rid, name, description = s.REQUEST_TYPES[issue.type.id]
        changed = issue.created
        for h in reversed(issue.histories[:index]):
            if any(item[0] == "status" for item in h.items):
                changed = h.at
                break
        st = s.STATUSES[state.status]
        return {"_links": {"jiraRest": f"{self.base}/rest/api/2/issue/{issue.num}",
                           "web": f"{self.base}/servicedesk/customer/portal/{s.SERVICE_DESK_ID}/{issue.key}",
                           "self": f"{self.base}/rest/servicedeskapi/request/{issue.num}"},
                "requestType": {"id": rid, "name": name, "description": description, "helpText": "",
                                "issueTypeId": issue.type.id, "serviceDeskId": s.SERVICE_DESK_ID, "portalId": s.SERVICE_DESK_ID,
                                "groupIds": ["1"]},
                "currentStatus": {"status": st.name, "statusCategory": st.category.key.upper(),
                                  "statusDate": {"iso8601": (when := self.clock.jira(changed)), "jira": when,
                                                 "epochMillis": changed}}}

    def link(self, lk, now: int, v: str) -> dict:
        other = self.site.by_num[lk.other]
        ost = other.record.version_at(now)[1]
        ref = {"id": str(other.num), "key": other.key, "self": f"{self.rest(v)}/issue/{other.num}", "fields": {
            "summary": other.summary, "status": self.status(ost.status, v), "priority": self.priority(ost.priority, v),
            "issuetype": self.issuetype(other.type, v)}}
        return {"id": str(lk.id), "self": f"{self.rest(v)}/issueLink/{lk.id}",
                "type": {**RELATES, "self": f"{self.rest(v)}/issueLinkType/{RELATES['id']}"},
                "outwardIssue" if lk.outward else "inwardIssue": ref}

    def comment(self, issue: Issue, c: Comment, v: str) -> dict:
        author, when = self.user(c.author, v), self.clock.jira(c.at)
        return {"self": f"{self.rest(v)}/issue/{issue.num}/comment/{c.id}", "id": str(c.id), "author": author,
                "body": c.body if v == "3" else adf_text(c.body), "updateAuthor": author, "created": when,
                "updated": when, "jsdPublic": True}

    def history(self, h: History, v: str) -> dict:
        return {"id": str(h.id), "author": self.user(h.author, v), "created": self.clock.jira(h.at),
                "items": [{"field": f, "fieldtype": ft, "fieldId": fid, "from": a, "fromString": a_s, "to": b, "toString": b_s}
                          for f, ft, fid, a, a_s, b, b_s in h.items]}


def adf(text: str) -> dict:
    """Plain text as an Atlassian Document Format document (what v3 returns for rich-text fields)."""
    return {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": para}]} for para in text.split("\n\n")]}


def adf_text(doc: dict) -> str:
    """The text of an Atlassian Document Format document: its blocks joined by blank lines (what v2 shows)."""
    def text(node: dict) -> str:
        if node.get("type") == "text":
            return node.get("text", "")
        if node.get("type") == "hardBreak":
            return "\n"
        return "".join(text(n) for n in node.get("content") or ())
    return "\n\n".join(text(block) for block in doc.get("content") or ())


def _user_date(iso_date: str) -> str:
    """Jira's `d/MMM/yy` user date format, e.g. `4/Nov/24`."""
    y, m, d = iso_date.split("-")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{int(d)}/{months[int(m) - 1]}/{y[2:]}"
