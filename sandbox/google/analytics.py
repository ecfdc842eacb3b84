"""GA4 Data API v1beta `properties.runReport`: website traffic per day and session source.

One fact row per day × traffic source (each running campaign's utm source/medium/campaign, organic,
direct, social and referral traffic), split over a few landing pages. Conversions are the world's
leads that arrived that day through that source, plus noise; sessions scale with paid spend and the
world's size. Late data: a day's figures keep growing until 72 h after it ends (the current day is
partial), so an incremental sync needs a lookback. The property's time zone is UTC (`Etc/GMT`)."""
from __future__ import annotations

import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.routing import Route

from sandbox.google.paging import ViewCache
from sandbox.google.web import ApiError, endpoint
from sandbox.timeutil import DAY, to_dt, ts
from sandbox.world import World

GA_START = ts(2024, 8, 1)  # the property's first day of data
LATE_DAYS = 3
TIME_ZONE = "Etc/GMT"
METRICS = {"sessions": 0, "totalUsers": 1, "newUsers": 2, "engagedSessions": 3, "conversions": 4, "keyEvents": 4,
           "eventCount": 5}
DIMENSIONS = ("date", "sessionSource", "sessionMedium", "sessionCampaignName", "sessionDefaultChannelGroup",
              "sessionSourceMedium", "landingPage")
MAX_LIMIT = 250_000
CPC_USD = {"paid_search": 6.0, "paid_social": 4.0, "event": 25.0, "content": 9.0}
UNPAID_SESSIONS = {"email": 40.0, "referral": 15.0}
# unattributed traffic: (source, medium, campaign, daily sessions at medium scale, landing pages)
OTHER_SOURCES = (
    ("google", "organic", "(organic)", 150.0, (("/", 0.45), ("/blog/cold-email-deliverability", 0.35), ("/pricing", 0.2))),
    ("bing", "organic", "(organic)", 18.0, (("/", 0.6), ("/pricing", 0.4))),
    ("(direct)", "(none)", "(direct)", 90.0, (("/", 0.7), ("/login", 0.3))),
    ("linkedin.com", "referral", "(referral)", 25.0, (("/blog/cold-email-deliverability", 1.0),)),
    ("news.ycombinator.com", "referral", "(referral)", 8.0, (("/blog/how-we-warm-up-ips", 1.0),)),
    ("(not set)", "(not set)", "(not set)", 4.0, (("(not set)", 1.0),)),
)
# HubSpot analytics source of an unattributed lead -> index in OTHER_SOURCES
UNATTRIBUTED = {"ORGANIC_SEARCH": 0, "DIRECT_TRAFFIC": 2, "SOCIAL_MEDIA": 3}


def channel_group(source: str, medium: str) -> str:
    """GA4's default channel grouping, for the sources this site sees."""
    if medium == "organic":
        return "Organic Search"
    if source == "(direct)" and medium == "(none)":
        return "Direct"
    if medium in ("cpc", "ppc", "paidsearch"):
        return "Paid Search"
    if medium.startswith("paid") and "social" in medium:
        return "Paid Social"
    if medium in ("email", "e-mail", "newsletter"):
        return "Email"
    if medium == "referral":
        return "Organic Social" if source in ("linkedin.com", "facebook.com", "t.co") else "Referral"
    return "Unassigned"


@dataclass(frozen=True, slots=True)
class Source:
    source: str
    medium: str
    campaign: str
    pages: tuple[tuple[str, float], ...]

    @property
    def dims(self) -> dict[str, str]:
        return {"sessionSource": self.source, "sessionMedium": self.medium, "sessionCampaignName": self.campaign,
                "sessionDefaultChannelGroup": channel_group(self.source, self.medium),
                "sessionSourceMedium": f"{self.source} / {self.medium}"}


def _campaign_pages(key: str, channel: str) -> tuple[tuple[str, float], ...]:
    theme = key.split("-", 2)[2]
    return {"email": (("/blog/newsletter", 0.6), ("/", 0.4)), "referral": (("/partners", 0.7), ("/", 0.3)),
            "event": (("/events", 1.0),), "content": (("/reviews", 0.5), ("/pricing", 0.5))
            }.get(channel, ((f"/lp/{theme}", 0.8), ("/pricing", 0.2)))


class Traffic:
    """Final daily figures per source: (sessions, totalUsers, newUsers, engagedSessions, conversions, eventCount)."""

    def __init__(self, world: World):
        rng = random.Random(f"{world.seed}:google:ga4")
        self.sources: list[Source] = [Source(s, m, c, pages) for s, m, c, _, pages in OTHER_SOURCES]
        base = [b for *_, b, _ in OTHER_SOURCES]
        spans = [(GA_START, world.horizon)] * len(OTHER_SOURCES)
        index = {}
        for c in world.campaigns:
            index[c.key] = len(self.sources)
            self.sources.append(Source(c.utm_source, c.utm_medium, c.key, _campaign_pages(c.key, c.channel)))
            paid = c.monthly_spend_cents / 100 / 30 / CPC_USD[c.channel] if c.channel in CPC_USD else 0.0
            base.append(paid or UNPAID_SESSIONS.get(c.channel, 10.0))
            spans.append((c.start, c.end))
        leads: Counter[tuple[int, int]] = Counter()
        for acct in world.accounts:
            for p in acct.people:
                if p.created < GA_START:
                    continue
                s = index.get(p.campaign) if p.campaign else UNATTRIBUTED.get(p.lead_source)
                if s == 0 and p.key % 10 == 0:
                    s = 1  # a tenth of organic search comes from Bing
                if s is not None:
                    leads[((p.created - GA_START) // DAY, s)] += 1
        scale = max(0.05, world.scale.accounts / 5000)
        self.n_days = (world.horizon - GA_START) // DAY + 1
        self.days: list[list[tuple[int, tuple[int, ...]]]] = []
        for d in range(self.n_days):
            t = GA_START + d * DAY
            weekday = 0.55 if to_dt(t).weekday() >= 5 else 1.0
            growth = 0.5 + d / self.n_days
            rows = []
            for s, (lo, hi) in enumerate(spans):
                if not lo <= t < hi:
                    continue
                n = leads.get((d, s), 0)
                conv = max(0, n + rng.choice((-1, 0, 0, 0, 0, 1, 1, 2))) if n else int(rng.random() < 0.03)
                sessions = max(round(base[s] * scale * weekday * growth * rng.uniform(0.8, 1.2)), conv * rng.randint(4, 12))
                users = round(sessions * rng.uniform(0.72, 0.92))
                rows.append((s, (sessions, users, round(users * rng.uniform(0.55, 0.85)),
                                 round(sessions * rng.uniform(0.45, 0.7)), conv, round(sessions * rng.uniform(4, 8)))))
            self.days.append(rows)


def completeness(day_start: int, now: int) -> float | None:
    """Share of a day's final figures reported at `now` (None before the day starts)."""
    if now < day_start:
        return None
    if now < day_start + DAY:
        return 0.9 * (now - day_start) / DAY
    return min(1.0, 0.9 + 0.1 * (now - day_start - DAY) / (LATE_DAYS * DAY))


def _split(values: tuple[int, ...], pages) -> list[tuple[str, tuple[int, ...]]]:
    """A source's day over its landing pages; users are not additive over pages (a user may land twice)."""
    if len(pages) == 1:
        return [(pages[0][0], values)]
    out, rest = [], list(values)
    for page, share in pages[1:]:
        part = [math.floor(v * share) for v in values]
        part[1] = min(part[0], round(values[1] * min(1.0, share * 1.15)))
        part[2] = min(part[1], part[2])
        out.append((page, tuple(part)))
        rest = [r - p for r, p in zip(rest, part)]
    rest[1] = min(rest[0], round(values[1] * min(1.0, pages[0][1] * 1.15)))
    rest[2] = min(rest[1], max(0, rest[2]))
    return [(pages[0][0], tuple(rest))] + out


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad(f"Invalid value at '{name}' ({value})") from None


def _bad(message: str) -> ApiError:
    return ApiError(400, message, legacy=False)


class AnalyticsApi:
    def __init__(self, emu, property_name: str):
        self.emu, self.property = emu, property_name
        self.traffic = Traffic(emu.world)
        self.reports = ViewCache(32)  # reports are small (one row per day and source at most)

    def routes(self) -> list[Route]:
        return [Route("/v1beta/properties/{propertyId}:runReport", self.run_report, methods=["POST"]),
                Route("/v1beta/properties/{propertyId}/metadata", self.metadata)]

    def _check(self, request: Request) -> None:
        self.emu.auth.require(request, self.emu.world.now, "analytics", legacy=False)
        if f"properties/{request.path_params['propertyId']}" != self.property:
            raise ApiError(403, "User does not have sufficient permissions for this property. To learn more about "
                                "Property ID, see https://developers.google.com/analytics/devguides/reporting/data/v1/property-id.",
                           legacy=False)

    @endpoint()
    async def metadata(self, request: Request) -> dict:
        self._check(request)
        return {"name": f"{self.property}/metadata",
                "dimensions": [{"apiName": d, "uiName": re.sub(r"(?<!^)(?=[A-Z])", " ", d).capitalize(),
                                "category": "Traffic source" if d.startswith("session") else "Page / screen" if d == "landingPage" else "Time"}
                               for d in DIMENSIONS],
                "metrics": [{"apiName": m, "uiName": re.sub(r"(?<!^)(?=[A-Z])", " ", m).capitalize(), "type": "TYPE_INTEGER",
                             "category": "Session" if "ession" in m else "User" if "Users" in m else "Event"} for m in METRICS]}

    def _day(self, text: str, today: int, name: str) -> int:
        if text == "today":
            return today
        if text == "yesterday":
            return today - 1
        m = re.fullmatch(r"(\d+)daysAgo", text)
        if m:
            return today - int(m[1])
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
        if not m:
            raise _bad(f"Invalid {name}: {text}. The date should be formatted as YYYY-MM-DD, NdaysAgo, yesterday, or today.")
        return (ts(int(m[1]), int(m[2]), int(m[3])) - GA_START) // DAY

    @endpoint()
    async def run_report(self, request: Request) -> dict:
        self._check(request)
        try:
            req = orjson.loads(await request.body() or b"{}")
        except orjson.JSONDecodeError:
            raise _bad("Invalid JSON payload received.") from None
        limit = _int(req.get("limit", 10_000), "limit")
        offset = _int(req.get("offset", 0), "offset")
        if limit < 0 or offset < 0:
            raise _bad("limit and offset must be non-negative.")
        limit = min(limit or 10_000, MAX_LIMIT)
        key = orjson.dumps({k: v for k, v in req.items() if k not in ("limit", "offset", "returnPropertyQuota")},
                           option=orjson.OPT_SORT_KEYS)
        now = self.emu.world.now
        report = self.reports.get((now, key), lambda: self._report(req, now))
        dims, metrics, rows, aggregates = report
        body: dict = {"dimensionHeaders": [{"name": d} for d in dims],
                      "metricHeaders": [{"name": m, "type": "TYPE_INTEGER"} for m in metrics]}
        page = rows[offset:offset + limit]
        if page:
            body["rows"] = [{"dimensionValues": [{"value": v} for v in dv], "metricValues": [{"value": str(v)} for v in mv]}
                            for dv, mv in page]
        body |= aggregates
        if rows:
            body["rowCount"] = len(rows)
        body["metadata"] = {"currencyCode": "USD", "timeZone": TIME_ZONE}
        if req.get("returnPropertyQuota"):
            body["propertyQuota"] = {"tokensPerDay": {"consumed": 12, "remaining": 199_988},
                                     "tokensPerHour": {"consumed": 12, "remaining": 39_988},
                                     "concurrentRequests": {"remaining": 10},
                                     "serverErrorsPerProjectPerHour": {"remaining": 10},
                                     "potentiallyThresholdedRequestsPerHour": {"remaining": 120},
                                     "tokensPerProjectPerHour": {"consumed": 12, "remaining": 13_988}}
        body["kind"] = "analyticsData#runReport"
        return body

    def _report(self, req: dict, now: int):
        dims = [d.get("name") for d in req.get("dimensions", [])]
        metrics = [m.get("name") for m in req.get("metrics", [])]
        for d in dims:
            if d not in DIMENSIONS:
                raise _bad(f"Field {d} is not a valid dimension. For a list of valid dimensions and metrics, see "
                           "https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema ")
        for m in metrics:
            if m not in METRICS:
                raise _bad(f"Field {m} is not a valid metric. For a list of valid dimensions and metrics, see "
                           "https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema ")
        if not dims and not metrics:
            raise _bad("The request must specify at least one dimension or metric.")
        ranges = req.get("dateRanges") or []
        if not 1 <= len(ranges) <= 4:
            raise _bad("A report request must specify between 1 and 4 date ranges.")
        today = (now - GA_START) // DAY
        spans = []
        for i, r in enumerate(ranges):
            lo, hi = self._day(r.get("startDate", ""), today, "startDate"), self._day(r.get("endDate", ""), today, "endDate")
            if hi < lo:
                raise _bad(f"Invalid date range: endDate {r.get('endDate')} is before startDate {r.get('startDate')}.")
            spans.append((r.get("name") or f"date_range_{i}", max(lo, 0), min(hi, today, self.traffic.n_days - 1)))
        out_dims = dims + (["dateRange"] if len(spans) > 1 else [])
        dim_filter = req.get("dimensionFilter")
        by_page = "landingPage" in dims or "landingPage" in orjson.dumps(dim_filter or {}).decode()
        cols = [METRICS[m] for m in metrics]
        groups: dict[tuple, list[int]] = {}
        for label, lo, hi in spans:
            for d in range(lo, hi + 1):
                share = completeness(GA_START + d * DAY, now)
                if share is None:
                    continue
                date = to_dt(GA_START + d * DAY).strftime("%Y%m%d")
                for s, final in self.traffic.days[d]:
                    src = self.traffic.sources[s]
                    values = tuple(math.floor(v * share) for v in final)
                    base = src.dims | {"date": date, "dateRange": label}
                    for page, part in (_split(values, src.pages) if by_page else [(None, values)]):
                        row_dims = base | {"landingPage": page} if by_page else base
                        if dim_filter and not _matches(dim_filter, row_dims, None):
                            continue
                        key = tuple(row_dims[x] for x in out_dims)
                        acc = groups.setdefault(key, [0] * len(cols))
                        for j, c in enumerate(cols):
                            acc[j] += part[c]
        keep_empty = bool(req.get("keepEmptyRows"))
        metric_filter = req.get("metricFilter")
        rows = []
        for key, vals in groups.items():
            if not keep_empty and cols and not any(vals):
                continue
            if metric_filter and not _matches(metric_filter, None, dict(zip(metrics, vals))):
                continue
            rows.append((key, tuple(vals)))
        _order(rows, req.get("orderBys") or [], out_dims, metrics)
        aggregates = {}
        names = {"TOTAL": ("totals", "RESERVED_TOTAL", sum), "MAXIMUM": ("maximums", "RESERVED_MAX", max),
                 "MINIMUM": ("minimums", "RESERVED_MIN", min)}
        for agg in req.get("metricAggregations") or []:
            if agg not in (*names, "COUNT"):
                raise _bad(f"Invalid value at 'metric_aggregations' ({agg})")
            if agg in names and rows:  # COUNT is accepted, but a RunReportResponse has no field for it
                field, label, fn = names[agg]
                values = [fn([r[1][j] for r in rows]) for j in range(len(cols))]
                aggregates[field] = [{"dimensionValues": [{"value": label} for _ in out_dims],
                                      "metricValues": [{"value": str(v)} for v in values]}]
        return out_dims, metrics, rows, aggregates

    def truth(self, now: int) -> list[dict]:
        rows = []
        for d in range(min((now - GA_START) // DAY, self.traffic.n_days - 1) + 1):
            share = completeness(GA_START + d * DAY, now)
            date = to_dt(GA_START + d * DAY).strftime("%Y%m%d")
            for s, final in self.traffic.days[d]:
                sessions, users, new, _, conv, _ = (math.floor(v * share) for v in final)
                if sessions or users or new or conv:
                    src = self.traffic.sources[s]
                    rows.append({"date": date, "source": src.source, "medium": src.medium, "campaign": src.campaign,
                                 "sessions": sessions, "total_users": users, "new_users": new, "conversions": conv})
        return sorted(rows, key=lambda r: (r["date"], r["source"], r["medium"], r["campaign"]))


def _order(rows: list, order_bys: list[dict], dims: list[str], metrics: list[str]) -> None:
    """Sorts in place: by `orderBys`, then (default) by the first metric descending; ties by the dimensions."""
    rows.sort(key=lambda r: r[0])
    keys = order_bys or ([{"metric": {"metricName": metrics[0]}, "desc": True}] if metrics else [])
    for ob in reversed(keys):
        if "metric" in ob:
            name = ob["metric"].get("metricName")
            if name not in metrics:
                raise _bad(f"Field {name} in orderBys must also be in the request's metrics.")
            j = metrics.index(name)
            rows.sort(key=lambda r: r[1][j], reverse=bool(ob.get("desc")))
        elif "dimension" in ob:
            name = ob["dimension"].get("dimensionName")
            if name not in dims:
                raise _bad(f"Field {name} in orderBys must also be in the request's dimensions.")
            j = dims.index(name)
            kind = ob["dimension"].get("orderType", "ALPHANUMERIC")
            if kind == "NUMERIC":
                key = lambda r: (float(r[0][j]) if re.fullmatch(r"-?\d+(\.\d+)?", r[0][j]) else math.inf)
            elif kind == "CASE_INSENSITIVE_ALPHANUMERIC":
                key = lambda r: r[0][j].lower()
            else:
                key = lambda r: r[0][j]
            rows.sort(key=key, reverse=bool(ob.get("desc")))
        else:
            raise _bad("An orderBy must set metric or dimension.")


def _matches(expr: dict, dims: dict | None, metrics: dict | None) -> bool:
    """A GA4 FilterExpression over a row's dimension values (dimensionFilter) or metric values (metricFilter)."""
    if "andGroup" in expr:
        return all(_matches(e, dims, metrics) for e in expr["andGroup"].get("expressions", []))
    if "orGroup" in expr:
        return any(_matches(e, dims, metrics) for e in expr["orGroup"].get("expressions", []))
    if "notExpression" in expr:
        return not _matches(expr["notExpression"], dims, metrics)
    f = expr.get("filter")
    if not f:
        raise _bad("A filter expression must set andGroup, orGroup, notExpression or filter.")
    name = f.get("fieldName")
    if dims is not None:
        if name not in DIMENSIONS:
            raise _bad(f"Field {name} is not a valid dimension.")
        value = dims.get(name) or ""
        if "stringFilter" in f:
            sf = f["stringFilter"]
            case = sf.get("caseSensitive", False)
            want, have = (sf.get("value", ""), value) if case else (sf.get("value", "").lower(), value.lower())
            match = sf.get("matchType", "EXACT")
            tests = {"EXACT": lambda: have == want, "BEGINS_WITH": lambda: have.startswith(want),
                     "ENDS_WITH": lambda: have.endswith(want), "CONTAINS": lambda: want in have,
                     "FULL_REGEXP": lambda: re.fullmatch(sf.get("value", ""), value, 0 if case else re.I) is not None,
                     "PARTIAL_REGEXP": lambda: re.search(sf.get("value", ""), value, 0 if case else re.I) is not None}
            if match not in tests:
                raise _bad(f"Invalid matchType {match}.")
            return tests[match]()
        if "inListFilter" in f:
            lf = f["inListFilter"]
            if lf.get("caseSensitive", False):
                return value in lf.get("values", [])
            return value.lower() in {v.lower() for v in lf.get("values", [])}
        if "emptyFilter" in f:
            return value in ("", "(not set)")
        raise _bad(f"Unsupported filter on dimension {name}.")
    if name not in (metrics or {}):
        raise _bad(f"Field {name} in metricFilter must also be in the request's metrics.")
    value = metrics[name]

    def num(v: dict) -> float:
        return float(v.get("int64Value", v.get("doubleValue", 0)))

    if "numericFilter" in f:
        nf = f["numericFilter"]
        target = num(nf.get("value", {}))
        ops = {"EQUAL": value == target, "LESS_THAN": value < target, "LESS_THAN_OR_EQUAL": value <= target,
               "GREATER_THAN": value > target, "GREATER_THAN_OR_EQUAL": value >= target}
        if nf.get("operation") not in ops:
            raise _bad(f"Invalid operation {nf.get('operation')}.")
        return ops[nf["operation"]]
    if "betweenFilter" in f:
        bf = f["betweenFilter"]
        return num(bf.get("fromValue", {})) <= value <= num(bf.get("toValue", {}))
    raise _bad(f"Unsupported filter on metric {name}.")
