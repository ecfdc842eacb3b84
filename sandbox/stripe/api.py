"""Stripe's REST surface: GET list/retrieve under /v1, invoice lines, events, errors and headers."""
from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulator import json_response
from sandbox.stripe.listing import (
    StripeError,
    created_bounds,
    missing,
    page,
    parse_limit,
    parse_query,
    split_expand,
)
from sandbox.stripe.render import API_VERSION, diff

if TYPE_CHECKING:
    from sandbox.stripe.emulator import StripeEmulator

LIST_PARAMS = {"limit", "starting_after", "ending_before", "created", "expand"}
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
KIND_BY_PREFIX = {"cus": "customer", "sub": "subscription", "in": "invoice", "ch": "charge", "re": "refund",
                  "txn": "balance_transaction", "price": "price", "prod": "product", "cn": "credit_note"}
# field -> what it expands to, per object kind ("discount" and "payments" are rendered specially)
EXPANDABLE = {
    "customer": {},
    "subscription": {"customer": "id", "latest_invoice": "id", "discounts": "discount"},
    "invoice": {"customer": "id", "subscription": "id", "discounts": "discount", "payments": "payments"},
    "charge": {"customer": "id", "balance_transaction": "id"},
    "refund": {"charge": "id", "balance_transaction": "id"},
    "credit_note": {"customer": "id", "invoice": "id"},
    "balance_transaction": {"source": "id"},
    "product": {"default_price": "id"},
    "price": {"product": "id"},
    "coupon": {},
    "event": {},
    "line_item": {},
}


class StripeApi:
    def __init__(self, emulator: "StripeEmulator"):
        self.emu = emulator
        self.render = emulator.renderer

    def routes(self) -> list[Route]:
        return [
            Route("/v1/invoices/{id}/lines", self._lines),
            Route("/v1/{resource}/{id}", self._retrieve),
            Route("/v1/{resource}", self._list),
            Route("/{path:path}", self._unknown, methods=ALL_METHODS),
        ]

    # --- responses --------------------------------------------------------------------------------

    @staticmethod
    def headers(request: Request | None) -> dict[str, str]:
        version = request.headers.get("stripe-version", API_VERSION) if request is not None else API_VERSION
        return {"Request-Id": f"req_{secrets.token_hex(7)}", "Stripe-Version": version,
                "Cache-Control": "no-cache, no-store"}

    def answer(self, request: Request, produce) -> Response:
        try:
            return json_response(produce(), 200, self.headers(request))
        except StripeError as e:
            return json_response(e.body(), e.status, self.headers(request))

    async def _unknown(self, request: Request) -> Response:
        path = request.url.path.split("/stripe", 1)[-1]
        return self.answer(request, lambda: self._unrecognized(request.method, path))

    @staticmethod
    def _unrecognized(method: str, path: str):
        raise StripeError(404, f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
                               "or we can help at https://support.stripe.com/.")

    def _resource(self, request: Request):
        res = self.emu.resources.get(request.path_params["resource"])
        if res is None:
            self._unrecognized(request.method, request.url.path.split("/stripe", 1)[-1])
        return res

    # --- handlers ---------------------------------------------------------------------------------

    async def _list(self, request: Request) -> Response:
        return self.answer(request, lambda: self.list_page(
            self._resource(request), parse_query(request.query_params.multi_items())))

    async def _retrieve(self, request: Request) -> Response:
        def produce():
            res = self._resource(request)
            params = parse_query(request.query_params.multi_items())
            self._only(params, {"expand"})
            now = self.emu.world.now
            rec = self.lookup(res, request.path_params["id"], now)
            obj = self.emu.render_row(res.kind, rec, now)
            for parts in split_expand(params, listing=False):
                self.expand(obj, res.kind, parts, now, ".".join(parts))
            return obj
        return self.answer(request, produce)

    async def _lines(self, request: Request) -> Response:
        def produce():
            now = self.emu.world.now
            res = self.emu.resources["invoices"]
            rec = self.lookup(res, request.path_params["id"], now)
            params = parse_query(request.query_params.multi_items())
            self._only(params, {"limit", "starting_after", "ending_before", "expand"})
            split_expand(params, listing=True)  # validates; line items have nothing expandable
            limit = parse_limit(params)
            lines = rec.extra["lines"]
            ids = [li.id for li in lines]
            if "starting_after" in params or "ending_before" in params:
                cursor = params.get("starting_after") or params["ending_before"]
                if cursor not in ids:
                    raise missing("line_item", cursor, "starting_after" if "starting_after" in params else "ending_before", 400)
                pos = ids.index(cursor)
                chosen = lines[pos + 1:pos + 1 + limit] if "starting_after" in params else lines[max(0, pos - limit):pos]
                more = pos + 1 + limit < len(lines) if "starting_after" in params else pos - limit > 0
            else:
                chosen, more = lines[:limit], len(lines) > limit
            f, did = rec.extra, rec.extra["discount"]
            return {"object": "list", "data": [self.render.line(li, rec.id, f, did) for li in chosen],
                    "has_more": more, "url": f"/v1/invoices/{rec.id}/lines"}
        return self.answer(request, produce)

    # --- listing ----------------------------------------------------------------------------------

    @staticmethod
    def _only(params: dict, allowed) -> None:
        for key in params:
            if key not in allowed:
                raise StripeError(400, f"Received unknown parameter: {key}", param=key)

    def lookup(self, res, object_id: str, now: int):
        rec = res.by_id.get(object_id)
        if rec is None or rec.created > now or (res.retention is not None and rec.created <= now - res.retention):
            raise missing(res.kind, object_id)
        return rec

    def list_page(self, res, params: dict) -> dict:
        now = self.emu.world.now
        self._only(params, LIST_PARAMS | set(res.indexes) | set(res.predicates))
        limit = parse_limit(params)
        expands = split_expand(params, listing=True)
        gte, lte = created_bounds(params.get("created"))
        lte = now if lte is None else min(lte, now)
        if res.retention is not None:
            gte = max(gte or 0, now - res.retention + 1)
        cursors = {}
        for param in ("starting_after", "ending_before"):
            if param in params:
                cid = params[param]
                rec = res.by_id.get(cid)
                if rec is None or rec.created > now or self.emu.sandbox.faults.take("stripe", "missing_cursor", res.url):
                    raise missing(res.kind, cid, param, 400)
                cursors[param] = rec
        rows, keeps = res.rows, []
        for param, field in res.indexes.items():
            if param in params:
                value = params[param]
                if rows is res.rows:
                    rows = res.index_rows(param, value)
                else:
                    keeps.append(lambda r, f=field, v=value: r.extra[f] == v)
        for param, make in res.predicates.items():
            pred = make(params.get(param), now)
            if pred is not None:
                keeps.append(pred)
        if res.visible is not None:
            keeps.append(lambda r: res.visible(r, now))
        keep = keeps[0] if len(keeps) == 1 else (lambda r: all(k(r) for k in keeps)) if keeps else None
        items, more = page(rows, limit, gte, lte, cursors.get("starting_after"), cursors.get("ending_before"), keep)
        data = [self.emu.render_row(res.kind, r, now) for r in items]
        for parts in expands:
            for obj in data:
                self.expand(obj, res.kind, parts, now, "data." + ".".join(parts))
        return {"object": "list", "data": data, "has_more": more, "url": res.url}

    def expand(self, obj: dict, kind: str, parts: list[str], now: int, path: str) -> None:
        """Replaces the id at `parts[0]` by the object (recursively for longer paths), as `expand[]` does."""
        how = EXPANDABLE.get(kind, {}).get(parts[0])
        if how is None:
            raise StripeError(400, f"This property cannot be expanded ({path}).", param="expand")
        if how == "payments":
            obj["payments"] = self.render.invoice_payments(self.emu.by_id[obj["id"]], now)
            return
        value = obj.get(parts[0])
        if how == "discount":
            obj[parts[0]] = [self.render.discount(d) if isinstance(d, str) else d for d in value]
            return
        if not isinstance(value, str):
            return  # null, or already expanded by another path
        target = KIND_BY_PREFIX[value.split("_", 1)[0]]
        sub = self.emu.render_row(target, self.emu.by_id[value], now)
        if len(parts) > 1:
            self.expand(sub, target, parts[1:], now, path)
        obj[parts[0]] = sub

    # --- events -----------------------------------------------------------------------------------

    def event(self, e) -> dict:
        """An event with data.object as the object was at the event (previous_attributes on *.updated)."""
        rec = e.record
        vt, st = rec.versions[e.version]
        obj = self.render.version(e.kind, rec, vt, st, e.created)
        data = {"object": obj}
        if e.type.endswith(".updated") and e.version > 0:
            pvt, pst = rec.versions[e.version - 1]
            data["previous_attributes"] = diff(self.render.version(e.kind, rec, pvt, pst, e.created), obj)
        return {"id": e.id, "object": "event", "api_version": API_VERSION, "created": e.created, "data": data,
                "livemode": False, "pending_webhooks": 0, "request": {"id": None, "idempotency_key": None},
                "type": e.type}
