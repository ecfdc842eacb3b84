"""The HTTP routes of the Jira Cloud emulator: platform REST v2/v3 (same data; v3 writes rich text as
ADF) and the Agile REST API 1.0. Paths, parameters, page envelopes and error bodies follow Jira Cloud."""
from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.emulator import json_response
from sandbox.jira import schema as s
from sandbox.jira.engineering import BOARD_ID
from sandbox.jira.jql import JqlError
from sandbox.jira.model import version_index
from sandbox.jira.render import ALL_FIELDS, CHANGELOG_IN_ISSUE, adf, adf_text

if TYPE_CHECKING:
    from sandbox.jira.emulator import JiraEmulator

API_VERSIONS = ("2", "3", "latest")
INVALID_PAYLOAD = "Invalid request payload. Refer to the REST API documentation and try again."
SEARCH_GONE = ("The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration "
               "guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")
NO_ISSUE = "Issue does not exist or you do not have permission to see it."
LIGHT_FIELDS = {"id", "key", "issuekey"}
BOARDS = ((BOARD_ID, "ENG board", "scrum", s.ENG), (2, "SUP queue", "kanban", s.SUP))


def jira_error(status: int, *messages: str, errors: dict | None = None) -> Response:
    return json_response({"errorMessages": list(messages), "errors": errors or {}}, status)


def _is_adf(value) -> bool:
    return isinstance(value, dict) and value.get("type") == "doc" and isinstance(value.get("content"), list)


def _rich_text(value, v: str) -> dict | None:
    """A description or comment body as ADF: v3 takes only ADF, v2 only a string; None if it is neither."""
    if v == "3":
        return value if _is_adf(value) else None
    return adf(value) if isinstance(value, str) else None


def _pick(ref, items):
    """The item (issue type, priority) that a `{"id": …}` or `{"name": …}` reference names; None if none."""
    if not isinstance(ref, dict):
        return None
    return next((x for x in items if ref.get("id") == x.id or ref.get("name") == x.name), None)


class BadRequest(Exception):
    """A malformed parameter or body: Jira's 400 with this message."""


def _int(value, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"The '{name}' parameter must be an integer.") from None


def _list(values) -> list[str]:
    """A Jira list parameter: repeated, comma-separated, or a JSON array."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [x.strip() for v in values for x in str(v).split(",") if x.strip()]


def _selection(fields: list[str]) -> frozenset[str] | None | str:
    """None = every field; "id" or "key" = only ids (and keys), the cheap kind of page; else the field ids to return."""
    if not fields or set(fields) <= LIGHT_FIELDS:
        return "key" if {"key", "issuekey"} & set(fields) else "id"
    wanted: set[str] = set()
    every = False
    for f in fields:
        if f in ("*all", "*navigable"):
            every = True
        elif not f.startswith("-"):
            wanted.add(f)
    drop = {f[1:] for f in fields if f.startswith("-")}
    if every and not drop:
        return None
    chosen = (set(ALL_FIELDS) | {s.DRIFT_FIELD} if every else wanted) - drop
    return frozenset(chosen)


def _endpoint(handler, **kwargs):
    """A route endpoint that answers Jira's 400 for malformed input and rejected JQL."""
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, **kwargs)
        except (BadRequest, JqlError) as e:
            return jira_error(400, str(e))
    return endpoint


class JiraApi:
    def __init__(self, emulator: "JiraEmulator"):
        self.e = emulator

    @property
    def now(self) -> int:
        return self.e.world.now * 1000

    def routes(self) -> list[BaseRoute]:
        out: list[BaseRoute] = []
        for v in API_VERSIONS:
            p = f"/rest/api/{v}"
            out += [
                Route(f"{p}/serverInfo", _endpoint(self.server_info, v=v)),
                Route(f"{p}/myself", _endpoint(self.myself, v=v)),
                Route(f"{p}/field", _endpoint(self.fields, v=v)),
                Route(f"{p}/search/jql", _endpoint(self.search, v=v), methods=["GET", "POST"]),
                Route(f"{p}/search/approximate-count", _endpoint(self.approximate_count, v=v), methods=["POST"]),
                Route(f"{p}/search", _endpoint(self.search_gone, v=v), methods=["GET", "POST"]),
                Route(f"{p}/issue/bulkfetch", _endpoint(self.bulk_fetch, v=v), methods=["POST"]),
                Route(f"{p}/issue", _endpoint(self.create_issue, v=v), methods=["POST"]),
                Route(f"{p}/issue/{{key}}/comment", _endpoint(self.comments, v=v), methods=["GET", "POST"]),
                Route(f"{p}/issue/{{key}}", _endpoint(self.issue, v=v)),
                Route(f"{p}/issue/{{key}}/changelog", _endpoint(self.changelog, v=v)),
                Route(f"{p}/project", _endpoint(self.projects, v=v)),
                Route(f"{p}/project/search", _endpoint(self.project_search, v=v)),
                Route(f"{p}/project/{{key}}", _endpoint(self.project, v=v)),
                Route(f"{p}/project/{{key}}/versions", _endpoint(self.project_versions, v=v)),
                Route(f"{p}/project/{{key}}/version", _endpoint(self.project_version_page, v=v)),
                Route(f"{p}/version/{{id}}", _endpoint(self.version, v=v)),
                Route(f"{p}/users/search", _endpoint(self.users, v=v)),
                Route(f"{p}/users", _endpoint(self.users, v=v)),
                Route(f"{p}/user/search", _endpoint(self.user_search, v=v)),
                Route(f"{p}/user", _endpoint(self.user, v=v)),
                Route(f"{p}/status", _endpoint(self.statuses, v=v)),
                Route(f"{p}/statuscategory", _endpoint(self.status_categories, v=v)),
                Route(f"{p}/priority", _endpoint(self.priorities, v=v)),
                Route(f"{p}/issuetype", _endpoint(self.issue_types, v=v)),
                Route(f"{p}/resolution", _endpoint(self.resolutions, v=v)),
            ]
        a = "/rest/agile/1.0"
        out += [
            Route(f"{a}/board", _endpoint(self.boards)),
            Route(f"{a}/board/{{id:int}}", _endpoint(self.board)),
            Route(f"{a}/board/{{id:int}}/sprint", _endpoint(self.board_sprints)),
            Route(f"{a}/sprint/{{id:int}}", _endpoint(self.sprint)),
        ]
        return out

    # -- platform -------------------------------------------------------------------------------
    async def server_info(self, request: Request, v: str) -> Response:
        base, jt = self.e.render.base, self.e.clock.jira
        return json_response({
            "baseUrl": base, "displayUrl": base, "displayUrlServicedeskHelpCenter": f"{base}/servicedesk/customer/portals",
            "version": "1001.0.0-SNAPSHOT", "versionNumbers": [1001, 0, 0], "deploymentType": "Cloud",
            "buildNumber": 100296, "buildDate": "2026-10-29T05:12:33.000-0700", "serverTime": jt(self.now),
            "scmInfo": "5fa5f41cd7b5ee1b4e1b0b5dfc5b40b1ed0d7b4a", "serverTitle": "PenguinMails Jira",
            "defaultLocale": {"locale": "en_US"}, "serverTimeZone": s.SITE_TIME_ZONE})

    async def myself(self, request: Request, v: str) -> Response:
        return json_response(self._user_detail(self.e.site.staff.service, v))

    def _user_detail(self, u, v: str) -> dict:
        out = self.e.render.user_dict(u, v)
        out.update(locale="en_US", groups={"size": 2 if u.account_type == "atlassian" else 0, "items": []},
                   applicationRoles={"size": 1 if u.account_type == "atlassian" else 0, "items": []},
                   expand="groups,applicationRoles")
        return out

    async def fields(self, request: Request, v: str) -> Response:
        drift = self.e.drift_ms()
        return json_response(s.FIELDS + ([s.DRIFT_FIELD_DEF] if drift is not None and drift <= self.now else []))

    async def statuses(self, request: Request, v: str) -> Response:
        return json_response([self.e.render.status(sid, v) for sid in s.STATUSES])

    async def status_categories(self, request: Request, v: str) -> Response:
        return json_response([self.e.render.status_category(c, v) for c in s.STATUS_CATEGORIES])

    async def priorities(self, request: Request, v: str) -> Response:
        return json_response([self.e.render.priority_dict(p, v) for p in s.PRIORITIES.values()])

    async def issue_types(self, request: Request, v: str) -> Response:
        return json_response([self.e.render.issuetype_dict(t, v) for t in s.ISSUE_TYPES.values()])

    async def resolutions(self, request: Request, v: str) -> Response:
        return json_response([{"self": f"{self.e.render.rest(v)}/resolution/{r.id}", "id": r.id,
                               "description": r.description, "name": r.name} for r in s.RESOLUTIONS.values()])

    # -- search ---------------------------------------------------------------------------------
    async def search(self, request: Request, v: str) -> Response:
        if request.method == "POST":
            body = await self._json(request)
            jql, token = body.get("jql") or "", body.get("nextPageToken")
            max_results = _int(body.get("maxResults"), 50, "maxResults")
            fields, expand, props = _list(body.get("fields")), _list(body.get("expand")), _list(body.get("properties"))
            reconcile = body.get("reconcileIssues") or []
        else:
            q = request.query_params
            jql, token = q.get("jql", ""), q.get("nextPageToken")
            max_results = _int(q.get("maxResults"), 50, "maxResults")
            fields, expand, props = _list(q.getlist("fields")), _list(q.getlist("expand")), _list(q.getlist("properties"))
            reconcile = _list(q.getlist("reconcileIssues"))
        if len(reconcile) > 50:
            raise BadRequest("reconcileIssues accepts at most 50 issue ids.")
        if max_results < 1:
            raise BadRequest(INVALID_PAYLOAD)
        selection = _selection(fields)
        limit = min(max_results, 5000 if isinstance(selection, str) else 100)
        now = self.now
        rows, next_token = self.e.search.page(jql, now, token, limit)
        body = {"issues": self._issues([r[0] for r in rows], now, v, selection, "changelog" in expand, bool(props))}
        if next_token:
            body["nextPageToken"] = next_token
        body["isLast"] = next_token is None
        if "names" in expand and not isinstance(selection, str):
            body["names"] = {k: name for k, name in s.FIELD_NAMES.items() if selection is None or k in selection}
        return json_response(body)

    def _issues(self, issues, now: int, v: str, selection, changelog: bool, properties: bool) -> list:
        if selection == "id":
            return [{"id": str(i.num)} for i in issues]
        if selection == "key":
            return [{"id": str(i.num), "key": i.key} for i in issues]
        drift, render = self.e.drift_ms(), self.e.render
        return [render.issue(i, now, v, selection, changelog, drift, properties) for i in issues]

    async def approximate_count(self, request: Request, v: str) -> Response:
        body = await self._json(request)
        return json_response({"count": len(self.e.search.run(body.get("jql") or "", self.now).rows)})

    async def search_gone(self, request: Request, v: str) -> Response:
        return jira_error(410, SEARCH_GONE)

    async def bulk_fetch(self, request: Request, v: str) -> Response:
        body = await self._json(request)
        wanted = [str(x) for x in body.get("issueIdsOrKeys") or []]
        if not wanted or len(wanted) > 100:
            raise BadRequest("issueIdsOrKeys must name between 1 and 100 issues.")
        selection = _selection(_list(body.get("fields")) or ["*navigable"])
        now, found, missing = self.now, [], []
        for ref in wanted:
            issue = self._visible(ref, now)
            (found if issue else missing).append(issue or ref)
        issues = self._issues(found, now, v, selection, "changelog" in _list(body.get("expand")),
                              bool(_list(body.get("properties"))))
        return json_response({"expand": "schema,names", "issues": issues,
                              "issueErrors": [{"issueIdOrKey": m, "errorMessages": [NO_ISSUE]} for m in missing]})

    def _visible(self, ref: str, now: int):
        site = self.e.site
        issue = site.by_num.get(int(ref)) if ref.isdigit() else site.by_key.get(ref.upper())
        return issue if issue is not None and issue.record.exists_at(now) else None

    async def issue(self, request: Request, v: str) -> Response:
        now, q = self.now, request.query_params
        issue = self._visible(request.path_params["key"], now)
        if issue is None:
            return jira_error(404, NO_ISSUE)
        selection = _selection(_list(q.getlist("fields")) or ["*all"])
        if isinstance(selection, str):
            selection = frozenset({"key"}) if selection == "key" else frozenset()
        return json_response(self.e.render.issue(issue, now, v, selection, "changelog" in _list(q.getlist("expand")),
                                                 self.e.drift_ms(), bool(_list(q.getlist("properties")))))

    async def changelog(self, request: Request, v: str) -> Response:
        now, q = self.now, request.query_params
        issue = self._visible(request.path_params["key"], now)
        if issue is None:
            return jira_error(404, NO_ISSUE)
        start = max(0, _int(q.get("startAt"), 0, "startAt"))
        size = min(max(1, _int(q.get("maxResults"), CHANGELOG_IN_ISSUE, "maxResults")), CHANGELOG_IN_ISSUE)
        visible = issue.histories[:version_index(issue.record.versions, now)]
        page = visible[start:start + size]
        url = f"{self.e.render.rest(v)}/issue/{issue.key}/changelog"
        body = {"self": f"{url}?{urlencode({'startAt': start, 'maxResults': size})}"}
        last = start + size >= len(visible)
        if not last:
            body["nextPage"] = f"{url}?{urlencode({'startAt': start + size, 'maxResults': size})}"
        body.update(maxResults=size, startAt=start, total=len(visible), isLast=last,
                    values=[self.e.render.history(h, v) for h in page])
        return json_response(body)

    # -- writes: create an issue, comment on one ----------------------------------------------------
    async def create_issue(self, request: Request, v: str) -> Response:
        fields = (await self._json(request)).get("fields")
        if not isinstance(fields, dict):
            raise BadRequest(INVALID_PAYLOAD)
        errors = {}
        ref = fields.get("project") or {}
        project = self._project(str(ref.get("key") or ref.get("id") or "")) if isinstance(ref, dict) else None
        if project is None:
            errors["project"] = "Specify a valid project ID or key"
        issue_type = _pick(fields.get("issuetype"), project.issue_types) if project else None
        if project and issue_type is None:
            errors["issuetype"] = "Specify a valid issue type of the project"
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(summary) > 255:
            errors["summary"] = "Summary must be less than 255 characters."
        raw = fields.get("description")
        description = adf("") if raw is None else _rich_text(raw, v)
        if description is None:
            errors["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
        labels = fields.get("labels") or []
        if not isinstance(labels, list) or not all(isinstance(x, str) and x and " " not in x for x in labels):
            errors["labels"] = "Labels must be a list of words without spaces."
        priority = _pick(fields.get("priority") or {"id": s.MEDIUM}, s.PRIORITIES.values())
        if priority is None:
            errors["priority"] = "Specify the Priority (id or name) in the string format"
        if errors:
            return jira_error(400, errors=errors)
        issue = self.e.site.create_issue(project, issue_type, summary, adf_text(description), tuple(labels),
                                         priority.id, self.e.site.staff.service.account_id, self.now)
        self_url = f"{self.e.render.rest(v)}/issue/{issue.num}"
        return json_response({"id": str(issue.num), "key": issue.key, "self": self_url}, 201)

    async def comments(self, request: Request, v: str) -> Response:
        issue = self._visible(request.path_params["key"], self.now)
        if issue is None:
            return jira_error(404, NO_ISSUE)
        if request.method == "POST":
            body = _rich_text((await self._json(request)).get("body"), v)
            if body is None or not adf_text(body).strip():
                return jira_error(400, errors={"comment": "Comment body can not be empty!"})
            comment = self.e.site.add_comment(issue, self.e.site.staff.service.account_id, body, self.now)
            return json_response(self.e.render.comment(issue, comment, v), 201)
        q = request.query_params
        visible = [c for c in issue.comments if c.at <= self.now]
        start = max(0, _int(q.get("startAt"), 0, "startAt"))
        size = min(max(1, _int(q.get("maxResults"), 100, "maxResults")), 100)
        return json_response({"startAt": start, "maxResults": size, "total": len(visible),
                              "comments": [self.e.render.comment(issue, c, v) for c in visible[start:start + size]]})

    # -- projects and versions ------------------------------------------------------------------
    def _project(self, ref: str) -> s.Project | None:
        return next((p for p in s.PROJECTS.values() if ref in (p.id, p.key) or ref.upper() == p.key), None)

    async def projects(self, request: Request, v: str) -> Response:
        return json_response([self.e.render.project(p, v, False) for p in s.PROJECTS.values()])

    async def project_search(self, request: Request, v: str) -> Response:
        q = request.query_params
        items = [self.e.render.project(p, v, False) for p in sorted(s.PROJECTS.values(), key=lambda p: p.key)]
        return json_response(self._page(request, v, "project/search", items, q, default=50, cap=100))

    def _page(self, request: Request, v: str, path: str, items: list, q, default: int, cap: int) -> dict:
        start = max(0, _int(q.get("startAt"), 0, "startAt"))
        size = min(max(1, _int(q.get("maxResults"), default, "maxResults")), cap)
        url = f"{self.e.render.rest(v)}/{path}"
        last = start + size >= len(items)
        out = {"self": f"{url}?{urlencode({'startAt': start, 'maxResults': size})}"}
        if not last:
            out["nextPage"] = f"{url}?{urlencode({'startAt': start + size, 'maxResults': size})}"
        out.update(maxResults=size, startAt=start, total=len(items), isLast=last, values=items[start:start + size])
        return out

    async def project(self, request: Request, v: str) -> Response:
        p = self._project(request.path_params["key"])
        if p is None:
            return jira_error(404, f"No project could be found with key '{request.path_params['key']}'.")
        return json_response(self.e.render.project(p, v, True))

    def _releases(self, p: s.Project) -> list:
        now = self.now
        return [r for r in self.e.site.releases if p is s.ENG and r.record.created <= now]

    async def project_versions(self, request: Request, v: str) -> Response:
        p = self._project(request.path_params["key"])
        if p is None:
            return jira_error(404, f"No project could be found with key '{request.path_params['key']}'.")
        return json_response([self.e.render.release(r, self.now, v, True) for r in self._releases(p)])

    async def project_version_page(self, request: Request, v: str) -> Response:
        p = self._project(request.path_params["key"])
        if p is None:
            return jira_error(404, f"No project could be found with key '{request.path_params['key']}'.")
        items = [self.e.render.release(r, self.now, v, True) for r in self._releases(p)]
        return json_response(self._page(request, v, f"project/{p.key}/version", items, request.query_params, 50, 50))

    async def version(self, request: Request, v: str) -> Response:
        r = self.e.site.release_by_id.get(request.path_params["id"])
        if r is None or r.record.created > self.now:
            return jira_error(404, f"Could not find version for id '{request.path_params['id']}'")
        return json_response(self.e.render.release(r, self.now, v, True))

    # -- users ----------------------------------------------------------------------------------
    async def users(self, request: Request, v: str) -> Response:
        q = request.query_params
        start = max(0, _int(q.get("startAt"), 0, "startAt"))
        size = min(max(1, _int(q.get("maxResults"), 50, "maxResults")), 1000)
        recs = self.e.site.user_records.visible(self.now)[start:start + size]
        return json_response([self.e.render.user(r.id, v) for r in recs])

    async def user_search(self, request: Request, v: str) -> Response:
        q = request.query_params
        needle = (q.get("query") or q.get("username") or "").lower()
        if not needle:
            raise BadRequest("The query parameter 'query' is required.")
        start = max(0, _int(q.get("startAt"), 0, "startAt"))
        size = min(max(1, _int(q.get("maxResults"), 50, "maxResults")), 1000)
        hits = [r.id for r in self.e.site.user_records.visible(self.now)
                if needle in (r.versions[0][1].email or "").lower() or needle in r.versions[0][1].display_name.lower()]
        return json_response([self.e.render.user(a, v) for a in hits[start:start + size]])

    async def user(self, request: Request, v: str) -> Response:
        account_id = request.query_params.get("accountId", "")
        rec = self.e.site.user_records.by_id.get(account_id)
        if rec is None or rec.created > self.now:
            return jira_error(404, "Specified user does not exist or you do not have required permissions")
        return json_response(self._user_detail(rec.versions[0][1], v))

    # -- agile ----------------------------------------------------------------------------------
    def _agile_page(self, q, items: list, with_total: bool) -> dict:
        start = max(0, _int(q.get("startAt"), 0, "startAt"))
        size = min(max(1, _int(q.get("maxResults"), 50, "maxResults")), 50)
        out = {"maxResults": size, "startAt": start}
        if with_total:
            out["total"] = len(items)
        out.update(isLast=start + size >= len(items), values=items[start:start + size])
        return out

    def _board(self, b) -> dict:
        bid, name, kind, p = b
        return {"id": bid, "self": f"{self.e.render.base}/rest/agile/1.0/board/{bid}", "name": name, "type": kind,
                "location": {"projectId": int(p.id), "displayName": f"{p.name} ({p.key})", "projectName": p.name,
                             "projectKey": p.key, "projectTypeKey": p.type_key,
                             "avatarURI": f"/rest/api/2/universal_avatar/view/type/project/avatar/{10400 + int(p.id) % 100}"
                                          "?size=small",
                             "name": f"{p.name} ({p.key})"}}

    async def boards(self, request: Request) -> Response:
        q = request.query_params
        boards = [b for b in BOARDS
                  if (not q.get("type") or b[2] == q["type"]) and (not q.get("name") or q["name"].lower() in b[1].lower())
                  and (not q.get("projectKeyOrId") or q["projectKeyOrId"] in (b[3].key, b[3].id))]
        return json_response(self._agile_page(q, [self._board(b) for b in boards], True))

    async def board(self, request: Request) -> Response:
        b = next((b for b in BOARDS if b[0] == request.path_params["id"]), None)
        if b is None:
            return jira_error(404, "Board does not exist or you do not have permission to see it.")
        return json_response(self._board(b))

    async def board_sprints(self, request: Request) -> Response:
        b = next((b for b in BOARDS if b[0] == request.path_params["id"]), None)
        if b is None:
            return jira_error(404, "Board does not exist or you do not have permission to see it.")
        if b[2] != "scrum":
            return jira_error(400, "The board does not support sprints")
        q, now = request.query_params, self.now
        states = set(_list(q.getlist("state")))
        items = [self.e.render.sprint(sp, now) for sp in self.e.site.sprints if sp.created <= now]
        items = [x for x in items if not states or x["state"] in states]
        return json_response(self._agile_page(q, items, False))

    async def sprint(self, request: Request) -> Response:
        sp = self.e.site.sprint_by_id.get(request.path_params["id"])
        if sp is None or sp.created > self.now:
            return jira_error(404, f"Sprint with id {request.path_params['id']} does not exist or you do not have "
                                   "permission to see it.")
        return json_response(self.e.render.sprint(sp, self.now))

    @staticmethod
    async def _json(request: Request) -> dict:
        try:
            body = orjson.loads(await request.body() or b"{}")
        except orjson.JSONDecodeError:
            raise BadRequest(INVALID_PAYLOAD) from None
        if not isinstance(body, dict):
            raise BadRequest(INVALID_PAYLOAD)
        return body
