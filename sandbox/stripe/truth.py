"""Stripe's ground truth at `now`: the raw tables a perfect sync holds, plus `_subscription_states`.

Every table lists the objects created by now, in id order, with their state at now. Deleted
customers stay as rows with `_deleted: true`. With schema drift, rows whose current version began
at/after the drift time carry the drift field (`render.DRIFT_FIELDS`) too.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from sandbox.stripe.render import DRIFT_FIELDS
from sandbox.world.catalog import COUPONS, INTERVALS

if TYPE_CHECKING:
    from sandbox.stripe.emulator import StripeEmulator

def tables(emu: "StripeEmulator") -> dict[str, list[dict]]:
    now = emu.world.now
    led, render = emu.ledger, emu.renderer
    drift = emu.sandbox.drift.get("stripe")

    def visible(records):
        return sorted((r for r in records if r.created <= now), key=lambda r: r.id)

    def current(kind, rec, row):
        vt, st = rec.version_at(now)
        if drift is not None and vt >= drift and kind in DRIFT_FIELDS:
            row[DRIFT_FIELDS[kind]] = render.drift_value(kind, rec, render.version(kind, rec, vt, st, now))
        return row

    out: dict[str, list[dict]] = {}
    out["customers"] = [current("customer", r, _customer(r, now)) for r in visible(led.customers)]
    subs = visible(led.subscriptions)
    out["subscriptions"] = [current("subscription", r, _subscription(r, now, led.discounts)) for r in subs]
    out["subscription_items"] = sorted((row for r in subs for row in _items(r, now)), key=lambda x: x["id"])
    invoices = visible(led.invoices)
    out["invoices"] = [current("invoice", r, _invoice(r, now)) for r in invoices]
    out["invoice_lines"] = sorted((row for r in invoices for row in _lines(r)), key=lambda x: x["id"])
    out["charges"] = [current("charge", r, _charge(r, now)) for r in visible(led.charges)]
    out["refunds"] = [_refund(r) for r in visible(led.refunds)]
    out["credit_notes"] = [_credit_note(r) for r in visible(led.credit_notes)]
    out["balance_transactions"] = [_balance_transaction(r, now) for r in visible(led.balance_transactions)]
    out["products"] = [_product(r.versions[0][1]) for r in visible(emu.catalog.product_records)]
    out["prices"] = [_price(p) for p in sorted(emu.catalog.prices.values(), key=lambda p: p.id)]
    out["coupons"] = [_coupon(c, render.coupon(emu.by_id[c.id], None, now)) for c in sorted(COUPONS.values(), key=lambda c: c.id)]
    out["_subscription_states"] = [row for r in subs for row in subscription_states(r, now, led.discounts)]
    return out


def _customer(r, now: int) -> dict:
    deleted = r.deleted is not None and r.deleted <= now
    _, st = r.version_at(now)
    meta = r.extra["metadata"]
    row = {"id": r.id, "created": r.created, "email": st["email"], "name": st["name"], "phone": st["phone"],
           "currency": st["currency"], "country": st["address"]["country"], "balance": st["balance"],
           "delinquent": st["delinquent"], "tenant_id": meta["tenant_id"],
           "hubspot_company_id": meta.get("hubspot_company_id")}
    if deleted:
        row["_deleted"] = True
    return row


def _subscription(r, now: int, discounts: dict) -> dict:
    _, st = r.version_at(now)
    f = r.extra
    return {"id": r.id, "customer": f["customer"], "status": st["status"], "currency": f["currency"],
            "created": r.created, "start_date": r.created, "billing_cycle_anchor": f["billing_cycle_anchor"],
            "current_period_start": st["period"][0], "current_period_end": st["period"][1],
            "cancel_at_period_end": st["cancel_at_period_end"], "cancel_at": st["cancel_at"],
            "canceled_at": st["canceled_at"], "ended_at": st["ended_at"], "cancellation_reason": st["cancel_reason"],
            "trial_start": f["trial_start"], "trial_end": f["trial_end"], "latest_invoice": st["latest_invoice"],
            "discount_coupon": discounts[st["discount"]]["coupon"] if st["discount"] else None,
            "discount_id": st["discount"]}


def _items(r, now: int) -> Iterator[dict]:
    _, st = r.version_at(now)
    for it in st["items"]:
        yield {"id": it.id, "subscription": r.id, "price": it.price.id, "product": it.price.product,
               "quantity": it.quantity, "created": it.created}


def _invoice(r, now: int) -> dict:
    _, st = r.version_at(now)
    f = r.extra
    paid = st["status"] == "paid"
    return {"id": r.id, "customer": f["customer"], "subscription": f["subscription"], "status": st["status"],
            "billing_reason": f["billing_reason"], "currency": f["currency"], "number": f["number"]
            if st["finalized_at"] is not None else None, "created": r.created, "period_start": f["period_start"],
            "period_end": f["period_end"], "subtotal": f["subtotal"], "total_discount": f["total_discount"],
            "total": f["total"], "starting_balance": f["starting_balance"], "ending_balance": f["ending_balance"]
            if st["finalized_at"] is not None else None, "amount_due": f["amount_due"],
            "amount_paid": f["amount_due"] if paid else 0,
            "amount_remaining": 0 if paid or st["status"] == "void" else f["amount_due"],
            "attempt_count": st["attempt_count"], "paid_at": st["paid_at"], "discount": f["discount"],
            "post_payment_credit_notes_amount": st["credit_notes_amount"],
            # the API shows the payment intent (`expand[]=payments`) once the invoice is finalized, as Stripe does
            "payment_intent": f["payment_intent"] if st["finalized_at"] is not None else None}


def _lines(r) -> Iterator[dict]:
    f = r.extra
    for li in f["lines"]:
        yield {"id": li.id, "invoice": r.id, "subscription": f["subscription"], "subscription_item": li.item,
               "price": li.price.id, "product": li.price.product, "quantity": li.quantity, "amount": li.amount,
               "currency": li.price.currency, "period_start": li.period_start, "period_end": li.period_end,
               "proration": li.kind in ("unused", "remaining"), "discount_amount": li.discount_amount,
               "type": "invoice_item" if li.item is None else "subscription",
               "usage_type": li.price.usage_type}


def _charge(r, now: int) -> dict:
    _, st = r.version_at(now)
    f = r.extra
    ok = f["decline"] is None
    return {"id": r.id, "customer": f["customer"], "invoice": f["invoice"], "payment_intent": f["payment_intent"],
            "amount": f["amount"], "amount_refunded": st["amount_refunded"], "currency": f["currency"],
            "status": "succeeded" if ok else "failed", "paid": ok, "refunded": ok and st["amount_refunded"] == f["amount"],
            "failure_code": None if ok else f["decline"][0], "outcome_reason": None if ok else f["decline"][1],
            "balance_transaction": f["balance_transaction"], "created": r.created}


def _refund(r) -> dict:
    f = r.extra
    return {"id": r.id, "charge": f["charge"], "payment_intent": f["payment_intent"], "amount": f["amount"],
            "currency": f["currency"], "reason": f["reason"], "status": "succeeded",
            "balance_transaction": f["balance_transaction"], "created": r.created}


def _credit_note(r) -> dict:
    f = r.extra
    return {"id": r.id, "invoice": f["invoice"], "customer": f["customer"], "amount": f["amount"],
            "currency": f["currency"], "reason": f["reason"], "type": "post_payment", "status": "issued",
            "refund": f["refund"], "created": r.created}


def _balance_transaction(r, now: int) -> dict:
    f = r.extra
    return {"id": r.id, "source": f["source"], "type": f["type"], "reporting_category": f["reporting_category"],
            "amount": f["amount"], "fee": f["fee"], "net": f["net"], "currency": f["currency"], "created": r.created,
            "available_on": f["available_on"], "status": "available" if f["available_on"] <= now else "pending"}


def _product(body: dict) -> dict:
    return {k: body[k] for k in ("id", "name", "active", "created", "default_price", "type")}


def _price(p) -> dict:
    rec = p.body["recurring"]
    return {"id": p.id, "product": p.product, "currency": p.currency, "unit_amount": p.unit_amount,
            "type": p.body["type"], "lookup_key": p.lookup_key, "active": True, "created": p.body["created"],
            "recurring_interval": rec["interval"] if rec else None,
            "recurring_interval_count": rec["interval_count"] if rec else None,
            "usage_type": p.usage_type}


def _coupon(c, body: dict) -> dict:
    return {"id": c.id, "name": c.name, "duration": c.duration, "percent_off": c.percent_off,
            "amount_off": c.amount_off, "currency": c.currency, "duration_in_months": c.duration_in_months,
            "created": body["created"], "times_redeemed": body["times_redeemed"]}


def _state_key(st: dict) -> tuple:
    return st["status"], tuple((it.price.id, it.quantity) for it in st["items"]), st["discount"]


def subscription_states(r, now: int, discounts: dict) -> list[dict]:
    """Consecutive intervals of (status, items, discount) the subscription had up to `now` (the last open)."""
    held: list[tuple[int, dict]] = []  # one state per second: the last version of that second is what held
    for vt, st in r.versions:
        if vt > now:
            break
        if held and held[-1][0] == vt:
            held[-1] = (vt, st)
        else:
            held.append((vt, st))
    spans = []
    for vt, st in held:
        if not spans or _state_key(spans[-1][1]) != _state_key(st):
            spans.append((vt, st))
    out = []
    for i, (start, st) in enumerate(spans):
        d = discounts[st["discount"]] if st["discount"] else None
        coupon = COUPONS[d["coupon"]] if d else None
        out.append({
            "subscription": r.id, "valid_from": start, "valid_to": spans[i + 1][0] if i + 1 < len(spans) else None,
            "status": st["status"], "currency": r.extra["currency"],
            "items": [{"price": it.price.id, "quantity": it.quantity, "unit_amount": it.price.unit_amount,
                       "interval": INTERVALS[it.price.interval][0], "interval_count": INTERVALS[it.price.interval][1],
                       "usage_type": it.price.usage_type} for it in st["items"]],
            "discount": {"coupon": coupon.id, "percent_off": coupon.percent_off, "amount_off": coupon.amount_off,
                         "duration": coupon.duration, "start": d["start"], "end": d["end"]} if d else None,
        })
    return out
