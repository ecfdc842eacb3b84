"""Gmail v1, metadata first: the shared sales and success mailboxes' threads with customer people
around deals, onboarding, QBRs, renewals and support questions.

A message arrives at `at`, inbound ones are read later (UNREAD goes) and a few are deleted. Every
change has a history id that grows with time (`(t - HISTORY_EPOCH) * 4 + kind`), so `history.list`
is a bisect; history older than `HISTORY_DAYS` is gone (404, as Gmail answers: do a full sync).
`format=full`/`raw` are served with a generated body, but a token with the `gmail.metadata` scope gets
Gmail's 403 for them and for `q`, which is how a pipeline proves it never reads bodies."""
from __future__ import annotations

import base64
import bisect
import math
import random
from collections import defaultdict
from email.utils import format_datetime
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.routing import Route

from sandbox.google.auth import GMAIL_METADATA
from sandbox.google.gmail_query import compile_query
from sandbox.google.ids import message_id
from sandbox.google.meetings import Meeting, quarter_label
from sandbox.google.paging import SortedView, ViewCache
from sandbox.google.team import MAILBOXES, SALES, SUCCESS, Team
from sandbox.google.web import ApiError, bool_param, decode_cursor, encode_token, endpoint, int_param, invalid
from sandbox.timeutil import DAY, HOUR
from sandbox.world import World
from sandbox.world.model import Account

MINUTE = 60
HISTORY_EPOCH = 1_600_000_000  # 2020-09-13: history id = seconds since then × 4 + the kind of change
HISTORY_DAYS = 7
ADDED, READ, DELETED = 1, 2, 3
OUR_ZONE = ZoneInfo("America/New_York")
SUPPORT_TOPICS = ("Question about warmup limits", "Bounce rate spike on our main domain", "Copy of last invoice",
                  "Adding a seat for a new SDR", "DKIM setup help", "Emails landing in spam", "Export of campaign stats",
                  "Change billing contact", "Dedicated IP question", "API rate limits")
BODIES = {
    "intro": "Great to connect. As promised, here is a short overview of how PenguinMails keeps cold email out of spam.",
    "followup": "Following up on our conversation: the next step on our side is ready whenever you are.",
    "reply": "Thanks, that works for us. Let me loop in the rest of the team.",
    "won": "Welcome aboard! Your workspace is ready and your onboarding call is being scheduled.",
    "welcome": "Welcome to PenguinMails! I'm your customer success manager; let's set up your first domains together.",
    "qbr": "Ahead of our quarterly review, here is the agenda: deliverability, volumes, and your goals for next quarter.",
    "renewal": "Your subscription renews soon. Happy to walk through usage and options on a quick call.",
    "support": "Hi team, we ran into an issue and would appreciate your help.",
    "answer": "Thanks for reaching out. Here is what we found and how to fix it.",
}


class Message:
    __slots__ = ("id", "thread", "box", "at", "sender", "to", "cc", "subject", "inbound", "kind", "read_at",
                 "deleted_at", "important", "reply_to")

    def __init__(self, id, thread, box, at, sender, to, cc, subject, inbound, kind, read_at, deleted_at, important, reply_to):
        self.id, self.thread, self.box, self.at = id, thread, box, at
        self.sender, self.to, self.cc, self.subject = sender, to, cc, subject
        self.inbound, self.kind, self.read_at, self.deleted_at = inbound, kind, read_at, deleted_at
        self.important, self.reply_to = important, reply_to

    def exists_at(self, t: int) -> bool:
        return self.at <= t and (self.deleted_at is None or t < self.deleted_at)

    def labels_at(self, t: int) -> list[str]:
        if not self.inbound:
            return ["IMPORTANT", "SENT"] if self.important else ["SENT"]
        unread = ["UNREAD"] if self.read_at is None or self.read_at > t else []
        return unread + (["IMPORTANT"] if self.important else []) + ["CATEGORY_PERSONAL", "INBOX"]


def history_id(t: int, kind: int) -> int:
    return (t - HISTORY_EPOCH) * 4 + kind


def history_time(hid: int) -> int:
    return hid // 4 + HISTORY_EPOCH


class Mailbox:
    def __init__(self, address: str, messages: list[Message]):
        self.address = address
        self.messages = sorted(messages, key=lambda m: (m.at, m.id))
        self.times = [m.at for m in self.messages]
        self.by_id = {m.id: m for m in self.messages}
        base = -HISTORY_EPOCH * 4
        events = [((m.at * 4 + base + ADDED), m.id, ADDED, m) for m in self.messages]
        events += [((m.read_at * 4 + base + READ), m.id, READ, m) for m in self.messages if m.read_at is not None]
        events += [((m.deleted_at * 4 + base + DELETED), m.id, DELETED, m) for m in self.messages if m.deleted_at is not None]
        events.sort()  # (history id, message id) is unique
        self.history = [(hid, kind, m) for hid, _, kind, m in events]
        self.hids = [e[0] for e in events]

    def add(self, m: Message) -> None:
        i = bisect.bisect_right(self.times, m.at)
        self.times.insert(i, m.at)
        self.messages.insert(i, m)
        self.by_id[m.id] = m
        hid = history_id(m.at, ADDED)
        j = bisect.bisect_right(self.hids, hid)
        self.hids.insert(j, hid)
        self.history.insert(j, (hid, ADDED, m))

    def current_history_id(self, now: int) -> int:
        i = bisect.bisect_right(self.hids, history_id(now, DELETED))
        return self.hids[i - 1] if i else history_id(now, 0)

    def message_history_id(self, m: Message, now: int) -> int:
        return max(history_id(t, k) for t, k in ((m.at, ADDED), (m.read_at, READ), (m.deleted_at, DELETED))
                   if t is not None and t <= now)


# --- planning the threads of one account

def _person(p) -> str:
    return f"{p.first} {p.last} <{p.email}>"


class _Threads:
    """Builds the messages of an account's threads in one mailbox, keeping each thread's times increasing."""

    def __init__(self, rng: random.Random, horizon: int, out: dict[str, list[Message]]):
        self.rng, self.horizon, self.out = rng, horizon, out

    def thread(self, box: str, subject: str, steps) -> None:
        """`steps`: (earliest time, inbound, sender, to, cc, kind); a step before the previous one moves after it."""
        first, prev, last = None, None, 0
        for at, inbound, sender, to, cc, kind in steps:
            at = max(at, last + MINUTE)
            if at >= self.horizon:
                return
            rng = self.rng
            mid = message_id(at * 1000, rng.getrandbits(20))
            read = at + rng.randrange(3 * MINUTE, 30 * HOUR) if inbound and rng.random() < 0.96 else None
            deleted = at + rng.randrange(DAY, 10 * DAY) if inbound and rng.random() < 0.005 else None
            m = Message(mid, first.id if first else mid, box, at, sender, to, cc, subject if first is None else f"Re: {subject}",
                        inbound, kind, read, deleted, rng.random() < 0.3, prev.id if prev else None)
            self.out[box].append(m)
            first, prev, last = first or m, m, at


def _poisson(rng: random.Random, lam: float) -> int:
    k, p, limit = 0, rng.random(), math.exp(-lam)
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def plan_messages(world: World, team: Team, meetings: list[Meeting]) -> dict[str, list[Message]]:
    out: dict[str, list[Message]] = {box: [] for box in MAILBOXES}
    by_account: dict[int, list[Meeting]] = defaultdict(list)
    for m in meetings:
        by_account[m.account].append(m)
    for acct in world.accounts:
        _account_threads(world, team, acct, by_account.get(acct.idx, []), out)
    return out


def _account_threads(world: World, team: Team, acct: Account, meetings: list[Meeting], out) -> None:
    rng = random.Random(f"{world.seed}:google:{acct.idx}:gmail")
    threads = _Threads(rng, world.horizon, out)
    people = {p.key: p for p in acct.people}
    company = acct.name
    r = rng.randrange

    def known(keys, t):
        return [people[k] for k in keys if people[k].created <= t] or [acct.people[0]]

    for deal in acct.deals:
        if deal.pipeline != "sales":
            continue
        rep = team.reps[deal.owner]
        ours = f"{rep.name} <{SALES}>"
        champ = known(deal.contact_keys, deal.created)[0]
        subject = f"Growing {company} on PenguinMails" if deal.kind == "expansion" else f"PenguinMails × {company}"
        t = deal.created + r(10 * MINUTE, 3 * HOUR)
        steps = [(t, False, ours, _person(champ), rep.email, "intro")]
        if rng.random() < 0.7:
            steps.append((t + r(2 * HOUR, 3 * DAY), True, _person(champ), SALES, None, "reply"))
        for at, stage in deal.stages[1:]:
            if stage == "closedwon":
                steps.append((at + r(10 * MINUTE, 2 * HOUR), False, ours, _person(champ), rep.email, "won"))
            elif stage == "closedlost":
                if rng.random() < 0.6:
                    steps.append((at + r(0, HOUR), True, _person(champ), SALES, None, "reply"))
            else:
                steps.append((at + r(5 * MINUTE, 4 * HOUR), False, ours, _person(champ), rep.email, "followup"))
                if rng.random() < 0.5:
                    who = rng.choice(known(deal.contact_keys, at))
                    steps.append((at + r(HOUR, 2 * DAY), True, _person(who), SALES, None, "reply"))
        threads.thread(SALES, subject, steps)

    for m in meetings:
        if m.calendar != SUCCESS:
            continue
        csm = team.by_email[m.host]
        ours = f"{csm.name} <{SUCCESS}>"
        guest = people[m.people[0]]
        if m.kind == "onboarding":
            t = m.booked - r(10 * MINUTE, 50 * MINUTE)
            steps = [(t, False, ours, _person(guest), csm.email, "welcome")]
            if rng.random() < 0.6:
                steps.append((t + r(HOUR, 2 * DAY), True, _person(guest), SUCCESS, None, "reply"))
                if rng.random() < 0.5:
                    steps.append((t + r(2 * DAY, 3 * DAY), False, ours, _person(guest), csm.email, "answer"))
            threads.thread(SUCCESS, f"Welcome to PenguinMails, {guest.first}!", steps)
        elif m.kind in ("qbr", "renewal"):
            t = m.booked + r(10 * MINUTE, 2 * HOUR) if m.kind == "qbr" else m.booked - r(HOUR, DAY)
            subject = (f"{company} QBR {quarter_label(m.start)} — agenda" if m.kind == "qbr"
                       else f"Your PenguinMails renewal — {company}")
            steps = [(t, False, ours, _person(guest), csm.email, m.kind)]
            if rng.random() < (0.5 if m.kind == "qbr" else 0.4):
                steps.append((t + r(HOUR, 2 * DAY), True, _person(guest), SUCCESS, None, "reply"))
            threads.thread(SUCCESS, subject, steps)

    csm = team.csm_of(acct.idx)
    ours = f"{csm.name} <{SUCCESS}>"
    for sub in acct.subscriptions:
        if sub.incomplete or sub.cancel_reason == "trial_expired":
            continue
        end = min(sub.ended_at or world.horizon, world.horizon)
        months = max(0.0, (end - sub.billing_start) / (30 * DAY))
        for _ in range(min(12, _poisson(rng, months * (0.06 + 0.2 * (1 - acct.health))))):
            t = sub.billing_start + r(max(1, end - sub.billing_start))
            who = rng.choice(known([p.key for p in acct.people], t))
            steps = [(t, True, _person(who), SUCCESS, None, "support"),
                     (t + r(20 * MINUTE, 8 * HOUR), False, ours, _person(who), None, "answer")]
            if rng.random() < 0.4:
                steps.append((t + r(9 * HOUR, 2 * DAY), True, _person(who), SUCCESS, None, "reply"))
            threads.thread(SUCCESS, rng.choice(SUPPORT_TOPICS), steps)


# --- the API

class GmailApi:
    def __init__(self, emu, team: Team, meetings: list[Meeting]):
        self.emu = emu
        self.boxes = {box: Mailbox(box, msgs) for box, msgs in plan_messages(emu.world, team, meetings).items()}
        self.views = ViewCache()

    def routes(self) -> list[Route]:
        base = "/gmail/v1/users/{userId}"
        return [Route(base + "/profile", self.profile), Route(base + "/messages", self.list_messages),
                Route(base + "/messages/{id}", self.get_message), Route(base + "/history", self.list_history)]

    def _mailbox(self, request: Request):
        now = self.emu.world.now
        grant = self.emu.auth.require(request, now, "gmail")
        if grant.subject is None:
            raise ApiError(400, "Precondition check failed.", "failedPrecondition")
        if grant.subject not in self.boxes:
            raise ApiError(400, "Mail service not enabled", "failedPrecondition")
        user = request.path_params["userId"].lower()
        if user not in ("me", grant.subject):
            raise ApiError(403, f"Delegation denied for {grant.subject}", "forbidden")
        return self.boxes[grant.subject], grant

    @endpoint()
    async def profile(self, request: Request) -> dict:
        box, _ = self._mailbox(request)
        now = self.emu.world.now
        visible = [m for m in box.messages[:bisect.bisect_right(box.times, now)] if m.exists_at(now)]
        return {"emailAddress": box.address, "messagesTotal": len(visible), "threadsTotal": len({m.thread for m in visible}),
                "historyId": str(box.current_history_id(now))}

    @endpoint()
    async def list_messages(self, request: Request) -> dict:
        box, grant = self._mailbox(request)
        now = self.emu.world.now
        q = request.query_params
        if "q" in q and GMAIL_METADATA in grant.scopes:
            raise ApiError(403, "Metadata scope does not support 'q' parameter", "forbidden")
        limit = int_param(request, "maxResults", 100, 1, 500)
        labels = tuple(sorted(q.getlist("labelIds")))
        bool_param(request, "includeSpamTrash")  # validated only: deletions are permanent, nothing sits in SPAM/TRASH
        text = q.get("q", "")
        pred = compile_query(text, now)

        def build() -> SortedView[Message]:
            arrived = box.messages[:bisect.bisect_right(box.times, now)]
            if labels or text:
                arrived = [m for m in arrived if (have := m.labels_at(now)) and all(x in have for x in labels) and pred(m, have)]
            return SortedView(((-m.at, -int(m.id, 16)), m) for m in arrived if m.exists_at(now))

        view = self.views.get((box.address, now, labels, text), build)
        after = decode_cursor(q["pageToken"]) if "pageToken" in q else None
        items, next_key = view.page(after, limit)
        body = {"resultSizeEstimate": len(view)}
        if items:
            body["messages"] = [{"id": m.id, "threadId": m.thread} for m in items]
        if next_key is not None:
            body["nextPageToken"] = encode_token(list(next_key))
        return body

    @endpoint()
    async def get_message(self, request: Request) -> dict:
        box, grant = self._mailbox(request)
        now = self.emu.world.now
        fmt = request.query_params.get("format", "full")
        if fmt not in ("minimal", "full", "raw", "metadata"):
            raise invalid(f"Invalid value at 'format' ({fmt})", "format")
        if fmt in ("full", "raw") and GMAIL_METADATA in grant.scopes:
            raise ApiError(403, f"Metadata scope doesn't allow format {fmt.upper()}", "forbidden")
        m = box.by_id.get(request.path_params["id"])
        if m is None or not m.exists_at(now):
            raise ApiError(404, "Requested entity was not found.", "notFound")
        return self.render(m, box, now, fmt, request.query_params.getlist("metadataHeaders"))

    def _headers(self, m: Message, box: Mailbox) -> list[dict]:
        zone = OUR_ZONE if not m.inbound else ZoneInfo("UTC")
        headers = [("Delivered-To", box.address), ("MIME-Version", "1.0"),
                   ("Date", format_datetime(datetime.fromtimestamp(m.at, zone))),
                   ("Message-ID", f"<{m.id}.{m.box.split('@')[0]}@mail.gmail.com>"), ("Subject", m.subject),
                   ("From", m.sender), ("To", m.to)]
        if m.cc:
            headers.append(("Cc", m.cc))
        if m.reply_to:
            ref = f"<{m.reply_to}.{m.box.split('@')[0]}@mail.gmail.com>"
            headers += [("In-Reply-To", ref), ("References", ref)]
        headers.append(("Content-Type", f'multipart/alternative; boundary="000000000000{m.id[-12:]}"'))
        return [{"name": k, "value": v} for k, v in headers]

    def _body(self, m: Message) -> str:
        first = m.to.split(" ")[0] if "<" in m.to else "team"
        signature = m.sender.split(" <")[0]
        return f"Hi {first},\r\n\r\n{BODIES[m.kind]}\r\n\r\nBest,\r\n{signature}\r\n"

    def render(self, m: Message, box: Mailbox, now: int, fmt: str, wanted: list[str] | None = None) -> dict:
        headers = self._headers(m, box)
        body = self._body(m)
        size = len(body) * 2 + sum(len(h["name"]) + len(h["value"]) + 4 for h in headers) + 300
        out = {"id": m.id, "threadId": m.thread, "labelIds": m.labels_at(now), "snippet": "",
               "sizeEstimate": size, "historyId": str(box.message_history_id(m, now)), "internalDate": str(m.at * 1000)}
        if fmt == "metadata":
            keep = {h.lower() for h in wanted or ()}
            out["payload"] = {"partId": "", "mimeType": "multipart/alternative", "filename": "",
                              "headers": [h for h in headers if not keep or h["name"].lower() in keep]}
        elif fmt in ("full", "raw"):
            out["snippet"] = body.split("\r\n\r\n")[1][:100]
            data = base64.urlsafe_b64encode(body.encode()).decode()
            html = base64.urlsafe_b64encode(f"<div dir=\"ltr\">{body.replace(chr(13) + chr(10), '<br>')}</div>".encode()).decode()
            if fmt == "full":
                out["payload"] = {"partId": "", "mimeType": "multipart/alternative", "filename": "", "headers": headers,
                                  "body": {"size": 0},
                                  "parts": [{"partId": "0", "mimeType": "text/plain", "filename": "",
                                             "headers": [{"name": "Content-Type", "value": 'text/plain; charset="UTF-8"'}],
                                             "body": {"size": len(body), "data": data}},
                                            {"partId": "1", "mimeType": "text/html", "filename": "",
                                             "headers": [{"name": "Content-Type", "value": 'text/html; charset="UTF-8"'}],
                                             "body": {"size": len(html) * 3 // 4, "data": html}}]}
            else:
                raw = "".join(f"{h['name']}: {h['value']}\r\n" for h in headers) + "\r\n" + body
                out["raw"] = base64.urlsafe_b64encode(raw.encode()).decode()
        return out

    @endpoint()
    async def list_history(self, request: Request) -> dict:
        box, _ = self._mailbox(request)
        now = self.emu.world.now
        q = request.query_params
        raw = q.get("startHistoryId")
        if raw is None:
            raise ApiError(400, "Missing required parameter: startHistoryId", "required", location="startHistoryId")
        if not raw.isdigit():
            raise invalid(f"Invalid startHistoryId: {raw}", "startHistoryId")
        start = int(raw)
        current = box.current_history_id(now)
        too_old = history_time(start) < now - HISTORY_DAYS * DAY
        if too_old or self.emu.sandbox.faults.take(self.emu.name, "expire_history_id", request.url.path.removeprefix("/google")):
            raise ApiError(404, "Requested entity was not found.", "notFound")
        limit = int_param(request, "maxResults", 100, 1, 500)
        types = set(q.getlist("historyTypes")) or {"messageAdded", "messageDeleted", "labelAdded", "labelRemoved"}
        label = q.get("labelId")
        after = decode_cursor(q["pageToken"])[0] if "pageToken" in q else start
        if not isinstance(after, int):
            raise invalid("Invalid page token value.", "pageToken")
        i = bisect.bisect_right(box.hids, after)
        end = bisect.bisect_right(box.hids, current)
        records: list[dict] = []
        while i < end and len(records) < limit:
            hid = box.hids[i]
            record: dict = {"id": str(hid), "messages": []}
            while i < end and box.hids[i] == hid:
                _, kind, m = box.history[i]
                i += 1
                ref = {"id": m.id, "threadId": m.thread}
                at = history_time(hid)
                if label and label not in m.labels_at(at if kind != READ else at - 1):
                    continue
                if kind == ADDED and "messageAdded" in types:
                    record.setdefault("messagesAdded", []).append({"message": {**ref, "labelIds": m.labels_at(at)}})
                elif kind == READ and "labelRemoved" in types:
                    record.setdefault("labelsRemoved", []).append({"message": {**ref, "labelIds": m.labels_at(at)},
                                                                   "labelIds": ["UNREAD"]})
                elif kind == DELETED and "messageDeleted" in types:
                    record.setdefault("messagesDeleted", []).append({"message": ref})
                else:
                    continue
                record["messages"].append(ref)
            if record["messages"]:
                records.append(record)
        body: dict = {"historyId": str(current)}
        if records:
            body["history"] = records
        if i < end:
            body["nextPageToken"] = encode_token([box.hids[i - 1]])
        return body

    def truth(self, now: int) -> list[dict]:
        rows = []
        for address in sorted(self.boxes):
            box = self.boxes[address]
            for m in sorted(box.messages[:bisect.bisect_right(box.times, now)], key=lambda m: m.id):
                gone = m.deleted_at is not None and m.deleted_at <= now
                row = {"id": m.id, "mailbox": address, "thread_id": m.thread, "internal_date": m.at * 1000,
                       "from": m.sender, "to": m.to, "subject": m.subject,
                       "label_ids": m.labels_at(m.deleted_at - 1 if gone else now)}
                if gone:
                    row["_deleted"] = True
                rows.append(row)
        return rows

    def on_advance(self, old: int, new: int, rng: random.Random) -> None:
        """Plants, per mailbox, a customer's reply arriving at exactly the new clock on a recent thread."""
        for address in sorted(self.boxes):
            box = self.boxes[address]
            recent = box.messages[max(0, bisect.bisect_right(box.times, old) - 200):bisect.bisect_right(box.times, old)]
            if not recent:
                continue
            m = rng.choice(recent)
            customer = m.sender if m.inbound else m.to
            subject = m.subject if m.subject.startswith("Re: ") else f"Re: {m.subject}"
            mid = message_id(new * 1000, rng.getrandbits(20))
            box.add(Message(mid, m.thread, address, new, customer, address, None, subject, True, "reply", None, None,
                            False, m.id))
        self.views.clear()
