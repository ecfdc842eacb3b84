"""Support tickets (the SUP service desk) raised by the world's customers, and spam.

Each account draws from `Random(f"{seed}:jira:{account idx}")`. Tickets arrive at a rate set by
whether the account is trialling or paying and by its health (unhealthy accounts raise more, and
more urgent ones); failed renewals and cancellations bring billing questions. Every ticket walks
the JSM workflow Open → In Progress ⇄ Waiting for customer → Resolved → Closed (some reopen), with
first-response and resolution delays that sometimes breach the SLA goals (schema.SLA_GOALS_MS).
"""
from __future__ import annotations

import bisect
import functools
import itertools
import math
import random
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sandbox.jira import schema as s
from sandbox.jira.model import Change, Draft, IssueState, User
from sandbox.jira.people import AUTOMATION, Staff, customer
from sandbox.timeutil import DAY, HOUR
from sandbox.world import names
from sandbox.world.model import Account, World

class Weights:
    """Options with weights, drawn by bisecting the cumulative weights."""

    def __init__(self, *options):
        self.values = [v for v, _ in options]
        self.cum = list(itertools.accumulate(w for _, w in options))

    def draw(self, rng: random.Random):
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


MINUTE_MS = 60_000
MONTH = 30 * DAY
FREE_MAIL = frozenset(names.FREE_MAIL)

TYPE_WEIGHTS = Weights((s.SUPPORT_REQUEST, 52), (s.BUG_REPORT, 24), (s.BILLING_QUESTION, 17), (s.INCIDENT, 7))
PRIORITY_WEIGHTS = {
    s.INCIDENT.id: Weights((s.HIGHEST, 60), (s.HIGH, 40)),
    s.BUG_REPORT.id: Weights((s.HIGH, 30), (s.MEDIUM, 50), (s.LOW, 20)),
    s.BILLING_QUESTION.id: Weights((s.HIGH, 15), (s.MEDIUM, 60), (s.LOW, 25)),
    s.SUPPORT_REQUEST.id: Weights((s.HIGH, 10), (s.MEDIUM, 55), (s.LOW, 35)),
}
# median minutes to the first response and of the agent's work to a resolution, per priority
FIRST_RESPONSE_MEDIAN = {s.HIGHEST: 15, s.HIGH: 70, s.MEDIUM: 180, s.LOW: 420}
WORK_MEDIAN = {s.HIGHEST: 120, s.HIGH: 360, s.MEDIUM: 960, s.LOW: 1800}
RESOLUTION_WEIGHTS = Weights((s.DONE_RESOLUTION, 85), ("10001", 6), ("10002", 5), ("10003", 4))
WAIT_ROUNDS = Weights((0, 40), (1, 35), (2, 18), (3, 7))
PROVIDERS = ("Gmail", "Outlook", "Yahoo", "Zoho", "Google Workspace", "Microsoft 365")
SUMMARIES = {
    s.SUPPORT_REQUEST.id: (
        "How do I set up DKIM for {domain}?", "Warm-up stuck at day {n}", "Emails landing in spam at {provider}",
        "Can't connect my {provider} mailbox", "How do I import contacts from a CSV?", "Question about daily sending limits",
        "Add a teammate to our workspace", "Campaign paused unexpectedly", "Reply detection not working",
        "Need help with a custom tracking domain", "How does inbox rotation pick mailboxes?", "Export campaign results"),
    s.BUG_REPORT.id: (
        "Campaign stats show 0 opens", "Scheduler sends outside the configured window", "CSV import fails at row {n}",
        "Unsubscribe link returns 404", "Inbox rotation skips a mailbox", "Webhook not firing on replies",
        "A/B variant B never sent", "Wrong time zone in campaign report", "Duplicate emails to the same lead"),
    s.BILLING_QUESTION.id: (
        "Card declined on renewal", "Need a copy of last month's invoice", "Update our billing email",
        "Were we charged twice this month?", "Switch to annual billing", "VAT number missing on invoice",
        "Refund request", "Add seats to our plan"),
    s.INCIDENT.id: (
        "Emails not sending since {n}:00", "App down: 502 errors", "All campaigns paused for no reason",
        "Mailbox connections failing for the whole team"),
}
LABELS = ("deliverability", "warmup", "integrations", "api", "onboarding", "reporting")
SPAM_SUMMARIES = ("Boost your SEO ranking today!!!", "Guest post opportunity on high-DA sites", "Cheap followers, fast delivery",
                  "Partnership proposal (crypto)", "Your website has 37 errors - free audit")


@dataclass(slots=True)
class Escalation:
    """A bug report or incident an agent hands to engineering."""

    at: int  # ms
    ticket: Draft
    priority: str
    agent: User


def between(rng: random.Random, lo: int, hi: int) -> int:
    """A uniform integer in [lo, hi) (cheaper than `randrange` on the hot path)."""
    return lo + int(rng.random() * (hi - lo))


def lognormal_minutes(rng: random.Random, median: float, sigma: float) -> int:
    """A delay in ms with the given median (minutes) and a long tail."""
    return int(median * math.exp(rng.gauss(0.0, sigma)) * MINUTE_MS + rng.random() * 1000)


def poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def customer_tier(account: Account) -> str:
    return "Enterprise" if account.employees >= 300 else "Growth" if account.employees >= 40 else "Self-serve"


class SupportDesk:
    """Derives every SUP ticket, the customer accounts that raised them, and the escalations to ENG."""

    def __init__(self, world: World, staff: Staff):
        self.world, self.staff = world, staff
        self.horizon_ms = world.horizon * 1000
        self.drafts: list[Draft] = []
        self.escalations: list[Escalation] = []
        self.customers: dict[str, tuple[int, User]] = {}  # accountId -> (created ms, user)
        self._by_person: dict[int, User] = {}

    def build(self) -> None:
        for account in self.world.accounts:
            if account.signup_at is not None:
                self._account(account)
        self._spam()

    def _account(self, a: Account) -> None:
        rng = random.Random(f"{self.world.seed}:jira:{a.idx}")
        arrivals = [(t, None) for t in self._arrivals(rng, a)]
        for sub in a.subscriptions:
            for f in sub.failures:  # a declined renewal: the billing contact writes in
                if rng.random() < 0.45:
                    arrivals.append((f.invoice_at + rng.randrange(2 * HOUR, 2 * DAY), s.BILLING_QUESTION))
            if sub.cancel_reason == "cancellation_requested" and rng.random() < 0.3:
                asked = sub.cancel_at_period_end_since or sub.ended_at
                arrivals.append((asked - rng.randrange(HOUR, 3 * DAY), s.BILLING_QUESTION))
        offset = _utc_offset_guess(a.time_zone)
        for t, kind in sorted(arrivals, key=lambda x: x[0]):
            t = _working_hours(rng, t, offset)
            if t < self.world.horizon:
                self._ticket(rng, a, t, kind)

    def _arrivals(self, rng: random.Random, a: Account) -> list[int]:
        """Ticket times from 30-day windows whose rate follows trial/customer status and health."""
        end = a.signup_at + MONTH
        for sub in a.subscriptions:
            end = max(end, (sub.ended_at or self.world.horizon) + 2 * MONTH)
        end = min(end, self.world.horizon)
        size = 0.6 + 0.25 * math.log10(max(3, a.employees))
        out, t = [], a.signup_at
        while t < end:
            mid = t + MONTH // 2
            if a.is_customer_at(mid):
                base = 0.16
            elif any(sub.trial_end and sub.created <= mid < sub.trial_end for sub in a.subscriptions):
                base = 0.3
            else:
                base = 0.03
            rate = base * size * (1 + 2.5 * (1 - a.health_at(mid)))
            span = min(MONTH, end - t)
            out += [t + between(rng, 0, span) for _ in range(poisson(rng, rate * span / MONTH))]
            t += MONTH
        return out

    def _ticket(self, rng: random.Random, a: Account, t: int, kind: s.IssueType | None) -> None:
        people = [p for p in a.people if p.created <= t] or a.people[:1]
        if kind is s.BILLING_QUESTION:
            people = [p for p in people if p.role == "billing"] or people
        person = rng.choice(people)
        created = t * 1000 + between(rng, 0, 1000)
        reporter = self._by_person.get(person.key)
        if reporter is None:
            reporter = self._by_person[person.key] = customer(self.world.seed, person, a.time_zone)
            self.customers[reporter.account_id] = (created, reporter)
        itype = kind or TYPE_WEIGHTS.draw(rng)
        priority = PRIORITY_WEIGHTS[itype.id].draw(rng)
        if a.health_at(t) < 0.4 and priority != s.HIGHEST and rng.random() < 0.4:
            priority = str(int(priority) - 1)  # unhappy customers push harder
        summary = rng.choice(SUMMARIES[itype.id]).format(domain=a.domain, n=between(rng, 2, 30),
                                                        provider=rng.choice(PROVIDERS))
        free_mail = person.email.rsplit("@", 1)[1] in FREE_MAIL
        org = None if free_mail or rng.random() < 0.08 else (str(a.idx + 1), a.name)
        labels = (rng.choice(LABELS),) if itype is s.SUPPORT_REQUEST and rng.random() < 0.4 else ()
        draft = Draft(s.SUP, itype, created, summary,
                      f"{summary}\n\nSent from the customer portal by {person.first}.",
                      reporter.account_id, reporter.account_id,
                      IssueState(s.OPEN.id, None, priority, None, None, created, labels),
                      org=org, account=a.idx, tier=customer_tier(a))
        self._workflow(rng, draft, priority, reporter)
        self.drafts.append(draft)

    def _workflow(self, rng: random.Random, d: Draft, priority: str, reporter: User) -> None:
        """Open → In Progress ⇄ Waiting for customer → Resolved (→ Reopened → …) → Closed."""
        ev = d.events
        t = d.created + lognormal_minutes(rng, FIRST_RESPONSE_MEDIAN[priority], 0.9)
        agent = rng.choice(self.staff.agents_at(t))
        ev.append((t, agent.account_id, Change(status=s.IN_PROGRESS.id, assignee=agent.account_id)))
        if d.type in (s.BUG_REPORT, s.INCIDENT) and rng.random() < (0.4 if d.type is s.BUG_REPORT else 0.5):
            self.escalations.append(Escalation(t + between(rng, 10 * MINUTE_MS, 6 * 60 * MINUTE_MS), d, priority, agent))
        if priority != s.HIGHEST and rng.random() < 0.05:
            t += lognormal_minutes(rng, 60, 1.0)
            priority = str(int(priority) - 1)
            ev.append((t, agent.account_id, Change(priority=priority)))
        for _ in range(WAIT_ROUNDS.draw(rng)):
            t += lognormal_minutes(rng, 90, 1.0)
            ev.append((t, agent.account_id, Change(status=s.WAITING.id)))
            if rng.random() < 0.05:  # the customer never answers: automation resolves after 5 days
                t += 5 * DAY * 1000
                ev.append((t, AUTOMATION.account_id, Change(status=s.RESOLVED.id, resolution=s.DONE_RESOLUTION)))
                break
            t += lognormal_minutes(rng, 600, 1.2)
            ev.append((t, reporter.account_id, Change(status=s.IN_PROGRESS.id)))
        else:
            t += lognormal_minutes(rng, WORK_MEDIAN[priority], 1.0)
            ev.append((t, agent.account_id, Change(status=s.RESOLVED.id, resolution=RESOLUTION_WEIGHTS.draw(rng))))
        if rng.random() < 0.07:
            t += lognormal_minutes(rng, 1200, 1.0)
            ev.append((t, reporter.account_id, Change(status=s.REOPENED.id, resolution="")))
            t += lognormal_minutes(rng, 120, 1.0)
            ev.append((t, agent.account_id, Change(status=s.IN_PROGRESS.id)))
            t += lognormal_minutes(rng, WORK_MEDIAN[priority], 1.0)
            ev.append((t, agent.account_id, Change(status=s.RESOLVED.id, resolution=s.DONE_RESOLUTION)))
        t += between(rng, 3 * DAY * 1000, 7 * DAY * 1000)
        ev.append((t, AUTOMATION.account_id, Change(status=s.CLOSED.id)))
        d.events = [e for e in ev if e[0] < self.horizon_ms]

    def _spam(self) -> None:
        """Spam through the portal, deleted by an agent about a day later (Jira deletes for good)."""
        w = self.world
        rng = random.Random(f"{w.seed}:jira:spam")
        weekly = 0.5 + len(w.accounts) / 4000
        t = w.start
        while t < w.horizon:
            for _ in range(poisson(rng, weekly)):
                created = (t + rng.randrange(7 * DAY)) * 1000 + rng.randrange(1000)
                if created >= self.horizon_ms:
                    continue
                handle = f"{rng.choice(names.FIRST_NAMES).lower()}{rng.randrange(100, 999)}"
                spammer = User(f"qm:{rng.randrange(10**7, 10**8)}:{rng.randrange(10**11, 10**12)}", "customer",
                               handle, f"{handle}@{rng.choice(('seo-rank', 'growfast', 'linkboost'))}.biz", "Etc/UTC")
                self.customers[spammer.account_id] = (created, spammer)
                summary = rng.choice(SPAM_SUMMARIES)
                d = Draft(s.SUP, s.SUPPORT_REQUEST, created, summary, summary, spammer.account_id, spammer.account_id,
                          IssueState(s.OPEN.id, None, s.LOW, None, None, created))
                agent = rng.choice(self.staff.agents_at(created))
                d.events.append((created + rng.randrange(HOUR, 5 * HOUR) * 1000, agent.account_id, Change(labels=("spam",))))
                d.deleted = created + rng.randrange(20 * HOUR, 30 * HOUR) * 1000
                self.drafts.append(d)
            t += 7 * DAY


@functools.cache
def _utc_offset_guess(time_zone: str) -> int:
    """Standard-time offset (s) of the customer's zone; good enough to place tickets in working hours."""
    return int(datetime(2025, 1, 15, tzinfo=ZoneInfo(time_zone)).utcoffset().total_seconds())


def _working_hours(rng: random.Random, t: int, offset: int) -> int:
    """Moves most arrivals into 08:00–18:00 local on weekdays (people write in during work)."""
    if rng.random() >= 0.8:
        return t
    local_day = (t + offset) // DAY
    weekday = (local_day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    if weekday >= 5:
        local_day += 7 - weekday
    return local_day * DAY - offset + between(rng, 8 * HOUR, 18 * HOUR)
