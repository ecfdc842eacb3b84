"""The ENG project: two-week sprints on one scrum board, releases every four weeks, epics, planned
stories/tasks/bugs, and bugs escalated from support tickets (linked to them).

Everything draws from `Random(f"{seed}:jira:eng")`, independent of the per-account streams.
"""
from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sandbox.jira import schema as s
from sandbox.jira.model import Change, Draft, IssueState, User
from sandbox.jira.people import Staff
from sandbox.jira.tickets import Escalation, Weights, lognormal_minutes
from sandbox.store import Record
from sandbox.timeutil import DAY, HOUR, ts
from sandbox.world.model import WORLD_START, World

BOARD_ID = 1
FIRST_SPRINT = ts(2024, 11, 4, 17)  # a Monday, 09:00 in Los Angeles
SPRINT_DAYS = 14
POINTS = (1, 2, 3, 5, 8, 13)
GOALS = ("Ship inbox rotation v2", "Deliverability dashboard", "Stabilise the sending pipeline", "Billing self-service",
         "Faster CSV imports", "Warm-up scheduler rewrite", "Reply detection accuracy", "Onboarding checklist",
         "API rate limits and keys", "Reporting performance")
WORK = ("inbox rotation", "warm-up scheduler", "CSV import", "campaign reports", "reply detection", "webhooks",
        "billing page", "onboarding flow", "public API", "tracking domains", "unsubscribe handling", "A/B tests")
STORY_VERBS = ("Add filters to", "Let admins configure", "Show progress in", "Support bulk edit in", "Redesign",
               "Add audit log for")
TASK_VERBS = ("Upgrade dependencies of", "Add metrics to", "Refactor", "Write runbook for", "Load-test", "Clean up flags in")
BUG_VERBS = ("Fix crash in", "Fix time zone handling in", "Fix pagination of", "Fix race condition in", "Fix memory leak in")
ENG_TYPES = Weights((s.STORY, 55), (s.TASK, 30), (s.BUG, 15))
ENG_PRIORITIES = Weights((s.HIGH, 15), (s.MEDIUM, 70), (s.LOW, 15))
LA = ZoneInfo(s.SERVICE_USER_TIME_ZONE)


@dataclass(frozen=True, slots=True)
class SprintState:
    state: str  # future | active | closed
    start: int | None  # ms
    end: int | None
    complete: int | None


@dataclass(slots=True)
class Sprint:
    id: int
    name: str
    goal: str
    created: int  # ms
    start: int
    end: int
    complete: int
    record: Record[SprintState]


@dataclass(frozen=True, slots=True)
class ReleaseState:
    released: bool
    archived: bool


@dataclass(slots=True)
class Release:
    id: str
    name: str
    description: str
    start_date: str  # yyyy-mm-dd (project's local date)
    release_date: str
    release_at: int  # ms
    record: Record[ReleaseState]


class Engineering:
    def __init__(self, world: World, staff: Staff, next_link_id):
        self.world, self.staff, self.next_link_id = world, staff, next_link_id
        self.rng = random.Random(f"{world.seed}:jira:eng")
        self.horizon_ms = world.horizon * 1000
        self.sprints: list[Sprint] = []
        self.releases: list[Release] = []
        self.drafts: list[Draft] = []
        self._epics: list[Draft] = []

    def build(self, escalations: list[Escalation]) -> None:
        self._sprints()
        self._releases()
        self._planned_work()
        self._escalated_bugs(escalations)

    def _sprints(self) -> None:
        rng, t, n = self.rng, FIRST_SPRINT, 1
        while t < self.world.horizon + 4 * 7 * DAY:
            created = (t - SPRINT_DAYS * DAY if n > 1 else WORLD_START - 10 * DAY) * 1000
            start = (t + rng.randrange(30 * 60)) * 1000
            end = (t + SPRINT_DAYS * DAY - HOUR) * 1000
            complete = end - rng.randrange(5 * HOUR) * 1000
            record = Record(str(n), created, [(created, SprintState("future", None, None, None)),
                                              (start, SprintState("active", start, end, None)),
                                              (complete, SprintState("closed", start, end, complete))])
            self.sprints.append(Sprint(n, f"ENG Sprint {n}", rng.choice(GOALS), created, start, end, complete, record))
            t, n = t + SPRINT_DAYS * DAY, n + 1
        self._starts = [sp.start for sp in self.sprints]

    def _releases(self) -> None:
        per_year: dict[int, int] = {}
        for k, sp in enumerate(self.sprints[1::2], start=1):
            at = sp.complete + 2 * HOUR * 1000
            local = datetime.fromtimestamp(at / 1000, LA)
            per_year[local.year] = per_year.get(local.year, 0) + 1
            created = at - 8 * 7 * DAY * 1000
            if created >= self.horizon_ms:
                break
            start_date = datetime.fromtimestamp((at - 28 * DAY * 1000) / 1000, LA).date().isoformat()
            record = Record(str(10000 + k), created, [(created, ReleaseState(False, False)), (at, ReleaseState(True, False)),
                                                     (at + 180 * DAY * 1000, ReleaseState(True, True))])
            self.releases.append(Release(str(10000 + k), f"{local.year}.{per_year[local.year]}",
                                         f"Release train {k}: {self.rng.choice(GOALS).lower()}.", start_date,
                                         local.date().isoformat(), at, record))
        self._release_times = [r.release_at for r in self.releases]

    def release_after(self, t: int) -> Release | None:
        i = bisect.bisect_left(self._release_times, t)
        return self.releases[i] if i < len(self.releases) else None

    def sprint_after(self, t: int) -> Sprint | None:
        i = bisect.bisect_right(self._starts, t)
        return self.sprints[i] if i < len(self.sprints) else None

    def sprint_active(self, t: int) -> Sprint | None:
        i = bisect.bisect_right(self._starts, t) - 1
        return self.sprints[i] if i >= 0 and t < self.sprints[i].complete else None

    def _planned_work(self) -> None:
        rng, manager = self.rng, self.staff.manager
        per_sprint = 10 + 2 * len(self.staff.engineers)
        for i, sp in enumerate(self.sprints):
            if sp.start >= self.horizon_ms:
                break
            if i % 4 == 0:
                self._epic(sp, i)
            for _ in range(per_sprint + rng.randrange(5)):
                itype = ENG_TYPES.draw(rng)
                created = sp.start - rng.randrange(DAY, 12 * DAY) * 1000 - rng.randrange(1000)
                reporter = manager if itype is s.STORY else rng.choice(self.staff.engineers)
                verb = {s.STORY.id: STORY_VERBS, s.TASK.id: TASK_VERBS, s.BUG.id: BUG_VERBS}[itype.id]
                summary = f"{rng.choice(verb)} {rng.choice(WORK)}"
                points = None if itype is s.TASK and rng.random() < 0.3 else float(rng.choice(POINTS))
                d = Draft(s.ENG, itype, created, summary, f"{summary}.\n\nAcceptance criteria to be refined in planning.",
                          reporter.account_id, reporter.account_id,
                          IssueState(s.TO_DO.id, None, ENG_PRIORITIES.draw(rng), None,
                                     None, created, points=points))
                epic = self._epics[-1] if self._epics else None
                if itype is s.STORY and epic is not None and epic.created < created and rng.random() < 0.7:
                    d.parent = epic
                # refinement fills the next sprint in the days before it starts
                planned = max(created + 60_000, sp.start - rng.randrange(2 * HOUR, 3 * DAY) * 1000)
                if points is not None and rng.random() < 0.08:
                    d.events.append(((created + planned) // 2, manager.account_id, Change(points=float(rng.choice(POINTS)))))
                descoped = rng.random() < 0.1
                self._work(d, sp, planned, delay_sprint=descoped)
                self.drafts.append(d)

    def _epic(self, sp: Sprint, i: int) -> None:
        rng, manager = self.rng, self.staff.manager
        created = sp.start - 5 * DAY * 1000 - rng.randrange(DAY) * 1000
        goal = rng.choice(GOALS)
        d = Draft(s.ENG, s.EPIC, created, goal, f"Epic: {goal}.", manager.account_id, manager.account_id,
                  IssueState(s.TO_DO.id, None, s.MEDIUM, None, None, created))
        d.events.append((sp.start, manager.account_id, Change(status=s.IN_PROGRESS.id, assignee=manager.account_id)))
        last = self.sprints[min(len(self.sprints) - 1, i + rng.randrange(4, 7))]
        d.events.append((last.complete + rng.randrange(4 * HOUR) * 1000, manager.account_id,
                         Change(status=s.ENG_DONE.id, resolution=s.DONE_RESOLUTION)))
        d.events = [e for e in d.events if e[0] < self.horizon_ms]
        self._epics.append(d)
        self.drafts.append(d)

    def _work(self, d: Draft, sp: Sprint, planned: int, delay_sprint: bool = False) -> int:
        """Adds the issue to `sp` at `planned` and works it to Done (carried over while unfinished); the done time."""
        rng, manager = self.rng, self.staff.manager.account_id
        d.events.append((planned, manager, Change(sprint=sp.id)))
        engineer = rng.choice(self.staff.engineers).account_id
        first_day = max(planned, sp.start) + (SPRINT_DAYS * DAY * 1000 if delay_sprint else 0)
        started = first_day + rng.randrange(8 * DAY) * 1000 + rng.randrange(1000)
        review = started + lognormal_minutes(rng, 36 * 60, 0.8)
        done = review + lognormal_minutes(rng, 6 * 60, 1.0)
        d.events.append((started, engineer, Change(status=s.IN_PROGRESS.id, assignee=engineer)))
        d.events.append((review, engineer, Change(status=s.IN_REVIEW.id)))
        release = self.release_after(done)
        d.events.append((done, engineer, Change(status=s.ENG_DONE.id, resolution=s.DONE_RESOLUTION,
                                                fix_version=release.id if release else None)))
        cur = sp
        while done > cur.complete:
            nxt = self.sprint_after(cur.start)
            if nxt is None:
                break
            d.events.append((cur.complete, manager, Change(sprint=nxt.id)))
            cur = nxt
        d.events = [e for e in d.events if e[0] < self.horizon_ms]
        return done

    def _escalated_bugs(self, escalations: list[Escalation]) -> None:
        """One ENG bug per distinct problem: while a bug is open, new reports of it are linked to it."""
        rng = self.rng
        open_bugs: list[tuple[Draft, int]] = []
        for e in sorted(escalations, key=lambda e: (e.at, e.ticket.created)):
            if e.at >= self.horizon_ms:
                continue
            open_bugs = [(b, done) for b, done in open_bugs if done > e.at and e.at - b.created < 30 * DAY * 1000]
            if open_bugs and rng.random() < min(0.75, len(open_bugs) / 4):
                self._link(rng.choice(open_bugs)[0], e.ticket, e.at, e.agent)
                continue
            bug = Draft(s.ENG, s.BUG, e.at, f"[{e.ticket.type.name}] {e.ticket.summary}",
                        f"Escalated from the service desk.\n\n{e.ticket.description}", e.agent.account_id, e.agent.account_id,
                        IssueState(s.TO_DO.id, None, e.priority, None, None, e.at,
                                   points=float(rng.choice(POINTS[:4]))))
            self._link(bug, e.ticket, e.at, e.agent)
            urgent = e.priority in (s.HIGHEST, s.HIGH) and self.sprint_active(e.at) is not None
            sp = self.sprint_active(e.at) if urgent else self.sprint_after(e.at)
            if sp is not None and not urgent and rng.random() < 0.4:
                sp = self.sprint_after(sp.start) or sp
            if sp is None:
                self.drafts.append(bug)
                continue
            if urgent:
                planned = e.at + rng.randrange(30 * 60, 2 * 3600) * 1000
            else:
                planned = max(e.at, sp.start - rng.randrange(2 * HOUR, 3 * DAY) * 1000)
            open_bugs.append((bug, self._work(bug, sp, planned)))
            self.drafts.append(bug)

    def _link(self, bug: Draft, ticket: Draft, at: int, agent: User) -> None:
        link_id = self.next_link_id()
        ticket.events.append((at, agent.account_id, Change(link=(link_id, bug, True))))
        bug.events.append((at, agent.account_id, Change(link=(link_id, ticket, False))))
