"""Issues and users as the site keeps them, and how a change becomes a version plus a changelog entry.

Jira times are kept in epoch milliseconds (Jira shows milliseconds); records are compared with
`world.now * 1000`. An issue's `record.versions[i + 1]` is the state after `histories[i]`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NamedTuple

from sandbox.jira.schema import PRIORITIES, RESOLUTIONS, STATUSES, IssueType, Project
from sandbox.store import Record


@dataclass(frozen=True, slots=True)
class User:
    account_id: str
    account_type: str  # atlassian | customer | app
    display_name: str
    email: str | None
    time_zone: str


@dataclass(frozen=True, slots=True)
class Link:
    id: int
    other: int  # Jira id of the linked issue
    outward: bool  # True on the issue that created the link


class IssueState(NamedTuple):
    status: str
    assignee: str | None
    priority: str
    resolution: str | None
    resolved: int | None  # resolutiondate, ms
    status_changed: int  # statuscategorychangedate, ms
    labels: tuple[str, ...] = ()
    sprints: tuple[int, ...] = ()
    fix_versions: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    points: float | None = None


# (field, fieldtype, fieldId, from, fromString, to, toString), as in a changelog item
Item = tuple[str, str, str, str | None, str | None, str | None, str | None]


class History(NamedTuple):
    id: int
    at: int
    author: str
    items: tuple[Item, ...]


@dataclass(slots=True)
class Change:
    """What one changelog entry does; each set attribute is one changelog item."""

    status: str | None = None
    assignee: str | None = None  # accountId; "" unassigns
    priority: str | None = None
    resolution: str | None = None  # resolution id; "" clears it
    labels: tuple[str, ...] | None = None
    sprint: int | None = None  # sprint id added to the issue's sprints
    fix_version: str | None = None
    link: tuple[int, "Draft", bool] | None = None  # (link id, the other issue, outward)
    points: float | None = None


@dataclass(slots=True)
class Draft:
    """An issue while the world is being derived: static facts, its first state and its changes."""

    project: Project
    type: IssueType
    created: int
    summary: str
    description: str
    reporter: str
    creator: str
    first: IssueState
    events: list[tuple[int, str, Change]] = field(default_factory=list)  # (at, author accountId, change)
    deleted: int | None = None
    org: tuple[str, str] | None = None  # JSM organisation (id, name)
    account: int | None = None  # world account index of the reporter's company
    tier: str | None = None  # "Customer tier" (the schema-drift field)
    parent: "Draft | None" = None
    num: int = 0  # Jira id, assigned once every draft exists
    key: str = ""


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    at: int
    author: str  # accountId
    body: dict  # an Atlassian Document Format document


@dataclass(slots=True)
class Issue:
    num: int
    key: str
    project: Project
    type: IssueType
    summary: str
    description: str
    reporter: str
    creator: str
    created: int
    record: Record[IssueState]
    histories: list[History]
    org: tuple[str, str] | None
    account: int | None
    tier: str | None
    parent: int | None
    rank: str
    comments: list[Comment] = field(default_factory=list)  # added through the API (the world has none)

    def updated_at(self, changed: int, now: int) -> int:
        """Jira's `updated` at `now`: the last change (`changed`, the version's time) or a later comment."""
        if not self.comments:
            return changed
        return max([changed, *(c.at for c in self.comments if c.at <= now)])


class ChangeWriter:
    """Applies `Change`s to issue states and writes the changelog items Jira would record."""

    def __init__(self, user_name: Callable[[str], str], sprint_name: Callable[[int], str],
                 version_name: Callable[[str], str], next_history_id: Callable[[], int]):
        self.user_name, self.sprint_name, self.version_name = user_name, sprint_name, version_name
        self.next_history_id = next_history_id

    def apply(self, state: IssueState, at: int, author: str, change: Change) -> tuple[IssueState, History]:
        (status, assignee, priority, resolution, resolved, status_changed, labels, sprints, fix_versions, links,
         points) = state
        items: list[Item] = []
        if change.status is not None and change.status != status:
            old, new = STATUSES[status], STATUSES[change.status]
            items.append(("status", "jira", "status", old.id, old.name, new.id, new.name))
            status = new.id
            if old.category is not new.category:
                status_changed = at
        if change.assignee is not None and (change.assignee or None) != assignee:
            new_a = change.assignee or None
            items.append(("assignee", "jira", "assignee", assignee, self.user_name(assignee) if assignee else None,
                          new_a, self.user_name(new_a) if new_a else None))
            assignee = new_a
        if change.priority is not None and change.priority != priority:
            items.append(("priority", "jira", "priority", priority, PRIORITIES[priority].name,
                          change.priority, PRIORITIES[change.priority].name))
            priority = change.priority
        if change.resolution is not None and (change.resolution or None) != resolution:
            new_r = change.resolution or None
            items.append(("resolution", "jira", "resolution", resolution, RESOLUTIONS[resolution].name if resolution else None,
                          new_r, RESOLUTIONS[new_r].name if new_r else None))
            resolution, resolved = new_r, at if new_r else None
        if change.labels is not None and change.labels != labels:
            items.append(("labels", "jira", "labels", None, " ".join(labels) or None, None, " ".join(change.labels) or None))
            labels = change.labels
        if change.sprint is not None and change.sprint not in sprints:
            new_s = sprints + (change.sprint,)
            items.append(("Sprint", "custom", "customfield_10020", ", ".join(map(str, sprints)) or None,
                          ", ".join(map(self.sprint_name, sprints)) or None,
                          ", ".join(map(str, new_s)), ", ".join(map(self.sprint_name, new_s))))
            sprints = new_s
        if change.fix_version is not None and change.fix_version not in fix_versions:
            items.append(("Fix Version", "jira", "fixVersions", None, None, change.fix_version,
                          self.version_name(change.fix_version)))
            fix_versions = fix_versions + (change.fix_version,)
        if change.link is not None:
            link_id, other, outward = change.link
            items.append(("Link", "jira", "issuelinks", None, None, other.key, f"This issue relates to {other.key}"))
            links = links + (Link(link_id, other.num, outward),)
        if change.points is not None and change.points != points:
            items.append(("Story point estimate", "custom", "customfield_10016", None, _num(points), None, _num(change.points)))
            points = change.points
        new_state = IssueState(status, assignee, priority, resolution, resolved, status_changed, labels, sprints,
                               fix_versions, links, points)
        return new_state, History(self.next_history_id(), at, author, tuple(items))

    def build(self, draft: Draft, rank: str) -> Issue:
        """The issue with a version per change (changes that change nothing are dropped)."""
        state = draft.first
        versions: list[tuple[int, IssueState]] = [(draft.created, state)]
        histories: list[History] = []
        for at, author, change in sorted(draft.events, key=lambda e: e[0]):
            if draft.deleted is not None and at >= draft.deleted:
                break
            new_state, history = self.apply(state, at, author, change)
            if history.items:
                state = new_state
                versions.append((at, state))
                histories.append(history)
        record = Record(str(draft.num), draft.created, versions, deleted=draft.deleted)
        return Issue(draft.num, draft.key, draft.project, draft.type, draft.summary, draft.description, draft.reporter,
                     draft.creator, draft.created, record, histories, draft.org, draft.account, draft.tier,
                     draft.parent.num if draft.parent else None, rank)


def version_index(versions: list, t: int) -> int:
    """Index of the version in force at `t` (issues have few versions: a reverse scan beats bisect)."""
    i = len(versions) - 1
    while i > 0 and versions[i][0] > t:
        i -= 1
    return i


def _num(v: float | None) -> str | None:
    if v is None:
        return None
    return str(int(v)) if float(v).is_integer() else str(v)
