"""Google Calendar v3: the shared sales and success calendars and their customer meetings.

An event exists from its booking (`created`); accepting, rescheduling and cancelling are versions of
it (a cancellation is its deletion: `status: "cancelled"`, listed with `showDeleted` and in incremental
syncs). Sync tokens carry the world time they were issued at; an incremental sync returns every event
whose last change is later."""
from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.routing import Route

from sandbox.google.ids import event_id, meet_code
from sandbox.google.meetings import Meeting, business_slot, quarter_label
from sandbox.google.paging import ChangeLog, SortedView, ViewCache
from sandbox.google.team import CALENDAR_NAMES, CALENDAR_TIME_ZONES, MAILBOXES
from sandbox.google.web import ApiError, bool_param, decode_cursor, decode_token, encode_token, endpoint, int_param, invalid, rfc3339
from sandbox.store import Collection, Record
from sandbox.timeutil import parse_iso

SYNC_INCOMPATIBLE = ("timeMin", "timeMax", "updatedMin", "orderBy", "q", "iCalUID", "privateExtendedProperty",
                     "sharedExtendedProperty")
CHAOS_EXPIRY = 0.25  # share of sync tokens issued before the latest advance that the chaos profile expires
# parts every event shares (orjson serialises shared objects as often as they appear)
MEET = {"key": {"type": "hangoutsMeet"}, "name": "Google Meet",
        "iconUri": "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png"}
REMINDERS = {"useDefault": True}
ORGANIZERS = {c: {"email": c, "displayName": CALENDAR_NAMES[c], "self": True} for c in MAILBOXES}
TITLES = {
    "discovery": "Intro call: {company} <> PenguinMails",
    "demo": "PenguinMails demo — {company}",
    "expansion": "{company}: Scale plan review",
    "onboarding": "{company} onboarding kickoff",
    "qbr": "{company} QBR {quarter}",
    "renewal": "{company} renewal check-in",
}


@dataclass(slots=True)
class EventInfo:
    """What does not change over an event's life."""

    calendar: str
    company: str
    summary: str
    host: str
    guests: tuple[tuple[str, str], ...]  # (email, display name) of the customer's people
    time_zone: str
    meet: str
    minutes: int


# an event's state: (start, accepted by the guests, iCalendar sequence)
State = tuple[int, bool, int]


def _record(seed: int, m: Meeting, info: EventInfo) -> Record[State]:
    versions: list[tuple[int, State]] = [(m.booked, (m.start, False, 0))]
    steps = ([(m.accepted, "accept")] if m.accepted is not None else []) + ([(m.rescheduled[0], "move")] if m.rescheduled else [])
    start, accepted, seq = m.start, False, 0
    for at, step in sorted(steps):
        if step == "accept":
            accepted = True
        else:
            start, seq = m.rescheduled[1], seq + 1
        versions.append((at, (start, accepted, seq)))
    return Record(event_id(seed, m.key), m.booked, versions, deleted=m.cancelled, extra={"info": info})


def _local_time(t: int, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(t, tz).isoformat()


def _parse_time(value: str, name: str) -> int:
    try:
        if "T" not in value or not (value.endswith("Z") or "+" in value[10:] or "-" in value[10:]):
            raise ValueError
        return int(parse_iso(value))
    except ValueError:
        raise invalid("Bad Request", name, "badRequest") from None


class CalendarApi:
    def __init__(self, emu, meetings: list[Meeting]):
        self.emu = emu
        world, seed = emu.world, emu.world.seed
        by_cal: dict[str, list[Record[State]]] = {c: [] for c in MAILBOXES}
        for m in meetings:
            acct = world.accounts[m.account]
            first = acct.people[0].key
            guests = tuple((acct.people[k - first].email, f"{acct.people[k - first].first} {acct.people[k - first].last}")
                           for k in m.people)
            summary = TITLES[m.kind].format(company=acct.name, quarter=quarter_label(m.start))
            info = EventInfo(m.calendar, acct.name, summary, m.host, guests, acct.time_zone, meet_code(seed, m.key), m.minutes)
            by_cal[m.calendar].append(_record(seed, m, info))
        self.events = {c: Collection(rs, sort_key=lambda r: (r.created, r.id), include_deleted=True) for c, rs in by_cal.items()}
        self.logs = {c: ChangeLog(rs) for c, rs in by_cal.items()}
        self.views = ViewCache()

    def routes(self) -> list[Route]:
        return [Route("/calendar/v3/calendars/{calendarId}/events", self.list_events),
                Route("/calendar/v3/calendars/{calendarId}/events/{eventId}", self.get_event)]

    # --- rendering

    def _drifted(self, updated: int) -> bool:
        since = self.emu.sandbox.drift.get(self.emu.name)
        return since is not None and updated > since  # a change at the drift instant was served before it

    def render(self, r: Record[State], now: int, tz: ZoneInfo) -> dict:
        info: EventInfo = r.extra["info"]
        cancelled = r.deleted is not None and r.deleted <= now
        changed, (start, accepted, seq) = r.version_at(r.deleted if cancelled else now)  # cancelled: changes no more
        updated = r.deleted if cancelled else changed
        status = "accepted" if accepted else "needsAction"
        meet = f"https://meet.google.com/{info.meet}"
        eid = base64.b64encode(f"{r.id} {info.calendar}".encode()).decode().rstrip("=")
        ev = {
            "kind": "calendar#event", "etag": f'"{updated * 1000 + seq}"', "id": r.id,
            "status": "cancelled" if cancelled else "confirmed",
            "htmlLink": f"https://www.google.com/calendar/event?eid={eid}",
            "created": rfc3339(r.created), "updated": rfc3339(updated), "summary": info.summary,
            "description": f"Google Meet: {meet}", "creator": {"email": info.host}, "organizer": ORGANIZERS[info.calendar],
            "start": {"dateTime": _local_time(start, tz), "timeZone": info.time_zone},
            "end": {"dateTime": _local_time(start + info.minutes * 60, tz), "timeZone": info.time_zone},
            "iCalUID": f"{r.id}@google.com", "sequence": seq,
            "attendees": [{"email": info.host, "responseStatus": "accepted"}]
                         + [{"email": e, "displayName": n, "responseStatus": status} for e, n in info.guests],
            "hangoutLink": meet,
            "conferenceData": {"entryPoints": [{"entryPointType": "video", "uri": meet, "label": meet[8:]}],
                               "conferenceSolution": MEET, "conferenceId": info.meet},
            "reminders": REMINDERS,
        }
        if self._drifted(updated):
            ev["eventType"] = "default"
        return ev

    # --- handlers

    def _calendar(self, request: Request, grant) -> str:
        cal = request.path_params["calendarId"].lower()
        if cal == "primary" and grant.subject in self.events:
            cal = grant.subject
        if cal not in self.events:
            raise ApiError(404, "Not Found", "notFound")
        return cal

    def _zone(self, request: Request, cal: str) -> ZoneInfo:
        name = request.query_params.get("timeZone") or CALENDAR_TIME_ZONES[cal]
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid("Invalid time zone definition for start time.", "timeZone") from None

    @endpoint()
    async def get_event(self, request: Request) -> dict:
        now = self.emu.world.now
        cal = self._calendar(request, self.emu.auth.require(request, now, "calendar"))
        r = self.events[cal].by_id.get(request.path_params["eventId"])
        if r is None or r.created > now:
            raise ApiError(404, "Not Found", "notFound")
        return self.render(r, now, self._zone(request, cal))

    @endpoint()
    async def list_events(self, request: Request) -> dict:
        now = self.emu.world.now
        cal = self._calendar(request, self.emu.auth.require(request, now, "calendar"))
        q = request.query_params
        limit = int_param(request, "maxResults", 250, 1, 2500)
        tz = self._zone(request, cal)
        if "syncToken" in q:
            items, next_page, sync_at = self._incremental(request, cal, now, limit)
        else:
            items, next_page, sync_at = self._full(request, cal, now, limit)
        body = {
            "kind": "calendar#events", "etag": f'"p3{now * 1000:x}"', "summary": cal, "description": "",
            "updated": rfc3339(now), "timeZone": CALENDAR_TIME_ZONES[cal], "accessRole": "reader", "defaultReminders": [],
            "items": [self.render(r, now, tz) for r in items],
        }
        if next_page is not None:
            body["nextPageToken"] = next_page
        else:
            body["nextSyncToken"] = encode_token([cal, sync_at])
        return body

    def _full(self, request: Request, cal: str, now: int, limit: int):
        q = request.query_params
        time_min = _parse_time(q["timeMin"], "timeMin") if "timeMin" in q else None
        time_max = _parse_time(q["timeMax"], "timeMax") if "timeMax" in q else None
        updated_min = _parse_time(q["updatedMin"], "updatedMin") if "updatedMin" in q else None
        if time_min is not None and time_max is not None and time_min >= time_max:
            raise ApiError(400, "The specified time range is empty.", "timeRangeEmpty", "calendar", "timeMax")
        order = q.get("orderBy")
        if order not in (None, "startTime", "updated"):
            raise invalid(f"Invalid value '{order}'. Values must be one of: startTime, updated", "orderBy")
        # no meeting recurs, so expanding instances (singleEvents) lists the same events
        if order == "startTime" and not bool_param(request, "singleEvents"):
            raise ApiError(400, "The requested ordering is not available for the particular query.", "invalid", "global", "orderBy")
        show_deleted = bool_param(request, "showDeleted")
        text, ical = q.get("q", "").lower(), q.get("iCalUID")

        def build() -> SortedView[Record[State]]:
            pairs = []
            for r in self.events[cal].visible(now):
                start = r.version_at(now)[1][0]
                info: EventInfo = r.extra["info"]
                updated = r.updated_at(now)
                deleted = r.deleted is not None and r.deleted <= now
                if deleted and not (show_deleted or (updated_min is not None and updated >= updated_min)):
                    continue
                if (time_min is not None and start + info.minutes * 60 <= time_min) or (time_max is not None and start >= time_max):
                    continue
                if (updated_min is not None and updated < updated_min) or (ical and ical != f"{r.id}@google.com"):
                    continue
                if text and text not in info.summary.lower() and not any(text in e for e, _ in info.guests):
                    continue
                key = {"startTime": start, "updated": updated}.get(order or "", r.created)
                pairs.append(((key, r.id), r))
            return SortedView(pairs)

        view = self.views.get((cal, now, time_min, time_max, updated_min, show_deleted, text, ical, order), build)
        after, sync_at = None, now
        if "pageToken" in q:
            token = decode_cursor(q["pageToken"])
            if not (len(token) == 3 and token[0] == "f" and isinstance(token[1], tuple) and isinstance(token[2], int)):
                raise invalid("Invalid page token value.", "pageToken")
            after, sync_at = token[1], token[2]
        items, next_key = view.page(after, limit)
        return items, (encode_token(["f", list(next_key), sync_at]) if next_key is not None else None), sync_at

    def _incremental(self, request: Request, cal: str, now: int, limit: int):
        q = request.query_params
        clash = [p for p in SYNC_INCOMPATIBLE if p in q]
        if clash:
            raise invalid(f"Sync token cannot be combined with the {clash[0]} parameter.", "syncToken")
        token = decode_token(q["syncToken"], "syncToken")
        if not (isinstance(token, list) and len(token) == 2 and token[0] == cal and isinstance(token[1], int)):
            raise invalid("Invalid sync token value.", "syncToken")
        log = self.logs[cal]
        if "pageToken" in q:
            page = decode_cursor(q["pageToken"])
            if not (len(page) == 3 and page[0] == "s" and isinstance(page[1], int) and isinstance(page[2], int)):
                raise invalid("Invalid page token value.", "pageToken")
            start, sync_at = page[1], page[2]
        else:
            if self._expired(cal, token[1], request.url.path):
                raise ApiError(410, "Sync token is no longer valid, a full sync is required.", "fullSyncRequired",
                               "calendar", "syncToken")
            start, sync_at = log.position(token[1]), now
        changes, pos = log.latest(start, now, self.events[cal].by_id, limit)
        more = pos < log.position(now)
        return [r for _, r in changes], (encode_token(["s", pos, sync_at]) if more else None), sync_at

    def _expired(self, cal: str, issued: int, path: str) -> bool:
        """Expired by an `expire_sync_token` rule, or (chaos) when issued before the latest advance."""
        sb = self.emu.sandbox
        if sb.faults.take(self.emu.name, "expire_sync_token", path.removeprefix("/google")) is not None:
            return True
        advances = self.emu.world.advances
        if sb.faults.profile != "chaos" or not advances or issued >= advances[-1][1]:
            return False
        h = hashlib.blake2b(f"{self.emu.world.seed}:{cal}:{issued}:{len(advances)}".encode(), digest_size=8).digest()
        return int.from_bytes(h, "big") / 2 ** 64 < CHAOS_EXPIRY

    # --- truth and the clock

    def truth(self, now: int) -> list[dict]:
        rows = []
        for cal in sorted(self.events):
            for r in sorted(self.events[cal].visible(now), key=lambda r: r.id):
                info: EventInfo = r.extra["info"]
                cancelled = r.deleted is not None and r.deleted <= now
                start = r.version_at(r.deleted if cancelled else now)[1][0]
                updated = r.updated_at(now)
                row = {"id": r.id, "calendar_id": cal, "status": "confirmed", "summary": info.summary,
                       "start": rfc3339(start), "end": rfc3339(start + info.minutes * 60), "organizer": cal,
                       "attendees": [info.host] + [e for e, _ in info.guests],
                       "hangout_link": f"https://meet.google.com/{info.meet}",
                       "created": rfc3339(r.created), "updated": rfc3339(updated)}
                if cancelled:
                    row |= {"status": "cancelled", "_deleted": True}
                if self._drifted(updated):
                    row["event_type"] = "default"
                rows.append(row)
        return rows

    def on_advance(self, old: int, new: int, rng: random.Random) -> None:
        """Plants, per calendar, a follow-up booked at exactly the new clock and the cancellation of a
        future meeting inside the step: every advance has changes to sync."""
        seed = self.emu.world.seed
        for cal in sorted(self.events):
            seen = self.events[cal].visible(old)
            if not seen:
                continue
            upcoming = [r for r in seen if (r.deleted is None or r.deleted > new) and r.version_at(old)[1][0] > new]
            if upcoming:
                cancelled = rng.choice(upcoming)
                cancelled.deleted = old + (new - old) // 2 + 1
                self.logs[cal].add(cancelled.deleted, cancelled.id)
            info: EventInfo = rng.choice(seen).extra["info"]
            key = f"advance:{cal}:{new}"
            follow_up = EventInfo(cal, info.company, f"Follow-up: {info.company}", info.host, info.guests, info.time_zone,
                                  meet_code(seed, key), 30)
            start = business_slot(new, ZoneInfo(info.time_zone), rng, 1, 5)
            record = Record(event_id(seed, key), new, [(new, (start, False, 0))], extra={"info": follow_up})
            self.events[cal].add(record)
            self.logs[cal].add(new, record.id)
        self.views.clear()
