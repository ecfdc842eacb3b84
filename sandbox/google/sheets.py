"""Google Sheets v4: the marketing-spend spreadsheet marketing ops keeps by hand.

Tab `Spend`: a header row and one row per campaign × month (`Month` is a date cell formatted
`yyyy-mm`, `Spend (USD)` a currency cell), refreshed every morning at 06:00 UTC with spend through the
previous day (the running month's cell is a formula), a blank row between the years, and a free-text
`Notes` column. Tab `Notes` explains the sheet."""
from __future__ import annotations

import calendar as cal
import hashlib
import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.routing import Route

from sandbox.google.drive import SPEND_SHEET_CREATED
from sandbox.google.web import ApiError, endpoint
from sandbox.timeutil import DAY, add_months, day_start, month_start, to_dt, ts
from sandbox.world import World

HEADER = ("Month", "Campaign", "Channel", "Source", "Medium", "Spend (USD)", "Notes")
NOTES = ("invoice pending", "incl. agency fee", "paused 3 days (budget review)", "credit note expected",
         "billed in EUR, converted", "")
NOTES_TAB = (("How to read this sheet",), ("Spend is entered every morning for the previous day (UTC).",),
             ("The running month is month-to-date; amounts are USD incl. agency fees where noted.",))
SERIAL_EPOCH = -2209161600  # 1899-12-30, day 0 of spreadsheet date serials
SPEND_SHEET_ID = 0
NOTES_SHEET_ID = 1845923012


@dataclass(frozen=True, slots=True)
class Cell:
    formatted: str
    value: str | float | int  # the unformatted value (dates as serial numbers)
    formula: str | None = None
    date: bool = False


@dataclass(frozen=True, slots=True)
class SpendRow:
    month: str  # YYYY-MM
    campaign: str
    channel: str
    source: str
    medium: str
    cents: int
    partial: tuple[int, int, int] | None  # (monthly cents, days counted, days in month) of a running month
    note: str


def last_refresh(now: int) -> int:
    return SPEND_SHEET_CREATED + (now - SPEND_SHEET_CREATED) // DAY * DAY


def spend_rows(world: World, now: int) -> list[SpendRow]:
    """The Spend tab's data rows as of `now`, in month then campaign order."""
    through = day_start(last_refresh(now))  # spend is entered for full days
    rows = []
    for c in world.campaigns:
        m = month_start(c.start)
        while m < min(c.end, through):
            nxt = add_months(m, 1)
            days = (min(c.end, nxt, through) - max(c.start, m)) // DAY
            dim = cal.monthrange(to_dt(m).year, to_dt(m).month)[1]
            if days > 0:
                running = through < min(c.end, nxt)
                key = to_dt(m).strftime("%Y-%m")
                h = int.from_bytes(hashlib.blake2b(f"{world.seed}:{c.key}:{key}".encode(), digest_size=4).digest(), "big")
                note = "month to date" if running else (NOTES[h % len(NOTES)] if h % 7 == 0 else "")
                rows.append(SpendRow(key, c.key, c.channel, c.utm_source, c.utm_medium,
                                     round(c.monthly_spend_cents * days / dim), (c.monthly_spend_cents, days, dim) if running else None,
                                     note))
            m = nxt
    return sorted(rows, key=lambda r: (r.month, r.campaign))


def _money(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def _column(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


class SheetsApi:
    def __init__(self, emu, spreadsheet_id: str):
        self.emu, self.id = emu, spreadsheet_id
        self._cache: tuple[int, dict] | None = None

    def routes(self) -> list[Route]:
        return [Route("/v4/spreadsheets/{spreadsheetId}", self.get_spreadsheet),
                Route("/v4/spreadsheets/{spreadsheetId}/values/{range:path}", self.get_values)]

    def _tabs(self, now: int) -> dict[str, tuple[int, list[list[Cell | None]]]]:
        """Title -> (sheetId, rows of cells) as the sheet looks at `now` (it changes at each morning refresh)."""
        refresh = last_refresh(now)
        if self._cache is None or self._cache[0] != refresh:
            self._cache = (refresh, self._build_tabs(now))
        return self._cache[1]

    def _build_tabs(self, now: int) -> dict[str, tuple[int, list[list[Cell | None]]]]:
        grid: list[list[Cell | None]] = [[Cell(h, h) for h in HEADER]]
        year = None
        for r in spend_rows(self.emu.world, now):
            if year is not None and r.month[:4] != year:
                grid.append([])
            year = r.month[:4]
            serial = (_month_epoch(r.month) - SERIAL_EPOCH) // DAY
            formula = f"=ROUND({r.partial[0] / 100:g}*{r.partial[1]}/{r.partial[2]},2)" if r.partial else None
            grid.append([Cell(r.month, serial, date=True), Cell(r.campaign, r.campaign), Cell(r.channel, r.channel),
                         Cell(r.source, r.source), Cell(r.medium, r.medium),
                         Cell(_money(r.cents), r.cents / 100, formula), Cell(r.note, r.note) if r.note else None])
        notes = [[Cell(text, text) for text in row] for row in NOTES_TAB]
        return {"Spend": (SPEND_SHEET_ID, grid), "Notes": (NOTES_SHEET_ID, notes)}

    def _check(self, request: Request) -> None:
        self.emu.auth.require(request, self.emu.world.now, "sheets", legacy=False)
        if request.path_params["spreadsheetId"] != self.id:
            raise ApiError(404, "Requested entity was not found.", legacy=False)

    @staticmethod
    def _grid_size(rows: list) -> tuple[int, int]:
        return max(1000, len(rows) + 200), 26

    @endpoint()
    async def get_spreadsheet(self, request: Request) -> dict:
        self._check(request)
        now = self.emu.world.now
        with_data = request.query_params.get("includeGridData", "false").lower() == "true"
        sheets = []
        for index, (title, (sheet_id, rows)) in enumerate(self._tabs(now).items()):
            n_rows, n_cols = self._grid_size(rows)
            sheet = {"properties": {"sheetId": sheet_id, "title": title, "index": index, "sheetType": "GRID",
                                    "gridProperties": {"rowCount": n_rows, "columnCount": n_cols, "frozenRowCount": 1}}}
            if with_data:
                sheet["data"] = [{"rowData": [{"values": [self._cell_data(c) for c in row]} for row in rows]}]
            sheets.append(sheet)
        return {"spreadsheetId": self.id,
                "properties": {"title": "Marketing spend (live)", "locale": "en_US", "autoRecalc": "ON_CHANGE",
                               "timeZone": "America/New_York"},
                "sheets": sheets, "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.id}/edit"}

    @staticmethod
    def _cell_data(c: Cell | None) -> dict:
        if c is None:
            return {}
        kind = "stringValue" if isinstance(c.value, str) else "numberValue"
        return {"userEnteredValue": {"formulaValue": c.formula} if c.formula else {kind: c.value},
                "effectiveValue": {kind: c.value}, "formattedValue": c.formatted}

    @endpoint()
    async def get_values(self, request: Request) -> dict:
        self._check(request)
        q = request.query_params
        render = q.get("valueRenderOption", "FORMATTED_VALUE")
        dates = q.get("dateTimeRenderOption", "SERIAL_NUMBER")
        major = q.get("majorDimension", "ROWS")
        for name, value, allowed in (("valueRenderOption", render, ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")),
                                     ("dateTimeRenderOption", dates, ("SERIAL_NUMBER", "FORMATTED_STRING")),
                                     ("majorDimension", major, ("ROWS", "COLUMNS", "DIMENSION_UNSPECIFIED"))):
            if value not in allowed:
                raise ApiError(400, f"Invalid value at '{name}' ({value})", legacy=False)
        tabs = self._tabs(self.emu.world.now)
        title, (r0, c0, r1, c1) = self._parse_range(request.path_params["range"], tabs)
        rows = tabs[title][1]
        values = []
        for row in rows[r0:r1 + 1]:
            out = [self._value(c, render, dates) for c in row[c0:c1 + 1]]
            while out and out[-1] == "":
                out.pop()
            values.append(out)
        while values and not values[-1]:
            values.pop()
        if major == "COLUMNS":
            width = max((len(v) for v in values), default=0)
            values = [[v[i] if i < len(v) else "" for v in values] for i in range(width)]
            for col in values:
                while col and col[-1] == "":
                    col.pop()
        quoted = title if re.fullmatch(r"[A-Za-z0-9_]+", title) else "'" + title.replace("'", "''") + "'"
        body = {"range": f"{quoted}!{_column(c0)}{r0 + 1}:{_column(c1)}{r1 + 1}",
                "majorDimension": "COLUMNS" if major == "COLUMNS" else "ROWS"}
        if values:
            body["values"] = values
        return body

    @staticmethod
    def _value(c: Cell | None, render: str, dates: str):
        if c is None:
            return ""
        if render == "FORMATTED_VALUE" or (c.date and dates == "FORMATTED_STRING"):
            return c.formatted
        if render == "FORMULA" and c.formula:
            return c.formula
        return c.value

    def _parse_range(self, text: str, tabs: dict) -> tuple[str, tuple[int, int, int, int]]:
        """A1 notation -> (sheet title, zero-based inclusive row/column bounds clipped to the grid)."""
        error = ApiError(400, f"Unable to parse range: {text}", legacy=False)
        if "!" in text:
            title, cells = text.rsplit("!", 1)
            if title.startswith("'") and title.endswith("'"):
                title = title[1:-1].replace("''", "'")
        elif text in tabs or (text.startswith("'") and text[1:-1] in tabs):
            title, cells = text.strip("'"), ""
        else:
            title, cells = next(iter(tabs)), text
        if title not in tabs:
            raise error
        n_rows, n_cols = self._grid_size(tabs[title][1])
        if not cells:
            return title, (0, 0, n_rows - 1, n_cols - 1)
        m = re.fullmatch(r"([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?", cells)
        if not m or not (m.group(1) or m.group(2)):
            raise error
        col_a, row_a, col_b, row_b = m.groups()
        if ":" not in cells:
            col_b, row_b = col_a, row_a
        c0 = _column_index(col_a) if col_a else 0
        c1 = _column_index(col_b) if col_b else n_cols - 1
        r0 = int(row_a) - 1 if row_a else 0
        r1 = int(row_b) - 1 if row_b else n_rows - 1
        if r0 < 0 or r1 < r0 or c1 < c0:
            raise error
        return title, (r0, c0, min(r1, n_rows - 1), min(c1, n_cols - 1))

    def truth(self, now: int) -> list[dict]:
        return [{"month": r.month, "campaign": r.campaign, "channel": r.channel, "spend_usd": r.cents / 100}
                for r in spend_rows(self.emu.world, now)]


def _month_epoch(month: str) -> int:
    year, mon = month.split("-")
    return ts(int(year), int(mon), 1)
