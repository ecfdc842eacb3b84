"""Jira Cloud: API constants, the fields an issue search asks for, and the `TableSpec` of every table.

Issues are flattened for analysts: the names of their status, priority, type and resolution, the
reporter's and assignee's account ids (and the reporter's email, the link to the other systems), the
ids of their sprints, fix versions and linked issues. Custom fields are found by their type on the
site's `/field` list (their ids differ from site to site) and renamed (`customfield_10020` →
`sprint`); custom fields we do not know keep their id and arrive as JSON text (schema drift).
Times become UTC timestamps.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pyarrow as pa

from pipelines.sources.common.arrow import JSON, TIMESTAMP, Column, TableSpec

SOURCE = "jira"
CREDENTIAL_VARS = "JIRA_EMAIL and JIRA_API_TOKEN (and JIRA_URL)"
URL = "https://your-site.atlassian.net"
TIMEOUT = (10, 120)  # seconds to connect, and to wait for a byte of the answer (a hung request is retried)

# JQL compares dates to the minute in the service user's zone; re-reading this much before the newest
# `updated` we loaded catches later updates inside that minute and issues the search index showed late
LOOKBACK = timedelta(minutes=10)
SCOPE_JQL = "created IS NOT EMPTY"  # every issue the service user can see (search rejects unbounded JQL)
SEARCH_PAGE = 100  # issues per search page when fields are requested (Jira's maximum)
ID_PAGE = 5000  # issues per search page when only ids are requested
CHANGELOG_PAGE = 100  # histories per `/issue/{id}/changelog` page; search embeds the newest 100
USER_PAGE = 1000
AGILE_PAGE = 50  # the agile API's maximum
VERSION_PAGE = 50
PROJECT_PAGE = 50

# the system fields an issue search asks for (every custom field is asked for too)
ISSUE_FIELDS = ("summary", "description", "issuetype", "project", "status", "statuscategorychangedate", "priority",
                "resolution", "resolutiondate", "reporter", "assignee", "creator", "created", "updated", "labels",
                "fixVersions", "parent", "issuelinks", "duedate")
# custom fields by `schema.custom` type → the name they get in the issues table
CUSTOM_FIELDS = {
    "com.pyxis.greenhopper.jira:gh-sprint": "sprint",
    "com.pyxis.greenhopper.jira:jsw-story-points": "story_points",
    "com.pyxis.greenhopper.jira:gh-lexo-rank": "rank",
    "com.atlassian.servicedesk:sd-customer-organizations": "organizations",
    "com.atlassian.servicedesk:vp-origin": "request_type",
}

S, I, F, B = pa.string(), pa.int64(), pa.float64(), pa.bool_()


def _ids(values: Any) -> list:
    """The ids of a list of objects (sprints, fix versions), as Jira types them; Jira sends null for none."""
    return [v.get("id") for v in values if isinstance(v, dict)] if isinstance(values, list) else []


def _linked_ids(links: Any) -> list[str] | None:
    """The ids of the issues an issue links to, whichever direction the link points."""
    if not isinstance(links, list):
        return None
    return [str((lk.get("outwardIssue") or lk.get("inwardIssue") or {}).get("id")) for lk in links]


def _first_org(field: str):
    return lambda orgs: str(orgs[0][field]) if isinstance(orgs, list) and orgs else None


def _orgs(orgs: Any) -> list[dict] | None:
    return [{"id": str(o.get("id")), "name": o.get("name")} for o in orgs] if isinstance(orgs, list) else None


def _date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


ISSUES = TableSpec("issues", "id", (
    Column("id", S),
    Column("key", S),
    Column("project_id", S, ("project", "id")),
    Column("project_key", S, ("project", "key")),
    Column("issuetype", S, ("issuetype", "name")),
    Column("issuetype_id", S, ("issuetype", "id")),
    Column("summary", S),
    Column("description", S),
    Column("status", S, ("status", "name")),
    Column("status_id", S, ("status", "id")),
    Column("status_category", S, ("status", "statusCategory", "key")),
    Column("status_category_changed", TIMESTAMP, ("statuscategorychangedate",)),
    Column("priority", S, ("priority", "name")),
    Column("priority_id", S, ("priority", "id")),
    Column("resolution", S, ("resolution", "name")),
    Column("resolutiondate", TIMESTAMP),
    Column("reporter_account_id", S, ("reporter", "accountId")),
    Column("reporter_email", S, ("reporter", "emailAddress")),
    Column("reporter_display_name", S, ("reporter", "displayName")),
    Column("assignee_account_id", S, ("assignee", "accountId")),
    Column("assignee_display_name", S, ("assignee", "displayName")),
    Column("creator_account_id", S, ("creator", "accountId")),
    Column("created", TIMESTAMP),
    Column("updated", TIMESTAMP),
    Column("duedate", pa.date32(), convert=_date),
    Column("labels", JSON),
    Column("sprint_ids", JSON, ("sprint",), _ids),
    Column("fix_version_ids", JSON, ("fixVersions",), _ids),
    Column("story_points", F),
    Column("rank", S),
    Column("parent_id", S, ("parent", "id")),
    Column("parent_key", S, ("parent", "key")),
    Column("linked_issue_ids", JSON, ("issuelinks",), _linked_ids),
    Column("organisation_id", S, ("organizations",), _first_org("id")),
    Column("organisation", S, ("organizations",), _first_org("name")),
    Column("organizations", JSON, convert=_orgs),
    Column("request_type", S, ("request_type", "requestType", "name")),
    Column("request_type_id", S, ("request_type", "requestType", "id")),
))

# one row per changelog item: a history (who, when) changes one or more fields
ISSUE_CHANGELOG = TableSpec("issue_changelog", ("history_id", "item_index"), (
    Column("history_id", S),
    Column("item_index", I),
    Column("issue_id", S),
    Column("created", TIMESTAMP),
    Column("author_account_id", S),
    Column("field", S),
    Column("field_type", S, ("fieldtype",)),
    Column("field_id", S, ("fieldId",)),
    Column("from_value", S, ("from",)),
    Column("from_string", S, ("fromString",)),
    Column("to_value", S, ("to",)),
    Column("to_string", S, ("toString",)),
))

PROJECTS = TableSpec("projects", "id", (
    Column("id", S),
    Column("key", S),
    Column("name", S),
    Column("description", S),
    Column("project_type_key", S, ("projectTypeKey",)),
    Column("lead_account_id", S, ("lead", "accountId")),
    Column("is_private", B, ("isPrivate",)),
), ignore=frozenset({"self", "expand", "avatarUrls", "issueTypes", "components", "versions", "roles", "properties"}))

USERS = TableSpec("users", "account_id", (
    Column("account_id", S, ("accountId",)),
    Column("account_type", S, ("accountType",)),
    Column("display_name", S, ("displayName",)),
    Column("email", S, ("emailAddress",)),
    Column("active", B),
    Column("time_zone", S, ("timeZone",)),
    Column("locale", S),
), ignore=frozenset({"self", "avatarUrls"}))

SPRINTS = TableSpec("sprints", "id", (
    Column("id", I),
    Column("board_id", I, ("originBoardId",)),
    Column("name", S),
    Column("goal", S),
    Column("state", S),
    Column("start_date", TIMESTAMP, ("startDate",)),
    Column("end_date", TIMESTAMP, ("endDate",)),
    Column("complete_date", TIMESTAMP, ("completeDate",)),
    Column("created_date", TIMESTAMP, ("createdDate",)),
), ignore=frozenset({"self"}))

VERSIONS = TableSpec("versions", "id", (
    Column("id", S),
    Column("project_id", S, ("projectId",), _text),
    Column("name", S),
    Column("description", S),
    Column("released", B),
    Column("archived", B),
    Column("overdue", B),
    Column("start_date", pa.date32(), ("startDate",), _date),
    Column("release_date", pa.date32(), ("releaseDate",), _date),
), ignore=frozenset({"self", "userStartDate", "userReleaseDate"}))

DESCRIPTIONS = {
    "issues": "Jira issues (SUP support tickets, ENG work), flattened; incremental on `updated`, merged on `id`; "
              "deleted issues kept with `_deleted`.",
    "issue_changelog": "One row per field change of an issue (status, assignee, priority…), merged on "
                       "(`history_id`, `item_index`); for time-in-status and SLAs.",
    "projects": "Jira projects, read whole every run.",
    "users": "Jira accounts (staff, JSM customers, apps), read whole every run.",
    "sprints": "Sprints of every scrum board, read whole every run.",
    "versions": "Versions (releases) of every project, read whole every run.",
}
