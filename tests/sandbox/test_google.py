"""The Google emulator through google-auth and google-api-python-client, against real sandbox subprocesses."""
from __future__ import annotations

import json
import types
from datetime import datetime, timezone
from pathlib import Path

import google_auth_httplib2
import httplib2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from sandbox.faults import FaultPlan
from sandbox.google import GoogleEmulator
from sandbox.truth import jsonl_lines
from sandbox.world import build_world
from tests.conftest import start_sandbox

DAY = 86_400
A = "https://www.googleapis.com/auth/"
READ_SCOPES = [A + "calendar.readonly", A + "drive.metadata.readonly", A + "spreadsheets.readonly", A + "analytics.readonly"]
GMAIL_SCOPES = [A + "gmail.metadata"]
SERVICE_PATHS = {"calendar": "calendar/v3/", "drive": "drive/v3/"}  # the others' method paths carry their version
SALES, SUCCESS = "sales@penguinmails.com", "success@penguinmails.com"
GA4_DIMS = [{"name": n} for n in ("date", "sessionSource", "sessionMedium", "sessionCampaignName")]
GA4_METRICS = [{"name": n} for n in ("sessions", "totalUsers", "newUsers", "conversions")]


def creds(env: dict, scopes=READ_SCOPES, subject: str | None = None) -> service_account.Credentials:
    return service_account.Credentials.from_service_account_file(env["GOOGLE_APPLICATION_CREDENTIALS"], scopes=scopes,
                                                                 subject=subject)


def service(env: dict, api: str, version: str, credentials=None, http=None):
    options = {"api_endpoint": env["GOOGLE_API_ENDPOINT"] + SERVICE_PATHS.get(api, "")}
    if http is not None:
        return build(api, version, http=http, static_discovery=True, client_options=options)
    return build(api, version, credentials=credentials or creds(env), static_discovery=True, client_options=options)


def gmail(env: dict, mailbox: str = SALES):
    return service(env, "gmail", "v1", creds(env, GMAIL_SCOPES, mailbox))


def pages(collection, request):
    while request is not None:
        response = request.execute(num_retries=3)
        yield response
        request = collection.list_next(request, response)


def error_body(e: HttpError) -> dict:
    return json.loads(e.content)["error"]


def calendar_state(cal, calendar_id: str, **params) -> tuple[dict[str, dict], str]:
    """Every page of a list (full or incremental): the events by id and the final sync token."""
    events, token = {}, None
    for page in pages(cal.events(), cal.events().list(calendarId=calendar_id, maxResults=40, **params)):
        events.update({e["id"]: e for e in page["items"]})
        token = page.get("nextSyncToken")
    return events, token


def ga4_rows(ga, env: dict, start: str, end: str, limit: int = 250) -> dict[tuple, tuple]:
    rows, offset = {}, 0
    while True:
        body = {"dateRanges": [{"startDate": start, "endDate": end}], "dimensions": GA4_DIMS, "metrics": GA4_METRICS,
                "limit": limit, "offset": offset}
        resp = ga.properties().runReport(property=env["GA4_PROPERTY_ID"], body=body).execute(num_retries=3)
        got = resp.get("rows", [])
        rows.update({tuple(v["value"] for v in r["dimensionValues"]): tuple(int(v["value"]) for v in r["metricValues"])
                     for r in got})
        offset += len(got)
        if offset >= resp.get("rowCount", 0):
            return rows


def truth_key(row: dict) -> tuple:
    return row["date"], row["source"], row["medium"], row["campaign"]


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """A tiny sandbox of our own, for faults and clock advances."""
    sb = start_sandbox(tmp_path_factory.mktemp("google-own"), scale="tiny")
    yield sb
    sb.stop()


# --- auth


def test_service_account_jwt_grant_and_its_refusals(sandbox):
    env = sandbox.env
    c = creds(env)
    c.refresh(AuthRequest())
    assert c.token.startswith("ya29.") and c.expiry is not None
    delegated = creds(env, GMAIL_SCOPES, SALES)
    delegated.refresh(AuthRequest())
    assert delegated.token != c.token

    info = json.loads(Path(env["GOOGLE_APPLICATION_CREDENTIALS"]).read_text())
    assert info["type"] == "service_account" and info["token_uri"] == env["GOOGLE_API_ENDPOINT"] + "token"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    info["private_key"] = other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode()
    forged = service_account.Credentials.from_service_account_info(info, scopes=READ_SCOPES)
    with pytest.raises(RefreshError, match="invalid_grant: Invalid JWT Signature"):
        forged.refresh(AuthRequest())
    with pytest.raises(RefreshError, match="invalid_grant"):
        creds(env, GMAIL_SCOPES, "someone@example.com").refresh(AuthRequest())


def test_wrong_bearer_is_googles_401(sandbox):
    wrong = user_credentials.Credentials(token="ya29.not-issued-here")
    cal = service(sandbox.env, "calendar", "v3",
                  http=google_auth_httplib2.AuthorizedHttp(wrong, http=httplib2.Http(), max_refresh_attempts=0))
    with pytest.raises(HttpError) as e:
        cal.events().list(calendarId=SALES).execute()
    assert e.value.status_code == 401
    body = error_body(e.value)
    assert body["status"] == "UNAUTHENTICATED" and body["errors"][0]["reason"] == "authError"
    assert e.value.resp["www-authenticate"].startswith("Bearer")


def test_scopes_and_delegation_are_enforced(sandbox):
    env = sandbox.env
    drive = service(env, "drive", "v3", creds(env, [A + "calendar.readonly"]))
    with pytest.raises(HttpError) as e:
        drive.files().list().execute()
    assert e.value.status_code == 403 and error_body(e.value)["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"

    meta = gmail(env)
    with pytest.raises(HttpError, match="Metadata scope does not support 'q' parameter"):
        meta.users().messages().list(userId="me", q="newer_than:7d").execute()
    first = meta.users().messages().list(userId="me", maxResults=1).execute()["messages"][0]["id"]
    with pytest.raises(HttpError, match="Metadata scope doesn't allow format FULL"):
        meta.users().messages().get(userId="me", id=first, format="full").execute()
    with pytest.raises(HttpError) as e:
        meta.users().messages().list(userId=SUCCESS).execute()
    assert e.value.status_code == 403

    readonly = service(env, "gmail", "v1", creds(env, [A + "gmail.readonly"], SALES))
    full = readonly.users().messages().get(userId=SALES, id=first, format="full").execute()
    assert full["payload"]["parts"][0]["body"]["data"] and full["snippet"]
    assert readonly.users().messages().list(userId="me", q="in:inbox", maxResults=5).execute()["resultSizeEstimate"] > 0
    not_delegated = service(env, "gmail", "v1", creds(env, GMAIL_SCOPES))
    with pytest.raises(HttpError) as e:
        not_delegated.users().getProfile(userId="me").execute()
    assert e.value.status_code == 400 and error_body(e.value)["errors"][0]["reason"] == "failedPrecondition"


# --- the APIs against the shared small sandbox


def test_calendar_full_listing_is_the_truth(sandbox):
    cal = service(sandbox.env, "calendar", "v3")
    truth = sandbox.client.truth_rows("google", "calendar_events")
    assert any(r.get("_deleted") for r in truth) and any(r["start"] > sandbox.client.status()["now"] for r in truth)
    for calendar_id in (SALES, SUCCESS):
        events, token = calendar_state(cal, calendar_id, showDeleted=True)
        want = {r["id"]: r for r in truth if r["calendar_id"] == calendar_id}
        assert token and set(events) == set(want)
        for eid, e in events.items():
            row = want[eid]
            assert (e["status"], e["summary"], e["updated"], e["hangoutLink"]) == (row["status"], row["summary"], row["updated"], row["hangout_link"])
            assert [a["email"] for a in e["attendees"]] == row["attendees"] and e["organizer"]["email"] == calendar_id
        live, _ = calendar_state(cal, calendar_id)
        assert set(live) == {i for i, r in want.items() if not r.get("_deleted")}
    with pytest.raises(HttpError) as e:
        cal.events().list(calendarId=SALES, syncToken=token, timeMin="2026-01-01T00:00:00Z").execute()
    assert e.value.status_code == 400
    with pytest.raises(HttpError) as e:
        cal.events().list(calendarId=SALES, orderBy="startTime").execute()
    assert e.value.status_code == 400
    window = cal.events().list(calendarId=SALES, singleEvents=True, orderBy="startTime", timeMin="2026-10-01T00:00:00Z",
                               timeMax="2026-11-01T00:00:00Z").execute()["items"]
    starts = [datetime.fromisoformat(e["start"]["dateTime"]) for e in window]
    assert window and starts == sorted(starts)


def test_drive_listing_query_and_fields(sandbox):
    drive = service(sandbox.env, "drive", "v3")
    truth = sandbox.client.truth_rows("google", "drive_files")
    fields = "nextPageToken, files(id, name, mimeType, createdTime, modifiedTime, trashed, owners(emailAddress))"
    files = {}
    for page in pages(drive.files(), drive.files().list(pageSize=70, fields=fields, orderBy="createdTime desc")):
        files.update({f["id"]: f for f in page["files"]})
    live = {r["id"]: r for r in truth if not r.get("_deleted")}
    assert set(files) == set(live) and any(r["trashed"] for r in live.values())
    for fid, f in files.items():
        r = live[fid]
        assert (f["name"], f["mimeType"], f["modifiedTime"], f["trashed"], [o["emailAddress"] for o in f["owners"]]) == \
               (r["name"], r["mime_type"], r["modified_time"], r["trashed"], r["owners"])
    default = drive.files().list(pageSize=3).execute()
    assert set(default["files"][0]) == {"kind", "id", "name", "mimeType"} and "nextPageToken" in default
    company = next(r for r in live.values() if r["name"].endswith("PenguinMails proposal"))["name"].split(" — ")[0]
    found = drive.files().list(q=f"name contains '{company.split()[0]}' and trashed = false and modifiedTime > '2024-01-01T00:00:00'",
                               fields="files(name,trashed)", pageSize=1000).execute()["files"]
    assert found and all(not f["trashed"] and company.split()[0].lower() in f["name"].lower() for f in found)
    with pytest.raises(HttpError) as e:
        drive.files().list(q="name containz 'x'").execute()
    assert e.value.status_code == 400 and error_body(e.value)["errors"][0]["location"] == "q"


def test_sheets_values_are_the_marketing_spend(sandbox):
    env = sandbox.env
    sheets = service(env, "sheets", "v4")
    sid = env["MARKETING_SPEND_SHEET_ID"]
    assert len(sid) == 44
    meta = sheets.spreadsheets().get(spreadsheetId=sid).execute()
    assert [s["properties"]["title"] for s in meta["sheets"]] == ["Spend", "Notes"]
    shown = sheets.spreadsheets().values().get(spreadsheetId=sid, range="Spend!A1:G").execute()
    raw = sheets.spreadsheets().values().get(spreadsheetId=sid, range="Spend!A1:G", valueRenderOption="UNFORMATTED_VALUE").execute()
    assert shown["range"].startswith("Spend!A1:G") and shown["values"][0][5] == "Spend (USD)"
    assert [] in shown["values"] and any(len(r) == 7 for r in shown["values"])  # the blank row and some notes
    rows = [r for r in shown["values"][1:] if r]
    assert all(r[5].startswith("$") for r in rows) and any("," in r[5] for r in rows)
    got = [{"month": r[0], "campaign": r[1], "channel": r[2], "spend_usd": float(r[5].strip("$").replace(",", ""))} for r in rows]
    assert got == sandbox.client.truth_rows("google", "marketing_spend")
    assert [r[5] for r in raw["values"][1:] if r] == [g["spend_usd"] for g in got]
    assert isinstance(raw["values"][1][0], int)  # a date serial number unformatted
    columns = sheets.spreadsheets().values().get(spreadsheetId=sid, range="Spend!B:B", majorDimension="COLUMNS").execute()
    assert columns["values"] == [[r[1] if r else "" for r in shown["values"]]]
    with pytest.raises(HttpError) as e:
        sheets.spreadsheets().values().get(spreadsheetId=sid, range="Nope!A1:B2").execute()
    assert e.value.status_code == 400 and error_body(e.value)["status"] == "INVALID_ARGUMENT"


def test_gmail_metadata_pages_match_the_truth(sandbox):
    gm = gmail(sandbox.env)
    truth = {r["id"]: r for r in sandbox.client.truth_rows("google", "gmail_messages") if r["mailbox"] == SALES}
    ids = [m["id"] for p in pages(gm.users().messages(), gm.users().messages().list(userId="me", maxResults=100))
           for m in p.get("messages", [])]
    assert set(ids) == {i for i, r in truth.items() if not r.get("_deleted")}
    assert ids == sorted(ids, key=lambda i: int(i, 16), reverse=True)  # newest first
    for mid in ids[:40]:
        m = gm.users().messages().get(userId="me", id=mid, format="metadata",
                                      metadataHeaders=["From", "To", "Subject", "Date"]).execute()
        headers = {h["name"]: h["value"] for h in m["payload"]["headers"]}
        row = truth[mid]
        assert set(headers) == {"From", "To", "Subject", "Date"} and "parts" not in m["payload"] and "body" not in m["payload"]
        assert (headers["From"], headers["To"], headers["Subject"], int(m["internalDate"]), m["labelIds"], m["threadId"]) == \
               (row["from"], row["to"], row["subject"], row["internal_date"], row["label_ids"], row["thread_id"])
    profile = gm.users().getProfile(userId="me").execute()
    assert profile["emailAddress"] == SALES and profile["messagesTotal"] == len(ids)
    month_ago = str(int(profile["historyId"]) - 30 * DAY * 4)
    with pytest.raises(HttpError) as e:
        gm.users().history().list(userId="me", startHistoryId=month_ago).execute()
    assert e.value.status_code == 404


def test_ga4_report_pages_and_errors(sandbox):
    env = sandbox.env
    ga = service(env, "analyticsdata", "v1beta")
    rows = ga4_rows(ga, env, "2026-09-01", "today", limit=97)
    truth = {truth_key(r): (r["sessions"], r["total_users"], r["new_users"], r["conversions"])
             for r in sandbox.client.truth_rows("google", "ga4_daily") if r["date"] >= "20260901"}
    assert rows == truth and len(rows) > 97
    body = {"dateRanges": [{"startDate": "30daysAgo", "endDate": "yesterday"}], "dimensions": [{"name": "sessionDefaultChannelGroup"}],
            "metrics": [{"name": "sessions"}, {"name": "keyEvents"}], "metricAggregations": ["TOTAL"],
            "orderBys": [{"dimension": {"dimensionName": "sessionDefaultChannelGroup"}}]}
    resp = ga.properties().runReport(property=env["GA4_PROPERTY_ID"], body=body).execute()
    groups = [r["dimensionValues"][0]["value"] for r in resp["rows"]]
    assert groups == sorted(groups) and {"Organic Search", "Direct", "Paid Search"} <= set(groups)
    assert int(resp["totals"][0]["metricValues"][0]["value"]) == sum(int(r["metricValues"][0]["value"]) for r in resp["rows"])
    assert resp["kind"] == "analyticsData#runReport" and resp["metadata"]["timeZone"]
    with pytest.raises(HttpError) as e:
        ga.properties().runReport(property=env["GA4_PROPERTY_ID"], body={**body, "dimensions": [{"name": "pageColour"}]}).execute()
    assert e.value.status_code == 400 and error_body(e.value)["status"] == "INVALID_ARGUMENT"
    with pytest.raises(HttpError) as e:
        ga.properties().runReport(property="properties/1", body=body).execute()
    assert e.value.status_code == 403


# --- flows that move the clock or inject faults, on a sandbox of our own


def test_calendar_incremental_sync_and_410(own):
    cal = service(own.env, "calendar", "v3")
    synced = {c: calendar_state(cal, c) for c in (SALES, SUCCESS)}
    own.client.advance(days=1)
    now = own.client.status()["now"]
    truth = own.client.truth_rows("google", "calendar_events")
    seen = []
    for calendar_id, (events, token) in synced.items():
        changes, token = calendar_state(cal, calendar_id, syncToken=token)
        seen += changes.values()
        for eid, e in changes.items():
            if e["status"] == "cancelled":
                events.pop(eid, None)
            else:
                events[eid] = e
        want = {r["id"]: r["updated"] for r in truth if r["calendar_id"] == calendar_id and not r.get("_deleted")}
        assert {i: e["updated"] for i, e in events.items()} == want
        assert calendar_state(cal, calendar_id, syncToken=token)[0] == {}  # nothing changed since
        synced[calendar_id] = (events, token)
    assert any(e["status"] == "cancelled" for e in seen)
    assert any(e["created"] == e["updated"] == now for e in seen)  # booked at exactly the new clock

    events, token = synced[SUCCESS]
    own.client.add_fault("expire_sync_token", vendor="google", path="/calendar/v3/calendars/")
    with pytest.raises(HttpError) as e:
        calendar_state(cal, SUCCESS, syncToken=token)
    assert e.value.status_code == 410 and error_body(e.value)["errors"][0]["reason"] == "fullSyncRequired"
    resynced, token = calendar_state(cal, SUCCESS)
    assert set(resynced) == set(events) and calendar_state(cal, SUCCESS, syncToken=token)[0] == {}


def test_drive_changes_feed_follows_the_clock(own):
    drive = service(own.env, "drive", "v3")
    start = drive.changes().getStartPageToken().execute()["startPageToken"]
    everything = [c for p in pages(drive.changes(), drive.changes().list(pageToken="1", pageSize=50, fields="*"))
                  for c in p["changes"]]
    assert len({c["fileId"] for c in everything}) == len(everything)  # each file once, at its latest change
    own.client.advance(days=1)
    changes, new_start = [], None
    for page in pages(drive.changes(), drive.changes().list(pageToken=start, pageSize=1, fields="*")):
        changes += page["changes"]
        new_start = page.get("newStartPageToken")
    assert new_start and int(new_start) > int(start)
    edited = [c for c in changes if not c["removed"] and not c["file"]["trashed"]]
    trashed = [c for c in changes if not c["removed"] and c["file"]["trashed"]]
    assert edited and trashed
    truth = {r["id"]: r for r in own.client.truth_rows("google", "drive_files")}
    for c in edited + trashed:
        assert (c["file"]["modifiedTime"], c["file"]["trashed"]) == (truth[c["fileId"]]["modified_time"], truth[c["fileId"]]["trashed"])
    assert drive.changes().list(pageToken=new_start).execute()["changes"] == []
    with pytest.raises(HttpError) as e:
        drive.changes().list(pageToken="abc").execute()
    assert e.value.status_code == 400


def test_gmail_history_and_stale_history_id(own):
    gm = gmail(own.env, SUCCESS)
    start = gm.users().getProfile(userId="me").execute()["historyId"]
    own.client.advance(days=1)
    now_ms = own.client.status()["now_epoch"] * 1000
    added = [a["message"]["id"] for p in pages(gm.users().history(),
                                               gm.users().history().list(userId="me", startHistoryId=start, historyTypes="messageAdded", maxResults=2))
             for h in p.get("history", []) for a in h.get("messagesAdded", [])]
    assert added
    newest = gm.users().messages().get(userId="me", id=added[-1], format="metadata").execute()
    assert int(newest["internalDate"]) == now_ms and "UNREAD" in newest["labelIds"]
    assert int(gm.users().getProfile(userId="me").execute()["historyId"]) > int(start)
    own.client.add_fault("expire_history_id", vendor="google")
    with pytest.raises(HttpError) as e:
        gm.users().history().list(userId="me", startHistoryId=start).execute()
    assert e.value.status_code == 404
    own.client.advance(days=8)
    with pytest.raises(HttpError) as e:
        gm.users().history().list(userId="me", startHistoryId=start).execute()
    assert e.value.status_code == 404


def test_ga4_late_data_grows_for_three_days(own):
    ga = service(own.env, "analyticsdata", "v1beta")
    before = ga4_rows(ga, own.env, "9daysAgo", "today")
    own.client.advance(days=1)
    now = own.client.status()["now_epoch"]
    after = ga4_rows(ga, own.env, "10daysAgo", "today")
    settled = datetime.fromtimestamp(now - 5 * DAY, timezone.utc).strftime("%Y%m%d")  # final before the advance
    grew = {k for k in before if after.get(k) != before[k]}
    assert grew and all(k[0] > settled for k in grew)
    assert all(a >= b for k in grew for a, b in zip(after[k], before[k]))
    assert any(k[0] > max(before)[0] for k in after)  # the new day appears
    assert after == {truth_key(r): (r["sessions"], r["total_users"], r["new_users"], r["conversions"])
                     for r in own.client.truth_rows("google", "ga4_daily") if r["date"] >= min(k[0] for k in after)}


@pytest.mark.slow  # googleapiclient backs off up to 2 + 4 s
def test_injected_faults_are_googles_shape_and_retried(own):
    cal = service(own.env, "calendar", "v3")
    own.client.add_fault("rate_limit", vendor="google", path="/calendar/", times=1)
    with pytest.raises(HttpError) as e:
        cal.events().list(calendarId=SALES, maxResults=1).execute()
    assert e.value.status_code == 429 and error_body(e.value)["status"] == "RESOURCE_EXHAUSTED"
    own.client.add_fault("rate_limit", vendor="google", path="/calendar/", times=1)
    own.client.add_fault("server_error", vendor="google", path="/calendar/", times=1, status=503)
    assert cal.events().list(calendarId=SALES, maxResults=1).execute(num_retries=3)["items"]
    assert sum(n for k, n in own.client.stats()["google"].items() if k.endswith("/events")) >= 4
    own.client.add_fault("unauthorized", vendor="google", path="/v1beta/", times=1)  # google-auth refreshes and retries
    ga = service(own.env, "analyticsdata", "v1beta")
    body = {"dateRanges": [{"startDate": "yesterday", "endDate": "yesterday"}], "metrics": [{"name": "sessions"}]}
    assert ga.properties().runReport(property=own.env["GA4_PROPERTY_ID"], body=body).execute()["rows"]


def test_tokens_expire_when_the_world_moves_on(own):
    c = creds(own.env)
    c.refresh(AuthRequest())
    stale = user_credentials.Credentials(token=c.token)
    raw = service(own.env, "drive", "v3", http=google_auth_httplib2.AuthorizedHttp(stale, http=httplib2.Http(), max_refresh_attempts=0))
    assert raw.files().list(pageSize=1).execute()["files"]
    own.client.advance(days=1)
    with pytest.raises(HttpError) as e:
        raw.files().list(pageSize=1).execute()
    assert e.value.status_code == 401
    assert service(own.env, "drive", "v3", c).files().list(pageSize=1).execute()["files"]  # refreshed on the 401


def test_schema_drift_marks_changed_objects(own):
    cal, drive = service(own.env, "calendar", "v3"), service(own.env, "drive", "v3")
    _, token = calendar_state(cal, SALES)
    start = drive.changes().getStartPageToken().execute()["startPageToken"]
    own.client.start_drift("google")
    own.client.advance(days=1)
    changed, _ = calendar_state(cal, SALES, syncToken=token)
    assert changed and all(e.get("eventType") == "default" for e in changed.values())
    files = [c["file"] for c in drive.changes().list(pageToken=start, fields="*").execute()["changes"] if not c["removed"]]
    assert files and all(f["inheritedPermissionsDisabled"] is False for f in files)
    truth = {r["id"]: r for r in own.client.truth_rows("google", "calendar_events")}
    assert all(truth[i]["event_type"] == "default" for i in changed)
    untouched = calendar_state(cal, SALES)[0]
    assert any("eventType" not in e for e in untouched.values())


# --- determinism and the chaos profile, in process


def _emulator(seed: int, profile: str = "none") -> GoogleEmulator:
    sb = types.SimpleNamespace(world=build_world(seed, "small"), drift={}, faults=FaultPlan(profile, seed),
                               state_dir=".", base_url="http://sandbox", start_drift=None)
    sb.start_drift = lambda vendor: sb.drift.setdefault(vendor, sb.world.now)
    return GoogleEmulator(sb)


def _truth_bytes(emu: GoogleEmulator) -> bytes:
    return b"".join(line for name, rows in sorted(emu.truth().items()) for line in jsonl_lines(rows))


def test_truth_is_deterministic_across_builds_and_advances():
    a, b = _emulator(7), _emulator(7)
    assert _truth_bytes(a) == _truth_bytes(b) != _truth_bytes(_emulator(8))
    for emu in (a, b):
        old, new = emu.world.advance(DAY)
        emu.on_advance(old, new)
    assert _truth_bytes(a) == _truth_bytes(b)


def test_chaos_starts_drift_and_expires_some_old_sync_tokens():
    emu = _emulator(7, "chaos")
    before = emu.world.now
    old, new = emu.world.advance(DAY)
    emu.on_advance(old, new)
    assert emu.sandbox.drift["google"] == new
    expired = [emu.calendar._expired(SALES, before - k * 3600, "/calendar/v3/calendars/x/events") for k in range(200)]
    assert 0 < sum(expired) < 200
    assert not any(emu.calendar._expired(SALES, new + k, "/calendar/v3/calendars/x/events") for k in range(50))
