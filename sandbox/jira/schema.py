"""The Jira site's configuration: projects, issue types, workflows' statuses, priorities, resolutions,
fields, JSM request types and the SLA goals. Fixed for every seed, like a site an admin set up once."""
from __future__ import annotations

from dataclasses import dataclass

from sandbox.timeutil import HOUR

SITE_TIME_ZONE = "Etc/UTC"  # what serverInfo reports; JQL dates use the *user's* zone, not this
SERVICE_USER_TIME_ZONE = "America/Los_Angeles"


@dataclass(frozen=True, slots=True)
class StatusCategory:
    id: int
    key: str
    name: str
    color: str


NEW = StatusCategory(2, "new", "To Do", "blue-gray")
IN_FLIGHT = StatusCategory(4, "indeterminate", "In Progress", "yellow")
DONE = StatusCategory(3, "done", "Done", "green")
STATUS_CATEGORIES = (StatusCategory(1, "undefined", "No Category", "medium-gray"), NEW, IN_FLIGHT, DONE)


@dataclass(frozen=True, slots=True)
class Status:
    id: str
    name: str
    category: StatusCategory
    description: str


OPEN = Status("1", "Open", NEW, "The request is waiting for an agent.")
IN_PROGRESS = Status("3", "In Progress", IN_FLIGHT, "This issue is being actively worked on.")
REOPENED = Status("4", "Reopened", IN_FLIGHT, "The customer reopened the request after it was resolved.")
RESOLVED = Status("5", "Resolved", DONE, "A resolution has been taken; awaiting verification or auto-close.")
CLOSED = Status("6", "Closed", DONE, "The issue is considered finished.")
WAITING = Status("10002", "Waiting for customer", IN_FLIGHT, "An agent asked the customer for more information.")
TO_DO = Status("10000", "To Do", NEW, "")
IN_REVIEW = Status("10001", "In Review", IN_FLIGHT, "Code review and QA.")
ENG_DONE = Status("10003", "Done", DONE, "")
STATUSES = {s.id: s for s in (OPEN, IN_PROGRESS, REOPENED, RESOLVED, CLOSED, WAITING, TO_DO, IN_REVIEW, ENG_DONE)}


@dataclass(frozen=True, slots=True)
class Named:
    """An issue type, priority or resolution: an id, a name and a description."""

    id: str
    name: str
    description: str = ""


PRIORITIES = {p.id: p for p in (
    Named("1", "Highest", "This problem will block progress."),
    Named("2", "High", "Serious problem that could block progress."),
    Named("3", "Medium", "Has the potential to affect progress."),
    Named("4", "Low", "Minor problem or easily worked around."),
    Named("5", "Lowest", "Trivial problem with little or no impact on progress."),
)}
HIGHEST, HIGH, MEDIUM, LOW = "1", "2", "3", "4"

RESOLUTIONS = {r.id: r for r in (
    Named("10000", "Done", "Work has been completed on this issue."),
    Named("10001", "Won't Do", "This issue won't be actioned."),
    Named("10002", "Duplicate", "The problem is a duplicate of an existing issue."),
    Named("10003", "Cannot Reproduce", "All attempts at reproducing this issue failed."),
)}
DONE_RESOLUTION = "10000"


@dataclass(frozen=True, slots=True)
class IssueType:
    id: str
    name: str
    description: str
    hierarchy_level: int = 0


SUPPORT_REQUEST = IssueType("10100", "Support request", "Ask the support team for help.")
BUG_REPORT = IssueType("10101", "Bug report", "Something in PenguinMails doesn't work as it should.")
BILLING_QUESTION = IssueType("10102", "Billing question", "Invoices, payments, plans and refunds.")
INCIDENT = IssueType("10103", "Incident", "Sending is down or badly degraded.")
EPIC = IssueType("10000", "Epic", "A big user story that needs to be broken down.", 1)
STORY = IssueType("10001", "Story", "Functionality or a feature expressed as a user goal.")
TASK = IssueType("10002", "Task", "A small, distinct piece of work.")
BUG = IssueType("10004", "Bug", "A problem or error.")
ISSUE_TYPES = {t.id: t for t in (SUPPORT_REQUEST, BUG_REPORT, BILLING_QUESTION, INCIDENT, EPIC, STORY, TASK, BUG)}


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    key: str
    name: str
    type_key: str  # service_desk | software
    description: str
    issue_types: tuple[IssueType, ...]
    statuses: tuple[Status, ...]


SUP = Project("10000", "SUP", "Customer Support", "service_desk", "Requests from PenguinMails customers (JSM portal).",
              (SUPPORT_REQUEST, BUG_REPORT, BILLING_QUESTION, INCIDENT), (OPEN, IN_PROGRESS, WAITING, RESOLVED, CLOSED, REOPENED))
ENG = Project("10001", "ENG", "Engineering", "software", "Product engineering: two-week sprints, monthly releases.",
              (EPIC, STORY, TASK, BUG), (TO_DO, IN_PROGRESS, IN_REVIEW, ENG_DONE))
# where the data platform opens a follow-up per account that enters the "at risk" health tier
CS = Project("10002", "CS", "Customer Success", "business", "Follow-ups on customer accounts (at-risk accounts are "
             "opened by the data platform).", (TASK,), (TO_DO, IN_PROGRESS, ENG_DONE))
PROJECTS = {p.key: p for p in (SUP, ENG, CS)}
SERVICE_DESK_ID = "1"

# JSM request type shown in the "Request Type" field, per SUP issue type
REQUEST_TYPES = {
    SUPPORT_REQUEST.id: ("11", "Get help with PenguinMails", "Questions about campaigns, warm-up and deliverability."),
    BUG_REPORT.id: ("12", "Report a bug", "Tell us what broke and how to reproduce it."),
    BILLING_QUESTION.id: ("13", "Billing and invoices", "Payments, invoices, plan changes and refunds."),
    INCIDENT.id: ("14", "Report an outage", "Emails aren't sending or the app is down."),
}

# SLA goals (calendar time, 24x7) per priority: time to first response, time to resolution
SLA_GOALS_MS = {
    HIGHEST: (1 * HOUR * 1000, 8 * HOUR * 1000),
    HIGH: (4 * HOUR * 1000, 24 * HOUR * 1000),
    MEDIUM: (8 * HOUR * 1000, 72 * HOUR * 1000),
    LOW: (24 * HOUR * 1000, 120 * HOUR * 1000),
}

CUSTOMER_TIER_OPTIONS = {"Enterprise": "10120", "Growth": "10121", "Self-serve": "10122"}

SPRINT_FIELD = "customfield_10020"
POINTS_FIELD = "customfield_10016"
RANK_FIELD = "customfield_10019"
ORGANIZATIONS_FIELD = "customfield_10002"
REQUEST_TYPE_FIELD = "customfield_10010"
DRIFT_FIELD = "customfield_10099"  # "Customer tier", added to the site when schema drift starts


def _system(fid: str, name: str, schema: dict, clauses: tuple[str, ...] = (), orderable: bool = True,
            searchable: bool = True) -> dict:
    return {"id": fid, "key": fid, "name": name, "custom": False, "orderable": orderable, "navigable": True,
            "searchable": searchable, "clauseNames": list(clauses or (fid,)), "schema": schema}


def _custom(fid: str, name: str, type_: str, custom: str, items: str | None = None) -> dict:
    num = int(fid.rsplit("_", 1)[1])
    schema = {"type": type_, "custom": custom, "customId": num}
    if items:
        schema = {"type": type_, "items": items, "custom": custom, "customId": num}
    return {"id": fid, "key": fid, "name": name, "untranslatedName": name, "custom": True, "orderable": True,
            "navigable": True, "searchable": True, "clauseNames": [f"cf[{num}]", name], "schema": schema}


FIELDS = [
    _system("issuekey", "Key", {}, ("id", "issue", "issuekey", "key"), orderable=False),
    _system("summary", "Summary", {"type": "string", "system": "summary"}),
    _system("description", "Description", {"type": "string", "system": "description"}),
    _system("issuetype", "Issue Type", {"type": "issuetype", "system": "issuetype"}, ("issuetype", "type")),
    _system("project", "Project", {"type": "project", "system": "project"}),
    _system("parent", "Parent", {"type": "issuelink", "system": "parent"}),
    _system("status", "Status", {"type": "status", "system": "status"}, orderable=False),
    _system("statusCategory", "Status Category", {"type": "statusCategory", "system": "statusCategory"}, orderable=False),
    _system("priority", "Priority", {"type": "priority", "system": "priority"}),
    _system("resolution", "Resolution", {"type": "resolution", "system": "resolution"}),
    _system("resolutiondate", "Resolved", {"type": "datetime", "system": "resolutiondate"}, ("resolutiondate", "resolved"),
            orderable=False),
    _system("assignee", "Assignee", {"type": "user", "system": "assignee"}),
    _system("reporter", "Reporter", {"type": "user", "system": "reporter"}),
    _system("creator", "Creator", {"type": "user", "system": "creator"}, orderable=False),
    _system("created", "Created", {"type": "datetime", "system": "created"}, ("created", "createdDate"), orderable=False),
    _system("updated", "Updated", {"type": "datetime", "system": "updated"}, ("updated", "updatedDate"), orderable=False),
    _system("statuscategorychangedate", "Status Category Changed", {"type": "datetime", "system": "statuscategorychangedate"},
            ("statusCategoryChangedDate",), orderable=False),
    _system("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}),
    _system("issuelinks", "Linked Issues", {"type": "array", "items": "issuelinks", "system": "issuelinks"}, ("issueLink",)),
    _system("fixVersions", "Fix versions", {"type": "array", "items": "version", "system": "fixVersions"}, ("fixVersion",)),
    _system("versions", "Affects versions", {"type": "array", "items": "version", "system": "versions"}, ("affectedVersion",)),
    _system("components", "Components", {"type": "array", "items": "component", "system": "components"}, ("component",)),
    _system("duedate", "Due date", {"type": "date", "system": "duedate"}, ("due", "duedate")),
    _system("environment", "Environment", {"type": "string", "system": "environment"}),
    _system("subtasks", "Sub-tasks", {"type": "array", "items": "issuelinks", "system": "subtasks"}, ("subtasks",),
            orderable=False),
    _system("watches", "Watchers", {"type": "watches", "system": "watches"}, ("watchers",), orderable=False),
    _system("votes", "Votes", {"type": "votes", "system": "votes"}, orderable=False),
    _system("lastViewed", "Last Viewed", {"type": "datetime", "system": "lastViewed"}, orderable=False, searchable=False),
    _custom(SPRINT_FIELD, "Sprint", "array", "com.pyxis.greenhopper.jira:gh-sprint", items="json"),
    _custom(POINTS_FIELD, "Story point estimate", "number", "com.pyxis.greenhopper.jira:jsw-story-points"),
    _custom(RANK_FIELD, "Rank", "any", "com.pyxis.greenhopper.jira:gh-lexo-rank"),
    _custom(ORGANIZATIONS_FIELD, "Organizations", "array", "com.atlassian.servicedesk:sd-customer-organizations",
            items="sd-customerorganization"),
    _custom(REQUEST_TYPE_FIELD, "Request Type", "sd-customerrequesttype", "com.atlassian.servicedesk:vp-origin"),
]
DRIFT_FIELD_DEF = _custom(DRIFT_FIELD, "Customer tier", "option", "com.atlassian.jira.plugin.system.customfieldtypes:select")
FIELD_NAMES = {f["id"]: f["name"] for f in FIELDS + [DRIFT_FIELD_DEF]}
