"""The Stripe emulator: the ledger of the world's billing, served as Stripe's REST API under /stripe."""
from __future__ import annotations

import base64
import random

from starlette.requests import Request
from starlette.responses import Response

from sandbox.emulator import Emulator, json_response
from sandbox.store import Record
from sandbox.stripe.api import StripeApi
from sandbox.stripe.catalog import Catalog
from sandbox.stripe.ids import IdMaker, newest_first
from sandbox.stripe.ledger import EVENT_RETENTION, Ledger
from sandbox.stripe.listing import Resource, StripeError
from sandbox.stripe.render import Renderer
from sandbox.stripe.truth import tables

SUB_STATUSES = ("incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled", "unpaid", "paused")
ENDED = ("canceled", "incomplete_expired")
INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")


def _state(r: Record, now: int) -> dict:
    return r.version_at(now)[1]


def _choice(param: str, value: str, allowed) -> str:
    if value not in allowed:
        raise StripeError(400, f"Invalid {param}: must be one of {', '.join(allowed)}", param=param)
    return value


def _sub_status(value, now):
    """Stripe lists subscriptions that have not ended unless asked for `all`, `ended` or one status."""
    if value == "all":
        return None
    if value is None:
        return lambda r: _state(r, now)["status"] not in ENDED
    if value == "ended":
        return lambda r: _state(r, now)["status"] in ENDED
    value = _choice("status", value, SUB_STATUSES + ("all", "ended"))
    return lambda r: _state(r, now)["status"] == value


def _equals(read):
    """A predicate factory: keep rows whose `read(row, now)` equals the param's value."""
    return lambda value, now: None if value is None else (lambda r: read(r, now) == value)


def _bool_param(read):
    def make(value, now):
        if value is None:
            return None
        want = _choice("active", value, ("true", "false")) == "true"
        return lambda r: read(r) == want
    return make


def _event_types(value, now):
    if value is None:
        return None
    types = [value] if isinstance(value, str) else value
    exact = {t for t in types if not t.endswith("*")}
    prefixes = tuple(t[:-1] for t in types if t.endswith("*"))
    return lambda e: e.type in exact or (prefixes and e.type.startswith(prefixes))


class StripeEmulator(Emulator):
    name = "stripe"

    def __init__(self, sandbox):
        super().__init__(sandbox)
        self.ids = IdMaker(self.world.seed)
        self.catalog = Catalog(self.world.seed)
        self._build()

    def _build(self) -> None:
        self.ledger = Ledger(self.world, self.catalog, self.ids)
        led, cat = self.ledger, self.catalog
        self.by_id: dict[str, Record] = {}
        for records in (led.customers, led.subscriptions, led.invoices, led.charges, led.refunds, led.credit_notes,
                        led.balance_transactions, cat.product_records, cat.price_records, cat.coupon_records):
            records.sort(key=newest_first)
            self.by_id.update((r.id, r) for r in records)
        led.events.sort(key=newest_first)
        self.renderer = Renderer(led, cat, self.by_id, lambda: self.sandbox.drift.get(self.name))
        by_id = self.by_id
        self.resources = {r.name: r for r in (
            Resource("customers", "customer", led.customers, by_id,
                     predicates={"email": _equals(lambda r, now: _state(r, now)["email"])},
                     visible=lambda r, now: r.deleted is None or r.deleted > now),
            Resource("subscriptions", "subscription", led.subscriptions, by_id, indexes={"customer": "customer"},
                     predicates={"status": _sub_status, "price": lambda v, now: None if v is None else (
                         lambda r: any(it.price.id == v for it in _state(r, now)["items"]))}),
            Resource("invoices", "invoice", led.invoices, by_id,
                     indexes={"customer": "customer", "subscription": "subscription"},
                     predicates={"status": lambda v, now: None if v is None else (
                         lambda r, s=_choice("status", v, INVOICE_STATUSES): _state(r, now)["status"] == s)}),
            Resource("charges", "charge", led.charges, by_id, indexes={"customer": "customer"},
                     predicates={"payment_intent": _equals(lambda r, now: r.extra["payment_intent"])}),
            Resource("refunds", "refund", led.refunds, by_id,
                     predicates={"charge": _equals(lambda r, now: r.extra["charge"]),
                                 "payment_intent": _equals(lambda r, now: r.extra["payment_intent"])}),
            Resource("credit_notes", "credit_note", led.credit_notes, by_id,
                     predicates={"customer": _equals(lambda r, now: r.extra["customer"]),
                                 "invoice": _equals(lambda r, now: r.extra["invoice"])}),
            Resource("balance_transactions", "balance_transaction", led.balance_transactions, by_id,
                     predicates={"type": _equals(lambda r, now: r.extra["type"]),
                                 "source": _equals(lambda r, now: r.extra["source"]),
                                 "currency": _equals(lambda r, now: r.extra["currency"])}),
            Resource("products", "product", cat.product_records, by_id,
                     predicates={"active": _bool_param(lambda r: True)}),
            Resource("prices", "price", cat.price_records, by_id,
                     predicates={"active": _bool_param(lambda r: True),
                                 "currency": _equals(lambda r, now: r.versions[0][1]["currency"]),
                                 "product": _equals(lambda r, now: r.versions[0][1]["product"]),
                                 "type": _equals(lambda r, now: r.versions[0][1]["type"]),
                                 "lookup_keys": lambda v, now: None if v is None else (
                                     lambda r: r.versions[0][1]["lookup_key"] in v)}),
            Resource("coupons", "coupon", cat.coupon_records, by_id),
            Resource("events", "event", led.events, {e.id: e for e in led.events},
                     predicates={"type": _event_types, "types": _event_types}, retention=EVENT_RETENTION),
        )}
        self.api = StripeApi(self)

    def render_row(self, kind: str, row, now: int) -> dict:
        return self.api.event(row) if kind == "event" else self.renderer.at(kind, row, now)

    # --- Emulator ---------------------------------------------------------------------------------------

    def routes(self):
        return self.api.routes()

    def env(self) -> dict[str, str]:
        return {"STRIPE_API_KEY": self.sandbox.credentials.stripe_api_key,
                "STRIPE_API_BASE": f"{self.sandbox.base_url}/stripe"}

    def check_auth(self, request: Request) -> Response | None:
        """Stripe takes the secret key as a Bearer token or as the user of HTTP basic auth."""
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        key = ""
        if scheme.lower() == "bearer":
            key = value.strip()
        elif scheme.lower() == "basic":
            try:
                key = base64.b64decode(value.strip()).decode().split(":", 1)[0]
            except ValueError:
                key = value
        if key == self.sandbox.credentials.stripe_api_key:
            return None
        if not key:
            message = ("You did not provide an API key. You need to provide your API key in the Authorization "
                       "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
                       "https://stripe.com/docs/api#authentication for details, or we can help at "
                       "https://support.stripe.com/.")
        else:
            masked = f"{key[:8]}{'*' * max(4, len(key) - 12)}{key[-4:]}" if len(key) > 12 else "*" * len(key)
            message = f"Invalid API Key provided: {masked}"
        response = self.error(401, message)
        response.headers["WWW-Authenticate"] = 'Basic realm="Stripe"'
        return response

    def error(self, status: int, message: str) -> Response:
        """Stripe's error object; 429 carries `rate_limit` and asks clients to retry, 5xx are `api_error`."""
        if status == 429:
            err = StripeError(429, message, code="rate_limit")
        elif status >= 500:
            err = StripeError(status, message, type="api_error")
        else:
            err = StripeError(status, message)
        response = json_response(err.body(), status, StripeApi.headers(None))
        if status == 429:
            response.headers["Stripe-Should-Retry"] = "true"
        return response

    def truth(self) -> dict[str, list[dict]]:
        return tables(self)

    def on_advance(self, old_now: int, new_now: int) -> None:
        """Chaos starts drift; each advance plants customer updates in the very seconds of both clocks."""
        if self.sandbox.faults.profile == "chaos":
            self.sandbox.start_drift(self.name)
        rng = random.Random(f"{self.world.seed}:stripe:advance:{old_now}:{new_now}")
        events = self.resources["events"]
        for at in (old_now, new_now):
            # customers whose history has nothing later, so the new version is their latest
            quiet = [r for r in self.ledger.customers if r.deleted is None and r.created < at and r.versions[-1][0] <= at]
            if not quiet:
                continue
            rec = rng.choice(quiet)
            phone = f"+1 {rng.randrange(200, 999)} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}"
            events.add(self.ledger.add_version("customer", rec, at, {"phone": phone}))

