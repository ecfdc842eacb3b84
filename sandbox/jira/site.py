"""The whole Jira site derived from the world: users, projects, sprints, releases and issues, and the
same-minute updates planted when the clock advances."""
from __future__ import annotations

import itertools
import random

from sandbox.jira import schema as s
from sandbox.jira.engineering import Engineering
from sandbox.jira.model import Change, ChangeWriter, Comment, Issue, IssueState, User
from sandbox.jira.people import AUTOMATION, build_staff
from sandbox.jira.tickets import SupportDesk
from sandbox.store import Collection, Record
from sandbox.world.model import World

MINUTE_MS = 60_000
FOLLOWUP_LABEL = "customer-followup"


class JiraSite:
    def __init__(self, world: World, service_email: str):
        self.world = world
        self.staff = build_staff(world, service_email)
        desk = SupportDesk(world, self.staff)
        desk.build()
        link_ids = itertools.count(10000)
        eng = Engineering(world, self.staff, lambda: next(link_ids))
        eng.build(desk.escalations)
        self.sprints, self.releases = eng.sprints, eng.releases
        self.sprint_by_id = {sp.id: sp for sp in self.sprints}
        self.release_by_id = {r.id: r for r in self.releases}

        members = self.staff.members() + list(desk.customers.values())
        self.users: dict[str, User] = {u.account_id: u for _, u in members}
        self.user_records = Collection([Record(u.account_id, t, [(t, u)]) for t, u in members],
                                       sort_key=lambda r: (r.created, r.id))

        drafts = sorted(desk.drafts + eng.drafts, key=lambda d: d.created)  # stable: ties keep derivation order
        counters = dict.fromkeys(s.PROJECTS, 0)
        for i, d in enumerate(drafts):
            counters[d.project.key] += 1
            d.num, d.key = 10001 + i, f"{d.project.key}-{counters[d.project.key]}"
        history_ids = itertools.count(10000)
        self.writer = ChangeWriter(lambda a: self.users[a].display_name, lambda sid: self.sprint_by_id[sid].name,
                                   lambda vid: self.release_by_id[vid].name, lambda: next(history_ids))
        self.issues: list[Issue] = [self.writer.build(d, f"0|i{d.num - 10000:05x}:") for d in drafts]
        for d in drafts:  # linked drafts point at each other through their events: let reference counting free them
            d.events = []
        self.by_num = {i.num: i for i in self.issues}
        self.by_key = {i.key: i for i in self.issues}
        self.epoch = 0  # bumped whenever issues change after the derivation (planted updates, API writes)
        self.comment_ids = itertools.count(10000)
        self.writes: list[dict] = []  # issues and comments created through the API, in order
        self._plant_boundary(world.now * 1000 - MINUTE_MS, world.now * 1000)

    def create_issue(self, project: s.Project, issue_type: s.IssueType, summary: str, description: str,
                     labels: tuple[str, ...], priority: str, author: str, at: int) -> Issue:
        """A new issue in `project`'s first status, created by `author` at `at` (ms)."""
        num = self.issues[-1].num + 1
        key = f"{project.key}-{sum(1 for i in self.issues if i.project is project) + 1}"
        state = IssueState(project.statuses[0].id, None, priority, None, None, at, labels)
        issue = Issue(num, key, project, issue_type, summary, description, author, author, at,
                      Record(str(num), at, [(at, state)]), [], None, None, None, None, f"0|i{num - 10000:05x}:")
        self.issues.append(issue)
        self.by_num[num], self.by_key[key] = issue, issue
        self._changed("create_issue", issue, at, summary)
        return issue

    def add_comment(self, issue: Issue, author: str, body: dict, at: int) -> Comment:
        comment = Comment(next(self.comment_ids), at, author, body)
        issue.comments.append(comment)
        self._changed("comment", issue, at, str(comment.id))
        return comment

    def _changed(self, action: str, issue: Issue, at: int, what: str) -> None:
        self.writes.append({"seq": len(self.writes) + 1, "at": at, "action": action, "key": issue.key, "what": what})
        self.epoch += 1

    def visible_issues(self, now_ms: int) -> list[Issue]:
        return [i for i in self.issues if i.record.exists_at(now_ms)]

    def on_advance(self, old: int, new: int) -> None:
        """Plants the updates a minute-precision JQL cursor can miss (docs/sandbox/jira.md, "Same-minute updates").

        1. Follow-ups in the cursor's minute: the issues whose last update at or before `old` lies in
           `old`'s minute (else the latest-updated issue) change again a few seconds after `old`,
           still inside that minute.
        2. A minute boundary: two quiet issues change at exactly hh:mm:00.000, the last whole minute
           at or before `new`, so the next sync's newest row sits on a minute boundary and step 1 of
           the following advance lands in the same minute.
        """
        old_ms, new_ms = old * 1000, new * 1000
        rng = random.Random(f"{self.world.seed}:jira:advance:{old}:{new}")
        quiet = self._quiet(old_ms)
        minute = old_ms // MINUTE_MS * MINUTE_MS
        room = minute + MINUTE_MS - old_ms  # ms left in old's minute after old
        if quiet and room > 1000:
            latest = max(quiet, key=lambda i: (i.record.versions[-1][0], i.num))
            same_minute = [i for i in quiet if i.record.versions[-1][0] >= minute]
            for issue in (same_minute or [latest])[:3]:
                at = old_ms + rng.randrange(1000, min(room, 20_000))
                if at <= new_ms:
                    self._followup(issue, at)
        self._plant_boundary(old_ms, new_ms, rng)

    def _plant_boundary(self, old_ms: int, new_ms: int, rng: random.Random | None = None) -> None:
        at = new_ms // MINUTE_MS * MINUTE_MS
        quiet = [i for i in self._quiet(old_ms) if i.record.versions[-1][0] < at]
        if at <= old_ms or not quiet:
            return
        rng = rng or random.Random(f"{self.world.seed}:jira:boundary:{new_ms}")
        for issue in rng.sample(quiet, min(2, len(quiet))):
            self._followup(issue, at)

    def _quiet(self, t_ms: int) -> list[Issue]:
        """Issues that exist at `t_ms`, are never deleted and have no change after it (so one can be appended)."""
        return [i for i in self.issues if i.created <= t_ms and i.record.deleted is None and i.record.versions[-1][0] <= t_ms]

    def _followup(self, issue: Issue, at: int) -> None:
        """Automation tags (or untags) the issue: one changelog entry, one new version."""
        state = issue.record.versions[-1][1]
        labels = tuple(x for x in state.labels if x != FOLLOWUP_LABEL) if FOLLOWUP_LABEL in state.labels \
            else state.labels + (FOLLOWUP_LABEL,)
        new_state, history = self.writer.apply(state, at, AUTOMATION.account_id, Change(labels=labels))
        issue.record.add_version(at, new_state)
        issue.histories.append(history)
        self.epoch += 1
