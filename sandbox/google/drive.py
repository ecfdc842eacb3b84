"""Google Drive v3: proposals, contracts, onboarding plans, QBR decks and renewal quotes per customer
(owned by the rep or CSM), marketing briefs and results, and the live marketing-spend spreadsheet.

Every file is owned by one of our people and shared with the service account. Edits, trashing and
permanent deletion (Drive empties the trash after 30 days) are versions; `changes.list` walks a change
log whose positions are the page tokens."""
from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass

from starlette.requests import Request
from starlette.routing import Route

from sandbox.google.drive_query import FileFacts, compile_query
from sandbox.google.ids import drive_id, permission_id
from sandbox.google.meetings import Meeting, quarter_label
from sandbox.google.paging import ChangeLog, SortedView, ViewCache
from sandbox.google.team import DOMAIN, Team
from sandbox.google.web import ApiError, bool_param, decode_cursor, encode_token, endpoint, int_param, invalid, rfc3339
from sandbox.store import Collection, Record
from sandbox.timeutil import DAY, HOUR, to_dt
from sandbox.world import World

DOC, SHEET, SLIDES, PDF = ("application/vnd.google-apps.document", "application/vnd.google-apps.spreadsheet",
                           "application/vnd.google-apps.presentation", "application/pdf")
VIEW_LINKS = {DOC: "https://docs.google.com/document/d/{id}/edit?usp=drivesdk",
              SHEET: "https://docs.google.com/spreadsheets/d/{id}/edit?usp=drivesdk",
              SLIDES: "https://docs.google.com/presentation/d/{id}/edit?usp=drivesdk",
              PDF: "https://drive.google.com/file/d/{id}/view?usp=drivesdk"}
TRASH_DAYS = 30
SPEND_SHEET_KEY = "marketing-spend"
SPEND_SHEET_CREATED = 1722470400 + 6 * HOUR  # 2024-08-01 06:00 UTC; refreshed daily at 06:00
DEFAULT_LIST_FIELDS = "kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)"
DEFAULT_FILE_FIELDS = "kind,id,name,mimeType"
DEFAULT_CHANGE_FIELDS = "kind,nextPageToken,newStartPageToken,changes(kind,type,changeType,time,removed,fileId,file(kind,id,name,mimeType))"
CAPABILITIES = {"canEdit": False, "canComment": True, "canCopy": True, "canDownload": True, "canShare": False,
                "canTrash": False, "canDelete": False, "canRename": False}  # what a reader may do
ORDER_KEYS = ("createdTime", "folder", "modifiedByMeTime", "modifiedTime", "name", "name_natural", "quotaBytesUsed",
              "recency", "sharedWithMeTime", "starred", "viewedByMeTime")


@dataclass(slots=True)
class FileInfo:
    mime: str
    owner: str
    size: int | None  # bytes of an uploaded (non-Google) file
    customer: bool  # a customer file (the advance plants edits on those)


# a file's state: (name, modifiedTime, trashed, version)
State = tuple[str, int, bool, int]


def file_record(seed: int, key: str, name: str, info: FileInfo, created: int, edits: list[int],
                trashed: int | None = None, rename: tuple[int, str] | None = None, id_length: int = 33) -> Record[State]:
    """A file's versions: its creation, edits (modifiedTime moves), an optional rename, trashing (30 days later gone)."""
    versions: list[tuple[int, State]] = [(created, (name, created, False, 1))]
    for t in sorted(edits):
        if t > versions[-1][0] and (trashed is None or t < trashed):
            if rename and rename[0] <= t:
                name = rename[1]
            versions.append((t, (name, t, False, versions[-1][1][3] + 1)))
    deleted = None
    if trashed is not None and trashed > versions[-1][0]:
        last = versions[-1][1]
        versions.append((trashed, (last[0], last[1], True, last[3] + 1)))
        deleted = trashed + TRASH_DAYS * DAY
    return Record(drive_id(seed, key, id_length), created, versions, deleted=deleted, extra={"info": info})


def plan_files(world: World, team: Team, meetings: list[Meeting]) -> list[Record[State]]:
    seed = world.seed
    out: list[Record[State]] = []
    by_account: dict[int, list[Meeting]] = defaultdict(list)
    for m in meetings:
        by_account[m.account].append(m)
    for acct in world.accounts:
        rng = random.Random(f"{seed}:google:{acct.idx}:drive")
        company = acct.name

        def edits(t0: int, span_days: int, most: int) -> list[int]:
            return [t0 + rng.randrange(HOUR, span_days * DAY) for _ in range(rng.randint(0, most))]

        def cleanup(t0: int) -> int | None:
            """Some working documents are trashed in a later clean-up."""
            return t0 + rng.randrange(30, 540) * DAY + rng.randrange(DAY) if rng.random() < 0.15 else None

        for deal in acct.deals:
            if deal.pipeline != "sales":
                continue
            rep = team.reps[deal.owner].email
            key = f"{acct.idx}:deal:{deal.idx}"
            if deal.kind == "expansion":
                t = deal.created + rng.randrange(2 * HOUR, DAY)
                out.append(file_record(seed, key + ":proposal", f"Scale plan proposal — {company}", FileInfo(DOC, rep, None, True),
                                       t, edits(t, 10, 2), cleanup(t)))
                continue
            stage = next((at for at, s in deal.stages if s == "presentationscheduled"), None)
            if stage is None:
                continue
            t = stage + rng.randrange(HOUR, 30 * HOUR)
            trashed = deal.close_at + rng.randrange(14, 60) * DAY if deal.outcome == "lost" and rng.random() < 0.5 else cleanup(t)
            rename = (t + 5 * DAY, f"{company} — PenguinMails proposal FINAL") if rng.random() < 0.2 else None
            out.append(file_record(seed, key + ":proposal", f"{company} — PenguinMails proposal", FileInfo(DOC, rep, None, True),
                                   t, edits(t, 20, 3), trashed, rename))
            if deal.outcome == "won":
                t = deal.close_at + rng.randrange(HOUR, 6 * HOUR)
                out.append(file_record(seed, key + ":contract", f"{company} - Order Form (signed).pdf",
                                       FileInfo(PDF, rep, rng.randrange(80_000, 400_000), True), t, []))
        for m in by_account.get(acct.idx, ()):
            if m.kind == "onboarding" and (m.cancelled is None or m.cancelled > m.start):
                t = m.booked + rng.randrange(HOUR, 8 * HOUR)
                out.append(file_record(seed, m.key + ":plan", f"Onboarding plan — {company}", FileInfo(DOC, m.host, None, True),
                                       t, edits(t, 14, 3), cleanup(t)))
            elif m.kind == "qbr":
                t = max(m.booked + HOUR, m.start - 6 * DAY + rng.randrange(8 * HOUR))
                trashed = m.cancelled + DAY if m.cancelled is not None and rng.random() < 0.6 else cleanup(t)
                out.append(file_record(seed, m.key + ":deck", f"QBR deck — {company} {quarter_label(m.start)}",
                                       FileInfo(SLIDES, m.host, None, True), t, edits(t, 6, 3), trashed))
            elif m.kind == "renewal":
                t = m.booked + rng.randrange(HOUR, 4 * HOUR)
                out.append(file_record(seed, m.key + ":quote", f"Renewal quote — {company} {to_dt(m.start).year}",
                                       FileInfo(SHEET, m.host, None, True), t, edits(t, 20, 2), cleanup(t)))
    rng = random.Random(f"{seed}:google:marketing")
    lead = team.marketing.email
    for c in world.campaigns:
        t = c.start - 10 * DAY + rng.randrange(DAY)
        out.append(file_record(seed, f"campaign:{c.key}:brief", f"{c.name} — brief", FileInfo(DOC, lead, None, False),
                               t, [t + rng.randrange(HOUR, 9 * DAY) for _ in range(2)],
                               c.end + 30 * DAY if rng.random() < 0.1 else None))
        monthly = list(range(c.start + 30 * DAY, c.end, 30 * DAY))
        out.append(file_record(seed, f"campaign:{c.key}:results", f"{c.name} — results", FileInfo(SHEET, lead, None, False),
                               c.start + rng.randrange(HOUR, DAY), monthly))
    daily = list(range(SPEND_SHEET_CREATED + DAY, world.horizon + 1, DAY))
    out.append(file_record(seed, SPEND_SHEET_KEY, "Marketing spend (live)", FileInfo(SHEET, lead, None, False),
                           SPEND_SHEET_CREATED, daily, id_length=44))
    return out


def _order_key(spec: list[tuple[str, bool]], r: Record[State], state: State, info: FileInfo) -> tuple:
    out = []
    for field, desc in spec:
        if field in ("name", "name_natural"):
            value = state[0].casefold()
            out.append(tuple(-ord(ch) for ch in value) + (0,) if desc else value)
            continue
        value = {"createdTime": r.created, "modifiedTime": state[1], "recency": max(state[1], r.created),
                 "sharedWithMeTime": r.created, "quotaBytesUsed": info.size or 0}.get(field, 0)
        out.append(-value if desc else value)
    return (*out, r.id)


def _parse_order(text: str | None) -> list[tuple[str, bool]]:
    if not text:
        return [("modifiedTime", True)]
    spec = []
    for part in text.split(","):
        words = part.split()
        if not words or words[0] not in ORDER_KEYS or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise invalid(f"Invalid sort key: {part.strip()}", "orderBy")
        spec.append((words[0], len(words) == 2 and words[1] == "desc"))
    return spec


class DriveApi:
    def __init__(self, emu, team: Team, meetings: list[Meeting]):
        self.emu, self.team = emu, team
        records = plan_files(emu.world, team, meetings)
        self.files = Collection(records, sort_key=lambda r: (r.created, r.id))
        self.log = ChangeLog(records)
        self.views = ViewCache()
        self.spend_sheet = drive_id(emu.world.seed, SPEND_SHEET_KEY, 44)
        self.readers = frozenset({"penguin-data@penguinmails-data.iam.gserviceaccount.com", DOMAIN})
        seed = emu.world.seed
        self.users = {m.email: {"kind": "drive#user", "displayName": m.name, "me": False,
                                "permissionId": permission_id(seed, m.email), "emailAddress": m.email,
                                "photoLink": "https://lh3.googleusercontent.com/a/default-user=s64"}
                      for m in team.by_email.values()}
        self.permissions = {e: [u["permissionId"], permission_id(seed, DOMAIN)] for e, u in self.users.items()}

    def routes(self) -> list[Route]:
        return [Route("/drive/v3/files", self.list_files), Route("/drive/v3/files/{fileId}", self.get_file),
                Route("/drive/v3/changes/startPageToken", self.start_page_token), Route("/drive/v3/changes", self.list_changes)]

    def _drifted(self, updated: int) -> bool:
        since = self.emu.sandbox.drift.get(self.emu.name)
        return since is not None and updated > since  # a change at the drift instant was served before it

    def render(self, r: Record[State], now: int) -> dict:
        info: FileInfo = r.extra["info"]
        changed, (name, modified, trashed, version) = r.version_at(now)
        user = self.users[info.owner]
        f = {
            "kind": "drive#file", "id": r.id, "name": name, "mimeType": info.mime, "starred": False,
            "trashed": trashed, "explicitlyTrashed": trashed, "spaces": ["drive"], "version": str(version),
            "webViewLink": VIEW_LINKS[info.mime].format(id=r.id),
            "iconLink": f"https://drive-thirdparty.googleusercontent.com/16/type/{info.mime}",
            "hasThumbnail": True, "thumbnailVersion": "1", "viewedByMe": False,
            "createdTime": rfc3339(r.created), "modifiedTime": rfc3339(modified), "sharedWithMeTime": rfc3339(r.created),
            "owners": [user], "lastModifyingUser": user, "shared": True, "ownedByMe": False,
            "viewersCanCopyContent": True, "copyRequiresWriterPermission": False, "writersCanShare": True,
            "permissionIds": self.permissions[info.owner], "isAppAuthorized": False,
            "quotaBytesUsed": str(info.size or 0), "capabilities": CAPABILITIES,
        }
        if info.size is not None:
            digest = hashlib.sha256(r.id.encode()).hexdigest()
            f |= {"size": str(info.size), "originalFilename": name, "fileExtension": "pdf", "fullFileExtension": "pdf",
                  "md5Checksum": digest[:32], "sha1Checksum": digest[:40], "sha256Checksum": digest,
                  "headRevisionId": "0B" + r.id[1:30] + "Q", "webContentLink": f"https://drive.google.com/uc?id={r.id}&export=download"}
        if self._drifted(changed):
            f["inheritedPermissionsDisabled"] = False
        return f

    def _facts(self, r: Record[State], now: int) -> FileFacts:
        name, modified, trashed, _ = r.version_at(now)[1]
        info: FileInfo = r.extra["info"]
        return FileFacts(name, info.mime, r.created, modified, trashed, info.owner, self.readers)

    def _check_scope(self, request: Request) -> bool:
        """Validates spaces/corpora/driveId; False when the request reads no space with files."""
        q = request.query_params
        spaces = {s.strip() for s in q.get("spaces", "drive").split(",")}
        if not spaces <= {"drive", "appDataFolder"}:
            raise invalid("Invalid Value", "spaces")
        corpora = q.get("corpora", "user")
        if corpora not in ("user", "domain", "drive", "allDrives"):
            raise invalid("Invalid Value", "corpora")
        if (corpora == "drive") != ("driveId" in q):
            raise invalid("The driveId parameter must be specified if and only if corpora is set to drive.", "driveId")
        if "driveId" in q:
            raise ApiError(404, f"Shared drive not found: {q['driveId']}", "notFound", location="driveId")
        bool_param(request, "includeItemsFromAllDrives")
        bool_param(request, "supportsAllDrives")
        return "drive" in spaces

    @endpoint(DEFAULT_LIST_FIELDS)
    async def list_files(self, request: Request) -> dict:
        now = self.emu.world.now
        self.emu.auth.require(request, now, "drive")
        q = request.query_params
        limit = int_param(request, "pageSize", 100, 1, 1000)
        has_files = self._check_scope(request)
        query_text, order_text = q.get("q", ""), q.get("orderBy")
        spec = _parse_order(order_text)
        pred = compile_query(query_text)

        def build() -> SortedView[Record[State]]:
            if not has_files:
                return SortedView([])
            visible = self.files.visible(now)
            if query_text:
                visible = [r for r in visible if pred(self._facts(r, now))]
            return SortedView((_order_key(spec, r, r.version_at(now)[1], r.extra["info"]), r) for r in visible)

        view = self.views.get(("files", now, query_text, order_text, has_files), build)
        after = None
        if "pageToken" in q:
            after = decode_cursor(q["pageToken"])
        items, next_key = view.page(after, limit)
        body = {"kind": "drive#fileList", "incompleteSearch": False, "files": [self.render(r, now) for r in items]}
        if next_key is not None:
            body["nextPageToken"] = encode_token(list(next_key))
        return body

    @endpoint(DEFAULT_FILE_FIELDS)
    async def get_file(self, request: Request) -> dict:
        now = self.emu.world.now
        self.emu.auth.require(request, now, "drive")
        file_id = request.path_params["fileId"]
        r = self.files.by_id.get(file_id)
        if r is None or not r.exists_at(now):
            raise ApiError(404, f"File not found: {file_id}.", "notFound", location="fileId")
        return self.render(r, now)

    @endpoint()
    async def start_page_token(self, request: Request) -> dict:
        now = self.emu.world.now
        self.emu.auth.require(request, now, "drive")
        return {"kind": "drive#startPageToken", "startPageToken": str(self.log.position(now) + 1)}

    @endpoint(DEFAULT_CHANGE_FIELDS)
    async def list_changes(self, request: Request) -> dict:
        now = self.emu.world.now
        self.emu.auth.require(request, now, "drive")
        q = request.query_params
        end = self.log.position(now)
        token = q.get("pageToken")
        if token is None:
            raise ApiError(400, "Required parameter: pageToken", "required", location="pageToken")
        if not token.isdigit() or not 1 <= int(token) <= end + 1:
            raise invalid("Invalid Value", "pageToken")
        limit = int_param(request, "pageSize", 100, 1, 1000)
        include_removed = bool_param(request, "includeRemoved", True)
        # every file is shared with us, none was added to our My Drive
        has_files = self._check_scope(request) and not bool_param(request, "restrictToMyDrive")
        changes, pos = self.log.latest(int(token) - 1, now, self.files.by_id, limit) if has_files else ([], end)
        out = []
        for t, r in changes:
            removed = not r.exists_at(now)
            if removed and not include_removed:
                continue
            change = {"kind": "drive#change", "type": "file", "changeType": "file", "time": rfc3339(t), "removed": removed,
                      "fileId": r.id}
            if not removed:
                change["file"] = self.render(r, now)
            out.append(change)
        body = {"kind": "drive#changeList", "changes": out}
        if pos < end:
            body["nextPageToken"] = str(pos + 1)
        else:
            body["newStartPageToken"] = str(end + 1)
        return body

    def truth(self, now: int) -> list[dict]:
        rows = []
        for r in sorted((r for r in self.files if r.created <= now), key=lambda r: r.id):
            info: FileInfo = r.extra["info"]
            name, modified, trashed, _ = r.version_at(now)[1]
            row = {"id": r.id, "name": name, "mime_type": info.mime, "created_time": rfc3339(r.created),
                   "modified_time": rfc3339(modified), "trashed": trashed, "owners": [info.owner]}
            if not r.exists_at(now):
                row["_deleted"] = True
            if self._drifted(r.version_at(now)[0]):  # as served last: a file deleted for good is not served again
                row["inherited_permissions_disabled"] = False
            rows.append(row)
        return rows

    def on_advance(self, old: int, new: int, rng: random.Random) -> None:
        """Plants an edit at exactly the new clock and a trashing inside the step on customer files
        untouched since `old`."""
        candidates = [r for r in self.files.visible(old) if r.extra["info"].customer and r.deleted is None
                      and r.versions[-1][0] <= old and not r.versions[-1][1][2]]
        if len(candidates) >= 2:
            edited, trashed = rng.sample(candidates, 2)
            name, _, _, version = edited.versions[-1][1]
            edited.add_version(new, (name, new, False, version + 1))
            self.log.add(new, edited.id)
            at = old + (new - old) // 2 + 1
            name, modified, _, version = trashed.versions[-1][1]
            trashed.add_version(at, (name, modified, True, version + 1))
            trashed.deleted = at + TRASH_DAYS * DAY
            self.log.add(at, trashed.id)
            self.log.add(trashed.deleted, trashed.id)
        self.views.clear()
