"""Derives every Stripe object, with all its versions and events, from the world's subscription timelines.

Each account is replayed once, in time order: its customer, its subscriptions (trial, conversion,
renewals, mid-period changes with `always_invoice` prorations, dunning, cancellation), their
invoices and lines (discounts and customer balance applied to the cent), the charges of every
payment attempt, refunds, credit notes and balance transactions. Objects are kept as `Record`s
whose versions hold only what changes (static facts live in `Record.extra`); events point at the
version they show. Extra facts the world does not hold (addresses, cards, usage, refunds, deleted
customers) come from the account's own stream `Random(f"{seed}:stripe:{idx}")`.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import NamedTuple

from sandbox.store import Record
from sandbox.stripe.catalog import Catalog, Price
from sandbox.stripe.ids import B62, IdMaker
from sandbox.timeutil import DAY, HOUR, add_months, day_start, to_dt
from sandbox.world import keys
from sandbox.world.catalog import COUPONS
from sandbox.world.model import Account, Subscription, World

EVENT_RETENTION = 30 * DAY  # /v1/events shows the last 30 days: older events are never built
FINALIZE_AFTER = HOUR  # renewal invoices stay draft for an hour, then are finalized and charged
TRIAL_WILL_END = 3 * DAY
DECLINES = (  # (failure_code, outcome.reason, failure_message, weight)
    ("card_declined", "generic_decline", "Your card was declined.", 45),
    ("card_declined", "insufficient_funds", "Your card has insufficient funds.", 35),
    ("expired_card", "expired_card", "Your card has expired.", 12),
    ("card_declined", "do_not_honor", "Your card was declined.", 8),
)
CITIES = {
    "US": (("New York", "NY", "100"), ("Austin", "TX", "787"), ("Denver", "CO", "802"), ("Seattle", "WA", "981")),
    "CA": (("Toronto", "ON", "M5V"), ("Vancouver", "BC", "V6B")), "GB": (("London", None, "EC1"), ("Manchester", None, "M1")),
    "DE": (("Berlin", None, "101"), ("Munich", None, "803")), "FR": (("Paris", None, "750"), ("Lyon", None, "690")),
    "NL": (("Amsterdam", None, "101"), ("Utrecht", None, "351")), "AU": (("Sydney", "NSW", "200"), ("Melbourne", "VIC", "300")),
    "SG": (("Singapore", None, "018"),),
}
STREETS = ("Market St", "Main St", "High Street", "King St", "Harbour Rd", "Station Rd", "Park Ave", "Mill Lane")
LOCALES = {"US": "en-US", "CA": "en-CA", "GB": "en-GB", "DE": "de-DE", "FR": "fr-FR", "NL": "nl-NL", "AU": "en-AU", "SG": "en-SG"}
CARD_BRANDS = (("visa", 55), ("mastercard", 35), ("amex", 10))
_NO_STATE: dict = {}  # the one (never mutated) state of objects that do not change


class Item(NamedTuple):
    """A subscription item as it stands between two changes (the id survives price and quantity changes)."""

    id: str
    price: Price
    quantity: int | None  # None for metered items, as Stripe shows them
    created: int


class Line(NamedTuple):
    id: str
    kind: str  # trial | licensed | usage | unused | remaining | one_off (see _AccountReplay)
    amount: int
    discount_amount: int
    period_start: int
    period_end: int
    quantity: int
    price: Price
    item: str | None  # si_… for subscription lines; None for the one-off invoice item
    credited: tuple[str, str] | None  # (invoice, line) an `unused` credit reverses


@dataclass(slots=True)
class Event:
    id: str
    created: int
    type: str
    kind: str  # the object kind rendered in data.object
    record: Record
    version: int  # index of the record's version shown (previous_attributes compare with the one before)


class Draft:
    """An object being built: its facts and time-stamped patches, folded into a `Record` at the end."""

    __slots__ = ("id", "kind", "created", "static", "patches", "deleted")

    def __init__(self, id: str, kind: str, created: int, static: dict, state: dict, event: str | None):
        self.id, self.kind, self.created, self.static, self.deleted = id, kind, created, static, None
        self.patches: list[tuple[int, int, int, dict, str | None]] = [(created, 0, 0, state, event)]

    def patch(self, t: int, event: str | None, rank: int = 1, **fields) -> None:
        """From `t` on the object has `fields`; `rank` orders patches of the same second."""
        self.patches.append((t, rank, len(self.patches), fields, event))

    @property
    def initial(self) -> dict:
        return self.patches[0][3]


def _round(x: float) -> int:
    """Half away from zero, as Stripe rounds prorations and discounts."""
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


class Ledger:
    """All Stripe objects of one world, built up to its horizon."""

    def __init__(self, world: World, catalog: Catalog, ids: IdMaker):
        self.world, self.catalog, self.ids = world, catalog, ids
        self.customers: list[Record] = []
        self.subscriptions: list[Record] = []
        self.invoices: list[Record] = []
        self.charges: list[Record] = []
        self.refunds: list[Record] = []
        self.credit_notes: list[Record] = []
        self.balance_transactions: list[Record] = []
        self.discounts: dict[str, dict] = {}
        self.redemptions: dict[str, list[int]] = {c: [] for c in COUPONS}  # coupon -> times it was applied
        self.events: list[Event] = []
        self.events_from = world.now - EVENT_RETENTION  # the clock only moves forward
        self.records = {"customer": self.customers, "subscription": self.subscriptions, "invoice": self.invoices,
                       "charge": self.charges, "refund": self.refunds, "credit_note": self.credit_notes,
                       "balance_transaction": self.balance_transactions}
        for acct in world.accounts:
            if acct.subscriptions:
                self._fold(_AccountReplay(self, acct).run())
        for times in self.redemptions.values():
            times.sort()

    def _fold(self, drafts: list[Draft]) -> None:
        """Turns drafts into records (versions in patch order) and their events."""
        for d in drafts:
            d.patches.sort()  # (time, rank, sequence) decide; the sequence is unique
            rec = Record(d.id, d.created, [], extra=d.static)
            versions, events = rec.versions, []
            state: dict = {}
            for t, _, _, fields, event in d.patches:
                if d.deleted is not None and t >= d.deleted:
                    break  # a deleted customer changes no more (a move drawn up to the horizon may fall later)
                if fields:
                    if all(k in state and state[k] == v for k, v in fields.items()):
                        continue  # changes nothing: no version, no event
                    state = state.copy()
                    state.update(fields)
                    versions.append((t, state))
                if event:
                    events.append((t, event, len(versions) - 1))
            if d.deleted is not None:
                rec.deleted = d.deleted
                events.append((d.deleted, "customer.deleted", len(versions) - 1))
            for t, etype, v in events:
                self.event(t, etype, d.kind, rec, v)
            self.records[d.kind].append(rec)

    def event(self, t: int, etype: str, kind: str, rec: Record, version: int) -> Event | None:
        """Records an event, unless it is too old to ever be listed."""
        if t > self.events_from:
            e = Event(self.ids.long("evt", t), t, etype, kind, rec, version)
            self.events.append(e)
            return e
        return None

    def add_version(self, kind: str, rec: Record, t: int, fields: dict) -> Event:
        """Appends a version at `t` (not before the record's latest); returns its `<kind>.updated` event,
        for the caller to list."""
        rec.add_version(t, {**rec.versions[-1][1], **fields})
        return Event(self.ids.long("evt", t), t, f"{kind}.updated", kind, rec, len(rec.versions) - 1)


@dataclass(slots=True)
class _Sub:
    """What the replay of one subscription needs to remember."""

    id: str
    world: Subscription
    draft: Draft
    items: tuple[Item, ...] = ()
    items_for: object = None  # the world Change `items` were made for
    item_ids: dict[str, tuple[str, int]] = field(default_factory=dict)  # kind -> (si id, created) of items present
    credited: dict[str, tuple[str, str]] = field(default_factory=dict)  # kind -> (invoice, line) last charging it
    discount: dict | None = None
    once_used: bool = False


class _AccountReplay:
    """Replays one account's Stripe history and returns its drafts in the order they were made."""

    def __init__(self, ledger: Ledger, acct: Account):
        self.led, self.acct = ledger, acct
        self.seed, self.ids, self.cat = ledger.world.seed, ledger.ids, ledger.catalog
        self.horizon = ledger.world.horizon
        self.rng = random.Random(f"{self.seed}:stripe:{acct.idx}")
        self.drafts: list[Draft] = []
        self.balance = 0  # customer balance: negative = credit from downgrades
        self.delinquent = False
        self.refunds_of: dict[str, list[Record]] = {}  # charge id -> its refunds
        self.credit_notes_of: dict[str, list[Record]] = {}  # invoice id -> its credit notes

    def run(self) -> list[Draft]:
        self.cust = self._customer()
        for s in self.acct.subscriptions:
            self._subscription(s)
        self._maybe_delete()
        invoices = sorted((d for d in self.drafts if d.kind == "invoice"), key=lambda d: (d.created, d.id))
        prefix = self.cust.static["invoice_prefix"]
        for n, d in enumerate(invoices, 1):
            d.static["number"] = f"{prefix}-{n:04d}"
        self.cust.static["invoice_times"] = [d.created for d in invoices]
        return self.drafts

    def _new(self, id: str, kind: str, created: int, static: dict, state: dict, event: str | None) -> Draft:
        d = Draft(id, kind, created, static, state, event)
        self.drafts.append(d)
        return d

    def _final(self, id: str, kind: str, created: int, static: dict, event: str | None) -> Record:
        """An object that never changes after it is made: recorded at once, no draft."""
        rec = Record(id, created, [(created, _NO_STATE)], extra=static)
        self.led.records[kind].append(rec)
        if event:
            self.led.event(created, event, kind, rec, 0)
        return rec

    # --- customer -------------------------------------------------------------------------------

    def _customer(self) -> Draft:
        acct, rng = self.acct, self.rng
        created = acct.subscriptions[0].created
        champion = acct.people[0]
        billing = next((p for p in acct.people if p.role == "billing"), None)
        if "stripe_freemail_billing" in acct.mess:
            billing = None  # the champion's free-mail address stays the billing email
        email = billing.email if billing and billing.created <= created else champion.email
        metadata = {"tenant_id": str(acct.tenant_id)}
        if "stripe_no_hubspot_link" not in acct.mess:
            metadata["hubspot_company_id"] = keys.hubspot_company_id(self.seed, acct.idx)
        brand = rng.choices([b for b, _ in CARD_BRANDS], [w for _, w in CARD_BRANDS])[0]
        card = {"brand": brand, "last4": f"{rng.randrange(10_000):04d}", "exp_month": rng.randrange(1, 13),
                "exp_year": to_dt(created).year + rng.randrange(1, 5), "country": acct.country,
                "fingerprint": f"{self.ids.short('fp')[3:19]}", "funding": rng.choice(("credit", "credit", "debit"))}
        static = {"account": acct.idx, "invoice_prefix": f"{rng.getrandbits(32):08X}", "metadata": metadata,
                  "payment_method": self.ids.long("pm", created), "card": card,
                  "locales": [LOCALES[acct.country]]}
        state = {"email": email, "name": acct.name, "phone": champion.phone, "address": self._address(), "balance": 0,
                 "delinquent": False, "currency": acct.subscriptions[0].currency}
        d = self._new(keys.stripe_customer_id(self.seed, acct.idx), "customer", created, static, state, "customer.created")
        if billing and created < billing.created < self.horizon:
            d.patch(billing.created + rng.randrange(HOUR, 3 * DAY), "customer.updated", email=billing.email)
        if rng.random() < 0.08:  # the company moved offices
            d.patch(created + int(rng.random() * (self.horizon - created)), "customer.updated", address=self._address())
        return d

    def _address(self) -> dict:
        rng, country = self.rng, self.acct.country
        city, state, postal = rng.choice(CITIES[country])
        return {"city": city, "country": country, "line1": f"{rng.randrange(1, 400)} {rng.choice(STREETS)}",
                "line2": None, "postal_code": f"{postal}{rng.randrange(10, 99)}", "state": state}

    def _set_delinquent(self, t: int, value: bool) -> None:
        if value != self.delinquent:
            self.delinquent = value
            self.cust.patch(t, "customer.updated", delinquent=value)

    def _maybe_delete(self) -> None:
        """About a tenth of the accounts that only ever let a trial expire are deleted weeks later."""
        subs = self.acct.subscriptions
        if len(subs) == 1 and subs[0].cancel_reason == "trial_expired" and self.rng.random() < 0.12:
            self.cust.deleted = subs[0].ended_at + self.rng.randrange(14, 60) * DAY + self.rng.randrange(DAY)

    # --- subscriptions ----------------------------------------------------------------------------

    def _subscription(self, s: Subscription) -> None:
        trial = s.trial_end is not None
        months = s.months_per_period
        sid = keys.stripe_subscription_id(self.seed, self.acct.idx, s.idx)
        static = {"customer": self.cust.id, "currency": s.currency, "interval": s.interval,
                  "trial_start": s.created if trial else None, "trial_end": s.trial_end,
                  "billing_cycle_anchor": s.billing_start, "payment_method": self.cust.static["payment_method"]}
        first_end = s.trial_end if trial else add_months(s.created, months)
        state = {"status": "trialing" if trial else ("incomplete" if s.incomplete else "active"),
                 "period": (s.created, first_end), "discount": None, "cancel_at_period_end": False,
                 "cancel_at": None, "canceled_at": None, "ended_at": None, "cancel_reason": None, "latest_invoice": None}
        sub = _Sub(sid, s, self._new(sid, "subscription", s.created, static, state, "customer.subscription.created"))
        c0 = s.changes[0]
        sub.items, sub.items_for = self._items(sub, c0.plan, c0.seats, c0.dedicated_ip, s.created), c0
        state["items"] = sub.items
        if s.coupon:
            sub.discount = self._discount(sub, s)
            state["discount"] = sub.discount["id"]
        if trial:
            inv = self._invoice(sub, s.created, "subscription_create", self._trial_lines(sub), (s.created, s.created),
                                discounted=False)
            state["latest_invoice"] = inv.id
            self._collect(inv, s.created, [])
            if s.trial_end - TRIAL_WILL_END > s.created:
                sub.draft.patch(s.trial_end - TRIAL_WILL_END, "customer.subscription.trial_will_end")
        failures = {f.invoice_at: f for f in s.failures}
        starts = s.period_starts(self.horizon)
        later = s.changes[1:]
        last = None  # (invoice draft, its successful charge, period) of the current period
        for k, p in enumerate(starts):
            nxt = add_months(s.billing_start, (k + 1) * months)
            lines = self._period_lines(sub, p, nxt)
            if k == 0 and s.onboarding_fee:
                lines.append(self._onboarding_line(s, p))
            if s.metered and k > 0:
                lines.append(self._usage_line(sub, starts[k - 1], p))
            if k == 0 and not trial:
                inv = self._invoice(sub, p, "subscription_create", lines, (p, p))
                state["latest_invoice"] = inv.id
                attempts, finalize = [(p, not s.incomplete)], p
            else:
                inv = self._invoice(sub, p, "subscription_cycle", lines, (starts[k - 1] if k else s.created, p))
                sub.draft.patch(p, "customer.subscription.updated", status="active", period=(p, nxt), latest_invoice=inv.id)
                finalize = p + FINALIZE_AFTER
                f = failures.get(p)
                attempts = [(finalize, f is None)]
                if f is not None:
                    attempts += [(r, False) for r in f.retries]
                    if f.recovered_at is not None:
                        attempts.append((f.recovered_at, True))
                    sub.draft.patch(finalize, "customer.subscription.updated", rank=2, status="past_due")
                    if f.recovered_at is not None:
                        sub.draft.patch(f.recovered_at, "customer.subscription.updated", rank=2, status="active")
            charge = self._collect(inv, finalize, attempts)
            last = (inv, charge, (p, nxt))
            if s.incomplete:
                inv.patch(s.ended_at, "invoice.voided", status="void", voided_at=s.ended_at)
            elif s.cancel_reason == "payment_failed" and k == len(starts) - 1:
                inv.patch(s.ended_at, "invoice.marked_uncollectible", status="uncollectible",
                          marked_uncollectible_at=s.ended_at)
            for c in later:
                if p < c.at < nxt:
                    self._change(sub, c, p, nxt)
        self._end(sub, s, last)

    def _items(self, sub: _Sub, plan: str, seats: int, dedicated_ip: bool, t: int) -> tuple[Item, ...]:
        """The items for a plan/seats/IP choice, keeping the ids of items that stay."""
        s = sub.world
        wanted = [("plan", plan, 1)]
        if seats > 0:
            wanted.append(("seat", "seat", seats))
        if dedicated_ip:
            wanted.append(("dedicated_ip", "dedicated_ip", 1))
        if s.metered:
            wanted.append(("extra_sends", "extra_sends", None))
        present = {kind for kind, _, _ in wanted}
        for kind in list(sub.item_ids):
            if kind not in present:
                del sub.item_ids[kind]
        out = []
        for kind, item, qty in wanted:
            if kind not in sub.item_ids:
                sub.item_ids[kind] = (self.ids.short("si"), t)
            si, created = sub.item_ids[kind]
            out.append(Item(si, self.cat.price(item, s.currency, s.interval), qty, created))
        return tuple(out)

    def _discount(self, sub: _Sub, s: Subscription) -> dict:
        coupon = COUPONS[s.coupon]
        end = add_months(s.created, coupon.duration_in_months) if coupon.duration == "repeating" else None
        d = {"id": self.ids.long("di", s.created), "coupon": coupon.id, "customer": self.cust.id,
             "subscription": sub.id, "start": s.created, "end": end}
        self.led.discounts[d["id"]] = d
        self.led.redemptions[coupon.id].append(s.created)
        if end is not None and (s.ended_at is None or end < s.ended_at):
            sub.draft.patch(end, "customer.subscription.updated", rank=0, discount=None)
        return d

    def _discount_at(self, sub: _Sub, t: int) -> dict | None:
        d = sub.discount
        if d is None or (d["end"] is not None and t >= d["end"]):
            return None
        if COUPONS[d["coupon"]].duration == "once" and sub.once_used:
            return None
        return d

    # --- invoice lines ------------------------------------------------------------------------------

    # Line specs are (kind, amount, period start, period end, quantity, price, item); kinds: trial, licensed,
    # usage (metered, in arrears), unused / remaining (proration credit / debit), one_off (an invoice item).

    def _trial_lines(self, sub: _Sub) -> list[tuple]:
        s = sub.world
        return [("trial", 0, s.created, s.trial_end, it.quantity, it.price, it) for it in sub.items if it.quantity is not None]

    def _period_lines(self, sub: _Sub, start: int, end: int) -> list[tuple]:
        c = sub.world.change_at(start)
        if c is not sub.items_for:
            sub.items, sub.items_for = self._items(sub, c.plan, c.seats, c.dedicated_ip, start), c
        return [("licensed", it.price.unit_amount * it.quantity, start, end, it.quantity, it.price, it)
                for it in sub.items if it.quantity is not None]

    def _usage_line(self, sub: _Sub, start: int, end: int) -> tuple:
        it = next(i for i in sub.items if i.quantity is None)
        qty = int(self.rng.expovariate(1 / 60))  # thousands of sends beyond the plan's allowance
        return ("usage", qty * it.price.unit_amount, start, end, qty, it.price, it)

    def _onboarding_line(self, s: Subscription, t: int) -> tuple:
        price = self.cat.onboarding(s.currency)
        return ("one_off", price.unit_amount, t, t, 1, price, None)

    def _change(self, sub: _Sub, c, start: int, end: int) -> None:
        """A mid-period change: new items now, prorations invoiced at once (`always_invoice`)."""
        old = {it.id: it for it in sub.items}
        new_items = self._items(sub, c.plan, c.seats, c.dedicated_ip, c.at)
        new = {it.id: it for it in new_items}
        sub.items, sub.items_for = new_items, c
        frac = (end - c.at) / (end - start)
        lines = []
        for side, mine, other, sign in (("unused", old, new, -1), ("remaining", new, old, 1)):
            for iid, it in mine.items():
                o = other.get(iid)
                if it.quantity is not None and (o is None or o.price is not it.price or o.quantity != it.quantity):
                    lines.append((side, sign * _round(it.price.unit_amount * it.quantity * frac), c.at, end,
                                  it.quantity, it.price, it))
        if not lines:
            sub.draft.patch(c.at, "customer.subscription.updated", items=new_items)
            return
        inv = self._invoice(sub, c.at, "subscription_update", lines, (c.at, c.at))
        sub.draft.patch(c.at, "customer.subscription.updated", items=new_items, latest_invoice=inv.id)
        self._collect(inv, c.at, [(c.at, True)])

    # --- invoices and payments ----------------------------------------------------------------------

    def _invoice(self, sub: _Sub, t: int, reason: str, specs: list[tuple], period: tuple[int, int],
                 discounted: bool = True) -> Draft:
        """An invoice with its lines, discount and balance applied; draft until `_collect` finalizes it."""
        s = sub.world
        iid = self.ids.long("in", t)
        discount = self._discount_at(sub, t) if discounted else None
        subtotal = sum(sp[1] for sp in specs)
        disc = self._discount_amounts(discount, specs, subtotal) if discount else [0] * len(specs)
        total_discount = sum(disc)
        if discount and COUPONS[discount["coupon"]].duration == "once" and subtotal > 0:
            sub.once_used = True
            sub.draft.patch(t, "customer.subscription.updated", rank=3, discount=None)
        lines = []
        head, tail = f"il_{iid[3:23]}", iid[-3:]
        for i, ((kind, amount, p0, p1, qty, price, it), d) in enumerate(zip(specs, disc)):
            lid = f"{head}{B62[i]}{tail}"
            lines.append(Line(lid, kind, amount, d, p0, p1, qty, price, it.id if it else None,
                              sub.credited.get(it.id) if kind == "unused" else None))
            if kind in ("licensed", "remaining"):
                sub.credited[it.id] = (iid, lid)
        total = subtotal - total_discount
        combined = total + self.balance
        amount_due, ending = max(0, combined), min(0, combined)
        static = {"customer": self.cust.id, "subscription": sub.id, "billing_reason": reason, "currency": s.currency,
                  "lines": lines, "subtotal": subtotal, "total": total, "total_discount": total_discount,
                  "discount": discount["id"] if discount else None, "starting_balance": self.balance,
                  "ending_balance": ending, "amount_due": amount_due, "period_start": period[0],
                  "period_end": period[1], "payment_intent": f"pi_{iid[3:]}" if amount_due > 0 else None, "number": None}
        if ending != self.balance:
            self.balance = ending
            self.cust.patch(t, "customer.updated", rank=2, balance=ending)
        # amount_paid/remaining, attempted and auto_advance follow from these (see render.py)
        state = {"status": "draft", "attempt_count": 0, "next_payment_attempt": None, "finalized_at": None,
                 "paid_at": None, "marked_uncollectible_at": None, "voided_at": None, "credit_notes_amount": 0,
                 "charge": None}
        return self._new(iid, "invoice", t, static, state, "invoice.created")

    def _discount_amounts(self, discount: dict, specs: list[tuple], subtotal: int) -> list[int]:
        """Per-line discount: percent_off on every discountable line; amount_off once per invoice, capped at
        the subtotal and spread over the discountable charges (not credits) in proportion."""
        coupon = COUPONS[discount["coupon"]]
        amounts = [sp[1] if sp[6] is not None else 0 for sp in specs]
        if coupon.percent_off is not None:
            return [_round(a * coupon.percent_off / 100) for a in amounts]
        positive = [max(0, a) for a in amounts]
        base = sum(positive)
        off = min(coupon.amount_off, max(0, subtotal), base)
        if off <= 0:
            return [0] * len(specs)
        out = [off * a // base for a in positive]
        out[max(i for i, a in enumerate(positive) if a)] += off - sum(out)
        return out

    def _collect(self, inv: Draft, finalize: int, attempts: list[tuple[int, bool]]) -> Draft | None:
        """Finalizes `inv` and charges it at each attempt; returns the successful charge, if any."""
        due = inv.static["amount_due"]
        inv.patch(finalize, "invoice.finalized", status="open", finalized_at=finalize)
        if due == 0:
            inv.patch(finalize, "invoice.paid", status="paid", paid_at=finalize)
            return None
        won = None
        for n, (t, ok) in enumerate(attempts, 1):
            charge = self._charge(inv, t, ok)
            nxt = attempts[n][0] if n < len(attempts) else None
            if ok:
                inv.patch(t, "invoice.paid", status="paid", paid_at=t, attempt_count=n, next_payment_attempt=None,
                          charge=charge.id)
                won = charge
            else:
                inv.patch(t, "invoice.payment_failed", attempt_count=n, next_payment_attempt=nxt, charge=charge.id)
            self._set_delinquent(t, not ok)
        if won is not None:
            self._after_payment(inv, won)
        return won

    def _charge(self, inv: Draft, t: int, ok: bool) -> Draft:
        rng = self.rng
        cid = self.ids.long("ch", t)
        amount = inv.static["amount_due"]
        decline = None if ok else rng.choices(DECLINES, [w for *_, w in DECLINES])[0]
        static = {"customer": self.cust.id, "invoice": inv.id, "payment_intent": inv.static["payment_intent"],
                  "amount": amount, "currency": inv.static["currency"], "decline": decline,
                  "risk_score": rng.randrange(5, 65), "balance_transaction": None,
                  "description": "Subscription creation" if inv.static["billing_reason"] == "subscription_create"
                  else "Subscription update"}
        state = {"amount_refunded": 0, "refunds": ()}
        d = self._new(cid, "charge", t, static, state, "charge.succeeded" if ok else "charge.failed")
        if ok:
            static["balance_transaction"] = self._balance_txn(cid, t, amount, inv.static["currency"], "charge")
        return d

    def _balance_txn(self, source: str, t: int, amount: int, currency: str, kind: str) -> str:
        fee = _round(amount * 0.029) + 30 if kind == "charge" else 0
        tid = f"txn_{source[3:]}"
        static = {"source": source, "amount": amount, "fee": fee, "net": amount - fee, "currency": currency,
                  "type": kind, "reporting_category": kind, "available_on": day_start(t) + 2 * DAY,
                  "description": "Subscription payment" if kind == "charge" else "REFUND FOR CHARGE"}
        self._final(tid, "balance_transaction", t, static, None)
        return tid

    def _after_payment(self, inv: Draft, charge: Draft) -> None:
        """A few paid invoices later get a goodwill credit note, a few charges a plain refund."""
        rng = self.rng
        r = rng.random()
        paid = charge.created
        if r < 0.008:
            amount = _round(charge.static["amount"] * rng.choice((0.1, 0.2, 0.25, 0.5)))
            self._credit_note(inv, charge, paid + rng.randrange(2, 21) * DAY + rng.randrange(DAY), amount,
                              "product_unsatisfactory", "Goodwill credit: deliverability incident")
        elif r < 0.014:
            full = rng.random() < 0.4
            amount = charge.static["amount"] if full else _round(charge.static["amount"] * rng.uniform(0.2, 0.6))
            reason = "duplicate" if full and rng.random() < 0.5 else "requested_by_customer"
            self._refund(charge, paid + rng.randrange(1, 31) * DAY + rng.randrange(DAY), amount, reason)

    def _refundable(self, charge: Draft) -> int:
        return charge.static["amount"] - sum(r.extra["amount"] for r in self.refunds_of.get(charge.id, ()))

    def _refund(self, charge: Draft, t: int, amount: int, reason: str) -> Record:
        rid = self.ids.long("re", t)
        cur = charge.static["currency"]
        static = {"charge": charge.id, "payment_intent": charge.static["payment_intent"], "amount": amount,
                  "currency": cur, "reason": reason, "customer": self.cust.id,
                  "balance_transaction": self._balance_txn(rid, t, -amount, cur, "refund")}
        refund = self._final(rid, "refund", t, static, "refund.created")
        done = self.refunds_of.setdefault(charge.id, [])
        done.append(refund)
        charge.patch(t, "charge.refunded", amount_refunded=sum(r.extra["amount"] for r in done),
                     refunds=tuple(r.id for r in done))
        return refund

    def _credit_note(self, inv: Draft, charge: Draft, t: int, amount: int, reason: str, memo: str) -> None:
        amount = min(amount, self._refundable(charge))
        if amount <= 0:
            return
        refund = self._refund(charge, t, amount, "requested_by_customer")
        notes = self.credit_notes_of.setdefault(inv.id, [])
        static = {"invoice": inv.id, "customer": self.cust.id, "amount": amount, "currency": inv.static["currency"],
                  "reason": reason, "memo": memo, "refund": refund.id, "sequence": len(notes) + 1}
        notes.append(self._final(self.ids.long("cn", t), "credit_note", t, static, "credit_note.created"))
        inv.patch(t, "invoice.updated", credit_notes_amount=sum(n.extra["amount"] for n in notes))

    def _end(self, sub: _Sub, s: Subscription, last) -> None:
        """Cancellation at period end, immediate cancellation, trial expiry, dunning exhaustion, expiry."""
        d = sub.draft
        if s.cancel_at_period_end_since is not None:
            d.patch(s.cancel_at_period_end_since, "customer.subscription.updated", cancel_at_period_end=True,
                    cancel_at=s.ended_at, canceled_at=s.cancel_at_period_end_since, cancel_reason="cancellation_requested")
        end = s.ended_at
        if end is None:
            return
        if s.cancel_reason == "incomplete_expired":
            d.patch(end, "customer.subscription.deleted", status="incomplete_expired", ended_at=end)
            return
        fields = {"status": "canceled", "ended_at": end}
        if s.cancel_at_period_end_since is None:
            fields["canceled_at"] = end
        if s.cancel_reason in ("payment_failed", "cancellation_requested"):
            fields["cancel_reason"] = s.cancel_reason
        d.patch(end, "customer.subscription.deleted", rank=2, **fields)
        if s.cancel_reason == "cancellation_requested" and s.cancel_at_period_end_since is None and last:
            inv, charge, (start, stop) = last
            if charge is not None and self.rng.random() < 0.5:
                unused = _round(inv.static["amount_due"] * (stop - end) / (stop - start))
                self._credit_note(inv, charge, end, unused, "order_change",
                                  "Unused time after cancellation")
