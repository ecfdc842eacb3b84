"""Stripe's JSON for each object at a version, built on demand (shapes of Stripe's API reference fixtures).

Constant sub-objects are shared module-level dicts: renders never mutate them, only the top-level
dict they return (expansion replaces its fields).
"""
from __future__ import annotations

from bisect import bisect_right
from typing import Callable

from sandbox.store import Record
from sandbox.stripe.catalog import Catalog
from sandbox.stripe.ledger import Item, Ledger, Line
from sandbox.timeutil import to_dt
from sandbox.world.catalog import COUPONS, PRODUCT_NAMES

API_VERSION = "2026-10-28.endive"
LINES_EMBEDDED = 10  # an invoice carries its first 10 lines; the rest are paged via /v1/invoices/{id}/lines

_AUTO_TAX = {"disabled_reason": None, "enabled": False, "liability": None, "provider": None, "status": None}
_SUB_AUTO_TAX = {"disabled_reason": None, "enabled": False, "liability": None}
_ISSUER = {"type": "self"}
_PAYMENT_SETTINGS = {"default_mandate": None, "payment_method_options": None, "payment_method_types": None}
_SUB_PAYMENT_SETTINGS = {"payment_method_options": None, "payment_method_types": None,
                         "save_default_payment_method": "off"}
_SUB_INVOICE_SETTINGS = {"account_tax_ids": None, "issuer": _ISSUER}
_TRIAL_SETTINGS = {"end_behavior": {"missing_payment_method": "create_invoice"}}
_BILLING_MODE = {"flexible": None, "type": "classic"}
_CARD_CHECKS = {"address_line1_check": None, "address_postal_code_check": "pass", "cvc_check": "pass"}
_NO_CREDIT = {"credited_items": None}
_REFUND_DESTINATION = {"card": {"reference": None, "reference_status": "pending",
                                "reference_type": "acquirer_reference_number", "type": "refund"}, "type": "card"}
_EVERY = {"month": "/ month", "quarter": "every 3 months", "year": "/ year"}
_SIGN = {"usd": "$", "eur": "€", "gbp": "£"}

# schema drift: the field objects changed at/after sandbox.drift["stripe"] carry
DRIFT_FIELDS = {"customer": "business_name", "subscription": "billing_cadence", "invoice": "amounts_due_breakdown",
                "charge": "presentment_details"}


_DESCRIPTIONS: dict[tuple, str] = {}  # (kind, price, quantity) -> wording, for every kind but prorations


def line_description(line: Line) -> str:
    """Stripe's wording: `2 × Additional seat (at $15.00 / month)`, `Unused time on … after 3 Mar 2026`."""
    if line.kind in ("unused", "remaining"):
        return _describe(line)
    key = (line.kind, line.price.id, line.quantity)
    text = _DESCRIPTIONS.get(key)
    if text is None:
        text = _DESCRIPTIONS[key] = _describe(line)
    return text


def _describe(line: Line) -> str:
    p = line.price
    name = PRODUCT_NAMES[p.item]
    if line.kind == "trial":
        return f"Trial period for {name}"
    if line.kind == "one_off":
        return name
    if line.kind in ("unused", "remaining"):
        what = name if line.quantity == 1 else f"{line.quantity} × {name}"
        side = "Unused" if line.kind == "unused" else "Remaining"
        return f"{side} time on {what} after {to_dt(line.period_start).strftime('%-d %b %Y')}"
    return f"{line.quantity} × {name} (at {_SIGN[p.currency]}{p.unit_amount / 100:,.2f} {_EVERY[p.interval]})"


class Renderer:
    """Renders any record at a version; `at(kind, record, t)` renders what the API shows at `t`."""

    def __init__(self, ledger: Ledger, catalog: Catalog, by_id: dict[str, Record], drift_at: Callable[[], int | None]):
        self.led, self.cat, self.by_id, self.drift_at = ledger, catalog, by_id, drift_at
        # the `pricing` hash of invoice lines depends on the price only
        self.pricing = {p.id: {"price_details": {"price": p.id, "product": p.product}, "type": "price_details",
                               "unit_amount_decimal": str(p.unit_amount)} for p in catalog.prices.values()}
        self.kinds = {"customer": self.customer, "subscription": self.subscription, "invoice": self.invoice,
                      "charge": self.charge, "refund": self.refund, "credit_note": self.credit_note,
                      "balance_transaction": self.balance_transaction, "product": self.static,
                      "price": self.static, "coupon": self.coupon}

    def at(self, kind: str, rec: Record, t: int) -> dict:
        if kind == "customer" and rec.deleted is not None and rec.deleted <= t:
            return {"deleted": True, "id": rec.id, "object": "customer"}
        vt, state = rec.version_at(t)
        return self.version(kind, rec, vt, state, t)

    def version(self, kind: str, rec: Record, vt: int, state: dict, t: int) -> dict:
        """`rec` as of its version (`vt`, `state`), with time-dependent fields as of `t`."""
        out = self.kinds[kind](rec, state, t)
        drift = self.drift_at()
        if drift is not None and vt >= drift and kind in DRIFT_FIELDS:
            out[DRIFT_FIELDS[kind]] = self.drift_value(kind, rec, out)
        return out

    def drift_value(self, kind: str, rec: Record, body: dict):
        """The value of the field drift adds (plausible: Stripe keeps adding fields like these)."""
        if kind == "customer":
            return body["name"]
        if kind == "subscription":
            return {"month": "monthly", "quarter": "quarterly", "year": "yearly"}[rec.extra["interval"]]
        if kind == "invoice":
            lines = rec.extra["lines"]
            return {"recurring": sum(li.amount - li.discount_amount for li in lines if li.kind != "one_off"),
                    "one_time": sum(li.amount - li.discount_amount for li in lines if li.kind == "one_off")}
        return {"presentment_amount": body["amount"], "presentment_currency": body["currency"]}

    # --- objects ---------------------------------------------------------------------------------------

    def static(self, rec: Record, state: dict, t: int) -> dict:
        return dict(state)

    def coupon(self, rec: Record, state, t: int) -> dict:
        c = COUPONS[rec.id]
        return {
            "id": c.id, "object": "coupon", "amount_off": c.amount_off, "created": rec.created, "currency": c.currency,
            "duration": c.duration, "duration_in_months": c.duration_in_months, "livemode": False,
            "max_redemptions": None, "metadata": {}, "name": c.name, "percent_off": c.percent_off, "redeem_by": None,
            "times_redeemed": bisect_right(self.led.redemptions[c.id], t), "valid": True,
        }

    def discount(self, did: str) -> dict:
        d = self.led.discounts[did]
        return {
            "id": did, "object": "discount", "checkout_session": None, "customer": d["customer"],
            "customer_account": None, "end": d["end"], "invoice": None, "invoice_item": None, "promotion_code": None,
            "source": {"coupon": d["coupon"], "type": "coupon"}, "start": d["start"], "subscription": d["subscription"],
            "subscription_item": None,
        }

    def customer(self, rec: Record, st: dict, t: int) -> dict:
        f = rec.extra
        return {
            "id": rec.id, "object": "customer", "address": st["address"], "balance": st["balance"],
            "created": rec.created, "currency": st["currency"], "default_source": None, "delinquent": st["delinquent"],
            "description": None, "discount": None, "email": st["email"], "invoice_prefix": f["invoice_prefix"],
            "invoice_settings": {"custom_fields": None, "default_payment_method": f["payment_method"], "footer": None,
                                 "rendering_options": None},
            "livemode": False, "metadata": f["metadata"], "name": st["name"],
            "next_invoice_sequence": bisect_right(f["invoice_times"], t) + 1, "phone": st["phone"],
            "preferred_locales": f["locales"], "shipping": None, "tax_exempt": "none", "test_clock": None,
        }

    def subscription(self, rec: Record, st: dict, t: int) -> dict:
        f = rec.extra
        start, end = st["period"]
        items = [self.item(it, rec.id, start, end) for it in st["items"]]
        return {
            "id": rec.id, "object": "subscription", "application": None, "application_fee_percent": None,
            "automatic_tax": _SUB_AUTO_TAX, "billing_cycle_anchor": f["billing_cycle_anchor"],
            "billing_cycle_anchor_config": None, "billing_mode": _BILLING_MODE, "billing_thresholds": None,
            "cancel_at": st["cancel_at"], "cancel_at_period_end": st["cancel_at_period_end"],
            "canceled_at": st["canceled_at"],
            "cancellation_details": {"comment": None, "feedback": None, "reason": st["cancel_reason"]},
            "collection_method": "charge_automatically", "created": rec.created, "currency": f["currency"],
            "customer": f["customer"], "customer_account": None, "days_until_due": None,
            "default_payment_method": f["payment_method"], "default_source": None, "default_tax_rates": [],
            "description": None, "discounts": [st["discount"]] if st["discount"] else [], "ended_at": st["ended_at"],
            "invoice_settings": _SUB_INVOICE_SETTINGS,
            "items": {"object": "list", "data": items, "has_more": False, "total_count": len(items),
                      "url": f"/v1/subscription_items?subscription={rec.id}"},
            "latest_invoice": st["latest_invoice"], "livemode": False, "metadata": {},
            "next_pending_invoice_item_invoice": None, "on_behalf_of": None, "pause_collection": None,
            "payment_settings": _SUB_PAYMENT_SETTINGS, "pending_invoice_item_interval": None,
            "pending_setup_intent": None, "pending_update": None, "schedule": None, "start_date": rec.created,
            "status": st["status"], "test_clock": None, "transfer_data": None, "trial_end": f["trial_end"],
            "trial_settings": _TRIAL_SETTINGS, "trial_start": f["trial_start"],
        }

    @staticmethod
    def item(it: Item, sub: str, start: int, end: int) -> dict:
        out = {
            "id": it.id, "object": "subscription_item", "billing_thresholds": None, "created": it.created,
            "current_period_end": end, "current_period_start": start, "discounts": [], "metadata": {},
            "plan": it.price.plan, "price": it.price.body, "quantity": it.quantity, "subscription": sub,
            "tax_rates": [],
        }
        if it.quantity is None:  # metered items carry no quantity
            del out["quantity"]
        return out

    def invoice(self, rec: Record, st: dict, t: int) -> dict:
        f = rec.extra
        status = st["status"]
        paid = status == "paid"
        finalized = st["finalized_at"] is not None
        amount_paid = f["amount_due"] if paid else 0
        cust = self.by_id[f["customer"]].version_at(rec.created)[1]
        lines = f["lines"]
        did = f["discount"]
        sub = f["subscription"]
        return {
            "id": rec.id, "object": "invoice", "account_country": "US", "account_name": "PenguinMails",
            "account_tax_ids": None, "amount_due": f["amount_due"], "amount_overpaid": 0, "amount_paid": amount_paid,
            "amount_remaining": 0 if paid or status == "void" else f["amount_due"], "amount_shipping": 0,
            "application": None, "attempt_count": st["attempt_count"], "attempted": st["attempt_count"] > 0 or paid,
            "auto_advance": status in ("draft", "open"), "automatic_tax": _AUTO_TAX,
            "automatically_finalizes_at": None if finalized else rec.created + 3600,
            "billing_reason": f["billing_reason"], "collection_method": "charge_automatically",
            "created": rec.created, "currency": f["currency"], "custom_fields": None, "customer": f["customer"],
            "customer_account": None, "customer_address": cust["address"], "customer_email": cust["email"],
            "customer_name": cust["name"], "customer_phone": cust["phone"], "customer_shipping": None,
            "customer_tax_exempt": "none", "customer_tax_ids": [], "default_payment_method": None,
            "default_source": None, "default_tax_rates": [], "description": None, "discounts": [did] if did else [],
            "due_date": None, "effective_at": st["finalized_at"],
            "ending_balance": f["ending_balance"] if finalized else None, "footer": None, "from_invoice": None,
            "hosted_invoice_url": f"https://invoice.stripe.com/i/{rec.id}" if finalized else None,
            "invoice_pdf": f"https://pay.stripe.com/invoice/{rec.id}/pdf" if finalized else None,
            "issuer": _ISSUER, "last_finalization_error": None, "latest_revision": None,
            "lines": {"object": "list", "data": [self.line(li, rec.id, f, did) for li in lines[:LINES_EMBEDDED]],
                      "has_more": len(lines) > LINES_EMBEDDED, "total_count": len(lines),
                      "url": f"/v1/invoices/{rec.id}/lines"},
            "livemode": False, "metadata": {}, "next_payment_attempt": st["next_payment_attempt"],
            "number": f["number"] if finalized else None, "on_behalf_of": None,
            "parent": {"quote_details": None, "subscription_details": {"metadata": {}, "subscription": sub},
                       "type": "subscription_details"},
            "payment_settings": _PAYMENT_SETTINGS, "period_end": f["period_end"], "period_start": f["period_start"],
            "post_payment_credit_notes_amount": st["credit_notes_amount"], "pre_payment_credit_notes_amount": 0,
            "receipt_number": None, "rendering": None, "shipping_cost": None, "shipping_details": None,
            "starting_balance": f["starting_balance"], "statement_descriptor": None, "status": status,
            "status_transitions": {"finalized_at": st["finalized_at"],
                                   "marked_uncollectible_at": st["marked_uncollectible_at"],
                                   "paid_at": st["paid_at"], "voided_at": st["voided_at"]},
            "subscription": sub, "subtotal": f["subtotal"], "subtotal_excluding_tax": f["subtotal"],
            "test_clock": None, "total": f["total"],
            "total_discount_amounts": [{"amount": f["total_discount"], "discount": did}] if did else [],
            "total_excluding_tax": f["total"],
            "total_pretax_credit_amounts": [{"amount": f["total_discount"], "credit_balance_transaction": None,
                                             "discount": did, "type": "discount"}] if did else [],
            "total_taxes": [], "webhooks_delivered_at": rec.created,
        }

    def invoice_payments(self, rec: Record, t: int) -> dict:
        """The includable `payments` list (expand[]=payments): the invoice's payment intent, once finalized."""
        _, st = rec.version_at(t)
        f = rec.extra
        data = []
        if f["payment_intent"] and st["finalized_at"] is not None:
            status = {"paid": "paid", "void": "canceled"}.get(st["status"], "open")
            data.append({
                "id": f"inpay_{rec.id[3:]}", "object": "invoice_payment",
                "amount_paid": f["amount_due"] if status == "paid" else None, "amount_requested": f["amount_due"],
                "created": st["finalized_at"], "currency": f["currency"], "invoice": rec.id, "is_default": True,
                "livemode": False, "payment": {"payment_intent": f["payment_intent"], "type": "payment_intent"},
                "status": status, "status_transitions": {"canceled_at": st["voided_at"], "paid_at": st["paid_at"]},
            })
        return {"object": "list", "data": data, "has_more": False, "url": f"/v1/invoice_payments?invoice={rec.id}"}

    def line(self, li: Line, invoice: str, f: dict, did: str | None) -> dict:
        p = li.price
        if li.item is None:
            parent = {"invoice_item_details": {"invoice_item": f"ii_{invoice[3:]}", "proration": False,
                                               "proration_details": _NO_CREDIT, "subscription": f["subscription"]},
                      "subscription_item_details": None, "type": "invoice_item_details"}
        else:
            credited = li.credited
            parent = {"invoice_item_details": None, "subscription_item_details": {
                "invoice_item": None, "proration": li.kind in ("unused", "remaining"),
                "proration_details": {"credited_items": {"invoice": credited[0], "invoice_line_items": [credited[1]]}}
                if credited else _NO_CREDIT,
                "subscription": f["subscription"], "subscription_item": li.item},
                "type": "subscription_item_details"}
        return {
            "id": li.id, "object": "line_item", "amount": li.amount, "currency": p.currency,
            "description": line_description(li),
            "discount_amounts": [{"amount": li.discount_amount, "discount": did}] if did else [],
            "discountable": li.item is not None, "discounts": [], "invoice": invoice, "livemode": False,
            "metadata": {}, "parent": parent, "period": {"end": li.period_end, "start": li.period_start},
            "pretax_credit_amounts": [{"amount": li.discount_amount, "credit_balance_transaction": None,
                                       "discount": did, "type": "discount"}] if did else [],
            "pricing": self.pricing[p.id],
            "quantity": li.quantity, "quantity_decimal": None, "subscription": f["subscription"],
            "subtotal": li.amount, "taxes": [],
        }

    def charge(self, rec: Record, st: dict, t: int) -> dict:
        f = rec.extra
        ok = f["decline"] is None
        cust_rec = self.by_id[f["customer"]]
        cust = cust_rec.version_at(rec.created)[1]
        card = cust_rec.extra["card"]
        amount = f["amount"]
        refunds = [self.refund(self.by_id[r], None, t) for r in st["refunds"]]
        if ok:
            outcome = {"advice_code": None, "network_advice_code": None, "network_decline_code": None,
                       "network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                       "risk_score": f["risk_score"], "seller_message": "Payment complete.", "type": "authorized"}
        else:
            reason = f["decline"][1]
            outcome = {"advice_code": "try_again_later" if reason == "insufficient_funds" else "do_not_try_again",
                       "network_advice_code": None, "network_decline_code": "51" if reason == "insufficient_funds"
                       else "05", "network_status": "declined_by_network", "reason": reason, "risk_level": "normal",
                       "risk_score": f["risk_score"],
                       "seller_message": "The bank returned the decline code `%s`." % reason, "type": "issuer_declined"}
        return {
            "id": rec.id, "object": "charge", "amount": amount, "amount_captured": amount if ok else 0,
            "amount_refunded": st["amount_refunded"], "application": None, "application_fee": None,
            "application_fee_amount": None, "balance_transaction": f["balance_transaction"],
            "billing_details": {"address": cust["address"], "email": cust["email"], "name": cust["name"],
                                "phone": None, "tax_id": None},
            "calculated_statement_descriptor": "PENGUINMAILS", "captured": ok, "created": rec.created,
            "currency": f["currency"], "customer": f["customer"], "description": f["description"],
            "disputed": False, "failure_balance_transaction": None, "failure_code": f["decline"][0] if not ok else None,
            "failure_message": f["decline"][2] if not ok else None, "fraud_details": {}, "livemode": False,
            "metadata": {}, "on_behalf_of": None, "outcome": outcome, "paid": ok,
            "payment_intent": f["payment_intent"], "payment_method": cust_rec.extra["payment_method"],
            "payment_method_details": {"card": {
                "amount_authorized": amount if ok else None, "authorization_code": None, "brand": card["brand"],
                "checks": _CARD_CHECKS, "country": card["country"], "exp_month": card["exp_month"],
                "exp_year": card["exp_year"], "extended_authorization": {"status": "disabled"},
                "fingerprint": card["fingerprint"], "funding": card["funding"],
                "incremental_authorization": {"status": "unavailable"}, "installments": None,
                "last4": card["last4"], "mandate": None, "multicapture": {"status": "unavailable"},
                "network": card["brand"], "network_token": {"used": False}, "network_transaction_id": None,
                "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
                "regulated_status": "unregulated", "three_d_secure": None, "wallet": None}, "type": "card"},
            "receipt_email": cust["email"] if ok else None, "receipt_number": None,
            "receipt_url": f"https://pay.stripe.com/receipts/payment/{rec.id}" if ok else None,
            "refunded": ok and st["amount_refunded"] == amount,
            "refunds": {"object": "list", "data": refunds, "has_more": False, "total_count": len(refunds),
                        "url": f"/v1/charges/{rec.id}/refunds"},
            "review": None, "shipping": None, "source": None, "source_transfer": None, "statement_descriptor": None,
            "statement_descriptor_suffix": None, "status": "succeeded" if ok else "failed", "transfer_data": None,
            "transfer_group": None,
        }

    def refund(self, rec: Record, st, t: int) -> dict:
        f = rec.extra
        return {
            "id": rec.id, "object": "refund", "amount": f["amount"], "balance_transaction": f["balance_transaction"],
            "charge": f["charge"], "created": rec.created, "currency": f["currency"],
            "destination_details": _REFUND_DESTINATION, "metadata": {}, "payment_intent": f["payment_intent"],
            "reason": f["reason"], "receipt_number": None, "source_transfer_reversal": None, "status": "succeeded",
            "transfer_reversal": None,
        }

    def credit_note(self, rec: Record, st, t: int) -> dict:
        f = rec.extra
        amount = f["amount"]
        number = f"{self.by_id[f['invoice']].extra['number']}-CN-{f['sequence']:02d}"
        line = {"id": f"cnli_{rec.id[3:]}", "object": "credit_note_line_item", "amount": amount,
                "description": f["memo"], "discount_amount": 0, "discount_amounts": [], "invoice_line_item": None,
                "livemode": False, "metadata": {}, "pretax_credit_amounts": [], "quantity": 1, "tax_rates": [],
                "taxes": [], "type": "custom_line_item", "unit_amount": amount, "unit_amount_decimal": str(amount)}
        return {
            "id": rec.id, "object": "credit_note", "amount": amount, "amount_shipping": 0, "created": rec.created,
            "currency": f["currency"], "customer": f["customer"], "customer_account": None,
            "customer_balance_transaction": None, "discount_amount": 0, "discount_amounts": [],
            "effective_at": rec.created, "invoice": f["invoice"],
            "lines": {"object": "list", "data": [line], "has_more": False, "total_count": 1,
                      "url": f"/v1/credit_notes/{rec.id}/lines"},
            "livemode": False, "memo": f["memo"], "metadata": {}, "number": number, "out_of_band_amount": None,
            "pdf": f"https://pay.stripe.com/credit_notes/{rec.id}/pdf", "post_payment_amount": amount,
            "pre_payment_amount": 0, "pretax_credit_amounts": [], "reason": f["reason"],
            "refunds": [{"amount_refunded": amount, "payment_record_refund": None, "refund": f["refund"],
                         "type": "refund"}],
            "shipping_cost": None, "status": "issued", "subtotal": amount, "subtotal_excluding_tax": amount,
            "total": amount, "total_excluding_tax": amount, "total_taxes": [], "type": "post_payment",
            "voided_at": None,
        }

    def balance_transaction(self, rec: Record, st, t: int) -> dict:
        f = rec.extra
        fee = f["fee"]
        return {
            "id": rec.id, "object": "balance_transaction", "amount": f["amount"], "available_on": f["available_on"],
            "balance_type": "payments", "created": rec.created, "currency": f["currency"],
            "description": f["description"], "exchange_rate": None, "fee": fee,
            "fee_details": [{"amount": fee, "application": None, "currency": f["currency"],
                             "description": "Stripe processing fees", "type": "stripe_fee"}] if fee else [],
            "net": f["net"], "reporting_category": f["reporting_category"], "source": f["source"],
            "status": "available" if f["available_on"] <= t else "pending", "type": f["type"],
        }


def diff(old: dict, new: dict) -> dict:
    """Stripe's `previous_attributes`: the old values of what changed (hashes compared key by key)."""
    out = {}
    for k, v in old.items():
        nv = new.get(k)
        if v != nv:
            out[k] = diff(v, nv) if isinstance(v, dict) and isinstance(nv, dict) and k != "metadata" else v
    return out
